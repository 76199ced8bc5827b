// MmStruct: do_mmap's common checks and the file half of do_mmap / mmap_region (mm/mmap.c,
// 2.6.24-6.13; kernel-semantics §4.5).
#include "mm/errno.h"
#include "mm/user/mm_struct.h"

namespace kmemu {

// do_mmap from `len == 0` to the MAP_FIXED_NOREPLACE overlap test, in the kernel's order. On
// success addr and len hold the mapping's page-aligned range and 0 is returned.
i64 MmStruct::mmap_checks(u64& addr, u64& len, int& flags, unsigned long pgoff,
                          const MmapFile* file) {
    const u64 ps = page_size();
    if (len == 0)
        return -EINVAL;
    const bool noreplace = (flags & KMEMU_MAP_FIXED_NOREPLACE) && m_rules.map_fixed_noreplace;
    if (noreplace)
        flags |= MAP_FIXED;
    if (!(flags & MAP_FIXED)) {
        // round_hint_to_min.
        addr &= ~(ps - 1);
        if (addr != 0 && addr < m_options.mmap_min_addr)
            addr = align_up(m_options.mmap_min_addr, ps);
    }
    const u64 rounded = align_up(len, ps);
    if (rounded < len || rounded == 0)
        return -ENOMEM;
    len = rounded;
    // Offset overflow: pgoff is an unsigned long (32 bits on a 32-bit kernel).
    if (file != nullptr) {
        const u64 word_mask = m_rules.word_bits == 32 ? 0xffffffffULL : ~u64{0};
        const u64 last = (pgoff + (len >> m_rules.page_shift)) & word_mask;
        if (last < pgoff)
            return -EOVERFLOW;
    }
    if (m_vmas.size() > m_options.max_map_count)
        return -ENOMEM;
    // get_unmapped_area: the file's own method if it has one, else the mm's.
    i64 got = 0;
    if (file != nullptr && file->get_unmapped_area && !(flags & MAP_FIXED)) {
        if (len > m_rules.task_size)
            return -ENOMEM;
        got = file->get_unmapped_area(addr, len, pgoff, flags);
        if (got >= 0 && static_cast<u64>(got) > m_rules.task_size - len)
            return -ENOMEM;
        if (got >= 0 && static_cast<u64>(got) % ps != 0)
            return -EINVAL;
    } else {
        got = get_unmapped_area(VirtAddr(addr), len, pgoff, flags);
    }
    if (got < 0)
        return got;
    addr = static_cast<u64>(got);
    if (noreplace) {
        const vm_area_struct* v = find_vma(VirtAddr(addr));
        if (v != nullptr && v->vm_start < addr + len)
            return -EEXIST;
    }
    return 0;
}

i64 MmStruct::mmap_file(VirtAddr hint, u64 len, int prot, int flags, unsigned long pgoff,
                        const MmapFile& f) {
    u64 addr = hint.get();
    if (const i64 r = mmap_checks(addr, len, flags, pgoff, &f); r != 0)
        return r;
    unsigned long vm_flags = calc_vm_prot_bits(prot) | VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC |
                             ((flags & MAP_LOCKED) ? VM_LOCKED : 0);
    // file_mmap_ok (4.17+): the file's maximum size bounds len and the offset.
    if (m_rules.file_mmap_ok) {
        u64 max = f.max_size;
        if (max != 0 && len > max)
            return -EOVERFLOW;
        max -= len; // wraps for "unlimited" (0): every offset passes
        if (pgoff > (max >> m_rules.page_shift))
            return -EOVERFLOW;
    }
    int type = flags & KMEMU_MAP_TYPE;
    if (type == KMEMU_MAP_SHARED_VALIDATE && m_rules.version.at_least(4, 15, 0)) {
        // LEGACY_MAP_MASK: only the legacy flags pass (no device here adds
        // mmap_supported_flags such as MAP_SYNC).
        constexpr int kLegacyMapMask =
            MAP_SHARED | MAP_PRIVATE | MAP_FIXED | MAP_ANONYMOUS | MAP_DENYWRITE |
            0x1000 /* MAP_EXECUTABLE */ | 0x4000000 /* MAP_UNINITIALIZED */ | MAP_GROWSDOWN |
            MAP_LOCKED | MAP_NORESERVE | MAP_POPULATE | 0x10000 /* MAP_NONBLOCK */ |
            0x20000 /* MAP_STACK */ | 0x40000 /* MAP_HUGETLB */;
        if (flags & ~kLegacyMapMask)
            return -EOPNOTSUPP;
        type = MAP_SHARED;
    }
    switch (type) {
    case MAP_SHARED:
        if ((prot & PROT_WRITE) && !f.writable)
            return -EACCES;
        vm_flags |= VM_SHARED | VM_MAYSHARE;
        if (!f.writable)
            vm_flags &= ~(VM_MAYWRITE | VM_SHARED);
        [[fallthrough]];
    case MAP_PRIVATE:
        if (!f.readable)
            return -EACCES;
        if (!f.mmap)
            return -ENODEV;
        if (m_rules.version.at_least(4, 13, 0) && (flags & (MAP_GROWSDOWN | 0x0200)))
            return -EINVAL; // no growing file mappings (4.13+; MAP_GROWSUP 0x200)
        break;
    default:
        return -EINVAL;
    }

    // mmap_region.
    if (flags & MAP_FIXED) {
        const vm_area_struct* v = find_vma(VirtAddr(addr));
        if (v != nullptr && v->vm_start < addr + len) {
            if (const int r = do_munmap(addr, len); r != 0)
                return r;
        }
    }
    // accountable_mapping: private writable file mappings are charged.
    if ((vm_flags & (VM_NORESERVE | VM_SHARED | VM_WRITE)) == VM_WRITE) {
        vm_flags |= VM_ACCOUNT;
        if (!enough_memory(len >> m_rules.page_shift))
            return -ENOMEM;
    }
    vm_area_struct v{};
    v.vm_start = addr;
    v.vm_end = addr + len;
    v.vm_flags = vm_flags;
    v.vm_pgoff = pgoff;
    v.vm_page_prot = m_ptes.vm_get_page_prot(vm_flags);
    v.vm_file = f.file;
    vm_area_struct* vma = insert_vma(v);
    if (f.file != nullptr && m_file_refs.get != nullptr)
        m_file_refs.get(f.file);
    // call_mmap: the driver may set vm_ops, flags, vm_page_prot and map pages.
    if (const int err = f.mmap(*vma); err != 0) {
        zap_range(*vma, vma->vm_start, vma->vm_end);
        const vm_area_struct* prev = vma->vm_prev;
        const vm_area_struct* next = vma->vm_next;
        m_tables->free_pgtables(vma->vm_start, vma->vm_end,
                                prev ? prev->vm_end : m_rules.first_user_address,
                                next ? next->vm_start : m_rules.user_pgtables_ceiling);
        m_mmu->flush_tlb_range(VirtAddr(addr), VirtAddr(addr + len));
        drop_failed_vma(vma);
        return err;
    }
    // "New (or expanded) vma always get soft dirty status" (3.13+, after the driver's mmap).
    if (m_rules.vm_softdirty)
        vma->vm_flags |= VM_SOFTDIRTY;
    // mm_populate for MAP_POPULATE / VM_LOCKED, except where nothing can be faulted in.
    if (((flags & MAP_POPULATE) || (vma->vm_flags & VM_LOCKED)) &&
        !(vma->vm_flags & (VM_IO | VM_PFNMAP)))
        populate(addr, addr + len);
    return static_cast<i64>(addr);
}

} // namespace kmemu
