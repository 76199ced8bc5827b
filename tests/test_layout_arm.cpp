// 32-bit ARM layouts (layouts.md §C, §E.3). Every expected value is worked out by hand in the
// comment above it from the kernel's formulas, not by re-running the code's.
#include <catch2/catch.hpp>

#include "mm/layout_arm.h"
#include "mm/machine_config.h"
#include "mm/ram_map.h"

using namespace kmemu;

namespace {

struct Machine {
    Arch arch = Arch::Arm;
    KernelVersion kernel{4, 9, 0};
    u64 phys_offset = 0x40000000;
    u64 mem = 256 * MiB;
    VmSplit split = VmSplit::G3;
    bool highmem = true;
    bool thumb2 = false;
    std::optional<u64> vmalloc;
    std::optional<RamMap> ram; // default: one bank [phys_offset, phys_offset + mem)
};

RamMap one_bank(u64 start, u64 size) {
    RamMap m;
    m.ranges.push_back({PhysAddr(start), PhysAddr(start + size), RamType::Usable, {}});
    return m;
}

ErrorOr<Layout> layout(const Machine& m) {
    MachineConfig c;
    c.arch = m.arch;
    c.kernel = m.kernel;
    c.phys_offset = PhysAddr(m.phys_offset);
    c.split = m.split;
    c.highmem = m.highmem;
    c.thumb2 = m.thumb2;
    c.vmalloc_size = m.vmalloc;
    RamMap ram = m.ram ? *m.ram : one_bank(m.phys_offset, m.mem);
    return compute_layout_arm(c, arm_rules_for(m.kernel), ram);
}

Layout ok(const Machine& m) {
    auto l = layout(m);
    if (l.is_error())
        FAIL(l.error().message());
    return l.release_value();
}

std::string error_of(const Machine& m) {
    auto l = layout(m);
    REQUIRE(l.is_error());
    return l.error().message();
}

std::string render(const Machine& m) {
    return render_layout_block_arm(ok(m), arm_rules_for(m.kernel));
}

} // namespace

TEST_CASE("arm: reference example, 3G, 1 GiB at 0x80000000, 4.4+", "[layout][arm]") {
    Machine m;
    m.phys_offset = 0x80000000;
    m.mem = 1 * GiB;
    Layout l = ok(m);
    // vmalloc_min = 0xff800000 - 240M - 8M = 0xf0000000; bound phys 0xf0000000 - 0xc0000000 +
    // 0x80000000 = 0xb0000000; high_memory = __va(0xb0000000) = 0xf0000000.
    CHECK(l.page_offset.get() == 0xc0000000);
    CHECK(l.phys_offset.get() == 0x80000000);
    CHECK(l.task_size.get() == 0xbf000000); // PAGE_OFFSET - 16M
    CHECK(l.high_memory.get() == 0xf0000000);
    CHECK(l.min_low_pfn.get() == 0x80000);
    CHECK(l.max_low_pfn.get() == 0xb0000); // 0xb0000000 is 2M aligned: no rounding effect
    CHECK(l.max_pfn.get() == 0xc0000);
    CHECK(l.lowmem_bytes == 768 * MiB);
    CHECK(l.highmem_bytes == 256 * MiB);
    // VMALLOC_START = align_down(0xf0000000 + 8M, 8M) = 0xf0800000.
    CHECK(l.vmalloc_start.get() == 0xf0800000);
    CHECK(l.vmalloc_end.get() == 0xff800000);
    CHECK(l.vmalloc_offset == 8 * MiB);
    REQUIRE(l.pkmap_base);
    CHECK(l.pkmap_base->get() == 0xbfe00000);
    CHECK(l.last_pkmap == 512);
    CHECK(l.fixaddr_start.get() == 0xffc00000);
    CHECK(l.fixaddr_top.get() == 0xffeff000); // FIXADDR_END - PAGE_SIZE
    CHECK(l.modules_vaddr.get() == 0xbf000000);
    CHECK(l.modules_end.get() == 0xbfe00000);
    REQUIRE(l.zones.size() == 2);
    CHECK(l.zones[0] == ZoneSpan{ZoneType::Normal, Pfn(0x80000), Pfn(0xb0000)});
    CHECK(l.zones[1] == ZoneSpan{ZoneType::HighMem, Pfn(0xb0000), Pfn(0xc0000)});
    // Kernel image at KERNEL_RAM_VADDR 0xc0008000, physical 0x80008000.
    CHECK(l.image.text.get() == 0xc0008000);
    CHECK(l.image.phys_start.get() == 0x80008000);
    CHECK(l.image.pa(l.image.init_begin).get() == l.image.init_begin.get() - 0x40000000);
    // Extra regions, in address order: pci_io (3.7+), fixmap 3 MiB, vector page; no fdt (5.10+).
    REQUIRE(l.regions.size() == 3);
    CHECK(l.regions[0] == NamedRegion{"pci_io", VirtAddr(0xfee00000), VirtAddr(0xff000000)});
    CHECK(l.regions[1] == NamedRegion{"fixmap", VirtAddr(0xffc00000), VirtAddr(0xfff00000)});
    CHECK(l.regions[2] == NamedRegion{"vector", VirtAddr(0xffff0000), VirtAddr(0xffff1000)});
}

