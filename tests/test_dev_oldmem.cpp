// /dev/oldmem: presence per version and config, read_oldmem's saved_max_pfn bound (7.2 case 88),
// the oldmem= image (bounded reads, zeros past its end), open, lseek, partial progress.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <unistd.h>

#include "devices/mem/oldmem_device.h"
#include "emu/machine.h"
#include "fake_user_memory.h"
#include "mm/errno.h"

using namespace kmemu;

namespace {

constexpr u64 kB = 0x100000;  // 64 KiB mapped
constexpr u64 kB2 = 0x200000; // 8192 bytes mapped, then an unmapped page

// The reference machine's RAM map (kernel-semantics.md §7.1): RAM ends at 0x80000000.
RamMap reference_ram_map() {
    RamMap map;
    map.ranges = {{PhysAddr(0), PhysAddr(0x9f000), RamType::Usable, ""},
                  {PhysAddr(0x9f000), PhysAddr(0xa0000), RamType::Reserved, ""},
                  {PhysAddr(0xf0000), PhysAddr(0x100000), RamType::Reserved, ""},
                  {PhysAddr(0x100000), PhysAddr(0x80000000), RamType::Usable, ""}};
    return map;
}

struct Rig {
    std::unique_ptr<Machine> machine;
    Process* proc = nullptr;
    test::FakeUserMemory* mem = nullptr;
};

Rig boot(MachineConfig c, Cred cred = Cred::root()) {
    auto m = Machine::boot(c);
    REQUIRE(m);
    Rig r;
    r.machine = m.release_value();
    r.proc = &r.machine->spawn({"t", cred});
    auto fake = std::make_unique<test::FakeUserMemory>(is_32bit(c.arch) ? 0xc0000000ULL
                                                                        : 0x7ffffffff000ULL);
    fake->map(kB, 64 * KiB, 0xaa);
    fake->map(kB2, 8192, 0xbb);
    r.mem = fake.get();
    r.proc->set_user_memory(std::move(fake));
    return r;
}

MachineConfig crash_kernel(KernelVersion v, std::optional<std::string> image = std::nullopt) {
    MachineConfig c;
    c.arch = Arch::X86_64;
    c.kernel = v;
    c.ram_map = reference_ram_map();
    c.crash_dump = true;
    c.oldmem_file = std::move(image);
    return c;
}

int open_oldmem(Rig& r) {
    const long fd = r.proc->open("/dev/oldmem", oflag::kRdonly);
    REQUIRE(fd >= 3);
    return static_cast<int>(fd);
}

// A 3-page image minus 3096 bytes: page 0 all 0x11, page 1 bytes i & 0xff, then 1000 x 0x33.
struct ImageFile {
    std::filesystem::path path;
    ImageFile() {
        path = std::filesystem::temp_directory_path() /
               ("kmemu_oldmem_" + std::to_string(::getpid()) + ".img");
        std::vector<char> bytes(2 * 4096 + 1000);
        std::fill_n(bytes.begin(), 4096, char{0x11});
        for (size_t i = 0; i < 4096; ++i)
            bytes[4096 + i] = static_cast<char>(i & 0xff);
        std::fill(bytes.begin() + 8192, bytes.end(), char{0x33});
        std::ofstream(path, std::ios::binary)
            .write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    }
    ~ImageFile() { std::filesystem::remove(path); }
};

} // namespace

TEST_CASE("7.2 case 88: pread at saved_max_pfn reads a page (`>`), one page further reads 0",
          "[dev][oldmem]") {
    for (const KernelVersion v :
         {KernelVersion{2, 6, 24}, KernelVersion{2, 6, 32}, KernelVersion{3, 10, 0}}) {
        INFO("kernel " << v.to_string());
        Rig r = boot(crash_kernel(v));
        CHECK(oldmem_saved_max_pfn(r.machine->devices().kernel()) == 0x80000);
        const int fd = open_oldmem(r);
        CHECK(r.proc->pread64(fd, VirtAddr(kB), 4096, 0x80000LL * 4096) == 4096);
        CHECK(r.mem->bytes(kB, 4096) == std::vector<u8>(4096, 0)); // no image: zeros
        CHECK(r.proc->pread64(fd, VirtAddr(kB), 4096, 0x80001LL * 4096) == 0);
        // A read that runs into the page past saved_max_pfn stops there.
        CHECK(r.proc->pread64(fd, VirtAddr(kB), 8192, 0x80000LL * 4096 + 96) == 4000);
        CHECK(r.proc->file(fd)->f.f_pos == 0);
    }
}

TEST_CASE("/dev/oldmem exists with crash_dump=on up to 3.11 only", "[dev][oldmem]") {
    CHECK(boot(crash_kernel(KernelVersion{3, 11, 0})).proc->open("/dev/oldmem", 0) == 3);
    CHECK(boot(crash_kernel(KernelVersion{3, 12, 0})).proc->open("/dev/oldmem", 0) == -ENOENT);
    CHECK(boot(crash_kernel(KernelVersion{4, 4, 0})).proc->open("/dev/oldmem", 0) == -ENOENT);
    MachineConfig off = crash_kernel(KernelVersion{2, 6, 32});
    off.crash_dump.reset();
    Rig r = boot(off);
    CHECK(r.proc->open("/dev/oldmem", 0) == -ENOENT);
    // A hand-made 1:12 node reaches memory_open, which has no such minor: ENXIO.
    REQUIRE(r.machine->devices().nodes().mknod("/dev/om", kS_IFCHR | 0600, MKDEV(1, 12)) == 0);
    CHECK(r.proc->open("/dev/om", 0) == -ENXIO);
}

