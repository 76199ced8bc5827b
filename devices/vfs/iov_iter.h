// iov_iter helpers (lib/iov_iter.c) over user iovecs: what read_iter/write_iter drivers call.
// Copies go through the current task's user memory; each returns the bytes it moved and
// advances the iterator by them.
#pragma once

#include <span>

#include "devices/vfs/fs.h"

namespace kmemu {

[[nodiscard]] inline size_t iov_iter_count(const iov_iter* i) {
    return i->count;
}
void iov_iter_advance(iov_iter* i, size_t bytes);
// copy_to_iter / copy_from_iter / iov_iter_zero: bytes done (short at the first fault).
size_t copy_to_iter(std::span<const u8> from, iov_iter* i);
size_t copy_from_iter(std::span<u8> to, iov_iter* i);
size_t iov_iter_zero(size_t bytes, iov_iter* i);

} // namespace kmemu
