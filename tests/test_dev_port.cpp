// /dev/port through the syscalls: read_port/write_port (the 65536 cut-off, *ppos, EFAULT with the
// ports already read, 32-bit truncation), open_port's capability and lockdown checks,
// memory_lseek per era, presence per arch (kernel-semantics.md §2.2, §2.3, §2.13).
#include <catch2/catch.hpp>

#include "devices/mem/port_device.h"
#include "devices/port/cmos_rtc.h"
#include "devices/port/io_ports.h"
#include "devices/port/post_code_port.h"
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
    IoPortSpace& ports() { return io_ports(machine->devices().kernel()); }
};

Rig boot(std::vector<std::string> words, Cred cred = Cred::root()) {
    auto c = parse_config_words(words);
    REQUIRE(c);
    auto m = Machine::boot(c.release_value());
    REQUIRE(m);
    Rig r;
    r.machine = m.release_value();
    r.proc = &r.machine->spawn({"t", cred});
    const bool is32 = is_32bit(r.machine->config().arch);
    auto fake = std::make_unique<test::FakeUserMemory>(is32 ? 0xc0000000ULL : 0x7ffffffff000ULL);
    fake->map(kB, 64 * KiB, 0xaa);
    fake->map(kB2, 8192, 0xbb);
    r.mem = fake.get();
    r.proc->set_user_memory(std::move(fake));
    return r;
}
Rig boot_kernel(const std::string& v, const std::string& arch = "x86_64") {
    return boot({"arch=" + arch, "kernel=" + v});
}

int open_port(Rig& r) {
    const long fd = r.proc->open("/dev/port", oflag::kRdwr);
    REQUIRE(fd >= 3);
    return static_cast<int>(fd);
}

// A device model at `first` that answers its offset + 0x40 and counts the reads it got.
struct CountingDevice {
    int reads = 0;
    std::vector<std::pair<u16, u32>> writes;
};
void add_counting(Rig& r, u16 first, u32 count, CountingDevice& dev) {
    REQUIRE(r.ports().register_region(
        IoPortRegion{"test", IoPort(first), count,
                     [&dev](u16 off, unsigned) {
                         ++dev.reads;
                         return static_cast<u32>(off + 0x40);
                     },
                     [&dev](u16 off, unsigned, u32 v) { dev.writes.emplace_back(off, v); }}));
}

} // namespace

TEST_CASE("7.2 case 78: R(port, 65535, 4) is 1 (pos 65536), then 0; R(port, 70000, 4) is 0",
          "[dev][port]") {
    for (const char* v : {"2.6.24", "2.6.32", "3.10", "4.4", "4.19", "5.10", "6.1", "6.13"}) {
        INFO("kernel " << v);
        Rig r = boot_kernel(v);
        const int fd = open_port(r);
        REQUIRE(r.proc->lseek(fd, 65535, kSeekSet) == 65535);
        CHECK(r.proc->read(fd, VirtAddr(kB), 4) == 1);
        CHECK(r.mem->bytes(kB, 2) == std::vector<u8>{0xff, 0xaa}); // port 0xffff floats
        CHECK(r.proc->lseek(fd, 0, kSeekCur) == 65536);
        CHECK(r.proc->read(fd, VirtAddr(kB), 4) == 0);
        CHECK(r.proc->lseek(fd, 0, kSeekCur) == 65536);
        REQUIRE(r.proc->lseek(fd, 70000, kSeekSet) == 70000);
        CHECK(r.proc->read(fd, VirtAddr(kB), 4) == 0);
        CHECK(r.proc->file(fd)->f.f_pos == 70000);
        CHECK(r.proc->write(fd, VirtAddr(kB), 4) == 0);
        CHECK(r.proc->file(fd)->f.f_pos == 70000);
    }
}

