// Page-table formats as data (DESIGN.md decision 3, lesson 2). A PagingFormat lists the levels a
// walk goes through, each level's index bits, and for each level the kinds of entry it may hold
// (table, page, block, section...), how an entry's type is recognised, which bits carry the
// output address and which bits must be zero. The one walker (walk.h) reads these tables; no
// format has a walker of its own.
#pragma once

#include <array>
#include <string_view>

#include "mm/arch.h"
#include "mm/error.h"
#include "mm/paging/bits.h"
#include "mm/paging/long_descriptor.h"
#include "mm/paging/table_memory.h"
#include "mm/types.h"

namespace kmemu::paging {

// Decides how entry attributes combine into permissions (walk.cpp); the layout of each family
// is the typed entry of x86_entry.h, arm_short_entry.h or long_descriptor.h.
enum class DescriptorFamily : u8 { X86, ArmShort, ArmLong };

// How a virtual address selects a root and which of its bits must be what.
enum class VaSplit : u8 {
    Single32,      // 32-bit VA, one root (x86 CR3; ARM classic with TTBCR.N = 0)
    X86Canonical,  // bits 63..va_bits-1 all equal bit va_bits-1, else #GP
    Arm64TtbrPair, // bits 63..va_bits all 0 -> TTBR0, all 1 -> TTBR1, else fault
    LpaeT1sz,      // 32-bit VA; top T1SZ bits all 1 -> TTBR1 (when T1SZ > 0), else TTBR0
};

enum class EntryRole : u8 { Table, Leaf };

// Entry bits [src] hold output-address bits starting at dst_lo.
struct AddressPiece {
    BitRange src;
    u8 dst_lo = 0;
};

struct EntryKind {
    std::string_view name; // the manual's word: "4K page", "section", "block", "table"
    u64 match_mask = 0;    // the entry is of this kind when (raw & match_mask) == match_value
    u64 match_value = 0;
    EntryRole role = EntryRole::Table;
    u8 size_shift = 0; // leaf: log2 of the page/block size; table: log2 of the next table's
                       // alignment
    std::array<AddressPiece, 3> address{};
    u8 pieces = 0;
    u64 reserved = 0; // bits that must be zero when the entry is of this kind
};

struct LevelFormat {
    std::string_view name;       // the manual's: "PML4E", "L1", "level 2"
    std::string_view linux_name; // "pgd", "p4d", "pud", "pmd", "pte"
    u8 arch_level = 0;           // number the architecture gives the level in fault reports
    u8 index_shift = 0;
    u8 index_bits = 0; // entries per table = 2^index_bits (for a full-size table)
    std::array<EntryKind, 3> kinds{};
    u8 kind_count = 0;
    bool sets_accessed = false; // x86: the CPU sets A in entries of this level

    [[nodiscard]] constexpr u64 entries() const { return u64{1} << index_bits; }
};

struct PagingFormat {
    std::string_view name;
    DescriptorFamily family = DescriptorFamily::X86;
    DescriptorWidth width = DescriptorWidth::Bytes8;
    VaSplit split = VaSplit::Single32;
    u8 va_bits = 32;
    u8 page_shift = 12;
    u8 max_pa_bits = 32; // the widest output address the format can encode
    u8 level_count = 0;
    std::array<LevelFormat, 5> levels{};
    bool has_nx = false;                   // x86: entries have bit 63 (XD)
    bool el0_writable_implies_pxn = false; // arm64: EL1 never executes EL0-writable memory
    bool xn_is_uxn = false;                // arm64: bit 54 stops EL0 only (LPAE: both)
    LongAddressing long_addressing = LongAddressing::Lpae40;

