// VmObjects: the vm_struct and vmap_area objects of one machine's vmap areas, kept in kernel
// memory as the kernel keeps them, so that a reader of kernel memory (a /dev/kmem reader
// starting at the `vmlist` or `vmap_area_list` symbol of /proc/kallsyms) walks the real lists:
//
//  * __get_vm_area_node: kzalloc(sizeof(struct vm_struct)), then (2.6.28+) the vmap_area from
//    kmalloc (<= 5.1) or the "vmap_area" kmem_cache (5.2+), both before the range is searched;
//    a failed search frees both (vmap_area first).
//  * setup_vmalloc_vm / insert_vmalloc_vmlist: fields written at the era's offsets for the
//    arch's word size (mm/vmalloc/vm_struct_layout.h), the vm_struct linked into the address
//    sorted `vmlist` (<= 3.9), the vmap_area into the address-sorted `vmap_area_list`.
//  * vfree / vunmap / iounmap: remove_vm_area unlinks the vm_struct at once; kfree(area) comes
//    after the pages and the page array. The vmap_area is lazily freed: it stays listed with
//    the era's flags until the purge (<= 5.1) or leaves the list at once (5.2+; 5.9+ merging
//    touching lazy areas, freeing the merged objects); __purge_vmap_area_lazy frees it.
//  * area->pages: the page array kmalloc'ed (or vmalloc'ed) by the allocating API, filled with
//    the struct page addresses of the area's pages (struct_page_address()).
//
// Not modelled, and documented as such: the rbtree (rb_node fields are written 0 and
// vmap_area_root stays NULL; a lazily freed vmap_area unlinked from the tree has
// RB_CLEAR_NODE), the purge list linkage of lazily freed areas (purge_list zero; 5.2+ their
// list_head points to itself), the free-space vmap_areas of the 5.2+ free tree, the 6.9+
// per-node busy lists (no list head in the image: the list is linked through a kmemu-private
// head address of 0), RCU grace periods (the purge frees at once), the static vm_structs of
// areas registered before vmalloc_init (kmalloc'ed here like the others), the "vmap_area"
// cache in /proc/slabinfo and in meminfo's Slab (its slab pages are counted as used pages
// only), the 32-bit mem_map's own placement (see struct_page_address).
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>

#include "mm/error.h"
#include "mm/kernel_image/kernel_symbols.h"
#include "mm/layout.h"
#include "mm/phys_memory.h"
#include "mm/slab/kmalloc.h"
#include "mm/slab/slab_cache.h"
#include "mm/vmalloc/vm_struct_layout.h"
#include "mm/vmalloc/vmap_space.h"

namespace kmemu {

struct VmObjectsLedger {
    u64 vm_structs = 0; // allocated and not kfree'd
    u64 vmap_areas = 0;
    u64 lazy_vmap_areas = 0; // of which lazily freed, waiting for the purge
};

class VmObjects final : public VmapObjectHooks {
  public:
    // Attaches itself to `space` (its hooks) and creates the objects of areas that already
    // exist, as vmalloc_init imports the boot vmlist. The machine's memory, kmalloc and symbols
    // must outlive it; it must be detached (destroyed) before `space`.
    [[nodiscard]] static ErrorOr<std::unique_ptr<VmObjects>>
    attach(VmapSpace& space, KmallocAllocator& kmalloc, PageAllocator& pages, PhysicalMemory& phys,
           const Layout& layout, const KernelSymbols& symbols);
    ~VmObjects() override;
    VmObjects(const VmObjects&) = delete;
    VmObjects& operator=(const VmObjects&) = delete;

