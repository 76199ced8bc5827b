// The shape of the kmalloc caches: which size classes exist, what a request maps to, their
// names, and how many pages and objects one slab of each holds (SLUB calculate_order(), SLAB
// calculate_slab_order()/cache_estimate()). Pure functions of SlabRules and the CPU count.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "mm/slab/slab_rules.h"

namespace kmemu {

// ZERO_SIZE_PTR: what kmalloc(0) returns from 2.6.23 ((void *)16, include/linux/slab.h).
constexpr u64 ZERO_SIZE_PTR = 16;
[[nodiscard]] constexpr bool ZERO_OR_NULL_PTR(u64 p) {
    return p <= ZERO_SIZE_PTR;
}

// The kmalloc classes (object sizes) in the order create_kmalloc_caches() makes them: powers
// of two from KMALLOC_MIN_SIZE, 96 right after 64 and 192 right after 128 where they exist.
[[nodiscard]] std::vector<u64> kmalloc_classes(const SlabRules& rules);

// kmalloc_index() as a size: the class serving a request of `size` bytes (1..
// kmalloc_max_cache_size), nullopt for 0 or beyond the biggest cache.
[[nodiscard]] std::optional<u64> kmalloc_class_for(const SlabRules& rules, u64 size);

// The cache's name as /proc/slabinfo shows it.
[[nodiscard]] std::string kmalloc_cache_name(const SlabRules& rules, u64 size, bool dma);

// get_order(): smallest order whose block holds `size` bytes (size >= 1).
[[nodiscard]] unsigned get_order(u64 size, unsigned page_shift);
// fls(): position of the highest set bit, 1-based; 0 for 0.
[[nodiscard]] unsigned fls(u64 x);

struct SlabGeometry {
    u64 size = 0;           // s->size / buffer_size: the object stride
    unsigned order = 0;     // oo_order(s->oo) / gfporder
    u32 objects = 0;        // oo_objects(s->oo) / num
    unsigned min_order = 0; // SLUB s->min: the fallback when the preferred order fails
    u32 min_objects = 0;
    u64 first_offset = 0; // SLAB on-slab management (struct slab + bufctls) before object 0
    u64 left_over = 0;    // SLAB: bytes for colouring
    // SLAB tunables (enable_cpucache) and SLUB min_partial / cpu_partial.
    u32 limit = 0, batchcount = 0, shared = 0;
    u64 free_limit = 0; // SLAB l3->free_limit: (1 + nr_cpus) * batchcount + num
    u64 min_partial = 0;
    u32 cpu_partial_objects = 0; // SLUB s->cpu_partial (objects) / basis of cpu_partial_slabs
    u32 cpu_partial_slabs = 0;   // 5.16+: DIV_ROUND_UP(cpu_partial * 2, objects)
};

// nr_cpus: what SLUB's calculate_order() sees (nr_cpu_ids, num_present_cpus() in 6.x).
[[nodiscard]] SlabGeometry slab_geometry(const SlabRules& rules, u64 object_size, unsigned nr_cpus);

// SLUB calculate_order() for one object size (exposed for tests of the rule itself).
[[nodiscard]] unsigned slub_calculate_order(const SlabRules& rules, u64 size, unsigned nr_cpus);

} // namespace kmemu
