// mmap of anonymous memory: where mappings go per arch/version (kernel-semantics §4.6), the
// errors of do_mmap (§4.5), VMA merging, MAP_FIXED, and munmap's splits (§4.7).
#include "test_user_fixtures.h"

using namespace kmemu;
using namespace kmemu::test;

TEST_CASE("user mmap x86_64: top-down from mmap_base, adjacent mappings merge", "[user_mmap]") {
    auto m = boot_machine(kX86_64_61);
    auto mm = make_mm(*m);
    // mmap_base = TASK_SIZE - max(128M, 8M + stack_guard_gap) = 0x7ffff7fff000. A kmemu
    // process has no [vvar]/[vdso] (an exec'd one gets 0x7ffff7ff8000 first, case 102).
    CHECK(mm->topdown());
    CHECK(mm->mmap_base() == 0x7ffff7fff000u);
    CHECK(must_mmap(*mm, 4096) == VirtAddr(0x7ffff7ffe000));
    CHECK(must_mmap(*mm, 4096) == VirtAddr(0x7ffff7ffd000));
    CHECK(mm->map_count() == 1); // identical flags: one VMA
    const vm_area_struct* v = mm->first_vma();
    REQUIRE(v != nullptr);
    CHECK(v->vm_start == 0x7ffff7ffd000u);
    CHECK(v->vm_end == 0x7ffff7fff000u);
    CHECK(v->vm_pgoff == 0x7ffff7ffdu); // anonymous: pgoff = addr >> PAGE_SHIFT
    // VM_READ|WRITE|MAYREAD|MAYWRITE|MAYEXEC|ACCOUNT|SOFTDIRTY.
    CHECK(v->vm_flags ==
          (VM_READ | VM_WRITE | VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC | VM_ACCOUNT | VM_SOFTDIRTY));
    CHECK(pgprot_val(v->vm_page_prot) == 0x8000000000000025u); // PAGE_COPY
    // Different protections do not merge.
    CHECK(must_mmap(*mm, 8192, PROT_READ) == VirtAddr(0x7ffff7ffb000));
    CHECK(mm->map_count() == 2);
    CHECK(v->vm_prev != nullptr);
    CHECK(mm->first_vma()->vm_next == v);
}

TEST_CASE("user mmap: first addresses per arch, split and version", "[user_mmap]") {
    struct Case {
        std::vector<std::string> words;
        u64 base, first;
    };
    const std::vector<Case> cases = {
        {kI386Highmem61, 0xb8000000u, 0xb7fff000u},
        {{"arch=i386", "mem=512M", "split=2G", "kernel=6.1"}, 0x78000000u, 0x77fff000u},
        {{"arch=i386-pae", "mem=512M", "kernel=2.6.32"}, 0xb8000000u, 0xb7fff000u},
        {{"arch=x86_64", "mem=512M", "kernel=3.10"}, 0x7ffff7fff000u, 0x7ffff7ffe000u},
        {{"arch=x86_64-la57", "mem=512M", "kernel=6.1"}, 0x7ffff7fff000u, 0x7ffff7ffe000u},
        {{"arch=arm", "mem=512M", "kernel=4.4"}, 0xb7000000u, 0xb6fff000u},
        {{"arch=arm-lpae", "mem=512M", "kernel=6.1"}, 0xb7000000u, 0xb6fff000u},
        {kArm64_61, 0xfffff8000000u, 0xfffff7fff000u},
        {{"arch=arm64", "mem=512M", "va_bits=39", "kernel=6.1"}, 0x7ff8000000u, 0x7ff7fff000u},
    };
    for (const Case& c : cases) {
        auto m = boot_machine(c.words);
        auto mm = make_mm(*m);
        INFO(fmt::format("{} {}", c.words[0], c.words.back()));
        CHECK(mm->topdown());
        CHECK(mm->mmap_base() == c.base);
        CHECK(must_mmap(*mm, 4096) == VirtAddr(c.first));
    }
}

