#include "devices/device_kernel.h"

namespace kmemu {

namespace {
thread_local DeviceKernel* t_kernel = nullptr;
thread_local Task* t_task = nullptr;
} // namespace

DeviceKernelScope::DeviceKernelScope(DeviceKernel& kernel, Task* task)
    : m_prev_kernel(t_kernel), m_prev_task(t_task) {
    t_kernel = &kernel;
    t_task = task;
}

DeviceKernelScope::~DeviceKernelScope() {
    t_kernel = m_prev_kernel;
    t_task = m_prev_task;
}

DeviceKernel& current_kernel() {
    if (!t_kernel)
        throw NoCurrentKernel();
    return *t_kernel;
}

DeviceKernel* current_kernel_or_null() noexcept {
    return t_kernel;
}
Task* current_task() noexcept {
    return t_task;
}

bool capable(int cap) {
    return !t_task || t_task->cred.has_cap(cap);
}
bool signal_pending_current() {
    return t_task && t_task->signal_pending;
}
bool fatal_signal_pending_current() {
    return t_task && t_task->fatal_signal_pending;
}

} // namespace kmemu
