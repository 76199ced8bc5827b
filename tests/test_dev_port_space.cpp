// The emulated I/O port space (devices/port/io_ports.h) and its PC devices: claims, widths,
// floating ports, the MC146818 CMOS clock driven by the virtual clock, CMOS RAM, the POST port.
#include <catch2/catch.hpp>

#include "devices/port/cmos_rtc.h"
#include "devices/port/io_ports.h"
#include "devices/port/post_code_port.h"
#include "emu/machine.h"

using namespace kmemu;

namespace {

std::unique_ptr<Machine> boot(std::vector<std::string> words) {
    auto c = parse_config_words(words);
    REQUIRE(c);
    auto m = Machine::boot(c.release_value());
    REQUIRE(m);
    return m.release_value();
}

u8 cmos_read(IoPortSpace& ports, u8 index) {
    ports.outb(index, IoPort(0x70));
    return ports.inb(IoPort(0x71));
}
void cmos_write(IoPortSpace& ports, u8 index, u8 value) {
    ports.outb(index, IoPort(0x70));
    ports.outb(value, IoPort(0x71));
}

constexpr u64 kSecond = 1'000'000'000ULL;

} // namespace

TEST_CASE("CMOS clock: 2024-01-01 00:00:00 (Monday) at boot, BCD, 24-hour", "[port][cmos]") {
    auto m = boot({"arch=x86_64", "kernel=6.1"});
    IoPortSpace& ports = io_ports(m->devices().kernel());
    CHECK(cmos_read(ports, 0x00) == 0x00);
    CHECK(cmos_read(ports, 0x02) == 0x00);
    CHECK(cmos_read(ports, 0x04) == 0x00);
    CHECK(cmos_read(ports, 0x06) == 0x02); // Monday (1 = Sunday)
    CHECK(cmos_read(ports, 0x07) == 0x01);
    CHECK(cmos_read(ports, 0x08) == 0x01);
    CHECK(cmos_read(ports, 0x09) == 0x24);
    CHECK(cmos_read(ports, 0x32) == 0x20);
    CHECK(cmos_read(ports, 0x0a) == 0x26);
    CHECK(cmos_read(ports, 0x0b) == 0x02);
    CHECK(cmos_read(ports, 0x0d) == 0x80);
    REQUIRE(ports.cmos());
    CHECK(ports.cmos()->time_seconds() == CmosRtc::kBootEpochSeconds);
}

TEST_CASE("CMOS seconds advance with the virtual clock (Machine::advance_clock_ns)",
          "[port][cmos]") {
    auto m = boot({"arch=x86_64", "kernel=4.19"});
    IoPortSpace& ports = io_ports(m->devices().kernel());
    REQUIRE(m->advance_clock_ns(59 * kSecond + kSecond / 2));
    CHECK(cmos_read(ports, 0x00) == 0x59);
    CHECK(cmos_read(ports, 0x02) == 0x00);
    REQUIRE(m->advance_clock_ns(kSecond / 2));
    CHECK(cmos_read(ports, 0x00) == 0x00);
    CHECK(cmos_read(ports, 0x02) == 0x01);
    // A day, 13 hours, 5 minutes and 7 seconds later: Tuesday 2024-01-02 13:06:07.
    REQUIRE(m->advance_clock_ns((86400 + 13 * 3600 + 5 * 60 + 7) * kSecond));
    CHECK(cmos_read(ports, 0x00) == 0x07);
    CHECK(cmos_read(ports, 0x02) == 0x06);
    CHECK(cmos_read(ports, 0x04) == 0x13);
    CHECK(cmos_read(ports, 0x06) == 0x03);
    CHECK(cmos_read(ports, 0x07) == 0x02);
    // Into March of the leap year: 2024-02-29 exists.
    REQUIRE(m->advance_clock_ns(58ULL * 86400 * kSecond));
    CHECK(cmos_read(ports, 0x08) == 0x02);
    CHECK(cmos_read(ports, 0x07) == 0x29);
}

