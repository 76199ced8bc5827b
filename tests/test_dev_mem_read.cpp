// read_mem per era on the reference machine (kernel-semantics §2.4, §2.5.1; §7.2 cases 12-21,
// 25, 90), plus should_stop_iteration and the bounce page's -ENOMEM.
#include "test_dev_mem_fixtures.h"

#include "mm/page_alloc.h"

using namespace kmemu;
using namespace kmemu::test;

namespace {

int open_mem(Rig& r) {
    const long fd = r.open("/dev/mem");
    REQUIRE(fd == 3);
    return static_cast<int>(fd);
}

} // namespace

TEST_CASE("mem read case 12: zero bytes at 0 are 0 until 5.1 / 4.19.39, then EFAULT", "[dev_mem]") {
    for (const char* v : {"kernel=2.6.24", "kernel=2.6.32", "kernel=4.4.155", "kernel=4.15",
                          "kernel=4.19.38", "kernel=5.0.11"}) {
        Rig r = boot_rm({v});
        const int fd = open_mem(r);
        CHECK(r.R(fd, 0, 0) == 0);
        CHECK(r.pos(fd) == 0);
    }
    for (const char* v :
         {"kernel=4.19.39", "kernel=4.19.72", "kernel=5.0.12", "kernel=5.1", "kernel=6.1"}) {
        Rig r = boot_rm({v});
        const int fd = open_mem(r);
        CHECK(r.R(fd, 0, 0) == -EFAULT);
        // case 13: one byte further the x86 rule accepts an empty read.
        CHECK(r.R(fd, 0x1000, 0) == 0);
        CHECK(r.pos(fd) == 0x1000);
        // an empty read at or above __pa(high_memory) is EFAULT
        CHECK(r.R(fd, 0x80000001, 0) == -EFAULT);
    }
}

TEST_CASE("mem read case 14: low RAM is real bytes until the zeroing reads", "[dev_mem]") {
    for (const char* v : {"kernel=2.6.24", "kernel=2.6.32", "kernel=3.6", "kernel=3.10",
                          "kernel=4.4", "kernel=4.4.64", "kernel=4.10"}) {
        Rig r = boot_rm({v});
        const int fd = open_mem(r);
        CHECK(r.R(fd, 0x10000, 4096) == 4096);
        CHECK(r.user(kB, 4096) == ram_bytes(0x10000, 4096));
        CHECK(r.pos(fd) == 0x11000);
    }
    for (const char* v : {"kernel=3.10.108", "kernel=4.4.65", "kernel=4.4.155", "kernel=4.11",
                          "kernel=4.19", "kernel=6.1", "kernel=6.13"}) {
        Rig r = boot_rm({v});
        const int fd = open_mem(r);
        CHECK(r.R(fd, 0x10000, 4096) == 4096);
        CHECK(r.user(kB, 4096) == filled(4096, 0));
        CHECK(r.pos(fd) == 0x11000);
    }
}

TEST_CASE("mem read case 15: pfn 256 is allowed by 2.6.32's <= 256", "[dev_mem]") {
    for (const char* v : {"kernel=2.6.24", "kernel=2.6.32"}) {
        Rig r = boot_rm({v});
        const int fd = open_mem(r);
        CHECK(r.R(fd, 0x100000, 4096) == 4096);
        CHECK(r.user(kB, 4096) == ram_bytes(0x100000, 4096));
        CHECK(r.pos(fd) == 0x101000);
    }
    for (const char* v : {"kernel=3.6", "kernel=3.10.108", "kernel=4.4.155", "kernel=5.10"}) {
        Rig r = boot_rm({v});
        const int fd = open_mem(r);
        CHECK(r.R(fd, 0x100000, 4096) == -EPERM);
        CHECK(r.pos(fd) == 0x100000);
        CHECK(r.user(kB, 16) == filled(16, 0xee));
    }
    // Without STRICT_DEVMEM every era reads the RAM.
    Rig r = boot_rm({"kernel=6.1", "strict_devmem=off"});
    const int fd = open_mem(r);
    CHECK(r.R(fd, 0x100000, 4096) == 4096);
    CHECK(r.user(kB, 4096) == ram_bytes(0x100000, 4096));
}

