// Per-version rules of the page allocator (orders, page flags, memory model, boot placement,
// watermarks, /proc formats): its part of KernelProfile. Decided once in page_alloc_rules_for().
#pragma once

#include "mm/arch.h"
#include "mm/kernel_version.h"
#include "mm/types.h"

namespace kmemu {

// How pfn_valid() answers for this arch and version.
enum class PfnValidModel {
    // FLATMEM: ARCH_PFN_OFFSET <= pfn < ARCH_PFN_OFFSET + max_mapnr (holes included).
    FlatMem,
    // Generic SPARSEMEM: the pfn's memory section has a memmap (present at boot), so a hole
    // inside a present section is valid (and PG_reserved).
    SparseSection,
    // Arch pfn_valid() asking memblock: only pfns of RAM banks are valid (ARM's
    // memblock_is_map_memory; arm64 before the generic one took over).
    Memblock,
};

struct PageAllocRules {
    KernelVersion version;
    unsigned page_shift = 12;        // the granule these rules were decided for
    unsigned nr_orders = 11;         // orders 0 .. nr_orders-1 (MAX_ORDER, later NR_PAGE_ORDERS)
    unsigned section_size_bits = 27; // SECTION_SIZE_BITS: memmap storage (and SPARSEMEM) unit
    PfnValidModel pfn_valid = PfnValidModel::SparseSection;
    // __free_pages_core() passes FPI_TO_TAIL: memblock boot frees go to the list tail.
    bool boot_free_to_tail = true;
    // __free_one_page(): a freed block whose parent's buddy is free goes to the tail.
    bool tail_if_merge_likely = true;
    // PG_highmem exists as a page flag (later PageHighMem() asks the zone).
    bool has_pg_highmem = false;
    // PageBuddy is a page type in page_type/_mapcount rather than a PG_buddy flag.
    bool buddy_is_page_type = true;
    // __setup_per_zone_wmarks(): low/high spaced by watermark_scale_factor (else tmp/4, tmp/2).
    bool watermark_scale_factor = true;
    u64 min_free_kbytes_max = 262144; // upper clamp of calculate_min_free_kbytes()
    // Bytes at physical 0 that the kernel always reserves (x86 trim_low_memory_range /
    // reserve_real_mode); 0 where no such rule exists.
    u64 reserved_low_bytes = 0;
    // /proc/zoneinfo lines that exist in this version.
    bool zoneinfo_managed = true; // "        managed  %lu"
    bool zoneinfo_boost = true;   // "        boost    %lu"
    bool zoneinfo_cma = true;     // "        cma      %lu"
};

// page_shift: the machine's PAGE_SHIFT (arm64 16K/64K granules change MAX_ORDER and sections).
[[nodiscard]] PageAllocRules page_alloc_rules_for(KernelVersion version, Arch arch,
                                                  unsigned page_shift = 12);

} // namespace kmemu
