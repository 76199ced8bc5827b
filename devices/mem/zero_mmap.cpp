#include "devices/mem/zero_mmap.h"

#include <memory>

#include "devices/device_kernel.h"
#include "devices/vfs/vfs_mmap.h"
#include "mm/errno.h"
#include "mm/layout.h"
#include "mm/shmem/shmem.h"

namespace kmemu {

namespace {

// The file shmem_kernel_file_setup makes: no descriptor ever refers to it, only vm_file.
struct ShmemZeroFile {
    struct file f {};
    struct inode i {};
};

// Inode numbers of the internal shmem mount: get_next_ino() in the kernel, a per-machine
// counter here (kmemu's choice: 1, 2, 3, ... in the order the objects are made).
struct ShmemInodes {
    explicit ShmemInodes(DeviceKernel&) {}
    unsigned long next = 1;
};

// shmem_zero_setup (mm/shmem.c, 2.6.x-6.13): an object of vm_end - vm_start bytes; vm_pgoff
// is kept, so pages at index >= size fault SIGBUS (§7.2 case 89).
int shmem_zero_setup(DeviceKernel& k, vm_area_struct* vma) {
    const u64 size = vma->vm_end - vma->vm_start;
    auto holder = std::make_shared<ShmemZeroFile>();
    const unsigned long ino = k.state<ShmemInodes>().next++;
    holder->i.i_mode = kS_IFREG | 0777; // shmem_kernel_file_setup's S_IFREG | S_IRWXUGO
    holder->i.i_ino = ino;
    holder->f.f_inode = &holder->i;
    holder->f.f_mode = FMODE_READ | FMODE_WRITE;
    struct file* shmem_file = &holder->f;
    shmem_attach_new(*vma, k.pages(), size, k.layout().page_shift, "dev/zero", ino,
                     std::move(holder));
    if (vma->vm_file != nullptr)
        vfs_fput(vma->vm_file);
    vma->vm_file = shmem_file;
    return 0;
}

} // namespace

int mmap_zero(struct file*, struct vm_area_struct* vma) {
    DeviceKernel& k = current_kernel();
    if (vma->vm_flags & VM_SHARED)
        return shmem_zero_setup(k, vma);
    // Private: anonymous memory. 2.6.x-4.x leave vm_ops NULL; 4.x+ vma_set_anonymous.
    vma->vm_ops = nullptr;
    return 0;
}

} // namespace kmemu
