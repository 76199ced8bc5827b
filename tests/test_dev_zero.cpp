// /dev/zero and /dev/full through the syscalls: read loops per era (kernel-semantics.md §2.11,
// §2.12), partial progress into a buffer that ends at an unmapped page, signals, writes, lseek.
#include <catch2/catch.hpp>

#include "devices/mem/zero_device.h"
#include "emu/machine.h"
#include "fake_user_memory.h"
#include "mm/errno.h"

using namespace kmemu;

namespace {

// B: 64 KiB mapped at 0x100000; B2: 8192 bytes mapped at 0x200000, then an unmapped page.
constexpr u64 kB = 0x100000;
constexpr u64 kB2 = 0x200000;
constexpr u64 kUnmapped = 0x300000;

struct Rig {
    std::unique_ptr<Machine> machine;
    Process* proc = nullptr;
    test::FakeUserMemory* mem = nullptr;
};

Rig boot(const std::string& kernel, const std::string& arch = "x86_64") {
    const std::vector<std::string> words{"arch=" + arch, "kernel=" + kernel};
    auto c = parse_config_words(words);
    REQUIRE(c);
    auto m = Machine::boot(c.release_value());
    REQUIRE(m);
    Rig r;
    r.machine = m.release_value();
    r.proc = &r.machine->spawn({"t", Cred::user(1000, 1000)});
    const u64 limit = arch.starts_with("i386") ? 0xc0000000ULL : 0x7ffffffff000ULL;
    auto fake = std::make_unique<test::FakeUserMemory>(limit);
    fake->map(kB, 64 * KiB, 0xaa);
    fake->map(kB2, 8192, 0xbb);
    r.mem = fake.get();
    r.proc->set_user_memory(std::move(fake));
    return r;
}

int open_dev(Rig& r, const char* path, unsigned flags = oflag::kRdwr) {
    const long fd = r.proc->open(path, flags);
    REQUIRE(fd >= 3);
    return static_cast<int>(fd);
}

bool all_zero(const std::vector<u8>& v) {
    return std::all_of(v.begin(), v.end(), [](u8 b) { return b == 0; });
}

const std::vector<std::string> kEveryEra{"2.6.24", "2.6.30", "2.6.31", "2.6.32", "3.10",
                                         "3.15",   "3.16",   "4.4",    "4.19",   "5.4",
                                         "5.9",    "5.10",   "6.1",    "6.13"};

} // namespace

TEST_CASE("7.2 case 74: read(zero, B2, 12288) stops at the unmapped page with 8192",
          "[dev][zero]") {
    for (const std::string& v : kEveryEra) {
        INFO("kernel " << v);
        Rig r = boot(v);
        const int fd = open_dev(r, "/dev/zero");
        CHECK(r.proc->read(fd, VirtAddr(kB2), 12288) == 8192);
        CHECK(all_zero(r.mem->bytes(kB2, 8192)));
        CHECK(r.proc->file(fd)->f.f_pos == 0);
    }
}

TEST_CASE("zero read from mid-page into B2 clears up to the page boundary, byte-exact",
          "[dev][zero]") {
    for (const char* v : {"2.6.24", "2.6.32", "4.4", "5.10", "6.1"}) {
        INFO("kernel " << v);
        Rig r = boot(v);
        const int fd = open_dev(r, "/dev/zero");
        CHECK(r.proc->read(fd, VirtAddr(kB2 + 100), 12288) == 8092);
        CHECK(r.mem->bytes(kB2 + 99, 1)[0] == 0xbb);
        CHECK(all_zero(r.mem->bytes(kB2 + 100, 8092)));
    }
}

TEST_CASE("7.2 case 75: read(zero, unmapped, 10) is EFAULT in every era", "[dev][zero]") {
    for (const std::string& v : kEveryEra) {
        INFO("kernel " << v);
        Rig r = boot(v);
        const int fd = open_dev(r, "/dev/zero");
        CHECK(r.proc->read(fd, VirtAddr(kUnmapped), 10) == -EFAULT);
        CHECK(r.proc->read(fd, VirtAddr(kUnmapped), 0) == 0);
        // A kernel address fails the VFS's access_ok before the driver.
        CHECK(r.proc->read(fd, VirtAddr(0xffff800000000000ULL), 10) == -EFAULT);
    }
}

