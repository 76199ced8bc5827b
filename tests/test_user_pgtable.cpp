// The page tables of a user address space: pgd_alloc per arch (the kernel half shared as each
// kernel does it), the ARM PTE formats, and exit_mmap giving every page and table back.
#include "test_user_fixtures.h"

#include "mm/paging/arm_linux_pte.h"
#include "mm/uaccess.h"

using namespace kmemu;
using namespace kmemu::test;

namespace {

u64 load_entry(Machine& m, PhysAddr pa, unsigned bytes) {
    if (bytes == 4)
        return m.phys_memory().read_u32(pa).value;
    return m.phys_memory().read_u64(pa).value;
}

u64 walked_leaf(MmStruct& mm, VirtAddr va) {
    auto rec = mm.walk(va);
    REQUIRE(!rec.is_error());
    REQUIRE(rec.value().depth > 0);
    return rec.value().levels[rec.value().depth - 1].raw;
}

// Some work in an address space: mappings, faults of every kind, a COW, a split, a MAP_FIXED,
// an mprotect, uaccess in both directions, a mapping across several PTE tables.
void exercise(MmStruct& mm) {
    const u64 ps = mm.page_size();
    const VirtAddr a = must_mmap(mm, 8 * ps);
    REQUIRE(mm.user_load<u32>(a).ok());
    REQUIRE(mm.user_store<u32>(a, 1).ok());
    REQUIRE(mm.user_store<u32>(a.offset(3 * ps), 2).ok());
    const std::vector<u8> src(3 * ps, 0x44);
    CHECK(copy_to_user(mm, a.offset(ps + 10), src) == 0);
    std::vector<u8> dst(ps);
    CHECK(copy_from_user(mm, dst, a.offset(7 * ps)) == 0);
    REQUIRE(mm.munmap(a.offset(2 * ps), ps) == 0);
    REQUIRE(mm.mprotect(a.offset(5 * ps), ps, PROT_READ) == 0);
    const VirtAddr big = must_mmap(mm, 8 * MiB + 3 * ps);
    for (u64 off = 0; off < 8 * MiB + 3 * ps; off += MiB)
        REQUIRE(mm.user_store<u8>(big.offset(off), 3).ok());
    REQUIRE(mm.mmap_anonymous(big.offset(ps), ps, kRW, kAnonPrivate | MAP_FIXED) ==
            static_cast<i64>(big.get() + ps));
    REQUIRE(mm.user_store<u8>(big.offset(ps), 4).ok());
    REQUIRE(mm.munmap(big.offset(2 * MiB), 3 * MiB) == 0);
}

} // namespace

TEST_CASE("user pgtable: exit_mmap gives every page and page table back, on every arch",
          "[user_pgtable]") {
    const std::vector<std::vector<std::string>> machines = {
        {"arch=i386", "mem=1G", "kernel=2.6.32"},
        kI386Highmem61,
        {"arch=i386-pae", "mem=2G", "kernel=5.10"},
        {"arch=x86_64", "mem=512M", "kernel=2.6.24"},
        kX86_64_61,
        {"arch=x86_64-la57", "mem=512M", "kernel=6.1"},
        {"arch=arm", "mem=512M", "kernel=3.4"},
        {"arch=arm", "mem=1G", "kernel=6.1"},
        {"arch=arm-lpae", "mem=1G", "kernel=5.4"},
        kArm64_61,
        {"arch=arm64", "mem=512M", "page=16K", "kernel=6.1"},
        {"arch=arm64", "mem=1G", "page=64K", "va_bits=42", "kernel=4.19"},
    };
    for (const auto& words : machines) {
        auto m = boot_machine(words);
        INFO(fmt::format("{} {} {}", words[0], words[1], words.back()));
        const u64 free0 = m->page_allocator().nr_free_pages();
        const u64 out0 = m->page_allocator().outstanding_pages();
        const u64 watched0 = m->phys_memory().watched_frames();
        {
            auto mm = make_mm(*m);
            exercise(*mm);
            CHECK(m->page_allocator().nr_free_pages() < free0);
            CHECK(m->phys_memory().watched_frames() > watched0);
            CHECK(mm->anon_rss() > 0);
        }
        CHECK(m->page_allocator().nr_free_pages() == free0);
        CHECK(m->page_allocator().outstanding_pages() == out0);
        CHECK(m->phys_memory().watched_frames() == watched0);
        CHECK(m->page_allocator().bad_pages().empty());
    }
}

