#include "devices/port/io_ports.h"

#include <algorithm>

#include "devices/device_kernel.h"
#include "devices/port/cmos_rtc.h"
#include "devices/port/post_code_port.h"
#include "mm/arch.h"
#include "mm/kernel_profile.h"
#include "mm/layout.h"

namespace kmemu {

namespace {

constexpr IoPort kCmosIndex{0x70};
constexpr IoPort kPostPort{0x80};

u32 width_mask(unsigned width) {
    return width >= 4 ? 0xffffffffu : (1u << (8 * width)) - 1;
}

// The RAM size the firmware reports in CMOS: RAM below 4 GiB (what SeaBIOS counts there).
u64 cmos_ram_bytes(const DeviceKernel& k) {
    const u64 end = k.layout().phys_of(k.layout().max_pfn).get();
    return std::min<u64>(end, 4 * GiB);
}

} // namespace

IoPortSpace::IoPortSpace(DeviceKernel& kernel) {
    if (!is_x86(kernel.profile().arch))
        return;
    DeviceKernel* k = &kernel;
    m_cmos = std::make_unique<CmosRtc>([k] { return k->now_ns(); }, cmos_ram_bytes(kernel));
    m_post = std::make_unique<PostCodePort>();
    CmosRtc* cmos = m_cmos.get();
    PostCodePort* post = m_post.get();
    // The registrations cannot fail on an empty space.
    (void)register_region(IoPortRegion{
        "rtc0", kCmosIndex, 2,
        [cmos](u16 off, unsigned) { return static_cast<u32>(cmos->read_port(off)); },
        [cmos](u16 off, unsigned, u32 v) { cmos->write_port(off, static_cast<u8>(v)); }});
    (void)register_region(IoPortRegion{"post", kPostPort, 1, nullptr, [post](u16, unsigned, u32 v) {
                                           post->write(static_cast<u8>(v));
                                       }});
}

IoPortSpace::~IoPortSpace() = default;

ErrorOr<void> IoPortSpace::register_region(IoPortRegion region) {
    const u32 first = region.first.get();
    if (region.count == 0)
        return make_error(ErrorKind::InvalidConfig, "I/O port region '{}': count is 0",
                          region.name);
    if (first + region.count > kPorts)
        return make_error(ErrorKind::InvalidConfig,
                          "I/O port region '{}': {:#x}+{:#x} runs past port 0xffff", region.name,
                          first, region.count);
    for (const IoPortRegion& r : m_regions) {
        const u32 rf = r.first.get();
        if (first < rf + r.count && rf < first + region.count)
            return make_error(ErrorKind::InvalidConfig,
                              "I/O port region '{}' ({:#06x}-{:#06x}) overlaps '{}' "
                              "({:#06x}-{:#06x})",
                              region.name, first, first + region.count - 1, r.name, rf,
                              rf + r.count - 1);
    }
    auto at = std::find_if(m_regions.begin(), m_regions.end(),
                           [&](const IoPortRegion& r) { return r.first.get() > first; });
    m_regions.insert(at, std::move(region));
    return {};
}

ErrorOr<void> IoPortSpace::release_region(IoPort first) {
    auto it = std::find_if(m_regions.begin(), m_regions.end(),
                           [&](const IoPortRegion& r) { return r.first == first; });
    if (it == m_regions.end())
        return make_error(ErrorKind::NotFound, "no I/O port region starts at {:#06x}", first.get());
    m_regions.erase(it);
    return {};
}

std::vector<IoPortRegion> IoPortSpace::regions() const {
    return m_regions;
}

const IoPortRegion* IoPortSpace::find(u32 port) const {
    for (const IoPortRegion& r : m_regions)
        if (port >= r.first.get() && port < r.first.get() + r.count)
            return &r;
    return nullptr;
}

u32 IoPortSpace::read(u32 port, unsigned width) {
    const IoPortRegion* r = find(port);
    if (r && port + width <= r->first.get() + r->count) {
        if (!r->read)
            return width_mask(width);
        return r->read(static_cast<u16>(port - r->first.get()), width) & width_mask(width);
    }
    if (width == 1)
        return 0xff; // floating
    u32 value = 0;
    for (unsigned i = 0; i < width; ++i) {
        const u32 byte = port + i < kPorts ? read(port + i, 1) : 0xff;
        value |= (byte & 0xff) << (8 * i);
    }
    return value;
}

void IoPortSpace::write(u32 port, unsigned width, u32 value) {
    const IoPortRegion* r = find(port);
    if (r && port + width <= r->first.get() + r->count) {
        if (r->write)
            r->write(static_cast<u16>(port - r->first.get()), width, value & width_mask(width));
        return;
    }
    if (width == 1)
        return;
    for (unsigned i = 0; i < width; ++i)
        if (port + i < kPorts)
            write(port + i, 1, (value >> (8 * i)) & 0xff);
}

u8 IoPortSpace::inb(IoPort port) {
    return static_cast<u8>(read(port.get(), 1));
}
u16 IoPortSpace::inw(IoPort port) {
    return static_cast<u16>(read(port.get(), 2));
}
u32 IoPortSpace::inl(IoPort port) {
    return read(port.get(), 4);
}
void IoPortSpace::outb(u8 value, IoPort port) {
    write(port.get(), 1, value);
}
void IoPortSpace::outw(u16 value, IoPort port) {
    write(port.get(), 2, value);
}
void IoPortSpace::outl(u32 value, IoPort port) {
    write(port.get(), 4, value);
}

IoPortSpace& io_ports(DeviceKernel& kernel) {
    return kernel.state<IoPortSpace>();
}

} // namespace kmemu
