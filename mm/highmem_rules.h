// HighmemRules: the per-version, per-arch choices of kmap/kmap_atomic/kmap_local (mm/highmem.c,
// arch/x86/mm/highmem_32.c, arch/arm/mm/highmem.c), decided once in highmem_rules_for()
// (DESIGN.md lesson 11). Only 32-bit HIGHMEM arches (i386, i386-pae, arm, arm-lpae) have them.
#pragma once

#include "mm/arch.h"
#include "mm/error.h"
#include "mm/kernel_version.h"
#include "mm/types.h"

namespace kmemu {

// How kmap_atomic picks its fixmap slot.
enum class KmapAtomicIndexing : u8 {
    KmType,      // <= 2.6.36: the caller's enum km_type; idx = type + KM_TYPE_NR * cpu
    PerCpuStack, // 2.6.37-5.10: kmap_atomic_idx_push(), a per-CPU stack 0, 1, 2, ...
    KmapLocal,   // 5.11+: kmap_local_idx_push() (per task), shared by kmap_atomic
};

// __fix_to_virt(x).
enum class FixmapDirection : u8 {
    Down, // FIXADDR_TOP - x * PAGE_SIZE (x86; generic fixmap, ARM 3.19+)
    Up,   // FIXADDR_START + x * PAGE_SIZE (ARM before 3.19)
};

// The kernel's enum km_type (<= 2.6.36). The values are the kernel's: KM_USER0 is 3 in every
// km_type list from 2.6.11 to 2.6.36 (x86 and ARM).
enum km_type : unsigned {
    KM_BOUNCE_READ,
    KM_SKB_SUNRPC_DATA,
    KM_SKB_DATA_SOFTIRQ,
    KM_USER0,
    KM_USER1,
    KM_BIO_SRC_IRQ,
    KM_BIO_DST_IRQ,
    KM_PTE0,
    KM_PTE1,
    KM_IRQ0,
    KM_IRQ1,
    KM_SOFTIRQ0,
    KM_SOFTIRQ1,
};

struct HighmemRules {
    Arch arch = Arch::I386;
    KmapAtomicIndexing indexing = KmapAtomicIndexing::KmapLocal;
    // Fixmap slots per CPU: KM_TYPE_NR (<= 5.10) or KM_MAX_IDX (5.11+). The stack depth limit
    // and the per-CPU stride.
    unsigned slots_per_cpu = 16;
    unsigned fix_kmap_begin = 0; // FIX_KMAP_BEGIN (fixmap index)
    FixmapDirection fixmap_direction = FixmapDirection::Down;
    // kunmap_atomic clears the slot's PTE (x86 always; ARM without DEBUG_HIGHMEM only with the
    // generic kmap_local, 5.11+).
    bool atomic_unmap_clears_pte = true;
    bool atomic_unmap_flushes = true; // x86 kpte_clear_flush / flush_tlb_one_kernel; ARM 5.11+
    bool atomic_map_flushes = false;  // ARM: set_top_pte / set_fixmap_pte / post_map flush
    // kmap_atomic of a highmem page that already has a pkmap address returns that address
    // and takes a pkmap reference (kmap_high_get, ARCH_NEEDS_KMAP_HIGH_GET: ARM).
    bool atomic_reuses_pkmap = false;
};

// Errors for arches without HIGHMEM (x86_64, arm64).
[[nodiscard]] ErrorOr<HighmemRules> highmem_rules_for(KernelVersion version, Arch arch);

} // namespace kmemu
