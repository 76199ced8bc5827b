// The memmap: pfn_valid per memory model, reserved pages, lazy sections, 1 TiB footprint.
#include <catch2/catch.hpp>

#include "page_alloc_machines.h"

using namespace kmemu;
using namespace kmemu::test;

TEST_CASE("memmap: i386 FLATMEM pfn_valid covers holes below max_pfn", "[memmap]") {
    auto pa =
        boot_or_die(i386_512m(), i386_512m_ram(), page_alloc_rules_for({6, 1, 0}, Arch::I386));
    // pfn 0xa0 is in the legacy hole (0x9f000..0x100000): valid under FLATMEM, PG_reserved.
    CHECK(pa->pfn_valid(Pfn(0xa0)));
    page* hole = pa->pfn_to_page(Pfn(0xa0));
    REQUIRE(hole);
    CHECK(PageReserved(hole));
    CHECK(page_count(hole) == 1);
    CHECK(pa->pfn_valid(Pfn(0x1ffff)));
    CHECK_FALSE(pa->pfn_valid(Pfn(0x20000))); // max_mapnr = max_pfn
    CHECK(pa->pfn_to_page(Pfn(0x20000)) == nullptr);
}

TEST_CASE("memmap: x86_64 SPARSEMEM pfn_valid is per present section", "[memmap]") {
    auto pa = boot_or_die(x86_64_machine(2 * GiB), x86_64_ram(2 * GiB),
                          page_alloc_rules_for({6, 1, 0}, Arch::X86_64));
    // Sections of 2^27 bytes = 0x8000 pages. pfn 0xa0 lies in section 0, which has RAM:
    // valid, and a reserved hole page.
    CHECK(pa->pfn_valid(Pfn(0xa0)));
    CHECK(PageReserved(pa->pfn_to_page(Pfn(0xa0))));
    // 0xc0000 (3 GiB) starts section 24 = [0xc0000,0xc8000), all PCI hole: not valid.
    CHECK_FALSE(pa->pfn_valid(Pfn(0xc0000)));
    CHECK_FALSE(pa->pfn_valid(Pfn(0xfffff)));
    CHECK(pa->pfn_valid(Pfn(0x100000)));
    CHECK_FALSE(pa->pfn_valid(Pfn(0x180000))); // = max_pfn (6 GiB)
}

TEST_CASE("memmap: arm64 pfn_valid asks memblock before 5.17, the section after", "[memmap]") {
    // 64K pages, RAM pfns [0x4000,0x8000). Sections: 2^30 (5.10) = 0x4000 pages, 2^29 (6.1) =
    // 0x2000 pages.
    auto pa510 = boot_or_die(arm64_64k(), arm64_64k_ram(),
                             page_alloc_rules_for({5, 10, 0}, Arch::Arm64, 16));
    CHECK(pa510->pfn_valid(Pfn(0x4000)));
    CHECK_FALSE(pa510->pfn_valid(Pfn(0x3fff)));
    CHECK_FALSE(pa510->pfn_valid(Pfn(0x8000)));
    auto pa61 =
        boot_or_die(arm64_64k(), arm64_64k_ram(), page_alloc_rules_for({6, 1, 0}, Arch::Arm64, 16));
    CHECK(pa61->pfn_valid(Pfn(0x4000)));
    CHECK_FALSE(pa61->pfn_valid(Pfn(0x3fff))); // section 1 = [0x2000,0x4000) has no RAM
}

