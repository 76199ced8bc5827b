#include "devices/mem/oldmem_rules.h"

#include "mm/machine_config.h"

namespace kmemu {

OldmemRules oldmem_rules_for(const MachineConfig& c, Arch arch, u64 page_size) {
    OldmemRules r;
    r.present = is_x86(arch) && c.crash_dump.value_or(false) && !c.kernel.at_least(3, 12);
    r.word_bits = is_32bit(arch) ? 32 : 64;
    r.page_size = page_size;
    if (arch == Arch::I386)
        r.pfn_limit = u64{1} << 20;
    else if (arch == Arch::I386Pae)
        r.pfn_limit = u64{1} << 24;
    return r;
}

} // namespace kmemu
