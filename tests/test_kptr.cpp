#include <catch2/catch.hpp>

#include <cstddef>

#include "emu/kernel/kptr.h"
#include "emu/machine.h"

using namespace kmemu;
using namespace kmemu::kernel;

namespace {
std::unique_ptr<Machine> boot(std::vector<std::string> words) {
    auto config = parse_config_words(words);
    REQUIRE(config);
    auto m = Machine::boot(config.release_value());
    if (m.is_error())
        FAIL(m.error().message());
    return m.release_value();
}

struct Rec {
    u32 a;
    u16 b;
    u16 c;
    u64 d;
};

std::vector<std::string> oops_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const KernelOops& e) {
        return e.lines();
    }
    return {};
}
} // namespace

TEST_CASE("kptr: arithmetic, comparison, formatting", "[kptr]") {
    kptr<u32> p(VirtAddr(0xe0800000));
    CHECK((p + 3).value() == 0xe080000c);
    CHECK((p + 3) - p == 3);
    CHECK((p - 1).value() == 0xe07ffffc);
    kptr<void> v = p;
    CHECK((v + 3).value() == 0xe0800003); // GNU C void * steps by bytes
    kptr<Rec> r = kptr_cast<Rec>(p);
    CHECK((r + 1).value() == 0xe0800010); // sizeof(Rec) = 16
    CHECK(p < p + 1);
    CHECK(p == kptr<u32>(VirtAddr(0xe0800000)));
    CHECK_FALSE(kptr<u32>(nullptr));
    CHECK(fmt::format("{:#x}", p) == "0xe0800000");
    CHECK(fmt::format("{:08x}", kptr<u8>(VirtAddr(0x1000))) == "00001000");
}

TEST_CASE("kptr: loads, stores and structs through the kernel MMU", "[kptr]") {
    auto m = boot({"arch=i386", "mem=512M", "kernel=2.6.32"});
    KernelScope scope(*m);
    kptr<Rec> r(m->vmalloc().vmalloc(4096));
    r[1] = Rec{1, 2, 3, 0x1122334455667788ull};
    CHECK(r[1].load().d == 0x1122334455667788ull);
    r->a = 0xdeadbeef; // copy-in/copy-out: only the changed bytes are stored back
    r->c = 7;
    KMEMBER(r + 1, b) = 0x55aa;
    kptr<const u8> bytes = kptr_cast<const u8>(r);
    // r[0]: a = ef be ad de (little-endian), b untouched (0), c = 07 00.
    CHECK(bytes[0] == 0xef);
    CHECK(bytes[3] == 0xde);
    CHECK(bytes[6] == 0x07);
    // r[1].b at byte 16 + 4.
    CHECK(bytes[20] == 0xaa);
    CHECK(bytes[21] == 0x55);
    CHECK(r[1].load().a == 1u);
    kptr<u32> n = kptr_cast<u32>(r);
    n[10] = 5;
    n[10] += 3;
    ++n[10];
    CHECK(n[10] == 9u);
    // kmemcpy / kmemcmp / kmemset.
    kmemcpy(r + 2, r + 1, sizeof(Rec));
    CHECK(kmemcmp(r + 2, r + 1, sizeof(Rec)) == 0);
    kmemset(r + 2, 0, 1);
    CHECK(kmemcmp(r + 2, r + 1, sizeof(Rec)) == -1);
}

TEST_CASE("kptr: no machine, no access", "[kptr]") {
    kptr<u32> p(VirtAddr(0xe0800000));
    CHECK_THROWS_AS(static_cast<u32>(*p), NoCurrentMachine);
}

TEST_CASE("kptr: scopes nest and restore", "[kptr]") {
    auto a = boot({"arch=i386", "mem=256M"});
    auto b = boot({"arch=i386", "mem=256M"});
    CHECK(KernelScope::current() == nullptr);
    {
        KernelScope sa(*a);
        CHECK(KernelScope::current() == a.get());
        {
            KernelScope sb(*b);
            CHECK(KernelScope::current() == b.get());
        }
        CHECK(KernelScope::current() == a.get());
    }
    CHECK(KernelScope::current() == nullptr);
}

