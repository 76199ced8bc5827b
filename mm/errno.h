// Kernel error numbers. kmemu uses the host's <cerrno> names: on a Linux host they are the
// kernel's own numbers (include/uapi/asm-generic/errno-base.h and errno.h, shared by x86 and
// ARM); the asserts below make a host where that is not so fail to build.
#pragma once

#include <cerrno>

static_assert(EPERM == 1 && ENOENT == 2 && EINTR == 4 && EIO == 5 && ENXIO == 6 && EBADF == 9 &&
                  EAGAIN == 11 && ENOMEM == 12 && EACCES == 13 && EFAULT == 14 && EBUSY == 16 &&
                  EEXIST == 17 && ENODEV == 19 && EINVAL == 22 && ENFILE == 23 && EMFILE == 24 &&
                  ENOTTY == 25 && EFBIG == 27 && ENOSPC == 28 && ESPIPE == 29 && EPIPE == 32 &&
                  ERANGE == 34 && ENOSYS == 38 && EOVERFLOW == 75,
              "kmemu needs the Linux errno numbers");

namespace kmemu {
// Kernel-internal codes that never reach user space as such (include/linux/errno.h).
inline constexpr int ERESTARTSYS = 512;
} // namespace kmemu
