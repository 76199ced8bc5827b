#include "mm/slab/slab_geometry.h"

#include <algorithm>

#include <fmt/format.h>

namespace kmemu {

unsigned fls(u64 x) {
    unsigned n = 0;
    while (x) {
        ++n;
        x >>= 1;
    }
    return n;
}

unsigned get_order(u64 size, unsigned page_shift) {
    // Smallest order with (PAGE_SIZE << order) >= size.
    unsigned order = 0;
    while ((u64{1} << (page_shift + order)) < size)
        ++order;
    return order;
}

std::vector<u64> kmalloc_classes(const SlabRules& r) {
    std::vector<u64> out;
    for (u64 s = r.kmalloc_min_size; s <= r.kmalloc_max_cache_size; s *= 2) {
        out.push_back(s);
        if (s == 64 && r.has_96)
            out.push_back(96);
        if (s == 128 && r.has_192)
            out.push_back(192);
    }
    return out;
}

std::optional<u64> kmalloc_class_for(const SlabRules& r, u64 size) {
    if (size == 0 || size > r.kmalloc_max_cache_size)
        return std::nullopt;
    // kmalloc_index(): the minimum class, then 96 for 65..96 and 192 for 129..192 where they
    // exist, else the next power of two.
    if (size <= r.kmalloc_min_size)
        return r.kmalloc_min_size;
    if (r.has_96 && size > 64 && size <= 96)
        return 96;
    if (r.has_192 && size > 128 && size <= 192)
        return 192;
    u64 s = r.kmalloc_min_size;
    while (s < size)
        s *= 2;
    return s;
}

std::string kmalloc_cache_name(const SlabRules& r, u64 size, bool dma) {
    switch (r.naming) {
    case KmallocNaming::SizeN:
        return dma ? fmt::format("size-{}(DMA)", size) : fmt::format("size-{}", size);
    case KmallocNaming::KmallocN:
        if (!dma)
            return fmt::format("kmalloc-{}", size);
        return r.dma_caches_at_boot ? fmt::format("dma-kmalloc-{}", size)
                                    : fmt::format("kmalloc_dma-{}", size);
    case KmallocNaming::KmallocShort: {
        // kmalloc_info[]: "1k" .. "512k", "1M" .. for whole multiples of 1024.
        std::string s;
        if (size >= MiB && size % MiB == 0)
            s = fmt::format("{}M", size / MiB);
        else if (size >= KiB && size % KiB == 0)
            s = fmt::format("{}k", size / KiB);
        else
            s = fmt::format("{}", size);
        return dma ? "dma-kmalloc-" + s : "kmalloc-" + s;
    }
    }
    return {};
}

namespace {

u64 order_objects(unsigned order, u64 size, unsigned shift) {
    return (u64{1} << (shift + order)) / size;
}

// SLUB slab_order() before 6.8 / calc_slab_order() after: the first order from the start
// whose leftover is at most slab_size / fract_leftover.
unsigned slub_slab_order(const SlabRules& r, u64 size, unsigned start, unsigned max_order,
                         unsigned fract_leftover) {
    unsigned order = start;
    for (; order <= max_order; ++order) {
        const u64 slab_size = u64{1} << (r.page_shift + order);
        if (slab_size % size <= slab_size / fract_leftover)
            break;
    }
    return order;
}

u64 ilog2(u64 x) {
    return x ? fls(x) - 1 : 0;
}

} // namespace

unsigned slub_calculate_order(const SlabRules& r, u64 size, unsigned nr_cpus) {
    const unsigned shift = r.page_shift;
    u64 min_objects = r.slub_min_objects;
    if (!min_objects)
        min_objects = 4 * (fls(std::max(nr_cpus, 1u)) + 1);
    const u64 max_objects = std::max<u64>(order_objects(r.slub_max_order, size, shift), 1);
    min_objects = std::min(min_objects, max_objects);
    const unsigned max_page_order = 10; // highest order any kmalloc class could need

    auto start_order = [&](u64 objs) {
        return std::max(r.slub_min_order, get_order(objs * size, shift));
    };
    // Too many objects for the 15-bit counter even at slub_min_order.
    if (order_objects(r.slub_min_order, size, shift) > r.max_objs_per_page)
        return get_order(size * r.max_objs_per_page, shift) - 1;

    if (r.slub_order_fraction_half) {
        // 6.8+: one start order, fractions 16, 8, 4, 2; else the order of one object.
        const unsigned min_order = start_order(min_objects);
        for (unsigned fraction = 16; fraction > 1; fraction /= 2) {
            const unsigned order = slub_slab_order(r, size, min_order, r.slub_max_order, fraction);
            if (order <= r.slub_max_order)
                return order;
        }
        return get_order(size, shift);
    }
    // Before 6.8: lower min_objects step by step, fractions 16, 8, 4 at each; then one object
    // within slub_max_order; then one object at any order.
    while (min_objects > 1) {
        for (unsigned fraction = 16; fraction >= 4; fraction /= 2) {
            const unsigned order =
                slub_slab_order(r, size, start_order(min_objects), r.slub_max_order, fraction);
            if (order <= r.slub_max_order)
                return order;
        }
        --min_objects;
    }
    unsigned order = slub_slab_order(r, size, start_order(1), r.slub_max_order, 1);
    if (order <= r.slub_max_order)
        return order;
    return slub_slab_order(r, size, start_order(1), max_page_order, 1);
}

SlabGeometry slab_geometry(const SlabRules& r, u64 object_size, unsigned nr_cpus) {
    SlabGeometry g;
    const unsigned shift = r.page_shift;
    const u64 page = r.page_size();
    if (r.is_slub()) {
        // kmalloc caches carry no debug metadata and the free pointer lives inside the free
        // object, so s->size is the class size (aligned to ARCH_KMALLOC_MINALIGN already).
        g.size = object_size;
        g.order = slub_calculate_order(r, g.size, nr_cpus);
        g.objects = static_cast<u32>(order_objects(g.order, g.size, shift));
        g.min_order = get_order(g.size, shift);
        g.min_objects = static_cast<u32>(order_objects(g.min_order, g.size, shift));
        // set_min_partial(): ilog2(size) / 2 clamped to [MIN_PARTIAL 5, MAX_PARTIAL 10].
        g.min_partial = std::clamp<u64>(ilog2(g.size) / 2, 5, 10);
        // set_cpu_partial() (3.2+).
        if (r.slub_cpu_partial) {
            if (g.size >= page)
                g.cpu_partial_objects = 2;
            else if (g.size >= 1024)
                g.cpu_partial_objects = 6;
            else if (g.size >= 256)
                g.cpu_partial_objects = 13;
            else
                g.cpu_partial_objects = 30;
            g.cpu_partial_slabs = (g.cpu_partial_objects * 2 + g.objects - 1) / g.objects;
        }
        return g;
    }

    // SLAB, 2.6.x kmem_cache_create() for a general cache (ARCH_KMALLOC_FLAGS =
    // SLAB_HWCACHE_ALIGN): align to the cache line, halved while the object fits in half.
    u64 align = r.l1_cache_bytes;
    while (object_size <= align / 2)
        align /= 2;
    g.size = align_up(object_size, align);
    // Management off-slab from PAGE_SIZE / 8 (the first caches, made while slab_early_init,
    // are all smaller than that).
    const bool off_slab = g.size >= (page >> 3);
    const unsigned max_gfp_order = get_order(r.kmalloc_max_size, shift);
    auto mgmt = [&](u64 nr) {
        return align_up(r.slab_struct_size + nr * r.slab_bufctl_size, align);
    };
    // calculate_slab_order() with cache_estimate().
    for (unsigned order = 0; order <= max_gfp_order; ++order) {
        const u64 slab_size = page << order;
        u64 num = 0, used = 0;
        if (off_slab) {
            num = slab_size / g.size;
            used = num * g.size;
        } else {
            num = (slab_size - r.slab_struct_size) / (g.size + r.slab_bufctl_size);
            if (num && mgmt(num) + num * g.size > slab_size)
                --num;
            used = num ? mgmt(num) + num * g.size : 0;
        }
        if (!num)
            continue;
        if (off_slab) {
            // The off-slab struct slab + bufctls come from a general cache of this size.
            const u64 offslab_limit = (g.size - r.slab_struct_size) / r.slab_bufctl_size;
            if (num > offslab_limit)
                break;
        }
        g.objects = static_cast<u32>(num);
        g.order = order;
        g.left_over = slab_size - used;
        g.first_offset = off_slab ? 0 : mgmt(num);
        if (order >= r.slab_break_gfp_order)
            break;
        if (g.left_over * 8 <= slab_size)
            break;
    }
    g.min_order = g.order;
    g.min_objects = g.objects;
    // enable_cpucache() (SMP defconfig: shared arrays of 8 for objects up to a page).
    if (g.size > 131072)
        g.limit = 1;
    else if (g.size > page)
        g.limit = 8;
    else if (g.size > 1024)
        g.limit = 24;
    else if (g.size > 256)
        g.limit = 54;
    else
        g.limit = 120;
    g.shared = g.size <= page ? 8 : 0;
    g.batchcount = (g.limit + 1) / 2;
    g.free_limit = (1 + u64{std::max(nr_cpus, 1u)}) * g.batchcount + g.objects;
    return g;
}

} // namespace kmemu
