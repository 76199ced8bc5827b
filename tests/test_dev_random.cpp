// /dev/random and /dev/urandom: the seeded generator (determinism, RFC 8439 block), per-era
// sizes, blocking and errors (kernel-semantics.md §2.14), writes, ioctls, lseek.
#include <catch2/catch.hpp>

#include "devices/mem/random_device.h"
#include "devices/mem/random_generator.h"
#include "emu/machine.h"
#include "fake_user_memory.h"
#include "mm/errno.h"

using namespace kmemu;

namespace {

constexpr u64 kB = 0x100000;  // 64 KiB mapped
constexpr u64 kB2 = 0x200000; // 8192 bytes mapped, then an unmapped page

struct Rig {
    std::unique_ptr<Machine> machine;
    Process* proc = nullptr;
    test::FakeUserMemory* mem = nullptr;
};

Rig boot(std::vector<std::string> words, Cred cred = Cred::user(1000, 1000)) {
    auto c = parse_config_words(words);
    REQUIRE(c);
    auto m = Machine::boot(c.release_value());
    REQUIRE(m);
    Rig r;
    r.machine = m.release_value();
    r.proc = &r.machine->spawn({"t", cred});
    auto fake = std::make_unique<test::FakeUserMemory>();
    fake->map(kB, 64 * KiB, 0xaa);
    fake->map(kB2, 8192, 0xbb);
    r.mem = fake.get();
    r.proc->set_user_memory(std::move(fake));
    return r;
}
Rig boot_kernel(const std::string& v, Cred cred = Cred::user(1000, 1000)) {
    return boot({"arch=x86_64", "kernel=" + v}, cred);
}

int open_dev(Rig& r, const char* path, unsigned flags = oflag::kRdwr) {
    const long fd = r.proc->open(path, flags);
    REQUIRE(fd >= 3);
    return static_cast<int>(fd);
}

std::vector<u8> read_bytes(Rig& r, const char* path, u64 n) {
    const int fd = open_dev(r, path, oflag::kRdonly);
    REQUIRE(r.proc->read(fd, VirtAddr(kB), n) == static_cast<long>(n));
    return r.mem->bytes(kB, n);
}

int entcnt(Rig& r, int fd) {
    REQUIRE(r.proc->ioctl(fd, RNDGETENTCNT, kB + 0x8000) == 0);
    const auto b = r.mem->bytes(kB + 0x8000, 4);
    return static_cast<int>(b[0] | b[1] << 8 | b[2] << 16 | static_cast<u32>(b[3]) << 24);
}

// A user address space that takes any store and gives zeros, for reads of tens of MiB.
class SinkUserMemory final : public UserAccess {
  public:
    bool access_ok(VirtAddr addr, u64 size) const override {
        return addr.get() + size >= addr.get() && addr.get() + size <= 0x7ffffffff000ULL;
    }
    u64 raw_copy_to_user(VirtAddr, std::span<const u8>) override { return 0; }
    u64 raw_copy_from_user(std::span<u8> to, VirtAddr) override {
        std::fill(to.begin(), to.end(), u8{0});
        return 0;
    }
    u64 raw_clear_user(VirtAddr, u64) override { return 0; }
};

} // namespace

TEST_CASE("ChaCha20 block function: RFC 8439 2.3.2 test vector", "[dev][random]") {
    std::array<u32, 8> key{};
    for (u32 i = 0; i < 8; ++i)
        key[i] = (4 * i) | (4 * i + 1) << 8 | (4 * i + 2) << 16 | (4 * i + 3) << 24;
    std::array<u8, 64> out{};
    RandomGenerator::chacha20_block(key, 1, {0x09000000, 0x4a000000, 0}, out);
    const std::vector<u8> want{0x10, 0xf1, 0xe7, 0xe4, 0xd1, 0x3b, 0x59, 0x15, 0x50, 0x0f, 0xdd,
                               0x1f, 0xa3, 0x20, 0x71, 0xc4, 0xc7, 0xd1, 0xf4, 0xc7, 0x33, 0xc0,
                               0x68, 0x03, 0x04, 0x22, 0xaa, 0x9a, 0xc3, 0xd4, 0x6c, 0x4e, 0xd2,
                               0x82, 0x64, 0x46, 0x07, 0x9f, 0xaa, 0x09, 0x14, 0xc2, 0xd7, 0x05,
                               0xd9, 0x8b, 0x02, 0xa2, 0xb5, 0x12, 0x9c, 0xd1, 0xde, 0x16, 0x4e,
                               0xb9, 0xcb, 0xd0, 0x83, 0xe8, 0xa2, 0x50, 0x3c, 0x4e};
    CHECK(std::vector<u8>(out.begin(), out.end()) == want);
}

