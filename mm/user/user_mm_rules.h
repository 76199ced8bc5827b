// UserMmRules: what the user address space code does differently per arch and kernel version
// (DESIGN.md lesson 11), decided once from the Layout and the KernelProfile by
// user_mm_rules_for(). Each field names the kernel function it comes from.
#pragma once

#include "mm/kernel_pgtable.h"
#include "mm/kernel_profile.h"
#include "mm/layout.h"

namespace kmemu {

// What a read fault on never-touched private anonymous memory maps (do_anonymous_page).
enum class AnonReadFault : u8 {
    ZeroPage,        // <= 2.6.23: ZERO_PAGE, an ordinary refcounted pte
    AllocatePage,    // 2.6.24 - 2.6.31 ("remove ZERO_PAGE"): a zeroed page, as for a write
    ZeroPageSpecial, // 2.6.32+ ("reinstate ZERO_PAGE"): pte_mkspecial(my_zero_pfn)
};

// How mmap_base is computed from RLIMIT_STACK (arch_pick_mmap_layout / mmap_base).
enum class MmapBaseRule : u8 {
    Clamp128M,     // x86 <= 4.12, ARM 3.2-5.2: gap = rlimit clamped to [128M, top/6*5]
    PadThenClamp,  // x86 4.13+, generic 5.3+ (arm, arm64): gap = rlimit + stack_guard_gap first
    Arm64RandMask, // arm64 < 5.3: MIN_GAP = 128M + (STACK_RND_MASK << PAGE_SHIFT) + 1
};

// How OVERCOMMIT_GUESS judges a new VM_ACCOUNT mapping (__vm_enough_memory).
enum class OvercommitGuess : u8 {
    FreePages,     // < 5.2: roughly the free pages (kmemu: nr_free_pages, no page cache)
    TotalRamPages, // 5.2+ ("mm: fix false-positive OVERCOMMIT_GUESS failures"): totalram + swap
};

struct UserMmRules {
    Arch arch = Arch::X86_64;
    KernelVersion version;
    unsigned word_bits = 64;
    unsigned page_shift = 12;

    // --- address-space limits ---
    u64 task_size = 0;          // TASK_SIZE of a native task: mmap/munmap range checks
    u64 mmap_window = 0;        // x86_64 la57: DEFAULT_MAP_WINDOW (47-bit); else task_size
    u64 access_ok_limit = 0;    // the uaccess limit (TASK_SIZE_MAX / USER_DS), kernel-semantics §6
    u64 stack_top = 0;          // STACK_TOP: mmap_base is computed below it
    u64 unmapped_base = 0;      // TASK_UNMAPPED_BASE: the bottom-up (legacy) search start
    u64 first_user_address = 0; // FIRST_USER_ADDRESS (ARM: PAGE_SIZE, the vectors page)
    u64 user_pgtables_ceiling = 0; // USER_PGTABLES_CEILING (ARM LPAE: TASK_SIZE; 0 = top)

    // --- mmap layout ---
    bool has_topdown = true;                 // arch_pick_mmap_layout can choose top-down
    bool legacy_when_stack_unlimited = true; // mmap_is_legacy: RLIMIT_STACK == RLIM_INFINITY
    MmapBaseRule mmap_base_rule = MmapBaseRule::Clamp128M;
    u64 stack_guard_gap = 0;          // 4.12+: 256 pages (between a stack and what lies below)
    u64 stack_rnd_mask_bytes = 0;     // arm64 < 5.3: STACK_RND_MASK << PAGE_SHIFT
    bool map_fixed_noreplace = false; // MAP_FIXED_NOREPLACE (4.17+)
    OvercommitGuess overcommit = OvercommitGuess::TotalRamPages;

    // --- the fault path and PTE bits ---
    AnonReadFault anon_read_fault = AnonReadFault::ZeroPageSpecial;
    bool pte_soft_dirty = false; // x86_64 CONFIG_MEM_SOFT_DIRTY (3.11+): pte_mkdirty sets bit 11
    bool vm_softdirty = false;   // VM_SOFTDIRTY on every new VMA (mmap_region, 3.13+)
    bool merge_ignores_softdirty = false; // vma_merge compares flags without VM_SOFTDIRTY
    // x86: user PTEs carry NX for non-exec mappings (x86_64 always; i386 PAE until 6.0, whose
    // vm_get_page_prot keeps the protection in an unsigned long).
    bool x86_user_nx = false;
    // arm64: PTE_WRITE is the DBM bit 51 (4.3+, hardware dirty-bit support) or bit 57 before.
    unsigned arm64_pte_write_bit = 51;
    bool arm64_user_table_pxn = false; // user table entries carry PXNTable (same era as UXN)
    // ARM classic: user PMDs (_PAGE_USER_TABLE) get PMD_PXNTABLE on CPUs with PXN (3.19+).
    bool arm_user_table_pxn = false;

    // --- file mappings, remap_pfn_range, vm_insert_page (kernel-semantics §4.1-§4.3) ---
    // Flags remap_pfn_range gives the VMA: VM_IO | VM_RESERVED | VM_PFNMAP up to 3.6,
    // VM_IO | VM_PFNMAP | VM_DONTEXPAND | VM_DONTDUMP from 3.7.
    unsigned long remap_vm_flags = 0;
    // The flag a whole-VMA remap adds: VM_PFN_AT_MMAP (0x40000000, 2.6.29-3.6, every arch), x86
    // VM_PAT (VM_ARCH_1, 3.7+), else 0.
    unsigned long remap_whole_vma_flag = 0;
    // 2.6.29-3.6: a whole-VMA remap of any mapping sets vm_pgoff = pfn and only a partial COW
    // remap is refused; otherwise (2.6.28-, 3.7+) only COW mappings are checked, and they
    // must be remapped whole.
    bool remap_whole_sets_pgoff_any = false;
    bool remap_checks_alignment = false;   // 5.10+: an unaligned addr is -EINVAL (WARN)
    bool remap_zaps_on_error = false;      // 6.1 (stable): a failed remap zaps what it mapped
    unsigned long insert_page_vm_flag = 0; // vm_insert_page: VM_INSERTPAGE <= 3.6, VM_MIXEDMAP
    bool insert_page_rejects_slab = false; // validate_page_before_insert refuses slab pages
    // do_fault: a VMA whose vm_ops has no ->fault is SIGBUS from 4.2 (before: an anonymous page).
    bool vm_ops_without_fault_sigbus = true;
    // file_mmap_ok (4.17+): len/pgoff beyond the file's maximum size are -EOVERFLOW.
    bool file_mmap_ok = false;

    // --- /proc/<pid>/maps ---
    bool maps_anon_shows_pgoff = false; // <= 2.6.27: anonymous VMAs print vm_pgoff << PAGE_SHIFT
    // The one-page stack guard inside a VM_GROWSDOWN VMA (check_stack_guard_page): touching
    // the VMA's lowest page grows it by one more, and maps shows the start one page higher.
    bool stack_guard_page = false;
    bool maps_heap_old_test = false; // E1: [heap] when vm_start <= start_brk && vm_end >= brk
    // x86_64 vsyscall page (the gate VMA every process shows last), per vsyscall mode.
    X86VsyscallMode vsyscall = X86VsyscallMode::XOnly;
};

[[nodiscard]] UserMmRules user_mm_rules_for(const Layout& layout, const KernelProfile& profile,
                                            const KernelPgtableRules& kernel_rules);

} // namespace kmemu
