// The deterministic generator behind /dev/random and /dev/urandom (DESIGN.md decision 8): a
// ChaCha20 keystream (RFC 8439 block function, 20 rounds) whose 256-bit key is expanded from
// the machine's `random_seed` with SplitMix64. The kernel's own output cannot be reproduced
// (kernel-semantics.md §2.14); what is reproduced is sizes, blocking and errors, and the same
// seed gives the same bytes on every run.
#pragma once

#include <array>
#include <span>

#include "mm/types.h"

namespace kmemu {

class RandomGenerator {
  public:
    explicit RandomGenerator(u64 seed);

    // The next bytes of the stream.
    void generate(std::span<u8> out);
    // Fold written bytes into the key (what a write to the pool does): the stream after it
    // depends on the seed and on every byte written, in order.
    void mix(std::span<const u8> in);

    // One ChaCha20 block (exposed for the RFC 8439 test vector).
    static void chacha20_block(const std::array<u32, 8>& key, u32 counter,
                               const std::array<u32, 3>& nonce, std::span<u8, 64> out);

  private:
    void refill();

    std::array<u32, 8> m_key{};
    u32 m_counter = 0;
    std::array<u32, 3> m_nonce{};
    std::array<u8, 64> m_block{};
    size_t m_used = 64; // bytes of m_block already handed out
};

} // namespace kmemu
