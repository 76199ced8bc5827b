#include "emu/scenario/value.h"

#include <fmt/format.h>

namespace kmemu::scenario {

const char* type_name(const Value& v) {
    return v.is_int() ? "integer" : "bytes";
}

std::string quote_bytes(std::string_view bytes, size_t max) {
    std::string out = "\"";
    size_t n = std::min(bytes.size(), max);
    for (size_t i = 0; i < n; ++i) {
        auto c = static_cast<unsigned char>(bytes[i]);
        switch (c) {
        case '\n':
            out += "\\n";
            break;
        case '\t':
            out += "\\t";
            break;
        case '\r':
            out += "\\r";
            break;
        case '\\':
            out += "\\\\";
            break;
        case '"':
            out += "\\\"";
            break;
        default:
            if (c < 0x20 || c >= 0x7f)
                out += fmt::format("\\x{:02x}", c);
            else
                out += static_cast<char>(c);
        }
    }
    out += '"';
    if (bytes.size() > max)
        out += fmt::format("... ({} bytes)", bytes.size());
    return out;
}

std::string show_value(const Value& v) {
    if (v.is_bytes())
        return quote_bytes(v.bytes);
    if (v.address)
        return fmt::format("{:#x}", v.bits);
    i64 s = v.as_signed();
    if (s > -10 && s < 10)
        return fmt::format("{}", s);
    if (s < 0)
        return fmt::format("-{:#x}", u64{0} - v.bits);
    return fmt::format("{:#x}", v.bits);
}

std::string print_value(const Value& v) {
    if (v.is_bytes())
        return quote_bytes(v.bytes, 256);
    if (v.address)
        return fmt::format("{:#x}", v.bits);
    return fmt::format("{}", v.as_signed());
}

} // namespace kmemu::scenario
