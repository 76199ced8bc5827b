#include "mm/page_alloc_rules.h"

namespace kmemu {

PageAllocRules page_alloc_rules_for(KernelVersion v, Arch arch, unsigned page_shift) {
    PageAllocRules r;
    r.version = v;
    r.page_shift = page_shift;

    // MAX_ORDER 11 everywhere but arm64 with big granules: ARCH_FORCE_MAX_ORDER (earlier
    // FORCE_MAX_ZONEORDER) defaults to 14 orders for 64K and 12 for 16K pages
    // (arch/arm64/Kconfig). 6.4 made MAX_ORDER inclusive (10 / 13 / 11): same number of orders.
    r.nr_orders = 11;
    if (arch == Arch::Arm64 && page_shift == 16)
        r.nr_orders = 14;
    else if (arch == Arch::Arm64 && page_shift == 14)
        r.nr_orders = 12;

    // SECTION_SIZE_BITS (arch/*/include/asm/sparsemem.h): x86_64 27; i386 26, PAE 29 (i386 is
    // FLATMEM, so only our storage unit); arm 28; arm64 30 until 5.12, then 27 for 4K/16K and 29
    // for 64K ("arm64/sparsemem: reduce SECTION_SIZE_BITS", 5.12, unverified version).
    switch (arch) {
    case Arch::X86_64:
    case Arch::X86_64La57:
        r.section_size_bits = 27;
        r.pfn_valid = PfnValidModel::SparseSection;
        break;
    case Arch::I386:
        r.section_size_bits = 26;
        r.pfn_valid = PfnValidModel::FlatMem;
        break;
    case Arch::I386Pae:
        r.section_size_bits = 29;
        r.pfn_valid = PfnValidModel::FlatMem;
        break;
    case Arch::Arm:
    case Arch::ArmLpae:
        // ARM has HAVE_ARCH_PFN_VALID: memblock_is_map_memory() (arch/arm/mm/init.c).
        r.section_size_bits = 28;
        r.pfn_valid = PfnValidModel::Memblock;
        break;
    case Arch::Arm64:
        if (v.at_least(5, 12))
            r.section_size_bits = page_shift == 16 ? 29 : 27;
        else
            r.section_size_bits = 30;
        // arm64 pfn_valid() asked memblock until HAVE_ARCH_PFN_VALID was dropped and the
        // generic SPARSEMEM one took over ("arm64/mm: drop HAVE_ARCH_PFN_VALID", 5.17,
        // unverified version).
        r.pfn_valid = v.at_least(5, 17) ? PfnValidModel::SparseSection : PfnValidModel::Memblock;
        break;
    }
    // A max-order block must fit in a section (MAX_ORDER - 1 + PAGE_SHIFT <= SECTION_SIZE_BITS).
    if (r.section_size_bits < r.nr_orders - 1 + page_shift)
        r.section_size_bits = r.nr_orders - 1 + page_shift;

    // "mm/page_alloc: place pages to tail in __free_pages_core()" (FPI_TO_TAIL): 5.10
    // (checked: __free_pages_core passes FPI_TO_TAIL in 5.10 trees).
    r.boot_free_to_tail = v.at_least(5, 10);
    // "reduce fragmentation in buddy allocator by adding buddies that are merging to the tail
    // of the free lists", 2.6.35 (unverified version).
    r.tail_if_merge_likely = v.at_least(2, 6, 35);
    // PG_highmem was dropped for is_highmem(page_zone()) in 2.6.17 (unverified version).
    r.has_pg_highmem = !v.at_least(2, 6, 17);
    // PageBuddy moved from PG_buddy to page_type in 4.18 (unverified version).
    r.buddy_is_page_type = v.at_least(4, 18);
    // "mm: scale kswapd watermarks in proportion to memory", 4.6.
    r.watermark_scale_factor = v.at_least(4, 6);
    // "mm: raise min_free_kbytes upper limit": 64 MiB -> 256 MiB, 5.7 (unverified version).
    r.min_free_kbytes_max = v.at_least(5, 7) ? 262144 : 65536;
    // x86: the first page always (trim_bios_range), CONFIG_X86_RESERVE_LOW=64K from 2.6.36,
    // and the whole first MiB from 5.13 ("x86/setup: always reserve the first 1M of RAM").
    // Versions before 5.13 unverified.
    if (is_x86(arch))
        r.reserved_low_bytes = v.at_least(5, 13) ? MiB : v.at_least(2, 6, 36) ? 64 * KiB : 4 * KiB;
    else
        r.reserved_low_bytes = 0;

    // zoneinfo_show_print(): managed_pages 3.8, watermark_boost 5.0, cma 5.11 (unverified).
    r.zoneinfo_managed = v.at_least(3, 8);
    r.zoneinfo_boost = v.at_least(5, 0);
    r.zoneinfo_cma = v.at_least(5, 11);
    return r;
}

} // namespace kmemu
