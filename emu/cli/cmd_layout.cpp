#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "emu/cli/cli.h"
#include "emu/layout_json.h"
#include "emu/procfs_iomem.h"
#include "emu/procfs_kallsyms.h"
#include "emu/procfs_meminfo.h"
#include "emu/procfs_mm.h"
#include "emu/procfs_slabinfo.h"
#include "emu/procfs_vmallocinfo.h"
#include "emu/svg/layout_svg.h"

namespace kmemu::cli {

int cmd_layout(const std::vector<std::string>& args) {
    int status = 0;
    auto parsed = parse_args("layout", args, {"--json"}, {"--svg"}, &status);
    if (!parsed)
        return status;
    auto m = boot_or_report(parsed->words);
    if (!m)
        return 2;
    if (auto svg = parsed->value("--svg")) {
        std::string title = fmt::format("{}", fmt::join(m->config().to_words(), " "));
        return write_file("layout", *svg, render_layout_svg(m->layout(), title)) ? 0 : 2;
    }
    if (parsed->has("--json"))
        fmt::print("{}", layout_to_json(m->layout()));
    else
        fmt::print("{}{}", m->memory_line(), m->layout_block());
    return 0;
}

int cmd_proc(const std::vector<std::string>& args) {
    int status = 0;
    auto parsed = parse_args("proc", args, {}, {}, &status);
    if (!parsed)
        return status;
    if (parsed->words.empty())
        return usage_error("proc: which file? (iomem, buddyinfo, zoneinfo, slabinfo, kallsyms, "
                           "vmallocinfo, meminfo)");
    std::string name = parsed->words.front();
    parsed->words.erase(parsed->words.begin());
    const std::vector<std::string> files{"iomem",    "buddyinfo",   "zoneinfo", "slabinfo",
                                         "kallsyms", "vmallocinfo", "meminfo"};
    if (std::find(files.begin(), files.end(), name) == files.end())
        return usage_error(fmt::format("proc: no /proc/{} (iomem, buddyinfo, zoneinfo, slabinfo, "
                                       "kallsyms, vmallocinfo, meminfo)",
                                       name));
    auto m = boot_or_report(parsed->words);
    if (!m)
        return 2;
    if (name == "iomem")
        fmt::print("{}", render_proc_iomem(m->iomem(), true));
    else if (name == "buddyinfo")
        fmt::print("{}", render_buddyinfo(m->page_allocator()));
    else if (name == "zoneinfo")
        fmt::print("{}", render_zoneinfo(m->page_allocator()));
    else if (name == "slabinfo")
        fmt::print("{}", render_slabinfo(m->kmalloc()));
    else if (name == "meminfo")
        fmt::print("{}", render_meminfo(*m));
    else if (name == "kallsyms")
        fmt::print("{}", render_kallsyms(m->symbols(), m->profile().kernel_image,
                                         KallsymsReader{.cap_syslog = true}));
    else {
        auto text = render_vmallocinfo(m->vmap_space());
        if (text.is_error()) {
            fmt::print(stderr, "kmemu: proc: {}\n", text.error().message());
            return 2;
        }
        fmt::print("{}", text.value());
    }
    return 0;
}

} // namespace kmemu::cli
