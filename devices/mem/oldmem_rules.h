// The /dev/oldmem rules (drivers/char/mem.c read_oldmem, arch copy_oldmem_page), decided once
// per machine.
#pragma once

#include "mm/arch.h"
#include "mm/kernel_version.h"
#include "mm/types.h"

namespace kmemu {

struct MachineConfig;

struct OldmemRules {
    // CONFIG_CRASH_DUMP (the crash_dump= word, off by default) on a version that still has the
    // device: 2.6.11-3.11. It is in 3.10.108 and gone in 3.14 and 4.4.155; the removal ("kdump:
    // remove /dev/oldmem", merged for 3.12) is placed at 3.12 from memory of that commit, not
    // from a 3.12 tree. x86 only: saved_max_pfn, which bounds the reads, is set by the x86
    // memmap=exactmap parsing; kmemu does not model ARM's capture kernels.
    bool present = false;
    unsigned word_bits = 64; // unsigned long: read_oldmem's pfn
    u64 page_size = 4096;
    // i386 copy_oldmem_page refuses a pfn its ptes cannot hold (is_crashed_pfn_valid: -EFAULT):
    // 2^20 pfns without PAE, 2^24 with (36-bit physical addresses; later PAE kernels allow
    // more, not modelled). 0: no such limit (x86_64 and ARM ioremap the page).
    u64 pfn_limit = 0;
};

[[nodiscard]] OldmemRules oldmem_rules_for(const MachineConfig& config, Arch arch, u64 page_size);

} // namespace kmemu
