// ARMv6/v7 short-descriptor translation table entries (VMSAv7 short format; layouts.md C.6,
// arch/arm/include/asm/pgtable-2level-hwdef.h) as typed values with the manual's field names.
#pragma once

#include "mm/error.h"
#include "mm/paging/bits.h"
#include "mm/types.h"

namespace kmemu::paging {

namespace arm_short {
// First-level (L1) descriptor bits.
inline constexpr BitRange L1_TYPE = bits(1, 0);
inline constexpr unsigned L1_SECT_PXN = 0; // with bit 1 set: section, PXN (v7 with LPAE ext)
inline constexpr unsigned L1_SECT_TYPE_BIT = 1;
inline constexpr unsigned L1_SECT_B = 2;
inline constexpr unsigned L1_SECT_C = 3;
inline constexpr unsigned L1_SECT_XN = 4;
inline constexpr BitRange L1_DOMAIN = bits(8, 5);
inline constexpr unsigned L1_P = 9;
inline constexpr BitRange L1_SECT_AP = bits(11, 10); // AP[1:0]
inline constexpr BitRange L1_SECT_TEX = bits(14, 12);
inline constexpr unsigned L1_SECT_APX = 15;
inline constexpr unsigned L1_SECT_S = 16;
inline constexpr unsigned L1_SECT_NG = 17;
inline constexpr unsigned L1_SECT_SUPER = 18;
inline constexpr unsigned L1_SECT_NS = 19;
inline constexpr BitRange L1_SECT_BASE = bits(31, 20);
inline constexpr BitRange L1_SUPER_BASE = bits(31, 24);
inline constexpr BitRange L1_SUPER_EXT_35_32 = bits(23, 20); // PA[35:32]
inline constexpr BitRange L1_SUPER_EXT_39_36 = bits(8, 5);   // PA[39:36]
inline constexpr unsigned L1_COARSE_PXN = 2;
inline constexpr unsigned L1_COARSE_NS = 3;
inline constexpr BitRange L1_COARSE_BASE = bits(31, 10);
inline constexpr u64 L1_TYPE_FAULT = 0b00;
inline constexpr u64 L1_TYPE_COARSE = 0b01;

// Second-level (L2, coarse table) descriptor bits.
inline constexpr BitRange L2_TYPE = bits(1, 0);
inline constexpr unsigned L2_SMALL_XN = 0;
inline constexpr unsigned L2_SMALL_TYPE_BIT = 1;
inline constexpr unsigned L2_B = 2;
inline constexpr unsigned L2_C = 3;
inline constexpr BitRange L2_AP = bits(5, 4);
inline constexpr BitRange L2_SMALL_TEX = bits(8, 6);
inline constexpr unsigned L2_APX = 9;
inline constexpr unsigned L2_S = 10;
inline constexpr unsigned L2_NG = 11;
inline constexpr BitRange L2_SMALL_BASE = bits(31, 12);
inline constexpr BitRange L2_LARGE_TEX = bits(14, 12);
inline constexpr unsigned L2_LARGE_XN = 15;
inline constexpr BitRange L2_LARGE_BASE = bits(31, 16);
inline constexpr u64 L2_TYPE_LARGE = 0b01;

// Linux's names for the same bits (pgtable-2level-hwdef.h).
inline constexpr u64 PMD_TYPE_TABLE = L1_TYPE_COARSE;
inline constexpr u64 PMD_TYPE_SECT = bit(L1_SECT_TYPE_BIT);
inline constexpr u64 PMD_BIT4 = bit(4);
inline constexpr u64 PMD_SECT_BUFFERABLE = bit(L1_SECT_B);
inline constexpr u64 PMD_SECT_CACHEABLE = bit(L1_SECT_C);
inline constexpr u64 PMD_SECT_XN = bit(L1_SECT_XN);
inline constexpr u64 PMD_SECT_AP_WRITE = bit(10);
inline constexpr u64 PMD_SECT_AP_READ = bit(11);
inline constexpr u64 PMD_SECT_APX = bit(L1_SECT_APX);
inline constexpr u64 PMD_SECT_S = bit(L1_SECT_S);
inline constexpr u64 PMD_SECT_nG = bit(L1_SECT_NG);
inline constexpr u64 PMD_SECT_SUPER = bit(L1_SECT_SUPER);
[[nodiscard]] constexpr u64 PMD_DOMAIN(unsigned d) {
    return L1_DOMAIN.put(0, d);
}
inline constexpr u64 PTE_TYPE_SMALL = bit(L2_SMALL_TYPE_BIT);
inline constexpr u64 PTE_EXT_XN = bit(L2_SMALL_XN);
inline constexpr u64 PTE_BUFFERABLE = bit(L2_B);
inline constexpr u64 PTE_CACHEABLE = bit(L2_C);
inline constexpr u64 PTE_EXT_AP0 = bit(L2_AP.lo);
inline constexpr u64 PTE_EXT_AP1 = bit(L2_AP.lo + 1u);
[[nodiscard]] constexpr u64 PTE_EXT_TEX(unsigned x) {
    return L2_SMALL_TEX.put(0, x);
}
inline constexpr u64 PTE_EXT_APX = bit(L2_APX);
inline constexpr u64 PTE_EXT_SHARED = bit(L2_S);
inline constexpr u64 PTE_EXT_NG = bit(L2_NG);
} // namespace arm_short

// A section (1 MiB) or supersection (16 MiB) L1 entry.
struct ArmSection {
    bool supersection = false;
    bool pxn = false;
    bool b = false;
    bool c = false;
    bool xn = false;
    u8 domain = 0; // sections only; a supersection is always domain 0
    bool p = false;
    u8 ap = 0; // AP[1:0]
    u8 tex = 0;
    bool apx = false;
    bool s = false;
    bool ng = false;
    bool ns = false;
    PhysAddr base; // up to 40 bits for a supersection
    bool operator==(const ArmSection&) const = default;
};

// An L1 entry pointing at a 256-entry coarse (L2) table.
struct ArmCoarseTable {
    bool pxn = false;
    bool ns = false;
    u8 domain = 0;
    bool p = false;
    PhysAddr base; // 1 KiB aligned
    bool operator==(const ArmCoarseTable&) const = default;
};

// A small (4 KiB, "extended small page") or large (64 KiB) L2 entry.
struct ArmPage {
    bool large = false;
    bool xn = false;
    bool b = false;
    bool c = false;
    u8 ap = 0;
    u8 tex = 0;
    bool apx = false;
    bool s = false;
    bool ng = false;
    PhysAddr base;
    bool operator==(const ArmPage&) const = default;
};

[[nodiscard]] ErrorOr<u32> encode_arm_section(const ArmSection& e);
[[nodiscard]] ErrorOr<u32> encode_arm_coarse(const ArmCoarseTable& e);
[[nodiscard]] ErrorOr<u32> encode_arm_page(const ArmPage& e);
// Decoders take the raw word as the hardware sees it; callers check the type bits first.
[[nodiscard]] ArmSection decode_arm_section(u32 raw);
[[nodiscard]] ArmCoarseTable decode_arm_coarse(u32 raw);
[[nodiscard]] ArmPage decode_arm_page(u32 raw);

} // namespace kmemu::paging
