#include "emu/scenario/lexer.h"

#include <array>
#include <fmt/format.h>
#include <limits>

namespace kmemu::scenario {

namespace {

bool is_ident_start(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool is_ident_char(char c) {
    return is_ident_start(c) || (c >= '0' && c <= '9');
}
int hex_digit(char c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

// Longest match first.
constexpr std::array<std::string_view, 8> kTwoCharPuncts{"<<", ">>", "&&", "||",
                                                         "==", "!=", "<=", ">="};
constexpr std::string_view kOneCharPuncts = "(){}[],;:?.+-*/%&|^~!<>=";

class Lexer {
  public:
    Lexer(std::string_view text, unsigned file) : m_text(text), m_file(file) {}

    Outcome<std::vector<Token>> run() {
        if (m_text.size() > kMaxSourceBytes)
            return ScriptError{{m_file, 1, 1},
                               fmt::format("script is too large ({} bytes; at most {})",
                                           m_text.size(), kMaxSourceBytes)};
        while (m_pos < m_text.size()) {
            char c = m_text[m_pos];
            if (c == '\n') {
                if (m_depth == 0)
                    push(TokenKind::Newline, "\n", m_pos, m_pos + 1);
                advance();
                m_word_mode = false;
            } else if (c == ' ' || c == '\t' || c == '\r') {
                advance();
            } else if (c == '#') {
                while (m_pos < m_text.size() && m_text[m_pos] != '\n')
                    advance();
            } else if (m_word_mode) {
                size_t start = m_pos;
                SourceLoc loc = here();
                while (m_pos < m_text.size() && !is_space(m_text[m_pos]) && m_text[m_pos] != '#')
                    advance();
                push_at(TokenKind::Word, std::string(m_text.substr(start, m_pos - start)), loc,
                        start);
            } else {
                STRY(lex_one());
            }
        }
        // End of file is reported at the end of the last line, not on a line past it.
        if (m_col == 1 && m_line > 1) {
            m_line = m_eol_line;
            m_col = m_eol_col;
        }
        push(TokenKind::Newline, "", m_pos, m_pos); // empty text: the end of the file
        push(TokenKind::End, "", m_pos, m_pos);
        return std::move(m_tokens);
    }

  private:
    static bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }

    SourceLoc here() const { return {m_file, m_line, m_col}; }
    void advance() {
        if (m_text[m_pos] == '\n') {
            m_eol_line = m_line;
            m_eol_col = m_col;
            ++m_line;
            m_col = 1;
        } else {
            ++m_col;
        }
        ++m_pos;
    }
    void push(TokenKind kind, std::string text, size_t begin, size_t end) {
        Token t;
        t.kind = kind;
        t.text = std::move(text);
        t.loc = here();
        t.begin = begin;
        t.end = end;
        m_tokens.push_back(std::move(t));
    }
    void push_at(TokenKind kind, std::string text, SourceLoc loc, size_t begin) {
        Token t;
        t.kind = kind;
        t.text = std::move(text);
        t.loc = loc;
        t.begin = begin;
        t.end = m_pos;
        m_tokens.push_back(std::move(t));
    }
    bool starts_statement() const {
        if (m_tokens.empty())
            return true;
        const Token& p = m_tokens.back();
        return p.kind == TokenKind::Newline || p.is_punct(";") || p.is_punct("{") ||
               p.is_punct("}");
    }
    ScriptError error_at(SourceLoc loc, std::string message) const {
        return ScriptError{loc, std::move(message)};
    }

    Outcome<void> lex_one() {
        char c = m_text[m_pos];
        SourceLoc loc = here();
        size_t start = m_pos;
        if (c == 'x' && m_pos + 1 < m_text.size() && m_text[m_pos + 1] == '"')
            return lex_hex_string();
        if (is_ident_start(c)) {
            bool first = starts_statement();
            while (m_pos < m_text.size() && is_ident_char(m_text[m_pos]))
                advance();
            std::string word(m_text.substr(start, m_pos - start));
            m_word_mode = first && word == "machine";
            push_at(TokenKind::Ident, std::move(word), loc, start);
            return {};
        }
        if (c >= '0' && c <= '9')
            return lex_number();
        if (c == '"')
            return lex_string();
        for (auto p : kTwoCharPuncts)
            if (m_text.substr(m_pos, 2) == p) {
                advance();
                advance();
                push_at(TokenKind::Punct, std::string(p), loc, start);
                return {};
            }
        if (kOneCharPuncts.find(c) != std::string_view::npos) {
            if (c == '(' || c == '[')
                ++m_depth;
            if ((c == ')' || c == ']') && m_depth > 0)
                --m_depth;
            // A brace ends any parenthesised region: a missing ')' must not swallow the block.
            if (c == '{' || c == '}')
                m_depth = 0;
            advance();
            push_at(TokenKind::Punct, std::string(1, c), loc, start);
            return {};
        }
        if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f)
            return error_at(loc,
                            fmt::format("unexpected byte 0x{:02x}", static_cast<unsigned char>(c)));
        return error_at(loc, fmt::format("unexpected character '{}'", c));
    }

    // C-style integer: decimal, 0x hex, 0b binary, leading-0 octal; optional K/M/G/T size suffix.
    Outcome<void> lex_number() {
        SourceLoc loc = here();
        size_t start = m_pos;
        unsigned base = 10;
        if (m_text[m_pos] == '0' && m_pos + 1 < m_text.size()) {
            char n = m_text[m_pos + 1];
            if (n == 'x' || n == 'X')
                base = 16;
            else if (n == 'b' || n == 'B')
                base = 2;
            else if (n >= '0' && n <= '9')
                base = 8;
            if (base == 16 || base == 2) {
                advance();
                advance();
            }
        }
        u64 value = 0;
        bool any = false, overflow = false;
        while (m_pos < m_text.size()) {
            int d = hex_digit(m_text[m_pos]);
            if (d < 0 || static_cast<unsigned>(d) >= base) {
                if (d >= 0 && base != 16 && d < 10)
                    return error_at(loc, fmt::format("digit '{}' is not allowed in a base-{} "
                                                     "number",
                                                     m_text[m_pos], base));
                break;
            }
            if (value > (std::numeric_limits<u64>::max() - static_cast<u64>(d)) / base)
                overflow = true;
            value = value * base + static_cast<u64>(d);
            any = true;
            advance();
        }
        if (!any)
            return error_at(loc, "a number needs digits after its 0x/0b prefix");
        if (m_pos < m_text.size()) {
            unsigned shift = 0;
            switch (m_text[m_pos]) {
            case 'K':
            case 'k':
                shift = 10;
                break;
            case 'M':
            case 'm':
                shift = 20;
                break;
            case 'G':
            case 'g':
                shift = 30;
                break;
            case 'T':
            case 't':
                shift = 40;
                break;
            default:
                break;
            }
            if (shift) {
                if (value > (std::numeric_limits<u64>::max() >> shift))
                    overflow = true;
                value <<= shift;
                advance();
            }
        }
        if (m_pos < m_text.size() && is_ident_char(m_text[m_pos]))
            return error_at(loc, fmt::format("bad number '{}' (size suffixes are K, M, G, T)",
                                             m_text.substr(start, m_pos + 1 - start)));
        if (overflow)
            return error_at(loc, fmt::format("number '{}' does not fit in 64 bits",
                                             m_text.substr(start, m_pos - start)));
        Token t;
        t.kind = TokenKind::Int;
        t.text = std::string(m_text.substr(start, m_pos - start));
        t.value = value;
        t.loc = loc;
        t.begin = start;
        t.end = m_pos;
        m_tokens.push_back(std::move(t));
        return {};
    }

    Outcome<void> lex_string() {
        SourceLoc loc = here();
        size_t start = m_pos;
        advance();
        std::string bytes;
        while (true) {
            if (m_pos >= m_text.size() || m_text[m_pos] == '\n')
                return error_at(loc, "unterminated string (a string ends with '\"' on its line)");
            char c = m_text[m_pos];
            if (c == '"')
                break;
            if (c != '\\') {
                bytes += c;
                advance();
                continue;
            }
            SourceLoc esc = here();
            advance();
            if (m_pos >= m_text.size() || m_text[m_pos] == '\n')
                return error_at(esc, "unterminated string (a string ends with '\"' on its line)");
            char e = m_text[m_pos];
            advance();
            switch (e) {
            case 'n':
                bytes += '\n';
                break;
            case 't':
                bytes += '\t';
                break;
            case 'r':
                bytes += '\r';
                break;
            case '0':
                bytes += '\0';
                break;
            case '\\':
                bytes += '\\';
                break;
            case '"':
                bytes += '"';
                break;
            case '\'':
                bytes += '\'';
                break;
            case 'x': {
                int hi = m_pos < m_text.size() ? hex_digit(m_text[m_pos]) : -1;
                int lo = m_pos + 1 < m_text.size() ? hex_digit(m_text[m_pos + 1]) : -1;
                if (hi < 0 || lo < 0)
                    return error_at(esc, "\\x needs two hex digits (e.g. \\x0a)");
                advance();
                advance();
                bytes += static_cast<char>(hi * 16 + lo);
                break;
            }
            default:
                return error_at(esc, fmt::format("unknown escape '\\{}' (allowed: \\n \\t \\r \\0 "
                                                 "\\\\ \\\" \\' \\xNN)",
                                                 e));
            }
        }
        advance(); // closing quote
        Token t;
        t.kind = TokenKind::String;
        t.text = std::move(bytes);
        t.loc = loc;
        t.begin = start;
        t.end = m_pos;
        m_tokens.push_back(std::move(t));
        return {};
    }

    // x"aa bb cc": hex byte pairs, spaces allowed between bytes.
    Outcome<void> lex_hex_string() {
        SourceLoc loc = here();
        size_t start = m_pos;
        advance();
        advance();
        std::string bytes;
        while (true) {
            if (m_pos >= m_text.size() || m_text[m_pos] == '\n')
                return error_at(loc, "unterminated hex string (x\"...\" ends with '\"')");
            char c = m_text[m_pos];
            if (c == '"')
                break;
            if (c == ' ' || c == '\t') {
                advance();
                continue;
            }
            SourceLoc at = here();
            int hi = hex_digit(c);
            int lo = m_pos + 1 < m_text.size() ? hex_digit(m_text[m_pos + 1]) : -1;
            if (hi < 0 || lo < 0)
                return error_at(at,
                                "a hex string holds pairs of hex digits, e.g. x\"de ad be ef\"");
            advance();
            advance();
            bytes += static_cast<char>(hi * 16 + lo);
        }
        advance();
        Token t;
        t.kind = TokenKind::String;
        t.text = std::move(bytes);
        t.loc = loc;
        t.begin = start;
        t.end = m_pos;
        m_tokens.push_back(std::move(t));
        return {};
    }

    std::string_view m_text;
    unsigned m_file;
    size_t m_pos = 0;
    unsigned m_line = 1;
    unsigned m_col = 1;
    unsigned m_eol_line = 1; // where the last newline was
    unsigned m_eol_col = 1;
    unsigned m_depth = 0; // open ( and [ : newlines inside are not statement ends
    bool m_word_mode = false;
    std::vector<Token> m_tokens;
};

} // namespace

Outcome<std::vector<Token>> lex(std::string_view text, unsigned file) {
    return Lexer(text, file).run();
}

std::string describe(const Token& token) {
    switch (token.kind) {
    case TokenKind::Ident:
        return fmt::format("'{}'", token.text);
    case TokenKind::Int:
        return fmt::format("number {}", token.text);
    case TokenKind::String:
        return "a string";
    case TokenKind::Word:
        return fmt::format("'{}'", token.text);
    case TokenKind::Punct:
        return fmt::format("'{}'", token.text);
    case TokenKind::Newline:
        return token.text.empty() ? "end of file" : "end of line";
    case TokenKind::End:
        return "end of file";
    }
    return "?";
}

} // namespace kmemu::scenario
