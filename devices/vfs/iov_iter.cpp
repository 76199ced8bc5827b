#include "devices/vfs/iov_iter.h"

#include <algorithm>
#include <vector>

#include "devices/device_kernel.h"
#include "mm/uaccess.h"

namespace kmemu {

void iov_iter_advance(iov_iter* i, size_t bytes) {
    bytes = std::min(bytes, i->count);
    i->count -= bytes;
    while (bytes > 0 && i->nr_segs > 0) {
        size_t left = i->iov->iov_len - i->iov_offset;
        if (bytes < left) {
            i->iov_offset += bytes;
            return;
        }
        bytes -= left;
        ++i->iov;
        --i->nr_segs;
        i->iov_offset = 0;
    }
}

namespace {

// Walk the segments: op(user address, length) returns the bytes it did; a short one stops.
template <typename Op>
size_t iterate(iov_iter* i, size_t bytes, Op&& op) {
    bytes = std::min(bytes, i->count);
    size_t done = 0;
    const iovec* seg = i->iov;
    size_t off = i->iov_offset;
    unsigned long nr = i->nr_segs;
    while (done < bytes && nr > 0) {
        size_t len = std::min(seg->iov_len - off, bytes - done);
        VirtAddr base = user_addr(seg->iov_base).offset(off);
        size_t did = op(base, done, len);
        done += did;
        if (did < len)
            break;
        ++seg;
        --nr;
        off = 0;
    }
    iov_iter_advance(i, done);
    return done;
}

UserAccess* user() {
    Task* t = current_task();
    return t ? t->mm : nullptr;
}

} // namespace

size_t copy_to_iter(std::span<const u8> from, iov_iter* i) {
    UserAccess* u = user();
    if (!u)
        return 0;
    return iterate(i, from.size(), [&](VirtAddr va, size_t at, size_t len) {
        return len - copy_to_user(*u, va, from.subspan(at, len));
    });
}

size_t copy_from_iter(std::span<u8> to, iov_iter* i) {
    UserAccess* u = user();
    if (!u)
        return 0;
    return iterate(i, to.size(), [&](VirtAddr va, size_t at, size_t len) {
        return len - copy_from_user(*u, to.subspan(at, len), va);
    });
}

size_t iov_iter_zero(size_t bytes, iov_iter* i) {
    UserAccess* u = user();
    if (!u)
        return 0;
    return iterate(i, bytes,
                   [&](VirtAddr va, size_t, size_t len) { return len - clear_user(*u, va, len); });
}

} // namespace kmemu
