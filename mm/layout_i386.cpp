// compute_layout_i386(): the i386 algorithm of ../shared/reference/layouts.md A.11, step by
// step, with the per-version choices taken from I386Rules.
#include "mm/layout_i386.h"

#include <algorithm>

#include "mm/machine_config.h"
#include "mm/ram_map.h"

namespace kmemu {

namespace {

constexpr i64 kPage = 4096;
constexpr u64 kPageShift = 12;
// __FIXADDR_TOP default: one unused page at the top (arch/x86/mm/pgtable_32.c).
constexpr i64 kFixaddrTop = 0xfffff000;
constexpr i64 kVmallocOffset = 8 * static_cast<i64>(MiB);           // VMALLOC_OFFSET
constexpr i64 kDefaultVmallocReserve = 128 * static_cast<i64>(MiB); // __VMALLOC_RESERVE
constexpr u64 kMaxDmaPfn = (16 * MiB) >> kPageShift;                // MAX_DMA_PFN
constexpr i64 k4G = i64{1} << 32;

// Arithmetic on 32-bit kernel addresses is done in i64 so that a configuration that would
// wrap below PAGE_OFFSET shows as a small or negative value and fails an invariant check
// instead of wrapping silently.
constexpr i64 align_down_s(i64 x, i64 a) {
    return x & ~(a - 1);
}

std::string hex(i64 v) {
    return fmt::format("{:#x}", v);
}

// A.1: PAGE_OFFSET for the configured split, or an error naming what the version allows.
ErrorOr<i64> page_offset_for(const MachineConfig& config, const I386Rules& rules, bool pae,
                             bool highmem) {
    VmSplit split = config.vm_split();
    std::string_view name = split_name(split);
    std::string kernel = rules.version.to_string();
    switch (rules.split_era) {
    case SplitEra::Fixed3G:
        if (split != VmSplit::G3)
            return make_error(ErrorKind::InvalidConfig,
                              "split: {} is not allowed with kernel={} (allowed: 3G; this kernel "
                              "has no CONFIG_VMSPLIT choice)",
                              name, kernel);
        return i64{0xC0000000};
    case SplitEra::OldVmsplit:
        switch (split) {
        case VmSplit::G3:
            return i64{0xC0000000};
        case VmSplit::G3Opt:
            // 2.6.16-2.6.23 Kconfig: VMSPLIT_3G_OPT depends on !HIGHMEM.
            if (highmem)
                return make_error(ErrorKind::InvalidConfig,
                                  "split: 3G_OPT is not allowed with highmem=on in kernel={} "
                                  "(allowed: 3G, 2G, 1G; 3G_OPT needs highmem=off)",
                                  kernel);
            return i64{0xB0000000};
        case VmSplit::G2:
            return i64{0x78000000}; // "2G" meant 0x78000000 before 2.6.24
        case VmSplit::G2Opt:
            return make_error(ErrorKind::InvalidConfig,
                              "split: 2G_OPT is not allowed with kernel={} (allowed: 3G, 3G_OPT, "
                              "2G, 1G)",
                              kernel);
        case VmSplit::G1:
            return i64{0x40000000};
        }
        break;
    case SplitEra::Vmsplit:
        // >= 2.6.24 Kconfig: both _OPT splits depend on !X86_PAE.
        if (pae && (split == VmSplit::G3Opt || split == VmSplit::G2Opt))
            return make_error(ErrorKind::InvalidConfig,
                              "split: {} is not allowed with arch=i386-pae (allowed: 3G, 2G, 1G)",
                              name);
        switch (split) {
        case VmSplit::G3:
            return i64{0xC0000000};
        case VmSplit::G3Opt:
            return i64{0xB0000000};
        case VmSplit::G2:
            return i64{0x80000000};
        case VmSplit::G2Opt:
            return i64{0x78000000};
        case VmSplit::G1:
            return i64{0x40000000};
        }
        break;
    }
    return make_error(ErrorKind::Internal, "split: unknown value");
}

// A.3: total fixmap slots T (__end_of_fixed_addresses) for N permanent slots.
i64 total_fixmap_slots(const I386Rules& rules, i64 n, i64 ptrs_per_pte) {
    i64 total = rules.btmap_total;
    i64 round_up = n + total - (n & (total - 1));
    i64 btmap_end = n;
    switch (rules.btmap_placement) {
    case BtmapPlacement::Directly:
        btmap_end = n;
        break;
    case BtmapPlacement::RoundUpAlways:
        btmap_end = round_up;
        break;
    case BtmapPlacement::RoundUpIfCrosses:
        // Keep FIX_BTMAP_END..BEGIN inside one page-table page: round only if they would span
        // two blocks of PTRS_PER_PTE slots.
        btmap_end = ((n ^ (n + total - 1)) & -ptrs_per_pte) != 0 ? round_up : n;
        break;
    }
    i64 btmap_begin = btmap_end + total - 1;
    return btmap_begin + 1 + rules.fixmap_slots_after_btmap;
}

// The config word to blame when the space above vmalloc runs out.
const char* top_culprit(const MachineConfig& config) {
    if (config.fixmap_slots || !config.nr_cpus)
        return "fixmap_slots";
    return "nr_cpus";
}

ErrorOr<void> check_overrides(const MachineConfig& config) {
    if (config.fixmap_slots && *config.fixmap_slots == 0)
        return make_error(ErrorKind::InvalidConfig,
                          "fixmap_slots: 0 is not allowed (at least 1: slot 0 is FIX_HOLE)");
    if (config.fixmap_slots && *config.fixmap_slots > 0x40000)
        return make_error(ErrorKind::InvalidConfig,
                          "fixmap_slots: {} is too large (the fixmap cannot exceed 1 GiB)",
                          *config.fixmap_slots);
    if (config.nr_cpus && (*config.nr_cpus < 1 || *config.nr_cpus > 64))
        return make_error(ErrorKind::InvalidConfig,
                          "nr_cpus: {} is not allowed (allowed: 1 to 64 on i386)", *config.nr_cpus);
    if (config.phys_bits && (*config.phys_bits < 32 || *config.phys_bits > 52))
        return make_error(ErrorKind::InvalidConfig,
                          "phys_bits: {} is not allowed (allowed: 32 to 52 on i386)",
                          *config.phys_bits);
    if (config.vmalloc_size && *config.vmalloc_size >= static_cast<u64>(k4G))
        return make_error(ErrorKind::InvalidConfig,
                          "vmalloc: {:#x} is too large (must be below 4G on i386)",
                          *config.vmalloc_size);
    return {};
}

// A.7.1: end pfn of the highest RAM entry below limit_pfn, as e820_end_pfn() computes it
// (end rounded down; an entry crossing the limit ends max_pfn at the limit).
u64 e820_end_of_ram_pfn(const RamMap& ram, bool count_acpi, u64 limit_pfn) {
    u64 last = 0;
    for (const auto& r : ram.ranges) {
        bool counts = r.type == RamType::Usable || (count_acpi && r.type == RamType::Acpi);
        if (!counts)
            continue;
        u64 start_pfn = r.start.get() >> kPageShift;
        u64 end_pfn = r.end.get() >> kPageShift;
        if (start_pfn >= limit_pfn)
            continue;
        if (end_pfn > limit_pfn) {
            last = limit_pfn;
            break;
        }
        last = std::max(last, end_pfn);
    }
    return last;
}

// A.9: the first pfn memblock knows as memory after trim_bios_range() reserved the bottom.
u64 first_memblock_pfn(const RamMap& ram, u64 reserved_bytes) {
    u64 first = ~u64{0};
    for (const auto& r : ram.ranges) {
        if (r.type != RamType::Usable)
            continue;
        u64 start = std::max(r.start.get(), reserved_bytes);
        u64 start_pfn = (start + static_cast<u64>(kPage) - 1) >> kPageShift;
        u64 end_pfn = r.end.get() >> kPageShift;
        if (start_pfn < end_pfn)
            first = std::min(first, start_pfn);
    }
    return first;
}

VirtAddr va32(i64 v) {
    return VirtAddr(static_cast<u64>(v));
}

} // namespace

ErrorOr<Layout> compute_layout_i386(const MachineConfig& config, const I386Rules& rules,
                                    const RamMap& ram) {
    if (config.arch != Arch::I386 && config.arch != Arch::I386Pae)
        return make_error(ErrorKind::Internal, "arch: {} is not an i386 arch",
                          arch_name(config.arch));
    TRY(check_overrides(config));
    const bool pae = config.arch == Arch::I386Pae;
    const bool highmem = config.highmem_enabled();
    const i64 page_offset = TRY(page_offset_for(config, rules, pae, highmem));

    // A.2 paging constants.
    const i64 pmd_size = pae ? 2 * static_cast<i64>(MiB) : 4 * static_cast<i64>(MiB);
    const i64 ptrs_per_pte = pae ? 512 : 1024;
    const i64 last_pkmap = ptrs_per_pte; // LAST_PKMAP: one PTE page of kmaps
    const i64 nr_cpus = config.nr_cpus.value_or(rules.default_nr_cpus);

    // Step 1: fixmap (A.3).
    const i64 n = config.fixmap_slots.value_or(
        i386_default_fixmap_slots(rules, static_cast<unsigned>(nr_cpus), highmem));
    const i64 t = total_fixmap_slots(rules, n, ptrs_per_pte);
    const i64 fixaddr_start = kFixaddrTop - n * kPage;
    const i64 fixaddr_tot_start = kFixaddrTop - t * kPage; // FIXADDR_BOOT_START / _TOT_START

    // Step 2: PKMAP_BASE, CPU_ENTRY_AREA_BASE, LDT_BASE_ADDR (A.4), then VMALLOC_END (A.5).
    i64 cea_base = 0;
    i64 ldt_base = 0;
    i64 pkmap_base = 0;
    const i64 cea_reserved = static_cast<i64>(rules.cea_pages_per_cpu) * nr_cpus;
    switch (rules.top_era) {
    case I386TopEra::PkmapBelowBootFixmap:
        pkmap_base = align_down_s(fixaddr_tot_start - (last_pkmap + 1) * kPage, pmd_size);
        break;
    case I386TopEra::PkmapBelowFixmap:
        pkmap_base = align_down_s(fixaddr_start - (last_pkmap + 1) * kPage, pmd_size);
        break;
    case I386TopEra::CeaBelowFixmap:
    case I386TopEra::CeaBelowTotFixmap: {
        i64 anchor =
            rules.top_era == I386TopEra::CeaBelowFixmap ? fixaddr_start : fixaddr_tot_start;
        // The +1 page is the read-only IDT mapping at the start of the area.
        cea_base = align_down_s(anchor - (cea_reserved + 1) * kPage, pmd_size);
        pkmap_base = align_down_s(cea_base - kPage, pmd_size);
        break;
    }
    case I386TopEra::CeaLdtBelowTotFixmap:
        cea_base = align_down_s(fixaddr_tot_start - (cea_reserved + 1) * kPage, pmd_size);
        ldt_base = align_down_s(cea_base - kPage, pmd_size);
        pkmap_base = align_down_s(ldt_base - kPage, pmd_size);
        break;
    }
    i64 vmalloc_end = 0;
    if (highmem) {
        vmalloc_end = pkmap_base - 2 * kPage;
    } else {
        switch (rules.top_era) {
        case I386TopEra::PkmapBelowBootFixmap:
        case I386TopEra::PkmapBelowFixmap:
            vmalloc_end = fixaddr_start - 2 * kPage;
            break;
        case I386TopEra::CeaBelowFixmap:
        case I386TopEra::CeaBelowTotFixmap:
            vmalloc_end = cea_base - 2 * kPage;
            break;
        case I386TopEra::CeaLdtBelowTotFixmap:
            vmalloc_end = ldt_base - 2 * kPage;
            break;
        }
    }
    if (vmalloc_end <= page_offset)
        return make_error(ErrorKind::InvalidConfig,
                          "{}: {} permanent fixmap slots with nr_cpus={} leave no room above "
                          "PAGE_OFFSET {} (VMALLOC_END would be {})",
                          top_culprit(config), n, nr_cpus, hex(page_offset), hex(vmalloc_end));

    // Step 3: __VMALLOC_RESERVE and MAXMEM (A.6).
    i64 reserve = kDefaultVmallocReserve;
    if (config.vmalloc_size) {
        // parse_vmalloc(): >= 2.6.28 adds VMALLOC_OFFSET to the given size.
        reserve = static_cast<i64>(*config.vmalloc_size) +
                  (rules.vmalloc_param_adds_offset ? kVmallocOffset : 0);
    }
    const i64 maxmem_top = rules.maxmem_from_vmalloc_end ? vmalloc_end : k4G;
    const i64 maxmem = maxmem_top - page_offset - reserve;
    if (maxmem < kPage && !config.vmalloc_size)
        return make_error(ErrorKind::InvalidConfig,
                          "{}: {} permanent fixmap slots with nr_cpus={} leave no lowmem "
                          "(VMALLOC_END {})",
                          top_culprit(config), n, nr_cpus, hex(vmalloc_end));
    if (maxmem < kPage)
        return make_error(ErrorKind::InvalidConfig,
                          "vmalloc: {}M leaves no lowmem (MAXMEM = {} - PAGE_OFFSET {} - "
                          "__VMALLOC_RESERVE {} is not positive; the largest vmalloc= here is "
                          "{}M)",
                          config.vmalloc_size.value_or(0) / MiB,
                          rules.maxmem_from_vmalloc_end ? "VMALLOC_END " + hex(vmalloc_end)
                                                        : std::string("4G"),
                          hex(page_offset), hex(reserve),
                          (maxmem_top - page_offset - kPage -
                           (rules.vmalloc_param_adds_offset ? kVmallocOffset : 0)) /
                              static_cast<i64>(MiB));
    const u64 maxmem_pfn = static_cast<u64>(maxmem) >> kPageShift;

    // Step 4: max_pfn (A.7.1), then max_low_pfn and high_memory (A.7.3-5).
    const unsigned phys_bits = config.phys_bits.value_or(default_cpu_phys_bits(config.arch));
    u64 max_arch_pfn = pae ? (u64{1} << (36 - kPageShift)) : (u64{1} << (32 - kPageShift));
    max_arch_pfn = std::min(max_arch_pfn, u64{1} << (phys_bits - kPageShift));
    u64 max_pfn = e820_end_of_ram_pfn(ram, rules.acpi_counts_for_max_pfn, max_arch_pfn);
    if (max_pfn == 0)
        return make_error(ErrorKind::InvalidConfig, "mem: the memory map has no usable RAM");
    u64 max_low_pfn = 0;
    if (max_pfn <= maxmem_pfn) {
        // lowmem_pfn_init / find_max_low_pfn: everything is lowmem (no highmem= given).
        max_low_pfn = max_pfn;
    } else {
        // highmem_pfn_init: lowmem stops at MAXMEM; without HIGHMEM the rest is dropped
        // ("only N MB will be used"). The non-PAE 4 GiB clamp is max_arch_pfn above.
        max_low_pfn = maxmem_pfn;
        if (!highmem)
            max_pfn = maxmem_pfn;
    }
    // initmem_init: high_memory = __va(highstart_pfn * PAGE_SIZE - 1) + 1, highstart_pfn =
    // max_low_pfn whenever highmem exists, else max_pfn (== max_low_pfn then).
    const i64 high_memory = page_offset + static_cast<i64>(max_low_pfn << kPageShift);

    // Step 5: VMALLOC_START (A.8).
    i64 vmalloc_start = 0;
    switch (rules.vmalloc_start_rule) {
    case VmallocStartRule::Round:
        vmalloc_start = align_down_s(high_memory + 2 * kVmallocOffset - 1, kVmallocOffset);
        break;
    case VmallocStartRule::NoRounding:
        vmalloc_start = high_memory + kVmallocOffset;
        break;
    }

    // Step 6: mem_init()'s BUG_ON checks (arch/x86/mm/init_32.c): a kernel with these values
    // would not boot, so the configuration is refused.
    if (highmem && pkmap_base + last_pkmap * kPage > fixaddr_start)
        return make_error(ErrorKind::InvalidConfig,
                          "{}: the pkmap window {}..{} overlaps the fixmap at {}",
                          top_culprit(config), hex(pkmap_base),
                          hex(pkmap_base + last_pkmap * kPage), hex(fixaddr_start));
    if (highmem && vmalloc_end > pkmap_base)
        return make_error(ErrorKind::Internal, "VMALLOC_END {} above PKMAP_BASE {}",
                          hex(vmalloc_end), hex(pkmap_base));
    if (vmalloc_start >= vmalloc_end)
        return make_error(ErrorKind::InvalidConfig,
                          "{}: the vmalloc area would be empty (VMALLOC_START {} >= VMALLOC_END "
                          "{}; lowmem ends at {})",
                          config.vmalloc_size ? "vmalloc" : top_culprit(config), hex(vmalloc_start),
                          hex(vmalloc_end), hex(high_memory));
    if (high_memory > vmalloc_start)
        return make_error(ErrorKind::Internal, "high_memory {} above VMALLOC_START {}",
                          hex(high_memory), hex(vmalloc_start));

    // The kernel image must lie in usable RAM and in lowmem (it runs from the direct map).
    KernelImage image = i386_kernel_image(rules, va32(page_offset));
    const PhysAddr image_end = image.pa(image.end);
    if (!ram.is_usable(image.phys_start, image_end))
        return make_error(ErrorKind::InvalidConfig,
                          "mem: the kernel image [{:#x}, {:#x}) (loaded at CONFIG_PHYSICAL_START "
                          "of kernel={}) is not in usable RAM",
                          image.phys_start.get(), image_end.get(), rules.version.to_string());
    if (image_end.get() > (max_low_pfn << kPageShift))
        return make_error(ErrorKind::InvalidConfig,
                          "{}: lowmem ends at {:#x}, below the end of the kernel image at {:#x}",
                          config.vmalloc_size ? "vmalloc" : "mem", max_low_pfn << kPageShift,
                          image_end.get());

    Layout l;
    l.arch = config.arch;
    l.word_bits = 32;
    l.page_shift = static_cast<unsigned>(kPageShift);
    l.page_offset = va32(page_offset);
    l.phys_offset = PhysAddr(0);
    l.task_size = va32(page_offset); // TASK_SIZE = PAGE_OFFSET on i386
    l.high_memory = va32(high_memory);
    l.max_low_pfn = Pfn(max_low_pfn);
    l.max_pfn = Pfn(max_pfn);
    l.lowmem_bytes = max_low_pfn << kPageShift;
    l.highmem_bytes = highmem ? (max_pfn - max_low_pfn) << kPageShift : 0;
    l.vmalloc_offset = static_cast<u64>(kVmallocOffset);
    l.vmalloc_start = va32(vmalloc_start);
    l.vmalloc_end = va32(vmalloc_end);
    if (highmem) {
        l.pkmap_base = va32(pkmap_base);
        l.last_pkmap = static_cast<u64>(last_pkmap);
    }
    l.fixaddr_start = va32(fixaddr_start);
    l.fixaddr_top = va32(kFixaddrTop);
    // Modules are loaded inside the vmalloc area on i386 (MODULES_VADDR = VMALLOC_START).
    l.modules_vaddr = l.vmalloc_start;
    l.modules_end = l.vmalloc_end;

    // Zones (A.9; zone_sizes_init): DMA below 16 MiB, Normal to max_low_pfn, HighMem to
    // max_pfn. The first zone starts at the first memblock pfn (after trim_bios_range).
    const u64 first_pfn = first_memblock_pfn(ram, rules.low_e820_reserved_bytes);
    l.min_low_pfn = Pfn(first_pfn);
    const u64 dma_end = std::min(kMaxDmaPfn, max_low_pfn);
    if (first_pfn < dma_end)
        l.zones.push_back({ZoneType::Dma, Pfn(first_pfn), Pfn(dma_end)});
    const u64 normal_start = std::max(kMaxDmaPfn, first_pfn);
    if (max_low_pfn > normal_start)
        l.zones.push_back({ZoneType::Normal, Pfn(normal_start), Pfn(max_low_pfn)});
    if (highmem && max_pfn > max_low_pfn)
        l.zones.push_back({ZoneType::HighMem, Pfn(max_low_pfn), Pfn(max_pfn)});

    // Extra regions, in address order.
    if (rules.top_era == I386TopEra::CeaLdtBelowTotFixmap)
        l.regions.push_back({kRegionLdt, va32(ldt_base), va32(ldt_base + pmd_size)});
    if (rules.top_era == I386TopEra::CeaBelowFixmap ||
        rules.top_era == I386TopEra::CeaBelowTotFixmap ||
        rules.top_era == I386TopEra::CeaLdtBelowTotFixmap) {
        // CPU_ENTRY_AREA_MAP_SIZE: the IDT page plus sizeof(struct cpu_entry_area) per CPU.
        i64 map_size = kPage + static_cast<i64>(rules.cea_struct_pages_per_cpu) * nr_cpus * kPage;
        l.regions.push_back({kRegionCpuEntryArea, va32(cea_base), va32(cea_base + map_size)});
    }
    l.regions.push_back({rules.fixmap_total_named_tot ? kRegionFixmapTot : kRegionFixmapBoot,
                         va32(fixaddr_tot_start), va32(fixaddr_start)});
    l.image = image;
    return l;
}

} // namespace kmemu
