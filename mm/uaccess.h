// The kernel's user-copy primitives (kernel-semantics §6; arch/x86/include/asm/uaccess.h,
// include/linux/uaccess.h, lib/usercopy.c) over one address space's user half. Device drivers
// call these; MmStruct (mm/user/mm_struct.h) implements UserAccess.
//
// Return values are the kernel's: the number of bytes NOT copied or cleared (0 = all done),
// and 0 or -EFAULT for the single-value put_user/get_user. Faults on user pages run the fault
// path (demand paging); a fault it cannot resolve stops the copy exactly at that byte.
#pragma once

#include <cstring>
#include <span>
#include <type_traits>

#include "mm/errno.h"
#include "mm/types.h"

namespace kmemu {

// The user half of one address space as the kernel's uaccess routines reach it (x86 semantics,
// kernel-semantics.md §6). Implemented by MmStruct.
class UserAccess {
  public:
    virtual ~UserAccess() = default;
    // access_ok(addr, size): addr + size does not wrap and is <= the task's user limit.
    [[nodiscard]] virtual bool access_ok(VirtAddr addr, u64 size) const = 0;
    // The __copy / __clear variants (no access_ok): return the number of bytes NOT done,
    // exact to the byte. A miss on a user page runs the fault path (demand paging of
    // anonymous memory); only a fault that path cannot resolve stops the copy.
    virtual u64 raw_copy_to_user(VirtAddr to, std::span<const u8> from) = 0;
    virtual u64 raw_copy_from_user(std::span<u8> to, VirtAddr from) = 0; // tail not zeroed
    virtual u64 raw_clear_user(VirtAddr to, u64 n) = 0;
    // One naturally sized little-endian value (1, 2, 4 or 8 bytes) with the kernel's single
    // mov: MmStruct writes (or reads) nothing when any byte of it faults. True on success.
    // The defaults go through the bulk copies (partial progress possible): for test doubles.
    virtual bool raw_put_user(VirtAddr to, const u8* bytes, unsigned size) {
        return raw_copy_to_user(to, std::span<const u8>(bytes, size)) == 0;
    }
    virtual bool raw_get_user(u8* bytes, VirtAddr from, unsigned size) {
        return raw_copy_from_user(std::span<u8>(bytes, size), from) == 0;
    }
};

// The kernel's primitives (bytes not copied; copy_from_user zero-fills the uncopied tail of `to`).
u64 copy_to_user(UserAccess& u, VirtAddr to, std::span<const u8> from);
u64 copy_from_user(UserAccess& u, std::span<u8> to, VirtAddr from);
u64 clear_user(UserAccess& u, VirtAddr to, u64 n);   // access_ok first, returns n if it fails
u64 __clear_user(UserAccess& u, VirtAddr to, u64 n); // no access_ok (name as the kernel's)
// __copy_to_user / __copy_from_user: no access_ok (the caller checked the whole range).
u64 __copy_to_user(UserAccess& u, VirtAddr to, std::span<const u8> from);
u64 __copy_from_user(UserAccess& u, std::span<u8> to, VirtAddr from);

template <typename T>
concept UserScalar = std::is_integral_v<T> &&
    (sizeof(T) == 1 || sizeof(T) == 2 || sizeof(T) == 4 || sizeof(T) == 8);

// put_user/get_user of 1, 2, 4, 8 bytes (little-endian as the archs here): 0 or -EFAULT.
// __put_user/__get_user skip access_ok. A failed get_user sets `value` to 0, as the kernel's
// fixup does.
template <UserScalar T>
int __put_user(UserAccess& u, T value, VirtAddr addr) {
    u8 bytes[sizeof(T)];
    std::memcpy(bytes, &value, sizeof(T));
    return u.raw_put_user(addr, bytes, sizeof(T)) ? 0 : -EFAULT;
}
template <UserScalar T>
int __get_user(UserAccess& u, T& value, VirtAddr addr) {
    u8 bytes[sizeof(T)];
    if (!u.raw_get_user(bytes, addr, sizeof(T))) {
        value = 0;
        return -EFAULT;
    }
    std::memcpy(&value, bytes, sizeof(T));
    return 0;
}
template <UserScalar T>
int put_user(UserAccess& u, T value, VirtAddr addr) {
    if (!u.access_ok(addr, sizeof(T)))
        return -EFAULT;
    return __put_user(u, value, addr);
}
template <UserScalar T>
int get_user(UserAccess& u, T& value, VirtAddr addr) {
    if (!u.access_ok(addr, sizeof(T))) {
        value = 0;
        return -EFAULT;
    }
    return __get_user(u, value, addr);
}

} // namespace kmemu
