// init_mm's page tables on booted machines: entries read back from the machine's frames and
// walked with paging::walk, against values worked out by hand from the kernel's bits.
#include <catch2/catch.hpp>

#include "emu/machine.h"

using namespace kmemu;

namespace {
std::unique_ptr<Machine> boot(std::initializer_list<const char*> words) {
    std::vector<std::string> w(words.begin(), words.end());
    auto config = parse_config_words(w);
    REQUIRE(config);
    auto m = Machine::boot(config.release_value());
    if (m.is_error())
        FAIL(m.error().message());
    return m.release_value();
}
KernelMapping mapped(Machine& m, u64 va) {
    auto r = m.kernel_page_tables().lookup(VirtAddr(va));
    REQUIRE(r);
    if (!r.value())
        FAIL(fmt::format("{:#x} is not mapped", va));
    return *r.value();
}
bool is_mapped(Machine& m, u64 va) {
    auto r = m.kernel_page_tables().lookup(VirtAddr(va));
    REQUIRE(r);
    return r.value().has_value();
}
u64 rd64(Machine& m, PhysAddr pa) {
    auto v = m.phys_memory().read_u64(pa);
    REQUIRE(v.ok());
    return v.value;
}
u32 rd32(Machine& m, PhysAddr pa) {
    auto v = m.phys_memory().read_u32(pa);
    REQUIRE(v.ok());
    return v.value;
}
// Depth the inspection walk reached (levels visited) at va.
unsigned walk_depth(Machine& m, u64 va) {
    auto r = m.kernel_page_tables().walk(VirtAddr(va));
    REQUIRE(r);
    return r.value().depth;
}
} // namespace

TEST_CASE("kernel pgtable: i386 2-level direct map with 4 MiB pages", "[kpgtable]") {
    auto m = boot({"arch=i386", "mem=512M", "kernel=6.1"});
    auto& k = m->kernel_page_tables();
    const Layout& l = m->layout();
    // swapper_pg_dir is the first page of .bss: __bss_start 0xc1def000 (page aligned).
    CHECK(k.swapper_pg_dir() == l.image.bss_start.align_up(4096));
    CHECK(k.root_pa() == l.image.pa(k.swapper_pg_dir()));
    CHECK(k.mmu().root == k.root_pa());
    // The first 4 MiB use 4K pages (no large page over the fixed MTRRs): PDE 0x300 points at a
    // PTE table with _PAGE_TABLE (0x67); PTE 0 maps phys 0 with PAGE_KERNEL = 0x163.
    const u32 pde0 = rd32(*m, k.root_pa().offset(0x300 * 4));
    CHECK((pde0 & 0xfff) == 0x067);
    CHECK(rd32(*m, PhysAddr(pde0 & 0xfffff000u)) == 0x00000163);
    auto first = mapped(*m, 0xc0000000);
    CHECK(first.pa == PhysAddr(0));
    CHECK(first.page_size == 4096);
    // PDE 0x301 (0xc0400000): P|RW|A|D|PS|G = 0x1e3 with PA 0x400000, no NX bit on 2-level.
    CHECK(rd32(*m, k.root_pa().offset(0x301 * 4)) == 0x004001e3);
    // high_memory - 1 = 0xdfffffff is in the 4 MiB page at phys 0x1fc00000.
    auto top = mapped(*m, 0xdffff000);
    CHECK(top.pa == PhysAddr(0x1ffff000));
    CHECK(top.page_size == 4 * MiB);
    CHECK(top.leaf_raw == 0x1fc001e3);
    // Kernel text (0xc1000000, _text) is in an exec large page; the kernel can write it too.
    auto text = mapped(*m, 0xc1000000);
    CHECK(text.pa == PhysAddr(0x1000000));
    CHECK(text.permissions.kernel_exec);
    CHECK_FALSE(text.permissions.user_read);
    CHECK_FALSE(is_mapped(*m, l.vmalloc_start.get()));
    // The fixmap's PTE tables exist: the walk of FIXADDR_TOP reaches the PTE level.
    CHECK(walk_depth(*m, l.fixaddr_top.get()) == 2);
    // HIGHMEM default: pkmap_page_table is the PTE for PKMAP_BASE in its table.
    REQUIRE(l.pkmap_base);
    REQUIRE(k.pkmap_page_table());
    auto rec = k.walk(*l.pkmap_base);
    REQUIRE(rec);
    CHECK(rec.value().depth == 2);
    CHECK(rec.value().levels[1].entry_addr == *k.pkmap_page_table());
    // Every table frame is watched (the TLB invalidates on writes into them).
    for (Pfn f : k.table_frames())
        CHECK(m->phys_memory().is_watched(f));
    // The boot allocations are PG_reserved: 3 PTE tables at the top of lowmem (top-down,
    // 3.0+): [0,4M), the fixmap's, pkmap's.
    REQUIRE(m->boot_allocations().size() == 3);
    CHECK(m->boot_allocations()[0].start == PhysAddr(0x1ffff000));
    for (const auto& a : m->boot_allocations())
        CHECK(m->page_allocator().pfn_reserved(l.pfn_of(a.start)));
}

