// write_mem per era on the reference machine (kernel-semantics §2.5.2; §7.2 cases 22-24) and
// the read/write asymmetry of a faulting user buffer.
#include "test_dev_mem_fixtures.h"

using namespace kmemu;
using namespace kmemu::test;

namespace {

int open_mem(Rig& r) {
    const long fd = r.open("/dev/mem");
    REQUIRE(fd == 3);
    return static_cast<int>(fd);
}

std::vector<u8> vga_now(Rig& r, u64 addr, u64 len) {
    return r.phys(addr, len); // PhysicalMemory reads go through the device model
}

} // namespace

TEST_CASE("mem write case 22: a user buffer that ends gives a short write", "[dev_mem]") {
    for (const char* v : {"kernel=2.6.24", "kernel=3.6", "kernel=4.19", "kernel=6.1"}) {
        Rig r = boot_rm({v});
        const int fd = open_mem(r);
        CHECK(r.W(fd, kVga, 12288, kB2) == 8192);
        CHECK(r.pos(fd) == kVga + 0x2000);
        CHECK(vga_now(r, kVga, 8192) == filled(8192, 0xdd));
        // copy_from_user zero-fills what it could not copy: the third page gets zeros.
        CHECK(vga_now(r, kVga + 0x2000, 4096) == filled(4096, 0));
        CHECK(vga_now(r, kVga + 0x3000, 16) == vga_bytes(kVga + 0x3000, 16));
    }
    // Nothing copied at all is EFAULT.
    Rig r = boot_rm({"kernel=6.1"});
    const int fd = open_mem(r);
    CHECK(r.W(fd, kVga, 16, kB2 + 0x2000) == -EFAULT);
    CHECK(r.pos(fd) == kVga);
}

TEST_CASE("mem write case 23: low RAM is discarded from the zeroing reads", "[dev_mem]") {
    for (const char* v : {"kernel=3.10.108", "kernel=4.4.155", "kernel=4.19", "kernel=6.1"}) {
        Rig r = boot_rm({v});
        const int fd = open_mem(r);
        CHECK(r.W(fd, 0x10000, 4096) == 4096);
        CHECK(r.pos(fd) == 0x11000);
        CHECK(r.phys(0x10000, 4096) == ram_bytes(0x10000, 4096));
    }
    for (const char* v : {"kernel=2.6.24", "kernel=2.6.32", "kernel=3.6", "kernel=3.10"}) {
        Rig r = boot_rm({v});
        const int fd = open_mem(r);
        CHECK(r.W(fd, 0x10000, 4096) == 4096);
        CHECK(r.pos(fd) == 0x11000);
        CHECK(r.phys(0x10000, 4096) == filled(4096, 0xee));
    }
}

TEST_CASE("mem write case 24: ROM page then RAM pfn 256", "[dev_mem]") {
    for (const char* v : {"kernel=2.6.24", "kernel=2.6.32"}) {
        Rig r = boot_rm({v});
        const int fd = open_mem(r);
        CHECK(r.W(fd, 0xff000, 8192) == 8192);
        CHECK(r.pos(fd) == 0x101000);
        CHECK(r.phys(0xff000, 8192) == filled(8192, 0xee));
    }
    for (const char* v : {"kernel=3.6", "kernel=3.10.108", "kernel=4.4.155", "kernel=5.10"}) {
        Rig r = boot_rm({v});
        const int fd = open_mem(r);
        CHECK(r.W(fd, 0xff000, 8192) == -EPERM);
        CHECK(r.pos(fd) == 0xff000);
        CHECK(r.phys(0xff000, 4096) == filled(4096, 0xee));         // written per chunk
        CHECK(r.phys(0x100000, 4096) == ram_bytes(0x100000, 4096)); // refused
    }
}

TEST_CASE("mem write: beyond __pa(high_memory) and on a read-only descriptor", "[dev_mem]") {
    for (const char* v : {"kernel=2.6.32", "kernel=6.1"}) {
        Rig r = boot_rm({v});
        const int fd = open_mem(r);
        CHECK(r.W(fd, 0x80000000, 4) == -EFAULT);
        CHECK(r.W(fd, 0x7ffff000, 8192) == -EFAULT);
        const long ro = r.open("/dev/mem", oflag::kRdonly);
        REQUIRE(ro == 4);
        CHECK(r.W(static_cast<int>(ro), kVga, 4) == -EBADF);
    }
    // 5.1+ (4.19.39+): an empty write at 0 is EFAULT like the read.
    Rig r = boot_rm({"kernel=4.19.72"});
    const int fd = open_mem(r);
    CHECK(r.W(fd, 0, 0) == -EFAULT);
    CHECK(r.W(fd, 0x1000, 0) == 0);
}

TEST_CASE("mem write: should_stop_iteration ends the write after a chunk", "[dev_mem]") {
    Rig r = boot_rm({"kernel=6.1"});
    const int fd = open_mem(r);
    r.p->task().signal_pending = true;
    CHECK(r.W(fd, kVga, 8192) == 4096);
    CHECK(r.pos(fd) == kVga + 4096);
    CHECK(vga_now(r, kVga, 4096) == filled(4096, 0xee));
    CHECK(vga_now(r, kVga + 4096, 16) == vga_bytes(kVga + 4096, 16));
}
