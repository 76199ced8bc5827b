#include <catch2/catch.hpp>

#include "emu/scenario/interpreter.h"

using namespace kmemu;
using namespace kmemu::scenario;

namespace {
FileReader no_files() {
    return [](const std::string& path) -> ErrorOr<std::string> {
        return make_error(ErrorKind::Io, "cannot include '{}': no such file", path);
    };
}
ScriptRun run(std::string text) {
    return run_script("t.kms", std::move(text), no_files());
}
// The transcript of a script that must run without error or failed expectation.
std::string out(std::string text) {
    auto r = run(std::move(text));
    INFO(r.transcript);
    CHECK(r.status == kAllHeld);
    return r.transcript;
}
} // namespace

TEST_CASE("scenario eval: integer arithmetic and C precedence", "[scenario]") {
    CHECK(out("print 1 + 2 * 3") == "7\n");
    CHECK(out("print (1 + 2) * 3") == "9\n");
    CHECK(out("print 7 / 2, -7 / 2, -7 % 2, 7 % -2") == "3 -3 -1 1\n"); // C truncates toward 0
    CHECK(out("print 1 << 4 | 1, 0xf0 & 0x3c, 0xf0 ^ 0xff, ~0") == "17 48 15 -1\n");
    CHECK(out("print -16 >> 2, 16 >> 2") == "-4 4\n"); // arithmetic shift of signed values
    CHECK(out("print 3 > 2, 2 >= 3, 2 <= 2, 1 != 1, !5, !0") == "1 0 1 0 0 1\n");
    CHECK(out("print 0 && 1 / 0, 1 || 1 / 0") == "0 1\n"); // short-circuit skips the division
    CHECK(out("print 1 ? 10 : 20, 0 ? 10 : 0 ? 30 : 40") == "10 40\n");
    CHECK(out("print 4K, 16M, 1G, 0x10") == "4096 16777216 1073741824 16\n");
    // Wraps like two's complement: 2^63 * 2 = 2^64 = 0; INT64_MIN / -1 stays INT64_MIN.
    CHECK(out("print 0x8000000000000000 * 2") == "0\n");
    CHECK(out("print 0x8000000000000000 / -1") == "-9223372036854775808\n");
    CHECK(out("print -1 < 0") == "1\n"); // plain integers compare signed
}

TEST_CASE("scenario eval: byte strings", "[scenario]") {
    CHECK(out("s = \"asdf\"\nprint s[0], s[1:3], s[:2], s[2:], len(s)") ==
          "97 \"sd\" \"as\" \"df\" 4\n");
    CHECK(out("print x\"de ad\" == \"\\xde\\xad\", \"a\" + \"b\", \"a\" != \"b\"") ==
          "1 \"ab\" 1\n");
    CHECK(out("print bytes(3, 0x41), len(bytes(4K, 0))") == "\"AAA\" 4096\n");
    CHECK(out("print \"\" ? 1 : 2, \"x\" ? 1 : 2") == "2 1\n"); // empty bytes are false
}

TEST_CASE("scenario eval: constants with Linux values", "[scenario]") {
    CHECK(out("print O_RDONLY, O_WRONLY, O_RDWR, O_NONBLOCK, O_APPEND") == "0 1 2 2048 1024\n");
    // O_SYNC = __O_SYNC | O_DSYNC = 04000000 | 010000 = 1048576 + 4096 (asm-generic/fcntl.h).
    CHECK(out("print O_SYNC, O_DSYNC") == "1052672 4096\n");
    CHECK(out("print SEEK_SET, SEEK_CUR, SEEK_END") == "0 1 2\n");
    CHECK(out("print PROT_READ | PROT_WRITE, MAP_SHARED, MAP_PRIVATE, MAP_FIXED") == "3 1 2 16\n");
    CHECK(out("print EPERM, ENXIO, EAGAIN, ENOMEM, EACCES, EFAULT, EINVAL, ENOSPC, EPIPE") ==
          "1 6 11 12 13 14 22 28 32\n");
    CHECK(out("print CAP_SYS_RAWIO, CAP_SYS_ADMIN") == "17 21\n");
}