TEST_CASE("user mmap: legacy bottom-up layouts", "[user_mmap]") {
    // x86_64 2.6.24: bottom-up from TASK_UNMAPPED_BASE = PAGE_ALIGN(TASK_SIZE / 3).
    {
        auto m = boot_machine({"arch=x86_64", "mem=512M", "kernel=2.6.24"});
        auto mm = make_mm(*m);
        CHECK_FALSE(mm->topdown());
        CHECK(must_mmap(*mm, 4096) == VirtAddr(0x2aaaaaaab000));
        CHECK(must_mmap(*mm, 4096) == VirtAddr(0x2aaaaaaac000));
    }
    // i386 4.4 with RLIMIT_STACK unlimited: legacy; 6.1 no longer looks at the rlimit.
    MmOptions unlimited;
    unlimited.rlimit_stack = kRlimInfinity;
    {
        auto m = boot_machine({"arch=i386", "mem=512M", "kernel=4.4"});
        auto mm = make_mm(*m, unlimited);
        CHECK_FALSE(mm->topdown());
        CHECK(must_mmap(*mm, 4096) == VirtAddr(0x40000000));
    }
    {
        auto m = boot_machine({"arch=i386", "mem=512M", "kernel=6.1"});
        auto mm = make_mm(*m, unlimited);
        CHECK(mm->topdown());
        CHECK(mm->mmap_base() == 0x20000000u); // gap clamped to TASK_SIZE / 6 * 5
    }
    // ARM before top-down support (3.2): bottom-up from TASK_UNMAPPED_BASE = PAGE_OFFSET / 3.
    {
        auto m = boot_machine({"arch=arm", "mem=512M", "kernel=2.6.38"});
        auto mm = make_mm(*m);
        CHECK_FALSE(mm->topdown());
        CHECK(must_mmap(*mm, 4096) == VirtAddr(0x40000000));
    }
    // vm.legacy_va_layout = 1 on arm64: TASK_UNMAPPED_BASE = TASK_SIZE / 4.
    MmOptions legacy;
    legacy.legacy_va_layout = true;
    auto m = boot_machine(kArm64_61);
    auto mm = make_mm(*m, legacy);
    CHECK(must_mmap(*mm, 4096) == VirtAddr(0x400000000000));
}

TEST_CASE("user mmap: do_mmap errors and the hint", "[user_mmap]") {
    auto m = boot_machine(kX86_64_61);
    auto mm = make_mm(*m);
    CHECK(mm->mmap_anonymous(VirtAddr(0), 0, kRW, kAnonPrivate) == -EINVAL);
    CHECK(mm->mmap_anonymous(VirtAddr(0), 4096, kRW, MAP_ANONYMOUS) == -EINVAL); // no type
    CHECK(mm->mmap_anonymous(VirtAddr(0), 4096, kRW, MAP_ANONYMOUS | 0x0f) == -EINVAL);
    CHECK(mm->mmap_anonymous(VirtAddr(0), 4096, kRW, MAP_PRIVATE) == -EBADF); // fd -1
    CHECK(mm->mmap_anonymous(VirtAddr(0x10001), 4096, kRW, kAnonPrivate | MAP_FIXED) == -EINVAL);
    CHECK(mm->mmap_anonymous(VirtAddr(0), ~u64{0} - 100, kRW, kAnonPrivate) == -ENOMEM);
    CHECK(mm->mmap_anonymous(VirtAddr(0), u64{1} << 47, kRW, kAnonPrivate) == -ENOMEM);
    // More than the machine's RAM, accounted: -ENOMEM; with MAP_NORESERVE it is only address
    // space.
    CHECK(mm->mmap_anonymous(VirtAddr(0), 1 * GiB, kRW, kAnonPrivate) == -ENOMEM);
    CHECK(mm->mmap_anonymous(VirtAddr(0), 1 * GiB, kRW, kAnonPrivate | MAP_NORESERVE) ==
          static_cast<i64>(0x7ffff7fff000u - GiB));
    // MAP_FIXED below mmap_min_addr needs CAP_SYS_RAWIO.
    CHECK(mm->mmap_anonymous(VirtAddr(0), 4096, kRW, kAnonPrivate | MAP_FIXED) == -EPERM);
    mm->set_cap_sys_rawio(true);
    CHECK(mm->mmap_anonymous(VirtAddr(0), 4096, kRW, kAnonPrivate | MAP_FIXED) == 0);
    // A free hint is taken, rounded down to its page (round_hint_to_min); a taken one falls
    // back to the search; a hint of less than a page is no hint.
    CHECK(mm->mmap_anonymous(VirtAddr(0x10000123), 4096, kRW, kAnonPrivate) == 0x10000000);
    CHECK(mm->mmap_anonymous(VirtAddr(0x10000000), 4096, kRW, kAnonPrivate) == 0x7fffb7ffe000);
    CHECK(mm->mmap_anonymous(VirtAddr(0x100), 4096, kRW, kAnonPrivate) == 0x7fffb7ffd000);
    // A hint below vm.mmap_min_addr is raised to it.
    MmOptions high_min;
    high_min.mmap_min_addr = 65536;
    auto mm2 = make_mm(*m, high_min);
    CHECK(mm2->mmap_anonymous(VirtAddr(0x2000), 4096, kRW, kAnonPrivate) == 0x10000);
}