TEST_CASE("oldmem reads the image at its physical offsets, zeros past its end", "[dev][oldmem]") {
    ImageFile image;
    Rig r = boot(crash_kernel(KernelVersion{2, 6, 32}, image.path.string()));
    const int fd = open_oldmem(r);
    CHECK(r.proc->pread64(fd, VirtAddr(kB), 16, 0x1000) == 16);
    CHECK(r.mem->bytes(kB, 4) == std::vector<u8>{0, 1, 2, 3});
    // Across the page boundary 0x1000: two copy_oldmem_page chunks.
    CHECK(r.proc->pread64(fd, VirtAddr(kB), 8, 0xffc) == 8);
    CHECK(r.mem->bytes(kB, 8) == std::vector<u8>{0x11, 0x11, 0x11, 0x11, 0, 1, 2, 3});
    // Across the end of the image: its last 100 bytes, then zeros.
    CHECK(r.proc->pread64(fd, VirtAddr(kB), 200, 0x2000 + 900) == 200);
    const auto tail = r.mem->bytes(kB, 200);
    CHECK(std::vector<u8>(tail.begin(), tail.begin() + 100) == std::vector<u8>(100, 0x33));
    CHECK(std::vector<u8>(tail.begin() + 100, tail.end()) == std::vector<u8>(100, 0));
    CHECK(r.proc->pread64(fd, VirtAddr(kB), 64, 0x7ffff000) == 64);
    CHECK(r.mem->bytes(kB, 64) == std::vector<u8>(64, 0));
}

TEST_CASE("oldmem: a missing image is a boot error naming the word", "[dev][oldmem]") {
    auto m = Machine::boot(crash_kernel(KernelVersion{3, 10, 0}, "/nonexistent/kmemu-oldmem.img"));
    REQUIRE(m.is_error());
    CHECK(m.error().kind() == ErrorKind::InvalidConfig);
    CHECK(m.error().message().find("oldmem: ") == 0);
    CHECK(m.error().message().find("oldmem=/nonexistent/kmemu-oldmem.img") != std::string::npos);
}

TEST_CASE("open_oldmem needs CAP_SYS_RAWIO", "[dev][oldmem]") {
    Cred no_rawio = Cred::root();
    no_rawio.cap_effective &= ~(u64{1} << CAP_SYS_RAWIO);
    Rig r = boot(crash_kernel(KernelVersion{2, 6, 32}), no_rawio);
    CHECK(r.proc->open("/dev/oldmem", oflag::kRdonly) == -EPERM);
}

TEST_CASE("oldmem has no llseek: default_llseek before 2.6.37, ESPIPE after", "[dev][oldmem]") {
    ImageFile image;
    Rig old_kernel = boot(crash_kernel(KernelVersion{2, 6, 32}, image.path.string()));
    const int fd = open_oldmem(old_kernel);
    CHECK(old_kernel.proc->lseek(fd, 0x1000, kSeekSet) == 0x1000);
    CHECK(old_kernel.proc->read(fd, VirtAddr(kB), 16) == 16);
    CHECK(old_kernel.mem->bytes(kB, 2) == std::vector<u8>{0, 1});
    CHECK(old_kernel.proc->lseek(fd, 0, kSeekCur) == 0x1010);
    Rig r310 = boot(crash_kernel(KernelVersion{3, 10, 0}));
    const int fd310 = open_oldmem(r310);
    CHECK(r310.proc->lseek(fd310, 0x1000, kSeekSet) == -ESPIPE);
    CHECK(r310.proc->read(fd310, VirtAddr(kB), 16) == 16); // from position 0
    CHECK(r310.proc->file(fd310)->f.f_pos == 16);
}

TEST_CASE("read_oldmem: a failed page is EFAULT, yet f_pos moved past the earlier pages",
          "[dev][oldmem]") {
    Rig r = boot(crash_kernel(KernelVersion{2, 6, 32}));
    const int fd = open_oldmem(r);
    CHECK(r.proc->read(fd, VirtAddr(kB2), 12288) == -EFAULT);
    CHECK(r.proc->lseek(fd, 0, kSeekCur) == 8192);
    CHECK(r.proc->read(fd, VirtAddr(0x300000), 10) == -EFAULT);
    CHECK(r.proc->lseek(fd, 0, kSeekCur) == 8192);
    CHECK(r.proc->file(fd)->f.f_op->mmap == nullptr);
}

TEST_CASE("i386 oldmem: the pfn is an unsigned long: 2^44 + 0x1000 wraps to pfn 1",
          "[dev][oldmem]") {
    ImageFile image;
    for (const Arch arch : {Arch::I386, Arch::X86_64}) {
        MachineConfig c;
        c.arch = arch;
        c.kernel = KernelVersion{2, 6, 32};
        c.crash_dump = true;
        c.oldmem_file = image.path.string();
        Rig r = boot(c);
        const int fd = open_oldmem(r);
        const long got = r.proc->pread64(fd, VirtAddr(kB), 4, (1LL << 44) + 0x1000);
        if (arch == Arch::I386) {
            CHECK(got == 4);
            CHECK(r.mem->bytes(kB, 4) == std::vector<u8>{0, 1, 2, 3});
        } else {
            CHECK(got == 0);
        }
    }
}
