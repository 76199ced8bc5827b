#include <fmt/format.h>
#include <fmt/ranges.h>

#include "emu/cli/cli.h"
#include "emu/layout_json.h"
#include "emu/machine_views.h"
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
        return usage_error(fmt::format("proc: which file? ({})", proc_file_names()));
    std::string name = parsed->words.front();
    parsed->words.erase(parsed->words.begin());
    if (name.find('=') != std::string::npos)
        return usage_error(
            fmt::format("proc: which file? ({}), then the machine words", proc_file_names()));
    auto m = boot_or_report(parsed->words);
    if (!m)
        return 2;
    auto text = render_proc_file(*m, name);
    if (text.is_error()) {
        fmt::print(stderr, "kmemu: proc: {}\n", text.error().message());
        return 2;
    }
    fmt::print("{}", text.value());
    return 0;
}

} // namespace kmemu::cli