TEST_CASE("zero read of 3 pages with a signal pending: whole before 2.6.31, one page after",
          "[dev][zero]") {
    const std::vector<std::pair<std::string, long>> expect{
        {"2.6.24", 12288}, {"2.6.30", 12288}, {"2.6.31", 4096}, {"3.15", 4096},
        {"3.16", 4096},    {"5.9", 4096},     {"5.10", 4096},   {"6.13", 4096}};
    for (const auto& [v, want] : expect) {
        INFO("kernel " << v);
        Rig r = boot(v);
        const int fd = open_dev(r, "/dev/zero");
        r.proc->task().signal_pending = true;
        CHECK(r.proc->read(fd, VirtAddr(kB), 12288) == want);
        CHECK(all_zero(r.mem->bytes(kB, static_cast<u64>(want))));
        CHECK(r.mem->bytes(kB + static_cast<u64>(want), 1)[0] == 0xaa);
    }
}

TEST_CASE("zero_fops: read up to 3.15 and again from 5.10, read_iter only in between",
          "[dev][zero]") {
    const std::vector<std::tuple<std::string, bool, bool>> expect{{"3.15", true, false},
                                                                  {"3.16", false, true},
                                                                  {"5.9", false, true},
                                                                  {"5.10", true, true},
                                                                  {"6.1", true, true}};
    for (const auto& [v, has_read, has_iter] : expect) {
        INFO("kernel " << v);
        Rig r = boot(v);
        const int fd = open_dev(r, "/dev/zero");
        const file_operations* fop = r.proc->file(fd)->f.f_op;
        CHECK((fop->read != nullptr) == has_read);
        CHECK((fop->read_iter != nullptr) == has_iter);
        CHECK(fop->write != nullptr);
    }
}

TEST_CASE("zero writes accept the whole count and never move f_pos", "[dev][zero]") {
    for (const char* v : {"2.6.24", "3.10", "4.19", "6.1"}) {
        INFO("kernel " << v);
        Rig r = boot(v);
        const int fd = open_dev(r, "/dev/zero");
        CHECK(r.proc->write(fd, VirtAddr(kB), 5000) == 5000);
        CHECK(r.proc->write(fd, VirtAddr(0), 10) == 10); // never read: NULL is fine
        CHECK(r.proc->write(fd, VirtAddr(0xffff800000000000ULL), 10) == -EFAULT);
        CHECK(r.proc->read(fd, VirtAddr(kB), 4096) == 4096);
        CHECK(r.proc->file(fd)->f.f_pos == 0);
        CHECK(r.proc->pread64(fd, VirtAddr(kB), 16, 1000) == 16);
    }
}

TEST_CASE("7.2 case 77: lseek on zero is null_lseek; whence above SEEK_MAX is EINVAL",
          "[dev][zero]") {
    for (const char* v : {"2.6.24", "3.10", "6.1"}) {
        INFO("kernel " << v);
        Rig r = boot(v);
        const int fd = open_dev(r, "/dev/zero");
        CHECK(r.proc->lseek(fd, 123, kSeekEnd) == 0);
        CHECK(r.proc->lseek(fd, 77, kSeekSet) == 0);
        CHECK(r.proc->lseek(fd, 5, 9) == -EINVAL);
        CHECK(r.proc->file(fd)->f.f_pos == 0);
        const int full = open_dev(r, "/dev/full");
        CHECK(r.proc->lseek(full, -1, kSeekCur) == 0);
    }
    // SEEK_DATA (3) is past SEEK_MAX before 3.1 and reaches null_lseek after.
    Rig old_kernel = boot("2.6.32");
    CHECK(old_kernel.proc->lseek(open_dev(old_kernel, "/dev/zero"), 0, kSeekData) == -EINVAL);
    Rig new_kernel = boot("3.10");
    CHECK(new_kernel.proc->lseek(open_dev(new_kernel, "/dev/zero"), 0, kSeekData) == 0);
}

TEST_CASE("7.2 case 76: write(full, B, 10) is ENOSPC; read(full, B, 10) gives 10 zeros",
          "[dev][full]") {
    for (const std::string& v : kEveryEra) {
        INFO("kernel " << v);
        Rig r = boot(v);
        const int fd = open_dev(r, "/dev/full");
        CHECK(r.proc->write(fd, VirtAddr(kB), 10) == -ENOSPC);
        CHECK(r.proc->read(fd, VirtAddr(kB), 10) == 10);
        CHECK(all_zero(r.mem->bytes(kB, 10)));
        CHECK(r.mem->bytes(kB + 10, 1)[0] == 0xaa);
        CHECK(r.proc->file(fd)->f.f_pos == 0);
    }
}

