// x86 paging-structure entries (PTE, PDE, PDPTE, PML4E, PML5E) as typed values, with the
// kernel's own names for the bits (layouts.md A.10; arch/x86/include/asm/pgtable_types.h, the
// same bit numbers from 2.6.11 to 6.13).
#pragma once

#include "mm/error.h"
#include "mm/paging/bits.h"
#include "mm/types.h"

namespace kmemu::paging {

// The kernel's _PAGE_BIT_* numbers and _PAGE_* masks. The leading underscore names are the
// kernel's spelling (DESIGN.md decision 9); they live in this namespace only.
namespace x86 {
inline constexpr unsigned _PAGE_BIT_PRESENT = 0;
inline constexpr unsigned _PAGE_BIT_RW = 1;
inline constexpr unsigned _PAGE_BIT_USER = 2;
inline constexpr unsigned _PAGE_BIT_PWT = 3;
inline constexpr unsigned _PAGE_BIT_PCD = 4;
inline constexpr unsigned _PAGE_BIT_ACCESSED = 5;
inline constexpr unsigned _PAGE_BIT_DIRTY = 6;
inline constexpr unsigned _PAGE_BIT_PSE = 7; // PS in a PDE/PDPTE
inline constexpr unsigned _PAGE_BIT_PAT = 7; // PAT in a 4 KiB PTE
inline constexpr unsigned _PAGE_BIT_GLOBAL = 8;
inline constexpr unsigned _PAGE_BIT_SOFTW1 = 9;
inline constexpr unsigned _PAGE_BIT_SOFTW3 = 11;
inline constexpr unsigned _PAGE_BIT_PAT_LARGE = 12;
inline constexpr unsigned _PAGE_BIT_PKEY_BIT0 = 59;
inline constexpr unsigned _PAGE_BIT_PKEY_BIT3 = 62;
inline constexpr unsigned _PAGE_BIT_NX = 63;

inline constexpr u64 _PAGE_PRESENT = bit(_PAGE_BIT_PRESENT);
inline constexpr u64 _PAGE_RW = bit(_PAGE_BIT_RW);
inline constexpr u64 _PAGE_USER = bit(_PAGE_BIT_USER);
inline constexpr u64 _PAGE_PWT = bit(_PAGE_BIT_PWT);
inline constexpr u64 _PAGE_PCD = bit(_PAGE_BIT_PCD);
inline constexpr u64 _PAGE_ACCESSED = bit(_PAGE_BIT_ACCESSED);
inline constexpr u64 _PAGE_DIRTY = bit(_PAGE_BIT_DIRTY);
inline constexpr u64 _PAGE_PSE = bit(_PAGE_BIT_PSE);
inline constexpr u64 _PAGE_PAT = bit(_PAGE_BIT_PAT);
inline constexpr u64 _PAGE_GLOBAL = bit(_PAGE_BIT_GLOBAL);
inline constexpr u64 _PAGE_PAT_LARGE = bit(_PAGE_BIT_PAT_LARGE);
inline constexpr u64 _PAGE_NX = bit(_PAGE_BIT_NX);
inline constexpr BitRange PKEY_BITS = bits(_PAGE_BIT_PKEY_BIT3, _PAGE_BIT_PKEY_BIT0);
inline constexpr BitRange SOFTW_BITS = bits(_PAGE_BIT_SOFTW3, _PAGE_BIT_SOFTW1);

// Table entries: kernel tables are P|RW|A|D, user tables add US (pgtable_types.h).
inline constexpr u64 _KERNPG_TABLE = _PAGE_PRESENT | _PAGE_RW | _PAGE_ACCESSED | _PAGE_DIRTY;
inline constexpr u64 _PAGE_TABLE = _KERNPG_TABLE | _PAGE_USER;
// __PAGE_KERNEL before __supported_pte_mask is applied: P|RW|A|D|G|NX.
inline constexpr u64 __PAGE_KERNEL =
    _PAGE_PRESENT | _PAGE_RW | _PAGE_ACCESSED | _PAGE_DIRTY | _PAGE_GLOBAL | _PAGE_NX;
// A PAE PDPTE carries only P and the address (pgd_populate on PAE, layouts.md A.10).
inline constexpr u64 PAE_PDPTE_PRESENT = _PAGE_PRESENT;
} // namespace x86

enum class X86EntryWidth : u8 { Bits32, Bits64 }; // non-PAE / PAE and x86_64
enum class NxSupport : u8 { Absent, Present };

// __supported_pte_mask as probe_page_size_mask leaves it: all ones with NX, bit 63 clear on a
// PAE CPU without NX, and only the low 32 bits on non-PAE (layouts.md A.10, checked on 6.1).
[[nodiscard]] constexpr u64 supported_pte_mask(X86EntryWidth width, NxSupport nx) {
    if (width == X86EntryWidth::Bits32)
        return bit_mask(31, 0);
    return nx == NxSupport::Present ? ~u64{0} : ~x86::_PAGE_NX;
}
// PAGE_KERNEL = __PAGE_KERNEL & __supported_pte_mask: 0x8000000000000163 (x86_64, PAE with NX)
// or 0x163 (non-PAE).
[[nodiscard]] constexpr u64 page_kernel(X86EntryWidth width, NxSupport nx) {
    return x86::__PAGE_KERNEL & supported_pte_mask(width, nx);
}

// Which kind of entry a value is; it decides where PAT sits and which bits hold the address.
enum class X86EntryShape : u8 {
    Table,    // points at the next table (PS = 0)
    Page4K,   // a PTE: bit 7 is PAT
    Large4M,  // non-PAE PDE with PS: PA[31:22] in 31:22, PA[39:32] in 20:13 (PSE-36)
    Large2M,  // PAE / x86_64 PDE with PS: PA bits 51:21
    Large1G,  // x86_64 PDPTE with PS: PA bits 51:30
    PaePdpte, // one of the 4 PAE PDPTEs: only P, PWT, PCD and the address
};

struct X86Entry {
    bool present = false;
    bool rw = false;
    bool user = false;
    bool pwt = false;
    bool pcd = false;
    bool accessed = false;
    bool dirty = false;
    bool global = false;
    bool pat = false; // bit 7 in a PTE, bit 12 in a large page; absent in tables
    bool nx = false;  // bit 63, 64-bit entries only
    u8 pkey = 0;      // bits 62:59, 64-bit entries only (kept, not checked: no PKRU model)
    u8 software = 0;  // bits 11:9 (SOFTW1..3)
    PhysAddr addr;    // next table, or the page/large page base

    bool operator==(const X86Entry&) const = default;
};

// Encodes an entry; an address that is not aligned for the shape, or that does not fit the
// width's address field, or a 64-bit-only field in a 32-bit entry, is an error.
[[nodiscard]] ErrorOr<u64> encode_x86(const X86Entry& e, X86EntryShape shape, X86EntryWidth width);
[[nodiscard]] X86Entry decode_x86(u64 raw, X86EntryShape shape, X86EntryWidth width);

} // namespace kmemu::paging
