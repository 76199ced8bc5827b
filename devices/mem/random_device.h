// /dev/random (minor 8) and /dev/urandom (minor 9) (drivers/char/random.c random_fops,
// urandom_fops) over a seeded deterministic generator (random_generator.h). Sizes, blocking,
// errno values and file positions are the version's (random_rules.h); the bytes are kmemu's.
// Neither device has mmap; read and write never move f_pos.
//
// A /dev/random read that the kernel would put to sleep (empty blocking pool, no O_NONBLOCK,
// up to 5.5) cannot sleep here: nothing could ever add entropy while the call waits. It returns
// -ERESTARTSYS, what the sleep returns when a signal ends it, and is counted in
// RandomPoolView::blocked_reads so a script or test can tell it would have blocked.
#pragma once

#include "devices/mem/mem_major.h"
#include "devices/mem/random_rules.h"

namespace kmemu {

[[nodiscard]] MemMinor random_minor();
[[nodiscard]] MemMinor urandom_minor();

// The seed when the machine sets no `random_seed`.
inline constexpr u64 kDefaultRandomSeed = 0x6b6d656d75726e67ULL;

// random_ioctl commands (include/uapi/linux/random.h).
inline constexpr unsigned RNDGETENTCNT = 0x80045200;   // _IOR('R', 0x00, int)
inline constexpr unsigned RNDADDTOENTCNT = 0x40045201; // _IOW('R', 0x01, int)
inline constexpr unsigned RNDZAPENTCNT = 0x5204;       // _IO('R', 0x04)
inline constexpr unsigned RNDCLEARPOOL = 0x5206;       // _IO('R', 0x06)

[[nodiscard]] const RandomRules& random_rules(DeviceKernel& kernel);

struct RandomPoolView {
    u32 entropy_bits = 0;  // the entropy model's count (blocking-pool era)
    u64 blocked_reads = 0; // /dev/random reads that would have slept forever
};
[[nodiscard]] RandomPoolView random_pool(DeviceKernel& kernel);

} // namespace kmemu
