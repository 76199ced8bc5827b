#include "mm/vmalloc/vmap_space.h"

#include <algorithm>

namespace kmemu {

namespace {

bool is_power_of_two(u64 x) {
    return x != 0 && (x & (x - 1)) == 0;
}

} // namespace

VmapSpace::VmapSpace(VmallocRules rules, const Layout& layout, unsigned online_cpus)
    : m_rules(rules), m_vmalloc_start(layout.vmalloc_start),
      m_vmalloc_end(rules.vmalloc_end_inclusive ? layout.vmalloc_end.offset_down(1)
                                                : layout.vmalloc_end),
      m_modules_vaddr(layout.modules_vaddr), m_modules_end(layout.modules_end),
      m_word_mask(layout.word_bits >= 64 ? ~u64{0} : (u64{1} << layout.word_bits) - 1),
      m_online_cpus(online_cpus == 0 ? 1 : online_cpus) {}

// --- placement -------------------------------------------------------------------------------
// All arithmetic is the kernel's unsigned long: values live in [0, m_word_mask]; a sum past the
// mask is the kernel's wrap, caught where the kernel checks for it.

bool VmapSpace::overflows(u64 addr, u64 size) const {
    // alloc_vmap_area's `addr + size - 1 < addr` / `addr + size < addr`: the range wraps the
    // unsigned long (past the 32-bit word, or past 2^64 in the host's u64).
    const u64 last = addr + size - 1;
    return last > m_word_mask || last < addr;
}

VmapSpace::Map::const_iterator VmapSpace::lowest_ending_at_or_after(u64 addr) const {
    // The rbtree descent of alloc_vmap_area (2.6.28-5.1) yields the lowest area with
    // va_end >= addr (an area ending exactly at addr counts).
    auto it = m_areas.lower_bound(addr);
    if (it != m_areas.begin()) {
        auto prev = std::prev(it);
        if (prev->second.area.end().get() >= addr)
            return prev;
    }
    return it;
}

std::optional<u64> VmapSpace::place_vmlist(u64 size, u64 align, u64 vstart, u64 vend) const {
    // __get_vm_area_node (<=2.6.27) over vmlist (live areas only; E1 frees at once).
    u64 addr = align_up(vstart, align) & m_word_mask;
    for (const auto& [start, e] : m_areas) {
        const u64 end = e.area.end().get();
        if (start < addr) {
            if (end >= addr)
                addr = align_up(end, align) & m_word_mask;
            continue;
        }
        if (addr + size > m_word_mask)
            return std::nullopt;
        if (addr + size <= start)
            return addr;
        addr = align_up(end, align) & m_word_mask;
        if (addr > ((vend - size) & m_word_mask))
            return std::nullopt;
    }
    // The kernel takes the candidate after the last area without checking vend again.
    return addr;
}

std::optional<u64> VmapSpace::place_rbtree(u64 size, u64 align, u64 vstart, u64 vend) const {
    // alloc_vmap_area 2.6.28-2.6.36: lowest fit; stepping past an area costs an extra page.
    const u64 page = m_rules.page_size();
    u64 addr = align_up(vstart, align) & m_word_mask;
    if (overflows(addr, size))
        return std::nullopt;
    auto it = lowest_ending_at_or_after(addr);
    while (it != m_areas.end() && addr + size > it->first && addr + size <= vend) {
        addr = align_up(it->second.area.end().get() + page, align);
        if (overflows(addr, size))
            return std::nullopt;
        ++it;
    }
    if (addr + size > vend)
        return std::nullopt;
    return addr;
}

std::optional<u64> VmapSpace::place_next_fit(u64 size, u64 align, u64 vstart, u64 vend) {
    // alloc_vmap_area 2.6.37-5.1 with free_vmap_cache (S310 L342).
    const u64 gap = m_rules.skip_extra_page ? m_rules.page_size() : 0;
    if (!m_cache || size < m_cached_hole_size || vstart < m_cached_vstart ||
        align < m_cached_align) {
        m_cached_hole_size = 0;
        m_cache.reset();
    }
    m_cached_vstart = vstart;
    m_cached_align = align;

    u64 addr = 0;
    Map::const_iterator first = m_areas.end();
    if (m_cache) {
        first = m_areas.find(*m_cache);
        addr = align_up(first->second.area.end().get() + gap, align);
        if (addr < vstart) {
            // `goto nocache`: forget the hint and search from vstart.
            m_cached_hole_size = 0;
            m_cache.reset();
        } else if (overflows(addr, size)) {
            return std::nullopt;
        }
    }
    if (!m_cache) {
        addr = align_up(vstart, align) & m_word_mask;
        if (overflows(addr, size))
            return std::nullopt;
        first = lowest_ending_at_or_after(addr);
        if (first == m_areas.end())
            return addr + size > vend ? std::nullopt : std::optional<u64>(addr);
    }
    // Walk areas until a hole fits, noting the largest hole seen below the cache.
    auto blocks = [&](u64 a, u64 start) {
        return m_rules.step_past_touching ? a + size >= start : a + size > start;
    };
    while (blocks(addr, first->first) && addr + size <= vend) {
        if (addr + m_cached_hole_size < first->first)
            m_cached_hole_size = first->first - addr;
        addr = align_up(first->second.area.end().get() + gap, align);
        if (overflows(addr, size))
            return std::nullopt;
        if (std::next(first) == m_areas.end())
            break;
        ++first;
    }
    if (addr + size > vend)
        return std::nullopt;
    return addr;
}

std::optional<u64> VmapSpace::place_lowest_free(u64 size, u64 align, u64 vstart, u64 vend) const {
    // 5.2+ find_vmap_lowest_match over free blocks; lazily freed areas are in neither tree, so
    // they still block. Free space spans [1, ULONG_MAX) around the busy areas
    // (vmap_init_free_space). Strict lowest fit: the kernel's size + align - 1 subtree pruning
    // can skip a tight aligned fit in some tree shapes; that is not modelled.
    auto fits = [&](u64 g0, u64 g1) -> std::optional<u64> {
        const u64 nva = g0 < vstart ? align_up(vstart, align) : align_up(g0, align);
        if (nva + size < nva || nva + size > g1)
            return std::nullopt;
        return nva;
    };
    u64 gap_start = 1;
    std::optional<u64> found;
    auto it = lowest_ending_at_or_after(vstart);
    if (it != m_areas.begin())
        gap_start = std::prev(it)->second.area.end().get();
    for (; it != m_areas.end() && !found; ++it) {
        if (it->first > gap_start)
            found = fits(gap_start, it->first);
        gap_start = std::max(gap_start, it->second.area.end().get());
    }
    if (!found)
        found = fits(gap_start, m_word_mask);
    if (!found || *found + size > vend)
        return std::nullopt;
    return found;
}

std::optional<u64> VmapSpace::place(u64 size, u64 align, u64 vstart, u64 vend) {
    switch (m_rules.placement) {
    case VmapPlacement::VmlistFirstFit:
        return place_vmlist(size, align, vstart, vend);
    case VmapPlacement::RbtreeLowestFit:
        return place_rbtree(size, align, vstart, vend);
    case VmapPlacement::NextFitCache:
        return place_next_fit(size, align, vstart, vend);
    case VmapPlacement::LowestFreeFit:
        return place_lowest_free(size, align, vstart, vend);
    }
    return std::nullopt;
}

// --- reserve / free --------------------------------------------------------------------------

ErrorOr<VmapResult> VmapSpace::reserve(const VmapRequest& req) {
    const u64 page = m_rules.page_size();
    if (!is_power_of_two(req.align))
        return make_error(ErrorKind::InvalidConfig,
                          "vmap reserve: align {:#x} is not a power of two", req.align);
    if (req.vstart > req.vend)
        return make_error(ErrorKind::InvalidConfig, "vmap reserve: vstart {:#x} > vend {:#x}",
                          req.vstart, req.vend);
    if ((m_word_mask != ~u64{0} && req.vend.get() > m_word_mask + 1) || req.size > m_word_mask)
        return make_error(ErrorKind::InvalidConfig,
                          "vmap reserve: range or size beyond the {}-bit word",
                          m_word_mask == ~u64{0} ? 64 : 32);
    if ((req.flags & VmNoGuard) && !m_rules.has_no_guard)
        return make_error(ErrorKind::InvalidConfig,
                          "vmap reserve: VM_NO_GUARD does not exist before 4.0 (kernel {})",
                          m_rules.version.to_string());
    if ((req.flags & VmDmaCoherent) && m_rules.flags.dma_coherent == 0)
        return make_error(ErrorKind::InvalidConfig,
                          "vmap reserve: VM_DMA_COHERENT does not exist before 5.8 (kernel {})",
                          m_rules.version.to_string());

    VmapResult result;
    // __get_vm_area_node: PAGE_ALIGN (in unsigned long), zero rejected.
    u64 size = align_up(req.size, page) & m_word_mask;
    if (size == 0) {
        result.failure = VmapFailure::ZeroSize;
        return result;
    }
    u64 align = req.align;
    if (req.flags & VmIoremap)
        align = m_rules.ioremap_align(m_rules.ioremap_order == IoremapOrder::Fls ? req.size : size);
    align = std::max(align, page); // alignment 1 means page alignment (areas are page-granular)
    if (!(req.flags & VmNoGuard))
        size += page; // the guard page
    if (size > m_word_mask) {
        result.failure = VmapFailure::NoSpace;
        return result;
    }

    // __get_vm_area_node: kzalloc the vm_struct, then alloc_vmap_area kmallocs the vmap_area,
    // both before the search (a failed allocation returns NULL).
    if (m_hooks && !m_hooks->alloc_area_objects()) {
        result.failure = VmapFailure::NoMemory;
        return result;
    }
    std::optional<u64> addr = place(size, align, req.vstart.get(), req.vend.get());
    if (!addr && m_rules.purge_and_retry) {
        purge(); // alloc_vmap_area: purge_vmap_area_lazy() once, then retry
        result.purged = true;
        addr = place(size, align, req.vstart.get(), req.vend.get());
    }
    if (!addr) {
        if (m_hooks)
            m_hooks->free_area_objects();
        result.failure = VmapFailure::NoSpace;
        return result;
    }
    Entry e;
    e.area.addr = VirtAddr(*addr);
    e.area.size = size;
    e.area.flags = req.flags;
    e.area.caller = req.caller;
    e.area.phys_addr = req.phys_addr;
    auto placed = m_areas.emplace(*addr, std::move(e)).first;
    if (m_rules.placement == VmapPlacement::NextFitCache)
        m_cache = *addr; // free_vmap_cache = &va->rb_node
    if (m_hooks)
        m_hooks->area_linked(placed->second.area);
    result.addr = VirtAddr(*addr);
    return result;
}

ErrorOr<VmapResult> VmapSpace::vmalloc(u64 size, std::string caller, u64 totalram_pages, u64 align,
                                       u32 extra_flags) {
    const u64 page = m_rules.page_size();
    VmapResult result;
    // __vmalloc_node(_range): size = PAGE_ALIGN(size); !size or more pages than totalram
    // (num_physpages in 2.6.24) -> NULL.
    const u64 aligned = align_up(size, page) & m_word_mask;
    if (aligned == 0) {
        result.failure = VmapFailure::ZeroSize;
        return result;
    }
    if (m_rules.rejects_over_totalram && (aligned >> m_rules.page_shift) > totalram_pages) {
        result.failure = VmapFailure::OverTotalram;
        return result;
    }
    VmapRequest req;
    req.size = aligned;
    req.align = align;
    req.flags = VmAlloc | extra_flags;
    req.vstart = m_vmalloc_start;
    req.vend = m_vmalloc_end;
    req.caller = caller;
    result = TRY(reserve(req));
    if (!result.ok())
        return result;

    VmArea* area = find_vm_area(*result.addr);
    const u64 nr_pages = area->usable_size(page) >> m_rules.page_shift;
    area->nr_pages = static_cast<unsigned>(nr_pages);
    if (m_hooks)
        m_hooks->area_changed(*area);
    // __vmalloc_area_node: a page array larger than a page is itself vmalloc'ed (placed after
    // the area it describes), which sets VM_VPAGES (<=4.4) / makes is_vmalloc_addr(pages) true.
    const u64 ptr_bytes = m_word_mask == ~u64{0} ? 8 : 4;
    if (nr_pages * ptr_bytes > page) {
        auto nested = TRY(vmalloc(nr_pages * ptr_bytes, caller, totalram_pages));
        if (!nested.ok()) {
            free(*result.addr); // the kernel frees the half-made area (vfree / remove_vm_area)
            nested.purged = nested.purged || result.purged;
            return nested;
        }
        area->vpages = true; // std::map nodes are stable: `area` still points at it
        area->pages_vaddr = *nested.addr;
        if (m_hooks)
            m_hooks->area_changed(*area);
    }
    return result;
}

ErrorOr<VmapResult> VmapSpace::ioremap(PhysAddr phys, u64 size, std::string caller) {
    const u64 page = m_rules.page_size();
    VmapResult result;
    // x86 __ioremap_caller: !size or a wrapping range -> NULL.
    const u64 last = phys.get() + size - 1;
    if (size == 0 || last < phys.get()) {
        result.failure = VmapFailure::ZeroSize;
        return result;
    }
    const u64 offset = phys.get() & (page - 1);
    const u64 base = phys.get() - offset;
    VmapRequest req;
    req.size = align_up(last + 1, page) - base;
    req.flags = VmIoremap;
    req.vstart = m_vmalloc_start;
    req.vend = m_vmalloc_end;
    req.caller = std::move(caller);
    req.phys_addr = PhysAddr(base);
    result = TRY(reserve(req));
    if (result.ok())
        result.addr = result.addr->offset(offset);
    return result;
}

ErrorOr<void> VmapSpace::add_boot_area(const VmArea& area) {
    const u64 page = m_rules.page_size();
    if (!area.addr.is_aligned(page) || area.size == 0 || area.size % page != 0)
        return make_error(ErrorKind::InvalidConfig,
                          "boot vm area {:#x}+{:#x}: start and size must be whole pages", area.addr,
                          area.size);
    if (area.addr.get() + area.size - 1 > m_word_mask)
        return make_error(ErrorKind::InvalidConfig, "boot vm area {:#x}+{:#x}: beyond the word",
                          area.addr, area.size);
    if ((area.flags & VmNoGuard) && !m_rules.has_no_guard)
        return make_error(ErrorKind::InvalidConfig,
                          "boot vm area: VM_NO_GUARD does not exist before 4.0");
    if (!(area.flags & VmNoGuard) && area.size < 2 * page)
        return make_error(ErrorKind::InvalidConfig,
                          "boot vm area {:#x}: size {:#x} leaves no page besides the guard",
                          area.addr, area.size);
    auto it = m_areas.lower_bound(area.addr.get());
    if ((it != m_areas.end() && it->first < area.end().get()) ||
        (it != m_areas.begin() && std::prev(it)->second.area.end() > area.addr))
        return make_error(ErrorKind::InvalidConfig, "boot vm area {:#x}+{:#x} overlaps an area",
                          area.addr, area.size);
    // vm_area_add_early's vm_struct is static (ARM: memblock) and vmalloc_init kzallocs its
    // vmap_area; with hooks both are kmalloc'ed here (the difference is documented there).
    if (m_hooks && !m_hooks->alloc_area_objects())
        return make_error(ErrorKind::InvalidConfig,
                          "boot vm area {:#x}+{:#x}: no memory for its vm_struct/vmap_area",
                          area.addr, area.size);
    Entry e;
    e.area = area;
    auto placed = m_areas.emplace(area.addr.get(), std::move(e)).first;
    if (m_hooks)
        m_hooks->area_linked(placed->second.area);
    return {};
}

void VmapSpace::erase_area(Map::iterator it) {
    // __free_vmap_area (2.6.37-5.1): keep free_vmap_cache pointing at or below the hole.
    if (m_cache) {
        if (it->second.area.end().get() < m_cached_vstart) {
            m_cache.reset();
        } else if (it->first <= *m_cache) {
            if (it == m_areas.begin())
                m_cache.reset();
            else
                m_cache = std::prev(it)->first;
        }
    }
    m_areas.erase(it);
}

VfreeResult VmapSpace::free(VirtAddr addr) {
    if (addr.get() == 0)
        return VfreeResult::Null;
    if (!addr.is_aligned(m_rules.page_size()))
        return VfreeResult::BadAlign;
    auto it = m_areas.end();
    if (m_rules.find_by_containing) {
        // __find_vmap_area: va_start <= addr < va_end.
        auto c = m_areas.upper_bound(addr.get());
        if (c != m_areas.begin() && addr < std::prev(c)->second.area.end())
            it = std::prev(c);
    } else {
        it = m_areas.find(addr.get()); // __remove_vm_area: tmp->addr == addr
    }
    if (it == m_areas.end() || it->second.lazy)
        return VfreeResult::NotFound;
    // __vunmap: remove_vm_area first, then vfree() of a vmalloc'ed page array, then
    // kfree(area).
    const VirtAddr start(it->first);
    const VirtAddr pages_area = it->second.area.pages_vaddr;
    if (m_hooks)
        m_hooks->area_removed(it->second.area, m_rules.lazy_free);
    if (!m_rules.lazy_free) {
        erase_area(it);
    } else {
        // free_vmap_area_noflush: queue it; purge once more than lazy_max_pages() are queued.
        it->second.lazy = true;
        it->second.lazy_seq = ++m_lazy_seq;
        m_lazy_nr += it->second.area.size >> m_rules.page_shift;
        if (m_lazy_nr > m_rules.lazy_max_pages(m_online_cpus))
            purge();
    }
    if (pages_area.get())
        free(pages_area);
    if (m_hooks)
        m_hooks->vm_struct_freed(start);
    return VfreeResult::Freed;
}

void VmapSpace::area_updated(VirtAddr addr) {
    const VmArea* area = find_vm_area(addr);
    if (m_hooks && area)
        m_hooks->area_changed(*area);
}

void VmapSpace::purge() {
    if (m_hooks && m_lazy_nr)
        m_hooks->lazy_areas_purged();
    for (auto it = m_areas.begin(); it != m_areas.end();) {
        auto next = std::next(it);
        if (it->second.lazy)
            erase_area(it);
        it = next;
    }
    m_lazy_nr = 0;
}

// --- queries ---------------------------------------------------------------------------------

const VmArea* VmapSpace::find_vm_area(VirtAddr addr) const {
    if (m_rules.find_by_containing) {
        auto c = m_areas.upper_bound(addr.get());
        if (c == m_areas.begin())
            return nullptr;
        const Entry& e = std::prev(c)->second;
        return addr < e.area.end() && !e.lazy ? &e.area : nullptr;
    }
    auto it = m_areas.find(addr.get());
    return it == m_areas.end() || it->second.lazy ? nullptr : &it->second.area;
}

VmArea* VmapSpace::find_vm_area(VirtAddr addr) {
    return const_cast<VmArea*>(std::as_const(*this).find_vm_area(addr));
}

std::vector<const VmArea*> VmapSpace::areas() const {
    std::vector<const VmArea*> out;
    for (const auto& [start, e] : m_areas)
        if (!e.lazy)
            out.push_back(&e.area);
    return out;
}

std::vector<VmapSpace::ListEntry> VmapSpace::vmap_area_list() const {
    std::vector<ListEntry> out;
    for (const auto& [start, e] : m_areas)
        out.push_back({&e.area, e.lazy});
    return out;
}

std::vector<std::pair<VirtAddr, u64>> VmapSpace::unpurged() const {
    std::vector<std::pair<VirtAddr, u64>> out;
    std::vector<const Entry*> lazy;
    for (const auto& [start, e] : m_areas)
        if (e.lazy)
            lazy.push_back(&e);
    if (m_rules.unpurged == UnpurgedView::AfterListLifo) {
        // llist_add pushes at the head: the most recent vfree is listed first.
        std::sort(lazy.begin(), lazy.end(),
                  [](const Entry* a, const Entry* b) { return a->lazy_seq > b->lazy_seq; });
        for (const Entry* e : lazy)
            out.emplace_back(e->area.addr, e->area.size);
        return out;
    }
    for (const Entry* e : lazy) {
        // merge_or_add_vmap_area into the purge tree joins touching ranges (5.9+).
        if (m_rules.unpurged == UnpurgedView::AfterListMerged && !out.empty() &&
            out.back().first.offset(out.back().second) == e->area.addr)
            out.back().second += e->area.size;
        else
            out.emplace_back(e->area.addr, e->area.size);
    }
    return out;
}

bool VmapSpace::is_vmalloc_addr(VirtAddr x) const {
    // include/linux/mm.h (2.6.28+): VMALLOC_START <= x < VMALLOC_END; with x86_64's inclusive
    // constant the last byte is excluded.
    return x >= m_vmalloc_start && x < m_vmalloc_end;
}

bool VmapSpace::is_vmalloc_or_module_addr(VirtAddr x) const {
    // mm/vmalloc.c (2.6.28+, CONFIG_MODULES, arch with MODULES_VADDR).
    if (x >= m_modules_vaddr && x < m_modules_end)
        return true;
    return is_vmalloc_addr(x);
}

} // namespace kmemu
