#include "mm/paging/arm_linux_pte.h"

#include "mm/paging/arm_short_entry.h"

namespace kmemu::paging {

using namespace arm_linux;

u32 arm_linux_table_prot(unsigned domain) {
    return static_cast<u32>(arm_short::PMD_TYPE_TABLE | arm_short::PMD_BIT4 |
                            arm_short::PMD_DOMAIN(domain));
}

ErrorOr<u32> encode_arm_linux_pte(const ArmLinuxPte& pte, ArmPteEra era) {
    const ArmPteEraRules rules = arm_pte_era_rules(era);
    if ((pte.page.get() & ~L_PTE_PFN.mask()) != 0)
        return make_error(ErrorKind::Internal,
                          "ARM Linux pte: page {:#x} must be 4 KiB aligned below 4 GiB", pte.page);
    if (!L_PTE_MT.fits(pte.mt))
        return make_error(ErrorKind::Internal, "ARM Linux pte: memory type {} is not 0..15",
                          pte.mt);
    if (pte.prot_none && !rules.has_pte_none)
        return make_error(ErrorKind::Internal, "ARM Linux pte: L_PTE_NONE does not exist in "
                                               "this era");
    u64 raw = pte.page.get();
    raw = with_bit(raw, L_PTE_BIT_PRESENT, pte.present);
    raw = with_bit(raw, L_PTE_BIT_YOUNG, pte.young);
    raw = L_PTE_MT.put(raw, pte.mt);
    raw = with_bit(raw, L_PTE_BIT_DIRTY, pte.dirty);
    raw = with_bit(raw, L_PTE_BIT_WRITE_OR_RDONLY,
                   rules.positive_write_exec ? pte.writable : !pte.writable);
    raw = with_bit(raw, L_PTE_BIT_USER, pte.user);
    raw = with_bit(raw, L_PTE_BIT_EXEC_OR_XN,
                   rules.positive_write_exec ? pte.executable : !pte.executable);
    raw = with_bit(raw, L_PTE_BIT_SHARED, pte.shared);
    raw = with_bit(raw, L_PTE_BIT_NONE, pte.prot_none);
    return static_cast<u32>(raw);
}

ArmLinuxPte decode_arm_linux_pte(u32 raw, ArmPteEra era) {
    const ArmPteEraRules rules = arm_pte_era_rules(era);
    ArmLinuxPte pte;
    pte.present = test(raw, L_PTE_BIT_PRESENT);
    pte.young = test(raw, L_PTE_BIT_YOUNG);
    pte.mt = static_cast<u8>(L_PTE_MT.get(raw));
    pte.dirty = test(raw, L_PTE_BIT_DIRTY);
    const bool b7 = test(raw, L_PTE_BIT_WRITE_OR_RDONLY);
    const bool b9 = test(raw, L_PTE_BIT_EXEC_OR_XN);
    pte.writable = rules.positive_write_exec ? b7 : !b7;
    pte.executable = rules.positive_write_exec ? b9 : !b9;
    pte.user = test(raw, L_PTE_BIT_USER);
    pte.shared = test(raw, L_PTE_BIT_SHARED);
    pte.prot_none = rules.has_pte_none && test(raw, L_PTE_BIT_NONE);
    pte.page = PhysAddr(raw & L_PTE_PFN.mask());
    return pte;
}

// cpu_v7_set_pte_ext (2.6.32 proc-v7.S; 3.x+ proc-v7-2level.S), restated: keep the PFN and
// bits 3:2 (C, B from L_PTE_MT) and 11:10, clear bits 9:4 and the type, OR in `ext`, AP[0]
// and the small-page type; TEX[0] from MT bit 2 (bit 4); APX unless writable and dirty; AP[1]
// for user; XN unless executable; and 0 when not young, not present, or PROT_NONE.
u32 arm_linux_to_hw_pte(u32 linux_pte, u32 ext, ArmPteEra era) {
    using namespace arm_short;
    const ArmPteEraRules rules = arm_pte_era_rules(era);
    const ArmLinuxPte l = decode_arm_linux_pte(linux_pte, era);
    u64 hw = linux_pte & ~(bit_mask(9, 4) | L2_TYPE.mask());
    hw |= ext;
    hw |= PTE_EXT_AP0 | PTE_TYPE_SMALL;
    if (test(linux_pte, L_PTE_MT.lo + 2)) // MT bit 2 = TEX[0] under TEX remapping
        hw |= PTE_EXT_TEX(1);
    // Read-only, or clean: the first write faults, which is how Linux sees dirtying.
    if (!(l.writable && l.dirty))
        hw |= PTE_EXT_APX;
    if (l.user) {
        hw |= PTE_EXT_AP1;
        // With domains, kernel accesses to user pages run as manager-less client accesses that
        // must still write read-only user pages: make them AP = 10 (kernel RW, user RO).
        if (rules.user_ro_kernel_writable && (hw & PTE_EXT_APX) != 0)
            hw &= ~(PTE_EXT_APX | PTE_EXT_AP0);
    }
    if (!l.executable)
        hw |= PTE_EXT_XN;
    // Not young or not present: no hardware entry, so the first access faults (young bit
    // emulation); PROT_NONE likewise.
    if (!l.young || !l.present || l.prot_none)
        hw = 0;
    return static_cast<u32>(hw);
}

u64 arm_linux_pte_offset(ArmPteEra era, unsigned index) {
    const u64 base = arm_pte_era_rules(era).hw_tables_first ? PTE_HWTABLE_OFF : 0;
    return base + u64{index % PTRS_PER_PTE} * 4;
}
u64 arm_hw_pte_offset(ArmPteEra era, unsigned index) {
    const u64 base = arm_pte_era_rules(era).hw_tables_first ? 0 : PTE_HWTABLE_OFF;
    return base + u64{index % PTRS_PER_PTE} * 4;
}
u64 arm_hw_table_offset(ArmPteEra era, unsigned which) {
    return arm_hw_pte_offset(era, 0) + u64{which & 1u} * HW_PTE_TABLE_SIZE;
}

ErrorOr<void> arm_set_pte_ext(PageTableMemory& mem, PhysAddr pte_page, unsigned index,
                              u32 linux_pte, u32 ext, ArmPteEra era) {
    if (!pte_page.is_aligned(4096) || index >= PTRS_PER_PTE)
        return make_error(ErrorKind::Internal,
                          "set_pte_ext: PTE page {:#x} must be page aligned and index {} < 512",
                          pte_page, index);
    TRY(mem.store_descriptor(pte_page.offset(arm_linux_pte_offset(era, index)),
                             DescriptorWidth::Bytes4, linux_pte));
    TRY(mem.store_descriptor(pte_page.offset(arm_hw_pte_offset(era, index)),
                             DescriptorWidth::Bytes4, arm_linux_to_hw_pte(linux_pte, ext, era)));
    return {};
}

ErrorOr<void> arm_pmd_populate(PageTableMemory& mem, PhysAddr pgd, VirtAddr va, PhysAddr pte_page,
                               u32 prot, ArmPteEra era) {
    if (!pgd.is_aligned(16 * KiB) || !pte_page.is_aligned(4096) || va.get() > 0xffffffffu)
        return make_error(ErrorKind::Internal,
                          "pmd_populate: pgd {:#x} must be 16 KiB aligned, the PTE page {:#x} "
                          "page aligned and va {:#x} 32-bit",
                          pgd, pte_page, va);
    // The Linux pgd entry (8 bytes) for va is hardware L1 entries 2k and 2k+1.
    const u64 pgd_index = va.get() >> PGDIR_SHIFT;
    const PhysAddr pmdp = pgd.offset(pgd_index * 8);
    for (unsigned i = 0; i < 2; ++i) {
        const u64 value = (pte_page.get() + arm_hw_table_offset(era, i)) | prot;
        TRY(mem.store_descriptor(pmdp.offset(4 * i), DescriptorWidth::Bytes4, value));
    }
    return {};
}

} // namespace kmemu::paging
