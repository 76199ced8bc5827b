#include "mm/user/user_pte.h"

#include "mm/paging/arm_linux_pte.h"
#include "mm/paging/arm_short_entry.h"
#include "mm/paging/long_descriptor.h"
#include "mm/paging/x86_entry.h"

namespace kmemu {

namespace {

using paging::bit;
using paging::bit_mask;

// x86 (pgtable_types.h): _PAGE_BIT_SPECIAL = _PAGE_BIT_SOFTW1 (9), _PAGE_BIT_SOFT_DIRTY =
// _PAGE_BIT_SOFTW3 (11), _PAGE_BIT_PROTNONE = _PAGE_BIT_GLOBAL (8; bit 7 in 2.6.24).
namespace x86 = paging::x86;
constexpr u64 kX86Special = bit(x86::_PAGE_BIT_SOFTW1);
constexpr u64 kX86SoftDirty = bit(x86::_PAGE_BIT_SOFTW3);
constexpr u64 kX86PfnMask = bit_mask(51, 12); // PTE_PFN_MASK with __PHYSICAL_MASK_SHIFT 52

// ARM LPAE Linux PTE bits (pgtable-3level.h, pgtable-3level-hwdef.h).
namespace lpae {
constexpr u64 L_PTE_VALID = bit(0);
constexpr u64 L_PTE_PRESENT = bit_mask(1, 0);
constexpr u64 L_PTE_MT_WRITEALLOC = u64{7} << 2;
constexpr u64 L_PTE_USER = bit(6);
constexpr u64 PTE_AP2 = bit(7);
constexpr u64 L_PTE_SHARED = u64{3} << 8;
constexpr u64 L_PTE_YOUNG = bit(10);
constexpr u64 PTE_EXT_NG = bit(11);
constexpr u64 L_PTE_XN = bit(54);
constexpr u64 L_PTE_DIRTY = bit(55);
constexpr u64 L_PTE_SPECIAL = bit(56);
constexpr u64 L_PTE_NONE = bit(57);
constexpr u64 L_PTE_RDONLY = bit(58);
constexpr u64 PMD_TYPE_TABLE = bit_mask(1, 0);
constexpr u64 kPfnMask = bit_mask(39, 12); // PHYS_MASK: 40-bit physical addresses
} // namespace lpae

// arm64 PTE bits (pgtable-hwdef.h, pgtable-prot.h).
namespace a64 {
using namespace paging::arm_long;
constexpr u64 PTE_VALID = bit(VALID);
constexpr u64 PTE_TYPE_PAGE = TYPE_TABLE; // bits 1:0 = 11 at the last level
constexpr u64 PTE_USER = bit(AP_USER);
constexpr u64 PTE_RDONLY = bit(AP_RDONLY);
constexpr u64 PTE_SHARED = u64{3} << 8;
constexpr u64 PTE_AF = bit(AF);
constexpr u64 PTE_NG = bit(NG);
constexpr u64 PTE_PXN = bit(PXN);
constexpr u64 PTE_UXN = bit(XN);
constexpr u64 PTE_DIRTY_SW = bit(PTE_DIRTY);
constexpr u64 PTE_SPECIAL_SW = bit(paging::arm_long::PTE_SPECIAL);
constexpr u64 PTE_PROT_NONE = bit(58);
constexpr u64 PMD_TABLE_PXN = bit(PXN_TABLE);
} // namespace a64

paging::ArmLinuxPte arm_decode(u64 pte, paging::ArmPteEra era) {
    return paging::decode_arm_linux_pte(static_cast<u32>(pte), era);
}
u64 arm_encode(const paging::ArmLinuxPte& e, paging::ArmPteEra era) {
    // Only fails for a page above 4 GiB, which a classic ARM machine does not have.
    auto v = paging::encode_arm_linux_pte(e, era);
    return v.is_error() ? 0 : v.value();
}

} // namespace

UserPteFormat UserPteFormat::create(const Layout& l, const UserMmRules& r,
                                    const KernelPgtableRules& kr) {
    UserPteFormat f;
    f.m_page_shift = l.page_shift;
    switch (l.arch) {
    case Arch::I386:
    case Arch::I386Pae:
    case Arch::X86_64:
    case Arch::X86_64La57:
        f.m_kind = Kind::X86;
        f.m_x86_64bit_entries = l.arch != Arch::I386;
        f.m_x86_nx = r.x86_user_nx;
        f.m_x86_pae_pdpte = l.arch == Arch::I386Pae;
        f.m_soft_dirty = r.pte_soft_dirty;
        // L1TF (4.18+, pgtable-invert.h): 64-bit entries only (x86_64 and PAE).
        f.m_l1tf_invert = f.m_x86_64bit_entries && r.version.at_least(4, 18, 0);
        f.m_x86_protnone =
            r.version.at_least(2, 6, 25) ? x86::_PAGE_GLOBAL : x86::_PAGE_PSE; // [unverified]
        break;
    case Arch::Arm:
        f.m_kind = Kind::ArmClassic;
        f.m_arm_era = kr.arm_pte_era;
        f.m_arm_user_table = paging::arm_linux_table_prot(1); // DOMAIN_USER
        if (r.arm_user_table_pxn)
            f.m_arm_user_table |= static_cast<u32>(bit(paging::arm_short::L1_COARSE_PXN));
        break;
    case Arch::ArmLpae:
        f.m_kind = Kind::ArmLpae;
        break;
    case Arch::Arm64:
        f.m_kind = Kind::Arm64;
        f.m_arm64_write = bit(r.arm64_pte_write_bit);
        f.m_arm64_attr_normal = kr.arm64_mt_normal;
        f.m_arm64_table_pxn = r.arm64_user_table_pxn;
        f.m_arm64_64k = l.page_shift == 16;
        break;
    }
    return f;
}

// --- protections ----------------------------------------------------------------------------

u64 UserPteFormat::x86_prot(unsigned long flags) const {
    // PAGE_NONE = _PAGE_PROTNONE | _PAGE_ACCESSED; PAGE_READONLY / PAGE_COPY = P|US|A|NX;
    // PAGE_SHARED = P|RW|US|A|NX; the _EXEC variants without NX.
    if ((flags & VM_ACCESS_FLAGS) == 0)
        return m_x86_protnone | x86::_PAGE_ACCESSED;
    u64 v = x86::_PAGE_PRESENT | x86::_PAGE_USER | x86::_PAGE_ACCESSED;
    if ((flags & VM_WRITE) && (flags & VM_SHARED))
        v |= x86::_PAGE_RW;
    if (!(flags & VM_EXEC) && m_x86_nx)
        v |= x86::_PAGE_NX;
    return v;
}

u64 UserPteFormat::arm_prot(unsigned long flags) const {
    // pgprot_user (build_mem_type_table, SMP ARMv7) plus the PAGE_* modifiers.
    const bool none = (flags & VM_ACCESS_FLAGS) == 0;
    const bool writable = (flags & VM_WRITE) && (flags & VM_SHARED) && !none;
    const bool exec = (flags & VM_EXEC) != 0;
    if (m_kind == Kind::ArmLpae) {
        u64 v = lpae::L_PTE_PRESENT | lpae::L_PTE_YOUNG | lpae::L_PTE_MT_WRITEALLOC |
                lpae::L_PTE_SHARED;
        if (none)
            return v | lpae::L_PTE_XN | lpae::L_PTE_RDONLY | lpae::L_PTE_NONE;
        v |= lpae::L_PTE_USER;
        if (!writable)
            v |= lpae::L_PTE_RDONLY;
        if (!exec)
            v |= lpae::L_PTE_XN;
        return v;
    }
    paging::ArmLinuxPte e;
    e.present = e.young = e.shared = true;
    e.mt = paging::arm_linux::MT_WRITEALLOC;
    e.user = !none;
    e.writable = writable;
    e.executable = exec && !none;
    e.prot_none = none && paging::arm_pte_era_rules(m_arm_era).has_pte_none;
    return arm_encode(e, m_arm_era);
}

u64 UserPteFormat::arm64_prot(unsigned long flags) const {
    using namespace a64;
    const u64 def = PTE_TYPE_PAGE | PTE_AF | PTE_SHARED |
                    paging::arm_long::ATTR_INDX.put(0, m_arm64_attr_normal);
    if ((flags & VM_ACCESS_FLAGS) == 0)
        return (def & ~PTE_VALID) | PTE_PROT_NONE | PTE_RDONLY | PTE_NG | PTE_PXN | PTE_UXN;
    // PAGE_READONLY(_EXEC), PAGE_SHARED(_EXEC); PAGE_COPY = PAGE_READONLY. Exec-only is
    // mapped as PAGE_READONLY_EXEC (kmemu does not model PAGE_EXECONLY's eras).
    u64 v = def | PTE_USER | PTE_RDONLY | PTE_NG | PTE_PXN;
    if (!(flags & VM_EXEC))
        v |= PTE_UXN;
    if ((flags & VM_WRITE) && (flags & VM_SHARED))
        v |= m_arm64_write;
    return v;
}

pgprot_t UserPteFormat::vm_get_page_prot(unsigned long flags) const {
    switch (m_kind) {
    case Kind::X86:
        return __pgprot(x86_prot(flags));
    case Kind::ArmClassic:
    case Kind::ArmLpae:
        return __pgprot(arm_prot(flags));
    case Kind::Arm64:
        return __pgprot(arm64_prot(flags));
    }
    return __pgprot(0);
}

// --- building and reading PTEs ----------------------------------------------------------------

u64 UserPteFormat::pa_mask() const {
    switch (m_kind) {
    case Kind::X86:
        return m_x86_64bit_entries ? kX86PfnMask : bit_mask(31, 12);
    case Kind::ArmClassic:
        return bit_mask(31, 12);
    case Kind::ArmLpae:
        return lpae::kPfnMask;
    case Kind::Arm64:
        return bit_mask(47, m_page_shift);
    }
    return 0;
}

u64 UserPteFormat::mk_pte(Pfn pfn, pgprot_t prot) const {
    u64 pa = pfn.get() << m_page_shift;
    const u64 pv = pgprot_val(prot);
    if (m_kind == Kind::X86) {
        // pfn_pte: the PFN of a non-present (PROT_NONE) pte is stored inverted (4.18+).
        if (m_l1tf_invert && pv != 0 && !(pv & x86::_PAGE_PRESENT))
            pa = ~pa;
        return (pa & pa_mask()) | pv;
    }
    if (m_kind == Kind::Arm64 && m_arm64_64k)
        return (pa & pa_mask()) | paging::arm_long::OA_51_48_64K.put(0, pa >> 48) | pv;
    return (pa & pa_mask()) | pv;
}

Pfn UserPteFormat::pfn(u64 pte) const {
    u64 pa = pte;
    if (m_kind == Kind::X86 && m_l1tf_invert && pte != 0 && !(pte & x86::_PAGE_PRESENT))
        pa = ~pa;
    u64 addr = pa & pa_mask();
    if (m_kind == Kind::Arm64 && m_arm64_64k)
        addr |= paging::arm_long::OA_51_48_64K.get(pte) << 48;
    return Pfn(addr >> m_page_shift);
}

u64 UserPteFormat::mkwrite(u64 pte) const {
    switch (m_kind) {
    case Kind::X86:
        return pte | x86::_PAGE_RW;
    case Kind::ArmClassic: {
        auto e = arm_decode(pte, m_arm_era);
        e.writable = true;
        return arm_encode(e, m_arm_era);
    }
    case Kind::ArmLpae:
        return pte & ~lpae::L_PTE_RDONLY;
    case Kind::Arm64:
        return pte | m_arm64_write; // RDONLY follows in stored_entry (set with dirty)
    }
    return pte;
}

u64 UserPteFormat::wrprotect(u64 pte) const {
    switch (m_kind) {
    case Kind::X86:
        return pte & ~x86::_PAGE_RW;
    case Kind::ArmClassic: {
        auto e = arm_decode(pte, m_arm_era);
        e.writable = false;
        return arm_encode(e, m_arm_era);
    }
    case Kind::ArmLpae:
        return pte | lpae::L_PTE_RDONLY;
    case Kind::Arm64:
        return (pte & ~m_arm64_write) | a64::PTE_RDONLY;
    }
    return pte;
}

u64 UserPteFormat::mkdirty(u64 pte) const {
    switch (m_kind) {
    case Kind::X86:
        return pte | x86::_PAGE_DIRTY | (m_soft_dirty ? kX86SoftDirty : 0);
    case Kind::ArmClassic: {
        auto e = arm_decode(pte, m_arm_era);
        e.dirty = true;
        return arm_encode(e, m_arm_era);
    }
    case Kind::ArmLpae:
        return pte | lpae::L_PTE_DIRTY;
    case Kind::Arm64:
        return pte | a64::PTE_DIRTY_SW;
    }
    return pte;
}

u64 UserPteFormat::mkyoung(u64 pte) const {
    switch (m_kind) {
    case Kind::X86:
        return pte | x86::_PAGE_ACCESSED;
    case Kind::ArmClassic: {
        auto e = arm_decode(pte, m_arm_era);
        e.young = true;
        return arm_encode(e, m_arm_era);
    }
    case Kind::ArmLpae:
        return pte | lpae::L_PTE_YOUNG;
    case Kind::Arm64:
        return pte | a64::PTE_AF;
    }
    return pte;
}

u64 UserPteFormat::mkspecial(u64 pte) const {
    switch (m_kind) {
    case Kind::X86:
        return pte | kX86Special;
    case Kind::ArmClassic:
        return pte; // 2-level ARM has no special bit (pte_mkspecial is the identity)
    case Kind::ArmLpae:
        return pte | lpae::L_PTE_SPECIAL;
    case Kind::Arm64:
        return pte | a64::PTE_SPECIAL_SW;
    }
    return pte;
}

u64 UserPteFormat::modify(u64 pte, pgprot_t newprot) const {
    const u64 np = pgprot_val(newprot);
    switch (m_kind) {
    case Kind::X86: {
        // _PAGE_CHG_MASK: the frame, PCD, PWT, SPECIAL, A, D, SOFT_DIRTY survive.
        const u64 chg = pa_mask() | x86::_PAGE_PCD | x86::_PAGE_PWT | kX86Special |
                        x86::_PAGE_ACCESSED | x86::_PAGE_DIRTY | kX86SoftDirty;
        u64 v = (pte & chg) | (np & ~chg);
        // flip_protnone_guard: invert the frame when the pte turns PROT_NONE or back.
        auto inverted = [](u64 x) { return x != 0 && !(x & x86::_PAGE_PRESENT); };
        if (m_l1tf_invert && inverted(pte) != inverted(v))
            v = (v & ~pa_mask()) | (~v & pa_mask());
        return v;
    }
    case Kind::ArmClassic: {
        auto e = arm_decode(pte, m_arm_era);
        const auto n = arm_decode(static_cast<u32>(np), m_arm_era);
        e.writable = n.writable;
        e.executable = n.executable;
        e.user = n.user;
        e.prot_none = n.prot_none;
        return arm_encode(e, m_arm_era);
    }
    case Kind::ArmLpae: {
        const u64 mask = lpae::L_PTE_XN | lpae::L_PTE_RDONLY | lpae::L_PTE_USER | lpae::L_PTE_NONE |
                         lpae::L_PTE_VALID;
        return (pte & ~mask) | (np & mask);
    }
    case Kind::Arm64: {
        using namespace a64;
        const u64 mask = PTE_USER | PTE_PXN | PTE_UXN | PTE_RDONLY | PTE_PROT_NONE | PTE_VALID |
                         m_arm64_write | paging::arm_long::ATTR_INDX.mask();
        if (dirty(pte))
            pte |= PTE_DIRTY_SW; // preserve the hardware dirty state
        return (pte & ~mask) | (np & mask);
    }
    }
    return pte;
}

bool UserPteFormat::present(u64 pte) const {
    switch (m_kind) {
    case Kind::X86:
        return (pte & (x86::_PAGE_PRESENT | m_x86_protnone)) != 0;
    case Kind::ArmClassic:
        return (pte & paging::arm_linux::L_PTE_PRESENT) != 0;
    case Kind::ArmLpae:
        return (pte & lpae::L_PTE_PRESENT) != 0;
    case Kind::Arm64:
        return (pte & (a64::PTE_VALID | a64::PTE_PROT_NONE)) != 0;
    }
    return false;
}

bool UserPteFormat::write(u64 pte) const {
    switch (m_kind) {
    case Kind::X86:
        return (pte & x86::_PAGE_RW) != 0;
    case Kind::ArmClassic:
        return arm_decode(pte, m_arm_era).writable;
    case Kind::ArmLpae:
        return (pte & lpae::L_PTE_RDONLY) == 0;
    case Kind::Arm64:
        return (pte & m_arm64_write) != 0;
    }
    return false;
}

// pte_soft_dirty: x86_64 with CONFIG_MEM_SOFT_DIRTY (3.11+) has the bit; elsewhere it is 0
// (the generic pte_soft_dirty stub).
bool UserPteFormat::soft_dirty(u64 pte) const {
    return m_kind == Kind::X86 && m_soft_dirty && (pte & kX86SoftDirty) != 0;
}

bool UserPteFormat::dirty(u64 pte) const {
    switch (m_kind) {
    case Kind::X86:
        return (pte & x86::_PAGE_DIRTY) != 0;
    case Kind::ArmClassic:
        return arm_decode(pte, m_arm_era).dirty;
    case Kind::ArmLpae:
        return (pte & lpae::L_PTE_DIRTY) != 0;
    case Kind::Arm64: // pte_sw_dirty || pte_hw_dirty (writable and not read-only)
        return (pte & a64::PTE_DIRTY_SW) != 0 ||
               ((pte & m_arm64_write) != 0 && (pte & a64::PTE_RDONLY) == 0);
    }
    return false;
}

bool UserPteFormat::young(u64 pte) const {
    switch (m_kind) {
    case Kind::X86:
        return (pte & x86::_PAGE_ACCESSED) != 0;
    case Kind::ArmClassic:
        return arm_decode(pte, m_arm_era).young;
    case Kind::ArmLpae:
        return (pte & lpae::L_PTE_YOUNG) != 0;
    case Kind::Arm64:
        return (pte & a64::PTE_AF) != 0;
    }
    return false;
}

bool UserPteFormat::special(u64 pte) const {
    switch (m_kind) {
    case Kind::X86:
        return (pte & kX86Special) != 0;
    case Kind::ArmClassic:
        return false;
    case Kind::ArmLpae:
        return (pte & lpae::L_PTE_SPECIAL) != 0;
    case Kind::Arm64:
        return (pte & a64::PTE_SPECIAL_SW) != 0;
    }
    return false;
}

u64 UserPteFormat::stored_entry(u64 pte) const {
    if (pte == 0)
        return 0; // pte_clear
    switch (m_kind) {
    case Kind::X86:
    case Kind::ArmClassic:
        return pte;
    case Kind::ArmLpae: {
        // set_pte_at(addr < TASK_SIZE) ORs PTE_EXT_NG; cpu_v7_set_pte_ext clears the valid
        // bit of a PROT_NONE pte and sets AP[2] unless the pte is dirty and writable.
        u64 v = pte | lpae::PTE_EXT_NG;
        if (v & lpae::L_PTE_VALID) {
            if (v & lpae::L_PTE_NONE)
                v &= ~lpae::L_PTE_VALID;
            else if (!(v & lpae::L_PTE_DIRTY) || (v & lpae::L_PTE_RDONLY))
                v |= lpae::PTE_AP2;
            else
                v &= ~lpae::PTE_AP2;
        }
        return v;
    }
    case Kind::Arm64:
        // A valid pte is read-only for the hardware unless writable and dirty (set_pte_at
        // before 4.14; pte_mkdirty/pte_mkwrite keep the same invariant after).
        if (pte & a64::PTE_VALID) {
            if ((pte & m_arm64_write) && (pte & a64::PTE_DIRTY_SW))
                return pte & ~a64::PTE_RDONLY;
            return pte | a64::PTE_RDONLY;
        }
        return pte;
    }
    return pte;
}

u64 UserPteFormat::table_entry(unsigned level, PhysAddr next) const {
    switch (m_kind) {
    case Kind::X86:
        // pud_populate on PAE: P only; every other user table entry _PAGE_TABLE.
        if (m_x86_pae_pdpte && level == 0)
            return next.get() | x86::_PAGE_PRESENT;
        return next.get() | x86::_PAGE_TABLE;
    case Kind::ArmLpae:
        // pud_populate: __pa(pmd) | PMD_TYPE_TABLE; pmd_populate: _PAGE_USER_TABLE, which
        // is PMD_TYPE_TABLE on LPAE (PMD_BIT4 and the domain are 0 there).
        return next.get() | lpae::PMD_TYPE_TABLE;
    case Kind::Arm64: {
        // __pmd/__pud/__p4d_populate(..., *_TYPE_TABLE | *_TABLE_PXN) for user tables.
        u64 v = next.get() | paging::arm_long::TYPE_TABLE;
        if (m_arm64_64k)
            v = (next.get() & bit_mask(47, 16)) | paging::arm_long::TYPE_TABLE |
                paging::arm_long::OA_51_48_64K.put(0, next.get() >> 48);
        if (m_arm64_table_pxn)
            v |= a64::PMD_TABLE_PXN;
        return v;
    }
    case Kind::ArmClassic:
        return next.get() | m_arm_user_table; // not used: classic tables go by PGD pairs
    }
    return 0;
}

} // namespace kmemu
