// kmap/kunmap through the pkmap slots on booted i386 machines: addresses, the PTE bits in
// pkmap_page_table, slot reuse, the wrap-around flush and the "all slots in use" answer.
#include <catch2/catch.hpp>

#include <utility>
#include <vector>

#include "emu/machine.h"
#include "mm/highmem.h"

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

page* highpage(Machine& m) {
    page* p = m.page_allocator().alloc_page(GFP_HIGHUSER);
    REQUIRE(p != nullptr);
    REQUIRE(PageHighMem(p));
    return p;
}

u64 read_pte32(Machine& m, PhysAddr at) {
    auto v = m.phys_memory().read_u32(at);
    REQUIRE(v.ok());
    return v.value;
}
u64 read_pte64(Machine& m, PhysAddr at) {
    auto v = m.phys_memory().read_u64(at);
    REQUIRE(v.ok());
    return v.value;
}

struct FlushLog {
    std::vector<std::pair<u64, u64>> calls;
};

} // namespace

TEST_CASE("kmap: i386 6.1 first slots, PTE bits, reads and writes land on the frame",
          "[highmem][kmap]") {
    auto m = boot({"arch=i386", "mem=2G", "highmem=on", "kernel=6.1"});
    Highmem* h = m->highmem();
    REQUIRE(h != nullptr);
    // PKMAP_BASE (6.1, 8 CPUs): N = 69 + 16*8 = 197 fixmap slots; T = 197 + 512 + 1 = 710
    // (no BTMAP rounding: 197..708 stay in one PTE page); FIXADDR_TOT_START = 0xfffff000 -
    // 710*4K = 0xffd39000; CPU_ENTRY_AREA = align_down(0xffd39000 - (43*8+1)*4K, 4M) =
    // 0xff800000; LDT = align_down(0xff800000 - 4K, 4M) = 0xff400000; PKMAP_BASE =
    // align_down(0xff400000 - 4K, 4M) = 0xff000000. LAST_PKMAP = 1024 (non-PAE).
    REQUIRE(m->layout().pkmap_base == VirtAddr(0xff000000));
    REQUIRE(h->last_pkmap() == 1024);
    FlushLog log;
    h->set_tlb_flush([&](VirtAddr s, VirtAddr e) { log.calls.emplace_back(s.get(), e.get()); });

    page* a = highpage(*m);
    page* b = highpage(*m);
    const u64 pfn_a = page_to_pfn(a).get();
    const u64 pfn_b = page_to_pfn(b).get();
    // Nothing mapped yet: page_address() of a highmem page is NULL.
    CHECK(m->direct_map().page_address(a) == VirtAddr(0));

    // last_pkmap_nr starts at 0 and map_new_virtual pre-increments: slot 1 first.
    KmapResult ra = h->kmap(a);
    REQUIRE(ra.ok());
    CHECK(ra.addr == VirtAddr(0xff001000));
    CHECK(h->pkmap_count(1) == 2); // 1 for the mapping + 1 for the caller
    CHECK(h->last_pkmap_nr() == 1);
    KmapResult rb = h->kmap(b);
    REQUIRE(rb.ok());
    CHECK(rb.addr == VirtAddr(0xff002000));

    // pkmap_page_table[1]: non-PAE 4-byte PTEs, so 4 bytes after entry 0. mk_pte(page,
    // PAGE_KERNEL) = pfn << 12 | P(0x1) | RW(0x2) | A(0x20) | D(0x40) | G(0x100) = | 0x163.
    const PhysAddr pt = *m->kernel_page_tables().pkmap_page_table();
    CHECK(h->pkmap_pte_address(1) == pt.offset(4));
    CHECK(read_pte32(*m, pt.offset(4)) == ((pfn_a << 12) | 0x163));
    CHECK(read_pte32(*m, pt.offset(8)) == ((pfn_b << 12) | 0x163));
    CHECK(read_pte32(*m, pt.offset(0)) == 0); // slot 0 unused
    CHECK(read_pte32(*m, pt.offset(12)) == 0);

    // The kernel walk of 0xff001000 reaches a's frame; a store there is a store to the frame.
    auto walk = m->kernel_page_tables().lookup(VirtAddr(0xff001010));
    REQUIRE(walk);
    REQUIRE(walk->has_value());
    CHECK((*walk)->pa == PhysAddr(pfn_a << 12));
    REQUIRE(m->phys_memory().write_u32((*walk)->pa.offset(0x10), 0xcafef00d) == PhysStatus::Ok);
    auto back = m->phys_memory().read_u32(PhysAddr((pfn_a << 12) + 0x10));
    REQUIRE(back.ok());
    CHECK(back.value == 0xcafef00d);

    // page_address() through the machine's DirectMap: the pkmap address.
    CHECK(m->direct_map().page_address(a) == VirtAddr(0xff001000));

    // Same page again: same slot, count 3. kunmap twice: count 1, still mapped.
    KmapResult ra2 = h->kmap(a);
    REQUIRE(ra2.ok());
    CHECK(ra2.addr == VirtAddr(0xff001000));
    CHECK(h->pkmap_count(1) == 3);
    REQUIRE(h->kunmap(a).ok());
    CHECK(h->pkmap_count(1) == 2);
    REQUIRE(h->kunmap(a).ok());
    CHECK(h->pkmap_count(1) == 1);
    // Still mapped until the next wrap-around flush: page_address and the PTE stay.
    CHECK(m->direct_map().page_address(a) == VirtAddr(0xff001000));
    CHECK(read_pte32(*m, pt.offset(4)) == ((pfn_a << 12) | 0x163));
    // A kmap now reuses slot 1 (page_address_htable hit), not slot 3.
    REQUIRE(h->kmap(a).addr == VirtAddr(0xff001000));
    CHECK(h->pkmap_count(1) == 2);
    REQUIRE(h->kunmap(a).ok());

    // One kunmap too many: the kernel's BUG (count would reach 0); nothing changes.
    KmapResult bug = h->kunmap(a);
    CHECK(bug.status == KmapStatus::Bug);
    CHECK(h->pkmap_count(1) == 1);
    // kunmap of a highmem page that was never kmapped: BUG_ON(!vaddr).
    page* c = highpage(*m);
    CHECK(h->kunmap(c).status == KmapStatus::Bug);

    REQUIRE(h->kunmap(b).ok());
    CHECK(log.calls.empty()); // no wrap yet: no TLB flush at all
    CHECK(h->tlb_flush_calls() == 0);
    CHECK(h->ledger_balanced());
}