TEST_CASE("arm: the same machine on 3.3-4.2 (VMALLOC_END 0xff000000)", "[layout][arm]") {
    Machine m;
    m.phys_offset = 0x80000000;
    m.mem = 1 * GiB;
    m.kernel = {4, 2, 8};
    Layout l = ok(m);
    // vmalloc_min = 0xff000000 - 248M = 0xef800000; bound phys 0xaf800000.
    CHECK(l.high_memory.get() == 0xef800000);
    CHECK(l.vmalloc_start.get() == 0xf0000000); // align_down(0xf0000000, 8M)
    CHECK(l.vmalloc_end.get() == 0xff000000);
    CHECK(l.highmem_bytes == 264 * MiB); // 0xc0000000 - 0xaf800000 = 0x10800000
    // 3.19+: max_low_pfn = PFN(round_down(0xaf800000, 2M)) = 0xaf800 (already aligned).
    CHECK(l.max_low_pfn.get() == 0xaf800);
    CHECK(l.fixaddr_start.get() == 0xffc00000);
}

TEST_CASE("arm: 2G split, PHYS_OFFSET 0, 900 MiB (not 8 MiB aligned)", "[layout][arm]") {
    Machine m;
    m.phys_offset = 0;
    m.mem = 900 * MiB; // ends at 0x38400000
    m.split = VmSplit::G2;
    m.kernel = {5, 4, 0};
    Layout l = ok(m);
    // bound phys = 0xf0000000 - 0x80000000 + 0 = 0x70000000, above RAM: lowmem is all 900 MiB.
    CHECK(l.page_offset.get() == 0x80000000);
    CHECK(l.high_memory.get() == 0xb8400000);
    // align_down(0xb8400000 + 0x800000 = 0xb8c00000, 8M) = 0xb8800000: a 4 MiB gap only.
    CHECK(l.vmalloc_start.get() == 0xb8800000);
    CHECK(l.max_low_pfn.get() == 0x38400); // 0x38400000 is 2M aligned
    CHECK(l.max_pfn.get() == 0x38400);
    CHECK(l.highmem_bytes == 0);
    CHECK(l.min_low_pfn.get() == 0);
    CHECK(l.task_size.get() == 0x7f000000);
    CHECK(l.modules_vaddr.get() == 0x7f000000);
    CHECK(l.modules_end.get() == 0x7fe00000);
    REQUIRE(l.zones.size() == 2); // HighMem exists (CONFIG_HIGHMEM) but is empty
    CHECK(l.zones[1] == ZoneSpan{ZoneType::HighMem, Pfn(0x38400), Pfn(0x38400)});
}

