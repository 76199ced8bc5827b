// The kernel-style driver API for C++ lab drivers: free functions with the kernel's names and
// (as far as C++ allows) signatures, acting on the current machine (KernelScope, and
// DeviceKernelScope for the VFS and printk). Kernel addresses are kptr<T>, user addresses
// VirtAddr or the `char __user *` a file_operations method receives. Each function is a thin
// layer over the machine's own allocators and tables; nothing here keeps state.
//
// A driver's globals. A C driver keeps its state in static variables; kmemu runs several
// machines in one process, so a C++ driver keeps it per machine instead, in
// DeviceKernel::state<T>() — made on first use as T(DeviceKernel&), destroyed with the machine:
//
//   struct vp_state {
//       explicit vp_state(kmemu::DeviceKernel&) {}
//       kptr<char> buf;            // static char *buf; in the C original
//   };
//   static vp_state& st() { return kmemu::current_kernel().state<vp_state>(); }
//   static int vp_init() { st().buf = kptr_cast<char>(vmalloc(4096)); return st().buf ? 0 :
//   -ENOMEM; }
//
// Modules are registered with KMEMU_MODULE (emu/module/module_catalog.h, included here); see
// docs/labs.md, "Porting a driver".
#pragma once

#include <cstddef>

#include "devices/device_kernel.h"
#include "devices/printk/printk.h"
#include "devices/vfs/fs.h"
#include "devices/vfs/misc.h"
#include "emu/kernel/kernel_scope.h"
#include "emu/kernel/kptr.h"
#include "emu/module/module_catalog.h"
#include "mm/errno.h"
#include "mm/gfp.h"
#include "mm/page.h"
#include "mm/user/vm_ops.h"

// Log levels in the 3.6+ spelling (KERN_SOH and a digit). printk below rewrites a leading one
// to the machine's own token ("<6>" before 3.6), so one driver source serves every version.
#define KERN_SOH "\001"
#define KERN_EMERG KERN_SOH "0"
#define KERN_ALERT KERN_SOH "1"
#define KERN_CRIT KERN_SOH "2"
#define KERN_ERR KERN_SOH "3"
#define KERN_WARNING KERN_SOH "4"
#define KERN_NOTICE KERN_SOH "5"
#define KERN_INFO KERN_SOH "6"
#define KERN_DEBUG KERN_SOH "7"
#define KERN_CONT KERN_SOH "c"

