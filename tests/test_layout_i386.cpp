// i386 layouts: every era boundary of ../shared/reference/layouts.md §A, worked by hand.
// Notation in the comments: N = permanent fixmap slots, T = all fixmap slots, TOP = 0xfffff000,
// PO = PAGE_OFFSET. Default N is fixed slots + kmap slots per CPU * NR_CPUS (8), see
// mm/layout_i386_rules.cpp.
#include <catch2/catch.hpp>

#include "mm/layout_i386.h"
#include "mm/machine_config.h"
#include "mm/ram_map.h"

using namespace kmemu;

namespace {

// A PC-style e820 map: [0, 0x9fc00) and [1 MiB, top) usable; above 4 GiB for big machines
// the PCI hole [0xc0000000, 4G) is left out and the rest continues at 4 GiB.
RamMap pc_ram(u64 top) {
    RamMap m;
    m.ranges.push_back({PhysAddr(0), PhysAddr(0x9fc00), RamType::Usable, {}});
    m.ranges.push_back({PhysAddr(0x9fc00), PhysAddr(0xa0000), RamType::Reserved, {}});
    m.ranges.push_back({PhysAddr(0xf0000), PhysAddr(0x100000), RamType::Reserved, {}});
    if (top <= 0xc0000000) {
        m.ranges.push_back({PhysAddr(0x100000), PhysAddr(top), RamType::Usable, {}});
    } else {
        m.ranges.push_back({PhysAddr(0x100000), PhysAddr(0xc0000000), RamType::Usable, {}});
        m.ranges.push_back(
            {PhysAddr(0x100000000), PhysAddr(top - 0xc0000000 + 0x100000000), RamType::Usable, {}});
    }
    return m;
}

struct Cfg {
    Arch arch = Arch::I386;
    const char* kernel = "2.6.32";
    VmSplit split = VmSplit::G3;
    bool highmem = true;
    std::optional<unsigned> fixmap_slots = std::nullopt;
    std::optional<unsigned> nr_cpus = std::nullopt;
    std::optional<u64> vmalloc = std::nullopt;
};

ErrorOr<Layout> run(const Cfg& c, const RamMap& ram) {
    MachineConfig m;
    m.arch = c.arch;
    m.kernel = KernelVersion::parse(c.kernel).value();
    m.split = c.split;
    m.highmem = c.highmem;
    m.fixmap_slots = c.fixmap_slots;
    m.nr_cpus = c.nr_cpus;
    m.vmalloc_size = c.vmalloc;
    return compute_layout_i386(m, i386_rules_for(m.kernel), ram);
}

Layout must(const Cfg& c, const RamMap& ram) {
    auto l = run(c, ram);
    if (l.is_error())
        FAIL(l.error().message());
    return l.release_value();
}

std::string error_of(const Cfg& c, const RamMap& ram) {
    auto l = run(c, ram);
    REQUIRE(l.is_error());
    return l.error().message();
}

u64 va(VirtAddr v) {
    return v.get();
}
u64 pfn(Pfn p) {
    return p.get();
}

std::string render(const Cfg& c, const Layout& l) {
    return render_layout_block_i386(l, i386_rules_for(KernelVersion::parse(c.kernel).value()));
}

} // namespace

