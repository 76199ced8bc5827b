#include <catch2/catch.hpp>

#include "emu/scenario/lexer.h"

using namespace kmemu;
using namespace kmemu::scenario;

namespace {
std::vector<Token> tokens(std::string_view text) {
    auto r = lex(text, 0);
    REQUIRE_FALSE(r.is_error());
    return r.release_value();
}
ScriptError lex_error(std::string_view text) {
    auto r = lex(text, 0);
    REQUIRE(r.is_error());
    return r.release_error();
}
} // namespace

TEST_CASE("scenario lexer: numbers in every base, with size suffixes", "[scenario]") {
    auto t = tokens("0x1f 017 0b101 42 4K 16M 1G 2T 0x10K");
    REQUIRE(t.size() == 11); // 9 numbers, Newline, End
    CHECK(t[0].value == 31);
    CHECK(t[1].value == 15); // octal 017 = 8 + 7, as in C
    CHECK(t[2].value == 5);
    CHECK(t[3].value == 42);
    CHECK(t[4].value == 4096);
    CHECK(t[5].value == 16u << 20);
    CHECK(t[6].value == 1u << 30);
    CHECK(t[7].value == u64{2} << 40);
    CHECK(t[8].value == 16u << 10);
    CHECK(t[9].kind == TokenKind::Newline);
    CHECK(t[10].kind == TokenKind::End);
}

TEST_CASE("scenario lexer: strings decode C escapes and hex strings", "[scenario]") {
    auto t = tokens(R"("a\n\t\\\"\x41\0" x"de ad be ef")");
    REQUIRE(t[0].kind == TokenKind::String);
    CHECK(t[0].text == std::string("a\n\t\\\"A\0", 7));
    CHECK(t[1].text == "\xde\xad\xbe\xef");
}

TEST_CASE("scenario lexer: operators, comments and newlines", "[scenario]") {
    auto t = tokens("a<<=b # comment <<\n(c\n)");
    // a << = b NL ( c ) NL END: the newline inside ( ) does not end the statement.
    REQUIRE(t.size() == 10);
    CHECK(t[1].is_punct("<<"));
    CHECK(t[2].is_punct("="));
    CHECK(t[4].kind == TokenKind::Newline);
    CHECK(t[5].is_punct("("));
    CHECK(t[7].is_punct(")"));
    CHECK(t[7].loc.line == 3);
    CHECK(t[7].loc.col == 1);
}

TEST_CASE("scenario lexer: a machine line is split into raw words", "[scenario]") {
    auto t = tokens("machine arch=i386-pae mem=0x1fead000 # c\nx = arch");
    REQUIRE(t[1].kind == TokenKind::Word);
    CHECK(t[1].text == "arch=i386-pae");
    CHECK(t[1].loc.col == 9);
    CHECK(t[2].text == "mem=0x1fead000");
    CHECK(t[3].kind == TokenKind::Newline);
    CHECK(t[4].kind == TokenKind::Ident); // word mode ends with the line
    // `machine` not at a statement start is an ordinary name.
    auto u = tokens("x = machine + 1");
    CHECK(u[3].is_punct("+"));
}

TEST_CASE("scenario lexer: errors name the position", "[scenario]") {
    auto e = lex_error("x = 1\ny = 12Q");
    CHECK(e.loc.line == 2);
    CHECK(e.loc.col == 5);
    CHECK(e.message == "bad number '12Q' (size suffixes are K, M, G, T)");
    e = lex_error("x = 99999999999999999999");
    CHECK(e.message == "number '99999999999999999999' does not fit in 64 bits");
    e = lex_error("x = 16777216T"); // 2^24 * 2^40 = 2^64 overflows
    CHECK(e.message == "number '16777216T' does not fit in 64 bits");
    e = lex_error("s = \"ab\\q\"");
    CHECK(e.loc.col == 8);
    CHECK(e.message.rfind("unknown escape '\\q'", 0) == 0);
    e = lex_error("s = \"open");
    CHECK(e.loc.col == 5);
    e = lex_error("s = x\"abc\"");
    CHECK(e.loc.col == 9); // the unpaired 'c'
    e = lex_error("x = 089");
    CHECK(e.message == "digit '8' is not allowed in a base-8 number");
    e = lex_error("x = 1 $ 2");
    CHECK(e.message == "unexpected character '$'");
    e = lex_error(std::string_view("x = \x01", 5));
    CHECK(e.message == "unexpected byte 0x01");
}
