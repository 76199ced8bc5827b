// Per-version rules of kmalloc and the slab allocator behind it: its part of KernelProfile
// (DESIGN.md lesson 11). Decided once in slab_rules_for(); the allocator only reads them.
//
// The allocator is the default of a defconfig of the era: SLAB before 2.6.23, SLUB from 2.6.23
// (SLUB became the Kconfig default in 2.6.23; x86, multi_v7 and arm64 defconfigs do not override
// it; SLAB was removed in 6.8, so SLUB is the only one from then on).
#pragma once

#include <string>

#include "mm/arch.h"
#include "mm/kernel_version.h"
#include "mm/types.h"

namespace kmemu {

enum class SlabAllocatorKind { Slab, Slub };

// How the kmalloc caches are named in this version.
enum class KmallocNaming {
    SizeN,       // SLAB: "size-32", "size-32(DMA)" (mm/slab.c, 2.6.x)
    KmallocN,    // SLUB: "kmalloc-1024", DMA "kmalloc_dma-1024" (< 2.6.36) / "dma-kmalloc-1024"
    KmallocShort // 4.20+: "kmalloc-1k", "dma-kmalloc-1k" (kmalloc_info[] short names)
};

struct SlabRules {
    KernelVersion version;
    Arch arch = Arch::X86_64;
    unsigned page_shift = 12;
    SlabAllocatorKind allocator = SlabAllocatorKind::Slub;
    KmallocNaming naming = KmallocNaming::KmallocShort;

    // KMALLOC_MIN_SIZE: the smallest class; ARCH_KMALLOC_MINALIGN where it exceeds 8 (ARM's
    // ARCH_DMA_MINALIGN), 8 otherwise for SLUB; SLAB's table starts at 32 on 4K pages.
    u64 kmalloc_min_size = 8;
    // Whether the 96- and 192-byte classes exist (kmalloc_index(): 96 only when
    // KMALLOC_MIN_SIZE <= 32, 192 only when <= 64; SLAB 2.6.x: kmalloc_sizes.h, 96 when
    // L1_CACHE_BYTES < 64, 192 when L1_CACHE_BYTES < 128).
    bool has_96 = true;
    bool has_192 = true;
    // KMALLOC_MAX_CACHE_SIZE: the biggest class with a cache. SLUB passes bigger requests to
    // the page allocator (kmalloc_large); SLAB has caches up to KMALLOC_MAX_SIZE.
    u64 kmalloc_max_cache_size = 8192;
    // KMALLOC_MAX_SIZE: bigger requests return NULL.
    u64 kmalloc_max_size = 4 * MiB;
    // SLUB's kmalloc_large() beyond the biggest cache: whether a too-big request warns (the page
    // allocator's WARN_ON_ONCE for order >= MAX_ORDER); SLAB fails silently.
    bool warn_on_too_large = true;
    // kmalloc(0) returns ZERO_SIZE_PTR (2.6.23+); before, it returns a smallest-class object.
    bool zero_size_ptr = true;
    // krealloc() exists (2.6.22+).
    bool has_krealloc = true;
    // The dma-kmalloc caches are created at boot (2.6.36+ SLUB, SLAB always) rather than on
    // the first GFP_DMA request.
    bool dma_caches_at_boot = true;
    // The DMA caches are created type by type in the same class order as the normal ones
    // (4.20+ create_kmalloc_caches loop over types); before, by kmalloc index (96, 192 first).
    bool dma_caches_class_order = true;

    // SLUB: slub_min_objects (0: 4 * (fls(nr_cpus) + 1), 2.6.26+; a fixed 4 before),
    // slub_max_order (PAGE_ALLOC_COSTLY_ORDER from 2.6.26; 1 before), slub_min_order,
    // MAX_OBJS_PER_PAGE.
    unsigned slub_min_objects = 0;
    unsigned slub_max_order = 3;
    unsigned slub_min_order = 0;
    u64 max_objs_per_page = 32767;
    // SLUB calculate_order(): 6.8+ computes min_order once and tries fractions 16, 8, 4, 2;
    // before, it also lowered min_objects and tried fractions 16, 8, 4.
    bool slub_order_fraction_half = true;
    // SLUB per-cpu partial lists (CONFIG_SLUB_CPU_PARTIAL, 3.2+; default y on SMP).
    bool slub_cpu_partial = true;
    // 5.16+: the per-cpu partial limit counts slabs (cpu_partial_slabs); before, objects.
    bool slub_cpu_partial_slabs = true;

    // SLAB (mm/slab.c, 2.6.x): sizeof(struct slab), sizeof(kmem_bufctl_t), cache line size
    // (the colour unit and SLAB_HWCACHE_ALIGN), slab_break_gfp_order for > 32 MiB of RAM.
    u64 slab_struct_size = 28;
    u64 slab_bufctl_size = 4;
    u64 l1_cache_bytes = 32;
    unsigned slab_break_gfp_order = 1;

    [[nodiscard]] u64 page_size() const { return u64{1} << page_shift; }
    [[nodiscard]] bool is_slub() const { return allocator == SlabAllocatorKind::Slub; }
};

// nr_orders: the page allocator's MAX_ORDER (PageAllocRules::nr_orders) for this machine.
[[nodiscard]] SlabRules slab_rules_for(KernelVersion version, Arch arch, unsigned page_shift = 12,
                                       unsigned nr_orders = 11);

} // namespace kmemu