TEST_CASE("kernel pgtable: i386 without HIGHMEM has no pkmap table", "[kpgtable]") {
    auto m = boot({"arch=i386", "mem=512M", "kernel=6.1", "highmem=off"});
    CHECK_FALSE(m->kernel_page_tables().pkmap_page_table());
    CHECK(m->boot_allocations().size() == 2); // [0,4M) and the fixmap's PTE tables
}

TEST_CASE("kernel pgtable: i386 PAE PDPT, 2 MiB pages and NX", "[kpgtable]") {
    auto m = boot({"arch=i386-pae", "mem=512M", "kernel=6.1"});
    auto& k = m->kernel_page_tables();
    // PDPTEs 0-2 are empty (user), PDPTE 3 points at swapper_pg_pmd (the next .bss page) with
    // only P set.
    for (unsigned i = 0; i < 3; ++i)
        CHECK(rd64(*m, k.root_pa().offset(8 * i)) == 0);
    const PhysAddr pmd = k.root_pa().offset(4096);
    CHECK(rd64(*m, k.root_pa().offset(24)) == (pmd.get() | 1));
    // PMD index 1 (0xc0200000): data, 2 MiB: P|RW|A|D|PS|G|NX = 0x80000000000001e3.
    CHECK(rd64(*m, pmd.offset(8)) == 0x80000000002001e3u);
    // PMD index 8 (0xc1000000, _text): PAGE_KERNEL_LARGE_EXEC = 0x1e3.
    CHECK(rd64(*m, pmd.offset(8 * 8)) == 0x00000000010001e3u);
    auto data = mapped(*m, 0xc0200000);
    CHECK_FALSE(data.permissions.kernel_exec);
    CHECK(data.page_size == 2 * MiB);
    CHECK(mapped(*m, 0xc1000000).permissions.kernel_exec);
    // The first 2 MiB: 4K PTEs with PAGE_KERNEL (NX) = 0x8000000000000163.
    CHECK(mapped(*m, 0xc0001000).leaf_raw == 0x8000000000001163u);
}

