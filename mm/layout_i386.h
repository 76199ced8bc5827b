// i386 layout rules: the per-version constants and the formulas of ../shared/reference/layouts.md
// §A and §E.1 for arch=i386 (2-level) and arch=i386-pae (3-level). The rules struct is this
// arch's part of KernelProfile; every version comparison for the i386 layout lives in
// i386_rules_for() and nowhere else.
#pragma once

#include <string>

#include "mm/kernel_version.h"
#include "mm/layout.h"

namespace kmemu {

struct MachineConfig;
struct RamMap;

// Names of the extra regions compute_layout_i386 puts in Layout::regions.
inline constexpr const char* kRegionCpuEntryArea =
    "cpu_entry_area";                            // CPU_ENTRY_AREA_BASE..+MAP_SIZE
inline constexpr const char* kRegionLdt = "ldt"; // LDT_BASE_ADDR..LDT_END_ADDR
// [FIXADDR_BOOT_START or FIXADDR_TOT_START, FIXADDR_START): the boot-time (FIX_BTMAP) slots
// plus the slots after them. The name follows the kernel's macro of that era.
inline constexpr const char* kRegionFixmapBoot = "fixmap_boot"; // FIXADDR_BOOT_START (<= 4.15)
inline constexpr const char* kRegionFixmapTot = "fixmap_tot";   // FIXADDR_TOT_START (>= 4.16)

// Where PKMAP_BASE (and with it VMALLOC_END) is anchored (reference A.4).
enum class I386TopEra {
    PkmapBelowBootFixmap, // <= 3.18: PKMAP_BASE below FIXADDR_BOOT_START
    PkmapBelowFixmap,     // 3.19-4.14: PKMAP_BASE below FIXADDR_START
    CeaBelowFixmap,       // 4.15: CPU_ENTRY_AREA below FIXADDR_START, PKMAP below it
    CeaBelowTotFixmap,    // 4.16-4.18: CPU_ENTRY_AREA below FIXADDR_TOT_START
    CeaLdtBelowTotFixmap, // >= 4.19: CEA, then the LDT remap (x86-32 PTI), then PKMAP
};

// How FIX_BTMAP_END is placed after the permanent slots (reference A.3).
enum class BtmapPlacement {
    Directly,         // 2.6.11-2.6.25: FIX_BTMAP_END = N
    RoundUpAlways,    // 2.6.26-2.6.36: next multiple of the BTMAP total above N
    RoundUpIfCrosses, // >= 2.6.37: only when N..N+total-1 would cross a PTE page
};

// How VMALLOC_START is derived from high_memory (reference A.8).
// 2.6.11-2.6.20 also add vmalloc_earlyreserve, which is 0 without NUMA/discontig; kmemu models
// non-NUMA kernels, so those versions use Round too.
enum class VmallocStartRule {
    Round,      // <= 2.6.27: align_down(high_memory + 2*VMALLOC_OFFSET - 1, VMALLOC_OFFSET)
    NoRounding, // >= 2.6.28: high_memory + VMALLOC_OFFSET
};

// Which VMSPLIT_* choices the version's Kconfig offers, and their constraints (reference A.1).
enum class SplitEra {
    Fixed3G,    // 2.6.11-2.6.15: PAGE_OFFSET hard-coded 0xC0000000
    OldVmsplit, // 2.6.16-2.6.23: 3G, 3G_OPT (!HIGHMEM), 2G = 0x78000000, 1G
    Vmsplit,    // >= 2.6.24: 3G, 3G_OPT (!PAE), 2G, 2G_OPT (!PAE), 1G
};

// Typical section sizes of a default i386 kernel of an era, in bytes (see kImageSizes in
// layout_i386_image.cpp for the table and its provenance).
struct I386ImageSizes {
    u64 head_text; // .head.text before _stext (0 when _stext == _text)
    u64 text;      // _stext.._etext
    u64 rodata;    // __start_rodata..__end_rodata
    u64 data;      // _sdata.._edata
    u64 init;      // __init_begin..__init_end (before page rounding)
    u64 bss;       // __bss_start..__bss_stop
    u64 brk;       // .brk reservation after the bss (2.6.30+)
};

// What changed between kernel versions for the i386 layout (filled from the version once).
struct I386Rules {
    KernelVersion version;