TEST_CASE("user pgtable x86: the pgd holds copies of swapper_pg_dir's kernel entries",
          "[user_pgtable]") {
    struct Case {
        std::vector<std::string> words;
        unsigned first, count, bytes;
    };
    const std::vector<Case> cases = {
        {kX86_64_61, 273, 512, 8}, // pgd_index(PAGE_OFFSET)
        {{"arch=x86_64-la57", "mem=512M", "kernel=6.1"}, 273, 512, 8},
        {kI386Highmem61, 768, 1024, 4},
        {{"arch=i386-pae", "mem=512M", "kernel=6.1"}, 3, 4, 8},
    };
    for (const Case& c : cases) {
        auto m = boot_machine(c.words);
        auto mm = make_mm(*m);
        const PhysAddr pgd = mm->page_tables().pgd();
        const PhysAddr swapper = m->kernel_page_tables().root_pa();
        unsigned copied = 0;
        for (unsigned i = 0; i < c.count; ++i) {
            const u64 mine = load_entry(*m, pgd.offset(u64{i} * c.bytes), c.bytes);
            const u64 kernel = load_entry(*m, swapper.offset(u64{i} * c.bytes), c.bytes);
            if (i >= c.first) {
                CHECK(mine == kernel);
                copied += kernel != 0;
            } else if (c.count != 4) {
                CHECK(mine == 0);
            } else {
                CHECK((mine & 0xfffu) == 1u); // PAE: a preallocated PMD, P only
            }
        }
        CHECK(copied > 0);
        // The kernel half is reachable through the process's MMU as supervisor.
        const VirtAddr k = m->layout().page_offset.offset(0x1000);
        auto via_user =
            mm->mmu().load<u32>(k, {paging::AccessType::Read, paging::Privilege::Supervisor});
        CHECK(via_user.ok());
        CHECK(mm->page_tables().table_pages() == (c.count == 4 ? 4u : 1u));
    }
}

TEST_CASE("user pgtable ARM classic 6.1: 16 KiB pgd, Linux and hardware PTEs of user pages",
          "[user_pgtable]") {
    auto m = boot_machine({"arch=arm", "mem=512M", "kernel=6.1"});
    auto mm = make_mm(*m);
    const PhysAddr pgd = mm->page_tables().pgd();
    CHECK(pgd.is_aligned(16 * KiB));
    const PhysAddr swapper = m->kernel_page_tables().root_pa();
    for (u64 i = 0; i < 4096; ++i) {
        const u64 mine = load_entry(*m, pgd.offset(i * 4), 4);
        if (i >= 0xbf0) // TASK_SIZE >> 20: kernel and I/O entries
            CHECK(mine == load_entry(*m, swapper.offset(i * 4), 4));
        else
            CHECK(mine == 0);
    }
    const VirtAddr a = must_mmap(*mm, 2 * 4096);
    REQUIRE(mm->user_load<u8>(a).ok());
    const u64 zpa = mm->zero_pfn().get() << 12;
    // The Linux PTE: PRESENT|YOUNG|MT_WRITEALLOC|RDONLY|USER|XN|SHARED (no special bit on
    // 2-level ARM); the hardware PTE: nG, S, TEX[0] C B, AP[1], APX, XN, small page.
    CHECK(pte_of(*mm, a) == (0x79fu | zpa));
    CHECK(walked_leaf(*mm, a) == (0xe7fu | zpa));
    REQUIRE(mm->user_store<u8>(a, 1).ok());
    const u64 pte = pte_of(*mm, a);
    CHECK((pte & 0xfffu) == 0x75fu); // + DIRTY, - RDONLY
    CHECK(walked_leaf(*mm, a) == (0xc7fu | (pte & ~0xfffu)));
    // The L1 entries of the pair: _PAGE_USER_TABLE with PMD_PXNTABLE (3.19+): domain 1.
    auto rec = mm->walk(a);
    REQUIRE(!rec.is_error());
    CHECK((rec.value().levels[0].raw & 0x3ffu) == 0x035u);
}

TEST_CASE("user pgtable ARM LPAE 6.1: own PMD for the modules GiB, PTE bits", "[user_pgtable]") {
    auto m = boot_machine({"arch=arm-lpae", "mem=512M", "kernel=6.1"});
    auto mm = make_mm(*m);
    const PhysAddr pgd = mm->page_tables().pgd();
    const PhysAddr swapper = m->kernel_page_tables().root_pa();
    CHECK(load_entry(*m, pgd, 8) == 0);
    CHECK(load_entry(*m, pgd.offset(8), 8) == 0);
    const u64 e2 = load_entry(*m, pgd.offset(16), 8);
    CHECK((e2 & 0xfffu) == 3u);
    CHECK(e2 != load_entry(*m, swapper.offset(16), 8)); // not the swapper's PMD
    CHECK(load_entry(*m, pgd.offset(24), 8) == load_entry(*m, swapper.offset(24), 8));
    CHECK(mm->page_tables().table_pages() == 2);
    const VirtAddr a = must_mmap(*mm, 4096);
    CHECK(a == VirtAddr(0xb6fff000)); // inside the GiB of that PMD
    REQUIRE(mm->user_load<u8>(a).ok());
    const u64 zpa = mm->zero_pfn().get() << 12;
    // L_PTE_PRESENT|MT_WRITEALLOC|USER|SHARED|YOUNG|nG, AP[2], XN|SPECIAL|RDONLY.
    CHECK(walked_leaf(*mm, a) == (0x0540000000000fdfu | zpa));
    REQUIRE(mm->user_store<u8>(a, 1).ok());
    CHECK((walked_leaf(*mm, a) & 0xffff000000000fffu) == 0x00c0000000000f5fu);
    CHECK(mm->user_load<u8>(a).value() == 1);
}

