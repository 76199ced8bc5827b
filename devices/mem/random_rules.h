// The /dev/random and /dev/urandom rules that changed between versions (drivers/char/random.c),
// decided once per machine. Rules follow the mainline release that changed them; the 2022
// backport of the whole random.c rewrite to the then-maintained stable series is not modelled.
#pragma once

#include "mm/kernel_version.h"
#include "mm/types.h"

namespace kmemu {

struct RandomRules {
    // /dev/random reads the entropy-counted blocking pool, at most SEC_XFER_SIZE (512) bytes a
    // call, and waits (or -EAGAIN) when it is empty: up to 5.5. 5.6 removed the blocking pool
    // ("random: remove the blocking pool"): /dev/random waits for the CRNG, then reads as
    // /dev/urandom does.
    bool blocking_pool = false;
    // urandom_read's cap min(count, INT_MAX >> (ENTROPY_SHIFT + 3)) = 33554431 bytes: 3.13
    // (fractional entropy, ENTROPY_SHIFT) to 5.17; 0 means no cap (before 3.13, and from 5.18's
    // get_random_bytes_user).
    u64 urandom_max = 0;
    // 5.18+ ("random: allow partial reads if later user copies fail"): a fault returns the bytes
    // copied so far (-EFAULT only when none); before, any fault is -EFAULT. 5.18 also checks for
    // signals after every PAGE_SIZE ("random: check for signal_pending() outside of
    // need_resched() check"); before, the check waited on need_resched, which never holds here.
    bool partial_reads = true;
    // 5.19+ write_iter (write_pool_user): bytes mixed so far on a fault, signal check every
    // PAGE_SIZE; before, any fault fails the whole write with -EFAULT.
    bool partial_writes = true;
    // read_iter/write_iter instead of read/write (5.19, "random: convert to using
    // fops->read_iter()"); same results for the single-buffer calls modelled.
    bool iter_fops = true;
    // .llseek = noop_llseek from 2.6.37 (the llseek sweep); before, none: the VFS's
    // default_llseek moves f_pos.
    bool noop_llseek = true;
    // RNDGETENTCNT reports the pool's init_bits, which saturate at 256 (5.18+); before, the
    // input pool's entropy count in bits.
    bool entcnt_saturates = true;
    // RNDZAPENTCNT / RNDCLEARPOOL zero the entropy count (before 5.18; no effect after).
    bool zap_clears = false;
    u64 page_size = 4096;
};

[[nodiscard]] RandomRules random_rules_for(KernelVersion version, u64 page_size);

// The deterministic entropy model of the blocking-pool era: the pool starts full (4096 bits,
// the input pool's size), each /dev/random read debits 8 bits per byte it returns, and only
// RNDADDTOENTCNT credits bits back (nothing else runs while a call is made).
inline constexpr u32 kPoolBits = 4096;
inline constexpr u32 kSecXferSize = 512;
inline constexpr u32 kSaturatedEntropyBits = 256;

} // namespace kmemu
