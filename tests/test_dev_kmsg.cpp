// /dev/kmsg through Process syscalls, kernel-semantics.md §2.15 and §7.2 cases 81-87, 94, 95,
// on each side of the version boundaries (2.6.32 write-only; 3.10 records with the 3.x cont
// buffer; 4.19 records with per-open state and ratelimit; 5.10 and 6.1 printk_ringbuffer).
#include <catch2/catch.hpp>

#include "devices/printk/printk.h"
#include "emu/machine.h"
#include "fake_user_memory.h"
#include "mm/errno.h"

using namespace kmemu;

namespace {

constexpr u64 kIn = 0x10000;  // user buffer for writes
constexpr u64 kOut = 0x40000; // user buffer for reads

struct Rig {
    std::unique_ptr<Machine> m;
    Process* p = nullptr;
    test::FakeUserMemory* mem = nullptr;

    explicit Rig(std::vector<std::string> words, Cred cred = Cred::root()) {
        auto c = parse_config_words(words);
        REQUIRE(c);
        auto booted = Machine::boot(c.release_value());
        REQUIRE(booted);
        m = booted.release_value();
        p = &spawn(cred);
    }
    Process& spawn(Cred cred, std::string comm = "a.out") {
        Process& proc = m->spawn({std::move(comm), cred});
        auto fake = std::make_unique<test::FakeUserMemory>();
        mem = fake.get();
        fake->map(kIn, 0x10000, 0);
        fake->map(kOut, 0x4000, 0xee);
        proc.set_user_memory(std::move(fake));
        return proc;
    }
    long write(int fd, std::string_view s, Process* who = nullptr) {
        Process& proc = who ? *who : *p;
        auto* um = static_cast<test::FakeUserMemory*>(proc.user_memory());
        um->poke(kIn, std::span(reinterpret_cast<const u8*>(s.data()), s.size()));
        return proc.write(fd, VirtAddr(kIn), s.size());
    }
    // read(fd, kOut, n): the result and, when positive, the bytes read.
    std::pair<long, std::string> read(int fd, u64 n = 0x4000, Process* who = nullptr) {
        Process& proc = who ? *who : *p;
        auto* um = static_cast<test::FakeUserMemory*>(proc.user_memory());
        long r = proc.read(fd, VirtAddr(kOut), n);
        std::string s;
        if (r > 0) {
            auto b = um->bytes(kOut, static_cast<u64>(r));
            s.assign(b.begin(), b.end());
        }
        return {r, s};
    }
    int open_kmsg(unsigned flags, Process* who = nullptr) {
        long fd = (who ? *who : *p).open("/dev/kmsg", flags);
        REQUIRE(fd >= 3);
        return static_cast<int>(fd);
    }
    // The seq the next record will get: every record so far is readable after a SEEK_END.
    u64 next_seq() { return printk_log(m->devices().kernel()).records()->next_seq(); }
};

const unsigned kRdNb = oflag::kRdonly | oflag::kNonblock;
const unsigned kRwNb = oflag::kRdwr | oflag::kNonblock;

} // namespace