TEST_CASE("7.2 case 92: write(full, B, 0) is ENOSPC (the VFS passes count 0 through)",
          "[dev][full]") {
    for (const char* v : {"2.6.24", "3.10", "4.19", "6.1", "6.13"}) {
        INFO("kernel " << v);
        Rig r = boot(v);
        const int fd = open_dev(r, "/dev/full");
        CHECK(r.proc->write(fd, VirtAddr(kB), 0) == -ENOSPC);
        // The VFS's access_ok still comes first.
        CHECK(r.proc->write(fd, VirtAddr(0xffff800000000000ULL), 1) == -EFAULT);
    }
}

TEST_CASE("full reads as zero does: read_zero up to 3.15, read_iter_zero from 3.16",
          "[dev][full]") {
    const std::vector<std::tuple<std::string, bool, long>> expect{
        {"2.6.30", true, 12288}, {"3.15", true, 4096}, {"3.16", false, 4096}, {"6.1", false, 4096}};
    for (const auto& [v, has_read, with_signal] : expect) {
        INFO("kernel " << v);
        Rig r = boot(v);
        const int fd = open_dev(r, "/dev/full");
        CHECK((r.proc->file(fd)->f.f_op->read != nullptr) == has_read);
        CHECK(r.proc->file(fd)->f.f_op->mmap == nullptr);
        CHECK(r.proc->read(fd, VirtAddr(kB2), 12288) == 8192);
        CHECK(r.proc->read(fd, VirtAddr(kUnmapped), 4096) == -EFAULT);
        r.proc->task().signal_pending = true;
        CHECK(r.proc->read(fd, VirtAddr(kB), 12288) == with_signal);
    }
}

TEST_CASE("zero and full on a 32-bit machine", "[dev][zero]") {
    Rig r = boot("4.19", "i386");
    const int fd = open_dev(r, "/dev/zero");
    CHECK(r.proc->read(fd, VirtAddr(kB2), 12288) == 8192);
    CHECK(r.proc->read(fd, VirtAddr(0xbffff000), 8192) == -EFAULT); // crosses the user limit
    const int full = open_dev(r, "/dev/full");
    CHECK(r.proc->write(full, VirtAddr(kB), 1) == -ENOSPC);
}

TEST_CASE("7.2 case 80: hand-made nodes 1:2 (6.1+), 1:6 and 1:10 are ENXIO; no /dev/kmem node",
          "[dev][zero]") {
    for (const char* v : {"2.6.32", "4.19", "6.1", "6.13"}) {
        INFO("kernel " << v);
        Rig r = boot(v);
        auto& nodes = r.machine->devices().nodes();
        REQUIRE(nodes.mknod("/dev/m6", kS_IFCHR | 0666, MKDEV(1, 6)) == 0);
        REQUIRE(nodes.mknod("/dev/m10", kS_IFCHR | 0666, MKDEV(1, 10)) == 0);
        CHECK(r.proc->open("/dev/m6", oflag::kRdonly) == -ENXIO);
        CHECK(r.proc->open("/dev/m10", oflag::kRdonly) == -ENXIO);
        // A hand-made 1:5 node is /dev/zero whatever its name.
        REQUIRE(nodes.mknod("/dev/z", kS_IFCHR | 0666, MKDEV(1, 5)) == 0);
        const long fd = r.proc->open("/dev/z", oflag::kRdonly);
        REQUIRE(fd >= 3);
        CHECK(r.proc->read(static_cast<int>(fd), VirtAddr(kB), 10) == 10);
    }
    for (const char* v : {"6.1", "6.13"}) {
        INFO("kernel " << v);
        Rig r = boot(v);
        CHECK(r.proc->open("/dev/kmem", oflag::kRdonly) == -ENOENT);
        REQUIRE(r.machine->devices().nodes().mknod("/dev/k", kS_IFCHR | 0666, MKDEV(1, 2)) == 0);
        CHECK(r.proc->open("/dev/k", oflag::kRdonly) == -ENXIO);
    }
}
