// Long-format translation table descriptors: ARMv7 LPAE (layouts.md C.7,
// arch/arm/include/asm/pgtable-3level-hwdef.h) and VMSAv8-64 stage 1 (layouts.md D.4,
// arch/arm64/include/asm/pgtable-hwdef.h). Both share one bit layout; they differ in the
// output-address field (40-bit PA on LPAE; granule-dependent, 52-bit with 64K, on arm64).
#pragma once

#include "mm/error.h"
#include "mm/paging/bits.h"
#include "mm/types.h"

namespace kmemu::paging {

namespace arm_long {
inline constexpr BitRange TYPE = bits(1, 0);
inline constexpr unsigned VALID = 0;
inline constexpr unsigned TABLE_OR_PAGE = 1; // with VALID: table (levels 0-2) / page (last)
inline constexpr BitRange ATTR_INDX = bits(4, 2);
inline constexpr unsigned NS = 5;
inline constexpr BitRange AP = bits(7, 6); // AP[2:1]
inline constexpr unsigned AP_USER = 6;     // AP[1]: EL0/PL0 access
inline constexpr unsigned AP_RDONLY = 7;   // AP[2]
inline constexpr BitRange SH = bits(9, 8);
inline constexpr unsigned AF = 10;
inline constexpr unsigned NG = 11;
inline constexpr unsigned GP = 50;  // arm64 BTI guarded page
inline constexpr unsigned DBM = 51; // arm64 dirty bit modifier (Linux PTE_WRITE)
inline constexpr unsigned CONT = 52;
inline constexpr unsigned PXN = 53;
inline constexpr unsigned XN = 54; // UXN on arm64
inline constexpr BitRange SOFTWARE = bits(58, 55);
inline constexpr unsigned PXN_TABLE = 59;
inline constexpr unsigned XN_TABLE = 60; // UXNTable on arm64
inline constexpr BitRange AP_TABLE = bits(62, 61);
inline constexpr unsigned AP_TABLE_NO_EL0 = 61; // APTable[0]
inline constexpr unsigned AP_TABLE_RDONLY = 62; // APTable[1]
inline constexpr unsigned NS_TABLE = 63;
inline constexpr u64 TYPE_BLOCK = bit(VALID);
inline constexpr u64 TYPE_TABLE = bit(VALID) | bit(TABLE_OR_PAGE);
// 64K granule: PA[51:48] sit in bits 15:12 (D.4).
inline constexpr BitRange OA_51_48_64K = bits(15, 12);
// Linux software bits (arm64 pgtable-prot.h; LPAE pgtable-3level.h uses 55 DIRTY, 58 RDONLY).
inline constexpr unsigned PTE_DIRTY = 55;
inline constexpr unsigned PTE_SPECIAL = 56;
} // namespace arm_long

// The output-address encoding of a long descriptor.
enum class LongAddressing : u8 {
    Lpae40,     // ARMv7 LPAE: OA bits 39:12 (bits 47:40 must be zero)
    Granule4K,  // arm64: OA bits 47:12
    Granule16K, // arm64: OA bits 47:14
    Granule64K, // arm64: OA bits 47:16, PA[51:48] in bits 15:12
};

enum class LongDescriptorType : u8 { Invalid, Block, Table, Page };

struct LongDescriptor {
    LongDescriptorType type = LongDescriptorType::Invalid;
    // Block and page attributes.
    u8 attr_indx = 0;
    bool ns = false;
    u8 ap = 0; // AP[2:1]: bit 0 of this field is AP[1] (user), bit 1 is AP[2] (read-only)
    u8 sh = 0;
    bool af = false;
    bool ng = false;
    bool gp = false;
    bool dbm = false;
    bool contiguous = false;
    bool pxn = false;
    bool xn = false;
    u8 software = 0; // bits 58:55
    // Table attributes (table descriptors only).
    bool pxn_table = false;
    bool xn_table = false;
    u8 ap_table = 0;
    bool ns_table = false;
    PhysAddr address; // next table, block or page
    bool operator==(const LongDescriptor&) const = default;
};

// Encodes; the address must be aligned to `output_shift` (the page, block or table
// granule) and fit the addressing's OA field; table fields on a leaf (or leaf fields on a
// table) are an error.
[[nodiscard]] ErrorOr<u64> encode_long(const LongDescriptor& d, LongAddressing addressing,
                                       unsigned output_shift);
// Decodes with the type the caller knows from the level (`last_level` decides whether
// bits[1:0] = 11 is a page or a table).
[[nodiscard]] LongDescriptor decode_long(u64 raw, LongAddressing addressing, unsigned output_shift,
                                         bool last_level);
// The output address of a raw descriptor, aligned down to `output_shift`.
[[nodiscard]] u64 long_output_address(u64 raw, LongAddressing addressing, unsigned output_shift);

} // namespace kmemu::paging
