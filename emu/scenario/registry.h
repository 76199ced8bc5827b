// The names a script can use besides its own variables: functions (vmalloc, printf, len),
// observation commands (layout, dmesg, cat PATH) and constants (PAGE_OFFSET, O_RDWR, EFAULT).
// Later parts of kmemu add theirs here (one register_*() call in standard_registry()); the
// parser never needs to know them.
#pragma once

#include <functional>
#include <map>
#include <span>
#include <string>

#include "emu/scenario/value.h"
#include "mm/error.h"

namespace kmemu::scenario {

class Interpreter;

// Where a function or command may be used: at the top level of a script, inside `kernel { }`,
// inside `process { }`. A bit set.
enum Where : unsigned { kTop = 1, kKernel = 2, kProcess = 4, kAnywhere = 7 };
[[nodiscard]] std::string where_names(unsigned where); // "kernel or process blocks"

// An implementation returns a Value or an Error whose message is shown at the call's line:col.
using FunctionImpl = std::function<ErrorOr<Value>(Interpreter&, std::span<const Value>)>;
// Command arguments: a bare path arrives as bytes; an expression as its value.
using CommandImpl = std::function<ErrorOr<void>(Interpreter&, std::span<const Value>)>;
using ConstantImpl = std::function<ErrorOr<Value>(const Interpreter&)>;

struct FunctionSpec {
    std::string name;
    unsigned min_args = 0;
    unsigned max_args = 0; // kVariadic: no upper bound
    unsigned where = kAnywhere;
    std::string signature; // for messages and docs: "vmalloc(size)"
    FunctionImpl impl;     // empty: named but not implemented yet (a script error to call)
};

struct CommandSpec {
    std::string name;
    unsigned min_args = 0;
    unsigned max_args = 0;
    unsigned where = kAnywhere;
    std::string signature; // "hexdump PATH OFFSET LEN"
    CommandImpl impl;      // empty: planned
};

struct ConstantSpec {
    std::string name;
    ConstantImpl impl;
};

constexpr unsigned kVariadic = ~0u;

class Registry {
  public:
    void add(FunctionSpec spec);
    void add(CommandSpec spec);
    void add(ConstantSpec spec);
    // A constant with a fixed plain integer value (flag and errno names).
    void add_constant(std::string name, i64 value);

    [[nodiscard]] const FunctionSpec* function(std::string_view name) const;
    [[nodiscard]] const CommandSpec* command(std::string_view name) const;
    [[nodiscard]] const ConstantSpec* constant(std::string_view name) const;

    [[nodiscard]] const std::map<std::string, FunctionSpec, std::less<>>& functions() const {
        return m_functions;
    }
    [[nodiscard]] const std::map<std::string, CommandSpec, std::less<>>& commands() const {
        return m_commands;
    }

  private:
    std::map<std::string, FunctionSpec, std::less<>> m_functions;
    std::map<std::string, CommandSpec, std::less<>> m_commands;
    std::map<std::string, ConstantSpec, std::less<>> m_constants;
};

// Writes a picture or other output a script asked for; an error names the file.
[[nodiscard]] ErrorOr<void> write_text_file(const std::string& path, std::string_view text);

// Everything kmemu provides, built once.
[[nodiscard]] const Registry& standard_registry();

// The parts of the standard registry, each in its own file.
void register_core_functions(Registry& r);   // builtins.cpp
void register_core_commands(Registry& r);    // builtins.cpp
void register_layout_constants(Registry& r); // constants.cpp
void register_uapi_constants(Registry& r);   // constants.cpp: O_*, SEEK_*, PROT_*, MAP_*, E*, CAP_*
void register_machine_commands(Registry& r); // machine_commands.cpp: cat, ptdump, walk
void register_kernel_functions(Registry& r); // kernel_functions.cpp: vmalloc, kmalloc, ...
void register_process_functions(Registry& r); // process_functions.cpp: syscalls, malloc
void register_planned_names(Registry& r);     // builtins.cpp: names later parts implement
void register_module_commands(Registry& r);   // module_commands.cpp: insmod, rmmod, lsmod

} // namespace kmemu::scenario
