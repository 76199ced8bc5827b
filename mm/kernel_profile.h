// KernelProfile: every rule that changed between kernel versions, decided once from the
// machine's `kernel=` version and arch (DESIGN.md decision 6, lesson 11). Code asks the profile
// ("does this version have X?"), never compares versions itself. Each part belongs to the file
// that applies its rules.
#pragma once

#include "mm/arch.h"
#include "mm/iomem_rules.h"
#include "mm/kernel_image/kernel_image_rules.h"
#include "mm/kernel_version.h"
#include "mm/layout_arm.h"
#include "mm/layout_arm64.h"
#include "mm/layout_i386.h"
#include "mm/layout_x86_64.h"
#include "mm/mem_init_rules.h"
#include "mm/page_alloc_rules.h"
#include "mm/slab/slab_rules.h"
#include "mm/vmalloc/vmalloc_rules.h"

namespace kmemu {

struct KernelProfile {
    KernelVersion version;
    Arch arch = Arch::X86_64;
    I386Rules i386;
    X86_64Rules x86_64;
    ArmRules arm;
    Arm64Rules arm64;
    PageAllocRules page_alloc;
    MemInitRules mem_init;
    IomemRules iomem;
    SlabRules slab;
    VmallocRules vmalloc;
    KernelImageRules kernel_image;

    // page_shift: the machine's PAGE_SHIFT (arm64 granules change MAX_ORDER and sections).
    [[nodiscard]] static KernelProfile for_machine(KernelVersion version, Arch arch,
                                                   unsigned page_shift = 12);
};

} // namespace kmemu
