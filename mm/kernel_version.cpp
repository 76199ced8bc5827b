#include "mm/kernel_version.h"

#include <charconv>
#include <vector>

namespace kmemu {

ErrorOr<KernelVersion> KernelVersion::parse(std::string_view text) {
    std::vector<unsigned> parts;
    std::string_view rest = text;
    while (true) {
        unsigned value = 0;
        auto [ptr, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), value);
        if (ec != std::errc() || ptr == rest.data())
            break;
        parts.push_back(value);
        rest.remove_prefix(static_cast<size_t>(ptr - rest.data()));
        if (rest.empty() || rest.front() != '.')
            break;
        rest.remove_prefix(1);
    }
    if (!rest.empty() || parts.size() < 2 || parts.size() > 3)
        return make_error(ErrorKind::InvalidConfig,
                          "kernel: '{}' is not a kernel version (expected MAJOR.MINOR[.PATCH], "
                          "from 2.6.11 to 6.13)",
                          text);
    KernelVersion v{parts[0], parts[1], parts.size() == 3 ? parts[2] : 0};
    // 2.6.x needs its third number: 2.6 alone names no release.
    if (v.major == 2 && parts.size() == 2)
        return make_error(ErrorKind::InvalidConfig,
                          "kernel: '{}' needs the third number for 2.6 kernels (e.g. 2.6.32)",
                          text);
    bool known_series = (v.major == 2 && v.minor == 6) || (v.major == 3 && v.minor <= 19) ||
                        (v.major == 4 && v.minor <= 20) || (v.major == 5 && v.minor <= 19) ||
                        (v.major == 6 && v.minor <= 13);
    if (!known_series || v < kOldestKernel || v > kNewestKernel)
        return make_error(ErrorKind::InvalidConfig,
                          "kernel: '{}' is outside the supported versions 2.6.11 to 6.13", text);
    return v;
}

std::string KernelVersion::to_string() const {
    if (patch == 0 && major != 2)
        return fmt::format("{}.{}", major, minor);
    return fmt::format("{}.{}.{}", major, minor, patch);
}

} // namespace kmemu
