#include <catch2/catch.hpp>

#include "mm/machine_config.h"

using namespace kmemu;

namespace {
ErrorOr<MachineConfig> parse(std::initializer_list<const char*> words) {
    std::vector<std::string> w(words.begin(), words.end());
    return parse_config_words(w);
}
} // namespace

TEST_CASE("config: sizes parse like the kernel's memparse", "[config]") {
    CHECK(parse_size("512M") == 512 * MiB);
    CHECK(parse_size("4G") == 4 * GiB);
    CHECK(parse_size("1T") == TiB);
    CHECK(parse_size("0x1fead000") == 0x1fead000u);
    CHECK(parse_size("64k") == 64 * KiB);
    CHECK(parse_size("123") == 123u);
    CHECK_FALSE(parse_size("12Q").has_value());
    CHECK_FALSE(parse_size("").has_value());
    CHECK_FALSE(parse_size("M").has_value());
    CHECK_FALSE(parse_size("99999999999999999999").has_value());
    CHECK_FALSE(parse_size("16384P").has_value()); // overflows 64 bits
}

TEST_CASE("config: words build a config", "[config]") {
    auto c = parse({"arch=i386", "mem=512M", "split=3G", "kernel=2.6.32"});
    REQUIRE(c);
    CHECK(c->arch == Arch::I386);
    CHECK(c->mem_size() == 512 * MiB);
    CHECK(c->vm_split() == VmSplit::G3);
    CHECK(c->kernel == KernelVersion{2, 6, 32});
    CHECK(c->highmem_enabled());

    auto d = parse({});
    REQUIRE(d);
    CHECK(d->arch == Arch::X86_64);
    CHECK(d->kernel == KernelVersion{5, 10, 0});
    CHECK_FALSE(d->highmem_enabled());
}

TEST_CASE("config: kernel versions from 2.6.11 to 6.13", "[config]") {
    CHECK(KernelVersion::parse("2.6.20").value() == KernelVersion{2, 6, 20});
    CHECK(KernelVersion::parse("4.15").value() == KernelVersion{4, 15, 0});
    CHECK(KernelVersion::parse("6.1.20").value() == KernelVersion{6, 1, 20});
    CHECK(KernelVersion::parse("6.13.7").value() == KernelVersion{6, 13, 7});
    CHECK(KernelVersion::parse("2.6.11").value() == KernelVersion{2, 6, 11});
    CHECK(KernelVersion::parse("2.6.10").is_error());
    CHECK(KernelVersion::parse("6.14").is_error());
    CHECK(KernelVersion::parse("3.20").is_error());
    CHECK(KernelVersion::parse("2.6").is_error());
    CHECK(KernelVersion::parse("5.x").is_error());
    CHECK(KernelVersion::parse("5.10.1.2").is_error());
    CHECK(KernelVersion{4, 15, 0}.to_string() == "4.15");
    CHECK(KernelVersion{2, 6, 32}.to_string() == "2.6.32");
}

TEST_CASE("config: bad words name the key and the allowed values", "[config]") {
    auto bad_arch = parse({"arch=sparc"});
    REQUIRE(bad_arch.is_error());
    CHECK(bad_arch.error().message() ==
          "arch: 'sparc' is not allowed (allowed: i386, i386-pae, x86_64, x86_64-la57, arm, "
          "arm-lpae, arm64)");

    auto combo = parse({"arch=x86_64", "split=2G"});
    REQUIRE(combo.is_error());
    CHECK(combo.error().message() ==
          "split: not allowed with arch=x86_64 (applies to i386, i386-pae, arm, arm-lpae)");

    auto unknown = parse({"colour=blue"});
    REQUIRE(unknown.is_error());
    CHECK(unknown.error().message().rfind("unknown configuration key 'colour'", 0) == 0);

    CHECK(parse({"split=4G"}).error().message() ==
          "split: '4G' is not allowed (allowed: 3G, 3G_OPT, 2G, 2G_OPT, 1G)");
    CHECK(parse({"highmem=maybe"}).error().message() ==
          "highmem: 'maybe' is not allowed (allowed: on, off)");
    CHECK(parse({"arch=arm64", "va_bits=39", "page=64K"}).error().message() ==
          "va_bits: 39 is not allowed with page=64K (allowed: 39 or 48 with 4K, 47 or 48 with "
          "16K, 42 or 48 with 64K)");
    CHECK(parse({"arch=x86_64", "va_bits=48"}).is_error());
    CHECK(parse({"arch=i386", "thumb2=on"}).is_error());
    CHECK(parse({"noequals"}).is_error());
    CHECK(parse({"=5"}).is_error());
    CHECK(parse({"mem=0"}).is_error());
    CHECK(parse({"mem=1M"}).is_error());
    CHECK(parse({"nr_cpus=0"}).is_error());
    CHECK(parse({"phys_bits=60"}).is_error());
    CHECK(parse({"arch=arm", "phys_offset=0x80001000"}).is_error());
    CHECK(parse({"arch=arm", "split=2G_OPT"}).is_error());
}

TEST_CASE("config: to_words round-trips", "[config]") {
    auto c = parse(
        {"arch=arm", "mem=1G", "split=2G", "phys_offset=0x80000000", "thumb2=on", "kernel=4.4"});
    REQUIRE(c);
    auto words = c->to_words();
    auto again = parse_config_words(words);
    REQUIRE(again);
    CHECK(again->to_words() == words);
    CHECK(words == std::vector<std::string>{"arch=arm", "kernel=4.4", "mem=1G", "split=2G",
                                            "highmem=on", "thumb2=on", "phys_offset=0x80000000"});
}

TEST_CASE("config: mem= on an imported map removes RAM above it, like the boot parameter",
          "[config]") {
    MachineConfig c;
    c.arch = Arch::X86_64;
    RamMap m;
    m.ranges = {{PhysAddr(0), PhysAddr(0x9fc00), RamType::Usable, {}},
                {PhysAddr(0x100000), PhysAddr(0xbffe0000), RamType::Usable, {}},
                {PhysAddr(0xbffe0000), PhysAddr(0xc0000000), RamType::Reserved, {}},
                {PhysAddr(0x100000000), PhysAddr(0x140000000), RamType::Usable, {}}};
    c.ram_map = m;
    c.mem_bytes = 2 * GiB;
    auto r = c.resolve_ram_map();
    REQUIRE(r);
    REQUIRE(r->ranges.size() == 3);
    CHECK(r->ranges[1].end == PhysAddr(0x80000000));
    CHECK(r->ranges[2].type == RamType::Reserved);
    CHECK(r->usable_end() == PhysAddr(0x80000000));
}

TEST_CASE("config: unreadable e820 file is an error naming the key and file", "[config]") {
    auto c = parse({"e820=/nonexistent/boot.log"});
    REQUIRE(c);
    auto r = c->resolve_ram_map();
    REQUIRE(r.is_error());
    CHECK(r.error().message() ==
          "e820: cannot read '/nonexistent/boot.log': No such file or directory");
}
