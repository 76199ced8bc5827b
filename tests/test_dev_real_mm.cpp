// Device reads and writes into real process memory (the mm_struct's page tables and the
// anonymous fault path), not a stand-in: the partial-progress rules of §7.2 with buffers whose
// tail is munmapped, and procfs through open/read.
#include <catch2/catch.hpp>

#include "emu/machine.h"
#include "mm/errno.h"

using namespace kmemu;

namespace {

constexpr int kProtRW = 3, kProtR = 1, kMapPrivateAnon = 0x22;

std::unique_ptr<Machine> boot(std::vector<std::string> words) {
    auto c = parse_config_words(words);
    REQUIRE(c);
    auto m = Machine::boot(c.release_value());
    REQUIRE(m);
    return m.release_value();
}

// B2 of §7.1: a page-aligned buffer with exactly 8192 bytes mapped, then an unmapped page.
u64 b2(Process& p) {
    long a = p.mmap(0, 3 * 4096, kProtRW, kMapPrivateAnon, -1, 0);
    REQUIRE(a > 0);
    REQUIRE(p.munmap(static_cast<u64>(a) + 8192, 4096) == 0);
    return static_cast<u64>(a);
}

} // namespace

TEST_CASE("real mm: /dev/zero into B2 is 8192, into an unmapped buffer EFAULT (cases 74, 75)",
          "[devices][usermm]") {
    for (const char* kernel : {"kernel=2.6.32", "kernel=4.19", "kernel=6.1"}) {
        auto m = boot({"arch=x86_64", kernel});
        Process& p = m->spawn({"zero", Cred::user(1000, 1000)});
        const u64 buf = b2(p);
        REQUIRE(p.open("/dev/zero", 0) == 3);
        // Fresh anonymous memory: the first write faults the pages in; the bytes become zeros.
        u8 ones[8] = {1, 1, 1, 1, 1, 1, 1, 1};
        REQUIRE(p.user_write(VirtAddr(buf + 100), ones).signal == 0);
        CHECK(p.read(3, VirtAddr(buf), 12288) == 8192);
        u8 back[8] = {};
        REQUIRE(p.user_read(VirtAddr(buf + 100), back).signal == 0);
        CHECK(back[0] == 0);
        CHECK(p.read(3, VirtAddr(buf + 8192), 10) == -EFAULT);
        CHECK(p.lseek(3, 0, 1) == 0);
    }
}

TEST_CASE("real mm: /dev/mem read discards progress, write keeps it (cases 21, 22)",
          "[devices][usermm]") {
    auto m = boot({"arch=x86_64", "kernel=6.1"});
    Process& p = m->spawn({"devmem", Cred::root()});
    const u64 buf = b2(p);
    REQUIRE(p.open("/dev/mem", 2) == 3);
    REQUIRE(p.lseek(3, 0xa0000, 0) == 0xa0000);
    CHECK(p.read(3, VirtAddr(buf), 12288) == -EFAULT);
    CHECK(p.lseek(3, 0, 1) == 0xa0000);
    CHECK(p.write(3, VirtAddr(buf), 12288) == 8192);
    CHECK(p.lseek(3, 0, 1) == 0xa2000);
}

TEST_CASE("real mm: a read-only buffer takes no read; /dev/null write reads nothing",
          "[devices][usermm]") {
    auto m = boot({"arch=i386", "mem=512M", "kernel=3.10"});
    Process& p = m->spawn({"ro", Cred::user(1000, 1000)});
    long a = p.mmap(0, 4096, kProtR, kMapPrivateAnon, -1, 0);
    REQUIRE(!(a < 0 && a >= -4095)); // an i386 address comes back sign-extended
    const u64 buf = static_cast<u64>(a) & 0xffffffffULL;
    REQUIRE(p.open("/dev/zero", 2) == 3);
    // clear_user into a read-only VMA cannot be resolved by the fault path: nothing cleared.
    CHECK(p.read(3, VirtAddr(buf), 16) == -EFAULT);
    CHECK(p.write(3, VirtAddr(buf), 16) == 16); // write_zero = write_null: the buffer is not read
    REQUIRE(p.open("/dev/null", 1) == 4);
    CHECK(p.write(4, VirtAddr(0xc0000000), 1) == -EFAULT); // past TASK_SIZE: access_ok
}

TEST_CASE("real mm: /proc/self/maps through open/read shows the process's VMAs",
          "[devices][usermm][procfs]") {
    auto m = boot({"arch=x86_64", "kernel=6.1"});
    Process& p = m->spawn({"maps", Cred::user(1000, 1000)});
    long a = p.mmap(0, 8192, kProtRW, kMapPrivateAnon, -1, 0);
    REQUIRE(a == 0x7ffff7ffd000);
    long buf = p.mmap(0, 4096, kProtRW, kMapPrivateAnon, -1, 0);
    REQUIRE(buf > 0);
    REQUIRE(p.open("/proc/self/maps", 0) == 3);
    long n = p.read(3, VirtAddr(static_cast<u64>(buf)), 4096);
    REQUIRE(n > 0);
    std::string text(static_cast<size_t>(n), '\0');
    REQUIRE(p.user_read(VirtAddr(static_cast<u64>(buf)),
                        std::span<u8>(reinterpret_cast<u8*>(text.data()), text.size()))
                .signal == 0);
    // The two anonymous mappings merged into one VMA; then the vsyscall gate (5.8+: --xp).
    CHECK(text == "7ffff7ffc000-7ffff7fff000 rw-p 00000000 00:00 0 \n"
                  "ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0"
                  "                  [vsyscall]\n");
    CHECK(p.open("/proc/99999/maps", 0) == -ENOENT);
}
