#include <catch2/catch.hpp>

#include <map>

#include "emu/scenario/parser.h"

using namespace kmemu;
using namespace kmemu::scenario;

namespace {
// A fake file system for includes.
FileReader fake_fs(std::map<std::string, std::string> files) {
    return [files = std::move(files)](const std::string& path) -> ErrorOr<std::string> {
        auto it = files.find(path);
        if (it == files.end())
            return make_error(ErrorKind::Io, "cannot include '{}': no such file", path);
        return it->second;
    };
}

std::string parse_error(std::string text, std::map<std::string, std::string> files = {}) {
    Program p;
    auto r = parse_program(p, "t.kms", std::move(text), fake_fs(std::move(files)));
    REQUIRE(r.is_error());
    return p.sources.render_error(r.error());
}

Program parse_ok(std::string text, std::map<std::string, std::string> files = {}) {
    Program p;
    auto r = parse_program(p, "t.kms", std::move(text), fake_fs(std::move(files)));
    if (r.is_error())
        FAIL(p.sources.render_error(r.error()));
    return p;
}
} // namespace

TEST_CASE("scenario parser: statements of every kind", "[scenario]") {
    auto p = parse_ok("machine arch=i386 mem=1G\n"
                      "kernel { p = vmalloc(100); expect p != 0 }\n"
                      "process app uid=1000 gid=100 caps=CAP_SYS_RAWIO,CAP_DAC_OVERRIDE {\n"
                      "  fd = open(\"/dev/mem\", O_RDWR)\n"
                      "}\n"
                      "hexdump /dev/mem 0x1000 16\n"
                      "print 1, \"a\"\n"
                      "repeat 2 { }\n"
                      "if 1 { } else if 2 { } else { }\n");
    REQUIRE(p.stmts.size() == 7);
    CHECK(p.stmts[0]->kind == StmtKind::Machine);
    REQUIRE(p.stmts[0]->words.size() == 2);
    CHECK(p.stmts[0]->words[1].text == "mem=1G");
    CHECK(p.stmts[1]->kind == StmtKind::Kernel);
    REQUIRE(p.stmts[1]->body.size() == 2);
    CHECK(p.stmts[1]->body[1]->text == "p != 0");
    const Stmt& proc = *p.stmts[2];
    CHECK(proc.kind == StmtKind::Process);
    CHECK(proc.name == "app");
    REQUIRE(proc.caps.size() == 2);
    CHECK(proc.caps[1].text == "CAP_DAC_OVERRIDE");
    CHECK(proc.uid->value == 1000);
    CHECK(proc.gid->value == 100);
    const Stmt& hd = *p.stmts[3];
    CHECK(hd.kind == StmtKind::Command);
    REQUIRE(hd.args.size() == 3);
    CHECK(hd.args[0].is_path);
    CHECK(hd.args[0].path == "/dev/mem");
    CHECK(hd.args[1].expr->value == 0x1000);
    CHECK(p.stmts[6]->else_body.size() == 1); // else if nests an If
}

TEST_CASE("scenario parser: C precedence", "[scenario]") {
    // 1 + 2 * 3 << 1 == 14 && 1 parses as ((1 + (2*3)) << 1) == 14) && 1.
    auto p = parse_ok("expect 1 + 2 * 3 << 1 == 14 && 1");
    const Expr& e = *p.stmts[0]->exprs[0];
    REQUIRE(e.kind == ExprKind::Binary);
    CHECK(e.text == "&&");
    const Expr& eq = *e.kids[0];
    CHECK(eq.text == "==");
    CHECK(eq.kids[0]->text == "<<");
    CHECK(eq.kids[0]->kids[0]->text == "+");
    CHECK(eq.kids[0]->kids[0]->kids[1]->text == "*");
    // The expectation quotes its own source.
    CHECK(p.stmts[0]->text == "1 + 2 * 3 << 1 == 14 && 1");
}

