// /dev/mem and /dev/kmem: memory_lseek per era, open_mem's capability and lockdown checks,
// presence of the minors, the unsigned-offset flag (kernel-semantics §2.1-§2.3; §7.2 cases
// 1-8, 79, 80).
#include "test_dev_mem_fixtures.h"

#include "devices/vfs/dev_nodes.h"

using namespace kmemu;
using namespace kmemu::test;

namespace {

int open_mem_fd(Rig& r, const char* path = "/dev/mem") {
    const long fd = r.open(path);
    REQUIRE(fd == 3);
    return static_cast<int>(fd);
}

} // namespace

TEST_CASE("mem lseek case 1: E1/E2 store -9 and return it (user sees -1/EBADF)", "[dev_mem]") {
    for (const char* v : {"kernel=2.6.24", "kernel=2.6.32", "kernel=2.6.38"}) {
        Rig r = boot_rm({v});
        const int fd = open_mem_fd(r);
        CHECK(r.p->lseek(fd, -9, kSeekSet) == -9);
        CHECK(r.pos(fd) == 0xFFFFFFFFFFFFFFF7ULL);
    }
}

TEST_CASE("mem lseek case 2: E3+ refuse -9 with EOVERFLOW, f_pos unchanged", "[dev_mem]") {
    for (const char* v : {"kernel=2.6.39", "kernel=3.6", "kernel=4.4.155", "kernel=4.19",
                          "kernel=6.1", "kernel=6.13"}) {
        Rig r = boot_rm({v});
        const int fd = open_mem_fd(r);
        REQUIRE(r.p->lseek(fd, 0x1234, kSeekSet) == 0x1234);
        CHECK(r.p->lseek(fd, -9, kSeekSet) == -EOVERFLOW);
        CHECK(r.pos(fd) == 0x1234);
    }
}

TEST_CASE("mem lseek cases 3/4: -4096 is refused in E3 only", "[dev_mem]") {
    for (const char* v : {"kernel=2.6.39", "kernel=3.6", "kernel=3.10.108", "kernel=3.13"}) {
        Rig r = boot_rm({v});
        const int fd = open_mem_fd(r);
        CHECK(r.p->lseek(fd, -4096, kSeekSet) == -EOVERFLOW);
        CHECK(r.pos(fd) == 0);
    }
    for (const char* v : {"kernel=3.14", "kernel=4.6", "kernel=4.7"}) {
        // IS_ERR_VALUE on 64-bit and the later -MAX_ERRNO test agree: -4096 passes, -4095 not.
        Rig r = boot_rm({v});
        const int fd = open_mem_fd(r);
        CHECK(r.p->lseek(fd, -4095, kSeekSet) == -EOVERFLOW);
        CHECK(r.p->lseek(fd, -4096, kSeekSet) == -4096);
        CHECK(r.pos(fd) == 0xFFFFFFFFFFFFF000ULL);
    }
    for (const char* v :
         {"kernel=2.6.24", "kernel=2.6.32", "kernel=4.4.155", "kernel=4.19", "kernel=6.1"}) {
        Rig r = boot_rm({v});
        const int fd = open_mem_fd(r);
        CHECK(r.p->lseek(fd, -4096, kSeekSet) == -4096);
        CHECK(r.pos(fd) == 0xFFFFFFFFFFFFF000ULL);
    }
}

TEST_CASE("mem lseek case 5: SEEK_CUR back from 0x1000", "[dev_mem]") {
    for (const char* v : {"kernel=2.6.24", "kernel=3.6", "kernel=6.1"}) {
        Rig r = boot_rm({v});
        const int fd = open_mem_fd(r);
        REQUIRE(r.p->lseek(fd, 0x1000, kSeekSet) == 0x1000);
        CHECK(r.p->lseek(fd, -0x800, kSeekCur) == 0x800);
        CHECK(r.pos(fd) == 0x800);
    }
}

TEST_CASE("mem lseek case 6: SEEK_CUR to -1", "[dev_mem]") {
    {
        Rig r = boot_rm({"kernel=2.6.32"});
        const int fd = open_mem_fd(r);
        CHECK(r.p->lseek(fd, -1, kSeekCur) == -1); // user space reads -1/EPERM
        CHECK(r.pos(fd) == ~u64{0});
    }
    for (const char* v : {"kernel=3.6", "kernel=5.10"}) {
        Rig r = boot_rm({v});
        const int fd = open_mem_fd(r);
        CHECK(r.p->lseek(fd, -1, kSeekCur) == -EOVERFLOW);
        CHECK(r.pos(fd) == 0);
    }
}

TEST_CASE("mem lseek case 7: SEEK_END, SEEK_DATA and whence 5 are EINVAL", "[dev_mem]") {
    for (const char* v : {"kernel=2.6.32", "kernel=3.6", "kernel=6.1"}) {
        Rig r = boot_rm({v});
        const int fd = open_mem_fd(r);
        CHECK(r.p->lseek(fd, 0, kSeekEnd) == -EINVAL);
        CHECK(r.p->lseek(fd, 0, kSeekData) == -EINVAL);
        CHECK(r.p->lseek(fd, 0, 5) == -EINVAL);
        CHECK(r.pos(fd) == 0);
    }
}

