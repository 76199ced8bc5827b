// Memblock: the boot-time allocator that hands out page-table pages before the buddy allocator
// exists (mm/memblock.c; bootmem before it). Knows the RAM ranges and what is already reserved
// (low pages, the kernel image, firmware ranges), and allocates whole pages either top-down
// below a limit (memblock's default direction, memblock_find_in_range_node) or bottom-up from a
// start address (find_e820_area of 2.6.x x86, bootmem's first-fit above a goal).
//
// Invariants: every range it hands out lies in Usable RAM, is page aligned and overlaps no
// other reservation; reserved_ranges() lists exactly the allocations (not the ranges it was
// told about), so the machine passes them to PageAllocator::boot as extra_reserved.
#pragma once

#include <string>
#include <vector>

#include "mm/error.h"
#include "mm/page_alloc.h"
#include "mm/ram_map.h"
#include "mm/types.h"

namespace kmemu {

// Where the next allocation comes from.
enum class MemblockDirection : u8 {
    TopDown,  // highest free page below `limit` (memblock default; 3.x+ x86, ARM, arm64)
    BottomUp, // lowest free page at or above `start` (2.6.x x86 e820 table area, bootmem)
};

struct MemblockPolicy {
    MemblockDirection direction = MemblockDirection::TopDown;
    PhysAddr start; // BottomUp: lowest address considered (TopDown: lower bound)
    PhysAddr limit; // exclusive upper bound (memblock.current_limit)
};

struct MemblockAllocation {
    PhysAddr start;
    PhysAddr end;      // exclusive
    std::string label; // "PGTABLE", "vectors", ...
};

class Memblock {
  public:
    Memblock(const RamMap& ram, unsigned page_shift);

    // memblock_reserve(): ranges already in use (rounded out to whole pages). Not listed in
    // allocations().
    void reserve(PhysAddr start, PhysAddr end);
    // A range the kernel reserves for itself outside the image (ARM swapper_pg_dir): reserved
    // like an allocation and listed with them.
    void reserve_kernel(PhysAddr start, PhysAddr end, std::string label);
    void set_policy(const MemblockPolicy& p) { m_policy = p; }
    [[nodiscard]] const MemblockPolicy& policy() const { return m_policy; }

    // memblock_alloc(size, align) under the current policy. size is rounded up to pages;
    // align must be a power of two >= the page size. Fails with NoMemory naming the window.
    [[nodiscard]] ErrorOr<PhysAddr> alloc(u64 size, u64 align, std::string label);

    [[nodiscard]] const std::vector<MemblockAllocation>& allocations() const {
        return m_allocations;
    }
    // The allocations as PageAllocator::boot's extra reservations.
    [[nodiscard]] std::vector<ReservedRange> reserved_ranges() const;

  private:
    struct Range {
        u64 start, end;
    };

    std::vector<Range> m_free_ram; // Usable RAM, page-rounded inward
    std::vector<Range> m_reserved; // sorted by start, disjoint, adjacent ones merged
    std::vector<MemblockAllocation> m_allocations;
    MemblockPolicy m_policy;
    unsigned m_page_shift;
};

} // namespace kmemu
