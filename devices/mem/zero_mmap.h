// mmap of /dev/zero (drivers/char/mem.c mmap_zero; kernel-semantics §2.11).
#pragma once

#include "devices/vfs/fs.h"
#include "mm/user/vm_area.h"

namespace kmemu {

// MAP_SHARED (VM_SHARED: a writable descriptor) -> shmem_zero_setup: a new shmem object of the
// mapping's size replaces vm_file (maps: "/dev/zero (deleted)" on the shmem mount); otherwise
// private anonymous memory (vm_ops NULL; 4.x+ says so with vma_set_anonymous) that keeps
// /dev/zero as vm_file. 0 or -ENOMEM.
int mmap_zero(struct file* f, struct vm_area_struct* vma);

// The device numbers of the kernel's internal shmem mount (shm_mnt) as /proc/PID/maps shows
// them: 00:01 — the first anonymous device, taken when shmem is mounted at boot before
// devtmpfs (6.1 machines show SysV and /dev/zero shared segments on 00:01).
inline constexpr unsigned kShmemDevMajor = 0;
inline constexpr unsigned kShmemDevMinor = 1;

} // namespace kmemu
