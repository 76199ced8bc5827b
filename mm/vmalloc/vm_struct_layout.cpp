#include "mm/vmalloc/vm_struct_layout.h"

#include "mm/kernel_image/c_struct_layout.h"

namespace kmemu {

namespace {

VmStructLayout vm_struct_layout(KernelVersion v, Arch arch) {
    // include/linux/vmalloc.h: next, addr, size, flags, pages, [page_order], nr_pages,
    // phys_addr, [caller] (S24 has no caller; S32, S310, S419, 6.x have it).
    VmStructLayout l;
    CStructLayout s(arch);
    const unsigned word = s.word_bytes();
    l.next = s.word();
    l.addr = s.word();
    l.size_field = s.word();
    l.flags = s.word();
    l.pages = s.word();
    // page_order with CONFIG_HAVE_ARCH_HUGE_VMALLOC (5.13+), which x86_64 selects from 5.18
    // ("x86/Kconfig: select HAVE_ARCH_HUGE_VMALLOC with HAVE_ARCH_HUGE_VMAP"); arm64 is taken
    // not to select it in the supported versions (unverified).
    const bool x86_64 = arch == Arch::X86_64 || arch == Arch::X86_64La57;
    if (x86_64 && v.at_least(5, 18))
        l.page_order = s.u32_field();
    l.nr_pages = s.u32_field();
    // phys_addr: unsigned long in S24/S32, phys_addr_t in S310 and later. The change is put at
    // 3.7 (ARM LPAE era, unverified); it only moves fields on i386-PAE and ARM-LPAE, where
    // phys_addr_t is wider than unsigned long.
    const bool wide_phys = arch == Arch::I386Pae || arch == Arch::ArmLpae;
    if (v.at_least(3, 7) && wide_phys) {
        l.phys_addr = s.u64_field();
        l.phys_addr_bytes = 8;
    } else {
        l.phys_addr = s.word();
        l.phys_addr_bytes = word;
    }
    // caller: "vmallocinfo: add caller information", the release that added /proc/vmallocinfo
    // (2.6.25, the same boundary as VmallocRules::has_vmallocinfo).
    if (v.at_least(2, 6, 25))
        l.caller = s.word();
    l.size = s.size();
    return l;
}

VmapAreaLayout vmap_area_layout(KernelVersion v, Arch arch) {
    VmapAreaLayout l;
    CStructLayout s(arch);
    l.va_start = s.word();
    l.va_end = s.word();
    if (!v.at_least(5, 2)) {
        // S32, S310, S419: va_start, va_end, flags, rb_node, list, purge_list, vm (private
        // before 3.10), rcu_head. purge_list became an llist_node with "mm/vmalloc: keep a
        // separate lazy-free list" (Chris Wilson, 4.7, from the date; S419 has it).
        l.flags = s.word();
        l.rb_node = s.words(3);
        l.list = s.words(2);
        l.purge_list = s.words(v.at_least(4, 7) ? 1 : 2);
        l.vm = s.word();
        l.rcu_head = s.words(2);
    } else if (!v.at_least(5, 4)) {
        // 5.2 (Uladzislau Rezki, free-block tree): subtree_max_size and flags first, no rcu_head
        // (the object goes back to vmap_area_cachep directly).
        l.subtree_max_size = s.word();
        l.flags = s.word();
        l.rb_node = s.words(3);
        l.list = s.words(2);
        l.purge_list = s.word();
        l.vm = s.word();
    } else {
        // 5.4 ("mm/vmalloc: modify struct vmap_area to reduce its size"): the three per-state
        // fields share one word; the purge llist left the union when lazy areas moved to the
        // purge tree (5.9, the boundary of UnpurgedView::AfterListMerged). 6.3 appended flags
        // (VMAP_RAM / VMAP_BLOCK for vm_map_ram, from the date of the series).
        l.rb_node = s.words(3);
        l.list = s.words(2);
        const u32 u = s.word();
        l.subtree_max_size = u;
        l.vm = u;
        if (!v.at_least(5, 9))
            l.purge_list = u;
        if (v.at_least(6, 3))
            l.flags = s.word();
    }
    l.size = s.size();
    return l;
}

} // namespace

VmObjectRules vm_object_rules_for(KernelVersion v, Arch arch) {
    VmObjectRules r;
    r.version = v;
    r.arch = arch;
    r.word_bytes = is_32bit(arch) ? 4 : 8;
    r.vm = vm_struct_layout(v, arch);
    // __get_vm_area_node: kmalloc_node in S24, kzalloc_node from the vmap_area rewrite (S32).
    r.vm_struct_zeroed = v.at_least(2, 6, 28);

    r.has_vmap_area = v.at_least(2, 6, 28); // Nick Piggin's vmap_area allocator
    r.va = vmap_area_layout(v, arch);
    // 5.2: "This kmem_cache is used for vmap_area objects" (vmap_area_cachep).
    r.va_source = v.at_least(5, 2) ? VmapAreaSource::OwnCache : VmapAreaSource::Kmalloc;

    // 3.10 "mm, vmalloc: remove list management of vmlist after initializing vmalloc".
    r.keeps_vmlist = !v.at_least(3, 10);
    // 6.9 "mm/vmalloc: remove vmap_area_list" (Baoquan He, in the vmap_node series).
    r.has_vmap_area_list = r.has_vmap_area && !v.at_least(6, 9);

    // vmap_area.flags: S32/S310 define VM_LAZY_FREE 0x01, VM_LAZY_FREEING 0x02, VM_VM_AREA
    // 0x04; the 4.7 llist rework dropped the lazy flags; "mm/vmalloc.c: show lazy-purged vma
    // info in vmallocinfo" (4.13, from the date) brought VM_LAZY_FREE back as 0x02 (S419);
    // 5.2 dropped it again and 5.4 dropped the flags word with VM_VM_AREA (va->vm decides).
    if (r.has_vmap_area && !v.at_least(5, 4))
        r.va_vm_area = 0x04;
    if (r.has_vmap_area && !v.at_least(4, 7))
        r.va_lazy_free = 0x01;
    else if (v.at_least(4, 13) && !v.at_least(5, 2))
        r.va_lazy_free = 0x02;
    // 3.10 "mm, vmalloc: protect va->vm by vmap_area_lock": remove_vm_area clears vm and
    // VM_VM_AREA (S310); before, free_unmap_vmap_area only ORs VM_LAZY_FREE in (S32).
    r.lazy_keeps_vm = !v.at_least(3, 10);
    // 5.2 free_vmap_area_noflush: unlink_va() from the busy tree and list, then the purge list.
    r.lazy_stays_listed = !v.at_least(5, 2);
    r.lazy_merges = v.at_least(5, 9);

    // struct page: 56 bytes on 64-bit until the SLUB cmpxchg_double work aligned it to two
    // words (CONFIG_HAVE_ALIGNED_STRUCT_PAGE, 3.1, unverified), 64 after; 32 on 32-bit.
    if (r.word_bytes == 4)
        r.struct_page_size = 32;
    else
        r.struct_page_size = v.at_least(3, 1) ? 64 : 56;
    return r;
}

} // namespace kmemu
