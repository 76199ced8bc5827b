// x86_64 layouts (reference §B), nokaslr, KASAN off. Every expected value is worked out by hand
// from the kernel's constants; the working is in the comments.
#include <catch2/catch.hpp>

#include "mm/kernel_profile.h"
#include "mm/layout.h"
#include "mm/machine_config.h"
#include "mm/ram_map.h"

using namespace kmemu;

namespace {

RamRange rr(u64 start, u64 end, RamType type = RamType::Usable) {
    return RamRange{PhysAddr(start), PhysAddr(end), type, {}};
}

// "64M": SeaBIOS-style, RAM top 0x3fe0000 (firmware keeps the last 128 KiB).
RamMap map_64m() {
    return RamMap{{rr(0, 0x9fc00), rr(0x9fc00, 0xa0000, RamType::Reserved),
                   rr(0xf0000, 0x100000, RamType::Reserved), rr(0x100000, 0x3fe0000),
                   rr(0x3fe0000, 0x4000000, RamType::Reserved)},
                  {}};
}
// "3G": RAM top 0xbffe0000.
RamMap map_3g() {
    return RamMap{
        {rr(0, 0x9fc00), rr(0x100000, 0xbffe0000), rr(0xbffe0000, 0xc0000000, RamType::Reserved)},
        {}};
}
// "1T" with the PCI hole: [1M, 3G) + [4G, 1T).
RamMap map_1t() {
    return RamMap{{rr(0x100000, 0xc0000000), rr(0x100000000, 0x10000000000)}, {}};
}

ErrorOr<Layout> layout(const char* kernel, const RamMap& ram, Arch arch = Arch::X86_64,
                       std::optional<unsigned> fixmap_slots = {},
                       std::optional<unsigned> phys_bits = {}) {
    MachineConfig c;
    c.arch = arch;
    c.kernel = KernelVersion::parse(kernel).value();
    c.fixmap_slots = fixmap_slots;
    c.phys_bits = phys_bits;
    auto profile = KernelProfile::for_machine(c.kernel, c.arch);
    return compute_layout(c, profile, ram);
}

Layout must(const char* kernel, const RamMap& ram, Arch arch = Arch::X86_64) {
    auto l = layout(kernel, ram, arch);
    if (l.is_error())
        FAIL(l.error().message());
    return l.release_value();
}

std::optional<std::pair<u64, u64>> region(const Layout& l, const char* name) {
    const auto* r = l.region(name);
    if (r == nullptr)
        return std::nullopt;
    return std::pair{r->start.get(), r->end.get()};
}

std::vector<std::tuple<ZoneType, u64, u64>> zones(const Layout& l) {
    std::vector<std::tuple<ZoneType, u64, u64>> z;
    for (const auto& s : l.zones)
        z.emplace_back(s.type, s.start.get(), s.end.get());
    return z;
}

} // namespace

