// init_mm's page tables for 32-bit ARM, classic short descriptors and LPAE, as
// arch/arm/kernel/head.S and arch/arm/mm/mmu.c (paging_init: map_lowmem, devicemaps_init,
// kmap_init) leave them. kmemu models an SMP ARMv7 (QEMU virt, multi_v7_defconfig): cache
// policy write-alloc, shared mappings (build_mem_type_table forces both on SMP), TEX remap.
#include <algorithm>

#include "mm/kernel_pgtable.h"

namespace kmemu {

namespace {

using namespace paging;
using namespace paging::arm_short;

constexpr u64 kTextOffset = 0x8000;      // TEXT_OFFSET
constexpr u64 kVectorsBase = 0xffff0000; // high vectors

// LPAE descriptor bits (pgtable-3level-hwdef.h / pgtable-3level.h).
constexpr u64 kLpaeTable = 0b11;            // PMD_TYPE_TABLE / L_PTE_PRESENT|page
constexpr u64 kLpaeBlock = 0b01;            // PMD_TYPE_SECT
constexpr u64 kLpaeWbwa = u64{7} << 2;      // PMD_SECT_WBWA / L_PTE_MT_WRITEALLOC
constexpr u64 kLpaeDevShared = u64{4} << 2; // L_PTE_MT_DEV_SHARED
constexpr u64 kLpaeDevWc = u64{1} << 2;     // L_PTE_MT_DEV_WC
constexpr u64 kLpaeUser = bit(6);           // L_PTE_USER (AP[1])
constexpr u64 kLpaeRdonly = bit(7);         // L_PTE_RDONLY (AP[2])
constexpr u64 kLpaeShared = u64{3} << 8;    // L_PTE_SHARED / PMD_SECT_S
constexpr u64 kLpaeAf = bit(10);            // L_PTE_YOUNG / PMD_SECT_AF
constexpr u64 kLpaeXn = bit(54);            // L_PTE_XN / PMD_SECT_XN
constexpr u64 kLpaeDirty = bit(55);         // L_PTE_DIRTY
constexpr u64 kLpaePgdSwapper = bit(55);    // L_PGD_SWAPPER (head.S swapper PGD entries)

// MT_MEMORY_RWX / MT_MEMORY_RW section (mem_types[] + build_mem_type_table on SMP ARMv7):
// PMD_TYPE_SECT | PMD_SECT_AP_WRITE | PMD_SECT_S | PMD_SECT_WBWA (TEX(1)|C|B), domain 0, and
// PMD_SECT_XN for RW: 0x1140e / 0x1141e.
u32 classic_section(PhysAddr pa, bool exec) {
    u64 v = PMD_TYPE_SECT | PMD_SECT_AP_WRITE | PMD_SECT_S | L1_SECT_TEX.put(0, 1) |
            PMD_SECT_CACHEABLE | PMD_SECT_BUFFERABLE | PMD_DOMAIN(0);
    if (!exec)
        v |= PMD_SECT_XN;
    return static_cast<u32>(v | pa.get());
}

u64 lpae_block(PhysAddr pa, bool exec) {
    // MT_MEMORY_* on LPAE: PMD_TYPE_SECT | PMD_SECT_WBWA | PMD_SECT_S | PMD_SECT_AF (+ XN).
    u64 v = kLpaeBlock | kLpaeWbwa | kLpaeShared | kLpaeAf;
    if (!exec)
        v |= kLpaeXn;
    return v | pa.get();
}

// A kernel Linux PTE (pgprot_kernel = PRESENT|YOUNG|DIRTY|MT_WRITEALLOC|SHARED; PAGE_KERNEL
// adds XN; ioremap's MT_DEVICE / MT_DEVICE_WC types for the cache modes).
ArmLinuxPte classic_pte(PhysAddr pa, KernelProt p) {
    ArmLinuxPte e;
    e.present = e.young = e.dirty = true;
    e.writable = p.write;
    e.executable = p.exec;
    e.shared = true;
    e.mt = p.cache == CacheMode::WriteBack  ? arm_linux::MT_WRITEALLOC
           : p.cache == CacheMode::Uncached ? arm_linux::MT_DEV_SHARED
                                            : arm_linux::MT_DEV_WC;
    e.page = pa;
    return e;
}

u64 lpae_pte(PhysAddr pa, KernelProt p) {
    u64 v = kLpaeTable | kLpaeAf | kLpaeDirty | kLpaeShared;
    v |= p.cache == CacheMode::WriteBack  ? kLpaeWbwa
         : p.cache == CacheMode::Uncached ? kLpaeDevShared
                                          : kLpaeDevWc;
    if (!p.write)
        v |= kLpaeRdonly;
    if (!p.exec)
        v |= kLpaeXn;
    return v | pa.get();
}

} // namespace

ErrorOr<std::unique_ptr<KernelPageTables>>
build_kernel_page_tables_arm(const Layout& l, const KernelPgtableRules& rules, const RamMap& ram,
                             const KernelPgtableOptions& opt, PhysicalMemory& phys,
                             Memblock& memblock) {
    const bool lpae = l.arch == Arch::ArmLpae;
    const PagingFormat& fmt = lpae ? kArmLpae : kArmShort;
    auto kpt = std::make_unique<KernelPageTables>(l, phys, rules, fmt);
    KernelPageTables& t = *kpt;
    const ArmPteEra era = rules.arm_pte_era;
    auto& mem = t.table_memory();

    t.arm_kernel_table_prot = arm_linux_table_prot(0); // _PAGE_KERNEL_TABLE (DOMAIN_KERNEL 0)
    t.arm_linux_pte = [era](PhysAddr pa, KernelProt p) -> u32 {
        auto v = encode_arm_linux_pte(classic_pte(pa, p), era);
        return v.is_error() ? 0 : v.value();
    };
    t.encode_table = [](unsigned, PhysAddr next) -> u64 { return next.get() | kLpaeTable; };
    t.encode_leaf = [](unsigned level, PhysAddr pa, KernelProt p) -> u64 {
        return level == 2 ? lpae_pte(pa, p) : lpae_block(pa, p.exec);
    };
    t.table_alloc_bytes = [](unsigned) -> u64 { return 4096; };

    // swapper_pg_dir at KERNEL_RAM_VADDR - 0x4000 (16 KiB L1) or - 0x5000 (LPAE: the PGD page
    // and its four PMD pages), reserved by arm_mm_memblock_reserve (head.S, mmu.c).
    const VirtAddr ram_vaddr = l.page_offset.offset(kTextOffset);
    const VirtAddr sym = ram_vaddr.offset_down(lpae ? 0x5000 : 0x4000);
    const PhysAddr root = l.pa(sym);
    memblock.reserve_kernel(root, root.offset(lpae ? 0x5000 : 0x4000), "swapper_pg_dir");
    t.set_root(root, sym);
    auto& mmu = t.mmu_mut();
    mmu.root = root;
    if (lpae) {
        t.adopt_table(root, 4096);
        for (unsigned i = 0; i < 4; ++i) {
            const PhysAddr pmd = root.offset(4096 * (1 + i));
            t.adopt_table(pmd, 4096);
            TRY(mem.store_descriptor(root.offset(8 * i), DescriptorWidth::Bytes8,
                                     pmd.get() | kLpaeTable | kLpaePgdSwapper));
        }
        // TTBCR.T1SZ = (PAGE_OFFSET >> 30) - 1 when PHYS_OFFSET <= PAGE_OFFSET; TTBR1 then
        // points past the PGD page and the user PMDs (TTBR1_OFFSET; proc-v7-3level.S).
        if (l.phys_offset.get() <= l.page_offset.get() && (l.page_offset.get() >> 30) >= 1) {
            mmu.t1sz = static_cast<u8>((l.page_offset.get() >> 30) - 1);
            mmu.root_high = mmu.t1sz >= 2 ? root.offset(4096 * (1 + (l.page_offset.get() >> 30)))
                                          : root.offset(8 * (l.page_offset.get() >> 30));
        }
        mmu.phys_bits = static_cast<u8>(std::max(opt.phys_bits, 32u));
    } else {
        t.adopt_table(root, 16 * KiB);
        mmu.phys_bits = 32;
    }

    // early_alloc: memblock top-down below the lowmem limit (rounded to a PMD, as
    // adjust_lowmem_bounds sets memblock's limit), or bootmem first fit from PHYS_OFFSET.
    const u64 lowmem_end = l.pa(l.high_memory).get();
    if (rules.arm_early_alloc == ArmEarlyAlloc::MemblockTopDown)
        memblock.set_policy(
            {MemblockDirection::TopDown, l.phys_offset, PhysAddr(align_down(lowmem_end, 2 * MiB))});
    else
        memblock.set_policy({MemblockDirection::BottomUp, l.phys_offset, PhysAddr(lowmem_end)});
    t.set_table_allocator(
        [&memblock](u64 bytes) { return memblock.alloc(bytes, 4096, "PGTABLE"); });

    // --- map_lowmem ---
    // 3.14+: [round_down(__pa(_stext), 1M), round_up(__pa(__init_end), 1M)) MT_MEMORY_RWX,
    // the rest MT_MEMORY_RW; before, all MT_MEMORY (RWX).
    const u64 x_start = align_down(l.image.pa(l.image.stext).get(), MiB);
    const u64 x_end = align_up(l.image.pa(l.image.init_end).get(), MiB);
    auto is_exec = [&](u64 pa) {
        return !rules.arm_text_rwx_data_rw || (pa >= x_start && pa < x_end);
    };
    const u32 memory_prot_l1 = static_cast<u32>(PMD_TYPE_TABLE | PMD_DOMAIN(0)); // MT_MEMORY
    for (const auto& r : ram.ranges) {
        if (r.type != RamType::Usable)
            continue;
        const u64 s = std::max(align_up(r.start.get(), 4096), l.phys_offset.get());
        const u64 e = std::min(align_down(r.end.get(), 4096), lowmem_end);
        for (u64 pa = s; pa < e;) {
            if (lpae) {
                const u64 bs = (pa % (2 * MiB) == 0 && e - pa >= 2 * MiB) ? 2 * MiB : 4096;
                const KernelProt p{true, is_exec(pa), CacheMode::WriteBack};
                TRY(t.map_range(l.va(PhysAddr(pa)), PhysAddr(pa), bs, bs,
                                [p](VirtAddr, u64) { return p; }));
                pa += bs;
                continue;
            }
            if (pa % MiB == 0 && e - pa >= MiB) {
                // __map_init_section: one hardware L1 entry per MiB (half a Linux pgd pair).
                const u64 va = l.va(PhysAddr(pa)).get();
                TRY(mem.store_descriptor(root.offset((va >> 20) * 4), DescriptorWidth::Bytes4,
                                         classic_section(PhysAddr(pa), is_exec(pa))));
                pa += MiB;
                continue;
            }
            // alloc_init_pte for a piece that is not section aligned.
            const KernelProt p{true, is_exec(pa), CacheMode::WriteBack};
            TRY(t.arm_set_kernel_pte(l.va(PhysAddr(pa)), t.arm_linux_pte(PhysAddr(pa), p),
                                     memory_prot_l1));
            pa += 4096;
        }
    }

    // --- devicemaps_init: the vectors page(s) at 0xffff0000 ---
    const u64 nvec = rules.arm_vectors_two_pages ? 2 : 1;
    const PhysAddr vectors = TRY(memblock.alloc(nvec * 4096, 4096, "vectors"));
    phys.zero_frames(Pfn(vectors.get() >> 12), nvec);
    // MT_HIGH_VECTORS: PRESENT|YOUNG|DIRTY|USER|RDONLY + vecs_pgprot (WRITEALLOC|SHARED);
    // MT_LOW_VECTORS (the 3.11+ stubs page at 0xffff1000) without USER. The L1 entry:
    // PMD_TYPE_TABLE | PMD_DOMAIN(DOMAIN_VECTORS).
    for (u64 i = 0; i < nvec; ++i) {
        const VirtAddr va(kVectorsBase + i * 4096);
        const PhysAddr pa = vectors.offset(i * 4096);
        const bool user = i == 0;
        if (lpae) {
            u64 v = kLpaeTable | kLpaeWbwa | kLpaeRdonly | kLpaeShared | kLpaeAf | kLpaeDirty;
            if (user)
                v |= kLpaeUser;
            TRY(t.set_leaf(va, 2, v | pa.get()));
        } else {
            ArmLinuxPte e = classic_pte(pa, kProtKernelRX);
            e.user = user;
            const u32 lin = TRY(encode_arm_linux_pte(e, era));
            TRY(t.arm_set_kernel_pte(
                va, lin, static_cast<u32>(PMD_TYPE_TABLE | PMD_DOMAIN(rules.arm_domain_vectors))));
        }
    }

    // --- kmap_init: pkmap_page_table (HIGHMEM), the FIXADDR_START table (3.19+) ---
    auto kernel_pte_table = [&](VirtAddr va) -> ErrorOr<PhysAddr> {
        if (lpae)
            return t.table_for(va, 2);
        return t.arm_pte_page_for(va, t.arm_kernel_table_prot);
    };
    if (opt.highmem && l.pkmap_base) {
        const PhysAddr tb = TRY(kernel_pte_table(*l.pkmap_base));
        const u64 idx = (l.pkmap_base->get() >> 12) & 511u;
        t.set_pkmap_page_table(
            lpae ? tb.offset(idx * 8)
                 : tb.offset(arm_linux_pte_offset(era, static_cast<unsigned>(idx))));
    }
    if (rules.arm_fixmap_pte)
        (void)TRY(kernel_pte_table(l.fixaddr_start));
    return kpt;
}

} // namespace kmemu
