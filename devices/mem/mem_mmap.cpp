// mmap_mem and mmap_kmem (drivers/char/mem.c) with the cache attribute of the mapping:
// phys_mem_access_prot (x86 arch/x86/mm/pat.c, pat/memtype.c; ARM arch/arm/mm/mmu.c; arm64
// arch/arm64/mm/mmu.c) and, on x86 with PAT, what track_pfn_remap / reserve_pfn_range make of
// the request for a whole-VMA remap (kernel-semantics §2.6 points 1-4, checked on 6.1).
//
// kmemu's MTRR model (x86): firmware programs the range [1 MiB, 4 GiB) outside System RAM
// uncachable (the PCI hole, MMIO, BIOS flash), everything else write-back; the fixed-range
// MTRRs of the first MiB are write-back. Existing reservations are not remembered, so the
// "adopt the type of an overlapping reservation" rule of memtype_reserve is not modelled.
#include "devices/mem/mem_mmap.h"

#include "devices/device_kernel.h"
#include "devices/mem/devmem_access.h"
#include "devices/mem/mem_device.h"
#include "devices/vfs/fs.h"
#include "mm/errno.h"
#include "mm/user/mm_struct.h"
#include "mm/user/vm_ops.h"

namespace kmemu {

namespace {

constexpr u64 kIsaStart = 0xa0000; // ISA_START_ADDRESS
constexpr u64 kIsaEnd = 0x100000;  // ISA_END_ADDRESS
constexpr u64 kFourGiB = u64{1} << 32;

// x86 PTE cache bits (pgtable_types.h): PCD = UC-, PCD|PWT = UC.
constexpr u64 kX86Pwt = 0x08;
constexpr u64 kX86Pcd = 0x10;
// ARM Linux PTE memory types (pgtable-2level.h / -3level.h): L_PTE_MT_UNCACHED 0,
// L_PTE_MT_BUFFERABLE 1 (bits 2..5 classic, 2..4 LPAE).
constexpr u64 kArmMtShift = 2;
// arm64 (pgtable-hwdef.h): AttrIndx bits 2..4, PXN 53, UXN 54.
constexpr u64 kArm64AttrMask = u64{7} << 2;
constexpr u64 kArm64Pxn = u64{1} << 53;
constexpr u64 kArm64Uxn = u64{1} << 54;

// mmap_mem_ops (2.6.26+ [unverified]: generic_access_phys came with CONFIG_HAVE_IOREMAP_PROT):
// only .access, which kmemu does not model, and no .fault — a fault on a revoked or never
// mapped page of the VMA is SIGBUS (§4.3).
const vm_operations_struct kMmapMemOps{};

bool o_dsync(const struct file* f) {
    // O_DSYNC (3.x+) is the bit 2.6.32 called O_SYNC (2.6.33 split __O_SYNC off), so one test
    // serves every era; O_SYNC includes it.
    return f != nullptr && (f->f_flags & oflag::kDsync) != 0;
}

bool range_is_ram_above_1mib(const DeviceKernel& k, u64 pfn, unsigned shift) {
    // pat_pagerange_is_ram: System RAM, the first MiB never counts (its first page decides).
    const u64 start = pfn << shift;
    if (start < kIsaEnd)
        return false;
    return k.iomem().page_is_ram(Pfn(pfn));
}

// mtrr_type_lookup in kmemu's model: uncachable when any page lies in [1 MiB, 4 GiB) outside
// System RAM.
bool mtrr_uncachable(const DeviceKernel& k, u64 start, u64 size, unsigned shift) {
    for (u64 a = start; a < start + size; a += u64{1} << shift) {
        if (a >= kIsaEnd && a < kFourGiB && !k.iomem().page_is_ram(Pfn(a >> shift)))
            return true;
    }
    return false;
}

} // namespace

MemCacheType mem_mmap_cache_type(const struct file* f, u64 pfn, u64 size) {
    DeviceKernel& k = current_kernel();
    const DevmemRules& r = devmem_rules(k);
    const bool sync = o_dsync(f);
    if (!is_x86(r.arch)) {
        // ARM and arm64 phys_mem_access_prot: frames without a memmap (not RAM) uncached,
        // O_SYNC on RAM write-combining, else the VMA's protection.
        if (!k.pages().pfn_valid(Pfn(pfn)))
            return MemCacheType::UncachedMinus;
        return sync ? MemCacheType::WriteCombine : MemCacheType::WriteBack;
    }
    if (!r.x86_pat_request) {
        // 2.6.11-2.6.25 uncached_access (x86 with MTRRs): O_SYNC only, pgprot_noncached.
        return sync ? MemCacheType::Uncached : MemCacheType::WriteBack;
    }
    // phys_mem_access_prot_allowed's request: UC- for O_DSYNC, else write-back.
    const MemCacheType want = sync ? MemCacheType::UncachedMinus : MemCacheType::WriteBack;
    if (!r.x86_pat_enabled)
        return want; // point 4: no tracking, the request as is
    const unsigned shift = r.page_shift;
    const u64 start = pfn << shift;
    // Point 1: wholly inside the ISA window: untracked, always write-back.
    if (start >= kIsaStart && start + size <= kIsaEnd)
        return MemCacheType::WriteBack;
    // Point 2: RAM above 1 MiB keeps the type recorded for the RAM page (write-back).
    if (range_is_ram_above_1mib(k, pfn, shift))
        return MemCacheType::WriteBack;
    // Point 3: memtype_reserve: a write-back request follows the MTRRs.
    if (want == MemCacheType::WriteBack && mtrr_uncachable(k, start, size, shift))
        return MemCacheType::UncachedMinus;
    return want;
}

pgprot_t mem_mmap_prot(DeviceKernel& k, MemCacheType type, pgprot_t prot) {
    u64 v = pgprot_val(prot);
    const Arch arch = k.config().arch;
    if (type == MemCacheType::WriteBack)
        return prot;
    if (is_x86(arch)) {
        v &= ~(kX86Pwt | kX86Pcd);
        v |= type == MemCacheType::Uncached ? (kX86Pcd | kX86Pwt) : kX86Pcd;
        return __pgprot(v);
    }
    if (arch == Arch::Arm64) {
        // pgprot_noncached: MT_DEVICE_nGnRnE (3 with 5.10's MAIR order, 0 before);
        // pgprot_writecombine: MT_NORMAL_NC. Both add PXN | UXN.
        const auto& kr = k.kernel_page_tables().rules();
        const bool mair_new = kr.arm64_mt_normal == 0;
        const u64 idx =
            type == MemCacheType::WriteCombine ? kr.arm64_mt_normal_nc : (mair_new ? 3 : 0);
        v = (v & ~kArm64AttrMask) | (idx << 2) | kArm64Pxn | kArm64Uxn;
        return __pgprot(v);
    }
    // ARM: __pgprot_modify(prot, L_PTE_MT_MASK, UNCACHED or BUFFERABLE).
    const bool lpae = arch == Arch::ArmLpae;
    const u64 mask = (lpae ? u64{7} : u64{0xf}) << kArmMtShift;
    const u64 mt = type == MemCacheType::WriteCombine ? (u64{1} << kArmMtShift) : 0;
    return __pgprot((v & ~mask) | mt);
}

// mmap_mem (every era, §2.6): the checks, the page protection, vm_ops, then one
// remap_pfn_range over the whole VMA; any error of that is -EAGAIN.
int mmap_mem(struct file* f, struct vm_area_struct* vma) {
    DeviceKernel& k = current_kernel();
    const u64 size = vma->vm_end - vma->vm_start;
    const u64 pfn = vma->vm_pgoff;
    if (const int err = mmap_mem_check(f, pfn, size); err != 0)
        return err;
    const MemCacheType type = mem_mmap_cache_type(f, pfn, size);
    vma->vm_page_prot = mem_mmap_prot(k, type, vma->vm_page_prot);
    if (devmem_rules(k).mmap_mem_ops)
        vma->vm_ops = &kMmapMemOps;
    MmStruct* mm = MmStruct::from(vma->vm_mm);
    if (mm == nullptr)
        return -EAGAIN;
    if (mm->remap_pfn_range(*vma, vma->vm_start, Pfn(pfn), size, vma->vm_page_prot) != 0)
        return -EAGAIN;
    return 0;
}

// mmap_kmem (2.6.x-5.12, §2.7): the offset is a kernel virtual address.
int mmap_kmem(struct file* f, struct vm_area_struct* vma) {
    DeviceKernel& k = current_kernel();
    const Layout& l = k.layout();
    const unsigned shift = l.page_shift;
    const u64 mask = l.word_bits == 32 ? 0xffffffffULL : ~u64{0};
    const u64 va = (static_cast<u64>(vma->vm_pgoff) << shift) & mask;
    u64 pa = 0;
    constexpr u64 kStartKernelMap = 0xffffffff80000000ULL; // __START_KERNEL_map
    if (l.arch == Arch::X86_64 && va >= kStartKernelMap) {
        // __phys_addr's kernel-image case: x - __START_KERNEL_map + phys_base.
        const u64 phys_base = l.image.phys_start.get() - (l.image.text.get() - kStartKernelMap);
        pa = va - kStartKernelMap + phys_base;
    } else {
        pa = (va - l.page_offset.get() + l.phys_offset.get()) & mask; // wraps below PAGE_OFFSET
    }
    const u64 pfn = pa >> shift;
    if (!k.pages().pfn_valid(Pfn(pfn)))
        return -EIO;
    vma->vm_pgoff = static_cast<unsigned long>(pfn);
    return mmap_mem(f, vma);
}

} // namespace kmemu