TEST_CASE("arm: 256 MiB on 6.1, every field", "[layout][arm]") {
    Machine m;
    m.kernel = {6, 1, 0};
    Layout l = ok(m);
    // 6.x: bound = 0xff800000 - 240M - 8M = 0xf0000000 -> phys 0x70000000 > RAM end 0x50000000.
    CHECK(l.high_memory.get() == 0xd0000000);
    CHECK(l.vmalloc_start.get() == 0xd0800000);
    CHECK(l.vmalloc_end.get() == 0xff800000);
    CHECK(l.lowmem_bytes == 256 * MiB);
    CHECK(l.max_low_pfn.get() == 0x50000);
    CHECK(l.max_pfn.get() == 0x50000);
    CHECK(l.word_bits == 32);
    // Regions: pci_io, fdt (2 classic 1 MiB sections), fixmap, vector.
    REQUIRE(l.regions.size() == 4);
    CHECK(l.regions[1] == NamedRegion{"fdt", VirtAddr(0xff800000), VirtAddr(0xffa00000)});
    // TASK_UNMAPPED_BASE = ALIGN(0xbf000000 / 3 = 0x3f555555, 16M) = 0x40000000.
    CHECK(arm_task_unmapped_base(l, arm_rules_for(m.kernel)).get() == 0x40000000);
    // Image (6.1 row: head 4K, text 15360K, init 2048K, data 1280K, bss 1664K):
    // _stext 0xc0009000, _etext 0xc0009000 + 0xf00000 = 0xc0f09000, init to 0xc1109000,
    // data to 0xc1249000, bss to 0xc13e9000.
    CHECK(l.image.stext.get() == 0xc0009000);
    CHECK(l.image.etext.get() == 0xc0f09000);
    CHECK(l.image.start_rodata.get() == 0xc0b09000); // etext - 4096K
    CHECK(l.image.init_begin.get() == 0xc0f09000);
    CHECK(l.image.init_end.get() == 0xc1109000);
    CHECK(l.image.sdata.get() == 0xc1109000);
    CHECK(l.image.edata.get() == 0xc1249000);
    CHECK(l.image.bss_stop.get() == 0xc13e9000);
    CHECK(l.image.end.get() == 0xc13e9000);
}

TEST_CASE("arm: LPAE fdt window is 2 LPAE sections", "[layout][arm]") {
    Machine m;
    m.kernel = {6, 13, 0};
    m.arch = Arch::ArmLpae;
    Layout l = ok(m);
    CHECK(l.region("fdt")->end.get() == 0xffc00000); // 0xff800000 + 2 * 2 MiB
    CHECK(l.arch == Arch::ArmLpae);
}

TEST_CASE("arm: RAM around the lowmem limit, 3.x vs 4.4+", "[layout][arm]") {
    Machine m;
    m.mem = 768 * MiB; // [0x40000000, 0x70000000)
    m.kernel = {3, 10, 0};
    Layout a = ok(m);
    // 3.10: bound 0xef800000 -> phys 0x6f800000: 760 MiB lowmem, 8 MiB highmem.
    CHECK(a.high_memory.get() == 0xef800000);
    CHECK(a.lowmem_bytes == 760 * MiB);
    CHECK(a.highmem_bytes == 8 * MiB);
    CHECK(a.max_low_pfn.get() == 0x6f800);
    CHECK(a.max_pfn.get() == 0x70000);
    m.kernel = {4, 4, 0};
    Layout b = ok(m);
    // 4.4: bound 0xf0000000 -> phys 0x70000000 = RAM end: all 768 MiB is lowmem.
    CHECK(b.high_memory.get() == 0xf0000000);
    CHECK(b.highmem_bytes == 0);
    CHECK(b.vmalloc_start.get() == 0xf0800000);
    m.mem = 760 * MiB;
    m.kernel = {3, 10, 0};
    Layout c = ok(m);
    CHECK(c.highmem_bytes == 0); // 760 MiB fits exactly
    CHECK(c.high_memory.get() == 0xef800000);
}