TEST_CASE("scenario eval: expectation messages show the values involved", "[scenario]") {
    auto r = run("p = 0xe0800000\nq = 3\n"
                 "expect p >= 0xe0870000\n"
                 "expect q == 5 && len(\"ab\") == 2\n"
                 "expect -q == -EFAULT\n"
                 "expect \"ab\" == \"ac\"\n"
                 "expect q < 5\n");
    CHECK(r.status == kExpectationFailed);
    CHECK(r.transcript == "t.kms:3: expectation failed: p >= 0xe0870000 (p = 0xe0800000)\n"
                          "t.kms:4: expectation failed: q == 5 && len(\"ab\") == 2 (q = 3)\n"
                          "t.kms:5: expectation failed: -q == -EFAULT (q = 3, EFAULT = 0xe)\n"
                          "t.kms:6: expectation failed: \"ab\" == \"ac\"\n");
    // Negative integers of 10 or more show as -0x..; small ones in decimal.
    r = run("r = -14\nexpect r == 0");
    CHECK(r.transcript == "t.kms:2: expectation failed: r == 0 (r = -0xe)\n");
}

TEST_CASE("scenario eval: script errors stop the run with exit status 2", "[scenario]") {
    auto r = run("print 1\nx = 5 / (2 - 2)\nprint 2");
    CHECK(r.status == kScriptError);
    CHECK(r.transcript == "1\nt.kms:2:7: error: division by zero\nx = 5 / (2 - 2)\n      ^\n");
    CHECK(run("x = 1 % 0").transcript.find("1:7: error: remainder by zero") != std::string::npos);
    CHECK(run("print y").transcript ==
          "t.kms:1:7: error: unknown name 'y' (not a variable set before this, nor a "
          "constant)\nprint y\n      ^\n");
    // Unknown functions are found before anything runs (nothing is printed first).
    CHECK(run("print 1\nkernel {\n  x = frobnicate(1)\n}").transcript ==
          "t.kms:3:7: error: unknown function 'frobnicate'\n  x = frobnicate(1)\n      ^\n");
    // Kernel actions belong in kernel blocks; planned names are a clear error until they land.
    CHECK(run("p = vmalloc(4096)").transcript ==
          "t.kms:1:5: error: vmalloc(size) is only allowed in kernel blocks\n"
          "p = vmalloc(4096)\n    ^\n");
    CHECK(run("kernel {\n  p = alloc_pages(0)\n}").transcript ==
          "t.kms:2:7: error: the function alloc_pages(order, flags) is not available yet in this "
          "build\n  p = alloc_pages(0)\n      ^\n");
    CHECK(run("dmesg").transcript ==
          "t.kms:1:1: error: dmesg needs a booted machine: put a `machine` line before this\n"
          "dmesg\n^\n");
    CHECK(run("print len(1, 2)").transcript.find("len(bytes) takes 1 argument, not 2") !=
          std::string::npos);
    CHECK(run("print getuid()").transcript.find("getuid() is only allowed in process blocks") !=
          std::string::npos);
    CHECK(run("print \"ab\"[2]").transcript.find("index 2 is out of range for 2 bytes") !=
          std::string::npos);
    CHECK(run("print \"ab\"[1:3]").transcript.find("slice [1:3] is out of range for 2 bytes") !=
          std::string::npos);
    CHECK(run("print 1 << 64").transcript.find("shift count 64 is out of range (0 to 63)") !=
          std::string::npos);
    CHECK(run("print \"a\" < 1").transcript.find("'<' needs integers, not bytes and integer") !=
          std::string::npos);
    CHECK(run("PAGE_SIZE = 1").transcript.find("'PAGE_SIZE' is a constant") != std::string::npos);
    CHECK(run("print PAGE_SIZE").transcript ==
          "t.kms:1:7: error: PAGE_SIZE needs a booted machine: put a `machine` line before "
          "this\nprint PAGE_SIZE\n      ^\n");
    CHECK(run("layout").transcript.find("layout needs a booted machine") != std::string::npos);
    CHECK(run("print bytes(17M)").transcript.find("bytes: length 17825792 is out of range") !=
          std::string::npos);
}