TEST_CASE("i386 seed: 2.6.32, mem=512M, split=3G", "[layout][i386]") {
    Cfg c;
    RamMap ram;
    ram.ranges.push_back({PhysAddr(0), PhysAddr(0x9fc00), RamType::Usable, {}});
    ram.ranges.push_back({PhysAddr(0x100000), PhysAddr(0x20000000), RamType::Usable, {}});
    Layout l = must(c, ram);
    // N = 72 + 19*8 = 224. BTMAP 2.6.32: END = 224 + 256 - 224 = 256, BEGIN = 511, WP_TEST = 512,
    // T = 513. FIXADDR_START = TOP - 0xe0000 = 0xfff1f000; BOOT_START = TOP - 0x201000 =
    // 0xffdfe000. PKMAP = align_down(0xffdfe000 - 1025 pages = 0xff9fd000, 4M) = 0xff800000.
    CHECK(va(l.fixaddr_top) == 0xfffff000);
    CHECK(va(l.fixaddr_start) == 0xfff1f000);
    REQUIRE(l.pkmap_base);
    CHECK(va(*l.pkmap_base) == 0xff800000);
    CHECK(l.last_pkmap == 1024);
    // VMALLOC_END = PKMAP - 2 pages. MAXMEM = 0xff7fe000 - 0xc0000000 - 128M = 0x377fe000.
    CHECK(va(l.vmalloc_end) == 0xff7fe000);
    // max_pfn = 0x20000 <= 0x377fe: all lowmem; high_memory = PO + 512M; +8M, no rounding.
    CHECK(pfn(l.max_pfn) == 0x20000);
    CHECK(pfn(l.max_low_pfn) == 0x20000);
    CHECK(va(l.high_memory) == 0xe0000000);
    CHECK(va(l.vmalloc_start) == 0xe0800000);
    CHECK(va(l.modules_vaddr) == 0xe0800000);
    CHECK(va(l.modules_end) == 0xff7fe000);
    CHECK(va(l.page_offset) == 0xc0000000);
    CHECK(va(l.task_size) == 0xc0000000);
    CHECK(l.vmalloc_offset == 8 * MiB);
    CHECK(l.lowmem_bytes == 0x20000000);
    CHECK(l.highmem_bytes == 0);
    CHECK(l.word_bits == 32);
    // 2.6.32 keeps page 0 as RAM: zones start at pfn 0. No HighMem zone (nothing above).
    REQUIRE(l.zones.size() == 2);
    CHECK(l.zones[0] == ZoneSpan{ZoneType::Dma, Pfn(0), Pfn(4096)});
    CHECK(l.zones[1] == ZoneSpan{ZoneType::Normal, Pfn(4096), Pfn(0x20000)});
    CHECK(pfn(l.min_low_pfn) == 0);
    REQUIRE(l.regions.size() == 1);
    CHECK(l.regions[0] == NamedRegion{"fixmap_boot", VirtAddr(0xffdfe000), VirtAddr(0xfff1f000)});
    // Image (2.6.30+ row): _text = 0xc1000000 (16 MiB load), _stext = +0x2b0 = 0xc10002b0,
    // _etext = +0x33d5e1 = 0xc133d891; rodata 0xc133e000 + 0xf45a0 -> page 0xc1433000;
    // _edata = 0xc1433000 + 0x92f64 = 0xc14c5f64; init 0xc14c6000 + 0x5a000 = 0xc1520000;
    // bss to 0xc158f0c4; _end = 0xc1590000 + brk 0x151000 = 0xc16e1000.
    CHECK(l.image.phys_start.get() == 0x1000000);
    CHECK(va(l.image.text) == 0xc1000000);
    CHECK(va(l.image.stext) == 0xc10002b0);
    CHECK(va(l.image.etext) == 0xc133d891);
    CHECK(va(l.image.start_rodata) == 0xc133e000);
    CHECK(va(l.image.end_rodata) == 0xc1433000);
    CHECK(va(l.image.sdata) == 0xc1433000);
    CHECK(va(l.image.edata) == 0xc14c5f64);
    CHECK(va(l.image.init_begin) == 0xc14c6000);
    CHECK(va(l.image.init_end) == 0xc1520000);
    CHECK(va(l.image.bss_start) == 0xc1520000);
    CHECK(va(l.image.bss_stop) == 0xc158f0c4);
    CHECK(va(l.image.end) == 0xc16e1000);
    CHECK(l.image.pa(l.image.end).get() == 0x16e1000);
    // fixmap 0xe0000>>10 = 896 kB; vmalloc 0x1effe000>>20 = 495 MB; .init 0x5a000 = 360 kB;
    // .data 0x1886d3 -> 1569 kB; .text 0x33d891 -> 3318 kB.
    CHECK(render(c, l) == "virtual kernel memory layout:\n"
                          "    fixmap  : 0xfff1f000 - 0xfffff000   ( 896 kB)\n"
                          "    pkmap   : 0xff800000 - 0xffc00000   (4096 kB)\n"
                          "    vmalloc : 0xe0800000 - 0xff7fe000   ( 495 MB)\n"
                          "    lowmem  : 0xc0000000 - 0xe0000000   ( 512 MB)\n"
                          "      .init : 0xc14c6000 - 0xc1520000   ( 360 kB)\n"
                          "      .data : 0xc133d891 - 0xc14c5f64   (1569 kB)\n"
                          "      .text : 0xc1000000 - 0xc133d891   (3318 kB)\n");
}

