// Linux's arrangement of ARM classic (short-descriptor) page tables (layouts.md C.6): the Linux
// PGD of 2048 8-byte entries, each the pair of hardware L1 entries for 2 MiB; the PTE page
// holding two Linux tables (the software bits the hardware never sees) and two 256-entry
// hardware tables; and cpu_v7_set_pte_ext's translation of a Linux PTE into a hardware one.
// The kernel era is a parameter (ArmPteEra), decided once from the version by the caller.
#pragma once

#include "mm/error.h"
#include "mm/paging/bits.h"
#include "mm/paging/table_memory.h"
#include "mm/types.h"

namespace kmemu::paging {

enum class ArmPteEra : u8 {
    // 2.6.x up to the 2.6.38 rework: hardware tables at +0/+1024, Linux copies at
    // +2048/+3072; L_PTE_WRITE and L_PTE_EXEC in the positive sense; a user read-only page
    // is kernel-writable (checked in 2.6.32.9 arch/arm/mm/proc-v7.S cpu_v7_set_pte_ext).
    V2_6_32,
    // 3.x: Linux tables at +0/+1024, hardware at +2048/+3072 (PTE_HWTABLE_OFF); L_PTE_RDONLY
    // and L_PTE_XN; no domain trick on ARMv7 (checked in 3.6 proc-v7-2level.S).
    V3,
    // L_PTE_NONE (bit 11) added: a PROT_NONE pte is 0 in hardware (layouts.md C.6: 4.x+).
    V4,
};

struct ArmPteEraRules {
    bool hw_tables_first = false;         // h/w tables at +0 (true) or at +2048
    bool positive_write_exec = false;     // L_PTE_WRITE/L_PTE_EXEC vs L_PTE_RDONLY/L_PTE_XN
    bool has_pte_none = false;            // L_PTE_NONE exists
    bool user_ro_kernel_writable = false; // USER and APX: clear APX and AP[0] (domains)
};
[[nodiscard]] constexpr ArmPteEraRules arm_pte_era_rules(ArmPteEra era) {
    switch (era) {
    case ArmPteEra::V2_6_32:
        return {true, true, false, true};
    case ArmPteEra::V3:
        return {false, false, false, false};
    case ArmPteEra::V4:
        return {false, false, true, false};
    }
    return {};
}

namespace arm_linux {
inline constexpr unsigned L_PTE_BIT_PRESENT = 0; // also L_PTE_VALID
inline constexpr unsigned L_PTE_BIT_YOUNG = 1;
inline constexpr BitRange L_PTE_MT = bits(5, 2);
inline constexpr unsigned L_PTE_BIT_DIRTY = 6;
inline constexpr unsigned L_PTE_BIT_WRITE_OR_RDONLY = 7; // WRITE (2.6.32) / RDONLY (3.x+)
inline constexpr unsigned L_PTE_BIT_USER = 8;
inline constexpr unsigned L_PTE_BIT_EXEC_OR_XN = 9; // EXEC (2.6.32) / XN (3.x+)
inline constexpr unsigned L_PTE_BIT_SHARED = 10;
inline constexpr unsigned L_PTE_BIT_NONE = 11;
inline constexpr BitRange L_PTE_PFN = bits(31, 12);

inline constexpr u64 L_PTE_PRESENT = bit(L_PTE_BIT_PRESENT);
inline constexpr u64 L_PTE_YOUNG = bit(L_PTE_BIT_YOUNG);
inline constexpr u64 L_PTE_DIRTY = bit(L_PTE_BIT_DIRTY);
inline constexpr u64 L_PTE_WRITE = bit(L_PTE_BIT_WRITE_OR_RDONLY);
inline constexpr u64 L_PTE_RDONLY = bit(L_PTE_BIT_WRITE_OR_RDONLY);
inline constexpr u64 L_PTE_USER = bit(L_PTE_BIT_USER);
inline constexpr u64 L_PTE_EXEC = bit(L_PTE_BIT_EXEC_OR_XN);
inline constexpr u64 L_PTE_XN = bit(L_PTE_BIT_EXEC_OR_XN);
inline constexpr u64 L_PTE_SHARED = bit(L_PTE_BIT_SHARED);
inline constexpr u64 L_PTE_NONE = bit(L_PTE_BIT_NONE);

// L_PTE_MT_* memory types (the value of bits 5:2).
inline constexpr u8 MT_UNCACHED = 0x0;
inline constexpr u8 MT_BUFFERABLE = 0x1;
inline constexpr u8 MT_WRITETHROUGH = 0x2;
inline constexpr u8 MT_WRITEBACK = 0x3;
inline constexpr u8 MT_DEV_SHARED = 0x4;
inline constexpr u8 MT_MINICACHE = 0x6;
inline constexpr u8 MT_WRITEALLOC = 0x7;
inline constexpr u8 MT_DEV_WC = 0x9;
inline constexpr u8 MT_DEV_CACHED = 0xb;
inline constexpr u8 MT_DEV_NONSHARED = 0xc;
inline constexpr u8 MT_VECTORS = 0xf;

// The PTE page: 512 Linux PTEs (PTRS_PER_PTE) and 2 x 256 hardware PTEs.
inline constexpr unsigned PTRS_PER_PTE = 512;
inline constexpr unsigned PTE_HWTABLE_PTRS = PTRS_PER_PTE;
inline constexpr u64 PTE_HWTABLE_OFF = PTE_HWTABLE_PTRS * 4; // 2048
inline constexpr u64 HW_PTE_TABLE_SIZE = 256 * 4;            // 1024
inline constexpr unsigned PGDIR_SHIFT = 21;                  // = PMD_SHIFT, folded
inline constexpr unsigned PTRS_PER_PGD = 2048;
inline constexpr unsigned SECTION_SHIFT = 20;
} // namespace arm_linux

// _PAGE_KERNEL_TABLE / _PAGE_USER_TABLE: PMD_TYPE_TABLE | PMD_BIT4 | PMD_DOMAIN(domain)
// (arch/arm/include/asm/pgalloc.h). Linux's DOMAIN_KERNEL is 0 and DOMAIN_USER 1 unless
// CONFIG_IO_36; the caller passes the domain.
[[nodiscard]] u32 arm_linux_table_prot(unsigned domain);

// A Linux PTE with the logical meaning of each bit; the era decides each bit's polarity.
struct ArmLinuxPte {
    bool present = false;
    bool young = false;
    bool dirty = false;
    bool writable = false;
    bool user = false;
    bool executable = false;
    bool shared = false;
    bool prot_none = false; // L_PTE_NONE (V4 era only)
    u8 mt = 0;              // L_PTE_MT_* (bits 5:2)
    PhysAddr page;          // 4 KiB aligned, below 4 GiB
    bool operator==(const ArmLinuxPte&) const = default;
};
[[nodiscard]] ErrorOr<u32> encode_arm_linux_pte(const ArmLinuxPte& pte, ArmPteEra era);
[[nodiscard]] ArmLinuxPte decode_arm_linux_pte(u32 raw, ArmPteEra era);

// cpu_v7_set_pte_ext's hardware value for a Linux PTE and the "ext" bits (PTE_EXT_NG etc.).
[[nodiscard]] u32 arm_linux_to_hw_pte(u32 linux_pte, u32 ext, ArmPteEra era);

// Byte offsets inside a PTE page of Linux PTE `index` (0..511) and of its hardware entry.
[[nodiscard]] u64 arm_linux_pte_offset(ArmPteEra era, unsigned index);
[[nodiscard]] u64 arm_hw_pte_offset(ArmPteEra era, unsigned index);
// Offset of hardware table 0 or 1 (what the two L1 entries of a PGD pair point at).
[[nodiscard]] u64 arm_hw_table_offset(ArmPteEra era, unsigned which);

// set_pte_ext: stores the Linux PTE and its hardware entry in the PTE page.
[[nodiscard]] ErrorOr<void> arm_set_pte_ext(PageTableMemory& mem, PhysAddr pte_page, unsigned index,
                                            u32 linux_pte, u32 ext, ArmPteEra era);
// pmd_populate: points the Linux PGD entry covering `va` (both of its L1 entries) at the
// hardware tables of `pte_page`, with `prot` (e.g. arm_linux_table_prot(1)).
[[nodiscard]] ErrorOr<void> arm_pmd_populate(PageTableMemory& mem, PhysAddr pgd, VirtAddr va,
                                             PhysAddr pte_page, u32 prot, ArmPteEra era);

} // namespace kmemu::paging