TEST_CASE("memmap: boot reserves the image, the low pages and extra ranges", "[memmap]") {
    auto pa =
        boot_or_die(i386_512m(), i386_512m_ram(), page_alloc_rules_for({6, 1, 0}, Arch::I386));
    // Untouched: answered from the boot state, no section allocated.
    CHECK(pa->pfn_reserved(Pfn(0))); // first page (and the whole first MiB on 6.1)
    CHECK(pa->pfn_reserved(Pfn(0xff)));
    CHECK_FALSE(pa->pfn_reserved(Pfn(0x100)));
    CHECK(pa->pfn_reserved(Pfn(0x1000))); // _text
    CHECK(pa->pfn_reserved(Pfn(0x17ff))); // last page before _end
    CHECK_FALSE(pa->pfn_reserved(Pfn(0x1800)));
    CHECK(pa->memmap().materialized_sections() == 0);
    page* img = pa->pfn_to_page(Pfn(0x1000));
    CHECK(PageReserved(img));
    CHECK(page_count(img) == 1);
    CHECK(page_zone(img) == pa->zone(ZoneType::Normal));
    // 5.4 reserves 64 KiB at 0: pfn 0x10 is free RAM there.
    auto pa54 =
        boot_or_die(i386_512m(), i386_512m_ram(), page_alloc_rules_for({5, 4, 0}, Arch::I386));
    CHECK(pa54->pfn_reserved(Pfn(0xf)));
    CHECK_FALSE(pa54->pfn_reserved(Pfn(0x10)));
    // Extra range [0x2000000, 0x2000001) rounds out to pfn 0x2000 only.
    ReservedRange extra[] = {{PhysAddr(0x2000000), PhysAddr(0x2000001)}};
    auto pax = PageAllocator::boot(i386_512m(), i386_512m_ram(),
                                   page_alloc_rules_for({6, 1, 0}, Arch::I386), extra);
    REQUIRE_FALSE(pax.is_error());
    CHECK((*pax)->pfn_reserved(Pfn(0x2000)));
    CHECK_FALSE((*pax)->pfn_reserved(Pfn(0x2001)));
    // Freeing a reserved page is a bad page, not a free.
    u64 before = pa->nr_free_pages();
    put_page(img);
    CHECK(pa->nr_free_pages() == before);
    CHECK(pa->bad_pages().size() == 1);
}

TEST_CASE("memmap: a 1 TiB machine boots without per-page work", "[memmap]") {
    auto pa = boot_or_die(x86_64_machine(TiB), x86_64_ram(TiB),
                          page_alloc_rules_for({6, 1, 0}, Arch::X86_64));
    // Table of (4 GiB + 1 TiB) / 128 MiB = 8224 sections, no section allocated.
    CHECK(pa->memmap().materialized_sections() == 0);
    CHECK(pa->footprint_bytes() < 1 * MiB);
    // Normal holds 1 TiB = 2^28 pages = 262144 order-10 blocks, counted arithmetically.
    CHECK(pa->zone(ZoneType::Normal)->buddy().nr_free(10) == 262144);
    page* p = pa->alloc_pages(GFP_KERNEL, 0);
    REQUIRE(p);
    // The first block of the ascending Normal list: pfn 0x100000.
    CHECK(page_to_pfn(p).get() == 0x100000);
    CHECK(pa->memmap().materialized_sections() == 1);
    CHECK(pa->footprint_bytes() < 10 * MiB);
    pa->__free_pages(p, 0);
    CHECK(pa->zone(ZoneType::Normal)->buddy().nr_free(10) == 262144);
}

TEST_CASE("memmap: boot rejects inconsistent input", "[memmap]") {
    Layout l = i386_512m();
    auto r =
        PageAllocator::boot(l, i386_512m_ram(), page_alloc_rules_for({6, 1, 0}, Arch::Arm64, 16));
    REQUIRE(r.is_error());
    CHECK_THAT(r.error().message(), Catch::Contains("PAGE_SHIFT 16"));
    std::swap(l.zones[0], l.zones[1]);
    auto r2 = PageAllocator::boot(l, i386_512m_ram(), page_alloc_rules_for({6, 1, 0}, Arch::I386));
    REQUIRE(r2.is_error());
    CHECK_THAT(r2.error().message(), Catch::Contains("out of order"));
}
