// kmap_atomic/kunmap_atomic and kmap_local_page/kunmap_local through the fixmap kmap slots, per
// era and arch, on booted machines: slot addresses, PTEs set and cleared (or left, ARM before
// 5.11), TLB flushes, LIFO rules, and ARM's reuse of a pkmap address (kmap_high_get).
#include <catch2/catch.hpp>

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

// What init_mm maps at va (nullopt: nothing).
std::optional<KernelMapping> mapped(Machine& m, u64 va) {
    auto r = m.kernel_page_tables().lookup(VirtAddr(va));
    REQUIRE(r);
    return *r;
}

u64 frame(const page* p) {
    return page_to_pfn(p).get() << 12;
}

} // namespace

TEST_CASE("kmap_atomic: i386 2.6.32 km_type slots", "[highmem][kmap_atomic]") {
    auto m = boot({"arch=i386", "mem=2G", "highmem=on", "kernel=2.6.32"});
    Highmem* h = m->highmem();
    REQUIRE(h != nullptr);
    u64 flushes = 0;
    std::pair<u64, u64> last_flush{};
    h->set_tlb_flush([&](VirtAddr s, VirtAddr e) {
        ++flushes;
        last_flush = {s.get(), e.get()};
    });
    page* a = highpage(*m);
    page* b = highpage(*m);

    // 2.6.32 fixmap: FIX_HOLE, FIX_VDSO, FIX_DBGP_BASE, FIX_EARLYCON_MEM_BASE, FIX_APIC_BASE,
    // 64 FIX_IO_APIC -> FIX_KMAP_BEGIN = 69. KM_USER0 = 3: idx = 3 + KM_TYPE_NR * 0, vaddr =
    // __fix_to_virt(69 + 3) = 0xfffff000 - 72 * 4K = 0xfffb7000; KM_USER1: 0xfffb6000.
    KmapResult ra = h->kmap_atomic(a, KM_USER0);
    REQUIRE(ra.ok());
    CHECK(ra.addr == VirtAddr(0xfffb7000));
    KmapResult rb = h->kmap_atomic(b, KM_USER1);
    REQUIRE(rb.ok());
    CHECK(rb.addr == VirtAddr(0xfffb6000));
    // The fixmap PTE: mk_pte(page, kmap_prot = PAGE_KERNEL) = pfn << 12 | 0x163 (non-PAE).
    auto pa = mapped(*m, 0xfffb7000);
    REQUIRE(pa);
    CHECK(pa->pa == PhysAddr(frame(a)));
    CHECK(pa->leaf_raw == (frame(a) | 0x163));
    CHECK(flushes == 0); // x86 kmap_atomic only sets the PTE

    // The km_type argument is required in this era; reusing a live km_type is a BUG.
    CHECK(h->kmap_atomic(a).status == KmapStatus::Invalid);
    CHECK(h->kmap_atomic(b, KM_USER0).status == KmapStatus::Bug);
    CHECK(mapped(*m, 0xfffb7000)->pa == PhysAddr(frame(a)));

    // Unmaps need not nest in this era (each km_type is its own slot). kpte_clear_flush:
    // PTE cleared, one page flushed [0xfffb7000, 0xfffb8000).
    REQUIRE(h->kunmap_atomic(ra.addr.offset(0x123), KM_USER0).ok());
    CHECK_FALSE(mapped(*m, 0xfffb7000));
    CHECK(flushes == 1);
    CHECK(last_flush == std::pair<u64, u64>{0xfffb7000, 0xfffb8000});
    // Wrong km_type for the address, then a double unmap: bugs, nothing changes.
    CHECK(h->kunmap_atomic(rb.addr, KM_USER0).status == KmapStatus::Bug);
    CHECK(h->kunmap_atomic(ra.addr, KM_USER0).status == KmapStatus::Bug);
    REQUIRE(h->kunmap_atomic(rb.addr, KM_USER1).ok());
    CHECK_FALSE(mapped(*m, 0xfffb6000));
    CHECK(flushes == 2);

    // A lowmem page: page_address(), no fixmap PTE, no flush.
    page* low = m->page_allocator().alloc_page(GFP_KERNEL);
    REQUIRE(low != nullptr);
    KmapResult rl = h->kmap_atomic(low, KM_USER0);
    REQUIRE(rl.ok());
    CHECK(rl.addr == VirtAddr(0xc0000000 + frame(low)));
    CHECK_FALSE(mapped(*m, 0xfffb7000));
    REQUIRE(h->kunmap_atomic(rl.addr, KM_USER0).ok());
    CHECK(flushes == 2);
    CHECK(h->ledger_balanced());
}

