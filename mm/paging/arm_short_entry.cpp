#include "mm/paging/arm_short_entry.h"

namespace kmemu::paging {

using namespace arm_short;

namespace {
ErrorOr<void> check_common(u8 ap, u8 tex, const char* what) {
    if (!L2_AP.fits(ap) || !L2_SMALL_TEX.fits(tex))
        return make_error(ErrorKind::Internal, "ARM {}: AP {} must be 0..3 and TEX {} 0..7", what,
                          ap, tex);
    return {};
}
} // namespace

ErrorOr<u32> encode_arm_section(const ArmSection& e) {
    TRY(check_common(e.ap, e.tex, "section"));
    const u64 a = e.base.get();
    u64 raw = PMD_TYPE_SECT;
    if (e.supersection) {
        if ((a & ~bit_mask(39, 24)) != 0 || e.domain != 0)
            return make_error(ErrorKind::Internal,
                              "ARM supersection base {:#x}: must be 16 MiB aligned below 2^40, "
                              "and the domain must be 0",
                              e.base);
        raw |= a & L1_SUPER_BASE.mask();
        raw = L1_SUPER_EXT_35_32.put(raw, a >> 32);
        raw = L1_SUPER_EXT_39_36.put(raw, a >> 36);
        raw |= PMD_SECT_SUPER;
    } else {
        if ((a & ~L1_SECT_BASE.mask()) != 0 || !L1_DOMAIN.fits(e.domain))
            return make_error(ErrorKind::Internal,
                              "ARM section base {:#x} must be 1 MiB aligned below 4 GiB and the "
                              "domain {} 0..15",
                              e.base, e.domain);
        raw |= a;
        raw = L1_DOMAIN.put(raw, e.domain);
    }
    raw = with_bit(raw, L1_SECT_PXN, e.pxn);
    raw = with_bit(raw, L1_SECT_B, e.b);
    raw = with_bit(raw, L1_SECT_C, e.c);
    raw = with_bit(raw, L1_SECT_XN, e.xn);
    raw = with_bit(raw, L1_P, e.p);
    raw = L1_SECT_AP.put(raw, e.ap);
    raw = L1_SECT_TEX.put(raw, e.tex);
    raw = with_bit(raw, L1_SECT_APX, e.apx);
    raw = with_bit(raw, L1_SECT_S, e.s);
    raw = with_bit(raw, L1_SECT_NG, e.ng);
    raw = with_bit(raw, L1_SECT_NS, e.ns);
    return static_cast<u32>(raw);
}

ArmSection decode_arm_section(u32 raw) {
    ArmSection e;
    e.supersection = test(raw, L1_SECT_SUPER);
    e.pxn = test(raw, L1_SECT_PXN);
    e.b = test(raw, L1_SECT_B);
    e.c = test(raw, L1_SECT_C);
    e.xn = test(raw, L1_SECT_XN);
    e.p = test(raw, L1_P);
    e.ap = static_cast<u8>(L1_SECT_AP.get(raw));
    e.tex = static_cast<u8>(L1_SECT_TEX.get(raw));
    e.apx = test(raw, L1_SECT_APX);
    e.s = test(raw, L1_SECT_S);
    e.ng = test(raw, L1_SECT_NG);
    e.ns = test(raw, L1_SECT_NS);
    if (e.supersection) {
        e.base = PhysAddr((raw & L1_SUPER_BASE.mask()) | (L1_SUPER_EXT_35_32.get(raw) << 32) |
                          (L1_SUPER_EXT_39_36.get(raw) << 36));
    } else {
        e.domain = static_cast<u8>(L1_DOMAIN.get(raw));
        e.base = PhysAddr(raw & L1_SECT_BASE.mask());
    }
    return e;
}

ErrorOr<u32> encode_arm_coarse(const ArmCoarseTable& e) {
    if ((e.base.get() & ~L1_COARSE_BASE.mask()) != 0 || !L1_DOMAIN.fits(e.domain))
        return make_error(ErrorKind::Internal,
                          "ARM coarse table base {:#x} must be 1 KiB aligned below 4 GiB and the "
                          "domain {} 0..15",
                          e.base, e.domain);
    u64 raw = PMD_TYPE_TABLE | e.base.get();
    raw = with_bit(raw, L1_COARSE_PXN, e.pxn);
    raw = with_bit(raw, L1_COARSE_NS, e.ns);
    raw = L1_DOMAIN.put(raw, e.domain);
    raw = with_bit(raw, L1_P, e.p);
    return static_cast<u32>(raw);
}

ArmCoarseTable decode_arm_coarse(u32 raw) {
    ArmCoarseTable e;
    e.pxn = test(raw, L1_COARSE_PXN);
    e.ns = test(raw, L1_COARSE_NS);
    e.domain = static_cast<u8>(L1_DOMAIN.get(raw));
    e.p = test(raw, L1_P);
    e.base = PhysAddr(raw & L1_COARSE_BASE.mask());
    return e;
}

ErrorOr<u32> encode_arm_page(const ArmPage& e) {
    TRY(check_common(e.ap, e.tex, "page"));
    const BitRange base = e.large ? L2_LARGE_BASE : L2_SMALL_BASE;
    if ((e.base.get() & ~base.mask()) != 0)
        return make_error(ErrorKind::Internal,
                          "ARM {} page base {:#x} must be {} aligned below 4 GiB",
                          e.large ? "large" : "small", e.base, e.large ? "64 KiB" : "4 KiB");
    u64 raw = e.base.get();
    if (e.large) {
        raw |= L2_TYPE_LARGE;
        raw = L2_LARGE_TEX.put(raw, e.tex);
        raw = with_bit(raw, L2_LARGE_XN, e.xn);
    } else {
        raw |= PTE_TYPE_SMALL;
        raw = L2_SMALL_TEX.put(raw, e.tex);
        raw = with_bit(raw, L2_SMALL_XN, e.xn);
    }
    raw = with_bit(raw, L2_B, e.b);
    raw = with_bit(raw, L2_C, e.c);
    raw = L2_AP.put(raw, e.ap);
    raw = with_bit(raw, L2_APX, e.apx);
    raw = with_bit(raw, L2_S, e.s);
    raw = with_bit(raw, L2_NG, e.ng);
    return static_cast<u32>(raw);
}

ArmPage decode_arm_page(u32 raw) {
    ArmPage e;
    e.large = L2_TYPE.get(raw) == L2_TYPE_LARGE;
    if (e.large) {
        e.tex = static_cast<u8>(L2_LARGE_TEX.get(raw));
        e.xn = test(raw, L2_LARGE_XN);
        e.base = PhysAddr(raw & L2_LARGE_BASE.mask());
    } else {
        e.tex = static_cast<u8>(L2_SMALL_TEX.get(raw));
        e.xn = test(raw, L2_SMALL_XN);
        e.base = PhysAddr(raw & L2_SMALL_BASE.mask());
    }
    e.b = test(raw, L2_B);
    e.c = test(raw, L2_C);
    e.ap = static_cast<u8>(L2_AP.get(raw));
    e.apx = test(raw, L2_APX);
    e.s = test(raw, L2_S);
    e.ng = test(raw, L2_NG);
    return e;
}

} // namespace kmemu::paging
