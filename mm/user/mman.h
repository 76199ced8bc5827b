// mmap's PROT_* and MAP_* values: the host's <sys/mman.h> names, which on a Linux host are the
// kernel's uapi values (asm-generic/mman-common.h, the same on x86 and ARM; asserted below).
#pragma once

#include <sys/mman.h>

#include "mm/user/vm_area.h"

static_assert(PROT_NONE == 0 && PROT_READ == 1 && PROT_WRITE == 2 && PROT_EXEC == 4 &&
                  PROT_GROWSDOWN == 0x01000000 && PROT_GROWSUP == 0x02000000,
              "kmemu needs the Linux PROT_* values");
static_assert(MAP_SHARED == 0x01 && MAP_PRIVATE == 0x02 && MAP_FIXED == 0x10 &&
                  MAP_ANONYMOUS == 0x20 && MAP_GROWSDOWN == 0x0100 && MAP_DENYWRITE == 0x0800 &&
                  MAP_LOCKED == 0x2000 && MAP_NORESERVE == 0x4000 && MAP_POPULATE == 0x8000,
              "kmemu needs the Linux MAP_* values");

namespace kmemu {
// Values older C libraries may not define (uapi mman-common.h / mman.h).
inline constexpr int KMEMU_PROT_SEM = 0x8;                 // PROT_SEM
inline constexpr int KMEMU_MAP_TYPE = 0x0f;                // MAP_TYPE
inline constexpr int KMEMU_MAP_SHARED_VALIDATE = 0x03;     // 4.15+
inline constexpr int KMEMU_MAP_FIXED_NOREPLACE = 0x100000; // 4.17+
inline constexpr int KMEMU_MAP_SYNC = 0x80000;             // 4.15+ (MAP_SHARED_VALIDATE only)

// calc_vm_prot_bits (include/linux/mman.h).
[[nodiscard]] inline unsigned long calc_vm_prot_bits(int prot) {
    return ((prot & PROT_READ) ? VM_READ : 0) | ((prot & PROT_WRITE) ? VM_WRITE : 0) |
           ((prot & PROT_EXEC) ? VM_EXEC : 0);
}
} // namespace kmemu
