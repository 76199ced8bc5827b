#include "devices/printk/siphash.h"

namespace kmemu {

namespace {

constexpr u64 rotl(u64 x, unsigned b) {
    return (x << b) | (x >> (64 - b));
}

struct SipState {
    u64 v0, v1, v2, v3;
    explicit SipState(const SiphashKey& k)
        : v0(0x736f6d6570736575ULL ^ k.k0), v1(0x646f72616e646f6dULL ^ k.k1),
          v2(0x6c7967656e657261ULL ^ k.k0), v3(0x7465646279746573ULL ^ k.k1) {}
    void round() {
        v0 += v1;
        v1 = rotl(v1, 13);
        v1 ^= v0;
        v0 = rotl(v0, 32);
        v2 += v3;
        v3 = rotl(v3, 16);
        v3 ^= v2;
        v0 += v3;
        v3 = rotl(v3, 21);
        v3 ^= v0;
        v2 += v1;
        v1 = rotl(v1, 17);
        v1 ^= v2;
        v2 = rotl(v2, 32);
    }
    void compress(u64 m) {
        v3 ^= m;
        round();
        round();
        v0 ^= m;
    }
    u64 finish() {
        v2 ^= 0xff;
        round();
        round();
        round();
        round();
        return v0 ^ v1 ^ v2 ^ v3;
    }
};

} // namespace

// An 8-byte message is one full block, then the final block holds only the length byte.
u64 siphash_1u64(u64 first, const SiphashKey& key) {
    SipState s(key);
    s.compress(first);
    s.compress(u64{8} << 56);
    return s.finish();
}

// A 4-byte message fits in the final block with the length byte.
u64 siphash_1u32(u32 first, const SiphashKey& key) {
    SipState s(key);
    s.compress((u64{4} << 56) | first);
    return s.finish();
}

} // namespace kmemu
