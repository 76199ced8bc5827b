// The MMU of one address space (the kernel's init_mm, later each process's mm): loads and
// stores at virtual addresses through a software TLB over the real page tables in the
// machine's PhysicalMemory (DESIGN.md decisions 4 and 5).
//
// Like QEMU's softmmu the hit path is tiny and inline (index, one AND and compare, a bounds
// check for accesses that would leave the page, a memcpy from the frame) and everything else
// is out of line: the architectural walk (paging::walk_into, which sets x86 A/D bits exactly
// as the CPU does), the fill, MMIO and holes (through PhysicalMemory::read/write, never a host
// pointer), accesses that cross a page, and faults.
//
// Accesses never throw for a fault and never touch host memory outside the simulation:
// a refused translation is an MmuFault of kind Translation, a translation that lands on
// neither RAM nor a device is a BusError (what a later layer turns into SIGBUS or an oops).
//
// Page crossing: a scalar access that crosses a page translates both pages first and moves
// no byte when either faults (an x86 instruction is restartable, ARM aborts before the store
// completes); exception: when the second page is MMIO or a hole, the first page's bytes are
// already moved when the hole is found. Bulk transfers go page by page and report the bytes
// moved before the first fault (copy_to_user-style partial progress).
//
// Not modelled: 32-bit linear-address wraparound (an access that runs past 0xffffffff faults
// as outside the translated range instead of wrapping to 0), PCID/ASID-tagged entries,
// concurrent use from several threads.
//
// Invalidation (what the kernel's calls require; see tlb.h for the entry invariants):
// * writes into watched page-table frames through any path drop, in every address space of
//   the machine, the slots whose walk read that frame (MmuRegistry dispatches);
// * flush_tlb_page / flush_tlb_range / flush_tlb_mm here, flush_tlb_all and
//   flush_tlb_kernel_range on the registry; set_mmu_state (a CR3/TTBR switch) flushes all;
// * global pages are not distinguished: flush_tlb_mm drops global entries too (each address
//   space has its own TLB, so keeping them buys nothing but a rule to get wrong).
#pragma once

#include <cstring>
#include <memory>
#include <span>
#include <type_traits>

#include "mm/error.h"
#include "mm/mmu/mmu_registry.h"
#include "mm/mmu/mmu_result.h"
#include "mm/mmu/tlb.h"
#include "mm/paging/format.h"
#include "mm/paging/phys_table_memory.h"
#include "mm/paging/walk.h"

namespace kmemu::mmu {

template <typename T>
concept MmuScalar = std::is_same_v<T, u8> || std::is_same_v<T, u16> || std::is_same_v<T, u32> ||
    std::is_same_v<T, u64>;

class AddressSpaceMmu {
  public:
    // The format's page size must be the machine's (PhysicalMemory::page_shift). `format` is
    // kept by reference: one of the static formats of paging/format.h.
    [[nodiscard]] static ErrorOr<std::unique_ptr<AddressSpaceMmu>>
    create(MmuRegistry& registry, const paging::PagingFormat& format,
           const paging::MmuState& state);
    ~AddressSpaceMmu();
    AddressSpaceMmu(const AddressSpaceMmu&) = delete;
    AddressSpaceMmu& operator=(const AddressSpaceMmu&) = delete;

    [[nodiscard]] const paging::PagingFormat& format() const { return m_format; }
    [[nodiscard]] const paging::MmuState& mmu_state() const { return m_state; }
    // Loads new MMU registers (a CR3 write without PCID, a TTBR write): flushes this TLB.
    [[nodiscard]] ErrorOr<void> set_mmu_state(const paging::MmuState& state);
    [[nodiscard]] PhysicalMemory& phys() { return m_phys; }
    [[nodiscard]] paging::PhysTableMemory& table_memory() { return m_tables; }

    // Little-endian scalar accesses. `load` checks the permission of `access` as given
    // (Execute for an instruction fetch; Write makes it a read-for-ownership).
    template <MmuScalar T>
    MmuResult<T> load(VirtAddr va, Access access) {
        const u64 v = va.get();
        const TlbHot& e = m_hot[slot_of(v)];
        const u64 need = perm_bit(access);
        if ((e.tag & (m_page_mask | need)) == ((v & m_page_mask) | need) &&
            (v & ~m_page_mask) <= m_page_size - sizeof(T)) [[likely]] {
            ++m_stats.hits;
            T x;
            std::memcpy(&x, e.host + (v & ~m_page_mask), sizeof(T));
            return x;
        }
        return load_slow<T>(va, access);
    }
    template <MmuScalar T>
    MmuResult<void> store(VirtAddr va, T value, Privilege privilege) {
        const u64 v = va.get();
        const TlbHot& e = m_hot[slot_of(v)];
        const u64 need = perm_bit({AccessType::Write, privilege});
        if ((e.tag & (m_page_mask | need)) == ((v & m_page_mask) | need) &&
            (v & ~m_page_mask) <= m_page_size - sizeof(T)) [[likely]] {
            ++m_stats.hits;
            std::memcpy(e.host + (v & ~m_page_mask), &value, sizeof(T));
            return {};
        }
        return store_slow<T>(va, value, privilege);
    }

