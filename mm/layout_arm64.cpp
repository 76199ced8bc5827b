#include "mm/layout_arm64.h"

#include <algorithm>

#include "mm/machine_config.h"
#include "mm/ram_map.h"

namespace kmemu {

namespace {

constexpr u64 kStructPageSize = 64;  // sizeof(struct page), STRUCT_PAGE_MAX_SHIFT = 6
constexpr u64 kPciIoSize = 16 * MiB; // PCI_IO_SIZE
constexpr u64 kFdtWindow = 4 * MiB;  // FIX_FDT_SIZE = MAX_FDT_SIZE (2M) + 2M

// -2^bits as an address (the start of the TTBR1 range for VA_BITS = bits).
constexpr u64 neg_pow2(unsigned bits) {
    return ~u64{0} << bits;
}

} // namespace

// Era boundaries: D.2 of the reference for the layouts; versions marked "from memory" are the
// mainline commits as remembered, not re-read in source (see the helper report).
Arm64Rules arm64_rules_for(KernelVersion v) {
    Arm64Rules r;
    r.version = v;
    r.exists = v.at_least(3, 7);
    r.has_16k = v.at_least(4, 4);
    r.has_48bit = v.at_least(3, 17); // "arm64: Add 4 levels of page tables" (from memory)

    if (v.at_least(6, 9))
        r.era = Arm64VaEra::Reorg; // "arm64: Reorganize kernel VA space for LPA2" (from memory)
    else if (v.at_least(5, 11))
        r.era = Arm64VaEra::Projection; // "arm64: mm: make vmemmap region a projection of the
                                        // linear region" (from memory)
    else if (v.at_least(5, 4))
        r.era = Arm64VaEra::Flipped;
    else if (v.at_least(4, 6))
        r.era = Arm64VaEra::KimageLow;
    else
        r.era = Arm64VaEra::Legacy;
    r.vmemmap_pud_aligned = v.at_least(3, 17);
    r.pci_below_modules_2m = v.at_least(4, 0); // 4.0-4.5 printouts (reference D.2)

    // BPF JIT region: "arm64/bpf: don't allocate BPF JIT programs in module memory" (5.0) to
    // "arm64/bpf: Remove 128MB limit for BPF JIT programs" (5.17); both from memory.
    r.bpf_jit_region = v.at_least(5, 0) && !v.at_least(5, 17);
    // MODULES_VSIZE: 64 MiB below PAGE_OFFSET up to 4.5, 128 MiB from 4.6, 2 GiB from 6.5
    // ("arm64: module: rework module VA range selection", from memory).
    if (v.at_least(6, 5))
        r.modules_vsize = 2 * GiB;
    else if (v.at_least(4, 6))
        r.modules_vsize = 128 * MiB;
    else
        r.modules_vsize = 64 * MiB;
    r.text_offset = v.at_least(5, 8) ? 0 : 0x80000; // TEXT_OFFSET removed in 5.8
    r.memstart_granule_align = v.at_least(4, 6);

    if (v.at_least(5, 15))
        r.zones = Arm64ZoneRule::DmaBits32Masked;
    else if (v.at_least(5, 11))
        r.zones = Arm64ZoneRule::DmaBits32;
    else if (v.at_least(5, 5))
        r.zones = Arm64ZoneRule::Dma1GAndDma32;
    else if (v.at_least(5, 0))
        r.zones = Arm64ZoneRule::Dma32Window;
    else if (v.at_least(3, 15))
        r.zones = Arm64ZoneRule::Dma4GWindow;
    else
        r.zones = Arm64ZoneRule::Dma32Absolute;

    // Permanent fixmap slots (__end_of_permanent_fixed_addresses) of a defconfig build:
    //   3.7-4.1   FIX_HOLE, FIX_EARLYCON_MEM_BASE                               = 2
    //   4.2-4.15  FIX_HOLE, FIX_FDT (4 MiB), FIX_EARLYCON_MEM_BASE, FIX_TEXT_POKE0 = 3 + FDT
    //   4.16+     + FIX_ENTRY_TRAMP_DATA, FIX_ENTRY_TRAMP_TEXT (KPTI)          = 5 + FDT
    // FDT pages = 4 MiB / PAGE_SIZE. Per build; config.fixmap_slots overrides the total.
    r.fixmap_has_fdt = v.at_least(4, 2);
    r.fixmap_fixed_slots = v.at_least(4, 16) ? 5 : (v.at_least(4, 2) ? 3 : 2);

    // Typical arm64 defconfig Image section sizes (approximate; 64 KiB multiples):
    //   era         .text      .rodata   .init     .data     .bss
    //   3.7-4.5     0x0640000  0x200000  0x060000  0x0b0000  0x070000
    //   4.6-5.3     0x0a10000  0x4a0000  0x190000  0x170000  0x0e0000
    //   5.4-6.0     0x0fd0000  0x7e0000  0x280000  0x200000  0x1c0000
    //   6.1-6.13    0x1370000  0x9f0000  0x4e0000  0x2b0000  0x220000
    if (v.at_least(6, 1))
        r.image = {0x1370000, 0x9f0000, 0x4e0000, 0x2b0000, 0x220000};
    else if (v.at_least(5, 4))
        r.image = {0xfd0000, 0x7e0000, 0x280000, 0x200000, 0x1c0000};
    else if (v.at_least(4, 6))
        r.image = {0xa10000, 0x4a0000, 0x190000, 0x170000, 0xe0000};
    else
        r.image = {0x640000, 0x200000, 0x60000, 0xb0000, 0x70000};

    // The printout: the 3.19 order up to 4.5, the 4.9 order from 4.6; removed in 4.16
    // ("arm64: Stop printing the virtual memory layout", believed 4.16; reference E.4 sees
    // it absent in 4.19).
    r.prints_layout = !v.at_least(4, 16);
    r.print_49_order = v.at_least(4, 6);
    r.print_ptrval = v.at_least(4, 15) && !v.at_least(4, 16);
    return r;
}

namespace {

// PUD_SIZE, folded to PGDIR_SIZE when the configuration has fewer than 4 levels
// (asm-generic/pgtable-nopud.h): shift(n) = (PAGE_SHIFT - 3) * (4 - n) + 3.
u64 pud_size(unsigned page_shift, unsigned va_bits) {
    unsigned levels = (va_bits - 4) / (page_shift - 3);
    unsigned level = levels >= 4 ? 1 : 4 - levels;
    return u64{1} << ((page_shift - 3) * (4 - level) + 3);
}

// ARM64_MEMSTART_ALIGN: 4K granule PUD_SHIFT (1 GiB), 16K CONT_PMD_SHIFT (1 GiB), 64K
// PMD_SHIFT (512 MiB), from 4.6; 2 MiB before.
u64 memstart_align(const Arm64Rules& rules, unsigned page_shift) {
    if (!rules.memstart_granule_align)
        return 2 * MiB;
    return page_shift == 16 ? 512 * MiB : 1 * GiB;
}

// max_zone_phys(): the end of a DMA zone of `bits` address bits for DRAM [start, end).
u64 max_zone_phys(const Arm64Rules& rules, unsigned bits, u64 start, u64 end) {
    if (rules.zones == Arm64ZoneRule::DmaBits32Masked) {
        u64 mask = (u64{1} << bits) - 1;
        if (start > 0xffffffffULL)
            mask = ~u64{0};
        else if (start > mask)
            mask = 0xffffffffULL;
        return std::min(mask, end - 1) + 1;
    }
    u64 offset = start & ~((u64{1} << bits) - 1); // DRAM base & GENMASK(63, bits)
    return std::min(offset + (u64{1} << bits), end);
}

// The fixed VA regions of the era (everything but the linear map and the image).
struct Arm64Va {
    u64 page_offset, page_end;
    u64 bpf_start = 0, bpf_end = 0;
    u64 modules_vaddr, modules_end;
    u64 vmalloc_start, vmalloc_end;
    u64 vmemmap_start, vmemmap_size;
    u64 pci_io_start;
    u64 fixaddr_top;
    u64 kimage_vaddr; // virtual base the image is linked at, before TEXT_OFFSET
};

Arm64Va arm64_va(const Arm64Rules& rules, unsigned ps, unsigned va) {
    Arm64Va a{};
    const u64 va_start = neg_pow2(va);
    const u64 pud = pud_size(ps, va);
    switch (rules.era) {
    case Arm64VaEra::Legacy: {
        // memory.h/pgtable.h of 3.x-4.5.
        a.page_offset = neg_pow2(va - 1);
        a.page_end = 0;
        a.modules_end = a.page_offset;
        a.modules_vaddr = a.page_offset - rules.modules_vsize;
        a.vmalloc_start = va_start;
        if (rules.vmemmap_pud_aligned) {
            a.vmemmap_size = align_up((u64{1} << (va - ps)) * kStructPageSize, pud);
            a.vmalloc_end = a.page_offset - pud - a.vmemmap_size - 64 * KiB;
        } else {
            // 3.7-3.16: a fixed 16 GiB hole for vmemmap below PAGE_OFFSET.
            a.vmemmap_size = (u64{1} << (va - ps)) * kStructPageSize;
            a.vmalloc_end = a.page_offset - 16 * GiB - 64 * KiB;
        }
        a.vmemmap_start = a.vmalloc_end + 64 * KiB;
        if (rules.pci_below_modules_2m) {
            a.pci_io_start = a.modules_vaddr - 2 * MiB - kPciIoSize;
            a.fixaddr_top = a.pci_io_start - 2 * MiB;
        } else {
            a.pci_io_start = a.modules_vaddr - 32 * MiB; // PCI_IOBASE (3.19 io.h)
            a.fixaddr_top = a.modules_vaddr - 2 * MiB - (u64{1} << ps);
        }
        a.kimage_vaddr = a.page_offset;
        break;
    }
    case Arm64VaEra::KimageLow: {
        a.page_offset = neg_pow2(va - 1);
        a.page_end = 0;
        a.modules_vaddr = va_start; // + KASAN_SHADOW_SIZE (0 without KASAN)
        if (rules.bpf_jit_region) {
            a.bpf_start = va_start;
            a.bpf_end = va_start + 128 * MiB;
            a.modules_vaddr = a.bpf_end;
        }
        a.modules_end = a.modules_vaddr + rules.modules_vsize;
        a.vmalloc_start = a.modules_end;
        a.vmemmap_size = u64{1} << (va - ps - 1 + 6);
        a.vmemmap_start = a.page_offset - a.vmemmap_size;
        a.vmalloc_end = a.page_offset - pud - a.vmemmap_size - 64 * KiB;
        a.pci_io_start = a.vmemmap_start - 2 * MiB - kPciIoSize;
        a.fixaddr_top = a.pci_io_start - 2 * MiB;
        a.kimage_vaddr = a.modules_end;
        break;
    }
    case Arm64VaEra::Flipped:
    case Arm64VaEra::Projection:
    case Arm64VaEra::Reorg: {
        a.page_offset = neg_pow2(va);  // _PAGE_OFFSET(VA_BITS)
        a.page_end = neg_pow2(va - 1); // _PAGE_END(VA_BITS_MIN); VA_BITS <= 48 here
        a.modules_vaddr = a.page_end;  // KASAN_SHADOW_END = PAGE_END without KASAN
        if (rules.bpf_jit_region) {
            a.bpf_start = a.page_end;
            a.bpf_end = a.page_end + 128 * MiB;
            a.modules_vaddr = a.bpf_end;
        }
        a.modules_end = a.modules_vaddr + rules.modules_vsize;
        a.vmalloc_start = a.modules_end;
        a.kimage_vaddr = a.modules_end;
        const u64 linear = a.page_end - a.page_offset;
        if (rules.era == Arm64VaEra::Flipped) {
            a.vmemmap_size = linear >> (ps - 6);
            a.vmemmap_start = 0 - a.vmemmap_size - 2 * MiB;
            a.pci_io_start = a.vmemmap_start - 2 * MiB - kPciIoSize;
            a.fixaddr_top = a.pci_io_start - 2 * MiB;
            a.vmalloc_end = 0 - pud - a.vmemmap_size - 64 * KiB;
        } else if (rules.era == Arm64VaEra::Projection) {
            const unsigned vmemmap_shift = ps - 6;
            a.vmemmap_size = linear >> vmemmap_shift;
            a.vmemmap_start = neg_pow2(va - vmemmap_shift);
            a.vmalloc_end = a.vmemmap_start - 256 * MiB;
            a.pci_io_start = a.vmemmap_start - 8 * MiB - kPciIoSize;
            a.fixaddr_top = a.vmemmap_start - 32 * MiB;
        } else {
            const u64 vmemmap_end = 0 - 1 * GiB;
            a.vmemmap_size = (linear >> ps) * kStructPageSize;
            a.vmemmap_start = vmemmap_end - a.vmemmap_size;
            a.vmalloc_end = a.vmemmap_start - 8 * MiB;
            a.pci_io_start = vmemmap_end + 8 * MiB;
            a.fixaddr_top = 0 - 8 * MiB;
        }
        break;
    }
    }
    return a;
}

KernelImage arm64_image(const Arm64Rules& rules, u64 kimage_vaddr, u64 phys_offset) {
    // Sections in vmlinux.lds order: text, rodata, init, data, bss, each 64 KiB aligned
    // (SEGMENT_ALIGN). _text = KIMAGE_VADDR + TEXT_OFFSET; physical = PHYS_OFFSET + the same
    // offset (the bootloader loads the Image at the start of RAM + text_offset).
    const auto& s = rules.image;
    constexpr u64 seg = 64 * KiB;
    KernelImage img;
    img.phys_start = PhysAddr(phys_offset + rules.text_offset);
    img.text = VirtAddr(kimage_vaddr + rules.text_offset);
    img.stext = img.text;
    img.etext = img.text.offset(s.text);
    img.start_rodata = img.etext.align_up(seg);
    img.end_rodata = img.start_rodata.offset(s.rodata);
    img.init_begin = img.end_rodata.align_up(seg);
    img.init_end = img.init_begin.offset(s.init);
    img.sdata = img.init_end.align_up(seg);
    img.edata = img.sdata.offset(s.data);
    img.bss_start = img.edata.align_up(4 * KiB);
    img.bss_stop = img.bss_start.offset(s.bss);
    img.end = img.bss_stop.align_up(seg);
    return img;
}

} // namespace

ErrorOr<Layout> compute_layout_arm64(const MachineConfig& config, const Arm64Rules& rules,
                                     const RamMap& ram) {
    if (config.arch != Arch::Arm64)
        return make_error(ErrorKind::Internal, "arm64 layout asked for arch={}",
                          arch_name(config.arch));
    const std::string ver = rules.version.to_string();
    if (!rules.exists)
        return make_error(ErrorKind::InvalidConfig,
                          "arch=arm64 is not allowed with kernel={} (arch/arm64 exists from "
                          "kernel 3.7)",
                          ver);
    const unsigned ps = config.page_shift();
    const unsigned va = config.arm64_va_bits();
    const bool combo_ok = (ps == 12 && (va == 39 || va == 48)) ||
                          (ps == 14 && (va == 47 || va == 48)) ||
                          (ps == 16 && (va == 42 || va == 48));
    if (!combo_ok)
        return make_error(ErrorKind::InvalidConfig,
                          "va_bits: {} is not allowed with page={}K (allowed: 39 or 48 with 4K, "
                          "47 or 48 with 16K, 42 or 48 with 64K)",
                          va, (u64{1} << ps) / KiB);
    if (ps == 14 && !rules.has_16k)
        return make_error(ErrorKind::InvalidConfig,
                          "page: 16K is not allowed with kernel={} arch=arm64 (16K pages exist "
                          "from kernel 4.4)",
                          ver);
    if (va == 48 && !rules.has_48bit)
        return make_error(ErrorKind::InvalidConfig,
                          "va_bits: 48 is not allowed with kernel={} arch=arm64 (48-bit VA "
                          "exists from kernel 3.17; allowed: 39 with 4K, 42 with 64K)",
                          ver);

    auto dram_first = ram.usable_start();
    if (!dram_first || ram.usable_bytes() == 0)
        return make_error(ErrorKind::InvalidConfig, "mem: the memory map has no usable RAM");
    const Arm64Va a = arm64_va(rules, ps, va);
    const u64 page = u64{1} << ps;

    // memstart_addr = round_down(memblock_start_of_DRAM(), ARM64_MEMSTART_ALIGN). RAM beyond
    // the linear region's reach is removed from memblock (arm64_memblock_init).
    const u64 dram_start = dram_first->get();
    const u64 memstart = align_down(dram_start, memstart_align(rules, ps));
    const u64 linear_size = (a.page_end == 0 ? 0 - a.page_offset : a.page_end - a.page_offset);
    const u64 reach = memstart + linear_size;
    u64 dram_end = 0;
    for (const auto& r : ram.ranges)
        if (r.type == RamType::Usable && r.start.get() < reach)
            dram_end = std::max(dram_end, std::min(r.end.get(), reach));

    Layout l;
    l.arch = Arch::Arm64;
    l.word_bits = 64;
    l.page_shift = ps;
    l.page_offset = VirtAddr(a.page_offset);
    l.phys_offset = PhysAddr(memstart);
    l.task_size = VirtAddr(u64{1} << va); // TASK_SIZE_64

    // min_low_pfn = PFN_UP(start of DRAM); max_low_pfn = max_pfn = PFN_DOWN(end of DRAM);
    // high_memory = __va(memblock_end_of_DRAM() - 1) + 1.
    const u64 min_pfn = align_up(dram_start, page) >> ps;
    const u64 max_pfn = dram_end >> ps;
    l.min_low_pfn = Pfn(min_pfn);
    l.max_low_pfn = Pfn(max_pfn);
    l.max_pfn = Pfn(max_pfn);
    l.high_memory = l.va(PhysAddr(dram_end - 1)).offset(1);
    l.lowmem_bytes = (max_pfn - min_pfn) << ps;
    l.highmem_bytes = 0;

    l.vmalloc_offset = 0; // no VMALLOC_OFFSET gap on 64-bit: vmalloc has a fixed base
    l.vmalloc_start = VirtAddr(a.vmalloc_start);
    l.vmalloc_end = VirtAddr(a.vmalloc_end); // exclusive, as arm64 defines it
    l.pkmap_base.reset();
    l.last_pkmap = 0;

    unsigned slots = rules.fixmap_fixed_slots +
                     (rules.fixmap_has_fdt ? static_cast<unsigned>(kFdtWindow >> ps) : 0);
    slots = config.fixmap_slots.value_or(slots);
    l.fixaddr_top = VirtAddr(a.fixaddr_top);
    l.fixaddr_start = l.fixaddr_top.offset_down(u64{slots} << ps);
    l.modules_vaddr = VirtAddr(a.modules_vaddr);
    l.modules_end = VirtAddr(a.modules_end);

    // Zones (zone_sizes_init of the era); spans clipped to [min_pfn, max_pfn).
    auto add_zone = [&](ZoneType type, u64 lo, u64 hi) {
        lo = std::max(lo, min_pfn);
        hi = std::min(hi, max_pfn);
        if (lo < hi)
            l.zones.push_back(ZoneSpan{type, Pfn(lo), Pfn(hi)});
    };
    u64 low_end = 0; // end pfn of the DMA-capable zones
    switch (rules.zones) {
    case Arm64ZoneRule::Dma32Absolute:
        low_end = std::max(min_pfn, std::min(max_pfn, (4 * GiB) >> ps)); // MAX_DMA32_PFN
        add_zone(ZoneType::Dma32, 0, low_end);
        break;
    case Arm64ZoneRule::Dma4GWindow:
    case Arm64ZoneRule::Dma32Window:
        low_end = max_zone_phys(rules, 32, dram_start, dram_end) >> ps;
        add_zone(rules.zones == Arm64ZoneRule::Dma4GWindow ? ZoneType::Dma : ZoneType::Dma32, 0,
                 low_end);
        break;
    case Arm64ZoneRule::Dma1GAndDma32: {
        u64 dma = max_zone_phys(rules, 30, dram_start, dram_end) >> ps; // ARM64_ZONE_DMA_BITS
        low_end = max_zone_phys(rules, 32, dram_start, dram_end) >> ps;
        add_zone(ZoneType::Dma, 0, dma);
        add_zone(ZoneType::Dma32, dma, low_end);
        break;
    }
    case Arm64ZoneRule::DmaBits32:
    case Arm64ZoneRule::DmaBits32Masked:
        // zone_dma_bits = min(32, DT dma-ranges, IORT) = 32 on QEMU virt; ZONE_DMA32 ends at
        // the same max_zone_phys(32) and is empty.
        low_end = max_zone_phys(rules, 32, dram_start, dram_end) >> ps;
        add_zone(ZoneType::Dma, 0, low_end);
        break;
    }
    add_zone(ZoneType::Normal, low_end, max_pfn);

    l.image = arm64_image(rules, a.kimage_vaddr, memstart);

    auto add = [&](const char* name, u64 start, u64 end) {
        l.regions.push_back(NamedRegion{name, VirtAddr(start), VirtAddr(end)});
    };
    add("vmemmap", a.vmemmap_start, a.vmemmap_start + a.vmemmap_size);
    add("pci_io", a.pci_io_start, a.pci_io_start + kPciIoSize);
    if (rules.bpf_jit_region)
        add("bpf_jit", a.bpf_start, a.bpf_end);
    add("kimage", rules.era == Arm64VaEra::Legacy ? l.image.text.get() : a.kimage_vaddr,
        l.image.end.get());
    std::sort(l.regions.begin(), l.regions.end(),
              [](const NamedRegion& x, const NamedRegion& y) { return x.start < y.start; });
    return l;
}

} // namespace kmemu
