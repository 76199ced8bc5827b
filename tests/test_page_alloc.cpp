// Allocator front end: zonelists, fault injection, references, ledger, /proc text.
#include <catch2/catch.hpp>

#include "emu/procfs_mm.h"
#include "page_alloc_machines.h"

using namespace kmemu;
using namespace kmemu::test;

namespace {
std::unique_ptr<PageAllocator> i386_61() {
    return boot_or_die(i386_512m(), i386_512m_ram(), page_alloc_rules_for({6, 1, 0}, Arch::I386));
}
} // namespace

TEST_CASE("page_alloc: GFP_KERNEL falls back to DMA when Normal is exhausted", "[page_alloc]") {
    auto pa = i386_61();
    std::vector<page*> got;
    for (int i = 0; i < 122; ++i) { // Normal's 122 order-10 blocks
        page* p = pa->alloc_pages(GFP_KERNEL, 10);
        REQUIRE(p);
        CHECK(page_zone(p) == pa->zone(ZoneType::Normal));
        got.push_back(p);
    }
    page* p = pa->alloc_pages(GFP_KERNEL, 10);
    REQUIRE(p);
    CHECK(page_zone(p) == pa->zone(ZoneType::Dma));
    CHECK(page_to_pfn(p).get() == 0x400); // head of DMA's ascending order-10 list
    CHECK(pa->outstanding(ZoneType::Normal, 10) == 122);
    CHECK(pa->outstanding(ZoneType::Dma, 10) == 1);
    for (page* g : got)
        pa->__free_pages(g, 10);
    pa->__free_pages(p, 10);
    CHECK(pa->ledger_balanced());
}

TEST_CASE("page_alloc: GFP_DMA uses only DMA; GFP_DMA32 on i386 is Normal", "[page_alloc]") {
    auto pa = i386_61();
    page* d = pa->alloc_pages(GFP_DMA, 0);
    CHECK(page_zone(d) == pa->zone(ZoneType::Dma));
    FaultInjection f;
    f.fail_zone = ZoneType::Dma;
    pa->set_fault_injection(f);
    CHECK(pa->alloc_pages(GFP_DMA, 0) == nullptr); // Normal has memory but is not allowed
    page* k = pa->alloc_pages(GFP_KERNEL, 0);
    CHECK(page_zone(k) == pa->zone(ZoneType::Normal));
    pa->set_fault_injection({});
    // No ZONE_DMA32 on i386: __GFP_DMA32 means ZONE_NORMAL (OPT_ZONE_DMA32).
    page* d32 = pa->alloc_pages(GFP_DMA32, 0);
    CHECK(page_zone(d32) == pa->zone(ZoneType::Normal));
    CHECK(pa->alloc_pages(GFP_DMA | GFP_DMA32, 0) == nullptr);
    pa->__free_pages(d, 0);
    pa->__free_pages(k, 0);
    pa->__free_pages(d32, 0);
    CHECK(pa->ledger_balanced());
}

TEST_CASE("page_alloc: GFP_HIGHUSER prefers HighMem, GFP_KERNEL never gets it", "[page_alloc]") {
    auto pa = boot_or_die(i386pae_highmem(), i386pae_highmem_ram(),
                          page_alloc_rules_for({6, 1, 0}, Arch::I386Pae));
    // HighMem's first run starts at 0x377fe: an order-1 block 0x377fe, the smallest free
    // block, which order 0 splits: 0x377fe is returned.
    page* h = pa->alloc_pages(GFP_HIGHUSER, 0);
    REQUIRE(h);
    CHECK(page_to_pfn(h).get() == 0x377fe);
    CHECK(PageHighMem(h));
    CHECK(pa->page_address(h).get() == 0);
    // Highmem boot frees go through the plain free path (head) even on 6.1: the order-10 list
    // starts with the highest block, 0x140000 - 0x400.
    page* h10 = pa->alloc_pages(GFP_HIGHUSER_MOVABLE, 10);
    CHECK(page_to_pfn(h10).get() == 0x13fc00);
    page* k = pa->alloc_pages(GFP_KERNEL, 0);
    CHECK(page_zone(k) == pa->zone(ZoneType::Normal));
    CHECK_FALSE(PageHighMem(k));
    // __get_free_pages drops __GFP_HIGHMEM: a lowmem address.
    VirtAddr v = pa->__get_free_pages(GFP_HIGHUSER, 0);
    CHECK(v >= VirtAddr(0xc0000000));
    CHECK(v < pa->layout().high_memory);
    pa->free_pages(v, 0);
    pa->__free_pages(h, 0);
    pa->__free_pages(h10, 10);
    pa->__free_pages(k, 0);
    CHECK(pa->ledger_balanced());
}

