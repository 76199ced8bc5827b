#include "mm/highmem.h"

namespace kmemu {

namespace {

KmapResult ok_at(VirtAddr va) {
    return {KmapStatus::Ok, va, {}};
}
KmapResult ok_unmapped() {
    return {KmapStatus::Ok, VirtAddr(0), {}};
}
template <typename... Args>
KmapResult fail(KmapStatus s, fmt::format_string<Args...> f, Args&&... args) {
    return {s, VirtAddr(0), fmt::format(f, std::forward<Args>(args)...)};
}
KmapResult from_error(const Error& e) {
    return {KmapStatus::Invalid, VirtAddr(0), e.message()};
}

} // namespace

ErrorOr<std::unique_ptr<Highmem>> Highmem::create(const Layout& layout, const HighmemRules& rules,
                                                  KernelPageTables& tables, PageAllocator& pages) {
    if (!layout.pkmap_base || layout.last_pkmap == 0)
        return make_error(ErrorKind::InvalidConfig,
                          "kmap: this machine has no pkmap window (needs highmem=on on i386, "
                          "i386-pae, arm or arm-lpae)");
    // LAST_PKMAP_MASK = LAST_PKMAP - 1 only works for a power of two.
    if ((layout.last_pkmap & (layout.last_pkmap - 1)) != 0)
        return make_error(ErrorKind::Internal, "kmap: LAST_PKMAP {} is not a power of two",
                          layout.last_pkmap);
    const auto pkmap_pte = tables.pkmap_page_table();
    if (!pkmap_pte)
        return make_error(ErrorKind::Internal,
                          "kmap: the boot page tables have no pkmap_page_table");
    return std::unique_ptr<Highmem>(new Highmem(layout, rules, tables, pages, *pkmap_pte));
}

Highmem::Highmem(const Layout& layout, const HighmemRules& rules, KernelPageTables& tables,
                 PageAllocator& pages, PhysAddr pkmap_page_table)
    : m_layout(layout), m_rules(rules), m_tables(tables), m_pages(pages),
      m_pkmap_page_table(pkmap_page_table), m_last_pkmap(layout.last_pkmap),
      m_pkmap_count(layout.last_pkmap, 0), m_pkmap_page(layout.last_pkmap),
      m_atomic_type_slot(rules.slots_per_cpu) {}

// PKMAP_ADDR(nr) = PKMAP_BASE + (nr << PAGE_SHIFT).
VirtAddr Highmem::pkmap_addr(u64 nr) const {
    return m_layout.pkmap_base->offset(nr * m_layout.page_size());
}

// PKMAP_BASE is PMD aligned on every arch (x86 align_down(.., PMD_SIZE), ARM PAGE_OFFSET -
// PMD_SIZE) and the window is one PTE table, so pkmap_page_table[nr] is contiguous.
PhysAddr Highmem::pkmap_pte_address(u64 nr) const {
    return m_pkmap_page_table.offset(nr * m_tables.format().entry_bytes());
}

VirtAddr Highmem::fix_to_virt(u64 idx) const {
    const u64 off = idx * m_layout.page_size();
    if (m_rules.fixmap_direction == FixmapDirection::Up)
        return m_layout.fixaddr_start.offset(off); // ARM < 3.19
    return m_layout.fixaddr_top.offset_down(off);
}

bool Highmem::in_pkmap(VirtAddr va) const {
    return va >= pkmap_addr(0) && va < pkmap_addr(m_last_pkmap);
}

std::optional<u64> Highmem::kmap_slot_of(VirtAddr va) const {
    // CPU 0's slots: FIX_KMAP_BEGIN .. FIX_KMAP_BEGIN + slots_per_cpu - 1.
    const VirtAddr first = kmap_slot_virt(0);
    const u64 ps = m_layout.page_size();
    u64 idx = 0;
    if (m_rules.fixmap_direction == FixmapDirection::Up) {
        if (va < first)
            return std::nullopt;
        idx = va.minus(first) / ps;
    } else {
        if (va > first)
            return std::nullopt;
        idx = first.minus(va) / ps;
    }
    if (idx >= m_rules.slots_per_cpu)
        return std::nullopt;
    return idx;
}

VirtAddr Highmem::lowmem_address(const page* p) const {
    return m_layout.va(m_layout.phys_of(page_to_pfn(p)));
}

std::optional<VirtAddr> Highmem::pkmap_address(Pfn pfn) const {
    const auto it = m_page_address.find(pfn.get());
    if (it == m_page_address.end())
        return std::nullopt;
    return pkmap_addr(it->second);
}

DirectMap::KmapLookup Highmem::kmap_lookup() const {
    return [this](Pfn pfn) { return pkmap_address(pfn); };
}

void Highmem::flush(VirtAddr start, VirtAddr end) {
    ++m_flush_calls;
    if (m_flush)
        m_flush(start, end);
}

// mk_pte(page, kmap_prot): kmap_prot is PAGE_KERNEL on x86 and ARM.
ErrorOr<void> Highmem::set_pte(VirtAddr va, Pfn pfn) {
    // The kernel overwrites the entry in one store; an ARM fixmap slot may still hold the
    // previous kmap_atomic's PTE, so clear it first (same end state).
    (void)TRY(m_tables.unmap_page(va));
    return m_tables.map_page(va, m_layout.phys_of(pfn), kProtKernel);
}

ErrorOr<void> Highmem::clear_pte(VirtAddr va) {
    (void)TRY(m_tables.unmap_page(va));
    return {};
}

// flush_all_zero_pkmaps (mm/highmem.c, 2.6.x-6.x).
ErrorOr<void> Highmem::flush_all_zero_pkmaps() {
    ++m_flush_all_zero_runs;
    bool need_flush = false;
    for (u64 i = 0; i < m_last_pkmap; ++i) {
        if (m_pkmap_count[i] != 1)
            continue;
        m_pkmap_count[i] = 0;
        TRY(clear_pte(pkmap_addr(i)));
        if (m_pkmap_page[i])
            m_page_address.erase(m_pkmap_page[i]->get());
        m_pkmap_page[i].reset();
        need_flush = true;
    }
    if (need_flush)
        flush(pkmap_addr(0), pkmap_addr(m_last_pkmap));
    return {};
}

// map_new_virtual (mm/highmem.c): nullopt where the kernel would sleep.
ErrorOr<std::optional<u64>> Highmem::map_new_virtual(Pfn pfn) {
    const u64 mask = m_last_pkmap - 1; // LAST_PKMAP_MASK
    u64 count = m_last_pkmap;
    for (;;) {
        m_last_pkmap_nr = (m_last_pkmap_nr + 1) & mask;
        if (m_last_pkmap_nr == 0) {
            TRY(flush_all_zero_pkmaps());
            count = m_last_pkmap;
        }
        if (m_pkmap_count[m_last_pkmap_nr] == 0)
            break;
        if (--count)
            continue;
        return std::optional<u64>{};
    }
    const u64 nr = m_last_pkmap_nr;
    TRY(set_pte(pkmap_addr(nr), pfn));
    m_pkmap_count[nr] = 1;
    m_pkmap_page[nr] = pfn;
    m_page_address[pfn.get()] = nr; // set_page_address
    return std::optional<u64>{nr};
}

// kmap_high (mm/highmem.c).
KmapResult Highmem::kmap_high(page* p) {
    const Pfn pfn = page_to_pfn(p);
    u64 nr = 0;
    if (const auto it = m_page_address.find(pfn.get()); it != m_page_address.end()) {
        nr = it->second;
    } else {
        auto found = map_new_virtual(pfn);
        if (found.is_error())
            return from_error(found.error());
        if (!*found)
            return fail(KmapStatus::NoFreePkmapSlot,
                        "kmap: all {} pkmap slots in use (the kernel would sleep in "
                        "map_new_virtual until a kunmap)",
                        m_last_pkmap);
        nr = **found;
    }
    ++m_pkmap_count[nr]; // the caller's reference: a slot in use has count >= 2
    ++m_live_kmaps;
    return ok_at(pkmap_addr(nr));
}

// kunmap_high's count drop (mm/highmem.c): 0 is BUG().
KmapResult Highmem::kunmap_high_slot(u64 nr, const char* caller) {
    if (m_pkmap_count[nr] <= 1)
        return fail(KmapStatus::Bug,
                    "{}: kunmap_high would drop pkmap_count[{}] of {:#x} to 0 (BUG: more "
                    "kunmaps than kmaps)",
                    caller, nr, pkmap_addr(nr));
    --m_pkmap_count[nr];
    return ok_unmapped();
}

KmapResult Highmem::kmap(page* p) {
    if (p == nullptr || !m_pages.pfn_valid(page_to_pfn(p)))
        return fail(KmapStatus::Invalid, "kmap: not a page of this machine");
    if (!PageHighMem(p)) {
        ++m_live_kmaps;
        return ok_at(lowmem_address(p)); // page_address()
    }
    return kmap_high(p);
}

KmapResult Highmem::kunmap(page* p) {
    if (p == nullptr || !m_pages.pfn_valid(page_to_pfn(p)))
        return fail(KmapStatus::Invalid, "kunmap: not a page of this machine");
    if (!PageHighMem(p)) {
        --m_live_kmaps; // nothing to undo in the kernel; the ledger still counts the call
        return ok_unmapped();
    }
    const auto it = m_page_address.find(page_to_pfn(p).get());
    if (it == m_page_address.end())
        return fail(KmapStatus::Bug,
                    "kunmap: highmem pfn {:#x} has no pkmap address (BUG_ON(!vaddr) in "
                    "kunmap_high)",
                    page_to_pfn(p));
    KmapResult r = kunmap_high_slot(it->second, "kunmap");
    if (r.ok())
        --m_live_kmaps;
    return r;
}

KmapResult Highmem::map_atomic_slot(Pfn pfn, u64 idx) {
    const VirtAddr va = kmap_slot_virt(idx);
    // The slot must be inside the fixmap the layout reserved (fixmap_slots= may be too small).
    const bool inside = m_rules.fixmap_direction == FixmapDirection::Up
                            ? va < m_layout.fixaddr_top
                            : va >= m_layout.fixaddr_start;
    if (!inside)
        return fail(KmapStatus::Invalid,
                    "kmap_atomic: fixmap slot FIX_KMAP_BEGIN+{} ({:#x}) is outside the fixmap "
                    "[{:#x}, {:#x}); fixmap_slots is too small for the kmap slots",
                    idx, va, m_layout.fixaddr_start, m_layout.fixaddr_top);
    if (m_rules.atomic_unmap_clears_pte) {
        // x86 / kmap_local: BUG_ON(!pte_none(*(kmap_pte - idx))).
        auto was = m_tables.lookup(va);
        if (was.is_error())
            return from_error(was.error());
        if (*was)
            return fail(KmapStatus::Bug,
                        "kmap_atomic: the PTE of fixmap kmap slot {} ({:#x}) is not none (BUG)",
                        idx, va);
    }
    if (auto r = set_pte(va, pfn); r.is_error())
        return from_error(r.error());
    if (m_rules.atomic_map_flushes)
        flush(va, va.offset(m_layout.page_size())); // local_flush_tlb_kernel_page
    ++m_live_atomic;
    return ok_at(va);
}

KmapResult Highmem::kmap_atomic(page* p, std::optional<km_type> type) {
    if (p == nullptr || !m_pages.pfn_valid(page_to_pfn(p)))
        return fail(KmapStatus::Invalid, "kmap_atomic: not a page of this machine");
    const bool km_type_era = m_rules.indexing == KmapAtomicIndexing::KmType;
    if (km_type_era && !type)
        return fail(KmapStatus::Invalid,
                    "kmap_atomic: this kernel (before 2.6.37) takes an enum km_type "
                    "(KM_USER0, KM_USER1, ...)");
    if (km_type_era && *type >= m_rules.slots_per_cpu)
        return fail(KmapStatus::Invalid, "kmap_atomic: km_type {} is not below KM_TYPE_NR {}",
                    static_cast<unsigned>(*type), m_rules.slots_per_cpu);
    if (!PageHighMem(p)) {
        ++m_live_atomic;
        return ok_at(lowmem_address(p));
    }
    const Pfn pfn = page_to_pfn(p);
    if (m_rules.atomic_reuses_pkmap) {
        // kmap_high_get: a page with a pkmap address is used there, with one more reference.
        if (const auto it = m_page_address.find(pfn.get()); it != m_page_address.end()) {
            ++m_pkmap_count[it->second];
            ++m_live_atomic;
            return ok_at(pkmap_addr(it->second));
        }
    }
    if (km_type_era) {
        const unsigned idx = *type;
        if (m_atomic_type_slot[idx])
            return fail(KmapStatus::Bug,
                        "kmap_atomic: km_type {} is still mapped (pfn {:#x}); nested use of one "
                        "km_type (x86 BUGs on the non-none PTE)",
                        idx, *m_atomic_type_slot[idx]);
        KmapResult r = map_atomic_slot(pfn, idx);
        if (r.ok())
            m_atomic_type_slot[idx] = pfn;
        return r;
    }
    // kmap_atomic_idx_push / kmap_local_idx_push.
    const u64 idx = m_atomic_stack.size();
    if (idx >= m_rules.slots_per_cpu)
        return fail(KmapStatus::Bug,
                    "kmap_atomic: {} nested atomic kmaps exceed the {} slots per CPU (BUG_ON "
                    "in the idx push)",
                    idx + 1, m_rules.slots_per_cpu);
    KmapResult r = map_atomic_slot(pfn, idx);
    if (r.ok())
        m_atomic_stack.push_back(pfn);
    return r;
}

KmapResult Highmem::unmap_atomic_slot(VirtAddr va) {
    if (m_rules.atomic_unmap_clears_pte)
        if (auto r = clear_pte(va); r.is_error())
            return from_error(r.error());
    if (m_rules.atomic_unmap_flushes)
        flush(va, va.offset(m_layout.page_size())); // __flush_tlb_one / flush_tlb_one_kernel
    --m_live_atomic;
    return ok_unmapped();
}

KmapResult Highmem::kunmap_atomic(VirtAddr addr, std::optional<km_type> type) {
    const VirtAddr va = addr.align_down(m_layout.page_size());
    const bool km_type_era = m_rules.indexing == KmapAtomicIndexing::KmType;
    if (km_type_era && !type)
        return fail(KmapStatus::Invalid,
                    "kunmap_atomic: this kernel (before 2.6.37) takes the enum km_type of the "
                    "kmap_atomic");
    if (km_type_era && *type >= m_rules.slots_per_cpu)
        return fail(KmapStatus::Invalid, "kunmap_atomic: km_type {} is not below KM_TYPE_NR {}",
                    static_cast<unsigned>(*type), m_rules.slots_per_cpu);

    if (const auto idx = kmap_slot_of(va)) {
        if (km_type_era) {
            if (*idx != *type || !m_atomic_type_slot[*idx])
                return fail(KmapStatus::Bug,
                            "kunmap_atomic: {:#x} is not a live kmap_atomic of km_type {}", addr,
                            static_cast<unsigned>(*type));
            KmapResult r = unmap_atomic_slot(va);
            if (r.ok())
                m_atomic_type_slot[*idx].reset();
            return r;
        }
        if (m_atomic_stack.empty())
            return fail(KmapStatus::Bug,
                        "kunmap_atomic: {:#x} with no atomic kmap live (unbalanced unmap)", addr);
        const u64 top = m_atomic_stack.size() - 1;
        if (*idx != top)
            return fail(KmapStatus::Bug,
                        "kunmap_atomic: {:#x} is slot {}, but the innermost atomic kmap is slot "
                        "{} at {:#x} (unmaps must be LIFO)",
                        addr, *idx, top, kmap_slot_virt(top));
        KmapResult r = unmap_atomic_slot(va);
        if (r.ok())
            m_atomic_stack.pop_back();
        return r;
    }
    if (m_rules.atomic_reuses_pkmap && in_pkmap(va)) {
        // ARM: the address came from kmap_high_get; kunmap_high(pte_page(pkmap_page_table[nr])).
        const u64 nr = va.minus(pkmap_addr(0)) / m_layout.page_size();
        if (!m_pkmap_page[nr])
            return fail(KmapStatus::Bug, "kunmap_atomic: pkmap slot {} ({:#x}) maps no page", nr,
                        pkmap_addr(nr));
        KmapResult r = kunmap_high_slot(nr, "kunmap_atomic");
        if (r.ok())
            --m_live_atomic;
        return r;
    }
    if (va >= m_layout.page_offset && va < m_layout.high_memory) {
        --m_live_atomic; // a lowmem page's kmap_atomic: only pagefault_enable in the kernel
        return ok_unmapped();
    }
    return fail(KmapStatus::Bug,
                "kunmap_atomic: {:#x} is not an address kmap_atomic returns (BUG with "
                "DEBUG_HIGHMEM)",
                addr);
}

KmapResult Highmem::kmap_local_page(page* p) {
    if (m_rules.indexing != KmapAtomicIndexing::KmapLocal)
        return fail(KmapStatus::Invalid,
                    "kmap_local_page: exists from kernel 5.11 (use kmap_atomic here)");
    return kmap_atomic(p);
}

KmapResult Highmem::kunmap_local(VirtAddr addr) {
    if (m_rules.indexing != KmapAtomicIndexing::KmapLocal)
        return fail(KmapStatus::Invalid,
                    "kunmap_local: exists from kernel 5.11 (use kunmap_atomic here)");
    return kunmap_atomic(addr);
}

} // namespace kmemu