TEST_CASE("arm: 2 GiB and 3 GiB, HIGHMEM on and off, classic and LPAE", "[layout][arm]") {
    Machine m;
    m.mem = 2 * GiB; // [0x40000000, 0xc0000000)
    m.kernel = {5, 4, 0};
    Layout on = ok(m);
    CHECK(on.lowmem_bytes == 768 * MiB);
    CHECK(on.highmem_bytes == 1280 * MiB);
    CHECK(on.max_pfn.get() == 0xc0000);
    m.highmem = false;
    Layout off = ok(m);
    // highmem=off: RAM above 0x70000000 is removed ("Ignoring RAM at ...").
    CHECK(off.max_pfn.get() == 0x70000);
    CHECK(off.max_low_pfn.get() == 0x70000);
    CHECK(off.highmem_bytes == 0);
    CHECK_FALSE(off.pkmap_base);
    CHECK(off.last_pkmap == 0);
    CHECK(off.modules_end.get() == 0xc0000000); // MODULES_END = PAGE_OFFSET without HIGHMEM
    REQUIRE(off.zones.size() == 1);
    CHECK(off.zones[0].type == ZoneType::Normal);

    m.highmem = true;
    m.mem = 3 * GiB; // would end at 0x100000000
    Layout classic = ok(m);
    // Without LPAE the bank is truncated to ULONG_MAX - start, page masked: ends 0xfffff000.
    CHECK(classic.max_pfn.get() == 0xfffff);
    CHECK(classic.highmem_bytes == 0xfffff000 - 0x70000000);
    m.arch = Arch::ArmLpae;
    Layout lpae = ok(m);
    CHECK(lpae.max_pfn.get() == 0x100000);
    CHECK(lpae.highmem_bytes == 0x100000000 - 0x70000000);
}

TEST_CASE("arm: not 2 MiB aligned RAM end, PMD rounding of max_low_pfn 3.19+", "[layout][arm]") {
    Machine m;
    m.mem = 257 * MiB; // ends 0x50100000
    m.kernel = {3, 19, 0};
    Layout l = ok(m);
    // high_memory = __va(0x50100000) = 0xd0100000; VMALLOC_START align_down(0xd0900000) =
    // 0xd0800000; memblock_limit = round_down(0x50100000, 2M) = 0x50000000.
    CHECK(l.high_memory.get() == 0xd0100000);
    CHECK(l.vmalloc_start.get() == 0xd0800000);
    CHECK(l.max_low_pfn.get() == 0x50000);
    CHECK(l.max_pfn.get() == 0x50100);
    CHECK(l.zones[1] == ZoneSpan{ZoneType::HighMem, Pfn(0x50000), Pfn(0x50100)});
    m.kernel = {3, 18, 0};
    Layout old = ok(m);
    CHECK(old.max_low_pfn.get() == 0x50100); // no rounding before 3.19
    CHECK(old.fixaddr_start.get() == 0xfff00000);
    CHECK(old.fixaddr_top.get() == 0xfffe0000);
    CHECK(old.region("fixmap")->end.get() == 0xfffe0000);
}

TEST_CASE("arm: splits", "[layout][arm]") {
    Machine m;
    m.mem = 1 * GiB;
    m.split = VmSplit::G3Opt;
    m.kernel = {4, 4, 0};
    Layout l = ok(m);
    // PAGE_OFFSET 0xb0000000; bound 0xf0000000 -> phys 0xf0000000 - 0xb0000000 + 0x40000000 =
    // 0x80000000 = RAM end: the whole GiB is lowmem.
    CHECK(l.page_offset.get() == 0xb0000000);
    CHECK(l.high_memory.get() == 0xf0000000);
    CHECK(l.highmem_bytes == 0);
    CHECK(l.task_size.get() == 0xaf000000);
    CHECK(l.modules_vaddr.get() == 0xaf000000);
    CHECK(l.pkmap_base->get() == 0xafe00000);

    m.split = VmSplit::G1;
    m.kernel = {2, 6, 32};
    Layout g1 = ok(m);
    // 2.6.32 vexpress: VMALLOC_END 0xf8000000, vmalloc_min 0xf0000000 -> phys 0xf0000000.
    CHECK(g1.page_offset.get() == 0x40000000);
    CHECK(g1.vmalloc_end.get() == 0xf8000000);
    CHECK(g1.high_memory.get() == 0x80000000);
    CHECK(g1.vmalloc_start.get() == 0x80800000);
    CHECK(g1.max_pfn.get() == 0x80000);
    // ≤3.5 regions: consistent DMA 0xffc00000-0xffe00000, old fixmap, vector; no pci_io.
    REQUIRE(g1.regions.size() == 3);
    CHECK(g1.regions[0] == NamedRegion{"DMA", VirtAddr(0xffc00000), VirtAddr(0xffe00000)});
    CHECK(g1.regions[1] == NamedRegion{"fixmap", VirtAddr(0xfff00000), VirtAddr(0xfffe0000)});
    // 2.6.32 image, .init first at KERNEL_RAM_VADDR = 0x40000000 + 0x8000.
    CHECK(g1.image.init_begin.get() == 0x40008000);
    CHECK(g1.image.stext.get() == 0x40008000);
    CHECK(g1.image.text.get() == 0x40031000); // after head 4K + init 160K = 0x29000
    CHECK(g1.image.phys_start.get() == 0x40031000);

    m.split = VmSplit::G2;
    m.kernel = {3, 19, 0};
    // TASK_UNMAPPED_BASE = PAGE_OFFSET / 3 = 0x2aaaaaaa (before 4.0), then
    // ALIGN(0x7f000000 / 3 = 0x2a555555, 16M) = 0x2b000000.
    CHECK(arm_task_unmapped_base(ok(m), arm_rules_for(m.kernel)).get() == 0x2aaaaaaa);
    m.kernel = {4, 0, 0};
    CHECK(arm_task_unmapped_base(ok(m), arm_rules_for(m.kernel)).get() == 0x2b000000);
}

