// mmap(2) of /dev/zero through real processes: private anonymous memory that keeps /dev/zero
// as its file, shared memory from shmem_zero_setup, SIGBUS beyond the object, and ENODEV for
// the devices without mmap (kernel-semantics §2.10, §2.11, §4.5, §5.1; §7.2 cases 89, 93).
#include <fmt/format.h>

#include "test_dev_mmap_helpers.h"

#include "mm/shmem/shmem.h"
#include "mm/user/vm_ops.h"

using namespace kmemu;
using namespace kmemu::test;

namespace {
constexpr u64 kTop = 0x7ffff7fff000;
constexpr u64 kNx = 0x8000000000000000ULL;
} // namespace

TEST_CASE("zero mmap private: anonymous memory named /dev/zero", "[dev_zero][mmap]") {
    for (const char* k : {"kernel=2.6.32", "kernel=4.19", "kernel=6.1"}) {
        Rig r = rm_real({k});
        const int fd = static_cast<int>(r.open("/dev/zero"));
        const u64 x = map_ok(r, fd, 0x2000, kRW, kPrivate, 0);
        const vm_area_struct* v = r.p->mm()->find_vma(VirtAddr(x));
        REQUIRE(v != nullptr);
        CHECK(v->vm_ops == nullptr);
        CHECK(v->vm_file == &r.p->file(fd)->f);
        CHECK(load(r, x, 16) == filled(16, 0));
        REQUIRE(store(r, x + 0x1000, {9, 8, 7}).signal == 0);
        CHECK(load(r, x + 0x1000, 3) == std::vector<u8>{9, 8, 7});
        if (std::string(k) == "kernel=6.1") {
            // Read fault: the shared zero page, special and read-only; write: a new page.
            CHECK(pte(r, x) == (kNx | (r.p->mm()->zero_pfn().get() << 12) | 0x225));
            CHECK((pte(r, x + 0x1000) & 0xfff) == 0x867);
            CHECK(v->vm_flags == (VM_READ | VM_WRITE | VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC |
                                  VM_ACCOUNT | VM_SOFTDIRTY));
            const std::string ino = std::to_string(ino_of(r, fd));
            const std::vector<std::string> lines = maps_lines(r, "/dev/zero");
            REQUIRE(lines.size() == 1);
            CHECK(lines[0] ==
                  line64(fmt::format("{:x}-{:x} rw-p 00000000 00:06 {}", x, x + 0x2000, ino),
                         "/dev/zero"));
        }
    }
}

TEST_CASE("zero mmap O_RDONLY: private writable allowed, shared writable EACCES",
          "[dev_zero][mmap]") {
    Rig r = rm_real({"kernel=6.1"});
    const int fd = static_cast<int>(r.open("/dev/zero", oflag::kRdonly));
    CHECK(r.p->mmap(0, 4096, kRW, kShared, fd, 0) == -EACCES);
    const u64 x = map_ok(r, fd, 4096, kRW, kPrivate, 0);
    REQUIRE(store(r, x, {1}).signal == 0);
    // MAP_SHARED of a read-only descriptor loses VM_SHARED, so mmap_zero makes it anonymous.
    const u64 y = map_ok(r, fd, 4096, kR, kShared, 0);
    const vm_area_struct* v = r.p->mm()->find_vma(VirtAddr(y));
    CHECK(v->vm_ops == nullptr);
    CHECK(v->vm_file == &r.p->file(fd)->f);
    CHECK((v->vm_flags & (VM_SHARED | VM_MAYSHARE)) == VM_MAYSHARE);
}

