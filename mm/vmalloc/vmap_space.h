// VmapSpace: the kernel's vmap address-space bookkeeping for one machine (mm/vmalloc.c): which
// ranges of [VMALLOC_START, VMALLOC_END) (or any vstart..vend) are taken by which area, placed
// by the version's algorithm (VmallocRules), freed lazily where the version does so. No page
// tables here: a later step maps pages into the areas placed.
//
// Invariants: areas never overlap; every area (live or lazily freed) occupies [addr, addr+size),
// size including the guard page; lazily freed areas are invisible to vread/find_vm_area but
// block placement until purge().
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "mm/error.h"
#include "mm/layout.h"
#include "mm/types.h"
#include "mm/vmalloc/vmalloc_rules.h"

namespace kmemu {

// Era-neutral VM_* flags for callers; VmallocRules::flags gives each one's kernel value.
enum VmFlag : u32 {
    VmIoremap = 1u << 0,
    VmAlloc = 1u << 1,
    VmMap = 1u << 2,
    VmUsermap = 1u << 3,
    VmDmaCoherent = 1u << 4,
    VmNoGuard = 1u << 5,
};

// One vm_struct (with its vmap_area's range).
struct VmArea {
    VirtAddr addr;
    u64 size = 0;  // vm_struct.size: includes the guard page unless VM_NO_GUARD
    u32 flags = 0; // VmFlag bits
    unsigned nr_pages = 0;
    std::string caller;     // %pS text ("load_module+0x1234/0x2000"), empty = no caller
    PhysAddr phys_addr;     // ioremap only (0 = not printed)
    bool vpages = false;    // the page array itself was vmalloc'ed ...
    VirtAddr pages_vaddr;   // ... at this address (freed with the area); 0 = none
    VirtAddr pages_kmalloc; // the page array kmalloc'ed by the allocating API; 0 = none
    // area->pages as pfns, filled by the allocating API (mm/vmalloc/vmalloc.h) once mapped;
    // empty for bookkeeping-only areas, ioremaps and vmap().
    std::vector<Pfn> pages;

    [[nodiscard]] VirtAddr end() const { return addr.offset(size); }
    // get_vm_area_size(): the usable part, without the guard page.
    [[nodiscard]] u64 usable_size(u64 page_size) const {
        return (flags & VmNoGuard) ? size : size - page_size;
    }
};

// Why a reservation failed, as the kernel would: every case returns NULL to the caller.
enum class VmapFailure {
    None,
    ZeroSize,     // PAGE_ALIGN(size) == 0
    OverTotalram, // (size >> PAGE_SHIFT) > totalram_pages
    NoSpace,      // alloc_vmap_area -EBUSY (E2+) / vmlist "out of vmalloc space" (E1)
    NoMemory,     // the vm_struct / vmap_area kmalloc failed (with object hooks attached)
};

struct VmapResult {
    std::optional<VirtAddr> addr; // the area start (ioremap: plus the page offset)
    VmapFailure failure = VmapFailure::None;
    bool purged = false; // a purge-and-retry happened (E2+)
    [[nodiscard]] bool ok() const { return addr.has_value(); }
};

enum class VfreeResult {
    Null, // vfree(NULL): nothing
    Freed,
    BadAlign, // "Trying to vfree() bad address": WARN, nothing freed
    NotFound, // "Trying to vfree() nonexistent vm area": WARN, nothing freed
};

struct VmapRequest {
    u64 size = 0;
    u64 align = 1; // power of two; 1 = page
    u32 flags = VmAlloc;
    VirtAddr vstart;
    VirtAddr vend; // exclusive (as the kernel's vend)
    std::string caller;
    PhysAddr phys_addr;
};

// The kernel-object side of VmapSpace's operations, in the kernel's order (mm/vmalloc/
// vm_objects.h keeps vm_struct / vmap_area objects in kernel memory). Optional: a VmapSpace
// without hooks is pure bookkeeping.
class VmapObjectHooks {
  public:
    virtual ~VmapObjectHooks() = default;
    // __get_vm_area_node before the search: the vm_struct and vmap_area objects. false: no
    // memory (the kernel returns NULL).
    [[nodiscard]] virtual bool alloc_area_objects() = 0;
    // The search failed: kfree(va), kfree(area).
    virtual void free_area_objects() = 0;
    // The area was placed (or added at boot): fill and link the objects.
    virtual void area_linked(const VmArea& area) = 0;
    // nr_pages, the page array or its contents changed.
    virtual void area_changed(const VmArea& area) = 0;
    // remove_vm_area: unlinked from vmlist; the vmap_area lazily freed (lazy) or freed.
    virtual void area_removed(const VmArea& area, bool lazy) = 0;
    // kfree(area) at the end of __vunmap, after the pages and the page array.
    virtual void vm_struct_freed(VirtAddr area_start) = 0;
    // __purge_vmap_area_lazy: every lazily freed vmap_area is released.
    virtual void lazy_areas_purged() = 0;
};

class VmapSpace {
  public:
    VmapSpace(VmallocRules rules, const Layout& layout, unsigned online_cpus = 1);

