// Typed descriptor encode/decode: every flag round-trips and lands on the bit the manual names.
#include <catch2/catch.hpp>

#include "mm/paging/arm_short_entry.h"
#include "mm/paging/long_descriptor.h"
#include "mm/paging/x86_entry.h"

using namespace kmemu;
using namespace kmemu::paging;

namespace {
template <typename T>
T ok(ErrorOr<T> r) {
    REQUIRE_FALSE(r.is_error());
    return r.release_value();
}
} // namespace

TEST_CASE("x86 kernel protections have the kernel's values", "[paging][x86]") {
    // _KERNPG_TABLE = P|RW|A|D = 1+2+0x20+0x40; _PAGE_TABLE adds US (4).
    CHECK(x86::_KERNPG_TABLE == 0x63);
    CHECK(x86::_PAGE_TABLE == 0x67);
    // PAGE_KERNEL = P|RW|A|D|G|NX: 0x163 plus bit 63 where NX exists (layouts.md A.10).
    CHECK(page_kernel(X86EntryWidth::Bits64, NxSupport::Present) == 0x8000000000000163ull);
    CHECK(page_kernel(X86EntryWidth::Bits64, NxSupport::Absent) == 0x163);
    CHECK(page_kernel(X86EntryWidth::Bits32, NxSupport::Absent) == 0x163);
    CHECK(supported_pte_mask(X86EntryWidth::Bits64, NxSupport::Absent) == 0x7fffffffffffffffull);
}

TEST_CASE("x86 entry flags round-trip one at a time", "[paging][x86]") {
    struct Flag {
        bool X86Entry::*field;
        u64 bit;
    };
    const Flag flags[] = {{&X86Entry::present, 1u << 0}, {&X86Entry::rw, 1u << 1},
                          {&X86Entry::user, 1u << 2},    {&X86Entry::pwt, 1u << 3},
                          {&X86Entry::pcd, 1u << 4},     {&X86Entry::accessed, 1u << 5},
                          {&X86Entry::dirty, 1u << 6},   {&X86Entry::global, 1u << 8}};
    for (const auto& f : flags) {
        X86Entry e;
        e.*f.field = true;
        e.addr = PhysAddr(0x5000);
        const u64 raw = ok(encode_x86(e, X86EntryShape::Page4K, X86EntryWidth::Bits64));
        CHECK(raw == (0x5000 | f.bit));
        CHECK(decode_x86(raw, X86EntryShape::Page4K, X86EntryWidth::Bits64) == e);
    }
    // PAT is bit 7 in a 4K PTE and bit 12 in a large page; PS (7) is set in large pages.
    X86Entry pat;
    pat.pat = true;
    CHECK(ok(encode_x86(pat, X86EntryShape::Page4K, X86EntryWidth::Bits32)) == 0x80);
    CHECK(ok(encode_x86(pat, X86EntryShape::Large2M, X86EntryWidth::Bits64)) == 0x1080);
    CHECK(decode_x86(0x1080, X86EntryShape::Large2M, X86EntryWidth::Bits64) == pat);
    // NX bit 63, protection key 59..62, software bits 9..11.
    X86Entry wide;
    wide.nx = true;
    wide.pkey = 0xa;
    wide.software = 5;
    wide.addr = PhysAddr(0x000ffffffffff000ull); // every address bit 51:12
    const u64 raw = ok(encode_x86(wide, X86EntryShape::Table, X86EntryWidth::Bits64));
    CHECK(raw == (0x8000000000000000ull | (0xaull << 59) | (5u << 9) | 0x000ffffffffff000ull));
    CHECK(decode_x86(raw, X86EntryShape::Table, X86EntryWidth::Bits64) == wide);
}

