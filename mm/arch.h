// The emulated architectures. Chosen at run time (DESIGN.md lesson 8): several machines of
// different arches may live in one process, so nothing here is a compile-time switch.
#pragma once

#include <optional>
#include <string_view>

namespace kmemu {

enum class Arch { I386, I386Pae, X86_64, X86_64La57, Arm, ArmLpae, Arm64 };

[[nodiscard]] std::string_view arch_name(Arch arch); // the `arch=` word: "i386-pae"
[[nodiscard]] std::optional<Arch> parse_arch(std::string_view word);

[[nodiscard]] constexpr bool is_x86(Arch a) {
    return a == Arch::I386 || a == Arch::I386Pae || a == Arch::X86_64 || a == Arch::X86_64La57;
}
[[nodiscard]] constexpr bool is_arm32(Arch a) {
    return a == Arch::Arm || a == Arch::ArmLpae;
}
[[nodiscard]] constexpr bool is_32bit(Arch a) {
    return a == Arch::I386 || a == Arch::I386Pae || is_arm32(a);
}
[[nodiscard]] constexpr unsigned word_bits(Arch a) {
    return is_32bit(a) ? 32 : 64;
}

// The CPU's physical address width (x86 MAXPHYADDR, ARM PARange) that `phys_bits=` overrides:
// what QEMU's default CPU for the arch reports (qemu32 without PAE 32, with PAE 36; qemu64 40;
// Cortex-A15 with LPAE 40; arm64 `virt` CPUs 48).
[[nodiscard]] constexpr unsigned default_cpu_phys_bits(Arch a) {
    switch (a) {
    case Arch::I386:
    case Arch::Arm:
        return 32;
    case Arch::I386Pae:
        return 36;
    case Arch::X86_64:
    case Arch::X86_64La57:
    case Arch::ArmLpae:
        return 40;
    case Arch::Arm64:
        return 48;
    }
    return 32;
}

} // namespace kmemu
