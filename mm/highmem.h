// Highmem: kmap/kunmap through the pkmap slots and kmap_atomic/kunmap_atomic (kmap_local_page/
// kunmap_local) through the fixmap kmap slots, for a 32-bit HIGHMEM machine, with the kernel's
// slot reuse and TLB flush rules (mm/highmem.c, arch/x86/mm/highmem_32.c, arch/arm/mm/highmem.c).
// The PTEs are written into init_mm's tables (KernelPageTables), so a walk or a /dev/mem read
// sees exactly what the kernel has there.
//
// pkmap (kmap_high):
//   - a page that has a pkmap address (page_address_htable) reuses it; otherwise
//     map_new_virtual scans from last_pkmap_nr + 1 (so slot 1 is the first ever used). Each
//     wrap to slot 0 runs flush_all_zero_pkmaps: slots with count exactly 1 (mapped, unused)
//     get count 0, their PTE cleared and their page's address forgotten, then one
//     flush_tlb_kernel_range(PKMAP_ADDR(0), PKMAP_ADDR(LAST_PKMAP)) if any was cleared.
//   - a new slot gets count 1 and the caller's reference makes it 2; kunmap drops to 1 and the
//     slot stays mapped (page_address() still answers) until the next wrap-around flush.
//   - Where the kernel sleeps (LAST_PKMAP tries found no free slot), kmemu returns
//     KmapStatus::NoFreePkmapSlot instead, leaving what the scan did (last_pkmap_nr moved, a
//     wrap's flush done), as the kernel leaves it before it sleeps.
// fixmap (kmap_atomic):
//   - slot idx: the km_type argument (<= 2.6.36), else the top of a stack (LIFO);
//     vaddr = __fix_to_virt(FIX_KMAP_BEGIN + idx), one online CPU (smp_processor_id() = 0).
//   - kunmap_atomic clears the PTE and flushes that page (x86; ARM 5.11+) or leaves it (ARM
//     before 5.11, whose next kmap_atomic rewrites the PTE and flushes at map time).
//   - ARM: a page with a pkmap address is returned at that address (kmap_high_get), and
//     kunmap_atomic of a pkmap address drops that pkmap reference.
// Bugs (the kernel would BUG() or WARN): reported as KmapStatus::Bug, with nothing changed.
//
// TLB flushes go through a hook (the integrator connects flush_tlb_kernel_range); every call is
// counted for tests.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "mm/direct_map.h"
#include "mm/error.h"
#include "mm/highmem_rules.h"
#include "mm/kernel_pgtable.h"
#include "mm/layout.h"
#include "mm/page_alloc.h"

namespace kmemu {

enum class KmapStatus : u8 {
    Ok,
    NoFreePkmapSlot, // "all pkmap slots in use": the kernel would sleep in map_new_virtual
    Bug,             // the kernel would BUG()/WARN; nothing was changed
    Invalid,         // bad argument (null page, missing km_type) or a page-table failure
};

struct [[nodiscard]] KmapResult {
    KmapStatus status = KmapStatus::Ok;
    VirtAddr addr;       // the mapping (kmap family); 0 for unmaps and failures
    std::string message; // why, when not Ok
    [[nodiscard]] bool ok() const { return status == KmapStatus::Ok; }
};

class Highmem {
  public:
    using TlbFlush = std::function<void(VirtAddr start, VirtAddr end)>;

    // Needs the layout's pkmap window and the boot tables' pkmap_page_table.
    [[nodiscard]] static ErrorOr<std::unique_ptr<Highmem>> create(const Layout& layout,
                                                                  const HighmemRules& rules,
                                                                  KernelPageTables& tables,
                                                                  PageAllocator& pages);

    void set_tlb_flush(TlbFlush f) { m_flush = std::move(f); }

    // kmap()/kunmap().
    KmapResult kmap(page* p);
    KmapResult kunmap(page* p);
    // kmap_atomic()/kunmap_atomic(). `type` is required on kernels that take enum km_type
    // (<= 2.6.36) and ignored after (the old two-argument spelling still compiles there).
    KmapResult kmap_atomic(page* p, std::optional<km_type> type = std::nullopt);
    KmapResult kunmap_atomic(VirtAddr addr, std::optional<km_type> type = std::nullopt);
    // kmap_local_page()/kunmap_local(): 5.11+ only (the same slot stack as kmap_atomic).
    KmapResult kmap_local_page(page* p);
    KmapResult kunmap_local(VirtAddr addr);

