// /dev/full (minor 7; drivers/char/mem.c write_full, full_lseek = null_lseek): reads as
// /dev/zero does in the same version, every write (count 0 included) is -ENOSPC. No mmap.
#pragma once

#include "devices/mem/mem_major.h"

namespace kmemu {

[[nodiscard]] MemMinor full_minor();

} // namespace kmemu
