// MmStruct: creation and teardown, the VMA list (insert, split, merge), the mmap layout.
#include "mm/user/mm_struct.h"

namespace kmemu {

MmStruct::MmStruct(const MmDeps& d, const MmOptions& options, const UserMmRules& rules,
                   const UserPteFormat& ptes)
    : m_layout(d.layout), m_profile(d.profile), m_phys(d.phys), m_pages(d.pages), m_mmus(d.mmus),
      m_kernel_tables(d.kernel_tables), m_zero_pfn(d.zero_page), m_options(options), m_rules(rules),
      m_ptes(ptes) {}

ErrorOr<std::unique_ptr<MmStruct>> MmStruct::create(const MmDeps& d, const MmOptions& options) {
    if (d.layout.page_shift != d.phys.page_shift())
        return make_error(ErrorKind::Internal, "mm_struct: the layout's page size is not the "
                                               "machine's");
    if (!d.phys.has_frame(d.zero_page))
        return make_error(ErrorKind::InvalidConfig,
                          "mm_struct: the zero page {:#x} is not a RAM frame", d.zero_page);
    const UserMmRules rules = user_mm_rules_for(d.layout, d.profile, d.kernel_tables.rules());
    const UserPteFormat ptes = UserPteFormat::create(d.layout, rules, d.kernel_tables.rules());
    std::unique_ptr<MmStruct> mm(new MmStruct(d, options, rules, ptes));
    mm->m_tables =
        TRY(UserPageTables::create(d.layout, rules, ptes, d.phys, d.pages, d.kernel_tables));
    mm->m_mmu = TRY(
        mmu::AddressSpaceMmu::create(d.mmus, mm->m_tables->format(), mm->m_tables->mmu_state()));
    mm->pick_mmap_layout();
    return mm;
}

MmStruct::~MmStruct() {
    // exit_mmap: unmap_vmas (every page back), then remove_vma for each (->close, fput),
    // free_pgtables and pgd_free (UserPageTables).
    for (auto& [start, vma] : m_vmas)
        zap_range(*vma, vma->vm_start, vma->vm_end);
    if (m_mmu)
        m_mmu->flush_tlb_mm();
    while (!m_vmas.empty())
        free_vma(m_vmas.begin()->second.get());
    m_tables.reset();
    m_mmu.reset();
}

// arch_pick_mmap_layout / mmap_base (kernel-semantics §4.6) without randomisation.
void MmStruct::pick_mmap_layout() {
    const u64 rlim = m_options.rlimit_stack;
    const bool legacy = m_options.legacy_va_layout || !m_rules.has_topdown ||
                        (m_rules.legacy_when_stack_unlimited && rlim == kRlimInfinity);
    if (legacy) {
        m_topdown = false;
        m_mmap_base = m_rules.unmapped_base;
        return;
    }
    m_topdown = true;
    const u64 top = m_rules.stack_top;
    u64 gap = rlim;
    u64 min_gap = 128 * MiB;
    const u64 max_gap = top / 6 * 5;
    switch (m_rules.mmap_base_rule) {
    case MmapBaseRule::Clamp128M:
        break;
    case MmapBaseRule::PadThenClamp: {
        const u64 pad = m_rules.stack_guard_gap; // + stack_maxrandom_size, 0 unrandomised
        if (gap + pad > gap)
            gap += pad;
        break;
    }
    case MmapBaseRule::Arm64RandMask:
        min_gap = 128 * MiB + m_rules.stack_rnd_mask_bytes + 1;
        break;
    }
    if (gap < min_gap)
        gap = min_gap;
    else if (gap > max_gap)
        gap = max_gap;
    m_mmap_base = align_up(top - gap, page_size());
}

// --- VMA list ---------------------------------------------------------------------------------

vm_area_struct* MmStruct::find_vma(VirtAddr addr) {
    return const_cast<vm_area_struct*>(std::as_const(*this).find_vma(addr));
}

const vm_area_struct* MmStruct::find_vma(VirtAddr addr) const {
    auto it = m_vmas.upper_bound(addr.get());
    if (it != m_vmas.begin()) {
        auto p = std::prev(it);
        if (p->second->vm_end > addr.get())
            return p->second.get();
    }
    return it == m_vmas.end() ? nullptr : it->second.get();
}

vm_area_struct* MmStruct::first_vma() {
    return m_vmas.empty() ? nullptr : m_vmas.begin()->second.get();
}
const vm_area_struct* MmStruct::first_vma() const {
    return m_vmas.empty() ? nullptr : m_vmas.begin()->second.get();
}

std::vector<const vm_area_struct*> MmStruct::vmas() const {
    std::vector<const vm_area_struct*> out;
    out.reserve(m_vmas.size());
    for (const auto& [start, v] : m_vmas)
        out.push_back(v.get());
    return out;
}

// The VMA that ends at or below addr, nearest to it (find_vma_prev's prev).
vm_area_struct* MmStruct::prev_of(u64 addr) {
    auto it = m_vmas.lower_bound(addr);
    if (it == m_vmas.begin())
        return nullptr;
    vm_area_struct* p = std::prev(it)->second.get();
    return p->vm_end <= addr ? p : nullptr;
}

vm_area_struct* MmStruct::insert_vma(const vm_area_struct& v) {
    auto owned = std::make_unique<vm_area_struct>(v);
    owned->vm_mm = this;
    vm_area_struct* raw = owned.get();
    auto [it, inserted] = m_vmas.emplace(raw->vm_start, std::move(owned));
    (void)inserted;
    // Link it with its neighbours only (the list stays the map's order).
    vm_area_struct* prev = it == m_vmas.begin() ? nullptr : std::prev(it)->second.get();
    auto nit = std::next(it);
    vm_area_struct* next = nit == m_vmas.end() ? nullptr : nit->second.get();
    raw->vm_prev = prev;
    raw->vm_next = next;
    if (prev)
        prev->vm_next = raw;
    if (next)
        next->vm_prev = raw;
    return raw;
}

void MmStruct::remove_vma(vm_area_struct* vma) {
    if (vma->vm_prev)
        vma->vm_prev->vm_next = vma->vm_next;
    if (vma->vm_next)
        vma->vm_next->vm_prev = vma->vm_prev;
    m_vmas.erase(vma->vm_start);
}

// ->close may end the file's life itself (shmem's internal file) and then clears vm_file.
void MmStruct::free_vma(vm_area_struct* vma) {
    if (vma->vm_ops != nullptr && vma->vm_ops->close != nullptr)
        vma->vm_ops->close(vma);
    drop_failed_vma(vma);
}

void MmStruct::drop_failed_vma(vm_area_struct* vma) {
    file* f = vma->vm_file;
    remove_vma(vma);
    if (f != nullptr && m_file_refs.put != nullptr)
        m_file_refs.put(f);
}

// __split_vma: the new VMA is a copy holding the file too and gets ->open. NewBelow::No: the
// new VMA is the upper piece [addr, vm_end), its vm_pgoff advanced by the split distance.
// NewBelow::Yes: the new VMA is the lower piece [vm_start, addr) and the original moves up.
// Either way the piece starting at addr is returned.
vm_area_struct* MmStruct::split_vma(vm_area_struct* vma, u64 addr, NewBelow below) {
    const unsigned long delta = (addr - vma->vm_start) >> m_rules.page_shift;
    vm_area_struct copy = *vma;
    vm_area_struct* made = nullptr;
    vm_area_struct* upper = nullptr;
    if (below == NewBelow::No) {
        copy.vm_start = addr;
        copy.vm_pgoff += delta;
        vma->vm_end = addr;
        made = upper = insert_vma(copy);
    } else {
        copy.vm_end = addr;
        auto node = m_vmas.extract(vma->vm_start);
        node.key() = addr;
        vma->vm_start = addr;
        vma->vm_pgoff += delta;
        m_vmas.insert(std::move(node));
        made = insert_vma(copy);
        upper = vma;
    }
    if (made->vm_file != nullptr && m_file_refs.get != nullptr)
        m_file_refs.get(made->vm_file);
    if (made->vm_ops != nullptr && made->vm_ops->open != nullptr)
        made->vm_ops->open(made);
    return upper;
}

bool MmStruct::flags_mergeable(unsigned long a, unsigned long b) const {
    // is_mergeable_vma: identical flags (3.13+: VM_SOFTDIRTY aside).
    const unsigned long ignore = m_rules.merge_ignores_softdirty ? VM_SOFTDIRTY : 0;
    return ((a ^ b) & ~ignore) == 0;
}

namespace {
// is_mergeable_anon_vma: one of them has none yet, or both the same.
bool anon_compatible(unsigned long a, unsigned long b) {
    return a == 0 || b == 0 || a == b;
}
} // namespace

// vma_merge for [addr, end) with the given flags, pgoff and anon_vma, next to prev (ending
// at addr) and/or the VMA starting at end. Only VMAs without a file or vm_ops merge here.
// Returns the VMA that now covers [addr, end), or nullptr when nothing merged.
vm_area_struct* MmStruct::vma_merge(vm_area_struct* prev, u64 addr, u64 end, unsigned long flags,
                                    unsigned long pgoff) {
    if (flags & VM_SPECIAL)
        return nullptr;
    const u64 shift = m_rules.page_shift;
    auto mergeable = [&](const vm_area_struct* v) {
        return v != nullptr && v->vm_file == nullptr && v->vm_ops == nullptr &&
               flags_mergeable(v->vm_flags, flags);
    };
    auto nit = m_vmas.find(end);
    vm_area_struct* next = nit == m_vmas.end() ? nullptr : nit->second.get();
    const bool after_prev = prev != nullptr && prev->vm_end == addr && mergeable(prev) &&
                            prev->vm_pgoff + ((prev->vm_end - prev->vm_start) >> shift) == pgoff;
    const bool before_next = mergeable(next) && pgoff + ((end - addr) >> shift) == next->vm_pgoff;
    if (after_prev) {
        if (before_next && anon_compatible(prev->anon_vma, next->anon_vma)) {
            const u64 next_end = next->vm_end;
            if (prev->anon_vma == 0)
                prev->anon_vma = next->anon_vma;
            prev->vm_flags |= next->vm_flags & VM_SOFTDIRTY;
            remove_vma(next);
            prev->vm_end = next_end;
        } else {
            prev->vm_end = end;
        }
        return prev;
    }
    if (before_next) {
        auto node = m_vmas.extract(nit);
        node.key() = addr;
        node.mapped()->vm_start = addr;
        node.mapped()->vm_pgoff = pgoff;
        m_vmas.insert(std::move(node));
        return next;
    }
    return nullptr;
}

// mprotect's vma_merge: after its flags changed, vma joins a neighbour it could have been
// one VMA with (adjacent, same flags, contiguous pgoff, compatible anon_vma).
vm_area_struct* MmStruct::merge_neighbours(vm_area_struct* vma) {
    const u64 shift = m_rules.page_shift;
    auto can = [&](const vm_area_struct* a, const vm_area_struct* b) {
        return a != nullptr && b != nullptr && a->vm_end == b->vm_start && !a->vm_file &&
               !b->vm_file && !a->vm_ops && !b->vm_ops && !(a->vm_flags & VM_SPECIAL) &&
               flags_mergeable(a->vm_flags, b->vm_flags) &&
               anon_compatible(a->anon_vma, b->anon_vma) &&
               b->vm_pgoff == a->vm_pgoff + ((a->vm_end - a->vm_start) >> shift);
    };
    auto absorb = [&](vm_area_struct* a, vm_area_struct* b) {
        const u64 end = b->vm_end;
        if (a->anon_vma == 0)
            a->anon_vma = b->anon_vma;
        a->vm_flags |= b->vm_flags & VM_SOFTDIRTY;
        remove_vma(b);
        a->vm_end = end;
    };
    if (can(vma->vm_prev, vma)) {
        vm_area_struct* prev = vma->vm_prev;
        absorb(prev, vma);
        vma = prev;
    }
    if (can(vma, vma->vm_next))
        absorb(vma, vma->vm_next);
    return vma;
}

// anon_vma_prepare: reuse a neighbour's anon_vma when the two could have been one VMA
// (find_mergeable_anon_vma / anon_vma_compatible), else a new one.
void MmStruct::anon_vma_prepare(vm_area_struct& vma) {
    if (vma.anon_vma != 0)
        return;
    const u64 shift = m_rules.page_shift;
    auto compatible = [&](const vm_area_struct* a, const vm_area_struct* b) {
        return a && b && a->vm_end == b->vm_start && a->vm_file == b->vm_file &&
               ((a->vm_flags ^ b->vm_flags) & ~(VM_ACCESS_FLAGS | VM_SOFTDIRTY)) == 0 &&
               b->vm_pgoff == a->vm_pgoff + ((a->vm_end - a->vm_start) >> shift);
    };
    if (compatible(&vma, vma.vm_next) && vma.vm_next->anon_vma != 0)
        vma.anon_vma = vma.vm_next->anon_vma;
    else if (compatible(vma.vm_prev, &vma) && vma.vm_prev->anon_vma != 0)
        vma.anon_vma = vma.vm_prev->anon_vma;
    else
        vma.anon_vma = m_next_anon_vma++;
}

// get_gate_vma on x86_64: the vsyscall page at VSYSCALL_ADDR, r-xp (native and emulate modes)
// or --xp (XONLY, 5.8+: map_vsyscall leaves only VM_EXEC).
std::optional<vm_area_struct> MmStruct::gate_vma() const {
    if (m_layout.arch != Arch::X86_64 && m_layout.arch != Arch::X86_64La57)
        return std::nullopt;
    vm_area_struct g{};
    g.vm_start = 0xffffffffff600000ul;
    g.vm_end = g.vm_start + 4096;
    g.vm_flags = m_rules.vsyscall == X86VsyscallMode::XOnly ? VM_EXEC : (VM_READ | VM_EXEC);
    g.vm_page_prot = m_ptes.vm_get_page_prot(VM_READ | VM_EXEC);
    return g;
}

ErrorOr<std::optional<u64>> MmStruct::pte_at(VirtAddr va) {
    if (va.get() >= m_rules.task_size)
        return std::optional<u64>{};
    const auto slot = TRY(m_tables->pte_slot(va.align_down(page_size()), AllocTables::No));
    if (!slot)
        return std::optional<u64>{};
    return std::optional<u64>{TRY(m_tables->get(*slot))};
}

ErrorOr<paging::WalkRecord> MmStruct::walk(VirtAddr va) {
    return paging::walk(m_mmu->format(), m_mmu->table_memory(), m_mmu->mmu_state(), va,
                        paging::Access{paging::AccessType::Read, paging::Privilege::User},
                        paging::WalkMode::Inspection);
}

} // namespace kmemu