    [[nodiscard]] const VmObjectRules& rules() const { return m_rules; }
    // The objects of a live area starting at addr (0 when none).
    [[nodiscard]] VirtAddr vm_struct_of(VirtAddr area_start) const;
    [[nodiscard]] VirtAddr vmap_area_of(VirtAddr area_start) const;
    // The lazily freed vmap_area covering addr, waiting for the purge (0 when none).
    [[nodiscard]] VirtAddr lazy_vmap_area_of(VirtAddr addr) const;
    // ksize() of one of these objects: the kmalloc cache's size, or the vmap_area cache's
    // object size (5.2+); 0 for anything else.
    [[nodiscard]] u64 object_size(VirtAddr object) const;
    // The "vmap_area" kmem_cache (5.2+), nullptr before.
    [[nodiscard]] const SlabCache* vmap_area_cache() const { return m_va_cache.get(); }
    // The kernel virtual address of pfn's struct page (pfn_to_page as the kernel computes it).
    [[nodiscard]] VirtAddr struct_page_address(Pfn pfn) const;
    [[nodiscard]] const VmObjectsLedger& ledger() const { return m_ledger; }

    // VmapObjectHooks
    [[nodiscard]] bool alloc_area_objects() override;
    void free_area_objects() override;
    void area_linked(const VmArea& area) override;
    void area_changed(const VmArea& area) override;
    void area_removed(const VmArea& area, bool lazy) override;
    void vm_struct_freed(VirtAddr area_start) override;
    void lazy_areas_purged() override;

  private:
    struct Node {
        VirtAddr vm;    // the vm_struct
        VirtAddr va;    // the vmap_area (0 before 2.6.28)
        VirtAddr start; // vm_struct.addr
        u64 end = 0;    // va_end
    };
    struct Lazy {
        VirtAddr va;
        u64 start = 0, end = 0;
        u64 seq = 0;       // order of vfree (llist purge order)
        VirtAddr stale_vm; // <= 3.9: the freed vm_struct the vmap_area still points to
    };

    VmObjects(VmapSpace& space, KmallocAllocator& kmalloc, PhysicalMemory& phys,
              const Layout& layout, const KernelSymbols& symbols);
    [[nodiscard]] ErrorOr<void> init_heads();
    [[nodiscard]] ErrorOr<void> import_existing();

    [[nodiscard]] VirtAddr alloc_vmap_area_object();
    void free_vmap_area_object(VirtAddr va);

    void write_vm_struct(const VmArea& area, VirtAddr vm, VirtAddr next);
    void write_vmap_area(VirtAddr va, u64 start, u64 end, u64 flags, VirtAddr vm);
    void write_page_array(const VmArea& area);
    void store_word(VirtAddr kernel_va, u64 value);
    void store_phys_word(PhysAddr pa, u64 value);
    [[nodiscard]] u64 kernel_vm_flags(const VmArea& area) const;
    [[nodiscard]] u64 caller_address(const std::string& caller) const;

    // The vmap_area_list neighbours of a range start (busy areas, and lazy ones while they
    // stay listed); 0 = the list head.
    [[nodiscard]] VirtAddr list_entry_before(u64 start) const;
    [[nodiscard]] VirtAddr list_entry_after(u64 start) const;
    void list_insert(VirtAddr va, u64 start);
    void list_remove(VirtAddr va, u64 start);
    [[nodiscard]] VirtAddr list_field(VirtAddr va) const; // &va->list, or the head for 0
    void vmlist_relink(u64 around);

    VmapSpace& m_space;
    KmallocAllocator& m_kmalloc;
    PhysicalMemory& m_phys;
    const Layout& m_layout;
    const KernelSymbols& m_symbols;
    VmObjectRules m_rules;

    std::optional<KernelSymbol> m_vmlist;    // `vmlist` (<= 3.9)
    std::optional<KernelSymbol> m_list_head; // `vmap_area_list` (2.6.28-6.8)

    struct Pending {
        VirtAddr vm, va;
    };
    std::optional<Pending> m_pending;  // allocated by alloc_area_objects, not yet linked
    std::map<u64, Node> m_live;        // linked areas by start
    std::map<u64, Lazy> m_lazy;        // lazily freed vmap_areas by va_start
    std::map<u64, VirtAddr> m_removed; // unlinked vm_structs waiting for kfree, by start
    u64 m_lazy_seq = 0;

    // 5.2+: the "vmap_area" cache, on its own slab index.
    SlabIndex m_va_slabs;
    std::unique_ptr<SlabCache> m_va_cache;
    VmObjectsLedger m_ledger;
};

} // namespace kmemu
