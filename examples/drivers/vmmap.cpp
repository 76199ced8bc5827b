// vmmap — the "vmalloc mmap" seed lab, ported to kmemu's driver API. On load the module
// vmallocs NPAGES pages, marks each page PG_reserved and writes 0xaa 0xbb 0xcc 0xdd at the
// start of each page. vmalloc'ed memory is virtually contiguous only, so /dev/vmmap's mmap
// maps it page by page: vmalloc_to_pfn for each page, one remap_pfn_range per page.
// (examples/scenarios/vmalloc-mmap.kms drives it.)
#include "emu/kernel/driver_api.h"

namespace {

using namespace kmemu::kernel;

constexpr unsigned long NPAGES = 16;

struct vmmap_state {
    explicit vmmap_state(kmemu::DeviceKernel&) {}
    kptr<char> vmalloc_area;
    miscdevice misc{};
};

vmmap_state& st() {
    return current_kernel().state<vmmap_state>();
}

int vmmap_mmap(struct file*, struct vm_area_struct* vma) {
    const unsigned long ps = page_size();
    const unsigned long length = vma->vm_end - vma->vm_start;
    if (length > NPAGES * ps)
        return -EIO;
    // A private writable (COW) mapping cannot be remapped page by page: remap_pfn_range
    // refuses it (-EINVAL) unless it is one page long.
    for (unsigned long off = 0; off < length; off += ps) {
        const unsigned long pfn = vmalloc_to_pfn(st().vmalloc_area + off).get();
        const int ret = remap_pfn_range(vma, vma->vm_start + off, pfn, ps, vma->vm_page_prot);
        if (ret < 0) {
            printk(KERN_ERR "vmmap: could not map page %lu (%d)\n", off / ps, ret);
            return ret;
        }
    }
    return 0;
}

const struct file_operations vmmap_fops = {
    .mmap = vmmap_mmap,
};

int vmmap_init() {
    const unsigned long ps = page_size();
    kptr<char> area = kptr_cast<char>(vmalloc(NPAGES * ps));
    if (!area)
        return -ENOMEM;
    st().vmalloc_area = area;
    for (unsigned long i = 0; i < NPAGES; ++i) {
        kptr<char> pg = area + i * ps;
        SetPageReserved(vmalloc_to_page(pg));
        pg[0] = static_cast<char>(0xaa);
        pg[1] = static_cast<char>(0xbb);
        pg[2] = static_cast<char>(0xcc);
        pg[3] = static_cast<char>(0xdd);
    }
    st().misc = miscdevice{MISC_DYNAMIC_MINOR, "vmmap", &vmmap_fops, 0666};
    if (const int err = misc_register(&st().misc); err != 0) {
        vfree(area);
        return err;
    }
    printk(KERN_INFO "vmmap: %lu pages at %lx\n", NPAGES, area.value());
    return 0;
}

void vmmap_exit() {
    misc_deregister(&st().misc);
    for (unsigned long i = 0; i < NPAGES; ++i)
        ClearPageReserved(vmalloc_to_page(st().vmalloc_area + i * page_size()));
    vfree(st().vmalloc_area);
    printk(KERN_INFO "vmmap: unloaded\n");
}

} // namespace

KMEMU_MODULE(vmmap, "vmalloc'ed pages mapped into user space page by page", vmmap_init, vmmap_exit);