TEST_CASE("i386 reference examples X1-X10 (N = 300)", "[layout][i386]") {
    // FIXADDR_START = TOP - 300 pages = 0xffed3000 in all of them.
    SECTION("X1: <= 2.6.27, RAM top 0x17ff0000") {
        Cfg c{.kernel = "2.6.24", .fixmap_slots = 300};
        Layout l = must(c, pc_ram(0x17ff0000));
        // 2.6.24: BTMAP 16 slots directly after N: T = 317, BOOT_START = 0xffec2000;
        // PKMAP = align_down(0xffec2000 - 0x401000, 4M) = 0xff800000.
        CHECK(va(l.fixaddr_start) == 0xffed3000);
        CHECK(va(*l.pkmap_base) == 0xff800000);
        CHECK(va(l.high_memory) == 0xd7ff0000);
        // align_down(0xd7ff0000 + 16M - 1, 8M) = 0xd8800000.
        CHECK(va(l.vmalloc_start) == 0xd8800000);
        CHECK(va(l.vmalloc_end) == 0xff7fe000);
        CHECK(l.regions.back() ==
              NamedRegion{"fixmap_boot", VirtAddr(0xffec2000), VirtAddr(0xffed3000)});
    }
    SECTION("X2 and the E.1 rendering: 2.6.28-3.18, same RAM") {
        Cfg c{.kernel = "2.6.32", .fixmap_slots = 300};
        Layout l = must(c, pc_ram(0x17ff0000));
        // T: END = 300 + 256 - 44 = 512, T = 769; BOOT_START = 0xffcfe000; PKMAP 0xff800000.
        CHECK(va(*l.pkmap_base) == 0xff800000);
        CHECK(va(l.vmalloc_start) == 0xd87f0000);
        CHECK(va(l.vmalloc_end) == 0xff7fe000);
        CHECK(va(l.high_memory) == 0xd7ff0000);
        std::string block = render(c, l);
        std::string expected = "virtual kernel memory layout:\n"
                               "    fixmap  : 0xffed3000 - 0xfffff000   (1200 kB)\n"
                               "    pkmap   : 0xff800000 - 0xffc00000   (4096 kB)\n"
                               "    vmalloc : 0xd87f0000 - 0xff7fe000   ( 624 MB)\n"
                               "    lowmem  : 0xc0000000 - 0xd7ff0000   ( 383 MB)\n";
        CHECK(block.substr(0, expected.size()) == expected);
    }
    SECTION("X9: 2.6.28-3.18, 3 GiB, vmalloc=256M") {
        Cfg c{.kernel = "2.6.32", .fixmap_slots = 300, .vmalloc = 256 * MiB};
        Layout l = must(c, pc_ram(0xc0000000));
        // reserve = 264M; MAXMEM = 0xff7fe000 - 0xc0000000 - 0x10800000 = 0x2effe000.
        CHECK(va(l.high_memory) == 0xeeffe000);
        CHECK(va(l.vmalloc_start) == 0xef7fe000);
        CHECK(va(l.vmalloc_end) == 0xff7fe000);
        CHECK(pfn(l.max_low_pfn) == 0x2effe);
        CHECK(pfn(l.max_pfn) == 0xc0000);
        CHECK(l.highmem_bytes == (0xc0000ull - 0x2effe) << 12);
    }
    SECTION("X10: <= 2.6.27, 3 GiB, vmalloc=256M") {
        Cfg c{.kernel = "2.6.24", .fixmap_slots = 300, .vmalloc = 256 * MiB};
        Layout l = must(c, pc_ram(0xc0000000));
        // MAXMEM = 4G - 3G - 256M = 0x30000000; VMALLOC_START = 0xf0000000 + 8M (aligned).
        CHECK(va(l.high_memory) == 0xf0000000);
        CHECK(va(l.vmalloc_start) == 0xf0800000);
        CHECK(va(l.vmalloc_end) == 0xff7fe000);
    }
    SECTION("X3: 2.6.28-3.2 PAE, 3 GiB") {
        Cfg c{.arch = Arch::I386Pae, .kernel = "2.6.32", .fixmap_slots = 300};
        Layout l = must(c, pc_ram(0xc0000000));
        // T = 769, BOOT_START 0xffcfe000; PKMAP = align_down(0xffcfe000 - 513 pages, 2M).
        CHECK(va(*l.pkmap_base) == 0xffa00000);
        CHECK(l.last_pkmap == 512);
        CHECK(va(l.vmalloc_end) == 0xff9fe000);
        CHECK(va(l.high_memory) == 0xf79fe000);
        CHECK(va(l.vmalloc_start) == 0xf81fe000);
    }
    SECTION("X4: 3.19-4.14 PAE, 3 GiB") {
        Cfg c{.arch = Arch::I386Pae, .kernel = "4.4", .fixmap_slots = 300};
        Layout l = must(c, pc_ram(0xc0000000));
        // PKMAP = align_down(0xffed3000 - 0x201000 = 0xffcd2000, 2M) = 0xffc00000.
        CHECK(va(*l.pkmap_base) == 0xffc00000);
        CHECK(va(l.vmalloc_end) == 0xffbfe000);
        CHECK(va(l.high_memory) == 0xf7bfe000);
        CHECK(va(l.vmalloc_start) == 0xf83fe000);
    }
    SECTION("X7: >= 4.19 PAE, 3 GiB, NR_CPUS=2") {
        Cfg c{.arch = Arch::I386Pae, .kernel = "4.19", .fixmap_slots = 300, .nr_cpus = 2};
        Layout l = must(c, pc_ram(0xc0000000));
        // 300..811 crosses a 512-slot PTE page: END = 512, T = 1025, TOT_START = 0xffbfe000.
        // CEA = align_down(0xffbfe000 - 81 pages, 2M) = 0xffa00000; LDT 0xff800000.
        CHECK(va(*l.pkmap_base) == 0xff600000);
        CHECK(va(l.vmalloc_end) == 0xff5fe000);
        CHECK(va(l.high_memory) == 0xf75fe000);
        CHECK(va(l.vmalloc_start) == 0xf7dfe000);
        const NamedRegion* cea = l.region("cpu_entry_area");
        REQUIRE(cea);
        CHECK(va(cea->start) == 0xffa00000);
        // MAP_SIZE = 1 + 39*2 pages = 0x4f000.
        CHECK(va(cea->end) == 0xffa4f000);
        const NamedRegion* ldt = l.region("ldt");
        REQUIRE(ldt);
        CHECK(va(ldt->start) == 0xff800000);
        CHECK(va(ldt->end) == 0xffa00000);
        CHECK(*l.region("fixmap_tot") ==
              NamedRegion{"fixmap_tot", VirtAddr(0xffbfe000), VirtAddr(0xffed3000)});
    }
    SECTION("X8: >= 4.19 non-PAE, HIGHMEM=n, 384 MiB, NR_CPUS=2") {
        Cfg c{.kernel = "4.19", .highmem = false, .fixmap_slots = 300, .nr_cpus = 2};
        Layout l = must(c, pc_ram(0x18000000));
        // 300..811 inside one 1024-slot page: END = 300, T = 813, TOT_START = 0xffcd2000;
        // CEA = align_down(0xffcd2000 - 0x51000, 4M) = 0xffc00000; LDT = 0xff800000.
        CHECK_FALSE(l.pkmap_base);
        CHECK(l.last_pkmap == 0);
        CHECK(va(l.region("cpu_entry_area")->start) == 0xffc00000);
        CHECK(va(l.region("ldt")->start) == 0xff800000);
        CHECK(va(l.vmalloc_end) == 0xff7fe000);
        CHECK(va(l.high_memory) == 0xd8000000);
        CHECK(va(l.vmalloc_start) == 0xd8800000);
        // 4.19 reserves page 0: zones start at pfn 1.
        CHECK(l.zones.front() == ZoneSpan{ZoneType::Dma, Pfn(1), Pfn(4096)});
        CHECK(l.zones.size() == 2);
    }
}

