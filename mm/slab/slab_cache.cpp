#include "mm/slab/slab_cache.h"

#include <algorithm>

namespace kmemu {

SlabCache::SlabCache(std::string name, const SlabRules& rules, const SlabGeometry& geometry,
                     bool dma, PageAllocator& pages, SlabIndex& index)
    : m_name(std::move(name)), m_rules(rules), m_geo(geometry), m_dma(dma), m_pages(pages),
      m_index(index) {}

std::optional<VirtAddr> SlabCache::alloc(gfp_t gfp) {
    return m_rules.is_slub() ? slub_alloc(gfp) : slab_alloc_approx(gfp);
}

void SlabCache::free(Slab& slab, u32 index) {
    slab.allocated[index] = false;
    slab.freelist.push_back(index); // LIFO: the freed object is handed out next
    --slab.inuse;
    if (m_rules.is_slub())
        slub_free(slab);
    else
        slab_free_approx(slab);
}

VirtAddr SlabCache::take(Slab& slab) {
    const u32 idx = slab.freelist.back();
    slab.freelist.pop_back();
    slab.allocated[idx] = true;
    ++slab.inuse;
    return slab.s_mem.offset(u64{idx} * m_geo.size);
}

// SLUB allocate_slab() / SLAB kmem_getpages() + cache_grow().
Slab* SlabCache::new_slab(gfp_t gfp) {
    // Only reclaim/constraint bits reach the page allocator (GFP_RECLAIM_MASK |
    // GFP_CONSTRAINT_MASK); __GFP_ZERO is the object's business, the cache adds GFP_DMA.
    gfp_t flags = gfp & (__GFP_RECLAIM | __GFP_IO | __GFP_FS | __GFP_HIGH | __GFP_NOWARN |
                         __GFP_NORETRY | __GFP_HARDWALL);
    if (m_dma)
        flags |= __GFP_DMA;
    unsigned order = m_geo.order;
    u32 objects = m_geo.objects;
    page* head = nullptr;
    if (m_rules.is_slub()) {
        // Slab pages are compound when order > 0 (s->allocflags |= __GFP_COMP). First try
        // s->oo quietly, then s->min (the order of one object) with the caller's flags; the
        // kernel makes both attempts even when the orders are equal (2.6.26+).
        head = m_pages.alloc_pages(flags | __GFP_COMP | __GFP_NOWARN | __GFP_NORETRY, order);
        if (!head) {
            order = m_geo.min_order;
            objects = m_geo.min_objects;
            head = m_pages.alloc_pages(flags | __GFP_COMP, order);
        }
    } else {
        head = m_pages.alloc_pages(flags, order);
    }
    if (!head)
        return nullptr;

    auto slab = std::make_unique<Slab>();
    slab->cache = this;
    slab->head = head;
    slab->pfn = page_to_pfn(head);
    slab->order = order;
    slab->objects = objects;
    VirtAddr base = m_pages.page_address(head);
    if (m_rules.is_slub()) {
        // __SetPageSlab() on the head page only.
        SetPageSlab(head);
        slab->s_mem = base;
    } else {
        // SLAB 2.6.x marks every page of the slab.
        for (u64 i = 0; i < (u64{1} << order); ++i)
            SetPageSlab(m_pages.pfn_to_page(Pfn(slab->pfn.get() + i)));
        // cache_grow(): colour offset (cache-line units, cycling through left_over), then the
        // on-slab management area, then the objects.
        const u64 colour_off = std::max<u64>(m_rules.l1_cache_bytes, 1);
        const u64 colours = m_geo.left_over / colour_off;
        const u64 offset = m_colour_next * colour_off;
        if (++m_colour_next >= colours)
            m_colour_next = 0;
        slab->s_mem = base.offset(offset + m_geo.first_offset);
    }
    slab->allocated.assign(objects, false);
    slab->freelist.reserve(objects);
    for (u32 i = objects; i-- > 0;)
        slab->freelist.push_back(i); // address order: object 0 first
    ++m_nr_slabs;
    m_total_objects += objects;
    Slab* raw = slab.get();
    m_index.emplace(slab->pfn.get(), std::move(slab));
    return raw;
}

void SlabCache::discard_slab(Slab* slab) {
    --m_nr_slabs;
    m_total_objects -= slab->objects;
    const unsigned order = slab->order;
    page* head = slab->head;
    if (m_rules.is_slub()) {
        ClearPageSlab(head);
    } else {
        for (u64 i = 0; i < (u64{1} << order); ++i)
            ClearPageSlab(m_pages.pfn_to_page(Pfn(slab->pfn.get() + i)));
    }
    m_index.erase(slab->pfn.get());
    m_pages.__free_pages(head, order);
}

// ___slab_alloc() for one CPU: the cpu slab's free list, else (the cpu slab is full and is
// dropped) the head of the per-cpu partial list, else slabs from the node partial list, else
// a new slab.
std::optional<VirtAddr> SlabCache::slub_alloc(gfp_t gfp) {
    for (;;) {
        if (m_cpu_slab && !m_cpu_slab->freelist.empty())
            return take(*m_cpu_slab);
        if (m_cpu_slab) {
            m_cpu_slab->where = Slab::Where::Full; // full slabs sit on no list
            m_cpu_slab = nullptr;
        }
        if (!m_cpu_partial.empty()) {
            m_cpu_slab = m_cpu_partial.front();
            m_cpu_partial.erase(m_cpu_partial.begin());
            m_cpu_slab->where = Slab::Where::CpuSlab;
            continue;
        }
        if (Slab* s = get_partial_node()) {
            m_cpu_slab = s;
            continue;
        }
        Slab* s = new_slab(gfp);
        if (!s)
            return std::nullopt;
        s->where = Slab::Where::CpuSlab;
        m_cpu_slab = s;
    }
}

// get_partial_node(): the first node-partial slab becomes the cpu slab; with per-cpu partials,
// more follow onto the per-cpu list until half its limit (objects before 5.16: available free
// objects, the first slab's included; slabs from 5.16: the extra slabs).
Slab* SlabCache::get_partial_node() {
    Slab* first = nullptr;
    u64 available = 0;
    u32 partial_slabs = 0;
    while (!m_node_partial.empty()) {
        Slab* s = m_node_partial.front();
        m_node_partial.pop_front();
        available += s->objects - s->inuse;
        if (!first) {
            first = s;
            s->where = Slab::Where::CpuSlab;
        } else {
            put_cpu_partial(s, false);
            ++partial_slabs;
        }
        if (!m_rules.slub_cpu_partial)
            break;
        if (m_rules.slub_cpu_partial_slabs ? partial_slabs > m_geo.cpu_partial_slabs / 2
                                           : available > m_geo.cpu_partial_objects / 2)
            break;
    }
    return first;
}

// put_cpu_partial(): push on the per-cpu list; with `drain`, a list already at its limit
// (slabs >= cpu_partial_slabs from 5.16; pobjects > cpu_partial before) is first moved to the
// node list. Each slab records the running total at its push (the kernel keeps it in the head).
void SlabCache::put_cpu_partial(Slab* slab, bool drain) {
    std::vector<Slab*> to_unfreeze;
    u32 total = 0;
    if (!m_cpu_partial.empty()) {
        const u32 head_total = m_cpu_partial.front()->pobjects;
        const bool full = m_rules.slub_cpu_partial_slabs ? head_total >= m_geo.cpu_partial_slabs
                                                         : head_total > m_geo.cpu_partial_objects;
        if (drain && full)
            to_unfreeze.swap(m_cpu_partial);
        else
            total = head_total;
    }
    slab->pobjects =
        m_rules.slub_cpu_partial_slabs ? total + 1 : total + (slab->objects - slab->inuse);
    slab->where = Slab::Where::CpuPartial;
    m_cpu_partial.insert(m_cpu_partial.begin(), slab);
    if (!to_unfreeze.empty())
        unfreeze_partials(std::move(to_unfreeze));
}

// unfreeze_partials() / __put_partials(): head first, each to the node list's tail, except
// empty slabs once the node holds min_partial slabs, which go back to the page allocator.
void SlabCache::unfreeze_partials(std::vector<Slab*> slabs) {
    for (Slab* s : slabs) {
        if (s->inuse == 0 && m_node_partial.size() >= m_geo.min_partial) {
            discard_slab(s);
        } else {
            s->where = Slab::Where::NodePartial;
            m_node_partial.push_back(s);
        }
    }
}

// __slab_free() after the object is back on its slab's free list.
void SlabCache::slub_free(Slab& slab) {
    switch (slab.where) {
    case Slab::Where::CpuSlab:
    case Slab::Where::CpuPartial:
        return; // frozen: nothing moves
    case Slab::Where::Full:
        // The slab was full (prior == NULL): frozen onto the per-cpu partial list, or without
        // one, to the node list's tail unless it is now empty and the node has enough.
        if (m_rules.slub_cpu_partial) {
            put_cpu_partial(&slab, true);
        } else if (slab.inuse == 0 && m_node_partial.size() >= m_geo.min_partial) {
            discard_slab(&slab);
        } else {
            slab.where = Slab::Where::NodePartial;
            m_node_partial.push_back(&slab);
        }
        return;
    case Slab::Where::NodePartial:
        // slab_empty: an empty slab leaves once the node keeps min_partial slabs (itself
        // counted).
        if (slab.inuse == 0 && m_node_partial.size() >= m_geo.min_partial) {
            m_node_partial.remove(&slab);
            discard_slab(&slab);
        }
        return;
    case Slab::Where::Free:
        return;
    }
}

std::optional<VirtAddr> SlabCache::slab_alloc_approx(gfp_t gfp) {
    Slab* s = nullptr;
    if (!m_node_partial.empty()) {
        s = m_node_partial.front();
    } else if (!m_free.empty()) {
        s = m_free.front();
        m_free.pop_front();
        s->where = Slab::Where::NodePartial;
        m_node_partial.push_front(s);
    } else {
        s = new_slab(gfp);
        if (!s)
            return std::nullopt;
        s->where = Slab::Where::NodePartial;
        m_node_partial.push_front(s);
    }
    VirtAddr obj = take(*s);
    if (s->freelist.empty()) {
        m_node_partial.remove(s);
        s->where = Slab::Where::Full;
    }
    return obj;
}

// free_block(): an empty slab goes to slabs_free, or is destroyed while the cache has more
// than free_limit free objects; others go to the tail of slabs_partial.
void SlabCache::slab_free_approx(Slab& slab) {
    if (slab.where == Slab::Where::NodePartial)
        m_node_partial.remove(&slab);
    if (slab.inuse == 0) {
        u64 free_objects = 0;
        for (const auto* s : m_node_partial)
            free_objects += s->objects - s->inuse;
        for (const auto* s : m_free)
            free_objects += s->objects;
        free_objects += slab.objects;
        if (free_objects > m_geo.free_limit) {
            discard_slab(&slab);
        } else {
            slab.where = Slab::Where::Free;
            m_free.push_front(&slab);
        }
        return;
    }
    slab.where = Slab::Where::NodePartial;
    m_node_partial.push_back(&slab);
}

SlabCacheStats SlabCache::stats() const {
    SlabCacheStats st;
    st.name = m_name;
    st.objsize = m_geo.size;
    st.objperslab = m_geo.objects;
    st.pagesperslab = 1u << m_geo.order;
    st.num_objs = m_total_objects;
    if (m_rules.is_slub()) {
        // get_slabinfo(): free objects are counted on the node partial lists only, so the
        // free objects of the cpu slab and of per-cpu partial slabs show as active.
        u64 nr_free = 0;
        for (const auto* s : m_node_partial)
            nr_free += s->objects - s->inuse;
        st.active_objs = m_total_objects - nr_free;
        st.active_slabs = m_nr_slabs;
        st.num_slabs = m_nr_slabs;
        return st;
    }
    for (const auto& [pfn, s] : m_index)
        if (s->cache == this) {
            st.active_objs += s->inuse;
            if (s->inuse)
                ++st.active_slabs;
        }
    st.num_slabs = m_nr_slabs;
    st.limit = m_geo.limit;
    st.batchcount = m_geo.batchcount;
    st.shared = m_geo.shared;
    return st;
}

} // namespace kmemu
