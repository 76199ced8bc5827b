#include "emu/kernel/kernel_scope.h"

namespace kmemu::kernel {

namespace {
thread_local Machine* t_current = nullptr;
}

KernelScope::KernelScope(Machine& machine) : m_previous(t_current) {
    t_current = &machine;
}

KernelScope::~KernelScope() {
    t_current = m_previous;
}

Machine* KernelScope::current() noexcept {
    return t_current;
}

Machine& KernelScope::current_machine() {
    if (!t_current)
        throw NoCurrentMachine();
    return *t_current;
}

} // namespace kmemu::kernel
