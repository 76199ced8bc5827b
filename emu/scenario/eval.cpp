// Expression evaluation for the Interpreter (C operators and precedence; see docs/scenarios.md).
#include <fmt/format.h>
#include <limits>

#include "emu/scenario/interpreter.h"
#include "emu/scenario/memory_access.h"

namespace kmemu::scenario {

namespace {

ScriptError at(SourceLoc loc, std::string message) {
    return ScriptError{loc, std::move(message)};
}

Value boolean(bool b) {
    return Value::integer(b ? 1 : 0);
}

} // namespace

Outcome<i64> Interpreter::eval_int(const Expr& e, std::string_view what) {
    Value v = STRY(eval(e));
    if (!v.is_int())
        return at(e.loc, fmt::format("{} must be an integer, not {}", what, type_name(v)));
    return v.as_signed();
}

Outcome<Value> Interpreter::eval(const Expr& e) {
    switch (e.kind) {
    case ExprKind::Int:
        return Value::unsigned_integer(e.value);
    case ExprKind::Bytes:
        return Value::of_bytes(e.text);
    case ExprKind::Name:
        return eval_name(e);
    case ExprKind::Call:
        return eval_call(e);
    case ExprKind::Unary:
        return eval_unary(e);
    case ExprKind::Binary:
        return eval_binary(e);
    case ExprKind::Ternary: {
        Value c = STRY(eval(*e.kids[0]));
        return eval(*e.kids[c.truthy() ? 1 : 2]);
    }
    case ExprKind::Index:
    case ExprKind::Slice:
        return eval_index(e);
    }
    return at(e.loc, "internal error: unknown expression");
}

Outcome<Value> Interpreter::eval_name(const Expr& e) {
    Value v;
    if (const ConstantSpec* c = m_registry.constant(e.text)) {
        auto r = c->impl(*this);
        if (r.is_error())
            return at(e.loc, r.error().message());
        v = tag(r.release_value());
    } else if (auto it = m_vars.find(e.text); it != m_vars.end()) {
        v = it->second;
    } else if (m_registry.function(e.text)) {
        return at(e.loc, fmt::format("'{}' is a function: call it as {}(...)", e.text, e.text));
    } else {
        return at(e.loc, fmt::format("unknown name '{}' (not a variable set before this, nor a "
                                     "constant)",
                                     e.text));
    }
    if (m_observed) {
        bool seen = false;
        for (const auto& o : *m_observed)
            seen = seen || o.first == e.text;
        if (!seen)
            m_observed->emplace_back(e.text, show_value(v));
    }
    return v;
}

Outcome<Value> Interpreter::eval_call(const Expr& e) {
    const FunctionSpec* f = m_registry.function(e.text);
    if (!f || !f->impl)
        return at(e.loc, fmt::format("unknown function '{}'", e.text));
    std::vector<Value> args;
    args.reserve(e.kids.size());
    for (const auto& k : e.kids)
        args.push_back(STRY(eval(*k)));
    auto r = f->impl(*this, args);
    if (r.is_error())
        return at(e.loc, fmt::format("{}: {}", e.text, r.error().message()));
    Value v = tag(r.release_value());
    if (m_observed) {
        std::string text = expr_source(m_program->sources, e);
        bool seen = false;
        for (const auto& o : *m_observed)
            seen = seen || o.first == text;
        if (!seen)
            m_observed->emplace_back(std::move(text), show_value(v));
    }
    return v;
}

Outcome<Value> Interpreter::eval_unary(const Expr& e) {
    Value v = STRY(eval(*e.kids[0]));
    const std::string& op = e.text;
    if (op == "!")
        return boolean(!v.truthy());
    if (!v.is_int())
        return at(e.loc, fmt::format("unary '{}' needs an integer, not {}", op, type_name(v)));
    if (op == "-")
        return Value::unsigned_integer(u64{0} - v.bits);
    if (op == "~")
        return tag(Value{Value::Type::Int, ~v.bits, v.address, {}});
    return v; // unary +
}

Outcome<Value> Interpreter::eval_binary(const Expr& e) {
    const std::string& op = e.text;
    if (op == "&&" || op == "||") {
        Value l = STRY(eval(*e.kids[0]));
        if (op == "&&" ? !l.truthy() : l.truthy())
            return boolean(op == "||");
        Value r = STRY(eval(*e.kids[1]));
        return boolean(r.truthy());
    }
    Value l = STRY(eval(*e.kids[0]));
    Value r = STRY(eval(*e.kids[1]));
    if (op == "==" || op == "!=") {
        if (l.type != r.type)
            return at(e.loc, fmt::format("cannot compare {} with {} using '{}'", type_name(l),
                                         type_name(r), op));
        // With an address on either side both are unsigned long of the machine's word, as C
        // converts them (a 32-bit syscall result of -0x1f800000 equals address 0xe0800000).
        const u64 mask = (l.address || r.address) ? word_mask() : ~u64{0};
        bool eq = l.is_int() ? (l.bits & mask) == (r.bits & mask) : l.bytes == r.bytes;
        return boolean(op == "==" ? eq : !eq);
    }
    if (op == "+" && l.is_bytes() && r.is_bytes()) {
        if (l.bytes.size() + r.bytes.size() > kMaxBytesValue)
            return at(e.loc, fmt::format("byte string longer than {} bytes", kMaxBytesValue));
        return Value::of_bytes(l.bytes + r.bytes);
    }
    if (!l.is_int() || !r.is_int())
        return at(e.loc, fmt::format("'{}' needs integers, not {} and {}", op, type_name(l),
                                     type_name(r)));
    const u64 a = l.bits, b = r.bits;
    const i64 sa = l.as_signed(), sb = r.as_signed();
    // Addresses are unsigned long in the kernel; plain integers behave as signed long long.
    const bool unsigned_op = l.address || r.address;
    if (op == "<" || op == "<=" || op == ">" || op == ">=") {
        const u64 ua = a & word_mask(), ub = b & word_mask();
        int cmp = unsigned_op ? (ua < ub ? -1 : ua > ub) : (sa < sb ? -1 : sa > sb);
        bool res = op == "<" ? cmp < 0 : op == "<=" ? cmp <= 0 : op == ">" ? cmp > 0 : cmp >= 0;
        return boolean(res);
    }
    auto result = [&](u64 bits, bool address) {
        return tag(Value{Value::Type::Int, bits, address, {}});
    };
    if (op == "+")
        return result(a + b, l.address || r.address);
    if (op == "-") // address - address is a distance; address - n is an address
        return result(a - b, l.address && !r.address);
    if (op == "*")
        return result(a * b, false);
    if (op == "/" || op == "%") {
        if (b == 0)
            return at(e.loc, op == "/" ? "division by zero" : "remainder by zero");
        if (unsigned_op)
            return result(op == "/" ? a / b : a % b, false);
        // INT64_MIN / -1 overflows in C; here it wraps as two's complement arithmetic does.
        if (sa == std::numeric_limits<i64>::min() && sb == -1)
            return result(op == "/" ? a : 0, false);
        return result(static_cast<u64>(op == "/" ? sa / sb : sa % sb), false);
    }
    if (op == "<<" || op == ">>") {
        if (sb < 0 || sb > 63)
            return at(e.loc, fmt::format("shift count {} is out of range (0 to 63)", sb));
        unsigned n = static_cast<unsigned>(b);
        if (op == "<<")
            return result(a << n, l.address);
        if (l.address)
            return result(a >> n, true);
        // Arithmetic shift of a signed value, written without implementation-defined shifts.
        u64 shifted = a >> n;
        if (sa < 0 && n > 0)
            shifted |= ~(~u64{0} >> n);
        return result(shifted, false);
    }
    if (op == "&")
        return result(a & b, l.address || r.address);
    if (op == "|")
        return result(a | b, l.address || r.address);
    if (op == "^")
        return result(a ^ b, l.address || r.address);
    return at(e.loc, fmt::format("internal error: unknown operator '{}'", op));
}

Outcome<Value> Interpreter::eval_index(const Expr& e) {
    Value base = STRY(eval(*e.kids[0]));
    if (base.is_int() && m_where != kTop) {
        // p[i] and p[i:j] on an address: bytes of the block's memory (kernel or user).
        u64 lo = STRY(eval_int(*e.kids[1], "an index"));
        u64 n = 1;
        if (e.kind != ExprKind::Index) {
            if (!e.kids[2])
                return at(e.loc, "a slice of memory needs an end: p[i:j]");
            i64 hi = STRY(eval_int(*e.kids[2], "a slice bound"));
            if (hi < static_cast<i64>(lo))
                return at(e.loc, fmt::format("slice [{}:{}] is empty or reversed", lo, hi));
            n = static_cast<u64>(hi) - lo;
        }
        auto bytes = read_block_memory(*this, base.bits + lo, n);
        if (bytes.is_error())
            return at(e.loc, bytes.error().message());
        if (e.kind == ExprKind::Index)
            return Value::integer(static_cast<unsigned char>(bytes.value()[0]));
        return Value::of_bytes(bytes.release_value());
    }
    if (!base.is_bytes())
        return at(e.loc, fmt::format("only byte strings can be indexed, not {}", type_name(base)));
    const i64 len = static_cast<i64>(base.bytes.size());
    if (e.kind == ExprKind::Index) {
        i64 i = STRY(eval_int(*e.kids[1], "an index"));
        if (i < 0 || i >= len)
            return at(e.kids[1]->loc, fmt::format("index {} is out of range for {} bytes", i, len));
        return Value::integer(static_cast<unsigned char>(base.bytes[static_cast<size_t>(i)]));
    }
    i64 lo = e.kids[1] ? STRY(eval_int(*e.kids[1], "a slice bound")) : 0;
    i64 hi = e.kids[2] ? STRY(eval_int(*e.kids[2], "a slice bound")) : len;
    if (lo < 0 || hi < lo || hi > len)
        return at(e.loc, fmt::format("slice [{}:{}] is out of range for {} bytes", lo, hi, len));
    return Value::of_bytes(
        base.bytes.substr(static_cast<size_t>(lo), static_cast<size_t>(hi - lo)));
}

} // namespace kmemu::scenario
