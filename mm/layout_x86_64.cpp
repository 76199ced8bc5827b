#include "mm/layout_x86_64.h"

#include <algorithm>

#include <fmt/format.h>

#include "mm/machine_config.h"
#include "mm/ram_map.h"

namespace kmemu {

namespace {

constexpr u64 kStartKernelMap = 0xffffffff80000000;   // __START_KERNEL_map (every era)
constexpr u64 kCpuEntryAreaBase = 0xfffffe0000000000; // CPU_ENTRY_AREA_BASE (4.15+)
constexpr u64 kCpuEntryAreaSize = u64{1} << 39;       // one P4D/PGD slot reserved
constexpr u64 kEspfixBase = 0xffffff0000000000;       // ESPFIX_PGD_ENTRY -2 << PGDIR_SHIFT
constexpr u64 kEspfixSize = u64{1} << 39;
constexpr u64 kEfiVaEnd = 0xffffffef00000000;   // EFI_VA_END = -68 GiB
constexpr u64 kEfiVaStart = 0xffffffff00000000; // EFI_VA_START = -4 GiB (grows down)
constexpr u64 kDmaPfnLimit = (16 * MiB) >> 12;  // MAX_DMA_PFN
constexpr u64 kDma32PfnLimit = (4 * GiB) >> 12; // MAX_DMA32_PFN

} // namespace

// Boundaries are from ../shared/reference/layouts.md §B.1/B.2 and, where marked, from memory
// of the mainline commit (not re-read in source; see the helper report).
X86_64Rules x86_64_rules_for(KernelVersion v) {
    X86_64Rules r;
    r.version = v;
    r.has_la57 = v.at_least(4, 14); // CONFIG_X86_5LEVEL, 4.14

    // __PAGE_OFFSET: 0xffff810000000000 up to 2.6.26; 0xffff880000000000 from 2.6.27 (bigger
    // hypervisor hole; bracket 2.6.24.7..2.6.28, version unverified); 0xffff888000000000 from
    // 4.20 (LDT remap moved below the direct map, commit "x86/mm: Move LDT remap out of KASLR
    // region on 5-level paging").
    if (v.at_least(4, 20))
        r.page_offset = 0xffff888000000000;
    else if (v.at_least(2, 6, 27))
        r.page_offset = 0xffff880000000000;
    else
        r.page_offset = 0xffff810000000000;

    // VMALLOC_START/END and VMEMMAP_START: c2/e2 up to 2.6.30, c9/ea from 2.6.31 (bracket
    // 2.6.29..2.6.32, unverified). Both 32 TiB of vmalloc; vmemmap regions 1 TiB.
    if (v.at_least(2, 6, 31)) {
        r.vmalloc_start = 0xffffc90000000000;
        r.vmemmap_start = 0xffffea0000000000;
    } else {
        r.vmalloc_start = 0xffffc20000000000;
        if (v.at_least(2, 6, 24)) // SPARSEMEM_VMEMMAP for x86_64 arrived in 2.6.24
            r.vmemmap_start = 0xffffe20000000000;
    }
    r.vmalloc_size = 32 * TiB; // VMALLOC_SIZE_TB = 32 (4-level)
    r.vmemmap_size = 1 * TiB;

    // PTI LDT remap (4.15+): PGD slot -3 (0xfffffe8000000000) up to 4.19, slot 272 from 4.20.
    if (v.at_least(4, 20)) {
        r.ldt_start = 0xffff880000000000;
        r.ldt_end = 0xffff888000000000;
    } else if (v.at_least(4, 15)) {
        r.ldt_start = 0xfffffe8000000000;
        r.ldt_end = 0xffffff0000000000;
    }

    // 5-level bases (Documentation/x86/x86_64/mm.txt of 4.14, 4.15, 4.20; mm.rst of 5.x/6.x).
    if (r.has_la57) {
        r.l5.page_offset = v.at_least(4, 20) ? 0xff11000000000000 : 0xff10000000000000;
        if (v.at_least(4, 15)) {
            r.l5.vmalloc_start = 0xffa0000000000000; // VMALLOC_SIZE_TB_L5 = 12800
            r.l5.vmalloc_size = 12800 * TiB;
        } else {
            r.l5.vmalloc_start = 0xff92000000000000; // 4.14: 16384 TiB
            r.l5.vmalloc_size = 16384 * TiB;
        }
        r.l5.vmemmap_start = 0xffd4000000000000;
        if (v.at_least(4, 20)) {
            r.l5.ldt_start = 0xff10000000000000;
            r.l5.ldt_end = 0xff11000000000000;
        } else if (v.at_least(4, 15)) {
            r.l5.ldt_start = 0xff90000000000000; // LDT_PGD_ENTRY_L5 = -112
            r.l5.ldt_end = 0xffa0000000000000;
        }
    }

    r.has_cpu_entry_area = v.at_least(4, 15);
    r.has_espfix = v.at_least(3, 16);     // espfix64
    r.has_efi_region = v.at_least(3, 14); // EFI runtime mapped at EFI_VA_START

    // KERNEL_IMAGE_SIZE and the modules area. Up to 2.6.26 modules sat at the fixed
    // 0xffffffff88000000..0xfffffffffff00000 and the text mapping was 40 MiB
    // (KERNEL_TEXT_SIZE). From 2.6.27: MODULES_VADDR = __START_KERNEL_map + KERNEL_IMAGE_SIZE,
    // MODULES_END = 0xffffffffff000000. KERNEL_IMAGE_SIZE is 1 GiB with CONFIG_RANDOMIZE_BASE
    // (4.8+ page_64_types.h), which x86_64 defconfig has from 4.12 ("x86: Enable KASLR by
    // default"); a compile-time choice, so it holds with nokaslr too.
    if (v.at_least(2, 6, 27)) {
        r.kernel_image_size = v.at_least(4, 12) ? 1 * GiB : 512 * MiB;
        r.modules_vaddr = kStartKernelMap + r.kernel_image_size;
        r.modules_end = 0xffffffffff000000;
    } else {
        r.kernel_image_size = 40 * MiB;
        r.modules_vaddr = 0xffffffff88000000;
        r.modules_end = 0xfffffffffff00000;
    }

    // FIXADDR_TOP: VSYSCALL_END - PAGE (0xffffffffffdff000) until 3.15; from 3.16
    // round_up(VSYSCALL_ADDR + PAGE, PMD_SIZE) - PAGE (0xffffffffff7ff000), when the vsyscall
    // area shrank to its one page (commit "x86, vdso: Move the vvar and hpet mappings next to
    // the 64-bit vDSO", 3.16; from memory).
    //
    // Default fixmap size N = __end_of_permanent_fixed_addresses for x86_64 defconfig
    // (LOCAL_APIC, IO_APIC with MAX_IO_APICS 128, vsyscall emulation on; no OHCI1394/APEI):
    //   up to 2.6.27  : VSYSCALL pages 0..2047, VSYSCALL_HPET, FIX_HPET_BASE, FIX_APIC_BASE,
    //                   IO_APIC x128                                           = 2048 + 131
    //   2.6.28..3.15  : + FIX_DBGP_BASE, FIX_EARLYCON_MEM_BASE, FIX_TEXT_POKE0/1 = 2048 + 135
    //   3.16..5.2     : VSYSCALL_PAGE at index 511, DBGP, EARLYCON, APIC, IO_APIC x128,
    //                   TEXT_POKE1/0                                            = 512 + 133
    //   5.3+          : text poking moved to a temporary mm (no TEXT_POKE slots) = 512 + 131
    // This is per build; config.fixmap_slots overrides it.
    if (v.at_least(3, 16)) {
        r.fixaddr_top = 0xffffffffff7ff000;
        r.fixmap_slots = v.at_least(5, 3) ? 512 + 131 : 512 + 133;
    } else {
        r.fixaddr_top = 0xffffffffffdff000;
        r.fixmap_slots = v.at_least(2, 6, 28) ? 2048 + 135 : 2048 + 131;
    }

    // CONFIG_PHYSICAL_START default: 1 MiB before relocatable x86_64 (2.6.22), then 2 MiB,
    // then 16 MiB from 2.6.31 ("x86: default CONFIG_PHYSICAL_START and CONFIG_PHYSICAL_ALIGN
    // to 16 MB"). _text = __START_KERNEL_map + physical start (nokaslr).
    if (v.at_least(2, 6, 31))
        r.physical_start = 16 * MiB;
    else if (v.at_least(2, 6, 22))
        r.physical_start = 2 * MiB;
    else
        r.physical_start = 1 * MiB;

    // Typical x86_64 defconfig section sizes (approximate; sizes of vmlinux sections as a
    // defconfig build of the era gives them, rounded):
    //   era            .text     .rodata   .data     .init     .bss
    //   2.6.11-2.6.39  0x2c0000  0x0e0000  0x090000  0x070000  0x0a0000
    //   3.0-4.19       0x800000  0x300000  0x170000  0x1e0000  0x2b0000
    //   4.20-6.13      0xe00000  0x600000  0x2a0000  0x3f0000  0x5c0000
    if (v.at_least(4, 20))
        r.image = {0xe00000, 0x600000, 0x2a0000, 0x3f0000, 0x5c0000};
    else if (v.at_least(3, 0))
        r.image = {0x800000, 0x300000, 0x170000, 0x1e0000, 0x2b0000};
    else
        r.image = {0x2c0000, 0x0e0000, 0x090000, 0x070000, 0x0a0000};
    r.rodata_2m_aligned = v.at_least(3, 0); // RO/NX large-page alignment of the image

    r.has_zone_dma32 = v.at_least(2, 6, 15);
    r.zones_start_at_first_ram = v.at_least(2, 6, 19); // add_active_range / memblock
    // trim_bios_range marks the first 4 KiB reserved, so the DMA zone starts at pfn 1
    // (bracket 2.6.29..2.6.32; unverified).
    r.page0_reserved = v.at_least(2, 6, 32);
    // e820__end_of_ram_pfn counts ACPI-data entries in 6.13 but not in 6.1 (bracket; the
    // first version is unverified, 6.13 is assumed).
    r.max_pfn_counts_acpi = v.at_least(6, 13);
    return r;
}

namespace {

// KernelImage for the x86_64 layout: sections in vmlinux.lds order, _text at the physical
// start's image address.
KernelImage x86_64_image(const X86_64Rules& rules) {
    const auto& s = rules.image;
    KernelImage img;
    img.phys_start = PhysAddr(rules.physical_start);
    img.text = VirtAddr(kStartKernelMap + rules.physical_start);
    img.stext = img.text;
    img.etext = img.text.offset(s.text);
    u64 ro_align = rules.rodata_2m_aligned ? 2 * MiB : 4 * KiB;
    img.start_rodata = img.etext.align_up(ro_align);
    img.end_rodata = img.start_rodata.offset(s.rodata);
    img.sdata = img.end_rodata.align_up(ro_align);
    img.edata = img.sdata.offset(s.data);
    img.init_begin = img.edata.align_up(4 * KiB);
    img.init_end = img.init_begin.offset(s.init);
    img.bss_start = img.init_end.align_up(4 * KiB);
    img.bss_stop = img.bss_start.offset(s.bss);
    img.end = img.bss_stop.align_up(4 * KiB);
    return img;
}

} // namespace

ErrorOr<Layout> compute_layout_x86_64(const MachineConfig& config, const X86_64Rules& rules,
                                      const RamMap& ram) {
    const bool la57 = config.arch == Arch::X86_64La57;
    if (config.arch != Arch::X86_64 && !la57)
        return make_error(ErrorKind::Internal, "x86_64 layout asked for arch={}",
                          arch_name(config.arch));
    if (la57 && !rules.has_la57)
        return make_error(ErrorKind::InvalidConfig,
                          "arch=x86_64-la57 is not allowed with kernel={} (5-level paging "
                          "exists from kernel 4.14; use arch=x86_64)",
                          rules.version.to_string());

    // MAX_PHYSMEM_BITS: 46 with 4 levels, 52 with 5 (__PHYSICAL_MASK_SHIFT of the era).
    const unsigned max_physmem_bits = la57 ? 52 : 46;
    const unsigned phys_bits = config.phys_bits.value_or(default_cpu_phys_bits(config.arch));
    if (phys_bits < 32 || phys_bits > 52)
        return make_error(ErrorKind::InvalidConfig,
                          "phys_bits: {} is not allowed (allowed: 32 to 52)", phys_bits);

    // max_pfn: end of the highest e820 RAM entry (e820_end_of_ram_pfn), clamped to
    // max_arch_pfn = 2^(MAX_PHYSMEM_BITS - PAGE_SHIFT).
    u64 top = 0;
    for (const auto& r : ram.ranges)
        if (r.type == RamType::Usable || (rules.max_pfn_counts_acpi && r.type == RamType::Acpi))
            top = std::max(top, r.end.get());
    if (ram.usable_bytes() == 0 || top == 0)
        return make_error(ErrorKind::InvalidConfig, "mem: the memory map has no usable RAM");
    if (phys_bits < 64 && top > (u64{1} << phys_bits))
        return make_error(ErrorKind::InvalidConfig,
                          "phys_bits: RAM ends at {:#x}, beyond the CPU's {}-bit physical "
                          "address space (raise phys_bits=, up to {})",
                          top, phys_bits, max_physmem_bits);
    const u64 max_arch_pfn = u64{1} << (max_physmem_bits - 12);
    const u64 max_pfn = std::min(top >> 12, max_arch_pfn);

    Layout l;
    l.arch = config.arch;
    l.word_bits = 64;
    l.page_shift = 12;
    l.page_offset = VirtAddr(la57 ? rules.l5.page_offset : rules.page_offset);
    l.phys_offset = PhysAddr(0);
    // TASK_SIZE_MAX: one page below the top of the user half (47 or 56 VA bits).
    l.task_size = VirtAddr((u64{1} << (la57 ? 56 : 47)) - 4096);

    // After init_mem_mapping, max_low_pfn = max_pfn (B.4); high_memory = __va(top - 1) + 1.
    l.max_pfn = Pfn(max_pfn);
    l.max_low_pfn = Pfn(max_pfn);
    l.min_low_pfn = Pfn(0);
    l.high_memory = l.va(PhysAddr((max_pfn << 12) - 1)).offset(1);
    l.lowmem_bytes = max_pfn << 12;
    l.highmem_bytes = 0;

    // VMALLOC_END in the headers is inclusive (start + size - 1); Layout keeps it exclusive.
    l.vmalloc_offset = 0; // no VMALLOC_OFFSET gap on 64-bit: vmalloc has a fixed base
    l.vmalloc_start = VirtAddr(la57 ? rules.l5.vmalloc_start : rules.vmalloc_start);
    l.vmalloc_end = l.vmalloc_start.offset(la57 ? rules.l5.vmalloc_size : rules.vmalloc_size);

    l.pkmap_base.reset(); // no HIGHMEM on 64-bit
    l.last_pkmap = 0;

    // FIXADDR_START = FIXADDR_TOP - __end_of_permanent_fixed_addresses pages.
    unsigned slots = config.fixmap_slots.value_or(rules.fixmap_slots);
    l.fixaddr_top = VirtAddr(rules.fixaddr_top);
    l.fixaddr_start = l.fixaddr_top.offset_down(u64{slots} * 4096);

    l.modules_vaddr = VirtAddr(rules.modules_vaddr);
    l.modules_end = VirtAddr(rules.modules_end);

    // Zones (zone_sizes_init): DMA below MAX_DMA_PFN, DMA32 below MAX_DMA32_PFN, Normal above.
    // The first zone starts at the lowest RAM pfn (page 0 is reserved from 2.6.32); before
    // 2.6.19 zone_start_pfn was 0 regardless of the map.
    u64 first = 0;
    if (rules.zones_start_at_first_ram) {
        first = UINT64_MAX;
        for (const auto& r : ram.ranges) {
            if (r.type != RamType::Usable)
                continue;
            u64 start = align_up(r.start.get(), 4096);
            if (rules.page0_reserved && start < 4096)
                start = 4096;
            if (start < align_down(r.end.get(), 4096))
                first = std::min(first, start >> 12);
        }
        if (first == UINT64_MAX)
            first = 0;
    }
    auto add_zone = [&](ZoneType type, u64 lo, u64 hi) {
        lo = std::max(lo, first);
        hi = std::min(hi, max_pfn);
        if (lo < hi)
            l.zones.push_back(ZoneSpan{type, Pfn(lo), Pfn(hi)});
    };
    add_zone(ZoneType::Dma, 0, kDmaPfnLimit);
    if (rules.has_zone_dma32) {
        add_zone(ZoneType::Dma32, kDmaPfnLimit, kDma32PfnLimit);
        add_zone(ZoneType::Normal, kDma32PfnLimit, max_pfn);
    } else {
        add_zone(ZoneType::Normal, kDmaPfnLimit, max_pfn);
    }

    // Named regions (KASAN off, so no shadow), sorted by address below.
    auto add = [&](const char* name, u64 start, u64 end) {
        l.regions.push_back(NamedRegion{name, VirtAddr(start), VirtAddr(end)});
    };
    auto ldt_start = la57 ? rules.l5.ldt_start : rules.ldt_start;
    auto ldt_end = la57 ? rules.l5.ldt_end : rules.ldt_end;
    if (ldt_start)
        add("ldt_remap", *ldt_start, *ldt_end);
    if (la57)
        add("vmemmap", rules.l5.vmemmap_start, rules.l5.vmemmap_start + (u64{1} << 49));
    else if (rules.vmemmap_start)
        add("vmemmap", *rules.vmemmap_start, *rules.vmemmap_start + rules.vmemmap_size);
    if (rules.has_cpu_entry_area)
        add("cpu_entry_area", kCpuEntryAreaBase, kCpuEntryAreaBase + kCpuEntryAreaSize);
    if (rules.has_espfix)
        add("espfix", kEspfixBase, kEspfixBase + kEspfixSize);
    if (rules.has_efi_region)
        add("efi", kEfiVaEnd, kEfiVaStart);
    add("kernel_text", kStartKernelMap, kStartKernelMap + rules.kernel_image_size);
    std::sort(l.regions.begin(), l.regions.end(),
              [](const NamedRegion& a, const NamedRegion& b) { return a.start < b.start; });

    l.image = x86_64_image(rules);
    return l;
}

// kmemu's own rendering: x86_64 kernels never printed an i386-style "virtual kernel memory
// layout" block (arch/x86/mm/init_64.c mem_init prints only the "Memory:" line in 2.6.x to
// 6.x). This block uses the i386 column scheme of E.1 with %016lx addresses so that a student
// can compare layouts across arches; labels and order follow i386 (fixmap first, then
// cpu_entry on 4.15+), then the x86_64-only regions vmemmap and modules.
std::string render_layout_block_x86_64(const Layout& l, const X86_64Rules& rules) {
    std::string out = "virtual kernel memory layout:\n";
    append_layout_line(out, "    fixmap  ", l.fixaddr_start.get(), l.fixaddr_top.get(), 10, "kB",
                       16);
    if (rules.has_cpu_entry_area)
        if (const auto* r = l.region("cpu_entry_area"))
            append_layout_line(out, "  cpu_entry ", r->start.get(), r->end.get(), 10, "kB", 16);
    if (const auto* r = l.region("vmemmap"))
        append_layout_line(out, "    vmemmap ", r->start.get(), r->end.get(), 20, "MB", 16);
    append_layout_line(out, "    vmalloc ", l.vmalloc_start.get(), l.vmalloc_end.get(), 20, "MB",
                       16);
    append_layout_line(out, "    lowmem  ", l.page_offset.get(), l.high_memory.get(), 20, "MB", 16);
    append_layout_line(out, "    modules ", l.modules_vaddr.get(), l.modules_end.get(), 20, "MB",
                       16);
    append_layout_line(out, "      .init ", l.image.init_begin.get(), l.image.init_end.get(), 10,
                       "kB", 16);
    append_layout_line(out, "      .data ", l.image.etext.get(), l.image.edata.get(), 10, "kB", 16);
    append_layout_line(out, "      .text ", l.image.text.get(), l.image.etext.get(), 10, "kB", 16);
    return out;
}

} // namespace kmemu