TEST_CASE("7.2 case 79: open /dev/port without CAP_SYS_RAWIO is EPERM in every era",
          "[dev][port]") {
    for (const char* v : {"2.6.24", "3.10", "4.19", "5.4", "6.1"}) {
        INFO("kernel " << v);
        Cred no_rawio = Cred::root();
        no_rawio.cap_effective &= ~(u64{1} << CAP_SYS_RAWIO);
        Rig r = boot({"arch=x86_64", std::string("kernel=") + v}, no_rawio);
        CHECK(r.proc->open("/dev/port", oflag::kRdonly) == -EPERM);
        // An ordinary user fails on the node's mode (0600 root) first.
        Process& user = r.machine->spawn({"u", Cred::user(1000, 1000)});
        CHECK(user.open("/dev/port", oflag::kRdonly) == -EACCES);
    }
}

TEST_CASE("7.2 case 79: integrity or confidentiality lockdown makes open_port EPERM (5.4+)",
          "[dev][port]") {
    for (const char* v : {"5.4", "5.10", "6.1", "6.13"}) {
        for (const char* mode : {"integrity", "confidentiality"}) {
            INFO("kernel " << v << " lockdown=" << mode);
            Rig r =
                boot({"arch=x86_64", std::string("kernel=") + v, std::string("lockdown=") + mode});
            CHECK(r.proc->open("/dev/port", oflag::kRdonly) == -EPERM);
        }
        Rig open_machine = boot({"arch=x86_64", std::string("kernel=") + v, "lockdown=none"});
        CHECK(open_machine.proc->open("/dev/port", oflag::kRdonly) == 3);
    }
}

TEST_CASE("read_port reads the port space byte by byte; write_port drives it", "[dev][port]") {
    Rig r = boot_kernel("6.1");
    CountingDevice dev;
    add_counting(r, 0x300, 4, dev);
    const int fd = open_port(r);
    CHECK(r.proc->pread64(fd, VirtAddr(kB), 6, 0x2ff) == 6);
    CHECK(r.mem->bytes(kB, 6) == std::vector<u8>{0xff, 0x40, 0x41, 0x42, 0x43, 0xff});
    CHECK(dev.reads == 4);
    r.mem->poke(kB, std::vector<u8>{1, 2, 3});
    CHECK(r.proc->pwrite64(fd, VirtAddr(kB), 3, 0x301) == 3);
    CHECK(dev.writes == std::vector<std::pair<u16, u32>>{{1, 1}, {2, 2}, {3, 3}});
    CHECK(r.proc->file(fd)->f.f_pos == 0);
    // read moves f_pos to the next port.
    REQUIRE(r.proc->lseek(fd, 0x300, kSeekSet) == 0x300);
    CHECK(r.proc->read(fd, VirtAddr(kB), 2) == 2);
    CHECK(r.proc->lseek(fd, 0, kSeekCur) == 0x302);
}

TEST_CASE("read_port: a failed store is EFAULT, pos unchanged, the ports already read",
          "[dev][port]") {
    for (const char* v : {"2.6.24", "4.19", "6.1"}) {
        INFO("kernel " << v);
        Rig r = boot_kernel(v);
        CountingDevice dev;
        add_counting(r, 0x400, 16, dev);
        const int fd = open_port(r);
        REQUIRE(r.proc->lseek(fd, 0x400, kSeekSet) == 0x400);
        // Five bytes fit before the unmapped page: the sixth inb happens, its store fails.
        CHECK(r.proc->read(fd, VirtAddr(kB2 + 8192 - 5), 8) == -EFAULT);
        CHECK(dev.reads == 6);
        CHECK(r.proc->lseek(fd, 0, kSeekCur) == 0x400);
        CHECK(r.mem->bytes(kB2 + 8192 - 5, 5) == std::vector<u8>{0x40, 0x41, 0x42, 0x43, 0x44});
    }
}

