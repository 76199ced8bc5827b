// The buddy allocator of one zone (mm/page_alloc.c: __free_one_page, expand,
// __rmqueue_smallest), on pfns. One migratetype, no per-cpu lists (see page_alloc.h).
//
// Free lists are kept lazily so that a 1 TiB zone costs a few entries: each list entry is a
// *segment*, a run of `count` free blocks of the list's order spaced 2^order apart, in list
// order starting at `front` and going up (ascending) or down. A segment of count 1 is an
// ordinary free block. Taking a block off the head or out of the middle splits the segment;
// list order is kept by keys (position, index within the original segment).
#pragma once

#include <map>
#include <vector>

#include "mm/types.h"

namespace kmemu {

// Told when a block becomes (or stops being) the head of a free block, so that materialised
// struct pages can mirror PageBuddy/page_private. Pages not materialised are not touched.
class BuddyObserver {
  public:
    virtual ~BuddyObserver() = default;
    virtual void block_freed(u64 pfn, unsigned order) = 0;
    virtual void block_taken(u64 pfn) = 0;
};

enum class FreePlacement { Head, Tail, MergeHeuristic };

class FreeArea {
  public:
    struct Segment {
        u64 front = 0; // first block in list order
        u64 count = 0;
        bool ascending = true;
    };
    explicit FreeArea(unsigned order) : m_stride(u64{1} << order) {}

    [[nodiscard]] u64 nr_free() const { return m_nr_free; }
    [[nodiscard]] bool empty() const { return m_nr_free == 0; }
    void push(u64 front, u64 count, bool ascending, FreePlacement where);
    [[nodiscard]] u64 pop_head();
    [[nodiscard]] bool contains(u64 pfn) const;
    void remove(u64 pfn); // must be contained
    // Blocks in list order from the head, at most `limit`.
    [[nodiscard]] std::vector<u64> list(u64 limit) const;
    // Heads of free blocks with pfn in [lo, hi), in any order.
    template <typename F>
    void for_each_in(u64 lo, u64 hi, F&& f) const;
    [[nodiscard]] u64 entries() const { return m_list.size(); }

  private:
    struct Key {
        i64 pos;
        u64 sub;
        auto operator<=>(const Key&) const = default;
    };
    [[nodiscard]] u64 low_of(const Segment& s) const {
        return s.ascending ? s.front : s.front - (s.count - 1) * m_stride;
    }
    [[nodiscard]] u64 block_at(const Segment& s, u64 i) const {
        return s.ascending ? s.front + i * m_stride : s.front - i * m_stride;
    }
    void insert(Key key, const Segment& s);
    void erase(std::map<Key, Segment>::iterator it);
    // The segment holding pfn (any block of it), or end().
    [[nodiscard]] std::map<Key, Segment>::const_iterator find(u64 pfn) const;

    u64 m_stride;
    u64 m_nr_free = 0;
    i64 m_next_head = -1;
    i64 m_next_tail = 0;
    std::map<Key, Segment> m_list;
    std::map<u64, Key> m_by_low; // lowest pfn of each segment -> its key
};

class BuddyAllocator {
  public:
    BuddyAllocator(u64 zone_start, u64 zone_end, unsigned nr_orders, bool tail_if_merge_likely);

    void set_observer(BuddyObserver* o) { m_observer = o; }
    [[nodiscard]] unsigned nr_orders() const { return m_nr_orders; }
    [[nodiscard]] u64 nr_free(unsigned order) const { return m_areas[order].nr_free(); }
    [[nodiscard]] u64 free_pages() const { return m_free_pages; }
    [[nodiscard]] const FreeArea& area(unsigned order) const { return m_areas[order]; }

    // Boot: give [start, end) (all inside the zone, ascending across calls) to the allocator
    // the way memblock_free_all() does: __free_pages_memory() carves it into the largest
    // aligned blocks, each freed in ascending order with `placement` (Tail for FPI_TO_TAIL,
    // MergeHeuristic for a plain free). The run of max-order blocks stays one segment.
    void boot_free_range(u64 start, u64 end, FreePlacement placement);

    // __rmqueue_smallest(): the head block of the first non-empty list of order >= `order`,
    // split by expand() (high halves go to the head of the lower lists); returns its pfn.
    [[nodiscard]] bool alloc(unsigned order, u64& pfn_out);
    // __free_one_page(): merge with free buddies (pfn ^ 2^order, in this zone) and insert.
    void free(u64 pfn, unsigned order);

    // Heads of free blocks (pfn, order) with pfn in [lo, hi).
    template <typename F>
    void for_each_free_block(u64 lo, u64 hi, F&& f) const {
        for (unsigned o = 0; o < m_nr_orders; ++o)
            m_areas[o].for_each_in(lo, hi, [&](u64 pfn) { f(pfn, o); });
    }
    // Host bytes of the free-list structures (for footprint tests).
    [[nodiscard]] u64 footprint_bytes() const;

  private:
    [[nodiscard]] bool in_zone(u64 pfn, unsigned order) const {
        return pfn >= m_start && pfn + (u64{1} << order) <= m_end;
    }
    [[nodiscard]] bool merge_likely(u64 pfn, unsigned order) const;
    void insert_block(u64 pfn, unsigned order, FreePlacement placement);

    u64 m_start, m_end;
    unsigned m_nr_orders;
    bool m_tail_if_merge_likely;
    u64 m_free_pages = 0;
    std::vector<FreeArea> m_areas;
    BuddyObserver* m_observer = nullptr;
};

template <typename F>
void FreeArea::for_each_in(u64 lo, u64 hi, F&& f) const {
    if (lo >= hi || m_by_low.empty())
        return;
    auto it = m_by_low.upper_bound(lo);
    if (it != m_by_low.begin())
        --it;
    for (; it != m_by_low.end() && it->first < hi; ++it) {
        const Segment& s = m_list.at(it->second);
        u64 low = it->first;
        u64 first = lo <= low ? 0 : (lo - low + m_stride - 1) / m_stride;
        for (u64 i = first; i < s.count; ++i) {
            u64 pfn = low + i * m_stride;
            if (pfn >= hi)
                break;
            f(pfn);
        }
    }
}

} // namespace kmemu