TEST_CASE("page_alloc: x86_64 GFP_DMA32 stays below 4 GiB", "[page_alloc]") {
    auto pa = boot_or_die(x86_64_machine(2 * GiB), x86_64_ram(2 * GiB),
                          page_alloc_rules_for({6, 1, 0}, Arch::X86_64));
    page* p = pa->alloc_pages(GFP_DMA32, 10);
    CHECK(page_zone(p) == pa->zone(ZoneType::Dma32));
    // DMA32 [0x1000,0x100000) minus the image [0x1000,0x3000): first order-10 block 0x3000.
    CHECK(page_to_pfn(p).get() == 0x3000);
    page* n = pa->alloc_pages(GFP_KERNEL, 0);
    CHECK(page_zone(n) == pa->zone(ZoneType::Normal));
    pa->__free_pages(p, 10);
    pa->__free_pages(n, 0);
}

TEST_CASE("page_alloc: fault injection", "[page_alloc]") {
    auto pa = i386_61();
    FaultInjection f;
    f.fail_nth = 2;
    pa->set_fault_injection(f);
    page* a = pa->alloc_pages(GFP_KERNEL, 0);
    CHECK(a != nullptr);
    CHECK(pa->alloc_pages(GFP_KERNEL, 0) == nullptr);
    page* c = pa->alloc_pages(GFP_KERNEL, 0);
    CHECK(c != nullptr);
    f = {};
    f.fail_order_from = 4;
    pa->set_fault_injection(f);
    CHECK(pa->alloc_pages(GFP_KERNEL, 4) == nullptr);
    CHECK(pa->__get_free_pages(GFP_KERNEL, 5).get() == 0);
    page* d = pa->alloc_pages(GFP_KERNEL, 3);
    CHECK(d != nullptr);
    CHECK(pa->failed_allocations() == 3);
    CHECK(pa->alloc_pages(GFP_KERNEL, 11) == nullptr); // order >= MAX_ORDER
    CHECK(pa->outstanding_pages() == 1 + 1 + 8);
    pa->__free_pages(a, 0);
    pa->__free_pages(c, 0);
    pa->__free_pages(d, 3);
    CHECK(pa->ledger_balanced());
}

TEST_CASE("page_alloc: get_page/put_page, the last reference frees", "[page_alloc]") {
    auto pa = i386_61();
    const u64 free0 = pa->nr_free_pages();
    page* p = pa->alloc_pages(GFP_KERNEL, 0);
    CHECK(page_count(p) == 1);
    CHECK(page_mapcount(p) == 0);
    get_page(p);
    CHECK(page_count(p) == 2);
    put_page(p);
    CHECK(pa->nr_free_pages() == free0 - 1);
    put_page(p);
    CHECK(pa->nr_free_pages() == free0);
    CHECK(PageBuddy(pa->pfn_to_page(Pfn(0x1800)))); // merged back to the order-10 block
    // A compound page frees its whole order on put_page.
    page* c = pa->alloc_pages(GFP_KERNEL | __GFP_COMP, 2);
    CHECK(PageHead(c));
    CHECK(compound_order(c) == 2);
    put_page(c);
    CHECK(pa->nr_free_pages() == free0);
    // Double free is reported, not applied.
    pa->__free_pages(p, 0);
    CHECK(pa->bad_pages().size() == 1);
    CHECK(pa->nr_free_pages() == free0);
    CHECK(pa->ledger_balanced());
}

TEST_CASE("page_alloc: __GFP_ZERO goes through the frame zeroer", "[page_alloc]") {
    auto pa = i386_61();
    std::vector<std::pair<u64, u64>> zeroed;
    pa->set_frame_zeroer([&](Pfn f, u64 n) { zeroed.emplace_back(f.get(), n); });
    VirtAddr v = pa->get_zeroed_page(GFP_KERNEL);
    // First Normal page 0x1800 -> __va = 0xc0000000 + 0x1800000.
    CHECK(v.get() == 0xc1800000);
    page* p = pa->alloc_pages(GFP_KERNEL | __GFP_ZERO, 2);
    REQUIRE(zeroed.size() == 2);
    CHECK(zeroed[0] == std::pair<u64, u64>{0x1800, 1});
    CHECK(zeroed[1] == std::pair<u64, u64>{page_to_pfn(p).get(), 4});
    pa->free_page(v);
    pa->__free_pages(p, 2);
    CHECK(pa->ledger_balanced());
}

