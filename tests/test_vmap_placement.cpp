// vmap placement per era (layouts.md §F.2, kernel-semantics.md §3.3), i386 VMALLOC_START S =
// 0xe0800000. vmalloc(100): PAGE_ALIGN -> 0x1000, + guard page -> 0x2000 reserved.
#include <catch2/catch.hpp>

#include "test_vmap_fixtures.h"

using namespace kmemu;
using namespace kmemu::test;

TEST_CASE("vmap: two vmalloc(100) in an empty space, per era") {
    // E1 2.6.24 vmlist, E3 3.10 next-fit, E6 6.1 lowest fit: packed, second at S + 0x2000.
    // E2 2.6.32 and 2.6.38 (cache era still skipping a page): S + 0x2000 + 0x1000.
    struct Case {
        const char* kernel;
        u64 second;
    };
    for (Case c :
         {Case{"2.6.24", kS + 0x2000}, Case{"2.6.32", kS + 0x3000}, Case{"2.6.38", kS + 0x3000},
          Case{"3.10", kS + 0x2000}, Case{"4.19", kS + 0x2000}, Case{"6.1", kS + 0x2000}}) {
        INFO(c.kernel);
        VmapSpace s = space_for(c.kernel);
        CHECK(vm(s, 100) == kS);
        CHECK(vm(s, 100) == c.second);
        REQUIRE(s.find_vm_area(VirtAddr(kS)) != nullptr);
        CHECK(s.find_vm_area(VirtAddr(kS))->size == 0x2000);
        CHECK(s.find_vm_area(VirtAddr(kS))->nr_pages == 1);
    }
}

TEST_CASE("vmap: VM_NO_GUARD exists from 4.0") {
    VmapSpace s = space_for("6.1");
    VmapRequest r;
    r.size = 4096;
    r.flags = VmMap | VmNoGuard;
    r.vstart = VirtAddr(kS);
    r.vend = VirtAddr(kS + 0x100000);
    auto a = s.reserve(r);
    REQUIRE(a->ok());
    CHECK(s.find_vm_area(VirtAddr(kS))->size == 0x1000); // no guard page
    CHECK(s.find_vm_area(VirtAddr(kS))->usable_size(4096) == 0x1000);
    CHECK(vm(s, 100) == kS + 0x1000); // packed right behind it

    VmapSpace old = space_for("3.10");
    auto bad = old.reserve(r);
    REQUIRE(bad.is_error());
    CHECK_THAT(bad.error().message(), Catch::Contains("VM_NO_GUARD"));
}

TEST_CASE("vmap: ioremap alignment by era (x86 i386 non-PAE)") {
    // A vmalloc(100) first takes [S, S+0x2000). Then ioremap(size):
    //  2.6.32: fls -> 4096: 2^13; rbtree step ALIGN(S+0x2000+0x1000, 8K) = S+0x4000.
    //  3.10/4.4: fls, next-fit from the cached area: ALIGN(S+0x2000, align).
    //  6.1: get_count_order: ALIGN(S+0x2000, align) by lowest fit.
    // 1 MiB: fls = 21; IOREMAP_MAX_ORDER 19 before 4.1 (512K), PMD_SHIFT 22 after on non-PAE;
    // count order 20 in 6.1.
    struct Case {
        const char* kernel;
        u64 size;
        u64 expect;
    };
    const Case cases[] = {
        {"2.6.32", 4096, kS + 0x4000}, {"3.10", 4096, kS + 0x2000},   {"3.10", 8192, kS + 0x4000},
        {"3.10", 12288, kS + 0x4000},  {"6.1", 4096, kS + 0x2000},    {"6.1", 8192, kS + 0x2000},
        {"6.1", 12288, kS + 0x4000},   {"3.10", 1 * MiB, 0xe0880000}, {"4.4", 1 * MiB, 0xe0a00000},
        {"6.1", 1 * MiB, 0xe0900000},
    };
    for (const Case& c : cases) {
        INFO(c.kernel << " size " << c.size);
        VmapSpace s = space_for(c.kernel);
        vm(s, 100);
        auto r = s.ioremap(PhysAddr(0xfe000000), c.size, "");
        REQUIRE(r->ok());
        CHECK(r->addr->get() == c.expect);
        CHECK(s.find_vm_area(*r->addr)->phys_addr == PhysAddr(0xfe000000));
        CHECK(s.find_vm_area(*r->addr)->size == align_up(c.size, 4096) + 4096);
    }
}