TEST_CASE("x86_64 5.10, 64M: every field", "[layout][x86_64]") {
    Layout l = must("5.10", map_64m());
    CHECK(l.word_bits == 64);
    CHECK(l.page_shift == 12);
    CHECK(l.page_offset.get() == 0xffff888000000000); // 4.20+ base
    CHECK(l.phys_offset.get() == 0);
    CHECK(l.task_size.get() == 0x00007ffffffff000); // 2^47 - 4096
    // max_pfn = 0x3fe0000 >> 12 (highest usable end; the reserved top does not count).
    CHECK(l.max_pfn.get() == 0x3fe0);
    CHECK(l.max_low_pfn.get() == 0x3fe0);
    CHECK(l.min_low_pfn.get() == 0);
    // high_memory = __va(0x3fe0000 - 1) + 1 = 0xffff888000000000 + 0x3fe0000.
    CHECK(l.high_memory.get() == 0xffff888003fe0000);
    CHECK(l.lowmem_bytes == 0x3fe0000);
    CHECK(l.highmem_bytes == 0);
    // vmalloc: 0xffffc90000000000 + 32 TiB (0x200000000000); header END is that minus 1.
    CHECK(l.vmalloc_start.get() == 0xffffc90000000000);
    CHECK(l.vmalloc_end.get() == 0xffffe90000000000);
    CHECK_FALSE(l.pkmap_base.has_value());
    CHECK(l.last_pkmap == 0);
    // FIXADDR_TOP 0xffffffffff7ff000; 5.3+ defconfig N = 643 = 0x283 pages -> - 0x283000.
    CHECK(l.fixaddr_top.get() == 0xffffffffff7ff000);
    CHECK(l.fixaddr_start.get() == 0xffffffffff57c000);
    // KERNEL_IMAGE_SIZE 1 GiB (RANDOMIZE_BASE=y): 0xffffffff80000000 + 0x40000000.
    CHECK(l.modules_vaddr.get() == 0xffffffffc0000000);
    CHECK(l.modules_end.get() == 0xffffffffff000000);
    // Page 0 reserved -> DMA from pfn 1; DMA32 from 4096 to max_pfn; no Normal.
    using Z = std::vector<std::tuple<ZoneType, u64, u64>>;
    CHECK(zones(l) == Z{{ZoneType::Dma, 1, 0x1000}, {ZoneType::Dma32, 0x1000, 0x3fe0}});
    // Regions in address order.
    REQUIRE(l.regions.size() == 6);
    CHECK(l.regions[0].name == "ldt_remap");
    CHECK(region(l, "ldt_remap") == std::pair<u64, u64>{0xffff880000000000, 0xffff888000000000});
    CHECK(region(l, "vmemmap") == std::pair<u64, u64>{0xffffea0000000000, 0xffffeb0000000000});
    CHECK(region(l, "cpu_entry_area") ==
          std::pair<u64, u64>{0xfffffe0000000000, 0xfffffe8000000000});
    CHECK(region(l, "espfix") == std::pair<u64, u64>{0xffffff0000000000, 0xffffff8000000000});
    CHECK(region(l, "efi") == std::pair<u64, u64>{0xffffffef00000000, 0xffffffff00000000});
    CHECK(region(l, "kernel_text") == std::pair<u64, u64>{0xffffffff80000000, 0xffffffffc0000000});
    CHECK(l.regions[5].name == "kernel_text");
    CHECK(l.region("kasan") == nullptr);
    // Image: phys 16 MiB, _text = 0xffffffff81000000; 4.20+ sizes text 0xe00000, rodata
    // 0x600000, data 0x2a0000, init 0x3f0000, bss 0x5c0000; rodata and data 2 MiB aligned.
    const auto& img = l.image;
    CHECK(img.phys_start.get() == 0x1000000);
    CHECK(img.text.get() == 0xffffffff81000000);
    CHECK(img.etext.get() == 0xffffffff81e00000);
    CHECK(img.start_rodata.get() == 0xffffffff81e00000);
    CHECK(img.end_rodata.get() == 0xffffffff82400000);
    CHECK(img.sdata.get() == 0xffffffff82400000);
    CHECK(img.edata.get() == 0xffffffff826a0000);
    CHECK(img.init_begin.get() == 0xffffffff826a0000);
    CHECK(img.init_end.get() == 0xffffffff82a90000);
    CHECK(img.bss_start.get() == 0xffffffff82a90000);
    CHECK(img.bss_stop.get() == 0xffffffff83050000);
    CHECK(img.end.get() == 0xffffffff83050000);
    CHECK(img.pa(img.etext).get() == 0x1e00000);
}

TEST_CASE("x86_64 6.1: 3G and 1T RAM", "[layout][x86_64]") {
    using Z = std::vector<std::tuple<ZoneType, u64, u64>>;
    Layout g3 = must("6.1", map_3g());
    CHECK(g3.max_pfn.get() == 0xbffe0);
    CHECK(g3.high_memory.get() == 0xffff8880bffe0000); // 0xffff888000000000 + 0xbffe0000
    CHECK(zones(g3) == Z{{ZoneType::Dma, 1, 0x1000}, {ZoneType::Dma32, 0x1000, 0xbffe0}});

    // 1T: top 2^40 -> max_pfn 2^28; the map starts at 1M so the first zone starts at pfn 256.
    Layout t1 = must("6.1", map_1t());
    CHECK(t1.max_pfn.get() == 0x10000000);
    CHECK(t1.max_low_pfn.get() == 0x10000000);
    CHECK(t1.high_memory.get() == 0xffff898000000000); // + 0x10000000000
    CHECK(t1.lowmem_bytes == 0x10000000000);
    CHECK(zones(t1) == Z{{ZoneType::Dma, 0x100, 0x1000},
                         {ZoneType::Dma32, 0x1000, 0x100000},
                         {ZoneType::Normal, 0x100000, 0x10000000}});
}

