#include "emu/module/module_list.h"

#include <algorithm>

#include <fmt/format.h>

#include "devices/device_kernel.h"
#include "emu/kernel/kernel_scope.h"
#include "emu/kernel/kptr.h"
#include "emu/machine.h"
#include "mm/errno.h"

namespace kmemu {

namespace {

bool may_modify_modules(const Cred* caller) {
    // may_init_module / delete_module (2.6.x-6.x): capable(CAP_SYS_MODULE), else -EPERM.
    return !caller || caller->has_cap(CAP_SYS_MODULE);
}

// Runs module code as kernel code of `m`: the machine current for kptr, its DeviceKernel for
// drivers, no process (`current` is kernel context).
template <typename Fn>
auto as_kernel(Machine& m, Fn&& fn) {
    kernel::KernelScope scope(m);
    DeviceKernelScope dscope(m.devices().kernel(), nullptr);
    return fn();
}

std::string_view state_name(ModuleState s) {
    switch (s) {
    case ModuleState::Going:
        return "Unloading";
    case ModuleState::Coming:
        return "Loading";
    case ModuleState::Live:
        break;
    }
    return "Live";
}

} // namespace

const LoadedModule* ModuleList::find(std::string_view name) const {
    for (const auto& m : m_loaded)
        if (m.info->name == name)
            return &m;
    return nullptr;
}

int ModuleList::insmod(std::string_view name_in, const Cred* caller) {
    const std::string name = normalize_module_name(name_in);
    const ModuleInfo* info = ModuleCatalog::instance().find(name);
    if (!info)
        return -ENOENT;
    if (!may_modify_modules(caller))
        return -EPERM;
    // 2.6.x looks the name up before allocating (load_module: find_module -> -EEXIST); 3.7+
    // allocates first and frees again (add_unformed_module). kmemu checks first so a refused
    // load changes nothing.
    if (find(name))
        return -EEXIST;
    const VirtAddr core = m_machine.vmalloc().module_alloc(info->core_size);
    if (core.get() == 0)
        return -ENOMEM;
    // load_module zeroes the core before copying the sections in (move_module's memset).
    as_kernel(m_machine, [&] {
        kernel::kmemset(kernel::kptr<void>(core), 0, info->core_size);
        return 0;
    });
    // module_unload_init holds one reference while init runs; do_init_module drops it.
    m_loaded.push_back({info, core, info->core_size, ModuleState::Coming, 1});
    const int ret = info->init ? as_kernel(m_machine, [&] { return info->init(); }) : 0;
    auto it = std::find_if(m_loaded.begin(), m_loaded.end(),
                           [&](const LoadedModule& m) { return m.info == info; });
    if (ret < 0) {
        // do_init_module: a failed init unlinks the module and frees its memory.
        m_loaded.erase(it);
        m_machine.vmalloc().module_memfree(core);
        return ret;
    }
    // A positive return is "suspicious" but the module loads (the kernel's warning and
    // dump_stack are not modelled).
    it->state = ModuleState::Live;
    it->refcount = 0;
    return 0;
}

int ModuleList::rmmod(std::string_view name_in, const Cred* caller) {
    if (!may_modify_modules(caller))
        return -EPERM;
    const std::string name = normalize_module_name(name_in);
    auto it = std::find_if(m_loaded.begin(), m_loaded.end(),
                           [&](const LoadedModule& m) { return m.info->name == name; });
    if (it == m_loaded.end())
        return -ENOENT;
    // delete_module (2.6.x-6.x): only a Live module goes; one with init but no exit stays
    // unless forced (CONFIG_MODULE_FORCE_UNLOAD, not modelled); a held reference is
    // -EWOULDBLOCK under O_NONBLOCK.
    if (it->state != ModuleState::Live)
        return -EBUSY;
    if (it->info->init && !it->info->exit)
        return -EBUSY;
    if (it->refcount != 0)
        return -EWOULDBLOCK;
    it->state = ModuleState::Going;
    const ModuleInfo* info = it->info;
    if (info->exit)
        as_kernel(m_machine, [&] {
            info->exit();
            return 0;
        });
    // exit may not touch the list, but find the entry again rather than trust the iterator.
    it = std::find_if(m_loaded.begin(), m_loaded.end(),
                      [&](const LoadedModule& m) { return m.info == info; });
    const VirtAddr core = it->core;
    m_loaded.erase(it);
    m_machine.vmalloc().module_memfree(core);
    return 0;
}

std::string ModuleList::render_proc_modules(bool show_addresses) const {
    // m_show + print_unload_info (2.6.x-6.x): "%s %u", " %i ", the users ("-" when none, and
    // "[permanent]," for init without exit), " %s" state, " 0x%p" of the core (%pK from
    // 2.6.38, %px or NULL from 4.15): zero-padded to the word's width either way.
    const unsigned width = m_machine.profile().kernel_image.word_bytes * 2;
    std::string out;
    for (auto it = m_loaded.rbegin(); it != m_loaded.rend(); ++it) {
        const bool permanent = it->info->init && !it->info->exit;
        fmt::format_to(std::back_inserter(out), "{} {} {} {} {} 0x{:0{}x}\n", it->info->name,
                       it->core_size, it->refcount, permanent ? "[permanent]," : "-",
                       state_name(it->state), show_addresses ? it->core.get() : 0, width);
    }
    return out;
}

std::string ModuleList::render_lsmod() const {
    std::string out = "Module                  Size  Used by\n";
    for (auto it = m_loaded.rbegin(); it != m_loaded.rend(); ++it)
        fmt::format_to(std::back_inserter(out), "{:<19} {:>8}  {}\n", it->info->name, it->core_size,
                       it->refcount);
    return out;
}

} // namespace kmemu
