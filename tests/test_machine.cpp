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
} // namespace

TEST_CASE("machine: the seed i386 machine boots with the 2.6.32 rules", "[machine]") {
    auto m = boot({"arch=i386", "mem=512M", "split=3G", "kernel=2.6.32"});
    const Layout& l = m->layout();
    CHECK(l.high_memory == VirtAddr(0xe0000000));
    CHECK(l.vmalloc_start == VirtAddr(0xe0800000));
    // present: [0, 0x9fc00) holds 0x9f = 159 whole pages, [1M, 512M) holds 130816 pages.
    // reserved: page 0 (2.6.32's 4 KiB low reservation) and the image, phys 0x1000000 up to
    // __pa(_end) = 0x16e1000: 0x6e1 = 1761 pages. Page tables: the PTE table for [0, 4M) and
    // the fixmap's from the e820 table area (0x7000, 0x8000), pkmap's from bootmem above 16M
    // (0x16e1000): 3 pages. managed = 130975 - 1765 = 129210 = 516840k.
    // total = max_pfn 0x20000 = 524288k; reserved 1765 pages = 7060k.
    CHECK(m->memory_line() == "Memory: 516840k/524288k available (3318k kernel code, 7060k "
                              "reserved, 1569k data, 360k init, 0k highmem)\n");
    CHECK(m->page_allocator().nr_free_pages() == 129210);
    CHECK(m->layout_block().rfind("virtual kernel memory layout:\n", 0) == 0);
}

TEST_CASE("machine: a bad configuration builds nothing", "[machine]") {
    MachineConfig c;
    c.arch = Arch::X86_64;
    c.split = VmSplit::G2;
    auto m = Machine::boot(c);
    REQUIRE(m.is_error());
    CHECK(m.error().message() ==
          "split: not allowed with arch=x86_64 (applies to i386, i386-pae, arm, arm-lpae)");
}

TEST_CASE("machine: several machines coexist", "[machine]") {
    auto a = boot({"arch=i386", "mem=256M"});
    auto b = boot({"arch=arm", "mem=1G", "kernel=4.4"});
    CHECK(a->layout().high_memory == VirtAddr(0xd0000000));
    CHECK(b->layout().high_memory == VirtAddr(0xf0000000));
    CHECK(a->page_allocator().nr_free_pages() != b->page_allocator().nr_free_pages());
}

TEST_CASE("machine: frames, iomem and zeroed pages are wired together", "[machine]") {
    auto m = boot({"arch=i386", "mem=128M", "kernel=4.4"});
    auto& pa = m->page_allocator();
    auto& phys = m->phys_memory();
    // Boot writes only page-table frames (swapper_pg_dir and the tables it filled) and the
    // kernel variables' frames: linux_banner (.rodata), jiffies_64 (.data), high_memory (.bss).
    CHECK(phys.touched_pages() > 0);
    CHECK(phys.touched_pages() <= m->kernel_page_tables().table_frames().size() + 3);
    page* p = pa.alloc_page(GFP_KERNEL);
    REQUIRE(p != nullptr);
    Pfn pfn = page_to_pfn(p);
    PhysAddr pa_addr = m->layout().phys_of(pfn);
    CHECK(phys.write_u32(pa_addr.offset(8), 0xdeadbeef) == PhysStatus::Ok);
    pa.__free_page(p);
    // get_zeroed_page hands out the same frame (head of the order-0 list) zeroed.
    VirtAddr z = pa.get_zeroed_page(GFP_KERNEL);
    REQUIRE(z == m->layout().va(pa_addr));
    CHECK(phys.read_u32(pa_addr.offset(8)).value == 0);
    pa.free_page(z);
    CHECK(pa.ledger_balanced());
    CHECK(m->iomem().page_is_ram(Pfn(0x100)));
    CHECK_FALSE(m->iomem().page_is_ram(Pfn(0xa0)));
}

TEST_CASE("machine: a 1 TiB x86_64 machine costs under 10 MB before memory is touched",
          "[machine]") {
    auto m = boot({"arch=x86_64", "mem=1T", "phys_bits=46", "kernel=6.1"});
    // RAM below 4G ends at 3G (the PCI hole), so the rest runs from 4G to 1T + 1G.
    CHECK(m->layout().max_pfn == Pfn((TiB + GiB) >> 12));
    u64 bookkeeping = m->phys_memory().metadata_bytes() + m->page_allocator().footprint_bytes();
    CHECK(bookkeeping < 10 * MiB);
    // The direct map's whole-GiB PMD tables are deferred frames: allocated and linked, their
    // 512 entries written on first access. So boot writes only the upper tables, the partial
    // PMD/PTE tables at the edges and the 3 kernel-variable frames.
    CHECK(m->phys_memory().touched_pages() < 100);
    CHECK(m->phys_memory().deferred_frames() > 1000);
    // Reading one entry (a walk of PAGE_OFFSET + 600 GiB + 4 MiB) produces that table only:
    // the PMD leaf is NX | (600 GiB + 4 MiB) | PSE G D A RW P = 0x80000096004001e3.
    const u64 before = m->phys_memory().touched_pages();
    auto rec = m->kernel_page_tables().walk(m->layout().page_offset.offset(600 * GiB + 4 * MiB));
    REQUIRE(rec);
    REQUIRE(rec->ok());
    CHECK(rec->translation().pa == PhysAddr(600 * GiB + 4 * MiB));
    CHECK(rec->translation().page_size == 2 * MiB);
    CHECK(rec->levels[rec->depth - 1].raw == 0x80000096004001e3ull);
    CHECK(m->phys_memory().touched_pages() == before + 1);
}