TEST_CASE("user pgtable arm64: TTBR0 is the process's, TTBR1 the kernel's", "[user_pgtable]") {
    auto m = boot_machine(kArm64_61);
    auto mm = make_mm(*m);
    const auto& st = mm->mmu().mmu_state();
    CHECK(st.root == mm->page_tables().pgd());
    CHECK(st.root_high == m->kernel_page_tables().mmu().root_high);
    for (u64 i = 0; i < 512; ++i)
        CHECK(load_entry(*m, mm->page_tables().pgd().offset(i * 8), 8) == 0);
    // A kernel address through the process's MMU (TTBR1).
    auto k = mm->mmu().load<u64>(m->layout().page_offset.offset(0x1000),
                                 {paging::AccessType::Read, paging::Privilege::Supervisor});
    CHECK(k.ok());
    // 16K pages: the first mmap below mmap_base = 2^48 - 128M.
    auto m16 = boot_machine({"arch=arm64", "mem=512M", "page=16K", "kernel=6.1"});
    auto mm16 = make_mm(*m16);
    CHECK(must_mmap(*mm16, 16 * KiB) == VirtAddr(0xfffff7ffc000));
    REQUIRE(mm16->user_store<u64>(VirtAddr(0xfffff7ffc000 + 16 * KiB - 8), 77).ok());
    CHECK(mm16->user_load<u64>(VirtAddr(0xfffff7ffc000 + 16 * KiB - 8)).value() == 77);
}

TEST_CASE("user pgtable: two address spaces of one machine keep their own pages",
          "[user_pgtable]") {
    auto m = boot_machine(kX86_64_61);
    auto one = make_mm(*m);
    auto two = make_mm(*m);
    const VirtAddr a = must_mmap(*one, 4096);
    REQUIRE(must_mmap(*two, 4096) == a); // the same layout, the same address
    REQUIRE(one->user_store<u32>(a, 1).ok());
    REQUIRE(two->user_store<u32>(a, 2).ok());
    CHECK(one->user_load<u32>(a).value() == 1);
    CHECK(two->user_load<u32>(a).value() == 2);
    CHECK(one->page_tables().pgd() != two->page_tables().pgd());
    // Reads of untouched memory in both map the one zero page.
    const VirtAddr b = must_mmap(*one, 4096);
    REQUIRE(must_mmap(*two, 4096) == b);
    REQUIRE(one->user_load<u8>(b).ok());
    REQUIRE(two->user_load<u8>(b).ok());
    CHECK((pte_of(*one, b) >> 12 & 0xffffffffffu) == one->zero_pfn().get());
    CHECK(pte_of(*one, b) == pte_of(*two, b));
}

TEST_CASE("user pgtable: empty_zero_page is a reserved, zero, unshared frame of the image",
          "[user_pgtable]") {
    for (const auto& words : std::vector<std::vector<std::string>>{
             kX86_64_61,
             kI386Highmem61,
             kArm64_61,
             {"arch=arm", "mem=512M", "kernel=6.1"},
             {"arch=arm-lpae", "mem=512M", "kernel=3.10"},
             {"arch=x86_64", "mem=512M", "kernel=2.6.11"},
             {"arch=arm64", "mem=512M", "page=64K", "kernel=6.1"}}) {
        auto m = boot_machine(words);
        auto deps = m->mm_deps();
        REQUIRE(!deps.is_error());
        const Pfn z = deps.value().zero_page;
        const Layout& l = m->layout();
        INFO(words[0] << " " << words.back());
        const PhysAddr pa = l.phys_of(z);
        CHECK(pa >= l.image.pa(l.image.bss_start));
        CHECK(pa.offset(l.page_size()) <= l.image.pa(l.image.end));
        CHECK(m->page_allocator().pfn_reserved(z));
        const auto& tables = m->kernel_page_tables().table_frames();
        CHECK(std::find(tables.begin(), tables.end(), z) == tables.end());
        for (const auto& s : m->symbols().sorted())
            CHECK_FALSE((s.phys >= pa && s.phys < pa.offset(l.page_size())));
        CHECK(m->phys_memory().read_u64(pa).value == 0);
    }
}
