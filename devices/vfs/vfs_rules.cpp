#include "devices/vfs/vfs_rules.h"

namespace kmemu {

VfsRules vfs_rules_for(KernelVersion v, Arch arch, u64 page_size) {
    VfsRules r;
    r.word_bits = is_32bit(arch) ? 32 : 64;
    r.page_size = page_size;
    r.unsigned_offsets = v.at_least(2, 6, 39);
    r.fop_unsigned_offset = v.at_least(6, 12);
    r.seek_max = v.at_least(3, 1) ? 4 : 2;
    r.missing_llseek_is_espipe = v.at_least(2, 6, 37);
    return r;
}

} // namespace kmemu
