// MmStruct: get_unmapped_area, do_mmap for anonymous memory, do_munmap, mprotect
// (mm/mmap.c, mm/mprotect.c; kernel-semantics §4.5-§4.7).
#include <algorithm>

#include "mm/errno.h"
#include "mm/user/mm_struct.h"

namespace kmemu {

// --- get_unmapped_area ------------------------------------------------------------------------

// Whether [addr, addr + len) overlaps no VMA, keeping stack_guard_gap below a VM_GROWSDOWN
// VMA free as vm_start_gap does (4.12+).
bool MmStruct::range_free(u64 addr, u64 len) const {
    const vm_area_struct* v = find_vma(VirtAddr(addr));
    if (v == nullptr)
        return true;
    u64 start = v->vm_start;
    if ((v->vm_flags & VM_GROWSDOWN) && m_rules.stack_guard_gap != 0)
        start = start > m_rules.stack_guard_gap ? start - m_rules.stack_guard_gap : 0;
    return addr + len <= start;
}

// vm_unmapped_area(VM_UNMAPPED_AREA_TOPDOWN): the highest gap in [low, high) that fits len;
// the result is the gap's end minus len.
std::optional<u64> MmStruct::search_topdown(u64 len, u64 low, u64 high) const {
    if (high < low || high - low < len)
        return std::nullopt;
    u64 gap_end = high;
    // VMAs from the highest one starting below `high` downwards.
    auto it = m_vmas.lower_bound(high);
    while (true) {
        u64 gap_start = low;
        const vm_area_struct* below = nullptr;
        if (it != m_vmas.begin()) {
            below = std::prev(it)->second.get();
            gap_start = std::max(below->vm_end, low);
        }
        if (gap_end >= gap_start && gap_end - gap_start >= len)
            return gap_end - len;
        if (below == nullptr || below->vm_start <= low)
            return std::nullopt;
        u64 next_end = below->vm_start;
        if ((below->vm_flags & VM_GROWSDOWN) && m_rules.stack_guard_gap != 0)
            next_end = next_end > m_rules.stack_guard_gap ? next_end - m_rules.stack_guard_gap : 0;
        gap_end = std::min(gap_end, next_end);
        --it;
    }
}

// vm_unmapped_area bottom-up: the lowest gap in [low, high) that fits len.
std::optional<u64> MmStruct::search_bottomup(u64 len, u64 low, u64 high) const {
    if (high < low || high - low < len)
        return std::nullopt;
    u64 gap_start = low;
    while (true) {
        const vm_area_struct* v = find_vma(VirtAddr(gap_start));
        u64 gap_end = high;
        if (v != nullptr) {
            u64 s = v->vm_start;
            if ((v->vm_flags & VM_GROWSDOWN) && m_rules.stack_guard_gap != 0)
                s = s > m_rules.stack_guard_gap ? s - m_rules.stack_guard_gap : 0;
            if (s <= gap_start) {
                if (v->vm_end >= high)
                    return std::nullopt;
                gap_start = v->vm_end;
                continue;
            }
            gap_end = std::min(high, s);
        }
        if (gap_end - gap_start >= len)
            return gap_start;
        if (v == nullptr || v->vm_end >= high)
            return std::nullopt;
        gap_start = v->vm_end;
    }
}

i64 MmStruct::get_unmapped_area(VirtAddr hint, u64 len, unsigned long pgoff, int flags) {
    (void)pgoff; // anonymous memory has no colouring constraint on these arches
    const u64 ps = page_size();
    const u64 task = m_rules.task_size;
    // get_unmapped_area: len > TASK_SIZE -> -ENOMEM.
    if (len > task)
        return -ENOMEM;
    u64 addr = hint.get();
    if (!(flags & MAP_FIXED)) {
        const u64 low = std::max(ps, m_options.mmap_min_addr);
        // The hint, page aligned, if it fits and is free (arch_get_unmapped_area[_topdown]).
        bool found = false;
        if (addr != 0) {
            addr = align_up(addr, ps);
            if (addr != 0 && task - len >= addr && addr >= m_options.mmap_min_addr &&
                range_free(addr, len))
                found = true;
        }
        if (!found) {
            std::optional<u64> r;
            if (m_topdown) {
                // Below mmap_base; x86_64 la57: a hint above the 47-bit window widens it.
                u64 high = m_mmap_base;
                if (hint.get() > m_rules.mmap_window)
                    high += task - m_rules.mmap_window;
                r = search_topdown(len, low, high);
                // Nothing below mmap_base: the bottom-up search from TASK_UNMAPPED_BASE.
                if (!r)
                    r = search_bottomup(len, std::max(low, m_rules.unmapped_base),
                                        m_rules.mmap_window);
            } else {
                r = search_bottomup(len, std::max(low, m_mmap_base), m_rules.mmap_window);
            }
            if (!r)
                return -ENOMEM;
            addr = *r;
        }
    }
    // The generic wrapper's checks on any answer.
    if (addr > task - len)
        return -ENOMEM;
    if (addr % ps != 0)
        return -EINVAL;
    // security_mmap_addr -> cap_mmap_addr: below mmap_min_addr needs CAP_SYS_RAWIO.
    if (addr < m_options.mmap_min_addr && !m_options.cap_sys_rawio)
        return -EPERM;
    return static_cast<i64>(addr);
}

// --- mmap ----------------------------------------------------------------------------------

// __vm_enough_memory under OVERCOMMIT_GUESS (the default), no swap.
bool MmStruct::enough_memory(u64 pages) const {
    if (m_rules.overcommit == OvercommitGuess::TotalRamPages) {
        u64 total = 0;
        for (const auto& z : m_pages.zones())
            total += z->managed_pages();
        return pages <= total;
    }
    return pages <= m_pages.nr_free_pages();
}

i64 MmStruct::mmap_anonymous(VirtAddr hint, u64 len, int prot, int flags) {
    if (!(flags & MAP_ANONYMOUS))
        return -EBADF; // a file mapping with fd -1
    switch (flags & KMEMU_MAP_TYPE) {
    case MAP_PRIVATE:
        break;
    case MAP_SHARED:
        return -EINVAL; // shared anonymous memory is shmem, a VFS file: not modelled here
    default:
        // MAP_SHARED_VALIDATE (4.15+) is shared too; any other type is -EINVAL.
        return -EINVAL;
    }
    u64 addr = hint.get();
    if (const i64 r = mmap_checks(addr, len, flags, 0, nullptr); r != 0)
        return r;

    unsigned long vm_flags =
        calc_vm_prot_bits(prot) | VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC |
        ((flags & MAP_GROWSDOWN) ? VM_GROWSDOWN : 0) | ((flags & MAP_LOCKED) ? VM_LOCKED : 0) |
        ((flags & MAP_DENYWRITE) && !m_rules.version.at_least(5, 15, 0) ? VM_DENYWRITE : 0);
    // MAP_PRIVATE anonymous: pgoff = addr >> PAGE_SHIFT (for anon_vma's linear index).
    const unsigned long pgoff = addr >> m_rules.page_shift;
    if (flags & MAP_NORESERVE)
        vm_flags |= VM_NORESERVE; // OVERCOMMIT_GUESS honours it

    // mmap_region: clear what MAP_FIXED covers, account, merge or insert.
    if (flags & MAP_FIXED) {
        const vm_area_struct* v = find_vma(VirtAddr(addr));
        if (v != nullptr && v->vm_start < addr + len) {
            const int r = do_munmap(addr, len);
            if (r != 0)
                return r;
        }
    }
    if ((vm_flags & VM_WRITE) && !(vm_flags & (VM_SHARED | VM_NORESERVE))) {
        vm_flags |= VM_ACCOUNT;
        if (!enough_memory(len >> m_rules.page_shift))
            return -ENOMEM;
    }
    if (m_rules.vm_softdirty)
        vm_flags |= VM_SOFTDIRTY; // "New (or expanded) vma always get soft dirty status"
    vm_area_struct* prev = prev_of(addr);
    vm_area_struct* vma = vma_merge(prev, addr, addr + len, vm_flags, pgoff);
    if (vma != nullptr) {
        vma->vm_flags |= vm_flags & VM_SOFTDIRTY;
    } else {
        vm_area_struct v{};
        v.vm_start = addr;
        v.vm_end = addr + len;
        v.vm_flags = vm_flags;
        v.vm_pgoff = pgoff;
        v.vm_page_prot = m_ptes.vm_get_page_prot(vm_flags);
        vma = insert_vma(v);
    }
    // MAP_POPULATE / VM_LOCKED: mm_populate faults the whole range in.
    if ((flags & MAP_POPULATE) || (vm_flags & VM_LOCKED))
        populate(addr, addr + len);
    return static_cast<i64>(addr);
}

// populate_vma_page_range: a write fault for writable private memory (FOLL_WRITE), a read
// fault otherwise, page by page; errors are ignored as mm_populate does for mmap.
void MmStruct::populate(u64 start, u64 end) {
    for (u64 a = start; a < end; a += page_size()) {
        vm_area_struct* v = find_vma(VirtAddr(a));
        if (v == nullptr || v->vm_start > a)
            continue;
        if ((v->vm_flags & VM_ACCESS_FLAGS) == 0)
            continue;
        const bool write = (v->vm_flags & (VM_WRITE | VM_SHARED)) == VM_WRITE;
        (void)handle_mm_fault(*v, VirtAddr(a), write ? FAULT_FLAG_WRITE : 0);
    }
}

// --- munmap -----------------------------------------------------------------------------------

// zap_pte_range for [start, end) of vma: clear each PTE, drop the page's mapping and
// reference (the zero page and raw PFNs have none), then flush the TLB for the range.
void MmStruct::zap_range(const vm_area_struct& vma, u64 start, u64 end) {
    for (u64 a = start; a < end; a += page_size()) {
        auto slot = m_tables->pte_slot(VirtAddr(a), AllocTables::No);
        if (slot.is_error() || !slot.value())
            continue;
        auto old = m_tables->get_and_clear(*slot.value());
        if (old.is_error() || old.value() == 0)
            continue;
        const u64 pte = old.value();
        if (!m_ptes.present(pte))
            continue;
        page* p = vm_normal_page(vma, a, pte);
        if (p == nullptr)
            continue;
        if (p->_mapcount >= 0)
            --p->_mapcount; // page_remove_rmap
        if (m_anon_pfns.erase(page_to_pfn(p).get()) != 0) {
            if (m_anon_rss > 0)
                --m_anon_rss;
        } else if (m_file_rss > 0) {
            --m_file_rss;
        }
        put_page(p);
    }
    m_mmu->flush_tlb_range(VirtAddr(start), VirtAddr(end));
}

int MmStruct::do_munmap(u64 start, u64 len) {
    const u64 ps = page_size();
    const u64 task = m_rules.task_size;
    // do_munmap step 1 (kernel-semantics §4.7).
    if (start % ps != 0 || start > task || len > task - start)
        return -EINVAL;
    len = align_up(len, ps);
    if (len == 0)
        return -EINVAL;
    const u64 end = start + len;
    vm_area_struct* vma = find_vma(VirtAddr(start));
    if (vma == nullptr || vma->vm_start >= end)
        return 0;
    // 4.16+ vm_ops->split / 5.x may_split: the driver may veto a split.
    for (vm_area_struct* v : {vma, find_vma(VirtAddr(end - 1))}) {
        const bool splits = v != nullptr && ((v->vm_start < start && start < v->vm_end) ||
                                             (v->vm_start < end && end < v->vm_end));
        if (splits && v->vm_ops != nullptr && v->vm_ops->may_split != nullptr) {
            const u64 at = v->vm_start < start ? start : end;
            if (const int err = v->vm_ops->may_split(v, at); err != 0)
                return err;
        }
    }
    // A split inside one VMA needs a new one: refused at max_map_count.
    if (vma->vm_start < start && end < vma->vm_end && m_vmas.size() >= m_options.max_map_count)
        return -ENOMEM;
    // do_munmap splits at start with the new VMA above, at end with the new VMA below (the
    // piece that goes), as every version does.
    if (vma->vm_start < start)
        vma = split_vma(vma, start, NewBelow::No);
    vm_area_struct* last = find_vma(VirtAddr(end - 1));
    if (last != nullptr && last->vm_start < end && end < last->vm_end) {
        (void)split_vma(last, end, NewBelow::Yes);
        if (last == vma)
            vma = find_vma(VirtAddr(start)); // the lower piece is a new VMA
    }
    // Unmap, free the page tables that are now empty, and remove the VMAs.
    std::vector<vm_area_struct*> gone;
    for (vm_area_struct* v = vma; v != nullptr && v->vm_start < end; v = v->vm_next)
        gone.push_back(v);
    if (gone.empty())
        return 0;
    vm_area_struct* prev = gone.front()->vm_prev;
    vm_area_struct* next = gone.back()->vm_next;
    for (vm_area_struct* v : gone)
        zap_range(*v, v->vm_start, v->vm_end);
    const u64 floor = prev ? prev->vm_end : m_rules.first_user_address;
    const u64 ceiling = next ? next->vm_start : m_rules.user_pgtables_ceiling;
    m_tables->free_pgtables(gone.front()->vm_start, gone.back()->vm_end, floor, ceiling);
    m_mmu->flush_tlb_range(VirtAddr(start), VirtAddr(end));
    for (vm_area_struct* v : gone)
        free_vma(v);
    return 0;
}

int MmStruct::munmap(VirtAddr addr, u64 len) {
    return do_munmap(addr.get(), len);
}

// --- mprotect ------------------------------------------------------------------------------

int MmStruct::mprotect(VirtAddr addr, u64 len, int prot) {
    const u64 ps = page_size();
    u64 start = addr.get();
    const int grows = prot & (PROT_GROWSDOWN | PROT_GROWSUP);
    prot &= ~grows;
    if (grows == (PROT_GROWSDOWN | PROT_GROWSUP))
        return -EINVAL;
    if (start % ps != 0)
        return -EINVAL;
    if (len == 0)
        return 0;
    const u64 rounded = align_up(len, ps);
    u64 end = start + rounded;
    if (rounded < len || end <= start)
        return -ENOMEM;
    if (prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC | KMEMU_PROT_SEM))
        return -EINVAL;
    const unsigned long want = calc_vm_prot_bits(prot);
    vm_area_struct* vma = find_vma(VirtAddr(start));
    if (vma == nullptr)
        return -ENOMEM;
    if (grows & PROT_GROWSDOWN) {
        // The change runs down to the start of the stack VMA.
        if (vma->vm_start >= end || !(vma->vm_flags & VM_GROWSDOWN))
            return -EINVAL;
        start = vma->vm_start;
    } else if (grows & PROT_GROWSUP) {
        return -EINVAL; // no VM_GROWSUP VMAs on these arches
    } else if (vma->vm_start > start) {
        return -ENOMEM;
    }
    u64 at = start;
    while (at < end) {
        if (vma == nullptr || vma->vm_start > at)
            return -ENOMEM; // a hole: what came before stays changed
        unsigned long newflags = want | (vma->vm_flags & ~VM_ACCESS_FLAGS);
        // Beyond what the mapping may ever get: (newflags & ~(newflags >> 4)) & RWX.
        if ((newflags & ~(newflags >> 4)) & VM_ACCESS_FLAGS)
            return -EACCES;
        const u64 piece_end = std::min<u64>(end, vma->vm_end);
        // mprotect_fixup: a private mapping that becomes writable is charged (VM_ACCOUNT).
        if ((newflags & VM_WRITE) &&
            !(vma->vm_flags & (VM_ACCOUNT | VM_WRITE | VM_SHARED | VM_NORESERVE))) {
            if (!enough_memory((piece_end - at) >> m_rules.page_shift))
                return -ENOMEM;
            newflags |= VM_ACCOUNT;
        }
        if (newflags != vma->vm_flags) {
            // mprotect_fixup: the VMA being changed keeps its struct (new pieces around it).
            if (vma->vm_start < at)
                vma = split_vma(vma, at, NewBelow::Yes);
            if (piece_end < vma->vm_end)
                (void)split_vma(vma, piece_end, NewBelow::No);
            vma->vm_flags = newflags;
            vma->vm_page_prot = m_ptes.vm_get_page_prot(newflags);
            // change_pte_range: pte_modify every present PTE (private protections are never
            // writable, so written pages turn read-only until the next write fault).
            for (u64 a = vma->vm_start; a < vma->vm_end; a += ps) {
                auto slot = m_tables->pte_slot(VirtAddr(a), AllocTables::No);
                if (slot.is_error() || !slot.value())
                    continue;
                auto old = m_tables->get(*slot.value());
                if (old.is_error() || old.value() == 0 || !m_ptes.present(old.value()))
                    continue;
                (void)m_tables->set(*slot.value(), m_ptes.modify(old.value(), vma->vm_page_prot));
            }
            m_mmu->flush_tlb_range(VirtAddr(vma->vm_start), VirtAddr(vma->vm_end));
            (void)merge_neighbours(vma);
        }
        at = piece_end;
        vma = find_vma(VirtAddr(at));
    }
    return 0;
}

} // namespace kmemu
