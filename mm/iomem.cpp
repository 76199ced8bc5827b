#include "mm/iomem.h"

#include <algorithm>
#include <limits>

namespace kmemu {

namespace {

constexpr u64 kMaxAddr = std::numeric_limits<u64>::max();

// ICL closed intervals stay clear of the last 64-bit value (interval arithmetic would step
// past it); lookups re-check exact bounds, so clamping never changes an answer.
boost::icl::discrete_interval<u64> closed(u64 first, u64 last) {
    return boost::icl::discrete_interval<u64>::closed(std::min(first, kMaxAddr - 1),
                                                      std::min(last, kMaxAddr - 1));
}

bool overlaps(const Resource& r, u64 first, u64 last) {
    return r.start.get() <= last && r.end.get() >= first;
}

bool type_match(const Resource& r, u64 flags, IoresDesc desc) {
    return (r.flags & flags) == flags && (desc == IoresDesc::None || desc == r.desc);
}

ErrorOr<void> check_children(const Resource& parent) {
    for (size_t i = 0; i < parent.children.size(); ++i) {
        const auto& c = parent.children[i];
        if (c.end < c.start || c.start < parent.start || c.end > parent.end)
            return make_error(ErrorKind::InvalidConfig,
                              "iomem: '{}' {:x}-{:x} does not lie inside '{}' {:x}-{:x}", c.name,
                              c.start.get(), c.end.get(), parent.name, parent.start.get(),
                              parent.end.get());
        if (i > 0 && parent.children[i - 1].end >= c.start)
            return make_error(ErrorKind::InvalidConfig,
                              "iomem: '{}' {:x}-{:x} overlaps or precedes its sibling '{}' "
                              "{:x}-{:x}",
                              c.name, c.start.get(), c.end.get(), parent.children[i - 1].name,
                              parent.children[i - 1].start.get(), parent.children[i - 1].end.get());
        TRY(check_children(c));
    }
    return {};
}

} // namespace

IomemTree::IomemTree(u64 root_end, unsigned page_shift, IomemRules rules)
    : m_page_shift(page_shift), m_rules(rules) {
    m_root.name = "PCI mem"; // iomem_resource's name
    m_root.start = PhysAddr(0);
    m_root.end = PhysAddr(root_end);
    m_root.flags = IORESOURCE_MEM;
}

IomemTree::IomemTree(const IomemTree& other)
    : m_root(other.m_root), m_page_shift(other.m_page_shift), m_rules(other.m_rules) {
    reindex();
}

IomemTree& IomemTree::operator=(const IomemTree& other) {
    if (this != &other) {
        m_root = other.m_root;
        m_page_shift = other.m_page_shift;
        m_rules = other.m_rules;
        reindex();
    }
    return *this;
}

ErrorOr<void> IomemTree::insert(Resource res) {
    if (res.end < res.start || res.start < m_root.start || res.end > m_root.end)
        return make_error(ErrorKind::InvalidConfig,
                          "iomem: '{}' {:x}-{:x} is not a range inside {:x}-{:x}", res.name,
                          res.start.get(), res.end.get(), m_root.start.get(), m_root.end.get());
    // Descend while exactly one child strictly contains the new range (__insert_resource).
    Resource* parent = &m_root;
    for (;;) {
        Resource* into = nullptr;
        for (auto& c : parent->children) {
            if (!overlaps(c, res.start.get(), res.end.get()))
                continue;
            const bool contains = c.start <= res.start && c.end >= res.end;
            const bool equal = c.start == res.start && c.end == res.end;
            if (contains && !equal)
                into = &c;
            break;
        }
        if (!into)
            break;
        parent = into;
    }
    // Adopt every child the new range covers; any partial overlap is a conflict.
    auto& kids = parent->children;
    auto first = kids.end();
    auto last = kids.end();
    for (auto it = kids.begin(); it != kids.end(); ++it) {
        if (!overlaps(*it, res.start.get(), res.end.get()))
            continue;
        if (it->start < res.start || it->end > res.end)
            return make_error(
                ErrorKind::InvalidConfig, "iomem: '{}' {:x}-{:x} conflicts with '{}' {:x}-{:x}",
                res.name, res.start.get(), res.end.get(), it->name, it->start.get(), it->end.get());
        if (first == kids.end())
            first = it;
        last = it + 1;
    }
    if (first != kids.end()) {
        std::move(first, last, std::back_inserter(res.children));
        kids.erase(first, last);
    }
    auto pos = std::upper_bound(kids.begin(), kids.end(), res.start,
                                [](PhysAddr a, const Resource& r) { return a < r.start; });
    kids.insert(pos, std::move(res));
    reindex();
    return {};
}

ErrorOr<void> IomemTree::set_children(std::vector<Resource> top_level) {
    Resource candidate = m_root;
    candidate.children = std::move(top_level);
    TRY(check_children(candidate));
    m_root = std::move(candidate);
    reindex();
    return {};
}

void IomemTree::reindex() {
    m_flat.clear();
    m_index.clear();
    std::function<void(const Resource&, unsigned, u32)> walk = [&](const Resource& r,
                                                                   unsigned depth, u32 top) {
        const u32 idx = static_cast<u32>(m_flat.size());
        if (depth == 0)
            top = idx;
        m_flat.push_back({&r, depth, top});
        m_index += std::make_pair(closed(r.start.get(), r.end.get()), std::set<u32>{idx});
        for (const auto& c : r.children)
            walk(c, depth + 1, top);
    };
    for (const auto& c : m_root.children)
        walk(c, 0, 0);
}

void IomemTree::for_each(const std::function<void(const Resource&, unsigned)>& f) const {
    for (const auto& e : m_flat)
        f(*e.res, e.depth);
}

std::vector<u32> IomemTree::overlapping(u64 first, u64 last) const {
    std::set<u32> hits;
    auto [lo, hi] = m_index.equal_range(closed(first, last));
    for (auto it = lo; it != hi; ++it)
        hits.insert(it->second.begin(), it->second.end());
    std::vector<u32> out;
    for (u32 i : hits)
        if (overlaps(*m_flat[i].res, first, last))
            out.push_back(i);
    return out;
}

RegionIntersect IomemTree::region_intersects(PhysAddr start, u64 size, u64 flags,
                                             IoresDesc desc) const {
    // __region_intersects: count the top-level resources overlapping [start, start+size-1]
    // that match (type) and that do not (other).
    const u64 first = start.get();
    const u64 last = size == 0 ? first : first + (size - 1);
    const auto hits = overlapping(first, last);
    int type = 0;
    int other = 0;
    for (size_t h = 0; h < hits.size(); ++h) {
        const Flat& f = m_flat[hits[h]];
        if (f.depth != 0)
            continue;
        const Resource& p = *f.res;
        if (type_match(p, flags, desc)) {
            ++type;
            continue;
        }
        ++other;
        if (!m_rules.region_intersects_descends)
            continue;
        // 6.12+: matching descendants that cover the whole overlap with p cancel its 'other'.
        u64 ostart = std::max(first, p.start.get());
        const u64 oend = std::min(last, p.end.get());
        for (size_t k = h + 1; k < hits.size() && m_flat[hits[k]].top == hits[h]; ++k) {
            const Resource& dp = *m_flat[hits[k]].res;
            if (!type_match(dp, flags, desc))
                continue;
            ++type;
            if (dp.start.get() > ostart)
                break;
            if (dp.end.get() >= oend) {
                --other;
                break;
            }
            ostart = dp.end.get() + 1;
        }
    }
    if (type == 0)
        return RegionIntersect::Disjoint;
    if (other == 0)
        return RegionIntersect::Intersects;
    return RegionIntersect::Mixed;
}

bool IomemTree::iomem_is_exclusive(PhysAddr addr, const IomemPolicy& policy) const {
    // iomem_is_exclusive / resource_is_exclusive over one page at addr, children included.
    const u64 first = addr.get() & ~((u64{1} << m_page_shift) - 1);
    const u64 last = first + ((u64{1} << m_page_shift) - 1);
    const bool io_strict = policy.io_strict_devmem && m_rules.io_strict_devmem_exists;
    for (u32 i : overlapping(first, last)) {
        const Resource& p = *m_flat[i].res;
        if (m_rules.exclusive_system_ram_always &&
            (p.flags & (IORESOURCE_SYSTEM_RAM | IORESOURCE_EXCLUSIVE)) ==
                (IORESOURCE_SYSTEM_RAM | IORESOURCE_EXCLUSIVE))
            return true;
        if (!policy.strict_iomem_checks || !(p.flags & IORESOURCE_BUSY))
            continue;
        if (io_strict || (p.flags & IORESOURCE_EXCLUSIVE))
            return true;
    }
    return false;
}

const Resource* IomemTree::find_next_iomem_res(u64 first, u64 last, u64 flags) const {
    for (u32 i : overlapping(first, last)) // ascending flat index == pre-order
        if ((m_flat[i].res->flags & flags) == flags)
            return m_flat[i].res;
    return nullptr;
}

int IomemTree::walk_system_ram_range(Pfn start_pfn, u64 nr_pages,
                                     const std::function<int(Pfn, u64)>& func) const {
    // walk_system_ram_range: clip each busy System RAM resource to the range and report the
    // whole pages inside it (PFN_UP of the start, PFN_DOWN of the end + 1).
    const unsigned shift = m_page_shift;
    if (nr_pages == 0 || start_pfn.get() > (kMaxAddr >> shift))
        return m_rules.walk_no_ram_result;
    u64 start = start_pfn.get() << shift;
    const u64 end_pfn_excl = std::min(start_pfn.get() + nr_pages, (kMaxAddr >> shift) + 1);
    const u64 end =
        end_pfn_excl == (kMaxAddr >> shift) + 1 ? kMaxAddr : (end_pfn_excl << shift) - 1;
    int ret = m_rules.walk_no_ram_result;
    while (start < end) {
        const Resource* r =
            find_next_iomem_res(start, end, IORESOURCE_SYSTEM_RAM | IORESOURCE_BUSY);
        if (!r)
            break;
        const u64 rs = std::max(r->start.get(), start);
        const u64 re = std::min(r->end.get(), end);
        const u64 pfn = (rs + (u64{1} << shift) - 1) >> shift;
        const u64 end_pfn = re == kMaxAddr ? (kMaxAddr >> shift) + 1 : (re + 1) >> shift;
        if (end_pfn > pfn)
            ret = func(Pfn(pfn), end_pfn - pfn);
        if (ret)
            break;
        if (re == kMaxAddr)
            break;
        start = re + 1;
    }
    return ret;
}

bool IomemTree::page_is_ram(Pfn pfn) const {
    if (m_rules.x86_page_is_ram_e820) {
        // 2.6.32 arch/x86/mm/ioremap.c: page 0 and the BIOS area are never RAM; otherwise the
        // page must lie inside one e820 RAM entry (== one top-level System RAM resource).
        if (pfn.get() == 0)
            return false;
        const u64 a = pfn.get() << m_page_shift;
        if (a >= 0xa0000 && a < 0x100000)
            return false;
        const u64 last = a + ((u64{1} << m_page_shift) - 1);
        for (u32 i : overlapping(a, last)) {
            const Resource& r = *m_flat[i].res;
            if (m_flat[i].depth == 0 &&
                (r.flags & IORESOURCE_SYSTEM_RAM) == IORESOURCE_SYSTEM_RAM && r.start.get() <= a &&
                r.end.get() >= last)
                return true;
        }
        return false;
    }
    // Generic page_is_ram: walk_system_ram_range(pfn, 1, __is_ram) == 1.
    return walk_system_ram_range(pfn, 1, [](Pfn, u64) { return 1; }) == 1;
}

} // namespace kmemu
