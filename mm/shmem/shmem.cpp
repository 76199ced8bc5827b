#include "mm/shmem/shmem.h"

#include "mm/gfp.h"
#include "mm/page.h"

namespace kmemu {

namespace {

ShmemObject* object(vm_area_struct* vma) {
    return static_cast<ShmemObject*>(vma->vm_private_data);
}

// shmem_fault: the page at vmf->pgoff, allocated zeroed on first use; a reference for the
// caller's PTE. Beyond i_size: SIGBUS.
vm_fault_t shmem_fault(vm_fault* vmf) {
    ShmemObject* o = object(vmf->vma);
    if (o == nullptr)
        return VM_FAULT_SIGBUS;
    const u64 index = vmf->pgoff;
    if ((index << o->page_shift) >= o->size)
        return VM_FAULT_SIGBUS;
    auto it = o->page_cache.find(index);
    if (it == o->page_cache.end()) {
        page* p = o->pages->alloc_page(GFP_HIGHUSER | __GFP_ZERO);
        if (p == nullptr)
            return VM_FAULT_OOM;
        it = o->page_cache.emplace(index, p).first;
    }
    get_page(it->second);
    vmf->page = it->second;
    return 0;
}

void shmem_open(vm_area_struct* vma) {
    if (ShmemObject* o = object(vma))
        ++o->vmas;
}

// The last VMA gone: the unlinked inode is evicted with its pages (pages still mapped keep
// their own references until their PTEs go).
void shmem_close(vm_area_struct* vma) {
    ShmemObject* o = object(vma);
    if (o == nullptr || --o->vmas != 0)
        return;
    for (auto& [index, p] : o->page_cache)
        put_page(p);
    delete o;               // with it the internal file vm_file points at
    vma->vm_file = nullptr; // so remove_vma has no file reference left to drop
}

const vm_operations_struct kShmemVmOps = [] {
    vm_operations_struct ops{};
    ops.open = shmem_open;
    ops.close = shmem_close;
    ops.fault = shmem_fault;
    return ops;
}();

} // namespace

const vm_operations_struct* shmem_vm_ops() {
    return &kShmemVmOps;
}

ShmemObject* shmem_attach_new(vm_area_struct& vma, PageAllocator& pages, u64 size,
                              unsigned page_shift, std::string name, unsigned long ino,
                              std::shared_ptr<void> file_holder) {
    auto* o = new ShmemObject;
    o->pages = &pages;
    o->size = size;
    o->page_shift = page_shift;
    o->ino = ino;
    o->name = std::move(name);
    o->vmas = 1;
    o->file_holder = std::move(file_holder);
    vma.vm_private_data = o;
    vma.vm_ops = &kShmemVmOps;
    return o;
}

const ShmemObject* shmem_object_of(const vm_area_struct& vma) {
    return vma.vm_ops == &kShmemVmOps ? static_cast<const ShmemObject*>(vma.vm_private_data)
                                      : nullptr;
}

} // namespace kmemu
