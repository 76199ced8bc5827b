#include "mm/user/user_mm_rules.h"

#include "mm/layout_arm.h"
#include "mm/user/vm_area.h"

namespace kmemu {

UserMmRules user_mm_rules_for(const Layout& l, const KernelProfile& p,
                              const KernelPgtableRules& kr) {
    const KernelVersion v = p.version;
    UserMmRules r;
    r.arch = l.arch;
    r.version = v;
    r.word_bits = l.word_bits;
    r.page_shift = l.page_shift;
    const u64 ps = l.page_size();
    const bool x86 = is_x86(l.arch);
    const bool arm32 = l.arch == Arch::Arm || l.arch == Arch::ArmLpae;
    const bool arm64 = l.arch == Arch::Arm64;

    // TASK_SIZE (layouts.md): i386 PAGE_OFFSET, x86_64 TASK_SIZE_MAX ((1 << 47) - PAGE_SIZE,
    // la57 (1 << 56) - PAGE_SIZE), ARM PAGE_OFFSET - 16M, arm64 1 << VA_BITS.
    r.task_size = l.task_size.get();
    // x86_64 with 5-level paging: mmap stays below DEFAULT_MAP_WINDOW ((1 << 47) - PAGE_SIZE)
    // unless a hint asks for more (4.14+, arch_get_unmapped_area_topdown).
    r.mmap_window = l.arch == Arch::X86_64La57 ? (u64{1} << 47) - ps : r.task_size;
    // access_ok (kernel-semantics §6): x86 TASK_SIZE_MAX (i386: TASK_SIZE); ARM USER_DS =
    // TASK_SIZE; arm64 TASK_SIZE_64 (USER_DS + 1 before 5.x, TASK_SIZE_MAX after).
    r.access_ok_limit = r.task_size;
    // STACK_TOP: TASK_SIZE_LOW on x86_64 (DEFAULT_MAP_WINDOW), TASK_SIZE elsewhere.
    r.stack_top = r.mmap_window;
    // TASK_UNMAPPED_BASE: x86 PAGE_ALIGN(TASK_SIZE_LOW / 3); arm64 PAGE_ALIGN(TASK_SIZE / 4);
    // ARM per era (layout_arm.cpp).
    if (x86)
        r.unmapped_base = align_up(r.mmap_window / 3, ps);
    else if (arm64)
        r.unmapped_base = align_up(r.task_size / 4, ps);
    else
        r.unmapped_base = arm_task_unmapped_base(l, p.arm).get();
    // ARM: FIRST_USER_ADDRESS = PAGE_SIZE (the low vectors page is never user memory); LPAE:
    // USER_PGTABLES_CEILING = TASK_SIZE keeps the PMD shared with the modules area.
    r.first_user_address = arm32 ? ps : 0;
    r.user_pgtables_ceiling = l.arch == Arch::ArmLpae ? r.task_size : 0;

    // arch_pick_mmap_layout: x86_64 was bottom-up only until the mmap_32/64 unification
    // (2.6.26, [unverified] exact release); ARM gained top-down in 3.2 ("ARM: 7169/1: topdown
    // mmap support", [unverified] release); arm64 had it from the start.
    r.has_topdown =
        x86 ? (l.word_bits == 32 || v.at_least(2, 6, 26)) : (arm64 || v.at_least(3, 2, 0));
    // mmap_is_legacy: x86 stopped treating RLIMIT_STACK = unlimited as legacy after 4.12
    // (kernel-semantics §4.6: "up to E4"; [unverified] exact release); ARM and the generic
    // (5.3+) code keep the test.
    r.legacy_when_stack_unlimited = !x86 || !v.at_least(4, 13, 0);
    // mmap_base: x86 4.13+ ("properly account for stack randomization in mmap_base") and the
    // generic mm/util.c (5.3+, ARM and arm64) add the pad before clamping; arm64 before 5.3
    // has its own MIN_GAP.
    if (x86)
        r.mmap_base_rule =
            v.at_least(4, 13, 0) ? MmapBaseRule::PadThenClamp : MmapBaseRule::Clamp128M;
    else if (v.at_least(5, 3, 0))
        r.mmap_base_rule = MmapBaseRule::PadThenClamp;
    else
        r.mmap_base_rule = arm64 ? MmapBaseRule::Arm64RandMask : MmapBaseRule::Clamp128M;
    // stack_guard_gap = 256 pages ("mm: larger stack guard gap, between vmas", 4.12).
    r.stack_guard_gap = v.at_least(4, 12, 0) ? 256 * ps : 0;
    // arm64 STACK_RND_MASK = 0x3ffff >> (PAGE_SHIFT - 12) pages.
    r.stack_rnd_mask_bytes = (u64{0x3ffff} >> (l.page_shift - 12)) << l.page_shift;
    r.map_fixed_noreplace = v.at_least(4, 17, 0);
    r.overcommit =
        v.at_least(5, 2, 0) ? OvercommitGuess::TotalRamPages : OvercommitGuess::FreePages;

    // do_anonymous_page: ZERO_PAGE removed in 2.6.24 (557ed1fa), reinstated with
    // pte_mkspecial in 2.6.32 (a13ea5b7).
    r.anon_read_fault = !v.at_least(2, 6, 24)   ? AnonReadFault::ZeroPage
                        : !v.at_least(2, 6, 32) ? AnonReadFault::AllocatePage
                                                : AnonReadFault::ZeroPageSpecial;
    // CONFIG_MEM_SOFT_DIRTY (x86_64 only among kmemu's arches): the pte bit from 3.11
    // (0f8975ec), VM_SOFTDIRTY on new VMAs from 3.13 (d9104d1c, [unverified] release).
    const bool x86_64 = x86 && l.word_bits == 64;
    r.pte_soft_dirty = x86_64 && v.at_least(3, 11, 0);
    r.vm_softdirty = x86_64 && v.at_least(3, 13, 0);
    r.merge_ignores_softdirty = r.vm_softdirty;
    // x86 vm_get_page_prot: arch/x86/mm/pgprot.c (6.0+) keeps the value in an unsigned long,
    // which drops NX on 32-bit PAE (kernel-semantics §4.1a); before, pgprot_t kept 64 bits.
    r.x86_user_nx = x86_64 || (l.arch == Arch::I386Pae && !v.at_least(6, 0, 0));
    // arm64: PTE_WRITE became the DBM bit (bit 51) with hardware dirty-bit management (4.3).
    r.arm64_pte_write_bit = v.at_least(4, 3, 0) ? 51 : 57;
    r.arm64_user_table_pxn = arm64 && kr.arm64_table_uxn;
    // ARM: user_pmd_table |= PMD_PXNTABLE on ARMv7 CPUs with PXN ("ARM: 8235/1: Support for
    // the PXN CPU feature on ARMv7", 3.19); kmemu's CPU (QEMU virt, Cortex-A15) has PXN.
    r.arm_user_table_pxn = l.arch == Arch::Arm && v.at_least(3, 19, 0);

    // show_map_vma: "don't show pgoff of pure anon vmas" (2008, [unverified] 2.6.28).
    // remap_pfn_range (S24/S32/S310/S419/S61 mm/memory.c; kernel-semantics §4.1). The 3.7
    // boundary is the vm_flags cleanup that removed VM_RESERVED and VM_INSERTPAGE.
    const bool vm_flags_37 = v.at_least(3, 7, 0);
    r.remap_vm_flags = vm_flags_37 ? VM_IO | VM_PFNMAP | VM_DONTEXPAND | VM_DONTDUMP
                                   : VM_IO | VM_RESERVED | VM_PFNMAP;
    constexpr unsigned long kVmPfnAtMmap = 0x40000000; // 2.6.29-3.6 include/linux/mm.h
    r.remap_whole_vma_flag =
        vm_flags_37 ? (x86 ? VM_PAT : 0) : (v.at_least(2, 6, 29) ? kVmPfnAtMmap : 0);
    r.remap_whole_sets_pgoff_any = v.at_least(2, 6, 29) && !vm_flags_37;
    r.remap_checks_alignment = v.at_least(5, 10, 0); // absent in S419, present in S510
    r.remap_zaps_on_error = v.at_least(6, 1, 0);     // in the S61 stable tree (backport)
    r.insert_page_vm_flag = vm_flags_37 ? VM_MIXEDMAP : VM_INSERTPAGE;
    r.insert_page_rejects_slab = v.at_least(5, 8, 0);    // validate_page_before_insert [memory]
    r.vm_ops_without_fault_sigbus = v.at_least(4, 2, 0); // 4.2 "avoid setting up anonymous
                                                         // pages into file mapping"
    r.file_mmap_ok = v.at_least(4, 17, 0); // "mmap: introduce sane default mmap limits"
    r.maps_anon_shows_pgoff = !v.at_least(2, 6, 28);
    // The stack guard page (2.6.36 "keep a guard page below a grow-down stack segment" until
    // 4.12's guard gap): present in the trees read for 2.6.32 (stable backport) and 3.6, gone
    // in 3.10.108 / 4.4.155 (stable backports of 4.12); kmemu follows those trees.
    r.stack_guard_page = v.at_least(2, 6, 32) && !v.at_least(3, 10, 0);
    // [heap]: S24 tests vm_start <= start_brk && vm_end >= brk, S32 the reverse pair.
    r.maps_heap_old_test = !v.at_least(2, 6, 32);
    r.vsyscall = kr.x86_vsyscall;
    return r;
}

} // namespace kmemu
