// KmallocAllocator: one machine's kmalloc family (kmalloc, kzalloc, kcalloc, krealloc, kfree,
// ksize) over its PageAllocator. Objects are kernel virtual addresses in the direct map,
// physically contiguous. Small requests come from the kmalloc caches (mm/slab/slab_cache.h);
// with SLUB, requests above KMALLOC_MAX_CACHE_SIZE are compound pages (kmalloc_large).
//
// Faults: an allocation fails when its page allocation fails (the page allocator's injection
// applies), or on the Nth kmalloc-family call (set_fail_nth). A kfree the kernel would BUG or
// oops on (not a kmalloc address, inside an object, double free) is recorded in bug_reports()
// and changes nothing.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "mm/page_alloc.h"
#include "mm/slab/slab_cache.h"

namespace kmemu {

class PhysicalMemory;

// How the allocator writes object memory (it does not own physical memory): zero `len` bytes
// at a physical address (__GFP_ZERO), copy between objects (krealloc).
struct SlabMemoryHooks {
    std::function<void(PhysAddr, u64)> zero;
    std::function<void(PhysAddr dst, PhysAddr src, u64 len)> copy;
};
[[nodiscard]] SlabMemoryHooks memory_hooks_for(PhysicalMemory& memory);

struct KmallocLedger {
    u64 objects = 0;         // slab objects handed out and not freed
    u64 bytes_requested = 0; // sum of the sizes asked for (slab and large)
    u64 bytes_allocated = 0; // sum of ksize() of what is outstanding
    u64 large = 0;           // kmalloc_large allocations outstanding
    u64 large_pages = 0;
    [[nodiscard]] bool balanced() const {
        return objects == 0 && bytes_requested == 0 && bytes_allocated == 0 && large == 0;
    }
};

class KmallocAllocator {
  public:
    // nr_cpus: the count SLUB's calculate_order() scales slab sizes by.
    KmallocAllocator(PageAllocator& pages, const SlabRules& rules, unsigned nr_cpus,
                     SlabMemoryHooks memory = {});
    KmallocAllocator(const KmallocAllocator&) = delete;
    KmallocAllocator& operator=(const KmallocAllocator&) = delete;
    ~KmallocAllocator();

    // 0 is NULL; ZERO_SIZE_PTR (16) for kmalloc(0) where the version has it.
    [[nodiscard]] VirtAddr kmalloc(u64 size, gfp_t gfp);
    [[nodiscard]] VirtAddr kzalloc(u64 size, gfp_t gfp) { return kmalloc(size, gfp | __GFP_ZERO); }
    // kmalloc_array(): NULL when n * size overflows.
    [[nodiscard]] VirtAddr kmalloc_array(u64 n, u64 size, gfp_t gfp);
    [[nodiscard]] VirtAddr kcalloc(u64 n, u64 size, gfp_t gfp) {
        return kmalloc_array(n, size, gfp | __GFP_ZERO);
    }
    // krealloc(): p itself while ksize(p) covers new_size; else a new object with ksize(p)
    // bytes copied and p freed; krealloc(NULL) is kmalloc; new_size 0 frees p and returns
    // ZERO_SIZE_PTR (NULL before 2.6.23). On failure p is untouched and NULL returned.
    [[nodiscard]] VirtAddr krealloc(VirtAddr p, u64 new_size, gfp_t gfp);
    void kfree(VirtAddr p);
    // ksize(): the usable size (the cache's object size, or the compound page's size); 0 for
    // NULL, ZERO_SIZE_PTR and addresses that are not live kmalloc objects.
    [[nodiscard]] u64 ksize(VirtAddr p) const;

    // The kmalloc caches in /proc/slabinfo order (most recently created first).
    [[nodiscard]] std::vector<SlabCacheStats> slabinfo() const;
    [[nodiscard]] const SlabCache* cache(std::string_view name) const;
    [[nodiscard]] const SlabRules& rules() const { return m_rules; }

    void set_fail_nth(u64 n) {
        m_fail_nth = n;
        m_calls = 0;
    }
    [[nodiscard]] const KmallocLedger& ledger() const { return m_ledger; }
    [[nodiscard]] bool ledger_balanced() const { return m_ledger.balanced(); }
    [[nodiscard]] u64 failed_allocations() const { return m_failed; }
    [[nodiscard]] const std::vector<std::string>& bug_reports() const { return m_bugs; }
    [[nodiscard]] const std::vector<std::string>& warnings() const { return m_warnings; }

  private:
    struct Large {
        page* head;
        unsigned order;
    };
    [[nodiscard]] SlabCache* cache_for(u64 cls, bool dma);
    [[nodiscard]] SlabCache* create_cache(u64 cls, bool dma);
    [[nodiscard]] VirtAddr kmalloc_large(u64 size, gfp_t gfp);
    [[nodiscard]] const Slab* slab_of(VirtAddr p, u32* index) const;
    void zero(VirtAddr addr, u64 len);

    PageAllocator& m_pages;
    SlabRules m_rules;
    unsigned m_nr_cpus;
    SlabMemoryHooks m_memory;
    bool m_has_dma_zone;
    SlabIndex m_slabs;
    std::vector<std::unique_ptr<SlabCache>> m_caches; // creation order
    std::map<u64, Large> m_large;                     // by address
    std::unordered_map<u64, u64> m_requested;         // address -> size asked for
    KmallocLedger m_ledger;
    u64 m_fail_nth = 0;
    u64 m_calls = 0;
    u64 m_failed = 0;
    std::vector<std::string> m_bugs;
    std::vector<std::string> m_warnings;
};

} // namespace kmemu
