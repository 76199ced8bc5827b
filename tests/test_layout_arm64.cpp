// arm64 layouts (reference §D), nokaslr, KASAN off, RAM from 0x40000000 (QEMU virt). Every
// expected value is worked out by hand from the kernel's formulas; the working is in the
// comments.
#include <catch2/catch.hpp>

#include "mm/kernel_profile.h"
#include "mm/layout.h"
#include "mm/machine_config.h"
#include "mm/ram_map.h"

using namespace kmemu;

namespace {

RamMap ram(u64 start, u64 end) {
    return RamMap{{RamRange{PhysAddr(start), PhysAddr(end), RamType::Usable, {}}}, {}};
}
const RamMap kRam64M = ram(0x40000000, 0x44000000);
const RamMap kRam512M = ram(0x40000000, 0x60000000);
const RamMap kRam3G = ram(0x40000000, 0x100000000);
const RamMap kRam512G = ram(0x40000000, 0x8040000000);

ErrorOr<Layout> layout(const char* kernel, unsigned page_shift, unsigned va_bits, const RamMap& r) {
    MachineConfig c;
    c.arch = Arch::Arm64;
    c.kernel = KernelVersion::parse(kernel).value();
    c.granule_shift = page_shift;
    c.va_bits = va_bits;
    auto profile = KernelProfile::for_machine(c.kernel, c.arch);
    return compute_layout(c, profile, r);
}

Layout must(const char* kernel, unsigned page_shift, unsigned va_bits, const RamMap& r = kRam3G) {
    auto l = layout(kernel, page_shift, va_bits, r);
    if (l.is_error())
        FAIL(l.error().message());
    return l.release_value();
}

std::string render(const char* kernel, unsigned page_shift, unsigned va_bits, const RamMap& r) {
    MachineConfig c;
    c.arch = Arch::Arm64;
    c.kernel = KernelVersion::parse(kernel).value();
    c.granule_shift = page_shift;
    c.va_bits = va_bits;
    auto profile = KernelProfile::for_machine(c.kernel, c.arch);
    auto l = compute_layout(c, profile, r);
    REQUIRE(l);
    return render_layout_block(*l, profile);
}

u64 rstart(const Layout& l, const char* name) {
    const auto* r = l.region(name);
    return r ? r->start.get() : 0;
}
u64 rend(const Layout& l, const char* name) {
    const auto* r = l.region(name);
    return r ? r->end.get() : 0;
}

using Z = std::vector<std::tuple<ZoneType, u64, u64>>;
Z zones(const Layout& l) {
    Z z;
    for (const auto& s : l.zones)
        z.emplace_back(s.type, s.start.get(), s.end.get());
    return z;
}

struct Row {
    const char* kernel;
    unsigned ps, va;
    u64 page_offset, modules, vmalloc_start, vmalloc_end, vmemmap, pci_io, fixaddr_top;
};

} // namespace

