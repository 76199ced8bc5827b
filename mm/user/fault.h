// The fault path's vocabulary: VM_FAULT_* results, FAULT_FLAG_* inputs (values as 4.19-6.1
// include/linux/mm_types.h / mm.h, kernel-semantics §4.3) and the hook through which a VMA
// with vm_ops gets its pages (the next issue's vm_operations_struct calls its ->fault there).
#pragma once

#include <functional>

#include "mm/page.h"
#include "mm/types.h"
#include "mm/user/vm_area.h"

namespace kmemu {

using vm_fault_t = unsigned int;
inline constexpr vm_fault_t VM_FAULT_OOM = 0x000001;
inline constexpr vm_fault_t VM_FAULT_SIGBUS = 0x000002;
inline constexpr vm_fault_t VM_FAULT_MAJOR = 0x000004;
inline constexpr vm_fault_t VM_FAULT_WRITE = 0x000008;
inline constexpr vm_fault_t VM_FAULT_HWPOISON = 0x000010;
inline constexpr vm_fault_t VM_FAULT_HWPOISON_LARGE = 0x000020;
inline constexpr vm_fault_t VM_FAULT_SIGSEGV = 0x000040;
inline constexpr vm_fault_t VM_FAULT_NOPAGE = 0x000100;
inline constexpr vm_fault_t VM_FAULT_LOCKED = 0x000200;
inline constexpr vm_fault_t VM_FAULT_RETRY = 0x000400;
inline constexpr vm_fault_t VM_FAULT_FALLBACK = 0x000800;
inline constexpr vm_fault_t VM_FAULT_DONE_COW = 0x001000;
inline constexpr vm_fault_t VM_FAULT_ERROR =
    VM_FAULT_OOM | VM_FAULT_SIGBUS | VM_FAULT_SIGSEGV | VM_FAULT_HWPOISON | VM_FAULT_HWPOISON_LARGE;

inline constexpr unsigned FAULT_FLAG_WRITE = 0x01;
inline constexpr unsigned FAULT_FLAG_MKWRITE = 0x02;
inline constexpr unsigned FAULT_FLAG_ALLOW_RETRY = 0x04;
inline constexpr unsigned FAULT_FLAG_RETRY_NOWAIT = 0x08;
inline constexpr unsigned FAULT_FLAG_KILLABLE = 0x10;
inline constexpr unsigned FAULT_FLAG_TRIED = 0x20;
inline constexpr unsigned FAULT_FLAG_USER = 0x40;
inline constexpr unsigned FAULT_FLAG_REMOTE = 0x80;
inline constexpr unsigned FAULT_FLAG_INSTRUCTION = 0x100;

class MmStruct;

// What ->fault is asked for (struct vm_fault's inputs) and where it answers (`page`).
struct VmFault {
    vm_area_struct* vma = nullptr;
    unsigned flags = 0;      // FAULT_FLAG_*
    unsigned long pgoff = 0; // vm_pgoff + (address - vm_start) / PAGE_SIZE
    VirtAddr address;        // page aligned
    VirtAddr real_address;   // the faulting address itself
    // Out: a page with a reference the handler took (get_page); the fault path maps it (or,
    // for a private write, copies it into a new anonymous page and drops the reference).
    struct page* page = nullptr;
};

// The door for VMAs with vm_ops (do_fault). The hook either returns 0 with vmf.page set, or
// VM_FAULT_NOPAGE after installing the PTE itself (MmStruct::install_pte), or an error bit
// (VM_FAULT_SIGBUS, VM_FAULT_OOM, ...). Without a hook a fault in such a VMA is
// VM_FAULT_SIGBUS ("vm_ops without ->fault", E2+).
using VmOpsFaultHook = std::function<vm_fault_t(MmStruct& mm, VmFault& vmf)>;

} // namespace kmemu
