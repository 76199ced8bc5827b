// Buddy split/merge and free-list placement, with pfns worked out by hand.
#include <catch2/catch.hpp>

#include "page_alloc_machines.h"

using namespace kmemu;
using namespace kmemu::test;

namespace {
std::vector<u64> nr_free(const Zone& z) {
    std::vector<u64> v;
    for (unsigned o = 0; o < z.buddy().nr_orders(); ++o)
        v.push_back(z.buddy().nr_free(o));
    return v;
}
} // namespace

TEST_CASE("buddy: boot carve of the i386 512 MiB DMA and Normal zones", "[buddy]") {
    auto pa =
        boot_or_die(i386_512m(), i386_512m_ram(), page_alloc_rules_for({6, 1, 0}, Arch::I386));
    // DMA: RAM [0,0x9f) and [0x100,0x1000); 6.1 x86 reserves the first MiB (pfns 0..0x100), so
    // the only free run is [0x100,0x1000): greedy aligned blocks 0x100 (order 8), 0x200 (9),
    // then 0x400, 0x800, 0xc00 (order 10).
    const Zone& dma = *pa->zone(ZoneType::Dma);
    CHECK(nr_free(dma) == std::vector<u64>{0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 3});
    CHECK(dma.free_pages() == 0xf00);
    // Normal: [0x1000,0x20000) minus the image [0x1000,0x1800): (0x20000-0x1800)/0x400 = 122
    // order-10 blocks.
    const Zone& normal = *pa->zone(ZoneType::Normal);
    CHECK(nr_free(normal) == std::vector<u64>{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 122});
    CHECK(normal.managed_pages() == 122 * 1024);
    CHECK(normal.present_pages() == 0x1f000);
}

TEST_CASE("buddy: expand() splits the smallest block and merging restores it", "[buddy]") {
    auto pa =
        boot_or_die(i386_512m(), i386_512m_ram(), page_alloc_rules_for({6, 1, 0}, Arch::I386));
    const Zone& dma = *pa->zone(ZoneType::Dma);
    page* p = pa->alloc_pages(GFP_DMA, 0);
    REQUIRE(p);
    // Smallest block of order >= 0 is 0x100 (order 8): the low page is returned and the high
    // halves 0x180 (7), 0x140 (6), 0x120 (5), 0x110 (4), 0x108 (3), 0x104 (2), 0x102 (1),
    // 0x101 (0) go on the lists.
    CHECK(page_to_pfn(p).get() == 0x100);
    CHECK(nr_free(dma) == std::vector<u64>{1, 1, 1, 1, 1, 1, 1, 1, 0, 1, 3});
    CHECK(dma.buddy().area(3).list(10) == std::vector<u64>{0x108});
    page* buddy0 = pa->pfn_to_page(Pfn(0x101));
    CHECK(PageBuddy(buddy0));
    CHECK(page_private(buddy0) == 0);
    // A second order-1 request takes 0x102 from the order-1 list.
    page* q = pa->alloc_pages(GFP_DMA, 1);
    CHECK(page_to_pfn(q).get() == 0x102);
    pa->__free_pages(q, 1);
    pa->__free_pages(p, 0);
    // Freeing merges 0x100 with 0x101, 0x102, ... up to order 8 (0x000 is reserved, no
    // further merge).
    CHECK(nr_free(dma) == std::vector<u64>{0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 3});
    CHECK(PageBuddy(pa->pfn_to_page(Pfn(0x100))));
    CHECK(page_private(pa->pfn_to_page(Pfn(0x100))) == 8);
    CHECK_FALSE(PageBuddy(buddy0));
    CHECK(pa->ledger_balanced());
}

TEST_CASE("buddy: boot frees go to the tail from 5.10, to the head before", "[buddy]") {
    // 6.1: FPI_TO_TAIL, so the order-10 list is ascending and the first block is 0x1800.
    auto pa61 =
        boot_or_die(i386_512m(), i386_512m_ram(), page_alloc_rules_for({6, 1, 0}, Arch::I386));
    CHECK(pa61->zone(ZoneType::Normal)->buddy().area(10).list(3) ==
          std::vector<u64>{0x1800, 0x1c00, 0x2000});
    CHECK(page_to_pfn(pa61->alloc_pages(GFP_KERNEL, 10)).get() == 0x1800);
    // 5.4: each block went to the head, so the highest (0x20000 - 0x400 = 0x1fc00) is first.
    auto pa54 =
        boot_or_die(i386_512m(), i386_512m_ram(), page_alloc_rules_for({5, 4, 0}, Arch::I386));
    CHECK(pa54->zone(ZoneType::Normal)->buddy().area(10).list(3) ==
          std::vector<u64>{0x1fc00, 0x1f800, 0x1f400});
    CHECK(page_to_pfn(pa54->alloc_pages(GFP_KERNEL, 10)).get() == 0x1fc00);
}

