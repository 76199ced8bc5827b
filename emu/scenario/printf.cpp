#include "emu/scenario/printf.h"

#include <fmt/format.h>

namespace kmemu::scenario {

namespace {

struct Spec {
    bool left = false, zero = false, alt = false, plus = false, space = false;
    unsigned width = 0;
    int precision = -1;
    unsigned bits = 32;
};

std::string pad(std::string body, const Spec& s, bool numeric, size_t sign_len = 0) {
    if (body.size() >= s.width)
        return body;
    size_t n = s.width - body.size();
    if (s.left)
        return body + std::string(n, ' ');
    if (s.zero && numeric && s.precision < 0)
        return body.substr(0, sign_len) + std::string(n, '0') + body.substr(sign_len);
    return std::string(n, ' ') + body;
}

u64 truncate(u64 v, unsigned bits) {
    return bits >= 64 ? v : v & ((u64{1} << bits) - 1);
}

i64 sign_extend(u64 v, unsigned bits) {
    if (bits >= 64)
        return static_cast<i64>(v);
    u64 t = truncate(v, bits);
    u64 sign = u64{1} << (bits - 1);
    return static_cast<i64>((t ^ sign) - sign); // well-defined: unsigned arithmetic, then a cast
}

std::string with_precision(std::string digits, int precision) {
    if (precision >= 0 && digits.size() < static_cast<size_t>(precision))
        digits.insert(0, static_cast<size_t>(precision) - digits.size(), '0');
    if (precision == 0 && digits == "0")
        digits.clear();
    return digits;
}

} // namespace

ErrorOr<std::string> format_printf(std::string_view f, std::span<const Value> args,
                                   unsigned word_bits) {
    std::string out;
    size_t next_arg = 0;
    auto take = [&](char conv) -> ErrorOr<const Value*> {
        if (next_arg >= args.size())
            return make_error(ErrorKind::Parse,
                              "the format has more conversions than arguments "
                              "(at '%{}')",
                              conv);
        return &args[next_arg++];
    };
    for (size_t i = 0; i < f.size(); ++i) {
        if (f[i] != '%') {
            out += f[i];
            continue;
        }
        size_t start = i++;
        Spec s;
        for (; i < f.size(); ++i) {
            char c = f[i];
            if (c == '-')
                s.left = true;
            else if (c == '0')
                s.zero = true;
            else if (c == '#')
                s.alt = true;
            else if (c == '+')
                s.plus = true;
            else if (c == ' ')
                s.space = true;
            else
                break;
        }
        auto number = [&](unsigned& into) -> bool {
            unsigned n = 0;
            while (i < f.size() && f[i] >= '0' && f[i] <= '9') {
                n = n * 10 + static_cast<unsigned>(f[i] - '0');
                if (n > 256)
                    return false;
                ++i;
            }
            into = n;
            return true;
        };
        if (!number(s.width))
            return make_error(ErrorKind::Parse, "a width is at most 256");
        if (i < f.size() && f[i] == '.') {
            ++i;
            unsigned p = 0;
            if (!number(p))
                return make_error(ErrorKind::Parse, "a precision is at most 256");
            s.precision = static_cast<int>(p);
        }
        if (i < f.size() && f[i] == 'h') {
            s.bits = 16;
            if (++i < f.size() && f[i] == 'h') {
                s.bits = 8;
                ++i;
            }
        } else if (i < f.size() && (f[i] == 'l' || f[i] == 'z')) {
            s.bits = word_bits;
            if (f[i] == 'l' && i + 1 < f.size() && f[i + 1] == 'l') {
                s.bits = 64;
                ++i;
            }
            ++i;
        }
        if (i >= f.size())
            return make_error(ErrorKind::Parse, "the format ends inside a conversion '{}'",
                              f.substr(start));
        char conv = f[i];
        if (conv == '%') {
            out += '%';
            continue;
        }
        const Value* v = TRY(take(conv));
        if (conv == 's') {
            if (!v->is_bytes())
                return make_error(ErrorKind::Parse, "%s needs bytes, not {}", type_name(*v));
            std::string body = v->bytes;
            if (s.precision >= 0 && body.size() > static_cast<size_t>(s.precision))
                body.resize(static_cast<size_t>(s.precision));
            out += pad(std::move(body), s, false);
            continue;
        }
        if (!v->is_int())
            return make_error(ErrorKind::Parse, "%{} needs an integer, not {}", conv,
                              type_name(*v));
        switch (conv) {
        case 'd':
        case 'i': {
            i64 n = sign_extend(v->bits, s.bits);
            u64 mag = n < 0 ? u64{0} - static_cast<u64>(n) : static_cast<u64>(n);
            std::string sign = n < 0 ? "-" : s.plus ? "+" : s.space ? " " : "";
            std::string body = sign + with_precision(fmt::format("{}", mag), s.precision);
            out += pad(std::move(body), s, true, sign.size());
            break;
        }
        case 'u':
        case 'x':
        case 'X':
        case 'o': {
            u64 n = truncate(v->bits, s.bits);
            std::string digits = conv == 'u'   ? fmt::format("{}", n)
                                 : conv == 'x' ? fmt::format("{:x}", n)
                                 : conv == 'X' ? fmt::format("{:X}", n)
                                               : fmt::format("{:o}", n);
            digits = with_precision(std::move(digits), s.precision);
            std::string prefix;
            if (s.alt && n != 0 && (conv == 'x' || conv == 'X'))
                prefix = conv == 'x' ? "0x" : "0X";
            if (s.alt && conv == 'o' && (digits.empty() || digits[0] != '0'))
                digits.insert(0, "0");
            out += pad(prefix + digits, s, true, prefix.size());
            break;
        }
        case 'c':
            out += pad(std::string(1, static_cast<char>(v->bits & 0xff)), s, false);
            break;
        case 'p': {
            u64 n = truncate(v->bits, word_bits);
            out += pad(n == 0 ? std::string("(nil)") : fmt::format("{:#x}", n), s, false);
            break;
        }
        default:
            return make_error(ErrorKind::Parse,
                              "unknown conversion '%{}' (allowed: %d %i %u %x "
                              "%X %o %c %s %p %%)",
                              conv);
        }
    }
    if (next_arg < args.size())
        return make_error(ErrorKind::Parse, "{} argument{} left over after the format",
                          args.size() - next_arg, args.size() - next_arg == 1 ? "" : "s");
    return out;
}

} // namespace kmemu::scenario
