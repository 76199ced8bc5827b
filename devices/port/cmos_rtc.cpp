#include "devices/port/cmos_rtc.h"

#include <algorithm>

namespace kmemu {

namespace {

constexpr u64 kNsPerSecond = 1'000'000'000ULL;
// The chip raises UIP this long before each once-a-second update (MC146818: 244 us with the
// 32.768 kHz time base).
constexpr u64 kUipWindowNs = 244'000;

struct CivilTime {
    i64 year;
    unsigned month, day, hour, minute, second, weekday; // weekday 0 = Sunday
};

// Days since 1970-01-01 of a proleptic Gregorian date (eras of 400 years, March-based years).
i64 days_from_civil(i64 y, unsigned m, unsigned d) {
    y -= m <= 2 ? 1 : 0;
    const i64 era = (y >= 0 ? y : y - 399) / 400;
    const i64 yoe = y - era * 400;
    const i64 mp = (static_cast<i64>(m) + 9) % 12;
    const i64 doy = (153 * mp + 2) / 5 + static_cast<i64>(d) - 1;
    const i64 doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

CivilTime civil_from_seconds(i64 t) {
    i64 days = t >= 0 ? t / 86400 : -((-t + 86399) / 86400);
    i64 secs = t - days * 86400;
    CivilTime c{};
    c.hour = static_cast<unsigned>(secs / 3600);
    c.minute = static_cast<unsigned>(secs % 3600 / 60);
    c.second = static_cast<unsigned>(secs % 60);
    c.weekday = static_cast<unsigned>(((days % 7) + 11) % 7); // 1970-01-01 was a Thursday
    const i64 z = days + 719468;
    const i64 era = (z >= 0 ? z : z - 146096) / 146097;
    const i64 doe = z - era * 146097;
    const i64 yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const i64 doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const i64 mp = (5 * doy + 2) / 153;
    c.day = static_cast<unsigned>(doy - (153 * mp + 2) / 5 + 1);
    c.month = static_cast<unsigned>(mp < 10 ? mp + 3 : mp - 9);
    c.year = yoe + era * 400 + (c.month <= 2 ? 1 : 0);
    return c;
}

i64 seconds_from_civil(const CivilTime& c) {
    return days_from_civil(c.year, c.month, c.day) * 86400 + c.hour * 3600 + c.minute * 60 +
           c.second;
}

u8 to_bcd(unsigned v) {
    return static_cast<u8>(((v / 10) % 10) << 4 | (v % 10));
}
unsigned from_bcd(u8 v) {
    return static_cast<unsigned>((v >> 4) * 10 + (v & 0x0f));
}

void put16(std::array<u8, 128>& reg, u8 at, u64 value) {
    const u64 v = std::min<u64>(value, 0xffff);
    reg[at] = static_cast<u8>(v & 0xff);
    reg[at + 1] = static_cast<u8>(v >> 8);
}

} // namespace

CmosRtc::CmosRtc(std::function<u64()> now_ns, u64 ram_bytes) : m_now_ns(std::move(now_ns)) {
    // Status defaults as firmware leaves them: A = 32.768 kHz time base, 1024 Hz periodic rate;
    // B = 24-hour BCD, no interrupts; D = valid RAM and time.
    m_reg[kRegA] = 0x26;
    m_reg[kRegB] = kB_24H;
    m_reg[kRegD] = kD_VRT;
    // Memory size bytes in KiB / 64 KiB units, capped at 0xffff (the SeaBIOS/QEMU layout).
    put16(m_reg, 0x15, 640);
    const u64 kib = ram_bytes / 1024;
    const u64 ext = kib > 1024 ? kib - 1024 : 0;
    put16(m_reg, 0x17, ext);
    put16(m_reg, 0x30, ext);
    put16(m_reg, 0x34, ram_bytes > 16 * MiB ? (ram_bytes - 16 * MiB) / (64 * KiB) : 0);
    // Standard checksum of 0x10-0x2d, big-endian at 0x2e.
    unsigned sum = 0;
    for (unsigned i = 0x10; i <= 0x2d; ++i)
        sum += m_reg[i];
    m_reg[0x2e] = static_cast<u8>(sum >> 8);
    m_reg[0x2f] = static_cast<u8>(sum & 0xff);
}

i64 CmosRtc::time_seconds() const {
    const u64 now = m_now_ns ? m_now_ns() : 0;
    return kBootEpochSeconds + m_offset_seconds + static_cast<i64>(now / kNsPerSecond);
}

u8 CmosRtc::encode(unsigned value) const {
    return (m_reg[kRegB] & kB_DM) ? static_cast<u8>(value) : to_bcd(value);
}
unsigned CmosRtc::decode(u8 reg) const {
    return (m_reg[kRegB] & kB_DM) ? reg : from_bcd(reg);
}

// 12-hour format: 1..12 with bit 7 set for PM (MC146818 hours register).
u8 CmosRtc::encode_hour(unsigned hour24) const {
    if (m_reg[kRegB] & kB_24H)
        return encode(hour24);
    const unsigned h12 = hour24 % 12 == 0 ? 12 : hour24 % 12;
    return static_cast<u8>(encode(h12) | (hour24 >= 12 ? 0x80 : 0));
}
unsigned CmosRtc::decode_hour(u8 reg) const {
    if (m_reg[kRegB] & kB_24H)
        return decode(reg);
    const unsigned h12 = decode(static_cast<u8>(reg & 0x7f)) % 12;
    return (reg & 0x80) ? h12 + 12 : h12;
}

u8 CmosRtc::read_port(unsigned offset) {
    if (offset == 0)
        return 0xff;
    return read_register(m_index);
}

void CmosRtc::write_port(unsigned offset, u8 value) {
    if (offset == 0) {
        m_index = static_cast<u8>(value & 0x7f);
        m_nmi_masked = (value & 0x80) != 0;
        return;
    }
    write_register(m_index, value);
}

u8 CmosRtc::read_register(u8 index) {
    index &= 0x7f;
    const CivilTime c = civil_from_seconds(time_seconds());
    switch (index) {
    case 0x00:
        return encode(c.second);
    case 0x02:
        return encode(c.minute);
    case 0x04:
        return encode_hour(c.hour);
    case 0x06:
        return encode(c.weekday + 1);
    case 0x07:
        return encode(c.day);
    case 0x08:
        return encode(c.month);
    case 0x09:
        return encode(static_cast<unsigned>(((c.year % 100) + 100) % 100));
    case kCentury:
        return encode(static_cast<unsigned>(c.year / 100));
    case kRegA: {
        // UIP: during the last 244 us of each second while the time base runs and SET is clear.
        const u64 now = m_now_ns ? m_now_ns() : 0;
        const bool running = (m_reg[kRegA] & 0x70) == 0x20 && !(m_reg[kRegB] & kB_SET);
        const bool uip = running && now % kNsPerSecond >= kNsPerSecond - kUipWindowNs;
        return static_cast<u8>((m_reg[kRegA] & 0x7f) | (uip ? kA_UIP : 0));
    }
    case kRegC: {
        // Reading C returns and clears the flags: UF when an update happened since the last
        // read (IRQF too when the update interrupt is enabled).
        const u64 second = (m_now_ns ? m_now_ns() : 0) / kNsPerSecond;
        u8 flags = 0;
        if (second != m_last_c_read_second && !(m_reg[kRegB] & kB_SET))
            flags = static_cast<u8>(kC_UF | ((m_reg[kRegB] & kB_UIE) ? kC_IRQF : 0));
        m_last_c_read_second = second;
        return flags;
    }
    case kRegD:
        return kD_VRT;
    default:
        return m_reg[index];
    }
}

void CmosRtc::set_time_field(u8 index, u8 value) {
    CivilTime c = civil_from_seconds(time_seconds());
    switch (index) {
    case 0x00:
        c.second = std::min(decode(value), 59u);
        break;
    case 0x02:
        c.minute = std::min(decode(value), 59u);
        break;
    case 0x04:
        c.hour = std::min(decode_hour(value), 23u);
        break;
    case 0x07:
        c.day = std::clamp(decode(value), 1u, 31u);
        break;
    case 0x08:
        c.month = std::clamp(decode(value), 1u, 12u);
        break;
    case 0x09:
        c.year = c.year / 100 * 100 + std::min(decode(value), 99u);
        break;
    case kCentury:
        c.year = static_cast<i64>(std::min(decode(value), 99u)) * 100 + c.year % 100;
        break;
    default:
        return;
    }
    m_offset_seconds += seconds_from_civil(c) - time_seconds();
}

void CmosRtc::write_register(u8 index, u8 value) {
    index &= 0x7f;
    switch (index) {
    case 0x00:
    case 0x02:
    case 0x04:
    case 0x07:
    case 0x08:
    case 0x09:
    case kCentury:
        set_time_field(index, value);
        return;
    case 0x06: // the day of week follows from the date here; a write is ignored
    case kRegC:
    case kRegD:
        return; // read-only
    case kRegA:
        m_reg[kRegA] = static_cast<u8>(value & 0x7f); // UIP is read-only
        return;
    default:
        m_reg[index] = value;
    }
}

} // namespace kmemu