TEST_CASE("write_port: a failed fetch after some bytes is a short write, before any EFAULT",
          "[dev][port]") {
    for (const char* v : {"2.6.24", "4.19", "6.1"}) {
        INFO("kernel " << v);
        Rig r = boot_kernel(v);
        CountingDevice dev;
        add_counting(r, 0x500, 16, dev);
        const int fd = open_port(r);
        REQUIRE(r.proc->lseek(fd, 0x500, kSeekSet) == 0x500);
        CHECK(r.proc->write(fd, VirtAddr(kB2 + 8192 - 3), 8) == 3);
        CHECK(dev.writes.size() == 3);
        CHECK(r.proc->lseek(fd, 0, kSeekCur) == 0x503);
        CHECK(r.proc->write(fd, VirtAddr(0x300000), 8) == -EFAULT);
        CHECK(r.proc->lseek(fd, 0, kSeekCur) == 0x503);
        CHECK(dev.writes.size() == 3);
    }
}

TEST_CASE("/dev/port reaches the CMOS clock and the POST port", "[dev][port][cmos]") {
    Rig r = boot_kernel("4.19");
    const int fd = open_port(r);
    // Select register 0x09 (year), read it back through 0x71.
    r.mem->poke(kB, std::vector<u8>{0x09});
    CHECK(r.proc->pwrite64(fd, VirtAddr(kB), 1, 0x70) == 1);
    CHECK(r.proc->pread64(fd, VirtAddr(kB + 16), 1, 0x71) == 1);
    CHECK(r.mem->bytes(kB + 16, 1)[0] == 0x24);
    // The index port reads 0xff; so does the POST port, which records what is written.
    CHECK(r.proc->pread64(fd, VirtAddr(kB + 16), 2, 0x70) == 2);
    CHECK(r.mem->bytes(kB + 16, 2)[0] == 0xff);
    r.mem->poke(kB, std::vector<u8>{0x12, 0x34});
    CHECK(r.proc->pwrite64(fd, VirtAddr(kB), 1, 0x80) == 1);
    CHECK(r.proc->pwrite64(fd, VirtAddr(kB + 1), 1, 0x80) == 1);
    CHECK(r.proc->pread64(fd, VirtAddr(kB + 16), 1, 0x80) == 1);
    CHECK(r.mem->bytes(kB + 16, 1)[0] == 0xff);
    PostCodePort* post = r.ports().post();
    REQUIRE(post);
    CHECK(std::vector<u8>(post->codes().begin(), post->codes().end()) ==
          std::vector<u8>{0x12, 0x34});
    CHECK(post->writes() == 2);
}

TEST_CASE("memory_lseek on /dev/port per era (7.2 cases 1-7 shapes)", "[dev][port][lseek]") {
    struct Expect {
        const char* kernel;
        long minus9;    // lseek(port, -9, SEEK_SET)
        long minus4096; // lseek(port, -4096, SEEK_SET)
    };
    const std::vector<Expect> expect{{"2.6.24", -9, -4096},
                                     {"2.6.38", -9, -4096},
                                     {"2.6.39", -EOVERFLOW, -EOVERFLOW},
                                     {"3.10", -EOVERFLOW, -EOVERFLOW},
                                     {"3.14", -EOVERFLOW, -4096},
                                     {"4.4", -EOVERFLOW, -4096},
                                     {"4.19", -EOVERFLOW, -4096},
                                     {"6.13", -EOVERFLOW, -4096}};
    for (const Expect& e : expect) {
        INFO("kernel " << e.kernel);
        Rig r = boot_kernel(e.kernel);
        const int fd = open_port(r);
        CHECK(r.proc->lseek(fd, -9, kSeekSet) == e.minus9);
        REQUIRE(r.proc->lseek(fd, 0x1000, kSeekSet) == 0x1000);
        CHECK(r.proc->lseek(fd, -4096, kSeekSet) == e.minus4096);
        CHECK(r.proc->file(fd)->f.f_pos == (e.minus4096 == -4096 ? -4096 : 0x1000));
        REQUIRE(r.proc->lseek(fd, 0x1000, kSeekSet) == 0x1000);
        CHECK(r.proc->lseek(fd, -0x800, kSeekCur) == 0x800);
        CHECK(r.proc->lseek(fd, 0, kSeekEnd) == -EINVAL);
        CHECK(r.proc->lseek(fd, 0, kSeekData) == -EINVAL); // refused by the VFS or the driver
        CHECK(r.proc->lseek(fd, 0, 5) == -EINVAL);
    }
}

