// compute_layout_arm: the 32-bit ARM layout as arch/arm/mm/mmu.c and init.c compute it at boot
// (../shared/reference/layouts.md §C). Per-version choices come from ArmRules.
#include "mm/layout_arm.h"

#include <algorithm>
#include <vector>

#include "mm/machine_config.h"
#include "mm/ram_map.h"

namespace kmemu {

namespace {

constexpr u64 kPageSize = 4 * KiB;
constexpr u64 kPmdSize = 2 * MiB;              // PMD_SIZE, classic (folded) and LPAE alike
constexpr u64 kVmallocOffset = 8 * MiB;        // VMALLOC_OFFSET (asm/pgtable.h)
constexpr u64 kTextOffset = 0x8000;            // TEXT_OFFSET (arch/arm/Makefile)
constexpr u64 kDefaultPhysOffset = 0x40000000; // QEMU virt RAM base
constexpr u64 kLastPkmap = 512;                // LAST_PKMAP = PTRS_PER_PTE (asm/highmem.h)
constexpr u64 kVectorsBase = 0xffff0000;       // high vectors (VECTORS_BASE)
constexpr u64 kPciIoVirtBase = 0xfee00000;     // PCI_IO_VIRT_BASE (asm/io.h), 2 MiB window
constexpr u64 kFdtFixedBase = 0xff800000;      // FDT_FIXED_BASE (asm/memory.h)
constexpr u64 kConsistentEnd = 0xffe00000;     // CONSISTENT_END; CONSISTENT_DMA_SIZE 2 MiB default
constexpr u64 kPhysLimitLpae = u64{1} << 40;   // PHYS_MASK_SHIFT 40

struct Bank {
    u64 start;
    u64 end; // exclusive
};

ErrorOr<u64> page_offset_for(const MachineConfig& config, const ArmRules& rules, bool lpae) {
    const char* arch = lpae ? "arm-lpae" : "arm";
    switch (config.vm_split()) {
    case VmSplit::G3:
        return u64{0xC0000000};
    case VmSplit::G3Opt:
        // VMSPLIT_3G_OPT: depends on !ARM_LPAE; added in 4.4 (arch/arm/Kconfig).
        if (lpae)
            return make_error(
                ErrorKind::InvalidConfig,
                "split: 3G_OPT is not allowed with arch=arm-lpae (allowed: 3G, 2G, 1G)");
        if (!rules.has_vmsplit_3g_opt)
            return make_error(ErrorKind::InvalidConfig,
                              "split: 3G_OPT is not available in kernel {} (arch=arm; allowed: 3G, "
                              "2G, 1G; 3G_OPT exists from 4.4)",
                              rules.version.to_string());
        return u64{0xB0000000};
    case VmSplit::G2:
        return u64{0x80000000};
    case VmSplit::G1:
        return u64{0x40000000};
    case VmSplit::G2Opt:
        break;
    }
    return make_error(ErrorKind::InvalidConfig,
                      "split: 2G_OPT is not allowed with arch={} (allowed: {})", arch,
                      (!lpae && rules.has_vmsplit_3g_opt) ? "3G, 3G_OPT, 2G, 1G" : "3G, 2G, 1G");
}

// Memory banks as arm_add_memory / early_init_dt_add_memory_arch keep them: page aligned
// inward; without LPAE, RAM past 32 bits is ignored and a crossing bank is truncated to
// ULONG_MAX - start, masked to pages (so it ends at 0xfffff000).
ErrorOr<std::vector<Bank>> banks_from(const RamMap& ram, bool lpae) {
    std::vector<Bank> banks;
    for (const auto& r : ram.ranges) {
        if (r.type != RamType::Usable)
            continue;
        u64 start = align_up(r.start.get(), kPageSize);
        u64 end = align_down(r.end.get(), kPageSize);
        if (lpae && end > kPhysLimitLpae)
            return make_error(ErrorKind::InvalidConfig,
                              "mem: RAM at {:#x}-{:#x} lies above the 40-bit physical address "
                              "limit of arch=arm-lpae",
                              r.start.get(), r.end.get());
        if (!lpae) {
            if (start > 0xffffffffu)
                continue;
            if (end > 0xffffffffu)
                end = start + align_down(0xffffffffu - start, kPageSize);
        }
        if (end > start)
            banks.push_back({start, end});
    }
    if (banks.empty())
        return make_error(ErrorKind::InvalidConfig, "mem: the memory map has no usable RAM");
    return banks;
}

u64 clamp_vmalloc_size(u64 size, u64 max) {
    // early_vmalloc: below 16 MiB it is raised to 16 MiB, above the maximum lowered to it (the
    // kernel warns "vmalloc area too small/big, limiting to ...").
    return std::clamp(size, 16 * MiB, max);
}

// vmalloc_min: the lowest allowed VMALLOC_START (a virtual address; 0 when the era has none).
u64 vmalloc_min_for(const MachineConfig& config, const ArmRules& rules, u64 page_offset) {
    const u64 vend = rules.vmalloc_end;
    const auto& s = config.vmalloc_size;
    switch (rules.vmalloc_min) {
    case ArmVmallocMin::None:
        return 0; // no vmalloc= parameter on ARM yet: the word is ignored like any unknown one
    case ArmVmallocMin::End128M: // 2.6.25-3.2 mmu.c
        return vend - (s ? clamp_vmalloc_size(*s, vend - (page_offset + 32 * MiB)) : 128 * MiB);
    case ArmVmallocMin::End240MPlusOffset: // 3.3-5.13 mmu.c: vmalloc= drops the offset
        return s ? vend - clamp_vmalloc_size(*s, vend - (page_offset + 32 * MiB))
                 : vend - 240 * MiB - kVmallocOffset;
    case ArmVmallocMin::SizePlusOffset: { // 5.14+ mmu.c vmalloc_size
        u64 size = s ? clamp_vmalloc_size(*s, vend - (page_offset + 32 * MiB + kVmallocOffset))
                     : 240 * MiB;
        return vend - size - kVmallocOffset;
    }
    }
    return 0;
}

} // namespace

ErrorOr<Layout> compute_layout_arm(const MachineConfig& config, const ArmRules& rules,
                                   const RamMap& ram) {
    if (!is_arm32(config.arch))
        return make_error(ErrorKind::Internal, "compute_layout_arm: arch={} is not arm",
                          arch_name(config.arch));
    const bool lpae = config.arch == Arch::ArmLpae;
    if (lpae && !rules.has_lpae)
        return make_error(ErrorKind::InvalidConfig,
                          "arch: arm-lpae is not available in kernel {} (CONFIG_ARM_LPAE exists "
                          "from 3.3)",
                          rules.version.to_string());
    const u64 page_offset = TRY(page_offset_for(config, rules, lpae));
    // CONFIG_HIGHMEM: on unless highmem=off; kernels before 2.6.29 have no ARM highmem at all.
    const bool highmem = config.highmem_enabled() && rules.has_highmem;

    const u64 phys_offset = config.phys_offset.value_or(PhysAddr(kDefaultPhysOffset)).get();
    if (!lpae && phys_offset > 0xffffffffu)
        return make_error(ErrorKind::InvalidConfig,
                          "phys_offset: {:#x} is not allowed with arch=arm (32-bit physical "
                          "addresses; use arch=arm-lpae)",
                          phys_offset);
    if (rules.phys_offset_align && (phys_offset & (rules.phys_offset_align - 1)) != 0)
        return make_error(ErrorKind::InvalidConfig,
                          "phys_offset: {:#x} is not allowed with kernel {} (the p2v patching "
                          "needs it {} MiB aligned)",
                          phys_offset, rules.version.to_string(), rules.phys_offset_align / MiB);

    const std::vector<Bank> banks = TRY(banks_from(ram, lpae));
    // The kernel is loaded at PHYS_OFFSET + TEXT_OFFSET, and RAM below PHYS_OFFSET has no
    // direct-map address; kmemu's board has RAM starting exactly at PHYS_OFFSET.
    if (banks.front().start != phys_offset)
        return make_error(
            ErrorKind::InvalidConfig,
            "mem: RAM must start at PHYS_OFFSET {:#x} (the kernel loads at PHYS_OFFSET "
            "+ {:#x}); the lowest usable RAM starts at {:#x} (set phys_offset=)",
            phys_offset, kTextOffset, banks.front().start);
    auto va64 = [&](u64 pa) { return pa - phys_offset + page_offset; };
    const u64 vend = rules.vmalloc_end;

    // --- arm_lowmem_limit (physical) ---
    u64 lowmem_limit = 0;
    u64 ram_end = banks.back().end; // end of RAM that stays in the memory map
    if (rules.lowmem_algo == ArmLowmemAlgo::AllRam) {
        // Old bootmem_init: every bank is mapped; high_memory = __va(end of RAM).
        lowmem_limit = ram_end;
        if (va64(lowmem_limit) + kVmallocOffset > vend)
            return make_error(ErrorKind::InvalidConfig,
                              "mem: {} MiB of RAM does not fit below VMALLOC_END {:#x} with kernel "
                              "{} (ARM has no lowmem limit before 2.6.25 and no highmem before "
                              "2.6.29); at most {} MiB",
                              (ram_end - phys_offset) / MiB, vend, rules.version.to_string(),
                              (vend - kVmallocOffset - page_offset) / MiB);
    } else {
        // sanity_check_meminfo (banks, 2.6.25-3.15) and the memblock form (3.16+,
        // adjust_lowmem_bounds from 4.x) agree for sorted banks: every bank starting below
        // the bound is lowmem up to the bound; the rest is highmem or, without HIGHMEM,
        // dropped ("Ignoring/Truncating RAM at ..."). The bound is computed in 64 bits, as
        // 3.19+ does (vmalloc_limit); the 32-bit __va wrap of 3.x for banks above 4 GiB is not
        // reproduced.
        const u64 vmalloc_min = vmalloc_min_for(config, rules, page_offset);
        const u64 vmalloc_limit = vmalloc_min - page_offset + phys_offset;
        for (const auto& b : banks)
            if (b.start < vmalloc_limit)
                lowmem_limit = std::max(lowmem_limit, std::min(b.end, vmalloc_limit));
        if (!highmem)
            ram_end = lowmem_limit;
    }

    // max_low_pfn: 3.19+ takes PFN_DOWN(memblock current limit): the first non-PMD-aligned
    // lowmem bank boundary (or arm_lowmem_limit), rounded down to PMD_SIZE.
    u64 max_low = lowmem_limit;
    if (rules.max_low_pfn_pmd_rounded) {
        u64 memblock_limit = 0;
        u64 running = 0;
        for (const auto& b : banks) {
            if (b.start >= lowmem_limit)
                break;
            running = std::max(running, std::min(b.end, lowmem_limit));
            if (b.start % kPmdSize != 0) {
                memblock_limit = b.start;
                break;
            }
            if (b.end % kPmdSize != 0) {
                memblock_limit = running;
                break;
            }
        }
        if (memblock_limit == 0)
            memblock_limit = lowmem_limit;
        max_low = align_down(memblock_limit, kPmdSize);
    }

    Layout l;
    l.arch = config.arch;
    l.word_bits = 32;
    l.page_shift = 12;
    l.page_offset = VirtAddr(page_offset);
    l.phys_offset = PhysAddr(phys_offset);
    l.task_size = VirtAddr(page_offset - 16 * MiB); // TASK_SIZE = PAGE_OFFSET - 16M (no KASAN)
    // high_memory = __va(arm_lowmem_limit - 1) + 1 (all eras).
    l.high_memory = VirtAddr(va64(lowmem_limit - 1) + 1);
    l.min_low_pfn = Pfn(phys_offset / kPageSize); // PHYS_PFN_OFFSET = memblock_start_of_DRAM
    l.max_low_pfn = Pfn(max_low / kPageSize);
    l.max_pfn = Pfn(ram_end / kPageSize);
    l.lowmem_bytes = lowmem_limit - phys_offset;
    l.highmem_bytes = ram_end - lowmem_limit;

    // VMALLOC_START = (high_memory + VMALLOC_OFFSET) & ~(VMALLOC_OFFSET - 1) (asm/pgtable.h).
    l.vmalloc_offset = kVmallocOffset;
    l.vmalloc_start = VirtAddr(align_down(l.high_memory.get() + kVmallocOffset, kVmallocOffset));
    l.vmalloc_end = VirtAddr(vend);

    if (highmem) {
        l.pkmap_base = VirtAddr(page_offset - kPmdSize); // PKMAP_BASE = PAGE_OFFSET - PMD_SIZE
        l.last_pkmap = kLastPkmap;
    }
    l.fixaddr_start = VirtAddr(rules.fixaddr_start);
    l.fixaddr_top = VirtAddr(rules.fixaddr_top);
    // MODULES_VADDR: PAGE_OFFSET - 16M, - 8M for Thumb-2 (branch range); MODULES_END leaves
    // the pkmap PMD free with HIGHMEM (asm/memory.h).
    l.modules_vaddr = VirtAddr(page_offset - (config.thumb2 ? 8 * MiB : 16 * MiB));
    l.modules_end = VirtAddr(highmem ? page_offset - kPmdSize : page_offset);

    // Zones: no ZONE_DMA on virt (no arm_dma_zone_size). zone_sizes_init: Normal up to
    // max_low, HighMem (which exists with CONFIG_HIGHMEM even when empty) up to max_pfn.
    l.zones.push_back({ZoneType::Normal, l.min_low_pfn, l.max_low_pfn});
    if (highmem)
        l.zones.push_back({ZoneType::HighMem, l.max_low_pfn, l.max_pfn});

    if (rules.has_pci_io_window)
        l.regions.push_back(
            {"pci_io", VirtAddr(kPciIoVirtBase), VirtAddr(kPciIoVirtBase + kPmdSize)});
    if (rules.has_fdt_fixed_map) {
        // FDT_FIXED_SIZE = 2 * SECTION_SIZE (1 MiB sections classic, 2 MiB LPAE).
        u64 section = lpae ? 2 * MiB : 1 * MiB;
        l.regions.push_back(
            {"fdt", VirtAddr(kFdtFixedBase), VirtAddr(kFdtFixedBase + 2 * section)});
    }
    if (rules.has_consistent_dma)
        l.regions.push_back({"DMA", VirtAddr(kConsistentEnd - 2 * MiB), VirtAddr(kConsistentEnd)});
    l.regions.push_back({"fixmap", VirtAddr(rules.fixaddr_start), VirtAddr(rules.fixmap_end)});
    l.regions.push_back({"vector", VirtAddr(kVectorsBase), VirtAddr(kVectorsBase + kPageSize)});
    std::sort(l.regions.begin(), l.regions.end(),
              [](const NamedRegion& a, const NamedRegion& b) { return a.start < b.start; });

    l.image = arm_kernel_image(rules, VirtAddr(page_offset + kTextOffset),
                               PhysAddr(phys_offset + kTextOffset));
    const u64 image_end = l.image.pa(l.image.end).get();
    if (image_end > lowmem_limit)
        return make_error(ErrorKind::InvalidConfig,
                          "mem: the kernel image ends at physical {:#x}, beyond lowmem (ends at "
                          "{:#x}); give the machine more RAM",
                          image_end, lowmem_limit);
    return l;
}

VirtAddr arm_task_unmapped_base(const Layout& layout, const ArmRules& rules) {
    if (rules.task_unmapped_base == ArmTaskUnmappedBase::PageOffsetThird)
        return VirtAddr(layout.page_offset.get() / 3);
    return VirtAddr(align_up(layout.task_size.get() / 3, 16 * MiB));
}

} // namespace kmemu
