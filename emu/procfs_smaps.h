// /proc/PID/smaps (fs/proc/task_mmu.c show_smap / __show_smap / smaps_account /
// show_smap_vma_flags): for each VMA its maps line, then its memory statistics computed from the
// PTEs, then (3.8+) the VmFlags line. kernel-semantics §5.1, §5.1a.
//
// Field sets (a version between two uses the earlier one). Read: 5.10.13's show_smap /
// __show_smap; 6.1's Pss_Dirty placement from the merged "add Pss_Dirty" change and a later
// tree; 3.10's list matches real 3.x output and the AnonHugePages/Locked patches. 2.6.32 and
// 4.19 are from patch context and real outputs, not from the trees themselves [unverified]:
//   2.6.32  Size Rss Pss Shared_Clean Shared_Dirty Private_Clean Private_Dirty Referenced Swap
//           KernelPageSize MMUPageSize
//   3.10    Size Rss Pss Shared_* Private_* Referenced Anonymous AnonHugePages Swap
//           KernelPageSize MMUPageSize Locked
//   4.19    Size KernelPageSize MMUPageSize Rss Pss Shared_* Private_* Referenced Anonymous
//           LazyFree AnonHugePages ShmemPmdMapped Shared_Hugetlb Private_Hugetlb Swap SwapPss
//           Locked
//   5.10    4.19 + FilePmdMapped (after ShmemPmdMapped) + THPeligible (after Locked)
//   6.1     5.10 + Pss_Dirty (after Pss)
// Every value is "%8lu kB" (Private_Hugetlb "%7lu kB" after its longer name).
//
// What is counted (smaps_pte_entry): present PTEs whose vm_normal_page is a struct page — so the
// shared zero page and raw PFNs are not in Rss. A page mapped more than once is Shared_* and adds
// PAGE_SIZE / mapcount to Pss; Dirty means pte_dirty || PageDirty; Referenced pte_young ||
// PageReferenced; Anonymous PageAnon. From 3.10 VM_PFNMAP VMAs are not walked (all 0, also for
// COW pages inside them); 2.6.32 walks them and counts such COW pages. kmemu has no swap, THP,
// hugetlb, shmem or MADV_FREE, so Swap, SwapPss, LazyFree, AnonHugePages, *PmdMapped and
// *_Hugetlb are 0. THPeligible follows transparent_hugepage_enabled / hugepage_vma_check for
// anonymous VMAs with THP "always" (the Kconfig default): 1 when the VMA holds an aligned
// PMD-sized range and is not VM_NOHUGEPAGE / VM_SPECIAL; file VMAs and ARM classic (no THP) 0.
// The gate VMA ([vsyscall]) has no mm: all zero.
#pragma once

#include <string>
#include <string_view>

#include "emu/procfs_maps.h"

namespace kmemu {

enum class SmapsLayout : u8 { V2_6_32, V3_10, V4_19, V5_10, V6_1 };

struct SmapsRules {
    bool exists = true; // smaps appeared in 2.6.14
    SmapsLayout layout = SmapsLayout::V6_1;
    bool vm_flags = true; // the VmFlags line (3.8+)
    bool walks_pfnmap = false;
    bool thp = true; // CONFIG_TRANSPARENT_HUGEPAGE available (not ARM classic)
    unsigned page_shift = 12;
    unsigned pmd_shift = 21;
    KernelVersion version;
    Arch arch = Arch::X86_64;
};

[[nodiscard]] SmapsRules smaps_rules_for(const UserMmRules& mm_rules);

// The two-letter VmFlags mnemonic of vm_flags bit `bit` in that kernel; "??" for a bit the
// kernel's table does not name (its default entry). Bits 32+ (high arch flags, pkeys) are not
// modelled: "??".
[[nodiscard]] std::string_view vm_flag_mnemonic(unsigned bit, const SmapsRules& rules);
// "VmFlags: rd wr mr mw me ac sd \n": one mnemonic and a space per flag, in bit order.
[[nodiscard]] std::string render_vm_flags(unsigned long flags, const SmapsRules& rules);

// One VMA's block (maps line, fields, VmFlags).
[[nodiscard]] std::string render_smaps_vma(MmStruct& mm, const vm_area_struct& vma,
                                           const MapsSources& sources = {});
// The whole file: the VMAs in order, then the gate VMA (as in maps).
[[nodiscard]] std::string render_proc_smaps(MmStruct& mm, const MapsSources& sources = {});

} // namespace kmemu
