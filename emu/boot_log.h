// The boot-time "Memory:" line(s) of mem_init, in the form of the machine's arch and version.
#pragma once

#include <string>

#include "mm/kernel_profile.h"
#include "mm/layout.h"
#include "mm/ram_map.h"
#include "mm/types.h"

namespace kmemu {

// Page counts as mem_init sees them, right after the boot frees.
struct BootMemoryStats {
    u64 free_pages = 0;            // nr_free_pages()
    u64 present_pages = 0;         // get_num_physpages(): RAM pages present (holes excluded)
    u64 managed_pages = 0;         // totalram_pages
    u64 highmem_managed_pages = 0; // totalhigh_pages
    u64 cma_pages = 0;             // totalcma_pages
    u64 reserved_lowmem_pages = 0; // RAM pages below max_low_pfn with PG_reserved (i386 classic)
    u64 reserved_pages = 0;        // RAM pages with PG_reserved (ARM classic bank scan)
};

// One string; each line ends with '\n'.
[[nodiscard]] std::string render_memory_line(const Layout& layout, const KernelProfile& profile,
                                             const RamMap& ram, const BootMemoryStats& stats);

} // namespace kmemu
