// GFP flags by their kernel names (include/linux/gfp.h, gfp_types.h). The bit values are kmemu's
// own; what matters is which zones a mask allows and what the allocator does with it.
#pragma once

#include "mm/types.h"

namespace kmemu {

using gfp_t = u32;

// Zone modifiers.
constexpr gfp_t __GFP_DMA = 1u << 0;
constexpr gfp_t __GFP_HIGHMEM = 1u << 1;
constexpr gfp_t __GFP_DMA32 = 1u << 2;
constexpr gfp_t __GFP_MOVABLE = 1u << 3;
// Action modifiers.
constexpr gfp_t __GFP_RECLAIMABLE = 1u << 4;
constexpr gfp_t __GFP_HIGH = 1u << 5; // may use part of the min watermark (GFP_ATOMIC)
constexpr gfp_t __GFP_IO = 1u << 6;
constexpr gfp_t __GFP_FS = 1u << 7;
constexpr gfp_t __GFP_ZERO = 1u << 8;
constexpr gfp_t __GFP_NOWARN = 1u << 9;
constexpr gfp_t __GFP_COMP = 1u << 10;
constexpr gfp_t __GFP_DIRECT_RECLAIM = 1u << 11;
constexpr gfp_t __GFP_KSWAPD_RECLAIM = 1u << 12;
constexpr gfp_t __GFP_HARDWALL = 1u << 13;
constexpr gfp_t __GFP_NORETRY = 1u << 14;
constexpr gfp_t __GFP_RECLAIM = __GFP_DIRECT_RECLAIM | __GFP_KSWAPD_RECLAIM;

// Composite masks, composed as the kernel composes them (6.x spelling).
constexpr gfp_t GFP_ATOMIC = __GFP_HIGH | __GFP_KSWAPD_RECLAIM;
constexpr gfp_t GFP_NOWAIT = __GFP_KSWAPD_RECLAIM;
constexpr gfp_t GFP_NOIO = __GFP_RECLAIM;
constexpr gfp_t GFP_NOFS = __GFP_RECLAIM | __GFP_IO;
constexpr gfp_t GFP_KERNEL = __GFP_RECLAIM | __GFP_IO | __GFP_FS;
constexpr gfp_t GFP_USER = __GFP_RECLAIM | __GFP_IO | __GFP_FS | __GFP_HARDWALL;
constexpr gfp_t GFP_DMA = __GFP_DMA;
constexpr gfp_t GFP_DMA32 = __GFP_DMA32;
constexpr gfp_t GFP_HIGHUSER = GFP_USER | __GFP_HIGHMEM;
constexpr gfp_t GFP_HIGHUSER_MOVABLE = GFP_HIGHUSER | __GFP_MOVABLE;

} // namespace kmemu
