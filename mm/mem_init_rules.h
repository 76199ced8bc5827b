// The per-version form of the boot-time "Memory:" line (mem_init / mem_init_print_info).
// Part of KernelProfile.
#pragma once

#include "mm/arch.h"
#include "mm/kernel_version.h"

namespace kmemu {

enum class MemInitFormat {
    I386Classic,   // arch/x86/mm/init_32.c mem_init, to 3.10
    X86_64Classic, // arch/x86/mm/init_64.c mem_init, to 3.10 ("absent" field)
    Arm26,         // arch/arm/mm/init.c mem_init, 2.6.x ("KB available (...K code ...)")
    Arm3,          // arch/arm(64)/mm/init.c mem_init, 3.0 to 3.10 (bank list + "reserved")
    Generic,       // mm/page_alloc.c mem_init_print_info, 3.11 on (mm/mm_init.c later)
};

struct MemInitRules {
    MemInitFormat format = MemInitFormat::Generic;
    // ", %luK cma-reserved" field of mem_init_print_info (added for 3.19).
    bool has_cma_reserved = true;
};

[[nodiscard]] MemInitRules mem_init_rules_for(KernelVersion version, Arch arch);

} // namespace kmemu
