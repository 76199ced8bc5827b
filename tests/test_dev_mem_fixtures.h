// The reference machine of kernel-semantics §7.1 for the /dev/mem and /dev/kmem tests: x86_64
// with the RM iomem tree (tests/data/rm-x86_64.iomem), a device model behind the legacy VGA
// window 0xa0000-0xbffff (byte = 0x5a ^ low byte of the offset, writes remembered) and a device
// page at kDev (reads 0x5a, writes remembered), recognisable
// bytes in low RAM, the ROM page and RAM at 1 MiB, and a user process with B (64 KiB at
// 0x10000000) and B2 (8 KiB mapped at 0x20000000, then an unmapped page).
#pragma once

#include <catch2/catch.hpp>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "devices/vfs/fs.h"
#include "emu/machine.h"
#include "fake_user_memory.h"
#include "mm/errno.h"
#include "mm/page_alloc.h"

namespace kmemu::test {

constexpr u64 kB = 0x10000000;  // 64 KiB, fully mapped
constexpr u64 kB2 = 0x20000000; // 8 KiB mapped, then a hole
constexpr u64 kVga = 0xa0000;
constexpr u64 kDev = 0xfeb00000; // a second device page (ioremap target of the kmem tests)

inline u8 vga_byte(u64 offset) {
    return static_cast<u8>(0x5a ^ (offset & 0xff));
}
// Recognisable RAM contents written before each test: byte at phys a = (a >> 4) ^ a.
inline u8 ram_byte(u64 a) {
    return static_cast<u8>((a >> 4) ^ a);
}

struct Rig {
    std::unique_ptr<Machine> m;
    Process* p = nullptr;
    FakeUserMemory* u = nullptr;
    std::shared_ptr<std::map<u64, u8>> vga_writes = std::make_shared<std::map<u64, u8>>();
    std::shared_ptr<std::map<u64, u8>> dev_writes = std::make_shared<std::map<u64, u8>>();

