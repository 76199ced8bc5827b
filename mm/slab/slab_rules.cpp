#include "mm/slab/slab_rules.h"

namespace kmemu {

SlabRules slab_rules_for(KernelVersion v, Arch arch, unsigned page_shift, unsigned nr_orders) {
    SlabRules r;
    r.version = v;
    r.arch = arch;
    r.page_shift = page_shift;
    const u64 page = u64{1} << page_shift;
    // Biggest block the page allocator gives: PAGE_SIZE << (MAX_ORDER - 1).
    const u64 max_block = page << (nr_orders - 1);

    // SLUB default from 2.6.23 (init/Kconfig "Choose SLAB allocator", default SLUB).
    r.allocator = v.at_least(2, 6, 23) ? SlabAllocatorKind::Slub : SlabAllocatorKind::Slab;

    if (!r.is_slub()) {
        // mm/slab.c of 2.6.11-2.6.22: general caches "size-N" from include/linux/kmalloc_sizes.h.
        r.naming = KmallocNaming::SizeN;
        // L1_CACHE_BYTES of the defconfig CPU: i386 M686 (X86_L1_CACHE_SHIFT 5), x86_64
        // GENERIC_CPU (shift 7), ARMv5 board defconfigs (32), arm64 did not exist yet.
        r.l1_cache_bytes = is_arm32(arch) ? 32 : (word_bits(arch) == 64 ? 128 : 32);
        // The table starts at 32 on 4K pages (CACHE(32) only when PAGE_SIZE == 4096).
        r.kmalloc_min_size = page == 4096 ? 32 : 64;
        r.has_96 = r.l1_cache_bytes < 64;
        r.has_192 = r.l1_cache_bytes < 128;
        // kmalloc_sizes.h stops at 128 KiB on MMU machines before 2.6.22; 2.6.22 raised it to
        // KMALLOC_MAX_SIZE = 1 << min(MAX_ORDER + PAGE_SHIFT - 1, 25).
        r.kmalloc_max_size = v.at_least(2, 6, 22) ? std::min<u64>(max_block, u64{1} << 25)
                                                  : std::min<u64>(max_block, 128 * KiB);
        r.kmalloc_max_cache_size = r.kmalloc_max_size;
        r.warn_on_too_large = false;
        r.zero_size_ptr = false;
        r.has_krealloc = v.at_least(2, 6, 22);
        r.dma_caches_at_boot = true;
        // struct slab: list_head, colouroff, s_mem, inuse, free, nodeid (2.6.x).
        r.slab_struct_size = word_bits(arch) == 64 ? 48 : 28;
        r.slab_bufctl_size = 4;     // kmem_bufctl_t is unsigned int
        r.slab_break_gfp_order = 1; // BREAK_GFP_ORDER_HI: more than 32 MiB of RAM
        return r;
    }

    // ARCH_KMALLOC_MINALIGN (SLUB: KMALLOC_MIN_SIZE when > 8).
    //   arm: ARCH_DMA_MINALIGN = L1_CACHE_BYTES = 64 (ARMv7, ARM_L1_CACHE_SHIFT 6), every era.
    //   arm64: ARCH_DMA_MINALIGN = L1_CACHE_BYTES 64 until 4.4, then 128 (arch/arm64/include/
    //   asm/cache.h); 6.5 decoupled ARCH_KMALLOC_MINALIGN (8) from it, bouncing unaligned
    //   kmalloc buffers through swiotlb (DMA_BOUNCE_UNALIGNED_KMALLOC).
    //   x86: 8.
    if (is_arm32(arch))
        r.kmalloc_min_size = 64;
    else if (arch == Arch::Arm64)
        r.kmalloc_min_size = v.at_least(6, 5) ? 8 : (v.at_least(4, 4) ? 128 : 64);
    else
        r.kmalloc_min_size = 8;
    r.has_96 = r.kmalloc_min_size <= 32;
    r.has_192 = r.kmalloc_min_size <= 64;

    // KMALLOC_MAX_CACHE_SIZE: PAGE_SIZE until 2.6.29 (kmalloc passes > PAGE_SIZE to the page
    // allocator), SLUB_MAX_SIZE = 2 * PAGE_SIZE from 2.6.30, later spelled
    // 1 << KMALLOC_SHIFT_HIGH with KMALLOC_SHIFT_HIGH = PAGE_SHIFT + 1.
    r.kmalloc_max_cache_size = v.at_least(2, 6, 30) ? 2 * page : page;
    // KMALLOC_MAX_SIZE: 1 << (MAX_ORDER + PAGE_SHIFT - 1) (6.4+: MAX_PAGE_ORDER + PAGE_SHIFT).
    r.kmalloc_max_size = max_block;
    r.warn_on_too_large = true;
    r.zero_size_ptr = true;
    r.has_krealloc = true;
    // Names: "kmalloc_dma-%d" made on first use before 2.6.36; "dma-kmalloc-%d" at boot from
    // 2.6.36; kmalloc_info[] short names ("kmalloc-1k") from 4.20.
    r.naming = v.at_least(4, 20) ? KmallocNaming::KmallocShort : KmallocNaming::KmallocN;
    r.dma_caches_at_boot = v.at_least(2, 6, 36);
    r.dma_caches_class_order = v.at_least(4, 20);
    // calculate_order() inputs: DEFAULT_MIN_OBJECTS 4 and DEFAULT_MAX_ORDER 1 until 2.6.25;
    // 2.6.26 scaled min_objects with the CPU count and raised the order to COSTLY_ORDER.
    r.slub_min_objects = v.at_least(2, 6, 26) ? 0 : 4;
    r.slub_max_order = v.at_least(2, 6, 26) ? 3 : 1;
    r.slub_min_order = 0;
    r.max_objs_per_page = 32767; // MAX_OBJS_PER_PAGE (objects is a 15-bit field)
    r.slub_order_fraction_half = v.at_least(6, 8);
    r.slub_cpu_partial = v.at_least(3, 2);
    r.slub_cpu_partial_slabs = v.at_least(5, 16);
    return r;
}

} // namespace kmemu