TEST_CASE("arm64: the computed-values table of reference D.2", "[layout][arm64]") {
    // The table verbatim (KASAN off). 4.6-5.3 rows are checked on 4.9, 5.4 rows on 5.4.
    // The 5.4 52/64K row is not reachable: va_bits=52 is not an allowed config word.
    const Row rows[] = {
        {"4.9", 12, 39, 0xffffffc000000000, 0xffffff8000000000, 0xffffff8008000000,
         0xffffffbebfff0000, 0xffffffbf00000000, 0xffffffbefee00000, 0xffffffbefec00000},
        {"4.9", 12, 48, 0xffff800000000000, 0xffff000000000000, 0xffff000008000000,
         0xffff7dffbfff0000, 0xffff7e0000000000, 0xffff7dfffee00000, 0xffff7dfffec00000},
        // The table gives vmalloc end 0xfffffdff7fff0000 for 42/64K, i.e. without the
        // PUD_SIZE guard; with 2 levels PUD folds to PGDIR_SIZE = 2^29, so VMALLOC_END =
        // 0xfffffe0000000000 - 0x20000000 - 0x80000000 - 0x10000 = 0xfffffdff5fff0000 (the
        // table's value would overlap PCI I/O at 0xfffffdff7ee00000..0xfffffdff7fe00000).
        {"4.9", 16, 42, 0xfffffe0000000000, 0xfffffc0000000000, 0xfffffc0008000000,
         0xfffffdff5fff0000, 0xfffffdff80000000, 0xfffffdff7ee00000, 0xfffffdff7ec00000},
        {"5.4", 12, 39, 0xffffff8000000000, 0xffffffc008000000, 0xffffffc010000000,
         0xfffffffebfff0000, 0xfffffffeffe00000, 0xfffffffefec00000, 0xfffffffefea00000},
        {"5.4", 12, 48, 0xffff000000000000, 0xffff800008000000, 0xffff800010000000,
         0xfffffdffbfff0000, 0xfffffdffffe00000, 0xfffffdfffec00000, 0xfffffdfffea00000},
        {"6.1", 12, 39, 0xffffff8000000000, 0xffffffc000000000, 0xffffffc008000000,
         0xfffffffdf0000000, 0xfffffffe00000000, 0xfffffffdfe800000, 0xfffffffdfe000000},
        {"6.1", 12, 48, 0xffff000000000000, 0xffff800000000000, 0xffff800008000000,
         0xfffffbfff0000000, 0xfffffc0000000000, 0xfffffbfffe800000, 0xfffffbfffe000000},
        {"6.13", 12, 48, 0xffff000000000000, 0xffff800000000000, 0xffff800080000000,
         0xfffffdffbf800000, 0xfffffdffc0000000, 0xffffffffc0800000, 0xffffffffff800000},
    };
    for (const auto& row : rows) {
        INFO("kernel " << row.kernel << " page_shift " << row.ps << " va " << row.va);
        Layout l = must(row.kernel, row.ps, row.va);
        CHECK(l.page_offset.get() == row.page_offset);
        CHECK(l.modules_vaddr.get() == row.modules);
        CHECK(l.vmalloc_start.get() == row.vmalloc_start);
        CHECK(l.vmalloc_end.get() == row.vmalloc_end);
        CHECK(rstart(l, "vmemmap") == row.vmemmap);
        CHECK(rstart(l, "pci_io") == row.pci_io);
        CHECK(rend(l, "pci_io") == row.pci_io + 16 * MiB);
        CHECK(l.fixaddr_top.get() == row.fixaddr_top);
    }
    // Table notes: 4.6-5.3 modules are 128M; 5.4 BPF at PAGE_END 0xffffffc000000000 (39-bit);
    // 6.1 48-bit vmemmap is 2 TiB; 6.13 modules are 2 GiB and vmemmap ends at -1 GiB.
    CHECK(must("4.9", 12, 39).modules_end.get() == 0xffffff8008000000);
    CHECK(rstart(must("5.4", 12, 39), "bpf_jit") == 0xffffffc000000000);
    CHECK(rend(must("6.1", 12, 48), "vmemmap") - 0xfffffc0000000000 == 2 * TiB);
    CHECK(must("6.13", 12, 48).modules_end.get() == 0xffff800080000000);
    CHECK(rend(must("6.13", 12, 48), "vmemmap") == 0xffffffffc0000000);
}

