#include "devices/printk/vsprintf.h"

#include <cstring>

namespace kmemu {

namespace {

enum Flag : unsigned {
    kLeft = 1,
    kPlus = 2,
    kSpace = 4,
    kSpecial = 8,
    kZeroPad = 16,
};

struct Spec {
    unsigned flags = 0;
    int width = -1;
    int precision = -1;
    int base = 10;
    bool is_signed = false;
    bool upper = false;
};

void pad(std::string& out, size_t n, char c) {
    out.append(n, c);
}

// number() (lib/vsprintf.c): sign, 0/0x prefix, precision as minimum digits, then width.
void format_number(std::string& out, u64 num, bool negative, Spec s) {
    const char* digits = s.upper ? "0123456789ABCDEF" : "0123456789abcdef";
    std::string body;
    if (num == 0)
        body = "0";
    while (num != 0) {
        body.insert(body.begin(), digits[num % static_cast<u64>(s.base)]);
        num /= static_cast<u64>(s.base);
    }
    std::string sign;
    if (s.is_signed) {
        if (negative)
            sign = "-";
        else if (s.flags & kPlus)
            sign = "+";
        else if (s.flags & kSpace)
            sign = " ";
    }
    // SPECIAL: "0x"/"0X" for hex; a leading "0" for octal unless the number already is "0".
    std::string prefix;
    if (s.flags & kSpecial) {
        if (s.base == 16)
            prefix = s.upper ? "0X" : "0x";
        else if (s.base == 8 && body != "0")
            prefix = "0";
    }
    const size_t min_digits = s.precision > 0 ? static_cast<size_t>(s.precision) : 0;
    if (body.size() < min_digits)
        body.insert(0, min_digits - body.size(), '0');
    const size_t len = sign.size() + prefix.size() + body.size();
    const size_t width = s.width > 0 ? static_cast<size_t>(s.width) : 0;
    const size_t fill = width > len ? width - len : 0;
    if (s.flags & kLeft) {
        out += sign + prefix + body;
        pad(out, fill, ' ');
    } else if (s.flags & kZeroPad) {
        out += sign + prefix;
        pad(out, fill, '0');
        out += body;
    } else {
        pad(out, fill, ' ');
        out += sign + prefix + body;
    }
}

void format_string(std::string& out, const char* str, const Spec& s) {
    if (!str)
        str = "(null)";
    size_t len = std::strlen(str);
    if (s.precision >= 0)
        len = std::min(len, static_cast<size_t>(s.precision));
    const size_t width = s.width > 0 ? static_cast<size_t>(s.width) : 0;
    const size_t fill = width > len ? width - len : 0;
    if (!(s.flags & kLeft))
        pad(out, fill, ' ');
    out.append(str, len);
    if (s.flags & kLeft)
        pad(out, fill, ' ');
}

// pointer_string(): lowercase hex, zero-padded to the pointer width unless a width was given.
void pointer_string(std::string& out, u64 value, Spec s, unsigned word_bits) {
    s.base = 16;
    s.upper = false;
    s.is_signed = false;
    s.flags &= ~kSpecial;
    if (s.width == -1) {
        s.width = static_cast<int>(word_bits / 4);
        s.flags |= kZeroPad;
    }
    format_number(out, value, false, s);
}

bool is_err_or_null(u64 v, unsigned word_bits) {
    const u64 mask = word_bits == 64 ? ~u64{0} : 0xffffffffULL;
    return v == 0 || v >= (mask - 4094); // IS_ERR_VALUE: the last MAX_ERRNO (4095) values
}

// pointer() for the extensions kmemu implements; every alphanumeric character after 'p' belongs
// to the conversion (the kernel skips them), unknown ones print as plain %p.
void format_pointer(std::string& out, const VsprintfContext& ctx, u64 ptr, const char* ext,
                    Spec s) {
    const u64 mask = ctx.word_bits == 64 ? ~u64{0} : 0xffffffffULL;
    ptr &= mask;
    if (*ext == 'x') { // %px (4.15+; earlier kernels print the raw value for any extension)
        pointer_string(out, ptr, s, ctx.word_bits);
        return;
    }
    if (*ext == 'K' && ctx.has_kptr_restrict) {
        // restricted_pointer: 0 acts as %p (hashed from 4.15), 1 shows the value only to a
        // reader with CAP_SYSLOG and matching ids, 2 always zeros.
        if (ctx.kptr_restrict == 2 || (ctx.kptr_restrict == 1 && !ctx.kptr_reader_allowed)) {
            pointer_string(out, 0, s, ctx.word_bits);
            return;
        }
        if (ctx.kptr_restrict == 1) {
            pointer_string(out, ptr, s, ctx.word_bits);
            return;
        }
    }
    if (ptr == 0 && !ctx.null_pointer_raw) {
        // Before 5.0: "(null)", padded to the pointer width so tables line up.
        if (s.width == -1)
            s.width = static_cast<int>(ctx.word_bits / 4);
        s.precision = -1;
        format_string(out, "(null)", s);
        return;
    }
    if (!ctx.hash_pointers || is_err_or_null(ptr, ctx.word_bits)) {
        pointer_string(out, ptr, s, ctx.word_bits);
        return;
    }
    pointer_string(out, hashed_pointer(ctx, ptr), s, ctx.word_bits);
}

enum class Qual { None, Hh, H, L, Ll, Z, T };

int read_number(const char*& p) {
    int n = 0;
    while (*p >= '0' && *p <= '9') {
        if (n < 100000000)
            n = n * 10 + (*p - '0');
        ++p;
    }
    return n;
}

} // namespace

u64 hashed_pointer(const VsprintfContext& ctx, u64 ptr) {
    if (ctx.word_bits == 64)
        return siphash_1u64(ptr, ctx.ptr_key) & 0xffffffffULL;
    return siphash_1u32(static_cast<u32>(ptr), ctx.ptr_key) & 0xffffffffULL;
}

SiphashKey ptr_key_for_seed(u64 seed) {
    // splitmix64: two well-mixed words from the seed.
    auto next = [&seed] {
        u64 z = (seed += 0x9e3779b97f4a7c15ULL);
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        return z ^ (z >> 31);
    };
    SiphashKey k;
    k.k0 = next();
    k.k1 = next();
    return k;
}

std::string kernel_vsprintf(const VsprintfContext& ctx, const char* fmt, va_list args) {
    std::string out;
    if (!fmt)
        return out;
    const u64 word_mask = ctx.word_bits == 64 ? ~u64{0} : 0xffffffffULL;
    for (const char* p = fmt; *p;) {
        if (*p != '%') {
            out += *p++;
            continue;
        }
        ++p;
        Spec s;
        for (bool more = true; more;) {
            switch (*p) {
            case '-':
                s.flags |= kLeft;
                break;
            case '+':
                s.flags |= kPlus;
                break;
            case ' ':
                s.flags |= kSpace;
                break;
            case '#':
                s.flags |= kSpecial;
                break;
            case '0':
                s.flags |= kZeroPad;
                break;
            default:
                more = false;
                continue;
            }
            ++p;
        }
        if (*p == '*') {
            s.width = va_arg(args, int);
            if (s.width < 0) {
                s.flags |= kLeft;
                s.width = s.width == -2147483647 - 1 ? 2147483647 : -s.width;
            }
            ++p;
        } else if (*p >= '0' && *p <= '9') {
            s.width = read_number(p);
        }
        if (*p == '.') {
            ++p;
            if (*p == '*') {
                s.precision = va_arg(args, int);
                ++p;
            } else {
                s.precision = read_number(p);
            }
            if (s.precision < 0)
                s.precision = -1;
        }
        Qual q = Qual::None;
        if (*p == 'h') {
            q = p[1] == 'h' ? Qual::Hh : Qual::H;
            p += q == Qual::Hh ? 2 : 1;
        } else if (*p == 'l') {
            q = p[1] == 'l' ? Qual::Ll : Qual::L;
            p += q == Qual::Ll ? 2 : 1;
        } else if (*p == 'L' || *p == 'q') {
            q = Qual::Ll;
            ++p;
        } else if (*p == 'z' || *p == 'Z') {
            q = Qual::Z;
            ++p;
        } else if (*p == 't') {
            q = Qual::T;
            ++p;
        }
        if (s.flags & kLeft)
            s.flags &= ~kZeroPad;
        const char conv = *p;
        if (conv == '\0')
            break;
        ++p;
        switch (conv) {
        case '%':
            out += '%';
            continue;
        case 'c': {
            const char c = static_cast<char>(va_arg(args, int));
            const size_t width = s.width > 1 ? static_cast<size_t>(s.width) - 1 : 0;
            if (!(s.flags & kLeft))
                pad(out, width, ' ');
            out += c;
            if (s.flags & kLeft)
                pad(out, width, ' ');
            continue;
        }
        case 's':
            format_string(out, va_arg(args, const char*), s);
            continue;
        case 'p': {
            const u64 ptr = reinterpret_cast<std::uintptr_t>(va_arg(args, void*));
            const char* ext = p;
            while ((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z'))
                ++p;
            format_pointer(out, ctx, ptr, ext, s);
            continue;
        }
        case 'n': // the kernel refuses %n; it consumes the argument and prints nothing
            (void)va_arg(args, void*);
            continue;
        case 'o':
            s.base = 8;
            break;
        case 'x':
            s.base = 16;
            break;
        case 'X':
            s.base = 16;
            s.upper = true;
            break;
        case 'd':
        case 'i':
            s.is_signed = true;
            break;
        case 'u':
            break;
        default: // unknown conversion: the kernel prints it literally from the '%'
            out += '%';
            out += conv;
            continue;
        }
        // Fetch the argument as the C promotion rules pass it, then narrow to the qualifier.
        u64 raw = 0;
        switch (q) {
        case Qual::Ll:
            raw = static_cast<u64>(va_arg(args, long long));
            break;
        case Qual::L:
            raw = static_cast<u64>(va_arg(args, long)) & word_mask;
            if (ctx.word_bits == 32 && s.is_signed)
                raw = static_cast<u64>(static_cast<i64>(static_cast<int32_t>(raw)));
            break;
        case Qual::Z:
        case Qual::T:
            raw = static_cast<u64>(va_arg(args, size_t)) & word_mask;
            if (ctx.word_bits == 32 && s.is_signed)
                raw = static_cast<u64>(static_cast<i64>(static_cast<int32_t>(raw)));
            break;
        default: {
            const unsigned v = static_cast<unsigned>(va_arg(args, int));
            if (q == Qual::Hh)
                raw = s.is_signed ? static_cast<u64>(static_cast<i64>(static_cast<signed char>(v)))
                                  : static_cast<u64>(static_cast<unsigned char>(v));
            else if (q == Qual::H)
                raw = s.is_signed ? static_cast<u64>(static_cast<i64>(static_cast<short>(v)))
                                  : static_cast<u64>(static_cast<unsigned short>(v));
            else
                raw = s.is_signed ? static_cast<u64>(static_cast<i64>(static_cast<int>(v)))
                                  : static_cast<u64>(v);
            break;
        }
        }
        const bool negative = s.is_signed && static_cast<i64>(raw) < 0;
        const u64 magnitude = negative ? (~raw + 1) : raw;
        format_number(out, magnitude, negative, s);
    }
    return out;
}

std::string kernel_sprintf(const VsprintfContext& ctx, const char* fmt, ...) {
    va_list args;
    va_start(args, fmt);
    std::string out = kernel_vsprintf(ctx, fmt, args);
    va_end(args);
    return out;
}

} // namespace kmemu
