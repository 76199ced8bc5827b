// linux_banner: the version string init/version.c builds into .rodata (and printk prints first
// at boot): "Linux version <UTS_RELEASE> (<by>@<host>) (<LINUX_COMPILER>) <UTS_VERSION>\n".
// kmemu's kernels are one fixed, reproducible build identity (DESIGN.md decision 8): built by
// kmemu@kmemu, version #1, the timestamp of SOURCE_DATE_EPOCH=0, a compiler of the era.
#pragma once

#include <string>

#include "mm/kernel_image/kernel_image_rules.h"

namespace kmemu {

// UTS_RELEASE: "2.6.32" for 2.6 kernels, "M.m.p" (with ".0") from 3.0.
[[nodiscard]] std::string uts_release(KernelVersion version);
// The banner text, ending in '\n' (the variable holds it followed by one NUL).
[[nodiscard]] std::string linux_banner(const KernelImageRules& rules);

} // namespace kmemu