TEST_CASE("same seed, same bytes; another seed, other bytes; the default seed is fixed",
          "[dev][random]") {
    Rig a = boot({"arch=x86_64", "kernel=6.1", "random_seed=42"});
    Rig b = boot({"arch=x86_64", "kernel=6.1", "random_seed=42"});
    Rig c = boot({"arch=x86_64", "kernel=6.1", "random_seed=43"});
    const auto bytes_a = read_bytes(a, "/dev/urandom", 256);
    CHECK(bytes_a == read_bytes(b, "/dev/urandom", 256));
    CHECK(bytes_a != read_bytes(c, "/dev/urandom", 256));
    // Successive reads continue the stream; /dev/random and /dev/urandom share it.
    CHECK(read_bytes(a, "/dev/random", 16) == read_bytes(b, "/dev/random", 16));
    CHECK(read_bytes(a, "/dev/urandom", 256) != bytes_a);
    Rig d = boot_kernel("6.1");
    Rig e = boot({"arch=x86_64", "kernel=6.1", "random_seed=0x6b6d656d75726e67"});
    CHECK(read_bytes(d, "/dev/urandom", 64) == read_bytes(e, "/dev/urandom", 64));
    // The same in an old era.
    Rig f = boot({"arch=x86_64", "kernel=2.6.32", "random_seed=7"});
    Rig g = boot({"arch=x86_64", "kernel=2.6.32", "random_seed=7"});
    CHECK(read_bytes(f, "/dev/random", 100) == read_bytes(g, "/dev/random", 100));
}

TEST_CASE("/dev/random up to 5.5: at most 512 bytes a call from a counted pool", "[dev][random]") {
    for (const char* v : {"2.6.24", "2.6.32", "3.10", "4.19", "5.4", "5.5"}) {
        INFO("kernel " << v);
        Rig r = boot_kernel(v);
        const int fd = open_dev(r, "/dev/random", oflag::kRdonly);
        CHECK(r.proc->read(fd, VirtAddr(kB), 0) == 0);
        CHECK(r.proc->read(fd, VirtAddr(kB), 100) == 100);
        CHECK(entcnt(r, fd) == 4096 - 800);
        // 3296 bits left cover 412 bytes: a read of 1000 gets them, not 512.
        CHECK(r.proc->read(fd, VirtAddr(kB), 1000) == 412);
        CHECK(entcnt(r, fd) == 0);
        const int nb = open_dev(r, "/dev/random", oflag::kRdonly | oflag::kNonblock);
        CHECK(r.proc->read(nb, VirtAddr(kB), 10) == -EAGAIN);
        // A blocking read would sleep forever: -ERESTARTSYS, counted.
        CHECK(r.proc->read(fd, VirtAddr(kB), 10) == -ERESTARTSYS);
        CHECK(random_pool(r.machine->devices().kernel()).blocked_reads == 1);
        CHECK(r.proc->file(fd)->f.f_pos == 0);
    }
}

TEST_CASE("/dev/random: a full pool still gives at most SEC_XFER_SIZE a call", "[dev][random]") {
    Rig r = boot_kernel("4.19", Cred::root());
    const int fd = open_dev(r, "/dev/random", oflag::kRdonly);
    CHECK(r.proc->read(fd, VirtAddr(kB), 4096) == 512);
    CHECK(entcnt(r, fd) == 0);
    // RNDADDTOENTCNT credits bits back (root has CAP_SYS_ADMIN); 80 bits make 10 bytes.
    r.mem->poke(kB + 0x9000, std::vector<u8>{80, 0, 0, 0});
    CHECK(r.proc->ioctl(fd, RNDADDTOENTCNT, kB + 0x9000) == 0);
    CHECK(r.proc->read(fd, VirtAddr(kB), 4096) == 10);
    // Crediting more than the pool holds saturates at 4096 bits.
    r.mem->poke(kB + 0x9000, std::vector<u8>{0, 0, 1, 0});
    CHECK(r.proc->ioctl(fd, RNDADDTOENTCNT, kB + 0x9000) == 0);
    CHECK(entcnt(r, fd) == 4096);
    CHECK(r.proc->ioctl(fd, RNDZAPENTCNT, 0) == 0);
    CHECK(entcnt(r, fd) == 0);
}