TEST_CASE("x86 large-page address fields", "[paging][x86]") {
    // PSE-36: PA 0x3_0040_0000 -> bits 31:22 = 0x004, bits 20:13 = PA[39:32] = 3 -> 0x6000.
    X86Entry e;
    e.present = e.rw = true;
    e.addr = PhysAddr(0x300400000ull);
    const u64 raw = ok(encode_x86(e, X86EntryShape::Large4M, X86EntryWidth::Bits32));
    CHECK(raw == (0x00400000u | 0x6000u | 0x80u | 0x3u));
    CHECK(decode_x86(raw, X86EntryShape::Large4M, X86EntryWidth::Bits32) == e);
    // 1 GiB page: address bits 51:30.
    e.addr = PhysAddr(0x40000000);
    CHECK(ok(encode_x86(e, X86EntryShape::Large1G, X86EntryWidth::Bits64)) == 0x40000083);
    // Misaligned and too-wide addresses are refused with a message.
    e.addr = PhysAddr(0x40001000);
    CHECK(encode_x86(e, X86EntryShape::Large1G, X86EntryWidth::Bits64).is_error());
    e.addr = PhysAddr(0x100000000ull);
    CHECK(encode_x86(e, X86EntryShape::Page4K, X86EntryWidth::Bits32).is_error());
    X86Entry nx32;
    nx32.nx = true;
    CHECK(encode_x86(nx32, X86EntryShape::Page4K, X86EntryWidth::Bits32).is_error());
    // A PAE PDPTE carries only P, PWT, PCD: RW is refused.
    X86Entry pdpte;
    pdpte.present = pdpte.rw = true;
    CHECK(encode_x86(pdpte, X86EntryShape::PaePdpte, X86EntryWidth::Bits64).is_error());
    pdpte.rw = false;
    pdpte.addr = PhysAddr(0x2000);
    CHECK(ok(encode_x86(pdpte, X86EntryShape::PaePdpte, X86EntryWidth::Bits64)) == 0x2001);
}

TEST_CASE("ARM short-descriptor section, supersection, coarse, small and large page",
          "[paging][arm]") {
    // A kernel lowmem section as Linux maps it: PMD_TYPE_SECT | AP_WRITE | C | B, domain 0,
    // PA 0x60000000 -> 0x60000000 | 0x400 | 0x8 | 0x4 | 0x2.
    ArmSection s;
    s.base = PhysAddr(0x60000000);
    s.ap = 1;
    s.c = s.b = true;
    CHECK(ok(encode_arm_section(s)) == 0x6000040eu);
    CHECK(decode_arm_section(0x6000040eu) == s);
    // Each section flag alone: bit positions from C.6.
    struct Flag {
        bool ArmSection::*field;
        u32 bit;
    };
    const Flag flags[] = {
        {&ArmSection::pxn, 1u << 0}, {&ArmSection::b, 1u << 2},   {&ArmSection::c, 1u << 3},
        {&ArmSection::xn, 1u << 4},  {&ArmSection::p, 1u << 9},   {&ArmSection::apx, 1u << 15},
        {&ArmSection::s, 1u << 16},  {&ArmSection::ng, 1u << 17}, {&ArmSection::ns, 1u << 19}};
    for (const auto& f : flags) {
        ArmSection one;
        one.*f.field = true;
        CHECK(ok(encode_arm_section(one)) == (0x2u | f.bit));
        CHECK(decode_arm_section(0x2u | f.bit) == one);
    }
    ArmSection fields;
    fields.domain = 15; // bits 8:5
    fields.ap = 3;      // bits 11:10
    fields.tex = 7;     // bits 14:12
    CHECK(ok(encode_arm_section(fields)) == (0x2u | 0x1e0u | 0xc00u | 0x7000u));
    CHECK(decode_arm_section(0x2u | 0x1e0u | 0xc00u | 0x7000u) == fields);

    // Supersection PA 0xA_4000_0000: bits 31:24 = 0x40, PA[35:32] = 0xA in 23:20, PA[39:36]
    // = 0 -> 0x40000000 | 0xA00000 | bit 18 | type 2.
    ArmSection ss;
    ss.supersection = true;
    ss.base = PhysAddr(0xa40000000ull);
    CHECK(ok(encode_arm_section(ss)) == 0x40a40002u);
    CHECK(decode_arm_section(0x40a40002u) == ss);
    ss.base = PhysAddr(0xff40000000ull); // PA[39:36] = 0xf in bits 8:5
    CHECK(ok(encode_arm_section(ss)) == (0x40f40002u | 0x1e0u));

    ArmCoarseTable t;
    t.base = PhysAddr(0x8400); // 1 KiB aligned
    t.domain = 1;
    t.pxn = t.ns = t.p = true;
    CHECK(ok(encode_arm_coarse(t)) == (0x8400u | 0x1u | 0x4u | 0x8u | 0x20u | 0x200u));
    CHECK(decode_arm_coarse(0x8400u | 0x1u | 0x4u | 0x8u | 0x20u | 0x200u) == t);

    // Small page: XN 0, type bit 1, B 2, C 3, AP 5:4, TEX 8:6, APX 9, S 10, nG 11.
    ArmPage p;
    p.base = PhysAddr(0x70000000);
    p.xn = p.b = p.c = p.apx = p.s = p.ng = true;
    p.ap = 2;
    p.tex = 5;
    const u32 small =
        0x70000000u | 0x1u | 0x2u | 0x4u | 0x8u | 0x20u | 0x140u | 0x200u | 0x400u | 0x800u;
    CHECK(ok(encode_arm_page(p)) == small);
    CHECK(decode_arm_page(small) == p);
    // Large page: type 01, TEX 14:12, XN 15.
    p.large = true;
    p.base = PhysAddr(0x70010000);
    const u32 large =
        0x70010000u | 0x1u | 0x4u | 0x8u | 0x20u | 0x200u | 0x400u | 0x800u | 0x5000u | 0x8000u;
    CHECK(ok(encode_arm_page(p)) == large);
    CHECK(decode_arm_page(large) == p);
    p.base = PhysAddr(0x70011000);
    CHECK(encode_arm_page(p).is_error()); // not 64 KiB aligned
}