TEST_CASE("kmap_atomic: i386 3.x per-CPU stack, LIFO", "[highmem][kmap_atomic]") {
    auto m = boot({"arch=i386", "mem=2G", "highmem=on", "kernel=3.18"});
    Highmem* h = m->highmem();
    REQUIRE(h != nullptr);
    page* a = highpage(*m);
    page* b = highpage(*m);
    // 3.16-4.14 fixmap: FIX_HOLE, FIX_DBGP_BASE, FIX_EARLYCON_MEM_BASE, FIX_APIC_BASE, 64
    // FIX_IO_APIC, FIX_RO_IDT -> FIX_KMAP_BEGIN = 69. Stack idx 0: 0xfffff000 - 69 * 4K =
    // 0xfffba000; idx 1: 0xfffb9000. A km_type argument is accepted and ignored.
    KmapResult ra = h->kmap_atomic(a, KM_USER1);
    REQUIRE(ra.ok());
    CHECK(ra.addr == VirtAddr(0xfffba000));
    KmapResult rb = h->kmap_atomic(b);
    REQUIRE(rb.ok());
    CHECK(rb.addr == VirtAddr(0xfffb9000));
    CHECK(h->atomic_depth() == 2);
    CHECK(mapped(*m, 0xfffb9000)->leaf_raw == (frame(b) | 0x163));

    // Not LIFO: the outer mapping cannot go first.
    KmapResult wrong = h->kunmap_atomic(ra.addr);
    CHECK(wrong.status == KmapStatus::Bug);
    CHECK(h->atomic_depth() == 2);
    CHECK(mapped(*m, 0xfffba000));
    REQUIRE(h->kunmap_atomic(rb.addr).ok());
    CHECK_FALSE(mapped(*m, 0xfffb9000));
    REQUIRE(h->kunmap_atomic(ra.addr).ok());
    CHECK_FALSE(mapped(*m, 0xfffba000));
    CHECK(h->tlb_flush_calls() == 2);
    // Unbalanced: nothing left to unmap.
    CHECK(h->kunmap_atomic(ra.addr).status == KmapStatus::Bug);
    // The slot is reused from the bottom of the stack.
    REQUIRE(h->kmap_atomic(b).addr == VirtAddr(0xfffba000));
    REQUIRE(h->kunmap_atomic(VirtAddr(0xfffba000)).ok());
    // kmap_local_page does not exist yet.
    CHECK(h->kmap_local_page(a).status == KmapStatus::Invalid);
    // Not an address kmap_atomic gives: a bug value.
    CHECK(h->kunmap_atomic(VirtAddr(0x1000)).status == KmapStatus::Bug);
    CHECK(h->ledger_balanced());
}

TEST_CASE("kmap_atomic: i386 3.10 has FIX_RO_IDT before the kmap slots", "[highmem][kmap_atomic]") {
    auto m = boot({"arch=i386", "mem=2G", "highmem=on", "kernel=3.10"});
    Highmem* h = m->highmem();
    REQUIRE(h != nullptr);
    // 3.10.4 fixmap: FIX_HOLE, FIX_VDSO, DBGP, EARLYCON, APIC, 64 IO_APIC, FIX_RO_IDT ->
    // FIX_KMAP_BEGIN = 70: 0xfffff000 - 70 * 4K = 0xfffb9000.
    page* a = highpage(*m);
    KmapResult r = h->kmap_atomic(a);
    REQUIRE(r.ok());
    CHECK(r.addr == VirtAddr(0xfffb9000));
    REQUIRE(h->kunmap_atomic(r.addr).ok());
    CHECK(h->ledger_balanced());
}