    [[nodiscard]] std::vector<u8> user(u64 addr, u64 len) const { return u->bytes(addr, len); }
    [[nodiscard]] std::vector<u8> phys(u64 addr, u64 len) const {
        std::vector<u8> out(len);
        (void)m->phys_memory().read(PhysAddr(addr), std::as_writable_bytes(std::span<u8>(out)));
        return out;
    }
    void fill_phys(u64 addr, u64 len) {
        std::vector<u8> b(len);
        for (u64 i = 0; i < len; ++i)
            b[i] = ram_byte(addr + i);
        REQUIRE(m->phys_memory().write(PhysAddr(addr), std::as_bytes(std::span<const u8>(b))).ok());
    }
    long open(const char* path, unsigned flags = oflag::kRdwr) const {
        return p->open(path, flags);
    }
    // lseek to pos (must succeed), then read/write n bytes at buf.
    long R(int fd, u64 pos, u64 n, u64 buf = kB) {
        REQUIRE(p->lseek(fd, static_cast<i64>(pos), kSeekSet) == static_cast<long>(pos));
        return p->read(fd, VirtAddr(buf), n);
    }
    long W(int fd, u64 pos, u64 n, u64 buf = kB) {
        REQUIRE(p->lseek(fd, static_cast<i64>(pos), kSeekSet) == static_cast<long>(pos));
        return p->write(fd, VirtAddr(buf), n);
    }
    [[nodiscard]] u64 pos(int fd) const { return static_cast<u64>(p->file(fd)->f.f_pos); }
};

inline std::vector<u8> ram_bytes(u64 addr, u64 len) {
    std::vector<u8> b(len);
    for (u64 i = 0; i < len; ++i)
        b[i] = ram_byte(addr + i);
    return b;
}
inline std::vector<u8> vga_bytes(u64 addr, u64 len) {
    std::vector<u8> b(len);
    for (u64 i = 0; i < len; ++i)
        b[i] = vga_byte(addr + i - kVga);
    return b;
}
// Fault injection failing the next page allocation.
inline FaultInjection fail_first() {
    FaultInjection f;
    f.fail_nth = 1;
    return f;
}

inline std::vector<u8> filled(u64 len, u8 v) {
    return std::vector<u8>(len, v);
}

inline void add_user_buffers(Rig& r, u64 user_limit) {
    auto fake = std::make_unique<FakeUserMemory>(user_limit);
    r.u = fake.get();
    fake->map(kB, 0x10000, 0xee);
    fake->map(kB2, 0x2000, 0xdd);
    fake->map(0x4000000, 0x1000, 0xcc); // the llseek result word lives here
    r.p->set_user_memory(std::move(fake));
}

// words: e.g. {"kernel=4.19"}; arch and the RM memory map are added unless given.
inline Rig boot_rm(std::vector<std::string> words, Cred cred = Cred::root()) {
    Rig r;
    bool has_arch = false;
    for (const auto& w : words)
        has_arch |= w.starts_with("arch=");
    if (!has_arch)
        words.push_back("arch=x86_64");
    words.push_back(std::string("iomem=") + KMEMU_TEST_DATA + "/rm-x86_64.iomem");
    auto c = parse_config_words(words);
    REQUIRE(c);
    MachineConfig config = c.release_value();
    auto writes = r.vga_writes;
    MmioRegion vga;
    vga.name = "vga";
    vga.start = PhysAddr(kVga);
    vga.size = 0x20000;
    vga.read = [writes](u64 off, unsigned width) {
        u64 v = 0;
        for (unsigned i = 0; i < width; ++i) {
            auto it = writes->find(off + i);
            const u8 b = it != writes->end() ? it->second : vga_byte(off + i);
            v |= u64{b} << (8 * i);
        }
        return v;
    };
    vga.write = [writes](u64 off, unsigned width, u64 value) {
        for (unsigned i = 0; i < width; ++i)
            (*writes)[off + i] = static_cast<u8>(value >> (8 * i));
    };
    config.mmio.push_back(vga);
    MmioRegion dev;
    dev.name = "dev";
    dev.start = PhysAddr(kDev);
    dev.size = 0x1000;
    dev.read = [](u64, unsigned) { return u64{0x5a5a5a5a5a5a5a5aULL}; };
    auto dwrites = r.dev_writes;
    dev.write = [dwrites](u64 off, unsigned width, u64 value) {
        for (unsigned i = 0; i < width; ++i)
            (*dwrites)[off + i] = static_cast<u8>(value >> (8 * i));
    };
    config.mmio.push_back(dev);
    auto m = Machine::boot(std::move(config));
    REQUIRE(m);
    r.m = m.release_value();
    r.p = &r.m->spawn({"t", cred});
    add_user_buffers(r, is_32bit(r.m->config().arch) ? 0xc0000000ULL : 0x7ffffffff000ULL);
    r.fill_phys(0x1000, 0x1000);
    r.fill_phys(0x10000, 0x1000);
    r.fill_phys(0xff000, 0x1000);
    r.fill_phys(0x100000, 0x1000);
    // (The top of RAM holds boot page tables: memblock allocates top-down. Never fill it.)
    return r;
}

// A plain firmware machine (mem=SIZE) for the kmem and 32-bit tests.
inline Rig boot_plain(std::vector<std::string> words, Cred cred = Cred::root()) {
    Rig r;
    auto c = parse_config_words(words);
    REQUIRE(c);
    auto m = Machine::boot(c.release_value());
    REQUIRE(m);
    r.m = m.release_value();
    r.p = &r.m->spawn({"t", cred});
    add_user_buffers(r, is_32bit(r.m->config().arch) ? 0xc0000000ULL : 0x7ffffffff000ULL);
    return r;
}

// Fill a kernel virtual range through the kernel MMU.
inline void kernel_fill(Machine& m, u64 va, u64 len, u8 value) {
    std::vector<std::byte> b(len, std::byte{value});
    REQUIRE(m.kernel_mmu().write(VirtAddr(va), b, mmu::Privilege::Supervisor).ok());
}

} // namespace kmemu::test
