// Layout: the constants a booted kernel computes for its virtual address space and its zones,
// for one arch, kernel version and configuration (DESIGN.md decision 2). Computed once at boot
// by the arch's rules (layout_<arch>.cpp); read-only afterwards.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "mm/arch.h"
#include "mm/error.h"
#include "mm/types.h"

namespace kmemu {

struct MachineConfig;
struct RamMap;
struct KernelProfile;

// Zone types in the kernel's order (enum zone_type).
enum class ZoneType { Dma, Dma32, Normal, HighMem, Movable };
[[nodiscard]] const char*
zone_name(ZoneType type); // "DMA", "DMA32", "Normal", "HighMem", "Movable"

struct ZoneSpan {
    ZoneType type;
    Pfn start; // zone_start_pfn
    Pfn end;   // exclusive; spanned pages = end - start
    bool operator==(const ZoneSpan&) const = default;
};

// An arch-specific virtual region that has no field of its own (cpu_entry_area, LDT remap,
// vmemmap, PCI I/O, vectors, KASAN shadow, FDT, ...). Named as the kernel's printout names it.
struct NamedRegion {
    std::string name;
    VirtAddr start;
    VirtAddr end; // exclusive
    bool operator==(const NamedRegion&) const = default;
};

// The kernel image: where the arch and version load it, and its section symbols.
struct KernelImage {
    PhysAddr phys_start;               // physical address of _text
    VirtAddr text;                     // _text
    VirtAddr stext;                    // _stext
    VirtAddr etext;                    // _etext
    VirtAddr start_rodata, end_rodata; // __start_rodata, __end_rodata
    VirtAddr sdata;                    // _sdata
    VirtAddr edata;                    // _edata
    VirtAddr init_begin, init_end;     // __init_begin, __init_end
    VirtAddr bss_start, bss_stop;      // __bss_start, __bss_stop
    VirtAddr end;                      // _end
    // Physical address of a kernel-image virtual address.
    [[nodiscard]] PhysAddr pa(VirtAddr va) const { return phys_start.offset(va.minus(text)); }
    [[nodiscard]] VirtAddr va(PhysAddr pa) const { return text.offset(pa.minus(phys_start)); }
};

struct Layout {
    Arch arch = Arch::X86_64;
    unsigned word_bits = 64;
    unsigned page_shift = 12;
    unsigned phys_bits = 32; // the CPU's physical address width (phys_bits= or the arch default)

    // Direct (linear) map: __va(p) = page_offset + (p - phys_offset).
    VirtAddr page_offset; // PAGE_OFFSET
    PhysAddr phys_offset; // PHYS_OFFSET (0 on x86)
    VirtAddr task_size;   // TASK_SIZE

    VirtAddr high_memory;
    Pfn min_low_pfn; // first RAM pfn (ARM: PHYS_PFN_OFFSET)
    Pfn max_low_pfn;
    Pfn max_pfn;
    u64 lowmem_bytes = 0;  // bytes of RAM span mapped by the direct map
    u64 highmem_bytes = 0; // bytes of RAM span above it (32-bit HIGHMEM)

    u64 vmalloc_offset = 0; // VMALLOC_OFFSET
    VirtAddr vmalloc_start; // VMALLOC_START
    VirtAddr vmalloc_end;   // VMALLOC_END (exclusive)

    std::optional<VirtAddr> pkmap_base; // PKMAP_BASE, only with HIGHMEM
    u64 last_pkmap = 0;                 // LAST_PKMAP (0 without HIGHMEM)

    VirtAddr fixaddr_start; // FIXADDR_START
    VirtAddr fixaddr_top;   // FIXADDR_TOP

    VirtAddr modules_vaddr; // MODULES_VADDR
    VirtAddr modules_end;   // MODULES_END

    std::vector<ZoneSpan> zones;      // in ZoneType order, only zones that exist
    std::vector<NamedRegion> regions; // arch extras, in address order
    KernelImage image;

    [[nodiscard]] u64 page_size() const { return u64{1} << page_shift; }
    [[nodiscard]] Pfn pfn_of(PhysAddr pa) const { return kmemu::pfn_of(pa, page_shift); }
    [[nodiscard]] PhysAddr phys_of(Pfn pfn) const { return kmemu::phys_of(pfn, page_shift); }
    // __va / __pa for the direct map (no range check; see the virt_addr_valid family later).
    [[nodiscard]] VirtAddr va(PhysAddr pa) const {
        return page_offset.offset(pa.minus(phys_offset));
    }
    [[nodiscard]] PhysAddr pa(VirtAddr va) const {
        return phys_offset.offset(va.minus(page_offset));
    }
    [[nodiscard]] const NamedRegion* region(std::string_view name) const;
    [[nodiscard]] const ZoneSpan* zone(ZoneType type) const;
};

// Compute the layout by the rules of config.arch and the profile's kernel version.
[[nodiscard]] ErrorOr<Layout> compute_layout(const MachineConfig& config,
                                             const KernelProfile& profile, const RamMap& ram);

// One line of the x86 mem_init layout block: `prefix` is everything up to the colon
// ("    fixmap  ", "  cpu_entry ", "      .init "), addresses in `addr_digits` hex digits, and
// the size `%4ld` of (end - start) >> shift, which widens past 4 digits
// (arch/x86/mm/init_32.c mem_init, 2.6.18-5.6).
void append_layout_line(std::string& out, std::string_view prefix, u64 start, u64 end,
                        unsigned shift, std::string_view unit, unsigned addr_digits);

// The boot-time "virtual kernel memory layout:" block in the printk format of that arch and
// version (or of the last version that printed it). One string, lines ending in '\n'.
[[nodiscard]] std::string render_layout_block(const Layout& layout, const KernelProfile& profile);

} // namespace kmemu