TEST_CASE("kmap_local: i386 6.1 kmap_local_page and kmap_atomic share the stack",
          "[highmem][kmap_atomic]") {
    auto m = boot({"arch=i386", "mem=2G", "highmem=on", "kernel=6.1"});
    Highmem* h = m->highmem();
    REQUIRE(h != nullptr);
    page* a = highpage(*m);
    page* b = highpage(*m);
    // 6.1 fixmap: FIX_HOLE, FIX_DBGP_BASE, FIX_EARLYCON_MEM_BASE, FIX_APIC_BASE, 64
    // FIX_IO_APIC -> FIX_KMAP_BEGIN = 68: idx 0 at 0xfffff000 - 68 * 4K = 0xfffbb000.
    KmapResult ra = h->kmap_local_page(a);
    REQUIRE(ra.ok());
    CHECK(ra.addr == VirtAddr(0xfffbb000));
    KmapResult rb = h->kmap_atomic(b);
    REQUIRE(rb.ok());
    CHECK(rb.addr == VirtAddr(0xfffba000));
    // A highmem page that is also kmap()ed gets a fixmap slot of its own on x86.
    KmapResult rk = h->kmap(a);
    REQUIRE(rk.ok());
    CHECK(rk.addr == VirtAddr(0xff001000));
    REQUIRE(h->kunmap(a).ok());
    // kunmap_local: pte_clear + flush_tlb_one_kernel (arch_kmap_local_post_unmap).
    REQUIRE(h->kunmap_local(rb.addr).ok());
    REQUIRE(h->kunmap_local(ra.addr).ok());
    CHECK_FALSE(mapped(*m, 0xfffbb000));
    CHECK_FALSE(mapped(*m, 0xfffba000));
    CHECK(h->tlb_flush_calls() == 2);
    CHECK(h->ledger_balanced());
}

TEST_CASE("kmap_atomic: i386-pae PTE has NX", "[highmem][kmap_atomic]") {
    auto m = boot({"arch=i386-pae", "mem=2G", "kernel=4.4"});
    Highmem* h = m->highmem();
    REQUIRE(h != nullptr);
    page* a = highpage(*m);
    // 4.4: FIX_KMAP_BEGIN = 69 -> 0xfffba000. PTE: pfn << 12 | 0x163 | NX (bit 63).
    KmapResult r = h->kmap_atomic(a);
    REQUIRE(r.ok());
    CHECK(r.addr == VirtAddr(0xfffba000));
    auto e = mapped(*m, 0xfffba000);
    REQUIRE(e);
    CHECK(e->leaf_raw == (frame(a) | 0x163 | (u64{1} << 63)));
    REQUIRE(h->kunmap_atomic(r.addr).ok());
    CHECK_FALSE(mapped(*m, 0xfffba000));
    CHECK(h->ledger_balanced());
}

