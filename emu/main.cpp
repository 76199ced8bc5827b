// The kmemu command.
#include <cstdio>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "emu/layout_json.h"
#include "emu/machine.h"
#include "emu/procfs_iomem.h"
#include "emu/procfs_mm.h"
#include "emu/scenario/cli.h"
#include "emu/svg/layout_svg.h"

using namespace kmemu;

namespace {

constexpr const char* kUsage = R"(usage: kmemu COMMAND [OPTIONS] [WORDS...]

Commands:
  layout [--json | --svg FILE] [WORDS...]
                               boot a machine and print its boot log's "Memory:" line and
                               "virtual kernel memory layout" block; --json: every layout
                               constant and the zones; --svg: a picture of the address space
  run [--check|--update] FILE...  run scenario scripts (docs/scenarios.md); --check compares
                               each transcript with FILE.expected
  proc NAME [WORDS...]         boot a machine and print /proc/NAME (iomem, buddyinfo, zoneinfo)
  help                         this text

WORDS configure the machine, e.g.  arch=i386 mem=512M split=3G kernel=2.6.32
  arch=i386|i386-pae|x86_64|x86_64-la57|arm|arm-lpae|arm64   (default x86_64)
  kernel=VERSION   2.6.11 .. 6.13 (default 5.10)
  mem=SIZE         RAM size, e.g. 512M, 4G, 0x1fead000 (default 512M)
  e820=FILE        the BIOS-e820 lines of a real boot log
  iomem=FILE       a real /proc/iomem
  split=3G|3G_OPT|2G|2G_OPT|1G  (32-bit)    highmem=on|off  (32-bit)
  va_bits=39|48 page=4K|16K|64K (arm64)     phys_offset=ADDR thumb2=on|off (ARM)
  vmalloc=SIZE     the vmalloc= boot parameter
  fixmap_slots=N nr_cpus=N phys_bits=N     build/CPU inputs that move the layout
)";

int usage_error(const std::string& message) {
    fmt::print(stderr, "kmemu: {}\n\n{}", message, kUsage);
    return 2;
}

ErrorOr<std::unique_ptr<Machine>> boot_from_words(const std::vector<std::string>& words) {
    auto config = TRY(parse_config_words(words));
    return Machine::boot(std::move(config));
}

int cmd_layout(std::vector<std::string> args) {
    bool json = false;
    std::optional<std::string> svg_file;
    std::vector<std::string> words;
    for (size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        if (a == "--json")
            json = true;
        else if (a == "--svg") {
            if (i + 1 == args.size())
                return usage_error("layout: --svg needs a FILE");
            svg_file = args[++i];
        } else if (a == "--help" || a == "-h") {
            fmt::print("{}", kUsage);
            return 0;
        } else if (a.rfind("--", 0) == 0)
            return usage_error(fmt::format("layout: unknown option '{}'", a));
        else
            words.push_back(a);
    }
    auto machine = boot_from_words(words);
    if (machine.is_error()) {
        fmt::print(stderr, "kmemu: {}\n", machine.error().message());
        return 2;
    }
    const Machine& m = *machine.value();
    if (svg_file) {
        std::string title = fmt::format("{}", fmt::join(m.config().to_words(), " "));
        std::FILE* f = std::fopen(svg_file->c_str(), "w");
        if (!f) {
            fmt::print(stderr, "kmemu: layout: cannot write '{}'\n", *svg_file);
            return 2;
        }
        std::string svg = render_layout_svg(m.layout(), title);
        bool ok = std::fwrite(svg.data(), 1, svg.size(), f) == svg.size();
        ok = std::fclose(f) == 0 && ok;
        if (!ok) {
            fmt::print(stderr, "kmemu: layout: cannot write '{}'\n", *svg_file);
            return 2;
        }
        return 0;
    }
    if (json)
        fmt::print("{}", layout_to_json(m.layout()));
    else
        fmt::print("{}{}", m.memory_line(), m.layout_block());
    return 0;
}

int cmd_proc(std::vector<std::string> args) {
    if (args.empty())
        return usage_error("proc: which file? (iomem, buddyinfo, zoneinfo)");
    std::string name = args[0];
    args.erase(args.begin());
    auto machine = boot_from_words(args);
    if (machine.is_error()) {
        fmt::print(stderr, "kmemu: {}\n", machine.error().message());
        return 2;
    }
    const Machine& m = *machine.value();
    if (name == "buddyinfo")
        fmt::print("{}", render_buddyinfo(m.page_allocator()));
    else if (name == "zoneinfo")
        fmt::print("{}", render_zoneinfo(m.page_allocator()));
    else if (name == "iomem")
        fmt::print("{}", render_proc_iomem(m.iomem(), true));
    else
        return usage_error(fmt::format("proc: no /proc/{} (iomem, buddyinfo, zoneinfo)", name));
    return 0;
}

} // namespace

int main(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    if (args.empty() || args[0] == "help" || args[0] == "--help" || args[0] == "-h") {
        fmt::print("{}", kUsage);
        return args.empty() ? 2 : 0;
    }
    std::string cmd = args[0];
    args.erase(args.begin());
    if (cmd == "layout")
        return cmd_layout(std::move(args));
    if (cmd == "proc")
        return cmd_proc(std::move(args));
    if (cmd == "run")
        return scenario::run_command(args);
    return usage_error(fmt::format("unknown command '{}'", cmd));
}
