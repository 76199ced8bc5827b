// Kernel variables kept true in simulated memory: the bytes at each variable's physical address
// are what the kernel would hold there, in the arch's word size, little-endian, so a /dev/mem
// read or a kernel load of the variable sees them. Boot writes them once; jiffies is rewritten
// whenever the virtual clock advances (eagerly, so every reader sees current bytes).
#pragma once

#include <string>

#include "mm/error.h"
#include "mm/kernel_image/kernel_symbols.h"
#include "mm/phys_memory.h"

namespace kmemu {

// INITIAL_JIFFIES: (unsigned long)(unsigned int)(-300 * HZ) (include/linux/jiffies.h), so
// jiffies wraps five minutes after boot on 32-bit; the 64-bit counter starts at the same
// zero-extended value (e.g. HZ=1000: 0xfffb6c20).
[[nodiscard]] u64 initial_jiffies(unsigned hz);
// jiffies_64 after elapsed_ns of virtual time: INITIAL_JIFFIES + floor(elapsed_ns * HZ / 1e9)
// (one tick every NSEC_PER_SEC / HZ; computed without overflow).
[[nodiscard]] u64 jiffies_64_after(unsigned hz, u64 elapsed_ns);

struct KernelVarValues {
    u64 high_memory = 0; // the layout's high_memory (a kernel virtual address)
    u64 max_low_pfn = 0;
    u64 max_pfn = 0;
    u64 totalram_pages = 0; // pages the buddy allocator manages after mem_init
    std::string banner;     // linux_banner, without its terminating NUL
};

// Write every variable at boot (jiffies_64 with INITIAL_JIFFIES).
ErrorOr<void> write_kernel_variables(const KernelSymbols& symbols, const KernelImageRules& rules,
                                     const KernelVarValues& values, PhysicalMemory& phys);
// Store jiffies_64 (8 bytes; on 32-bit, jiffies is its low word at the same address).
ErrorOr<void> write_jiffies(const KernelSymbols& symbols, PhysicalMemory& phys, u64 jiffies_64);

} // namespace kmemu
