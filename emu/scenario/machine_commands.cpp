// Observation commands over a booted machine: what a student would look at on a real one —
// the kernel page tables (ptdump), one address's walk, /proc files (cat /proc/NAME).
#include <fmt/format.h>

#include "emu/machine_views.h"
#include "emu/scenario/interpreter.h"
#include "emu/scenario/registry.h"

namespace kmemu::scenario {

namespace {

ErrorOr<void> cmd_cat(Interpreter& in, std::span<const Value> a) {
    if (!in.machine())
        return in.no_machine("cat");
    if (!a[0].is_bytes())
        return make_error(ErrorKind::Parse, "cat needs a path, not {}", type_name(a[0]));
    std::string_view path = a[0].bytes;
    if (path.rfind("/proc/", 0) != 0)
        return make_error(ErrorKind::NotFound,
                          "cat: {}: only /proc files can be shown so far (devices come later)",
                          path);
    in.write(TRY(render_proc_file(*in.machine(), path.substr(6))));
    return {};
}

ErrorOr<void> cmd_ptdump(Interpreter& in, std::span<const Value>) {
    if (!in.machine())
        return in.no_machine("ptdump");
    in.write(TRY(render_kernel_ptdump(*in.machine())));
    return {};
}

ErrorOr<void> cmd_walk(Interpreter& in, std::span<const Value> a) {
    if (!in.machine())
        return in.no_machine("walk");
    if (!a[0].is_int())
        return make_error(ErrorKind::Parse, "walk needs an address, not {}", type_name(a[0]));
    in.write(TRY(render_kernel_walk(*in.machine(), VirtAddr(a[0].bits))));
    return {};
}

} // namespace

void register_machine_commands(Registry& r) {
    r.add(CommandSpec{"cat", 1, 1, kAnywhere, "cat PATH", cmd_cat});
    r.add(CommandSpec{"ptdump", 0, 0, kAnywhere, "ptdump", cmd_ptdump});
    r.add(CommandSpec{"walk", 1, 1, kAnywhere, "walk ADDR", cmd_walk});
}

} // namespace kmemu::scenario
