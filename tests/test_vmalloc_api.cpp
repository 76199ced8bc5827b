#include <catch2/catch.hpp>

#include <vector>

#include "emu/kernel/kptr.h"
#include "emu/machine.h"
#include "mm/page.h"

using namespace kmemu;
using namespace kmemu::kernel;

namespace {
std::unique_ptr<Machine> boot(std::vector<std::string> words, std::vector<MmioRegion> mmio = {}) {
    auto config = parse_config_words(words);
    REQUIRE(config);
    MachineConfig c = config.release_value();
    c.mmio = std::move(mmio);
    auto m = Machine::boot(std::move(c));
    if (m.is_error())
        FAIL(m.error().message());
    return m.release_value();
}
const std::vector<std::string> kSeed = {"arch=i386", "mem=512M", "split=3G", "kernel=2.6.32"};
} // namespace

TEST_CASE("vmalloc api: seed machine places vmalloc(100) at VMALLOC_START", "[vmalloc_api]") {
    // high_memory = 0xc0000000 + 512M = 0xe0000000; VMALLOC_START = high_memory + 8M.
    auto m = boot(kSeed);
    const VirtAddr a = m->vmalloc().vmalloc(100, "seed_init+0x10/0x40");
    INFO(fmt::format("vmalloc(100) = {:#x}", a));
    CHECK(a == VirtAddr(0xe0800000));
    // 2.6.32: area [S, S+8K) (page + guard); stepping past it adds a page: S + 12K.
    CHECK(m->vmalloc().vmalloc(100) == VirtAddr(0xe0803000));
    const VmArea* area = m->vmap_space().find_vm_area(a);
    REQUIRE(area);
    CHECK(area->nr_pages == 1);
    CHECK(area->pages.size() == 1);
    CHECK(m->vmalloc().ledger().areas == 2);
    CHECK(m->vmalloc().ledger().pages == 2);
    CHECK(m->vmalloc().ledger().bytes == 8192);
}

TEST_CASE("vmalloc api: 6.1 packs the second area right after the guard page", "[vmalloc_api]") {
    auto m = boot({"arch=i386", "mem=512M", "kernel=6.1"});
    CHECK(m->vmalloc().vmalloc(100) == VirtAddr(0xe0800000));
    CHECK(m->vmalloc().vmalloc(100) == VirtAddr(0xe0802000)); // lowest fit: S + 8K
}

TEST_CASE("vmalloc api: bytes stored through a kptr are in the frame vmalloc_to_pfn names",
          "[vmalloc_api]") {
    auto m = boot(kSeed);
    KernelScope scope(*m);
    const VirtAddr a = m->vmalloc().vmalloc(2 * 4096);
    kptr<char> p(a);
    kstrcpy(p + 4094, "hello"); // crosses from the first page into the second
    CHECK(kstring(p + 4094) == "hello");
    CHECK(kstrlen(p + 4094) == 5);
    const Pfn first = m->vmalloc().vmalloc_to_pfn(a);
    const Pfn second = m->vmalloc().vmalloc_to_pfn(a.offset(4096));
    REQUIRE(first.get() != 0);
    REQUIRE(second.get() != 0);
    std::array<std::byte, 2> head{};
    std::array<std::byte, 4> tail{};
    REQUIRE(m->phys_memory().read(PhysAddr((first.get() << 12) + 4094), head).ok());
    REQUIRE(m->phys_memory().read(PhysAddr(second.get() << 12), tail).ok());
    CHECK(static_cast<char>(head[0]) == 'h');
    CHECK(static_cast<char>(head[1]) == 'e');
    CHECK(static_cast<char>(tail[0]) == 'l');
    CHECK(static_cast<char>(tail[3]) == 0);
    CHECK(m->vmalloc().vmalloc_to_page(a) == m->page_allocator().pfn_to_page(first));
    // The page after the area is the guard page: not mapped.
    CHECK(m->vmalloc().vmalloc_to_page(a.offset(2 * 4096)) == nullptr);
}