TEST_CASE("x86_64 direct map base by era", "[layout][x86_64]") {
    // 0xffff810000000000 up to 2.6.26, 0xffff880000000000 from 2.6.27, 0xffff888 from 4.20.
    CHECK(must("2.6.26", map_64m()).page_offset.get() == 0xffff810000000000);
    CHECK(must("2.6.27", map_64m()).page_offset.get() == 0xffff880000000000);
    CHECK(must("4.19", map_64m()).page_offset.get() == 0xffff880000000000);
    CHECK(must("4.20", map_64m()).page_offset.get() == 0xffff888000000000);
    // 2.6.11: high_memory = 0xffff810000000000 + 0x3fe0000.
    CHECK(must("2.6.11", map_64m()).high_memory.get() == 0xffff810003fe0000);
}

TEST_CASE("x86_64 vmalloc and vmemmap by era", "[layout][x86_64]") {
    Layout a = must("2.6.23", map_64m());
    CHECK(a.vmalloc_start.get() == 0xffffc20000000000);
    CHECK(a.vmalloc_end.get() == 0xffffe20000000000); // header: 0xffffe1ffffffffff
    CHECK_FALSE(region(a, "vmemmap"));                // no SPARSEMEM_VMEMMAP yet
    Layout b = must("2.6.24", map_64m());
    CHECK(region(b, "vmemmap") == std::pair<u64, u64>{0xffffe20000000000, 0xffffe30000000000});
    Layout c = must("2.6.30", map_64m());
    CHECK(c.vmalloc_start.get() == 0xffffc20000000000);
    Layout d = must("2.6.31", map_64m());
    CHECK(d.vmalloc_start.get() == 0xffffc90000000000);
    CHECK(d.vmalloc_end.get() == 0xffffe90000000000);
    CHECK(region(d, "vmemmap") == std::pair<u64, u64>{0xffffea0000000000, 0xffffeb0000000000});
}

TEST_CASE("x86_64 modules area by era", "[layout][x86_64]") {
    Layout a = must("2.6.26", map_64m());
    CHECK(a.modules_vaddr.get() == 0xffffffff88000000);
    CHECK(a.modules_end.get() == 0xfffffffffff00000);
    CHECK(region(a, "kernel_text") == std::pair<u64, u64>{0xffffffff80000000, 0xffffffff82800000});
    // 2.6.27: __START_KERNEL_map + 512 MiB = 0xffffffffa0000000.
    Layout b = must("2.6.27", map_64m());
    CHECK(b.modules_vaddr.get() == 0xffffffffa0000000);
    CHECK(b.modules_end.get() == 0xffffffffff000000);
    CHECK(must("4.11", map_64m()).modules_vaddr.get() == 0xffffffffa0000000);
    // 4.12: RANDOMIZE_BASE default y -> KERNEL_IMAGE_SIZE 1 GiB.
    CHECK(must("4.12", map_64m()).modules_vaddr.get() == 0xffffffffc0000000);
}

TEST_CASE("x86_64 fixmap by era", "[layout][x86_64]") {
    // Old form: FIXADDR_TOP 0xffffffffffdff000; N = 2179 = 0x883 pages -> 0xffffffffff57c000.
    Layout a = must("2.6.27", map_64m());
    CHECK(a.fixaddr_top.get() == 0xffffffffffdff000);
    CHECK(a.fixaddr_start.get() == 0xffffffffff57c000);
    // 2.6.28..3.15: N = 2183 = 0x887 -> 0xffffffffff578000.
    CHECK(must("2.6.28", map_64m()).fixaddr_start.get() == 0xffffffffff578000);
    CHECK(must("3.15", map_64m()).fixaddr_start.get() == 0xffffffffff578000);
    // 3.16: FIXADDR_TOP 0xffffffffff7ff000; N = 645 = 0x285 -> 0xffffffffff57a000.
    Layout b = must("3.16", map_64m());
    CHECK(b.fixaddr_top.get() == 0xffffffffff7ff000);
    CHECK(b.fixaddr_start.get() == 0xffffffffff57a000);
    CHECK(must("5.2", map_64m()).fixaddr_start.get() == 0xffffffffff57a000);
    CHECK(must("5.3", map_64m()).fixaddr_start.get() == 0xffffffffff57c000); // N = 643
    // fixmap_slots overrides N: 1 slot -> 0xffffffffff7fe000.
    auto c = layout("6.1", map_64m(), Arch::X86_64, 1u);
    REQUIRE(c);
    CHECK(c->fixaddr_start.get() == 0xffffffffff7fe000);
}

