// /proc/PID/pagemap: one 64-bit little-endian entry per virtual page of the task (kernel-semantics
// §5.2 and §7.2 cases 41-44, 96, which cite S32/S310/S44/S419/S61; fs/proc/task_mmu.c
// pagemap_read / pte_to_pagemap_entry / pagemap_pte_hole read here in 5.10.13, plus the 3.x
// chunked pagemap_read, the 4.0 pagemap_open capability test and 4.2's open-time mm in patch
// and tree excerpts). The entry for file offset 8 * i describes the page at i << PAGE_SHIFT.
//
// Eras (PagemapRules):
//   2.6.25 - 4.1   bits 55-60 hold PAGE_SHIFT; bit 61 "file page or shared anon" from 3.10
//                  (nearest tree read; 2.6.32 has none); holes are just the page-shift field.
//   4.2+           bit 55 soft-dirty (pte or VM_SOFTDIRTY), bit 56 exclusive (mapcount == 1),
//                  bit 61 file/shared (page && !PageAnon); holes 0 or soft-dirty.
//   open           3.10-stable and 4.0 - 4.1: -EPERM without CAP_SYS_ADMIN. Else allowed; from
//                  4.2 (and in 2.6.32-stable) the PFN bits are 0 unless the opener had it.
//   VM_PFNMAP      walked like any VMA up to 3.9 (raw PFNs appear); from 3.10 read as holes.
//                  3.10 - 3.19: the PFNMAP test sits in walk_page_range's pgd loop, which
//                  pagemap_read calls once per PMD-sized chunk: a chunk whose first address is
//                  inside a PFNMAP VMA is a hole to its end (masking VMAs after it in the
//                  chunk), while a chunk that starts before the VMA walks its ptes (raw PFNs).
//                  4.0+ (walk_page_vma/test_walk): exactly the PFNMAP VMA's pages are holes.
//                  The 3.10 rule is S310's: "walk_page_range should avoid VM_PFNMAP areas"
//                  plus the 2015 fix "call pte_hole() for VM_PFNMAP during walk_page_range"
//                  (Shiraz Hashim). Releases with the first change but not the fix (mainline
//                  3.11 - 3.19.0) skipped the range without entries, misplacing the ones after
//                  it; kmemu does not reproduce that bug.
#pragma once

#include <memory>

#include "devices/vfs/procfs.h"
#include "mm/user/mm_struct.h"

namespace kmemu {

class Machine;

struct PagemapRules {
    bool exists = true;                 // CONFIG_PROC_PAGE_MONITOR: 2.6.25+
    bool open_needs_sys_admin = false;  // pagemap_open's capable(CAP_SYS_ADMIN)
    bool hide_pfn_unprivileged = false; // pm.show_pfn from the opener's credentials
    bool page_shift_field = true;       // <= 4.1: PM_PSHIFT(PAGE_SHIFT) in bits 55-60
    bool file_bit = false;              // bit 61 for page && !PageAnon
    bool soft_dirty_exclusive = false;  // 4.2+: bits 55 and 56
    bool skip_pfnmap = false;           // 3.10+: VM_PFNMAP VMAs are not walked
    bool pfnmap_chunk_quirk = false;    // 3.10 - 3.19: the pgd-loop test (see above)
    bool mm_taken_at_open = false;      // 4.2+: proc_mem_open; a dead task reads as 0 bytes
    unsigned page_shift = 12;
    unsigned pmd_shift = 21; // PAGEMAP_WALK_SIZE = PMD_SIZE
    unsigned word_bits = 64;
};

[[nodiscard]] PagemapRules pagemap_rules_for(const UserMmRules& mm_rules);

// Bits of an entry (PM_* of 4.2+; PM_PRESENT/PM_SWAP/PM_FILE keep their places in every era).
inline constexpr u64 kPmPfnMask = (u64{1} << 55) - 1;
inline constexpr u64 kPmSoftDirty = u64{1} << 55;
inline constexpr u64 kPmMmapExclusive = u64{1} << 56;
inline constexpr u64 kPmFile = u64{1} << 61;
inline constexpr u64 kPmSwap = u64{1} << 62;
inline constexpr u64 kPmPresent = u64{1} << 63;

// The entries for the pages [first, first + n) of mm as a pagemap_read starting at `first`
// produces them (first page-aligned, below task_size; n may run past task_size: the result
// stops there). `show_pfn` as pm.show_pfn.
[[nodiscard]] std::vector<u64> pagemap_entries(MmStruct& mm, const PagemapRules& rules,
                                               VirtAddr first, u64 n, bool show_pfn);

// The /proc/PID/pagemap file of process `pid` of machine m (nullptr when the pid does not exist
// or the kernel has no pagemap). The file looks the process up again at each read.
[[nodiscard]] std::unique_ptr<ProcBinaryFile> open_proc_pagemap(Machine& m, int pid);

} // namespace kmemu
