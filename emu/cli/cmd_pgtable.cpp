// kmemu ptdump / kmemu walk: the kernel page tables of a booted machine.
#include <charconv>

#include <fmt/format.h>

#include "emu/cli/cli.h"
#include "emu/machine_views.h"
#include "emu/svg/walk_svg.h"
#include "emu/walk_view.h"

namespace kmemu::cli {

int cmd_ptdump(const std::vector<std::string>& args) {
    int status = 0;
    auto parsed = parse_args("ptdump", args, {}, {}, &status);
    if (!parsed)
        return status;
    auto m = boot_or_report(parsed->words);
    if (!m)
        return 2;
    auto text = render_kernel_ptdump(*m);
    if (text.is_error()) {
        fmt::print(stderr, "kmemu: ptdump: {}\n", text.error().message());
        return 2;
    }
    fmt::print("{}", text.value());
    return 0;
}

int cmd_walk(const std::vector<std::string>& args) {
    int status = 0;
    auto parsed = parse_args("walk", args, {"--write", "--exec", "--user"}, {"--svg"}, &status);
    if (!parsed)
        return status;
    // The address is the one argument that is not a key=value word.
    std::optional<u64> addr;
    std::vector<std::string> words;
    for (const auto& w : parsed->words) {
        if (w.find('=') != std::string::npos) {
            words.push_back(w);
            continue;
        }
        if (addr)
            return usage_error(fmt::format("walk: more than one address ('{}')", w));
        addr = parse_size(w);
        if (!addr)
            return usage_error(fmt::format("walk: '{}' is not an address", w));
    }
    if (!addr)
        return usage_error("walk: which address? (e.g. kmemu walk arch=i386 0xc0100000)");
    auto m = boot_or_report(words);
    if (!m)
        return 2;
    auto& kpt = m->kernel_page_tables();
    paging::Access access;
    if (parsed->has("--write"))
        access.type = paging::AccessType::Write;
    if (parsed->has("--exec"))
        access.type = paging::AccessType::Execute;
    if (parsed->has("--user"))
        access.privilege = paging::Privilege::User;
    // An inspection walk: looking changes nothing (no accessed/dirty bits are set).
    auto rec = paging::walk(kpt.format(), kpt.table_memory(), kpt.mmu(), VirtAddr(*addr), access,
                            paging::WalkMode::Inspection);
    if (rec.is_error()) {
        fmt::print(stderr, "kmemu: walk: {}\n", rec.error().message());
        return 2;
    }
    if (auto svg = parsed->value("--svg"))
        return write_file("walk", *svg, render_walk_svg(kpt.format(), rec.value(), kpt.mmu())) ? 0
                                                                                               : 2;
    fmt::print("{}", render_walk_text(kpt.format(), rec.value(), kpt.mmu()));
    return 0;
}

} // namespace kmemu::cli