TEST_CASE("x86_64 optional regions by era", "[layout][x86_64]") {
    CHECK_FALSE(region(must("4.14", map_64m()), "cpu_entry_area").has_value());
    CHECK_FALSE(region(must("4.14", map_64m()), "ldt_remap").has_value());
    Layout a = must("4.15", map_64m());
    CHECK(region(a, "cpu_entry_area") ==
          std::pair<u64, u64>{0xfffffe0000000000, 0xfffffe8000000000});
    // 4.15..4.19: LDT remap in PGD slot -3.
    CHECK(region(a, "ldt_remap") == std::pair<u64, u64>{0xfffffe8000000000, 0xffffff0000000000});
    CHECK(region(must("4.19", map_64m()), "ldt_remap") ==
          std::pair<u64, u64>{0xfffffe8000000000, 0xffffff0000000000});
    CHECK_FALSE(region(must("3.15", map_64m()), "espfix").has_value());
    CHECK(region(must("3.16", map_64m()), "espfix").has_value());
    CHECK_FALSE(region(must("3.13", map_64m()), "efi").has_value());
    CHECK(region(must("3.14", map_64m()), "efi").has_value());
}

TEST_CASE("x86_64 zones by era", "[layout][x86_64]") {
    using Z = std::vector<std::tuple<ZoneType, u64, u64>>;
    // 2.6.14: no ZONE_DMA32; DMA from pfn 0 to 4096, Normal above (3G map, max_pfn 0xbffe0).
    CHECK(zones(must("2.6.14", map_3g())) ==
          Z{{ZoneType::Dma, 0, 0x1000}, {ZoneType::Normal, 0x1000, 0xbffe0}});
    CHECK(zones(must("2.6.15", map_3g())) ==
          Z{{ZoneType::Dma, 0, 0x1000}, {ZoneType::Dma32, 0x1000, 0xbffe0}});
    // Before 2.6.19 zone_start_pfn is 0 even when RAM starts at 1M; from 2.6.19 it is the
    // lowest RAM pfn (0x100000 >> 12 = 256).
    CHECK(std::get<1>(zones(must("2.6.18", map_1t()))[0]) == 0);
    CHECK(std::get<1>(zones(must("2.6.19", map_1t()))[0]) == 0x100);
    // Page 0 becomes reserved in 2.6.32: the DMA zone then starts at pfn 1.
    CHECK(std::get<1>(zones(must("2.6.31", map_64m()))[0]) == 0);
    CHECK(std::get<1>(zones(must("2.6.32", map_64m()))[0]) == 1);
}

TEST_CASE("x86_64 kernel image placement by era", "[layout][x86_64]") {
    // CONFIG_PHYSICAL_START: 1M, then 2M (2.6.22), then 16M (2.6.31); _text = 0xffffffff80000000 +
    // it.
    CHECK(must("2.6.21", map_64m()).image.text.get() == 0xffffffff80100000);
    CHECK(must("2.6.22", map_64m()).image.text.get() == 0xffffffff80200000);
    CHECK(must("2.6.30", map_64m()).image.phys_start.get() == 0x200000);
    CHECK(must("2.6.31", map_64m()).image.text.get() == 0xffffffff81000000);
    // 3.x sizes: text 0x800000 -> _etext 0xffffffff81800000; rodata at the next 2M.
    Layout l = must("3.10", map_64m());
    CHECK(l.image.etext.get() == 0xffffffff81800000);
    CHECK(l.image.start_rodata.get() == 0xffffffff81800000);
    CHECK(l.image.sdata.get() == 0xffffffff81c00000); // 0x81800000 + 0x300000, up to 2M
}

TEST_CASE("x86_64 max_pfn: ACPI data counts in 6.13 only; clamp to MAX_PHYSMEM_BITS",
          "[layout][x86_64]") {
    RamMap m = map_64m();
    m.ranges.push_back(rr(0x4000000, 0x4010000, RamType::Acpi)); // ACPI tables above RAM
    CHECK(must("6.12", m).max_pfn.get() == 0x3fe0);
    CHECK(must("6.13", m).max_pfn.get() == 0x4010); // 0x4010000 >> 12
    // 4-level: RAM up to 2^47 is clamped to 2^(46-12) = 2^34 pfns; high_memory = PO + 2^46.
    RamMap big{{rr(0x100000, u64{1} << 47)}, {}};
    auto l = layout("6.1", big, Arch::X86_64, {}, 52u);
    REQUIRE(l);
    CHECK(l->max_pfn.get() == (u64{1} << 34));
    CHECK(l->high_memory.get() == 0xffff888000000000 + (u64{1} << 46));
}

