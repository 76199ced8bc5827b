// KmallocAllocator on a booted page allocator: addresses, reuse, large requests, krealloc,
// PG_slab, /proc/slabinfo, ledger, faults and bug reports.
#include <catch2/catch.hpp>

#include "emu/procfs_slabinfo.h"
#include "mm/phys_memory.h"
#include "page_alloc_machines.h"

using namespace kmemu;
using namespace kmemu::test;

namespace {
struct M {
    std::unique_ptr<PageAllocator> pa;
    std::unique_ptr<PhysicalMemory> mem;
    std::unique_ptr<KmallocAllocator> k;
};
// i386, 512 MiB (zones DMA + Normal), one CPU.
M machine(KernelVersion v) {
    M m;
    m.pa = boot_or_die(i386_512m(), i386_512m_ram(), page_alloc_rules_for(v, Arch::I386));
    auto mem = PhysicalMemory::create(i386_512m_ram(), {}, 12);
    REQUIRE(!mem.is_error());
    m.mem = mem.release_value();
    m.k = std::make_unique<KmallocAllocator>(*m.pa, slab_rules_for(v, Arch::I386), 1,
                                             memory_hooks_for(*m.mem));
    return m;
}
u8 byte_at(M& m, VirtAddr v) {
    return m.mem->read_u8(m.pa->layout().pa(v)).value;
}
} // namespace

TEST_CASE("kmalloc: consecutive objects from the slab page start, LIFO reuse", "[kmalloc]") {
    auto m = machine({6, 1, 0});
    const VirtAddr a = m.k->kmalloc(1, GFP_KERNEL);
    page* pg = m.pa->virt_to_page(a);
    REQUIRE(pg);
    // Object 0 is the slab page's first byte; the next ones follow at +8 (kmalloc-8).
    CHECK(a == m.pa->page_address(pg));
    CHECK(PageSlab(pg));
    CHECK(m.k->ksize(a) == 8);
    const VirtAddr b = m.k->kmalloc(8, GFP_KERNEL);
    const VirtAddr c = m.k->kmalloc(5, GFP_KERNEL);
    CHECK(b == a.offset(8));
    CHECK(c == a.offset(16));
    // Frees are reused last-in first-out.
    m.k->kfree(b);
    m.k->kfree(c);
    CHECK(m.k->kmalloc(8, GFP_KERNEL) == c);
    CHECK(m.k->kmalloc(8, GFP_KERNEL) == b);
    CHECK(m.k->kmalloc(8, GFP_KERNEL) == a.offset(24));
    // Classes 96 and 192 stride by their size; alignment is the class's.
    const VirtAddr n0 = m.k->kmalloc(90, GFP_KERNEL);
    const VirtAddr n1 = m.k->kmalloc(96, GFP_KERNEL);
    CHECK(m.k->ksize(n0) == 96);
    CHECK(n1 == n0.offset(96));
    const VirtAddr t = m.k->kmalloc(130, GFP_KERNEL);
    CHECK(m.k->ksize(t) == 192);
    CHECK(m.k->kmalloc(192, GFP_KERNEL) == t.offset(192));
    CHECK(m.k->ksize(m.k->kmalloc(1000, GFP_KERNEL)) == 1024);
}

TEST_CASE("kmalloc: large requests are compound pages; kmalloc(0); too big", "[kmalloc]") {
    auto m = machine({6, 1, 0});
    const u64 before = m.pa->outstanding_pages();
    // 8193 > KMALLOC_MAX_CACHE_SIZE (8192): kmalloc_large, get_order(8193) = 2.
    const VirtAddr big = m.k->kmalloc(8193, GFP_KERNEL);
    page* pg = m.pa->virt_to_page(big);
    REQUIRE(pg);
    CHECK(big == m.pa->page_address(pg));
    CHECK(!PageSlab(pg));
    CHECK(PageHead(pg));
    CHECK(compound_order(pg) == 2);
    CHECK(m.k->ksize(big) == 16384);
    CHECK(m.pa->outstanding_pages() == before + 4);
    m.k->kfree(big);
    CHECK(m.pa->outstanding_pages() == before);
    // 8192 still comes from kmalloc-8k (PG_slab).
    CHECK(PageSlab(m.pa->virt_to_page(m.k->kmalloc(8192, GFP_KERNEL))));
    // kmalloc(0) is ZERO_SIZE_PTR; kfree of it is a no-op.
    CHECK(m.k->kmalloc(0, GFP_KERNEL).get() == 16);
    m.k->kfree(VirtAddr(16));
    CHECK(m.k->ksize(VirtAddr(16)) == 0);
    // KMALLOC_MAX_SIZE (4 MiB) is allowed (order 10); one byte more is NULL with a warning.
    const VirtAddr max = m.k->kmalloc(4 * MiB, GFP_KERNEL);
    CHECK(max.get() != 0);
    CHECK(m.k->ksize(max) == 4 * MiB);
    CHECK(m.k->kmalloc(4 * MiB + 1, GFP_KERNEL).get() == 0);
    REQUIRE(m.k->warnings().size() == 1);
    CHECK(m.k->kmalloc(4 * MiB + 1, GFP_KERNEL | __GFP_NOWARN).get() == 0);
    CHECK(m.k->warnings().size() == 1);
}

