// The VFS rules that changed between versions (fs/read_write.c, fs/open.c), decided once from
// the machine's version and arch (DESIGN.md lesson 11).
#pragma once

#include "mm/arch.h"
#include "mm/kernel_version.h"
#include "mm/types.h"

namespace kmemu {

struct VfsRules {
    unsigned word_bits = 64; // size_t / ssize_t / long of the kernel
    u64 page_size = 4096;
    // rw_verify_area: FMODE_UNSIGNED_OFFSET lets a negative position through (2.6.39+; absent
    // in 2.6.32.69, present in 2.6.39.4).
    bool unsigned_offsets = true;
    // FOP_UNSIGNED_OFFSET in f_op->fop_flags is what unsigned_offsets() tests (6.12+).
    bool fop_unsigned_offset = true;
    // The largest whence lseek passes to the driver: SEEK_END (2) before 3.1, SEEK_HOLE (4) from.
    int seek_max = 4;
    // A driver without llseek: default_llseek (f_pos arithmetic) before 2.6.37, no_llseek
    // (-ESPIPE) from 2.6.37 ("make no_llseek the default"; version from memory, 2.6.32.69 has
    // default_llseek and 2.6.39.4 no_llseek).
    bool missing_llseek_is_espipe = true;

    // MAX_RW_COUNT = INT_MAX & PAGE_MASK.
    [[nodiscard]] u64 max_rw_count() const { return 0x7fffffffULL & ~(page_size - 1); }
    [[nodiscard]] u64 word_mask() const {
        return word_bits == 64 ? ~u64{0} : (u64{1} << word_bits) - 1;
    }
};

[[nodiscard]] VfsRules vfs_rules_for(KernelVersion version, Arch arch, u64 page_size);

} // namespace kmemu
