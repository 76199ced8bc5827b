// init_mm's page tables for arm64, as early_fixmap_init, map_kernel and map_mem
// (arch/arm64/mm/mmu.c) leave them after paging_init, with KASLR off.
//
// Image placement: swapper_pg_dir is where the symbol table puts it (pgd_symbol_address, the
// linker script's place): up to 4.17 the last page before _end (after .bss), from 4.18 the
// page before __init_begin ("arm64/mm: Separate swapper_pg_dir from bss" / "move
// swapper_pg_dir to rodata section", Jun Yao), with reserved_pg_dir (reserved_ttbr0, TTBR0 of
// init_mm, empty) the page below it. The static fixmap tables bm_pte, bm_pmd, bm_pud
// (__page_aligned_bss) take the last pages of .bss below those (kmemu's choice of order).
// Tables below swapper_pg_dir come from memblock, top-down from the end of RAM
// (early_pgtable_alloc).
//
// Not modelled: rodata=full (5.x+ default, which maps the linear map with pages only;
// kmemu uses block mappings as rodata=off/on does), contiguous hints, KPTI's nG, the
// PXNTable bit on linear-map tables (NO_EXEC_MAPPINGS).
#include <algorithm>

#include "mm/kernel_image/kernel_symbols.h"
#include "mm/kernel_pgtable.h"

