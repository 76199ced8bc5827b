// VmallocRules: the per-version rules of mm/vmalloc.c that decide where a vmap area lands, how
// it is freed and how /proc/vmallocinfo shows it (DESIGN.md lesson 11). Built once from the
// kernel version and arch by vmalloc_rules_for(); code asks these fields, never the version.
// Facts: layouts.md §F, kernel-semantics.md §3; boundaries checked in source are noted.
#pragma once

#include "mm/arch.h"
#include "mm/kernel_version.h"
#include "mm/types.h"

namespace kmemu {

// Placement algorithm of alloc_vmap_area / __get_vm_area_node.
enum class VmapPlacement {
    // <=2.6.27: first fit over the address-sorted vmlist; neighbours packed back to back.
    VmlistFirstFit,
    // 2.6.28-2.6.36: vmap_area rbtree, lowest fit from vstart; stepping past an area puts the
    // next candidate at ALIGN(va_end + PAGE_SIZE): one unused page on top of the guard page.
    RbtreeLowestFit,
    // 2.6.37-5.1: same tree plus the free_vmap_cache next-fit hint (cached_hole_size,
    // cached_vstart, cached_align). 2.6.37-2.6.39 still skip the extra page.
    NextFitCache,
    // 5.2+: augmented tree of free blocks, lowest address that fits (find_vmap_lowest_match).
    LowestFreeFit,
};

// How the ioremap alignment exponent k is computed from the size.
enum class IoremapOrder {
    Fls,        // fls(size): strictly greater power of two (4096 -> 8 KiB)
    CountOrder, // get_count_order_long(size): power of two at or above (4096 -> 4 KiB)
};

// Which list vread, /dev/kmem and /proc/vmallocinfo walk.
enum class VmapList {
    Vmlist,       // vm_struct list: lazily freed areas are gone from it at vfree time
    VmapAreaList, // all vmap_areas in address order (3.10+)
};

// How vread (and vwrite) treat the range they are given (kernel-semantics.md §3.5).
enum class VreadStyle {
    // <=2.6.31: byte-wise copy through the kernel mapping; VM_IOREMAP areas read and written
    // like any other; no tail fill; returns the bytes processed.
    ByteWise,
    // 2.6.32-6.3: page-wise via vmalloc_to_page (absent page = zeros / write skipped);
    // VM_IOREMAP areas are holes; vread returns 0 or the unclamped count with the tail zeroed.
    AlignedZeroTail,
    // 6.4+: vread_iter: never 0 for a non-empty request, everything uncovered is zeros and the
    // (clamped) count is returned.
    Iter,
};

// How /proc/vmallocinfo shows a lazily freed (unpurged) area.
enum class UnpurgedView {
    Hidden,          // not listed (vmlist eras)
    VmMapRamLine,    // in the list, printed "... vm_map_ram" (3.10-4.12)
    UnpurgedLine,    // in the list, printed "... unpurged vm_area" (4.13-5.1)
    AfterListLifo,   // after the last area, most recently freed first (5.2-5.8)
    AfterListMerged, // after the last area, address order, adjacent ranges merged (5.9+)
};

// /proc/vmallocinfo " phys=" field.
enum class PhysFormat {
    BareHex, // %lx / %llx: no prefix, no padding
    Pa,      // %pa: "0x" and 2*sizeof(phys_addr_t) digits
};

// VM_* flag values of include/linux/vmalloc.h in this version; 0 = the flag does not exist.
struct VmFlagValues {
    u64 ioremap = 0x1;
    u64 alloc = 0x2;
    u64 map = 0x4;
    u64 usermap = 0x8;
    u64 vpages = 0;        // 0x10 up to 4.4 (page array itself vmalloc'ed)
    u64 uninitialized = 0; // 0x20 from 3.10
    u64 no_guard = 0;      // 0x40 from 4.0
    u64 kasan = 0;         // 0x80 from 4.0
    u64 dma_coherent = 0;  // 0x10 from 5.8
};

struct VmallocRules {
    KernelVersion version;
    Arch arch = Arch::X86_64;
    unsigned page_shift = 12;

    VmapPlacement placement = VmapPlacement::LowestFreeFit;
    // Extra page skipped after each area when stepping past it (2.6.28-2.6.39).
    bool skip_extra_page = false;
    // The search steps past an area whose start equals candidate + size (`>=`, 2.6.37-2.6.39).
    bool step_past_touching = false;

    bool has_no_guard = true; // VM_NO_GUARD honoured by __get_vm_area_node (4.0+)

    IoremapOrder ioremap_order = IoremapOrder::CountOrder;
    unsigned ioremap_max_order = 19; // IOREMAP_MAX_ORDER

    // vfree/vunmap queue the range; it is reusable only after a purge (2.6.28+).
    bool lazy_free = true;
    // alloc_vmap_area purges lazily freed areas once and retries before failing (2.6.28+).
    bool purge_and_retry = true;
    // find_vm_area / remove_vm_area look the address up inside areas (2.6.28+, rbtree); before,
    // only an area starting exactly at it is found (vmlist walk).
    bool find_by_containing = true;

    VmapList list = VmapList::VmapAreaList;
    VmFlagValues flags;

    // VMALLOC_END is an inclusive constant (x86_64 pgtable_64_types.h): the allocator's vend and
    // is_vmalloc_addr's bound are Layout::vmalloc_end - 1.
    bool vmalloc_end_inclusive = false;
    // is_vmalloc_addr / is_vmalloc_or_module_addr exist (2.6.28+; not in 2.6.24).
    bool has_is_vmalloc_addr = true;

    // /proc/vmallocinfo
    bool has_vmallocinfo = true; // 2.6.25+
    PhysFormat phys_format = PhysFormat::Pa;
    UnpurgedView unpurged = UnpurgedView::AfterListMerged;
    bool dma_coherent_word = true;
    bool vpages_by_flag = false; // VM_VPAGES flag (<=4.4) vs is_vmalloc_addr(pages)

    // __vmalloc_node: PAGE_ALIGN(size) == 0 or (size >> PAGE_SHIFT) > totalram (num_physpages
    // in 2.6.24) -> NULL. Present in every supported version.
    bool rejects_over_totalram = true;

    // vread / vwrite (mm/vread.cpp)
    VreadStyle vread_style = VreadStyle::Iter;
    // vread first finds the lowest vmap_area ending above addr and returns (or, vread_iter,
    // zero-fills) at once when none exists or addr + count <= its start (5.15+).
    bool vread_exceed_precheck = true;
    // vm_map_ram() exists (the vmap_area allocator, 2.6.28).
    bool has_vm_map_ram = true;
    // vm_map_ram areas without a vm_struct are read (VMAP_RAM flag, 6.3+); before, holes.
    bool vread_vmap_ram = true;
    // vwrite exists (removed together with /dev/kmem in 5.13).
    bool has_vwrite = false;

    [[nodiscard]] u64 page_size() const { return u64{1} << page_shift; }
    // lazy_max_pages(): fls(num_online_cpus()) * (32 MiB / PAGE_SIZE) (2.6.28-6.13).
    [[nodiscard]] u64 lazy_max_pages(unsigned online_cpus) const;
    // The alignment __get_vm_area_node gives a VM_IOREMAP area of `size` bytes.
    [[nodiscard]] u64 ioremap_align(u64 size) const;
    // Bytes of phys_addr_t (for %pa).
    [[nodiscard]] unsigned phys_addr_bytes() const;
};

[[nodiscard]] VmallocRules vmalloc_rules_for(KernelVersion version, Arch arch,
                                             unsigned page_shift = 12);

} // namespace kmemu
