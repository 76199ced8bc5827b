// Scenario values: 64-bit integers (plain or address-tagged) and byte strings.
#pragma once

#include <string>
#include <string_view>

#include "mm/types.h"

namespace kmemu::scenario {

// Integers are 64-bit two's complement. An integer that came from an address (a layout
// constant such as VMALLOC_START, a pointer a kernel function returned, or arithmetic on one)
// is tagged `address`: it compares unsigned, is truncated to the machine's word size, and is
// shown in hex. Plain integers compare signed, so `r < 0` works for error returns.
struct Value {
    enum class Type { Int, Bytes };
    Type type = Type::Int;
    u64 bits = 0;
    bool address = false;
    std::string bytes;

    static Value integer(i64 v) { return Value{Type::Int, static_cast<u64>(v), false, {}}; }
    static Value unsigned_integer(u64 v) { return Value{Type::Int, v, false, {}}; }
    static Value addr(u64 v) { return Value{Type::Int, v, true, {}}; }
    static Value of_bytes(std::string b) { return Value{Type::Bytes, 0, false, std::move(b)}; }

    [[nodiscard]] bool is_int() const { return type == Type::Int; }
    [[nodiscard]] bool is_bytes() const { return type == Type::Bytes; }
    [[nodiscard]] i64 as_signed() const { return static_cast<i64>(bits); }
    [[nodiscard]] bool truthy() const { return is_int() ? bits != 0 : !bytes.empty(); }
};

// Longest byte string a script may build (bytes(), concatenation), so no input exhausts memory.
constexpr size_t kMaxBytesValue = 16 * 1024 * 1024;

[[nodiscard]] const char* type_name(const Value& v); // "integer", "bytes"

// The bytes in double quotes with C escapes; longer strings are cut after `max` bytes and show
// their length: "aaaa"... (100 bytes).
[[nodiscard]] std::string quote_bytes(std::string_view bytes, size_t max = 32);

// The value as an expectation message shows it: addresses and integers outside -9..9 in hex
// (negative ones as -0x..), small integers in decimal, bytes quoted.
[[nodiscard]] std::string show_value(const Value& v);

// The value as `print` shows it: plain integers in signed decimal, addresses in hex, bytes
// quoted.
[[nodiscard]] std::string print_value(const Value& v);

} // namespace kmemu::scenario
