#include "mm/slab/kmalloc.h"

#include <algorithm>
#include <array>

#include <fmt/format.h>

#include "mm/phys_memory.h"

namespace kmemu {

SlabMemoryHooks memory_hooks_for(PhysicalMemory& memory) {
    SlabMemoryHooks h;
    h.zero = [&memory](PhysAddr at, u64 len) {
        const u64 psize = memory.page_size();
        // Whole frames through zero_frames() (free for never-written frames); edges by bytes.
        static const std::array<std::byte, 4096> zeros{};
        u64 done = 0;
        while (done < len) {
            const PhysAddr a = at.offset(done);
            if (a.get() % psize == 0 && len - done >= psize) {
                const u64 frames = (len - done) / psize;
                memory.zero_frames(Pfn(a.get() / psize), frames);
                done += frames * psize;
                continue;
            }
            const u64 to_edge = psize - a.get() % psize;
            const u64 n = std::min({len - done, to_edge, u64{zeros.size()}});
            (void)memory.write(a, std::span<const std::byte>(zeros.data(), n));
            done += n;
        }
    };
    h.copy = [&memory](PhysAddr dst, PhysAddr src, u64 len) {
        std::array<std::byte, 4096> buf{};
        for (u64 done = 0; done < len;) {
            const u64 n = std::min<u64>(len - done, buf.size());
            (void)memory.read(src.offset(done), std::span<std::byte>(buf.data(), n));
            (void)memory.write(dst.offset(done), std::span<const std::byte>(buf.data(), n));
            done += n;
        }
    };
    return h;
}

KmallocAllocator::KmallocAllocator(PageAllocator& pages, const SlabRules& rules, unsigned nr_cpus,
                                   SlabMemoryHooks memory)
    : m_pages(pages), m_rules(rules), m_nr_cpus(std::max(nr_cpus, 1u)), m_memory(std::move(memory)),
      m_has_dma_zone(pages.zone(ZoneType::Dma) != nullptr) {
    // create_kmalloc_caches() / kmem_cache_init(): the normal caches in class order. SLAB
    // makes each "size-N(DMA)" right after "size-N"; SLUB makes the DMA caches after all normal
    // ones (CONFIG_ZONE_DMA only), by class order from 4.20, by kmalloc index before.
    const auto classes = kmalloc_classes(m_rules);
    for (u64 cls : classes) {
        (void)create_cache(cls, false);
        if (!m_rules.is_slub() && m_has_dma_zone)
            (void)create_cache(cls, true);
    }
    if (m_rules.is_slub() && m_has_dma_zone && m_rules.dma_caches_at_boot) {
        auto order = classes;
        if (!m_rules.dma_caches_class_order)
            std::stable_sort(order.begin(), order.end(), [](u64 a, u64 b) {
                // kmalloc index: 96 is 1, 192 is 2, the powers of two follow by size.
                auto idx = [](u64 s) { return s == 96 ? 1 : s == 192 ? 2 : 3; };
                return idx(a) < idx(b);
            });
        for (u64 cls : order)
            (void)create_cache(cls, true);
    }
}

KmallocAllocator::~KmallocAllocator() = default;

SlabCache* KmallocAllocator::create_cache(u64 cls, bool dma) {
    m_caches.push_back(std::make_unique<SlabCache>(kmalloc_cache_name(m_rules, cls, dma), m_rules,
                                                   slab_geometry(m_rules, cls, m_nr_cpus), dma,
                                                   m_pages, m_slabs));
    return m_caches.back().get();
}

SlabCache* KmallocAllocator::cache_for(u64 cls, bool dma) {
    for (auto& c : m_caches)
        if (c->dma() == dma && c->geometry().size == cls)
            return c.get();
    // SLUB before 2.6.36: dma_kmalloc_cache() made the DMA cache on first use.
    return create_cache(cls, dma);
}

void KmallocAllocator::zero(VirtAddr addr, u64 len) {
    if (m_memory.zero)
        m_memory.zero(m_pages.layout().pa(addr), len);
}

VirtAddr KmallocAllocator::kmalloc(u64 size, gfp_t gfp) {
    ++m_calls;
    if (m_fail_nth && m_calls == m_fail_nth) {
        ++m_failed;
        return VirtAddr(0);
    }
    if (size == 0) {
        // 2.6.23+: ZERO_SIZE_PTR, no object. SLAB before: the first general cache serves it.
        if (m_rules.zero_size_ptr)
            return VirtAddr(ZERO_SIZE_PTR);
    }
    if (size > m_rules.kmalloc_max_size) {
        // SLUB: kmalloc_large() asks for order >= MAX_ORDER; __alloc_pages() warns once unless
        // __GFP_NOWARN and fails. SLAB: no cache fits; NULL without a word.
        if (m_rules.warn_on_too_large && !(gfp & __GFP_NOWARN))
            m_warnings.push_back(fmt::format(
                "WARNING: kmalloc({}) is above KMALLOC_MAX_SIZE ({}): order {} >= MAX_ORDER in "
                "__alloc_pages",
                size, m_rules.kmalloc_max_size, get_order(size, m_rules.page_shift)));
        ++m_failed;
        return VirtAddr(0);
    }
    if (gfp & (__GFP_HIGHMEM | __GFP_DMA32)) {
        // GFP_SLAB_BUG_MASK: kmalloc_fix_flags() warns and drops the bits (older kernels BUG).
        m_warnings.push_back(fmt::format("Unexpected gfp: {:#x}. Fixing up to gfp: {:#x}", gfp,
                                         gfp & ~(__GFP_HIGHMEM | __GFP_DMA32)));
        gfp &= ~(__GFP_HIGHMEM | __GFP_DMA32);
    }
    if (m_rules.is_slub() && size > m_rules.kmalloc_max_cache_size)
        return kmalloc_large(size, gfp);

    // kmalloc_type(): the DMA caches only with CONFIG_ZONE_DMA.
    const bool dma = (gfp & __GFP_DMA) && m_has_dma_zone;
    const u64 cls = size == 0 ? m_rules.kmalloc_min_size : *kmalloc_class_for(m_rules, size);
    SlabCache* cache = cache_for(cls, dma);
    auto obj = cache->alloc(gfp);
    if (!obj) {
        ++m_failed;
        return VirtAddr(0);
    }
    // slab_post_alloc_hook(): __GFP_ZERO clears the whole object (s->object_size).
    if (gfp & __GFP_ZERO)
        zero(*obj, cache->object_size());
    m_requested[obj->get()] = size;
    ++m_ledger.objects;
    m_ledger.bytes_requested += size;
    m_ledger.bytes_allocated += cache->object_size();
    return *obj;
}

// kmalloc_large() / kmalloc_order(): a compound block of get_order(size), not PG_slab.
VirtAddr KmallocAllocator::kmalloc_large(u64 size, gfp_t gfp) {
    const unsigned order = get_order(size, m_rules.page_shift);
    page* head = m_pages.alloc_pages((gfp & ~__GFP_ZERO) | __GFP_COMP, order);
    if (!head) {
        ++m_failed;
        return VirtAddr(0);
    }
    const VirtAddr addr = m_pages.page_address(head);
    const u64 bytes = m_rules.page_size() << order;
    if (gfp & __GFP_ZERO)
        zero(addr, bytes); // the page allocator clears every page of the block
    m_large[addr.get()] = Large{head, order};
    m_requested[addr.get()] = size;
    ++m_ledger.large;
    m_ledger.large_pages += u64{1} << order;
    m_ledger.bytes_requested += size;
    m_ledger.bytes_allocated += bytes;
    return addr;
}

VirtAddr KmallocAllocator::kmalloc_array(u64 n, u64 size, gfp_t gfp) {
    u64 bytes = 0;
    if (__builtin_mul_overflow(n, size, &bytes)) {
        // check_mul_overflow(): NULL, no allocation attempted.
        ++m_failed;
        return VirtAddr(0);
    }
    return kmalloc(bytes, gfp);
}

const Slab* KmallocAllocator::slab_of(VirtAddr p, u32* index) const {
    const Layout& l = m_pages.layout();
    if (p < l.page_offset || p >= l.high_memory)
        return nullptr;
    const u64 pfn = l.pfn_of(l.pa(p)).get();
    auto it = m_slabs.upper_bound(pfn);
    if (it == m_slabs.begin())
        return nullptr;
    --it;
    const Slab* s = it->second.get();
    if (pfn >= it->first + (u64{1} << s->order))
        return nullptr;
    *index = UINT32_MAX;
    if (p >= s->s_mem) {
        const u64 off = p.minus(s->s_mem);
        const u64 size = s->cache->object_size();
        if (off % size == 0 && off / size < s->objects)
            *index = static_cast<u32>(off / size);
    }
    return s;
}

void KmallocAllocator::kfree(VirtAddr p) {
    if (ZERO_OR_NULL_PTR(p.get()))
        return;
    if (auto it = m_large.find(p.get()); it != m_large.end()) {
        // free_large_kmalloc(): drop the compound block.
        const u64 bytes = m_rules.page_size() << it->second.order;
        m_pages.__free_pages(it->second.head, it->second.order);
        --m_ledger.large;
        m_ledger.large_pages -= u64{1} << it->second.order;
        m_ledger.bytes_allocated -= bytes;
        m_ledger.bytes_requested -= m_requested[p.get()];
        m_requested.erase(p.get());
        m_large.erase(it);
        return;
    }
    u32 idx = 0;
    const Slab* s = slab_of(p, &idx);
    if (!s) {
        m_bugs.push_back(fmt::format("kfree({:#x}): not a kmalloc address (the page is neither "
                                     "PageSlab nor a kmalloc compound page: kernel BUG)",
                                     p));
        return;
    }
    if (idx == UINT32_MAX) {
        m_bugs.push_back(fmt::format("kfree({:#x}): not the start of an object of {} (kernel BUG: "
                                     "invalid pointer)",
                                     p, s->cache->name()));
        return;
    }
    if (!s->allocated[idx]) {
        m_bugs.push_back(fmt::format("kfree({:#x}): double free of an object of {} (kernel BUG)", p,
                                     s->cache->name()));
        return;
    }
    SlabCache* cache = s->cache;
    const u64 objsize = cache->object_size();
    cache->free(*const_cast<Slab*>(s), idx);
    --m_ledger.objects;
    m_ledger.bytes_allocated -= objsize;
    m_ledger.bytes_requested -= m_requested[p.get()];
    m_requested.erase(p.get());
}

u64 KmallocAllocator::ksize(VirtAddr p) const {
    if (ZERO_OR_NULL_PTR(p.get()))
        return 0;
    if (auto it = m_large.find(p.get()); it != m_large.end())
        return m_rules.page_size() << it->second.order; // page_size(compound head)
    u32 idx = 0;
    const Slab* s = slab_of(p, &idx);
    if (!s || idx == UINT32_MAX || !s->allocated[idx])
        return 0;
    return s->cache->object_size(); // slab_ksize(): s->size without debug flags
}

VirtAddr KmallocAllocator::krealloc(VirtAddr p, u64 new_size, gfp_t gfp) {
    if (!m_rules.has_krealloc) {
        m_bugs.push_back("krealloc() does not exist before 2.6.22");
        return VirtAddr(0);
    }
    if (new_size == 0) {
        kfree(p);
        return VirtAddr(m_rules.zero_size_ptr ? ZERO_SIZE_PTR : 0);
    }
    // __do_krealloc(): keep the object while it is big enough (shrinking included).
    const u64 ks = ksize(p);
    if (ks >= new_size) {
        auto it = m_requested.find(p.get());
        if (it != m_requested.end()) {
            m_ledger.bytes_requested = m_ledger.bytes_requested - it->second + new_size;
            it->second = new_size;
        }
        return p;
    }
    const VirtAddr ret = kmalloc(new_size, gfp);
    if (ret.get() && !ZERO_OR_NULL_PTR(p.get())) {
        if (ks && m_memory.copy)
            m_memory.copy(m_pages.layout().pa(ret), m_pages.layout().pa(p), ks);
        kfree(p);
    }
    return ret;
}

std::vector<SlabCacheStats> KmallocAllocator::slabinfo() const {
    // slab_caches is a list with new caches added at the head.
    std::vector<SlabCacheStats> out;
    for (auto it = m_caches.rbegin(); it != m_caches.rend(); ++it)
        out.push_back((*it)->stats());
    return out;
}

const SlabCache* KmallocAllocator::cache(std::string_view name) const {
    for (const auto& c : m_caches)
        if (c->name() == name)
            return c.get();
    return nullptr;
}

} // namespace kmemu
