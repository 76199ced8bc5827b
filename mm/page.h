// struct page: the kernel's per-frame descriptor, with its flags and accessors under their
// kernel names (include/linux/mm_types.h, page-flags.h, mm.h). Pages live in the memmap
// (mm/page_array.h); a page is reached by pfn_to_page() and never copied.
#pragma once

#include "mm/types.h"

namespace kmemu {

class Zone;

// Page flag bits (enum pageflags). Numbering is kmemu's; names are the kernel's.
enum PageFlagBit : unsigned {
    PG_locked,
    PG_referenced,
    PG_uptodate,
    PG_dirty,
    PG_lru,
    PG_active,
    PG_slab,
    PG_reserved,
    PG_private,
    PG_writeback,
    PG_head,    // first page of a compound (__GFP_COMP) allocation
    PG_highmem, // a flag only in old kernels (PageAllocRules::has_pg_highmem)
    PG_buddy,   // PG_buddy flag before 4.18, a page type after; kmemu keeps one bit for both
};

// Free-block head marker as the kernel shows it: before 4.18 PG_buddy in flags, after that the
// PG_buddy page type in page_type (with _mapcount no longer -1 for it on ≥4.18 either; kmemu
// keeps _mapcount for mappings only).
struct page {
    u64 flags = 0;
    i64 _refcount = 0;
    i64 _mapcount = -1; // -1: not mapped by any page table
    u64 private_ = 0;   // page_private(): the buddy order while PageBuddy; a driver's otherwise
    Zone* zone = nullptr;
    u64 pfn = 0;           // kmemu keeps it: page_to_pfn() without pointer arithmetic
    u8 compound_order = 0; // valid while PG_head
};

[[nodiscard]] inline bool test_page_flag(const page* p, PageFlagBit bit) {
    return (p->flags >> bit) & 1u;
}
inline void set_page_flag(page* p, PageFlagBit bit) {
    p->flags |= u64{1} << bit;
}
inline void clear_page_flag(page* p, PageFlagBit bit) {
    p->flags &= ~(u64{1} << bit);
}

#define KMEMU_PAGEFLAG(Name, bit)                                                                  \
    [[nodiscard]] inline bool Page##Name(const page* p) {                                          \
        return test_page_flag(p, bit);                                                             \
    }                                                                                              \
    inline void SetPage##Name(page* p) {                                                           \
        set_page_flag(p, bit);                                                                     \
    }                                                                                              \
    inline void ClearPage##Name(page* p) {                                                         \
        clear_page_flag(p, bit);                                                                   \
    }

KMEMU_PAGEFLAG(Locked, PG_locked)
KMEMU_PAGEFLAG(Referenced, PG_referenced)
KMEMU_PAGEFLAG(Uptodate, PG_uptodate)
KMEMU_PAGEFLAG(Dirty, PG_dirty)
KMEMU_PAGEFLAG(LRU, PG_lru)
KMEMU_PAGEFLAG(Active, PG_active)
KMEMU_PAGEFLAG(Slab, PG_slab)
KMEMU_PAGEFLAG(Reserved, PG_reserved)
KMEMU_PAGEFLAG(Private, PG_private)
KMEMU_PAGEFLAG(Writeback, PG_writeback)
KMEMU_PAGEFLAG(Head, PG_head)
#undef KMEMU_PAGEFLAG

// PageBuddy(): head of a free block in the buddy allocator; its order is page_private().
[[nodiscard]] inline bool PageBuddy(const page* p) {
    return test_page_flag(p, PG_buddy);
}
[[nodiscard]] inline u64 page_private(const page* p) {
    return p->private_;
}
inline void set_page_private(page* p, u64 v) {
    p->private_ = v;
}
[[nodiscard]] inline u64 buddy_order(const page* p) {
    return p->private_;
}

[[nodiscard]] inline Zone* page_zone(const page* p) {
    return p->zone;
}
[[nodiscard]] inline Pfn page_to_pfn(const page* p) {
    return Pfn(p->pfn);
}
[[nodiscard]] inline i64 page_count(const page* p) {
    return p->_refcount;
}
[[nodiscard]] inline i64 page_mapcount(const page* p) {
    return p->_mapcount + 1;
}
[[nodiscard]] inline unsigned compound_order(const page* p) {
    return PageHead(p) ? p->compound_order : 0;
}
// PageHighMem(): PG_highmem in old kernels, is_highmem(page_zone(page)) later; both give the
// same answer, so kmemu asks the zone (defined in mm/zone.h).
[[nodiscard]] bool PageHighMem(const page* p);

// get_page(): take a reference. put_page(): drop one; the last reference frees the page (its
// compound order if PG_head, else order 0) back to its zone's allocator.
void get_page(page* p);
void put_page(page* p);
// put_page_testzero(): drop one reference, true when it was the last.
[[nodiscard]] bool put_page_testzero(page* p);

} // namespace kmemu