namespace kmemu {

namespace {

using namespace paging;
using namespace paging::arm_long;

} // namespace

ErrorOr<std::unique_ptr<KernelPageTables>>
build_kernel_page_tables_arm64(const Layout& l, const KernelPgtableRules& rules, const RamMap& ram,
                               const KernelPgtableOptions& opt, PhysicalMemory& phys,
                               Memblock& memblock) {
    const unsigned ps_shift = l.page_shift;
    const u64 ps = l.page_size();
    const PagingFormat* fmt = TRY(arm64_paging_format(ps_shift, opt.va_bits));
    auto kpt = std::make_unique<KernelPageTables>(l, phys, rules, *fmt);
    KernelPageTables& t = *kpt;
    const unsigned last = fmt->level_count - 1u;

    // PROT_NORMAL = PTE_TYPE_PAGE | PTE_AF | PTE_SHARED | PTE_PXN | PTE_UXN | PTE_DIRTY |
    // PTE_WRITE | ATTRINDX(MT_NORMAL) (pgtable-prot.h): 0x00e8000000000703 with MT_NORMAL 0.
    // _RO: no PTE_WRITE, PTE_RDONLY; _ROX also no PXN; _EXEC no PXN. Blocks clear bit 1.
    const u8 attr_normal = rules.arm64_mt_normal;
    const u8 attr_nc = rules.arm64_mt_normal_nc;
    const u8 attr_dev = rules.arm64_mt_device;
    t.encode_leaf = [=](unsigned level, PhysAddr pa, KernelProt p) -> u64 {
        u64 v = TYPE_TABLE | bit(AF) | SH.put(0, 3) | bit(XN) | bit(PTE_DIRTY);
        const u8 attr = p.cache == CacheMode::WriteBack  ? attr_normal
                        : p.cache == CacheMode::Uncached ? attr_dev
                                                         : attr_nc;
        v = ATTR_INDX.put(v, attr);
        if (p.write)
            v |= bit(DBM);
        else
            v |= bit(AP_RDONLY);
        if (!p.exec)
            v |= bit(PXN);
        if (level != last)
            v &= ~bit(TABLE_OR_PAGE);
        u64 oa = pa.get();
        if (ps_shift == 16) // 64K granule: PA[51:48] in bits 15:12
            oa = (oa & bit_mask(47, 16)) | OA_51_48_64K.put(0, oa >> 48);
        return v | oa;
    };
    const bool uxn = rules.arm64_table_uxn;
    t.encode_table = [uxn](unsigned, PhysAddr next) -> u64 {
        return next.get() | TYPE_TABLE | (uxn ? bit(XN_TABLE) : 0);
    };
    t.table_alloc_bytes = [ps](unsigned) -> u64 { return ps; };

    // Static tables: swapper_pg_dir and reserved_pg_dir where the linker script puts them, the
    // bm_* fixmap tables at the end of .bss.
    const bool in_rodata = rules.arm64_swapper_in_rodata;
    const VirtAddr swapper_va = pgd_symbol_address(
        l.image, ps, in_rodata ? PgdPlacement::EndOfRodata : PgdPlacement::AfterBss, l.arch);
    const VirtAddr reserved_va = swapper_va.offset_down(ps);
    const VirtAddr base = l.image.end.align_down(ps);
    const unsigned bss_pages = in_rodata ? 3 : 5; // bm_pte/pmd/pud (+ the two directories)
    if (base.get() < l.image.bss_start.get() + bss_pages * ps ||
        (in_rodata && reserved_va < l.image.start_rodata.align_up(ps).offset(ps)))
        return make_error(ErrorKind::InvalidConfig,
                          "arm64: the image ({:#x}-{:#x}) is too small for the static page "
                          "tables ({} pages of {:#x})",
                          l.image.text, l.image.end, 5, ps);
    const unsigned bm_first = in_rodata ? 1 : 3; // pages below `base` taken by bm_pte first
    auto bm = [&](unsigned from_bottom) { return base.offset_down((bm_first + from_bottom) * ps); };
    const PhysAddr swapper = l.image.pa(swapper_va);
    const PhysAddr reserved = l.image.pa(reserved_va);
    t.adopt_table(swapper, ps);
    t.adopt_table(reserved, ps);
    t.set_root(swapper, swapper_va);
    auto& mmu = t.mmu_mut();
    mmu.root = reserved;
    mmu.root_high = swapper;
    mmu.phys_bits = static_cast<u8>(opt.phys_bits);

    memblock.set_policy({MemblockDirection::TopDown, l.phys_offset, l.pa(l.high_memory)});
    t.set_table_allocator(
        [&memblock, ps](u64 bytes) { return memblock.alloc(bytes, ps, "PGTABLE"); });

    // early_fixmap_init: bm_pud / bm_pmd / bm_pte for FIXADDR_START, as many as the levels
    // below the PGD need (the folded ones are skipped).
    for (unsigned level = 0; level + 1 < fmt->level_count; ++level) {
        const unsigned from_bottom = last - 1 - level; // 0 = bm_pte, 1 = bm_pmd, 2 = bm_pud
        const PhysAddr tb = l.image.pa(bm(from_bottom));
        t.adopt_table(tb, ps);
        TRY(t.link_table(l.fixaddr_start, level, tb));
    }

    // map_kernel (4.6+): the image at KIMAGE_VADDR, per segment.
    const KernelImage& im = l.image;
    if (rules.arm64_map_kernel_segments) {
        struct Seg {
            VirtAddr s, e;
            KernelProt p;
        };
        const Seg segs[] = {{im.text, im.etext, kProtKernelRX},
                            {im.start_rodata, im.init_begin, kProtKernelRO},
                            {im.init_begin, im.init_end, kProtKernel},
                            {im.sdata, im.end, kProtKernel}};
        for (const Seg& s : segs) {
            const VirtAddr a = s.s.align_down(ps);
            const VirtAddr b = s.e.align_up(ps);
            if (b <= a)
                continue;
            const KernelProt p = s.p;
            TRY(t.map_range(a, im.pa(a), b.minus(a), 2 * MiB, [p](VirtAddr, u64) { return p; }));
        }
    }

    // map_mem: every RAM range in the linear map with the biggest blocks alignment allows
    // (1 GiB blocks need the 4K granule), the kernel's [_stext, __init_begin) last (4.6+).
    const u64 lin_end = l.pa(l.high_memory).get();
    const u64 max_block = ps_shift == 12 ? GiB : ps_shift == 14 ? 32 * MiB : 512 * MiB;
    const u64 ks = rules.arm64_map_kernel_segments ? im.pa(im.stext.align_down(ps)).get() : 0;
    const u64 ke = rules.arm64_map_kernel_segments ? im.pa(im.init_begin.align_up(ps)).get() : 0;
    auto map_phys = [&](u64 s, u64 e) -> ErrorOr<void> {
        if (s >= e)
            return {};
        return t.map_range(l.va(PhysAddr(s)), PhysAddr(s), e - s, max_block,
                           [](VirtAddr, u64) { return kProtKernel; });
    };
    for (const auto& r : ram.ranges) {
        if (r.type != RamType::Usable)
            continue;
        const u64 s = std::max(align_up(r.start.get(), ps), l.phys_offset.get());
        const u64 e = std::min(align_down(r.end.get(), ps), lin_end);
        if (s >= e)
            continue;
        if (ke > ks && ks < e && s < ke) {
            TRY(map_phys(s, std::max(s, ks)));
            TRY(map_phys(std::min(e, ke), e));
        } else {
            TRY(map_phys(s, e));
        }
    }
    if (ke > ks)
        TRY(map_phys(ks, ke));
    return kpt;
}

} // namespace kmemu
