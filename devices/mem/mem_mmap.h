// mmap of /dev/mem and /dev/kmem (drivers/char/mem.c mmap_mem, mmap_kmem; the cache attribute
// from phys_mem_access_prot and x86 PAT tracking; kernel-semantics §2.6, §2.7, §4.1, §4.1a).
#pragma once

#include "devices/vfs/fs.h"
#include "mm/user/vm_area.h"

namespace kmemu {

class DeviceKernel;

// The cache type a /dev/mem mapping of [pfn, pfn + size) ends up with in its PTEs.
enum class MemCacheType : u8 {
    WriteBack,     // no cache bits
    UncachedMinus, // x86 UC- (PCD); ARM/arm64 pgprot_noncached
    Uncached,      // x86 2.6.11-2.6.25 pgprot_noncached: PCD | PWT
    WriteCombine,  // ARM/arm64 pgprot_writecombine (O_SYNC on RAM)
};

// What phys_mem_access_prot (+ x86's track_pfn_remap / reserve_pfn_range for a whole-VMA
// remap) decide for a mapping of f. Must run inside the machine's DeviceKernelScope.
[[nodiscard]] MemCacheType mem_mmap_cache_type(const struct file* f, u64 pfn, u64 size);
// The protection with that type applied to prot (the arch's PTE encoding).
[[nodiscard]] pgprot_t mem_mmap_prot(DeviceKernel& k, MemCacheType type, pgprot_t prot);

// f_op->mmap of /dev/mem: 0 or -EINVAL, -EPERM, -EAGAIN (any remap_pfn_range error).
int mmap_mem(struct file* f, struct vm_area_struct* vma);
// f_op->mmap of /dev/kmem (2.6.x-5.12): -EIO for an offset whose frame is not valid, else
// mmap_mem with vm_pgoff rewritten to the frame.
int mmap_kmem(struct file* f, struct vm_area_struct* vma);

} // namespace kmemu
