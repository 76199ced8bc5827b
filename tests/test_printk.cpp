// printk itself: level tokens, return values and continuation lines per era, the console
// levels, and the boot messages.
#include <catch2/catch.hpp>

#include "devices/printk/printk.h"
#include "emu/dmesg.h"
#include "emu/machine.h"
#include "mm/kernel_image/linux_banner.h"

using namespace kmemu;

namespace {

std::unique_ptr<Machine> boot(std::vector<std::string> words) {
    auto c = parse_config_words(words);
    REQUIRE(c);
    auto m = Machine::boot(c.release_value());
    REQUIRE(m);
    return m.release_value();
}

// The char-buffer text printed after boot.
std::string chars_after(PrintkLog& log, const std::string& before) {
    const std::string all = log.syslog_read_all();
    return all.substr(before.size());
}

const PrintkRecord* record(DeviceKernel& k, u64 seq) {
    return printk_log(k).records()->read_valid(seq);
}

} // namespace

TEST_CASE("printk 2.6.32: one <N> per line, the time after it, and the return value", "[printk]") {
    auto m = boot({"arch=x86_64", "kernel=2.6.32"});
    DeviceKernel& k = m->devices().kernel();
    PrintkLog& log = printk_log(k);
    const std::string before = log.syslog_read_all();
    REQUIRE(m->advance_clock_ns(12'345'678'901));
    // vscnprintf length 9, plus "<6>" (3) and "[   12.345678] " (15) for the one line.
    CHECK(printk(k, "<6>hello\n") == 27);
    // Two lines of one call both get the call's level; 7 + 2 * (3 + 15).
    CHECK(printk(k, "<3>a\nb\n") == 43);
    // A line without newline is continued by the next call (no token at its start); a token
    // at the start of a call ends the unfinished line first.
    CHECK(printk(k, "<6>ab") == 23);
    CHECK(printk(k, "cd\n") == 3);
    CHECK(printk(k, "<6>x") == 22);
    CHECK(printk(k, "<4>y\n") == 23);
    CHECK(chars_after(log, before) == "<6>[   12.345678] hello\n"
                                      "<3>[   12.345678] a\n<3>[   12.345678] b\n"
                                      "<6>[   12.345678] abcd\n"
                                      "<6>[   12.345678] x\n<4>[   12.345678] y\n");
    // Text after a NUL is not printed; printk_buf keeps 1023 characters.
    CHECK(printk(k, std::string_view("z\0hidden\n", 9)) == 19);
    CHECK(printk(k, std::string(2000, 'q')) == 1023); // continues the unfinished "z" line
}

TEST_CASE("printk 2.6.24 and 2.6.28: every line's own token, and the return value loses it",
          "[printk]") {
    auto m = boot({"arch=x86_64", "kernel=2.6.24"});
    DeviceKernel& k = m->devices().kernel();
    const std::string before = printk_log(k).syslog_read_all();
    // 2.6.24: 9 - 3 + strlen("<6>[    0.000000] ") = 24; the next line takes the default.
    CHECK(printk(k, "<6>hello\n<2>x\ny\n") == 16 - 6 + 3 * 18);
    CHECK(chars_after(printk_log(k), before) ==
          "<6>[    0.000000] hello\n<2>[    0.000000] x\n<4>[    0.000000] y\n");

    auto m28 = boot({"arch=x86_64", "kernel=2.6.28"});
    DeviceKernel& k28 = m28->devices().kernel();
    const std::string b28 = printk_log(k28).syslog_read_all();
    // 2.6.26-2.6.30: a token sets the level for the lines after it in the same call.
    CHECK(printk(k28, "<6>hello\n<2>x\ny\n") == 16 - 6 + 3 * 18);
    CHECK(chars_after(printk_log(k28), b28) ==
          "<6>[    0.000000] hello\n<2>[    0.000000] x\n<2>[    0.000000] y\n");
}

TEST_CASE("printk 3.5+: tokens are KERN_SOH from 3.6, the return value is the stored text",
          "[printk]") {
    auto m = boot({"arch=x86_64", "kernel=3.10"});
    DeviceKernel& k = m->devices().kernel();
    const u64 s = printk_log(k).records()->next_seq();
    CHECK(kern_level(k, 6) == "\0016");
    CHECK(printk(k, "\0016hello\n") == 5);
    CHECK(printk(k, "<6>angle\n") == 8); // not a token in 3.6+: kept, default level
    REQUIRE(record(k, s + 1));
    CHECK(record(k, s)->level == 6);
    CHECK(record(k, s)->text == "hello");
    CHECK(record(k, s + 1)->level == 4);
    CHECK(record(k, s + 1)->text == "<6>angle");

    auto m35 = boot({"arch=x86_64", "kernel=3.5"});
    DeviceKernel& k35 = m35->devices().kernel();
    const u64 s35 = printk_log(k35).records()->next_seq();
    CHECK(kern_level(k35, 6) == "<6>");
    CHECK(printk(k35, "<6>angle\n") == 5);
    CHECK(record(k35, s35)->level == 6);
    CHECK(record(k35, s35)->text == "angle");
}

TEST_CASE("printk KERN_CONT: 4.19's cont buffer and 6.1's open record join the same task's "
          "pieces; 3.10 joins any piece without a level",
          "[printk]") {
    for (const char* v : {"kernel=4.19", "kernel=6.1"}) {
        INFO(v);
        auto m = boot({"arch=x86_64", v});
        DeviceKernel& k = m->devices().kernel();
        RecordStore& store = *printk_log(k).records();
        const u64 s = store.next_seq();
        REQUIRE(m->advance_clock_ns(1000));
        CHECK(printk(k, kern_level(k, 6) + "Memory:") == 7);
        REQUIRE(m->advance_clock_ns(1000));
        CHECK(printk(k, kern_cont(k) + " 512MB") == 6);
        CHECK(store.next_seq() == s); // still open
        CHECK(printk(k, kern_cont(k) + " = 512MB total\n") == 14);
        REQUIRE(store.next_seq() == s + 1);
        CHECK(record(k, s)->text == "Memory: 512MB = 512MB total");
        CHECK(record(k, s)->ts_nsec == 1000); // the first piece's time
        // A continuation with nothing to continue is a record of its own, flagged LOG_CONT.
        CHECK(printk(k, kern_cont(k) + "orphan\n") == 6);
        CHECK(record(k, s + 1)->flags == (LOG_CONT | LOG_NEWLINE));
    }
    auto m = boot({"arch=x86_64", "kernel=3.10"});
    DeviceKernel& k = m->devices().kernel();
    RecordStore& store = *printk_log(k).records();
    const u64 s = store.next_seq();
    CHECK(printk(k, kern_level(k, 6) + "Memory:") == 7);
    CHECK(printk(k, " 512MB") == 6);
    CHECK(printk(k, " = 512MB total\n") == 14);
    REQUIRE(store.next_seq() == s + 1);
    CHECK(record(k, s)->text == "Memory: 512MB = 512MB total");
    // A level token ends the buffered line: two records.
    CHECK(printk(k, kern_level(k, 6) + "one") == 3);
    CHECK(printk(k, kern_level(k, 6) + "two\n") == 3);
    CHECK(record(k, s + 1)->text == "one");
    CHECK(record(k, s + 2)->text == "two");
}

TEST_CASE("printk console: loglevel= decides what reaches the console", "[printk]") {
    for (const char* v : {"kernel=2.6.32", "kernel=3.10", "kernel=6.1"}) {
        INFO(v);
        auto m = boot({"arch=x86_64", v, "loglevel=4"});
        DeviceKernel& k = m->devices().kernel();
        PrintkLog& log = printk_log(k);
        CHECK(log.console_loglevel == 4);
        // The boot lines are KERN_NOTICE and KERN_INFO: not shown at loglevel 4.
        CHECK(log.console_output().empty());
        REQUIRE(m->advance_clock_ns(3'000'000));
        printk(k, kern_level(k, 3) + "error\n");
        printk(k, kern_level(k, 4) + "warning\n");
        printk(k, "default\n"); // default_message_loglevel 4: not shown either
        CHECK(log.console_output() == "[    0.003000] error\n");
    }
    auto m = boot({"arch=x86_64", "kernel=6.1"});
    CHECK(printk_log(m->devices().kernel()).console_loglevel == 7);
    CHECK(printk_log(m->devices().kernel())
              .console_output()
              .rfind("[    0.000000] Linux version", 0) == 0);
}

TEST_CASE("printk boot messages: the banner, Memory: and the layout block per arch/version",
          "[printk][boot]") {
    auto m = boot({"arch=x86_64", "kernel=6.1"});
    DeviceKernel& k = m->devices().kernel();
    REQUIRE(record(k, 1));
    CHECK(record(k, 0)->level == 5);
    CHECK(record(k, 0)->text + "\n" == linux_banner(m->profile().kernel_image));
    CHECK(record(k, 1)->level == 6);
    CHECK(record(k, 1)->text + "\n" == m->memory_line());
    CHECK(printk_log(k).records()->next_seq() == 2); // x86_64: no layout block

    auto i386 = boot({"arch=i386", "kernel=4.19"});
    DeviceKernel& ki = i386->devices().kernel();
    REQUIRE(record(ki, 2));
    CHECK(record(ki, 2)->level == 6);
    CHECK(record(ki, 2)->text + "\n" == i386->layout_block());

    auto arm = boot({"arch=arm", "kernel=4.4"});
    DeviceKernel& ka = arm->devices().kernel();
    const u64 n = printk_log(ka).records()->next_seq();
    REQUIRE(n >= 3);
    CHECK(record(ka, n - 1)->level == 5); // "Virtual kernel memory layout:" is KERN_NOTICE
    CHECK(record(ka, n - 1)->text + "\n" == arm->layout_block());

    auto old = boot({"arch=x86_64", "kernel=2.6.32"});
    CHECK(printk_log(old->devices().kernel()).syslog_read_all() ==
          "<5>[    0.000000] " + linux_banner(old->profile().kernel_image) + "<6>[    0.000000] " +
              old->memory_line());
}

TEST_CASE("printk C varargs form over the current kernel", "[printk]") {
    auto m = boot({"arch=x86_64", "kernel=6.1"});
    DeviceKernel& k = m->devices().kernel();
    const u64 s = printk_log(k).records()->next_seq();
    {
        DeviceKernelScope scope(k, nullptr);
        CHECK(printk("\0013driver: %s=%d [%-4x] %05lu%%\n", "irq", -7, 0xabu, 42ul) == 28);
    }
    REQUIRE(record(k, s));
    CHECK(record(k, s)->level == 3);
    CHECK(record(k, s)->text == "driver: irq=-7 [ab  ] 00042%");
    CHECK_THROWS_AS(printk("outside\n"), NoCurrentKernel);
}

TEST_CASE("dmesg: records at chosen virtual times, byte for byte", "[printk][dmesg]") {
    for (const char* v : {"kernel=3.10", "kernel=6.1"}) {
        INFO(v);
        auto m = boot({"arch=x86_64", v});
        DeviceKernel& k = m->devices().kernel();
        printk_log(k).syslog_clear(); // dmesg -C: forget the boot lines
        REQUIRE(m->advance_clock_ns(1'500'000'000));
        printk(k, kern_level(k, 6) + "first\n");
        REQUIRE(m->advance_clock_ns(250'000'999));
        printk(k, kern_level(k, 4) + "two\nlines\n");
        printk(k, kern_level(k, 6) + "\n");
        printk(k, kern_level(k, 6) + "bell\a\n");
        CHECK(dmesg_text(*m) == "[    1.500000] first\n"
                                "[    1.750000] two\n"
                                "               lines\n"
                                "\n"
                                "[    1.750000] bell\\x07\n");
        CHECK(dmesg_text(*m, {.raw = true}) == "<6>[    1.500000] first\n"
                                               "<4>[    1.750000] two\n"
                                               "                  lines\n"
                                               "\n"
                                               "<6>[    1.750000] bell\\x07\n");
    }
    auto m = boot({"arch=x86_64", "kernel=2.6.32"});
    DeviceKernel& k = m->devices().kernel();
    printk_log(k).syslog_clear();
    REQUIRE(m->advance_clock_ns(1'500'000'000));
    printk(k, "<6>first\n");
    REQUIRE(m->advance_clock_ns(250'000'999));
    printk(k, "<4>two\nlines\n");
    CHECK(dmesg_text(*m) == "[    1.500000] first\n[    1.750000] two\n[    1.750000] lines\n");
    CHECK(dmesg_text(*m, {.raw = true}) ==
          "<6>[    1.500000] first\n<4>[    1.750000] two\n<4>[    1.750000] lines\n");
}

TEST_CASE("dmesg of the i386 boot: the layout block's lines are indented (3.5+)",
          "[printk][dmesg]") {
    auto m = boot({"arch=i386", "kernel=3.10"});
    const std::string text = dmesg_text(*m);
    const std::string block = m->layout_block();
    std::string expected = "[    0.000000] ";
    for (size_t i = 0; i < block.size() - 1; ++i) {
        expected += block[i];
        if (block[i] == '\n')
            expected += std::string(15, ' ');
    }
    CHECK(text.substr(text.size() - expected.size() - 1) == expected + "\n");

    auto old = boot({"arch=i386", "kernel=2.6.32"});
    const std::string t2 = dmesg_text(*old);
    CHECK(t2.find("[    0.000000] virtual kernel memory layout:\n[    0.000000]     fixmap  : ") !=
          std::string::npos);
}
