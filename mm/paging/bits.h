// Named bit positions and bit ranges for descriptor formats (DESIGN.md lesson 2): every mask in
// mm/paging is derived from a position or a "hi:lo" range written as the manuals write it, never
// typed in as a hex constant.
#pragma once

#include "mm/types.h"

namespace kmemu::paging {

[[nodiscard]] constexpr u64 bit(unsigned n) {
    return u64{1} << n;
}

// Bits lo .. lo+width-1 of a descriptor (width 0 = an empty range, matches nothing).
struct BitRange {
    u8 lo = 0;
    u8 width = 0;

    [[nodiscard]] constexpr u64 mask() const {
        if (width == 0)
            return 0;
        const u64 ones = width >= 64 ? ~u64{0} : (u64{1} << width) - 1;
        return ones << lo;
    }
    [[nodiscard]] constexpr u64 get(u64 raw) const { return (raw & mask()) >> lo; }
    [[nodiscard]] constexpr u64 put(u64 raw, u64 value) const {
        return (raw & ~mask()) | ((value << lo) & mask());
    }
    // True when `value` fits in the range's width.
    [[nodiscard]] constexpr bool fits(u64 value) const {
        return width >= 64 || value < (u64{1} << width);
    }
    [[nodiscard]] constexpr unsigned hi() const { return lo + width - 1u; }
};

// The manuals' "bits hi:lo" notation.
[[nodiscard]] constexpr BitRange bits(unsigned hi, unsigned lo) {
    return BitRange{static_cast<u8>(lo), static_cast<u8>(hi - lo + 1)};
}
[[nodiscard]] constexpr BitRange one_bit(unsigned n) {
    return bits(n, n);
}
// Mask of bits [hi:lo]; for callers that only need the mask.
[[nodiscard]] constexpr u64 bit_mask(unsigned hi, unsigned lo) {
    return bits(hi, lo).mask();
}

[[nodiscard]] constexpr bool test(u64 raw, unsigned n) {
    return (raw & bit(n)) != 0;
}
[[nodiscard]] constexpr u64 with_bit(u64 raw, unsigned n, bool on) {
    return on ? (raw | bit(n)) : (raw & ~bit(n));
}

static_assert(bits(31, 12).mask() == 0xfffff000u);
static_assert(bits(63, 0).mask() == ~u64{0});
static_assert(bits(51, 12).mask() == 0x000ffffffffff000u);

} // namespace kmemu::paging
