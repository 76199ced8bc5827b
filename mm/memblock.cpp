#include "mm/memblock.h"

#include <algorithm>

namespace kmemu {

Memblock::Memblock(const RamMap& ram, unsigned page_shift) : m_page_shift(page_shift) {
    const u64 ps = u64{1} << page_shift;
    for (const auto& r : ram.ranges) {
        if (r.type != RamType::Usable)
            continue;
        // memblock_add() of e820 RAM; only whole pages can be handed out.
        const u64 s = align_up(r.start.get(), ps);
        const u64 e = align_down(r.end.get(), ps);
        if (s < e)
            m_free_ram.push_back({s, e});
    }
    m_policy.limit = PhysAddr(~u64{0});
}

void Memblock::reserve(PhysAddr start, PhysAddr end) {
    const u64 ps = u64{1} << m_page_shift;
    const u64 s = align_down(start.get(), ps);
    const u64 e = align_up(end.get(), ps);
    if (s >= e)
        return;
    auto it = std::lower_bound(m_reserved.begin(), m_reserved.end(), s,
                               [](const Range& r, u64 v) { return r.start < v; });
    it = m_reserved.insert(it, Range{s, e});
    // memblock_merge_regions: adjacent or overlapping reservations become one, so a search
    // steps over a run of earlier allocations at once (top-down page-table allocations are
    // all adjacent: without merging, each allocation would walk every earlier one).
    if (it != m_reserved.begin() && std::prev(it)->end >= it->start) {
        auto prev = std::prev(it);
        prev->end = std::max(prev->end, it->end);
        it = std::prev(m_reserved.erase(it));
    }
    while (std::next(it) != m_reserved.end() && std::next(it)->start <= it->end) {
        it->end = std::max(it->end, std::next(it)->end);
        m_reserved.erase(std::next(it));
    }
}

void Memblock::reserve_kernel(PhysAddr start, PhysAddr end, std::string label) {
    reserve(start, end);
    m_allocations.push_back({start, end, std::move(label)});
}

ErrorOr<PhysAddr> Memblock::alloc(u64 size, u64 align, std::string label) {
    const u64 ps = u64{1} << m_page_shift;
    if (size == 0 || align < ps || (align & (align - 1)) != 0)
        return make_error(ErrorKind::Internal,
                          "memblock_alloc: size {:#x} must be non-zero and align {:#x} a power "
                          "of two of at least the page size {:#x}",
                          size, align, ps);
    size = align_up(size, ps);
    const u64 lo = m_policy.start.get();
    const u64 hi = m_policy.limit.get();
    std::optional<u64> found;
    if (m_policy.direction == MemblockDirection::TopDown) {
        // __memblock_find_range_top_down: walk free RAM from the top, try the highest aligned
        // candidate, and step below each reservation that is in the way.
        for (auto r = m_free_ram.rbegin(); r != m_free_ram.rend() && !found; ++r) {
            u64 top = std::min(r->end, hi);
            const u64 bottom = std::max(r->start, lo);
            while (top >= bottom + size) {
                const u64 cand = align_down(top - size, align);
                if (cand < bottom)
                    break;
                auto blocker = std::find_if(m_reserved.begin(), m_reserved.end(), [&](auto& x) {
                    return x.start < cand + size && cand < x.end;
                });
                if (blocker == m_reserved.end()) {
                    found = cand;
                    break;
                }
                top = blocker->start;
            }
        }
    } else {
        for (auto r = m_free_ram.begin(); r != m_free_ram.end() && !found; ++r) {
            u64 cand = align_up(std::max(r->start, lo), align);
            const u64 end = std::min(r->end, hi);
            while (cand + size <= end) {
                auto blocker = std::find_if(m_reserved.begin(), m_reserved.end(), [&](auto& x) {
                    return x.start < cand + size && cand < x.end;
                });
                if (blocker == m_reserved.end()) {
                    found = cand;
                    break;
                }
                cand = align_up(blocker->end, align);
            }
        }
    }
    if (!found)
        return make_error(ErrorKind::NoMemory,
                          "memblock: no free {:#x} bytes ({}) in RAM between {:#x} and {:#x}", size,
                          label, lo, hi);
    reserve(PhysAddr(*found), PhysAddr(*found + size));
    m_allocations.push_back({PhysAddr(*found), PhysAddr(*found + size), std::move(label)});
    return PhysAddr(*found);
}

std::vector<ReservedRange> Memblock::reserved_ranges() const {
    std::vector<ReservedRange> out;
    for (const auto& a : m_allocations)
        out.push_back({a.start, a.end});
    return out;
}

} // namespace kmemu