TEST_CASE("kmsg 81: <5>hello is prio 13 from LOG_USER, read back with its time", "[kmsg]") {
    for (const char* v : {"kernel=3.10", "kernel=4.19", "kernel=5.10", "kernel=6.1"}) {
        INFO(v);
        Rig r({"arch=x86_64", v});
        int fd = r.open_kmsg(kRwNb);
        REQUIRE(r.p->lseek(fd, 0, kSeekEnd) == 0);
        const u64 seq = r.next_seq();
        REQUIRE(r.m->advance_clock_ns(1'500'000'123));
        CHECK(r.write(fd, "<5>hello\n") == 9);
        const std::string line = fmt::format("13,{},1500000,-;hello\n", seq);
        CHECK(r.read(fd) == std::pair<long, std::string>{static_cast<long>(line.size()), line});
    }
}

TEST_CASE("kmsg 82: prefix parsing, escapes and the empty number", "[kmsg]") {
    for (const char* v : {"kernel=3.10", "kernel=6.1"}) {
        INFO(v);
        Rig r({"arch=x86_64", v});
        int fd = r.open_kmsg(kRwNb);
        REQUIRE(r.p->lseek(fd, 0, kSeekEnd) == 0);
        const u64 s = r.next_seq();
        CHECK(r.write(fd, "<14>x\n") == 6);
        CHECK(r.write(fd, "<abc>x\n") == 7);
        CHECK(r.write(fd, "a\tb\\\n") == 5);
        CHECK(r.write(fd, "<>x\n") == 4);
        CHECK(r.read(fd).second == fmt::format("14,{},0,-;x\n", s));
        CHECK(r.read(fd).second == fmt::format("12,{},0,-;<abc>x\n", s + 1));
        CHECK(r.read(fd).second == fmt::format("12,{},0,-;a\\x09b\\x5c\n", s + 2));
        CHECK(r.read(fd).second == fmt::format("8,{},0,-;x\n", s + 3));
    }
}

TEST_CASE("kmsg: a facility whose low byte is 0 is the kernel's in 3.x, LOG_USER from 4.8",
          "[kmsg]") {
    // "<2051>": u = 2051 = 256 << 3 | 3. 3.10 keeps (u >> 3) = 256 in a u8 facility (0);
    // 4.8+ tests LOG_FACILITY(u) = 256 & 0xff = 0 and keeps LOG_USER.
    Rig old({"arch=x86_64", "kernel=3.10"});
    int fd = old.open_kmsg(kRwNb);
    REQUIRE(old.p->lseek(fd, 0, kSeekEnd) == 0);
    u64 s = old.next_seq();
    CHECK(old.write(fd, "<2051>x\n") == 8);
    CHECK(old.read(fd).second == fmt::format("3,{},0,-;x\n", s));

    Rig now({"arch=x86_64", "kernel=6.1"});
    fd = now.open_kmsg(kRwNb);
    REQUIRE(now.p->lseek(fd, 0, kSeekEnd) == 0);
    s = now.next_seq();
    CHECK(now.write(fd, "<2051>x\n") == 8);
    CHECK(now.read(fd).second == fmt::format("11,{},0,-;x\n", s));
}

TEST_CASE("kmsg 83: 993 bytes are EINVAL, 992 accepted (3.5+); 2.6.32 returns the count",
          "[kmsg]") {
    for (const char* v : {"kernel=3.10", "kernel=4.19", "kernel=6.1"}) {
        INFO(v);
        Rig r({"arch=x86_64", v});
        int fd = r.open_kmsg(oflag::kWronly);
        CHECK(r.write(fd, std::string(993, 'a')) == -EINVAL);
        CHECK(r.write(fd, std::string(992, 'a')) == 992);
    }
    // 2.6.32 kmsg_write: printk("%s") returns 993 + "<4>" + "[    0.000000] " = 1011, and
    // the write returns min(1011, 993).
    Rig r({"arch=x86_64", "kernel=2.6.32"});
    int fd = r.open_kmsg(oflag::kWronly);
    CHECK(r.write(fd, std::string(993, 'a')) == 993);
    CHECK(r.write(fd, "") == 0);
}

TEST_CASE("kmsg 84: a too small buffer is EINVAL and loses the record for this reader", "[kmsg]") {
    for (const char* v : {"kernel=3.10", "kernel=5.10", "kernel=6.1"}) {
        INFO(v);
        Rig r({"arch=x86_64", v});
        int fd = r.open_kmsg(kRwNb);
        REQUIRE(r.p->lseek(fd, 0, kSeekEnd) == 0);
        const u64 s = r.next_seq();
        const std::string forty = "<6>" + std::string(29, 'q') + "\n"; // "14,S,0,-;" + 29 + \n
        CHECK(r.write(fd, forty) == 33);
        CHECK(r.write(fd, "<6>next\n") == 8);
        r.mem->poke(kOut, std::vector<u8>(10, 0xee));
        CHECK(r.read(fd, 10).first == -EINVAL);
        CHECK(r.mem->bytes(kOut, 1)[0] == 0xee); // nothing copied
        CHECK(r.read(fd).second == fmt::format("14,{},0,-;next\n", s + 1));
    }
}

TEST_CASE("kmsg 85: llseek offsets and whence; SEEK_END then a non-blocking read", "[kmsg]") {
    for (const char* v : {"kernel=3.10", "kernel=4.19", "kernel=6.1"}) {
        INFO(v);
        Rig r({"arch=x86_64", v});
        int fd = r.open_kmsg(kRdNb);
        CHECK(r.p->lseek(fd, 1, kSeekSet) == -ESPIPE);
        CHECK(r.p->lseek(fd, 0, kSeekCur) == -EINVAL);
        CHECK(r.p->lseek(fd, 0, kSeekHole) == -EINVAL);
        CHECK(r.p->lseek(fd, 0, kSeekEnd) == 0);
        CHECK(r.read(fd).first == -EAGAIN);
        CHECK(r.p->file(fd)->f.f_pos == 0);
        // SEEK_SET: back to the banner.
        CHECK(r.p->lseek(fd, 0, kSeekSet) == 0);
        auto [n, text] = r.read(fd);
        CHECK(text.rfind("5,0,0,-;Linux version ", 0) == 0);
    }
}

TEST_CASE("kmsg 87: 2.6.32 /dev/kmsg has no read method; 3.10 reads records", "[kmsg]") {
    Rig old({"arch=x86_64", "kernel=2.6.32"});
    int fd = old.open_kmsg(oflag::kRdwr);
    CHECK(old.read(fd, 10).first == -EINVAL);
    CHECK(old.write(fd, "<5>hello\n") == 9);
    // No llseek method: 2.6.32's default_llseek moves f_pos like a file.
    CHECK(old.p->lseek(fd, 5, kSeekSet) == 5);

    Rig now({"arch=x86_64", "kernel=3.10"});
    fd = now.open_kmsg(oflag::kRdwr);
    CHECK(now.read(fd, 10).first == -EINVAL); // the banner does not fit: consumed
    CHECK(now.read(fd).second.rfind("6,1,0,-;Memory: ", 0) == 0);
}

TEST_CASE("kmsg 94: a write without newline stays open until the next record (4.19+); 3.10 "
          "joins the next write of the same task",
          "[kmsg]") {
    for (const char* v : {"kernel=4.19", "kernel=5.10", "kernel=6.1"}) {
        INFO(v);
        Rig r({"arch=x86_64", v});
        int fd = r.open_kmsg(kRwNb);
        REQUIRE(r.p->lseek(fd, 0, kSeekEnd) == 0);
        const u64 s = r.next_seq();
        REQUIRE(r.m->advance_clock_ns(2'000'000));
        CHECK(r.write(fd, "<5>abc") == 6);
        CHECK(r.read(fd).first == -EAGAIN);
        REQUIRE(r.m->advance_clock_ns(1'000'000));
        CHECK(r.write(fd, "<6>x\n") == 5);
        CHECK(r.read(fd).second == fmt::format("13,{},2000,-;abc\n", s));
        CHECK(r.read(fd).second == fmt::format("14,{},3000,-;x\n", s + 1));
        CHECK(r.read(fd).first == -EAGAIN);
    }
    // 3.10: the cont buffer takes the second write of the same task (no level token parsed for
    // facility 1), so one record "abcx" with the first write's level and time.
    Rig r({"arch=x86_64", "kernel=3.10"});
    int fd = r.open_kmsg(kRwNb);
    REQUIRE(r.p->lseek(fd, 0, kSeekEnd) == 0);
    const u64 s = r.next_seq();
    REQUIRE(r.m->advance_clock_ns(2'000'000));
    CHECK(r.write(fd, "<5>abc") == 6);
    CHECK(r.read(fd).first == -EAGAIN);
    REQUIRE(r.m->advance_clock_ns(1'000'000));
    CHECK(r.write(fd, "<6>x\n") == 5);
    CHECK(r.read(fd).second == fmt::format("13,{},2000,-;abcx\n", s));
    CHECK(r.read(fd).first == -EAGAIN);
}

TEST_CASE("kmsg 94 (3.10): another task's line ends the buffered one", "[kmsg]") {
    Rig r({"arch=x86_64", "kernel=3.10"});
    int fd = r.open_kmsg(kRwNb);
    REQUIRE(r.p->lseek(fd, 0, kSeekEnd) == 0);
    const u64 s = r.next_seq();
    Process& other = r.spawn(Cred::root(), "other");
    const long ofd = other.open("/dev/kmsg", oflag::kWronly);
    REQUIRE(ofd == 3);
    CHECK(r.write(fd, "<5>abc") == 6);
    CHECK(r.write(static_cast<int>(ofd), "<6>x\n", &other) == 5);
    CHECK(r.read(fd).second == fmt::format("13,{},0,-;abc\n", s));
    CHECK(r.read(fd).second == fmt::format("14,{},0,-;x\n", s + 1));
}

TEST_CASE("kmsg 95: empty writes make empty records (5.10+); 4.19's cont buffer drops them",
          "[kmsg]") {
    for (const char* v : {"kernel=5.10", "kernel=6.1"}) {
        INFO(v);
        Rig r({"arch=x86_64", v});
        int fd = r.open_kmsg(kRwNb);
        REQUIRE(r.p->lseek(fd, 0, kSeekEnd) == 0);
        const u64 s = r.next_seq();
        CHECK(r.p->write(fd, VirtAddr(kIn), 0) == 0);
        CHECK(r.read(fd).first == -EAGAIN); // open: no newline
        CHECK(r.write(fd, "\n") == 1);
        CHECK(r.read(fd).second == fmt::format("12,{},0,-;\n", s));
        CHECK(r.read(fd).second == fmt::format("12,{},0,-;\n", s + 1));
        CHECK(r.write(fd, "<5>") == 3);
        CHECK(r.write(fd, "<0>z\n") == 5);
        CHECK(r.read(fd).second == fmt::format("13,{},0,-;\n", s + 2));
        CHECK(r.read(fd).second == fmt::format("8,{},0,-;z\n", s + 3));
    }
    Rig r({"arch=x86_64", "kernel=4.19"});
    int fd = r.open_kmsg(kRwNb);
    REQUIRE(r.p->lseek(fd, 0, kSeekEnd) == 0);
    const u64 s = r.next_seq();
    CHECK(r.p->write(fd, VirtAddr(kIn), 0) == 0);
    CHECK(r.write(fd, "\n") == 1);
    CHECK(r.read(fd).second == fmt::format("12,{},0,-;\n", s));
    CHECK(r.read(fd).first == -EAGAIN);
}

TEST_CASE("kmsg open: dmesg_restrict, CAP_SYSLOG and the CAP_SYS_ADMIN warning", "[kmsg]") {
    for (const char* v : {"kernel=3.10", "kernel=6.1"}) {
        INFO(v);
        Rig r({"arch=x86_64", v, "dmesg_restrict=1"});
        Process& user = r.spawn(Cred::user(1000, 1000));
        // The node is 0644 (3.5+), so the VFS lets the user in; devkmsg_open says no.
        CHECK(user.open("/dev/kmsg", oflag::kRdonly) == -EPERM);
        Cred syslog_only = Cred::user(1000, 1000);
        syslog_only.cap_effective = u64{1} << CAP_SYSLOG;
        Process& reader = r.spawn(syslog_only);
        CHECK(reader.open("/dev/kmsg", oflag::kRdonly) == 3);
        Cred admin = Cred::user(1000, 1000);
        admin.cap_effective = u64{1} << CAP_SYS_ADMIN;
        Process& adm = r.spawn(admin, "admtool");
        const u64 s = r.next_seq();
        CHECK(adm.open("/dev/kmsg", oflag::kRdonly) == 3);
        CHECK(adm.open("/dev/kmsg", oflag::kRdonly) == 4); // warned once
        const PrintkRecord* rec = printk_log(r.m->devices().kernel()).records()->read_valid(s);
        REQUIRE(rec);
        CHECK(rec->level == 4);
        CHECK(rec->text == fmt::format("{}admtool ({}): Attempt to access syslog with "
                                       "CAP_SYS_ADMIN but no CAP_SYSLOG (deprecated).",
                                       std::string(v) == "kernel=6.1" ? "printk: " : "",
                                       adm.pid()));
        CHECK(r.next_seq() == s + 1);
    }
    // Without dmesg_restrict anyone may read.
    Rig r({"arch=x86_64", "kernel=6.1"});
    Process& user = r.spawn(Cred::user(1000, 1000));
    CHECK(user.open("/dev/kmsg", oflag::kRdonly) == 3);
}

TEST_CASE("kmsg devkmsg=off refuses every open; devkmsg=on lifts the ratelimit", "[kmsg]") {
    Rig off({"arch=x86_64", "kernel=6.1", "devkmsg=off"});
    CHECK(off.p->open("/dev/kmsg", oflag::kWronly) == -EPERM);
    CHECK(off.p->open("/dev/kmsg", oflag::kRdonly) == -EPERM);

    Rig on({"arch=x86_64", "kernel=6.1", "devkmsg=on"});
    int fd = on.open_kmsg(kRwNb);
    REQUIRE(on.p->lseek(fd, 0, kSeekEnd) == 0);
    const u64 s = on.next_seq();
    for (int i = 0; i < 15; ++i)
        CHECK(on.write(fd, "m\n") == 2);
    CHECK(on.next_seq() == s + 15);
}

TEST_CASE("kmsg ratelimit: 10 writes per 5 s per open, reported when the file closes", "[kmsg]") {
    for (const char* v : {"kernel=4.19", "kernel=6.1"}) {
        INFO(v);
        Rig r({"arch=x86_64", v});
        const int fd = r.open_kmsg(oflag::kWronly);
        const u64 s = r.next_seq();
        for (int i = 0; i < 12; ++i)
            CHECK(r.write(fd, "<6>w\n") == 5);
        CHECK(r.next_seq() == s + 10);
        CHECK(r.write(fd, "") == 0); // counted too: a third miss
        CHECK(r.next_seq() == s + 10);
        // The interval ends when jiffies > begin + 5 * HZ: at exactly 5 s it still holds.
        const u64 hz = r.m->profile().kernel_image.hz;
        REQUIRE(r.m->advance_clock_ns(5'000'000'000));
        CHECK(r.write(fd, "<6>w\n") == 5);
        CHECK(r.next_seq() == s + 10);
        REQUIRE(r.m->advance_clock_ns(1'000'000'000 / hz));
        CHECK(r.write(fd, "<6>w\n") == 5);
        CHECK(r.next_seq() == s + 11);
        CHECK(r.p->close(fd) == 0);
        const PrintkRecord* rec = printk_log(r.m->devices().kernel()).records()->read_valid(s + 11);
        REQUIRE(rec);
        CHECK(rec->facility == 0);
        CHECK(rec->level == 4);
        CHECK(rec->text == std::string(std::string(v) == "kernel=6.1" ? "printk: " : "") +
                               "a.out: 4 output lines suppressed due to ratelimiting");
    }
    // 3.10 has no ratelimit.
    Rig r({"arch=x86_64", "kernel=3.10"});
    const int fd = r.open_kmsg(oflag::kWronly);
    const u64 s = r.next_seq();
    for (int i = 0; i < 12; ++i)
        CHECK(r.write(fd, "<6>w\n") == 5);
    CHECK(r.next_seq() == s + 12);
}

TEST_CASE("kmsg: O_WRONLY opens have no reader state in 3.10 (EBADF on llseek), state in 4.19",
          "[kmsg]") {
    Rig old({"arch=x86_64", "kernel=3.10"});
    int fd = old.open_kmsg(oflag::kWronly);
    CHECK(old.p->lseek(fd, 0, kSeekEnd) == -EBADF);
    CHECK(old.read(fd).first == -EBADF); // the VFS: not open for reading
    Rig now({"arch=x86_64", "kernel=4.19"});
    fd = now.open_kmsg(oflag::kWronly);
    CHECK(now.p->lseek(fd, 0, kSeekEnd) == 0);
}

TEST_CASE("kmsg read: an unmapped buffer is EFAULT and the record is consumed", "[kmsg]") {
    Rig r({"arch=x86_64", "kernel=6.1"});
    int fd = r.open_kmsg(kRdNb);
    CHECK(r.p->read(fd, VirtAddr(0x900000), 4096) == -EFAULT);
    CHECK(r.read(fd).second.rfind("6,1,0,-;Memory: ", 0) == 0);
}

TEST_CASE("kmsg SEEK_DATA starts after the last syslog clear", "[kmsg]") {
    for (const char* v : {"kernel=3.10", "kernel=6.1"}) {
        INFO(v);
        Rig r({"arch=x86_64", v});
        int fd = r.open_kmsg(kRwNb);
        CHECK(r.p->lseek(fd, 0, kSeekData) == 0);
        CHECK(r.read(fd).second.rfind("5,0,0,-;Linux version", 0) == 0);
        printk_log(r.m->devices().kernel()).syslog_clear();
        const u64 s = r.next_seq();
        CHECK(r.write(fd, "<6>after\n") == 9);
        CHECK(r.p->lseek(fd, 0, kSeekData) == 0);
        CHECK(r.read(fd).second == fmt::format("14,{},0,-;after\n", s));
    }
}

TEST_CASE("kmsg blocking read with nothing to read: EAGAIN, or EINTR with a signal pending",
          "[kmsg]") {
    Rig r({"arch=x86_64", "kernel=6.1"});
    int fd = r.open_kmsg(oflag::kRdonly);
    REQUIRE(r.p->lseek(fd, 0, kSeekEnd) == 0);
    CHECK(r.read(fd).first == -EAGAIN);
    r.p->task().signal_pending = true;
    CHECK(r.read(fd).first == -EINTR);
}
