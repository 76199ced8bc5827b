// 32-bit ARM layout rules (arch=arm classic short-descriptor, arch=arm-lpae): the per-version
// constants and formulas of ../shared/reference/layouts.md §C and §E.3, for kmemu's default
// board, QEMU `virt` (RAM at PHYS_OFFSET 0x40000000, Cortex-A15: PIPT caches, no TCM, no
// ZONE_DMA). ArmRules is this arch's part of KernelProfile: every version comparison for the
// ARM layout happens once, in arm_rules_for().
#pragma once

#include <string>

#include "mm/kernel_version.h"
#include "mm/layout.h"

namespace kmemu {

struct MachineConfig;
struct RamMap;

// TASK_UNMAPPED_BASE (arch/arm/include/asm/memory.h).
enum class ArmTaskUnmappedBase {
    PageOffsetThird,     // PAGE_OFFSET / 3
    AlignedTaskSizeThird // ALIGN(TASK_SIZE / 3, 16M)
};

// How the default lowmem bound (vmalloc_min) and `vmalloc=` are computed (arch/arm/mm/mmu.c).
enum class ArmVmallocMin {
    None,              // no vmalloc_min, no vmalloc= (lowmem is all RAM)
    End128M,           // VMALLOC_END - 128M; vmalloc=S gives VMALLOC_END - S
    End240MPlusOffset, // VMALLOC_END - 240M - 8M; vmalloc=S gives VMALLOC_END - S (no offset)
    SizePlusOffset     // vmalloc_size (240M or S); bound VMALLOC_END - size - 8M
};

// How arm_lowmem_limit is found from the memory banks.
enum class ArmLowmemAlgo {
    AllRam,         // bootmem_init maps every bank; high_memory = __va(end of RAM)
    MeminfoBanks,   // sanity_check_meminfo over meminfo banks (split at __pa(vmalloc_min))
    MemblockRegions // sanity_check_meminfo / adjust_lowmem_bounds over memblock, 64-bit bound
};

// Which "Virtual kernel memory layout:" format (arch/arm/mm/init.c mem_init).
enum class ArmLayoutBlock {
    Dma,      // vector, fixmap, DMA, vmalloc, lowmem, [pkmap], modules, .init, .text, .data
    Sections, // vector, fixmap, vmalloc, lowmem, [pkmap], modules, .text, .init, .data, .bss
    Ptrval    // as Sections, but early %p prints "(ptrval)" for the section addresses
};

struct ArmRules {
    KernelVersion version;

    // --- splits and early boot ---
    bool has_vmsplit_3g_opt = false; // VMSPLIT_3G_OPT (0xB0000000, !LPAE)
    bool has_lpae = false;           // CONFIG_ARM_LPAE exists
    bool has_highmem = false;        // CONFIG_HIGHMEM exists on ARM
    // PHYS_OFFSET alignment that the p2v runtime patching demands (0: no runtime patching,
    // PHYS_OFFSET is a build constant).
    u64 phys_offset_align = 0;
    ArmTaskUnmappedBase task_unmapped_base = ArmTaskUnmappedBase::PageOffsetThird;

    // --- fixed regions at the top of the address space ---
    u64 fixaddr_start = 0; // FIXADDR_START
    u64 fixaddr_top = 0;   // FIXADDR_TOP (last usable slot end)
    u64 fixmap_end = 0;    // end of the fixmap window as printed (TOP ≤3.18, FIXADDR_END 3.19+)
    bool has_consistent_dma = false; // CONSISTENT_BASE..CONSISTENT_END (0xffc00000-0xffe00000)
    bool has_pci_io_window = false;  // PCI_IO_VIRT_BASE 0xfee00000, 2 MiB
    bool has_fdt_fixed_map = false;  // FDT_FIXED_BASE 0xff800000, 2 sections

    // --- vmalloc and lowmem ---
    u64 vmalloc_end = 0; // VMALLOC_END
    ArmVmallocMin vmalloc_min = ArmVmallocMin::None;
    ArmLowmemAlgo lowmem_algo = ArmLowmemAlgo::AllRam;
    // max_low_pfn = PFN_DOWN(memblock current limit), which is the lowmem limit rounded down
    // to PMD_SIZE (3.19+); before, the end of the last lowmem bank.
    bool max_low_pfn_pmd_rounded = false;
    // The first memblock region is made PMD aligned (head marked nomap). Cannot trigger in
    // kmemu: RAM must start at PHYS_OFFSET, which is at least 2 MiB aligned. Kept as a record.
    bool first_region_pmd_aligned = false;

    // --- kernel image and the boot printout ---
    bool init_before_text = false; // .init linked before .text (old vmlinux.lds)
    bool prints_layout_block = false;
    ArmLayoutBlock layout_block = ArmLayoutBlock::Sections; // format used (or nearest era's)
};

[[nodiscard]] ArmRules arm_rules_for(KernelVersion version);
[[nodiscard]] ErrorOr<Layout> compute_layout_arm(const MachineConfig& config, const ArmRules& rules,
                                                 const RamMap& ram);
// The "Virtual kernel memory layout:" block (E.3). For versions that do not print it, the
// format of the nearest version that did.
[[nodiscard]] std::string render_layout_block_arm(const Layout& layout, const ArmRules& rules);

// TASK_UNMAPPED_BASE for a layout computed by compute_layout_arm.
[[nodiscard]] VirtAddr arm_task_unmapped_base(const Layout& layout, const ArmRules& rules);

// The typical multi_v7_defconfig (vexpress_defconfig before it existed) section sizes of the
// era, page-aligned bytes; see layout_arm_image.cpp.
struct ArmImageSizes {
    u64 head = 0;   // _text.._stext (head text)
    u64 text = 0;   // _stext.._etext, rodata included
    u64 rodata = 0; // __start_rodata..__end_rodata, the tail of the text range
    u64 init = 0;   // __init_begin..__init_end
    u64 data = 0;   // _sdata.._edata
    u64 bss = 0;    // __bss_start..__bss_stop
};
[[nodiscard]] ArmImageSizes arm_image_sizes(KernelVersion version);
// Lay the image out from KERNEL_RAM_VADDR in the era's section order.
[[nodiscard]] KernelImage arm_kernel_image(const ArmRules& rules, VirtAddr kernel_ram_vaddr,
                                           PhysAddr kernel_ram_paddr);

} // namespace kmemu
