// arm_rules_for: every per-version ARM layout rule, decided once (DESIGN.md lesson 11).
// Boundaries come from ../shared/reference/layouts.md §C/§E.3; the ones checked in kernel
// source for this file, or still believed only, are marked in each comment.
#include "mm/layout_arm.h"

namespace kmemu {

namespace {
constexpr u64 kFixmapStartOld = 0xfff00000; // FIXADDR_START ≤3.18 (asm/fixmap.h)
constexpr u64 kFixmapTopOld = 0xfffe0000;   // FIXADDR_TOP ≤3.18
constexpr u64 kFixmapStartNew = 0xffc00000; // FIXADDR_START 3.19+
constexpr u64 kFixmapEndNew = 0xfff00000;   // FIXADDR_END 3.19+; FIXADDR_TOP = END - PAGE_SIZE
} // namespace

ArmRules arm_rules_for(KernelVersion v) {
    ArmRules r;
    r.version = v;

    // VMSPLIT_3G_OPT (depends on !ARM_LPAE): present in 4.4, absent in 3.19 (arch/arm/Kconfig).
    r.has_vmsplit_3g_opt = v.at_least(4, 4);
    // CONFIG_ARM_LPAE was merged for 3.3.
    r.has_lpae = v.at_least(3, 3);
    // ARM HIGHMEM support (kmap/pkmap/fixmap) arrived in 2.6.29.
    r.has_highmem = v.at_least(2, 6, 29);
    // ARM_PATCH_PHYS_VIRT (2.6.39): __fixup_pv_table needs PHYS_OFFSET - PAGE_OFFSET 16 MiB
    // aligned; 5.11 ("ARM: p2v: reduce p2v alignment requirement to 2 MiB") relaxed it.
    if (v.at_least(5, 11))
        r.phys_offset_align = 2 * MiB;
    else if (v.at_least(2, 6, 39))
        r.phys_offset_align = 16 * MiB;
    // TASK_UNMAPPED_BASE: PAGE_OFFSET/3 in 3.6.5, ALIGN(TASK_SIZE/3, 16M) in 5.4.18; the switch
    // is placed at 4.0 (unverified).
    r.task_unmapped_base = v.at_least(4, 0) ? ArmTaskUnmappedBase::AlignedTaskSizeThird
                                            : ArmTaskUnmappedBase::PageOffsetThird;

    // Fixmap: 896 KiB window 0xfff00000-0xfffe0000 up to 3.18, 3 MiB 0xffc00000-0xfff00000 from
    // 3.19 (asm/fixmap.h; 3.19 believed, the reference's K319 has it).
    if (v.at_least(3, 19)) {
        r.fixaddr_start = kFixmapStartNew;
        r.fixmap_end = kFixmapEndNew;
        r.fixaddr_top = kFixmapEndNew - 4 * KiB;
    } else {
        r.fixaddr_start = kFixmapStartOld;
        r.fixaddr_top = kFixmapTopOld;
        r.fixmap_end = kFixmapTopOld;
    }
    // Consistent DMA region (CONSISTENT_END 0xffe00000, 2 MiB default) until the dma-mapping
    // rework removed it in 3.6.
    r.has_consistent_dma = !v.at_least(3, 6);
    // PCI_IO_VIRT_BASE fixed I/O window (asm/io.h), 3.7+.
    r.has_pci_io_window = v.at_least(3, 7);
    // FDT_FIXED_BASE (asm/memory.h), 5.10+.
    r.has_fdt_fixed_map = v.at_least(5, 10);

    // VMALLOC_END: per machine ≤3.2 (mach/vmalloc.h); kmemu takes vexpress, the board nearest
    // QEMU virt: 0xf8000000 (checked: torvalds/linux mach-vexpress/include/mach/vmalloc.h).
    // 0xff000000 in 3.3 (K338) .. 4.2 (K42); 0xff800000 from 4.4 (ARM 8432/1, believed 4.4).
    if (v.at_least(4, 4))
        r.vmalloc_end = 0xff800000;
    else if (v.at_least(3, 3))
        r.vmalloc_end = 0xff000000;
    else
        r.vmalloc_end = 0xf8000000;

    // vmalloc_min / vmalloc= (arch/arm/mm/mmu.c): VMALLOC_END - 128M up to 3.0 at least
    // (checked in a 3.0.27 tree), 240M + VMALLOC_OFFSET in 3.3 (K338; 3.3 assumed, together with
    // the unified VMALLOC_END); the vmalloc_size form (bound includes the offset also for
    // vmalloc=) came with Russell King's 2021 mmu.c series, taken as 5.14. Before 2.6.25 ARM
    // had no vmalloc= and no lowmem bound (unverified boundary).
    if (v.at_least(5, 14))
        r.vmalloc_min = ArmVmallocMin::SizePlusOffset;
    else if (v.at_least(3, 3))
        r.vmalloc_min = ArmVmallocMin::End240MPlusOffset;
    else if (v.at_least(2, 6, 25))
        r.vmalloc_min = ArmVmallocMin::End128M;
    else
        r.vmalloc_min = ArmVmallocMin::None;

    // Lowmem bound: meminfo banks until the meminfo removal (3.16, checked: that change
    // introduced find_limits' PFN_DOWN(memblock_get_current_limit())), memblock after.
    if (v.at_least(3, 16))
        r.lowmem_algo = ArmLowmemAlgo::MemblockRegions;
    else if (v.at_least(2, 6, 25))
        r.lowmem_algo = ArmLowmemAlgo::MeminfoBanks;
    else
        r.lowmem_algo = ArmLowmemAlgo::AllRam;
    // memblock_limit rounded down to PMD_SIZE in adjust/sanity_check_meminfo, 3.19+.
    r.max_low_pfn_pmd_rounded = v.at_least(3, 19);
    // First memblock region forced PMD aligned: in 5.4.18, not in 4.19 (taken as 5.0).
    r.first_region_pmd_aligned = v.at_least(5, 0);

    // Old vmlinux.lds put .init before .text; mem_init printed .init first up to 3.2 and the
    // .text/.init/.data/.bss order from 3.3 (K338). The image order follows the printout.
    r.init_before_text = !v.at_least(3, 3);
    // The block is printed from about 2.6.37 (absent in 2.6.32) until ARM 8820/1 removed it,
    // believed 5.1 (absent in 5.4.18).
    r.prints_layout_block = v.at_least(2, 6, 37) && !v.at_least(5, 1);
    // 4.15 hashes %p; before the random key is ready it prints "(ptrval)" (lib/vsprintf.c).
    if (v.at_least(4, 15))
        r.layout_block = ArmLayoutBlock::Ptrval;
    else if (v.at_least(3, 3))
        r.layout_block = ArmLayoutBlock::Sections;
    else
        r.layout_block = ArmLayoutBlock::Dma;
    return r;
}

} // namespace kmemu