TEST_CASE("x86_64-la57: 5-level bases by era", "[layout][x86_64]") {
    Layout a = must("4.14", map_1t(), Arch::X86_64La57);
    CHECK(a.page_offset.get() == 0xff10000000000000);
    CHECK(a.task_size.get() == 0x00fffffffffff000); // 2^56 - 4096
    // 4.14: vmalloc 0xff92000000000000 + 16384 TiB (2^54).
    CHECK(a.vmalloc_start.get() == 0xff92000000000000);
    CHECK(a.vmalloc_end.get() == 0xffd2000000000000);
    CHECK(region(a, "vmemmap") == std::pair<u64, u64>{0xffd4000000000000, 0xffd6000000000000});
    CHECK_FALSE(region(a, "ldt_remap").has_value());
    // 4.15: vmalloc 0xffa0000000000000 + 12800 TiB (0x32000000000000) = 0xffd2000000000000.
    Layout b = must("4.15", map_1t(), Arch::X86_64La57);
    CHECK(b.vmalloc_start.get() == 0xffa0000000000000);
    CHECK(b.vmalloc_end.get() == 0xffd2000000000000);
    CHECK(region(b, "ldt_remap") == std::pair<u64, u64>{0xff90000000000000, 0xffa0000000000000});
    CHECK(must("4.19", map_1t(), Arch::X86_64La57).page_offset.get() == 0xff10000000000000);
    Layout c = must("4.20", map_1t(), Arch::X86_64La57);
    CHECK(c.page_offset.get() == 0xff11000000000000);
    CHECK(region(c, "ldt_remap") == std::pair<u64, u64>{0xff10000000000000, 0xff11000000000000});
    // 1T: high_memory = 0xff11000000000000 + 2^40.
    CHECK(c.high_memory.get() == 0xff11010000000000);
    CHECK(c.max_pfn.get() == 0x10000000);
    // Above 0xfffffc0000000000 it is the 4-level picture.
    CHECK(c.fixaddr_top.get() == 0xffffffffff7ff000);
    CHECK(c.modules_vaddr.get() == 0xffffffffc0000000);
    CHECK(region(c, "cpu_entry_area") ==
          std::pair<u64, u64>{0xfffffe0000000000, 0xfffffe8000000000});
    // 64M and 3G on 5-level 6.13.
    CHECK(must("6.13", map_64m(), Arch::X86_64La57).high_memory.get() == 0xff11000003fe0000);
    CHECK(must("6.13", map_3g(), Arch::X86_64La57).high_memory.get() == 0xff110000bffe0000);
    // 5-level MAX_PHYSMEM_BITS 52: 2^47 of RAM is not clamped.
    RamMap big{{rr(0x100000, u64{1} << 47)}, {}};
    auto d = layout("6.1", big, Arch::X86_64La57, {}, 52u);
    REQUIRE(d);
    CHECK(d->max_pfn.get() == (u64{1} << 35));
}

TEST_CASE("x86_64 errors", "[layout][x86_64]") {
    auto a = layout("4.13", map_64m(), Arch::X86_64La57);
    REQUIRE(a.is_error());
    CHECK(a.error().kind() == ErrorKind::InvalidConfig);
    CHECK_THAT(a.error().message(), Catch::Contains("kernel=4.13") &&
                                        Catch::Contains("arch=x86_64-la57") &&
                                        Catch::Contains("4.14"));
    // RAM beyond the default 40 physical bits: [4G, 2^40 + 4G).
    RamMap over{{rr(0x100000, 0xc0000000), rr(0x100000000, 0x10100000000)}, {}};
    auto b = layout("6.1", over);
    REQUIRE(b.is_error());
    CHECK_THAT(b.error().message(), Catch::Contains("phys_bits") && Catch::Contains("40"));
    CHECK(layout("6.1", over, Arch::X86_64, {}, 46u));
    auto c = layout("6.1", map_64m(), Arch::X86_64, {}, 20u);
    REQUIRE(c.is_error());
    CHECK_THAT(c.error().message(), Catch::Contains("phys_bits: 20"));
    auto d = layout("6.1", RamMap{{rr(0, 0x100000, RamType::Reserved)}, {}});
    REQUIRE(d.is_error());
    CHECK_THAT(d.error().message(), Catch::Contains("no usable RAM"));
}

