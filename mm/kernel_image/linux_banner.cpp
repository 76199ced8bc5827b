#include "mm/kernel_image/linux_banner.h"

#include <fmt/format.h>

namespace kmemu {

namespace {

// LINUX_COMPILER of kmemu's build for the era. Before 5.8 it is the last line of `gcc -v`,
// which ends in a space (hence "(GCC) )" in real banners); from 5.8 the first line of
// `gcc --version`, a comma, and the first line of `ld -v`.
const char* compiler_for(const KernelImageRules& r) {
    const KernelVersion v = r.version;
    if (r.banner_has_linker)
        return v.at_least(6, 0) ? "gcc (GCC) 12.2.0, GNU ld (GNU Binutils) 2.40"
                                : "gcc (GCC) 10.2.1 20210110, GNU ld (GNU Binutils) 2.35.2";
    if (v.at_least(5, 0))
        return "gcc version 8.3.0 (GCC) ";
    if (v.at_least(4, 0))
        return "gcc version 6.3.0 (GCC) ";
    if (v.at_least(3, 0))
        return "gcc version 4.7.2 (GCC) ";
    if (v.at_least(2, 6, 30))
        return "gcc version 4.4.5 (GCC) ";
    return "gcc version 4.1.2 (GCC) ";
}

} // namespace

std::string uts_release(KernelVersion v) {
    // 2.6 kernels keep the third number as the release ("2.6.32"); 3.0+ always print three
    // numbers ("6.1.0"), the stable patch level being the third.
    return fmt::format("{}.{}.{}", v.major, v.minor, v.patch);
}

std::string linux_banner(const KernelImageRules& rules) {
    // UTS_VERSION: "#<build> SMP <date>" (scripts/mkcompile_h; the defconfigs are SMP, and
    // `LC_ALL=C date` pads the day with a space).
    return fmt::format("Linux version {} (kmemu@kmemu) ({}) #1 SMP Thu Jan  1 00:00:00 UTC 1970\n",
                       uts_release(rules.version), compiler_for(rules));
}

} // namespace kmemu