TEST_CASE("i386 2.6.32 non-PAE across RAM sizes", "[layout][i386]") {
    Cfg c; // N = 224, PKMAP 0xff800000, VMALLOC_END 0xff7fe000, MAXMEM_PFN 0x377fe
    SECTION("64M") {
        Layout l = must(c, pc_ram(0x4000000));
        CHECK(va(l.high_memory) == 0xc4000000);
        CHECK(va(l.vmalloc_start) == 0xc4800000);
        CHECK(l.zones.back() == ZoneSpan{ZoneType::Normal, Pfn(4096), Pfn(0x4000)});
    }
    SECTION("880M, just under MAXMEM") {
        Layout l = must(c, pc_ram(0x37000000));
        CHECK(va(l.high_memory) == 0xf7000000);
        CHECK(va(l.vmalloc_start) == 0xf7800000);
        CHECK(l.zone(ZoneType::HighMem) == nullptr);
    }
    SECTION("1G with HIGHMEM: 0x8802 highmem pages") {
        Layout l = must(c, pc_ram(0x40000000));
        CHECK(pfn(l.max_low_pfn) == 0x377fe);
        CHECK(pfn(l.max_pfn) == 0x40000);
        CHECK(va(l.high_memory) == 0xf77fe000);
        CHECK(va(l.vmalloc_start) == 0xf7ffe000);
        CHECK(l.highmem_bytes == 0x8802000);
        CHECK(l.lowmem_bytes == 0x377fe000);
        CHECK(*l.zone(ZoneType::HighMem) ==
              ZoneSpan{ZoneType::HighMem, Pfn(0x377fe), Pfn(0x40000)});
    }
    SECTION("1G without HIGHMEM: only MAXMEM is used") {
        c.highmem = false;
        Layout l = must(c, pc_ram(0x40000000));
        // VMALLOC_END = FIXADDR_START - 2 pages = 0xfff1d000 (N stays 224: kmap slots exist
        // without HIGHMEM from 2.6.28); MAXMEM = 0xfff1d000 - 0xc8000000 = 0x37f1d000.
        CHECK(va(l.vmalloc_end) == 0xfff1d000);
        CHECK(pfn(l.max_pfn) == 0x37f1d);
        CHECK(pfn(l.max_low_pfn) == 0x37f1d);
        CHECK(va(l.high_memory) == 0xf7f1d000);
        CHECK(va(l.vmalloc_start) == 0xf871d000);
        CHECK(l.zone(ZoneType::HighMem) == nullptr);
        CHECK(l.highmem_bytes == 0);
    }
    SECTION("16G non-PAE: clamped at 4 GiB (max_arch_pfn 0x100000)") {
        Layout l = must(c, pc_ram(0x400000000));
        // RAM above 4G starts at pfn 0x100000 >= limit; the top below is 0xc0000000.
        CHECK(pfn(l.max_pfn) == 0xc0000);
        CHECK(pfn(l.max_low_pfn) == 0x377fe);
    }
}

TEST_CASE("i386 PAE large RAM", "[layout][i386]") {
    SECTION("2.6.32 PAE 16G") {
        Cfg c{.arch = Arch::I386Pae};
        Layout l = must(c, pc_ram(0x400000000));
        // N = 224, PAE: END = 256, T = 513, BOOT_START 0xffdfe000; PKMAP = align_down(
        // 0xffdfe000 - 0x201000, 2M) = 0xffa00000; MAXMEM = 0xff9fe000 - 0xc8000000.
        CHECK(va(*l.pkmap_base) == 0xffa00000);
        CHECK(pfn(l.max_pfn) == 0x440000); // 16G - 3G + 4G
        CHECK(pfn(l.max_low_pfn) == 0x379fe);
        CHECK(va(l.vmalloc_start) == 0xf81fe000);
        CHECK(l.highmem_bytes == 0x408602000);
    }
    SECTION("6.1 PAE 4G") {
        Cfg c{.arch = Arch::I386Pae, .kernel = "6.1"};
        Layout l = must(c, pc_ram(0x100000000));
        // N = 69 + 16*8 = 197 -> FIXADDR_START = 0xfff3a000; 197..708 crosses 512: END = 512,
        // T = 1025, TOT_START 0xffbfe000. CEA = align_down(0xffbfe000 - (43*8+1) pages =
        // 0xffaa5000, 2M) = 0xffa00000; LDT 0xff800000; PKMAP 0xff600000.
        CHECK(va(l.fixaddr_start) == 0xfff3a000);
        CHECK(va(l.region("cpu_entry_area")->start) == 0xffa00000);
        CHECK(va(l.region("cpu_entry_area")->end) == 0xffb59000); // + 0x1000 + 43*8 pages
        CHECK(va(*l.pkmap_base) == 0xff600000);
        CHECK(va(l.vmalloc_end) == 0xff5fe000);
        CHECK(va(l.high_memory) == 0xf75fe000);
        CHECK(va(l.vmalloc_start) == 0xf7dfe000);
        CHECK(pfn(l.max_pfn) == 0x140000);
        CHECK(l.highmem_bytes == 0x108a02000);
        REQUIRE(l.zones.size() == 3);
        CHECK(l.zones[0] == ZoneSpan{ZoneType::Dma, Pfn(1), Pfn(4096)});
        CHECK(l.zones[2] == ZoneSpan{ZoneType::HighMem, Pfn(0x375fe), Pfn(0x140000)});
    }
}