    [[nodiscard]] const VmallocRules& rules() const { return m_rules; }
    [[nodiscard]] VirtAddr vmalloc_start() const { return m_vmalloc_start; }
    // VMALLOC_END as the allocator's vend (the inclusive constant on x86_64).
    [[nodiscard]] VirtAddr vmalloc_end() const { return m_vmalloc_end; }

    // __get_vm_area_node: page-align, ioremap alignment, guard page, placement. Bad input
    // (align not a power of two, vstart > vend, a flag this version lacks) is an Error.
    [[nodiscard]] ErrorOr<VmapResult> reserve(const VmapRequest& req);
    // vmalloc(size) bookkeeping: __vmalloc_node's checks, a VM_ALLOC area with nr_pages set,
    // and (when the page array exceeds a page) the nested vmalloc of that array, placed after.
    [[nodiscard]] ErrorOr<VmapResult> vmalloc(u64 size, std::string caller, u64 totalram_pages,
                                              u64 align = 1, u32 extra_flags = 0);
    // ioremap(phys, size) placement as x86 __ioremap_caller does it: page-align the physical
    // range, VM_IOREMAP area, return area + (phys & ~PAGE_MASK).
    [[nodiscard]] ErrorOr<VmapResult> ioremap(PhysAddr phys, u64 size, std::string caller);

    // A boot-time area at a fixed address (vm_area_add_early, ARM iotable_init static maps,
    // or an early allocation recorded by hand). Must lie clear of every existing area.
    [[nodiscard]] ErrorOr<void> add_boot_area(const VmArea& area);

    // vfree/vunmap/iounmap: E1 unlinks and reuses at once; E2+ unlinks the vm_struct at once
    // (vread sees a hole) but the range stays taken until a purge.
    VfreeResult free(VirtAddr addr);
    // __purge_vmap_area_lazy: every lazily freed range becomes reusable.
    void purge();

    // find_vm_area(addr): live areas only.
    [[nodiscard]] const VmArea* find_vm_area(VirtAddr addr) const;
    [[nodiscard]] VmArea* find_vm_area(VirtAddr addr);
    // Live areas in address order: the list vread, /dev/kmem and vmallocinfo walk.
    [[nodiscard]] std::vector<const VmArea*> areas() const;
    // Lazily freed ranges (start, size) in the order /proc/vmallocinfo lists them (rules).
    [[nodiscard]] std::vector<std::pair<VirtAddr, u64>> unpurged() const;
    // Every vmap area in address order, lazily freed ones marked: vmap_area_list as 3.10-5.1
    // keep it (lazily freed areas stay in it until the purge).
    struct ListEntry {
        const VmArea* area;
        bool lazy;
    };
    [[nodiscard]] std::vector<ListEntry> vmap_area_list() const;
    [[nodiscard]] u64 lazy_pages() const { return m_lazy_nr; }

    // is_vmalloc_addr (§3.1): VMALLOC_START <= x < VMALLOC_END.
    [[nodiscard]] bool is_vmalloc_addr(VirtAddr x) const;
    // is_vmalloc_or_module_addr: MODULES_VADDR <= x < MODULES_END, else is_vmalloc_addr.
    [[nodiscard]] bool is_vmalloc_or_module_addr(VirtAddr x) const;

    // Object hooks (nullptr detaches). Not owned.
    void set_object_hooks(VmapObjectHooks* hooks) { m_hooks = hooks; }
    [[nodiscard]] VmapObjectHooks* object_hooks() const { return m_hooks; }
    // The allocating API changed a live area's nr_pages / page array: tell the hooks.
    void area_updated(VirtAddr addr);

  private:
    struct Entry {
        VmArea area;
        bool lazy = false;
        u64 lazy_seq = 0; // order of vfree, for LIFO display
    };
    using Map = std::map<u64, Entry>; // keyed by start

    std::optional<u64> place(u64 size, u64 align, u64 vstart, u64 vend);
    std::optional<u64> place_vmlist(u64 size, u64 align, u64 vstart, u64 vend) const;
    std::optional<u64> place_rbtree(u64 size, u64 align, u64 vstart, u64 vend) const;
    std::optional<u64> place_next_fit(u64 size, u64 align, u64 vstart, u64 vend);
    std::optional<u64> place_lowest_free(u64 size, u64 align, u64 vstart, u64 vend) const;
    void erase_area(Map::iterator it); // __free_vmap_area, with the cache update
    [[nodiscard]] bool overflows(u64 addr, u64 size) const;
    [[nodiscard]] Map::const_iterator lowest_ending_at_or_after(u64 addr) const;

    VmallocRules m_rules;
    VirtAddr m_vmalloc_start, m_vmalloc_end;
    VirtAddr m_modules_vaddr, m_modules_end;
    u64 m_word_mask = ~u64{0}; // unsigned long arithmetic wraps at the word size
    unsigned m_online_cpus = 1;
    Map m_areas;
    u64 m_lazy_nr = 0;
    u64 m_lazy_seq = 0;
    // free_vmap_cache state (NextFitCache): key of the cached area, or none.
    std::optional<u64> m_cache;
    u64 m_cached_hole_size = 0, m_cached_vstart = 0, m_cached_align = 0;
    VmapObjectHooks* m_hooks = nullptr;
};

} // namespace kmemu
