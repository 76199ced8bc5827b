// Observation commands over a booted machine: what a student would look at on a real one —
// the kernel page tables (ptdump), one address's walk, /proc files (cat /proc/NAME).
#include <fmt/format.h>

#include "emu/procfs_iomem.h"
#include "emu/procfs_kallsyms.h"
#include "emu/procfs_meminfo.h"
#include "emu/procfs_mm.h"
#include "emu/procfs_slabinfo.h"
#include "emu/procfs_vmallocinfo.h"
#include "emu/ptdump.h"
#include "emu/scenario/interpreter.h"
#include "emu/scenario/registry.h"
#include "emu/walk_view.h"

namespace kmemu::scenario {

namespace {

ErrorOr<std::string> proc_text(Machine& m, std::string_view name) {
    if (name == "iomem")
        return render_proc_iomem(m.iomem(), true);
    if (name == "buddyinfo")
        return render_buddyinfo(m.page_allocator());
    if (name == "zoneinfo")
        return render_zoneinfo(m.page_allocator());
    if (name == "slabinfo")
        return render_slabinfo(m.kmalloc());
    if (name == "kallsyms")
        return render_kallsyms(m.symbols(), m.profile().kernel_image,
                               KallsymsReader{.cap_syslog = true});
    if (name == "vmallocinfo")
        return render_vmallocinfo(m.vmap_space());
    if (name == "meminfo")
        return render_meminfo(m);
    return make_error(ErrorKind::NotFound,
                      "no such file: /proc/{} (iomem, buddyinfo, zoneinfo, slabinfo, kallsyms, "
                      "vmallocinfo, meminfo)",
                      name);
}

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
    in.write(TRY(proc_text(*in.machine(), path.substr(6))));
    return {};
}

ErrorOr<void> cmd_ptdump(Interpreter& in, std::span<const Value>) {
    if (!in.machine())
        return in.no_machine("ptdump");
    Machine& m = *in.machine();
    auto& kpt = m.kernel_page_tables();
    in.write(TRY(
        render_ptdump(kpt.format(), kpt.table_memory(), kpt.mmu(), m.layout(), m.config().kernel)));
    return {};
}

ErrorOr<void> cmd_walk(Interpreter& in, std::span<const Value> a) {
    if (!in.machine())
        return in.no_machine("walk");
    if (!a[0].is_int())
        return make_error(ErrorKind::Parse, "walk needs an address, not {}", type_name(a[0]));
    auto& kpt = in.machine()->kernel_page_tables();
    // An inspection walk: looking sets no accessed bit.
    auto rec = TRY(paging::walk(kpt.format(), kpt.table_memory(), kpt.mmu(), VirtAddr(a[0].bits),
                                paging::Access{}, paging::WalkMode::Inspection));
    in.write(render_walk_text(kpt.format(), rec, kpt.mmu()));
    return {};
}

} // namespace

void register_machine_commands(Registry& r) {
    r.add(CommandSpec{"cat", 1, 1, kAnywhere, "cat PATH", cmd_cat});
    r.add(CommandSpec{"ptdump", 0, 0, kAnywhere, "ptdump", cmd_ptdump});
    r.add(CommandSpec{"walk", 1, 1, kAnywhere, "walk ADDR", cmd_walk});
}

} // namespace kmemu::scenario
