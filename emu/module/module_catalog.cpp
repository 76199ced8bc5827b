#include "emu/module/module_catalog.h"

#include <algorithm>

namespace kmemu {

ModuleCatalog& ModuleCatalog::instance() {
    static ModuleCatalog catalog;
    return catalog;
}

namespace {

bool valid_name(std::string_view name) {
    if (name.empty() || name.size() >= kModuleNameLen)
        return false;
    return std::all_of(name.begin(), name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '_';
    });
}

} // namespace

bool ModuleCatalog::add(ModuleInfo info) {
    if (!valid_name(info.name) || find(info.name))
        return false;
    m_modules.push_back(std::move(info));
    return true;
}

const ModuleInfo* ModuleCatalog::find(std::string_view name) const {
    for (const auto& m : m_modules)
        if (m.name == name)
            return &m;
    return nullptr;
}

std::vector<const ModuleInfo*> ModuleCatalog::all() const {
    std::vector<const ModuleInfo*> out;
    for (const auto& m : m_modules)
        out.push_back(&m);
    std::sort(out.begin(), out.end(),
              [](const ModuleInfo* a, const ModuleInfo* b) { return a->name < b->name; });
    return out;
}

std::string normalize_module_name(std::string_view name) {
    if (auto slash = name.rfind('/'); slash != std::string_view::npos)
        name.remove_prefix(slash + 1);
    if (name.size() > 3 && name.substr(name.size() - 3) == ".ko")
        name.remove_suffix(3);
    std::string out(name);
    std::replace(out.begin(), out.end(), '-', '_');
    return out;
}

ModuleRegistrar::ModuleRegistrar(ModuleInfo info) {
    (void)ModuleCatalog::instance().add(std::move(info));
}

} // namespace kmemu
