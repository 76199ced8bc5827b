#include "mm/layout.h"

#include <fmt/format.h>

#include "mm/kernel_profile.h"
#include "mm/machine_config.h"

namespace kmemu {

const char* zone_name(ZoneType type) {
    switch (type) {
    case ZoneType::Dma:
        return "DMA";
    case ZoneType::Dma32:
        return "DMA32";
    case ZoneType::Normal:
        return "Normal";
    case ZoneType::HighMem:
        return "HighMem";
    case ZoneType::Movable:
        return "Movable";
    }
    return "?";
}

const NamedRegion* Layout::region(std::string_view name) const {
    for (const auto& r : regions)
        if (r.name == name)
            return &r;
    return nullptr;
}

const ZoneSpan* Layout::zone(ZoneType type) const {
    for (const auto& z : zones)
        if (z.type == type)
            return &z;
    return nullptr;
}

namespace {
ErrorOr<Layout> compute_arch_layout(const MachineConfig& config, const KernelProfile& profile,
                                    const RamMap& ram) {
    switch (config.arch) {
    case Arch::I386:
    case Arch::I386Pae:
        return compute_layout_i386(config, profile.i386, ram);
    case Arch::X86_64:
    case Arch::X86_64La57:
    case Arch::Arm64:
        if (config.arch == Arch::Arm64)
            return compute_layout_arm64(config, profile.arm64, ram);
        return compute_layout_x86_64(config, profile.x86_64, ram);
    case Arch::Arm:
    case Arch::ArmLpae:
        return compute_layout_arm(config, profile.arm, ram);
    }
    return make_error(ErrorKind::Internal, "unknown arch");
}
} // namespace

ErrorOr<Layout> compute_layout(const MachineConfig& config, const KernelProfile& profile,
                               const RamMap& ram) {
    Layout layout = TRY(compute_arch_layout(config, profile, ram));
    layout.phys_bits = config.phys_bits.value_or(default_cpu_phys_bits(config.arch));
    return layout;
}

void append_layout_line(std::string& out, std::string_view prefix, u64 start, u64 end,
                        unsigned shift, std::string_view unit, unsigned addr_digits) {
    out += fmt::format("{}: 0x{:0{}x} - 0x{:0{}x}   ({:4} {})\n", prefix, start, addr_digits, end,
                       addr_digits, (end - start) >> shift, unit);
}

std::string render_layout_block(const Layout& layout, const KernelProfile& profile) {
    switch (layout.arch) {
    case Arch::I386:
    case Arch::I386Pae:
        return render_layout_block_i386(layout, profile.i386);
    case Arch::X86_64:
    case Arch::X86_64La57:
        return render_layout_block_x86_64(layout, profile.x86_64);
    case Arch::Arm:
    case Arch::ArmLpae:
        return render_layout_block_arm(layout, profile.arm);
    case Arch::Arm64:
        return render_layout_block_arm64(layout, profile.arm64);
    }
    return {};
}

} // namespace kmemu