TEST_CASE("zero mmap shared: a shmem object per mapping", "[dev_zero][mmap]") {
    Rig r = rm_real({"kernel=6.1"});
    const int fd = static_cast<int>(r.open("/dev/zero"));
    const u64 x = map_ok(r, fd, 0x2000, kRW, kShared, 0);
    CHECK(x == kTop - 0x2000);
    const u64 y = map_ok(r, fd, 0x1000, kRW, kShared, 0);
    const vm_area_struct* vx = r.p->mm()->find_vma(VirtAddr(x));
    const vm_area_struct* vy = r.p->mm()->find_vma(VirtAddr(y));
    const ShmemObject* ox = shmem_object_of(*vx);
    const ShmemObject* oy = shmem_object_of(*vy);
    REQUIRE(ox != nullptr);
    REQUIRE(oy != nullptr);
    CHECK(ox != oy);
    CHECK(ox->size == 0x2000);
    CHECK(vx->vm_file != &r.p->file(fd)->f); // replaced by the shmem file
    CHECK(vx->vm_flags == (VM_READ | VM_WRITE | VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC | VM_SHARED |
                           VM_MAYSHARE | VM_SOFTDIRTY));
    CHECK(load(r, x, 8) == filled(8, 0));
    REQUIRE(store(r, x + 0x1000, filled(8, 0x3c)).signal == 0);
    CHECK(load(r, x + 0x1000, 8) == filled(8, 0x3c));
    CHECK(load(r, y, 8) == filled(8, 0)); // another object
    // A read fault on a shared mapping without page_mkwrite maps the page writable at once.
    CHECK((pte(r, x) & 0x2) == 0x2);
    CHECK((pte(r, x) & 0x200) == 0); // an ordinary page
    const std::vector<std::string> lines = maps_lines(r, "/dev/zero (deleted)");
    REQUIRE(lines.size() == 2);
    CHECK(lines[0] ==
          line64(fmt::format("{:x}-{:x} rw-s 00000000 00:01 {}", y, y + 0x1000, oy->ino),
                 "/dev/zero (deleted)"));
    CHECK(lines[1] ==
          line64(fmt::format("{:x}-{:x} rw-s 00000000 00:01 {}", x, x + 0x2000, ox->ino),
                 "/dev/zero (deleted)"));
    // Split and unmap: the pages stay shared by the pieces until the last goes.
    CHECK(r.p->munmap(x, 0x1000) == 0);
    CHECK(load(r, x + 0x1000, 8) == filled(8, 0x3c));
    const u64 free_before = r.m->page_allocator().nr_free_pages();
    CHECK(r.p->munmap(x + 0x1000, 0x1000) == 0);
    CHECK(r.m->page_allocator().nr_free_pages() > free_before);
}

TEST_CASE("zero mmap case 89: shared mapping at an offset, SIGBUS past the object",
          "[dev_zero][mmap]") {
    for (const char* k : {"kernel=2.6.32", "kernel=6.1"}) {
        Rig r = rm_real({k});
        const int fd = static_cast<int>(r.open("/dev/zero"));
        const u64 x = map_ok(r, fd, 8192, kRW, kShared, 4096);
        REQUIRE(store(r, x, {1}).signal == 0); // index 1 < 2 pages
        std::vector<u8> b(1);
        auto res = r.p->user_read(VirtAddr(x + 4096 + 5), b); // index 2 >= size
        CHECK(res.signal == Process::kSIGBUS);
        CHECK(res.fault_addr == VirtAddr(x + 4096 + 5));
        const std::vector<std::string> lines = maps_lines(r, "/dev/zero (deleted)");
        REQUIRE(lines.size() == 1);
        CHECK(lines[0].find(" rw-s 00001000 00:01 ") != std::string::npos);
    }
}

TEST_CASE("mmap case 93: full, port, random, urandom, null have no mmap", "[dev_mem][mmap]") {
    for (const char* k : {"kernel=2.6.24", "kernel=6.1"}) {
        Rig r = rm_real({k});
        for (const char* dev :
             {"/dev/full", "/dev/port", "/dev/random", "/dev/urandom", "/dev/null"}) {
            const long fd = r.open(dev);
            INFO(k << " " << dev);
            REQUIRE(fd >= 3);
            CHECK(r.p->mmap(0, 4096, kR, kShared, static_cast<int>(fd), 0) == -ENODEV);
        }
    }
}
