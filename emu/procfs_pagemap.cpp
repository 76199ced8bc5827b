#include "emu/procfs_pagemap.h"

#include <algorithm>

#include "devices/device_kernel.h"
#include "emu/machine.h"
#include "mm/errno.h"
#include "mm/uaccess.h"

namespace kmemu {

PagemapRules pagemap_rules_for(const UserMmRules& mr) {
    const KernelVersion v = mr.version;
    PagemapRules r;
    r.page_shift = mr.page_shift;
    r.word_bits = mr.word_bits;
    // PMD_SIZE: i386 without PAE folds the pmd into the 4 MiB pgd; ARM classic pairs its 1 MiB
    // sections (PMD_SHIFT 21); the 8-byte-entry formats map PAGE_SIZE / 8 pages per table.
    if (mr.arch == Arch::I386)
        r.pmd_shift = 22;
    else if (mr.arch == Arch::Arm)
        r.pmd_shift = 21;
    else
        r.pmd_shift = 2 * mr.page_shift - 3;
    // CONFIG_PROC_PAGE_MONITOR and /proc/PID/pagemap appeared in 2.6.25.
    r.exists = v.at_least(2, 6, 25);
    // pagemap_open: "do not leak physical addresses to non-privileged userspace" (4.0,
    // ab676b7d), in the 3.10-stable tree read (3.10.108); replaced in 4.2 by show_pfn.
    const bool v310 = v.major == 3 && v.minor == 10;
    r.open_needs_sys_admin = v310 || (v.at_least(4, 0, 0) && !v.at_least(4, 2, 0));
    // pm.show_pfn (4.2, 1c90308e "pagemap: hide physical addresses from non-privileged
    // users"); the 2.6.32-stable tree read (2.6.32.69) carries it as security_capable(f_cred).
    const bool v2632 = v.major == 2 && v.minor == 6 && v.patch == 32;
    r.hide_pfn_unprivileged = v.at_least(4, 2, 0) || v2632;
    // 4.2 "pagemap: switch to the new format and do some cleanup": the page-shift field goes,
    // soft-dirty and exclusive come; 4.2 also takes the mm at open (proc_mem_open).
    r.page_shift_field = !v.at_least(4, 2, 0);
    r.soft_dirty_exclusive = v.at_least(4, 2, 0);
    r.mm_taken_at_open = v.at_least(4, 2, 0);
    // PM_FILE: absent in 2.6.32.69, present in 3.10.108 (switch at the tree read).
    r.file_bit = v.at_least(3, 10, 0);
    // walk_page_range skips VM_PFNMAP VMAs from 3.10 (S310 mm/pagewalk.c); 4.0's pagewalk
    // rework moved the test to walk_page_test, one VMA at a time.
    r.skip_pfnmap = v.at_least(3, 10, 0);
    r.pfnmap_chunk_quirk = r.skip_pfnmap && !v.at_least(4, 0, 0);
    return r;
}

namespace {

struct Walk {
    MmStruct& mm;
    const PagemapRules& r;
    bool show_pfn;

    // PM_NOT_PRESENT / make_pme(0, 0): the page-shift field only up to 4.1, else 0.
    [[nodiscard]] u64 hole() const { return r.page_shift_field ? u64{r.page_shift} << 55 : 0; }
    // pagemap_pte_hole inside a VMA (4.2+: soft-dirty when the VMA is VM_SOFTDIRTY).
    [[nodiscard]] u64 vma_hole(const vm_area_struct& vma) const {
        if (r.soft_dirty_exclusive && (vma.vm_flags & VM_SOFTDIRTY))
            return kPmSoftDirty;
        return hole();
    }

    // pte_to_pagemap_entry for the page at addr of vma.
    u64 pte_entry(const vm_area_struct& vma, u64 addr) {
        auto got = mm.pte_at(VirtAddr(addr));
        if (got.is_error() || !got.value() || !mm.pte_format().present(*got.value()))
            return vma_hole(vma); // pmd_none / pte_none (kmemu has no swap entries)
        const u64 pte = *got.value();
        const UserPteFormat& f = mm.pte_format();
        u64 e = kPmPresent;
        if (show_pfn)
            e |= f.pfn(pte).get() & kPmPfnMask;
        const page* pg = mm.normal_page(vma, VirtAddr(addr), pte);
        if (r.page_shift_field)
            e |= u64{r.page_shift} << 55;
        if (r.file_bit && pg != nullptr && !mm.page_anon(pg))
            e |= kPmFile;
        if (r.soft_dirty_exclusive) {
            if (f.soft_dirty(pte) || (vma.vm_flags & VM_SOFTDIRTY))
                e |= kPmSoftDirty;
            if (pg != nullptr && page_mapcount(pg) == 1)
                e |= kPmMmapExclusive;
        }
        return e;
    }