TEST_CASE("CMOS register B selects binary and 12-hour formats", "[port][cmos]") {
    auto m = boot({"arch=x86_64", "kernel=6.1"});
    IoPortSpace& ports = io_ports(m->devices().kernel());
    REQUIRE(m->advance_clock_ns((13 * 3600 + 45 * 60 + 30) * kSecond)); // 13:45:30
    cmos_write(ports, 0x0b, CmosRtc::kB_DM | CmosRtc::kB_24H);
    CHECK(cmos_read(ports, 0x00) == 30);
    CHECK(cmos_read(ports, 0x02) == 45);
    CHECK(cmos_read(ports, 0x04) == 13);
    CHECK(cmos_read(ports, 0x09) == 24);
    cmos_write(ports, 0x0b, 0);                        // BCD, 12-hour
    CHECK(cmos_read(ports, 0x04) == 0x81);             // 1 PM
    REQUIRE(m->advance_clock_ns(11 * 3600 * kSecond)); // 00:45:30 next day
    CHECK(cmos_read(ports, 0x04) == 0x12);             // 12 AM
}

TEST_CASE("CMOS writes set the clock, which keeps counting from there", "[port][cmos]") {
    auto m = boot({"arch=x86_64", "kernel=6.1"});
    IoPortSpace& ports = io_ports(m->devices().kernel());
    cmos_write(ports, 0x09, 0x25);                     // year 2025
    cmos_write(ports, 0x08, 0x07);                     // July
    cmos_write(ports, 0x07, 0x04);                     // 4th
    cmos_write(ports, 0x04, 0x23);                     // 23:
    cmos_write(ports, 0x02, 0x59);                     // :59:
    cmos_write(ports, 0x00, 0x58);                     // :58
    cmos_write(ports, 0x06, 0x01);                     // ignored: the weekday follows from the date
    CHECK(ports.cmos()->time_seconds() == 1751673598); // 2025-07-04 23:59:58 UTC
    CHECK(cmos_read(ports, 0x06) == 0x06);             // a Friday
    REQUIRE(m->advance_clock_ns(3 * kSecond));
    CHECK(cmos_read(ports, 0x00) == 0x01);
    CHECK(cmos_read(ports, 0x07) == 0x05);
    CHECK(cmos_read(ports, 0x04) == 0x00);
}