TEST_CASE("/dev/random from 5.6 reads as /dev/urandom once the CRNG is up", "[dev][random]") {
    for (const char* v : {"5.6", "5.10", "6.1", "6.13"}) {
        INFO("kernel " << v);
        Rig r = boot_kernel(v);
        const int nb = open_dev(r, "/dev/random", oflag::kRdonly | oflag::kNonblock);
        CHECK(r.proc->read(nb, VirtAddr(kB), 4096) == 4096);
        CHECK(r.proc->read(nb, VirtAddr(kB), 60000) == 60000);
        CHECK(random_pool(r.machine->devices().kernel()).blocked_reads == 0);
    }
}

TEST_CASE("urandom read cap: INT_MAX >> 6 from 3.13 to 5.17, none before or after",
          "[dev][random]") {
    // One real read past the cap (32 MiB of output); the other sides of the two boundaries by
    // the machines' rules, which the read path applies the same way.
    auto c = parse_config_words(std::vector<std::string>{"arch=x86_64", "kernel=3.13"});
    REQUIRE(c);
    auto m = Machine::boot(c.release_value()).release_value();
    Process& p = m->spawn({"t", Cred::user(1000, 1000)});
    p.set_user_memory(std::make_unique<SinkUserMemory>());
    REQUIRE(p.open("/dev/urandom", oflag::kRdonly) == 3);
    CHECK(p.read(3, VirtAddr(kB), 0x2000000) == 33554431);
    for (const auto& [v, cap] : std::vector<std::pair<std::string, u64>>{
             {"3.12", 0}, {"3.13", 33554431}, {"5.17", 33554431}, {"5.18", 0}}) {
        INFO("kernel " << v);
        Rig r = boot_kernel(v);
        CHECK(random_rules(r.machine->devices().kernel()).urandom_max == cap);
    }
}

TEST_CASE("urandom faults: EFAULT up to 5.17, the bytes so far from 5.18", "[dev][random]") {
    const std::vector<std::pair<std::string, long>> expect{
        {"2.6.24", -EFAULT}, {"4.19", -EFAULT}, {"5.17", -EFAULT}, {"5.18", 8192}, {"6.1", 8192}};
    for (const auto& [v, want] : expect) {
        INFO("kernel " << v);
        Rig r = boot_kernel(v);
        const int fd = open_dev(r, "/dev/urandom", oflag::kRdonly);
        CHECK(r.proc->read(fd, VirtAddr(kB2), 12288) == want);
        CHECK(r.proc->read(fd, VirtAddr(kB2 + 8192 - 10), 20) == (want < 0 ? -EFAULT : 10));
        CHECK(r.proc->read(fd, VirtAddr(0), 16) == -EFAULT); // NULL buffer
        CHECK(r.proc->read(fd, VirtAddr(0), 0) == 0);
    }
}

TEST_CASE("urandom with a signal pending: a page at a time from 5.18", "[dev][random]") {
    const std::vector<std::pair<std::string, long>> expect{
        {"4.19", 12288}, {"5.17", 12288}, {"5.18", 4096}, {"6.1", 4096}};
    for (const auto& [v, want] : expect) {
        INFO("kernel " << v);
        Rig r = boot_kernel(v);
        const int fd = open_dev(r, "/dev/urandom", oflag::kRdonly);
        r.proc->task().signal_pending = true;
        CHECK(r.proc->read(fd, VirtAddr(kB), 12288) == want);
        CHECK(r.proc->read(fd, VirtAddr(kB), 4000) == 4000); // below a page: no check
    }
}

