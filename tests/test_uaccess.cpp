// The uaccess primitives over an MmStruct (kernel-semantics §6): exact partial counts,
// copy_from_user's zero-filled tail, clear_user, put_user/get_user, access_ok at the limits.
#include "test_user_fixtures.h"

#include "mm/uaccess.h"

using namespace kmemu;
using namespace kmemu::test;

namespace {

// B2 of §7.1: a page-aligned buffer with exactly `mapped` bytes mapped, then an unmapped page.
struct Buffer {
    VirtAddr base;
    u64 mapped = 0;
};
Buffer make_b2(MmStruct& mm, u64 mapped_pages) {
    const VirtAddr b = must_mmap(mm, (mapped_pages + 1) * 4096);
    REQUIRE(mm.munmap(b.offset(mapped_pages * 4096), 4096) == 0);
    return {b, mapped_pages * 4096};
}

} // namespace

TEST_CASE("uaccess: copy_to_user stops exactly where the mapping ends", "[uaccess]") {
    for (const auto& words : {kX86_64_61, kI386Highmem61, kArm64_61}) {
        auto m = boot_machine(words);
        auto mm = make_mm(*m);
        const Buffer b = make_b2(*mm, 2);
        // Start 100 bytes into the buffer: N = 8192 - 100 bytes fit.
        std::vector<u8> src(12288);
        for (size_t i = 0; i < src.size(); ++i)
            src[i] = static_cast<u8>(i * 7 + 1);
        const u64 n = src.size();
        const u64 fit = b.mapped - 100;
        CHECK(copy_to_user(*mm, b.base.offset(100), src) == n - fit);
        std::vector<u8> back(fit);
        REQUIRE(mm->user_read(b.base.offset(100), back).ok());
        CHECK(std::equal(back.begin(), back.end(), src.begin()));
        // Demand paging did the work: both pages are now real pages.
        CHECK(mm->anon_rss() == 2);
        // A fully mapped range copies everything.
        CHECK(copy_to_user(*mm, b.base, std::span<const u8>(src).first(8192)) == 0);
        // access_ok failing: nothing copied, n returned.
        CHECK(copy_to_user(*mm, VirtAddr(mm->rules().access_ok_limit - 10), src) == n);
    }
}

TEST_CASE("uaccess: copy_from_user zero-fills the uncopied tail, __copy_from_user does not",
          "[uaccess]") {
    auto m = boot_machine(kX86_64_61);
    auto mm = make_mm(*m);
    const Buffer b = make_b2(*mm, 1);
    REQUIRE(mm->user_write(b.base.offset(4000), std::vector<u8>(96, 0x11)).ok());
    std::vector<u8> dst(300, 0xee);
    // From 4000: 96 bytes readable, 204 not.
    CHECK(copy_from_user(*mm, dst, b.base.offset(4000)) == 204);
    CHECK(std::all_of(dst.begin(), dst.begin() + 96, [](u8 c) { return c == 0x11; }));
    CHECK(std::all_of(dst.begin() + 96, dst.end(), [](u8 c) { return c == 0; }));
    std::fill(dst.begin(), dst.end(), u8{0xee});
    CHECK(__copy_from_user(*mm, dst, b.base.offset(4000)) == 204);
    CHECK(dst[95] == 0x11);
    CHECK(dst[96] == 0xee); // raw copy: tail untouched
    // Fresh, never touched memory reads as zeros through the zero page.
    const VirtAddr fresh = must_mmap(*mm, 4096);
    std::vector<u8> z(64, 0xff);
    CHECK(copy_from_user(*mm, z, fresh) == 0);
    CHECK(std::all_of(z.begin(), z.end(), [](u8 c) { return c == 0; }));
    CHECK(mm->anon_rss() == 1); // only the page written above; the read used the zero page
    // access_ok failing: everything zeroed, n returned.
    std::fill(z.begin(), z.end(), u8{0xff});
    CHECK(copy_from_user(*mm, z, VirtAddr(0xffff888000000000)) == 64);
    CHECK(std::all_of(z.begin(), z.end(), [](u8 c) { return c == 0; }));
}

TEST_CASE("uaccess: clear_user and __clear_user", "[uaccess]") {
    auto m = boot_machine(kI386Highmem61);
    auto mm = make_mm(*m);
    const Buffer b = make_b2(*mm, 1);
    REQUIRE(mm->user_write(b.base, std::vector<u8>(4096, 0x33)).ok());
    CHECK(clear_user(*mm, b.base.offset(10), 20) == 0);
    CHECK(mm->user_load<u8>(b.base.offset(9)).value() == 0x33);
    CHECK(mm->user_load<u8>(b.base.offset(10)).value() == 0);
    CHECK(mm->user_load<u8>(b.base.offset(29)).value() == 0);
    CHECK(mm->user_load<u8>(b.base.offset(30)).value() == 0x33);
    // Running into the hole: the bytes up to it are cleared, the rest counted.
    CHECK(clear_user(*mm, b.base.offset(4000), 500) == 404);
    CHECK(mm->user_load<u8>(b.base.offset(4095)).value() == 0);
    // clear_user checks access_ok (3G split: the limit is 0xc0000000), __clear_user does not.
    CHECK(clear_user(*mm, VirtAddr(0xbffffff0), 0x20) == 0x20);
    CHECK(__clear_user(*mm, VirtAddr(0xbffffff0), 0x20) == 0x20); // unmapped: still nothing
}

