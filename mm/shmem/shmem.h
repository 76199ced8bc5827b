// A shmem object as shmem_zero_setup makes one for a MAP_SHARED mapping of /dev/zero
// (mm/shmem.c shmem_kernel_file_setup, shmem_fault; kernel-semantics §2.11): an unlinked
// object of a fixed size whose pages are allocated, zeroed, on first fault and shared by every
// VMA that maps it. A fault at a page index at or beyond the size is VM_FAULT_SIGBUS
// (shmem_get_folio_gfp's `index << PAGE_SHIFT >= i_size` test, 6.1; the same rule in every
// era kmemu models).
//
// The object lives in vma->vm_private_data; shmem_vm_ops' open/close count the VMAs mapping
// it (split and unmap call them), and the last close frees its pages and the object. The file
// that stands for it in vm_file belongs to the VFS layer and is kept alive by `file_holder`.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "mm/page_alloc.h"
#include "mm/user/vm_ops.h"

namespace kmemu {

struct ShmemObject {
    PageAllocator* pages = nullptr;
    u64 size = 0; // i_size in bytes
    unsigned page_shift = 12;
    unsigned long ino = 0;             // the inode number on the internal shmem mount
    std::string name;                  // the dentry name ("dev/zero")
    std::map<u64, page*> page_cache;   // page index -> page (one reference held here)
    unsigned vmas = 0;                 // VMAs mapping the object
    std::shared_ptr<void> file_holder; // the struct file vm_file points at (VFS-owned type)
};

// The vm_operations_struct of shmem mappings (fault, open, close).
[[nodiscard]] const vm_operations_struct* shmem_vm_ops();

// shmem_zero_setup's object for a VMA of `size` bytes, attached to vma (vm_private_data,
// vm_ops); vm_file is left to the caller. The VMA counts as the first mapper.
ShmemObject* shmem_attach_new(vm_area_struct& vma, PageAllocator& pages, u64 size,
                              unsigned page_shift, std::string name, unsigned long ino,
                              std::shared_ptr<void> file_holder);

// The object behind a shmem VMA, or nullptr for any other VMA.
[[nodiscard]] const ShmemObject* shmem_object_of(const vm_area_struct& vma);

} // namespace kmemu
