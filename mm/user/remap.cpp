// MmStruct: what drivers call to fill a user VMA — remap_pfn_range, vm_insert_page,
// vmf_insert_pfn (mm/memory.c, 2.6.24-6.13; kernel-semantics §4.1, §4.2).
#include "mm/errno.h"
#include "mm/user/mm_struct.h"

namespace kmemu {

namespace {
// is_cow_mapping: private and possibly writable.
bool is_cow_mapping(unsigned long flags) {
    return (flags & (VM_SHARED | VM_MAYWRITE)) == VM_MAYWRITE;
}
} // namespace

int MmStruct::remap_pfn_range(vm_area_struct& vma, u64 addr, Pfn pfn, u64 size, pgprot_t prot) {
    const u64 ps = page_size();
    if (m_rules.remap_checks_alignment && addr % ps != 0)
        return -EINVAL; // 5.10+: WARN_ON_ONCE(!PAGE_ALIGNED(addr))
    addr = align_down(addr, ps);
    const u64 end = addr + align_up(size, ps);
    // size 0 (addr >= end) is a kernel BUG; a range outside the VMA corrupts page tables.
    if (size == 0 || end <= addr || addr < vma.vm_start || end > vma.vm_end)
        return -EINVAL;
    const bool whole = addr == vma.vm_start && end == vma.vm_end;
    if (m_rules.remap_whole_sets_pgoff_any) {
        // 2.6.29-3.6: a whole-VMA remap records the first frame for any mapping type.
        if (whole) {
            vma.vm_pgoff = pfn.get();
            vma.vm_flags |= m_rules.remap_whole_vma_flag; // VM_PFN_AT_MMAP
        } else if (is_cow_mapping(vma.vm_flags)) {
            return -EINVAL;
        }
    } else {
        if (is_cow_mapping(vma.vm_flags)) {
            if (!whole)
                return -EINVAL;
            vma.vm_pgoff = pfn.get(); // how vm_normal_page tells raw frames from COW copies
        }
        // track_pfn_remap (x86, 3.7+): a whole-VMA call reserves the range and sets VM_PAT.
        if (whole)
            vma.vm_flags |= m_rules.remap_whole_vma_flag;
    }
    vma.vm_flags |= m_rules.remap_vm_flags;
    // remap_pte_range: special PTEs for consecutive frames; every PTE must be empty.
    u64 a = addr;
    int err = 0;
    for (u64 i = 0; a < end; a += ps, ++i) {
        const u64 pte = m_ptes.mkspecial(m_ptes.mk_pte(Pfn(pfn.get() + i), prot));
        err = install_pte(VirtAddr(a), pte);
        if (err != 0)
            break;
    }
    m_mmu->flush_tlb_range(VirtAddr(addr), VirtAddr(a));
    if (err != 0 && m_rules.remap_zaps_on_error) {
        zap_range(vma, addr, a); // 6.1 stable: nothing is left half-mapped
    }
    return err;
}

int MmStruct::vm_insert_page(vm_area_struct& vma, u64 addr, page* p) {
    if (addr < vma.vm_start || addr >= vma.vm_end)
        return -EFAULT;
    if (p == nullptr || page_count(p) == 0)
        return -EINVAL;
    if (vma.vm_flags & VM_PFNMAP)
        return -EINVAL; // BUG_ON(vma->vm_flags & VM_PFNMAP) from 3.7; refused here
    vma.vm_flags |= m_rules.insert_page_vm_flag;
    // insert_page / validate_page_before_insert: no anonymous (or, later, slab) pages.
    if (m_anon_pfns.contains(page_to_pfn(p).get()))
        return -EINVAL;
    if (m_rules.insert_page_rejects_slab && PageSlab(p))
        return -EINVAL;
    const u64 at = align_down(addr, page_size());
    const u64 pte = m_ptes.mk_pte(page_to_pfn(p), vma.vm_page_prot);
    const int err = install_pte(VirtAddr(at), pte);
    if (err != 0)
        return err;
    get_page(p);
    ++p->_mapcount; // page_add_file_rmap
    ++m_file_rss;
    m_mmu->flush_tlb_page(VirtAddr(at));
    return 0;
}

vm_fault_t MmStruct::vmf_insert_pfn(vm_area_struct& vma, u64 addr, Pfn pfn) {
    if (addr < vma.vm_start || addr >= vma.vm_end)
        return VM_FAULT_SIGBUS;
    const u64 at = align_down(addr, page_size());
    const u64 pte = m_ptes.mkspecial(m_ptes.mk_pte(pfn, vma.vm_page_prot));
    const int err = install_pte(VirtAddr(at), pte);
    if (err == -ENOMEM)
        return VM_FAULT_OOM;
    if (err != 0 && err != -EBUSY)
        return VM_FAULT_SIGBUS;
    m_mmu->flush_tlb_page(VirtAddr(at));
    return VM_FAULT_NOPAGE; // also when another fault installed it first
}

} // namespace kmemu
