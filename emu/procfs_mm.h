// Text of /proc/buddyinfo and /proc/zoneinfo for a machine's page allocator (mm/vmstat.c).
#pragma once

#include <string>

#include "mm/page_alloc.h"

namespace kmemu {

// frag_show_print(): "Node 0, zone %8s" then "%6lu " per order, for populated zones only.
[[nodiscard]] std::string render_buddyinfo(const PageAllocator& pa);

// zoneinfo_show_print() in its 4.8+ shape, with the lines kmemu models: the zone header,
// "pages free", [boost], min, low, high, spanned, present, [managed], [cma], protection, then
// for populated zones nr_free_pages (the first zone counter) and node_unreclaimable/start_pfn.
// Left out: per-node stats, the other zone counters, pagesets. protection has one entry per
// zone of the layout (the kernel prints MAX_NR_ZONES entries, unconfigured zones included).
[[nodiscard]] std::string render_zoneinfo(const PageAllocator& pa);

} // namespace kmemu
