#include "emu/kernel/driver_api.h"

#include <cstdarg>
#include <cstring>
#include <vector>

#include "devices/printk/vsprintf.h"
#include "emu/machine.h"
#include "mm/uaccess.h"
#include "mm/user/mm_struct.h"

namespace kmemu::kernel {

namespace {

Machine& mach() {
    return KernelScope::current_machine();
}

kptr<void> kp(VirtAddr v) {
    return kptr<void>(v);
}

// The current task's user address space, or nullptr (kernel context, or a task without mm).
UserAccess* current_mm() {
    Task* t = current_task();
    return t ? t->mm : nullptr;
}

} // namespace

u64 page_size() {
    return mach().layout().page_size();
}
unsigned page_shift() {
    return mach().layout().page_shift;
}

// The address space a VMA belongs to (NULL vm_mm: a VMA kmemu did not make).
namespace {
MmStruct* mm_of(vm_area_struct* vma) {
    return vma ? MmStruct::from(vma->vm_mm) : nullptr;
}
} // namespace

int remap_pfn_range(vm_area_struct* vma, unsigned long addr, unsigned long pfn, unsigned long size,
                    pgprot_t prot) {
    MmStruct* mm = mm_of(vma);
    return mm ? mm->remap_pfn_range(*vma, addr, Pfn(pfn), size, prot) : -EINVAL;
}
int vm_insert_page(vm_area_struct* vma, unsigned long addr, page* p) {
    MmStruct* mm = mm_of(vma);
    return mm ? mm->vm_insert_page(*vma, addr, p) : -EFAULT;
}
vm_fault_t vmf_insert_pfn(vm_area_struct* vma, unsigned long addr, unsigned long pfn) {
    MmStruct* mm = mm_of(vma);
    return mm ? mm->vmf_insert_pfn(*vma, addr, Pfn(pfn)) : VM_FAULT_SIGBUS;
}

kptr<void> kmalloc(size_t size, gfp_t flags) {
    return kp(mach().kmalloc().kmalloc(size, flags));
}
kptr<void> kzalloc(size_t size, gfp_t flags) {
    return kp(mach().kmalloc().kzalloc(size, flags));
}
void kfree(kptr<const void> p) {
    mach().kmalloc().kfree(p.addr());
}

// The caller name /proc/vmallocinfo shows for areas a driver makes.
constexpr const char* kDriverCaller = "driver";

kptr<void> vmalloc(unsigned long size) {
    return kp(mach().vmalloc().vmalloc(size, kDriverCaller));
}
kptr<void> vmalloc_user(unsigned long size) {
    return kp(mach().vmalloc().vmalloc_user(size, kDriverCaller));
}
kptr<void> vmalloc_32(unsigned long size) {
    return kp(mach().vmalloc().vmalloc_32(size, kDriverCaller));
}
void vfree(kptr<const void> addr) {
    mach().vmalloc().vfree(addr.addr());
}
page* vmalloc_to_page(kptr<const void> addr) {
    return mach().vmalloc().vmalloc_to_page(addr.addr());
}
Pfn vmalloc_to_pfn(kptr<const void> addr) {
    return mach().vmalloc().vmalloc_to_pfn(addr.addr());
}

PhysAddr virt_to_phys(kptr<const void> addr) {
    Machine& m = mach();
    if (auto p = m.direct_map().virt_to_phys(addr.addr()))
        return *p;
    return m.layout().pa(addr.addr());
}
kptr<void> phys_to_virt(PhysAddr addr) {
    Machine& m = mach();
    if (auto v = m.direct_map().phys_to_virt(addr))
        return kp(*v);
    return kp(m.layout().va(addr));
}
page* virt_to_page(kptr<const void> addr) {
    return mach().direct_map().virt_to_page(addr.addr());
}
page* pfn_to_page(Pfn pfn) {
    return mach().page_allocator().pfn_to_page(pfn);
}
kptr<void> page_address(const page* p) {
    return kp(mach().direct_map().page_address(p));
}

page* alloc_pages(gfp_t gfp, unsigned order) {
    return mach().page_allocator().alloc_pages(gfp, order);
}
page* alloc_page(gfp_t gfp) {
    return alloc_pages(gfp, 0);
}
void __free_pages(page* p, unsigned order) {
    mach().page_allocator().__free_pages(p, order);
}
void __free_page(page* p) {
    __free_pages(p, 0);
}
kptr<void> __get_free_pages(gfp_t gfp, unsigned order) {
    return kp(mach().page_allocator().__get_free_pages(gfp, order));
}
void free_pages(kptr<const void> addr, unsigned order) {
    mach().page_allocator().free_pages(addr.addr(), order);
}

int printk(const char* fmt, ...) {
    DeviceKernel& k = current_kernel();
    PrintkLog& log = printk_log(k);
    va_list args;
    va_start(args, fmt);
    std::string text = kernel_vsprintf(log.vsprintf_context(), fmt, args);
    va_end(args);
    // KERN_SOH + level (3.6+ printk_get_level) becomes the version's token: "<N>" before 3.6.
    if (text.size() >= 2 && text[0] == '\001') {
        const char c = text[1];
        if (c >= '0' && c <= '7')
            text = kern_level(k, c - '0') + text.substr(2);
        else if (c == 'c')
            text = kern_cont(k) + text.substr(2);
    }
    return kmemu::printk(k, text);
}

int register_chrdev(unsigned int major, const char* name, const struct file_operations* fops) {
    return current_kernel().chrdevs().register_chrdev(major, name ? name : "", fops);
}
void unregister_chrdev(unsigned int major, const char* name) {
    current_kernel().chrdevs().unregister_chrdev(major, name ? name : "");
}
int misc_register(struct miscdevice* misc) {
    return kmemu::misc_register(current_kernel(), misc);
}
void misc_deregister(struct miscdevice* misc) {
    kmemu::misc_deregister(current_kernel(), misc);
}

unsigned long copy_to_user(VirtAddr to, kptr<const void> from, unsigned long n) {
    std::vector<u8> bounce(n);
    kread(std::as_writable_bytes(std::span(bounce)), from); // a bad kernel source oopses
    UserAccess* u = current_mm();
    return u ? kmemu::copy_to_user(*u, to, bounce) : n;
}
unsigned long copy_to_user(void* to, kptr<const void> from, unsigned long n) {
    return copy_to_user(user_addr(to), from, n);
}
unsigned long copy_to_user(void* to, const void* from, unsigned long n) {
    UserAccess* u = current_mm();
    return u ? kmemu::copy_to_user(*u, user_addr(to), std::span(static_cast<const u8*>(from), n))
             : n;
}
unsigned long copy_from_user(kptr<void> to, VirtAddr from, unsigned long n) {
    std::vector<u8> bounce(n, 0);
    UserAccess* u = current_mm();
    const unsigned long left = u ? kmemu::copy_from_user(*u, bounce, from) : n;
    kwrite(to, std::as_bytes(std::span(bounce))); // the uncopied tail is written as zeros
    return left;
}
unsigned long copy_from_user(kptr<void> to, const void* from, unsigned long n) {
    return copy_from_user(to, user_addr(from), n);
}
unsigned long copy_from_user(void* to, const void* from, unsigned long n) {
    std::span<u8> dst(static_cast<u8*>(to), n);
    UserAccess* u = current_mm();
    if (!u) {
        std::memset(to, 0, n);
        return n;
    }
    return kmemu::copy_from_user(*u, dst, user_addr(from));
}

kptr<void> memset(kptr<void> s, int c, size_t n) {
    kmemset(s, c, n);
    return s;
}
kptr<void> memcpy(kptr<void> dst, kptr<const void> src, size_t n) {
    kmemcpy(dst, src, n);
    return dst;
}
kptr<void> memcpy(kptr<void> dst, const void* src, size_t n) {
    kwrite(dst, std::span(static_cast<const std::byte*>(src), n));
    return dst;
}
kptr<char> strcpy(kptr<char> dst, const char* src) {
    return kstrcpy(dst, std::string_view(src));
}
size_t strlen(kptr<const char> s) {
    return kstrlen(s);
}

} // namespace kmemu::kernel