TEST_CASE("mem read case 16: ROM page then RAM page", "[dev_mem]") {
    {
        Rig r = boot_rm({"kernel=2.6.32"});
        const int fd = open_mem(r);
        CHECK(r.R(fd, 0xff000, 8192) == 8192);
        CHECK(r.user(kB, 4096) == ram_bytes(0xff000, 4096));
        CHECK(r.user(kB + 4096, 4096) == ram_bytes(0x100000, 4096));
        CHECK(r.pos(fd) == 0x101000);
    }
    {
        // 3.6: the whole remaining count is checked before the first copy.
        Rig r = boot_rm({"kernel=3.6"});
        const int fd = open_mem(r);
        CHECK(r.R(fd, 0xff000, 8192) == -EPERM);
        CHECK(r.user(kB, 8192) == filled(8192, 0xee));
        CHECK(r.pos(fd) == 0xff000);
    }
    for (const char* v : {"kernel=3.10.108", "kernel=4.4.155", "kernel=4.19", "kernel=6.1"}) {
        // Per page: the ROM page is copied, then the RAM page refuses and progress is dropped.
        Rig r = boot_rm({v});
        const int fd = open_mem(r);
        CHECK(r.R(fd, 0xff000, 8192) == -EPERM);
        CHECK(r.user(kB, 4096) == ram_bytes(0xff000, 4096));
        CHECK(r.user(kB + 4096, 16) == filled(16, 0xee));
        CHECK(r.pos(fd) == 0xff000);
    }
}

TEST_CASE("mem read case 17: the VGA window reads the device", "[dev_mem]") {
    for (const char* v :
         {"kernel=2.6.24", "kernel=2.6.32", "kernel=3.10.108", "kernel=4.19", "kernel=6.13"}) {
        Rig r = boot_rm({v});
        const int fd = open_mem(r);
        CHECK(r.R(fd, kVga, 4096) == 4096);
        CHECK(r.user(kB, 4096) == vga_bytes(kVga, 4096));
        CHECK(r.pos(fd) == kVga + 4096);
    }
}

TEST_CASE("mem read cases 18-20: __pa(high_memory) bounds read()", "[dev_mem]") {
    for (const char* v : {"kernel=2.6.24", "kernel=3.6", "kernel=4.19", "kernel=6.1"}) {
        Rig r = boot_rm({v, "strict_devmem=off"});
        const int fd = open_mem(r);
        CHECK(r.R(fd, 0x7ffff000, 8192) == -EFAULT); // case 18, checked before STRICT
        CHECK(r.R(fd, 0x80000000, 1) == -EFAULT);    // case 20
        CHECK(r.R(fd, 0xfec00000, 4) == -EFAULT);
        CHECK(r.pos(fd) == 0xfec00000);
        CHECK(r.user(kB, 16) == filled(16, 0xee));
    }
    {
        Rig r = boot_rm({"kernel=2.6.24"}); // case 19, E1: no STRICT_DEVMEM
        const int fd = open_mem(r);
        CHECK(r.R(fd, 0x7fffffff, 1) == 1);
        CHECK(r.user(kB, 1) == r.phys(0x7fffffff, 1));
        CHECK(r.pos(fd) == 0x80000000);
    }
    for (const char* v : {"kernel=2.6.32", "kernel=4.19"}) {
        Rig r = boot_rm({v});
        const int fd = open_mem(r);
        CHECK(r.R(fd, 0x7fffffff, 1) == -EPERM);
        CHECK(r.R(fd, 0x7ffff000, 8192) == -EFAULT);
    }
}

