#include <algorithm>
#include <cstdio>

#include <fmt/format.h>

#include "emu/cli/cli.h"

namespace kmemu::cli {

const char* const kUsage = R"(usage: kmemu COMMAND [OPTIONS] [WORDS...]

Commands:
  layout [--json | --svg FILE] [WORDS...]
                               boot a machine and print its boot log's "Memory:" line and
                               "virtual kernel memory layout" block; --json: every layout
                               constant and the zones; --svg: a picture of the address space
  proc NAME [WORDS...]         boot a machine and print /proc/NAME as root reads it
                               (iomem, buddyinfo, zoneinfo, slabinfo, kallsyms,
                               vmallocinfo, meminfo)
  ptdump [WORDS...]            the kernel page tables in the format of the kernel's
                               /sys/kernel/debug/page_tables/kernel
  walk [--write|--exec|--user] [--svg FILE] [WORDS...] ADDR
                               walk ADDR through the kernel page tables, level by level
                               (inspection walk: nothing is changed); --svg: a picture
  run [--check|--update] FILE...  run scenario scripts (docs/scenarios.md); --check compares
                               each transcript with FILE.expected
  shell [WORDS...]             an interactive session in the scenario language (line
                               editing, history, `help`)
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

int usage_error(std::string_view message) {
    fmt::print(stderr, "kmemu: {}\n\n{}", message, kUsage);
    return 2;
}

bool ParsedArgs::has(std::string_view flag) const {
    return std::find(flags.begin(), flags.end(), flag) != flags.end();
}

std::optional<std::string> ParsedArgs::value(std::string_view name) const {
    for (const auto& [k, v] : values)
        if (k == name)
            return v;
    return std::nullopt;
}

std::optional<ParsedArgs> parse_args(std::string_view command, const std::vector<std::string>& args,
                                     const std::vector<std::string>& flags,
                                     const std::vector<std::string>& value_options,
                                     int* exit_status) {
    ParsedArgs out;
    auto contains = [](const std::vector<std::string>& v, const std::string& s) {
        return std::find(v.begin(), v.end(), s) != v.end();
    };
    for (size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        if (a == "--help" || a == "-h") {
            fmt::print("{}", kUsage);
            *exit_status = 0;
            return std::nullopt;
        }
        if (contains(flags, a)) {
            out.flags.push_back(a);
        } else if (contains(value_options, a)) {
            if (i + 1 == args.size()) {
                *exit_status = usage_error(fmt::format("{}: {} needs a value", command, a));
                return std::nullopt;
            }
            out.values.emplace_back(a, args[++i]);
        } else if (a.rfind("--", 0) == 0) {
            *exit_status = usage_error(fmt::format("{}: unknown option '{}'", command, a));
            return std::nullopt;
        } else {
            out.words.push_back(a);
        }
    }
    return out;
}

std::unique_ptr<Machine> boot_or_report(const std::vector<std::string>& words) {
    auto config = parse_config_words(words);
    if (config.is_error()) {
        fmt::print(stderr, "kmemu: {}\n", config.error().message());
        return nullptr;
    }
    auto machine = Machine::boot(config.release_value());
    if (machine.is_error()) {
        fmt::print(stderr, "kmemu: {}\n", machine.error().message());
        return nullptr;
    }
    return machine.release_value();
}

bool write_file(std::string_view command, const std::string& path, std::string_view text) {
    std::FILE* f = std::fopen(path.c_str(), "w");
    if (!f) {
        fmt::print(stderr, "kmemu: {}: cannot write '{}'\n", command, path);
        return false;
    }
    bool ok = std::fwrite(text.data(), 1, text.size(), f) == text.size();
    ok = std::fclose(f) == 0 && ok;
    if (!ok)
        fmt::print(stderr, "kmemu: {}: cannot write '{}'\n", command, path);
    return ok;
}

} // namespace kmemu::cli