    // Byte ranges at `va`, page by page. `read` checks `access` (Read or Execute).
    MmuBulkResult read(VirtAddr va, std::span<std::byte> out, Access access);
    MmuBulkResult write(VirtAddr va, std::span<const std::byte> in, Privilege privilege);
    MmuBulkResult fill(VirtAddr va, u8 value, u64 count, Privilege privilege);

    // Invalidation (see the file comment). Ranges are [start, end).
    void flush_tlb_page(VirtAddr va);
    void flush_tlb_range(VirtAddr start, VirtAddr end);
    void flush_tlb_mm();

    [[nodiscard]] const MmuStats& stats() const { return m_stats; }
    void reset_stats() { m_stats = {}; }
    // Valid TLB slots (for tests).
    [[nodiscard]] unsigned valid_entries() const;
    // The complete record of the last walk that faulted (depth 0 before any).
    [[nodiscard]] const paging::WalkRecord& last_fault_walk() const { return m_last_fault; }

  private:
    friend class MmuRegistry;
    AddressSpaceMmu(MmuRegistry& registry, const paging::PagingFormat& format,
                    const paging::MmuState& state);

    // Where one page's bytes are: a host pointer when the slot's hot bits allow the access,
    // else the physical address for PhysicalMemory::read/write.
    struct PageRef {
        std::byte* host = nullptr; // the page's first byte, or nullptr
        PhysAddr ppage;
    };
    struct Translated {
        PageRef page;
        std::optional<MmuFault> fault;
    };

    [[nodiscard]] unsigned slot_of(u64 v) const {
        return static_cast<unsigned>((v >> m_page_shift) & (kTlbEntries - 1));
    }
    template <MmuScalar T>
    MmuResult<T> load_slow(VirtAddr va, Access access);
    template <MmuScalar T>
    MmuResult<void> store_slow(VirtAddr va, T value, Privilege privilege);

    Translated translate(u64 v, Access access);
    std::optional<MmuFault> refill(unsigned slot, u64 v, Access access);
    void refresh_hot(unsigned slot);
    void promote(unsigned slot, Access access);
    void drop(unsigned slot);
    // Bytes moved within one page and the fault that stopped the rest (a bus error).
    struct Moved {
        u64 bytes = 0;
        std::optional<MmuFault> fault;
    };
    Moved read_page(const PageRef& page, u64 offset, std::byte* out, u64 len, VirtAddr va,
                    Access access);
    Moved write_page(const PageRef& page, u64 offset, const std::byte* in, u64 len, VirtAddr va,
                     Access access);
    std::optional<MmuFault> scalar(VirtAddr va, Access access, std::byte* buf, unsigned len,
                                   bool is_store);
    [[nodiscard]] MmuFault bus_error(VirtAddr va, Access access, PhysAddr pa) const;
    template <typename Fn>
    MmuBulkResult bulk(VirtAddr va, u64 count, Access access, Fn&& chunk);

    // From MmuRegistry.
    void on_watched_write(Pfn pfn);
    void on_frame_watched(Pfn pfn);
    [[nodiscard]] static u64 filter_bit(u64 pfn) {
        return u64{1} << ((pfn * 0x9E3779B97F4A7C15ull) >> 58);
    }

    std::array<TlbHot, kTlbEntries> m_hot{};
    u64 m_page_mask = 0; // ~(page size - 1)
    u64 m_page_size = 0;
    unsigned m_page_shift = 12;
    MmuStats m_stats;

    MmuRegistry& m_registry;
    PhysicalMemory& m_phys;
    paging::PhysTableMemory m_tables;
    const paging::PagingFormat& m_format;
    paging::MmuState m_state;
    std::array<TlbCold, kTlbEntries> m_cold{};
    unsigned m_large_slots = 0; // valid slots filled from a leaf larger than a base page
    u64 m_table_filter = 0;     // filter_bit of every table pfn a valid slot depends on
    paging::WalkRecord m_walk;  // scratch record for walk_into (no copy per miss)
    paging::WalkRecord m_last_fault;
};

} // namespace kmemu::mmu