TEST_CASE("arm64 6.13, every granule and VA size, 3G RAM: every field", "[layout][arm64]") {
    struct Expect {
        unsigned ps, va;
        u64 page_offset, page_end, vmemmap_start, vmalloc_end, fixaddr_start;
        u64 min_pfn, max_pfn, task_size;
    };
    // RAM [1G, 4G): memstart 0x40000000 (1 GiB / 512 MiB aligned); high_memory = PO + 3G.
    // PAGE_OFFSET = -2^VA, PAGE_END = -2^(VA-1); modules [PAGE_END, +2G); VMEMMAP_SIZE =
    // ((PAGE_END - PAGE_OFFSET) >> PAGE_SHIFT) * 64; VMEMMAP_START = -1G - VMEMMAP_SIZE;
    // VMALLOC_END = VMEMMAP_START - 8M; FIXADDR_TOP = -8M; N = 5 + 4M/PAGE_SIZE slots.
    const Expect cases[] = {
        // 4K/39: vmemmap (2^38>>12)*64 = 4G -> 0xffffffffc0000000 - 0x100000000; N = 1029
        // (0x405000) -> 0xffffffffff3fb000; pfns 0x40000..0x100000.
        {12, 39, 0xffffff8000000000, 0xffffffc000000000, 0xfffffffec0000000, 0xfffffffebf800000,
         0xffffffffff3fb000, 0x40000, 0x100000, u64{1} << 39},
        // 4K/48: vmemmap 2T -> 0xfffffdffc0000000.
        {12, 48, 0xffff000000000000, 0xffff800000000000, 0xfffffdffc0000000, 0xfffffdffbf800000,
         0xffffffffff3fb000, 0x40000, 0x100000, u64{1} << 48},
        // 16K/47: vmemmap (2^46>>14)*64 = 2^38 -> 0xffffffbfc0000000; N = 5 + 256 = 261 pages of
        // 16K = 0x414000 -> 0xffffffffff3ec000; pfns 0x40000000>>14 = 0x10000 .. 0x40000.
        {14, 47, 0xffff800000000000, 0xffffc00000000000, 0xffffffbfc0000000, 0xffffffbfbf800000,
         0xffffffffff3ec000, 0x10000, 0x40000, u64{1} << 47},
        // 16K/48: vmemmap 2^39 -> 0xffffff7fc0000000.
        {14, 48, 0xffff000000000000, 0xffff800000000000, 0xffffff7fc0000000, 0xffffff7fbf800000,
         0xffffffffff3ec000, 0x10000, 0x40000, u64{1} << 48},
        // 64K/42: vmemmap (2^41>>16)*64 = 2^31 -> 0xffffffff40000000; N = 5 + 64 = 69 pages of
        // 64K = 0x450000 -> 0xffffffffff3b0000; pfns 0x4000..0x10000.
        {16, 42, 0xfffffc0000000000, 0xfffffe0000000000, 0xffffffff40000000, 0xffffffff3f800000,
         0xffffffffff3b0000, 0x4000, 0x10000, u64{1} << 42},
        // 64K/48: vmemmap 2^37 -> 0xffffffdfc0000000.
        {16, 48, 0xffff000000000000, 0xffff800000000000, 0xffffffdfc0000000, 0xffffffdfbf800000,
         0xffffffffff3b0000, 0x4000, 0x10000, u64{1} << 48},
    };
    for (const auto& e : cases) {
        INFO("page_shift " << e.ps << " va " << e.va);
        Layout l = must("6.13", e.ps, e.va);
        CHECK(l.page_shift == e.ps);
        CHECK(l.page_offset.get() == e.page_offset);
        CHECK(l.phys_offset.get() == 0x40000000);
        CHECK(l.task_size.get() == e.task_size);
        CHECK(l.high_memory.get() == e.page_offset + 0xc0000000);
        CHECK(l.min_low_pfn.get() == e.min_pfn);
        CHECK(l.max_low_pfn.get() == e.max_pfn);
        CHECK(l.max_pfn.get() == e.max_pfn);
        CHECK(l.lowmem_bytes == 0xc0000000);
        CHECK(l.modules_vaddr.get() == e.page_end);
        CHECK(l.modules_end.get() == e.page_end + 2 * GiB);
        CHECK(l.vmalloc_start.get() == e.page_end + 2 * GiB);
        CHECK(l.vmalloc_end.get() == e.vmalloc_end);
        CHECK(rstart(l, "vmemmap") == e.vmemmap_start);
        CHECK(rend(l, "vmemmap") == 0xffffffffc0000000);
        CHECK(rstart(l, "pci_io") == 0xffffffffc0800000);
        CHECK(l.fixaddr_top.get() == 0xffffffffff800000);
        CHECK(l.fixaddr_start.get() == e.fixaddr_start);
        CHECK_FALSE(l.pkmap_base.has_value());
        CHECK(l.last_pkmap == 0);
        CHECK(l.region("bpf_jit") == nullptr);
        // One ZONE_DMA up to 4 GiB = all of this RAM.
        CHECK(zones(l) == Z{{ZoneType::Dma, e.min_pfn, e.max_pfn}});
        // KIMAGE_VADDR = MODULES_END, TEXT_OFFSET 0; physical = PHYS_OFFSET.
        CHECK(l.image.text.get() == e.page_end + 2 * GiB);
        CHECK(l.image.phys_start.get() == 0x40000000);
        CHECK(rstart(l, "kimage") == e.page_end + 2 * GiB);
        CHECK(rend(l, "kimage") == l.image.end.get());
    }
}