TEST_CASE("user mmap: MAP_FIXED replaces, MAP_FIXED_NOREPLACE refuses (4.17+)", "[user_mmap]") {
    for (const char* k : {"kernel=4.14", "kernel=6.1"}) {
        auto m = boot_machine({"arch=x86_64", "mem=512M", k});
        auto mm = make_mm(*m);
        const VirtAddr a = must_mmap(*mm, 3 * 4096);
        REQUIRE(mm->user_store<u8>(a.offset(4096), 0x42).ok());
        const i64 nr =
            mm->mmap_anonymous(a.offset(4096), 4096, kRW, kAnonPrivate | KMEMU_MAP_FIXED_NOREPLACE);
        INFO(k);
        if (std::string(k) == "kernel=6.1")
            CHECK(nr == -EEXIST);
        else
            CHECK(nr == static_cast<i64>(a.get() - 4096)); // unknown flag: the hint, taken
        // MAP_FIXED over the middle page: a fresh (zero) page, the VMA split in three pieces
        // that merge back into one (same flags, contiguous pgoff).
        CHECK(mm->mmap_anonymous(a.offset(4096), 4096, kRW, kAnonPrivate | MAP_FIXED) ==
              static_cast<i64>(a.get() + 4096));
        CHECK(mm->user_load<u8>(a.offset(4096)).value() == 0);
        CHECK(mm->find_vma(a)->vm_end == a.get() + 3 * 4096);
    }
}

TEST_CASE("user munmap: errors, splits, offsets and the pages given back", "[user_mmap]") {
    auto m = boot_machine(kX86_64_61);
    auto mm = make_mm(*m);
    CHECK(mm->munmap(VirtAddr(0x10001), 4096) == -EINVAL); // case 38
    CHECK(mm->munmap(VirtAddr(0x10000), 0) == -EINVAL);
    CHECK(mm->munmap(VirtAddr(0x10000), 4096) == 0); // nothing there
    CHECK(mm->munmap(VirtAddr(0x7ffffffff000), 8192) == -EINVAL);
    const VirtAddr x = must_mmap(*mm, 3 * 4096);
    std::vector<u8> data(3 * 4096, 0x5c);
    REQUIRE(mm->user_write(x, data).ok());
    CHECK(mm->anon_rss() == 3);
    const u64 free_before = m->page_allocator().nr_free_pages();
    // The middle page (case 37 style): two VMAs, the upper one's pgoff advanced.
    CHECK(mm->munmap(x.offset(4096), 4096) == 0);
    CHECK(m->page_allocator().nr_free_pages() == free_before + 1);
    CHECK(mm->anon_rss() == 2);
    REQUIRE(mm->map_count() == 2);
    const vm_area_struct* lo = mm->first_vma();
    const vm_area_struct* hi = lo->vm_next;
    CHECK(lo->vm_start == x.get());
    CHECK(lo->vm_end == x.get() + 4096);
    CHECK(hi->vm_start == x.get() + 2 * 4096);
    CHECK(hi->vm_pgoff == lo->vm_pgoff + 2);
    CHECK(pte_of(*mm, x.offset(4096)) == 0);
    CHECK(*mm->user_load<u8>(x.offset(4096)).signal() ==
          UserSignal{SIGSEGV, SEGV_MAPERR, x.offset(4096)});
    CHECK(mm->user_load<u8>(x.offset(2 * 4096)).value() == 0x5c);
    // Unmapping everything gives the data pages and the now-empty page tables back (the
    // PTE, PMD and PUD tables of this corner of the address space).
    CHECK(mm->munmap(x, 3 * 4096) == 0);
    CHECK(mm->map_count() == 0);
    CHECK(m->page_allocator().nr_free_pages() == free_before + 3 + 3);
    CHECK(mm->page_tables().table_pages() == 1); // the pgd
}

