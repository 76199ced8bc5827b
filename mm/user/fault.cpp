// MmStruct: the fault path (mm/memory.c handle_mm_fault -> handle_pte_fault ->
// do_anonymous_page / do_wp_page / do_fault; arch/x86/mm/fault.c do_user_addr_fault for the
// VMA checks and which signal a failure becomes, kernel-semantics §4.3 and §4.4).
#include <algorithm>
#include <vector>

#include "mm/errno.h"
#include "mm/user/mm_struct.h"

namespace kmemu {

namespace {
// Internal to this file: do_anonymous_page called for a pre-4.2 VMA whose vm_ops lack ->fault
// (any mapping type gets a private anonymous page then).
constexpr unsigned kFaultAnonForVmOps = 1u << 31;
} // namespace

page* MmStruct::alloc_user_page(bool zeroed) {
    // alloc_zeroed_user_highpage_movable / alloc_page_vma(GFP_HIGHUSER_MOVABLE): highmem first
    // on 32-bit HIGHMEM machines.
    page* p = m_pages.alloc_pages(GFP_HIGHUSER_MOVABLE | (zeroed ? __GFP_ZERO : 0), 0);
    if (p != nullptr)
        m_anon_pfns.insert(page_to_pfn(p).get());
    return p;
}

// copy_user_highpage / cow_user_page: the source frame's bytes (RAM or a device; a hole reads
// as zeros) into the new page.
void MmStruct::copy_frame(Pfn to, Pfn from) {
    std::vector<std::byte> buf(page_size());
    const PhysResult r = m_phys.read(m_layout.phys_of(from), buf);
    if (!r.ok())
        std::fill(buf.begin() + static_cast<std::ptrdiff_t>(r.bytes_done), buf.end(), std::byte{0});
    (void)m_phys.write(m_layout.phys_of(to), buf);
}

// vm_normal_page: the struct page behind a PTE, or nullptr for "special" mappings (the zero
// page, raw PFNs of VM_PFNMAP areas, frames without a struct page).
page* MmStruct::vm_normal_page(const vm_area_struct& vma, u64 address, u64 pte) {
    const Pfn pfn = m_ptes.pfn(pte);
    if (m_ptes.special(pte) || pfn == m_zero_pfn)
        return nullptr; // kmemu never refcounts the zero page (the kernel did up to 2.6.23)
    if (vma.vm_flags & VM_PFNMAP) {
        const u64 off = (address - vma.vm_start) >> m_rules.page_shift;
        const bool cow = (vma.vm_flags & (VM_SHARED | VM_MAYWRITE)) == VM_MAYWRITE;
        if (!cow || pfn.get() == vma.vm_pgoff + off)
            return nullptr;
    }
    if (!m_pages.pfn_valid(pfn) || !m_phys.has_frame(pfn))
        return nullptr;
    return m_pages.pfn_to_page(pfn);
}

vm_fault_t MmStruct::handle_mm_fault(vm_area_struct& vma, VirtAddr address, unsigned flags) {
    const u64 addr = address.get() & ~(page_size() - 1);
    auto slot_or = m_tables->pte_slot(VirtAddr(addr), AllocTables::Yes);
    if (slot_or.is_error() || !slot_or.value())
        return VM_FAULT_OOM; // no page for a page table (__pte_alloc)
    const PteSlot slot = *slot_or.value();
    auto got = m_tables->get(slot);
    if (got.is_error())
        return VM_FAULT_SIGBUS;
    const u64 pte = got.value();
    // handle_pte_fault.
    if (m_ptes.none(pte)) {
        if (vma.vm_ops != nullptr)
            return do_vm_ops_fault(vma, slot, addr, address.get(), flags);
        return do_anonymous_page(vma, slot, addr, flags);
    }
    if (!m_ptes.present(pte))
        return VM_FAULT_SIGBUS; // a swap entry: kmemu has no swap
    const bool write = (flags & FAULT_FLAG_WRITE) != 0;
    if (write && !m_ptes.write(pte))
        return do_wp_page(vma, slot, addr, pte);
    // The access/dirty bookkeeping (ARM's young and dirty emulation, arm64/LPAE AF and DBM).
    u64 entry = m_ptes.mkyoung(pte);
    if (write)
        entry = m_ptes.mkdirty(entry);
    if (entry != pte && m_tables->set(slot, entry).is_error())
        return VM_FAULT_SIGBUS;
    m_mmu->flush_tlb_page(VirtAddr(addr)); // ptep_set_access_flags / the spurious-fault flush
    return 0;
}

vm_fault_t MmStruct::do_anonymous_page(vm_area_struct& vma, const PteSlot& slot, u64 addr,
                                       unsigned flags) {
    if ((vma.vm_flags & VM_SHARED) && !(flags & kFaultAnonForVmOps))
        return VM_FAULT_SIGBUS; // a shared mapping without vm_ops
    // check_stack_guard_page: the lowest page of a stack is its guard; touching it grows the
    // stack by one page first (a stack VMA right below continues it instead).
    if (m_rules.stack_guard_page && (vma.vm_flags & VM_GROWSDOWN) && addr == vma.vm_start) {
        const vm_area_struct* prev = vma.vm_prev;
        if (prev != nullptr && prev->vm_end == addr) {
            if (!(prev->vm_flags & VM_GROWSDOWN))
                return VM_FAULT_SIGBUS;
        } else if (addr < page_size() || !expand_stack(vma, addr - page_size())) {
            return VM_FAULT_SIGBUS;
        }
    }
    const bool write = (flags & FAULT_FLAG_WRITE) != 0;
    if (!write && m_rules.anon_read_fault != AnonReadFault::AllocatePage) {
        // Map the zero page read-only (vm_page_prot of a private mapping has no write).
        u64 entry = m_ptes.mk_pte(m_zero_pfn, vma.vm_page_prot);
        if (m_rules.anon_read_fault == AnonReadFault::ZeroPageSpecial)
            entry = m_ptes.mkspecial(entry);
        return m_tables->set(slot, entry).is_error() ? VM_FAULT_SIGBUS : 0;
    }
    anon_vma_prepare(vma);
    page* p = alloc_user_page(true);
    if (p == nullptr)
        return VM_FAULT_OOM;
    u64 entry = m_ptes.mk_pte(page_to_pfn(p), vma.vm_page_prot);
    // 2.6.x: maybe_mkwrite(pte_mkdirty(entry)); 4.x+: pte_mkwrite(pte_mkdirty()) if VM_WRITE
    // (the same PTE for every fault that allocates).
    if (write || (vma.vm_flags & VM_WRITE) ||
        m_rules.anon_read_fault == AnonReadFault::AllocatePage)
        entry = m_ptes.mkdirty(entry);
    if (vma.vm_flags & VM_WRITE)
        entry = m_ptes.mkwrite(entry);
    p->_mapcount = 0; // page_add_new_anon_rmap
    ++m_anon_rss;
    return m_tables->set(slot, entry).is_error() ? VM_FAULT_SIGBUS : 0;
}

vm_fault_t MmStruct::do_wp_page(vm_area_struct& vma, const PteSlot& slot, u64 addr, u64 pte) {
    const bool shared_write = (vma.vm_flags & (VM_SHARED | VM_WRITE)) == (VM_SHARED | VM_WRITE);
    page* old = vm_normal_page(vma, addr, pte);
    const bool old_anon = old != nullptr && m_anon_pfns.contains(page_to_pfn(old).get());
    // wp_page_reuse: a shared writable mapping, or an anonymous page only this PTE maps.
    if (shared_write || (old_anon && page_count(old) == 1 && page_mapcount(old) == 1)) {
        u64 entry = m_ptes.mkdirty(m_ptes.mkyoung(pte));
        if (vma.vm_flags & VM_WRITE)
            entry = m_ptes.mkwrite(entry);
        if (m_tables->set(slot, entry).is_error())
            return VM_FAULT_SIGBUS;
        m_mmu->flush_tlb_page(VirtAddr(addr));
        return 0;
    }
    // wp_page_copy: a new anonymous page (zeroed when the old one is the zero page).
    anon_vma_prepare(vma);
    const bool from_zero = m_ptes.pfn(pte) == m_zero_pfn;
    page* np = alloc_user_page(from_zero);
    if (np == nullptr)
        return VM_FAULT_OOM;
    if (!from_zero)
        copy_frame(page_to_pfn(np), m_ptes.pfn(pte));
    u64 entry = m_ptes.mkdirty(m_ptes.mk_pte(page_to_pfn(np), vma.vm_page_prot));
    if (vma.vm_flags & VM_WRITE)
        entry = m_ptes.mkwrite(entry);
    // ptep_clear_flush, then the new PTE.
    if (m_tables->set(slot, 0).is_error())
        return VM_FAULT_SIGBUS;
    m_mmu->flush_tlb_page(VirtAddr(addr));
    if (m_tables->set(slot, entry).is_error())
        return VM_FAULT_SIGBUS;
    np->_mapcount = 0;
    ++m_anon_rss;
    if (old != nullptr) {
        if (old->_mapcount >= 0)
            --old->_mapcount; // page_remove_rmap
        if (old_anon) {
            m_anon_pfns.erase(page_to_pfn(old).get());
            if (m_anon_rss > 0)
                --m_anon_rss;
        } else if (m_file_rss > 0) {
            --m_file_rss;
        }
        put_page(old);
    }
    return 0;
}

// do_fault for a VMA with vm_ops: the driver's ->fault, then finish_fault (map the page; a
// private write copies it first, do_cow_fault).
vm_fault_t MmStruct::do_vm_ops_fault(vm_area_struct& vma, const PteSlot& slot, u64 addr,
                                     u64 real_address, unsigned flags) {
    if (vma.vm_ops->fault == nullptr) {
        // 4.2+: SIGBUS. Before, handle_pte_fault gave such a VMA an anonymous page.
        if (m_rules.vm_ops_without_fault_sigbus)
            return VM_FAULT_SIGBUS;
        return do_anonymous_page(vma, slot, addr, flags | kFaultAnonForVmOps);
    }
    struct vm_fault vmf {};
    vmf.vma = &vma;
    vmf.flags = flags;
    vmf.gfp_mask = GFP_HIGHUSER_MOVABLE;
    vmf.pgoff = vma.vm_pgoff + ((addr - vma.vm_start) >> m_rules.page_shift);
    vmf.address = addr;
    vmf.real_address = real_address;
    vmf.virtual_address = reinterpret_cast<void*>(static_cast<std::uintptr_t>(addr));
    const vm_fault_t ret = vma.vm_ops->fault(&vmf);
    if (ret & (VM_FAULT_ERROR | VM_FAULT_NOPAGE | VM_FAULT_RETRY | VM_FAULT_DONE_COW))
        return ret;
    if (vmf.page == nullptr)
        return VM_FAULT_SIGBUS; // the kernel would crash on a NULL page; kmemu refuses
    const bool write = (flags & FAULT_FLAG_WRITE) != 0;
    u64 entry = 0;
    if (write && !(vma.vm_flags & VM_SHARED)) {
        anon_vma_prepare(vma);
        page* np = alloc_user_page(false);
        if (np == nullptr) {
            put_page(vmf.page);
            return VM_FAULT_OOM;
        }
        copy_frame(page_to_pfn(np), page_to_pfn(vmf.page));
        put_page(vmf.page);
        entry = m_ptes.mkdirty(m_ptes.mk_pte(page_to_pfn(np), vma.vm_page_prot));
        if (vma.vm_flags & VM_WRITE)
            entry = m_ptes.mkwrite(entry);
        np->_mapcount = 0;
        ++m_anon_rss;
    } else {
        entry = m_ptes.mk_pte(page_to_pfn(vmf.page), vma.vm_page_prot);
        if (write) {
            entry = m_ptes.mkdirty(entry);
            if (vma.vm_flags & VM_WRITE)
                entry = m_ptes.mkwrite(entry);
        }
        ++vmf.page->_mapcount; // page_add_file_rmap; the handler's reference is the PTE's
        ++m_file_rss;
    }
    return m_tables->set(slot, entry).is_error() ? VM_FAULT_SIGBUS : (ret & VM_FAULT_MAJOR);
}

int MmStruct::install_pte(VirtAddr address, u64 pte) {
    if (!address.is_aligned(page_size()) || address.get() >= m_rules.task_size)
        return -EINVAL;
    auto slot = m_tables->pte_slot(address, AllocTables::Yes);
    if (slot.is_error() || !slot.value())
        return -ENOMEM;
    auto old = m_tables->get(*slot.value());
    if (old.is_error())
        return -EFAULT;
    if (old.value() != 0)
        return -EBUSY;
    return m_tables->set(*slot.value(), pte).is_error() ? -EFAULT : 0;
}

// expand_downwards: grow a VM_GROWSDOWN VMA down to the page of `address`.
bool MmStruct::expand_stack(vm_area_struct& vma, u64 address) {
    const u64 ps = page_size();
    const u64 addr = align_down(address, ps);
    if (addr < m_options.mmap_min_addr)
        return false;
    const vm_area_struct* prev = vma.vm_prev;
    if (prev != nullptr && prev->vm_end > addr)
        return false;
    // 4.12+: keep stack_guard_gap above an accessible VMA that is not itself a stack.
    if (m_rules.stack_guard_gap != 0 && prev != nullptr && !(prev->vm_flags & VM_GROWSDOWN) &&
        (prev->vm_flags & VM_ACCESS_FLAGS) && addr - prev->vm_end < m_rules.stack_guard_gap)
        return false;
    // acct_stack_growth: the whole stack within RLIMIT_STACK.
    if (vma.vm_end - addr > m_options.rlimit_stack)
        return false;
    const u64 grow = (vma.vm_start - addr) >> m_rules.page_shift;
    auto node = m_vmas.extract(vma.vm_start);
    node.key() = addr;
    node.mapped()->vm_start = addr;
    node.mapped()->vm_pgoff -= grow;
    m_vmas.insert(std::move(node));
    return true;
}

// do_user_addr_fault's VMA part for a fault at a user address: find the VMA, check the
// access against its flags, run handle_mm_fault. nullopt: resolved, retry the access.
std::optional<UserSignal> MmStruct::fault_in(VirtAddr address, paging::AccessType type, bool user) {
    const u64 addr = address.get();
    if (addr >= m_rules.task_size)
        return sigsegv_maperr(address);
    vm_area_struct* vma = find_vma(address);
    if (vma == nullptr)
        return sigsegv_maperr(address);
    if (vma->vm_start > addr) {
        if (!(vma->vm_flags & VM_GROWSDOWN) || !expand_stack(*vma, addr))
            return sigsegv_maperr(address);
    }
    // access_error.
    const unsigned long f = vma->vm_flags;
    if ((type == paging::AccessType::Write && !(f & VM_WRITE)) ||
        (type == paging::AccessType::Execute && !(f & VM_EXEC)) ||
        (type == paging::AccessType::Read && !(f & VM_ACCESS_FLAGS)))
        return sigsegv_accerr(address);
    unsigned flags = FAULT_FLAG_ALLOW_RETRY | FAULT_FLAG_KILLABLE;
    if (user)
        flags |= FAULT_FLAG_USER;
    if (type == paging::AccessType::Write)
        flags |= FAULT_FLAG_WRITE;
    if (type == paging::AccessType::Execute)
        flags |= FAULT_FLAG_INSTRUCTION;
    const vm_fault_t r = handle_mm_fault(*vma, address, flags);
    if (r & VM_FAULT_OOM)
        return UserSignal{SIGKILL, SI_KERNEL, address}; // no OOM killer: the task dies
    if (r & (VM_FAULT_HWPOISON | VM_FAULT_HWPOISON_LARGE))
        return UserSignal{SIGBUS, BUS_MCEERR_AR, address};
    if (r & VM_FAULT_SIGBUS)
        return sigbus_adrerr(address);
    if (r & VM_FAULT_SIGSEGV)
        return sigsegv_maperr(address);
    return std::nullopt;
}

} // namespace kmemu
