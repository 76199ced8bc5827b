// The anonymous fault path: demand paging, the zero page, COW from it, the PTE bits each arch
// installs (checked through a walk of the process's page tables), and the signals of bad
// accesses (kernel-semantics §4.1a, §4.3, §4.4).
#include "test_user_fixtures.h"

#include "mm/page.h"
#include "mm/zone.h"

using namespace kmemu;
using namespace kmemu::test;

namespace {

// The leaf entry a walk of va ends at, as stored in the table.
u64 walked_leaf(MmStruct& mm, VirtAddr va) {
    auto rec = mm.walk(va);
    REQUIRE(!rec.is_error());
    REQUIRE(rec.value().depth > 0);
    return rec.value().levels[rec.value().depth - 1].raw;
}

u64 zero_pa(MmStruct& mm) {
    return mm.zero_pfn().get() << 12;
}

} // namespace

TEST_CASE("user fault x86_64 6.1: a page is allocated only on the first write", "[user_fault]") {
    auto m = boot_machine(kX86_64_61);
    auto mm = make_mm(*m);
    const VirtAddr a = must_mmap(*mm, 3 * 4096);
    const u64 before = m->page_allocator().nr_free_pages();
    // Nothing mapped yet: no PTE.
    CHECK(pte_of(*mm, a) == 0);
    // A read of fresh memory gives zeros and maps the shared zero page (special, read-only).
    auto r = mm->user_load<u64>(a.offset(8));
    REQUIRE(r.ok());
    CHECK(r.value() == 0);
    CHECK(walked_leaf(*mm, a) == (0x8000000000000225u | zero_pa(*mm)));
    // The PTE table (and the PUD/PMD above it) came from the allocator; no data page.
    const u64 after_read = m->page_allocator().nr_free_pages();
    CHECK(before - after_read == 3);
    CHECK(mm->anon_rss() == 0);
    // The first write COWs from the zero page into a fresh zeroed page: 0x...867 with soft
    // dirty (P|RW|US|A|D|SOFT_DIRTY|NX).
    REQUIRE(mm->user_store<u32>(a.offset(16), 0xdeadbeef).ok());
    CHECK(m->page_allocator().nr_free_pages() == after_read - 1);
    CHECK(mm->anon_rss() == 1);
    const u64 pte = walked_leaf(*mm, a);
    CHECK((pte & 0xfff0000000000fffu) == 0x8000000000000867u);
    const Pfn pfn((pte & 0x000ffffffffff000u) >> 12);
    CHECK(pfn != mm->zero_pfn());
    CHECK(mm->user_load<u32>(a.offset(16)).value() == 0xdeadbeef);
    CHECK(mm->user_load<u64>(a).value() == 0); // the rest of the new page is zero
    // The bytes are in that frame.
    auto v = m->phys_memory().read_u32(PhysAddr((pfn.get() << 12) + 16));
    CHECK(v.value == 0xdeadbeef);
    // Pages 1 and 2 are still unmapped; a first write maps a page directly (no zero page).
    REQUIRE(mm->user_store<u8>(a.offset(4096), 1).ok());
    CHECK((walked_leaf(*mm, a.offset(4096)) & 0xfffu) == 0x867u);
    CHECK(pte_of(*mm, a.offset(2 * 4096)) == 0);
    // The user table entries are _PAGE_TABLE (P|RW|US|A|D).
    auto rec = mm->walk(a);
    REQUIRE(!rec.is_error());
    for (unsigned i = 0; i + 1 < rec.value().depth; ++i)
        CHECK((rec.value().levels[i].raw & 0xfffu) == 0x067u);
}

