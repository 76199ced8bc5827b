// The core functions and observation commands of the scenario language, and the names that
// later parts of kmemu implement (registered as planned, so using them is a clear error).
#include <fmt/format.h>

#include <fstream>

#include "emu/scenario/interpreter.h"
#include "emu/scenario/printf.h"
#include "emu/scenario/registry.h"
#include "emu/svg/layout_svg.h"

namespace kmemu::scenario {

namespace {

ErrorOr<i64> int_arg(std::span<const Value> args, size_t i, std::string_view what) {
    if (!args[i].is_int())
        return make_error(ErrorKind::Parse, "{} must be an integer, not {}", what,
                          type_name(args[i]));
    return args[i].as_signed();
}

ErrorOr<Value> fn_len(Interpreter&, std::span<const Value> a) {
    if (!a[0].is_bytes())
        return make_error(ErrorKind::Parse, "len needs bytes, not {}", type_name(a[0]));
    return Value::integer(static_cast<i64>(a[0].bytes.size()));
}

ErrorOr<Value> fn_bytes(Interpreter&, std::span<const Value> a) {
    i64 n = TRY(int_arg(a, 0, "the length"));
    i64 v = a.size() > 1 ? TRY(int_arg(a, 1, "the byte value")) : 0;
    if (n < 0 || static_cast<u64>(n) > kMaxBytesValue)
        return make_error(ErrorKind::Parse, "length {} is out of range (0 to {})", n,
                          kMaxBytesValue);
    if (v < 0 || v > 255)
        return make_error(ErrorKind::Parse, "byte value {} is out of range (0 to 255)", v);
    return Value::of_bytes(std::string(static_cast<size_t>(n), static_cast<char>(v)));
}

ErrorOr<Value> fn_printf(Interpreter& in, std::span<const Value> a) {
    if (!a[0].is_bytes())
        return make_error(ErrorKind::Parse, "the format must be a string, not {}", type_name(a[0]));
    std::string text = TRY(format_printf(a[0].bytes, a.subspan(1), in.word_bits()));
    in.write(text);
    return Value::integer(static_cast<i64>(text.size()));
}

ErrorOr<Value> fn_minmax(std::span<const Value> a, bool want_max) {
    for (const auto& v : a)
        if (!v.is_int())
            return make_error(ErrorKind::Parse, "needs integers, not {}", type_name(v));
    const bool unsigned_cmp = a[0].address || a[1].address;
    bool a_less = unsigned_cmp ? a[0].bits < a[1].bits : a[0].as_signed() < a[1].as_signed();
    return a_less == want_max ? a[1] : a[0];
}

// PAGE_ALIGN(x): round up to the machine's page size (include/linux/mm.h).
ErrorOr<Value> fn_page_align(Interpreter& in, std::span<const Value> a) {
    if (!in.machine())
        return in.no_machine("PAGE_ALIGN");
    if (!a[0].is_int())
        return make_error(ErrorKind::Parse, "needs an integer, not {}", type_name(a[0]));
    u64 ps = in.machine()->layout().page_size();
    return Value{Value::Type::Int, align_up(a[0].bits, ps), a[0].address, {}};
}

// kallsyms_lookup_name(name): the symbol's address as /proc/kallsyms lists it for root, 0 when
// there is no such symbol.
ErrorOr<Value> fn_kallsyms_lookup_name(Interpreter& in, std::span<const Value> a) {
    if (!a[0].is_bytes())
        return make_error(ErrorKind::Parse, "kallsyms_lookup_name needs a name, not {}",
                          type_name(a[0]));
    if (!in.machine())
        return in.no_machine("kallsyms_lookup_name");
    const KernelSymbol* s = in.machine()->symbols().find(a[0].bytes);
    return Value::addr(s ? s->address.get() : 0);
}

ErrorOr<Value> fn_getuid(Interpreter& in, std::span<const Value>) {
    return Value::unsigned_integer(in.current_process()->uid);
}
ErrorOr<Value> fn_getgid(Interpreter& in, std::span<const Value>) {
    return Value::unsigned_integer(in.current_process()->gid);
}

// layout, or layout svg "FILE": the picture of the address space with the vmalloc areas the
// script made so far.
ErrorOr<void> cmd_layout(Interpreter& in, std::span<const Value> a) {
    if (!in.machine())
        return in.no_machine("layout");
    if (!a.empty()) {
        if (a.size() != 2 || !a[0].is_bytes() || a[0].bytes != "svg" || !a[1].is_bytes())
            return make_error(ErrorKind::Parse, "layout takes nothing, or svg \"FILE\"");
        std::vector<NamedRegion> areas;
        for (const VmArea* v : in.machine()->vmap_space().areas())
            areas.push_back({v->caller.empty() ? "area" : v->caller, v->addr, v->end()});
        Machine& m = *in.machine();
        std::string title =
            fmt::format("{} {}", arch_name(m.config().arch), m.config().kernel.to_string());
        TRY(write_text_file(a[1].bytes, render_layout_svg(m.layout(), title, areas)));
        in.write(fmt::format("wrote {}\n", a[1].bytes));
        return {};
    }
    // As the boot log shows it: the "Memory:" line, then the layout block.
    in.write(in.machine()->memory_line() + in.machine()->layout_block());
    return {};
}

} // namespace

ErrorOr<void> write_text_file(const std::string& path, std::string_view text) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out)
        return make_error(ErrorKind::Io, "cannot write '{}'", path);
    return {};
}

