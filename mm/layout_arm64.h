// arm64 layout rules: the per-version constants and the formulas of
// ../shared/reference/layouts.md §D for this arch, with KASLR off (nokaslr) and KASAN off.
// The rules struct is this arch's part of KernelProfile; arm64_rules_for() is the only place
// that compares kernel versions.
#pragma once

#include <string>

#include "mm/kernel_version.h"
#include "mm/layout.h"

namespace kmemu {

struct MachineConfig;
struct RamMap;

// The shape of the kernel VA space (D.2), one value per era.
enum class Arm64VaEra {
    Legacy,     // 3.7-4.5: linear map in the upper half, vmalloc from VA_START, image in linear map
    KimageLow,  // 4.6-5.3: image moved to the base of vmalloc (KASLR), vmemmap below PAGE_OFFSET
    Flipped,    // 5.4-5.10: linear map in the lower half, vmemmap at -VMEMMAP_SIZE - 2M
    Projection, // 5.11-6.8: vmemmap at -2^(VA_BITS - VMEMMAP_SHIFT), bigger guard gaps
    Reorg,      // 6.9+: vmemmap ends at -1G, PCI I/O and fixmap above it
};

// Where ZONE_DMA / ZONE_DMA32 end (arch/arm64/mm/init.c zone_sizes_init of the era).
enum class Arm64ZoneRule {
    Dma32Absolute,   // 3.7-3.14: ZONE_DMA32 below 4 GiB physical
    Dma4GWindow,     // 3.15-4.20: ZONE_DMA = first 4 GiB-aligned window of DRAM
    Dma32Window,     // 5.0-5.4: same limit, zone renamed ZONE_DMA32
    Dma1GAndDma32,   // 5.5-5.10: ZONE_DMA 30 bits + ZONE_DMA32 32 bits (windowed)
    DmaBits32,       // 5.11-5.14: zone_dma_bits = 32 without DT/IORT limits; DMA32 empty
    DmaBits32Masked, // 5.15+: same, with the max_zone_phys() that ignores DMA offsets
};

// Typical arm64 defconfig Image section sizes (bytes); see the table in layout_arm64.cpp.
struct Arm64ImageSizes {
    u64 text, rodata, init, data, bss;
};

struct Arm64Rules {
    KernelVersion version;
    bool exists = false;    // arch/arm64 is in the tree (3.7+)
    bool has_16k = false;   // CONFIG_ARM64_16K_PAGES (4.4+)
    bool has_48bit = false; // 48-bit VA / 4 levels (3.17+)
    Arm64VaEra era = Arm64VaEra::Legacy;
    bool vmemmap_pud_aligned = false;    // Legacy: VMEMMAP_SIZE = align(.., PUD_SIZE) (3.17+)
    bool pci_below_modules_2m = false;   // Legacy: PCI_IO_END = MODULES_VADDR - 2M (4.0+)
    bool bpf_jit_region = false;         // 128 MiB BPF_JIT region below the modules (5.0-5.16)
    u64 modules_vsize = 0;               // MODULES_VSIZE
    u64 text_offset = 0;                 // TEXT_OFFSET (0x80000 until 5.7, removed in 5.8)
    bool memstart_granule_align = false; // ARM64_MEMSTART_ALIGN per granule (4.6+), else 2M
    Arm64ZoneRule zones = Arm64ZoneRule::Dma32Absolute;
    unsigned fixmap_fixed_slots = 0; // permanent fixmap slots besides FIX_FDT
    bool fixmap_has_fdt = false;     // FIX_FDT (4 MiB window) among permanent slots (4.2+)
    Arm64ImageSizes image;

    // The boot printout of E.4.
    bool prints_layout = false;  // printed by mem_init (up to 4.15)
    bool print_49_order = false; // 4.6+ order (modules first) instead of the 3.19 order
    bool print_ptrval = false;   // 4.15: early %p hashing prints "(ptrval)"
};

[[nodiscard]] Arm64Rules arm64_rules_for(KernelVersion version);
[[nodiscard]] ErrorOr<Layout> compute_layout_arm64(const MachineConfig& config,
                                                   const Arm64Rules& rules, const RamMap& ram);
[[nodiscard]] std::string render_layout_block_arm64(const Layout& layout, const Arm64Rules& rules);

} // namespace kmemu
