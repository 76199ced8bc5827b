// struct vm_area_struct and the VM_* flags (include/linux/mm_types.h, include/linux/mm.h), in a
// C-compatible form: standard layout, C types only, so that a C driver built against kmemu's
// <linux/mm.h> sees the same struct (DESIGN.md "one driver interface").
//
// The VMA belongs to an MmStruct (mm/user/mm_struct.h), which keeps its VMAs sorted by address
// and linked through vm_next/vm_prev (the pre-6.1 list that old lab code walks); pointers to a
// VMA stay valid until it is unmapped.
#pragma once

#include <type_traits>

namespace kmemu {

// Opaque to the memory model: the VFS defines them (devices/), mm/ only carries pointers.
struct file;
// Defined in mm/user/vm_ops.h (open, close, fault, ...).
struct vm_operations_struct;
// The C view of an address space; MmStruct derives from it (MmStruct::from(vm_mm)).
struct mm_struct {};

// pgprot_t: the protection bits of a PTE. 64 bits wide for every arch: PAE and LPAE PTEs are
// 8 bytes on 32-bit kernels (pgprotval_t is u64 there).
typedef struct {
    unsigned long long pgprot;
} pgprot_t;
[[nodiscard]] constexpr unsigned long long pgprot_val(pgprot_t p) {
    return p.pgprot;
}
[[nodiscard]] constexpr pgprot_t __pgprot(unsigned long long v) {
    return pgprot_t{v};
}

struct vm_area_struct {
    unsigned long vm_start; // first address
    unsigned long vm_end;   // first address after the area
    struct vm_area_struct* vm_next;
    struct vm_area_struct* vm_prev;
    struct mm_struct* vm_mm;
    pgprot_t vm_page_prot; // vm_get_page_prot(vm_flags) at mmap time
    unsigned long vm_flags;
    unsigned long vm_pgoff; // in PAGE_SIZE units; addr >> PAGE_SHIFT for private anonymous
    struct file* vm_file;
    const struct vm_operations_struct* vm_ops;
    void* vm_private_data;
    // kmemu's stand-in for vma->anon_vma: 0 until the first anonymous page (anon_vma_prepare);
    // VMAs merge only when their anon_vmas are compatible (is_mergeable_anon_vma).
    unsigned long anon_vma;
};
static_assert(std::is_standard_layout_v<vm_area_struct> && std::is_trivial_v<vm_area_struct>);

// VM_* flag values (include/linux/mm.h; unchanged from 2.6.11 to 6.13 unless noted).
inline constexpr unsigned long VM_NONE = 0x00000000;
inline constexpr unsigned long VM_READ = 0x00000001;
inline constexpr unsigned long VM_WRITE = 0x00000002;
inline constexpr unsigned long VM_EXEC = 0x00000004;
inline constexpr unsigned long VM_SHARED = 0x00000008;
inline constexpr unsigned long VM_MAYREAD = 0x00000010;
inline constexpr unsigned long VM_MAYWRITE = 0x00000020;
inline constexpr unsigned long VM_MAYEXEC = 0x00000040;
inline constexpr unsigned long VM_MAYSHARE = 0x00000080;
inline constexpr unsigned long VM_GROWSDOWN = 0x00000100;
inline constexpr unsigned long VM_GROWSUP = 0x00000200;      // up to 4.x on all arches
inline constexpr unsigned long VM_UFFD_MISSING = 0x00000200; // 4.3+ (GROWSUP moved to ARCH)
inline constexpr unsigned long VM_PFNMAP = 0x00000400;
inline constexpr unsigned long VM_DENYWRITE = 0x00000800; // removed in 5.15
inline constexpr unsigned long VM_UFFD_WP = 0x00001000;   // 4.3+ (VM_EXECUTABLE before 3.7)
inline constexpr unsigned long VM_LOCKED = 0x00002000;
inline constexpr unsigned long VM_IO = 0x00004000;
inline constexpr unsigned long VM_SEQ_READ = 0x00008000;
inline constexpr unsigned long VM_RAND_READ = 0x00010000;
inline constexpr unsigned long VM_DONTCOPY = 0x00020000;
inline constexpr unsigned long VM_DONTEXPAND = 0x00040000;
inline constexpr unsigned long VM_RESERVED = 0x00080000;    // up to 3.6
inline constexpr unsigned long VM_LOCKONFAULT = 0x00080000; // 4.4+
inline constexpr unsigned long VM_ACCOUNT = 0x00100000;
inline constexpr unsigned long VM_NORESERVE = 0x00200000;
inline constexpr unsigned long VM_HUGETLB = 0x00400000;
inline constexpr unsigned long VM_SYNC = 0x00800000;       // 4.15+ (VM_NONLINEAR before 4.0)
inline constexpr unsigned long VM_ARCH_1 = 0x01000000;     // x86: VM_PAT
inline constexpr unsigned long VM_PAT = VM_ARCH_1;         // x86 (3.x+)
inline constexpr unsigned long VM_INSERTPAGE = 0x02000000; // up to 3.6
inline constexpr unsigned long VM_WIPEONFORK = 0x02000000; // 4.14+
inline constexpr unsigned long VM_DONTDUMP = 0x04000000;   // 3.7+
inline constexpr unsigned long VM_SOFTDIRTY = 0x08000000;  // CONFIG_MEM_SOFT_DIRTY
inline constexpr unsigned long VM_MIXEDMAP = 0x10000000;
inline constexpr unsigned long VM_HUGEPAGE = 0x20000000;
inline constexpr unsigned long VM_NOHUGEPAGE = 0x40000000;
inline constexpr unsigned long VM_MERGEABLE = 0x80000000;

// The flags that make a mapping "special": never merged, no anonymous pages of its own
// (VM_SPECIAL, mm.h: VM_IO | VM_DONTEXPAND | VM_PFNMAP | VM_MIXEDMAP).
inline constexpr unsigned long VM_SPECIAL = VM_IO | VM_DONTEXPAND | VM_PFNMAP | VM_MIXEDMAP;
inline constexpr unsigned long VM_ACCESS_FLAGS = VM_READ | VM_WRITE | VM_EXEC;

} // namespace kmemu