TEST_CASE("user munmap: page tables stay while a neighbour in their span is mapped",
          "[user_mmap]") {
    auto m = boot_machine(kI386Highmem61);
    auto mm = make_mm(*m);
    const VirtAddr a = must_mmap(*mm, 4096);
    const VirtAddr b = must_mmap(*mm, 4096, PROT_READ); // a separate VMA just below
    REQUIRE(b.offset(4096) == a);
    REQUIRE(mm->user_store<u8>(a, 1).ok());
    REQUIRE(mm->user_load<u8>(b).ok());
    const u64 tables = mm->page_tables().table_pages();
    CHECK(tables == 2); // pgd + one PTE table (2-level)
    CHECK(mm->munmap(a, 4096) == 0);
    CHECK(mm->page_tables().table_pages() == 2); // b still uses the PTE table
    CHECK(mm->munmap(b, 4096) == 0);
    CHECK(mm->page_tables().table_pages() == 1);
}

TEST_CASE("user mprotect: permissions, splits, merges and errors", "[user_mmap]") {
    auto m = boot_machine(kX86_64_61);
    auto mm = make_mm(*m);
    const VirtAddr a = must_mmap(*mm, 3 * 4096);
    REQUIRE(mm->user_write(a, std::vector<u8>(3 * 4096, 1)).ok());
    CHECK(mm->mprotect(a.offset(4096), 4096, PROT_READ) == 0);
    CHECK(mm->map_count() == 3);
    CHECK(*mm->user_store<u8>(a.offset(4096), 2).signal() ==
          UserSignal{SIGSEGV, SEGV_ACCERR, a.offset(4096)});
    CHECK((pte_of(*mm, a.offset(4096)) & 0x2) == 0); // RW cleared, A/D/soft-dirty kept
    CHECK((pte_of(*mm, a.offset(4096)) & 0xfffu) == 0x865u);
    // Back to RW: one VMA again; the PTE becomes writable on the next write fault (reuse).
    CHECK(mm->mprotect(a.offset(4096), 4096, kRW) == 0);
    CHECK(mm->map_count() == 1);
    const u64 free0 = m->page_allocator().nr_free_pages();
    REQUIRE(mm->user_store<u8>(a.offset(4096), 3).ok());
    CHECK(m->page_allocator().nr_free_pages() == free0); // no copy: the page was exclusive
    CHECK((pte_of(*mm, a.offset(4096)) & 0xfffu) == 0x867u);
    CHECK(mm->mprotect(a.offset(1), 4096, PROT_READ) == -EINVAL);
    CHECK(mm->mprotect(a, 4096, 0x40) == -EINVAL);
    CHECK(mm->mprotect(a.offset_down(4096), 8192, PROT_READ) == -ENOMEM); // starts in a hole
    CHECK(mm->mprotect(a, 0, PROT_READ) == 0);
}

