#include "mm/zone.h"

#include <algorithm>

#include "mm/page.h"

namespace kmemu {

bool PageHighMem(const page* p) {
    return p->zone != nullptr && p->zone->is_highmem();
}

u64 int_sqrt(u64 x) {
    u64 lo = 0, hi = u64{1} << 32;
    while (lo + 1 < hi) {
        u64 mid = (lo + hi) / 2;
        if (mid * mid <= x)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

u64 calculate_min_free_kbytes(const std::vector<Zone*>& zones, unsigned page_shift,
                              const PageAllocRules& rules) {
    u64 lowmem_pages = 0;
    for (const Zone* z : zones)
        if (z->type() <= ZoneType::Normal)
            lowmem_pages += z->managed_pages();
    u64 lowmem_kbytes = lowmem_pages << (page_shift - 10);
    u64 v = int_sqrt(lowmem_kbytes * 16);
    return std::clamp<u64>(v, 128, rules.min_free_kbytes_max);
}

void setup_per_zone_wmarks(std::vector<Zone*>& zones, const PageAllocRules& rules,
                           u64 min_free_kbytes) {
    const u64 pages_min = min_free_kbytes >> (rules.page_shift - 10);
    u64 lowmem_pages = 0;
    for (const Zone* z : zones)
        if (!z->is_highmem() && z->type() != ZoneType::Movable)
            lowmem_pages += z->managed_pages();
    for (Zone* z : zones) {
        const u64 managed = z->managed_pages();
        // Each lowmem zone gets its share of pages_min, by managed pages (64-bit product).
        u64 tmp = lowmem_pages ? pages_min * managed / lowmem_pages : 0;
        if (z->is_highmem() || z->type() == ZoneType::Movable) {
            // Highmem min: managed/1024 clamped to [SWAP_CLUSTER_MAX, 128].
            z->m_wmark_min = std::clamp<u64>(managed / 1024, 32, 128);
        } else {
            z->m_wmark_min = tmp;
        }
        if (rules.watermark_scale_factor) {
            // 4.6+: distance max(tmp/4, managed * watermark_scale_factor(10) / 10000), by
            // mult_frac() (quotient and remainder apart).
            u64 scaled = (managed / 10000) * 10 + ((managed % 10000) * 10) / 10000;
            u64 d = std::max(tmp >> 2, scaled);
            z->m_wmark_low = z->m_wmark_min + d;
            z->m_wmark_high = z->m_wmark_min + 2 * d;
        } else {
            z->m_wmark_low = z->m_wmark_min + (tmp >> 2);
            z->m_wmark_high = z->m_wmark_min + (tmp >> 1);
        }
    }
}

void setup_per_zone_lowmem_reserve(std::vector<Zone*>& zones) {
    auto ratio = [](ZoneType t) -> u64 {
        switch (t) {
        case ZoneType::Dma:
        case ZoneType::Dma32:
            return 256;
        case ZoneType::Normal:
            return 32;
        default:
            return 0;
        }
    };
    for (size_t i = 0; i < zones.size(); ++i) {
        zones[i]->m_lowmem_reserve.fill(0);
        u64 r = ratio(zones[i]->type());
        u64 upper = 0;
        for (size_t j = i + 1; j < zones.size(); ++j) {
            upper += zones[j]->managed_pages();
            zones[i]->m_lowmem_reserve[static_cast<unsigned>(zones[j]->type())] = r ? upper / r : 0;
        }
    }
}

} // namespace kmemu