TEST_CASE("vmalloc api: an access after vfree oopses with the 2.6.32 text", "[vmalloc_api]") {
    auto m = boot(kSeed);
    KernelScope scope(*m);
    const u64 before = m->page_allocator().outstanding_pages();
    const auto tables_before = m->kernel_page_tables().table_frames().size();
    kptr<u32> p(m->vmalloc().vmalloc(100));
    *p = 0x12345678; // fills the TLB
    CHECK(*p == 0x12345678u);
    m->vmalloc().vfree(p.addr());
    try {
        (void)static_cast<u32>(*p);
        FAIL("no oops");
    } catch (const KernelOops& e) {
        // show_fault_oops 2.6.32: "BUG: unable to handle kernel paging request at %p", %p of
        // i386 = 8 zero-padded digits.
        REQUIRE(e.lines().size() == 1);
        CHECK(e.lines()[0] == "BUG: unable to handle kernel paging request at e0800000");
        CHECK(e.text() == "BUG: unable to handle kernel paging request at e0800000\n");
        CHECK(e.address() == VirtAddr(0xe0800000));
    }
    // Ledgers: everything returned except the PTE table vmalloc needed (kernel page tables are
    // never freed) and the area's vmap_area, lazily freed until the purge (2.6.32 keeps it in
    // vmap_area_list until __purge_vmap_area_lazy).
    CHECK(m->vmalloc().ledger_balanced());
    CHECK(m->kmalloc().ledger().objects == 1);
    CHECK(m->vm_objects().ledger().lazy_vmap_areas == 1);
    m->vmap_space().purge();
    CHECK(m->kmalloc().ledger_balanced());
    const auto new_tables = m->kernel_page_tables().table_frames().size() - tables_before;
    // Three slab pages stay cached: the page array's (kmalloc-8), the vm_struct's (kmalloc-32)
    // and the vmap_area's (kmalloc-64).
    CHECK(m->page_allocator().outstanding_pages() - before == new_tables + 3);
}

TEST_CASE("vmalloc api: 32-bit vmalloc takes highmem pages, vmalloc_32 lowmem", "[vmalloc_api]") {
    // i386 1G, 2.6.32: lowmem ends at 896M minus the vmalloc reserve; RAM above is ZONE_HIGHMEM.
    auto m = boot({"arch=i386", "mem=1G", "kernel=2.6.32"});
    REQUIRE(m->page_allocator().zone(ZoneType::HighMem));
    const VirtAddr a = m->vmalloc().vmalloc(3 * 4096);
    for (u64 i = 0; i < 3; ++i) {
        page* pg = m->vmalloc().vmalloc_to_page(a.offset(i * 4096));
        REQUIRE(pg);
        CHECK(PageHighMem(pg));
        CHECK(page_to_pfn(pg) >= m->layout().max_low_pfn);
    }
    const VirtAddr b = m->vmalloc().vmalloc_32(4096);
    page* low = m->vmalloc().vmalloc_to_page(b);
    REQUIRE(low);
    CHECK_FALSE(PageHighMem(low));
    KernelScope scope(*m);
    kptr<u64> q(a);
    q[1024] = 0xfeedfacecafebeefull; // second page, a highmem frame
    CHECK(q[1024] == 0xfeedfacecafebeefull);
    m->vmalloc().vfree(a);
    m->vmalloc().vfree(b);
    CHECK(m->vmalloc().ledger_balanced());
}

TEST_CASE("vmalloc api: a 4-byte store through ioremap reaches the device", "[vmalloc_api]") {
    struct Access {
        u64 offset;
        unsigned width;
        u64 value;
    };
    std::vector<Access> writes;
    MmioRegion dev;
    dev.name = "testdev";
    dev.start = PhysAddr(0xfebf0000);
    dev.size = 0x1000;
    dev.read = [](u64 offset, unsigned) { return offset == 0x20 ? u64{0xabcd1234} : 0; };
    dev.write = [&](u64 offset, unsigned width, u64 value) {
        writes.push_back({offset, width, value});
    };
    auto m = boot(kSeed, {dev});
    KernelScope scope(*m);
    // ioremap(phys + 0x10, 0x100): the area maps the page, the address keeps the offset.
    auto r = m->vmalloc().ioremap(PhysAddr(0xfebf0010), 0x100, "testdev_probe+0x30/0x80");
    REQUIRE(r);
    const VirtAddr io = r.value();
    CHECK(io == VirtAddr(0xe0800010));
    kptr<u32> regs(io);
    regs[1] = 0xdeadbeef; // phys 0xfebf0014
    REQUIRE(writes.size() == 1);
    CHECK(writes[0].offset == 0x14);
    CHECK(writes[0].width == 4);
    CHECK(writes[0].value == 0xdeadbeef);
    CHECK(regs[4] == 0xabcd1234u); // phys 0xfebf0020
    const VmArea* area = m->vmap_space().find_vm_area(io);
    REQUIRE(area);
    CHECK((area->flags & VmIoremap) != 0);
    CHECK(area->phys_addr == PhysAddr(0xfebf0000));
    m->vmalloc().iounmap(io);
    CHECK(m->vmalloc().ledger_balanced());
    CHECK_THROWS_AS(static_cast<u32>(regs[1]), KernelOops);
    // RAM in use is never ioremapped.
    auto ram = m->vmalloc().ioremap(PhysAddr(0x2000000), 4096);
    REQUIRE(ram);
    CHECK(ram.value() == VirtAddr(0));
    CHECK(m->vmalloc().warnings().back() == "ioremap on RAM at 0x02000000 - 0x02000fff");
}