TEST_CASE("vmap: ioremap_align formulas and IOREMAP_MAX_ORDER") {
    // Strictly greater (fls) vs at-or-above (count order), clamped to [12, max].
    const auto r44 = vmalloc_rules_for({4, 4, 0}, Arch::I386Pae);
    CHECK(r44.ioremap_align(4096) == 8192);
    CHECK(r44.ioremap_align(8192) == 16384);
    CHECK(r44.ioremap_align(12288) == 16384);
    CHECK(r44.ioremap_align(64 * MiB) == 2 * MiB); // PMD_SHIFT 21 with PAE
    const auto r61 = vmalloc_rules_for({6, 1, 0}, Arch::X86_64);
    CHECK(r61.ioremap_align(4096) == 4096);
    CHECK(r61.ioremap_align(12288) == 16384);
    CHECK(r61.ioremap_align(1 * MiB) == 1 * MiB);
    CHECK(r61.ioremap_align(4 * GiB) == 1 * GiB); // PUD_SHIFT 30
    CHECK(vmalloc_rules_for({3, 10, 0}, Arch::X86_64).ioremap_align(4 * MiB) == 512 * KiB);
    CHECK(vmalloc_rules_for({6, 1, 0}, Arch::Arm64).ioremap_align(4 * MiB) == 512 * KiB);
    CHECK(vmalloc_rules_for({4, 19, 0}, Arch::Arm).ioremap_align(32 * MiB) == 16 * MiB);
}

TEST_CASE("vmap: ioremap returns the page offset and refuses size 0") {
    VmapSpace s = space_for("6.1");
    auto r = s.ioremap(PhysAddr(0xfec00010), 0x10, "");
    REQUIRE(r->ok());
    CHECK(r->addr->get() == kS + 0x10);
    CHECK(s.find_vm_area(VirtAddr(kS))->phys_addr == PhysAddr(0xfec00000));
    auto z = s.ioremap(PhysAddr(0xfec00000), 0, "");
    CHECK_FALSE(z->ok());
    CHECK(z->failure == VmapFailure::ZeroSize);
}

TEST_CASE("vmap: vmalloc(0) and more pages than totalram are NULL") {
    for (const char* k : {"2.6.24", "6.1"}) {
        VmapSpace s = space_for(k);
        auto z = s.vmalloc(0, "", kRam);
        CHECK(z->failure == VmapFailure::ZeroSize);
        // 100 pages of RAM: 100 pages pass, 100 pages + 1 byte (101 pages) do not.
        CHECK(s.vmalloc(100 * 4096, "", 100)->ok());
        CHECK(s.vmalloc(100 * 4096 + 1, "", 100)->failure == VmapFailure::OverTotalram);
    }
}

TEST_CASE("vmap: a page array over one page is vmalloc'ed after its area") {
    // 1025 pages on 32-bit: 1025 * 4 = 4100 bytes > 4096, so a nested vmalloc(4100): 2 pages +
    // guard. 6.1: main [S, S+0x402000), array at S+0x402000 (0x3000). 2.6.32: one extra page.
    VmapSpace s = space_for("6.1");
    CHECK(vm(s, 1025 * 4096) == kS);
    auto list = s.areas();
    REQUIRE(list.size() == 2);
    CHECK(list[0]->vpages);
    CHECK(list[1]->addr.get() == kS + 0x402000);
    CHECK(list[1]->size == 0x3000);
    CHECK(list[1]->nr_pages == 2);
    VmapSpace e2 = space_for("2.6.32");
    vm(e2, 1025 * 4096);
    CHECK(e2.areas()[1]->addr.get() == kS + 0x403000);
    // 1024 pages: exactly one page of pointers, kmalloc'ed: one area only.
    VmapSpace k = space_for("6.1");
    vm(k, 1024 * 4096);
    CHECK(k.areas().size() == 1);
}

