// struct zone: one memory zone (include/linux/mmzone.h) with its counters, watermarks and buddy
// allocator. Built at boot by PageAllocator from Layout::zones.
#pragma once

#include <array>
#include <vector>

#include "mm/buddy.h"
#include "mm/layout.h"
#include "mm/page_alloc_rules.h"

namespace kmemu {

class PageAllocator;

constexpr unsigned kNrZoneTypes = 5; // entries of ZoneType

class Zone {
  public:
    Zone(ZoneType type, Pfn start, Pfn end, unsigned nr_orders, bool tail_if_merge_likely)
        : m_type(type), m_start(start), m_end(end),
          m_buddy(start.get(), end.get(), nr_orders, tail_if_merge_likely) {}

    [[nodiscard]] ZoneType type() const { return m_type; }
    [[nodiscard]] const char* name() const { return zone_name(m_type); }
    [[nodiscard]] Pfn zone_start_pfn() const { return m_start; }
    [[nodiscard]] Pfn zone_end_pfn() const { return m_end; }
    [[nodiscard]] bool contains(Pfn pfn) const { return pfn >= m_start && pfn < m_end; }
    [[nodiscard]] u64 spanned_pages() const { return m_end.get() - m_start.get(); }
    [[nodiscard]] u64 present_pages() const { return m_present; }
    [[nodiscard]] u64 managed_pages() const { return m_managed; }
    [[nodiscard]] u64 free_pages() const { return m_buddy.free_pages(); } // NR_FREE_PAGES
    [[nodiscard]] bool populated() const { return m_present != 0; }       // populated_zone()
    [[nodiscard]] bool is_highmem() const { return m_type == ZoneType::HighMem; }
    [[nodiscard]] u64 min_wmark_pages() const { return m_wmark_min; }
    [[nodiscard]] u64 low_wmark_pages() const { return m_wmark_low; }
    [[nodiscard]] u64 high_wmark_pages() const { return m_wmark_high; }
    // lowmem_reserve[t]: pages this zone keeps back from allocations whose highest zone is t.
    [[nodiscard]] u64 lowmem_reserve(ZoneType t) const {
        return m_lowmem_reserve[static_cast<unsigned>(t)];
    }
    [[nodiscard]] BuddyAllocator& buddy() { return m_buddy; }
    [[nodiscard]] const BuddyAllocator& buddy() const { return m_buddy; }
    [[nodiscard]] PageAllocator* allocator() const { return m_allocator; }

  private:
    friend class PageAllocator;
    friend void setup_per_zone_wmarks(std::vector<Zone*>&, const PageAllocRules&, u64);
    friend void setup_per_zone_lowmem_reserve(std::vector<Zone*>&);

    ZoneType m_type;
    Pfn m_start, m_end;
    u64 m_present = 0;
    u64 m_managed = 0;
    u64 m_wmark_min = 0, m_wmark_low = 0, m_wmark_high = 0;
    std::array<u64, kNrZoneTypes> m_lowmem_reserve{};
    BuddyAllocator m_buddy;
    PageAllocator* m_allocator = nullptr;
};

// int_sqrt(): floor of the square root.
[[nodiscard]] u64 int_sqrt(u64 x);
// calculate_min_free_kbytes() (init_per_zone_wmark_min): int_sqrt(lowmem_kbytes * 16) clamped
// to [128, rules.min_free_kbytes_max], lowmem_kbytes being the managed pages of the zones up to
// ZONE_NORMAL (nr_free_buffer_pages() at boot, when high watermarks are still 0).
[[nodiscard]] u64 calculate_min_free_kbytes(const std::vector<Zone*>& zones, unsigned page_shift,
                                            const PageAllocRules& rules);
// __setup_per_zone_wmarks() for min_free_kbytes. Zones in ZoneType order.
void setup_per_zone_wmarks(std::vector<Zone*>& zones, const PageAllocRules& rules,
                           u64 min_free_kbytes);
// setup_per_zone_lowmem_reserve() with the default sysctl_lowmem_reserve_ratio
// (DMA 256, DMA32 256, Normal 32, HighMem/Movable 0 = no reserve).
void setup_per_zone_lowmem_reserve(std::vector<Zone*>& zones);

} // namespace kmemu