TEST_CASE("uaccess: put_user / get_user give 0 or -EFAULT", "[uaccess]") {
    auto m = boot_machine(kX86_64_61);
    auto mm = make_mm(*m);
    const Buffer b = make_b2(*mm, 1);
    CHECK(put_user<u32>(*mm, 0xcafef00d, b.base.offset(8)) == 0);
    u32 v32 = 0;
    CHECK(get_user(*mm, v32, b.base.offset(8)) == 0);
    CHECK(v32 == 0xcafef00d);
    u8 v8 = 0;
    CHECK(get_user(*mm, v8, b.base.offset(9)) == 0);
    CHECK(v8 == 0xf0); // little-endian
    // 8 bytes crossing into the hole: the store moves nothing (one mov), -EFAULT.
    CHECK(put_user<u64>(*mm, ~u64{0}, b.base.offset(4092)) == -EFAULT);
    CHECK(mm->user_load<u32>(b.base.offset(4092)).value() == 0);
    u64 v64 = 123;
    CHECK(get_user(*mm, v64, b.base.offset(4092)) == -EFAULT);
    CHECK(v64 == 0); // the fixup zeroes the destination
    // access_ok fails before anything is tried; __get_user faults on the kernel address.
    std::int16_t s = 5;
    CHECK(get_user(*mm, s, VirtAddr(0x7ffffffff000)) == -EFAULT);
    CHECK(s == 0);
    CHECK(__put_user<u16>(*mm, 1, b.base.offset(4096)) == -EFAULT);
    CHECK(__get_user(*mm, v8, b.base.offset(4095)) == 0);
}

TEST_CASE("uaccess: access_ok at the limits of each arch", "[uaccess]") {
    struct Case {
        std::vector<std::string> words;
        u64 limit;
    };
    const std::vector<Case> cases = {
        {kX86_64_61, 0x7ffffffff000u},                                           // TASK_SIZE_MAX
        {{"arch=x86_64-la57", "mem=512M", "kernel=6.1"}, (u64{1} << 56) - 4096}, // 5-level
        {kI386Highmem61, 0xc0000000u},                                           // TASK_SIZE
        {{"arch=i386", "mem=512M", "split=2G", "kernel=4.19"}, 0x80000000u},
        {{"arch=arm", "mem=512M", "kernel=6.1"}, 0xbf000000u}, // PAGE_OFFSET - 16M
        {kArm64_61, u64{1} << 48},                             // TASK_SIZE_64
        {{"arch=arm64", "mem=512M", "va_bits=39", "kernel=5.10"}, u64{1} << 39},
    };
    for (const Case& c : cases) {
        auto m = boot_machine(c.words);
        auto mm = make_mm(*m);
        INFO(c.words[0]);
        CHECK(mm->rules().access_ok_limit == c.limit);
        CHECK(mm->access_ok(VirtAddr(0), 0));
        CHECK(mm->access_ok(VirtAddr(0), c.limit));
        CHECK_FALSE(mm->access_ok(VirtAddr(0), c.limit + 1));
        CHECK(mm->access_ok(VirtAddr(c.limit), 0)); // size 0 exactly at the limit
        CHECK_FALSE(mm->access_ok(VirtAddr(c.limit + 1), 0));
        CHECK(mm->access_ok(VirtAddr(c.limit - 8), 8));
        CHECK_FALSE(mm->access_ok(VirtAddr(c.limit - 8), 9));
        CHECK_FALSE(mm->access_ok(VirtAddr(16), ~u64{0} - 8)); // wraps
        CHECK_FALSE(mm->access_ok(VirtAddr(~u64{0}), 1));
    }
}

TEST_CASE("uaccess: a kernel write to a read-only zero-page PTE COWs (CR0.WP)", "[uaccess]") {
    auto m = boot_machine(kX86_64_61);
    auto mm = make_mm(*m);
    const VirtAddr a = must_mmap(*mm, 4096);
    REQUIRE(mm->user_load<u8>(a).ok()); // zero page mapped read-only
    CHECK(mm->anon_rss() == 0);
    const std::vector<u8> hello = {'h', 'i'};
    CHECK(copy_to_user(*mm, a.offset(5), hello) == 0);
    CHECK(mm->anon_rss() == 1);
    CHECK(mm->user_load<u16>(a.offset(5)).value() == 0x6968);
    // A PROT_READ mapping is not writable by copy_to_user either (VMA check: no fix-up).
    const VirtAddr ro = must_mmap(*mm, 4096, PROT_READ);
    CHECK(copy_to_user(*mm, ro, hello) == 2);
    CHECK(put_user<u8>(*mm, 1, ro) == -EFAULT);
}