TEST_CASE("arm: thumb2 modules area", "[layout][arm]") {
    Machine m;
    m.thumb2 = true;
    Layout l = ok(m);
    CHECK(l.modules_vaddr.get() == 0xbf800000); // PAGE_OFFSET - 8M
    CHECK(l.modules_end.get() == 0xbfe00000);
    m.highmem = false;
    CHECK(ok(m).modules_end.get() == 0xc0000000);
}

TEST_CASE("arm: vmalloc= by era, with the kernel's clamps", "[layout][arm]") {
    Machine m;
    m.mem = 1 * GiB; // [0x40000000, 0x80000000)
    m.vmalloc = 512 * MiB;
    m.kernel = {3, 10, 0};
    // 3.3-5.13: vmalloc_min = 0xff000000 - 0x20000000 = 0xdf000000 (no offset).
    Layout a = ok(m);
    CHECK(a.high_memory.get() == 0xdf000000);
    CHECK(a.vmalloc_start.get() == 0xdf800000);
    m.kernel = {6, 1, 0};
    // 6.x: 0xff800000 - 0x20000000 - 8M = 0xdf000000: same bound, VMALLOC_END 0xff800000.
    Layout b = ok(m);
    CHECK(b.high_memory.get() == 0xdf000000);
    CHECK(b.vmalloc_start.get() == 0xdf800000);
    m.kernel = {5, 13, 0};
    // 5.13 (old form, VMALLOC_END 0xff800000): 0xff800000 - 0x20000000 = 0xdf800000.
    CHECK(ok(m).high_memory.get() == 0xdf800000);
    m.kernel = {5, 14, 0};
    CHECK(ok(m).high_memory.get() == 0xdf000000);

    m.kernel = {2, 6, 32};
    m.vmalloc = 256 * MiB; // 0xf8000000 - 0x10000000 = 0xe8000000
    Layout c = ok(m);
    CHECK(c.high_memory.get() == 0xe8000000);
    CHECK(c.vmalloc_start.get() == 0xe8800000);

    m.kernel = {4, 9, 0};
    m.vmalloc = 8 * MiB; // raised to 16M: 0xff800000 - 0x1000000 = 0xfe800000 -> phys 0x7e800000
    Layout d = ok(m);
    CHECK(d.high_memory.get() == 0xfe800000);
    CHECK(d.vmalloc_start.get() == 0xff000000);
    m.vmalloc = 2 * GiB; // lowered to 0xff800000 - 0xc2000000 = 0x3d800000: min 0xc2000000
    Layout e = ok(m);
    CHECK(e.high_memory.get() == 0xc2000000);
    CHECK(e.lowmem_bytes == 32 * MiB);
    m.kernel = {6, 1, 0}; // max 0xff800000 - 0xc2800000 = 0x3d000000; min 0xc2000000 again
    CHECK(ok(m).high_memory.get() == 0xc2000000);

    m.kernel = {3, 10, 0};
    m.vmalloc = 0x10100000; // 0xff000000 - 0x10100000 = 0xeef00000, not page-rounded
    Layout f = ok(m);
    CHECK(f.high_memory.get() == 0xeef00000);
    CHECK(f.vmalloc_start.get() == 0xef000000); // align_down(0xef700000, 8M)
    CHECK(f.max_low_pfn.get() == 0x6ef00);
}

