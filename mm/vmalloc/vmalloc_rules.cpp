#include "mm/vmalloc/vmalloc_rules.h"

#include <bit>

namespace kmemu {

namespace {

// fls(): 1-based index of the highest set bit, 0 for 0 (include/asm-generic/bitops/fls.h).
unsigned fls64(u64 x) {
    return x == 0 ? 0 : static_cast<unsigned>(64 - std::countl_zero(x));
}

} // namespace

u64 VmallocRules::lazy_max_pages(unsigned online_cpus) const {
    // lazy_max_pages() (mm/vmalloc.c 2.6.28 .. 6.13): log scale in the online CPU count.
    return fls64(online_cpus) * (32 * MiB / page_size());
}

u64 VmallocRules::ioremap_align(u64 size) const {
    unsigned bit = 0;
    if (ioremap_order == IoremapOrder::Fls) {
        // __get_vm_area_node <=4.8: fls(size) of the size as passed (2.6.24 reads it before
        // PAGE_ALIGN), so a power of two gets twice its own alignment.
        bit = fls64(size);
    } else {
        // 4.9+ (zijun_hu "fix align value calculation error"): get_count_order_long of the
        // page-aligned size: the power of two at or above it.
        const u64 aligned = align_up(size, page_size());
        bit = aligned <= 1 ? 0 : fls64(aligned - 1);
    }
    if (bit > ioremap_max_order)
        bit = ioremap_max_order;
    if (bit < page_shift)
        bit = page_shift;
    return u64{1} << bit;
}

unsigned VmallocRules::phys_addr_bytes() const {
    // phys_addr_t is 64-bit with CONFIG_PHYS_ADDR_T_64BIT (PAE, LPAE, all 64-bit arches).
    return (arch == Arch::I386 || arch == Arch::Arm) ? 4 : 8;
}

VmallocRules vmalloc_rules_for(KernelVersion v, Arch arch, unsigned page_shift) {
    VmallocRules r;
    r.version = v;
    r.arch = arch;
    r.page_shift = page_shift;

    // Placement era (mm/vmalloc.c). 2.6.24 __get_vm_area_node walks vmlist; the vmap_area
    // rbtree (Nick Piggin) is 2.6.28; free_vmap_cache is absent in a 2.6.36 tree and present
    // in 3.x; the extra page between areas was removed by "mm/vmalloc: remove guard page from
    // between vmap blocks" (Johannes Weiner, April 2011 -> 3.0, inferred from the date);
    // the free-block tree is 5.2 (Uladzislau Rezki).
    if (!v.at_least(2, 6, 28)) {
        r.placement = VmapPlacement::VmlistFirstFit;
    } else if (!v.at_least(2, 6, 37)) {
        r.placement = VmapPlacement::RbtreeLowestFit;
        r.skip_extra_page = true;
    } else if (!v.at_least(5, 2)) {
        r.placement = VmapPlacement::NextFitCache;
        // 2.6.37-2.6.39: the cache patch kept ALIGN(va_end + PAGE_SIZE) and `>=` in the walk.
        r.skip_extra_page = !v.at_least(3, 0);
        r.step_past_touching = !v.at_least(3, 0);
    } else {
        r.placement = VmapPlacement::LowestFreeFit;
    }

    const bool vmlist_era = r.placement == VmapPlacement::VmlistFirstFit;
    r.lazy_free = !vmlist_era;       // vmap_area lazy TLB flushing came with the rbtree
    r.purge_and_retry = !vmlist_era; // alloc_vmap_area's `purged` retry
    r.find_by_containing = !vmlist_era;
    r.has_is_vmalloc_addr = !vmlist_era; // include/linux/mm.h is_vmalloc_addr (2.6.28)

    // VM_NO_GUARD and VM_KASAN came with KASAN (4.0, Andrey Ryabinin).
    r.has_no_guard = v.at_least(4, 0);

    // ioremap exponent: fls_long up to 4.8, get_count_order_long from 4.9 (S44 4.4 fls_long,
    // S419 get_count_order_long; 4.9 from the mm patch date, unverified).
    r.ioremap_order = v.at_least(4, 9) ? IoremapOrder::CountOrder : IoremapOrder::Fls;
    // IOREMAP_MAX_ORDER: generic 7 + PAGE_SHIFT (include/linux/vmalloc.h). x86 overrides it
    // with huge ioremap support (4.1, "x86, mm: Support huge I/O mapping capability I/F"):
    // PUD_SHIFT on x86_64, PMD_SHIFT on i386 (21 PAE, 22 non-PAE) (6.1 asm/page_types.h).
    // ARM keeps 16 MiB (24, arch/arm/include/asm/memory.h); its 6.x SMP/LPAE drop is not
    // modelled. arm64's own value is not modelled (generic).
    r.ioremap_max_order = 7 + page_shift;
    if (is_x86(arch) && v.at_least(4, 1)) {
        if (arch == Arch::X86_64 || arch == Arch::X86_64La57)
            r.ioremap_max_order = 30;
        else
            r.ioremap_max_order = arch == Arch::I386Pae ? 21 : 22;
    } else if (is_arm32(arch)) {
        r.ioremap_max_order = 24;
    }

    // Lists: vread/vmallocinfo walk vmlist until "mm, vmalloc: iterate vmap_area_list instead
    // of vmlist" (Joonsoo Kim, 3.10: S36 walks vmlist, S310 vmap_area_list).
    r.list = v.at_least(3, 10) ? VmapList::VmapAreaList : VmapList::Vmlist;

    // VM_* values (include/linux/vmalloc.h per tree: S24, S32, S310, S419, S61).
    r.flags.vpages = v.at_least(4, 5) ? 0 : 0x10; // VM_VPAGES removed in 4.5 (unverified)
    r.flags.uninitialized = v.at_least(3, 10) ? 0x20 : 0;
    r.flags.no_guard = r.has_no_guard ? 0x40 : 0;
    r.flags.kasan = r.has_no_guard ? 0x80 : 0;
    r.flags.dma_coherent = v.at_least(5, 8) ? 0x10 : 0; // 5.8 (unverified)

    // /proc/vmallocinfo: added in 2.6.25 (caller and NUMA info in the same release).
    r.has_vmallocinfo = v.at_least(2, 6, 25);
    // " phys=%pa" replaced %llx between S310 and S419; 4.14 is a guess (unverified).
    r.phys_format = v.at_least(4, 14) ? PhysFormat::Pa : PhysFormat::BareHex;
    if (r.list == VmapList::Vmlist)
        r.unpurged = UnpurgedView::Hidden;
    else if (!v.at_least(4, 13))
        r.unpurged = UnpurgedView::VmMapRamLine; // S310 (reference §3.6)
    else if (!v.at_least(5, 2))
        r.unpurged = UnpurgedView::UnpurgedLine; // S419; 4.13 from the patch date (unverified)
    else if (!v.at_least(5, 9))
        r.unpurged = UnpurgedView::AfterListLifo; // show_purge_info over the llist (5.2)
    else
        r.unpurged = UnpurgedView::AfterListMerged; // sorted purge list (5.9, unverified)
    r.dma_coherent_word = r.flags.dma_coherent != 0;
    r.vpages_by_flag = r.flags.vpages != 0;

    r.vmalloc_end_inclusive = arch == Arch::X86_64 || arch == Arch::X86_64La57;

    // vread/vwrite. Page-wise copy, ioremap holes and the zeroed tail: "kcore: fix vread/vwrite
    // to be aware of holes" (KAMEZAWA Hiroyuki, d0107eb0, 2.6.32; S24 byte-wise, S32 aligned).
    // The lookup before the walk: "mm/vmalloc: fix wrong behavior in vread" (Chen Wandun,
    // f181234a, dated 2021-09-02 -> 5.15, from the date; absent in S510, present in S61).
    // vm_map_ram areas read: Baoquan He's "allow vread() to read out vm_map_ram areas" series
    // (6.3, from the date); vread_iter: Lorenzo Stoakes, 4c91c07c, 6.4 (S613).
    // vwrite: removed with /dev/kmem (5.13; S61 has none).
    if (!v.at_least(2, 6, 32))
        r.vread_style = VreadStyle::ByteWise;
    else if (!v.at_least(6, 4))
        r.vread_style = VreadStyle::AlignedZeroTail;
    else
        r.vread_style = VreadStyle::Iter;
    r.has_vm_map_ram = !vmlist_era;
    r.vread_exceed_precheck = v.at_least(5, 15);
    r.vread_vmap_ram = v.at_least(6, 3);
    r.has_vwrite = !v.at_least(5, 13);
    return r;
}

} // namespace kmemu
