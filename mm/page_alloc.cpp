#include "mm/page_alloc.h"

#include <algorithm>

namespace kmemu {

namespace {

// [lo, hi) minus the sorted, merged `holes`, appended to out.
void subtract(u64 lo, u64 hi, const std::vector<PfnRange>& holes, std::vector<PfnRange>& out) {
    u64 p = lo;
    for (const auto& h : holes) {
        if (h.end <= p)
            continue;
        if (h.start >= hi)
            break;
        if (h.start > p)
            out.push_back({p, h.start});
        p = std::max(p, h.end);
        if (p >= hi)
            return;
    }
    if (p < hi)
        out.push_back({p, hi});
}

} // namespace

PageAllocator::PageAllocator(const Layout& layout, const PageAllocRules& rules)
    : m_layout(layout), m_rules(rules) {}

PageAllocator::~PageAllocator() = default;

ErrorOr<std::unique_ptr<PageAllocator>> PageAllocator::boot(const Layout& layout, const RamMap& ram,
                                                            const PageAllocRules& rules,
                                                            std::span<const ReservedRange> extra) {
    if (layout.page_shift != rules.page_shift)
        return make_error(ErrorKind::InvalidConfig,
                          "page allocator rules are for PAGE_SHIFT {} but the layout has {} "
                          "(build them with page_alloc_rules_for(version, arch, page_shift))",
                          rules.page_shift, layout.page_shift);
    if (rules.nr_orders < 1 || rules.nr_orders > 20)
        return make_error(ErrorKind::InvalidConfig, "nr_orders {} is outside 1..20",
                          rules.nr_orders);
    if (layout.zones.empty())
        return make_error(ErrorKind::InvalidConfig, "the layout has no zones");
    for (size_t i = 0; i < layout.zones.size(); ++i) {
        const auto& z = layout.zones[i];
        if (z.end < z.start)
            return make_error(ErrorKind::InvalidConfig,
                              "zone {} ends ({:#x}) before it starts ({:#x})", zone_name(z.type),
                              z.end, z.start);
        if (i > 0 && (z.type <= layout.zones[i - 1].type || z.start < layout.zones[i - 1].end))
            return make_error(ErrorKind::InvalidConfig,
                              "zone {} is out of order or overlaps zone {} (zones must be in "
                              "ZoneType order and ascending)",
                              zone_name(z.type), zone_name(layout.zones[i - 1].type));
    }
    const unsigned shift = layout.page_shift;
    const u64 psize = layout.page_size();

    // memblock reservations at boot: the first bytes (x86), the kernel image _text.._end, and
    // the caller's ranges, each rounded out to whole pages.
    std::vector<PfnRange> reserved;
    if (rules.reserved_low_bytes)
        reserved.push_back({0, align_up(rules.reserved_low_bytes, psize) >> shift});
    if (layout.image.end > layout.image.text) {
        PhysAddr s = layout.image.phys_start;
        PhysAddr e = layout.image.pa(layout.image.end);
        reserved.push_back({s.get() >> shift, align_up(e.get(), psize) >> shift});
    }
    for (const auto& r : extra) {
        if (r.end < r.start)
            return make_error(ErrorKind::InvalidConfig,
                              "reserved range {:#x}-{:#x} ends before it starts", r.start, r.end);
        reserved.push_back({r.start.get() >> shift, align_up(r.end.get(), psize) >> shift});
    }

    std::unique_ptr<PageAllocator> pa(new PageAllocator(layout, rules));
    pa->m_memmap = std::make_unique<PageArray>(rules, ram, reserved, layout.max_pfn.get());
    const auto& mem = pa->m_memmap->ram_ranges();
    const auto& resv = pa->m_memmap->reserved_ranges();

    for (const auto& span : layout.zones) {
        auto z = std::make_unique<Zone>(span.type, span.start, span.end, rules.nr_orders,
                                        rules.tail_if_merge_likely);
        z->m_allocator = pa.get();
        // Boot frees: memblock_free_all() for lowmem (FPI_TO_TAIL from 5.10); highmem pages are
        // freed one by one through the ordinary free path (free_highmem_page), so without it.
        FreePlacement placement = span.type == ZoneType::HighMem || !rules.boot_free_to_tail
                                      ? FreePlacement::MergeHeuristic
                                      : FreePlacement::Tail;
        std::vector<PfnRange> runs;
        for (const auto& r : mem) {
            u64 lo = std::max(r.start, span.start.get());
            u64 hi = std::min(r.end, span.end.get());
            if (lo >= hi)
                continue;
            z->m_present += hi - lo; // present_pages: RAM in the span
            subtract(lo, hi, resv, runs);
        }
        for (const auto& run : runs) {
            z->m_buddy.boot_free_range(run.start, run.end, placement);
            z->m_managed += run.end - run.start;
        }
        pa->m_zones.push_back(std::move(z));
    }

    PageAllocator* self = pa.get();
    pa->m_memmap->set_section_filler([self](page* pages, u64 first, u64 n) {
        for (u64 i = 0; i < n; ++i) {
            pages[i].zone = self->zone_of(first + i);
            if (self->m_rules.has_pg_highmem && pages[i].zone && pages[i].zone->is_highmem())
                set_page_flag(&pages[i], PG_highmem);
        }
        for (const auto& z : self->m_zones)
            z->buddy().for_each_free_block(first, first + n, [&](u64 pfn, unsigned order) {
                page* pg = &pages[pfn - first];
                set_page_flag(pg, PG_buddy);
                set_page_private(pg, order);
            });
    });
    for (auto& z : pa->m_zones)
        z->m_buddy.set_observer(pa.get());

    std::vector<Zone*> zs;
    for (auto& z : pa->m_zones)
        zs.push_back(z.get());
    pa->m_min_free_kbytes = calculate_min_free_kbytes(zs, shift, rules);
    pa->recompute_watermarks();
    return pa;
}

void PageAllocator::recompute_watermarks() {
    std::vector<Zone*> zs;
    for (auto& z : m_zones)
        zs.push_back(z.get());
    setup_per_zone_wmarks(zs, m_rules, m_min_free_kbytes);
    setup_per_zone_lowmem_reserve(zs);
}

void PageAllocator::set_min_free_kbytes(u64 kbytes) {
    m_min_free_kbytes = kbytes;
    recompute_watermarks();
}

Zone* PageAllocator::zone(ZoneType type) const {
    for (const auto& z : m_zones)
        if (z->type() == type)
            return z.get();
    return nullptr;
}

Zone* PageAllocator::zone_of(u64 pfn) const {
    for (const auto& z : m_zones)
        if (z->contains(Pfn(pfn)))
            return z.get();
    return nullptr;
}

void PageAllocator::block_freed(u64 pfn, unsigned order) {
    if (page* p = m_memmap->existing(pfn)) {
        set_page_flag(p, PG_buddy);
        set_page_private(p, order);
    }
}

void PageAllocator::block_taken(u64 pfn) {
    if (page* p = m_memmap->existing(pfn)) {
        clear_page_flag(p, PG_buddy);
        set_page_private(p, 0);
    }
}

// gfp_zone() and the zonelist: the highest zone the mask allows, then every lower zone.
// Zones a configuration lacks fold as the kernel's OPT_ZONE_* do: no ZONE_DMA -> Normal;
// no ZONE_DMA32 on 32-bit arches (not configurable there) -> Normal, on 64-bit -> the zones
// below it; no HighMem/Movable -> the zones below.
std::vector<Zone*> PageAllocator::zonelist(gfp_t gfp, ZoneType& highest) const {
    ZoneType target = ZoneType::Normal;
    if (gfp & __GFP_DMA)
        target = ZoneType::Dma;
    else if (gfp & __GFP_DMA32)
        target = ZoneType::Dma32;
    else if (gfp & __GFP_HIGHMEM)
        target = (gfp & __GFP_MOVABLE) ? ZoneType::Movable : ZoneType::HighMem;
    if (target == ZoneType::Dma && !zone(ZoneType::Dma))
        target = ZoneType::Normal;
    if (target == ZoneType::Dma32 && !zone(ZoneType::Dma32) && is_32bit(m_layout.arch))
        target = ZoneType::Normal;
    highest = target;
    std::vector<Zone*> out;
    for (auto it = m_zones.rbegin(); it != m_zones.rend(); ++it)
        if ((*it)->type() <= target)
            out.push_back(it->get());
    return out;
}

// zone_watermark_ok(): free pages beyond the block must stay above min + lowmem_reserve.
bool PageAllocator::watermark_ok(const Zone& z, unsigned order, gfp_t gfp, ZoneType highest) const {
    if (m_wmark_check == WatermarkCheck::None)
        return true;
    i64 mark = static_cast<i64>(z.min_wmark_pages());
    if (gfp & __GFP_HIGH)
        mark -= mark / 2; // ALLOC_HIGH
    i64 free = static_cast<i64>(z.free_pages()) - ((i64{1} << order) - 1);
    return free > mark + static_cast<i64>(z.lowmem_reserve(highest));
}

page* PageAllocator::alloc_pages(gfp_t gfp, unsigned order) {
    ++m_calls_since_injection;
    auto fail = [&]() -> page* {
        ++m_failed;
        return nullptr;
    };
    // The kernel warns and fails for order >= MAX_ORDER, and BUGs on DMA|DMA32 together.
    if (order >= m_rules.nr_orders)
        return fail();
    if ((gfp & __GFP_DMA) && (gfp & __GFP_DMA32))
        return fail();
    if (m_faults.fail_nth && m_calls_since_injection == m_faults.fail_nth)
        return fail();
    if (m_faults.fail_order_from && order >= *m_faults.fail_order_from)
        return fail();
    ZoneType highest;
    for (Zone* z : zonelist(gfp, highest)) {
        if (m_faults.fail_zone && z->type() == *m_faults.fail_zone)
            continue;
        if (!watermark_ok(*z, order, gfp, highest))
            continue;
        u64 pfn;
        if (!z->buddy().alloc(order, pfn))
            continue;
        page* p = m_memmap->pfn_to_page(Pfn(pfn));
        // prep_new_page(): refcount 1 on the head; compound pages mark their head.
        p->_refcount = 1;
        p->_mapcount = -1;
        set_page_private(p, 0);
        if ((gfp & __GFP_COMP) && order > 0) {
            SetPageHead(p);
            p->compound_order = static_cast<u8>(order);
        }
        if ((gfp & __GFP_ZERO) && m_zeroer)
            m_zeroer(Pfn(pfn), u64{1} << order);
        ++m_ledger[{z->type(), order}];
        return p;
    }
    return fail();
}

VirtAddr PageAllocator::__get_free_pages(gfp_t gfp, unsigned order) {
    page* p = alloc_pages(gfp & ~__GFP_HIGHMEM, order);
    return p ? page_address(p) : VirtAddr(0);
}

void PageAllocator::__free_pages(page* p, unsigned order) {
    if (!p)
        return;
    if (page_count(p) <= 0) {
        // put_page_testzero() on a free page: the kernel's VM_BUG_ON; recorded, not applied.
        m_bad_pages.push_back(
            fmt::format("Bad page state: pfn:{:#x} freed with count {}", p->pfn, page_count(p)));
        return;
    }
    if (put_page_testzero(p))
        free_the_page(p, order);
}

void PageAllocator::free_pages(VirtAddr addr, unsigned order) {
    if (addr.get() == 0)
        return;
    page* p = virt_to_page(addr);
    if (!p) {
        m_bad_pages.push_back(fmt::format("free_pages: {:#x} is not a direct-map address", addr));
        return;
    }
    __free_pages(p, order);
}

void PageAllocator::free_the_page(page* p, unsigned order) {
    // free_pages_prepare(): a page with PG_reserved (or still in the buddy) is a bad page and
    // is not freed.
    if (PageReserved(p) || PageBuddy(p) || order >= m_rules.nr_orders || !p->zone) {
        m_bad_pages.push_back(fmt::format("Bad page state: pfn:{:#x} order:{} flags:{:#x} count:{}",
                                          p->pfn, order, p->flags, p->_refcount));
        return;
    }
    clear_page_flag(p, PG_head);
    p->compound_order = 0;
    p->_refcount = 0;
    Zone* z = p->zone;
    auto it = m_ledger.find({z->type(), order});
    if (it != m_ledger.end() && --it->second == 0)
        m_ledger.erase(it);
    else if (it == m_ledger.end())
        --m_ledger[{z->type(), order}];
    z->buddy().free(p->pfn, order);
}

VirtAddr PageAllocator::page_address(const page* p) const {
    if (!p || (p->zone && p->zone->is_highmem()) || p->pfn >= m_layout.max_low_pfn.get())
        return VirtAddr(0);
    return m_layout.va(m_layout.phys_of(Pfn(p->pfn)));
}

page* PageAllocator::virt_to_page(VirtAddr addr) {
    if (addr < m_layout.page_offset || addr >= m_layout.high_memory)
        return nullptr;
    return pfn_to_page(m_layout.pfn_of(m_layout.pa(addr)));
}

bool PageAllocator::pfn_reserved(Pfn pfn) const {
    if (const page* p = m_memmap->existing(pfn.get()))
        return PageReserved(p);
    return m_memmap->initially_reserved(pfn.get());
}

u64 PageAllocator::nr_free_pages() const {
    u64 n = 0;
    for (const auto& z : m_zones)
        n += z->free_pages();
    return n;
}

i64 PageAllocator::outstanding(ZoneType zone, unsigned order) const {
    auto it = m_ledger.find({zone, order});
    return it == m_ledger.end() ? 0 : it->second;
}

u64 PageAllocator::outstanding_pages() const {
    i64 n = 0;
    for (const auto& [k, v] : m_ledger)
        n += v << k.second;
    return static_cast<u64>(n < 0 ? -n : n);
}

u64 PageAllocator::footprint_bytes() const {
    u64 n = sizeof(*this) + m_memmap->footprint_bytes();
    for (const auto& z : m_zones)
        n += sizeof(Zone) + z->buddy().footprint_bytes();
    return n;
}

// struct page reference helpers (mm/page.h).
void get_page(page* p) {
    ++p->_refcount;
}

bool put_page_testzero(page* p) {
    return --p->_refcount == 0;
}

void put_page(page* p) {
    if (put_page_testzero(p) && p->zone && p->zone->allocator())
        p->zone->allocator()->free_the_page(p, compound_order(p));
}

} // namespace kmemu
