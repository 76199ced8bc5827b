// /dev/mem (minor 1; drivers/char/mem.c read_mem, write_mem, mmap_mem's argument checks,
// memory_lseek, open_mem), per kernel version and arch (kernel-semantics.md §2.2-§2.6).
#pragma once

#include "devices/mem/mem_major.h"

namespace kmemu {

[[nodiscard]] MemMinor mem_minor();

// read_mem / write_mem as the file_operations hold them (for tests that call them directly).
ssize_t read_mem(struct file* f, char* buf, size_t count, loff_t* ppos);
ssize_t write_mem(struct file* f, const char* buf, size_t count, loff_t* ppos);

// mmap_mem's checks before the mapping is made (§2.6 steps a-f), for the vma the mmap issue
// builds: pgoff = vm_pgoff (the offset in pages), size = vm_end - vm_start. Returns 0 when the
// mapping may go ahead, else -EINVAL (offset does not fit phys_addr_t, offset + size wraps,
// valid_mmap_phys_addr_range, phys_mem_access_prot_allowed) or -EPERM (range_is_allowed).
// private_mapping_ok's -ENOSYS is for kernels without an MMU, which kmemu does not model.
// Must run inside the machine's DeviceKernelScope.
[[nodiscard]] int mmap_mem_check(const struct file* f, u64 pgoff, u64 size);

} // namespace kmemu