TEST_CASE("i386 era boundaries around 2.6.28", "[layout][i386]") {
    RamMap ram = pc_ram(0x17ff0000);
    SECTION("2.6.27 rounds VMALLOC_START, 2.6.28 does not") {
        // Both: N = 176 (2.6.27: 72 + 13*8) or 224 (2.6.28: 72 + 19*8), T = 513 either way
        // (END rounds to 256), PKMAP 0xff800000.
        Layout a = must({.kernel = "2.6.27"}, ram);
        Layout b = must({.kernel = "2.6.28"}, ram);
        CHECK(va(a.fixaddr_start) == 0xfffff000 - 176 * 0x1000);
        CHECK(va(b.fixaddr_start) == 0xfffff000 - 224 * 0x1000);
        CHECK(va(a.vmalloc_start) == 0xd8800000);
        CHECK(va(b.vmalloc_start) == 0xd87f0000);
    }
    SECTION("vmalloc= and MAXMEM, 1G") {
        Layout a = must({.kernel = "2.6.27", .vmalloc = 256 * MiB}, pc_ram(0x40000000));
        Layout b = must({.kernel = "2.6.28", .vmalloc = 256 * MiB}, pc_ram(0x40000000));
        // 2.6.27: MAXMEM = 4G - 3G - 256M; 2.6.28: 0xff7fe000 - 0xc0000000 - 264M.
        CHECK(va(a.high_memory) == 0xf0000000);
        CHECK(va(b.high_memory) == 0xeeffe000);
    }
    SECTION("<= 2.6.27 has kmap fixmap slots only with HIGHMEM") {
        Layout a = must({.kernel = "2.6.24", .highmem = false}, ram);
        // N = 72: FIXADDR_START = TOP - 0x48000; VMALLOC_END = that - 2 pages.
        CHECK(va(a.fixaddr_start) == 0xfffb7000);
        CHECK(va(a.vmalloc_end) == 0xfffb5000);
        Layout b = must({.kernel = "2.6.28", .highmem = false}, ram);
        CHECK(va(b.fixaddr_start) == 0xfff1f000);
    }
}

TEST_CASE("i386 fixmap BTMAP placement eras (N = 300, non-PAE)", "[layout][i386]") {
    auto boot_start = [](const char* k) {
        Layout l = must({.kernel = k, .fixmap_slots = 300}, pc_ram(0x8000000));
        return va(l.regions.back().start);
    };
    CHECK(boot_start("2.6.25") == 0xffec2000); // T = 300 + 16 + 1 = 317
    CHECK(boot_start("2.6.26") == 0xffcfe000); // END 512, T = 769
    CHECK(boot_start("2.6.36") == 0xffcfe000);
    CHECK(boot_start("2.6.37") == 0xffdd2000); // 300..555 in one page: T = 557
    CHECK(boot_start("3.12") == 0xffdd2000);
    CHECK(boot_start("3.13") == 0xffcd2000); // 512 slots: T = 813
}

