// highmem_rules_for(): every version-dependent kmap rule, decided once. Sources read (kernel
// trees named by version): 2.6.32 arch/x86/mm/highmem_32.c and arch/x86/include/asm/fixmap.h,
// 3.10.4 and 6.x arch/x86/include/asm/fixmap.h, 4.2 and 4.4-era arch/arm/mm/highmem.c, and the
// 5.11 kmap_local conversion of arch/arm (mm/highmem.c __kmap_local_pfn_prot,
// kunmap_local_indexed). Boundaries not read are marked (unverified).
#include "mm/highmem_rules.h"

#include "mm/layout_i386.h"

namespace kmemu {

namespace {

// FIX_KMAP_BEGIN on i386: the number of permanent fixmap slots enumerated before it in a
// default SMP config (LOCAL_APIC, IO_APIC with MAX_IO_APICS = 64; no PARAVIRT_CLOCK, F00F,
// VISWS, OHCI1394, CYCLONE), matching the slot lists of layout_i386_rules.cpp:
unsigned i386_fix_kmap_begin(KernelVersion v) {
    // <= 2.6.27: FIX_HOLE, FIX_VSYSCALL, FIX_APIC_BASE, 64 FIX_IO_APIC (the 2.6.11 list).
    if (!v.at_least(2, 6, 28))
        return 67;
    // 2.6.28-3.9: FIX_HOLE, FIX_VDSO, FIX_DBGP_BASE, FIX_EARLYCON_MEM_BASE, FIX_APIC_BASE, 64
    // FIX_IO_APIC (read in 2.6.32).
    if (!v.at_least(3, 10))
        return 69;
    // 3.10-3.15: + FIX_RO_IDT just before FIX_KMAP_BEGIN (read in 3.10.4).
    if (!v.at_least(3, 16))
        return 70;
    // 3.16-4.14: FIX_VDSO gone (unverified 3.16, as in the layout rules).
    if (!v.at_least(4, 15))
        return 69;
    // 4.15+: FIX_RO_IDT moved into the cpu_entry_area: FIX_HOLE, FIX_DBGP_BASE,
    // FIX_EARLYCON_MEM_BASE, FIX_APIC_BASE, 64 FIX_IO_APIC (read in 6.x).
    return 68;
}

KmapAtomicIndexing indexing_for(KernelVersion v) {
    // kmap_atomic_idx_push replaced the km_type argument in 2.6.37 (the type argument stayed
    // accepted and ignored for a while); kmap_local in 5.11.
    if (!v.at_least(2, 6, 37))
        return KmapAtomicIndexing::KmType;
    if (!v.at_least(5, 11))
        return KmapAtomicIndexing::PerCpuStack;
    return KmapAtomicIndexing::KmapLocal;
}

} // namespace

ErrorOr<HighmemRules> highmem_rules_for(KernelVersion v, Arch arch) {
    HighmemRules r;
    r.arch = arch;
    r.indexing = indexing_for(v);
    switch (arch) {
    case Arch::I386:
    case Arch::I386Pae:
        // KM_TYPE_NR / KM_MAX_IDX as the i386 layout counts its kmap slots.
        r.slots_per_cpu = i386_rules_for(v).kmap_slots_per_cpu;
        r.fix_kmap_begin = i386_fix_kmap_begin(v);
        r.fixmap_direction = FixmapDirection::Down;
        // kunmap_atomic: kpte_clear_flush (2.6.x-5.10), pte_clear + flush_tlb_one_kernel in
        // arch_kmap_local_post_unmap (5.11+). kmap_atomic only sets the PTE (it BUGs if the
        // PTE is not none).
        r.atomic_unmap_clears_pte = true;
        r.atomic_unmap_flushes = true;
        r.atomic_map_flushes = false;
        r.atomic_reuses_pkmap = false;
        return r;
    case Arch::Arm:
    case Arch::ArmLpae:
        // KM_TYPE_NR = 16 (arch/arm/include/asm/kmap_types.h; 2.6.3x enumerated list
        // unverified), KM_MAX_IDX = 16 (5.11+).
        r.slots_per_cpu = 16;
        if (!v.at_least(3, 19)) {
            // Before the generic fixmap: FIX_KMAP_BEGIN 0, slots upward from FIXADDR_START.
            r.fix_kmap_begin = 0;
            r.fixmap_direction = FixmapDirection::Up;
        } else {
            // 3.19: generic downward fixmap, FIX_KMAP_BEGIN first (4.2 highmem.c uses
            // __fix_to_virt(idx) directly); FIX_EARLYCON_MEM_BASE then comes first, making
            // FIX_KMAP_BEGIN 1 (4.3, unverified; the 4.4-era code adds FIX_KMAP_BEGIN).
            r.fix_kmap_begin = v.at_least(4, 3) ? 1 : 0;
            r.fixmap_direction = FixmapDirection::Down;
        }
        // Without DEBUG_HIGHMEM, kunmap_atomic leaves the PTE and kmap_atomic's set_pte
        // flushes the page instead; the generic kmap_local (5.11+) clears and flushes on
        // unmap (arch_kmap_local_post_unmap) and flushes on map (post_map).
        r.atomic_unmap_clears_pte = v.at_least(5, 11);
        r.atomic_unmap_flushes = v.at_least(5, 11);
        r.atomic_map_flushes = true;
        // ARCH_NEEDS_KMAP_HIGH_GET: defined unless SMP with CPU_TLB_V6; kmemu models an
        // ARMv7 SMP kernel, so kmap_atomic first tries kmap_high_get (arch_kmap_local_high_get
        // 5.11+). Present since ARM HIGHMEM support (2.6.29-2.6.31, unverified).
        r.atomic_reuses_pkmap = true;
        return r;
    case Arch::X86_64:
    case Arch::X86_64La57:
    case Arch::Arm64:
        break;
    }
    return make_error(ErrorKind::InvalidConfig,
                      "kmap: arch={} has no HIGHMEM (allowed: i386, i386-pae, arm, arm-lpae)",
                      arch_name(arch));
}

} // namespace kmemu
