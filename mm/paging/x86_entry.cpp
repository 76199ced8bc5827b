#include "mm/paging/x86_entry.h"

namespace kmemu::paging {

namespace {
using namespace x86;

// Address fields (Intel SDM vol. 3 §4.3-4.5; layouts.md A.10). 52 is the architectural
// MAXPHYADDR limit for 64-bit entries.
constexpr BitRange kAddr32 = bits(31, 12);
constexpr BitRange kAddr64 = bits(51, 12);
constexpr BitRange kPse36Low = bits(31, 22);  // PA[31:22]
constexpr BitRange kPse36High = bits(20, 13); // PA[39:32]
constexpr unsigned kPse36HighShift = 32;

u64 address_field(X86EntryShape shape, X86EntryWidth width) {
    switch (shape) {
    case X86EntryShape::Large2M:
        return bit_mask(51, 21);
    case X86EntryShape::Large1G:
        return bit_mask(51, 30);
    case X86EntryShape::Large4M:
        return kPse36Low.mask();
    default:
        return width == X86EntryWidth::Bits32 ? kAddr32.mask() : kAddr64.mask();
    }
}

bool is_large(X86EntryShape s) {
    return s == X86EntryShape::Large4M || s == X86EntryShape::Large2M ||
           s == X86EntryShape::Large1G;
}
} // namespace

ErrorOr<u64> encode_x86(const X86Entry& e, X86EntryShape shape, X86EntryWidth width) {
    const bool wide = width == X86EntryWidth::Bits64;
    const bool wide_only = shape == X86EntryShape::Large2M || shape == X86EntryShape::Large1G ||
                           shape == X86EntryShape::PaePdpte;
    if ((shape == X86EntryShape::Large4M && wide) || (wide_only && !wide))
        return make_error(ErrorKind::Internal,
                          "x86 entry: 4 MiB pages exist only in 32-bit (non-PAE) entries; "
                          "2 MiB/1 GiB pages and PAE PDPTEs only in 64-bit ones");
    if (!wide && (e.nx || e.pkey != 0))
        return make_error(ErrorKind::Internal,
                          "x86 entry: NX and protection keys exist only in 64-bit entries");
    if (shape == X86EntryShape::PaePdpte &&
        (e.rw || e.user || e.accessed || e.dirty || e.global || e.pat || e.nx || e.pkey))
        return make_error(ErrorKind::Internal,
                          "x86 PAE PDPTE: only present, pwt, pcd and the address may be set");
    if (!PKEY_BITS.fits(e.pkey) || !SOFTW_BITS.fits(e.software))
        return make_error(ErrorKind::Internal, "x86 entry: pkey {} or software bits {} too wide",
                          e.pkey, e.software);

    u64 raw = 0;
    const u64 a = e.addr.get();
    if (shape == X86EntryShape::Large4M) {
        // PSE-36: PA[39:32] go to bits 20:13.
        if ((a & ~(kPse36Low.mask() | bit_mask(39, kPse36HighShift))) != 0)
            return make_error(ErrorKind::Internal,
                              "x86 4 MiB page at {:#x}: must be 4 MiB aligned and below 2^40",
                              e.addr);
        raw |= a & kPse36Low.mask();
        raw = kPse36High.put(raw, a >> kPse36HighShift);
    } else {
        const u64 field = address_field(shape, width);
        if ((a & ~field) != 0)
            return make_error(ErrorKind::Internal,
                              "x86 entry address {:#x} is not aligned or too wide for its field",
                              e.addr);
        raw |= a;
    }
    raw = with_bit(raw, _PAGE_BIT_PRESENT, e.present);
    raw = with_bit(raw, _PAGE_BIT_RW, e.rw);
    raw = with_bit(raw, _PAGE_BIT_USER, e.user);
    raw = with_bit(raw, _PAGE_BIT_PWT, e.pwt);
    raw = with_bit(raw, _PAGE_BIT_PCD, e.pcd);
    raw = with_bit(raw, _PAGE_BIT_ACCESSED, e.accessed);
    raw = with_bit(raw, _PAGE_BIT_DIRTY, e.dirty);
    raw = with_bit(raw, _PAGE_BIT_GLOBAL, e.global);
    raw = SOFTW_BITS.put(raw, e.software);
    if (is_large(shape)) {
        raw |= _PAGE_PSE;
        raw = with_bit(raw, _PAGE_BIT_PAT_LARGE, e.pat);
    } else if (shape == X86EntryShape::Page4K) {
        raw = with_bit(raw, _PAGE_BIT_PAT, e.pat);
    } else if (e.pat) {
        return make_error(ErrorKind::Internal, "x86 table entry: no PAT bit in a table entry");
    }
    if (wide) {
        raw = with_bit(raw, _PAGE_BIT_NX, e.nx);
        raw = PKEY_BITS.put(raw, e.pkey);
    }
    return raw;
}

X86Entry decode_x86(u64 raw, X86EntryShape shape, X86EntryWidth width) {
    const bool wide = width == X86EntryWidth::Bits64;
    X86Entry e;
    e.present = test(raw, _PAGE_BIT_PRESENT);
    e.rw = test(raw, _PAGE_BIT_RW);
    e.user = test(raw, _PAGE_BIT_USER);
    e.pwt = test(raw, _PAGE_BIT_PWT);
    e.pcd = test(raw, _PAGE_BIT_PCD);
    e.accessed = test(raw, _PAGE_BIT_ACCESSED);
    e.dirty = test(raw, _PAGE_BIT_DIRTY);
    e.global = test(raw, _PAGE_BIT_GLOBAL);
    e.software = static_cast<u8>(SOFTW_BITS.get(raw));
    if (is_large(shape))
        e.pat = test(raw, _PAGE_BIT_PAT_LARGE);
    else if (shape == X86EntryShape::Page4K)
        e.pat = test(raw, _PAGE_BIT_PAT);
    if (wide) {
        e.nx = test(raw, _PAGE_BIT_NX);
        e.pkey = static_cast<u8>(PKEY_BITS.get(raw));
    }
    if (shape == X86EntryShape::Large4M)
        e.addr = PhysAddr((raw & kPse36Low.mask()) | (kPse36High.get(raw) << kPse36HighShift));
    else
        e.addr = PhysAddr(raw & address_field(shape, width));
    return e;
}

} // namespace kmemu::paging
