#include "devices/mem/random_generator.h"

#include <algorithm>
#include <bit>

namespace kmemu {

namespace {

u64 splitmix64(u64& state) {
    u64 z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void quarter_round(std::array<u32, 16>& x, unsigned a, unsigned b, unsigned c, unsigned d) {
    x[a] += x[b];
    x[d] = std::rotl(x[d] ^ x[a], 16);
    x[c] += x[d];
    x[b] = std::rotl(x[b] ^ x[c], 12);
    x[a] += x[b];
    x[d] = std::rotl(x[d] ^ x[a], 8);
    x[c] += x[d];
    x[b] = std::rotl(x[b] ^ x[c], 7);
}

} // namespace

void RandomGenerator::chacha20_block(const std::array<u32, 8>& key, u32 counter,
                                     const std::array<u32, 3>& nonce, std::span<u8, 64> out) {
    // "expand 32-byte k", key, block counter, nonce (RFC 8439 §2.3).
    std::array<u32, 16> state{0x61707865, 0x3320646e, 0x79622d32, 0x6b206574};
    std::copy(key.begin(), key.end(), state.begin() + 4);
    state[12] = counter;
    std::copy(nonce.begin(), nonce.end(), state.begin() + 13);
    std::array<u32, 16> x = state;
    for (int round = 0; round < 10; ++round) {
        quarter_round(x, 0, 4, 8, 12);
        quarter_round(x, 1, 5, 9, 13);
        quarter_round(x, 2, 6, 10, 14);
        quarter_round(x, 3, 7, 11, 15);
        quarter_round(x, 0, 5, 10, 15);
        quarter_round(x, 1, 6, 11, 12);
        quarter_round(x, 2, 7, 8, 13);
        quarter_round(x, 3, 4, 9, 14);
    }
    for (size_t i = 0; i < 16; ++i) {
        const u32 w = x[i] + state[i];
        for (size_t b = 0; b < 4; ++b)
            out[4 * i + b] = static_cast<u8>(w >> (8 * b));
    }
}

RandomGenerator::RandomGenerator(u64 seed) {
    u64 s = seed;
    for (size_t i = 0; i < 4; ++i) {
        const u64 w = splitmix64(s);
        m_key[2 * i] = static_cast<u32>(w);
        m_key[2 * i + 1] = static_cast<u32>(w >> 32);
    }
}

void RandomGenerator::refill() {
    chacha20_block(m_key, m_counter, m_nonce, m_block);
    if (++m_counter == 0)
        ++m_nonce[0]; // 2^32 blocks: move to the next nonce, the stream never repeats
    m_used = 0;
}

void RandomGenerator::generate(std::span<u8> out) {
    size_t done = 0;
    while (done < out.size()) {
        if (m_used == m_block.size())
            refill();
        const size_t n = std::min(out.size() - done, m_block.size() - m_used);
        std::copy_n(m_block.begin() + static_cast<std::ptrdiff_t>(m_used), n,
                    out.begin() + static_cast<std::ptrdiff_t>(done));
        m_used += n;
        done += n;
    }
}

void RandomGenerator::mix(std::span<const u8> in) {
    if (in.empty())
        return;
    std::array<u32, 8> folded = m_key;
    for (size_t i = 0; i < in.size(); ++i)
        folded[(i / 4) % 8] ^= static_cast<u32>(in[i]) << (8 * (i % 4));
    // The new key is the first half of a block under the folded key, with a nonce of its own
    // so it never equals an output block.
    std::array<u8, 64> block{};
    chacha20_block(folded, static_cast<u32>(in.size()), {0x6d69782d, 0, 0}, block);
    for (size_t i = 0; i < 8; ++i)
        m_key[i] = static_cast<u32>(block[4 * i]) | static_cast<u32>(block[4 * i + 1]) << 8 |
                   static_cast<u32>(block[4 * i + 2]) << 16 |
                   static_cast<u32>(block[4 * i + 3]) << 24;
    m_counter = 0;
    m_nonce = {};
    m_used = m_block.size();
}

} // namespace kmemu
