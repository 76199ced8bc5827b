// The machine's emulated I/O port space (x86 `inb`/`outb` and friends): 65536 byte-wide ports,
// device models claim ranges of them, and unclaimed ports read as all ones, as an ISA/PCI bus
// with nothing answering does (the data lines float high).
//
// /dev/port reaches it through inb/outb; scenario scripts and tests register their own device
// models with register_region. On x86 machines the PC's CMOS/RTC (0x70-0x71) and the POST code
// port (0x80) are present from boot. The space exists on every arch (ARM has no port I/O; its
// space simply has no devices).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "mm/error.h"
#include "mm/types.h"

namespace kmemu {

class DeviceKernel;
class CmosRtc;
class PostCodePort;

// An I/O port number (x86: 0..0xffff).
class IoPort {
  public:
    constexpr explicit IoPort(u16 port) : m_port(port) {}
    [[nodiscard]] constexpr u16 get() const { return m_port; }
    constexpr bool operator==(const IoPort&) const = default;

  private:
    u16 m_port;
};

// A device model's claim on [first, first + count). Accesses are 1, 2 or 4 bytes wide and lie
// inside the claim; `offset` is relative to `first`. A missing read reads all ones; a missing
// write ignores the value.
struct IoPortRegion {
    std::string name;
    IoPort first{0};
    u32 count = 0;
    std::function<u32(u16 offset, unsigned width)> read;
    std::function<void(u16 offset, unsigned width, u32 value)> write;
};

class IoPortSpace {
  public:
    static constexpr u32 kPorts = 0x10000;

    // The space of `kernel`'s machine, with the arch's default devices (see the file comment).
    explicit IoPortSpace(DeviceKernel& kernel);
    ~IoPortSpace();
    IoPortSpace(const IoPortSpace&) = delete;
    IoPortSpace& operator=(const IoPortSpace&) = delete;

    // Claim a range. Errors (nothing changes): count 0, a range past 0xffff, or an overlap with
    // a claimed range (named in the message).
    ErrorOr<void> register_region(IoPortRegion region);
    // Give up the claim that starts at `first`. Error when no claim starts there.
    ErrorOr<void> release_region(IoPort first);
    // The claims in port order (for /proc/ioports-style listings and tests).
    [[nodiscard]] std::vector<IoPortRegion> regions() const;

    // Port accesses. A multi-byte access that one claim covers whole goes to it with its width;
    // any other is split into byte accesses (little-endian), each to its own claim or floating.
    // Ports past 0xffff (the top of a wide access) float.
    [[nodiscard]] u8 inb(IoPort port);
    [[nodiscard]] u16 inw(IoPort port);
    [[nodiscard]] u32 inl(IoPort port);
    void outb(u8 value, IoPort port);
    void outw(u16 value, IoPort port);
    void outl(u32 value, IoPort port);

    // The PC devices (nullptr on machines without them).
    [[nodiscard]] CmosRtc* cmos() { return m_cmos.get(); }
    [[nodiscard]] PostCodePort* post() { return m_post.get(); }

  private:
    const IoPortRegion* find(u32 port) const;
    u32 read(u32 port, unsigned width);
    void write(u32 port, unsigned width, u32 value);

    std::vector<IoPortRegion> m_regions; // sorted by first, non-overlapping
    std::unique_ptr<CmosRtc> m_cmos;
    std::unique_ptr<PostCodePort> m_post;
};

// The port space of a machine (its driver state; made on first use).
[[nodiscard]] IoPortSpace& io_ports(DeviceKernel& kernel);

} // namespace kmemu
