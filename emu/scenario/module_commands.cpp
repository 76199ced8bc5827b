// insmod, rmmod and lsmod as kmod's tools do them (tools/insmod.c, rmmod.c, lsmod.c), over the
// machine's ModuleList. The caller is the current process block's process (its credentials
// decide CAP_SYS_MODULE), or root at the top level and in kernel blocks. A failure prints the
// tool's message and is a value, not a script error: `insmod NAME` sets `errno`, and the
// function forms `insmod("NAME")` / `rmmod("NAME")` return 0 or -errno. An oops in the
// module's init or exit is printed and stops the script, as other kernel code's oopses do.
#include <fmt/format.h>

#include "emu/kernel/oops.h"
#include "emu/scenario/interpreter.h"
#include "emu/scenario/registry.h"
#include "emu/scenario/strerror.h"
#include "mm/errno.h"

namespace kmemu::scenario {

namespace {

// mod_strerror of kmod's insmod: the kernel's init_module errnos in module words.
std::string_view mod_strerror(long err) {
    switch (err) {
    case ENOEXEC:
        return "Invalid module format";
    case ENOENT:
        return "Unknown symbol in module";
    case ESRCH:
        return "Module has wrong symbol version";
    case EINVAL:
        return "Invalid parameters";
    default:
        return strerror_text(err);
    }
}

const Cred* caller_cred(Interpreter& in) {
    ScriptProcess* p = in.current_process();
    return (in.where() == kProcess && p && p->proc) ? &p->proc->cred() : nullptr;
}

ErrorOr<std::string> module_arg(std::span<const Value> a, std::string_view tool) {
    if (!a[0].is_bytes() || a[0].bytes.empty())
        return make_error(ErrorKind::Parse, "{} needs a module name, not {}", tool,
                          type_name(a[0]));
    return a[0].bytes;
}

// Runs a ModuleList call; an oops is printed and becomes a script error.
template <typename Fn>
ErrorOr<int> run_module_code(Interpreter& in, Fn&& fn) {
    try {
        return fn(in.machine()->modules());
    } catch (const kernel::KernelOops& oops) {
        in.write(oops.text());
        return make_error(ErrorKind::Internal, "kernel oops at {:#x} (printed above)",
                          oops.address().get());
    }
}

// 0 or -errno; the failure is printed and sets errno.
ErrorOr<int> do_insmod(Interpreter& in, std::span<const Value> a) {
    if (!in.machine())
        return in.no_machine("insmod");
    const std::string arg = TRY(module_arg(a, "insmod"));
    int r = 0;
    if (!ModuleCatalog::instance().find(normalize_module_name(arg))) {
        // kmod_module_new_from_path fails before any system call: no such file.
        r = -ENOENT;
        in.write(fmt::format("insmod: ERROR: could not load module {}: {}\n", arg,
                             strerror_text(ENOENT)));
    } else {
        const Cred* cred = caller_cred(in);
        r = TRY(run_module_code(in, [&](ModuleList& l) { return l.insmod(arg, cred); }));
        if (r < 0)
            in.write(fmt::format("insmod: ERROR: could not insert module {}: {}\n", arg,
                                 mod_strerror(-r)));
    }
    if (r < 0)
        in.set_variable("errno", Value::integer(-r));
    return r;
}

ErrorOr<int> do_rmmod(Interpreter& in, std::span<const Value> a) {
    if (!in.machine())
        return in.no_machine("rmmod");
    const std::string arg = TRY(module_arg(a, "rmmod"));
    const std::string name = normalize_module_name(arg);
    int r = 0;
    // check_module_inuse reads /sys/module/NAME first: not loaded, or a reference held, is
    // reported without calling delete_module.
    const LoadedModule* m = in.machine()->modules().find(name);
    if (!m) {
        r = -ENOENT;
        in.write(fmt::format("rmmod: ERROR: Module {} is not currently loaded\n", name));
    } else if (m->refcount != 0) {
        r = -EBUSY;
        in.write(fmt::format("rmmod: ERROR: Module {} is in use\n", name));
    } else {
        const Cred* cred = caller_cred(in);
        r = TRY(run_module_code(in, [&](ModuleList& l) { return l.rmmod(arg, cred); }));
        if (r < 0)
            in.write(fmt::format("rmmod: ERROR: could not remove module {}: {}\n", arg,
                                 strerror_text(-r)));
    }
    if (r < 0)
        in.set_variable("errno", Value::integer(-r));
    return r;
}

ErrorOr<void> cmd_lsmod(Interpreter& in, std::span<const Value>) {
    if (!in.machine())
        return in.no_machine("lsmod");
    in.write(in.machine()->modules().render_lsmod());
    return {};
}

} // namespace

void register_module_commands(Registry& r) {
    r.add(CommandSpec{"insmod", 1, 1, kAnywhere, "insmod NAME",
                      [](Interpreter& in, std::span<const Value> a) -> ErrorOr<void> {
                          TRY(do_insmod(in, a));
                          return {};
                      }});
    r.add(CommandSpec{"rmmod", 1, 1, kAnywhere, "rmmod NAME",
                      [](Interpreter& in, std::span<const Value> a) -> ErrorOr<void> {
                          TRY(do_rmmod(in, a));
                          return {};
                      }});
    r.add(CommandSpec{"lsmod", 0, 0, kAnywhere, "lsmod", cmd_lsmod});
    r.add(FunctionSpec{"insmod", 1, 1, kAnywhere, "insmod(name)",
                       [](Interpreter& in, std::span<const Value> a) -> ErrorOr<Value> {
                           return Value::integer(TRY(do_insmod(in, a)));
                       }});
    r.add(FunctionSpec{"rmmod", 1, 1, kAnywhere, "rmmod(name)",
                       [](Interpreter& in, std::span<const Value> a) -> ErrorOr<Value> {
                           return Value::integer(TRY(do_rmmod(in, a)));
                       }});
}

} // namespace kmemu::scenario