TEST_CASE("mem lseek case 8: 32-bit IS_ERR_VALUE refuses _llseek to 4 GiB", "[dev_mem]") {
    const u64 res = 0x4000000;
    {
        Rig r = boot_plain({"arch=i386", "mem=512M", "kernel=4.4.155"});
        const int fd = open_mem_fd(r);
        CHECK(r.p->llseek(fd, 0x100000000ULL, VirtAddr(res), kSeekSet) == -EOVERFLOW);
        CHECK(r.pos(fd) == 0);
        // Just below the 32-bit error window is fine.
        CHECK(r.p->llseek(fd, 0xFFFFF000ULL, VirtAddr(res), kSeekSet) == 0);
        CHECK(r.pos(fd) == 0xFFFFF000ULL);
    }
    for (const char* v : {"kernel=3.10.108", "kernel=4.19"}) {
        Rig r = boot_plain({"arch=i386", "mem=512M", v});
        const int fd = open_mem_fd(r);
        CHECK(r.p->llseek(fd, 0x100000000ULL, VirtAddr(res), kSeekSet) == 0);
        CHECK(r.user(res, 8) == std::vector<u8>{0, 0, 0, 0, 1, 0, 0, 0});
        CHECK(r.pos(fd) == 0x100000000ULL);
    }
}

TEST_CASE("mem open case 79: CAP_SYS_RAWIO, then lockdown from 5.4", "[dev_mem]") {
    Cred no_rawio = Cred::root();
    no_rawio.cap_effective &= ~(u64{1} << CAP_SYS_RAWIO);
    {
        Rig r = boot_rm({"kernel=2.6.32"}, no_rawio);
        CHECK(r.open("/dev/mem") == -EPERM);
        CHECK(r.open("/dev/kmem") == -EPERM);
    }
    {
        Rig r = boot_rm({"kernel=5.4", "lockdown=integrity"});
        CHECK(r.open("/dev/mem") == -EPERM);
        CHECK(r.open("/dev/kmem") == -EPERM);
    }
    {
        Rig r = boot_rm({"kernel=6.1", "lockdown=confidentiality"});
        CHECK(r.open("/dev/mem") == -EPERM);
    }
    {
        Rig r = boot_rm({"kernel=5.4"});
        CHECK(r.open("/dev/mem") == 3);
    }
}

TEST_CASE("kmem presence case 80: 1:2 is ENXIO from 5.13, no /dev/kmem node", "[dev_mem]") {
    {
        Rig r = boot_rm({"kernel=5.12"});
        CHECK(r.open("/dev/kmem") == 3);
    }
    for (const char* v : {"kernel=5.13", "kernel=6.1"}) {
        Rig r = boot_rm({v});
        CHECK(r.open("/dev/kmem") == -ENOENT);
        REQUIRE(r.m->devices().nodes().mknod("/dev/kmem2", kS_IFCHR | 0600, MKDEV(1, 2)) == 0);
        REQUIRE(r.m->devices().nodes().mknod("/dev/m6", kS_IFCHR | 0600, MKDEV(1, 6)) == 0);
        REQUIRE(r.m->devices().nodes().mknod("/dev/m10", kS_IFCHR | 0600, MKDEV(1, 10)) == 0);
        CHECK(r.open("/dev/kmem2") == -ENXIO);
        CHECK(r.open("/dev/m6") == -ENXIO);
        CHECK(r.open("/dev/m10") == -ENXIO);
        CHECK(r.open("/dev/mem") == 3);
    }
    {
        Rig r = boot_rm({"kernel=4.19", "devkmem=off"});
        CHECK(r.open("/dev/kmem") == -ENOENT);
        CHECK(r.open("/dev/mem") == 3);
    }
    {
        Rig r = boot_rm({"kernel=4.19", "devmem=off"});
        CHECK(r.open("/dev/mem") == -ENOENT);
    }
}

TEST_CASE("mem: FMODE_UNSIGNED_OFFSET through 6.11, FOP_UNSIGNED_OFFSET from 6.12", "[dev_mem]") {
    {
        Rig r = boot_rm({"kernel=6.11"});
        const int fd = open_mem_fd(r);
        CHECK((r.p->file(fd)->f.f_mode & FMODE_UNSIGNED_OFFSET) != 0);
        CHECK((r.p->file(fd)->f.f_op->fop_flags & FOP_UNSIGNED_OFFSET) == 0);
    }
    {
        Rig r = boot_rm({"kernel=6.12"});
        const int fd = open_mem_fd(r);
        CHECK((r.p->file(fd)->f.f_mode & FMODE_UNSIGNED_OFFSET) == 0);
        CHECK((r.p->file(fd)->f.f_op->fop_flags & FOP_UNSIGNED_OFFSET) != 0);
        // The flag is what lets a read at a position >= 2^63 through rw_verify_area: it reaches
        // the driver, which refuses the range (EFAULT), instead of the VFS's EINVAL.
        REQUIRE(r.p->lseek(fd, -8192, kSeekSet) == -8192);
        CHECK(r.p->read(fd, VirtAddr(kB), 16) == -EFAULT);
    }
}
