// struct vm_fault and struct vm_operations_struct (include/linux/mm.h, mm_types.h) in a
// C-compatible form, plus the helpers drivers call on a VMA. A driver's mmap method sets
// vma->vm_ops; the fault path (mm/user/fault.cpp) calls ->fault for a page that is not yet
// mapped, munmap's split calls ->open for the new piece, and ->close runs when a VMA goes
// (kernel-semantics §4.3, §4.7).
//
// The fault method takes the one-argument form of 4.11+ (`vm_fault_t fault(struct vm_fault *)`,
// vmf->vma holding the VMA); 2.6.23-4.10 drivers wrote `int fault(vma, vmf)`: port them by
// reading vmf->vma. The legacy ->nopage / ->nopfn of 2.6.x are not modelled.
#pragma once

#include "mm/user/fault.h"
#include "mm/user/vm_area.h"

namespace kmemu {

struct vm_fault {
    struct vm_area_struct* vma;
    unsigned int flags;         // FAULT_FLAG_*
    unsigned int gfp_mask;      // GFP for page allocations the handler makes
    unsigned long pgoff;        // vm_pgoff + (address - vm_start) / PAGE_SIZE
    unsigned long address;      // the faulting address, page aligned
    unsigned long real_address; // the faulting address itself (6.1+)
    void* virtual_address;      // 2.6.23-4.9's name of `address`
    struct page* cow_page;      // unused by kmemu's fault path
    struct page* page;          // out: a page with a reference the handler took
};

// Members default to NULL so that a driver names only the methods it has (`.fault = f`).
struct vm_operations_struct {
    void (*open)(struct vm_area_struct*) = nullptr;
    void (*close)(struct vm_area_struct*) = nullptr;
    // 4.x `split` / 5.x `may_split`: a nonzero return vetoes splitting the VMA at addr.
    int (*may_split)(struct vm_area_struct*, unsigned long addr) = nullptr;
    vm_fault_t (*fault)(struct vm_fault*) = nullptr;
    vm_fault_t (*page_mkwrite)(struct vm_fault*) = nullptr;
    // 4.x+: the name /proc/PID/maps shows for the VMA (e.g. "[vdso]"), or NULL.
    const char* (*name)(struct vm_area_struct*) = nullptr;
};
static_assert(std::is_standard_layout_v<vm_operations_struct>);

// 6.3+ driver API for vm_flags (older drivers write vma->vm_flags |= ... directly).
inline void vm_flags_set(struct vm_area_struct* vma, unsigned long flags) {
    vma->vm_flags |= flags;
}
inline void vm_flags_clear(struct vm_area_struct* vma, unsigned long flags) {
    vma->vm_flags &= ~flags;
}

// How VMAs hold the file they map (get_file at mmap and split, fput when the VMA goes). The
// VFS supplies them (devices/vfs); mm only calls them.
struct FileRefOps {
    void (*get)(struct file*) = nullptr;
    void (*put)(struct file*) = nullptr;
};

} // namespace kmemu