TEST_CASE("kernel pgtable: x86_64 direct map, image mapping and the hole", "[kpgtable]") {
    auto m = boot({"arch=x86_64", "mem=4G", "kernel=6.1"});
    auto& k = m->kernel_page_tables();
    const Layout& l = m->layout();
    const u64 po = l.page_offset.get(); // 0xffff888000000000
    // Direct map PMD entries: __PAGE_KERNEL_LARGE = 0x80000000000001e3.
    CHECK(mapped(*m, po + 2 * MiB).leaf_raw == 0x80000000002001e3u);
    CHECK(mapped(*m, po + 2 * MiB).page_size == 2 * MiB);
    // [0, 2M) through 4K PTEs: PAGE_KERNEL = 0x8000000000000163.
    CHECK(mapped(*m, po).leaf_raw == 0x8000000000000163u);
    // high_memory - 1.
    auto top = mapped(*m, l.high_memory.get() - 4096);
    CHECK(top.pa == l.phys_of(Pfn(l.max_pfn.get() - 1)));
    // The PCI hole below 4 GiB is not mapped although it lies below high_memory.
    CHECK_FALSE(is_mapped(*m, po + 0xe0000000));
    CHECK_FALSE(is_mapped(*m, l.vmalloc_start.get()));
    // head_64.S links: top[511] -> level3_kernel_pgt | 0x67; level3[510] -> level2_kernel_pgt
    // | _KERNPG_TABLE 0x63; level3[511] -> level2_fixmap_pgt | 0x67.
    const u64 top511 = rd64(*m, k.root_pa().offset(511 * 8));
    CHECK((top511 & 0xfff) == 0x67);
    const PhysAddr l3(top511 & ~u64{0xfff});
    CHECK((rd64(*m, l3.offset(510 * 8)) & 0xfff) == 0x63);
    CHECK((rd64(*m, l3.offset(511 * 8)) & 0xfff) == 0x67);
    // _text at 0xffffffff81000000: after mark_rodata_ro, RO + exec 2 MiB: 0x1e1.
    auto text = mapped(*m, l.image.text.get());
    CHECK(text.leaf_raw == 0x00000000010001e1u);
    CHECK(text.permissions.kernel_exec);
    CHECK_FALSE(text.permissions.kernel_write);
    // The user half is empty.
    for (unsigned i = 0; i < 256; ++i)
        CHECK(rd64(*m, k.root_pa().offset(i * 8)) == 0);
    // The fixmap's tables (level1_fixmap_pgt) are present under FIXADDR_TOP.
    CHECK(walk_depth(*m, l.fixaddr_top.get()) == 4);
    CHECK(k.mmu().phys_bits == 40);
}

TEST_CASE("kernel pgtable: x86_64 5-level and the 3.x vsyscall page", "[kpgtable]") {
    auto m = boot({"arch=x86_64-la57", "mem=1G", "kernel=6.1"});
    auto r = m->kernel_page_tables().walk(m->layout().page_offset.offset(4 * MiB));
    REQUIRE(r);
    CHECK(r.value().ok());
    CHECK(r.value().depth == 4); // PML5E, PML4E, PDPTE, PDE (2 MiB page)
    // 4.4 emulates the vsyscall page: PAGE_KERNEL_VVAR = P|US|A|D|G|NX = 0x8000000000000165.
    auto old = boot({"arch=x86_64", "mem=1G", "kernel=4.4"});
    auto v = mapped(*old, 0xffffffffff600000u);
    CHECK((v.leaf_raw & 0xfff) == 0x165);
    CHECK((v.leaf_raw >> 63) == 1);
}

TEST_CASE("kernel pgtable: ARM classic sections and the vectors page", "[kpgtable]") {
    auto m = boot({"arch=arm", "mem=1G", "kernel=4.4"});
    auto& k = m->kernel_page_tables();
    // swapper_pg_dir at KERNEL_RAM_VADDR - 0x4000 = 0xc0004000, phys 0x40004000.
    CHECK(k.swapper_pg_dir() == VirtAddr(0xc0004000));
    CHECK(k.root_pa() == PhysAddr(0x40004000));
    // MT_MEMORY_RWX section for the text MiB: SECT|B|C|AP_WRITE|TEX(1)|S = 0x1140e.
    CHECK(rd32(*m, PhysAddr(0x40004000 + 0xc00 * 4)) == 0x4001140e);
    // The last lowmem MiB (0xeff00000): MT_MEMORY_RW adds XN: 0x1141e.
    CHECK(rd32(*m, PhysAddr(0x40004000 + 0xeff * 4)) == 0x6ff1141e);
    // memblock top-down below the lowmem limit 0x70000000: vectors (2 pages), then the
    // vectors PTE page, pkmap's, the FIXADDR_START one; swapper_pg_dir's 16 KiB reserved.
    const auto& a = m->boot_allocations();
    REQUIRE(a.size() == 5);
    CHECK(a[0].start == PhysAddr(0x40004000));
    CHECK(a[0].end == PhysAddr(0x40008000));
    CHECK(a[1].start == PhysAddr(0x6fffe000));
    CHECK(a[2].start == PhysAddr(0x6fffd000));
    const PhysAddr pte_page = a[2].start;
    // The vectors PTE: Linux PTE (index 0x1f0, offset 0x7c0) = pa | PRESENT|YOUNG|
    // MT_WRITEALLOC(0x1c)|DIRTY|RDONLY|USER|SHARED = 0x6fffe5df. Hardware entry at +2048:
    // TEX(1) 0x40 | C|B 0xc | AP0 0x10 | AP1 (user) 0x20 | APX (read-only) 0x200 | S 0x400 |
    // small page 2 = 0x6fffe67e.
    CHECK(rd32(*m, pte_page.offset(0x7c0)) == 0x6fffe5df);
    CHECK(rd32(*m, pte_page.offset(0x800 + 0x7c0)) == 0x6fffe67e);
    // L1 entry for 0xfff00000 (odd MiB: hardware table 1 at +3072), DOMAIN_VECTORS 3: 0x61.
    CHECK(rd32(*m, PhysAddr(0x40004000 + 0xfff * 4)) == ((pte_page.get() + 0xc00) | 0x61));
    auto vec = mapped(*m, 0xffff0000);
    CHECK(vec.pa == PhysAddr(0x6fffe000));
    CHECK(vec.permissions.user_read);
    CHECK_FALSE(vec.permissions.kernel_write);
    // pkmap_page_table: Linux PTE 0 of the PTE page for PKMAP_BASE (0xbfe00000).
    REQUIRE(k.pkmap_page_table());
    CHECK(*k.pkmap_page_table() == a[3].start);
    CHECK(walk_depth(*m, m->layout().fixaddr_start.get()) == 2);
    CHECK_FALSE(is_mapped(*m, m->layout().vmalloc_start.get()));
}