TEST_CASE("CMOS status registers: UIP before each update, C's update flag clears on read",
          "[port][cmos]") {
    auto m = boot({"arch=x86_64", "kernel=6.1"});
    IoPortSpace& ports = io_ports(m->devices().kernel());
    CHECK((cmos_read(ports, 0x0a) & CmosRtc::kA_UIP) == 0);
    REQUIRE(m->advance_clock_ns(kSecond - 100'000)); // 100 us before the update
    CHECK(cmos_read(ports, 0x0a) == (0x26 | CmosRtc::kA_UIP));
    REQUIRE(m->advance_clock_ns(200'000));
    CHECK(cmos_read(ports, 0x0a) == 0x26);
    CHECK(cmos_read(ports, 0x0c) == CmosRtc::kC_UF);
    CHECK(cmos_read(ports, 0x0c) == 0x00);
    cmos_write(ports, 0x0b, CmosRtc::kB_24H | CmosRtc::kB_UIE);
    REQUIRE(m->advance_clock_ns(kSecond));
    CHECK(cmos_read(ports, 0x0c) == (CmosRtc::kC_UF | CmosRtc::kC_IRQF));
    // A, C and D keep their read-only bits.
    cmos_write(ports, 0x0a, 0xff);
    CHECK(cmos_read(ports, 0x0a) == 0x7f);
    cmos_write(ports, 0x0d, 0x00);
    CHECK(cmos_read(ports, 0x0d) == 0x80);
}

TEST_CASE("CMOS RAM: memory size bytes, checksum, read/write, NMI mask bit", "[port][cmos]") {
    auto m = boot({"arch=x86_64", "kernel=6.1", "mem=512M"});
    IoPortSpace& ports = io_ports(m->devices().kernel());
    CHECK(cmos_read(ports, 0x15) == 0x80); // 640 KiB base memory
    CHECK(cmos_read(ports, 0x16) == 0x02);
    CHECK(cmos_read(ports, 0x17) == 0xff); // extended memory, capped at 0xffff KiB
    CHECK(cmos_read(ports, 0x18) == 0xff);
    CHECK(cmos_read(ports, 0x34) == 0x00); // (512 - 16) MiB / 64 KiB = 0x1f00
    CHECK(cmos_read(ports, 0x35) == 0x1f);
    unsigned sum = 0;
    for (u8 i = 0x10; i <= 0x2d; ++i)
        sum += cmos_read(ports, i);
    CHECK(cmos_read(ports, 0x2e) == (sum >> 8));
    CHECK(cmos_read(ports, 0x2f) == (sum & 0xff));
    cmos_write(ports, 0x40, 0x5a);
    CHECK(cmos_read(ports, 0x40) == 0x5a);
    ports.outb(0x80 | 0x40, IoPort(0x70)); // NMI masked, register 0x40
    CHECK(ports.inb(IoPort(0x71)) == 0x5a);
    CHECK(ports.cmos()->nmi_masked());
    CHECK(ports.inb(IoPort(0x70)) == 0xff);
}

TEST_CASE("port space: claims, overlaps, release, widths and floating ports", "[port]") {
    auto m = boot({"arch=x86_64", "kernel=6.1"});
    IoPortSpace& ports = io_ports(m->devices().kernel());
    std::vector<std::tuple<u16, unsigned, u32>> writes;
    REQUIRE(ports.register_region(
        IoPortRegion{"dev", IoPort(0x200), 4,
                     [](u16 off, unsigned width) { return width == 4 ? 0xa1b2c3d4u : 0x10u + off; },
                     [&](u16 off, unsigned width, u32 v) { writes.emplace_back(off, width, v); }}));
    CHECK(ports.inl(IoPort(0x200)) == 0xa1b2c3d4u); // one access of the claim's width
    CHECK(ports.inw(IoPort(0x202)) == 0x12u);       // the handler answers 0x12 for width 2
    // Straddling the end of the claim: byte accesses, the last one floats.
    CHECK(ports.inw(IoPort(0x203)) == 0xff13u);
    CHECK(ports.inl(IoPort(0xfffe)) == 0xffffffffu);
    ports.outl(0x11223344u, IoPort(0x1ff));
    CHECK(writes ==
          std::vector<std::tuple<u16, unsigned, u32>>{{0, 1, 0x33}, {1, 1, 0x22}, {2, 1, 0x11}});
    auto overlap = ports.register_region(IoPortRegion{"other", IoPort(0x203), 2, nullptr, nullptr});
    REQUIRE_FALSE(overlap);
    CHECK(overlap.error().message().find("overlaps 'dev'") != std::string::npos);
    CHECK_FALSE(ports.register_region(IoPortRegion{"empty", IoPort(0x900), 0, nullptr, nullptr}));
    CHECK_FALSE(ports.register_region(IoPortRegion{"past", IoPort(0xfffe), 4, nullptr, nullptr}));
    // A claim without handlers reads all ones and swallows writes.
    REQUIRE(ports.register_region(IoPortRegion{"silent", IoPort(0x210), 2, nullptr, nullptr}));
    CHECK(ports.inw(IoPort(0x210)) == 0xffffu);
    const auto regions = ports.regions();
    REQUIRE(regions.size() == 4);
    CHECK(regions[0].name == "rtc0");
    CHECK(regions[1].name == "post");
    CHECK(regions[2].name == "dev");
    REQUIRE(ports.release_region(IoPort(0x200)));
    CHECK(ports.inb(IoPort(0x200)) == 0xff);
    CHECK_FALSE(ports.release_region(IoPort(0x200)));
}

TEST_CASE("POST port keeps the most recent codes; ARM machines have no PC devices", "[port]") {
    auto m = boot({"arch=x86_64", "kernel=6.1"});
    IoPortSpace& ports = io_ports(m->devices().kernel());
    for (unsigned i = 0; i < PostCodePort::kKeep + 10; ++i)
        ports.outb(static_cast<u8>(i), IoPort(0x80));
    CHECK(ports.post()->writes() == PostCodePort::kKeep + 10);
    CHECK(ports.post()->codes().size() == PostCodePort::kKeep);
    CHECK(ports.post()->codes().front() == 10);
    CHECK(ports.inb(IoPort(0x80)) == 0xff);
    auto arm = boot({"arch=arm", "kernel=5.10"});
    IoPortSpace& arm_ports = io_ports(arm->devices().kernel());
    CHECK(arm_ports.cmos() == nullptr);
    CHECK(arm_ports.regions().empty());
    CHECK(arm_ports.inb(IoPort(0x71)) == 0xff);
}
