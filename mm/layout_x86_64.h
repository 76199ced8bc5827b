// x86_64 layout rules: the per-version constants and the formulas of
// ../shared/reference/layouts.md §B for this arch family, with KASLR off (nokaslr) and KASAN
// off. The rules struct is this arch's part of KernelProfile; x86_64_rules_for() is the only
// place that compares kernel versions.
#pragma once

#include <optional>
#include <string>

#include "mm/kernel_version.h"
#include "mm/layout.h"

namespace kmemu {

struct MachineConfig;
struct RamMap;

// Typical section sizes of an x86_64 defconfig vmlinux of one era (bytes). kmemu cannot know
// the real build; these only place the KernelImage symbols plausibly (see the table in
// layout_x86_64.cpp).
struct X86_64ImageSizes {
    u64 text, rodata, data, init, bss;
};

// The 5-level (LA57) bases; only meaningful when has_la57.
struct X86_64L5Bases {
    u64 page_offset = 0;
    u64 vmalloc_start = 0;
    u64 vmalloc_size = 0;
    u64 vmemmap_start = 0;
    std::optional<u64> ldt_start, ldt_end;
};

// What changed between kernel versions for this arch's layout (filled from the version once).
struct X86_64Rules {
    KernelVersion version;

    bool has_la57 = false; // CONFIG_X86_5LEVEL exists (4.14+)

    // 4-level bases (B.1).
    u64 page_offset = 0;              // __PAGE_OFFSET (page_offset_base with nokaslr)
    u64 vmalloc_start = 0;            // VMALLOC_START (vmalloc_base)
    u64 vmalloc_size = 0;             // VMALLOC_END + 1 - VMALLOC_START
    std::optional<u64> vmemmap_start; // VMEMMAP_START; SPARSEMEM_VMEMMAP on x86_64 from 2.6.24
    u64 vmemmap_size = 0;
    std::optional<u64> ldt_start, ldt_end; // PTI LDT remap (4.15+)
    X86_64L5Bases l5;

    bool has_cpu_entry_area = false; // CPU_ENTRY_AREA_BASE region (4.15+)
    bool has_espfix = false;         // ESPFIX_BASE_ADDR (3.16+)
    bool has_efi_region = false;     // EFI_VA_START..EFI_VA_END (3.14+)

    u64 kernel_image_size = 0; // KERNEL_IMAGE_SIZE (x86_64 defconfig of the era)
    u64 modules_vaddr = 0;     // MODULES_VADDR
    u64 modules_end = 0;       // MODULES_END
    u64 fixaddr_top = 0;       // FIXADDR_TOP
    unsigned fixmap_slots = 0; // default __end_of_permanent_fixed_addresses

    u64 physical_start = 0; // CONFIG_PHYSICAL_START default
    X86_64ImageSizes image;
    bool rodata_2m_aligned = false; // __start_rodata / _sdata on 2 MiB boundaries (3.0+)

    bool has_zone_dma32 = false;           // ZONE_DMA32 (2.6.15+)
    bool zones_start_at_first_ram = false; // zone_start_pfn from the lowest RAM pfn (2.6.19+)
    bool page0_reserved = false;           // trim_bios_range makes [0, 4K) reserved (2.6.32+)
    bool max_pfn_counts_acpi = false;      // e820 ACPI-data entries count for max_pfn (6.13)
};

[[nodiscard]] X86_64Rules x86_64_rules_for(KernelVersion version);
[[nodiscard]] ErrorOr<Layout> compute_layout_x86_64(const MachineConfig& config,
                                                    const X86_64Rules& rules, const RamMap& ram);
[[nodiscard]] std::string render_layout_block_x86_64(const Layout& layout,
                                                     const X86_64Rules& rules);

} // namespace kmemu
