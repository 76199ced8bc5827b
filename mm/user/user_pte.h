// UserPteFormat: the bits of user PTEs, as each arch's kernel builds them (DESIGN.md decision 3):
// vm_get_page_prot (protection_map), mk_pte, and the pte_mk*/pte_* helpers the fault path uses.
//
// The value a UserPteFormat works on is the Linux PTE: on x86 and arm64 the entry in the table
// itself; on ARM LPAE the entry before cpu_v7_set_pte_ext fixes up AP[2] and the valid bit
// (hw_entry() gives what is stored; reading a stored entry back gives the same Linux view);
// on ARM classic the Linux copy in the PTE page (the hardware entry is set_pte_ext's).
//
// Sources: x86 arch/x86/include/asm/pgtable_types.h and pgtable.h, arch/x86/mm/pgprot.c (6.0+)
// / mm/mmap.c protection_map; ARM arch/arm/include/asm/pgtable.h, pgtable-2level.h,
// pgtable-3level.h, arch/arm/mm/mmu.c build_mem_type_table (SMP ARMv7: pgprot_user =
// PRESENT | YOUNG | MT_WRITEALLOC | SHARED), proc-v7-3level.S; arm64
// arch/arm64/include/asm/pgtable-prot.h and pgtable.h.
#pragma once

#include "mm/kernel_pgtable.h"
#include "mm/user/user_mm_rules.h"
#include "mm/user/vm_area.h"

namespace kmemu {

class UserPteFormat {
  public:
    [[nodiscard]] static UserPteFormat create(const Layout& layout, const UserMmRules& rules,
                                              const KernelPgtableRules& kernel_rules);

    // vm_get_page_prot(vm_flags): protection_map[flags & (READ|WRITE|EXEC|SHARED)], with the
    // arch's filters (x86 __supported_pte_mask and the 32-bit NX loss of 6.0+).
    [[nodiscard]] pgprot_t vm_get_page_prot(unsigned long vm_flags) const;
    // mk_pte / pfn_pte (x86 4.18+: the PFN of a PROT_NONE pte is inverted, L1TF).
    [[nodiscard]] u64 mk_pte(Pfn pfn, pgprot_t prot) const;
    [[nodiscard]] u64 mkwrite(u64 pte) const;
    [[nodiscard]] u64 wrprotect(u64 pte) const;
    [[nodiscard]] u64 mkdirty(u64 pte) const; // x86_64 3.11+: also _PAGE_SOFT_DIRTY
    [[nodiscard]] u64 mkyoung(u64 pte) const;
    [[nodiscard]] u64 mkspecial(u64 pte) const; // no such bit on ARM classic: unchanged
    // pte_modify(pte, newprot): keep the frame, A/D (young/dirty) and memory type, take the
    // permission bits from newprot (mprotect's change_pte_range).
    [[nodiscard]] u64 modify(u64 pte, pgprot_t newprot) const;

    [[nodiscard]] bool none(u64 pte) const { return pte == 0; }
    [[nodiscard]] bool present(u64 pte) const; // pte_present (PROT_NONE ptes are present)
    [[nodiscard]] bool write(u64 pte) const;
    [[nodiscard]] bool dirty(u64 pte) const;
    [[nodiscard]] bool soft_dirty(u64 pte) const; // pte_soft_dirty (x86_64 3.11+)
    [[nodiscard]] bool young(u64 pte) const;
    [[nodiscard]] bool special(u64 pte) const;
    [[nodiscard]] Pfn pfn(u64 pte) const;

    // The value stored for a user address: x86 and arm64 the PTE itself; LPAE
    // cpu_v7_set_pte_ext's fix-up plus nG; ARM classic the Linux PTE (the hardware half is
    // written by arm_set_pte_ext with ext = PTE_EXT_NG).
    [[nodiscard]] u64 stored_entry(u64 pte) const;

    // Entries of user tables above the PTE level (pmd/pud/p4d/pgd_populate): `level` is the
    // level of the entry (PagingFormat index), `next` the table it points at.
    [[nodiscard]] u64 table_entry(unsigned level, PhysAddr next) const;
    // ARM classic: _PAGE_USER_TABLE (PMD_TYPE_TABLE | PMD_BIT4 | PMD_DOMAIN(DOMAIN_USER),
    // + PMD_PXNTABLE on 3.19+ CPUs with PXN).
    [[nodiscard]] u32 arm_user_table_prot() const { return m_arm_user_table; }
    [[nodiscard]] paging::ArmPteEra arm_era() const { return m_arm_era; }

  private:
    enum class Kind : u8 { X86, ArmClassic, ArmLpae, Arm64 };
    UserPteFormat() = default;
    [[nodiscard]] u64 x86_prot(unsigned long vm_flags) const;
    [[nodiscard]] u64 arm_prot(unsigned long vm_flags) const;
    [[nodiscard]] u64 arm64_prot(unsigned long vm_flags) const;
    [[nodiscard]] u64 pa_mask() const;

    Kind m_kind = Kind::X86;
    unsigned m_page_shift = 12;
    // x86
    bool m_x86_64bit_entries = true; // PAE and x86_64: 8-byte entries
    bool m_x86_nx = true;
    bool m_x86_pae_pdpte = false;
    bool m_soft_dirty = false;
    bool m_l1tf_invert = false;
    u64 m_x86_protnone = 0;
    // ARM
    paging::ArmPteEra m_arm_era = paging::ArmPteEra::V4;
    u32 m_arm_user_table = 0;
    // arm64
    u64 m_arm64_write = 0;
    u8 m_arm64_attr_normal = 0;
    bool m_arm64_table_pxn = false;
    bool m_arm64_64k = false;
};

} // namespace kmemu
