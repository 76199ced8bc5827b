#include "mm/arch.h"

#include <array>
#include <utility>

namespace kmemu {

namespace {
constexpr std::array<std::pair<Arch, std::string_view>, 7> kArchNames{{
    {Arch::I386, "i386"},
    {Arch::I386Pae, "i386-pae"},
    {Arch::X86_64, "x86_64"},
    {Arch::X86_64La57, "x86_64-la57"},
    {Arch::Arm, "arm"},
    {Arch::ArmLpae, "arm-lpae"},
    {Arch::Arm64, "arm64"},
}};
} // namespace

std::string_view arch_name(Arch arch) {
    for (auto [a, name] : kArchNames)
        if (a == arch)
            return name;
    return "?";
}

std::optional<Arch> parse_arch(std::string_view word) {
    for (auto [a, name] : kArchNames)
        if (name == word)
            return a;
    return std::nullopt;
}

} // namespace kmemu