    // A.1 user/kernel split.
    SplitEra split_era = SplitEra::Vmsplit;

    // A.3 fixmap.
    BtmapPlacement btmap_placement = BtmapPlacement::RoundUpIfCrosses;
    unsigned btmap_total = 512;            // NR_FIX_BTMAPS * FIX_BTMAPS_SLOTS
    unsigned fixmap_slots_after_btmap = 1; // FIX_WP_TEST (32-bit; CONFIG_INTEL_TXT off)
    bool fixmap_total_named_tot = true;    // FIXADDR_TOT_START (else FIXADDR_BOOT_START)

    // Default permanent fixmap slots (__end_of_permanent_fixed_addresses) of a default config:
    // N = fixmap_fixed_slots + kmap_slots_per_cpu * NR_CPUS (kmap slots only with HIGHMEM where
    // kmap_slots_need_highmem).
    unsigned fixmap_fixed_slots = 0;
    unsigned kmap_slots_per_cpu = 0; // KM_TYPE_NR (<= 5.10) or KM_MAX_IDX (>= 5.11)
    bool kmap_slots_need_highmem = false;
    unsigned default_nr_cpus = 8; // CONFIG_NR_CPUS default for 32-bit SMP

    // A.4 region above vmalloc.
    I386TopEra top_era = I386TopEra::CeaLdtBelowTotFixmap;
    unsigned cea_pages_per_cpu = 0;        // reserved per CPU in CPU_ENTRY_AREA_PAGES
    unsigned cea_struct_pages_per_cpu = 0; // sizeof(struct cpu_entry_area) / PAGE_SIZE (printed)

    // A.5/A.6 vmalloc= and MAXMEM.
    bool vmalloc_param_adds_offset = true; // >= 2.6.28: __VMALLOC_RESERVE = SIZE + VMALLOC_OFFSET
    bool maxmem_from_vmalloc_end = true; // >= 2.6.28: MAXMEM = VMALLOC_END - PAGE_OFFSET - reserve

    // A.8.
    VmallocStartRule vmalloc_start_rule = VmallocStartRule::NoRounding;

    // A.7.1: e820 "ACPI data" entries count for max_pfn (e820__end_of_ram_pfn).
    bool acpi_counts_for_max_pfn = false;

    // A.9: bytes at physical 0 that setup_arch turns from RAM into reserved e820 before
    // memblock sees them (trim_bios_range), so the first zone starts above pfn 0.
    u64 low_e820_reserved_bytes = 0;

    // E.1 "virtual kernel memory layout:" block.
    bool prints_layout_block = true;  // the version itself prints it
    bool block_has_cpu_entry = false; // 4.15-5.6 (and the 5.6 format after 5.7)

    // Kernel image.
    u64 physical_start = 0x1000000; // LOAD_PHYSICAL_ADDR of a default config
    I386ImageSizes image{};
};

[[nodiscard]] I386Rules i386_rules_for(KernelVersion version);
// Default permanent fixmap slot count N for this version, CPU count and HIGHMEM setting.
[[nodiscard]] unsigned i386_default_fixmap_slots(const I386Rules& rules, unsigned nr_cpus,
                                                 bool highmem);
[[nodiscard]] ErrorOr<Layout> compute_layout_i386(const MachineConfig& config,
                                                  const I386Rules& rules, const RamMap& ram);
[[nodiscard]] std::string render_layout_block_i386(const Layout& layout, const I386Rules& rules);

// Internal helpers shared by the layout_i386*.cpp files.
[[nodiscard]] I386ImageSizes i386_image_sizes_for(KernelVersion version);
[[nodiscard]] KernelImage i386_kernel_image(const I386Rules& rules, VirtAddr page_offset);

} // namespace kmemu