TEST_CASE("kmalloc: eras: SLUB 2.6.27 pages above PAGE_SIZE, SLAB 2.6.20 size-32", "[kmalloc]") {
    auto m = machine({2, 6, 27});
    // KMALLOC_MAX_CACHE_SIZE was PAGE_SIZE: 4097 is an order-1 compound block.
    const VirtAddr p = m.k->kmalloc(4097, GFP_KERNEL);
    CHECK(!PageSlab(m.pa->virt_to_page(p)));
    CHECK(m.k->ksize(p) == 8192);
    auto s = machine({2, 6, 20});
    // kmalloc(0) before ZERO_SIZE_PTR: a size-32 object. On-slab management (480 bytes)
    // precedes object 0 of the first slab (colour 0).
    const VirtAddr z = s.k->kmalloc(0, GFP_KERNEL);
    CHECK(s.k->ksize(z) == 32);
    page* pg = s.pa->virt_to_page(z);
    CHECK(z == s.pa->page_address(pg).offset(480));
    CHECK(s.k->kmalloc(32, GFP_KERNEL) == z.offset(32));
    // KMALLOC_MAX_SIZE 128 KiB: 131073 is NULL without a warning.
    CHECK(s.k->kmalloc(131073, GFP_KERNEL).get() == 0);
    CHECK(s.k->warnings().empty());
}

TEST_CASE("kmalloc: krealloc", "[kmalloc]") {
    auto m = machine({6, 1, 0});
    const VirtAddr p = m.k->kmalloc(10, GFP_KERNEL); // kmalloc-16
    REQUIRE(m.mem->write_u8(m.pa->layout().pa(p), 0xab) == PhysStatus::Ok);
    REQUIRE(m.mem->write_u8(m.pa->layout().pa(p.offset(15)), 0xcd) == PhysStatus::Ok);
    // Same class, or shrinking: the same pointer.
    CHECK(m.k->krealloc(p, 16, GFP_KERNEL) == p);
    CHECK(m.k->krealloc(p, 4, GFP_KERNEL) == p);
    // Growing past ksize (16): a kmalloc-32 object with ksize(p) = 16 bytes copied; p freed.
    const VirtAddr q = m.k->krealloc(p, 17, GFP_KERNEL);
    CHECK(q != p);
    CHECK(m.k->ksize(q) == 32);
    CHECK(m.k->ksize(p) == 0);
    CHECK(byte_at(m, q) == 0xab);
    CHECK(byte_at(m, q.offset(15)) == 0xcd);
    // krealloc(NULL) is kmalloc; krealloc(q, 0) frees q and returns ZERO_SIZE_PTR.
    const VirtAddr r = m.k->krealloc(VirtAddr(0), 8, GFP_KERNEL);
    CHECK(m.k->ksize(r) == 8);
    CHECK(m.k->krealloc(q, 0, GFP_KERNEL).get() == 16);
    CHECK(m.k->ksize(q) == 0);
    m.k->kfree(r);
    CHECK(m.k->ledger_balanced());
}

TEST_CASE("kmalloc: __GFP_ZERO, kcalloc overflow, GFP_DMA caches", "[kmalloc]") {
    auto m = machine({6, 1, 0});
    const VirtAddr p = m.k->kmalloc(64, GFP_KERNEL);
    for (u64 i = 0; i < 64; ++i)
        REQUIRE(m.mem->write_u8(m.pa->layout().pa(p.offset(i)), 0xff) == PhysStatus::Ok);
    m.k->kfree(p);
    const VirtAddr z = m.k->kzalloc(40, GFP_KERNEL);
    CHECK(z == p); // LIFO reuse; the whole 64-byte object is cleared
    CHECK(byte_at(m, z) == 0);
    CHECK(byte_at(m, z.offset(63)) == 0);
    CHECK(m.k->kcalloc(u64{1} << 33, u64{1} << 33, GFP_KERNEL).get() == 0);
    CHECK(m.k->ksize(m.k->kcalloc(3, 10, GFP_KERNEL)) == 32);
    // GFP_DMA: dma-kmalloc-8, slab page in ZONE_DMA.
    const VirtAddr d = m.k->kmalloc(8, GFP_KERNEL | GFP_DMA);
    CHECK(page_zone(m.pa->virt_to_page(d)) == m.pa->zone(ZoneType::Dma));
    const auto* c = m.k->cache("dma-kmalloc-8");
    REQUIRE(c);
    CHECK(c->stats().num_objs == 512);
}

