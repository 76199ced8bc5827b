// The scenario lexer: source text to tokens. Newlines end statements (except inside ( ) and
// [ ]); `#` starts a comment. After a `machine` keyword that begins a statement, the rest of the
// line is split into raw Word tokens (configuration words such as arch=i386-pae).
#pragma once

#include <string>
#include <vector>

#include "emu/scenario/script_error.h"
#include "mm/types.h"

namespace kmemu::scenario {

enum class TokenKind { Ident, Int, String, Word, Punct, Newline, End };

struct Token {
    TokenKind kind = TokenKind::End;
    std::string text; // Ident/Word/Punct spelling; String: the decoded bytes
    u64 value = 0;    // Int
    SourceLoc loc;
    size_t begin = 0; // byte offsets in the file, [begin, end)
    size_t end = 0;

    [[nodiscard]] bool is(TokenKind k, std::string_view t) const { return kind == k && text == t; }
    [[nodiscard]] bool is_punct(std::string_view t) const { return is(TokenKind::Punct, t); }
};

// Largest script file accepted, so that no input makes the interpreter allocate without bound.
constexpr size_t kMaxSourceBytes = 4 * 1024 * 1024;

// Tokenize one file. The token list always ends with Newline, End.
[[nodiscard]] Outcome<std::vector<Token>> lex(std::string_view text, unsigned file);

// A human name of a token for messages: "'+'", "end of line", "number 12".
[[nodiscard]] std::string describe(const Token& token);

} // namespace kmemu::scenario