TEST_CASE("user fault i386 6.1 HIGHMEM: user pages come from highmem, no NX bit", "[user_fault]") {
    auto m = boot_machine(kI386Highmem61);
    auto mm = make_mm(*m);
    const VirtAddr a = must_mmap(*mm, 4096);
    CHECK(a == VirtAddr(0xb7fff000));
    REQUIRE(mm->user_load<u8>(a).ok());
    CHECK(walked_leaf(*mm, a) == (0x225u | zero_pa(*mm)));
    REQUIRE(mm->user_store<u16>(a.offset(2), 0x1234).ok());
    const u64 pte = walked_leaf(*mm, a);
    CHECK((pte & 0xfffu) == 0x067u);
    const Pfn pfn(pte >> 12);
    page* p = m->page_allocator().pfn_to_page(pfn);
    REQUIRE(p != nullptr);
    CHECK(PageHighMem(p)); // GFP_HIGHUSER_MOVABLE takes highmem first
    CHECK(page_count(p) == 1);
    CHECK(page_mapcount(p) == 1);
}

TEST_CASE("user fault i386 PAE: NX in user PTEs before 6.0, none from 6.0", "[user_fault]") {
    for (const char* k : {"kernel=5.10", "kernel=6.1"}) {
        auto m = boot_machine({"arch=i386-pae", "mem=512M", k});
        auto mm = make_mm(*m);
        const VirtAddr a = must_mmap(*mm, 4096);
        REQUIRE(mm->user_load<u8>(a).ok());
        const u64 nx = std::string(k) == "kernel=5.10" ? 0x8000000000000000u : 0;
        INFO(k);
        CHECK(walked_leaf(*mm, a) == (nx | 0x225u | zero_pa(*mm)));
        REQUIRE(mm->user_store<u8>(a, 7).ok());
        CHECK((walked_leaf(*mm, a) & 0x8000000000000fffu) == (nx | 0x067u));
        // PAE: the PDPTE of a user GiB carries P only.
        auto rec = mm->walk(a);
        REQUIRE(!rec.is_error());
        CHECK((rec.value().levels[0].raw & 0xfffu) == 0x001u);
    }
}

TEST_CASE("user fault arm64 6.1: user PTE bits of the zero page and of a written page",
          "[user_fault]") {
    auto m = boot_machine(kArm64_61);
    auto mm = make_mm(*m);
    const VirtAddr a = must_mmap(*mm, 4096);
    CHECK(a == VirtAddr(0xfffff7fff000));
    REQUIRE(mm->user_load<u32>(a).ok());
    // PAGE_READONLY | PTE_SPECIAL: TYPE|USER|RDONLY|SH|AF|NG, PXN|UXN|SPECIAL.
    CHECK(walked_leaf(*mm, a) == (0x0160000000000fc3u | zero_pa(*mm)));
    REQUIRE(mm->user_store<u32>(a, 5).ok());
    // PAGE_COPY + pte_mkdirty + pte_mkwrite: RDONLY clear, DBM (PTE_WRITE) and PTE_DIRTY set.
    CHECK((walked_leaf(*mm, a) & 0xffff000000000fffu) == 0x00e8000000000f43u);
    // User tables: TYPE_TABLE | PXNTable (5.11+ era of kmemu's kernel tables).
    auto rec = mm->walk(a);
    REQUIRE(!rec.is_error());
    CHECK(rec.value().levels[0].raw >> 59 == 1);
    CHECK((rec.value().levels[0].raw & 3) == 3);
}

TEST_CASE("user fault arm64 4.19: MT_NORMAL index 4 and the old mmap_base gap", "[user_fault]") {
    auto m = boot_machine({"arch=arm64", "mem=512M", "kernel=4.19"});
    auto mm = make_mm(*m);
    // MIN_GAP = 128M + (STACK_RND_MASK << PAGE_SHIFT) + 1: base PAGE_ALIGN(2^48 - 0x47fff001).
    CHECK(mm->mmap_base() == 0xffffb8001000u);
    const VirtAddr a = must_mmap(*mm, 4096);
    CHECK(a == VirtAddr(0xffffb8000000));
    REQUIRE(mm->user_store<u8>(a, 1).ok());
    CHECK((walked_leaf(*mm, a) & 0xffff000000000fffu) == 0x00e8000000000f53u);
}