TEST_CASE("arm64 4.9 (4.6-5.3 era): 16K/47 and 64K/48", "[layout][arm64]") {
    // 16K/47: PO = -2^46; VMEMMAP_SIZE = 2^(47-14-1+6) = 2^38; PUD folds to 2^36 (3 levels);
    // VMALLOC_END = 0xffffc00000000000 - 0x1000000000 - 0x4000000000 - 0x10000.
    Layout a = must("4.9", 14, 47);
    CHECK(a.page_offset.get() == 0xffffc00000000000);
    CHECK(a.modules_vaddr.get() == 0xffff800000000000);
    CHECK(a.vmalloc_start.get() == 0xffff800008000000);
    CHECK(a.vmalloc_end.get() == 0xffffbfafffff0000);
    CHECK(rstart(a, "vmemmap") == 0xffffbfc000000000);
    CHECK(rstart(a, "pci_io") == 0xffffbfbffee00000);
    CHECK(a.fixaddr_top.get() == 0xffffbfbffec00000);
    // N = 3 + 256 = 259 pages of 16K = 0x40c000.
    CHECK(a.fixaddr_start.get() == 0xffffbfbffe7f4000);
    CHECK(a.image.text.get() == 0xffff800008080000); // KIMAGE_VADDR + TEXT_OFFSET
    CHECK(a.image.phys_start.get() == 0x40080000);
    // 64K/48: PUD folds to 2^42; VMEMMAP_SIZE 2^37.
    Layout b = must("4.9", 16, 48);
    CHECK(b.page_offset.get() == 0xffff800000000000);
    CHECK(b.vmalloc_end.get() == 0xffff7bdfffff0000);
    CHECK(rstart(b, "vmemmap") == 0xffff7fe000000000);
    CHECK(rstart(b, "pci_io") == 0xffff7fdffee00000);
    CHECK(b.fixaddr_top.get() == 0xffff7fdffec00000);
    CHECK(b.fixaddr_start.get() == 0xffff7fdffe7d0000); // 67 pages of 64K = 0x430000
    // 4.9 ZONE_DMA = first 4 GiB window; 64K pfns 0x4000..0x10000.
    CHECK(zones(b) == Z{{ZoneType::Dma, 0x4000, 0x10000}});
}