TEST_CASE("scenario parser: errors with line, column and caret", "[scenario]") {
    CHECK(parse_error("x = (1 + 2\n") == "t.kms:1:11: error: expected ')' to close the '(' at "
                                         "1:5, found end of file\nx = (1 + 2\n          ^\n");
    CHECK(parse_error("kernel {\n  x = 1\n") ==
          "t.kms:2:8: error: missing '}' before end of file\n  x = 1\n       ^\n");
    CHECK(parse_error("print 1 2") ==
          "t.kms:1:9: error: expected end of statement, found number 2\nprint 1 2\n        ^\n");
    CHECK(parse_error("}") == "t.kms:1:1: error: '}' without a matching '{'\n}\n^\n");
    CHECK(parse_error("expect = 3") ==
          "t.kms:1:1: error: 'expect' is a keyword and cannot be assigned\nexpect = 3\n^\n");
    CHECK(parse_error("x = 1 +") ==
          "t.kms:1:8: error: expected a value, found end of file\nx = 1 +\n       ^\n");
    CHECK(parse_error("1 + 2") ==
          "t.kms:1:1: error: expected a statement, found number 1\n1 + 2\n^\n");
    CHECK(parse_error("process p cpu=1 { }") ==
          "t.kms:1:11: error: unknown process setting 'cpu' (allowed: uid, gid, caps)\n"
          "process p cpu=1 { }\n          ^\n");
}

TEST_CASE("scenario parser: include, cycles and missing files", "[scenario]") {
    auto p = parse_ok("include \"lib/a.kms\"\nprint 2",
                      {{"lib/a.kms", "x = 1\ninclude \"b.kms\""}, {"lib/b.kms", "y = 2"}});
    REQUIRE(p.stmts.size() == 3); // x = 1, y = 2 (b.kms is relative to lib/a.kms), print 2
    CHECK(p.stmts[1]->name == "y");
    CHECK(p.sources.file(p.stmts[1]->loc.file).name == "lib/b.kms");

    CHECK(parse_error("include \"a.kms\"", {{"a.kms", "\ninclude \"t.kms\""}}) ==
          "a.kms:2:9: error: include cycle: t.kms -> a.kms -> t.kms\ninclude \"t.kms\"\n"
          "        ^\n");
    CHECK(parse_error("x = 1\ninclude \"gone.kms\"") ==
          "t.kms:2:9: error: cannot include 'gone.kms': no such file\ninclude \"gone.kms\"\n"
          "        ^\n");
    // An error inside an included file names that file.
    CHECK(parse_error("include \"a.kms\"", {{"a.kms", "x = )"}}) ==
          "a.kms:1:5: error: expected a value, found ')'\nx = )\n    ^\n");
}

TEST_CASE("scenario parser: nesting limits", "[scenario]") {
    std::string deep = "x = " + std::string(300, '(') + "1" + std::string(300, ')');
    CHECK_THAT(parse_error(deep), Catch::Contains("expression nested too deeply (at most 200 "
                                                  "levels)"));
    std::string chain = "x = 1";
    for (int i = 0; i < 300; ++i)
        chain += " + 1";
    CHECK_THAT(parse_error(chain), Catch::Contains("expression nested too deeply"));
    std::string negs = "x = " + std::string(300, '-') + "1";
    CHECK_THAT(parse_error(negs), Catch::Contains("expression nested too deeply"));
    std::string blocks;
    for (int i = 0; i < 70; ++i)
        blocks += "repeat 1 { ";
    CHECK_THAT(parse_error(blocks), Catch::Contains("blocks nested too deeply (at most 64)"));
    // A file including itself through a renamed path still stops (cycle or depth).
    std::map<std::string, std::string> fs;
    for (int i = 0; i < 20; ++i)
        fs[fmt::format("f{}.kms", i)] = fmt::format("include \"f{}.kms\"", i + 1);
    CHECK_THAT(parse_error("include \"f0.kms\"", fs),
               Catch::Contains("includes nested too deeply (at most 16)"));
}
