// /dev/port (minor 4; drivers/char/mem.c read_port, write_port, open_port, memory_lseek): the
// machine's I/O port space (devices/port/io_ports.h) as a file, one byte per port, the file
// position being the port number. No mmap.
#pragma once

#include "devices/mem/mem_major.h"
#include "devices/mem/port_rules.h"

namespace kmemu {

[[nodiscard]] MemMinor port_minor();

[[nodiscard]] const PortRules& port_rules(DeviceKernel& kernel);

} // namespace kmemu
