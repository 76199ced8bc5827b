// §7.2 case 86: a /dev/kmsg reader whose record is overwritten gets EPIPE, then the oldest
// surviving record. The log is filled with printk records of known size until the oldest is
// dropped, at exactly the record the kernel drops it with (sizes computed below).
#include <catch2/catch.hpp>

#include "devices/printk/printk.h"
#include "emu/machine.h"
#include "fake_user_memory.h"
#include "mm/errno.h"
#include "mm/kernel_image/linux_banner.h"

using namespace kmemu;

namespace {

constexpr u64 kOut = 0x40000;
constexpr u32 kLogBufLen = 1 << 17; // CONFIG_LOG_BUF_SHIFT 17

struct Rig {
    std::unique_ptr<Machine> m;
    Process* p = nullptr;
    test::FakeUserMemory* mem = nullptr;
    explicit Rig(const char* version) {
        auto c = parse_config_words(std::vector<std::string>{"arch=x86_64", version});
        REQUIRE(c);
        auto booted = Machine::boot(c.release_value());
        REQUIRE(booted);
        m = booted.release_value();
        p = &m->spawn({"reader", Cred::root()});
        auto fake = std::make_unique<test::FakeUserMemory>();
        mem = fake.get();
        fake->map(kOut, 0x4000, 0);
        p->set_user_memory(std::move(fake));
    }
    DeviceKernel& k() { return m->devices().kernel(); }
    std::pair<long, std::string> read(int fd) {
        long r = p->read(fd, VirtAddr(kOut), 0x4000);
        std::string s;
        if (r > 0) {
            auto b = mem->bytes(kOut, static_cast<u64>(r));
            s.assign(b.begin(), b.end());
        }
        return {r, s};
    }
    int open_reader() {
        long fd = p->open("/dev/kmsg", oflag::kRdonly | oflag::kNonblock);
        REQUIRE(fd >= 3);
        return static_cast<int>(fd);
    }
    // The boot records' texts as stored: the banner and the Memory: line, newline stripped.
    size_t banner_len() { return linux_banner(m->profile().kernel_image).size() - 1; }
    size_t memory_len() { return m->memory_line().size() - 1; }
};

u32 align(u32 v, u32 a) {
    return (v + a - 1) / a * a;
}

std::string filler(size_t text_len) {
    return std::string(text_len, 'f') + "\n";
}

} // namespace

TEST_CASE("kmsg 86 (4.19): the banner's struct printk_log is dropped by the record that no "
          "longer fits behind next_idx",
          "[kmsg][overwrite]") {
    Rig r("kernel=4.19");
    const int reader = r.open_reader(); // at seq 0, the banner
    // struct printk_log is 16 bytes, records pad to LOG_ALIGN 4:
    //   banner size sb = align4(16 + banner_len), memory line sm = align4(16 + memory_len),
    //   filler size s = 16 + 60 = 76. After boot next_idx = n0 = sb + sm.
    const u32 sb = align(16 + static_cast<u32>(r.banner_len()), 4);
    const u32 sm = align(16 + static_cast<u32>(r.memory_len()), 4);
    const u32 s = 16 + 60;
    const u32 n0 = sb + sm;
    REQUIRE(sb >= s + 16); // dropping the banner alone makes room at the start
    // logbuf_has_space (3.16+): free = log_buf_len - next_idx must be >= s + 16 (a wrap header
    // must fit too). Fillers 1..k fit while 131072 - (n0 + s * (k - 1)) >= s + 16, so
    //   k_fit = (131072 - n0 - s - 16) / s + 1 fillers are stored without dropping anything.
    const u32 k_fit = (kLogBufLen - n0 - s - 16) / s + 1;
    for (u32 i = 0; i < k_fit; ++i)
        REQUIRE(printk(r.k(), filler(60)) == 60);
    CHECK(r.read(r.open_reader()).second.rfind("5,0,0,-;Linux version", 0) == 0);
    CHECK(r.m->devices().kernel().state<PrintkLog>().record_log()->next_idx() == n0 + s * k_fit);
    // Filler k_fit + 1: free < s + 16, so the banner goes (first_idx = sb >= s + 16) and the
    // record wraps to index 0.
    REQUIRE(printk(r.k(), filler(60)) == 60);
    CHECK(printk_log(r.k()).record_log()->first_seq() == 1);
    CHECK(printk_log(r.k()).record_log()->next_idx() == s);
    CHECK(r.read(reader).first == -EPIPE);
    CHECK(r.read(reader).second.rfind("6,1,0,-;Memory: ", 0) == 0);
    CHECK(r.read(reader).second == "4,2,0,-;" + std::string(60, 'f') + "\n");
}

