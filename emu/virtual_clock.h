// VirtualClock: the machine's time since boot in nanoseconds (DESIGN.md decision 8: no host
// time). It only moves when told to (tests, scenario scripts, later syscalls and printk);
// observers run after each advance, in registration order (the machine keeps jiffies_64 in
// the kernel image current this way).
#pragma once

#include <functional>
#include <vector>

#include "mm/error.h"
#include "mm/types.h"

namespace kmemu {

class VirtualClock {
  public:
    using Observer = std::function<void(u64 now_ns)>;

    [[nodiscard]] u64 now_ns() const { return m_now_ns; }
    // Move time forward; refuses to wrap the 64-bit nanosecond counter (584 years).
    ErrorOr<void> advance_ns(u64 delta_ns);
    void on_advance(Observer observer) { m_observers.push_back(std::move(observer)); }

  private:
    u64 m_now_ns = 0;
    std::vector<Observer> m_observers;
};

} // namespace kmemu
