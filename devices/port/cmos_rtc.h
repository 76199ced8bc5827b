// The PC's CMOS RAM and real-time clock (a Motorola MC146818 behind ports 0x70/0x71): write a
// register index to 0x70 (bit 7 is the NMI mask), then read or write the register at 0x71.
//
// Registers 0x00-0x09 are the clock (seconds, alarm seconds, minutes, alarm minutes, hours,
// alarm hours, day of week 1 = Sunday, day of month, month, year of century), 0x0a-0x0d status
// A-D, and 0x0e-0x7f battery-backed RAM (0x32 is the century, as the ACPI FADT names it).
//
// Time is deterministic (DESIGN.md decision 8): the clock starts at kBootEpochSeconds when the
// machine boots and advances with the machine's virtual clock. Register B selects BCD (the
// default) or binary and 24-hour (the default) or 12-hour format, as the chip does.
#pragma once

#include <array>
#include <functional>

#include "mm/types.h"

namespace kmemu {

class CmosRtc {
  public:
    // 2024-01-01 00:00:00 UTC, a Monday: the wall-clock time of every machine at boot.
    static constexpr i64 kBootEpochSeconds = 1704067200;

    static constexpr u8 kRegA = 0x0a, kRegB = 0x0b, kRegC = 0x0c, kRegD = 0x0d;
    static constexpr u8 kCentury = 0x32;
    // Status register bits (MC146818 data sheet names).
    static constexpr u8 kA_UIP = 0x80;
    static constexpr u8 kB_SET = 0x80, kB_UIE = 0x10, kB_DM = 0x04, kB_24H = 0x02;
    static constexpr u8 kC_IRQF = 0x80, kC_UF = 0x10;
    static constexpr u8 kD_VRT = 0x80;

    // now_ns: virtual time since boot. ram_bytes: RAM size the firmware records in the memory
    // size bytes (0x15-0x18, 0x30-0x31, 0x34-0x35), as SeaBIOS/QEMU lay them out.
    CmosRtc(std::function<u64()> now_ns, u64 ram_bytes);

    // Port side: offset 0 is the index port (0x70), 1 the data port (0x71). Reading the index
    // port returns 0xff (it is write-only; QEMU answers 0xff too).
    [[nodiscard]] u8 read_port(unsigned offset);
    void write_port(unsigned offset, u8 value);

    // Register side (index 0..0x7f; higher bits ignored).
    [[nodiscard]] u8 read_register(u8 index);
    void write_register(u8 index, u8 value);

    // The clock as seconds since the Unix epoch, and whether NMIs are masked (index bit 7).
    [[nodiscard]] i64 time_seconds() const;
    [[nodiscard]] bool nmi_masked() const { return m_nmi_masked; }

  private:
    [[nodiscard]] u8 encode(unsigned value) const; // binary value -> register format (B.DM)
    [[nodiscard]] unsigned decode(u8 reg) const;
    [[nodiscard]] u8 encode_hour(unsigned hour24) const;
    [[nodiscard]] unsigned decode_hour(u8 reg) const;
    void set_time_field(u8 index, u8 value);

    std::function<u64()> m_now_ns;
    i64 m_offset_seconds = 0; // set by writes to the time registers
    u64 m_last_c_read_second = 0;
    u8 m_index = 0;
    bool m_nmi_masked = false;
    std::array<u8, 128> m_reg{};
};

} // namespace kmemu
