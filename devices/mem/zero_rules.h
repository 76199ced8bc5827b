// The /dev/zero and /dev/full rules that changed between versions (drivers/char/mem.c), decided
// once per machine (DESIGN.md lesson 11).
#pragma once

#include "mm/kernel_version.h"
#include "mm/types.h"

namespace kmemu {

// How read_zero clears the user buffer.
enum class ZeroReadLoop {
    // 2.6.11-2.6.30: clear_user in chunks of at most PAGE_SIZE, no signal check (2.6.11-2.6.23
    // also had the read_zero_pagealigned page-remapping shortcut for big reads, which gives the
    // same counts; it is not modelled).
    ClearUser,
    // 2.6.31-3.15: __clear_user chunks; a pending signal after a full chunk ends the read
    // ("Make /dev/zero reads interruptible", commit 2b838687, man null(4): since 2.6.31).
    ClearUserSignal,
    // 5.10+: read_zero again beside read_iter_zero: clear_user chunks, a short chunk adds its
    // cleared part and ends the read, a signal after a full chunk ends it.
    ClearUserPartial,
};

struct ZeroRules {
    u64 page_size = 4096;
    // zero_fops.read exists: up to 3.15 and again from 5.10 ("/dev/zero: also implement
    // ->read", commit 99f66735); 3.16-5.9 have only read_iter_zero (Al Viro's switch of
    // /dev/zero and /dev/full to ->read_iter in 3.16; 3.14 still has read + aio_read).
    bool zero_has_read = true;
    ZeroReadLoop read_loop = ZeroReadLoop::ClearUserPartial;
    // read_iter_zero exists (3.16+): /dev/full reads with it from then on (read_full =
    // read_zero before), and so does /dev/zero while it has no read.
    bool has_read_iter = true;
};

[[nodiscard]] ZeroRules zero_rules_for(KernelVersion version, u64 page_size);

} // namespace kmemu