TEST_CASE("mem read case 21: a user buffer that ends discards the progress", "[dev_mem]") {
    for (const char* v : {"kernel=2.6.24", "kernel=3.6", "kernel=4.19", "kernel=6.1"}) {
        Rig r = boot_rm({v});
        const int fd = open_mem(r);
        CHECK(r.R(fd, kVga, 12288, kB2) == -EFAULT);
        CHECK(r.pos(fd) == kVga);
        CHECK(r.user(kB2, 8192) == vga_bytes(kVga, 8192)); // copied before the fault
    }
    // A zero-filled page gives EFAULT too when clear_user fails.
    Rig r = boot_rm({"kernel=6.1"});
    const int fd = open_mem(r);
    CHECK(r.R(fd, 0x10000, 4096, kB2 + 0x1800) == -EFAULT);
    CHECK(r.pos(fd) == 0x10000);
}

TEST_CASE("mem read case 25: 32-bit non-PAE offsets beyond 4 GiB", "[dev_mem]") {
    const u64 res = 0x4000000;
    for (const char* v : {"kernel=4.4.155", "kernel=4.19", "kernel=6.1"}) {
        Rig r = boot_plain({"arch=i386", "mem=512M", v});
        const int fd = static_cast<int>(r.open("/dev/mem"));
        REQUIRE(fd == 3);
        CHECK(r.p->pread64(fd, VirtAddr(kB), 16, 0x100000000LL) == 0);
        CHECK(r.p->pwrite64(fd, VirtAddr(kB), 16, 0x100000000LL) == -EFBIG);
        CHECK(r.user(kB, 16) == filled(16, 0xee));
    }
    {
        Rig r = boot_plain({"arch=i386", "mem=512M", "kernel=4.19"});
        const int fd = static_cast<int>(r.open("/dev/mem"));
        REQUIRE(r.p->llseek(fd, 0x100000000ULL, VirtAddr(res), kSeekSet) == 0);
        CHECK(r.p->read(fd, VirtAddr(kB), 16) == 0);
        CHECK(r.p->write(fd, VirtAddr(kB), 16) == -EFBIG);
        CHECK(r.pos(fd) == 0x100000000ULL);
    }
    {
        // 3.10.108 has no p != *ppos guard: p wraps to 0 in the 32-bit phys_addr_t and page 0
        // (reserved by trim_bios_range, so its real bytes) is read; f_pos advances from 4 GiB.
        Rig r = boot_plain({"arch=i386", "mem=512M", "kernel=3.10.108"});
        const int fd = static_cast<int>(r.open("/dev/mem"));
        REQUIRE(r.p->llseek(fd, 0x100000000ULL, VirtAddr(res), kSeekSet) == 0);
        CHECK(r.p->read(fd, VirtAddr(kB), 16) == 16);
        CHECK(r.user(kB, 16) == r.phys(0, 16));
        CHECK(r.pos(fd) == 0x100000010ULL);
    }
}

TEST_CASE("mem pread case 90: pread leaves f_pos alone", "[dev_mem]") {
    for (const char* v : {"kernel=2.6.32", "kernel=6.1"}) {
        Rig r = boot_rm({v});
        const int fd = open_mem(r);
        CHECK(r.p->pread64(fd, VirtAddr(kB), 16, kVga) == 16);
        CHECK(r.user(kB, 16) == vga_bytes(kVga, 16));
        CHECK(r.pos(fd) == 0);
    }
}

TEST_CASE("mem read: should_stop_iteration stops after a chunk from 5.4", "[dev_mem]") {
    struct Case {
        const char* version;
        bool fatal;
        long expect;
    };
    for (const Case c : {Case{"kernel=4.19", true, 8192}, Case{"kernel=5.3", true, 8192},
                         Case{"kernel=5.4", true, 4096}, Case{"kernel=5.4", false, 8192},
                         Case{"kernel=5.18", false, 8192}, Case{"kernel=5.19", false, 4096},
                         Case{"kernel=6.1", false, 4096}}) {
        Rig r = boot_rm({c.version});
        const int fd = open_mem(r);
        r.p->task().signal_pending = true;
        r.p->task().fatal_signal_pending = c.fatal;
        CHECK(r.R(fd, kVga, 8192) == c.expect);
        CHECK(r.pos(fd) == kVga + static_cast<u64>(c.expect));
        CHECK(r.user(kB, static_cast<u64>(c.expect)) ==
              vga_bytes(kVga, static_cast<u64>(c.expect)));
    }
}

