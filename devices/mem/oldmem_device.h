// /dev/oldmem (minor 12; drivers/char/mem.c read_oldmem, open_oldmem = open_mem; x86
// copy_oldmem_page): the crashed kernel's physical memory as a kdump capture kernel sees it,
// file offset = physical address. Present only with crash_dump=on, up to 3.11 (oldmem_rules.h).
//
// The memory is the raw image named by `oldmem=FILE` (byte N of the file is physical address
// N; what lies past its end reads as zeros), or all zeros without one. The image is read with
// bounded host file reads, never past its end. An image that cannot be opened makes
// open("/dev/oldmem") fail with -EIO (oldmem_image_error says why). No llseek method: the
// VFS's default_llseek before 2.6.37, -ESPIPE after (use pread). No mmap.
#pragma once

#include <string>

#include "devices/mem/mem_major.h"
#include "devices/mem/oldmem_rules.h"

namespace kmemu {

[[nodiscard]] MemMinor oldmem_minor();

[[nodiscard]] const OldmemRules& oldmem_rules(DeviceKernel& kernel);
// saved_max_pfn: the end pfn of the crashed kernel's RAM (e820_end_of_ram_pfn of its map, which
// kmemu takes to be the machine's own RAM map).
[[nodiscard]] u64 oldmem_saved_max_pfn(DeviceKernel& kernel);
// Why the oldmem= image cannot be used ("" when it can, or when there is none).
[[nodiscard]] std::string oldmem_image_error(DeviceKernel& kernel);

} // namespace kmemu