TEST_CASE("vmalloc api: ioremap alignment and variants per era", "[vmalloc_api]") {
    MmioRegion dev;
    dev.name = "d";
    dev.start = PhysAddr(0xfe000000);
    dev.size = 0x100000;
    dev.read = [](u64, unsigned) { return u64{0}; };
    dev.write = [](u64, unsigned, u64) {};
    {
        // 2.6.32: after vmalloc(100) at [S, S+8K) the next candidate is S+12K; ioremap of 4096
        // bytes aligns to 2^fls(4096) = 8K -> S+16K = 0xe0804000.
        auto m = boot(kSeed, {dev});
        (void)m->vmalloc().vmalloc(100);
        auto r = m->vmalloc().ioremap_nocache(PhysAddr(0xfe000000), 4096);
        REQUIRE(r);
        CHECK(r.value() == VirtAddr(0xe0804000));
    }
    {
        // 6.1: next candidate S+8K; get_count_order(4096) -> 4K alignment: 0xe0802000.
        auto m = boot({"arch=i386", "mem=512M", "kernel=6.1"}, {dev});
        (void)m->vmalloc().vmalloc(100);
        auto r = m->vmalloc().ioremap(PhysAddr(0xfe000000), 4096);
        REQUIRE(r);
        CHECK(r.value() == VirtAddr(0xe0802000));
        // 64 KiB: aligned to 64K -> 0xe0810000.
        auto big = m->vmalloc().ioremap_wc(PhysAddr(0xfe010000), 0x10000);
        REQUIRE(big);
        CHECK(big.value() == VirtAddr(0xe0810000));
        auto gone = m->vmalloc().ioremap_nocache(PhysAddr(0xfe000000), 4096);
        REQUIRE(gone.is_error());
        CHECK(gone.error().message() ==
              "ioremap_nocache: not in kernel 6.1 (removed in 5.6; use ioremap)");
    }
}

TEST_CASE("vmalloc api: vmalloc_user is zeroed and VM_USERMAP", "[vmalloc_api]") {
    auto m = boot({"arch=i386", "mem=512M", "kernel=6.1"});
    KernelScope scope(*m);
    kptr<u8> dirty(m->vmalloc().vmalloc(4096));
    const Pfn pfn = m->vmalloc().vmalloc_to_pfn(dirty.addr());
    kmemset(dirty, 0xaa, 4096);
    m->vmalloc().vfree(dirty.addr());
    kptr<u8> u(m->vmalloc().vmalloc_user(4096));
    REQUIRE(u);
    // The buddy allocator hands the page just freed back first: zeroing is what clears it.
    CHECK(m->vmalloc().vmalloc_to_pfn(u.addr()) == pfn);
    for (i64 i : {0, 1, 2048, 4095})
        CHECK(u[i] == 0);
    const VmArea* area = m->vmap_space().find_vm_area(u.addr());
    REQUIRE(area);
    CHECK((area->flags & VmUsermap) != 0);
    CHECK(u.addr().is_aligned(4096)); // SHMLBA = PAGE_SIZE on x86
}

