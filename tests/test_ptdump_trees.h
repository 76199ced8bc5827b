// Hand-built page-table trees shared by the traversal, ptdump and walk-view tests. Every entry
// is written with the paging encoders' bit names; the comments give the layout.
#pragma once

#include "mm/paging/arm_linux_pte.h"
#include "mm/paging/format.h"
#include "mm/paging/table_memory.h"
#include "mm/paging/walk.h"
#include "mm/paging/x86_entry.h"

namespace kmemu::test_trees {

using namespace paging;
inline constexpr u64 NX = x86::_PAGE_NX;
inline constexpr u64 P = x86::_PAGE_PRESENT, RW = x86::_PAGE_RW, US = x86::_PAGE_USER,
                     A = x86::_PAGE_ACCESSED, D = x86::_PAGE_DIRTY, PS = x86::_PAGE_PSE,
                     G = x86::_PAGE_GLOBAL;

// x86_64 4-level, RAM [0, 16 MiB):
//   PML4 0x1000: [0] -> PDPT 0x2000 (P RW US A D), [273] -> PDPT 0x5000 (P RW A D),
//                [400] -> 0x20000000 (not RAM), [500] -> 0x1000 (itself: a loop)
//   PDPT 0x2000: [0] -> PD 0x3000;  PD 0x3000: [0] -> PT 0x4000, [1] 2M page 0x200000 user RW,
//                [2] 2M page with reserved bit 13 set
//   PT 0x4000:   [0] 4K 0x100000 user RW, [1] 4K 0x101000 user read-only
//   PDPT 0x5000: [0] 1G page 0x40000000, kernel RW, global, NX
struct X86_64Tree {
    SparseTableMemory mem{{{0, 16 * MiB}}};
    MmuState mmu;
    X86_64Tree() {
        mmu.root = PhysAddr(0x1000);
        mem.put64(PhysAddr(0x1000 + 0 * 8), 0x2000 | P | RW | US | A | D);
        mem.put64(PhysAddr(0x1000 + 273 * 8), 0x5000 | P | RW | A | D);
        mem.put64(PhysAddr(0x1000 + 400 * 8), 0x20000000 | P | RW | A | D);
        mem.put64(PhysAddr(0x1000 + 500 * 8), 0x1000 | P | RW | A | D);
        mem.put64(PhysAddr(0x2000), 0x3000 | P | RW | US | A | D);
        mem.put64(PhysAddr(0x3000), 0x4000 | P | RW | US | A | D);
        mem.put64(PhysAddr(0x3000 + 8), 0x200000 | P | RW | US | A | D | PS);
        mem.put64(PhysAddr(0x3000 + 16), 0x400000 | (u64{1} << 13) | P | RW | A | D | PS);
        mem.put64(PhysAddr(0x4000), 0x100000 | P | RW | US | A | D);
        mem.put64(PhysAddr(0x4000 + 8), 0x101000 | P | US | A);
        mem.put64(PhysAddr(0x5000), 0x40000000 | P | RW | A | D | PS | G | NX);
    }
};

} // namespace kmemu::test_trees
