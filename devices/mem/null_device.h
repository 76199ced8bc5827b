// /dev/null (minor 3; drivers/char/mem.c read_null, write_null, null_lseek).
#pragma once

#include "devices/mem/mem_major.h"

namespace kmemu {

[[nodiscard]] MemMinor null_minor();

// null_lseek: f_pos = 0, returns 0, for any offset and whence the syscall lets through (shared
// by null, zero and full).
loff_t null_lseek(struct file* f, loff_t offset, int whence);

} // namespace kmemu
