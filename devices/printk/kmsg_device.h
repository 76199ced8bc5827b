// /dev/kmsg (char 1:11): 2.6.x-3.4 kmsg_write in drivers/char/mem.c (write only, through
// printk); 3.5+ the record interface devkmsg_open/read/write/llseek/release of
// kernel/printk.c / kernel/printk/printk.c (kernel-semantics.md §2.15).
#pragma once

#include "devices/mem/mem_major.h"

namespace kmemu {

[[nodiscard]] MemMinor kmsg_minor();

// The per-open state of 3.5+ (struct devkmsg_user), for tests and views: the reader's next
// sequence number and the ratelimit counters. nullptr for files without state (3.5-4.7
// O_WRONLY opens, and every 2.6.x-3.4 open).
struct DevkmsgUser;
[[nodiscard]] const DevkmsgUser* devkmsg_user(const struct file* f);
[[nodiscard]] u64 devkmsg_user_seq(const DevkmsgUser& u);

} // namespace kmemu
