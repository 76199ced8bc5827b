// vfree, lazy freeing, purge-and-retry and the next-fit hint (kernel-semantics.md §3.3).
// i386 S = 0xe0800000; vmalloc(100) reserves 0x2000, vmalloc(8192) 0x3000.
#include <catch2/catch.hpp>

#include "test_vmap_fixtures.h"

using namespace kmemu;
using namespace kmemu::test;

TEST_CASE("vmap: E1 frees at once and reuses the range") {
    VmapSpace s = space_for("2.6.24");
    vm(s, 100);                       // A [S, S+0x2000)
    CHECK(vm(s, 100) == kS + 0x2000); // B
    CHECK(s.free(VirtAddr(kS)) == VfreeResult::Freed);
    CHECK(s.lazy_pages() == 0);
    CHECK(vm(s, 100) == kS); // first fit finds A's range
    // vmlist lookup wants the exact start.
    CHECK(s.find_vm_area(VirtAddr(kS + 0x1000)) == nullptr);
    CHECK(s.free(VirtAddr(kS + 0x1000)) == VfreeResult::NotFound);
}

TEST_CASE("vmap: E2 lazy free: gone from the list, address not reused until purge") {
    VmapSpace s = space_for("2.6.32");
    vm(s, 100);                       // A [S, S+0x2000)
    CHECK(vm(s, 100) == kS + 0x3000); // B [S+0x3000, S+0x5000)
    CHECK(s.free(VirtAddr(kS)) == VfreeResult::Freed);
    CHECK(s.find_vm_area(VirtAddr(kS)) == nullptr);
    REQUIRE(s.areas().size() == 1);
    CHECK(s.areas()[0]->addr.get() == kS + 0x3000);
    CHECK(s.lazy_pages() == 2);
    // Lazy A still blocks: step past A (S+0x3000), then past B: 0x5000 + 0x1000.
    CHECK(vm(s, 100) == kS + 0x6000);
    s.purge();
    CHECK(s.lazy_pages() == 0);
    CHECK(vm(s, 100) == kS); // [S, S+0x2000) ends before B's S+0x3000
}

TEST_CASE("vmap: E6 lazy free then purge") {
    VmapSpace s = space_for("6.1");
    vm(s, 100);
    vm(s, 100);
    CHECK(s.free(VirtAddr(kS)) == VfreeResult::Freed);
    CHECK(vm(s, 100) == kS + 0x4000);
    s.purge();
    CHECK(vm(s, 100) == kS);
    // The tree lookup finds an area from any address inside it (remove_vm_area of
    // addr + PAGE_SIZE frees it); unaligned addresses are refused first.
    CHECK(s.free(VirtAddr(kS + 0x10)) == VfreeResult::BadAlign);
    CHECK(s.find_vm_area(VirtAddr(kS + 0x1000)) != nullptr);
    CHECK(s.free(VirtAddr(kS + 0x1000)) == VfreeResult::Freed);
    CHECK(s.free(VirtAddr(kS)) == VfreeResult::NotFound); // already lazily freed
    CHECK(s.free(VirtAddr(0)) == VfreeResult::Null);
}

TEST_CASE("vmap: next-fit hint (E3-E5) against lowest fit (E6)") {
    // A = vmalloc(100) [S, +0x2000), B = vmalloc(8192) [S+0x2000, +0x5000),
    // C = vmalloc(100) [S+0x5000, +0x7000). vfree(B), purge: 3.10's __free_vmap_area moves
    // free_vmap_cache to A. Y = vmalloc(16K) (0x5000): from A, the 0x3000 hole is too small
    // (cached_hole_size = 0x3000), Y lands after C at S+0x7000 and becomes the cache.
    // W = vmalloc(8192) (0x3000): 0x3000 < cached_hole_size is false, so 3.10 starts after Y
    // (S+0xc000); 6.1 takes the lowest fit, B's old range at S+0x2000.
    for (const char* k : {"3.10", "4.19", "6.1"}) {
        INFO(k);
        VmapSpace s = space_for(k);
        CHECK(vm(s, 100) == kS);
        CHECK(vm(s, 8192) == kS + 0x2000);
        CHECK(vm(s, 100) == kS + 0x5000);
        CHECK(s.free(VirtAddr(kS + 0x2000)) == VfreeResult::Freed);
        s.purge();
        CHECK(vm(s, 16384) == kS + 0x7000);
        const bool lowest = std::string(k) == "6.1";
        CHECK(vm(s, 8192) == (lowest ? kS + 0x2000 : kS + 0xc000));
        // A request smaller than the hole seen makes 3.10 rescan from vstart.
        if (!lowest) {
            CHECK(vm(s, 100) == kS + 0x2000);
        }
    }
}

TEST_CASE("vmap: exhaustion, purge-and-retry, then failure") {
    // A 0x6000 range holds three vmalloc(100)-sized reservations (0x2000 each).
    auto fill = []() {
        VmapRequest r;
        r.size = 4096;
        r.vstart = VirtAddr(kS);
        r.vend = VirtAddr(kS + 0x6000);
        return r;
    };
    {
        VmapSpace s = space_for("6.1");
        VmapRequest r = fill();
        for (u64 i = 0; i < 3; ++i)
            CHECK(s.reserve(r)->addr->get() == kS + 0x2000 * i);
        CHECK(s.free(VirtAddr(kS + 0x2000)) == VfreeResult::Freed);
        auto again = s.reserve(r); // fails, purges the lazy range, retries into it
        CHECK(again->addr->get() == kS + 0x2000);
        CHECK(again->purged);
        auto full = s.reserve(r);
        CHECK_FALSE(full->ok());
        CHECK(full->failure == VmapFailure::NoSpace);
        CHECK(full->purged);
    }
    {
        // E1: no lazy list, no retry; the candidate after the third area (S+0x6000) is above
        // vend - size, so "out of vmalloc space".
        VmapSpace s = space_for("2.6.24");
        VmapRequest r = fill();
        for (int i = 0; i < 3; ++i)
            REQUIRE(s.reserve(r)->ok());
        auto full = s.reserve(r);
        CHECK(full->failure == VmapFailure::NoSpace);
        CHECK_FALSE(full->purged);
    }
}

TEST_CASE("vmap: lazy_max_pages and the automatic purge") {
    // fls(cpus) * 32 MiB / 4 KiB: 1 CPU 8192, 4 CPUs fls=3 -> 24576, 8 CPUs fls=4 -> 32768.
    const auto r = vmalloc_rules_for({3, 10, 0}, Arch::I386);
    CHECK(r.lazy_max_pages(1) == 8192);
    CHECK(r.lazy_max_pages(4) == 24576);
    CHECK(r.lazy_max_pages(8) == 32768);
    // vmalloc(32 MiB) reserves 8193 pages; its 8192 * 4-byte page array is itself vmalloc'ed
    // (8 pages + guard). Freeing the area passes 8192 lazy pages and purges at once; __vunmap
    // then vfree()s the array, which is queued: 9 lazy pages.
    VmapSpace s = space_for("3.10");
    const u64 a = vm(s, 32 * MiB);
    const u64 b = vm(s, 100);
    CHECK(s.free(VirtAddr(b)) == VfreeResult::Freed);
    CHECK(s.lazy_pages() == 2);
    CHECK(s.free(VirtAddr(a)) == VfreeResult::Freed);
    CHECK(s.lazy_pages() == 9); // 2 + 8193 > 8192: purged; then the array's 9
    CHECK(s.areas().empty());
    CHECK(vm(s, 100) == kS);
}
