// The fault path's vocabulary: VM_FAULT_* results and FAULT_FLAG_* inputs (values as 4.19-6.1
// include/linux/mm_types.h / mm.h, kernel-semantics §4.3). struct vm_fault and
// vm_operations_struct are in mm/user/vm_ops.h.
#pragma once

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

} // namespace kmemu
