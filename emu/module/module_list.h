// The modules loaded into one machine (the kernel's `modules` list, kernel/module.c): insmod
// and rmmod as init_module / delete_module do them, and /proc/modules. Each Machine owns one;
// nothing is shared between machines (DESIGN.md decision 10).
//
// What a load does here: the module's core is allocated with the machine's module_alloc (so it
// has a real address in [MODULES_VADDR, MODULES_END)), zeroed, and init runs as kernel code.
// Not modelled: the temporary vmalloc copy of the .ko image and the init sections (separate
// module_alloc areas freed after init), taints ("(O)" for out-of-tree modules, "(P)"), module
// parameters, symbol resolution, and references between modules (the deps column is "-").
// Machine teardown runs no exit functions: the machine's memory goes away with it.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "devices/vfs/cred.h"
#include "emu/module/module_catalog.h"
#include "mm/types.h"

namespace kmemu {

class Machine;

inline constexpr int CAP_SYS_MODULE = 16; // include/uapi/linux/capability.h

// enum module_state: MODULE_STATE_LIVE, _COMING (init running), _GOING (exit running).
enum class ModuleState { Live, Coming, Going };

struct LoadedModule {
    const ModuleInfo* info = nullptr;
    VirtAddr core;     // mod->module_core / core_layout.base / mem[MOD_TEXT].base
    u64 core_size = 0; // what /proc/modules and lsmod show
    ModuleState state = ModuleState::Coming;
    int refcount = 0; // module_refcount()
};

class ModuleList {
  public:
    explicit ModuleList(Machine& machine) : m_machine(machine) {}
    ModuleList(const ModuleList&) = delete;
    ModuleList& operator=(const ModuleList&) = delete;

    // init_module of a catalog module. `caller` is the credentials of the task making the
    // call (nullptr: kernel context, every capability). Returns 0 or -errno:
    //   -ENOENT  no such module in the catalog (the .ko file is not there)
    //   -EPERM   no CAP_SYS_MODULE (may_init_module)
    //   -EEXIST  a module of that name is loaded (or loading)
    //   -ENOMEM  module_alloc failed
    //   init's negative return: the module is unlinked and its core freed.
    // A KernelOops in init propagates, and the module stays listed "Loading" (refcount 1), as
    // a module whose init oopsed stays on a real kernel.
    [[nodiscard]] int insmod(std::string_view name, const Cred* caller = nullptr);
    // delete_module(name, O_NONBLOCK): 0 or -errno: -EPERM (no CAP_SYS_MODULE), -ENOENT (not
    // loaded), -EBUSY (not Live, or has an init but no exit: [permanent]). A KernelOops in exit
    // propagates and the module stays "Unloading".
    [[nodiscard]] int rmmod(std::string_view name, const Cred* caller = nullptr);

    // In load order (oldest first).
    [[nodiscard]] const std::vector<LoadedModule>& loaded() const { return m_loaded; }
    [[nodiscard]] const LoadedModule* find(std::string_view name) const;

    // /proc/modules as m_show prints it: newest first (load_module adds at the list head),
    // "name size refcnt deps state 0xaddress". With show_addresses false the address is zeros.
    [[nodiscard]] std::string render_proc_modules(bool show_addresses) const;
    // lsmod's output (kmod tools/lsmod.c): the header, then "%-19s %8ld  %d" per module.
    [[nodiscard]] std::string render_lsmod() const;

  private:
    Machine& m_machine;
    std::vector<LoadedModule> m_loaded;
};

} // namespace kmemu
