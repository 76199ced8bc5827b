#include "devices/mem/port_rules.h"

#include "mm/machine_config.h"

namespace kmemu {

bool PortRules::lseek_refuses(u64 pos) const {
    switch (lseek_guard) {
    case MemoryLseekGuard::None:
        return false;
    case MemoryLseekGuard::Below4096:
        return pos >= 0xfffffffffffff000ULL;
    case MemoryLseekGuard::IsErrValueWord:
        // IS_ERR_VALUE of 3.14-4.6 compares the 64-bit value with (unsigned long)-MAX_ERRNO,
        // which on a 32-bit kernel is 0xfffff001.
        return pos >= (word_bits == 64 ? 0xfffffffffffff001ULL : 0xfffff001ULL);
    case MemoryLseekGuard::MinusMaxErrno:
        return pos >= 0xfffffffffffff001ULL;
    }
    return false;
}

// Version boundaries: the EOVERFLOW guard came with FMODE_UNSIGNED_OFFSET (commit 4a3956c7,
// 2.6.39; absent in 2.6.32.69, present in 3.6.5). 3.10.108 still has the `>= ~0xfff` form and
// 3.14 the IS_ERR_VALUE form (the release in between is not pinned down: 3.14 is the first seen).
// 4.4.155 has IS_ERR_VALUE, 4.19.72 `>= -MAX_ERRNO`; 4.7 is when IS_ERR_VALUE's cast changed and
// its users were fixed (from memory).
PortRules port_rules_for(const MachineConfig& c, Arch arch) {
    const KernelVersion v = c.kernel;
    PortRules r;
    r.present = c.devport.value_or(is_x86(arch));
    r.lseek_guard = v.at_least(4, 7)       ? MemoryLseekGuard::MinusMaxErrno
                    : v.at_least(3, 14)    ? MemoryLseekGuard::IsErrValueWord
                    : v.at_least(2, 6, 39) ? MemoryLseekGuard::Below4096
                                           : MemoryLseekGuard::None;
    r.lockdown_checked = v.at_least(5, 4);
    r.word_bits = is_32bit(arch) ? 32 : 64;
    return r;
}

} // namespace kmemu
