#include "mm/buddy.h"

#include <algorithm>
#include <bit>

namespace kmemu {

void FreeArea::insert(Key key, const Segment& s) {
    m_list.emplace(key, s);
    m_by_low.emplace(low_of(s), key);
    m_nr_free += s.count;
}

void FreeArea::erase(std::map<Key, Segment>::iterator it) {
    m_by_low.erase(low_of(it->second));
    m_nr_free -= it->second.count;
    m_list.erase(it);
}

void FreeArea::push(u64 front, u64 count, bool ascending, FreePlacement where) {
    // list_add (head) / list_add_tail: a new key before or after every existing one.
    Key key{where == FreePlacement::Tail ? m_next_tail++ : m_next_head--, 0};
    insert(key, Segment{front, count, ascending});
}

u64 FreeArea::pop_head() {
    auto it = m_list.begin();
    Key key = it->first;
    Segment s = it->second;
    erase(it);
    if (s.count > 1)
        insert(Key{key.pos, key.sub + 1}, Segment{block_at(s, 1), s.count - 1, s.ascending});
    return s.front;
}

std::map<FreeArea::Key, FreeArea::Segment>::const_iterator FreeArea::find(u64 pfn) const {
    auto it = m_by_low.upper_bound(pfn);
    if (it == m_by_low.begin())
        return m_list.end();
    --it;
    auto seg = m_list.find(it->second);
    u64 low = it->first;
    u64 off = pfn - low;
    if (off % m_stride != 0 || off / m_stride >= seg->second.count)
        return m_list.end();
    return seg;
}

bool FreeArea::contains(u64 pfn) const {
    return find(pfn) != m_list.end();
}

void FreeArea::remove(u64 pfn) {
    auto cit = find(pfn);
    auto it = m_list.erase(cit, cit); // const_iterator -> iterator
    Key key = it->first;
    Segment s = it->second;
    u64 i = s.ascending ? (pfn - s.front) / m_stride : (s.front - pfn) / m_stride;
    erase(it);
    if (i > 0)
        insert(key, Segment{s.front, i, s.ascending});
    if (s.count - i - 1 > 0)
        insert(Key{key.pos, key.sub + i + 1},
               Segment{block_at(s, i + 1), s.count - i - 1, s.ascending});
}

std::vector<u64> FreeArea::list(u64 limit) const {
    std::vector<u64> out;
    for (const auto& [key, s] : m_list)
        for (u64 i = 0; i < s.count && out.size() < limit; ++i)
            out.push_back(block_at(s, i));
    return out;
}

BuddyAllocator::BuddyAllocator(u64 zone_start, u64 zone_end, unsigned nr_orders,
                               bool tail_if_merge_likely)
    : m_start(zone_start), m_end(zone_end), m_nr_orders(nr_orders),
      m_tail_if_merge_likely(tail_if_merge_likely) {
    m_areas.reserve(nr_orders);
    for (unsigned o = 0; o < nr_orders; ++o)
        m_areas.emplace_back(o);
}

// buddy_merge_likely() (5.10+; the same test inline in __free_one_page from 2.6.35): the block
// is put at the tail when the buddy of its parent is itself free at the parent's order, so that
// it is not handed out before the pair can merge. Never for the top two orders.
bool BuddyAllocator::merge_likely(u64 pfn, unsigned order) const {
    if (order + 2 >= m_nr_orders)
        return false;
    u64 buddy = pfn ^ (u64{1} << order);
    u64 combined = buddy & pfn;
    u64 higher_buddy = combined ^ (u64{1} << (order + 1));
    return in_zone(higher_buddy, order + 1) && m_areas[order + 1].contains(higher_buddy);
}

void BuddyAllocator::insert_block(u64 pfn, unsigned order, FreePlacement placement) {
    FreePlacement where = placement;
    if (placement == FreePlacement::MergeHeuristic)
        where = m_tail_if_merge_likely && merge_likely(pfn, order) ? FreePlacement::Tail
                                                                   : FreePlacement::Head;
    m_areas[order].push(pfn, 1, true, where);
    if (m_observer)
        m_observer->block_freed(pfn, order);
}

void BuddyAllocator::boot_free_range(u64 start, u64 end, FreePlacement placement) {
    const unsigned max_order = m_nr_orders - 1;
    u64 p = start;
    while (p < end) {
        // __free_pages_memory(): order = min(MAX_ORDER - 1, __ffs(start)), lowered until the
        // block fits before `end`.
        unsigned order =
            p == 0 ? max_order
                   : std::min<unsigned>(max_order, static_cast<unsigned>(std::countr_zero(p)));
        while (p + (u64{1} << order) > end)
            --order;
        if (order == max_order) {
            // The stretch of max-order blocks: one segment. Top-order blocks never take the
            // merge-likely tail, so without FPI_TO_TAIL each goes to the head: the list holds
            // them highest pfn first.
            u64 n = (end - p) >> order;
            u64 size = n << order;
            if (placement == FreePlacement::Tail)
                m_areas[order].push(p, n, true, FreePlacement::Tail);
            else
                m_areas[order].push(p + size - (u64{1} << order), n, false, FreePlacement::Head);
            m_free_pages += size;
            p += size;
            continue;
        }
        // Greedy aligned blocks are never buddies of each other: no merging at boot.
        insert_block(p, order, placement);
        m_free_pages += u64{1} << order;
        p += u64{1} << order;
    }
}

bool BuddyAllocator::alloc(unsigned order, u64& pfn_out) {
    for (unsigned o = order; o < m_nr_orders; ++o) {
        if (m_areas[o].empty())
            continue;
        u64 pfn = m_areas[o].pop_head();
        if (m_observer)
            m_observer->block_taken(pfn);
        // expand(): keep the low half, free the high half at the next lower order, to the head.
        unsigned high = o;
        while (high > order) {
            --high;
            u64 half = pfn + (u64{1} << high);
            m_areas[high].push(half, 1, true, FreePlacement::Head);
            if (m_observer)
                m_observer->block_freed(half, high);
        }
        m_free_pages -= u64{1} << order;
        pfn_out = pfn;
        return true;
    }
    return false;
}

void BuddyAllocator::free(u64 pfn, unsigned order) {
    m_free_pages += u64{1} << order;
    // __free_one_page(): merge while the buddy is the head of a free block of the same order
    // in this zone (page_is_buddy), up to the top order.
    while (order + 1 < m_nr_orders) {
        u64 buddy = pfn ^ (u64{1} << order);
        if (!in_zone(buddy, order) || !m_areas[order].contains(buddy))
            break;
        m_areas[order].remove(buddy);
        if (m_observer)
            m_observer->block_taken(buddy);
        pfn &= buddy;
        ++order;
    }
    insert_block(pfn, order, FreePlacement::MergeHeuristic);
}

u64 BuddyAllocator::footprint_bytes() const {
    // Two map nodes per segment (list and by-pfn index), about 48 + 40 bytes of payload and
    // 32 of node overhead each.
    u64 entries = 0;
    for (const auto& a : m_areas)
        entries += a.entries();
    return sizeof(*this) + m_areas.size() * sizeof(FreeArea) + entries * (2 * 32 + 48 + 40);
}

} // namespace kmemu