TEST_CASE("i386 PKMAP/CPU_ENTRY_AREA/LDT eras (defaults, 1G, HIGHMEM)", "[layout][i386]") {
    RamMap ram = pc_ram(0x40000000);
    SECTION("3.18 vs 3.19 PAE, 3G") {
        Layout a = must({.arch = Arch::I386Pae, .kernel = "3.18"}, pc_ram(0xc0000000));
        Layout b = must({.arch = Arch::I386Pae, .kernel = "3.19"}, pc_ram(0xc0000000));
        // N = 72 + 20*8 = 232 (3.16+ has no FIX_VDSO). 3.18: T = 1025, BOOT 0xffbfe000,
        // PKMAP = align_down(0xff9fd000, 2M) = 0xff800000. 3.19: FIXADDR_START 0xfff17000,
        // PKMAP = align_down(0xffd16000, 2M) = 0xffc00000.
        CHECK(va(a.fixaddr_start) == 0xfff17000);
        CHECK(va(*a.pkmap_base) == 0xff800000);
        CHECK(va(a.vmalloc_start) == 0xf7ffe000);
        CHECK(va(*b.pkmap_base) == 0xffc00000);
        CHECK(va(b.vmalloc_start) == 0xf83fe000);
    }
    SECTION("4.14: PKMAP below FIXADDR_START, no CEA") {
        Layout l = must({.kernel = "4.14"}, ram);
        CHECK(va(l.fixaddr_start) == 0xfff17000); // N = 232
        CHECK(va(*l.pkmap_base) == 0xff800000);   // align_down(0xffb16000, 4M)
        CHECK(l.region("cpu_entry_area") == nullptr);
        CHECK(render({.kernel = "4.14"}, l).find("cpu_entry") == std::string::npos);
    }
    SECTION("4.15: CEA below FIXADDR_START, printed with its line") {
        Cfg c{.kernel = "4.15"};
        Layout l = must(c, ram);
        // N = 71 + 160 = 231: FIXADDR_START 0xfff18000 (231*4 = 924 kB); CEA =
        // align_down(0xfff18000 - 321 pages = 0xffdd7000, 4M) = 0xffc00000; PKMAP =
        // align_down(0xffbff000, 4M) = 0xff800000.
        CHECK(va(l.fixaddr_start) == 0xfff18000);
        CHECK(va(l.region("cpu_entry_area")->start) == 0xffc00000);
        CHECK(va(l.region("cpu_entry_area")->end) == 0xffd39000); // 1 + 39*8 pages
        CHECK(va(*l.pkmap_base) == 0xff800000);
        CHECK(va(l.vmalloc_end) == 0xff7fe000);
        CHECK(l.region("fixmap_boot") != nullptr);
        std::string block = render(c, l);
        CHECK(block.find("    fixmap  : 0xfff18000 - 0xfffff000   ( 924 kB)\n"
                         "  cpu_entry : 0xffc00000 - 0xffd39000   (1252 kB)\n"
                         "    pkmap   : 0xff800000 - 0xffc00000   (4096 kB)\n") !=
              std::string::npos);
    }
    SECTION("4.16: CEA below FIXADDR_TOT_START") {
        Layout l = must({.kernel = "4.16"}, ram);
        // T = 231 + 512 + 1 = 744: TOT_START 0xffd17000; CEA = align_down(0xffbd6000, 4M) =
        // 0xff800000; PKMAP 0xff400000; MAXMEM = 0xff3fe000 - 0xc8000000 = 0x373fe000.
        CHECK(va(l.region("fixmap_tot")->start) == 0xffd17000);
        CHECK(va(l.region("cpu_entry_area")->start) == 0xff800000);
        CHECK(va(*l.pkmap_base) == 0xff400000);
        CHECK(va(l.high_memory) == 0xf73fe000);
        CHECK(va(l.vmalloc_start) == 0xf7bfe000);
        CHECK(l.region("ldt") == nullptr);
    }
    SECTION("4.19: LDT between CEA and PKMAP") {
        Layout l = must({.kernel = "4.19"}, ram);
        CHECK(va(l.region("cpu_entry_area")->start) == 0xff800000);
        CHECK(va(l.region("ldt")->start) == 0xff400000);
        CHECK(va(*l.pkmap_base) == 0xff000000);
        CHECK(va(l.vmalloc_end) == 0xfeffe000);
        CHECK(va(l.high_memory) == 0xf6ffe000); // MAXMEM 0x36ffe000
        CHECK(va(l.vmalloc_start) == 0xf77fe000);
        // address order: ldt, cpu_entry_area, fixmap_tot
        REQUIRE(l.regions.size() == 3);
        CHECK(l.regions[0].name == "ldt");
        CHECK(l.regions[2].name == "fixmap_tot");
    }
}

TEST_CASE("i386 splits by era", "[layout][i386]") {
    RamMap ram = pc_ram(0x40000000); // 1G
    SECTION("2.6.24+: 3G_OPT, 2G, 2G_OPT, 1G (MAXMEM = 4G - PO - 128M)") {
        auto high = [&](VmSplit s) {
            return va(must({.kernel = "2.6.24", .split = s}, ram).high_memory);
        };
        CHECK(high(VmSplit::G3Opt) == 0xf0000000); // PO 0xb0000000, 1G fits
        CHECK(high(VmSplit::G2) == 0xc0000000);    // PO 0x80000000
        CHECK(high(VmSplit::G2Opt) == 0xb8000000); // PO 0x78000000
        CHECK(high(VmSplit::G1) == 0x80000000);    // PO 0x40000000
        Layout l = must({.kernel = "2.6.24", .split = VmSplit::G2}, ram);
        CHECK(va(l.vmalloc_start) == 0xc0800000);
        CHECK(va(l.task_size) == 0x80000000);
        CHECK(va(l.image.text) == 0x80100000); // 1 MiB load before 2.6.31
    }
    SECTION("2.6.32 PAE 2G and 1G") {
        Layout l = must({.arch = Arch::I386Pae, .split = VmSplit::G2}, pc_ram(0xc0000000));
        // MAXMEM = 0xff9fe000 - 0x80000000 - 128M = 0x779fe000 -> lowmem to 0xf79fe000.
        CHECK(va(l.high_memory) == 0xf79fe000);
        Layout one = must({.arch = Arch::I386Pae, .split = VmSplit::G1}, pc_ram(0xc0000000));
        // MAXMEM = 0xff9fe000 - 0x40000000 - 128M = 0xb79fe000 < 3G of RAM: lowmem stops there.
        CHECK(va(one.high_memory) == 0xf79fe000);
        CHECK(pfn(one.max_low_pfn) == 0xb79fe);
    }
    SECTION("2.6.20: 2G means 0x78000000; 3G_OPT needs HIGHMEM off") {
        Layout l = must({.kernel = "2.6.20", .split = VmSplit::G2}, ram);
        CHECK(va(l.page_offset) == 0x78000000);
        CHECK(va(l.high_memory) == 0xb8000000);
        Layout o = must({.kernel = "2.6.20", .split = VmSplit::G3Opt, .highmem = false}, ram);
        CHECK(va(o.page_offset) == 0xb0000000);
        CHECK(error_of({.kernel = "2.6.20", .split = VmSplit::G3Opt}, ram) ==
              "split: 3G_OPT is not allowed with highmem=on in kernel=2.6.20 (allowed: 3G, 2G, "
              "1G; 3G_OPT needs highmem=off)");
        CHECK(error_of({.kernel = "2.6.20", .split = VmSplit::G2Opt}, ram) ==
              "split: 2G_OPT is not allowed with kernel=2.6.20 (allowed: 3G, 3G_OPT, 2G, 1G)");
    }
    SECTION("PAE refuses the _OPT splits from 2.6.24") {
        CHECK(error_of({.arch = Arch::I386Pae, .split = VmSplit::G3Opt}, ram) ==
              "split: 3G_OPT is not allowed with arch=i386-pae (allowed: 3G, 2G, 1G)");
        CHECK(error_of({.arch = Arch::I386Pae, .split = VmSplit::G2Opt}, ram) ==
              "split: 2G_OPT is not allowed with arch=i386-pae (allowed: 3G, 2G, 1G)");
    }
    SECTION("2.6.11 has only 3G") {
        CHECK(error_of({.kernel = "2.6.11", .split = VmSplit::G2}, ram)
                  .starts_with("split: 2G is not allowed with kernel=2.6.11 (allowed: 3G"));
    }
}

