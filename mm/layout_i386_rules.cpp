// i386_rules_for(): every version-dependent i386 layout rule, decided once (DESIGN.md lesson 11).
// Boundaries marked "(unverified)" were bracketed from the kernel trees listed in
// ../shared/reference/layouts.md §0.2 plus the trees named here; the rest were read in source.
#include "mm/layout_i386.h"

namespace kmemu {

I386Rules i386_rules_for(KernelVersion v) {
    I386Rules r;
    r.version = v;

    // A.1: 2.6.11 hard-codes 0xC0000000 (include/asm-i386/page.h); CONFIG_VMSPLIT_* arrived in
    // 2.6.16 (unverified; present in 2.6.20). 2.6.24 (arch/x86/Kconfig) gave "2G" its
    // 0x80000000 meaning, added 2G_OPT, and made the _OPT splits depend on !X86_PAE instead of
    // 3G_OPT depending on !HIGHMEM.
    if (!v.at_least(2, 6, 16))
        r.split_era = SplitEra::Fixed3G;
    else if (!v.at_least(2, 6, 24))
        r.split_era = SplitEra::OldVmsplit;
    else
        r.split_era = SplitEra::Vmsplit;

    // A.3 FIX_BTMAP: 2.6.11 has 16 slots right after the permanent ones (include/asm-i386/
    // fixmap.h). 64*4 slots rounded up to a 256 boundary from 2.6.26 (unverified; seen in the
    // 2.6.27-era fixmap_32.h and in 2.6.32). Rounding only when the run would cross a PTE page
    // from 2.6.37 (unverified; 2.6.32 rounds always, 3.3.8 and 3.10.4 conditionally). 64*8
    // slots from 3.13 (unverified; 3.10.4 has 256, 3.14 has 512). FIX_WP_TEST follows on
    // 32-bit in every version checked (2.6.11 ... 6.1).
    if (!v.at_least(2, 6, 26)) {
        r.btmap_placement = BtmapPlacement::Directly;
        r.btmap_total = 16;
    } else if (!v.at_least(2, 6, 37)) {
        r.btmap_placement = BtmapPlacement::RoundUpAlways;
        r.btmap_total = 256;
    } else {
        r.btmap_placement = BtmapPlacement::RoundUpIfCrosses;
        r.btmap_total = v.at_least(3, 13) ? 512 : 256;
    }
    r.fixmap_slots_after_btmap = 1;
    // FIXADDR_BOOT_START was renamed FIXADDR_TOT_START with the 4.16 CPU_ENTRY_AREA/FIX_BTMAP
    // overlap fix (unverified; 3.14 has BOOT, 5.0 has TOT).
    r.fixmap_total_named_tot = v.at_least(4, 16);

    // Default permanent slots of a default SMP config (LOCAL_APIC, IO_APIC with MAX_IO_APICS =
    // 64, ACPI, PCI_MMCONFIG; no PARAVIRT, F00F, VISWS, OHCI1394, INTEL_MID, APEI_GHES):
    //  <= 2.6.27 (2.6.11 list): HOLE, VSYSCALL, APIC, 64 IO_APIC, [KMAP if HIGHMEM], 4 ACPI,
    //            PCIE_MCFG = 72 + kmap.
    //  2.6.28-3.9 (2.6.32 list): HOLE, VDSO, DBGP, EARLYCON, APIC, 64 IO_APIC, KMAP, PCIE_MCFG,
    //            TEXT_POKE1, TEXT_POKE0 = 72 + kmap.
    //  3.10-3.15: + RO_IDT (3.10.4 list) = 73 + kmap.
    //  3.16-4.14: FIX_VDSO gone (32-bit vdso left the fixmap, unverified 3.16) = 72 + kmap.
    //  4.15-5.2: RO_IDT moved into the cpu_entry_area = 71 + kmap.
    //  >= 5.3: TEXT_POKE gone (text_poke uses a temporary mm; unverified 5.3); the 6.1 list
    //            HOLE, DBGP, EARLYCON, APIC, 64 IO_APIC, KMAP, PCIE_MCFG = 69 + kmap.
    if (!v.at_least(2, 6, 28))
        r.fixmap_fixed_slots = 72;
    else if (!v.at_least(3, 10))
        r.fixmap_fixed_slots = 72;
    else if (!v.at_least(3, 16))
        r.fixmap_fixed_slots = 73;
    else if (!v.at_least(4, 15))
        r.fixmap_fixed_slots = 72;
    else if (!v.at_least(5, 3))
        r.fixmap_fixed_slots = 71;
    else
        r.fixmap_fixed_slots = 69;
    // KM_TYPE_NR: 13 enumerated km_types in 2.6.11-2.6.2x, 19 in 2.6.32 (asm-generic
    // kmap_types.h, from 2.6.28 here), 20 with stack-based kmap_atomic (2.6.37-5.10);
    // KM_MAX_IDX = 16 with kmap_local (>= 5.11). Debug options (DEBUG_HIGHMEM) are off.
    if (!v.at_least(2, 6, 28))
        r.kmap_slots_per_cpu = 13;
    else if (!v.at_least(2, 6, 37))
        r.kmap_slots_per_cpu = 19;
    else if (!v.at_least(5, 11))
        r.kmap_slots_per_cpu = 20;
    else
        r.kmap_slots_per_cpu = 16;
    // FIX_KMAP_* exist only with CONFIG_HIGHMEM up to 2.6.27 (2.6.11 fixmap.h), for every
    // 32-bit kernel later (2.6.32 fixmap.h; iomap_atomic needs them).
    r.kmap_slots_need_highmem = !v.at_least(2, 6, 28);
    // CONFIG_NR_CPUS defaults to 8 for a 32-bit SMP kernel in every era.
    r.default_nr_cpus = 8;

    // A.4.
    if (!v.at_least(3, 19))
        r.top_era = I386TopEra::PkmapBelowBootFixmap;
    else if (!v.at_least(4, 15))
        r.top_era = I386TopEra::PkmapBelowFixmap;
    else if (!v.at_least(4, 16))
        r.top_era = I386TopEra::CeaBelowFixmap;
    else if (!v.at_least(4, 19))
        r.top_era = I386TopEra::CeaBelowTotFixmap;
    else
        r.top_era = I386TopEra::CeaLdtBelowTotFixmap;
    // CPU_ENTRY_AREA_PAGES per CPU: 40 hard-coded in 4.15-4.19 (pgtable_32_types.h), 39 in
    // 5.4 (from 4.20, unverified), 43 from the 5.5 ioperm rework (41, then 43 as an upper
    // bound), DIV_ROUND_UP(sizeof(struct cpu_entry_area), PAGE_SIZE) = 43 from 5.11
    // (pgtable_32_areas.h). sizeof on 32-bit: gdt, entry stack (+guard), tss (3 pages before
    // 5.5, 5 after: the ioperm mapall bitmap), doublefault stack (+guard, 5.5+), debug store
    // (1) and its buffers (32): 39 pages in 4.15-5.4 (as printed in real logs), 43 after.
    if (!v.at_least(4, 20))
        r.cea_pages_per_cpu = 40;
    else if (!v.at_least(5, 5))
        r.cea_pages_per_cpu = 39;
    else
        r.cea_pages_per_cpu = 43;
    r.cea_struct_pages_per_cpu = v.at_least(5, 5) ? 43 : 39;

    // A.6: vmalloc= adds VMALLOC_OFFSET and MAXMEM uses VMALLOC_END from 2.6.28
    // (arch/x86/mm/pgtable_32.c, pgtable_32_types.h); earlier MAXMEM = -PAGE_OFFSET - reserve.
    r.vmalloc_param_adds_offset = v.at_least(2, 6, 28);
    r.maxmem_from_vmalloc_end = v.at_least(2, 6, 28);
    // A.8.
    r.vmalloc_start_rule =
        v.at_least(2, 6, 28) ? VmallocStartRule::NoRounding : VmallocStartRule::Round;

    // A.7.1: e820__end_of_ram_pfn counts E820_TYPE_ACPI in 6.13 but not in 6.1; placed at 6.11
    // (unverified; bracket 6.1-6.13).
    r.acpi_counts_for_max_pfn = v.at_least(6, 11);

    // A.9: 2.6.32 setup_arch leaves page 0 as RAM (zones start at pfn 0). trim_bios_range
    // (2.6.36) turns [0, reserve_low = 64 KiB) into reserved e820, so memblock starts at pfn
    // 0x10; later only the first page is changed in e820 (the 64 KiB go to memblock instead),
    // so zones start at pfn 1 (from 3.0, unverified) through 6.13 (the 5.13 removal was
    // reverted; 6.x trim_bios_range still does it).
    if (!v.at_least(2, 6, 36))
        r.low_e820_reserved_bytes = 0;
    else if (!v.at_least(3, 0))
        r.low_e820_reserved_bytes = 64 * KiB;
    else
        r.low_e820_reserved_bytes = 4 * KiB;

    // E.1: absent in 2.6.11 (mem_init prints only "Memory:"); present from 2.6.12-2.6.20
    // (unverified, placed at 2.6.18 where real logs show it) until 5.6; removed by
    // "x86/mm/init_32: Stop printing the virtual memory layout" (5.7). cpu_entry line 4.15-5.6.
    r.prints_layout_block = v.at_least(2, 6, 18) && !v.at_least(5, 7);
    r.block_has_cpu_entry = v.at_least(4, 15);

    // CONFIG_PHYSICAL_START: 0x100000 on 32-bit until the 2.6.31 change of the default
    // PHYSICAL_START and PHYSICAL_ALIGN to 16 MiB (unverified version; the older Kconfig's
    // "default 0x100000" was read). LOAD_PHYSICAL_ADDR = align_up(START, ALIGN) = 0x1000000.
    r.physical_start = v.at_least(2, 6, 31) ? 0x1000000 : 0x100000;
    r.image = i386_image_sizes_for(v);
    return r;
}

unsigned i386_default_fixmap_slots(const I386Rules& rules, unsigned nr_cpus, bool highmem) {
    unsigned kmap =
        (rules.kmap_slots_need_highmem && !highmem) ? 0 : rules.kmap_slots_per_cpu * nr_cpus;
    return rules.fixmap_fixed_slots + kmap;
}

} // namespace kmemu
