#include "mm/user/user_pgtable.h"

#include "mm/paging/arm_linux_pte.h"
#include "mm/paging/arm_short_entry.h"

namespace kmemu {

using paging::DescriptorWidth;
using paging::EntryRole;

namespace {
constexpr u32 kArmPteExtNg = static_cast<u32>(paging::arm_short::PTE_EXT_NG);
} // namespace

UserPageTables::UserPageTables(const Layout& layout, const UserMmRules& rules,
                               const UserPteFormat& ptes, PhysicalMemory& phys,
                               PageAllocator& pages, const paging::PagingFormat& format)
    : m_layout(layout), m_rules(rules), m_ptes(ptes), m_phys(phys), m_pages(pages), m_mem(phys),
      m_format(format) {}

ErrorOr<std::unique_ptr<UserPageTables>>
UserPageTables::create(const Layout& layout, const UserMmRules& rules, const UserPteFormat& ptes,
                       PhysicalMemory& phys, PageAllocator& pages,
                       KernelPageTables& kernel_tables) {
    std::unique_ptr<UserPageTables> t(
        new UserPageTables(layout, rules, ptes, phys, pages, kernel_tables.format()));
    t->m_mmu = kernel_tables.mmu();
    // On failure the destructor gives back whatever pgd_alloc got.
    TRY(t->pgd_alloc(kernel_tables));
    t->m_mmu.root = t->m_pgd;
    return t;
}

UserPageTables::~UserPageTables() {
    if (m_tables.empty())
        return;
    // exit_mmap's free_pgtables(FIRST_USER_ADDRESS, USER_PGTABLES_CEILING) over the user part
    // of the pgd, children before parents in address order; then pgd_free, which gives back
    // what that leaves (PAE's preallocated PMDs, ARM's first PTE page, LPAE's modules PMD) and
    // the pgd itself.
    free_pgtables(0, user_top(), m_rules.first_user_address, m_rules.user_pgtables_ceiling);
    while (m_tables.size() > 1) {
        auto it = m_tables.begin();
        if (it->first == m_pgd.get())
            ++it;
        free_table(PhysAddr(it->first));
    }
    free_table(m_pgd);
}

u64 UserPageTables::user_top() const {
    return m_rules.task_size;
}

ErrorOr<PhysAddr> UserPageTables::alloc_table(unsigned order) {
    // GFP_PGTABLE_USER (GFP_KERNEL | __GFP_ZERO | __GFP_ACCOUNT); the pgd the same.
    page* p = m_pages.alloc_pages(GFP_KERNEL | __GFP_ZERO, order);
    if (p == nullptr)
        return make_error(ErrorKind::NoMemory, "user page tables: no free page for a table");
    const PhysAddr pa = m_layout.phys_of(page_to_pfn(p));
    for (u64 i = 0; i < (u64{1} << order); ++i)
        m_phys.watch_frame(Pfn(page_to_pfn(p).get() + i));
    m_tables.emplace(pa.get(), order);
    return pa;
}

void UserPageTables::free_table(PhysAddr pa) {
    const auto it = m_tables.find(pa.get());
    if (it == m_tables.end())
        return; // not ours (a kernel table the pgd shares)
    const unsigned order = it->second;
    m_tables.erase(it);
    const Pfn first = m_layout.pfn_of(pa);
    for (u64 i = 0; i < (u64{1} << order); ++i)
        m_phys.unwatch_frame(Pfn(first.get() + i));
    m_pages.__free_pages(m_pages.pfn_to_page(first), order);
}

ErrorOr<void> UserPageTables::pgd_alloc(KernelPageTables& kt) {
    const auto& L0 = m_format.levels[0];
    const unsigned eb = m_format.entry_bytes();
    auto copy_entries = [&](PhysAddr from, u64 first, u64 count) -> ErrorOr<void> {
        for (u64 i = first; i < count; ++i) {
            const u64 raw = TRY(m_mem.load_descriptor(from.offset(i * eb), m_format.width));
            if (raw != 0)
                TRY(m_mem.store_descriptor(m_pgd.offset(i * eb), m_format.width, raw));
        }
        return {};
    };
    switch (m_layout.arch) {
    case Arch::I386:
    case Arch::X86_64:
    case Arch::X86_64La57:
        // pgd_ctor: clone_pgd_range(pgd + KERNEL_PGD_BOUNDARY, swapper_pg_dir + ...).
        m_pgd = TRY(alloc_table(0));
        return copy_entries(kt.root_pa(), paging::entry_index_of(L0, m_layout.page_offset.get()),
                            L0.entries());
    case Arch::I386Pae: {
        m_pgd = TRY(alloc_table(0));
        const u64 boundary = m_layout.page_offset.get() >> L0.index_shift;
        // preallocate_pmds + pgd_prepopulate_pmd: one PMD per user GiB, P-only PDPTEs.
        for (u64 i = 0; i < boundary; ++i) {
            const PhysAddr pmd = TRY(alloc_table(0));
            TRY(m_mem.store_descriptor(m_pgd.offset(i * eb), m_format.width,
                                       m_ptes.table_entry(0, pmd)));
        }
        return copy_entries(kt.root_pa(), boundary, L0.entries());
    }
    case Arch::Arm: {
        // __pgd_alloc(mm, 2): 16 KiB; memcpy of the L1 entries from USER_PTRS_PER_PGD on.
        m_pgd = TRY(alloc_table(2));
        const u64 first_l1 = m_rules.task_size >> paging::arm_linux::SECTION_SHIFT;
        for (u64 i = first_l1; i < 4096; ++i) {
            const u64 raw =
                TRY(m_mem.load_descriptor(kt.root_pa().offset(i * 4), DescriptorWidth::Bytes4));
            if (raw != 0)
                TRY(m_mem.store_descriptor(m_pgd.offset(i * 4), DescriptorWidth::Bytes4, raw));
        }
        return {};
    }
    case Arch::ArmLpae: {
        // USER_PTRS_PER_PGD = PAGE_OFFSET / PGDIR_SIZE; then a PMD of its own for the GiB of
        // MODULES_VADDR (pgd_alloc's "PMD table for modules and pkmap mappings").
        m_pgd = TRY(alloc_table(0));
        const u64 upp = m_layout.page_offset.get() >> L0.index_shift;
        TRY(copy_entries(kt.root_pa(), upp, L0.entries()));
        const u64 mi = m_layout.modules_vaddr.get() >> L0.index_shift;
        const PhysAddr slot = m_pgd.offset(mi * eb);
        if (TRY(m_mem.load_descriptor(slot, m_format.width)) == 0) {
            const PhysAddr pmd = TRY(alloc_table(0));
            TRY(m_mem.store_descriptor(slot, m_format.width, m_ptes.table_entry(0, pmd)));
        }
        return {};
    }
    case Arch::Arm64:
        m_pgd = TRY(alloc_table(0)); // TTBR0's table; the kernel is in TTBR1
        return {};
    }
    return make_error(ErrorKind::Internal, "pgd_alloc: unknown arch");
}

// --- PTE lookup -------------------------------------------------------------------------------

ErrorOr<std::optional<PteSlot>> UserPageTables::arm_pte_slot(VirtAddr va, AllocTables alloc) {
    using namespace paging;
    const auto era = m_ptes.arm_era();
    const PhysAddr pair = m_pgd.offset((va.get() >> arm_linux::PGDIR_SHIFT) * 8);
    const u64 raw = TRY(m_mem.load_descriptor(pair, DescriptorWidth::Bytes4));
    PhysAddr page;
    if (raw == 0) {
        if (alloc == AllocTables::No)
            return std::optional<PteSlot>{};
        // pte_alloc_one + pmd_populate(_PAGE_USER_TABLE): both L1 entries of the pair.
        page = TRY(alloc_table(0));
        TRY(arm_pmd_populate(m_mem, m_pgd, va, page, m_ptes.arm_user_table_prot(), era));
    } else {
        if ((raw & arm_short::L1_TYPE.mask()) != arm_short::L1_TYPE_COARSE)
            return make_error(ErrorKind::Internal,
                              "user page tables: L1 entry {:#010x} for {:#x} is not a table", raw,
                              va);
        page = PhysAddr((raw & arm_short::L1_COARSE_BASE.mask()) - arm_hw_table_offset(era, 0));
    }
    const unsigned index = static_cast<unsigned>((va.get() >> 12) & (arm_linux::PTRS_PER_PTE - 1));
    return std::optional<PteSlot>{
        PteSlot{page, index, page.offset(arm_linux_pte_offset(era, index))}};
}

ErrorOr<std::optional<PteSlot>> UserPageTables::pte_slot(VirtAddr va, AllocTables alloc) {
    if (va.get() >= m_rules.task_size)
        return make_error(ErrorKind::Internal, "user page tables: {:#x} is not a user address", va);
    if (m_format.family == paging::DescriptorFamily::ArmShort)
        return arm_pte_slot(va, alloc);
    const unsigned eb = m_format.entry_bytes();
    const unsigned last = m_format.level_count - 1u;
    PhysAddr table = m_pgd;
    for (unsigned l = 0; l < last; ++l) {
        const auto& L = m_format.levels[l];
        const PhysAddr slot = table.offset(paging::entry_index_of(L, va.get()) * eb);
        const u64 raw = TRY(m_mem.load_descriptor(slot, m_format.width));
        if (raw == 0) {
            if (alloc == AllocTables::No)
                return std::optional<PteSlot>{};
            const PhysAddr next = TRY(alloc_table(0));
            TRY(m_mem.store_descriptor(slot, m_format.width, m_ptes.table_entry(l, next)));
            table = next;
            continue;
        }
        const int k = paging::entry_kind_index(L, raw);
        if (k < 0 || L.kinds[static_cast<unsigned>(k)].role != EntryRole::Table)
            return make_error(ErrorKind::Internal,
                              "user page tables: {} entry {:#x} for {:#x} is not a table", L.name,
                              raw, va);
        table = PhysAddr(paging::entry_output_address(L.kinds[static_cast<unsigned>(k)], raw));
    }
    const unsigned index =
        static_cast<unsigned>(paging::entry_index_of(m_format.levels[last], va.get()));
    return std::optional<PteSlot>{PteSlot{table, index, table.offset(u64{index} * eb)}};
}

ErrorOr<u64> UserPageTables::get(const PteSlot& slot) {
    const auto width = m_format.family == paging::DescriptorFamily::ArmShort
                           ? DescriptorWidth::Bytes4
                           : m_format.width;
    return m_mem.load_descriptor(slot.entry, width);
}

ErrorOr<void> UserPageTables::set(const PteSlot& slot, u64 pte) {
    if (m_format.family == paging::DescriptorFamily::ArmShort)
        return paging::arm_set_pte_ext(m_mem, slot.table, slot.index, static_cast<u32>(pte),
                                       pte != 0 ? kArmPteExtNg : 0, m_ptes.arm_era());
    return m_mem.store_descriptor(slot.entry, m_format.width, m_ptes.stored_entry(pte));
}

ErrorOr<u64> UserPageTables::get_and_clear(const PteSlot& slot) {
    const u64 old = TRY(get(slot));
    if (old != 0)
        TRY(set(slot, 0));
    return old;
}

// --- free_pgtables ----------------------------------------------------------------------------

void UserPageTables::free_level(PhysAddr table, unsigned level, u64 start, u64 end, u64 floor,
                                u64 ceiling) {
    const auto& L = m_format.levels[level];
    const unsigned eb = m_format.entry_bytes();
    const unsigned last = m_format.level_count - 1u;
    const u64 span = u64{1} << L.index_shift;
    const u64 count = ((end - 1) >> L.index_shift) - (start >> L.index_shift) + 1;
    for (u64 n = 0; n < count; ++n) {
        const u64 a = align_down(start, span) + n * span;
        const PhysAddr slot = table.offset(paging::entry_index_of(L, a) * eb);
        auto loaded = m_mem.load_descriptor(slot, m_format.width);
        if (loaded.is_error() || loaded.value() == 0)
            continue;
        const u64 raw = loaded.value();
        const int k = paging::entry_kind_index(L, raw);
        if (k < 0 || L.kinds[static_cast<unsigned>(k)].role != EntryRole::Table)
            continue;
        const PhysAddr child(paging::entry_output_address(L.kinds[static_cast<unsigned>(k)], raw));
        if (!m_tables.contains(child.get()))
            continue; // a kernel table copied into the pgd
        if (level + 1 < last)
            free_level(child, level + 1, std::max(start, a), std::min(end, a + span), floor,
                       ceiling);
        // free_pgd_range: the table goes when everything it maps lies in [floor, ceiling).
        if (a >= floor && a + span - 1 <= ceiling - 1) {
            (void)m_mem.store_descriptor(slot, m_format.width, 0);
            free_table(child);
        }
    }
}

void UserPageTables::arm_free_range(u64 start, u64 end, u64 floor, u64 ceiling) {
    using namespace paging;
    const u64 span = u64{1} << arm_linux::PGDIR_SHIFT;
    for (u64 a = align_down(start, span); a < end; a += span) {
        const PhysAddr pair = m_pgd.offset((a >> arm_linux::PGDIR_SHIFT) * 8);
        auto loaded = m_mem.load_descriptor(pair, DescriptorWidth::Bytes4);
        if (loaded.is_error() || loaded.value() == 0)
            continue;
        const u64 raw = loaded.value();
        if ((raw & arm_short::L1_TYPE.mask()) != arm_short::L1_TYPE_COARSE)
            continue;
        const PhysAddr page((raw & arm_short::L1_COARSE_BASE.mask()) -
                            arm_hw_table_offset(m_ptes.arm_era(), 0));
        if (!m_tables.contains(page.get()))
            continue;
        if (a >= floor && a + span - 1 <= ceiling - 1) {
            // pmd_clear: both hardware entries of the pair.
            (void)m_mem.store_descriptor(pair, DescriptorWidth::Bytes4, 0);
            (void)m_mem.store_descriptor(pair.offset(4), DescriptorWidth::Bytes4, 0);
            free_table(page);
        }
    }
}

void UserPageTables::free_pgtables(u64 start, u64 end, u64 floor, u64 ceiling) {
    if (end <= start)
        return;
    if (m_format.family == paging::DescriptorFamily::ArmShort)
        arm_free_range(start, end, floor, ceiling);
    else
        free_level(m_pgd, 0, start, end, floor, ceiling);
}

} // namespace kmemu