TEST_CASE("kmap_atomic: arm 4.4 leaves the PTE, flushes at map, reuses pkmap",
          "[highmem][kmap_atomic][arm]") {
    auto m = boot({"arch=arm", "mem=1G", "kernel=4.4"});
    Highmem* h = m->highmem();
    REQUIRE(h != nullptr);
    std::vector<std::pair<u64, u64>> flushes;
    h->set_tlb_flush([&](VirtAddr s, VirtAddr e) { flushes.emplace_back(s.get(), e.get()); });
    page* a = highpage(*m);
    page* b = highpage(*m);
    // 4.4 ARM fixmap: FIX_EARLYCON_MEM_BASE, then FIX_KMAP_BEGIN = 1; FIXADDR_TOP =
    // 0xfff00000 - 4K = 0xffeff000, so idx 0 is at 0xffeff000 - 1 * 4K = 0xffefe000.
    KmapResult ra = h->kmap_atomic(a);
    REQUIRE(ra.ok());
    CHECK(ra.addr == VirtAddr(0xffefe000));
    REQUIRE(mapped(*m, 0xffefe000));
    CHECK(mapped(*m, 0xffefe000)->pa == PhysAddr(frame(a)));
    // set_fixmap_pte flushes the page at map time.
    REQUIRE(flushes.size() == 1);
    CHECK(flushes[0] == std::pair<u64, u64>{0xffefe000, 0xffeff000});
    // kunmap_atomic (no DEBUG_HIGHMEM): the PTE stays, no flush.
    REQUIRE(h->kunmap_atomic(ra.addr).ok());
    REQUIRE(mapped(*m, 0xffefe000));
    CHECK(mapped(*m, 0xffefe000)->pa == PhysAddr(frame(a)));
    CHECK(flushes.size() == 1);
    // The next kmap_atomic rewrites the same slot for b and flushes again.
    KmapResult rb = h->kmap_atomic(b);
    REQUIRE(rb.ok());
    CHECK(rb.addr == VirtAddr(0xffefe000));
    CHECK(mapped(*m, 0xffefe000)->pa == PhysAddr(frame(b)));
    CHECK(flushes.size() == 2);
    REQUIRE(h->kunmap_atomic(rb.addr).ok());

    // kmap: PKMAP_BASE = PAGE_OFFSET - PMD_SIZE = 0xbfe00000; slot 1 at 0xbfe01000. The Linux
    // PTE in pkmap_page_table[1] (4 bytes each): pfn << 12 | L_PTE_PRESENT 0x1 | YOUNG 0x2 |
    // MT_WRITEALLOC (7 << 2 = 0x1c) | DIRTY 0x40 | XN 0x200 | SHARED 0x400 = | 0x65f.
    KmapResult rk = h->kmap(a);
    REQUIRE(rk.ok());
    CHECK(rk.addr == VirtAddr(0xbfe01000));
    const PhysAddr pt = *m->kernel_page_tables().pkmap_page_table();
    auto pte = m->phys_memory().read_u32(pt.offset(4));
    REQUIRE(pte.ok());
    CHECK(pte.value == (frame(a) | 0x65f));
    CHECK(mapped(*m, 0xbfe01000)->pa == PhysAddr(frame(a)));
    // kmap_atomic of a kmapped page: kmap_high_get gives the pkmap address, count 2 -> 3.
    KmapResult rg = h->kmap_atomic(a);
    REQUIRE(rg.ok());
    CHECK(rg.addr == VirtAddr(0xbfe01000));
    CHECK(h->pkmap_count(1) == 3);
    CHECK(h->atomic_depth() == 0);
    // kunmap_atomic of a pkmap address is kunmap_high: count 3 -> 2.
    REQUIRE(h->kunmap_atomic(rg.addr.offset(8)).ok());
    CHECK(h->pkmap_count(1) == 2);
    REQUIRE(h->kunmap(a).ok());
    // Lowmem: page_address, nothing mapped or flushed.
    page* low = m->page_allocator().alloc_page(GFP_KERNEL);
    REQUIRE(low != nullptr);
    KmapResult rl = h->kmap_atomic(low);
    REQUIRE(rl.ok());
    CHECK(rl.addr == m->layout().va(PhysAddr(frame(low))));
    REQUIRE(h->kunmap_atomic(rl.addr).ok());
    CHECK(flushes.size() == 2);
    CHECK(h->ledger_balanced());
}

