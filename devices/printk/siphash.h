// SipHash-2-4 (Aumasson and Bernstein) of one 64-bit or 32-bit word, as lib/siphash.c's
// siphash_1u64 / siphash_1u32 compute it: the word is the little-endian message.
#pragma once

#include "mm/types.h"

namespace kmemu {

struct SiphashKey {
    u64 k0 = 0, k1 = 0;
};

[[nodiscard]] u64 siphash_1u64(u64 first, const SiphashKey& key);
[[nodiscard]] u64 siphash_1u32(u32 first, const SiphashKey& key);

} // namespace kmemu
