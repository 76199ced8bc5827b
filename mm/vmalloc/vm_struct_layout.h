// The in-memory shape of struct vm_struct and struct vmap_area (include/linux/vmalloc.h,
// mm/vmalloc.c) for one kernel version and word size, and what each era keeps in them: which
// list links them, where lazily freed vmap_areas wait, which flag values mark them, where the
// objects come from. Decided once by vm_object_rules_for(); the object writer
// (mm/vmalloc/vm_objects.h) only reads it (DESIGN.md lesson 11).
//
// Offsets are computed from the field lists of the era (CStructLayout): 4-byte words on
// i386 and ARM, 8-byte on x86_64 and arm64; a u64 / 64-bit phys_addr_t is 4-byte aligned inside
// a struct on i386 (SysV i386 ABI) and 8-byte aligned on ARM EABI.
#pragma once

#include <optional>

#include "mm/arch.h"
#include "mm/kernel_version.h"
#include "mm/types.h"

namespace kmemu {

// struct vm_struct. Fields absent in an era are nullopt.
struct VmStructLayout {
    u32 size = 0; // sizeof(struct vm_struct)
    u32 next = 0, addr = 0, size_field = 0, flags = 0, pages = 0, nr_pages = 0, phys_addr = 0;
    std::optional<u32> page_order; // 5.13+ CONFIG_HAVE_ARCH_HUGE_VMALLOC
    std::optional<u32> caller;     // 2.6.25+ (came with /proc/vmallocinfo)
    unsigned phys_addr_bytes = 4;  // unsigned long, then phys_addr_t
};

// struct vmap_area (2.6.28+). `vm` is `private` before 3.10.
struct VmapAreaLayout {
    u32 size = 0;
    u32 va_start = 0, va_end = 0, rb_node = 0, list = 0, vm = 0;
    std::optional<u32> flags;            // 2.6.28-5.3, again 6.3+ (vm_map_ram type)
    std::optional<u32> subtree_max_size; // 5.2+ (a union with vm from 5.4)
    std::optional<u32> purge_list;       // 2.6.28-5.8 (list_head, llist_node from 4.7)
    std::optional<u32> rcu_head;         // 2.6.28-5.1
};

enum class VmapAreaSource : u8 {
    Kmalloc,  // kmalloc_node(sizeof(struct vmap_area)) (2.6.28-5.1)
    OwnCache, // kmem_cache_alloc_node(vmap_area_cachep) (5.2+, the "vmap_area" cache)
};

struct VmObjectRules {
    KernelVersion version;
    Arch arch = Arch::X86_64;
    unsigned word_bytes = 8;

    VmStructLayout vm;
    // vm_struct comes from kzalloc (2.6.28+; kmalloc before, every field written anyway).
    bool vm_struct_zeroed = true;

    // The vmap_area allocator exists (2.6.28+); before, vm_struct is the only object.
    bool has_vmap_area = true;
    VmapAreaLayout va;
    VmapAreaSource va_source = VmapAreaSource::Kmalloc;

    // The global `vmlist` is the address-sorted vm_struct list the kernel keeps (<= 3.9); from
    // 3.10 it is an __initdata static used only before vmalloc_init, so vm_struct.next is 0.
    bool keeps_vmlist = false;
    // A `vmap_area_list` list_head exists in the image (2.6.28-6.8; static before 3.10, removed
    // with the vmap_node rework in 6.9).
    bool has_vmap_area_list = true;

    // vmap_area.flags values (mm/vmalloc.c #defines); 0 = not in this era.
    u64 va_vm_area = 0;   // VM_VM_AREA 0x04: a vm_struct is attached (2.6.28-5.3)
    u64 va_lazy_free = 0; // VM_LAZY_FREE: 0x01 (2.6.28-4.6), 0x02 (4.13-5.1)
    // 2.6.28-3.9: a lazily freed vmap_area keeps VM_VM_AREA and its (freed) vm_struct pointer;
    // 3.10+ remove_vm_area clears both under vmap_area_lock.
    bool lazy_keeps_vm = false;
    // A lazily freed vmap_area stays in vmap_area_list until the purge (2.6.28-5.1); from 5.2
    // free_vmap_area_noflush unlinks it at once and queues it on the purge list.
    bool lazy_stays_listed = true;
    // 5.9+: the purge list is an address-sorted tree that merges touching lazy areas
    // (merge_or_add_vmap_area), freeing the vmap_area objects merged away.
    bool lazy_merges = false;

    // sizeof(struct page) for the memmap addresses in the page arrays: 64 on 64-bit from the
    // aligned struct page of 3.1+ (56 before), 32 on 32-bit (see vm_objects.cpp).
    unsigned struct_page_size = 64;
};

[[nodiscard]] VmObjectRules vm_object_rules_for(KernelVersion version, Arch arch);

} // namespace kmemu
