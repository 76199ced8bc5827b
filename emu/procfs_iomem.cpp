#include "emu/procfs_iomem.h"

#include <algorithm>

#include <fmt/format.h>

namespace kmemu {

std::string render_proc_iomem(const IomemTree& tree, bool privileged) {
    // r_show: "%*s%0*llx-%0*llx : %s\n" with an indent of 2 per level below the root,
    // saturating at 5 levels; the width is 4 when the root ends below 0x10000 (ioports), else
    // 8, and is a minimum. Addresses are hidden from unprivileged readers per the version.
    const int width = tree.root().end.get() < 0x10000 ? 4 : 8;
    const bool hide = !privileged && tree.rules().hides_addresses_unprivileged;
    std::string out;
    tree.for_each([&](const Resource& r, unsigned depth) {
        const unsigned indent = std::min(depth, 5u) * 2;
        const u64 start = hide ? 0 : r.start.get();
        const u64 end = hide ? 0 : r.end.get();
        fmt::format_to(std::back_inserter(out), "{:{}}{:0{}x}-{:0{}x} : {}\n", "", indent, start,
                       width, end, width, r.name);
    });
    return out;
}

} // namespace kmemu