    [[nodiscard]] constexpr unsigned entry_bytes() const { return byte_count(width); }
    [[nodiscard]] constexpr u64 table_bytes(unsigned level) const {
        return levels[level].entries() * entry_bytes();
    }
};

// --- the formats -------------------------------------------------------------------------------

namespace detail {

constexpr EntryKind kind(std::string_view name, u64 mask, u64 value, EntryRole role, unsigned size,
                         BitRange addr, u64 reserved = 0) {
    EntryKind k;
    k.name = name;
    k.match_mask = mask;
    k.match_value = value;
    k.role = role;
    k.size_shift = static_cast<u8>(size);
    k.address[0] = AddressPiece{addr, addr.lo};
    k.pieces = 1;
    k.reserved = reserved;
    return k;
}
constexpr EntryKind with_piece(EntryKind k, BitRange src, unsigned dst_lo) {
    k.address[k.pieces] = AddressPiece{src, static_cast<u8>(dst_lo)};
    ++k.pieces;
    return k;
}
constexpr LevelFormat level(std::string_view name, std::string_view linux_name, unsigned arch_level,
                            unsigned shift, unsigned index_bits, bool sets_accessed, EntryKind k0,
                            EntryKind k1 = {}, EntryKind k2 = {}) {
    LevelFormat l;
    l.name = name;
    l.linux_name = linux_name;
    l.arch_level = static_cast<u8>(arch_level);
    l.index_shift = static_cast<u8>(shift);
    l.index_bits = static_cast<u8>(index_bits);
    l.sets_accessed = sets_accessed;
    l.kinds = {k0, k1, k2};
    l.kind_count = static_cast<u8>(1 + (k1.pieces ? 1 : 0) + (k2.pieces ? 1 : 0));
    return l;
}

// x86 (Intel SDM vol. 3 ch. 4; layouts.md A.10). P = bit 0, PS = bit 7.
inline constexpr u64 kP = bit(0);
inline constexpr u64 kPs = bit(7);
inline constexpr u64 kPaeHighReserved = bit_mask(62, 52); // PAE: reserved, not ignored
inline constexpr u64 kPdpteReserved = bit_mask(2, 1) | bit_mask(8, 5) | bit(63);

// At a level that also holds large pages PS chooses the kind; where PS is reserved (PML4E,
// PML5E) any present entry is a table and PS is checked as a reserved bit.
constexpr EntryKind x86_table(BitRange addr, u64 reserved = 0) {
    const u64 mask = (reserved & kPs) != 0 ? kP : kP | kPs;
    return kind("table", mask, kP, EntryRole::Table, 12, addr, reserved);
}
constexpr EntryKind x86_large(std::string_view name, unsigned shift, u64 reserved) {
    return kind(name, kP | kPs, kP | kPs, EntryRole::Leaf, shift, bits(51, shift),
                reserved | bit_mask(shift - 1, 13));
}
constexpr EntryKind x86_page(BitRange addr, u64 reserved = 0) {
    return kind("4K page", kP, kP, EntryRole::Leaf, 12, addr, reserved);
}

constexpr PagingFormat x86_64_format(bool la57) {
    PagingFormat f;
    f.name = la57 ? "x86_64 5-level" : "x86_64 4-level";
    f.family = DescriptorFamily::X86;
    f.width = DescriptorWidth::Bytes8;
    f.split = VaSplit::X86Canonical;
    f.va_bits = la57 ? 57 : 48;
    f.max_pa_bits = 52;
    f.has_nx = true;
    const BitRange a = bits(51, 12);
    const LevelFormat pml4 =
        level("PML4E", la57 ? "p4d" : "pgd", 4, 39, 9, true, x86_table(a, kPs));
    const LevelFormat pdpt =
        level("PDPTE", "pud", 3, 30, 9, true, x86_large("1G page", 30, 0), x86_table(a));
    const LevelFormat pd =
        level("PDE", "pmd", 2, 21, 9, true, x86_large("2M page", 21, 0), x86_table(a));
    const LevelFormat pt = level("PTE", "pte", 1, 12, 9, true, x86_page(a));
    if (la57) {
        f.level_count = 5;
        f.levels = {level("PML5E", "pgd", 5, 48, 9, true, x86_table(a, kPs)), pml4, pdpt, pd, pt};
    } else {
        f.level_count = 4;
        f.levels = {pml4, pdpt, pd, pt, LevelFormat{}};
    }
    return f;
}

constexpr PagingFormat i386_pae_format() {
    PagingFormat f;
    f.name = "i386 PAE";
    f.width = DescriptorWidth::Bytes8;
    f.max_pa_bits = 52;
    f.has_nx = true;
    f.level_count = 3;
    const BitRange a = bits(51, 12);
    // The CPU loads the 4 PDPTEs with CR3 (a reserved bit there is a #GP at MOV CR3; kmemu
    // reports it as a reserved-bit fault of the walk). PDPTEs have no A bit; PS is reserved.
    EntryKind pdpte =
        kind("page directory", kP, kP, EntryRole::Table, 12, a, kPdpteReserved | kPaeHighReserved);
    f.levels = {level("PDPTE", "pgd", 3, 30, 2, false, pdpte),
                level("PDE", "pmd", 2, 21, 9, true, x86_large("2M page", 21, kPaeHighReserved),
                      x86_table(a, kPaeHighReserved)),
                level("PTE", "pte", 1, 12, 9, true, x86_page(a, kPaeHighReserved)), LevelFormat{},
                LevelFormat{}};
    return f;
}

constexpr PagingFormat i386_format() {
    PagingFormat f;
    f.name = "i386 2-level";
    f.width = DescriptorWidth::Bytes4;
    f.max_pa_bits = 40; // PSE-36 4 MiB pages reach PA[39:32]
    f.level_count = 2;
    const BitRange a = bits(31, 12);
    // 4 MiB page (CR4.PSE, which Linux sets): PA[31:22] in 31:22, PA[39:32] in 20:13, bit 21
    // reserved.
    EntryKind large =
        kind("4M page", kP | kPs, kP | kPs, EntryRole::Leaf, 22, bits(31, 22), bit(21));
    large = with_piece(large, bits(20, 13), 32);
    f.levels = {level("PDE", "pgd", 2, 22, 10, true, large, x86_table(a)),
                level("PTE", "pte", 1, 12, 10, true, x86_page(a)), LevelFormat{}, LevelFormat{},
                LevelFormat{}};
    return f;
}

// ARM short descriptor (ARM ARM v7 B3.5; layouts.md C.6). L1 bit 1 set = section or
// supersection (bit 0 is then PXN), bit 18 chooses; 01 = coarse table. L2 bit 1 set = small
// page (bit 0 is XN), 01 = large page.
constexpr PagingFormat arm_short_format() {
    PagingFormat f;
    f.name = "ARM short-descriptor";
    f.family = DescriptorFamily::ArmShort;
    f.width = DescriptorWidth::Bytes4;
    f.max_pa_bits = 40;
    f.level_count = 2;
    const u64 sect = bit(1) | bit(18);
    EntryKind super = kind("supersection", sect, sect, EntryRole::Leaf, 24, bits(31, 24));
    super = with_piece(with_piece(super, bits(23, 20), 32), bits(8, 5), 36);
    const EntryKind section = kind("section", sect, bit(1), EntryRole::Leaf, 20, bits(31, 20));
    const EntryKind coarse =
        kind("coarse page table", bit_mask(1, 0), 0b01, EntryRole::Table, 10, bits(31, 10));
    const EntryKind small = kind("small page", bit(1), bit(1), EntryRole::Leaf, 12, bits(31, 12));
    const EntryKind large =
        kind("large page", bit_mask(1, 0), 0b01, EntryRole::Leaf, 16, bits(31, 16));
    f.levels = {level("L1", "pgd", 1, 20, 12, false, super, section, coarse),
                level("L2", "pte", 2, 12, 8, false, small, large), LevelFormat{}, LevelFormat{},
                LevelFormat{}};
    return f;
}

// Long descriptors: 11 = table (page at the last level), 01 = block where the level allows.
inline constexpr u64 kLongType = bit_mask(1, 0);

constexpr EntryKind long_kind(std::string_view name, u64 type, EntryRole role, unsigned shift,
                              unsigned oa_top, bool pa_51_48_in_15_12) {
    EntryKind k = kind(name, kLongType, type, role, shift, bits(oa_top, shift));
    if (pa_51_48_in_15_12)
        k = with_piece(k, arm_long::OA_51_48_64K, 48);
    return k;
}

constexpr PagingFormat arm_lpae_format() {
    PagingFormat f;
    f.name = "ARM LPAE";
    f.family = DescriptorFamily::ArmLong;
    f.width = DescriptorWidth::Bytes8;
    f.split = VaSplit::LpaeT1sz;
    f.max_pa_bits = 40;
    f.long_addressing = LongAddressing::Lpae40;
    f.level_count = 3;
    // OA read from 47:.. so that bits 47:40 set give an address size fault (PA is 40 bits).
    auto table = long_kind("table", 0b11, EntryRole::Table, 12, 47, false);
    f.levels = {level("level 1", "pgd", 1, 30, 2, false,
                      long_kind("1G block", 0b01, EntryRole::Leaf, 30, 47, false), table),
                level("level 2", "pmd", 2, 21, 9, false,
                      long_kind("2M block", 0b01, EntryRole::Leaf, 21, 47, false), table),
                level("level 3", "pte", 3, 12, 9, false,
                      long_kind("page", 0b11, EntryRole::Leaf, 12, 47, false)),
                LevelFormat{}, LevelFormat{}};
    return f;
}

// arm64 (D.1): bits per level = PAGE_SHIFT - 3; level n resolves VA bits from
// shift(n) = (PAGE_SHIFT - 3) * (4 - n) + 3; ARM64_HW_PGTABLE_LEVELS = (VA_BITS - 4) /
// (PAGE_SHIFT - 3); the first level takes what is left of VA_BITS. Blocks: level 1 (4K only)
// and level 2.
constexpr PagingFormat arm64_format(unsigned page_shift, unsigned va_bits, std::string_view name) {
    PagingFormat f;
    f.name = name;
    f.family = DescriptorFamily::ArmLong;
    f.width = DescriptorWidth::Bytes8;
    f.split = VaSplit::Arm64TtbrPair;
    f.va_bits = static_cast<u8>(va_bits);
    f.page_shift = static_cast<u8>(page_shift);
    f.el0_writable_implies_pxn = true;
    f.xn_is_uxn = true;
    const bool g64 = page_shift == 16;
    f.max_pa_bits = g64 ? 52 : 48;
    f.long_addressing = page_shift == 12   ? LongAddressing::Granule4K
                        : page_shift == 14 ? LongAddressing::Granule16K
                                           : LongAddressing::Granule64K;
    const unsigned bpl = page_shift - 3;
    const unsigned count = (va_bits - 4) / bpl;
    f.level_count = static_cast<u8>(count);
    constexpr std::string_view names[] = {"level 0", "level 1", "level 2", "level 3"};
    constexpr std::string_view linux4[] = {"pgd", "pud", "pmd", "pte"};
    constexpr std::string_view linux3[] = {"", "pgd", "pmd", "pte"};
    constexpr std::string_view linux2[] = {"", "", "pgd", "pte"};
    for (unsigned i = 0; i < count; ++i) {
        const unsigned n = 4 - count + i;
        const unsigned shift = bpl * (4 - n) + 3;
        const unsigned index_bits = i == 0 ? va_bits - shift : bpl;
        const std::string_view lname = count == 4 ? linux4[n] : count == 3 ? linux3[n] : linux2[n];
        const EntryKind table = long_kind("table", 0b11, EntryRole::Table, page_shift, 47, g64);
        if (n == 3) {
            f.levels[i] = level(names[n], lname, n, shift, index_bits, false,
                                long_kind("page", 0b11, EntryRole::Leaf, page_shift, 47, g64));
        } else if (n == 2 || (n == 1 && page_shift == 12)) {
            f.levels[i] = level(names[n], lname, n, shift, index_bits, false,
                                long_kind("block", 0b01, EntryRole::Leaf, shift, 47, g64), table);
        } else {
            f.levels[i] = level(names[n], lname, n, shift, index_bits, false, table);
        }
    }
    return f;
}

} // namespace detail

inline constexpr PagingFormat kI386 = detail::i386_format();
inline constexpr PagingFormat kI386Pae = detail::i386_pae_format();
inline constexpr PagingFormat kX86_64 = detail::x86_64_format(false);
inline constexpr PagingFormat kX86_64La57 = detail::x86_64_format(true);
inline constexpr PagingFormat kArmShort = detail::arm_short_format();
inline constexpr PagingFormat kArmLpae = detail::arm_lpae_format();
inline constexpr PagingFormat kArm64_4K_39 = detail::arm64_format(12, 39, "arm64 4K VA39");
inline constexpr PagingFormat kArm64_4K_48 = detail::arm64_format(12, 48, "arm64 4K VA48");
inline constexpr PagingFormat kArm64_16K_47 = detail::arm64_format(14, 47, "arm64 16K VA47");
inline constexpr PagingFormat kArm64_16K_48 = detail::arm64_format(14, 48, "arm64 16K VA48");
inline constexpr PagingFormat kArm64_64K_42 = detail::arm64_format(16, 42, "arm64 64K VA42");
inline constexpr PagingFormat kArm64_64K_48 = detail::arm64_format(16, 48, "arm64 64K VA48");

// Table sizes are what the kernels allocate: one 4 KiB page per x86 table (the PAE PDPT is
// 32 bytes), the 16 KiB ARM L1 table and its 1 KiB L2 tables, the 32-byte LPAE PGD.
static_assert(kI386.entry_bytes() == 4 && kI386.table_bytes(0) == 4096 &&
              kI386.table_bytes(1) == 4096);
static_assert(kI386Pae.entry_bytes() == 8 && kI386Pae.table_bytes(0) == 32 &&
              kI386Pae.table_bytes(1) == 4096 && kI386Pae.table_bytes(2) == 4096);
static_assert(kX86_64.entry_bytes() == 8 && kX86_64.table_bytes(0) == 4096 &&
              kX86_64.table_bytes(3) == 4096 && kX86_64La57.level_count == 5);
static_assert(kArmShort.entry_bytes() == 4 && kArmShort.table_bytes(0) == 16 * KiB &&
              kArmShort.table_bytes(1) == 1 * KiB);
static_assert(kArmLpae.entry_bytes() == 8 && kArmLpae.table_bytes(0) == 32 &&
              kArmLpae.table_bytes(1) == 4096 && kArmLpae.table_bytes(2) == 4096);
static_assert(kArm64_4K_48.level_count == 4 && kArm64_4K_39.level_count == 3 &&
              kArm64_16K_47.level_count == 3 && kArm64_16K_48.level_count == 4 &&
              kArm64_64K_42.level_count == 2 && kArm64_64K_48.level_count == 3);
static_assert(kArm64_4K_48.table_bytes(3) == 4096 && kArm64_16K_48.table_bytes(3) == 16 * KiB &&
              kArm64_64K_48.table_bytes(2) == 64 * KiB);

// The arm64 format for a granule (PAGE_SHIFT 12, 14 or 16) and VA_BITS.
[[nodiscard]] ErrorOr<const PagingFormat*> arm64_paging_format(unsigned page_shift,
                                                               unsigned va_bits);

// Reading entries by the format's tables (for page-table writers; the walker has its own).
// The kind of `raw` at a level: index into LevelFormat::kinds, or -1 when none matches.
[[nodiscard]] constexpr int entry_kind_index(const LevelFormat& level, u64 raw) {
    for (unsigned i = 0; i < level.kind_count; ++i)
        if ((raw & level.kinds[i].match_mask) == level.kinds[i].match_value)
            return static_cast<int>(i);
    return -1;
}
// The output address (next table, page or block) an entry of kind `k` holds.
[[nodiscard]] constexpr u64 entry_output_address(const EntryKind& k, u64 raw) {
    u64 oa = 0;
    for (unsigned i = 0; i < k.pieces; ++i)
        oa |= k.address[i].src.get(raw) << k.address[i].dst_lo;
    return oa;
}
// The index of va's entry in a full-size table of `level`.
[[nodiscard]] constexpr u64 entry_index_of(const LevelFormat& level, u64 va) {
    return (va >> level.index_shift) & (level.entries() - 1);
}

// The format an Arch's kernel uses (page_shift and va_bits matter for arm64 only; the other
// arches require page_shift 12).
[[nodiscard]] ErrorOr<const PagingFormat*> paging_format_for(Arch arch, unsigned page_shift,
                                                             unsigned va_bits);

} // namespace kmemu::paging
