// What a user-mode access that the fault path cannot resolve gives the process: a signal with
// its si_code and si_addr, as a value (kernel-semantics §4.4; DESIGN.md decision 4). The numbers
// are the host's <signal.h> names, which on a Linux host are the kernel's (asserted below).
#pragma once

#include <csignal>
#include <optional>
#include <string>
#include <variant>

#include "mm/types.h"

static_assert(SIGBUS == 7 && SIGKILL == 9 && SIGSEGV == 11, "kmemu needs the Linux signal numbers");
static_assert(SEGV_MAPERR == 1 && SEGV_ACCERR == 2 && BUS_ADRERR == 2 && BUS_MCEERR_AR == 4 &&
                  SI_KERNEL == 0x80,
              "kmemu needs the Linux si_code values");

namespace kmemu {

struct UserSignal {
    int signo = SIGSEGV;
    int code = SEGV_MAPERR; // si_code
    VirtAddr addr;          // si_addr: the faulting address (0 for x86's #GP, SI_KERNEL)
    bool operator==(const UserSignal&) const = default;
    // "SIGSEGV (SEGV_MAPERR) at 0x7ffff7ffe000"
    [[nodiscard]] std::string describe() const;
};

[[nodiscard]] inline UserSignal sigsegv_maperr(VirtAddr a) {
    return {SIGSEGV, SEGV_MAPERR, a};
}
[[nodiscard]] inline UserSignal sigsegv_accerr(VirtAddr a) {
    return {SIGSEGV, SEGV_ACCERR, a};
}
[[nodiscard]] inline UserSignal sigbus_adrerr(VirtAddr a) {
    return {SIGBUS, BUS_ADRERR, a};
}

// A user load's value, or the signal it raised.
template <typename T>
class [[nodiscard]] UserResult {
  public:
    UserResult(T value) : m_v(std::in_place_index<0>, value) {}         // NOLINT
    UserResult(const UserSignal& s) : m_v(std::in_place_index<1>, s) {} // NOLINT
    [[nodiscard]] bool ok() const { return m_v.index() == 0; }
    [[nodiscard]] T value() const { return ok() ? std::get<0>(m_v) : T{}; }
    [[nodiscard]] std::optional<UserSignal> signal() const {
        return ok() ? std::nullopt : std::optional<UserSignal>(std::get<1>(m_v));
    }

  private:
    std::variant<T, UserSignal> m_v;
};

template <>
class [[nodiscard]] UserResult<void> {
  public:
    UserResult() = default;
    UserResult(const UserSignal& s) : m_signal(s) {} // NOLINT
    [[nodiscard]] bool ok() const { return !m_signal.has_value(); }
    [[nodiscard]] std::optional<UserSignal> signal() const { return m_signal; }

  private:
    std::optional<UserSignal> m_signal;
};

// A bulk user access (a user-space memcpy): the bytes moved before the signal, if any.
struct [[nodiscard]] UserBulkResult {
    u64 bytes_done = 0;
    std::optional<UserSignal> signal;
    [[nodiscard]] bool ok() const { return !signal.has_value(); }
};

} // namespace kmemu
