// The /dev/port rules that changed between versions and configurations (drivers/char/mem.c
// open_port, memory_lseek; drivers/char/Kconfig DEVPORT), decided once per machine.
#pragma once

#include "mm/arch.h"
#include "mm/kernel_version.h"
#include "mm/types.h"

namespace kmemu {

struct MachineConfig;

struct PortRules {
    // CONFIG_DEVPORT (depends on ISA || PCI, default y) and arch_has_dev_port() (1 everywhere
    // but powerpc). kmemu's x86 machines are PCs (ISA/PCI): present. Its ARM and arm64 machines
    // have no PCI, so the default is off there; `devport=on` adds it (a real arm64 kernel with
    // PCI has /dev/port, and reads of ports outside a mapped PCI I/O window fault there, where
    // kmemu reads all ones).
    bool present = true;
    unsigned word_bits = 64; // unsigned long of the kernel (read_port's port counter)
};

[[nodiscard]] PortRules port_rules_for(const MachineConfig& config, Arch arch);

} // namespace kmemu
