#include <catch2/catch.hpp>

#include <array>
#include <cstring>
#include <tuple>

#include "mm/phys_memory.h"

using namespace kmemu;

namespace {

std::unique_ptr<PhysicalMemory> x86_machine(u64 mem, std::vector<MmioRegion> mmio = {}) {
    auto ram = firmware_ram_map(Arch::X86_64, mem, PhysAddr(0));
    REQUIRE(ram);
    auto pm = PhysicalMemory::create(*ram, mmio, 12);
    REQUIRE(pm);
    return pm.release_value();
}

template <size_t N>
std::array<std::byte, N> bytes_of(const char (&s)[N]) {
    std::array<std::byte, N> a{};
    std::memcpy(a.data(), s, N);
    return a;
}

// A device with 16 registers bytes 0xa0..0xaf that logs every access.
struct LoggingDevice {
    std::array<u8, 16> regs{};
    std::vector<std::tuple<char, u64, unsigned>> log;
    MmioRegion region(u64 start) {
        for (unsigned i = 0; i < 16; ++i)
            regs[i] = static_cast<u8>(0xa0 + i);
        MmioRegion r;
        r.name = "logdev";
        r.start = PhysAddr(start);
        r.size = 16;
        r.read = [this](u64 off, unsigned w) {
            log.emplace_back('r', off, w);
            u64 v = 0;
            std::memcpy(&v, regs.data() + off, w);
            return v;
        };
        r.write = [this](u64 off, unsigned w, u64 v) {
            log.emplace_back('w', off, w);
            std::memcpy(regs.data() + off, &v, w);
        };
        return r;
    }
};

} // namespace

TEST_CASE("phys: never-written RAM reads as zeros and allocates nothing", "[phys]") {
    auto pm = x86_machine(64 * MiB);
    std::array<std::byte, 4096> buf;
    buf.fill(std::byte{0x55});
    auto r = pm->read(PhysAddr(0x100000), buf);
    CHECK(r.ok());
    CHECK(r.bytes_done == 4096);
    CHECK(buf[0] == std::byte{0});
    CHECK(buf[4095] == std::byte{0});
    CHECK(pm->read_u64(PhysAddr(0x3fffff8)).value == 0);
    CHECK(pm->touched_pages() == 0);
    CHECK(pm->host_bytes_in_use() == 0);
    // host_frame(Read) of an untouched frame is the shared zero page, still no allocation.
    const std::byte* z = pm->host_frame(Pfn(0x200), Access::Read);
    REQUIRE(z);
    CHECK(z[100] == std::byte{0});
    CHECK(pm->touched_pages() == 0);
    // The memfd is as long as the highest RAM end: 0x100000000 (QEMU's BIOS flash reservation).
    CHECK(pm->memfd_size() == 0x100000000);
}

TEST_CASE("phys: writes round-trip across frame boundaries", "[phys]") {
    auto pm = x86_machine(64 * MiB);
    auto data = bytes_of("0123456789abcdef"); // 17 bytes with the NUL
    // 0x100ff8..0x101008: 8 bytes in pfn 0x100, 9 in pfn 0x101.
    auto w = pm->write(PhysAddr(0x100ff8), data);
    CHECK(w.ok());
    CHECK(w.stop_at == PhysAddr(0x101009));
    CHECK(pm->touched_pages() == 2);
    CHECK(pm->host_bytes_in_use() == 8192);
    std::array<std::byte, 17> back{};
    CHECK(pm->read(PhysAddr(0x100ff8), back).ok());
    CHECK(back == data);
    // Little-endian u32 straddling the boundary: bytes '4','5','6','7' at 0x100ffc.
    CHECK(pm->read_u32(PhysAddr(0x100ffc)).value == 0x37363534u);
    CHECK(pm->write_u16(PhysAddr(0x100fff), 0xbeef) == PhysStatus::Ok);
    CHECK(pm->read_u8(PhysAddr(0x100fff)).value == 0xef);
    CHECK(pm->read_u8(PhysAddr(0x101000)).value == 0xbe);
    CHECK(pm->touched_pages() == 2);
    // host_frame(Write) then the interface sees the same bytes.
    std::byte* f = pm->host_frame(Pfn(0x300), Access::Write);
    REQUIRE(f);
    f[5] = std::byte{0x7a};
    CHECK(pm->read_u8(PhysAddr(0x300005)).value == 0x7a);
    CHECK(pm->host_frame(Pfn(0x300), Access::Read) == f);
    CHECK(pm->touched_pages() == 3);
}

TEST_CASE("phys: holes have no frames and stop accesses", "[phys]") {
    auto pm = x86_machine(64 * MiB);
    // x86 map: RAM/EBDA to 0xa0000, then nothing until the BIOS area at 0xf0000.
    CHECK(pm->has_frame(Pfn(0x9f)));
    CHECK_FALSE(pm->has_frame(Pfn(0xa0)));
    CHECK_FALSE(pm->has_frame(Pfn(0x4000))); // 64 MiB: first pfn past RAM
    CHECK(pm->host_frame(Pfn(0xa0), Access::Read) == nullptr);
    CHECK(pm->host_frame(Pfn(u64{1} << 60), Access::Write) == nullptr);
    std::array<std::byte, 32> buf{};
    auto r = pm->read(PhysAddr(0x9fff0), buf);
    CHECK(r.status == PhysStatus::Hole);
    CHECK(r.bytes_done == 16);
    CHECK(r.stop_at == PhysAddr(0xa0000));
    auto w = pm->write(PhysAddr(0xeffff), buf);
    CHECK(w.status == PhysStatus::Hole);
    CHECK(w.bytes_done == 0);
    CHECK(pm->read_u32(PhysAddr(0x4000000)).status == PhysStatus::Hole);
    CHECK(pm->write_u64(PhysAddr(0xfffffffffffffffc), 1) == PhysStatus::Hole);
    CHECK(pm->touched_pages() == 0);
}

