// kmmap — the "kmalloc mmap" seed lab, ported to kmemu's driver API. On load the module
// kmallocs NPAGES + 2 pages, takes the page-aligned NPAGES inside them, marks each page
// PG_reserved (so the VM leaves the pages alone while user space maps them) and writes
// 0xaa 0xbb 0xcc 0xdd at the start of each page. /dev/kmmap (a misc device) maps that area
// into a process with one remap_pfn_range of the area's physical frames.
// (examples/scenarios/kmalloc-mmap.kms drives it.)
#include "emu/kernel/driver_api.h"

namespace {

using namespace kmemu::kernel;

constexpr unsigned long NPAGES = 16;

struct kmmap_state {
    explicit kmmap_state(kmemu::DeviceKernel&) {}
    kptr<char> kmalloc_ptr;  // what kmalloc returned
    kptr<char> kmalloc_area; // its first page boundary
    miscdevice misc{};
};

kmmap_state& st() {
    return current_kernel().state<kmmap_state>();
}

int kmmap_mmap(struct file*, struct vm_area_struct* vma) {
    const unsigned long length = vma->vm_end - vma->vm_start;
    // The area is NPAGES long: refuse a bigger mapping.
    if (length > NPAGES * page_size())
        return -EIO;
    const unsigned long pfn = virt_to_phys(st().kmalloc_area).get() >> page_shift();
    const int ret = remap_pfn_range(vma, vma->vm_start, pfn, length, vma->vm_page_prot);
    if (ret < 0) {
        printk(KERN_ERR "kmmap: could not map the address area\n");
        return -EIO;
    }
    return 0;
}

const struct file_operations kmmap_fops = {
    .mmap = kmmap_mmap,
};

int kmmap_init() {
    const unsigned long ps = page_size();
    kptr<char> p = kptr_cast<char>(kmalloc((NPAGES + 2) * ps, GFP_KERNEL));
    if (!p)
        return -ENOMEM;
    st().kmalloc_ptr = p;
    st().kmalloc_area = kptr<char>(kmemu::VirtAddr((p.value() + ps - 1) & ~(ps - 1)));
    for (unsigned long i = 0; i < NPAGES; ++i) {
        kptr<char> pg = st().kmalloc_area + i * ps;
        SetPageReserved(virt_to_page(pg));
        pg[0] = static_cast<char>(0xaa);
        pg[1] = static_cast<char>(0xbb);
        pg[2] = static_cast<char>(0xcc);
        pg[3] = static_cast<char>(0xdd);
    }
    st().misc = miscdevice{MISC_DYNAMIC_MINOR, "kmmap", &kmmap_fops, 0666};
    if (const int err = misc_register(&st().misc); err != 0) {
        kfree(p);
        return err;
    }
    printk(KERN_INFO "kmmap: %lu pages at %lx (phys %llx)\n", NPAGES, st().kmalloc_area.value(),
           static_cast<unsigned long long>(virt_to_phys(st().kmalloc_area).get()));
    return 0;
}

void kmmap_exit() {
    misc_deregister(&st().misc);
    for (unsigned long i = 0; i < NPAGES; ++i)
        ClearPageReserved(virt_to_page(st().kmalloc_area + i * page_size()));
    kfree(st().kmalloc_ptr);
    printk(KERN_INFO "kmmap: unloaded\n");
}

} // namespace

KMEMU_MODULE(kmmap, "kmalloc'ed pages mapped into user space with remap_pfn_range", kmmap_init,
             kmmap_exit);