TEST_CASE("mem read: the bounce page's allocation failure is ENOMEM from 4.16", "[dev_mem]") {
    for (const char* v : {"kernel=4.16", "kernel=6.1"}) {
        Rig r = boot_rm({v});
        const int fd = open_mem(r);
        REQUIRE(r.p->lseek(fd, kVga, kSeekSet) == static_cast<long>(kVga));
        const u64 before = r.m->page_allocator().outstanding_pages();
        r.m->page_allocator().set_fault_injection(fail_first());
        CHECK(r.p->read(fd, VirtAddr(kB), 16) == -ENOMEM);
        CHECK(r.pos(fd) == kVga);
        r.m->page_allocator().set_fault_injection({});
        CHECK(r.p->read(fd, VirtAddr(kB), 16) == 16);
        CHECK(r.m->page_allocator().outstanding_pages() == before); // the bounce page is freed
    }
    Rig r = boot_rm({"kernel=4.15"});
    const int fd = open_mem(r);
    REQUIRE(r.p->lseek(fd, kVga, kSeekSet) == static_cast<long>(kVga));
    r.m->page_allocator().set_fault_injection(fail_first());
    CHECK(r.p->read(fd, VirtAddr(kB), 16) == 16); // no bounce page yet
}

TEST_CASE("mem read: 32-bit PAE, ARM and arm64 rules", "[dev_mem]") {
    {
        // ARM: RAM is refused (no zero-fill: devmem_is_allowed never says 2), a hole above it is
        // beyond __pa(high_memory).
        Rig r = boot_plain({"arch=arm", "mem=256M", "kernel=6.1"});
        const int fd = static_cast<int>(r.open("/dev/mem"));
        REQUIRE(fd == 3);
        const u64 ram = r.m->layout().phys_offset.get();
        CHECK(r.R(fd, ram + 0x10000, 16) == -EPERM);
        // below PHYS_OFFSET is outside ARM's valid_phys_addr_range
        if (ram > 0)
            CHECK(r.R(fd, ram - 0x1000, 16) == -EFAULT);
        const u64 top = r.m->layout().pa(r.m->layout().high_memory).get();
        CHECK(r.R(fd, top - 16, 32) == -EFAULT);
    }
    {
        Rig r = boot_plain({"arch=arm", "mem=256M", "kernel=6.1", "strict_devmem=off"});
        const int fd = static_cast<int>(r.open("/dev/mem"));
        const u64 ram = r.m->layout().phys_offset.get();
        CHECK(r.R(fd, ram + 0x10000, 16) == 16);
    }
    {
        // arm64: the range must lie in one memblock (RAM) region.
        Rig r = boot_plain({"arch=arm64", "mem=256M", "kernel=6.1", "strict_devmem=off"});
        const int fd = static_cast<int>(r.open("/dev/mem"));
        const u64 ram = r.m->layout().phys_offset.get();
        CHECK(r.R(fd, ram + 0x10000, 16) == 16);
        CHECK(r.R(fd, ram + 256 * MiB - 8, 16) == -EFAULT);
        CHECK(r.R(fd, ram + 256 * MiB, 0) == -EFAULT);
    }
    {
        Rig r = boot_plain({"arch=arm64", "mem=256M", "kernel=6.1"});
        const int fd = static_cast<int>(r.open("/dev/mem"));
        const u64 ram = r.m->layout().phys_offset.get();
        CHECK(r.R(fd, ram + 0x10000, 16) == -EPERM);
    }
}