TEST_CASE("kmsg 86 (3.10): the 3.5-3.15 log_store needs one byte more before it drops",
          "[kmsg][overwrite]") {
    Rig r("kernel=3.10");
    const int reader = r.open_reader();
    const u32 sb = align(16 + static_cast<u32>(r.banner_len()), 4);
    const u32 sm = align(16 + static_cast<u32>(r.memory_len()), 4);
    const u32 s = 16 + 60;
    const u32 n0 = sb + sm;
    REQUIRE(sb > s + 16);
    // log_store (3.10): keep while free = 131072 - next_idx > s + 16, i.e. fillers 1..k fit
    // while 131072 - (n0 + s * (k - 1)) > s + 16:
    //   k_fit = (131072 - n0 - s - 17) / s + 1.
    const u32 k_fit = (kLogBufLen - n0 - s - 17) / s + 1;
    for (u32 i = 0; i < k_fit; ++i)
        REQUIRE(printk(r.k(), filler(60)) == 60);
    CHECK(printk_log(r.k()).record_log()->first_seq() == 0);
    REQUIRE(printk(r.k(), filler(60)) == 60);
    CHECK(printk_log(r.k()).record_log()->first_seq() == 1);
    CHECK(r.read(reader).first == -EPIPE);
    CHECK(r.read(reader).second.rfind("6,1,0,-;Memory: ", 0) == 0);
}

TEST_CASE("kmsg 86 (6.1): the 4097th record recycles the oldest descriptor", "[kmsg][overwrite]") {
    Rig r("kernel=6.1");
    const int reader = r.open_reader();
    // 4096 descriptors (1 << (17 - PRB_AVGBITS 5)). A filler "f\n" reserves vsnprintf length
    // 2 + 1 = 3 bytes: a data block of align8(3 + 8) = 16 bytes, so 4096 records take 64 KiB
    // plus the boot records' blocks: the data ring (128 KiB) never fills, descriptors do.
    // Two boot records (seq 0, 1) + 4094 fillers = 4096 descriptors: nothing lost yet.
    for (int i = 0; i < 4094; ++i)
        REQUIRE(printk(r.k(), "f\n") == 1);
    CHECK(printk_log(r.k()).ring_log()->descriptors() == 4096);
    CHECK(r.read(r.open_reader()).second.rfind("5,0,0,-;Linux version", 0) == 0);
    REQUIRE(printk(r.k(), "f\n") == 1); // seq 4096 takes the banner's descriptor
    CHECK(printk_log(r.k()).ring_log()->tail_seq() == 1);
    CHECK(r.read(reader).first == -EPIPE);
    CHECK(r.read(reader).second.rfind("6,1,0,-;Memory: ", 0) == 0);
    CHECK(r.read(reader).second == "4,2,0,-;f\n");
}

TEST_CASE("kmsg 86 (5.10): the text data ring wraps and makes the oldest records reusable",
          "[kmsg][overwrite]") {
    Rig r("kernel=5.10");
    const int reader = r.open_reader();
    // 5.10 reserves exactly text_len: blocks are align8(text_len + 8) (the unsigned long id).
    //   banner b0 = align8(banner_len + 8), memory b1 = align8(memory_len + 8),
    //   filler (200 chars) b = 208. Blocks are laid from lpos 0: head h0 = b0 + b1 after boot.
    const u64 b0 = align(static_cast<u32>(r.banner_len()) + 8, 8);
    const u64 b1 = align(static_cast<u32>(r.memory_len()) + 8, 8);
    const u64 b = 208, h0 = b0 + b1;
    // Filler k ends at h0 + b * k. The first one reaching lpos 131072 does not fit before the
    // wrap: it is placed at the start (next = 131072 + 208) and pushes the data tail to 208,
    // invalidating every block that begins below 208.
    const u64 k_wrap = (kLogBufLen - h0 + b - 1) / b;
    for (u64 i = 1; i < k_wrap; ++i)
        REQUIRE(printk(r.k(), filler(200)) == 200);
    CHECK(printk_log(r.k()).ring_log()->tail_lpos() == 0);
    CHECK(r.read(r.open_reader()).second.rfind("5,0,0,-;Linux version", 0) == 0);
    REQUIRE(printk(r.k(), filler(200)) == 200);
    CHECK(printk_log(r.k()).ring_log()->head_lpos() == kLogBufLen + b);
    // The blocks beginning below 208: the banner at 0, the memory line at b0 (< 208), and the
    // first filler at h0 if h0 < 208.
    const u64 first = 2 + (h0 < b ? 1 : 0);
    CHECK(printk_log(r.k()).ring_log()->tail_lpos() == h0 + (h0 < b ? b : 0));
    CHECK(printk_log(r.k()).records()->first_seq() == first);
    CHECK(r.read(reader).first == -EPIPE);
    CHECK(r.read(reader).second == fmt::format("4,{},0,-;{}\n", first, std::string(200, 'f')));
}

TEST_CASE("2.6.32 char buffer: the syslog text keeps the last log_buf_len characters",
          "[kmsg][overwrite]") {
    Rig r("kernel=2.6.32");
    CharLog& log = *printk_log(r.k()).char_log();
    const u32 before = log.log_end();
    // Each printk of 100 'g' and a newline stores "<4>" + "[    0.000000] " + 101 = 119 chars.
    for (int i = 0; i < 2000; ++i)
        REQUIRE(printk(r.k(), std::string(100, 'g') + "\n") == 119);
    CHECK(log.log_end() == before + 2000 * 119);
    const std::string all = printk_log(r.k()).syslog_read_all();
    CHECK(all.size() == kLogBufLen);
    CHECK(all.substr(all.size() - 119) == "<4>[    0.000000] " + std::string(100, 'g') + "\n");
}