TEST_CASE("kernel pgtable: ARM LPAE blocks and TTBR1", "[kpgtable]") {
    auto m = boot({"arch=arm-lpae", "mem=1G", "kernel=5.10"});
    auto& k = m->kernel_page_tables();
    // swapper at KERNEL_RAM_VADDR - 0x5000; the 4 PGD entries point at the PMD pages after it
    // with table type 3 and L_PGD_SWAPPER (bit 55).
    CHECK(k.root_pa() == PhysAddr(0x40003000));
    for (unsigned i = 0; i < 4; ++i)
        CHECK(rd64(*m, PhysAddr(0x40003000 + 8 * i)) ==
              ((0x40004000u + 0x1000u * i) | 3u | (u64{1} << 55)));
    // T1SZ = (0xc0000000 >> 30) - 1 = 2; TTBR1 = the PMD page of GiB 3 (pgd + 4096 * 4).
    CHECK(k.mmu().t1sz == 2);
    CHECK(k.mmu().root_high == PhysAddr(0x40007000));
    // 2 MiB blocks: BLOCK|AttrIndx 7|SH 3|AF = 0x71d; RW data adds XN (bit 54).
    CHECK(mapped(*m, 0xc0000000).leaf_raw == 0x4000071d);
    CHECK(mapped(*m, 0xefe00000).leaf_raw == 0x004000006fe0071du);
    CHECK(mapped(*m, 0xefe00000).page_size == 2 * MiB);
}

