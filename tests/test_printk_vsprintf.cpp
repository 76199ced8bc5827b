// The kernel vsnprintf subset behind the C printk: equal to glibc's printf for the integer,
// character and string conversions, and the kernel's own pointer conversions.
#include <catch2/catch.hpp>

#include <climits>
#include <cstdio>

#include "devices/printk/printk.h"
#include "devices/printk/siphash.h"
#include "devices/printk/vsprintf.h"
#include "emu/machine.h"

using namespace kmemu;

namespace {

std::string host(const char* fmt, ...) __attribute__((format(printf, 1, 2)));
std::string host(const char* fmt, ...) {
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    std::vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    return buf;
}

const VsprintfContext kCtx{};

// kernel_vsprintf without the compiler's printf checks, for what C calls undefined or ignored.
std::string unchecked(const char* fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    std::string s = kernel_vsprintf(kCtx, fmt, ap);
    va_end(ap);
    return s;
}

} // namespace

#define SAME(...) CHECK(kernel_sprintf(kCtx, __VA_ARGS__) == host(__VA_ARGS__))

TEST_CASE("vsprintf: integers, characters and strings print as glibc's printf", "[printk]") {
    SAME("%d %i %u", 42, -42, 42u);
    SAME("%d %d", INT_MIN, INT_MAX);
    SAME("%u %x %X %o", UINT_MAX, 0xdeadbeefu, 0xdeadbeefu, 0755u);
    SAME("%ld %lu %lx", LONG_MIN, ULONG_MAX, 0x123456789abcdefUL);
    SAME("%lld %llu %llx", LLONG_MIN, ULLONG_MAX, 0xfedcba9876543210ULL);
    SAME("%zu %zd %zx", static_cast<size_t>(12345), static_cast<ssize_t>(-5), size_t{255});
    SAME("%hd %hu %hhd %hhu %hx", 70000, 70000, 300, 300, 0x12345);
    SAME("[%5d] [%-5d] [%05d] [%-5u]", 42, 42, 42, 42u);
    SAME("[%5d] [%05d] [%+d] [% d] [%+05d]", -42, -42, 42, 42, 7);
    SAME("[%08x] [%-8X] [%8lx] [%016llx]", 0xabcu, 0xabcu, 0xabcUL, 0x1ULL);
    SAME("[%*d] [%-*d] [%*d]", 6, 1, 6, 1, -6, 1);
    SAME("[%c] [%3c] [%-3c]", 'a', 'b', 'c');
    SAME("[%s] [%10s] [%-10s] [%.3s] [%8.2s]", "abc", "abc", "abc", "abcdef", "abcdef");
    SAME("100%% [%d%%]", 5);
    SAME("%#x %#o %#X", 255u, 8u, 255u);
    SAME("%.3d %.5x %8.3d", 7, 0x1fu, -7);
}

TEST_CASE("vsprintf: where the kernel's number() differs from C", "[printk]") {
    // "%#x" of 0 keeps the 0x; a precision keeps the 0 flag; "%.0d" of 0 still prints "0".
    CHECK(unchecked("%#x|%08.3d|%.0d|%-05d|", 0u, 7, 0, 3) == "0x0|00000007|0|3    |");
    // An unknown conversion is printed as it stands; %n prints nothing.
    // (glibc also prints "(null)" for a NULL %s, but GCC refuses to compile that call.)
    CHECK(unchecked("[%s]", static_cast<const char*>(nullptr)) == "[(null)]");
    int n = 0;
    CHECK(unchecked("a%nb%y", &n) == "ab%y");
}

TEST_CASE("vsprintf 32-bit kernels: long and size_t are 32 bits wide", "[printk]") {
    VsprintfContext c;
    c.word_bits = 32;
    CHECK(kernel_sprintf(c, "%lx %ld %zu", 0x1234567890UL, -1L, size_t{0x100000001}) ==
          "34567890 -1 1");
    c.hash_pointers = false;
    CHECK(kernel_sprintf(c, "%p", reinterpret_cast<void*>(0xc0001000UL)) == "c0001000");
}