TEST_CASE("scenario eval: a bad machine line points at the word", "[scenario]") {
    CHECK(run("machine arch=i386 mem=lots").transcript ==
          "t.kms:1:19: error: mem: 'lots' is not allowed (allowed: a size such as 512M, 4G, 1T "
          "or 0x1fead000)\nmachine arch=i386 mem=lots\n                  ^\n");
    // validate() names the key; the caret goes to that word.
    CHECK(run("machine arch=x86_64  split=3G").transcript ==
          "t.kms:1:22: error: split: not allowed with arch=x86_64 (applies to i386, i386-pae, "
          "arm, arm-lpae)\nmachine arch=x86_64  split=3G\n                     ^\n");
    CHECK(run("machine bogus")
              .transcript.find("1:9: error: 'bogus' is not a configuration "
                               "word") != std::string::npos);
}

TEST_CASE("scenario eval: processes, blocks and loops", "[scenario]") {
    CHECK(out("process a uid=1000 gid=50 { print getuid(), getgid() }\n"
              "process a { print getuid() }\n"
              "process { print getuid() }") == "1000 50\n1000\n0\n");
    CHECK(run("process a uid=1 { }\nprocess a uid=2 { }")
              .transcript.find("process 'a' already exists (created at line 1)") !=
          std::string::npos);
    CHECK(run("process caps=CAP_NOPE { }").transcript.find("unknown capability 'CAP_NOPE'") !=
          std::string::npos);
    CHECK(run("kernel { process { } }")
              .transcript.find("a process block cannot be inside a kernel block") !=
          std::string::npos);
    CHECK(out("i = 0\nrepeat 10 { i = i + 3 }\nprint i") == "30\n");
    CHECK(out("x = 2\nif x == 1 { print 1 } else if x == 2 { print 2 } else { print 3 }") == "2\n");
    CHECK(run("repeat 1000001 { }").transcript.find("repeat count 1000001 is out of range") !=
          std::string::npos);
    // 1000 * 1001 statements > the 1,000,000 step limit: stops with an error, not a hang.
    CHECK(run("repeat 1000 { repeat 1000 { x = 1 } }").status == kScriptError);
}

TEST_CASE("scenario eval: printf", "[scenario]") {
    CHECK(out("printf(\"%d|%5d|%-5d|%05d|%+d\\n\", -3, 42, 42, 42, 7)") ==
          "-3|   42|42   |00042|+7\n");
    // Without a length, %x and %u take a 32-bit int as C does; %lx the word (64 bits here).
    CHECK(out("printf(\"%x %lx %u %llx\\n\", -1, -1, -1, 0x123456789)") ==
          "ffffffff ffffffffffffffff 4294967295 123456789\n");
    CHECK(out("printf(\"%#x %#o %X %c%c\\n\", 255, 8, 0xabc, 0x41, 0x42)") == "0xff 010 ABC AB\n");
    CHECK(out("printf(\"%s|%.2s|%4s|%p|%p|%%\\n\", \"abc\", \"abc\", \"x\", 0x1000, 0)") ==
          "abc|ab|   x|0x1000|(nil)|%\n");
    CHECK(out("n = printf(\"hello\\n\")\nprint n") == "hello\n6\n");
    CHECK(
        run("printf(\"%d %d\", 1)")
            .transcript.find("printf: the format has more conversions than arguments (at '%d')") !=
        std::string::npos);
    CHECK(run("printf(\"%d\", 1, 2)").transcript.find("1 argument left over") != std::string::npos);
    CHECK(run("printf(\"%s\", 1)").transcript.find("%s needs bytes, not integer") !=
          std::string::npos);
    CHECK(run("printf(\"%q\", 1)").transcript.find("unknown conversion '%q'") != std::string::npos);
}