    // page_address() of a highmem page: its pkmap address, if it has one.
    [[nodiscard]] std::optional<VirtAddr> pkmap_address(Pfn pfn) const;
    // A hook for DirectMap::set_kmap_lookup.
    [[nodiscard]] DirectMap::KmapLookup kmap_lookup() const;

    // --- inspection --------------------------------------------------------------------
    [[nodiscard]] const HighmemRules& rules() const { return m_rules; }
    [[nodiscard]] u64 last_pkmap() const { return m_last_pkmap; } // LAST_PKMAP
    [[nodiscard]] u64 last_pkmap_nr() const { return m_last_pkmap_nr; }
    [[nodiscard]] u64 pkmap_count(u64 nr) const { return m_pkmap_count.at(nr); }
    [[nodiscard]] VirtAddr pkmap_addr(u64 nr) const; // PKMAP_ADDR(nr)
    // Physical address of pkmap_page_table[nr] (ARM classic: the Linux PTE).
    [[nodiscard]] PhysAddr pkmap_pte_address(u64 nr) const;
    [[nodiscard]] VirtAddr fix_to_virt(u64 idx) const;     // __fix_to_virt(idx)
    [[nodiscard]] VirtAddr kmap_slot_virt(u64 idx) const { // __fix_to_virt(FIX_KMAP_BEGIN + idx)
        return fix_to_virt(m_rules.fix_kmap_begin + idx);
    }
    [[nodiscard]] u64 atomic_depth() const { return m_atomic_stack.size(); } // stack eras

    // Ledger (DESIGN.md lesson 10): kmap() calls not yet kunmap()ed and kmap_atomic/
    // kmap_local calls not yet unmapped, lowmem pages included (their kunmap_atomic restores
    // pagefault_enable, so they must balance too).
    [[nodiscard]] i64 live_kmaps() const { return m_live_kmaps; }
    [[nodiscard]] i64 live_atomic_kmaps() const { return m_live_atomic; }
    [[nodiscard]] bool ledger_balanced() const { return m_live_kmaps == 0 && m_live_atomic == 0; }
    [[nodiscard]] u64 tlb_flush_calls() const { return m_flush_calls; }
    [[nodiscard]] u64 flush_all_zero_pkmaps_runs() const { return m_flush_all_zero_runs; }

  private:
    Highmem(const Layout& layout, const HighmemRules& rules, KernelPageTables& tables,
            PageAllocator& pages, PhysAddr pkmap_page_table);
    [[nodiscard]] VirtAddr lowmem_address(const page* p) const;
    [[nodiscard]] bool in_pkmap(VirtAddr va) const;
    [[nodiscard]] std::optional<u64> kmap_slot_of(VirtAddr va) const; // idx of a kmap fixmap va
    void flush(VirtAddr start, VirtAddr end);
    ErrorOr<void> set_pte(VirtAddr va, Pfn pfn);
    ErrorOr<void> clear_pte(VirtAddr va);
    ErrorOr<void> flush_all_zero_pkmaps();
    ErrorOr<std::optional<u64>> map_new_virtual(Pfn pfn);
    KmapResult kmap_high(page* p);
    KmapResult kunmap_high_slot(u64 nr, const char* caller);
    KmapResult map_atomic_slot(Pfn pfn, u64 idx);
    KmapResult unmap_atomic_slot(VirtAddr va);

    Layout m_layout;
    HighmemRules m_rules;
    KernelPageTables& m_tables;
    PageAllocator& m_pages;
    PhysAddr m_pkmap_page_table;
    u64 m_last_pkmap = 0;
    u64 m_last_pkmap_nr = 0;
    std::vector<u64> m_pkmap_count;
    std::vector<std::optional<Pfn>> m_pkmap_page;       // pte_page(pkmap_page_table[nr])
    std::unordered_map<u64, u64> m_page_address;        // page_address_htable: pfn -> slot
    std::vector<Pfn> m_atomic_stack;                    // stack eras: slot idx = position
    std::vector<std::optional<Pfn>> m_atomic_type_slot; // km_type era: per type
    i64 m_live_kmaps = 0;
    i64 m_live_atomic = 0;
    u64 m_flush_calls = 0;
    u64 m_flush_all_zero_runs = 0;
    TlbFlush m_flush;
};

} // namespace kmemu
