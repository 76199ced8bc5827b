// The kernel's user-copy primitives (x86 semantics, kernel-semantics.md §6) over an abstract
// user address space. UserAccess is implemented by the user mm (mm/user); drivers and the VFS
// call the free functions, which return what the kernel's do (bytes not copied, or -EFAULT).
#pragma once

#include <cstring>
#include <span>
#include <type_traits>

#include "mm/errno.h"
#include "mm/types.h"

namespace kmemu {

class UserAccess {
  public:
    virtual ~UserAccess() = default;
    // access_ok(addr, size): addr + size does not wrap and is <= the task's user limit.
    [[nodiscard]] virtual bool access_ok(VirtAddr addr, u64 size) const = 0;
    // The __copy / __clear variants (no access_ok): the number of bytes NOT done, exact to the
    // byte. A miss on a user page runs the fault path; only a fault it cannot resolve stops.
    virtual u64 raw_copy_to_user(VirtAddr to, std::span<const u8> from) = 0;
    virtual u64 raw_copy_from_user(std::span<u8> to, VirtAddr from) = 0; // tail not zeroed
    virtual u64 raw_clear_user(VirtAddr to, u64 n) = 0;
};

// copy_to_user: n when access_ok fails, else the bytes not copied.
u64 copy_to_user(UserAccess& u, VirtAddr to, std::span<const u8> from);
// copy_from_user: as copy_to_user; the uncopied tail of `to` is zero-filled.
u64 copy_from_user(UserAccess& u, std::span<u8> to, VirtAddr from);
// clear_user: access_ok first (n if it fails); __clear_user skips it.
u64 clear_user(UserAccess& u, VirtAddr to, u64 n);
u64 __clear_user(UserAccess& u, VirtAddr to, u64 n);

// put_user / get_user of 1, 2, 4 or 8 bytes (little-endian): 0 or -EFAULT. get_user stores 0
// in `value` on a fault, as the kernel does. The __ forms skip access_ok.
template <typename T>
requires std::is_integral_v<T>
int __put_user(UserAccess& u, T value, VirtAddr addr) {
    u8 bytes[sizeof(T)];
    std::memcpy(bytes, &value, sizeof(T));
    return u.raw_copy_to_user(addr, bytes) == 0 ? 0 : -EFAULT;
}
template <typename T>
requires std::is_integral_v<T>
int put_user(UserAccess& u, T value, VirtAddr addr) {
    return u.access_ok(addr, sizeof(T)) ? __put_user(u, value, addr) : -EFAULT;
}
template <typename T>
requires std::is_integral_v<T>
int __get_user(UserAccess& u, T& value, VirtAddr addr) {
    u8 bytes[sizeof(T)];
    if (u.raw_copy_from_user(bytes, addr) != 0) {
        value = 0;
        return -EFAULT;
    }
    std::memcpy(&value, bytes, sizeof(T));
    return 0;
}
template <typename T>
requires std::is_integral_v<T>
int get_user(UserAccess& u, T& value, VirtAddr addr) {
    if (!u.access_ok(addr, sizeof(T))) {
        value = 0;
        return -EFAULT;
    }
    return __get_user(u, value, addr);
}

} // namespace kmemu