TEST_CASE("kmap: a lowmem page is its direct-map address and touches no PTE", "[highmem][kmap]") {
    auto m = boot({"arch=i386", "mem=2G", "highmem=on", "kernel=2.6.32"});
    Highmem* h = m->highmem();
    REQUIRE(h != nullptr);
    page* low = m->page_allocator().alloc_page(GFP_KERNEL);
    REQUIRE(low != nullptr);
    REQUIRE_FALSE(PageHighMem(low));
    const u64 pfn = page_to_pfn(low).get();
    // __va: PAGE_OFFSET 0xc0000000 + pfn << 12.
    KmapResult r = h->kmap(low);
    REQUIRE(r.ok());
    CHECK(r.addr == VirtAddr(0xc0000000 + (pfn << 12)));
    CHECK(h->last_pkmap_nr() == 0);
    CHECK(h->pkmap_count(1) == 0);
    CHECK(read_pte32(*m, h->pkmap_pte_address(1)) == 0);
    CHECK(h->live_kmaps() == 1);
    REQUIRE(h->kunmap(low).ok());
    // The first highmem kmap still gets slot 1. 2.6.32 PKMAP_BASE: N = 72 + 19*8 = 224
    // slots, BTMAP rounded up to 256..511, so FIXADDR_BOOT_START = 0xfffff000 - 513*4K =
    // 0xffdfe000; align_down(0xffdfe000 - 1025*4K, 4M) = align_down(0xff9fd000, 4M).
    page* hp = highpage(*m);
    REQUIRE(m->layout().pkmap_base == VirtAddr(0xff800000));
    CHECK(h->kmap(hp).addr == VirtAddr(0xff801000));
    REQUIRE(h->kunmap(hp).ok());
    CHECK(h->ledger_balanced());
    CHECK(h->tlb_flush_calls() == 0);
}