TEST_CASE("user fault 2.6.24-2.6.31: no zero page, a read fault allocates", "[user_fault]") {
    auto m = boot_machine({"arch=i386", "mem=512M", "kernel=2.6.28"});
    auto mm = make_mm(*m);
    const VirtAddr a = must_mmap(*mm, 4096);
    const u64 free0 = m->page_allocator().nr_free_pages();
    REQUIRE(mm->user_load<u8>(a).ok());
    // PTE table + a zeroed data page, mapped writable and dirty (maybe_mkwrite(pte_mkdirty)).
    CHECK(free0 - m->page_allocator().nr_free_pages() == 2);
    CHECK((walked_leaf(*mm, a) & 0xfffu) == 0x067u);
    CHECK(mm->anon_rss() == 1);
}

TEST_CASE("user fault 2.6.20: the zero page without the special bit", "[user_fault]") {
    auto m = boot_machine({"arch=i386", "mem=512M", "kernel=2.6.20"});
    auto mm = make_mm(*m);
    const VirtAddr a = must_mmap(*mm, 4096);
    REQUIRE(mm->user_load<u8>(a).ok());
    CHECK(walked_leaf(*mm, a) == (0x025u | zero_pa(*mm)));
}

TEST_CASE("user fault: SIGSEGV SEGV_MAPERR without a VMA, SEGV_ACCERR for a store to PROT_READ",
          "[user_fault]") {
    auto m = boot_machine(kX86_64_61);
    auto mm = make_mm(*m);
    const VirtAddr a = must_mmap(*mm, 4096, PROT_READ);
    // One byte past the mapping (case 35 style): nothing is mapped there.
    auto past = mm->user_load<u8>(a.offset(4096));
    REQUIRE(!past.ok());
    CHECK(*past.signal() == UserSignal{SIGSEGV, SEGV_MAPERR, a.offset(4096)});
    auto st = mm->user_store<u32>(a.offset(12), 1);
    REQUIRE(!st.ok());
    CHECK(*st.signal() == UserSignal{SIGSEGV, SEGV_ACCERR, a.offset(12)});
    CHECK(st.signal()->describe() == fmt::format("SIGSEGV (SEGV_ACCERR) at {:#x}", a.get() + 12));
    // Reads of the PROT_READ mapping work (zeros).
    CHECK(mm->user_load<u64>(a).value() == 0);
    // A load crossing into the unmapped page faults at the first byte of that page.
    auto cross = mm->user_load<u64>(a.offset(4092));
    REQUIRE(!cross.ok());
    CHECK(cross.signal()->addr == a.offset(4096));
    // PROT_NONE: even a read is SEGV_ACCERR.
    const VirtAddr n = must_mmap(*mm, 4096, PROT_NONE);
    CHECK(*mm->user_load<u8>(n).signal() == UserSignal{SIGSEGV, SEGV_ACCERR, n});
    // Kernel addresses: MAPERR; a non-canonical x86_64 address: #GP, SI_KERNEL with addr 0.
    CHECK(*mm->user_load<u8>(VirtAddr(0xffff888000000000)).signal() ==
          UserSignal{SIGSEGV, SEGV_MAPERR, VirtAddr(0xffff888000000000)});
    CHECK(*mm->user_load<u8>(VirtAddr(0x0000900000000000)).signal() ==
          UserSignal{SIGSEGV, SI_KERNEL, VirtAddr(0)});
}

TEST_CASE("user fault: write then read back across a page boundary; user_write partial progress",
          "[user_fault]") {
    auto m = boot_machine(kArm64_61);
    auto mm = make_mm(*m);
    const VirtAddr a = must_mmap(*mm, 2 * 4096);
    REQUIRE(mm->user_store<u64>(a.offset(4092), 0x1122334455667788u).ok());
    CHECK(mm->user_load<u64>(a.offset(4092)).value() == 0x1122334455667788u);
    CHECK(mm->user_load<u32>(a.offset(4096)).value() == 0x11223344u);
    // A user memcpy running off the end stores what fits, then SIGSEGV at the first bad byte.
    std::vector<u8> buf(100, 0xab);
    auto w = mm->user_write(a.offset(2 * 4096 - 40), buf);
    CHECK(w.bytes_done == 40);
    REQUIRE(w.signal);
    CHECK(*w.signal == UserSignal{SIGSEGV, SEGV_MAPERR, a.offset(2 * 4096)});
    std::vector<u8> back(40);
    auto rd = mm->user_read(a.offset(2 * 4096 - 40), back);
    CHECK(rd.ok());
    CHECK(back == std::vector<u8>(40, 0xab));
}