TEST_CASE("arm: phys_offset 0, 0x40000000, 0x80000000", "[layout][arm]") {
    Machine m;
    m.mem = 512 * MiB;
    m.kernel = {3, 19, 0};
    for (u64 po : {u64{0}, u64{0x40000000}, u64{0x80000000}}) {
        m.phys_offset = po;
        Layout l = ok(m);
        // bound phys = 0xef800000 - 0xc0000000 + po = po + 0x2f800000, above RAM end po + 512M.
        CHECK(l.high_memory.get() == 0xe0000000);
        CHECK(l.vmalloc_start.get() == 0xe0800000);
        CHECK(l.min_low_pfn.get() == po >> 12);
        CHECK(l.max_pfn.get() == (po + 512 * MiB) >> 12);
        CHECK(l.image.phys_start.get() == po + 0x8000);
        CHECK(l.pa(l.high_memory).get() == po + 512 * MiB);
    }
}

TEST_CASE("arm: era boundaries", "[layout][arm]") {
    Machine m;
    m.mem = 1 * GiB;
    // 2.6.24: no lowmem bound, no highmem; a 256 MiB machine maps everything.
    m.mem = 256 * MiB;
    m.kernel = {2, 6, 24};
    Layout a = ok(m);
    CHECK(a.high_memory.get() == 0xd0000000);
    CHECK_FALSE(a.pkmap_base);
    CHECK(a.modules_end.get() == 0xc0000000);
    // 2.6.28: vmalloc_min 0xf8000000 - 128M = 0xf0000000, no HIGHMEM: 1 GiB is truncated.
    m.mem = 1 * GiB;
    m.kernel = {2, 6, 28};
    Layout b = ok(m);
    CHECK(b.max_pfn.get() == 0x70000);
    CHECK(b.highmem_bytes == 0);
    CHECK_FALSE(b.pkmap_base);
    m.kernel = {2, 6, 29};
    Layout c = ok(m);
    CHECK(c.max_pfn.get() == 0x80000);
    CHECK(c.highmem_bytes == 256 * MiB);
    CHECK(c.pkmap_base->get() == 0xbfe00000);
    // 3.2 -> 3.3: VMALLOC_END 0xf8000000 -> 0xff000000, 128M -> 248M below it.
    m.kernel = {3, 2, 0};
    CHECK(ok(m).vmalloc_end.get() == 0xf8000000);
    CHECK(ok(m).high_memory.get() == 0xf0000000);
    m.kernel = {3, 3, 0};
    CHECK(ok(m).vmalloc_end.get() == 0xff000000);
    CHECK(ok(m).high_memory.get() == 0xef800000);
    // 3.5 -> 3.6: consistent DMA region gone; 3.6 -> 3.7: PCI I/O window appears.
    m.kernel = {3, 5, 0};
    CHECK(ok(m).region("DMA") != nullptr);
    m.kernel = {3, 6, 0};
    CHECK(ok(m).region("DMA") == nullptr);
    CHECK(ok(m).region("pci_io") == nullptr);
    m.kernel = {3, 7, 0};
    CHECK(ok(m).region("pci_io") != nullptr);
    // 4.2 -> 4.4: VMALLOC_END 0xff800000.
    m.kernel = {4, 2, 0};
    CHECK(ok(m).vmalloc_end.get() == 0xff000000);
    m.kernel = {4, 4, 0};
    CHECK(ok(m).vmalloc_end.get() == 0xff800000);
    // 5.9 -> 5.10: fdt fixed mapping.
    m.kernel = {5, 9, 0};
    CHECK(ok(m).region("fdt") == nullptr);
    m.kernel = {5, 10, 0};
    CHECK(ok(m).region("fdt") != nullptr);
}