namespace kmemu::kernel {

// Kernel names a driver uses unqualified.
using kmemu::__GFP_HIGHMEM;
using kmemu::__GFP_ZERO;
using kmemu::cdev;
using kmemu::current_kernel;
using kmemu::DeviceKernel;
using kmemu::file;
using kmemu::file_operations;
using kmemu::GFP_ATOMIC;
using kmemu::GFP_DMA;
using kmemu::GFP_DMA32;
using kmemu::GFP_HIGHUSER;
using kmemu::GFP_KERNEL;
using kmemu::gfp_t;
using kmemu::GFP_USER;
using kmemu::inode;
using kmemu::MISC_DYNAMIC_MINOR;
using kmemu::miscdevice;
using kmemu::page;
using kmemu::PageHighMem;
using kmemu::PageSlab;
using kmemu::Pfn;
using kmemu::PhysAddr;
using kmemu::VirtAddr;
// struct page accessors (mm/page.h): PG_reserved and the reference count.
using kmemu::ClearPageReserved;
using kmemu::get_page;
using kmemu::page_count;
using kmemu::page_to_pfn;
using kmemu::PageReserved;
using kmemu::put_page;
using kmemu::SetPageReserved;

// The current machine's PAGE_SIZE and PAGE_SHIFT (run-time values: kmemu machines differ).
[[nodiscard]] u64 page_size();
[[nodiscard]] unsigned page_shift();

// --- kmalloc family (mm/slab): direct-map addresses, NULL on failure ----------------------------
[[nodiscard]] kptr<void> kmalloc(size_t size, gfp_t flags);
[[nodiscard]] kptr<void> kzalloc(size_t size, gfp_t flags);
void kfree(kptr<const void> p);

// --- vmalloc family (mm/vmalloc)
// -------------------------------------------------------------------
[[nodiscard]] kptr<void> vmalloc(unsigned long size);
// vmalloc_user: zeroed, VM_USERMAP, SHMLBA-aligned (for remap_vmalloc_range).
[[nodiscard]] kptr<void> vmalloc_user(unsigned long size);
[[nodiscard]] kptr<void> vmalloc_32(unsigned long size);
void vfree(kptr<const void> addr);
// vmalloc_to_page / vmalloc_to_pfn: through init_mm's page tables; NULL / 0 when unmapped.
[[nodiscard]] page* vmalloc_to_page(kptr<const void> addr);
[[nodiscard]] Pfn vmalloc_to_pfn(kptr<const void> addr);

// --- address conversions (the direct map)
// --------------------------------------------------------- virt_to_phys / __pa: outside the direct
// map (x86_64: and the kernel image) the result is the kernel's plain arithmetic, as garbage as the
// kernel's own without CONFIG_DEBUG_VIRTUAL.
[[nodiscard]] PhysAddr virt_to_phys(kptr<const void> addr);
// phys_to_virt / __va: likewise arithmetic above lowmem.
[[nodiscard]] kptr<void> phys_to_virt(PhysAddr addr);
// virt_to_page: NULL unless virt_addr_valid (a direct-map address of a valid pfn).
[[nodiscard]] page* virt_to_page(kptr<const void> addr);
// pfn_to_page: NULL for a pfn outside the memmap (!pfn_valid).
[[nodiscard]] page* pfn_to_page(Pfn pfn);
// page_address: a lowmem page's direct-map address; a highmem page's kmap address, else NULL.
[[nodiscard]] kptr<void> page_address(const page* p);

// --- the page allocator --------------------------------------------------------------------------
[[nodiscard]] page* alloc_pages(gfp_t gfp, unsigned order);
[[nodiscard]] page* alloc_page(gfp_t gfp);
void __free_pages(page* p, unsigned order);
void __free_page(page* p);
// __get_free_pages / free_pages: by direct-map address (0 on failure; free_pages(0) is a no-op).
[[nodiscard]] kptr<void> __get_free_pages(gfp_t gfp, unsigned order);
void free_pages(kptr<const void> addr, unsigned order);

// --- printk
// ------------------------------------------------------------------------------------------
// printk(fmt, ...) with the kernel's vsnprintf conversions on the current machine's log; a
// leading KERN_SOH level is rewritten to the version's token. Returns what printk returns.
// (Code that also has `using namespace kmemu` writes kernel::printk: kmemu::printk, the
// version without the rewrite, is visible too.)
int printk(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
// The value to pass for %p / %px / %lx of an emulated kernel address (never dereferenced).
template <typename T>
[[nodiscard]] inline void* kptr_arg(kptr<T> p) {
    return reinterpret_cast<void*>(static_cast<std::uintptr_t>(p.value()));
}

// --- char devices (fs/char_dev.c, drivers/char/misc.c) on the current machine
// ---------------------- register_chrdev: major 0 asks for a dynamic major, which is returned; else
// 0; or -errno.
[[nodiscard]] int register_chrdev(unsigned int major, const char* name,
                                  const struct file_operations* fops);
void unregister_chrdev(unsigned int major, const char* name);
// misc_register: 0, -EBUSY, -EINVAL (the node /dev/NAME appears with it).
[[nodiscard]] int misc_register(struct miscdevice* misc);
void misc_deregister(struct miscdevice* misc);

// --- user copies: the current task's address space
// --------------------------------------------------- Bytes NOT copied (0 = all). No current
// process (kernel context): nothing is copied. A fault on the kernel side oopses (KernelOops), as
// it would in the kernel. copy_from_user zero-fills the part of the kernel buffer it could not
// fill.
[[nodiscard]] unsigned long copy_to_user(VirtAddr to, kptr<const void> from, unsigned long n);
[[nodiscard]] unsigned long copy_to_user(void* to /* __user */, kptr<const void> from,
                                         unsigned long n);
[[nodiscard]] unsigned long copy_to_user(void* to /* __user */, const void* from /* host */,
                                         unsigned long n);
[[nodiscard]] unsigned long copy_from_user(kptr<void> to, VirtAddr from, unsigned long n);
[[nodiscard]] unsigned long copy_from_user(kptr<void> to, const void* from /* __user */,
                                           unsigned long n);
[[nodiscard]] unsigned long copy_from_user(void* to /* host */, const void* from /* __user */,
                                           unsigned long n);

// --- mapping memory into a user VMA (mm/user/remap.cpp; kernel-semantics §4.1-§4.3) ------------
// A driver's mmap(file, vma) calls these; vma->vm_mm is the mapping process's address space.
using kmemu::pgprot_t;
using kmemu::vm_area_struct;
using kmemu::VM_DONTDUMP;
using kmemu::VM_DONTEXPAND;
using kmemu::vm_fault;
using kmemu::VM_FAULT_NOPAGE;
using kmemu::VM_FAULT_OOM;
using kmemu::VM_FAULT_SIGBUS;
using kmemu::vm_fault_t;
using kmemu::vm_flags_clear;
using kmemu::vm_flags_set;
using kmemu::VM_IO;
using kmemu::vm_operations_struct;
using kmemu::VM_PFNMAP;
using kmemu::VM_SHARED;
using kmemu::VM_WRITE;
// remap_pfn_range: 0 or -EINVAL / -ENOMEM / -EBUSY (its rules per version in mm_struct.h).
[[nodiscard]] int remap_pfn_range(vm_area_struct* vma, unsigned long addr, unsigned long pfn,
                                  unsigned long size, pgprot_t prot);
[[nodiscard]] int vm_insert_page(vm_area_struct* vma, unsigned long addr, page* p);
[[nodiscard]] vm_fault_t vmf_insert_pfn(vm_area_struct* vma, unsigned long addr, unsigned long pfn);

// --- string.h on kernel memory (kptr.h's helpers under the C names)
// -----------------------------------
kptr<void> memset(kptr<void> s, int c, size_t n);
kptr<void> memcpy(kptr<void> dst, kptr<const void> src, size_t n);
kptr<void> memcpy(kptr<void> dst, const void* src /* host */, size_t n);
kptr<char> strcpy(kptr<char> dst, const char* src /* host */);
[[nodiscard]] size_t strlen(kptr<const char> s);

} // namespace kmemu::kernel
