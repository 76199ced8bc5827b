#include "mm/uaccess.h"

#include <algorithm>

namespace kmemu {

// copy_to_user (include/linux/uaccess.h _copy_to_user): n if access_ok fails, else the raw
// copy's remainder.
u64 copy_to_user(UserAccess& u, VirtAddr to, std::span<const u8> from) {
    if (!u.access_ok(to, from.size()))
        return from.size();
    return u.raw_copy_to_user(to, from);
}

// _copy_from_user: the part not copied (all of it when access_ok fails) is zero-filled.
u64 copy_from_user(UserAccess& u, std::span<u8> to, VirtAddr from) {
    u64 left = to.size();
    if (u.access_ok(from, to.size()))
        left = u.raw_copy_from_user(to, from);
    if (left != 0)
        std::fill(to.end() - static_cast<std::ptrdiff_t>(left), to.end(), u8{0});
    return left;
}

// clear_user (arch/x86/lib/usercopy_64.c): n when access_ok fails.
u64 clear_user(UserAccess& u, VirtAddr to, u64 n) {
    if (!u.access_ok(to, n))
        return n;
    return u.raw_clear_user(to, n);
}

u64 __clear_user(UserAccess& u, VirtAddr to, u64 n) {
    return u.raw_clear_user(to, n);
}

u64 __copy_to_user(UserAccess& u, VirtAddr to, std::span<const u8> from) {
    return u.raw_copy_to_user(to, from);
}

u64 __copy_from_user(UserAccess& u, std::span<u8> to, VirtAddr from) {
    return u.raw_copy_from_user(to, from);
}

} // namespace kmemu