TEST_CASE("arm: rules record the printout eras", "[layout][arm]") {
    CHECK_FALSE(arm_rules_for({2, 6, 36}).prints_layout_block);
    CHECK(arm_rules_for({2, 6, 37}).prints_layout_block);
    CHECK(arm_rules_for({5, 0, 0}).prints_layout_block);
    CHECK_FALSE(arm_rules_for({5, 1, 0}).prints_layout_block);
    CHECK(arm_rules_for({3, 2, 0}).layout_block == ArmLayoutBlock::Dma);
    CHECK(arm_rules_for({3, 3, 0}).layout_block == ArmLayoutBlock::Sections);
    CHECK(arm_rules_for({4, 14, 0}).layout_block == ArmLayoutBlock::Sections);
    CHECK(arm_rules_for({4, 15, 0}).layout_block == ArmLayoutBlock::Ptrval);
    CHECK(arm_rules_for({6, 13, 0}).layout_block == ArmLayoutBlock::Ptrval);
}

TEST_CASE("arm: render, reference synthetic block (E.3)", "[layout][arm][render]") {
    Machine m;
    m.phys_offset = 0x80000000;
    m.mem = 1 * GiB;
    m.kernel = {4, 9, 0};
    // 4.4 image row: _text 0xc0008000, _etext 0xc0008000 + 4K + 10240K = 0xc0a09000 (10244 kB),
    // init 1024K to 0xc0b09000, data 640K to 0xc0ba9000, bss 1280K to 0xc0ce9000.
    CHECK(render(m) == "Virtual kernel memory layout:\n"
                       "    vector  : 0xffff0000 - 0xffff1000   (   4 kB)\n"
                       "    fixmap  : 0xffc00000 - 0xfff00000   (3072 kB)\n"
                       "    vmalloc : 0xf0800000 - 0xff800000   ( 240 MB)\n"
                       "    lowmem  : 0xc0000000 - 0xf0000000   ( 768 MB)\n"
                       "    pkmap   : 0xbfe00000 - 0xc0000000   (   2 MB)\n"
                       "    modules : 0xbf000000 - 0xbfe00000   (  14 MB)\n"
                       "      .text : 0xc0008000 - 0xc0a09000   (10244 kB)\n"
                       "      .init : 0xc0a09000 - 0xc0b09000   (1024 kB)\n"
                       "      .data : 0xc0b09000 - 0xc0ba9000   ( 640 kB)\n"
                       "       .bss : 0xc0ba9000 - 0xc0ce9000   (1280 kB)\n");
}

TEST_CASE("arm: render, 4.15+ (ptrval) and after removal", "[layout][arm][render]") {
    Machine m;
    m.phys_offset = 0x80000000;
    m.mem = 1 * GiB;
    m.kernel = {4, 15, 0};
    // 4.15 row: text 4K + 12288K = 12292 kB, init 1024, data 768, bss 1344.
    const std::string tail = "      .text : 0x(ptrval) - 0x(ptrval)   (12292 kB)\n"
                             "      .init : 0x(ptrval) - 0x(ptrval)   (1024 kB)\n"
                             "      .data : 0x(ptrval) - 0x(ptrval)   ( 768 kB)\n"
                             "       .bss : 0x(ptrval) - 0x(ptrval)   (1344 kB)\n";
    std::string out = render(m);
    CHECK(out.substr(out.size() - tail.size()) == tail);
    // 5.4 does not print the block; it renders in the 5.0 (ptrval) form. 5.4 row: 13316 kB text.
    m.kernel = {5, 4, 0};
    out = render(m);
    CHECK(out.find("      .text : 0x(ptrval) - 0x(ptrval)   (13316 kB)\n") != std::string::npos);
    CHECK(out.find("    vmalloc : 0xf0800000 - 0xff800000   ( 240 MB)\n") != std::string::npos);
}