TEST_CASE("x86_64 rendered block, 6.1 64M", "[layout][x86_64][render]") {
    MachineConfig c;
    c.kernel = KernelVersion{6, 1, 0};
    auto profile = KernelProfile::for_machine(c.kernel, c.arch);
    auto l = compute_layout(c, profile, map_64m());
    REQUIRE(l);
    // Sizes: fixmap 0x283000>>10 = 2572; cpu_entry 2^39>>10; vmemmap 2^40>>20; vmalloc
    // 2^45>>20; lowmem 0x3fe0000>>20 = 63; modules 0x3f000000>>20 = 1008; .init 0x3f0000>>10
    // = 4032; .data _etext.._edata = 0x8a0000>>10 = 8832; .text 0xe00000>>10 = 14336.
    CHECK(render_layout_block(*l, profile) ==
          "virtual kernel memory layout:\n"
          "    fixmap  : 0xffffffffff57c000 - 0xffffffffff7ff000   (2572 kB)\n"
          "  cpu_entry : 0xfffffe0000000000 - 0xfffffe8000000000   (536870912 kB)\n"
          "    vmemmap : 0xffffea0000000000 - 0xffffeb0000000000   (1048576 MB)\n"
          "    vmalloc : 0xffffc90000000000 - 0xffffe90000000000   (33554432 MB)\n"
          "    lowmem  : 0xffff888000000000 - 0xffff888003fe0000   (  63 MB)\n"
          "    modules : 0xffffffffc0000000 - 0xffffffffff000000   (1008 MB)\n"
          "      .init : 0xffffffff826a0000 - 0xffffffff82a90000   (4032 kB)\n"
          "      .data : 0xffffffff81e00000 - 0xffffffff826a0000   (8832 kB)\n"
          "      .text : 0xffffffff81000000 - 0xffffffff81e00000   (14336 kB)\n");
}

TEST_CASE("x86_64 rendered block, 2.6.20 64M", "[layout][x86_64][render]") {
    MachineConfig c;
    c.kernel = KernelVersion{2, 6, 20};
    auto profile = KernelProfile::for_machine(c.kernel, c.arch);
    auto l = compute_layout(c, profile, map_64m());
    REQUIRE(l);
    // No vmemmap or cpu_entry lines. fixmap 0x883000>>10 = 8716 kB; modules
    // 0xfffffffffff00000 - 0xffffffff88000000 = 0x77f00000 -> 1919 MB. Image at 1 MiB:
    // .text 0x2c0000 = 2816 kB; .data = 0x803c0000..0x80530000 = 1472 kB; .init 0x70000 = 448.
    CHECK(render_layout_block(*l, profile) ==
          "virtual kernel memory layout:\n"
          "    fixmap  : 0xffffffffff57c000 - 0xffffffffffdff000   (8716 kB)\n"
          "    vmalloc : 0xffffc20000000000 - 0xffffe20000000000   (33554432 MB)\n"
          "    lowmem  : 0xffff810000000000 - 0xffff810003fe0000   (  63 MB)\n"
          "    modules : 0xffffffff88000000 - 0xfffffffffff00000   (1919 MB)\n"
          "      .init : 0xffffffff80530000 - 0xffffffff805a0000   ( 448 kB)\n"
          "      .data : 0xffffffff803c0000 - 0xffffffff80530000   (1472 kB)\n"
          "      .text : 0xffffffff80100000 - 0xffffffff803c0000   (2816 kB)\n");
}

TEST_CASE("x86_64 image size eras", "[layout][x86_64]") {
    // 2.6.39: text 0x2c0000 from 0xffffffff81000000, rodata only page aligned.
    Layout a = must("2.6.39", map_64m());
    CHECK(a.image.etext.get() == 0xffffffff812c0000);
    CHECK(a.image.start_rodata.get() == 0xffffffff812c0000);
    CHECK(a.image.sdata.get() == 0xffffffff813a0000); // + 0xe0000
    // 3.0: text 0x800000; 4.19 same; 4.20: text 0xe00000.
    CHECK(must("3.0", map_64m()).image.etext.get() == 0xffffffff81800000);
    CHECK(must("4.19", map_64m()).image.etext.get() == 0xffffffff81800000);
    CHECK(must("4.20", map_64m()).image.etext.get() == 0xffffffff81e00000);
}