TEST_CASE("arm64 Legacy era (3.7-4.5)", "[layout][arm64]") {
    auto e = layout("3.6", 12, 39, kRam3G);
    REQUIRE(e.is_error());
    CHECK_THAT(e.error().message(), Catch::Contains("arch=arm64") &&
                                        Catch::Contains("kernel=3.6") && Catch::Contains("3.7"));
    // 3.7 39/4K: PO = -2^38; modules 64M below it; vmalloc from -2^39 to PO - 16G - 64K;
    // vmemmap after a 64K gap, 2^27 * 64 = 8G; PCI_IOBASE = modules - 32M; FIXADDR_TOP =
    // modules - 2M - 4K; 2 fixmap slots.
    Layout a = must("3.7", 12, 39);
    CHECK(a.page_offset.get() == 0xffffffc000000000);
    CHECK(a.task_size.get() == 0x8000000000);
    CHECK(a.modules_vaddr.get() == 0xffffffbffc000000);
    CHECK(a.modules_end.get() == 0xffffffc000000000);
    CHECK(a.vmalloc_start.get() == 0xffffff8000000000);
    CHECK(a.vmalloc_end.get() == 0xffffffbbffff0000);
    CHECK(rstart(a, "vmemmap") == 0xffffffbc00000000);
    CHECK(rend(a, "vmemmap") == 0xffffffbe00000000);
    CHECK(rstart(a, "pci_io") == 0xffffffbffa000000);
    CHECK(a.fixaddr_top.get() == 0xffffffbffbdff000);
    CHECK(a.fixaddr_start.get() == 0xffffffbffbdfd000);
    CHECK(a.high_memory.get() == 0xffffffc0c0000000);
    // Image in the linear map at PAGE_OFFSET + TEXT_OFFSET.
    CHECK(a.image.text.get() == 0xffffffc000080000);
    CHECK(a.image.phys_start.get() == 0x40080000);
    CHECK(rstart(a, "kimage") == 0xffffffc000080000);
    // 3.7-3.14: ZONE_DMA32 below 4 GiB physical.
    CHECK(zones(a) == Z{{ZoneType::Dma32, 0x40000, 0x100000}});
    // 48-bit VA only from 3.17.
    auto f = layout("3.16", 12, 48, kRam3G);
    REQUIRE(f.is_error());
    CHECK_THAT(f.error().message(), Catch::Contains("va_bits: 48") && Catch::Contains("3.17"));

    // 3.16 -> 3.17: VMEMMAP_SIZE = align(8G, 1G); VMALLOC_END = PO - 1G - 8G - 64K.
    CHECK(must("3.16", 12, 39).vmalloc_end.get() == 0xffffffbbffff0000);
    Layout b = must("3.17", 12, 39);
    CHECK(b.vmalloc_end.get() == 0xffffffbdbfff0000);
    CHECK(rstart(b, "vmemmap") == 0xffffffbdc0000000);
    CHECK(rend(b, "vmemmap") == 0xffffffbfc0000000);
    CHECK(must("3.17", 12, 48).page_offset.get() == 0xffff800000000000);

    // 3.14 -> 3.15: ZONE_DMA32 -> ZONE_DMA (first 4G window of DRAM).
    CHECK(zones(must("3.14", 12, 39)) == Z{{ZoneType::Dma32, 0x40000, 0x100000}});
    CHECK(zones(must("3.15", 12, 39)) == Z{{ZoneType::Dma, 0x40000, 0x100000}});
    // 512G of RAM on 39-bit: the linear map reaches memstart + 2^38 = 0x4040000000.
    Layout big = must("3.15", 12, 39, kRam512G);
    CHECK(big.max_pfn.get() == 0x4040000);
    CHECK(big.high_memory.get() == 0); // PO + 2^38 wraps to 2^64
    CHECK(zones(big) ==
          Z{{ZoneType::Dma, 0x40000, 0x100000}, {ZoneType::Normal, 0x100000, 0x4040000}});

    // 3.19 -> 4.0 (48/4K): PCI_IO_END = modules - 2M, FIXADDR_TOP = PCI_IO_START - 2M.
    Layout c = must("3.19", 12, 48);
    CHECK(c.modules_vaddr.get() == 0xffff7ffffc000000);
    CHECK(rstart(c, "pci_io") == 0xffff7ffffa000000);
    CHECK(c.fixaddr_top.get() == 0xffff7ffffbdff000);
    Layout d = must("4.0", 12, 48);
    CHECK(rstart(d, "pci_io") == 0xffff7ffffae00000);
    CHECK(rend(d, "pci_io") == 0xffff7ffffbe00000);
    CHECK(d.fixaddr_top.get() == 0xffff7ffffac00000);
    CHECK(d.fixaddr_start.get() == 0xffff7ffffabfe000);
    // 4.1 -> 4.2: FIX_FDT joins (3 + 1024 slots = 0x403000).
    CHECK(must("4.1", 12, 48).fixaddr_start.get() == 0xffff7ffffabfe000);
    CHECK(must("4.2", 12, 48).fixaddr_start.get() == 0xffff7ffffa7fd000);

    // 16K from 4.4: PO = -2^46; PUD 2^36; VMEMMAP_SIZE = align(2^33 * 64, 2^36) = 2^39.
    auto g = layout("4.3", 14, 47, kRam3G);
    REQUIRE(g.is_error());
    CHECK_THAT(g.error().message(), Catch::Contains("16K") && Catch::Contains("kernel=4.3"));
    Layout h = must("4.4", 14, 47);
    CHECK(h.page_offset.get() == 0xffffc00000000000);
    CHECK(h.vmalloc_end.get() == 0xffffbf6fffff0000);
    CHECK(rstart(h, "vmemmap") == 0xffffbf7000000000);
    CHECK(rend(h, "vmemmap") == 0xffffbff000000000);
}