TEST_CASE("kmap: i386-pae wrap-around flush_all_zero_pkmaps and all slots in use",
          "[highmem][kmap]") {
    auto m = boot({"arch=i386-pae", "mem=2G", "kernel=4.4"});
    Highmem* h = m->highmem();
    REQUIRE(h != nullptr);
    // PAE: LAST_PKMAP 512 (one 8-byte PTE page), PKMAP_BASE 0xffc00000 (4.4 layout:
    // align_down(FIXADDR_START 0xfff17000 - 513*4K, 2M) = align_down(0xffd16000, 2M)).
    REQUIRE(m->layout().pkmap_base == VirtAddr(0xffc00000));
    REQUIRE(h->last_pkmap() == 512);
    FlushLog log;
    h->set_tlb_flush([&](VirtAddr s, VirtAddr e) { log.calls.emplace_back(s.get(), e.get()); });
    const PhysAddr pt = *m->kernel_page_tables().pkmap_page_table();

    // Fill slots 1..511 (LAST_PKMAP - 1 pages), then kunmap them all: each keeps count 1.
    std::vector<page*> pages;
    for (u64 i = 1; i < 512; ++i) {
        page* p = highpage(*m);
        KmapResult r = h->kmap(p);
        REQUIRE(r.ok());
        REQUIRE(r.addr == VirtAddr(0xffc00000 + i * 4096));
        pages.push_back(p);
    }
    // PAE PTE of slot 1: pfn << 12 | 0x163 | NX (bit 63, __supported_pte_mask has NX on PAE).
    CHECK(read_pte64(*m, pt.offset(8)) ==
          ((page_to_pfn(pages[0]).get() << 12) | 0x163 | (u64{1} << 63)));
    for (page* p : pages)
        REQUIRE(h->kunmap(p).ok());
    CHECK(h->pkmap_count(511) == 1);
    CHECK(log.calls.empty());
    CHECK(h->last_pkmap_nr() == 511);

    // The next kmap wraps: last_pkmap_nr = (511 + 1) & 511 = 0, so flush_all_zero_pkmaps runs
    // first: slots 1..511 (count 1) go to 0 with their PTEs cleared, then one
    // flush_tlb_kernel_range(PKMAP_ADDR(0), PKMAP_ADDR(512)) = [0xffc00000, 0xffe00000).
    // Slot 0 was never used (count 0), so the new page lands at PKMAP_BASE itself.
    page* wrap = highpage(*m);
    KmapResult rw = h->kmap(wrap);
    REQUIRE(rw.ok());
    CHECK(rw.addr == VirtAddr(0xffc00000));
    REQUIRE(log.calls.size() == 1);
    CHECK(log.calls[0] == std::pair<u64, u64>{0xffc00000, 0xffe00000});
    CHECK(h->flush_all_zero_pkmaps_runs() == 1);
    CHECK(read_pte64(*m, pt.offset(8 * 1)) == 0);
    CHECK(read_pte64(*m, pt.offset(8 * 255)) == 0);
    CHECK(read_pte64(*m, pt.offset(8 * 511)) == 0);
    CHECK(read_pte64(*m, pt.offset(0)) ==
          ((page_to_pfn(wrap).get() << 12) | 0x163 | (u64{1} << 63)));
    CHECK(h->pkmap_count(1) == 0);
    // The flushed pages forgot their address: page_address() is NULL again.
    CHECK(m->direct_map().page_address(pages[0]) == VirtAddr(0));
    auto gone = m->kernel_page_tables().lookup(VirtAddr(0xffc01000));
    REQUIRE(gone);
    CHECK_FALSE(gone->has_value());

    // Re-kmap the 511 pages: slots 1..511 again (all free), so all 512 slots are in use.
    for (u64 i = 0; i < pages.size(); ++i)
        REQUIRE(h->kmap(pages[i]).addr == VirtAddr(0xffc00000 + (i + 1) * 4096));
    // One more: last_pkmap_nr is 511, so the scan wraps at once ((511 + 1) & 511 = 0; the
    // flush finds no count-1 slot: no TLB flush), then slots 0..511 are all in use (count
    // 512 -> 0 at slot 511): the kernel would sleep.
    page* extra = highpage(*m);
    KmapResult full = h->kmap(extra);
    CHECK(full.status == KmapStatus::NoFreePkmapSlot);
    CHECK(full.addr == VirtAddr(0));
    CHECK(h->last_pkmap_nr() == 511);
    CHECK(h->flush_all_zero_pkmaps_runs() == 2);
    CHECK(log.calls.size() == 1);
    CHECK(m->direct_map().page_address(extra) == VirtAddr(0));

    // Free one slot (slot 5, pages[4]) with kunmap: count 1. The retry wraps at once
    // ((511 + 1) & 511 = 0), the flush clears slot 5 (one TLB flush of the whole window),
    // slots 0..4 are in use, slot 5 is free: the new page gets PKMAP_BASE + 5 * 4K.
    REQUIRE(h->kunmap(pages[4]).ok());
    KmapResult retry = h->kmap(extra);
    REQUIRE(retry.ok());
    CHECK(retry.addr == VirtAddr(0xffc05000));
    CHECK(log.calls.size() == 2);
    CHECK(log.calls[1] == std::pair<u64, u64>{0xffc00000, 0xffe00000});
    CHECK(m->direct_map().page_address(pages[4]) == VirtAddr(0));

    // Balance the ledger: everything still kmapped is kunmapped.
    for (u64 i = 0; i < pages.size(); ++i)
        if (i != 4)
            REQUIRE(h->kunmap(pages[i]).ok());
    REQUIRE(h->kunmap(extra).ok());
    REQUIRE(h->kunmap(wrap).ok());
    CHECK(h->live_kmaps() == 0);
    CHECK(h->ledger_balanced());
}

TEST_CASE("kmap: machines without HIGHMEM have no Highmem", "[highmem][kmap]") {
    auto a = boot({"arch=i386", "mem=512M", "highmem=off", "kernel=6.1"});
    CHECK(a->highmem() == nullptr);
    auto b = boot({"arch=x86_64", "mem=1G", "kernel=6.1"});
    CHECK(b->highmem() == nullptr);
    auto rules = highmem_rules_for(KernelVersion{6, 1, 0}, Arch::Arm64);
    REQUIRE(rules.is_error());
    CHECK(rules.error().message().find("arm64 has no HIGHMEM") != std::string::npos);
}