TEST_CASE("page_alloc: watermarks as __setup_per_zone_wmarks computes them", "[page_alloc]") {
    auto pa = i386_61();
    // managed: DMA 3840, Normal 124928 -> lowmem 128768 pages = 515072 kB;
    // int_sqrt(515072 * 16 = 8241152) = 2870 (2870^2 = 8236900, 2871^2 = 8242641).
    CHECK(pa->min_free_kbytes() == 2870);
    // pages_min = 2870 >> 2 = 717. DMA: tmp = 717*3840/128768 = 21; scale 3840*10/10000 = 3;
    // d = max(21/4 = 5, 3) = 5 -> 21/26/31. Normal: tmp = 717*124928/128768 = 695;
    // scale = 12*10 + 4928*10/10000 = 124; d = max(173, 124) = 173 -> 695/868/1041.
    const Zone& dma = *pa->zone(ZoneType::Dma);
    const Zone& nor = *pa->zone(ZoneType::Normal);
    CHECK(dma.min_wmark_pages() == 21);
    CHECK(dma.low_wmark_pages() == 26);
    CHECK(dma.high_wmark_pages() == 31);
    CHECK(nor.min_wmark_pages() == 695);
    CHECK(nor.low_wmark_pages() == 868);
    CHECK(nor.high_wmark_pages() == 1041);
    // lowmem_reserve of DMA against Normal allocations: 124928 / 256 = 488.
    CHECK(dma.lowmem_reserve(ZoneType::Normal) == 488);
    // 4.4 reserves only 64 KiB at 0, so DMA also frees [0x10,0x9f): managed 3983, lowmem
    // 128911 pages = 515644 kB, int_sqrt(8250304) = 2872, pages_min 718; Normal tmp =
    // 718*124928/128911 = 695. No watermark_scale_factor: low = 695 + 695/4 = 868,
    // high = 695 + 695/2 = 1042.
    auto pa44 =
        boot_or_die(i386_512m(), i386_512m_ram(), page_alloc_rules_for({4, 4, 0}, Arch::I386));
    CHECK(pa44->zone(ZoneType::Normal)->low_wmark_pages() == 695 + 173);
    CHECK(pa44->zone(ZoneType::Normal)->high_wmark_pages() == 695 + 347);
    // With WatermarkCheck::Min, DMA refuses GFP_KERNEL: 3840 - 0 > 21 + 488 holds, so an
    // order-0 fits; but after fail_zone Normal and draining DMA below 509 free it fails.
    pa->set_watermark_check(WatermarkCheck::Min);
    FaultInjection f;
    f.fail_zone = ZoneType::Normal;
    pa->set_fault_injection(f);
    std::vector<page*> got;
    while (page* p = pa->alloc_pages(GFP_KERNEL, 0))
        got.push_back(p);
    // Allocation k succeeds while free before it (3840 - k) > 21 + 488 = 509: k = 0..3330.
    CHECK(got.size() == 3331);
    for (page* p : got)
        pa->__free_pages(p, 0);
    CHECK(pa->ledger_balanced());
}

TEST_CASE("procfs: /proc/buddyinfo and /proc/zoneinfo of the i386 512 MiB machine", "[procfs]") {
    auto pa = i386_61();
    CHECK(render_buddyinfo(*pa) ==
          "Node 0, zone      DMA      0      0      0      0      0      0      0      0      1"
          "      1      3 \n"
          "Node 0, zone   Normal      0      0      0      0      0      0      0      0      0"
          "      0    122 \n");
    CHECK(render_zoneinfo(*pa) == "Node 0, zone      DMA\n"
                                  "  pages free     3840\n"
                                  "        boost    0\n"
                                  "        min      21\n"
                                  "        low      26\n"
                                  "        high     31\n"
                                  "        spanned  4096\n"
                                  "        present  3999\n"
                                  "        managed  3840\n"
                                  "        cma      0\n"
                                  "        protection: (0, 488)\n"
                                  "      nr_free_pages 3840\n"
                                  "  node_unreclaimable:  0\n"
                                  "  start_pfn:           0\n"
                                  "Node 0, zone   Normal\n"
                                  "  pages free     124928\n"
                                  "        boost    0\n"
                                  "        min      695\n"
                                  "        low      868\n"
                                  "        high     1041\n"
                                  "        spanned  126976\n"
                                  "        present  126976\n"
                                  "        managed  124928\n"
                                  "        cma      0\n"
                                  "        protection: (0, 0)\n"
                                  "      nr_free_pages 124928\n"
                                  "  node_unreclaimable:  0\n"
                                  "  start_pfn:           4096\n");
}
