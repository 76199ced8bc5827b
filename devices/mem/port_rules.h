// The /dev/port rules that changed between versions and configurations (drivers/char/mem.c
// open_port, memory_lseek; drivers/char/Kconfig DEVPORT), decided once per machine.
#pragma once

#include "mm/arch.h"
#include "mm/kernel_version.h"
#include "mm/types.h"

namespace kmemu {

struct MachineConfig;

// memory_lseek's guard against positions user space would read as errors.
enum class MemoryLseekGuard {
    None,           // 2.6.11-2.6.38: any position is stored and returned
    Below4096,      // 2.6.39-3.13: new >= 0xfffffffffffff000 -> -EOVERFLOW
    IsErrValueWord, // 3.14-4.6: IS_ERR_VALUE(new), i.e. new >= (unsigned long)-4095 -> -EOVERFLOW
    MinusMaxErrno,  // 4.7+: (u64)new >= (u64)-4095 -> -EOVERFLOW
};

struct PortRules {
    // CONFIG_DEVPORT (depends on ISA || PCI, default y) and arch_has_dev_port() (1 everywhere
    // but powerpc). kmemu's x86 machines are PCs (ISA/PCI): present. Its ARM and arm64 machines
    // have no PCI, so the default is off there; `devport=on` adds it (a real arm64 kernel with
    // PCI has /dev/port, and reads of ports outside a mapped PCI I/O window fault there, where
    // kmemu reads all ones).
    bool present = true;
    MemoryLseekGuard lseek_guard = MemoryLseekGuard::MinusMaxErrno;
    // open_port 5.4+: security_locked_down(LOCKDOWN_DEV_MEM) after the capability check.
    bool lockdown_checked = true;
    unsigned word_bits = 64; // unsigned long of the kernel (read_port's port counter)

    // Whether memory_lseek refuses the new position `pos`.
    [[nodiscard]] bool lseek_refuses(u64 pos) const;
};

[[nodiscard]] PortRules port_rules_for(const MachineConfig& config, Arch arch);

} // namespace kmemu