TEST_CASE("i386 zone start, ACPI max_pfn and load address eras", "[layout][i386]") {
    RamMap ram = pc_ram(0x8000000); // 128M, usable from pfn 0
    auto first = [&](const char* k) { return pfn(must({.kernel = k}, ram).zones[0].start); };
    CHECK(first("2.6.35") == 0);  // page 0 stays RAM
    CHECK(first("2.6.36") == 16); // trim_bios_range reserves 64 KiB in e820
    CHECK(first("3.0") == 1);     // only page 0
    CHECK(first("6.13") == 1);

    RamMap acpi;
    acpi.ranges.push_back({PhysAddr(0), PhysAddr(0x9fc00), RamType::Usable, {}});
    acpi.ranges.push_back({PhysAddr(0x100000), PhysAddr(0x1ffe0000), RamType::Usable, {}});
    acpi.ranges.push_back({PhysAddr(0x1ffe0000), PhysAddr(0x20000000), RamType::Acpi, {}});
    CHECK(pfn(must({.kernel = "6.10"}, acpi).max_pfn) == 0x1ffe0); // RAM only
    CHECK(pfn(must({.kernel = "6.11"}, acpi).max_pfn) == 0x20000); // ACPI data counts
    CHECK(va(must({.kernel = "6.11"}, acpi).high_memory) == 0xe0000000);

    // A partial last page does not count (end pfn rounded down).
    RamMap odd = pc_ram(0x8000800);
    CHECK(pfn(must({}, odd).max_pfn) == 0x8000);

    CHECK(va(must({.kernel = "2.6.30"}, ram).image.text) == 0xc0100000);
    CHECK(va(must({.kernel = "2.6.31"}, ram).image.text) == 0xc1000000);
}

TEST_CASE("i386 CPU_ENTRY_AREA page budget eras", "[layout][i386]") {
    CHECK(i386_rules_for(KernelVersion{4, 19, 0}).cea_pages_per_cpu == 40);
    CHECK(i386_rules_for(KernelVersion{4, 20, 0}).cea_pages_per_cpu == 39);
    CHECK(i386_rules_for(KernelVersion{5, 4, 0}).cea_pages_per_cpu == 39);
    CHECK(i386_rules_for(KernelVersion{5, 5, 0}).cea_pages_per_cpu == 43);
    // PAE 5.4 vs 5.5 with N = 300, 32 CPUs: T = 1025, TOT_START 0xffbfe000.
    // 5.4: 0xffbfe000 - (39*32+1) pages = 0xffbfe000 - 0x4e1000 = 0xff71d000 -> 0xff600000.
    // 5.5: 0xffbfe000 - (43*32+1) pages = 0xffbfe000 - 0x561000 = 0xff69d000 -> 0xff600000;
    // with 64 CPUs: 5.4: - 0x9c1000 = 0xff23d000 -> 0xff200000; 5.5: - 0xac1000 = 0xff13d000
    // -> 0xff000000.
    RamMap ram = pc_ram(0x20000000);
    auto cea = [&](const char* k, unsigned cpus) {
        Cfg c{.arch = Arch::I386Pae, .kernel = k, .fixmap_slots = 300, .nr_cpus = cpus};
        return va(must(c, ram).region("cpu_entry_area")->start);
    };
    CHECK(cea("5.4", 32) == 0xff600000);
    CHECK(cea("5.5", 32) == 0xff600000);
    CHECK(cea("5.4", 64) == 0xff200000);
    CHECK(cea("5.5", 64) == 0xff000000);
}