TEST_CASE("vmap: boot areas and the seed observation 0xe0870000") {
    // layouts.md §F.3: vmalloc(100) returned 0xe0870000 = S + 112 pages on i386 with
    // high_memory 0xe0000000. One set of earlier areas that explains it, per era:
    // * 6.1 (packing): two boot ioremaps of one page (ACPI table at 0x1ffe0000, HPET at
    //   0xfed00000), 2 pages each, then the module image, vmalloc of 107 pages (108 with the
    //   guard): 2 + 2 + 108 = 112 pages.
    VmapSpace s = space_for("6.1");
    CHECK(s.ioremap(PhysAddr(0x1ffe0000), 4096, "acpi_os_map_iomem+0x1b4/0x1e0")->addr->get() ==
          0xe0800000);
    CHECK(s.ioremap(PhysAddr(0xfed00000), 1024, "hpet_enable+0x2a/0x2e0")->addr->get() ==
          0xe0802000);
    CHECK(vm(s, 107 * 4096, "load_module+0x8a0/0x1b00") == 0xe0804000);
    CHECK(vm(s, 100, "test_init+0x10/0x40 [test]") == 0xe0870000);
    // * 2.6.32 (extra page after each area): a module image of 110 pages (111 with the guard)
    //   recorded as a boot area, then the gap page: 111 + 1 = 112.
    VmapSpace e2 = space_for("2.6.32");
    VmArea mod;
    mod.addr = VirtAddr(kS);
    mod.size = 111 * 4096;
    mod.flags = VmAlloc;
    mod.nr_pages = 110;
    REQUIRE_FALSE(e2.add_boot_area(mod).is_error());
    CHECK(vm(e2, 100) == 0xe0870000);
    // Overlap and alignment are refused.
    mod.addr = VirtAddr(kS + 0x1000);
    CHECK(e2.add_boot_area(mod).is_error());
    mod.addr = VirtAddr(kS + 0x80000 + 1);
    CHECK(e2.add_boot_area(mod).is_error());
}

TEST_CASE("vmap: is_vmalloc_addr and is_vmalloc_or_module_addr") {
    VmapSpace s = space_for("6.1");
    CHECK_FALSE(s.is_vmalloc_addr(VirtAddr(kS - 1)));
    CHECK(s.is_vmalloc_addr(VirtAddr(kS)));
    CHECK(s.is_vmalloc_addr(VirtAddr(0xff7fdfff)));
    CHECK_FALSE(s.is_vmalloc_addr(VirtAddr(0xff7fe000)));
    // x86_64: VMALLOC_END 0xffffe8ffffffffff is inclusive and compared with `<`: its own last
    // byte is not vmalloc. Kernel text is neither; modules are the second.
    VmapSpace x = space_for("6.1", Arch::X86_64);
    CHECK(x.is_vmalloc_addr(VirtAddr(0xffffe8fffffffffe)));
    CHECK_FALSE(x.is_vmalloc_addr(VirtAddr(0xffffe8ffffffffff)));
    CHECK_FALSE(x.is_vmalloc_or_module_addr(VirtAddr(0xffffffff81000000)));
    CHECK(x.is_vmalloc_or_module_addr(VirtAddr(0xffffffffa0000000)));
    CHECK_FALSE(x.is_vmalloc_addr(VirtAddr(0xffffffffa0000000)));
    CHECK_FALSE(x.is_vmalloc_or_module_addr(VirtAddr(0xffffffffff000000)));
    CHECK_FALSE(vmalloc_rules_for({2, 6, 24}, Arch::I386).has_is_vmalloc_addr);
}

TEST_CASE("vmap: bad requests are errors") {
    VmapSpace s = space_for("6.1");
    VmapRequest r;
    r.size = 4096;
    r.align = 3;
    r.vstart = VirtAddr(kS);
    r.vend = VirtAddr(kS + 0x10000);
    CHECK(s.reserve(r).is_error());
    r.align = 1;
    r.vstart = VirtAddr(kS + 0x20000);
    CHECK(s.reserve(r).is_error());
    r.vstart = VirtAddr(kS);
    r.vend = VirtAddr(0x100001000); // beyond the 32-bit word
    CHECK(s.reserve(r).is_error());
}