TEST_CASE("kmap_local: arm 6.1 clears the PTE and flushes at map and unmap",
          "[highmem][kmap_atomic][arm]") {
    auto m = boot({"arch=arm", "mem=1G", "kernel=6.1"});
    Highmem* h = m->highmem();
    REQUIRE(h != nullptr);
    page* a = highpage(*m);
    page* b = highpage(*m);
    // FIX_KMAP_BEGIN = 1 (FIX_EARLYCON_MEM_BASE first): idx 0 at 0xffefe000, idx 1 at
    // 0xffefd000.
    KmapResult ra = h->kmap_local_page(a);
    REQUIRE(ra.ok());
    CHECK(ra.addr == VirtAddr(0xffefe000));
    KmapResult rb = h->kmap_local_page(b);
    REQUIRE(rb.ok());
    CHECK(rb.addr == VirtAddr(0xffefd000));
    CHECK(mapped(*m, 0xffefd000)->pa == PhysAddr(frame(b)));
    CHECK(h->tlb_flush_calls() == 2);                          // arch_kmap_local_post_map
    CHECK(h->kunmap_local(ra.addr).status == KmapStatus::Bug); // not LIFO
    REQUIRE(h->kunmap_local(rb.addr).ok());
    REQUIRE(h->kunmap_local(ra.addr).ok());
    // kunmap_local_indexed: pte_clear, then arch_kmap_local_post_unmap flushes.
    CHECK_FALSE(mapped(*m, 0xffefe000));
    CHECK_FALSE(mapped(*m, 0xffefd000));
    CHECK(h->tlb_flush_calls() == 4);
    CHECK(h->ledger_balanced());
}

TEST_CASE("kmap_atomic: arm 3.10 fixmap grows up from FIXADDR_START",
          "[highmem][kmap_atomic][arm]") {
    auto m = boot({"arch=arm", "mem=1G", "kernel=3.10"});
    Highmem* h = m->highmem();
    REQUIRE(h != nullptr);
    page* a = highpage(*m);
    page* b = highpage(*m);
    // Before 3.19: __fix_to_virt(x) = FIXADDR_START + x * 4K with FIXADDR_START 0xfff00000
    // and FIX_KMAP_BEGIN 0: idx 0 at 0xfff00000, idx 1 at 0xfff01000.
    KmapResult ra = h->kmap_atomic(a);
    REQUIRE(ra.ok());
    CHECK(ra.addr == VirtAddr(0xfff00000));
    KmapResult rb = h->kmap_atomic(b);
    REQUIRE(rb.ok());
    CHECK(rb.addr == VirtAddr(0xfff01000));
    CHECK(mapped(*m, 0xfff01000)->pa == PhysAddr(frame(b)));
    REQUIRE(h->kunmap_atomic(rb.addr).ok());
    REQUIRE(h->kunmap_atomic(ra.addr).ok());
    // PTEs left in place (no DEBUG_HIGHMEM).
    CHECK(mapped(*m, 0xfff00000)->pa == PhysAddr(frame(a)));
    CHECK(mapped(*m, 0xfff01000)->pa == PhysAddr(frame(b)));
    CHECK(h->ledger_balanced());
}

TEST_CASE("kmap_atomic: nesting deeper than the slots is a bug value", "[highmem][kmap_atomic]") {
    auto m = boot({"arch=i386", "mem=2G", "highmem=on", "kernel=6.1"});
    Highmem* h = m->highmem();
    REQUIRE(h != nullptr);
    page* a = highpage(*m);
    // KM_MAX_IDX = 16 slots per CPU: the 17th nested kmap_local BUGs in kmap_local_idx_push.
    std::vector<VirtAddr> addrs;
    for (unsigned i = 0; i < 16; ++i) {
        KmapResult r = h->kmap_local_page(a);
        REQUIRE(r.ok());
        // idx i at 0xfffbb000 - i * 4K.
        CHECK(r.addr == VirtAddr(0xfffbb000 - u64{i} * 4096));
        addrs.push_back(r.addr);
    }
    CHECK(h->kmap_local_page(a).status == KmapStatus::Bug);
    CHECK(h->atomic_depth() == 16);
    for (auto it = addrs.rbegin(); it != addrs.rend(); ++it)
        REQUIRE(h->kunmap_local(*it).ok());
    CHECK(h->ledger_balanced());
}
