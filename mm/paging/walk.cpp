#include "mm/paging/walk.h"

namespace kmemu::paging {

namespace {

// Attributes gathered on the way down; which fields matter depends on the family.
struct Accumulated {
    // x86: RW and US are ANDed over all levels, NX ORed (SDM §4.6).
    bool x86_writable = true;
    bool x86_user = true;
    bool x86_nx = false;
    // ARM short: the L1 coarse entry's domain and PXN apply to the pages below.
    unsigned arm_domain = 0;
    bool arm_pxn = false;
    // Long descriptors: hierarchical table attributes (APTable, XNTable, PXNTable).
    bool no_el0 = false;
    bool table_rdonly = false;
    bool table_xn = false;
    bool table_pxn = false;
};

[[nodiscard]] u64 output_address(const EntryKind& k, u64 raw) {
    u64 oa = 0;
    for (unsigned i = 0; i < k.pieces; ++i)
        oa |= k.address[i].src.get(raw) << k.address[i].dst_lo;
    return oa;
}

[[nodiscard]] bool allowed(const Permissions& p, Access a) {
    const bool user = a.privilege == Privilege::User;
    switch (a.type) {
    case AccessType::Read:
        return user ? p.user_read : p.kernel_read;
    case AccessType::Write:
        return user ? p.user_write : p.kernel_write;
    case AccessType::Execute:
        return user ? p.user_exec : p.kernel_exec;
    }
    return false;
}

// Why an access the permissions refuse fails, in the order the checks read naturally: a user
// touching a kernel-only page, then no access at all, then writing, then executing.
[[nodiscard]] FaultReason refusal(const Permissions& p, Access a) {
    const bool user = a.privilege == Privilege::User;
    const bool can_read = user ? p.user_read : p.kernel_read;
    if (user && !p.user_read && p.kernel_read)
        return FaultReason::SupervisorOnly;
    if (!can_read)
        return FaultReason::NoAccess;
    if (a.type == AccessType::Write)
        return FaultReason::WriteToReadOnly;
    return FaultReason::ExecuteNever;
}

// x86 leaf: permissions from the accumulated RW/US/NX with CR0.WP (SDM §4.6.1).
void x86_leaf(const EntryKind& k, u64 raw, const Accumulated& acc, const MmuState& mmu,
              Translation& t) {
    using namespace x86;
    Permissions& p = t.permissions;
    p.kernel_read = true;
    p.kernel_write = acc.x86_writable || !mmu.cr0_wp;
    p.kernel_exec = !acc.x86_nx;
    p.user_read = acc.x86_user;
    p.user_write = acc.x86_user && acc.x86_writable;
    p.user_exec = acc.x86_user && !acc.x86_nx;
    t.global = test(raw, _PAGE_BIT_GLOBAL);
    const unsigned pat_bit = k.size_shift == 12 ? _PAGE_BIT_PAT : _PAGE_BIT_PAT_LARGE;
    t.cache.index =
        static_cast<u8>((test(raw, pat_bit) ? 4 : 0) | (test(raw, _PAGE_BIT_PCD) ? 2 : 0) |
                        (test(raw, _PAGE_BIT_PWT) ? 1 : 0));
}

// ARM short-descriptor AP[2:0] with SCTLR.AFE = 0 (ARM ARM v7 B3.7.1, layouts.md C.6).
void arm_ap(bool apx, unsigned ap, Permissions& p) {
    const unsigned code = (apx ? 4u : 0u) | ap;
    switch (code) {
    case 0b001:
        p.kernel_read = p.kernel_write = true;
        break;
    case 0b010:
        p.kernel_read = p.kernel_write = p.user_read = true;
        break;
    case 0b011:
        p.kernel_read = p.kernel_write = p.user_read = p.user_write = true;
        break;
    case 0b101:
        p.kernel_read = true;
        break;
    case 0b110:
    case 0b111:
        p.kernel_read = p.user_read = true;
        break;
    default: // 000 no access; 100 reserved, treated as no access
        break;
    }
}

// Returns false with a domain fault; DACR field 01 = client (check AP), 11 = manager (no
// permission checks, XN included, as kmemu reads ARM ARM v7 B3.7.3), 00/10 = no access.
bool arm_short_leaf(unsigned level, u64 raw, const Accumulated& acc, const MmuState& mmu,
                    Translation& t) {
    bool apx = false, xn = false, pxn = acc.arm_pxn, ng = false, s = false;
    unsigned ap = 0, tex = 0, c = 0, b = 0, domain = acc.arm_domain;
    const u32 raw32 = static_cast<u32>(raw);
    if (level == 0) {
        const ArmSection e = decode_arm_section(raw32);
        apx = e.apx, ap = e.ap, xn = e.xn, pxn = e.pxn, ng = e.ng, s = e.s;
        tex = e.tex, c = e.c, b = e.b;
        domain = e.supersection ? 0 : e.domain;
    } else {
        const ArmPage e = decode_arm_page(raw32);
        apx = e.apx, ap = e.ap, xn = e.xn, ng = e.ng, s = e.s, tex = e.tex, c = e.c, b = e.b;
    }
    const unsigned dac = (mmu.dacr >> (2 * domain)) & 3u;
    if (dac == 0b00 || dac == 0b10)
        return false;
    Permissions& p = t.permissions;
    if (dac == 0b11) {
        p = Permissions{true, true, true, true, true, true};
    } else {
        arm_ap(apx, ap, p);
        // An instruction fetch needs read permission and no XN (PXN for PL1).
        p.kernel_exec = p.kernel_read && !xn && !pxn;
        p.user_exec = p.user_read && !xn;
    }
    t.global = !ng;
    t.cache.index = static_cast<u8>((tex << 2) | (c << 1) | b);
    t.cache.shareability = s ? 1 : 0;
    return true;
}

void arm_long_leaf(const PagingFormat& fmt, u64 raw, const Accumulated& acc, Translation& t) {
    using namespace arm_long;
    Permissions& p = t.permissions;
    // AP[2:1] (VMSAv8-64 D5.4.5 / ARM ARM v7 B3.7.1 long format) with APTable limits.
    const bool user = test(raw, AP_USER) && !acc.no_el0;
    const bool rdonly = test(raw, AP_RDONLY) || acc.table_rdonly;
    const bool xn = test(raw, XN) || acc.table_xn;
    const bool pxn = test(raw, PXN) || acc.table_pxn;
    p.kernel_read = true;
    p.kernel_write = !rdonly;
    p.user_read = user;
    p.user_write = user && !rdonly;
    p.user_exec = user && !xn;
    p.kernel_exec =
        !pxn && !(fmt.xn_is_uxn ? false : xn) && !(fmt.el0_writable_implies_pxn && p.user_write);
    t.global = !test(raw, NG);
    t.cache.index = static_cast<u8>(ATTR_INDX.get(raw));
    t.cache.shareability = static_cast<u8>(SH.get(raw));
}

void accumulate(const PagingFormat& fmt, const EntryKind& k, unsigned level, u64 raw,
                const MmuState& mmu, Accumulated& acc) {
    switch (fmt.family) {
    case DescriptorFamily::X86:
        // A kind whose RW bit is reserved (the PAE PDPTE) carries no permissions.
        if ((k.reserved & x86::_PAGE_RW) == 0) {
            acc.x86_writable = acc.x86_writable && test(raw, x86::_PAGE_BIT_RW);
            acc.x86_user = acc.x86_user && test(raw, x86::_PAGE_BIT_USER);
        }
        if (fmt.has_nx && mmu.efer_nxe)
            acc.x86_nx = acc.x86_nx || test(raw, x86::_PAGE_BIT_NX);
        break;
    case DescriptorFamily::ArmShort:
        if (level == 0 && k.role == EntryRole::Table) {
            acc.arm_domain = static_cast<unsigned>(arm_short::L1_DOMAIN.get(raw));
            acc.arm_pxn = test(raw, arm_short::L1_COARSE_PXN);
        }
        break;
    case DescriptorFamily::ArmLong:
        if (k.role == EntryRole::Table) {
            acc.no_el0 = acc.no_el0 || test(raw, arm_long::AP_TABLE_NO_EL0);
            acc.table_rdonly = acc.table_rdonly || test(raw, arm_long::AP_TABLE_RDONLY);
            acc.table_xn = acc.table_xn || test(raw, arm_long::XN_TABLE);
            acc.table_pxn = acc.table_pxn || test(raw, arm_long::PXN_TABLE);
        }
        break;
    }
}

[[nodiscard]] u64 ones(unsigned n) {
    return n >= 64 ? ~u64{0} : (u64{1} << n) - 1;
}

} // namespace

std::string_view fault_reason_name(FaultReason r) {
    switch (r) {
    case FaultReason::NotPresent:
        return "not present (translation fault)";
    case FaultReason::WriteToReadOnly:
        return "write to read-only page";
    case FaultReason::SupervisorOnly:
        return "user access to supervisor page";
    case FaultReason::NoAccess:
        return "no access permitted";
    case FaultReason::ExecuteNever:
        return "execute-never (NX/XN/PXN)";
    case FaultReason::ReservedBit:
        return "reserved bit set";
    case FaultReason::NonCanonical:
        return "non-canonical address";
    case FaultReason::OutsideTtbrRanges:
        return "address outside the translated ranges";
    case FaultReason::DomainFault:
        return "domain fault";
    case FaultReason::AccessFlag:
        return "access flag fault";
    case FaultReason::AddressSize:
        return "address size fault";
    case FaultReason::TableNotInMemory:
        return "table not in memory (external abort on walk)";
    }
    return "?";
}

namespace {
// The checks of check_mmu_state without building an error (the walk's fast path).
bool mmu_state_fits(const PagingFormat& fmt, const MmuState& mmu) {
    const unsigned max_bits = fmt.family == DescriptorFamily::X86 ? 52u : fmt.max_pa_bits;
    if (mmu.phys_bits < 32 || mmu.phys_bits > max_bits)
        return false;
    return fmt.split == VaSplit::LpaeT1sz ? mmu.t1sz <= 7 : mmu.t1sz == 0;
}
} // namespace

ErrorOr<void> check_mmu_state(const PagingFormat& fmt, const MmuState& mmu) {
    const unsigned max_bits = fmt.family == DescriptorFamily::X86 ? 52u : fmt.max_pa_bits;
    if (mmu.phys_bits < 32 || mmu.phys_bits > max_bits)
        return make_error(ErrorKind::InvalidConfig,
                          "{}: phys_bits {} is outside the supported 32..{}", fmt.name,
                          mmu.phys_bits, max_bits);
    if (fmt.split == VaSplit::LpaeT1sz && mmu.t1sz > 7)
        return make_error(ErrorKind::InvalidConfig, "{}: TTBCR.T1SZ {} is outside 0..7", fmt.name,
                          mmu.t1sz);
    if (fmt.split != VaSplit::LpaeT1sz && mmu.t1sz != 0)
        return make_error(ErrorKind::InvalidConfig, "{}: T1SZ applies to LPAE only", fmt.name);
    return {};
}

ErrorOr<void> walk_into(WalkRecord& rec, const PagingFormat& fmt, PageTableMemory& mem,
                        const MmuState& mmu, VirtAddr va, Access access, WalkMode mode) {
    if (!mmu_state_fits(fmt, mmu))
        return check_mmu_state(fmt, mmu).release_error();
    rec.va = va;
    rec.access = access;
    rec.high_root = false;
    rec.depth = 0;
    const auto fail = [&](FaultReason reason, int level) -> ErrorOr<void> {
        WalkFault f{reason, level, 0};
        if (level >= 0)
            f.arch_level =
                fmt.levels[rec.levels[static_cast<unsigned>(level)].format_level].arch_level;
        rec.outcome = f;
        return {};
    };

    // Root selection and the width of the region it translates.
    const u64 v = va.get();
    PhysAddr root = mmu.root;
    unsigned region_bits = fmt.va_bits;
    switch (fmt.split) {
    case VaSplit::Single32:
        if ((v >> 32) != 0)
            return fail(FaultReason::OutsideTtbrRanges, -1);
        break;
    case VaSplit::X86Canonical: {
        // Bits 63..va_bits-1 must all equal bit va_bits-1 (B.5).
        const u64 top = v >> (fmt.va_bits - 1);
        if (top != 0 && top != ones(64 - (fmt.va_bits - 1u)))
            return fail(FaultReason::NonCanonical, -1);
        break;
    }
    case VaSplit::Arm64TtbrPair: {
        // Bits 63..VA_BITS all clear: TTBR0; all set: TTBR1 (D.5; TBI not modelled).
        const u64 top = v >> fmt.va_bits;
        if (top == ones(64 - fmt.va_bits)) {
            root = mmu.root_high;
            rec.high_root = true;
        } else if (top != 0) {
            return fail(FaultReason::OutsideTtbrRanges, -1);
        }
        break;
    }
    case VaSplit::LpaeT1sz:
        // T0SZ = 0: TTBR0 covers everything below TTBR1's region, which is the top
        // 2^(32-T1SZ) bytes when T1SZ > 0 (ARM ARM v7 B3.6.4; layouts.md C.7).
        if ((v >> 32) != 0)
            return fail(FaultReason::OutsideTtbrRanges, -1);
        if (mmu.t1sz > 0 && (v >> (32 - mmu.t1sz)) == ones(mmu.t1sz)) {
            root = mmu.root_high;
            rec.high_root = true;
            region_bits = 32u - mmu.t1sz;
        }
        break;
    }
    // The first level is the highest one that still resolves bits of the region; it takes the
    // bits that are left (LPAE with T1SZ >= 2 starts TTBR1 walks at level 2).
    unsigned first = 0;
    while (first + 1 < fmt.level_count && fmt.levels[first].index_shift >= region_bits)
        ++first;
    const unsigned top_bits = region_bits - fmt.levels[first].index_shift;
    const unsigned eb = fmt.entry_bytes();
    // The hardware ignores root bits below the first table's size (CR3 11:0, PAE CR3 4:0,
    // TTBR0 13:0 on ARM classic).
    PhysAddr table = root.align_down(u64{eb} << top_bits);
    if (fmt.family == DescriptorFamily::ArmLong && (table.get() >> mmu.phys_bits) != 0)
        return fail(FaultReason::AddressSize, -1);

    Accumulated acc;
    for (unsigned li = first; li < fmt.level_count; ++li) {
        const LevelFormat& L = fmt.levels[li];
        const unsigned ibits = li == first ? top_bits : L.index_bits;
        const int here = static_cast<int>(rec.depth);
        LevelRecord& r = rec.levels[rec.depth++];
        r.format_level = static_cast<u8>(li);
        r.table = table;
        r.index = static_cast<u32>((v >> L.index_shift) & ones(ibits));
        r.entry_addr = table.offset(u64{r.index} * eb);
        auto loaded = mem.load_descriptor(r.entry_addr, fmt.width);
        if (loaded.is_error())
            return fail(FaultReason::TableNotInMemory, here);
        const u64 raw = loaded.value();
        r.raw = r.raw_after = raw;

        int k = -1;
        for (unsigned i = 0; i < L.kind_count; ++i) {
            if ((raw & L.kinds[i].match_mask) == L.kinds[i].match_value) {
                k = static_cast<int>(i);
                break;
            }
        }
        if (k < 0)
            return fail(FaultReason::NotPresent, here);
        r.kind = static_cast<std::int8_t>(k);
        const EntryKind& K = L.kinds[static_cast<unsigned>(k)];
        const u64 oa = output_address(K, raw);
        if (fmt.family == DescriptorFamily::X86) {
            // Reserved: the kind's must-be-zero bits, NX without EFER.NXE, and address bits at
            // or above MAXPHYADDR (SDM §4.7).
            u64 rsv = K.reserved;
            if (fmt.has_nx && !mmu.efer_nxe)
                rsv |= x86::_PAGE_NX;
            if ((raw & rsv) != 0 || (oa >> mmu.phys_bits) != 0)
                return fail(FaultReason::ReservedBit, here);
        } else if (fmt.family == DescriptorFamily::ArmLong && (oa >> mmu.phys_bits) != 0) {
            return fail(FaultReason::AddressSize, here);
        }
        accumulate(fmt, K, li, raw, mmu, acc);
        if (K.role == EntryRole::Table) {
            table = PhysAddr(oa);
            continue;
        }

        // A leaf: page, large page, section or block.
        Translation t;
        t.page_size = u64{1} << K.size_shift;
        t.pa = PhysAddr(oa | (v & (t.page_size - 1)));
        switch (fmt.family) {
        case DescriptorFamily::X86:
            x86_leaf(K, raw, acc, mmu, t);
            break;
        case DescriptorFamily::ArmShort:
            if (!arm_short_leaf(li, raw, acc, mmu, t))
                return fail(FaultReason::DomainFault, here);
            break;
        case DescriptorFamily::ArmLong:
            if (!test(raw, arm_long::AF))
                return fail(FaultReason::AccessFlag, here);
            arm_long_leaf(fmt, raw, acc, t);
            break;
        }
        if (!allowed(t.permissions, access))
            return fail(refusal(t.permissions, access), here);

        if (mode == WalkMode::Architectural && fmt.family == DescriptorFamily::X86) {
            // Top level first, as the CPU goes. A store that fails (memory that loaded but
            // will not store) leaves the levels above it updated and is reported as a walk
            // fault at the failing level.
            for (unsigned i = 0; i < rec.depth; ++i) {
                LevelRecord& lr = rec.levels[i];
                if (!fmt.levels[lr.format_level].sets_accessed)
                    continue;
                u64 updated = lr.raw | x86::_PAGE_ACCESSED;
                if (i + 1 == rec.depth && access.type == AccessType::Write)
                    updated |= x86::_PAGE_DIRTY;
                if (updated == lr.raw)
                    continue;
                if (mem.store_descriptor(lr.entry_addr, fmt.width, updated).is_error())
                    return fail(FaultReason::TableNotInMemory, static_cast<int>(i));
                lr.raw_after = updated;
            }
        }
        rec.outcome = t;
        return {};
    }
    return make_error(ErrorKind::Internal, "{}: the last level has a table kind", fmt.name);
}

ErrorOr<WalkRecord> walk(const PagingFormat& fmt, PageTableMemory& mem, const MmuState& mmu,
                         VirtAddr va, Access access, WalkMode mode) {
    WalkRecord rec;
    TRY(walk_into(rec, fmt, mem, mmu, va, access, mode));
    return rec;
}

DecodedEntry decode_entry(const PagingFormat& fmt, const LevelRecord& r) {
    if (r.kind < 0)
        return std::monostate{};
    const LevelFormat& L = fmt.levels[r.format_level];
    const EntryKind& K = L.kinds[static_cast<unsigned>(r.kind)];
    switch (fmt.family) {
    case DescriptorFamily::X86: {
        const X86EntryWidth w =
            fmt.width == DescriptorWidth::Bytes4 ? X86EntryWidth::Bits32 : X86EntryWidth::Bits64;
        X86EntryShape shape = X86EntryShape::Table;
        if (K.role == EntryRole::Table)
            shape = (K.reserved & x86::_PAGE_RW) ? X86EntryShape::PaePdpte : X86EntryShape::Table;
        else if (K.size_shift == 12)
            shape = X86EntryShape::Page4K;
        else if (K.size_shift == 21)
            shape = X86EntryShape::Large2M;
        else if (K.size_shift == 22)
            shape = X86EntryShape::Large4M;
        else
            shape = X86EntryShape::Large1G;
        return decode_x86(r.raw, shape, w);
    }
    case DescriptorFamily::ArmShort: {
        const u32 raw = static_cast<u32>(r.raw);
        if (r.format_level == 0) {
            if (K.role == EntryRole::Table)
                return decode_arm_coarse(raw);
            return decode_arm_section(raw);
        }
        return decode_arm_page(raw);
    }
    case DescriptorFamily::ArmLong:
        return decode_long(r.raw, fmt.long_addressing,
                           K.role == EntryRole::Table ? fmt.page_shift : K.size_shift,
                           r.format_level + 1u == fmt.level_count);
    }
    return std::monostate{};
}

u32 x86_page_fault_error_code(const PagingFormat& fmt, const WalkFault& fault, Access access,
                              const MmuState& mmu) {
    // #PF error code bits (SDM §4.7): 0 P (protection, not not-present), 1 W/R, 2 U/S,
    // 3 RSVD, 4 I/D (instruction fetch, reported when NX is enabled). A non-canonical address
    // is #GP, not #PF: 0.
    if (fault.reason == FaultReason::NonCanonical)
        return 0;
    u32 code = 0;
    if (fault.reason != FaultReason::NotPresent && fault.reason != FaultReason::TableNotInMemory)
        code |= 1u << 0;
    if (access.type == AccessType::Write)
        code |= 1u << 1;
    if (access.privilege == Privilege::User)
        code |= 1u << 2;
    if (fault.reason == FaultReason::ReservedBit)
        code |= 1u << 3;
    if (access.type == AccessType::Execute && fmt.has_nx && mmu.efer_nxe)
        code |= 1u << 4;
    return code;
}

u32 arm_fault_status(const PagingFormat& fmt, const WalkFault& fault) {
    const bool page = fault.arch_level == 2;
    if (fmt.family == DescriptorFamily::ArmShort) {
        // Short-descriptor FS[4:0] (ARM ARM v7 B3.13.3): section / page variants.
        switch (fault.reason) {
        case FaultReason::DomainFault:
            return page ? 0x0b : 0x09;
        case FaultReason::WriteToReadOnly:
        case FaultReason::SupervisorOnly:
        case FaultReason::NoAccess:
        case FaultReason::ExecuteNever:
            return page ? 0x0f : 0x0d;
        case FaultReason::TableNotInMemory:
            return page ? 0x0e : 0x0c;
        default:
            return page ? 0x07 : 0x05;
        }
    }
    // Long-descriptor status (ARM ARM v7 B3.13.3 long format; ARMv8 ESR DFSC): the level in
    // bits 1:0 of a per-class base.
    const u32 level = fault.arch_level & 3u;
    switch (fault.reason) {
    case FaultReason::AddressSize:
        return 0x00 | level;
    case FaultReason::AccessFlag:
        return 0x08 | level;
    case FaultReason::WriteToReadOnly:
    case FaultReason::SupervisorOnly:
    case FaultReason::NoAccess:
    case FaultReason::ExecuteNever:
        return 0x0c | level;
    case FaultReason::TableNotInMemory:
        return 0x14 | level;
    default:
        return 0x04 | level;
    }
}

} // namespace kmemu::paging