TEST_CASE("long descriptors: every field, each addressing", "[paging][arm64][lpae]") {
    LongDescriptor d;
    d.type = LongDescriptorType::Page;
    d.address = PhysAddr(0x40000000);
    d.attr_indx = 7; // 4:2 -> 0x1c
    d.ns = true;     // 5
    d.ap = 3;        // 7:6 -> 0xc0
    d.sh = 3;        // 9:8 -> 0x300
    d.af = true;     // 10
    d.ng = true;     // 11
    d.gp = true;     // 50
    d.dbm = true;    // 51
    d.contiguous = true;
    d.pxn = true;
    d.xn = true;
    d.software = 0xf; // 58:55
    const u64 raw = ok(encode_long(d, LongAddressing::Granule4K, 12));
    CHECK(raw == (0x40000000ull | 0x3 | 0x1c | 0x20 | 0xc0 | 0x300 | 0x400 | 0x800 |
                  (0x1full << 50) | (0xfull << 55)));
    CHECK(decode_long(raw, LongAddressing::Granule4K, 12, true) == d);

    LongDescriptor t;
    t.type = LongDescriptorType::Table;
    t.address = PhysAddr(0x12000);
    t.pxn_table = t.xn_table = t.ns_table = true;
    t.ap_table = 2;
    const u64 traw = ok(encode_long(t, LongAddressing::Granule4K, 12));
    CHECK(traw == (0x12003ull | (1ull << 59) | (1ull << 60) | (2ull << 61) | (1ull << 63)));
    CHECK(decode_long(traw, LongAddressing::Granule4K, 12, false) == t);

    // 64K granule: PA[51:48] in bits 15:12. PA 0x3_0000_1234_0000 -> 0x12340000 | 0x3000.
    LongDescriptor big;
    big.type = LongDescriptorType::Page;
    big.af = true;
    big.address = PhysAddr(0x0003000012340000ull);
    const u64 braw = ok(encode_long(big, LongAddressing::Granule64K, 16));
    CHECK(braw == (0x12340000ull | 0x3000 | 0x400 | 0x3));
    CHECK(decode_long(braw, LongAddressing::Granule64K, 16, true) == big);
    // The same PA cannot be encoded with a 4K granule (48-bit OA).
    CHECK(encode_long(big, LongAddressing::Granule4K, 12).is_error());

    // LPAE 2 MiB block at 0xff_ffe0_0000 (the top of the 40-bit PA space).
    LongDescriptor blk;
    blk.type = LongDescriptorType::Block;
    blk.af = true;
    blk.address = PhysAddr(0xffffe00000ull);
    CHECK(ok(encode_long(blk, LongAddressing::Lpae40, 21)) == 0xffffe00401ull);
    blk.address = PhysAddr(0x10000000000ull); // 2^40: too wide for LPAE
    CHECK(encode_long(blk, LongAddressing::Lpae40, 21).is_error());
    // Table attributes on a page are refused.
    d.pxn_table = true;
    CHECK(encode_long(d, LongAddressing::Granule4K, 12).is_error());
    // bits[1:0] = 01 at the last level is invalid; 11 is a table above it.
    CHECK(decode_long(0x1001, LongAddressing::Granule4K, 12, true).type ==
          LongDescriptorType::Invalid);
    CHECK(decode_long(0x1003, LongAddressing::Granule4K, 12, false).type ==
          LongDescriptorType::Table);
}
