// Errors are values (DESIGN.md decision 7, lesson 6): library calls return ErrorOr<T>, and TRY
// passes an error up. Kernel-facing calls speak negative errno instead, at that boundary only.
#pragma once

#include <string>
#include <utility>
#include <variant>

#include <fmt/format.h>

namespace kmemu {

enum class ErrorKind {
    InvalidConfig, // a configuration word or field is wrong
    Parse,         // an input file or text could not be parsed
    NoMemory,      // the emulated machine ran out of something
    NotFound,
    Io, // the host refused something (a file, a memfd)
    Internal,
};

class [[nodiscard]] Error {
  public:
    Error(ErrorKind kind, std::string message) : m_kind(kind), m_message(std::move(message)) {}
    [[nodiscard]] ErrorKind kind() const { return m_kind; }
    [[nodiscard]] const std::string& message() const { return m_message; }

  private:
    ErrorKind m_kind;
    std::string m_message;
};

template <typename... Args>
[[nodiscard]] Error make_error(ErrorKind kind, fmt::format_string<Args...> f, Args&&... args) {
    return Error(kind, fmt::format(f, std::forward<Args>(args)...));
}

template <typename T>
class [[nodiscard]] ErrorOr {
  public:
    ErrorOr(T value) : m_state(std::move(value)) {}
    ErrorOr(Error error) : m_state(std::move(error)) {}

    [[nodiscard]] bool is_error() const { return m_state.index() == 1; }
    explicit operator bool() const { return !is_error(); }
    [[nodiscard]] T& value() & { return std::get<0>(m_state); }
    [[nodiscard]] const T& value() const& { return std::get<0>(m_state); }
    [[nodiscard]] T release_value() { return std::move(std::get<0>(m_state)); }
    [[nodiscard]] const Error& error() const { return std::get<1>(m_state); }
    [[nodiscard]] Error release_error() { return std::move(std::get<1>(m_state)); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    T& operator*() { return value(); }
    const T& operator*() const { return value(); }

  private:
    std::variant<T, Error> m_state;
};

template <>
class [[nodiscard]] ErrorOr<void> {
  public:
    ErrorOr() = default;
    ErrorOr(Error error) : m_error(std::move(error)), m_failed(true) {}
    [[nodiscard]] bool is_error() const { return m_failed; }
    explicit operator bool() const { return !m_failed; }
    void release_value() {}
    [[nodiscard]] const Error& error() const { return m_error; }
    [[nodiscard]] Error release_error() { return std::move(m_error); }

  private:
    Error m_error{ErrorKind::Internal, {}};
    bool m_failed = false;
};

} // namespace kmemu

// TRY(expr): evaluate an ErrorOr; on error return it from the enclosing function, otherwise
// yield the value. Uses a GNU statement expression (g++ and clang).
#define TRY(expr)                                                                                  \
    ({                                                                                             \
        auto _kmemu_try_result = (expr);                                                           \
        if (_kmemu_try_result.is_error())                                                          \
            return _kmemu_try_result.release_error();                                              \
        _kmemu_try_result.release_value();                                                         \
    })