TEST_CASE("kmalloc: empty slabs leave past min_partial and PG_slab is cleared", "[kmalloc]") {
    auto m = machine({6, 1, 0});
    // kmalloc-8k on one CPU: 4 objects per order-3 slab, min_partial 6, cpu_partial_slabs 1.
    std::vector<VirtAddr> objs;
    for (int i = 0; i < 36; ++i) // 9 slabs; the 9th is the cpu slab, the others full
        objs.push_back(m.k->kmalloc(8192, GFP_KERNEL));
    std::vector<page*> heads;
    for (int s = 0; s < 9; ++s)
        heads.push_back(m.pa->virt_to_page(objs[static_cast<size_t>(s) * 4]));
    const u64 pages_before = m.pa->outstanding_pages();
    // Free slabs 1..8 object by object. The first free into a full slab freezes it onto the
    // per-cpu partial list; the next such free finds the list at its limit (1 slab) and moves
    // the previous one, now empty, to the node list, which keeps 6 empty slabs; the 7th is
    // discarded when slab 8 is frozen.
    for (int i = 0; i < 32; ++i)
        m.k->kfree(objs[static_cast<size_t>(i)]);
    CHECK(PageSlab(heads[5]));
    CHECK(!PageSlab(heads[6]));
    CHECK(PageSlab(heads[7]));
    CHECK(m.pa->outstanding_pages() == pages_before - 8);
    const auto* c = m.k->cache("kmalloc-8k");
    REQUIRE(c);
    const auto st = c->stats();
    // 8 slabs: 6 empty on the node list (24 free objects), slab 8 empty but per-cpu partial,
    // slab 9 the cpu slab: active = 32 - 24 = 8.
    CHECK(st.num_slabs == 8);
    CHECK(st.num_objs == 32);
    CHECK(st.active_objs == 8);
}

TEST_CASE("kmalloc: /proc/slabinfo text", "[kmalloc]") {
    auto m = machine({6, 1, 0});
    (void)m.k->kmalloc(8, GFP_KERNEL);
    (void)m.k->kmalloc(8, GFP_KERNEL);
    const std::string text = render_slabinfo(*m.k);
    const std::string header =
        "slabinfo - version: 2.1\n"
        "# name            <active_objs> <num_objs> <objsize> <objperslab> <pagesperslab> : "
        "tunables <limit> <batchcount> <sharedfactor> : slabdata <active_slabs> <num_slabs> "
        "<sharedavail>\n";
    REQUIRE(text.starts_with(header));
    // %-17s then %6lu: "dma-kmalloc-8k" (14) + 3 + 1 + 5 spaces before its 0.
    // Newest cache first: dma-kmalloc-8k heads the list, kmalloc-8 ends it. The cpu slab's
    // free objects count as active (SLUB get_slabinfo).
    const std::string first =
        "dma-kmalloc-8k         0      0   8192    4    8 : tunables    0    0    0 : slabdata "
        "     0      0      0\n";
    const std::string last =
        "kmalloc-8            512    512      8  512    1 : tunables    0    0    0 : slabdata "
        "     1      1      0\n";
    CHECK(text.substr(header.size(), first.size()) == first);
    CHECK(text.ends_with(last));
    CHECK(std::count(text.begin(), text.end(), '\n') == 2 + 26); // 13 classes, normal + DMA

    auto s = machine({2, 6, 20});
    (void)s.k->kmalloc(20, GFP_KERNEL);
    const std::string st = render_slabinfo(*s.k);
    // SLAB: tunables from enable_cpucache, active = objects in use.
    CHECK(st.ends_with("size-32                1    113     32  113    1 : tunables  120   60    8 "
                       ": slabdata      1      1      0\n"));
}

TEST_CASE("kmalloc: fault injection, bug reports, ledger", "[kmalloc]") {
    auto m = machine({6, 1, 0});
    m.k->set_fail_nth(2);
    const VirtAddr a = m.k->kmalloc(32, GFP_KERNEL);
    CHECK(a.get() != 0);
    CHECK(m.k->kmalloc(32, GFP_KERNEL).get() == 0);
    const VirtAddr b = m.k->kmalloc(32, GFP_KERNEL);
    CHECK(b == a.offset(32));
    CHECK(m.k->failed_allocations() == 1);
    // The page allocator failing the first slab page: SLUB retries at s->min (order 0 too),
    // so the allocation still succeeds.
    FaultInjection once;
    once.fail_nth = 1;
    m.pa->set_fault_injection(once);
    const VirtAddr c = m.k->kmalloc(64, GFP_KERNEL);
    CHECK(c.get() != 0);
    // Every page allocation failing: NULL.
    FaultInjection all;
    all.fail_order_from = 0;
    m.pa->set_fault_injection(all);
    CHECK(m.k->kmalloc(128, GFP_KERNEL).get() == 0);
    CHECK(m.k->kmalloc(64 * KiB, GFP_KERNEL).get() == 0);
    m.pa->set_fault_injection({});
    // Bad frees are reported and change nothing.
    const auto ledger = m.k->ledger();
    m.k->kfree(a.offset(1));
    m.k->kfree(m.pa->page_address(m.pa->alloc_page(GFP_KERNEL)));
    m.k->kfree(a);
    m.k->kfree(a);
    CHECK(m.k->bug_reports().size() == 3);
    CHECK(m.k->ledger().objects == ledger.objects - 1);
    CHECK(m.k->ledger().bytes_requested == 32 + 64);
    m.k->kfree(b);
    m.k->kfree(c);
    CHECK(m.k->ledger_balanced());
}