TEST_CASE("arm: render, 2.6.37-3.2 form with DMA and .init first", "[layout][arm][render]") {
    Machine m;
    m.kernel = {3, 0, 0};
    // 256 MiB at 0x40000000: high_memory 0xd0000000, vmalloc 0xd0800000-0xf8000000 = 632 MB.
    // 2.6.32 image row, .init first: 0xc0008000 + 4K + 160K = 0xc0031000 (164 kB), .text
    // 3328K to 0xc0371000, .data 320K to 0xc03c1000.
    const std::string want = "Virtual kernel memory layout:\n"
                             "    vector  : 0xffff0000 - 0xffff1000   (   4 kB)\n"
                             "    fixmap  : 0xfff00000 - 0xfffe0000   ( 896 kB)\n"
                             "    DMA     : 0xffc00000 - 0xffe00000   (   2 MB)\n"
                             "    vmalloc : 0xd0800000 - 0xf8000000   ( 632 MB)\n"
                             "    lowmem  : 0xc0000000 - 0xd0000000   ( 256 MB)\n"
                             "    pkmap   : 0xbfe00000 - 0xc0000000   (   2 MB)\n"
                             "    modules : 0xbf000000 - 0xbfe00000   (  14 MB)\n"
                             "      .init : 0xc0008000 - 0xc0031000   ( 164 kB)\n"
                             "      .text : 0xc0031000 - 0xc0371000   (3328 kB)\n"
                             "      .data : 0xc0371000 - 0xc03c1000   ( 320 kB)\n";
    CHECK(render(m) == want);
    m.kernel = {2, 6, 32}; // not printed by 2.6.32: the 2.6.37 form, same numbers here
    CHECK(render(m) == want);
    m.highmem = false; // no pkmap line, modules to PAGE_OFFSET (16 MB)
    std::string out = render(m);
    CHECK(out.find("pkmap") == std::string::npos);
    CHECK(out.find("    modules : 0xbf000000 - 0xc0000000   (  16 MB)\n") != std::string::npos);
}

TEST_CASE("arm: errors", "[layout][arm][errors]") {
    Machine m;
    m.arch = Arch::ArmLpae;
    m.split = VmSplit::G3Opt;
    CHECK(error_of(m) == "split: 3G_OPT is not allowed with arch=arm-lpae (allowed: 3G, 2G, 1G)");
    m.arch = Arch::Arm;
    m.kernel = {4, 2, 0};
    CHECK(error_of(m).find("split: 3G_OPT is not available in kernel 4.2") == 0);
    m.split = VmSplit::G2Opt;
    m.kernel = {4, 9, 0};
    CHECK(error_of(m) ==
          "split: 2G_OPT is not allowed with arch=arm (allowed: 3G, 3G_OPT, 2G, 1G)");
    m.split = VmSplit::G3;

    m.arch = Arch::ArmLpae;
    m.kernel = {3, 2, 0};
    CHECK(error_of(m).find("arch: arm-lpae is not available in kernel 3.2") == 0);
    m.arch = Arch::Arm;

    // RAM below PHYS_OFFSET (or not starting there).
    m.kernel = {5, 4, 0};
    m.ram = one_bank(0x40000000, 512 * MiB);
    m.phys_offset = 0x50000000;
    CHECK(error_of(m).find("mem: RAM must start at PHYS_OFFSET 0x50000000") == 0);
    m.ram.reset();

    // p2v alignment: 16 MiB up to 5.10, 2 MiB from 5.11.
    m.phys_offset = 0x40200000;
    CHECK(error_of(m).find("phys_offset: 0x40200000 is not allowed with kernel 5.4") == 0);
    m.kernel = {5, 11, 0};
    CHECK(ok(m).min_low_pfn.get() == 0x40200);
    m.phys_offset = 0x40000000;

    // A 6.1 image (about 20 MiB) does not fit in 16 MiB of RAM.
    m.kernel = {6, 1, 0};
    m.mem = 16 * MiB;
    CHECK(error_of(m).find("mem: the kernel image ends at physical 0x413e9000") == 0);

    // 2.6.24 has no lowmem bound: 1 GiB at 3G split would run past VMALLOC_END 0xf8000000.
    m.kernel = {2, 6, 24};
    m.mem = 1 * GiB;
    CHECK(error_of(m).find("mem: 1024 MiB of RAM does not fit below VMALLOC_END 0xf8000000") == 0);

    // No usable RAM, classic RAM wholly above 4 GiB, LPAE RAM above 40 bits.
    m.kernel = {5, 4, 0};
    m.ram = RamMap{};
    CHECK(error_of(m) == "mem: the memory map has no usable RAM");
    m.ram = one_bank(0x100000000, 1 * GiB);
    m.phys_offset = 0x40000000;
    CHECK(error_of(m) == "mem: the memory map has no usable RAM");
    m.arch = Arch::ArmLpae;
    m.ram = one_bank(0x40000000, (u64{1} << 40));
    CHECK(error_of(m).find("mem: RAM at 0x40000000-") == 0);
}
