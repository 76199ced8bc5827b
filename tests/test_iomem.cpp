#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

#include "emu/procfs_iomem.h"
#include "mm/iomem.h"
#include "mm/layout.h"

using namespace kmemu;

namespace {

std::string slurp(const char* name) {
    std::ifstream in(std::string(KMEMU_TEST_DATA) + "/" + name);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// An x86_64 nokaslr image at phys 0x1000000 with the section offsets of a 6.1 build.
Layout x86_64_layout() {
    Layout l;
    l.arch = Arch::X86_64;
    l.page_shift = 12;
    auto& i = l.image;
    const u64 text = 0xffffffff81000000;
    i.phys_start = PhysAddr(0x1000000);
    i.text = VirtAddr(text);
    i.etext = VirtAddr(text + 0xe01cc7);         // code end 0x1e01cc6
    i.start_rodata = VirtAddr(text + 0x1000000); // 0x2000000
    i.end_rodata = VirtAddr(text + 0x13ae000);   // rodata end 0x23adfff
    i.sdata = VirtAddr(text + 0x1400000);        // 0x2400000
    i.edata = VirtAddr(text + 0x16e5c80);        // data end 0x26e5c7f
    i.bss_start = VirtAddr(text + 0x1c13000);    // 0x2c13000
    i.bss_stop = VirtAddr(text + 0x2000000);     // bss end 0x2ffffff
    return l;
}

IomemTree boot_x86(KernelVersion v, u64 mem = 512 * MiB) {
    auto ram = firmware_ram_map(Arch::X86_64, mem, PhysAddr(0));
    REQUIRE(ram);
    auto t = build_boot_iomem(*ram, x86_64_layout(), {}, v);
    REQUIRE(t);
    return t.release_value();
}

constexpr IoresDesc kAny = IoresDesc::None;

} // namespace

TEST_CASE("iomem: 6.1 x86_64 QEMU i440fx boot tree, rendered", "[iomem]") {
    // trim_bios_range: page 0 Reserved, RAM from 0x1000; "Reserved" capitalised (4.12+);
    // Kernel rodata and data from _sdata (5.5+); PCI _CRS windows from the 512M RAM top.
    auto t = boot_x86({6, 1, 0});
    CHECK(render_proc_iomem(t, true) == "00000000-00000fff : Reserved\n"
                                        "00001000-0009fbff : System RAM\n"
                                        "0009fc00-0009ffff : Reserved\n"
                                        "000a0000-000bffff : PCI Bus 0000:00\n"
                                        "000f0000-000fffff : Reserved\n"
                                        "  000f0000-000fffff : System ROM\n"
                                        "00100000-1fffffff : System RAM\n"
                                        "  01000000-01e01cc6 : Kernel code\n"
                                        "  02000000-023adfff : Kernel rodata\n"
                                        "  02400000-026e5c7f : Kernel data\n"
                                        "  02c13000-02ffffff : Kernel bss\n"
                                        "20000000-febfffff : PCI Bus 0000:00\n"
                                        "fec00000-fec003ff : IOAPIC 0\n"
                                        "fed00000-fed003ff : HPET 0\n"
                                        "fee00000-fee00fff : Local APIC\n"
                                        "feffc000-feffffff : Reserved\n"
                                        "fffc0000-ffffffff : Reserved\n");
    // Without CAP_SYS_ADMIN (4.15+): zeros, same widths and indentation.
    auto hidden = render_proc_iomem(t, false);
    CHECK(hidden.substr(0, 60) == "00000000-00000000 : Reserved\n00000000-00000000 : System RAM\n");
    CHECK(hidden.find("  00000000-00000000 : Kernel code\n") != std::string::npos);
}

TEST_CASE("iomem: 2.6.32 tree keeps page 0 RAM and names 'reserved'", "[iomem]") {
    // No trim_bios_range, no rodata, Kernel data from _etext, "Video RAM area" (pre-_CRS).
    auto t = boot_x86({2, 6, 32});
    CHECK(render_proc_iomem(t, false) == "00000000-0009fbff : System RAM\n"
                                         "0009fc00-0009ffff : reserved\n"
                                         "000a0000-000bffff : Video RAM area\n"
                                         "000f0000-000fffff : reserved\n"
                                         "  000f0000-000fffff : System ROM\n"
                                         "00100000-1fffffff : System RAM\n"
                                         "  01000000-01e01cc6 : Kernel code\n"
                                         "  01e01cc7-026e5c7f : Kernel data\n"
                                         "  02c13000-02ffffff : Kernel bss\n"
                                         "fec00000-fec003ff : IOAPIC 0\n"
                                         "fed00000-fed003ff : HPET 0\n"
                                         "fee00000-fee00fff : Local APIC\n"
                                         "feffc000-feffffff : reserved\n"
                                         "fffc0000-ffffffff : reserved\n");
    // 3.10.0 predates the 4.4.155/4.15 hiding: an unprivileged reader sees real addresses.
    auto t310 = boot_x86({3, 10, 0});
    CHECK(render_proc_iomem(t310, false) == render_proc_iomem(t310, true));
}

TEST_CASE("iomem: RAM above 4 GiB prints all its digits", "[iomem]") {
    // mem=6G: 0xc0000000 below 4 GiB, 6G - 0xc0000000 = 0xc0000000 from 4 GiB
    // -> 100000000-1bfffffff.
    auto t = boot_x86({6, 1, 0}, 6 * GiB);
    auto text = render_proc_iomem(t, true);
    CHECK(text.find("c0000000-febfffff : PCI Bus 0000:00\n") != std::string::npos);
    CHECK(text.substr(text.size() - 33) == "100000000-1bfffffff : System RAM\n");
}

TEST_CASE("iomem: arm64 bank with kernel image and an MMIO device", "[iomem]") {
    Layout l;
    l.arch = Arch::Arm64;
    l.page_shift = 12;
    const u64 text = 0xffff800008000000;
    l.image.phys_start = PhysAddr(0x40200000);
    l.image.text = VirtAddr(text);
    l.image.etext = VirtAddr(text + 0xa00000);
    l.image.init_begin = VirtAddr(text + 0x1000000); // code end 0x411fffff
    l.image.sdata = VirtAddr(text + 0x1400000);      // 0x41600000
    l.image.end = VirtAddr(text + 0x1800000);        // data end 0x419fffff
    auto ram = firmware_ram_map(Arch::Arm64, GiB, PhysAddr(0x40000000));
    REQUIRE(ram);
    MmioRegion uart;
    uart.name = "9000000.pl011";
    uart.start = PhysAddr(0x09000000);
    uart.size = 0x1000;
    auto t = build_boot_iomem(*ram, l, {uart}, {6, 1, 0});
    REQUIRE(t);
    CHECK(render_proc_iomem(*t, true) == "09000000-09000fff : 9000000.pl011\n"
                                         "40000000-7fffffff : System RAM\n"
                                         "  40200000-411fffff : Kernel code\n"
                                         "  41600000-419fffff : Kernel data\n");
    MmioRegion clash = uart;
    clash.name = "bad";
    clash.start = PhysAddr(0x7ffff000);
    clash.size = 0x2000;
    auto e = build_boot_iomem(*ram, l, {clash}, {6, 1, 0});
    REQUIRE(e.is_error());
    CHECK(e.error().message() == "mmio: region 'bad': iomem: 'bad' 7ffff000-80000fff conflicts "
                                 "with 'System RAM' 40000000-7fffffff");
}

TEST_CASE("iomem: region_intersects answers", "[iomem]") {
    auto t = boot_x86({6, 1, 0});
    const u64 ram = IORESOURCE_SYSTEM_RAM;
    // Inside System RAM 00100000-1fffffff.
    CHECK(t.region_intersects(PhysAddr(0x100000), 0x1000, ram, kAny) ==
          RegionIntersect::Intersects);
    // A page of Kernel code: its top-level resource is System RAM.
    CHECK(t.region_intersects(PhysAddr(0x1000000), 0x1000, ram, kAny) ==
          RegionIntersect::Intersects);
    // 0x9f000-0xa0fff: System RAM (to 0x9fbff), Reserved, PCI Bus -> 1 type, 2 other.
    CHECK(t.region_intersects(PhysAddr(0x9f000), 0x2000, ram, kAny) == RegionIntersect::Mixed);
    CHECK(t.region_intersects(PhysAddr(0xa0000), 0x1000, ram, kAny) == RegionIntersect::Disjoint);
    // Straddling the RAM top into the PCI window.
    CHECK(t.region_intersects(PhysAddr(0x1fffff00), 0x200, ram, kAny) == RegionIntersect::Mixed);
    // A gap with no resource at all (0xc0000-0xeffff) is disjoint.
    CHECK(t.region_intersects(PhysAddr(0xc0000), 0x1000, ram, kAny) == RegionIntersect::Disjoint);
    // desc filter: the 0xfeffc000 Reserved entry carries IORES_DESC_RESERVED.
    CHECK(t.region_intersects(PhysAddr(0xfeffc000), 0x1000, IORESOURCE_MEM, IoresDesc::Reserved) ==
          RegionIntersect::Intersects);
    CHECK(t.region_intersects(PhysAddr(0xfec00000), 0x1000, IORESOURCE_MEM, IoresDesc::Reserved) ==
          RegionIntersect::Disjoint);
}

TEST_CASE("iomem: region_intersects looks into descendants from 6.12", "[iomem]") {
    // A CXL window at the top level with System RAM inside it.
    auto make_tree = [](KernelVersion v) {
        IomemTree t(~u64{0}, 12, iomem_rules_for(v, Arch::X86_64));
        Resource win{"CXL Window 0", PhysAddr(0x1000000000), PhysAddr(0x10ffffffff),
                     IORESOURCE_MEM, IoresDesc::None,        {}};
        REQUIRE(t.insert(win));
        Resource sram{"System RAM",           PhysAddr(0x1000000000),
                      PhysAddr(0x107fffffff), IORESOURCE_SYSTEM_RAM | IORESOURCE_BUSY,
                      IoresDesc::None,        {}};
        REQUIRE(t.insert(sram));
        return t;
    };
    auto old_tree = make_tree({6, 1, 0});
    auto new_tree = make_tree({6, 13, 0});
    // 6.1: only top-level resources count: the window does not match -> disjoint.
    CHECK(old_tree.region_intersects(PhysAddr(0x1000000000), 0x1000, IORESOURCE_SYSTEM_RAM, kAny) ==
          RegionIntersect::Disjoint);
    // 6.13: the RAM child covers the overlap, cancelling the window's 'other'.
    CHECK(new_tree.region_intersects(PhysAddr(0x1000000000), 0x1000, IORESOURCE_SYSTEM_RAM, kAny) ==
          RegionIntersect::Intersects);
    // Across the child's end: covered only partly -> mixed.
    CHECK(new_tree.region_intersects(PhysAddr(0x107ffff000), 0x2000, IORESOURCE_SYSTEM_RAM, kAny) ==
          RegionIntersect::Mixed);
}

TEST_CASE("iomem: iomem_is_exclusive per policy and version", "[iomem]") {
    auto t = boot_x86({6, 1, 0});
    const IomemPolicy def{};                 // strict, IO_STRICT_DEVMEM=n
    const IomemPolicy io_strict{true, true}; // IO_STRICT_DEVMEM=y
    const IomemPolicy relaxed{false, true};  // iomem=relaxed
    // No boot resource is IORESOURCE_EXCLUSIVE, so without IO_STRICT_DEVMEM nothing is.
    CHECK_FALSE(t.iomem_is_exclusive(PhysAddr(0xfec00000), def));
    CHECK_FALSE(t.iomem_is_exclusive(PhysAddr(0x100000), def));
    // IO_STRICT_DEVMEM: busy means exclusive: IOAPIC, System RAM, the BIOS area (busy below
    // 1 MiB); not the unclaimed PCI window, not Reserved above 1 MiB (do_mark_busy).
    CHECK(t.iomem_is_exclusive(PhysAddr(0xfec00000), io_strict));
    CHECK(t.iomem_is_exclusive(PhysAddr(0x100000), io_strict));
    CHECK(t.iomem_is_exclusive(PhysAddr(0xf0000), io_strict));
    CHECK(t.iomem_is_exclusive(PhysAddr(0x0), io_strict)); // page 0 Reserved, below 1 MiB
    CHECK_FALSE(t.iomem_is_exclusive(PhysAddr(0x20000000), io_strict));
    CHECK_FALSE(t.iomem_is_exclusive(PhysAddr(0xfeffc000), io_strict));
    CHECK_FALSE(t.iomem_is_exclusive(PhysAddr(0xfec00000), relaxed));
    // 4.4 has no CONFIG_IO_STRICT_DEVMEM: the setting cannot apply.
    auto t44 = boot_x86({4, 4, 0});
    CHECK_FALSE(t44.iomem_is_exclusive(PhysAddr(0xfec00000), io_strict));
    // An exclusive System RAM range: exclusive even with iomem=relaxed from 5.16.
    auto add_exclusive = [](IomemTree& tree) {
        Resource r{"System RAM (virtio_mem)", PhysAddr(0x200000000),
                   PhysAddr(0x23fffffff),     IORESOURCE_SYSTEM_RAM | IORESOURCE_EXCLUSIVE,
                   IoresDesc::None,           {}};
        REQUIRE(tree.insert(r));
    };
    add_exclusive(t);
    auto t510 = boot_x86({5, 10, 0});
    add_exclusive(t510);
    CHECK(t.iomem_is_exclusive(PhysAddr(0x200000000), relaxed));
    CHECK_FALSE(t510.iomem_is_exclusive(PhysAddr(0x200000000), relaxed));
}

TEST_CASE("iomem: page_is_ram and walk_system_ram_range", "[iomem]") {
    auto t = boot_x86({6, 1, 0});
    CHECK_FALSE(t.page_is_ram(Pfn(0))); // trimmed to Reserved
    CHECK(t.page_is_ram(Pfn(1)));
    CHECK_FALSE(t.page_is_ram(Pfn(0x9f))); // RAM ends at 0x9fbff, inside the page
    CHECK(t.page_is_ram(Pfn(0x100)));
    CHECK(t.page_is_ram(Pfn(0x1000))); // a Kernel code page
    CHECK(t.page_is_ram(Pfn(0x1ffff)));
    CHECK_FALSE(t.page_is_ram(Pfn(0x20000)));
    std::vector<std::pair<u64, u64>> runs;
    // pfns 0..0x2ff: RAM 0x1000-0x9fbff gives pfns 1..0x9e (PFN_UP/PFN_DOWN), RAM from
    // 0x100000 clipped at 0x2fffff gives 0x100..0x2ff.
    int rc = t.walk_system_ram_range(Pfn(0), 0x300, [&](Pfn p, u64 n) {
        runs.emplace_back(p.get(), n);
        return 0;
    });
    CHECK(rc == 0);
    CHECK(runs == std::vector<std::pair<u64, u64>>{{1, 0x9e}, {0x100, 0x200}});
    CHECK(t.walk_system_ram_range(Pfn(0xa0), 0x10, [](Pfn, u64) { return 0; }) == -22);
    // 2.6.32 x86: e820 rule. Page 0 is RAM in the map, yet not RAM for page_is_ram.
    auto old = boot_x86({2, 6, 32});
    CHECK_FALSE(old.page_is_ram(Pfn(0)));
    CHECK(old.page_is_ram(Pfn(1)));
    CHECK_FALSE(old.page_is_ram(Pfn(0xa0)));
    CHECK(old.page_is_ram(Pfn(0x100)));
}

TEST_CASE("iomem: an imported /proc/iomem renders back byte for byte", "[iomem]") {
    const std::string text = slurp("qemu-x86_64-6.1.iomem");
    auto ram = parse_proc_iomem(text, "iomem");
    REQUIRE(ram);
    auto t = build_boot_iomem(*ram, x86_64_layout(), {}, {6, 1, 0});
    REQUIRE(t);
    CHECK(render_proc_iomem(*t, true) == text);
    // The imported tree answers lookups: the virtio BAR child is not RAM, RAM above 4G is.
    CHECK(t->page_is_ram(Pfn(0x100000)));
    CHECK(t->region_intersects(PhysAddr(0xfebd1000), 0x1000, IORESOURCE_SYSTEM_RAM, kAny) ==
          RegionIntersect::Disjoint);
    // Depth saturates at 5 (10 spaces): a 7-deep chain renders 0,2,..,10,10.
    const std::string deep = "00000000-ffffffff : a\n"
                             "  00000000-7fffffff : b\n"
                             "    00000000-3fffffff : c\n"
                             "      00000000-1fffffff : d\n"
                             "        00000000-0fffffff : e\n"
                             "          00000000-07ffffff : f\n"
                             "          00000000-03ffffff : g\n"
                             "          08000000-0bffffff : h\n";
    auto dram = parse_proc_iomem(deep, "deep");
    REQUIRE(dram);
    auto dt = build_boot_iomem(*dram, x86_64_layout(), {}, {6, 1, 0});
    REQUIRE(dt);
    CHECK(render_proc_iomem(*dt, true) == deep);
}