TEST_CASE("kptr: oops texts per era", "[kptr]") {
    SECTION("x86_64 6.1: NULL read") {
        auto m = boot({"arch=x86_64", "mem=1G", "kernel=6.1"});
        KernelScope scope(*m);
        // page_fault_oops: address < PAGE_SIZE in kernel mode; %px = 16 digits.
        CHECK(oops_of([] { (void)static_cast<u64>(*kptr<u64>(nullptr)); }) ==
              std::vector<std::string>{"BUG: kernel NULL pointer dereference, address: "
                                       "0000000000000000",
                                       "#PF: supervisor read access in kernel mode",
                                       "#PF: error_code(0x0000) - not-present page"});
    }
    SECTION("x86_64 6.1: write to kernel text") {
        auto m = boot({"arch=x86_64", "mem=1G", "kernel=6.1"});
        KernelScope scope(*m);
        kptr<u32> text(m->layout().image.text); // 0xffffffff81000000, mapped RX
        CHECK(text.value() == 0xffffffff81000000);
        (void)static_cast<u32>(*text); // readable
        // error code P|W = 0x3.
        CHECK(oops_of([&] { *text = 0; }) ==
              std::vector<std::string>{"BUG: unable to handle page fault for address: "
                                       "ffffffff81000000",
                                       "#PF: supervisor write access in kernel mode",
                                       "#PF: error_code(0x0003) - permissions violation"});
    }
    SECTION("x86_64 6.1: unmapped vmalloc address") {
        auto m = boot({"arch=x86_64", "mem=1G", "kernel=6.1"});
        KernelScope scope(*m);
        CHECK(oops_of([] { *kptr<u8>(VirtAddr(0xffffc90000123000)) = 1; }) ==
              std::vector<std::string>{"BUG: unable to handle page fault for address: "
                                       "ffffc90000123000",
                                       "#PF: supervisor write access in kernel mode",
                                       "#PF: error_code(0x0002) - not-present page"});
    }
    SECTION("i386 2.6.32: NULL") {
        auto m = boot({"arch=i386", "mem=512M", "kernel=2.6.32"});
        KernelScope scope(*m);
        CHECK(oops_of([] { (void)static_cast<u32>(kptr<u32>(nullptr)[2]); }) ==
              std::vector<std::string>{
                  "BUG: unable to handle kernel NULL pointer dereference at 00000008"});
    }
    SECTION("x86_64 4.19: paging request, 16 digits") {
        auto m = boot({"arch=x86_64", "mem=1G", "kernel=4.19"});
        KernelScope scope(*m);
        CHECK(oops_of([] { (void)static_cast<u8>(*kptr<u8>(VirtAddr(0xffffc90000001000))); }) ==
              std::vector<std::string>{
                  "BUG: unable to handle kernel paging request at ffffc90000001000"});
    }
    SECTION("ARM 4.4: NULL and paging request") {
        auto m = boot({"arch=arm", "mem=512M", "kernel=4.4"});
        KernelScope scope(*m);
        CHECK(oops_of([] { (void)static_cast<u32>(*kptr<u32>(VirtAddr(4))); }) ==
              std::vector<std::string>{
                  "Unable to handle kernel NULL pointer dereference at virtual address 00000004"});
        const VirtAddr unmapped = m->layout().vmalloc_start.offset(0x10000);
        CHECK(oops_of([&] { (void)static_cast<u32>(*kptr<u32>(unmapped)); }) ==
              std::vector<std::string>{
                  fmt::format("Unable to handle kernel paging request at virtual address {:08x}",
                              unmapped.get())});
    }
    SECTION("arm64 6.1: NULL") {
        auto m = boot({"arch=arm64", "mem=1G", "kernel=6.1"});
        KernelScope scope(*m);
        CHECK(oops_of([] { (void)static_cast<u64>(*kptr<u64>(VirtAddr(0x10))); }) ==
              std::vector<std::string>{"Unable to handle kernel NULL pointer dereference at "
                                       "virtual address 0000000000000010"});
    }
}
