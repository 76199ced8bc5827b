// /proc/vmallocinfo byte for byte (kernel-semantics.md §3.6, cases 72).
#include <catch2/catch.hpp>

#include "emu/procfs_vmallocinfo.h"
#include "test_vmap_fixtures.h"

using namespace kmemu;
using namespace kmemu::test;

namespace {

std::string info(const VmapSpace& s, VmallocinfoOptions o = {}) {
    auto r = render_vmallocinfo(s, o);
    REQUIRE_FALSE(r.is_error());
    return r.release_value();
}

// vmalloc(100) by foo_init, then ioremap(0xfec00000, 0x400) by acpi.
void populate(VmapSpace& s) {
    vm(s, 100, "foo_init+0x10/0x40 [foo]");
    REQUIRE(s.ioremap(PhysAddr(0xfec00000), 0x400, "acpi_os_map_memory+0x1a/0x30")->ok());
}

} // namespace

TEST_CASE("vmallocinfo: 2.6.32 i386") {
    // Size %7ld: four spaces before 8192. phys=%lx bare. ioremap at S+0x4000 (8K aligned, one
    // extra page after the vmalloc area).
    VmapSpace s = space_for("2.6.32");
    populate(s);
    CHECK(info(s) == "0xe0800000-0xe0802000    8192 foo_init+0x10/0x40 [foo] pages=1 vmalloc\n"
                     "0xe0804000-0xe0806000    8192 acpi_os_map_memory+0x1a/0x30 phys=fec00000 "
                     "ioremap\n");
    // Lazily freed areas are gone from vmlist at once.
    CHECK(s.free(VirtAddr(kS)) == VfreeResult::Freed);
    CHECK(info(s) == "0xe0804000-0xe0806000    8192 acpi_os_map_memory+0x1a/0x30 phys=fec00000 "
                     "ioremap\n");
}

TEST_CASE("vmallocinfo: unpurged areas per era") {
    // 3.10 keeps the lazy vmap_area in the list as "vm_map_ram"; 4.19 as "unpurged vm_area";
    // 6.1 prints it after the last area. 3.10/4.19 next-fit put the ioremap at S+0x2000 with
    // 8K alignment (fls); 4.19 has get_count_order: 4K, same place.
    const std::string io = "0xe0802000-0xe0804000    8192 acpi_os_map_memory+0x1a/0x30 ";
    VmapSpace a = space_for("3.10");
    populate(a);
    a.free(VirtAddr(kS));
    CHECK(info(a) == "0xe0800000-0xe0802000    8192 vm_map_ram\n" + io + "phys=fec00000 ioremap\n");
    VmapSpace b = space_for("4.19");
    populate(b);
    b.free(VirtAddr(kS));
    CHECK(info(b) ==
          "0xe0800000-0xe0802000    8192 unpurged vm_area\n" + io + "phys=0xfec00000 ioremap\n");
    VmapSpace c = space_for("6.1");
    populate(c);
    c.free(VirtAddr(kS));
    CHECK(info(c) ==
          io + "phys=0xfec00000 ioremap\n" + "0xe0800000-0xe0802000    8192 unpurged vm_area\n");
}

TEST_CASE("vmallocinfo: 5.4 lists unpurged LIFO, 6.1 merges touching ranges") {
    // Three vmalloc(100) at S, S+0x2000, S+0x4000 and a keeper at S+0x6000; free the first
    // two in order. 5.4 (llist): most recent first; 6.1: one merged range of 0x4000.
    VmapSpace o = space_for("5.4");
    VmapSpace n = space_for("6.1");
    for (VmapSpace* s : {&o, &n}) {
        vm(*s, 100);
        vm(*s, 100);
        vm(*s, 100, "keep+0x0/0x4");
        s->free(VirtAddr(kS));
        s->free(VirtAddr(kS + 0x2000));
    }
    const std::string keep = "0xe0804000-0xe0806000    8192 keep+0x0/0x4 pages=1 vmalloc\n";
    CHECK(info(o) == keep + "0xe0802000-0xe0804000    8192 unpurged vm_area\n" +
                         "0xe0800000-0xe0802000    8192 unpurged vm_area\n");
    CHECK(info(n) == keep + "0xe0800000-0xe0804000   16384 unpurged vm_area\n");
    // With no live area, show_purge_info never runs.
    n.free(VirtAddr(kS + 0x4000));
    CHECK(info(n).empty());
}

TEST_CASE("vmallocinfo: x86_64 6.1 with NUMA, PAE phys, restricted pointers, vpages") {
    VmapSpace s = space_for("6.1", Arch::X86_64);
    auto r = s.vmalloc(100, "foo+0x0/0x10", kRam);
    REQUIRE(r->ok());
    VmallocinfoOptions numa;
    numa.numa = true;
    CHECK(info(s, numa) ==
          "0xffffc90000000000-0xffffc90000002000    8192 foo+0x0/0x10 pages=1 vmalloc N0=1\n");
    VmallocinfoOptions hidden;
    hidden.restrict_pointers = true;
    CHECK(info(s, hidden) ==
          "0x0000000000000000-0x0000000000000000    8192 foo+0x0/0x10 pages=1 vmalloc\n");

    // i386 PAE: phys_addr_t is 64-bit, %pa prints 16 digits. vmalloc_user-style flags.
    VmapSpace p = space_for("6.1", Arch::I386Pae);
    REQUIRE(p.ioremap(PhysAddr(0xfed00000), 4096, "")->ok());
    REQUIRE(p.vmalloc(8192, "u+0x1/0x2", kRam, 4096, VmUsermap)->ok());
    CHECK(info(p) == "0xe0800000-0xe0802000    8192 phys=0x00000000fed00000 ioremap\n"
                     "0xe0802000-0xe0805000   12288 u+0x1/0x2 pages=2 vmalloc user\n");

    // 2000 pages on 32-bit: the 8000-byte page array is vmalloc'ed: "vpages", then its area.
    VmapSpace v = space_for("4.19");
    vm(v, 2000 * 4096, "big+0x0/0x1");
    CHECK(info(v) == "0xe0800000-0xe0fd1000 8196096 big+0x0/0x1 pages=2000 vmalloc vpages\n"
                     "0xe0fd1000-0xe0fd4000   12288 big+0x0/0x1 pages=2 vmalloc\n");
}

TEST_CASE("vmallocinfo: absent before 2.6.25") {
    VmapSpace s = space_for("2.6.24");
    auto r = render_vmallocinfo(s);
    REQUIRE(r.is_error());
    CHECK_THAT(r.error().message(), Catch::Contains("2.6.25"));
}
