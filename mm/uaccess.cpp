#include "mm/uaccess.h"

#include <algorithm>

namespace kmemu {

u64 copy_to_user(UserAccess& u, VirtAddr to, std::span<const u8> from) {
    if (!u.access_ok(to, from.size()))
        return from.size();
    return u.raw_copy_to_user(to, from);
}

// _copy_from_user (5.x include/linux/uaccess.h; the x86 copy routines before): the bytes that
// could not be copied are zeroed so the kernel never sees stale data.
u64 copy_from_user(UserAccess& u, std::span<u8> to, VirtAddr from) {
    u64 left = to.size();
    if (u.access_ok(from, to.size()))
        left = u.raw_copy_from_user(to, from);
    if (left)
        std::fill(to.end() - static_cast<std::ptrdiff_t>(left), to.end(), u8{0});
    return left;
}

u64 clear_user(UserAccess& u, VirtAddr to, u64 n) {
    if (!u.access_ok(to, n))
        return n;
    return u.raw_clear_user(to, n);
}

u64 __clear_user(UserAccess& u, VirtAddr to, u64 n) {
    return u.raw_clear_user(to, n);
}

} // namespace kmemu