TEST_CASE("siphash_1u64 / 1u32 give the SipHash-2-4 reference vectors", "[printk]") {
    // Key 00 01 .. 0f, messages 00 01 .. 07 and 00 01 02 03 (the paper's test vectors).
    const SiphashKey key{0x0706050403020100ULL, 0x0f0e0d0c0b0a0908ULL};
    CHECK(siphash_1u64(0x0706050403020100ULL, key) == 0x93f5f5799a932462ULL);
    CHECK(siphash_1u32(0x03020100u, key) == 0xcf2794e0277187b7ULL);
}

TEST_CASE("vsprintf %p: raw before 4.15, hashed from 4.15; %px raw; NULL", "[printk]") {
    VsprintfContext old;
    old.hash_pointers = false;
    old.null_pointer_raw = false;
    void* p = reinterpret_cast<void*>(0xffff888000123000ULL);
    CHECK(kernel_sprintf(old, "%p|%px", p, p) == "ffff888000123000|ffff888000123000");
    CHECK(kernel_sprintf(old, "[%p]", nullptr) == "[          (null)]");

    VsprintfContext now;
    now.ptr_key = ptr_key_for_seed(0);
    const u64 h = siphash_1u64(0xffff888000123000ULL, now.ptr_key) & 0xffffffff;
    CHECK(kernel_sprintf(now, "%p", p) == fmt::format("{:016x}", h));
    CHECK(kernel_sprintf(now, "%px", p) == "ffff888000123000");
    CHECK(kernel_sprintf(now, "%p|%p", nullptr, reinterpret_cast<void*>(-22L)) ==
          "0000000000000000|ffffffffffffffea");
    // Alphanumerics after %p belong to the conversion.
    CHECK(kernel_sprintf(now, "%pS!", p) == fmt::format("{:016x}!", h));
    // Deterministic: the key comes from random_seed.
    CHECK(ptr_key_for_seed(0).k0 == now.ptr_key.k0);
    CHECK(ptr_key_for_seed(1).k0 != now.ptr_key.k0);
}

TEST_CASE("vsprintf %pK follows kptr_restrict and the reader's credentials", "[printk]") {
    void* p = reinterpret_cast<void*>(0xffffffff81000000ULL);
    VsprintfContext c;
    c.kptr_restrict = 0;
    CHECK(kernel_sprintf(c, "%pK", p) == kernel_sprintf(c, "%p", p)); // hashed like %p (4.15+)
    c.kptr_restrict = 1;
    CHECK(kernel_sprintf(c, "%pK", p) == "ffffffff81000000");
    c.kptr_reader_allowed = false;
    CHECK(kernel_sprintf(c, "%pK", p) == "0000000000000000");
    c.kptr_restrict = 2;
    c.kptr_reader_allowed = true;
    CHECK(kernel_sprintf(c, "%pK", p) == "0000000000000000");
}

TEST_CASE("printk's vsprintf context per version and task", "[printk]") {
    auto c = parse_config_words(
        std::vector<std::string>{"arch=x86_64", "kernel=4.14", "kptr_restrict=1"});
    REQUIRE(c);
    auto m = Machine::boot(c.release_value());
    REQUIRE(m);
    DeviceKernel& k = (*m)->devices().kernel();
    Process& user = (*m)->spawn({"u", Cred::user(1000, 1000)});
    {
        DeviceKernelScope scope(k, &user.task());
        const VsprintfContext ctx = printk_log(k).vsprintf_context();
        CHECK_FALSE(ctx.hash_pointers); // 4.14
        CHECK(ctx.kptr_restrict == 1);
        CHECK_FALSE(ctx.kptr_reader_allowed);
        void* p = reinterpret_cast<void*>(0xffffffff81000000ULL);
        CHECK(kernel_sprintf(ctx, "%p %pK", p, p) == "ffffffff81000000 0000000000000000");
    }
}
