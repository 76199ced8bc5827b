// A Linux kernel version, 2.6.11 to 6.13.x: the machine's `kernel=` word. Rules that changed
// between versions compare against it only inside KernelProfile builders (DESIGN.md lesson 11).
#pragma once

#include <compare>
#include <string>
#include <string_view>

#include "mm/error.h"

namespace kmemu {

struct KernelVersion {
    unsigned major = 5;
    unsigned minor = 10;
    unsigned patch = 0;

    constexpr auto operator<=>(const KernelVersion&) const = default;

    // "2.6.20", "4.15", "6.1.20"; range-checked against the supported span.
    static ErrorOr<KernelVersion> parse(std::string_view text);
    [[nodiscard]] std::string to_string() const; // "6.1.20", or "4.15" when patch is 0
    // Whether this version is at least major.minor.patch.
    [[nodiscard]] constexpr bool at_least(unsigned ma, unsigned mi, unsigned pa = 0) const {
        return *this >= KernelVersion{ma, mi, pa};
    }
};

constexpr KernelVersion kOldestKernel{2, 6, 11};
constexpr KernelVersion kNewestKernel{6, 13, 999};

} // namespace kmemu
