// mmap_fault — the fault-handler seed lab, ported to kmemu's driver API. /dev/mmap_fault maps
// nothing at mmap time: it installs vm_operations whose ->fault hands the faulting page of a
// vmalloc'ed buffer to the core (vmalloc_to_page + get_page), so a student watches pages fault
// in one by one, and ->open / ->close as the mapping is split and unmapped. Each page of the
// buffer starts with "page N". An access past the buffer is SIGBUS.
// (examples/scenarios/fault-handler.kms drives it.)
#include <cstdio>

#include "emu/kernel/driver_api.h"

namespace {

using namespace kmemu::kernel;

constexpr unsigned long NPAGES = 4;

struct mmap_fault_state {
    explicit mmap_fault_state(kmemu::DeviceKernel&) {}
    kptr<char> buf;
    miscdevice misc{};
};

mmap_fault_state& st() {
    return current_kernel().state<mmap_fault_state>();
}

void mmap_fault_vma_open(struct vm_area_struct* vma) {
    printk(KERN_INFO "mmap_fault: open vma %lx-%lx pgoff %lu\n", vma->vm_start, vma->vm_end,
           vma->vm_pgoff);
}

void mmap_fault_vma_close(struct vm_area_struct* vma) {
    printk(KERN_INFO "mmap_fault: close vma %lx-%lx\n", vma->vm_start, vma->vm_end);
}

vm_fault_t mmap_fault_fault(struct vm_fault* vmf) {
    if (vmf->pgoff >= NPAGES) {
        printk(KERN_INFO "mmap_fault: pgoff %lu is past the buffer: SIGBUS\n", vmf->pgoff);
        return VM_FAULT_SIGBUS;
    }
    page* p = vmalloc_to_page(st().buf + (vmf->pgoff << page_shift()));
    get_page(p);
    vmf->page = p;
    printk(KERN_INFO "mmap_fault: fault at %lx pgoff %lu%s\n", vmf->address, vmf->pgoff,
           (vmf->flags & kmemu::FAULT_FLAG_WRITE) ? " (write)" : "");
    return 0;
}

const vm_operations_struct mmap_fault_vm_ops = {
    .open = mmap_fault_vma_open,
    .close = mmap_fault_vma_close,
    .fault = mmap_fault_fault,
};

int mmap_fault_mmap(struct file*, struct vm_area_struct* vma) {
    vma->vm_ops = &mmap_fault_vm_ops;
    vm_flags_set(vma, VM_DONTEXPAND | VM_DONTDUMP);
    printk(KERN_INFO "mmap_fault: mmap %lx-%lx pgoff %lu\n", vma->vm_start, vma->vm_end,
           vma->vm_pgoff);
    return 0;
}

const struct file_operations mmap_fault_fops = {
    .mmap = mmap_fault_mmap,
};

int mmap_fault_init() {
    const unsigned long ps = page_size();
    kptr<char> buf = kptr_cast<char>(vmalloc(NPAGES * ps));
    if (!buf)
        return -ENOMEM;
    st().buf = buf;
    for (unsigned long i = 0; i < NPAGES; ++i) {
        char text[16];
        std::snprintf(text, sizeof text, "page %lu", i);
        strcpy(buf + i * ps, text);
    }
    st().misc = miscdevice{MISC_DYNAMIC_MINOR, "mmap_fault", &mmap_fault_fops, 0666};
    if (const int err = misc_register(&st().misc); err != 0) {
        vfree(buf);
        return err;
    }
    return 0;
}

void mmap_fault_exit() {
    misc_deregister(&st().misc);
    vfree(st().buf);
}

} // namespace

KMEMU_MODULE(mmap_fault, "a mapping filled page by page from a ->fault handler", mmap_fault_init,
             mmap_fault_exit);
