// The page allocator front end (mm/page_alloc.c): boot of the memmap and the zones, then
// alloc_pages / __get_free_pages / get_zeroed_page / __free_pages / free_pages, with the
// zonelist fallback of the GFP mask, fault injection and a ledger (DESIGN.md lesson 10).
//
// Modelled: one node, one migratetype (no mobility grouping or fallback stealing), no per-cpu
// page lists (every order-0 allocation and free goes straight to the buddy lists), no reclaim:
// an allocation that finds nothing fails. Watermarks are computed as the kernel computes them;
// they limit allocations only with WatermarkCheck::Min.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "mm/error.h"
#include "mm/gfp.h"
#include "mm/layout.h"
#include "mm/page.h"
#include "mm/page_alloc_rules.h"
#include "mm/page_array.h"
#include "mm/ram_map.h"
#include "mm/zone.h"

namespace kmemu {

// A physical range the kernel reserves at boot beyond the image and the low pages (initrd,
// crash kernel, a firmware table...). Rounded out to whole pages.
struct ReservedRange {
    PhysAddr start;
    PhysAddr end; // exclusive
};

// Zeroes frames for __GFP_ZERO. The frames belong to physical memory, which the allocator does
// not own: the machine passes a function that clears `nr_pages` frames from `first`.
using FrameZeroer = std::function<void(Pfn first, u64 nr_pages)>;

// Failure injection for ENOMEM tests. All conditions are checked on every alloc_pages call.
struct FaultInjection {
    u64 fail_nth = 0;                        // fail the Nth alloc_pages call (1-based), 0 = off
    std::optional<ZoneType> fail_zone;       // never allocate from this zone
    std::optional<unsigned> fail_order_from; // fail every allocation of order >= this
};

enum class WatermarkCheck {
    None, // allocate while the zone has a free block
    Min,  // zone_watermark_ok() against the min watermark and lowmem_reserve, as the slow
          // path's last attempt; __GFP_HIGH (GFP_ATOMIC) may go half-way below min
};

class PageAllocator final : private BuddyObserver {
  public:
    [[nodiscard]] static ErrorOr<std::unique_ptr<PageAllocator>>
    boot(const Layout& layout, const RamMap& ram, const PageAllocRules& rules,
         std::span<const ReservedRange> extra_reserved = {});

    PageAllocator(const PageAllocator&) = delete;
    PageAllocator& operator=(const PageAllocator&) = delete;
    ~PageAllocator() override;

    // alloc_pages(): nullptr on failure (bad order, bad mask, no memory, injected fault).
    [[nodiscard]] page* alloc_pages(gfp_t gfp, unsigned order);
    [[nodiscard]] page* alloc_page(gfp_t gfp) { return alloc_pages(gfp, 0); }
    // __get_free_pages(): the direct-map address of a lowmem allocation, 0 on failure
    // (__GFP_HIGHMEM is not allowed and is dropped).
    [[nodiscard]] VirtAddr __get_free_pages(gfp_t gfp, unsigned order);
    [[nodiscard]] VirtAddr get_zeroed_page(gfp_t gfp) {
        return __get_free_pages(gfp | __GFP_ZERO, 0);
    }
    // __free_pages(): drop the caller's reference; the last one frees 2^order pages.
    void __free_pages(page* p, unsigned order);
    void __free_page(page* p) { __free_pages(p, 0); }
    // free_pages(): by direct-map address; 0 is ignored as in the kernel.
    void free_pages(VirtAddr addr, unsigned order);
    void free_page(VirtAddr addr) { free_pages(addr, 0); }

    // The memmap.
    [[nodiscard]] bool pfn_valid(Pfn pfn) const { return m_memmap->pfn_valid(pfn); }
    [[nodiscard]] page* pfn_to_page(Pfn pfn) { return m_memmap->pfn_to_page(pfn); }
    // page_address(): direct-map address of a lowmem page; 0 for highmem (kmap is elsewhere).
    [[nodiscard]] VirtAddr page_address(const page* p) const;
    [[nodiscard]] page* virt_to_page(VirtAddr addr);
    // PageReserved for any pfn without touching the memmap (boot state if untouched).
    [[nodiscard]] bool pfn_reserved(Pfn pfn) const;
    [[nodiscard]] const PageArray& memmap() const { return *m_memmap; }

    [[nodiscard]] const std::vector<std::unique_ptr<Zone>>& zones() const { return m_zones; }
    [[nodiscard]] Zone* zone(ZoneType type) const;
    [[nodiscard]] const PageAllocRules& rules() const { return m_rules; }
    [[nodiscard]] const Layout& layout() const { return m_layout; }
    [[nodiscard]] u64 min_free_kbytes() const { return m_min_free_kbytes; }
    // The min_free_kbytes sysctl: recompute watermarks (and lowmem reserves).
    void set_min_free_kbytes(u64 kbytes);
    [[nodiscard]] u64 nr_free_pages() const;

    void set_frame_zeroer(FrameZeroer z) { m_zeroer = std::move(z); }
    void set_fault_injection(const FaultInjection& f) {
        m_faults = f;
        m_calls_since_injection = 0;
    }
    void set_watermark_check(WatermarkCheck w) { m_wmark_check = w; }

    // Ledger: pages handed out and not freed, by zone and order.
    [[nodiscard]] i64 outstanding(ZoneType zone, unsigned order) const;
    [[nodiscard]] u64 outstanding_pages() const;
    [[nodiscard]] bool ledger_balanced() const { return outstanding_pages() == 0; }
    [[nodiscard]] u64 failed_allocations() const { return m_failed; }
    // Messages for bad frees ("Bad page state" conditions), in order.
    [[nodiscard]] const std::vector<std::string>& bad_pages() const { return m_bad_pages; }
    // Host bytes of the memmap and allocator structures.
    [[nodiscard]] u64 footprint_bytes() const;

    // Free a page whose last reference was dropped (put_page path).
    void free_the_page(page* p, unsigned order);

  private:
    PageAllocator(const Layout& layout, const PageAllocRules& rules);
    void block_freed(u64 pfn, unsigned order) override;
    void block_taken(u64 pfn) override;
    [[nodiscard]] Zone* zone_of(u64 pfn) const;
    [[nodiscard]] std::vector<Zone*> zonelist(gfp_t gfp, ZoneType& highest) const;
    [[nodiscard]] bool watermark_ok(const Zone& z, unsigned order, gfp_t gfp,
                                    ZoneType highest) const;
    void recompute_watermarks();

    Layout m_layout;
    PageAllocRules m_rules;
    std::unique_ptr<PageArray> m_memmap;
    std::vector<std::unique_ptr<Zone>> m_zones;
    u64 m_min_free_kbytes = 0;
    FrameZeroer m_zeroer;
    FaultInjection m_faults;
    u64 m_calls_since_injection = 0;
    WatermarkCheck m_wmark_check = WatermarkCheck::None;
    std::map<std::pair<ZoneType, unsigned>, i64> m_ledger;
    u64 m_failed = 0;
    std::vector<std::string> m_bad_pages;
};

} // namespace kmemu