TEST_CASE("machine: every arch boots at small, medium and large sizes", "[machine]") {
    for (const char* arch : {"arch=i386", "arch=i386-pae", "arch=x86_64", "arch=x86_64-la57",
                             "arch=arm", "arm-lpae", "arch=arm64"}) {
        std::string a = arch;
        if (a.find('=') == std::string::npos)
            a = "arch=" + a;
        for (const char* mem : {"mem=64M", "mem=1G", "mem=3G"}) {
            std::vector<std::string> w{a, mem, "kernel=6.1"};
            auto config = parse_config_words(w);
            REQUIRE(config);
            auto m = Machine::boot(config.release_value());
            INFO(a << " " << mem);
            REQUIRE_FALSE(m.is_error());
            CHECK(m.value()->page_allocator().nr_free_pages() > 0);
            CHECK(m.value()->memory_line().rfind("Memory: ", 0) == 0);
        }
    }
}

TEST_CASE("machine: kmalloc hands out direct-map memory backed by the machine's frames",
          "[machine]") {
    auto m = boot({"arch=i386", "mem=256M", "kernel=6.1"});
    VirtAddr p = m->kmalloc().kmalloc(100, GFP_KERNEL);
    REQUIRE(p.get() != 0);
    // kmalloc-128 on i386; the object lies in lowmem.
    CHECK(m->kmalloc().ksize(p) == 128);
    CHECK(p >= m->layout().page_offset);
    CHECK(p < m->layout().high_memory);
    m->kmalloc().kfree(p);
}

TEST_CASE("machine: kernel loads and stores go through init_mm's tables and the TLB", "[machine]") {
    auto m = boot({"arch=i386", "mem=512M", "kernel=6.1"});
    auto& kmmu = m->kernel_mmu();
    const mmu::Access kread{paging::AccessType::Read, paging::Privilege::Supervisor};
    VirtAddr p = m->kmalloc().kmalloc(64, GFP_KERNEL);
    REQUIRE(p.get() != 0);
    REQUIRE(kmmu.store<u32>(p, 0x12345678u, paging::Privilege::Supervisor).ok());
    // The store landed in the frame behind the direct-map address: __pa(p) = p - PAGE_OFFSET.
    PhysAddr pa(p.get() - 0xc0000000u);
    CHECK(m->phys_memory().read_u32(pa).value == 0x12345678u);
    auto v = kmmu.load<u32>(p, kread);
    REQUIRE(v.ok());
    CHECK(v.value() == 0x12345678u);
    // VMALLOC_START has nothing mapped yet: a kernel oops-worthy fault, as a value.
    auto f = kmmu.load<u32>(m->layout().vmalloc_start, kread);
    REQUIRE_FALSE(f.ok());
    CHECK(f.fault().va == m->layout().vmalloc_start);
    m->kmalloc().kfree(p);
}

TEST_CASE("machine: swapper_pg_dir in kallsyms is the table CR3/TTBR points at", "[machine]") {
    for (const char* arch :
         {"arch=i386", "arch=i386-pae", "arch=x86_64", "arch=arm", "arch=arm64"}) {
        auto m = boot({arch, "kernel=6.1"});
        const auto* sym = m->symbols().find(m->symbols().pgd_name());
        REQUIRE(sym != nullptr);
        INFO(arch);
        CHECK(sym->address == m->kernel_page_tables().swapper_pg_dir());
        CHECK(sym->phys == m->kernel_page_tables().root_pa());
    }
}

TEST_CASE("machine: vread sees a vmalloc area's page through the kernel page tables", "[machine]") {
    // The seed machine: 2.6.32 rules (page-wise vread; holes zero; whole count returned when
    // an area was reached, with the tail zeroed).
    auto m = boot({"arch=i386", "mem=512M", "split=3G", "kernel=2.6.32"});
    auto area =
        m->vmap_space().vmalloc(100, "test", m->page_allocator().zones()[1]->managed_pages());
    REQUIRE(area);
    REQUIRE(area->ok());
    const VirtAddr p = *area->addr;
    CHECK(p == VirtAddr(0xe0800000)); // the first area sits at VMALLOC_START
    page* pg = m->page_allocator().alloc_page(GFP_KERNEL);
    REQUIRE(pg != nullptr);
    const PhysAddr frame = m->layout().phys_of(page_to_pfn(pg));
    REQUIRE(m->kernel_page_tables().map_page(p, frame, kProtKernel));
    const char hello[] = "hello, kmem";
    REQUIRE(m->phys_memory().write(frame, std::as_bytes(std::span(hello))).ok());
    // 16 bytes from p: the 12 bytes of the string (with its NUL), then 4 never-written bytes
    // of the same page, which read as zeros.
    std::vector<u8> buf(16, 0xee);
    auto plan = vread(m->vmap_space(), m->vread_backing(), buf, p, 16);
    REQUIRE(plan);
    CHECK(plan->ret == 16);
    CHECK(std::string(reinterpret_cast<const char*>(buf.data())) == "hello, kmem");
    CHECK(buf[12] == 0);
    // The guard page after the area reads as zeros; past every area 2.6.32 returns 0.
    std::vector<u8> tail(8, 0xee);
    auto past = vread(m->vmap_space(), m->vread_backing(), tail, p.offset(0x1000), 8);
    REQUIRE(past);
    CHECK(past->ret == 0);
    (void)m->kernel_page_tables().unmap_page(p);
    m->page_allocator().__free_page(pg);
}
