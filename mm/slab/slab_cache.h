// One kmalloc cache: its slabs, the lists they sit on, and object allocation and freeing by the
// rules of the era's allocator.
//
// SLUB is modelled for one running CPU (cpu 0 does every call): the cpu slab, the per-cpu
// partial list (CONFIG_SLUB_CPU_PARTIAL) and the node partial list, with
// CONFIG_SLAB_FREELIST_RANDOM off (a new slab's free list is in address order, object 0 at the
// slab's first byte) and no debugging. Free lists are LIFO: a freed object is the next one
// handed out from its slab. Object contents (SLUB's in-object free pointer) are not written.
//
// SLAB (2.6.11-2.6.22) is approximated: its geometry, colouring and list accounting are the
// kernel's, but the per-cpu and shared array caches (batch refill, LIFO across slabs, reaping)
// are not modelled; objects come from the first partial slab, then a free one, then a new one.
#pragma once

#include <list>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "mm/gfp.h"
#include "mm/page_alloc.h"
#include "mm/slab/slab_geometry.h"

namespace kmemu {

class SlabCache;

struct Slab {
    enum class Where { CpuSlab, CpuPartial, NodePartial, Full, Free };
    SlabCache* cache = nullptr;
    page* head = nullptr;
    Pfn pfn;
    unsigned order = 0;
    u32 objects = 0;
    u32 inuse = 0;    // objects handed out and not freed
    VirtAddr s_mem;   // address of object 0
    u32 pobjects = 0; // pre-5.16 put_cpu_partial(): free objects counted when it was pushed
    Where where = Where::Full;
    std::vector<u32> freelist; // back() is the next object handed out
    std::vector<bool> allocated;
};

// Every live slab of a machine by first pfn (virt_to_head_page for any byte of a slab).
using SlabIndex = std::map<u64, std::unique_ptr<Slab>>;

struct SlabCacheStats {
    std::string name;
    u64 active_objs = 0, num_objs = 0, objsize = 0;
    u32 objperslab = 0, pagesperslab = 0;
    u32 limit = 0, batchcount = 0, shared = 0;
    u64 active_slabs = 0, num_slabs = 0, shared_avail = 0;
};

class SlabCache {
  public:
    SlabCache(std::string name, const SlabRules& rules, const SlabGeometry& geometry, bool dma,
              PageAllocator& pages, SlabIndex& index);
    SlabCache(const SlabCache&) = delete;
    SlabCache& operator=(const SlabCache&) = delete;

    // slab_alloc(): an object's address, or nullopt when no slab page could be had.
    [[nodiscard]] std::optional<VirtAddr> alloc(gfp_t gfp);
    // slab_free() of object `index` of `slab` (already checked to be allocated).
    void free(Slab& slab, u32 index);

    [[nodiscard]] const std::string& name() const { return m_name; }
    [[nodiscard]] const SlabGeometry& geometry() const { return m_geo; }
    [[nodiscard]] u64 object_size() const { return m_geo.size; }
    [[nodiscard]] bool dma() const { return m_dma; }
    [[nodiscard]] SlabCacheStats stats() const;

  private:
    [[nodiscard]] Slab* new_slab(gfp_t gfp);
    void discard_slab(Slab* slab);
    [[nodiscard]] VirtAddr take(Slab& slab);
    // SLUB.
    [[nodiscard]] std::optional<VirtAddr> slub_alloc(gfp_t gfp);
    void slub_free(Slab& slab);
    void put_cpu_partial(Slab* slab, bool drain);
    void unfreeze_partials(std::vector<Slab*> slabs);
    [[nodiscard]] Slab* get_partial_node();
    // SLAB.
    [[nodiscard]] std::optional<VirtAddr> slab_alloc_approx(gfp_t gfp);
    void slab_free_approx(Slab& slab);

    std::string m_name;
    const SlabRules& m_rules;
    SlabGeometry m_geo;
    bool m_dma;
    PageAllocator& m_pages;
    SlabIndex& m_index;

    Slab* m_cpu_slab = nullptr;
    std::vector<Slab*> m_cpu_partial; // front() is the head (the most recently added)
    std::list<Slab*> m_node_partial;  // get_partial_node() takes from the front
    std::list<Slab*> m_free;          // SLAB: slabs_free
    u64 m_nr_slabs = 0;
    u64 m_total_objects = 0;
    u64 m_colour_next = 0; // SLAB colouring of the next slab
};

} // namespace kmemu
