// Credentials of a task (include/linux/cred.h) and the capability checks drivers make.
#pragma once

#include "mm/types.h"

namespace kmemu {

// Capability numbers (include/uapi/linux/capability.h).
inline constexpr int CAP_DAC_OVERRIDE = 1;
inline constexpr int CAP_DAC_READ_SEARCH = 2;
inline constexpr int CAP_SYS_RAWIO = 17;
inline constexpr int CAP_SYS_ADMIN = 21;
inline constexpr int CAP_SYSLOG = 34;
inline constexpr int kCapLast = 40; // CAP_CHECKPOINT_RESTORE, the last one as of 5.9-6.13

struct Cred {
    u32 uid = 0, gid = 0;
    u32 euid = 0, egid = 0;
    u32 fsuid = 0, fsgid = 0;
    u64 cap_effective = 0;

    [[nodiscard]] bool has_cap(int cap) const {
        return cap >= 0 && cap < 64 && ((cap_effective >> cap) & 1) != 0;
    }
    // Root: every capability (a full effective set).
    [[nodiscard]] static Cred root() {
        Cred c;
        c.cap_effective = (u64{1} << (kCapLast + 1)) - 1;
        return c;
    }
    // An ordinary user: ids set, no capabilities.
    [[nodiscard]] static Cred user(u32 uid, u32 gid) {
        Cred c;
        c.uid = c.euid = c.fsuid = uid;
        c.gid = c.egid = c.fsgid = gid;
        return c;
    }
};

} // namespace kmemu