TEST_CASE("arm64 era boundaries 4.5 .. 6.9", "[layout][arm64]") {
    // 4.5 -> 4.6: image moves to the base of vmalloc; memstart aligned to 1G.
    const RamMap odd = ram(0x40200000, 0x60000000);
    Layout a = must("4.5", 12, 48, odd);
    CHECK(a.modules_vaddr.get() == 0xffff7ffffc000000);
    CHECK(a.phys_offset.get() == 0x40200000); // 2 MiB alignment
    CHECK(a.image.text.get() == 0xffff800000080000);
    CHECK(a.high_memory.get() == 0xffff80001fe00000); // PO + 0x60000000 - 0x40200000
    Layout b = must("4.6", 12, 48, odd);
    CHECK(b.modules_vaddr.get() == 0xffff000000000000);
    CHECK(b.phys_offset.get() == 0x40000000);
    CHECK(b.min_low_pfn.get() == 0x40200);
    CHECK(b.high_memory.get() == 0xffff800020000000);
    CHECK(b.image.text.get() == 0xffff000008080000);
    CHECK(b.image.phys_start.get() == 0x40080000);

    // 4.15 -> 4.16: KPTI trampoline slots (1027 -> 1029 = 0x405000).
    CHECK(must("4.15", 12, 48).fixaddr_start.get() == 0xffff7dfffe7fd000);
    CHECK(must("4.16", 12, 48).fixaddr_start.get() == 0xffff7dfffe7fb000);

    // 4.20 -> 5.0: BPF JIT region below the modules; ZONE_DMA renamed ZONE_DMA32.
    Layout c = must("4.20", 12, 48);
    CHECK(c.region("bpf_jit") == nullptr);
    CHECK(zones(c) == Z{{ZoneType::Dma, 0x40000, 0x100000}});
    Layout d = must("5.0", 12, 48);
    CHECK(rstart(d, "bpf_jit") == 0xffff000000000000);
    CHECK(rend(d, "bpf_jit") == 0xffff000008000000);
    CHECK(d.modules_vaddr.get() == 0xffff000008000000);
    CHECK(d.vmalloc_start.get() == 0xffff000010000000);
    CHECK(d.image.text.get() == 0xffff000010080000);
    CHECK(zones(d) == Z{{ZoneType::Dma32, 0x40000, 0x100000}});

    // 5.3 -> 5.4: the flip.
    CHECK(must("5.3", 12, 48).page_offset.get() == 0xffff800000000000);
    Layout e = must("5.4", 12, 48);
    CHECK(e.page_offset.get() == 0xffff000000000000);
    CHECK(e.high_memory.get() == 0xffff0000c0000000);
    CHECK(e.image.text.get() == 0xffff800010080000);

    // 5.4 -> 5.5: ZONE_DMA (30 bits: [1G, 2G)) + ZONE_DMA32 (to 4G).
    CHECK(zones(must("5.4", 12, 48)) == Z{{ZoneType::Dma32, 0x40000, 0x100000}});
    CHECK(zones(must("5.5", 12, 48)) ==
          Z{{ZoneType::Dma, 0x40000, 0x80000}, {ZoneType::Dma32, 0x80000, 0x100000}});

    // 5.7 -> 5.8: TEXT_OFFSET gone.
    CHECK(must("5.7", 12, 48).image.text.get() == 0xffff800010080000);
    Layout f = must("5.8", 12, 48);
    CHECK(f.image.text.get() == 0xffff800010000000);
    CHECK(f.image.phys_start.get() == 0x40000000);

    // 5.10 -> 5.11: vmemmap a projection of the linear map: -2^(48-6) = 0xfffffc0000000000;
    // VMALLOC_END -256M, PCI_IO_END -8M, FIXADDR_TOP -32M; ZONE_DMA to 4G, DMA32 empty.
    Layout g = must("5.10", 12, 48);
    CHECK(rstart(g, "vmemmap") == 0xfffffdffffe00000);
    CHECK(zones(g) == Z{{ZoneType::Dma, 0x40000, 0x80000}, {ZoneType::Dma32, 0x80000, 0x100000}});
    Layout h = must("5.11", 12, 48);
    CHECK(rstart(h, "vmemmap") == 0xfffffc0000000000);
    CHECK(h.vmalloc_end.get() == 0xfffffbfff0000000);
    CHECK(rstart(h, "pci_io") == 0xfffffbfffe800000);
    CHECK(h.fixaddr_top.get() == 0xfffffbfffe000000);
    CHECK(h.modules_vaddr.get() == 0xffff800008000000); // BPF still there
    CHECK(zones(h) == Z{{ZoneType::Dma, 0x40000, 0x100000}});

    // 5.14 -> 5.15: max_zone_phys() ignores DMA offsets; RAM at [4G, 12G): the old window
    // formula ends ZONE_DMA at 8G, the new one puts everything in ZONE_DMA.
    const RamMap high = ram(0x100000000, 0x300000000);
    CHECK(zones(must("5.14", 12, 48, high)) ==
          Z{{ZoneType::Dma, 0x100000, 0x200000}, {ZoneType::Normal, 0x200000, 0x300000}});
    CHECK(zones(must("5.15", 12, 48, high)) == Z{{ZoneType::Dma, 0x100000, 0x300000}});

    // 5.16 -> 5.17: BPF region gone, modules at PAGE_END.
    CHECK(must("5.16", 12, 48).modules_vaddr.get() == 0xffff800008000000);
    Layout i = must("5.17", 12, 48);
    CHECK(i.region("bpf_jit") == nullptr);
    CHECK(i.modules_vaddr.get() == 0xffff800000000000);
    CHECK(i.image.text.get() == 0xffff800008000000);

    // 6.4 -> 6.5: modules 2 GiB.
    CHECK(must("6.4", 12, 48).vmalloc_start.get() == 0xffff800008000000);
    Layout j = must("6.5", 12, 48);
    CHECK(j.vmalloc_start.get() == 0xffff800080000000);
    CHECK(j.image.text.get() == 0xffff800080000000);

    // 6.8 -> 6.9: VA reorganisation.
    CHECK(rstart(must("6.8", 12, 48), "vmemmap") == 0xfffffc0000000000);
    CHECK(rstart(must("6.9", 12, 48), "vmemmap") == 0xfffffdffc0000000);
}