TEST_CASE("user mmap: running out of address space and of VMAs", "[user_mmap]") {
    auto m = boot_machine({"arch=i386", "mem=512M", "kernel=6.1"});
    MmOptions few;
    few.max_map_count = 3;
    auto mm = make_mm(*m, few);
    // 3G/1G: the top-down search below 0xb8000000 has 0xb7fff000 bytes; a bigger request
    // falls back to bottom-up from TASK_UNMAPPED_BASE (0x40000000), which has less still.
    const int noreserve = kAnonPrivate | MAP_NORESERVE;
    CHECK(mm->mmap_anonymous(VirtAddr(0), 0xb8000000, kRW, noreserve) == -ENOMEM);
    CHECK(mm->mmap_anonymous(VirtAddr(0), 0xb7fff000, kRW, noreserve) == 0x1000);
    // Only the bottom-up window above mmap_base is left: [0xb8000000, 0xc0000000).
    CHECK(mm->mmap_anonymous(VirtAddr(0), 4096, PROT_READ, noreserve) == 0xb8000000);
    CHECK(mm->mmap_anonymous(VirtAddr(0), 0x8000000, PROT_READ, kAnonPrivate) == -ENOMEM);
    // map_count 2 of 3: one more VMA fits (map_count > max_map_count is the test), then a
    // munmap that would split one VMA in two is refused.
    CHECK(mm->mmap_anonymous(VirtAddr(0), 4096, PROT_EXEC, kAnonPrivate) == 0xb8001000);
    CHECK(mm->mmap_anonymous(VirtAddr(0), 4096, PROT_READ | PROT_EXEC, kAnonPrivate) == 0xb8002000);
    CHECK(mm->map_count() == 4);
    CHECK(mm->mmap_anonymous(VirtAddr(0), 4096, kRW, kAnonPrivate) == -ENOMEM);
    CHECK(mm->munmap(VirtAddr(0x2000), 4096) == -ENOMEM);
    CHECK(mm->munmap(VirtAddr(0x1000), 4096) == 0); // at a VMA's start: no new VMA
    CHECK(mm->find_vma(VirtAddr(0x1000))->vm_start == 0x2000u);
}

TEST_CASE("user mprotect x86_64 6.1: PROT_NONE inverts the PTE's frame (L1TF) and back",
          "[user_mmap]") {
    auto m = boot_machine(kX86_64_61);
    auto mm = make_mm(*m);
    const VirtAddr a = must_mmap(*mm, 4096);
    REQUIRE(mm->user_store<u8>(a, 0x99).ok());
    const u64 pte = pte_of(*mm, a);
    const u64 pfn_bits = pte & 0x000ffffffffff000u;
    REQUIRE(mm->mprotect(a, 4096, PROT_NONE) == 0);
    const u64 none = pte_of(*mm, a);
    // _PAGE_PROTNONE|A kept with D and SOFT_DIRTY; no P, no NX; the frame bits inverted.
    CHECK((none & 0xfff0000000000fffu) == 0x960u);
    CHECK((~none & 0x000ffffffffff000u) == pfn_bits);
    CHECK(*mm->user_load<u8>(a).signal() == UserSignal{SIGSEGV, SEGV_ACCERR, a});
    REQUIRE(mm->mprotect(a, 4096, PROT_READ) == 0);
    CHECK(pte_of(*mm, a) == (0x8000000000000865u | pfn_bits));
    CHECK(mm->user_load<u8>(a).value() == 0x99);
}

TEST_CASE("user fault 3.6: touching a stack's lowest page grows it by the guard page",
          "[user_mmap]") {
    auto m = boot_machine({"arch=i386", "mem=512M", "kernel=3.6"});
    auto mm = make_mm(*m);
    const VirtAddr s = must_mmap(*mm, 2 * 4096, kRW, kAnonPrivate | MAP_GROWSDOWN);
    REQUIRE(mm->user_store<u8>(s, 1).ok());
    CHECK(mm->find_vma(s)->vm_start == s.get() - 4096);
    // 4.4 has no guard page inside the VMA.
    auto m2 = boot_machine({"arch=i386", "mem=512M", "kernel=4.4"});
    auto mm2 = make_mm(*m2);
    const VirtAddr s2 = must_mmap(*mm2, 2 * 4096, kRW, kAnonPrivate | MAP_GROWSDOWN);
    REQUIRE(mm2->user_store<u8>(s2, 1).ok());
    CHECK(mm2->find_vma(s2)->vm_start == s2.get());
}