    // One walk_page_range(start, end) of pagemap_read's loop; [start, end) lies in one PMD.
    void chunk(u64 start, u64 end, std::vector<u64>& out) {
        const u64 ps = u64{1} << r.page_shift;
        if (r.pfnmap_chunk_quirk) {
            // 3.10 - 3.19: the pgd loop asks find_vma(start) once; a PFNMAP VMA there turns
            // the whole span into one pte_hole.
            const vm_area_struct* v = mm.find_vma(VirtAddr(start));
            if (v != nullptr && v->vm_start <= start && (v->vm_flags & VM_PFNMAP)) {
                for (u64 a = start; a < end; a += ps)
                    out.push_back(hole());
                return;
            }
        }
        u64 addr = start;
        while (addr < end) {
            const vm_area_struct* v = mm.find_vma(VirtAddr(addr));
            const u64 gap_end = v ? std::min(end, u64{v->vm_start}) : end;
            for (; addr < gap_end; addr += ps)
                out.push_back(hole());
            if (v == nullptr)
                break;
            const u64 vend = std::min(end, u64{v->vm_end});
            const bool skipped =
                r.skip_pfnmap && !r.pfnmap_chunk_quirk && (v->vm_flags & VM_PFNMAP);
            for (; addr < vend; addr += ps)
                out.push_back(skipped ? vma_hole(*v) : pte_entry(*v, addr));
        }
    }
};

class PagemapFile final : public ProcBinaryFile {
  public:
    PagemapFile(Machine& m, int pid, PagemapRules rules)
        : m_machine(m), m_pid(pid), m_rules(rules) {}

    // pagemap_open: the 3.10-stable / 4.0 capability test; show_pfn comes from the opener's
    // credentials (f_cred), so a later setuid does not change what this file shows.
    int open(const Task& opener, file&) override {
        const bool admin = opener.cred.has_cap(CAP_SYS_ADMIN);
        if (m_rules.open_needs_sys_admin && !admin)
            return -EPERM;
        m_show_pfn = admin || !m_rules.hide_pfn_unprivileged;
        return 0;
    }

    // pagemap_read: alignment, then PMD-sized chunks copied one by one; a failed copy is
    // -EFAULT (what was copied stays in the buffer, *ppos does not move).
    ssize_t read(file&, char* buf, size_t count, loff_t* ppos) override {
        Process* p = m_machine.process(m_pid);
        MmStruct* mm = p ? p->mm() : nullptr;
        if (mm == nullptr) // 4.2+: mmget_not_zero fails -> 0; before: get_proc_task -> -ESRCH
            return m_rules.mm_taken_at_open ? 0 : -ESRCH;
        if ((*ppos % 8) != 0 || (count % 8) != 0)
            return -EINVAL;
        if (count == 0)
            return 0;
        Task* t = current_task();
        if (t == nullptr || t->mm == nullptr)
            return -EFAULT;
        // src is an unsigned long: a 32-bit kernel sees the low 32 bits of *ppos.
        u64 src = static_cast<u64>(*ppos);
        if (m_rules.word_bits == 32)
            src &= 0xffffffffu;
        const u64 svpfn = src / 8, task_size = mm->task_size();
        u64 start =
            svpfn > (task_size >> m_rules.page_shift) ? task_size : svpfn << m_rules.page_shift;
        const u64 pmd = u64{1} << m_rules.pmd_shift;
        Walk w{*mm, m_rules, m_show_pfn};
        u64 copied = 0;
        std::vector<u64> entries;
        std::vector<u8> bytes;
        while (count != 0 && start < task_size) {
            u64 end = (start + pmd) & ~(pmd - 1);
            if (end < start || end > task_size)
                end = task_size;
            entries.clear();
            w.chunk(start, end, entries);
            start = end;
            const u64 len = std::min<u64>(count, 8 * entries.size());
            bytes.assign(len, 0);
            for (u64 i = 0; i < len; ++i) // little-endian u64s (every kmemu arch is LE)
                bytes[i] = static_cast<u8>(entries[i / 8] >> (8 * (i % 8)));
            if (copy_to_user(*t->mm, user_addr(buf).offset(copied), bytes) != 0)
                return -EFAULT;
            copied += len;
            count -= len;
        }
        *ppos += static_cast<loff_t>(copied);
        return static_cast<ssize_t>(copied);
    }

    // mem_lseek (fs/proc/base.c; proc_pagemap_operations borrows it in every era): SEEK_SET
    // and SEEK_CUR with no range check, any other whence -EINVAL; the new f_pos is returned
    // even when negative (force_successful_syscall_return is a no-op on x86, so glibc may still
    // see values in [-4095, -1] as errors).
    loff_t llseek(file& f, loff_t offset, int whence) override {
        if (whence == kSeekSet)
            f.f_pos = offset;
        else if (whence == kSeekCur)
            f.f_pos = static_cast<loff_t>(static_cast<u64>(f.f_pos) + static_cast<u64>(offset));
        else
            return -EINVAL;
        return f.f_pos;
    }

  private:
    Machine& m_machine;
    int m_pid;
    PagemapRules m_rules;
    bool m_show_pfn = false;
};

} // namespace

std::vector<u64> pagemap_entries(MmStruct& mm, const PagemapRules& rules, VirtAddr first, u64 n,
                                 bool show_pfn) {
    std::vector<u64> out;
    Walk w{mm, rules, show_pfn};
    const u64 pmd = u64{1} << rules.pmd_shift, task_size = mm.task_size();
    u64 start = first.get();
    while (out.size() < n && start < task_size) {
        u64 end = (start + pmd) & ~(pmd - 1);
        if (end < start || end > task_size)
            end = task_size;
        w.chunk(start, end, out);
        start = end;
    }
    if (out.size() > n)
        out.resize(n);
    return out;
}

std::unique_ptr<ProcBinaryFile> open_proc_pagemap(Machine& m, int pid) {
    Process* p = m.process(pid);
    if (p == nullptr || p->mm() == nullptr)
        return nullptr;
    const PagemapRules rules = pagemap_rules_for(p->mm()->rules());
    if (!rules.exists)
        return nullptr;
    return std::make_unique<PagemapFile>(m, pid, rules);
}

} // namespace kmemu
