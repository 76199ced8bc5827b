// init_mm's page tables for i386 (2-level and PAE) and x86_64 (4- and 5-level), as
// arch/x86/mm/init.c, init_32.c, init_64.c and head_{32,64}.S leave them after paging_init.
//
// Image placement (kmemu's choice, documented): the statically allocated tables are
// page-aligned symbols at the start of their section, in this order:
//   i386: __bss_start (page aligned) = swapper_pg_dir; PAE: then swapper_pg_pmd pages, one per
//         kernel GiB (KPMDS), as head_32.S has them in __PAGE_ALIGNED_BSS.
//   x86_64: _sdata (page aligned) = init_top_pgt (init_level4_pgt), [level4_kernel_pgt when
//         5-level], level3_kernel_pgt, level2_kernel_pgt, level2_fixmap_pgt,
//         level1_fixmap_pgt[FIXMAP_PMD_NUM], __vsyscall_page (head_64.S NEXT_PAGE order).
#include <algorithm>

#include <cstring>

#include "mm/kernel_pgtable.h"

namespace kmemu {

namespace {

using namespace paging::x86;
using paging::DescriptorWidth;

constexpr u64 kIsaEnd = 0x100000;                    // ISA_END_ADDRESS
constexpr u64 kStartKernelMap = 0xffffffff80000000u; // __START_KERNEL_map
constexpr u64 kVsyscallAddr = 0xffffffffff600000u;   // VSYSCALL_ADDR (-10 MiB)

struct Range {
    u64 start, end;
};

// The physical ranges kernel_physical_mapping_init is called for.
std::vector<Range> direct_map_ranges(const Layout& l, const RamMap& ram, bool ram_only, u64 end) {
    std::vector<Range> out;
    if (!ram_only) {
        // <= 3.8: init_memory_mapping(0, max_low_pfn) covers holes too; x86_64 then maps
        // [4 GiB, max_pfn) separately.
        const u64 low = std::min<u64>(
            end, l.word_bits == 64 ? ram.usable_end_below(PhysAddr(4 * GiB)).get() : end);
        out.push_back({0, low});
        if (l.word_bits == 64 && end > 4 * GiB)
            out.push_back({4 * GiB, end});
        return out;
    }
    // 3.9+ init_mem_mapping: [0, ISA_END) whole, then every memblock RAM range above it.
    out.push_back({0, std::min(kIsaEnd, end)});
    for (const auto& r : ram.ranges) {
        if (r.type != RamType::Usable)
            continue;
        const u64 s = std::max(align_up(r.start.get(), 4096), kIsaEnd);
        const u64 e = std::min(align_down(r.end.get(), 4096), end);
        if (s < e) {
            // [0, ISA_END) is its own init_memory_mapping call: never merged.
            if (out.size() > 1 && out.back().end >= s)
                out.back().end = std::max(out.back().end, e);
            else
                out.push_back({s, e});
        }
    }
    return out;
}

} // namespace

ErrorOr<std::unique_ptr<KernelPageTables>>
build_kernel_page_tables_x86(const Layout& l, const KernelPgtableRules& rules, const RamMap& ram,
                             const KernelPgtableOptions& opt, PhysicalMemory& phys,
                             Memblock& memblock) {
    const bool is64 = l.word_bits == 64;
    const bool pae = l.arch == Arch::I386Pae;
    const bool la57 = l.arch == Arch::X86_64La57;
    const paging::PagingFormat& fmt = is64 ? (la57 ? paging::kX86_64La57 : paging::kX86_64)
                                           : (pae ? paging::kI386Pae : paging::kI386);
    auto kpt = std::make_unique<KernelPageTables>(l, phys, rules, fmt);
    KernelPageTables& t = *kpt;
    // __supported_pte_mask: NX on PAE and x86_64 (layouts.md A.10), none on 2-level.
    const u64 supported = (is64 || pae) ? ~u64{0} : 0xffffffffu;
    const unsigned last = fmt.level_count - 1u;

    // PAGE_KERNEL family (pgtable_types.h): P|RW|A|D|G|NX, minus RW for _RO/_RX, minus NX for
    // _EXEC/_RX; PSE for large pages. Cache modes by the PAT layout Linux programs (WB, WC,
    // UC-, UC...): UC- is PCD, WC is PWT (pat_init, 2.6.26+).
    t.encode_leaf = [supported, last](unsigned level, PhysAddr pa, KernelProt p) -> u64 {
        u64 v = _PAGE_PRESENT | _PAGE_ACCESSED | _PAGE_DIRTY | _PAGE_GLOBAL;
        if (p.write)
            v |= _PAGE_RW;
        if (!p.exec)
            v |= _PAGE_NX;
        if (p.cache == CacheMode::Uncached)
            v |= _PAGE_PCD;
        else if (p.cache == CacheMode::WriteCombine)
            v |= _PAGE_PWT;
        if (level != last)
            v |= _PAGE_PSE;
        return (v & supported) | pa.get();
    };
    // pmd/pud/p4d/pgd_populate and one_page_table_init use _PAGE_TABLE (P|RW|US|A|D); a PAE
    // PDPTE carries only P (one_md_table_init, pud_populate on PAE).
    t.encode_table = [pae](unsigned level, PhysAddr next) -> u64 {
        if (pae && level == 0)
            return next.get() | PAE_PDPTE_PRESENT;
        return next.get() | _PAGE_TABLE;
    };
    t.table_alloc_bytes = [](unsigned) -> u64 { return 4096; };

    // Early table allocation (alloc_low_page).
    MemblockPolicy pol;
    const u64 lowmem_end = l.phys_of(l.max_low_pfn).get();
    const u64 map_end = is64 ? l.phys_of(l.max_pfn).get() : lowmem_end;
    if (rules.x86_early_alloc == X86EarlyTableAlloc::E820BottomUp) {
        // find_early_table_space: find_e820_area(0x7000 / 0x8000, max_pfn_mapped, ...).
        pol.direction = MemblockDirection::BottomUp;
        pol.start = PhysAddr(is64 ? 0x8000 : 0x7000);
        pol.limit = PhysAddr(map_end);
    } else {
        pol.direction = MemblockDirection::TopDown;
        pol.start = PhysAddr(kIsaEnd);
        pol.limit = PhysAddr(map_end);
    }
    memblock.set_policy(pol);
    t.set_table_allocator(
        [&memblock](u64 bytes) { return memblock.alloc(bytes, 4096, "PGTABLE"); });

    // --- static tables ---
    auto image_page = [&](VirtAddr va) -> ErrorOr<PhysAddr> {
        if (va.offset(4096) > l.image.end)
            return make_error(ErrorKind::InvalidConfig,
                              "kernel image too small for its page tables (needs {:#x}, _end is "
                              "{:#x})",
                              va.offset(4096), l.image.end);
        const PhysAddr pa = l.image.pa(va);
        t.adopt_table(pa, 4096);
        return pa;
    };
    if (!is64) {
        // swapper_pg_dir: the first page of __PAGE_ALIGNED_BSS.
        const VirtAddr sym = l.image.bss_start.align_up(4096);
        const PhysAddr root = TRY(image_page(sym));
        t.set_root(root, sym);
        t.mmu_mut().root = root;
        if (pae) {
            // head_32.S: KPMDS = (4G - PAGE_OFFSET) >> 30 kernel PMD pages (swapper_pg_pmd),
            // PDPTEs pa | PGD_IDENT_ATTR (P only); the user PDPTEs are zero after
            // zap_low_mappings.
            const u64 first = l.page_offset.get() >> 30;
            for (u64 i = first; i < 4; ++i) {
                const PhysAddr pmd = TRY(image_page(sym.offset(4096 * (1 + i - first))));
                TRY(t.table_memory().store_descriptor(root.offset(i * 8), DescriptorWidth::Bytes8,
                                                      pmd.get() | PAE_PDPTE_PRESENT));
            }
        }
    } else {
        VirtAddr sym = l.image.sdata.align_up(4096);
        auto next_sym = [&]() {
            VirtAddr s = sym;
            sym = sym.offset(4096);
            return s;
        };
        const VirtAddr top_va = next_sym();
        const PhysAddr top = TRY(image_page(top_va));
        t.set_root(top, top_va);
        t.mmu_mut().root = top;
        PhysAddr l4;
        if (la57)
            l4 = TRY(image_page(next_sym()));
        const PhysAddr l3 = TRY(image_page(next_sym()));
        const PhysAddr l2k = TRY(image_page(next_sym()));
        const PhysAddr l2f = TRY(image_page(next_sym()));
        std::vector<PhysAddr> l1f;
        for (unsigned i = 0; i < rules.x86_fixmap_pmd_num; ++i)
            l1f.push_back(TRY(image_page(next_sym())));
        const VirtAddr vsyscall_page_va = next_sym();
        if (vsyscall_page_va.offset(4096) > l.image.end)
            return make_error(ErrorKind::InvalidConfig, "kernel image too small for the "
                                                        "vsyscall page");
        auto& mem = t.table_memory();
        auto put = [&](PhysAddr table, u64 index, u64 value) {
            return mem.store_descriptor(table.offset(index * 8), DescriptorWidth::Bytes8, value);
        };
        // head_64.S: top[511] -> (level4_kernel_pgt ->) level3_kernel_pgt (_PAGE_TABLE);
        // level3_kernel_pgt[510] -> level2_kernel_pgt (_KERNPG_TABLE), [511] ->
        // level2_fixmap_pgt (_PAGE_TABLE); level2_fixmap_pgt[506..] -> level1_fixmap_pgt.
        if (la57) {
            TRY(put(top, 511, l4.get() | _PAGE_TABLE));
            TRY(put(l4, 511, l3.get() | _PAGE_TABLE));
        } else {
            TRY(put(top, 511, l3.get() | _PAGE_TABLE));
        }
        TRY(put(l3, 510, l2k.get() | _KERNPG_TABLE));
        TRY(put(l3, 511, l2f.get() | _PAGE_TABLE));
        for (unsigned i = 0; i < l1f.size(); ++i)
            TRY(put(l2f, 506 + i, l1f[i].get() | _PAGE_TABLE));

        // level2_kernel_pgt: __PAGE_KERNEL_LARGE_EXEC 2 MiB pages; cleanup_highmap keeps the
        // ones from _text to roundup(_end, PMD_SIZE). With mark_rodata_ro (4.6+) each 2 MiB
        // page ends with its section's protection: text RO+X, rodata RO+NX, the rest RW+NX
        // (the sections are 2 MiB aligned on these kernels).
        const u64 first_pmd = l.image.text.align_down(2 * MiB).get();
        const u64 end_pmd = l.image.end.align_up(2 * MiB).get();
        for (u64 va = first_pmd; va < end_pmd; va += 2 * MiB) {
            KernelProt p = kProtKernelExec;
            if (rules.x86_64_mark_rodata_ro) {
                if (va < l.image.etext.get())
                    p = kProtKernelRX;
                else if (va < l.image.end_rodata.get())
                    p = kProtKernelRO;
                else
                    p = kProtKernel;
            }
            const PhysAddr pa = l.image.pa(VirtAddr(va)).align_down(2 * MiB);
            TRY(put(l2k, (va - kStartKernelMap) >> 21, t.encode_leaf(last - 1, pa, p)));
        }

        // The vsyscall page (map_vsyscall): __set_fixmap(VSYSCALL_PAGE, ...) fills the PTE
        // table of its PMD, allocating one (spp_getpage) when no static table covers it.
        if (rules.x86_vsyscall != X86VsyscallMode::XOnly) {
            const PhysAddr vpa = l.image.pa(vsyscall_page_va);
            // PAGE_KERNEL_VVAR = __PAGE_KERNEL_RO | _PAGE_USER (emulate); PAGE_KERNEL_VSYSCALL
            // = __PAGE_KERNEL_RX | _PAGE_USER (native).
            u64 v = _PAGE_PRESENT | _PAGE_USER | _PAGE_ACCESSED | _PAGE_DIRTY | _PAGE_GLOBAL;
            if (rules.x86_vsyscall == X86VsyscallMode::Emulate)
                v |= _PAGE_NX;
            TRY(t.set_leaf(VirtAddr(kVsyscallAddr), last, vpa.get() | v));
        }
    }

    // --- the direct map (kernel_physical_mapping_init) ---
    const u64 large = is64 ? (opt.gbpages ? GiB : 2 * MiB) : (pae ? 2 * MiB : 4 * MiB);
    const u64 pmd_size = is64 ? 2 * MiB : large;
    for (const Range& r : direct_map_ranges(l, ram, rules.x86_map_ram_only, map_end)) {
        auto prot_for = [&](VirtAddr va, u64 size) -> KernelProt {
            if (is64)
                return kProtKernel; // PAGE_KERNEL / PAGE_KERNEL_LARGE: the direct map is NX
            // i386: is_kernel_text(addr) || is_kernel_text(addr2) for a large page, of addr
            // alone for a 4K page; is_kernel_text: _text <= a <= __init_end.
            auto text = [&](u64 a) {
                return a >= l.image.text.get() && a <= l.image.init_end.get();
            };
            const bool x = text(va.get()) || (size > 4096 && text(va.get() + size - 1));
            return x ? kProtKernelExec : kProtKernel;
        };
        u64 s = r.start;
        if (!is64 && s == 0 && r.end > 0) {
            // 32-bit: no large page for the first 2/4 MiB (fixed-size MTRRs live there).
            const u64 e = std::min(r.end, pmd_size);
            TRY(t.map_range(l.va(PhysAddr(0)), PhysAddr(0), e, 4096, prot_for));
            s = e;
        }
        if (s >= r.end)
            continue;
        if (!is64 || large != 2 * MiB) {
            TRY(t.map_range(l.va(PhysAddr(s)), PhysAddr(s), r.end - s, large, prot_for));
            continue;
        }
        // x86_64 with 2 MiB pages: every whole GiB of the range is one PMD table of 512 leaves
        // with the same flags. The table is allocated and linked in the order map_range would
        // (upper tables first), but its 512 entries are written on first access (a deferred
        // frame), so a 1 TiB machine boots without writing 4 MiB of entries.
        const unsigned pmd_level = fmt.level_count - 2u;
        u64 p = s;
        while (p < r.end) {
            const u64 gig_end = align_down(p, GiB) + GiB;
            if (p % GiB != 0 || gig_end > r.end) {
                const u64 e = std::min(r.end, p % GiB != 0 ? gig_end : r.end);
                TRY(t.map_range(l.va(PhysAddr(p)), PhysAddr(p), e - p, large, prot_for));
                p = e;
                continue;
            }
            const VirtAddr va = l.va(PhysAddr(p));
            (void)TRY(t.table_for(va, pmd_level - 1));
            const PhysAddr pmd = TRY(t.new_table(4096));
            TRY(t.link_table(va, pmd_level - 1, pmd));
            const u64 raw0 = t.encode_leaf(pmd_level, PhysAddr(p), kProtKernel);
            t.phys().defer_frame(Pfn(pmd.get() >> 12), [raw0](std::byte* frame) {
                for (u64 i = 0; i < 512; ++i) {
                    const u64 raw = raw0 + i * 2 * MiB; // address bits 51:21 only
                    std::memcpy(frame + i * 8, &raw, 8);
                }
            });
            p = gig_end;
        }
    }

    if (!is64) {
        // early_ioremap_page_table_range_init: PTE tables for every PMD of the fixmap, from
        // the lowest fixmap slot (boot-time slots included) up to the top of the address space.
        u64 lowest = l.fixaddr_start.get();
        for (const auto& reg : l.regions)
            if (reg.name == "fixmap_boot" || reg.name == "fixmap_tot")
                lowest = std::min(lowest, reg.start.get());
        for (u64 va = align_down(lowest, pmd_size); va < 4 * GiB; va += pmd_size)
            (void)TRY(t.table_for(VirtAddr(va), last));
        // permanent_kmaps_init: page_table_range_init(PKMAP_BASE, +LAST_PKMAP pages); 2.6.x
        // allocates it after bootmem is up: first fit above MAX_DMA_ADDRESS (16 MiB).
        if (opt.highmem && l.pkmap_base) {
            if (rules.x86_early_alloc == X86EarlyTableAlloc::E820BottomUp)
                memblock.set_policy(
                    {MemblockDirection::BottomUp, PhysAddr(16 * MiB), PhysAddr(lowmem_end)});
            const u64 end = l.pkmap_base->get() + l.last_pkmap * 4096;
            PhysAddr first_table;
            for (u64 va = l.pkmap_base->align_down(pmd_size).get(); va < end; va += pmd_size) {
                const PhysAddr tb = TRY(t.table_for(VirtAddr(va), last));
                if (va <= l.pkmap_base->get())
                    first_table = tb;
            }
            t.set_pkmap_page_table(
                first_table.offset(t.entry_index(*l.pkmap_base, last) * fmt.entry_bytes()));
        }
    }

    auto& mmu = t.mmu_mut();
    mmu.phys_bits = static_cast<u8>(opt.phys_bits);
    mmu.efer_nxe = is64 || pae;
    return kpt;
}

} // namespace kmemu