TEST_CASE("arm64 RAM sizes: 64M, 3G, 512G", "[layout][arm64]") {
    Layout a = must("6.13", 12, 48, kRam64M);
    CHECK(a.max_pfn.get() == 0x44000);
    CHECK(a.high_memory.get() == 0xffff000004000000);
    CHECK(zones(a) == Z{{ZoneType::Dma, 0x40000, 0x44000}});
    // 512G on 48-bit: everything mapped; DMA to 4G, Normal above.
    Layout b = must("6.13", 12, 48, kRam512G);
    CHECK(b.max_pfn.get() == 0x8040000);
    CHECK(b.high_memory.get() == 0xffff008000000000);
    CHECK(zones(b) ==
          Z{{ZoneType::Dma, 0x40000, 0x100000}, {ZoneType::Normal, 0x100000, 0x8040000}});
    // 512G on 39-bit: the linear map is 2^38, RAM above memstart + 2^38 is dropped.
    Layout c = must("6.13", 12, 39, kRam512G);
    CHECK(c.max_pfn.get() == 0x4040000);
    CHECK(c.high_memory.get() == 0xffffffc000000000);
    // 64K granule, 64M RAM: pfns 0x4000..0x4400.
    Layout d = must("6.1", 16, 42, kRam64M);
    CHECK(zones(d) == Z{{ZoneType::Dma, 0x4000, 0x4400}});
    CHECK(d.high_memory.get() == 0xfffffc0004000000);
}

TEST_CASE("arm64 errors", "[layout][arm64]") {
    auto a = layout("6.1", 12, 47, kRam3G);
    REQUIRE(a.is_error());
    CHECK_THAT(a.error().message(), Catch::Contains("va_bits: 47") && Catch::Contains("4K"));
    auto b = layout("6.1", 12, 48, RamMap{});
    REQUIRE(b.is_error());
    CHECK_THAT(b.error().message(), Catch::Contains("no usable RAM"));
}

TEST_CASE("arm64 rendered block, 3.17 39/4K 512M (3.19 order)", "[layout][arm64][render]") {
    // vmalloc (0xffffffbdbfff0000 - 0xffffff8000000000) >> 30 = 246; vmemmap actual from
    // vmemmap + 0x40000*64 to vmemmap + 0x60000*64 (no PHYS_OFFSET bias before 4.6); image at
    // PO + 0x80000: .text 0x640000 = 6400 KB, .init 0x60000 = 384 KB, .data 0xb0000 = 704 KB.
    CHECK(render("3.17", 12, 39, kRam512M) ==
          "Virtual kernel memory layout:\n"
          "    vmalloc : 0xffffff8000000000 - 0xffffffbdbfff0000   (   246 GB)\n"
          "    vmemmap : 0xffffffbdc0000000 - 0xffffffbfc0000000   (     8 GB maximum)\n"
          "              0xffffffbdc1000000 - 0xffffffbdc1800000   (     8 MB actual)\n"
          "    fixed   : 0xffffffbffbdfd000 - 0xffffffbffbdff000   (     8 KB)\n"
          "    PCI I/O : 0xffffffbffa000000 - 0xffffffbffb000000   (    16 MB)\n"
          "    modules : 0xffffffbffc000000 - 0xffffffc000000000   (    64 MB)\n"
          "    memory  : 0xffffffc000000000 - 0xffffffc020000000   (   512 MB)\n"
          "      .init : 0xffffffc0008c0000 - 0xffffffc000920000   (   384 KB)\n"
          "      .text : 0xffffffc000080000 - 0xffffffc0006c0000   (  6400 KB)\n"
          "      .data : 0xffffffc000920000 - 0xffffffc0009d0000   (   704 KB)\n");
}