TEST_CASE("buddy: run-time frees go to the head (LIFO)", "[buddy]") {
    auto pa =
        boot_or_die(i386_512m(), i386_512m_ram(), page_alloc_rules_for({6, 1, 0}, Arch::I386));
    page* a = pa->alloc_pages(GFP_KERNEL, 10); // 0x1800
    page* b = pa->alloc_pages(GFP_KERNEL, 10); // 0x1c00
    CHECK(page_to_pfn(b).get() == 0x1c00);
    pa->__free_pages(a, 10);
    // Order 10 is a top order: no merge, no merge-likely tail; 0x1800 is at the head again.
    CHECK(pa->zone(ZoneType::Normal)->buddy().area(10).list(2) == std::vector<u64>{0x1800, 0x2000});
    page* c = pa->alloc_pages(GFP_KERNEL, 10);
    CHECK(page_to_pfn(c).get() == 0x1800);
    pa->__free_pages(b, 10);
    pa->__free_pages(c, 10);
    CHECK(pa->ledger_balanced());
}

TEST_CASE("buddy: merge-likely heuristic sends a block to the tail", "[buddy]") {
    auto pa =
        boot_or_die(i386_512m(), i386_512m_ram(), page_alloc_rules_for({6, 1, 0}, Arch::I386));
    const BuddyAllocator& bd = pa->zone(ZoneType::Normal)->buddy();
    // Split 0x1800 (order 10): alloc order 0 leaves 0x1801(0) 0x1802(1) 0x1804(2) ... 0x1a00(9).
    page* p0 = pa->alloc_pages(GFP_KERNEL, 0);
    page* p1 = pa->alloc_pages(GFP_KERNEL, 0); // takes 0x1801
    CHECK(page_to_pfn(p1).get() == 0x1801);
    page* p2 = pa->alloc_pages(GFP_KERNEL, 0); // splits 0x1802 (order 1): returns 0x1802
    CHECK(page_to_pfn(p2).get() == 0x1802);
    CHECK(bd.area(0).list(5) == std::vector<u64>{0x1803});
    // Free 0x1801: its buddy 0x1800 is allocated, so it stays order 0. Its parent is 0x1800
    // (order 1), whose buddy 0x1802 is not free at order 1: head. List: 0x1801, 0x1803.
    pa->__free_pages(p1, 0);
    CHECK(bd.area(0).list(5) == std::vector<u64>{0x1801, 0x1803});
    // Free 0x1802: merges with 0x1803 into 0x1802 (order 1). Parent 0x1800 (order 2) has buddy
    // 0x1804, free at order 2: the block goes to the tail of order 1 (which holds nothing else).
    pa->__free_pages(p2, 0);
    CHECK(bd.area(1).list(5) == std::vector<u64>{0x1802});
    // Free 0x1800: buddy 0x1801 free -> 0x1800(1); buddy 0x1802(1) free -> 0x1800(2); buddy
    // 0x1804(2) ... up to 0x1800 order 10 again.
    pa->__free_pages(p0, 0);
    CHECK(bd.nr_free(10) == 122);
    CHECK(bd.nr_free(0) == 0);
}

TEST_CASE("buddy: arm64 64K pages have 14 orders", "[buddy]") {
    auto rules = page_alloc_rules_for({6, 1, 0}, Arch::Arm64, 16);
    CHECK(rules.nr_orders == 14);
    auto pa = boot_or_die(arm64_64k(), arm64_64k_ram(), rules);
    // Runs [0x4000,0x4020) and [0x4120,0x8000) (image 0x4020..0x4120): blocks 0x4000(5);
    // 0x4120(5) 0x4140(6) 0x4180(7) 0x4200(9) 0x4400(10) 0x4800(11) 0x5000(12) 0x6000(13).
    CHECK(nr_free(*pa->zone(ZoneType::Dma)) ==
          std::vector<u64>{0, 0, 0, 0, 0, 2, 1, 1, 0, 1, 1, 1, 1, 1});
    CHECK(pa->zone(ZoneType::Dma)->free_pages() == 0x4000 - 0x100);
}
