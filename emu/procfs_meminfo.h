// /proc/meminfo as the machine's kernel version prints it (fs/proc/meminfo.c
// meminfo_proc_show, hugetlb_report_meminfo, x86 arch_report_meminfo): "Label:" padded to 16
// columns, the value in kB right-aligned in 8, " kB".
//
// Modelled from the machine: MemTotal (totalram = managed pages), MemFree, MemAvailable (free
// minus totalreserve_pages; no page cache or reclaimable slab to add), HighTotal/HighFree/
// LowTotal/LowFree (HIGHMEM), Slab and SUnreclaim (the kmalloc caches' slab pages; nothing is
// reclaimable), CommitLimit (totalram * overcommit_ratio 50%, no swap), VmallocTotal,
// VmallocUsed/VmallocChunk per era, DirectMap* (x86: the direct map's leaf entries in init_mm's
// page tables). Every other field prints 0 in the kernel's order (no page cache, processes,
// swap, per-cpu allocator or huge pages in kmemu).
#pragma once

#include <string>

namespace kmemu {

class Machine;

// Build configuration that adds lines.
struct MeminfoOptions {
    bool hugetlbfs = true;             // CONFIG_HUGETLB_PAGE: the HugePages_* block
    bool transparent_hugepage = false; // CONFIG_TRANSPARENT_HUGEPAGE: AnonHugePages...
    bool memory_failure = false;       // CONFIG_MEMORY_FAILURE: HardwareCorrupted
    bool direct_gbpages = false;       // x86_64 DirectMap1G line
};

[[nodiscard]] std::string render_meminfo(Machine& machine, const MeminfoOptions& options = {});

} // namespace kmemu