TEST_CASE("user fault: a VM_GROWSDOWN mapping grows down within RLIMIT_STACK", "[user_fault]") {
    auto m = boot_machine(kX86_64_61);
    auto mm = make_mm(*m);
    const VirtAddr s = must_mmap(*mm, 4096, kRW, kAnonPrivate | MAP_GROWSDOWN);
    CHECK(mm->find_vma(s)->vm_flags & VM_GROWSDOWN);
    REQUIRE(mm->user_store<u8>(s.offset_down(3 * 4096), 9).ok());
    const vm_area_struct* v = mm->find_vma(s);
    CHECK(v->vm_start == s.get() - 3 * 4096);
    CHECK(v->vm_end == s.get() + 4096);
    CHECK(mm->map_count() == 1);
    // Beyond 8 MiB below the top: no growth, SEGV_MAPERR.
    const VirtAddr far = s.offset(4096).offset_down(8 * MiB + 4096);
    CHECK(*mm->user_load<u8>(far).signal() == UserSignal{SIGSEGV, SEGV_MAPERR, far});
}

namespace {
// A driver's ->fault that hands out one page at pgoff `want`.
struct OnePageDriver {
    page* drv = nullptr;
    unsigned long want = 0;
    unsigned calls = 0;
};
OnePageDriver g_one_page;
vm_fault_t one_page_fault(struct vm_fault* vmf) {
    ++g_one_page.calls;
    if (vmf->pgoff != g_one_page.want)
        return VM_FAULT_SIGBUS;
    get_page(g_one_page.drv);
    vmf->page = g_one_page.drv;
    return 0;
}
} // namespace

TEST_CASE("user fault: vm_ops without ->fault is SIGBUS (4.2+); ->fault maps the driver's page",
          "[user_fault]") {
    auto m = boot_machine(kX86_64_61);
    auto mm = make_mm(*m);
    const VirtAddr a = must_mmap(*mm, 2 * 4096, kRW);
    vm_area_struct* vma = mm->find_vma(a);
    REQUIRE(vma != nullptr);
    static const vm_operations_struct no_fault{};
    vma->vm_ops = &no_fault;
    CHECK(*mm->user_load<u8>(a).signal() == UserSignal{SIGBUS, BUS_ADRERR, a});
    // ->fault hands out one driver page: a read maps it read-only (private), a write COWs.
    page* drv = m->page_allocator().alloc_page(GFP_KERNEL | __GFP_ZERO);
    REQUIRE(drv != nullptr);
    REQUIRE(m->phys_memory().write_u8(PhysAddr(page_to_pfn(drv).get() << 12), 0x5a) ==
            PhysStatus::Ok);
    g_one_page = OnePageDriver{drv, a.get() / 4096, 0};
    static const vm_operations_struct ops{.fault = one_page_fault};
    vma->vm_ops = &ops;
    unsigned& calls = g_one_page.calls;
    CHECK(mm->user_load<u8>(a).value() == 0x5a);
    CHECK(calls == 1);
    CHECK(page_count(drv) == 2);
    CHECK(mm->user_load<u8>(a.offset(1)).value() == 0); // no second fault
    CHECK(calls == 1);
    REQUIRE(mm->user_store<u8>(a, 0x77).ok()); // COW without calling ->fault
    CHECK(calls == 1);
    CHECK(page_count(drv) == 1);
    CHECK(m->phys_memory().read_u8(PhysAddr(page_to_pfn(drv).get() << 12)).value == 0x5a);
    CHECK(mm->user_load<u8>(a).value() == 0x77);
    // The second page: the hook refuses (pgoff beyond its buffer).
    CHECK(*mm->user_load<u8>(a.offset(4096)).signal() ==
          UserSignal{SIGBUS, BUS_ADRERR, a.offset(4096)});
    m->page_allocator().__free_page(drv);
}
