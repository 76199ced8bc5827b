// Script errors: what went wrong and where (file:line:col), as values (DESIGN.md decision 7).
// Outcome<T> is ErrorOr's counterpart for the scenario language, whose errors carry a location.
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace kmemu::scenario {

// A position in a source file. `file` indexes the SourceSet that owns the text; line and col
// are 1-based, col counts bytes (a tab is one column).
struct SourceLoc {
    unsigned file = 0;
    unsigned line = 0;
    unsigned col = 0;
};

struct ScriptError {
    SourceLoc loc;
    std::string message;
};

template <typename T>
class [[nodiscard]] Outcome {
  public:
    Outcome(T value) : m_state(std::move(value)) {}
    Outcome(ScriptError error) : m_state(std::move(error)) {}
    [[nodiscard]] bool is_error() const { return m_state.index() == 1; }
    [[nodiscard]] T& value() { return std::get<0>(m_state); }
    [[nodiscard]] const T& value() const { return std::get<0>(m_state); }
    [[nodiscard]] T release_value() { return std::move(std::get<0>(m_state)); }
    [[nodiscard]] const ScriptError& error() const { return std::get<1>(m_state); }
    [[nodiscard]] ScriptError release_error() { return std::move(std::get<1>(m_state)); }

  private:
    std::variant<T, ScriptError> m_state;
};

template <>
class [[nodiscard]] Outcome<void> {
  public:
    Outcome() = default;
    Outcome(ScriptError error) : m_error(std::move(error)), m_failed(true) {}
    [[nodiscard]] bool is_error() const { return m_failed; }
    void release_value() {}
    [[nodiscard]] const ScriptError& error() const { return m_error; }
    [[nodiscard]] ScriptError release_error() { return std::move(m_error); }

  private:
    ScriptError m_error;
    bool m_failed = false;
};

} // namespace kmemu::scenario

// STRY(expr): TRY for Outcome (GNU statement expression, as TRY).
#define STRY(expr)                                                                                 \
    ({                                                                                             \
        auto _kmemu_stry_result = (expr);                                                          \
        if (_kmemu_stry_result.is_error())                                                         \
            return _kmemu_stry_result.release_error();                                             \
        _kmemu_stry_result.release_value();                                                        \
    })