TEST_CASE("writes return the count and mix into the stream; faults per era", "[dev][random]") {
    const std::vector<std::pair<std::string, long>> expect{
        {"2.6.24", -EFAULT}, {"4.19", -EFAULT}, {"5.18", -EFAULT}, {"5.19", 8192}, {"6.13", 8192}};
    for (const auto& [v, fault] : expect) {
        INFO("kernel " << v);
        Rig a = boot_kernel(v, Cred::root()); // 2.6.24's nodes are 0644
        Rig b = boot_kernel(v, Cred::root());
        const int fa = open_dev(a, "/dev/urandom");
        const int fb = open_dev(b, "/dev/random");
        CHECK(a.proc->write(fa, VirtAddr(kB), 5000) == 5000);
        CHECK(a.proc->write(fa, VirtAddr(kB), 0) == 0);
        CHECK(a.proc->file(fa)->f.f_pos == 0);
        CHECK(b.proc->write(fb, VirtAddr(kB2), 12288) == fault);
        CHECK(b.proc->write(fb, VirtAddr(0x300000), 16) == -EFAULT);
        // a mixed 5000 bytes in; b mixed a different amount: the streams now differ.
        CHECK(read_bytes(a, "/dev/urandom", 64) != read_bytes(b, "/dev/urandom", 64));
    }
}

TEST_CASE("RNDGETENTCNT: the pool's bits, 256 from 5.18; ioctl errors", "[dev][random]") {
    const std::vector<std::pair<std::string, int>> expect{
        {"2.6.32", 4096}, {"5.4", 4096}, {"5.17", 4096}, {"5.18", 256}, {"6.1", 256}};
    for (const auto& [v, want] : expect) {
        INFO("kernel " << v);
        Rig r = boot_kernel(v);
        const int fd = open_dev(r, "/dev/urandom", oflag::kRdonly);
        CHECK(entcnt(r, fd) == want);
        CHECK(r.proc->ioctl(fd, RNDGETENTCNT, 0x300000) == -EFAULT);
        CHECK(r.proc->ioctl(fd, RNDADDTOENTCNT, kB) == -EPERM); // no CAP_SYS_ADMIN
        CHECK(r.proc->ioctl(fd, RNDZAPENTCNT, 0) == -EPERM);
        CHECK(r.proc->ioctl(fd, 0x5299, 0) == -EINVAL);
    }
    Rig root = boot_kernel("6.1", Cred::root());
    const int fd = open_dev(root, "/dev/random", oflag::kRdonly);
    root.mem->poke(kB, std::vector<u8>{0xff, 0xff, 0xff, 0xff}); // -1
    CHECK(root.proc->ioctl(fd, RNDADDTOENTCNT, kB) == -EINVAL);
    CHECK(root.proc->ioctl(fd, RNDCLEARPOOL, 0) == 0);
    CHECK(entcnt(root, fd) == 256); // no effect from 5.18
}

TEST_CASE("lseek: default_llseek before 2.6.37, noop_llseek after; f_pos never moves on I/O",
          "[dev][random]") {
    Rig old_kernel = boot_kernel("2.6.32");
    const int fd = open_dev(old_kernel, "/dev/urandom", oflag::kRdonly);
    CHECK(old_kernel.proc->lseek(fd, 100, kSeekSet) == 100);
    CHECK(old_kernel.proc->read(fd, VirtAddr(kB), 10) == 10);
    CHECK(old_kernel.proc->lseek(fd, 0, kSeekCur) == 100);
    CHECK(old_kernel.proc->file(fd)->f.f_op->llseek == nullptr);
    for (const char* v : {"2.6.37", "4.19", "6.1"}) {
        INFO("kernel " << v);
        Rig r = boot_kernel(v);
        const int u = open_dev(r, "/dev/urandom", oflag::kRdonly);
        CHECK(r.proc->lseek(u, 100, kSeekSet) == 0);
        CHECK(r.proc->lseek(u, -5, kSeekEnd) == 0);
        CHECK(r.proc->read(u, VirtAddr(kB), 10) == 10);
        CHECK(r.proc->file(u)->f.f_pos == 0);
    }
}

TEST_CASE("random fops: read/write up to 5.18, read_iter/write_iter from 5.19, never mmap",
          "[dev][random]") {
    for (const auto& [v, iter] :
         std::vector<std::pair<std::string, bool>>{{"5.18", false}, {"5.19", true}}) {
        INFO("kernel " << v);
        Rig r = boot_kernel(v);
        for (const char* path : {"/dev/random", "/dev/urandom"}) {
            const int fd = open_dev(r, path);
            const file_operations* fop = r.proc->file(fd)->f.f_op;
            CHECK((fop->read_iter != nullptr) == iter);
            CHECK((fop->read != nullptr) == !iter);
            CHECK(fop->mmap == nullptr);
            CHECK(fop->unlocked_ioctl != nullptr);
        }
    }
}