TEST_CASE("vmalloc api: a page allocation failing mid-vmalloc undoes everything", "[vmalloc_api]") {
    auto m = boot(kSeed);
    auto& va = m->vmalloc();
    // Warm up with the same size: the PTE table at VMALLOC_START and the kmalloc slab of
    // 5-pointer page arrays then exist, so the next call's page allocations are its data pages.
    va.vfree(va.vmalloc(5 * 4096));
    const u64 pages_before = m->page_allocator().outstanding_pages();
    const auto free_before = m->page_allocator().nr_free_pages();
    FaultInjection fi;
    fi.fail_nth = 3; // the third alloc_pages call: the third data page
    m->page_allocator().set_fault_injection(fi);
    CHECK(va.vmalloc(5 * 4096) == VirtAddr(0));
    m->page_allocator().set_fault_injection({});
    // 2.6.32 __vmalloc_area_node: 2 pages had been allocated; area->size is 5 pages + guard.
    CHECK(va.warnings().back() == "vmalloc: allocation failure, allocated 8192 of 24576 bytes");
    CHECK(va.ledger_balanced());
    // Left in kmalloc: the two areas' vmap_areas, lazily freed (warm-up and failed one), as the
    // kernel leaves them until the purge; their vm_structs and page arrays are freed.
    CHECK(m->kmalloc().ledger().objects == 2);
    CHECK(m->vm_objects().ledger().lazy_vmap_areas == 2);
    CHECK(m->vm_objects().ledger().vm_structs == 0);
    CHECK(m->page_allocator().outstanding_pages() == pages_before);
    CHECK(m->page_allocator().nr_free_pages() == free_before);
    // The failed area's range was freed lazily, like any vfree: it is not reused yet. Areas so
    // far: [S, S+24K) (warm-up, lazy), the failed one at S+28K (skipping one page; 6 pages with
    // the guard, lazy, up to S+52K); the next lowest fit steps past it plus one page: S+56K.
    CHECK(va.vmalloc(4096) == VirtAddr(0xe080e000));
    CHECK(m->vmap_space().lazy_pages() == 6 + 6);
}

TEST_CASE("vmalloc api: vmap maps borrowed pages; vunmap leaves them", "[vmalloc_api]") {
    auto m = boot({"arch=x86_64", "mem=1G", "kernel=6.1"});
    KernelScope scope(*m);
    page* pg[2] = {m->page_allocator().alloc_page(GFP_KERNEL),
                   m->page_allocator().alloc_page(GFP_KERNEL)};
    REQUIRE(pg[0]);
    REQUIRE(pg[1]);
    const VirtAddr a = m->vmalloc().vmap(pg);
    REQUIRE(a.get());
    CHECK(a == m->vmap_space().vmalloc_start()); // 0xffffc90000000000 on 4-level 6.1
    CHECK(a == VirtAddr(0xffffc90000000000));
    kptr<u64>(a.offset(4096))[0] = 42;
    CHECK(m->vmalloc().vmalloc_to_page(a.offset(4096)) == pg[1]);
    m->vmalloc().vunmap(a);
    CHECK(page_count(pg[1]) == 1);
    m->page_allocator().__free_page(pg[0]);
    m->page_allocator().__free_page(pg[1]);
    CHECK(m->vmalloc().ledger_balanced());
}

TEST_CASE("vmalloc api: module_alloc lands in the modules area", "[vmalloc_api]") {
    {
        // i386: MODULES_VADDR = VMALLOC_START.
        auto m = boot(kSeed);
        CHECK(m->vmalloc().module_alloc(10000) == VirtAddr(0xe0800000));
    }
    {
        // x86_64 6.1 (no KASLR): MODULES_VADDR = __START_KERNEL_map + 1 GiB = 0xffffffffc0000000
        // per the layout of this machine.
        auto m = boot({"arch=x86_64", "mem=1G", "kernel=6.1"});
        const VirtAddr a = m->vmalloc().module_alloc(10000);
        CHECK(a == m->layout().modules_vaddr);
        const VmArea* area = m->vmap_space().find_vm_area(a);
        REQUIRE(area);
        CHECK(area->nr_pages == 3);
        m->vmalloc().module_memfree(a);
        CHECK(m->vmalloc().ledger_balanced());
    }
}

TEST_CASE("vmalloc api: exhaustion gives NULL after the purge-and-retry", "[vmalloc_api]") {
    auto m = boot({"arch=i386", "mem=512M", "kernel=6.1"});
    auto& va = m->vmalloc();
    const u64 range = m->vmap_space().vmalloc_end().minus(m->vmap_space().vmalloc_start());
    CHECK(va.vmalloc(range) == VirtAddr(0)); // + guard page: cannot fit
    CHECK(va.warnings().back().rfind("vmap allocation for size ", 0) == 0);
    CHECK(va.ledger_balanced());
}
