#include "emu/scenario/registry.h"

namespace kmemu::scenario {

std::string where_names(unsigned where) {
    std::string out;
    auto add = [&](const char* s) {
        if (!out.empty())
            out += " or ";
        out += s;
    };
    if (where & kTop)
        add("the top level");
    if (where & kKernel)
        add("kernel blocks");
    if (where & kProcess)
        add("process blocks");
    return out;
}

// A later registration of a name replaces an earlier one, so an implementation replaces the
// planned placeholder of the same name.
void Registry::add(FunctionSpec spec) {
    std::string name = spec.name;
    m_functions.insert_or_assign(std::move(name), std::move(spec));
}
void Registry::add(CommandSpec spec) {
    std::string name = spec.name;
    m_commands.insert_or_assign(std::move(name), std::move(spec));
}
void Registry::add(ConstantSpec spec) {
    std::string name = spec.name;
    m_constants.insert_or_assign(std::move(name), std::move(spec));
}
void Registry::add_constant(std::string name, i64 value) {
    add(ConstantSpec{
        name, [value](const Interpreter&) -> ErrorOr<Value> { return Value::integer(value); }});
}

const FunctionSpec* Registry::function(std::string_view name) const {
    auto it = m_functions.find(name);
    return it == m_functions.end() ? nullptr : &it->second;
}
const CommandSpec* Registry::command(std::string_view name) const {
    auto it = m_commands.find(name);
    return it == m_commands.end() ? nullptr : &it->second;
}
const ConstantSpec* Registry::constant(std::string_view name) const {
    auto it = m_constants.find(name);
    return it == m_constants.end() ? nullptr : &it->second;
}

const Registry& standard_registry() {
    static const Registry registry = [] {
        Registry r;
        register_planned_names(r);
        register_core_functions(r);
        register_core_commands(r);
        register_machine_commands(r);
        register_kernel_functions(r);
        register_process_functions(r);
        register_module_commands(r);
        register_layout_constants(r);
        register_uapi_constants(r);
        return r;
    }();
    return registry;
}

} // namespace kmemu::scenario