namespace {
// 4.9 48/4K 512M. vmalloc 0x7dffb7ff0000 >> 30 = 129022 GB; sections from _text
// 0xffff000008080000: .text 0xa10000 = 10304 KB, .rodata 0x4a0000 = 4736, .init 0x190000 =
// 1600, .data 0x170000 = 1472, .bss 0xe0000 = 896; fixed 1027 pages = 4108 KB; vmemmap 2^41
// = 2048 GB; actual from VMEMMAP_START (DRAM start = memstart) for 0x20000 pages * 64 = 8 MB.
// clang-format off
constexpr const char* kBlock49Head =
    "Virtual kernel memory layout:\n"
    "    modules : 0xffff000000000000 - 0xffff000008000000   (   128 MB)\n"
    "    vmalloc : 0xffff000008000000 - 0xffff7dffbfff0000   (129022 GB)\n";
// clang-format on
constexpr const char* kBlock49Tail =
    "    fixed   : 0xffff7dfffe7fd000 - 0xffff7dfffec00000   (  4108 KB)\n"
    "    PCI I/O : 0xffff7dfffee00000 - 0xffff7dffffe00000   (    16 MB)\n"
    "    vmemmap : 0xffff7e0000000000 - 0xffff800000000000   (  2048 GB maximum)\n"
    "              0xffff7e0000000000 - 0xffff7e0000800000   (     8 MB actual)\n"
    "    memory  : 0xffff800000000000 - 0xffff800020000000   (   512 MB)\n";
} // namespace

TEST_CASE("arm64 rendered block, 4.9 48/4K 512M (4.9 order)", "[layout][arm64][render]") {
    CHECK(render("4.9", 12, 48, kRam512M) ==
          std::string(kBlock49Head) +
              "      .text : 0xffff000008080000 - 0xffff000008a90000   ( 10304 KB)\n"
              "    .rodata : 0xffff000008a90000 - 0xffff000008f30000   (  4736 KB)\n"
              "      .init : 0xffff000008f30000 - 0xffff0000090c0000   (  1600 KB)\n"
              "      .data : 0xffff0000090c0000 - 0xffff000009230000   (  1472 KB)\n"
              "       .bss : 0xffff000009230000 - 0xffff000009310000   (   896 KB)\n" +
              kBlock49Tail);
}

TEST_CASE("arm64 rendered block, 4.15 prints (ptrval); 4.16+ keeps the last format",
          "[layout][arm64][render]") {
    // 4.15: same layout as 4.9 here (same era and fixmap slots); %p is hashed early.
    CHECK(render("4.15", 12, 48, kRam512M) ==
          std::string(kBlock49Head) +
              "      .text : 0x(ptrval) - 0x(ptrval)   ( 10304 KB)\n"
              "    .rodata : 0x(ptrval) - 0x(ptrval)   (  4736 KB)\n"
              "      .init : 0x(ptrval) - 0x(ptrval)   (  1600 KB)\n"
              "      .data : 0x(ptrval) - 0x(ptrval)   (  1472 KB)\n"
              "       .bss : 0x(ptrval) - 0x(ptrval)   (   896 KB)\n" +
              kBlock49Tail);
    // 6.13 48/4K 512M: modules [0xffff800000000000, +2G) = 2048 MB; memory from __va(1G).
    std::string b = render("6.13", 12, 48, kRam512M);
    CHECK(b.rfind("Virtual kernel memory layout:\n"
                  "    modules : 0xffff800000000000 - 0xffff800080000000   (  2048 MB)\n",
                  0) == 0);
    CHECK(b.find("    memory  : 0xffff000000000000 - 0xffff000020000000   (   512 MB)\n") !=
          std::string::npos);
}

TEST_CASE("arm64 print order and image size eras", "[layout][arm64][render]") {
    // 4.5 still prints the 3.19 order (vmalloc first), 4.6 the 4.9 order (modules first).
    CHECK(
        render("4.5", 12, 48, kRam512M).rfind("Virtual kernel memory layout:\n    vmalloc : ", 0) ==
        0);
    CHECK(
        render("4.6", 12, 48, kRam512M).rfind("Virtual kernel memory layout:\n    modules : ", 0) ==
        0);
    // Image sizes: 6.0 text 0xfd0000, 6.1 text 0x1370000 (both from KIMAGE_VADDR
    // 0xffff800008000000, TEXT_OFFSET 0).
    CHECK(must("6.0", 12, 48).image.etext.get() == 0xffff800008fd0000);
    CHECK(must("6.1", 12, 48).image.etext.get() == 0xffff800009370000);
    // 5.3 (4.6-5.3 sizes) vs 5.4: _text 0xffff000010080000 + 0xa10000 / 0xffff800010080000 +
    // 0xfd0000.
    CHECK(must("5.3", 12, 48).image.etext.get() == 0xffff000010a90000);
    CHECK(must("5.4", 12, 48).image.etext.get() == 0xffff800011050000);
}