TEST_CASE("/dev/port has no FMODE_UNSIGNED_OFFSET: a negative position fails read with EINVAL",
          "[dev][port][lseek]") {
    Rig r = boot_kernel("2.6.32");
    const int fd = open_port(r);
    CHECK(r.proc->lseek(fd, -9, kSeekSet) == -9);
    CHECK(r.proc->read(fd, VirtAddr(kB), 1) == -EINVAL);
    CHECK((r.proc->file(fd)->f.f_mode & FMODE_UNSIGNED_OFFSET) == 0);
}

TEST_CASE("i386 4.4: IS_ERR_VALUE makes every offset >= 0xfffff001 EOVERFLOW (7.2 case 8)",
          "[dev][port][lseek]") {
    Rig r44 = boot_kernel("4.4", "i386");
    const int fd = open_port(r44);
    const VirtAddr res(kB);
    CHECK(r44.proc->llseek(fd, 0x100000000ULL, res, kSeekSet) == -EOVERFLOW);
    CHECK(r44.proc->llseek(fd, 0xfffff000ULL, res, kSeekSet) == 0);
    Rig r419 = boot_kernel("4.19", "i386");
    const int fd2 = open_port(r419);
    CHECK(r419.proc->llseek(fd2, 0x100000000ULL, res, kSeekSet) == 0);
    CHECK(r419.mem->bytes(kB, 8) == std::vector<u8>{0, 0, 0, 0, 1, 0, 0, 0});
}

TEST_CASE("32-bit kernels cut the port position to 32 bits before the 65536 test", "[dev][port]") {
    for (const char* arch : {"i386", "x86_64"}) {
        INFO("arch " << arch);
        Rig r = boot_kernel("4.19", arch);
        CountingDevice dev;
        add_counting(r, 0x100, 4, dev);
        const int fd = open_port(r);
        const bool is32 = std::string(arch) == "i386";
        CHECK(r.proc->pread64(fd, VirtAddr(kB), 2, 0x100000100LL) == (is32 ? 2 : 0));
        if (is32) {
            CHECK(r.mem->bytes(kB, 2) == std::vector<u8>{0x40, 0x41});
            // read writes the cut position back to f_pos.
            REQUIRE(r.proc->llseek(fd, 0x100000101ULL, VirtAddr(kB + 64), kSeekSet) == 0);
            CHECK(r.proc->read(fd, VirtAddr(kB), 2) == 2);
            CHECK(r.proc->file(fd)->f.f_pos == 0x103);
        }
    }
}

TEST_CASE("/dev/port exists on x86 by default, on ARM only with devport=on", "[dev][port]") {
    CHECK(boot_kernel("6.1", "arm64").proc->open("/dev/port", oflag::kRdonly) == -ENOENT);
    CHECK(boot_kernel("4.4", "arm").proc->open("/dev/port", oflag::kRdonly) == -ENOENT);
    CHECK(boot({"arch=x86_64", "kernel=6.1", "devport=off"})
              .proc->open("/dev/port", oflag::kRdonly) == -ENOENT);
    Rig arm = boot({"arch=arm64", "kernel=6.1", "devport=on"});
    const int fd = open_port(arm);
    CHECK(arm.proc->pread64(fd, VirtAddr(kB), 2, 0x70) == 2);
    CHECK(arm.mem->bytes(kB, 2) == std::vector<u8>{0xff, 0xff}); // no CMOS on ARM
    CHECK(arm.proc->file(fd)->f.f_op->mmap == nullptr);
}
