// The module catalog: the modules "installed" in this build (what `insmod NAME` can load), as
// /lib/modules is on a real machine. Driver sources register themselves with KMEMU_MODULE; the
// catalog is immutable data shared by every machine of the process (what is *loaded* is per
// machine: ModuleList, emu/module/module_list.h).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "mm/types.h"

namespace kmemu {

// A module as its .ko describes it: module_init / module_exit and the size of its core (text,
// data and bss: mod->core_size, later core_layout.size / the sum of mod->mem[]), which is what
// load_module allocates with module_alloc and /proc/modules shows.
struct ModuleInfo {
    std::string name;         // KBUILD_MODNAME: underscores, at most MODULE_NAME_LEN - 1 bytes
    std::string description;  // MODULE_DESCRIPTION
    int (*init)() = nullptr;  // module_init: 0 or -errno; nullptr: none (init succeeds)
    void (*exit)() = nullptr; // module_exit; nullptr: the module cannot be unloaded
    u64 core_size = 0;
};

// The size a small lab module's core takes when KMEMU_MODULE does not say: four pages, what a
// one-file lab module's page-aligned core layout comes to on x86_64 (lsmod shows 16384).
inline constexpr u64 kDefaultModuleCoreSize = 16384;

// MODULE_NAME_LEN (64 - sizeof(unsigned long)) on 64-bit kernels; names are checked against the
// smaller 64-bit value so a catalog name fits every arch.
inline constexpr size_t kModuleNameLen = 56;

class ModuleCatalog {
  public:
    // The process-wide catalog (a function-local static: registrars in other translation units
    // may run before any code of this one).
    [[nodiscard]] static ModuleCatalog& instance();

    // Adds a module; a second module of the same name, an empty or too long name, or a name
    // with characters other than [A-Za-z0-9_] is a build mistake and is refused (false).
    bool add(ModuleInfo info);
    [[nodiscard]] const ModuleInfo* find(std::string_view name) const;
    // Every module, sorted by name.
    [[nodiscard]] std::vector<const ModuleInfo*> all() const;

  private:
    ModuleCatalog() = default;
    std::vector<ModuleInfo> m_modules;
};

// modname normalisation as kmod does it (kmod_module_new_from_name, modname_normalize): '-'
// is '_'; of a file name (dir/name.ko) the base name without ".ko" is kept.
[[nodiscard]] std::string normalize_module_name(std::string_view name);

// The static registrar behind KMEMU_MODULE.
struct ModuleRegistrar {
    explicit ModuleRegistrar(ModuleInfo info);
};

} // namespace kmemu

// Registers a module with the catalog from a driver source file, e.g.
//   KMEMU_MODULE(vmalloc_print, "vmalloc a buffer and print its address", vp_init, vp_exit)
// The name is a C identifier, as KBUILD_MODNAME is. exit may be nullptr (a module without
// module_exit cannot be removed, and /proc/modules shows it "[permanent]").
#define KMEMU_MODULE(name, description, init, exit)                                                \
    KMEMU_MODULE_SIZED(name, description, init, exit, ::kmemu::kDefaultModuleCoreSize)
#define KMEMU_MODULE_SIZED(name, description, init, exit, core_size)                               \
    static const ::kmemu::ModuleRegistrar kmemu_module_registrar_##name(                           \
        ::kmemu::ModuleInfo{#name, description, init, exit, core_size})