TEST_CASE("phys: MMIO dispatches natural-width chunks", "[phys][mmio]") {
    LoggingDevice dev;
    auto pm = x86_machine(64 * MiB, {dev.region(0xfe000000)});
    using L = std::vector<std::tuple<char, u64, unsigned>>;
    CHECK(pm->read_u32(PhysAddr(0xfe000004)).value == 0xa7a6a5a4u);
    CHECK(dev.log == L{{'r', 4, 4}});
    dev.log.clear();
    // Unaligned u32 at offset 1: 1 byte at 1, 2 bytes at 2, 1 byte at 4.
    CHECK(pm->read_u32(PhysAddr(0xfe000001)).value == 0xa4a3a2a1u);
    CHECK(dev.log == L{{'r', 1, 1}, {'r', 2, 2}, {'r', 4, 1}});
    dev.log.clear();
    std::array<std::byte, 16> all{};
    CHECK(pm->write(PhysAddr(0xfe000000), all).ok());
    CHECK(dev.log == L{{'w', 0, 8}, {'w', 8, 8}});
    dev.log.clear();
    // 7 bytes at offset 3: 1 at 3, 4 at 4, 2 at 8.
    CHECK(pm->write(PhysAddr(0xfe000003), std::span<const std::byte>(all.data(), 7)).ok());
    CHECK(dev.log == L{{'w', 3, 1}, {'w', 4, 4}, {'w', 8, 2}});
    dev.log.clear();
    // Past the window's 16 bytes is a hole: 2 bytes reach the device, then Hole.
    std::array<std::byte, 4> tail{};
    auto r = pm->read(PhysAddr(0xfe00000e), tail);
    CHECK(r.status == PhysStatus::Hole);
    CHECK(r.bytes_done == 2);
    CHECK(dev.log == L{{'r', 14, 2}});
    CHECK_FALSE(pm->has_frame(Pfn(0xfe000)));
    CHECK(pm->touched_pages() == 0);
}

TEST_CASE("phys: bad configurations are refused", "[phys]") {
    auto ram = firmware_ram_map(Arch::X86_64, 64 * MiB, PhysAddr(0));
    REQUIRE(ram);
    MmioRegion clash;
    clash.name = "uart";
    clash.start = PhysAddr(0x3fff000);
    clash.size = 0x2000;
    auto e = PhysicalMemory::create(*ram, std::vector<MmioRegion>{clash}, 12);
    REQUIRE(e.is_error());
    // Frames are one segment from the BIOS area (0xf0000) through RAM to 64 MiB: adjacent
    // map ranges of any type merge.
    CHECK(e.error().message() ==
          "mmio: region 'uart' [0x3fff000-0x4001000) overlaps RAM [0xf0000-0x4000000)");
    auto p = PhysicalMemory::create(*ram, {}, 13);
    REQUIRE(p.is_error());
    CHECK(p.error().message() == "page: a page shift of 13 is not allowed (allowed: 12, 14, 16)");
}

TEST_CASE("phys: a 1 TiB machine costs kilobytes until written", "[phys]") {
    auto ram = firmware_ram_map(Arch::Arm64, TiB, PhysAddr(0x40000000));
    REQUIRE(ram);
    auto pm = PhysicalMemory::create(*ram, {}, 12);
    REQUIRE(pm);
    // 0x10040000000 bytes / 128 MiB = 8200 section slots of 8 bytes: ~64 KiB.
    const u64 before = (*pm)->metadata_bytes();
    CHECK(before < 10 * MiB);
    CHECK(before >= 8200 * 8);
    CHECK((*pm)->touched_pages() == 0);
    CHECK((*pm)->write_u8(PhysAddr(0x40000000 + TiB - 1), 0x5a) == PhysStatus::Ok);
    CHECK((*pm)->read_u8(PhysAddr(0x40000000 + TiB - 1)).value == 0x5a);
    CHECK((*pm)->touched_pages() == 1);
    // One section bitmap: 32768 pages / 8 = 4096 bytes.
    CHECK((*pm)->metadata_bytes() == before + 4096);
}

TEST_CASE("phys: 64K pages on arm64", "[phys]") {
    auto ram = firmware_ram_map(Arch::Arm64, 256 * MiB, PhysAddr(0x40000000));
    REQUIRE(ram);
    auto pm = PhysicalMemory::create(*ram, {}, 16);
    REQUIRE(pm);
    CHECK((*pm)->page_size() == 65536);
    // 0x4000fffe + 4 crosses the 64 KiB boundary at 0x40010000: two frames.
    CHECK((*pm)->write_u32(PhysAddr(0x4000fffe), 0x11223344) == PhysStatus::Ok);
    CHECK((*pm)->touched_pages() == 2);
    CHECK((*pm)->host_bytes_in_use() == 2 * 65536);
    CHECK((*pm)->read_u16(PhysAddr(0x40010000)).value == 0x1122);
    CHECK((*pm)->has_frame(Pfn(0x4000))); // 0x40000000 >> 16
    CHECK_FALSE((*pm)->has_frame(Pfn(0x3fff)));
    CHECK_FALSE((*pm)->has_frame(Pfn(0x5000))); // 0x50000000 >> 16: past 256 MiB
}
