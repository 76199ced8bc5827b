// mmap(2) of a VFS file: do_mmap's file checks and f_op->mmap (mm/mmap.c; kernel-semantics §4.5),
// over the process's MmStruct. The caller (the syscall) has checked the offset's alignment and
// the fd, and runs this inside a DeviceKernelScope.
#pragma once

#include "devices/vfs/vfs.h"
#include "mm/user/mm_struct.h"

namespace kmemu {

// The address or a negative errno. pgoff is the offset in pages.
[[nodiscard]] i64 vfs_mmap(OpenFile& of, MmStruct& mm, u64 addr, u64 len, int prot, int flags,
                           unsigned long pgoff);

// How an MmStruct's VMAs hold VFS files (get_file / fput); set it on every process's mm.
void vfs_get_file(struct file* f);
void vfs_fput(struct file* f);
inline constexpr FileRefOps kVfsFileRefs{vfs_get_file, vfs_fput};

} // namespace kmemu