void register_core_functions(Registry& r) {
    r.add(FunctionSpec{"len", 1, 1, kAnywhere, "len(bytes)", fn_len});
    r.add(FunctionSpec{"bytes", 1, 2, kAnywhere, "bytes(n, value)", fn_bytes});
    r.add(FunctionSpec{"printf", 1, kVariadic, kAnywhere, "printf(format, ...)", fn_printf});
    r.add(FunctionSpec{"min", 2, 2, kAnywhere, "min(a, b)",
                       [](Interpreter&, std::span<const Value> a) { return fn_minmax(a, false); }});
    r.add(FunctionSpec{"max", 2, 2, kAnywhere, "max(a, b)",
                       [](Interpreter&, std::span<const Value> a) { return fn_minmax(a, true); }});
    r.add(FunctionSpec{"PAGE_ALIGN", 1, 1, kAnywhere, "PAGE_ALIGN(x)", fn_page_align});
    r.add(FunctionSpec{"kallsyms_lookup_name", 1, 1, kAnywhere, "kallsyms_lookup_name(name)",
                       fn_kallsyms_lookup_name});
    r.add(FunctionSpec{"getuid", 0, 0, kProcess, "getuid()", fn_getuid});
    r.add(FunctionSpec{"getgid", 0, 0, kProcess, "getgid()", fn_getgid});
}

void register_core_commands(Registry& r) {
    r.add(CommandSpec{"layout", 0, 2, kAnywhere, "layout [svg \"FILE\"]", cmd_layout});
}

void register_planned_names(Registry& r) {
    // Kernel actions (kernel { } blocks).
    for (auto [name, lo, hi, sig] :
         std::initializer_list<std::tuple<const char*, unsigned, unsigned, const char*>>{
             {"vmalloc", 1, 1, "vmalloc(size)"},
             {"vfree", 1, 1, "vfree(addr)"},
             {"kmalloc", 1, 2, "kmalloc(size, flags)"},
             {"kfree", 1, 1, "kfree(addr)"},
             {"alloc_pages", 1, 2, "alloc_pages(order, flags)"},
             {"printk", 1, kVariadic, "printk(format, ...)"},
         })
        r.add(FunctionSpec{name, lo, hi, kKernel, sig, {}});
    // System calls (process { } blocks).
    for (auto [name, lo, hi, sig] :
         std::initializer_list<std::tuple<const char*, unsigned, unsigned, const char*>>{
             {"open", 2, 2, "open(path, flags)"},
             {"close", 1, 1, "close(fd)"},
             {"read", 2, 2, "read(fd, count)"},
             {"write", 2, 2, "write(fd, bytes)"},
             {"lseek", 3, 3, "lseek(fd, offset, whence)"},
             {"mmap", 6, 6, "mmap(addr, length, prot, flags, fd, offset)"},
             {"munmap", 2, 2, "munmap(addr, length)"},
         })
        r.add(FunctionSpec{name, lo, hi, kProcess, sig, {}});
    // Observation commands.
    r.add(CommandSpec{"dmesg", 0, 0, kAnywhere, "dmesg", {}});
    r.add(CommandSpec{"cat", 1, 1, kAnywhere, "cat PATH", {}});
    r.add(CommandSpec{"hexdump", 3, 3, kAnywhere, "hexdump PATH OFFSET LEN", {}});
    r.add(CommandSpec{"walk", 1, 1, kAnywhere, "walk ADDR", {}});
}

} // namespace kmemu::scenario
