#include "emu/virtual_clock.h"

namespace kmemu {

ErrorOr<void> VirtualClock::advance_ns(u64 delta_ns) {
    if (delta_ns > ~u64{0} - m_now_ns)
        return make_error(ErrorKind::InvalidConfig,
                          "cannot advance the virtual clock by {} ns from {} ns: the nanosecond "
                          "counter would wrap (at most {} ns more)",
                          delta_ns, m_now_ns, ~u64{0} - m_now_ns);
    m_now_ns += delta_ns;
    for (const auto& o : m_observers)
        o(m_now_ns);
    return {};
}

} // namespace kmemu
