// /dev/kmem (minor 2, up to 5.12; drivers/char/mem.c read_kmem, write_kmem, do_write_kmem,
// memory_lseek, open_kmem), per kernel version (kernel-semantics.md §2.8, §2.9).
#pragma once

#include "devices/mem/mem_major.h"
#include "mm/errno.h"

namespace kmemu {

[[nodiscard]] MemMinor kmem_minor();

ssize_t read_kmem(struct file* f, char* buf, size_t count, loff_t* ppos);
ssize_t write_kmem(struct file* f, const char* buf, size_t count, loff_t* ppos);

// What write_kmem returns where 2.6.11-2.6.31 would spin for ever inside the syscall: vwrite
// returned 0 for a page of vmalloc space with no area at or above it, and the loop advances by
// vwrite's result. kmemu must not hang, so the call ends with -EDEADLK (a value the real
// kernel never returns from write_kmem) with whatever earlier pieces wrote left written and
// f_pos unchanged.
inline constexpr long kKmemWriteLivelock = -EDEADLK;

} // namespace kmemu