TEST_CASE("i386 layout block: which versions print it and in what format", "[layout][i386]") {
    CHECK_FALSE(i386_rules_for(KernelVersion{2, 6, 11}).prints_layout_block);
    CHECK(i386_rules_for(KernelVersion{2, 6, 20}).prints_layout_block);
    CHECK(i386_rules_for(KernelVersion{5, 6, 0}).prints_layout_block);
    CHECK_FALSE(i386_rules_for(KernelVersion{5, 7, 0}).prints_layout_block);
    CHECK_FALSE(i386_rules_for(KernelVersion{4, 14, 0}).block_has_cpu_entry);
    CHECK(i386_rules_for(KernelVersion{4, 15, 0}).block_has_cpu_entry);

    SECTION("2.6.11, HIGHMEM off: the 2.6.2x format, no pkmap line") {
        Cfg c{.kernel = "2.6.11", .highmem = false};
        Layout l = must(c, pc_ram(0x4000000));
        // N = 72 (no kmap slots without HIGHMEM): FIXADDR_START = 0xfffb7000 (288 kB);
        // VMALLOC_END = 0xfffb5000; high_memory 0xc4000000 -> VMALLOC_START 0xc4800000
        // (0x3b7b5000 >> 20 = 951 MB). Image (2.6.11 row) at 0xc0100000: _etext = 0xc02f4a3c;
        // rodata 0xc02f5000..0xc0381000; _edata = 0xc03e3a94; init 0xc03e4000..0xc0415000.
        CHECK(render(c, l) == "virtual kernel memory layout:\n"
                              "    fixmap  : 0xfffb7000 - 0xfffff000   ( 288 kB)\n"
                              "    vmalloc : 0xc4800000 - 0xfffb5000   ( 951 MB)\n"
                              "    lowmem  : 0xc0000000 - 0xc4000000   (  64 MB)\n"
                              "      .init : 0xc03e4000 - 0xc0415000   ( 196 kB)\n"
                              "      .data : 0xc02f4a3c - 0xc03e3a94   ( 956 kB)\n"
                              "      .text : 0xc0100000 - 0xc02f4a3c   (2002 kB)\n");
    }
    SECTION("6.13: the 5.6 format with the cpu_entry line") {
        Cfg c{.kernel = "6.13"};
        Layout l = must(c, pc_ram(0x20000000));
        std::string block = render(c, l);
        CHECK(block.find("\n  cpu_entry : 0x") != std::string::npos);
        CHECK(block.find("\n    pkmap   : 0x") != std::string::npos);
    }
}

TEST_CASE("i386 defaults: N, NR_CPUS, phys_bits", "[layout][i386]") {
    I386Rules r = i386_rules_for(KernelVersion{6, 1, 0});
    CHECK(i386_default_fixmap_slots(r, 8, true) == 197);
    CHECK(i386_default_fixmap_slots(r, 2, false) == 101);
    CHECK(i386_default_fixmap_slots(i386_rules_for(KernelVersion{2, 6, 20}), 8, false) == 72);
    CHECK(i386_default_fixmap_slots(i386_rules_for(KernelVersion{2, 6, 20}), 8, true) == 176);
    // phys_bits=32 on PAE limits max_pfn to 4 GiB: 16G map -> top below 4G is 0xc0000000.
    MachineConfig m;
    m.arch = Arch::I386Pae;
    m.kernel = KernelVersion{2, 6, 32};
    m.phys_bits = 32;
    auto l = compute_layout_i386(m, i386_rules_for(m.kernel), pc_ram(0x400000000));
    REQUIRE_FALSE(l.is_error());
    CHECK(l->max_pfn.get() == 0xc0000);
}

TEST_CASE("i386 impossible configurations", "[layout][i386]") {
    RamMap ram = pc_ram(0x40000000);
    // 2.6.32: VMALLOC_END - PO = 0x3f7fe000. vmalloc=1020M: reserve 0x40400000 > that.
    CHECK(error_of({.vmalloc = 1020 * MiB}, ram).starts_with("vmalloc: 1020M leaves no lowmem"));
    // vmalloc=1000M: MAXMEM = 0x3f7fe000 - 0x3f000000 = 0x7fe000, below the image end 0x16e1000.
    CHECK(error_of({.vmalloc = 1000 * MiB}, ram) ==
          "vmalloc: lowmem ends at 0x7fe000, below the end of the kernel image at 0x16e1000");
    // vmalloc=900M still boots with 0x6bfe000 bytes of lowmem.
    CHECK(va(must({.vmalloc = 900 * MiB}, ram).high_memory) == 0xc6bfe000);
    CHECK(error_of({.vmalloc = 4 * GiB}, ram).starts_with("vmalloc: 0x100000000 is too large"));
    CHECK(error_of({.fixmap_slots = 0}, ram).starts_with("fixmap_slots: 0 is not allowed"));
    CHECK(error_of({.fixmap_slots = 0x40000}, ram).starts_with("fixmap_slots: 262144 permanent"));
    CHECK(error_of({.nr_cpus = 0}, ram) == "nr_cpus: 0 is not allowed (allowed: 1 to 64 on i386)");
    // The 16 MiB load address of 2.6.31+ needs RAM there.
    CHECK(error_of({}, pc_ram(0x1000000)).starts_with("mem: the kernel image [0x1000000, "));
    CHECK(error_of({}, RamMap{}) == "mem: the memory map has no usable RAM");
}
