// /proc/vmallocinfo as the machine's kernel version prints it (mm/vmalloc.c s_show,
// kernel-semantics.md §3.6): one line per area in address order, then (5.2+) the lazily
// freed ranges.
#pragma once

#include <string>

#include "mm/error.h"
#include "mm/vmalloc/vmap_space.h"

namespace kmemu {

struct VmallocinfoOptions {
    bool numa = false; // CONFIG_NUMA: " N0=<pages>" after the flag words (one node)
    // %pK with the reader not allowed to see pointers (kptr_restrict=2, or 1 without
    // CAP_SYSLOG): addresses print as zeros. The 6.1 kptr_restrict=0 hashing is not modelled.
    bool restrict_pointers = false;
};

// Errors: the version has no /proc/vmallocinfo (before 2.6.25).
[[nodiscard]] ErrorOr<std::string> render_vmallocinfo(const VmapSpace& space,
                                                      const VmallocinfoOptions& options = {});

} // namespace kmemu