TEST_CASE("kernel pgtable: arm64 linear map blocks, kernel segments, fixmap", "[kpgtable]") {
    struct Case {
        const char* page;
        const char* va;
        u64 block;
        unsigned levels;
    };
    for (const Case& c :
         {Case{"page=4K", "va_bits=48", 2 * MiB, 4}, Case{"page=4K", "va_bits=39", 2 * MiB, 3},
          Case{"page=16K", "va_bits=47", 32 * MiB, 3},
          Case{"page=64K", "va_bits=42", 512 * MiB, 2}}) {
        INFO(c.page << " " << c.va);
        auto m = boot({"arch=arm64", "mem=1G", "kernel=6.1", c.page, c.va});
        auto& k = m->kernel_page_tables();
        const Layout& l = m->layout();
        CHECK(k.mmu().root_high == k.root_pa());
        CHECK(k.format().level_count == c.levels);
        // The top of RAM (0x7fffffff) is in a block of the granule's size: PAGE_KERNEL with
        // bit 1 clear = 0x00e8000000000701 (AF|SH|AttrIndx 0|DBM|PXN|UXN|DIRTY).
        auto top = mapped(*m, l.high_memory.get() - l.page_size());
        CHECK(top.page_size == c.block);
        CHECK(top.leaf_raw == (0x00e8000000000701u | (0x80000000u - c.block)));
        // PAGE_OFFSET -> PHYS_OFFSET 0x40000000.
        CHECK(mapped(*m, l.page_offset.get()).pa == PhysAddr(0x40000000));
        // _text at KIMAGE_VADDR: ROX (no PTE_WRITE, PTE_RDONLY, no PXN).
        auto text = mapped(*m, l.image.text.get());
        CHECK(text.pa == l.image.phys_start);
        CHECK(text.permissions.kernel_exec);
        CHECK_FALSE(text.permissions.kernel_write);
        CHECK_FALSE(text.permissions.user_read);
        // Data is RW, never executable.
        auto data = mapped(*m, l.image.sdata.align_up(l.page_size()).get());
        CHECK(data.permissions.kernel_write);
        CHECK_FALSE(data.permissions.kernel_exec);
        // fixmap tables (bm_*) present: the walk reaches the last level.
        CHECK(walk_depth(*m, l.fixaddr_start.get()) == c.levels);
        // vmalloc beyond the image is empty; TTBR0 (reserved_pg_dir) maps nothing.
        CHECK_FALSE(is_mapped(*m, l.vmalloc_end.get() - l.page_size()));
        CHECK_FALSE(is_mapped(*m, 0x40000000));
    }
}

TEST_CASE("kernel pgtable: map_page, lookup, unmap_page round trips", "[kpgtable]") {
    for (const char* arch :
         {"arch=i386-pae", "arch=x86_64", "arch=arm", "arch=arm-lpae", "arch=arm64"}) {
        INFO(arch);
        auto m = boot({arch, "mem=512M", "kernel=6.1"});
        auto& k = m->kernel_page_tables();
        auto& pa = m->page_allocator();
        const Layout& l = m->layout();
        const u64 free0 = pa.nr_free_pages();
        const size_t frames0 = k.table_frames().size();
        const VirtAddr va = l.vmalloc_end.offset_down(64 * l.page_size()).align_down(4 * MiB);
        const PhysAddr target = l.phys_of(Pfn(l.min_low_pfn.get() + 0x123));
        REQUIRE(!is_mapped(*m, va.get()));
        REQUIRE(k.map_page(va, target, kProtKernel));
        // New lower tables came from the page allocator and are watched.
        CHECK(pa.nr_free_pages() < free0);
        CHECK(k.table_frames().size() > frames0);
        CHECK(free0 - pa.nr_free_pages() == k.table_frames().size() - frames0);
        for (size_t i = frames0; i < k.table_frames().size(); ++i)
            CHECK(m->phys_memory().is_watched(k.table_frames()[i]));
        auto got = mapped(*m, va.get());
        CHECK(got.pa == target);
        CHECK(got.page_size == l.page_size());
        CHECK(got.permissions.kernel_write);
        CHECK_FALSE(got.permissions.kernel_exec);
        // Mapping again is refused and changes nothing.
        CHECK(k.map_page(va, target, kProtKernelRO).is_error());
        // A second page in the same table allocates nothing.
        const u64 free1 = pa.nr_free_pages();
        REQUIRE(k.map_page(va.offset(l.page_size()), target, kProtKernelRO));
        CHECK(pa.nr_free_pages() == free1);
        CHECK_FALSE(mapped(*m, va.offset(l.page_size()).get()).permissions.kernel_write);
        auto un = k.unmap_page(va);
        REQUIRE(un);
        REQUIRE(un.value());
        CHECK(un.value()->pa == target);
        CHECK_FALSE(is_mapped(*m, va.get()));
        auto again = k.unmap_page(va);
        REQUIRE(again);
        CHECK_FALSE(again.value());
        // Misaligned and inside-a-large-mapping requests are errors.
        CHECK(k.map_page(va.offset(1), target, kProtKernel).is_error());
        CHECK(k.map_page(l.page_offset.offset(32 * MiB), target, kProtKernel).is_error());
        CHECK(k.unmap_page(l.page_offset.offset(32 * MiB)).is_error());
    }
}
