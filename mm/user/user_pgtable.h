// UserPageTables: the page tables of one user address space (mm->pgd and everything below it),
// in the machine's frames with the real entry bits (DESIGN.md decision 3).
//
// pgd_alloc per arch:
// * x86: a zeroed page; the kernel entries of swapper_pg_dir, from pgd_index(PAGE_OFFSET) up,
//   are copied in (pgd_ctor / clone_pgd_range). PAE: the user PMDs are allocated with the pgd
//   (preallocate_pmds) and linked with P-only PDPTEs; the kernel PDPTEs are copied.
// * ARM classic: 16 KiB (order 2), the kernel and I/O L1 entries from TASK_SIZE up copied.
// * ARM LPAE: the 4-entry PGD; the kernel entries from PAGE_OFFSET up copied; a fresh PMD for
//   the modules/pkmap GiB (pgd_index(MODULES_VADDR)).
// * arm64: a zeroed TTBR0 table; the kernel is TTBR1's (swapper_pg_dir).
// kmemu gives the 32-byte PAE/LPAE PGDs and sub-page arm64 PGDs a whole page each (the kernel
// uses a kmem_cache or kmalloc for them).
//
// Lower tables come from the page allocator (GFP_PGTABLE_USER: GFP_KERNEL | __GFP_ZERO, lowmem:
// CONFIG_HIGHPTE is not modelled) on first use, and go back by free_pgtables' rule: a table is
// freed when the whole span it maps lies in [floor, ceiling) (free_pgd_range). Every table frame
// is watched, so writes to it invalidate the TLBs that used it. Destruction frees every table
// (exit_mmap + pgd_free) and unwatches the frames.
//
// Not propagated: kernel top-level entries the kernel creates after this pgd was built (the
// kernel syncs them through pgd_list / vmalloc_fault; kmemu's kernel accesses use init_mm's own
// MMU, so the copy matters only for what a user-space walk shows above TASK_SIZE).
#pragma once

#include <map>
#include <memory>
#include <optional>

#include "mm/kernel_pgtable.h"
#include "mm/page_alloc.h"
#include "mm/user/user_pte.h"

namespace kmemu {

// Where one PTE lives.
struct PteSlot {
    PhysAddr table; // the PTE table (ARM classic: the PTE page)
    unsigned index = 0;
    PhysAddr entry; // the (Linux) entry itself
};

enum class AllocTables : u8 { No, Yes };

class UserPageTables {
  public:
    [[nodiscard]] static ErrorOr<std::unique_ptr<UserPageTables>>
    create(const Layout& layout, const UserMmRules& rules, const UserPteFormat& ptes,
           PhysicalMemory& phys, PageAllocator& pages, KernelPageTables& kernel_tables);
    ~UserPageTables();
    UserPageTables(const UserPageTables&) = delete;
    UserPageTables& operator=(const UserPageTables&) = delete;

    [[nodiscard]] const paging::PagingFormat& format() const { return m_format; }
    // CR3 / TTBR0 (+ the kernel's TTBR1 and TTBCR on arm64 and LPAE) for this address space.
    [[nodiscard]] const paging::MmuState& mmu_state() const { return m_mmu; }
    [[nodiscard]] PhysAddr pgd() const { return m_pgd; }
    // Table pages held, the pgd included (pgtables_bytes / PAGE_SIZE + the pgd).
    [[nodiscard]] u64 table_pages() const { return m_tables.size(); }

    // pte_offset_map (AllocTables::No: nullopt where a table is missing) / pte_alloc (Yes; a
    // NoMemory error when the page allocator has no page, tables allocated so far stay).
    [[nodiscard]] ErrorOr<std::optional<PteSlot>> pte_slot(VirtAddr va, AllocTables alloc);
    [[nodiscard]] ErrorOr<u64> get(const PteSlot& slot);
    // set_pte_at for a user address: the stored form of `pte` (UserPteFormat::stored_entry;
    // ARM classic also the hardware entry with PTE_EXT_NG).
    [[nodiscard]] ErrorOr<void> set(const PteSlot& slot, u64 pte);
    // ptep_get_and_clear: the old Linux PTE.
    [[nodiscard]] ErrorOr<u64> get_and_clear(const PteSlot& slot);

    // free_pgtables for [start, end) between the neighbours floor (prev->vm_end or
    // FIRST_USER_ADDRESS) and ceiling (next->vm_start or USER_PGTABLES_CEILING; 0 = the top).
    void free_pgtables(u64 start, u64 end, u64 floor, u64 ceiling);

  private:
    UserPageTables(const Layout& layout, const UserMmRules& rules, const UserPteFormat& ptes,
                   PhysicalMemory& phys, PageAllocator& pages, const paging::PagingFormat& format);
    [[nodiscard]] ErrorOr<PhysAddr> alloc_table(unsigned order);
    void free_table(PhysAddr pa);
    [[nodiscard]] ErrorOr<void> pgd_alloc(KernelPageTables& kernel_tables);
    [[nodiscard]] u64 user_top() const;
    [[nodiscard]] ErrorOr<std::optional<PteSlot>> arm_pte_slot(VirtAddr va, AllocTables alloc);
    void free_level(PhysAddr table, unsigned level, u64 start, u64 end, u64 floor, u64 ceiling);
    void arm_free_range(u64 start, u64 end, u64 floor, u64 ceiling);

    Layout m_layout;
    UserMmRules m_rules;
    UserPteFormat m_ptes;
    PhysicalMemory& m_phys;
    PageAllocator& m_pages;
    paging::PhysTableMemory m_mem;
    const paging::PagingFormat& m_format;
    paging::MmuState m_mmu;
    PhysAddr m_pgd;
    std::map<u64, unsigned> m_tables; // every table page this address space owns: pa -> order
};

} // namespace kmemu
