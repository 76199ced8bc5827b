// Text of /proc/slabinfo for a machine's kmalloc caches (mm/slab_common.c slab_show /
// cache_show, mm/slab.c s_show before). Only the kmalloc caches exist in kmemu.
#pragma once

#include <string>

#include "mm/slab/kmalloc.h"

namespace kmemu {

// print_slabinfo_header() then one cache_show() line per cache:
// "%-17s %6lu %6lu %6u %4u %4d : tunables %4u %4u %4u : slabdata %6lu %6lu %6lu".
[[nodiscard]] std::string render_slabinfo(const KmallocAllocator& kmalloc);

} // namespace kmemu
