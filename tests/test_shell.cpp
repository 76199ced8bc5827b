// kmemu shell: inputs run one at a time on one interpreter; errors leave the session usable.
#include <catch2/catch.hpp>

#include "emu/scenario/shell.h"

using namespace kmemu::scenario;

TEST_CASE("the shell keeps the machine and variables between inputs", "[shell]") {
    Shell sh({"arch=i386", "mem=512M", "split=3G", "kernel=2.6.32"});
    CHECK(sh.feed("kernel {") == "");
    CHECK(sh.wants_more());
    CHECK(sh.feed("    p = vmalloc(100)") == "");
    CHECK(sh.feed("}") == "");
    CHECK_FALSE(sh.wants_more());
    CHECK(sh.feed("print p") == "0xe0800000\n");
    CHECK(sh.feed("expect p == 0") == "<input 4>:1: expectation failed: p == 0 (p = 0xe0800000)\n");
    // A syntax error is reported with its caret and the session goes on.
    CHECK(sh.feed("print (1 +") == "<input 5>:1:11: error: expected a value, found end of file\n"
                                   "print (1 +\n"
                                   "          ^\n");
    CHECK(sh.feed("print p + 0x1000") == "0xe0801000\n");
    // A second machine line is refused: one machine per session.
    CHECK(sh.feed("machine arch=x86_64").find("a script has one machine") != std::string::npos);
    CHECK(sh.feed("") == "");
}

TEST_CASE("shell help lists commands and functions; braces in strings do not count", "[shell]") {
    Shell sh;
    std::string h = sh.feed("help");
    CHECK(h.find("Commands:\n") != std::string::npos);
    CHECK(h.find("  vmalloc(size)") != std::string::npos);
    CHECK(h.find("  hexdump PATH OFFSET LEN") != std::string::npos);
    CHECK(sh.feed("help open") == "open(path, flags)  (in process blocks)\n");
    CHECK(sh.feed("help nosuch") ==
          "no function, command or constant named 'nosuch' (try `help`)\n");
    CHECK(open_braces("print \"{\" # {\n") == 0);
    CHECK(open_braces("kernel {\n  x = 1\n") == 1);
    CHECK(sh.feed("print \"{\"") == "\"{\"\n");
    CHECK(sh.feed("print PAGE_OFFSET").find("needs a booted machine") != std::string::npos);
}
