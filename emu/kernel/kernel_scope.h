// KernelScope: "the current machine" for kernel-side code on this thread (DESIGN.md decision
// 10), like the kernel's `current`. The only state is one thread-local pointer; scopes nest and
// restore the previous machine when they end, so code running for machine A can briefly act on
// machine B.
#pragma once

#include <stdexcept>

namespace kmemu {
class Machine;
}

namespace kmemu::kernel {

// Thrown when kernel-side code runs with no KernelScope active (a usage error of the API).
class NoCurrentMachine : public std::logic_error {
  public:
    NoCurrentMachine()
        : std::logic_error("kernel API used outside a KernelScope (no current machine)") {}
};

class KernelScope {
  public:
    explicit KernelScope(Machine& machine);
    ~KernelScope();
    KernelScope(const KernelScope&) = delete;
    KernelScope& operator=(const KernelScope&) = delete;

    // The innermost scope's machine, or nullptr.
    [[nodiscard]] static Machine* current() noexcept;
    // The same, throwing NoCurrentMachine when there is none.
    [[nodiscard]] static Machine& current_machine();

  private:
    Machine* m_previous;
};

} // namespace kmemu::kernel
