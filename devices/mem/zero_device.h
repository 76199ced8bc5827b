// /dev/zero (minor 5; drivers/char/mem.c read_zero, read_iter_zero, write_zero, zero_lseek).
// Reads fill the user buffer with zeros per the version's loop (ZeroRules); writes accept
// everything; lseek is null_lseek; f_pos never moves. mmap_zero comes with the user mm.
#pragma once

#include "devices/mem/mem_major.h"
#include "devices/mem/zero_rules.h"

namespace kmemu {

[[nodiscard]] MemMinor zero_minor();

// The machine's zero/full rules (computed once per machine).
[[nodiscard]] const ZeroRules& zero_rules(DeviceKernel& kernel);

// The read methods /dev/full shares (read_full = read_zero up to 3.15, read_iter_zero after).
ssize_t read_zero(struct file* f, char* buf, size_t count, loff_t* ppos);
ssize_t read_iter_zero(struct kiocb* iocb, struct iov_iter* to);

} // namespace kmemu
