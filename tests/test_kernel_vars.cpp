// Kernel variables' bytes in simulated physical memory, the banner, and jiffies driven by the
// virtual clock.
#include <catch2/catch.hpp>

#include <array>
#include <string>
#include <vector>

#include "emu/machine.h"
#include "mm/kernel_image/kernel_vars.h"
#include "mm/kernel_image/linux_banner.h"

using namespace kmemu;

namespace {

std::unique_ptr<Machine> boot(std::vector<std::string> words) {
    auto config = parse_config_words(words);
    REQUIRE(config);
    auto m = Machine::boot(config.release_value());
    if (m.is_error())
        FAIL(m.error().message());
    return m.release_value();
}

std::vector<u8> bytes_at(Machine& m, PhysAddr pa, size_t n) {
    std::vector<std::byte> buf(n);
    REQUIRE(m.phys_memory().read(pa, buf).ok());
    std::vector<u8> out;
    for (std::byte b : buf)
        out.push_back(static_cast<u8>(b));
    return out;
}

PhysAddr phys_of(const Machine& m, const char* name) {
    const KernelSymbol* s = m.symbols().find(name);
    INFO(name);
    REQUIRE(s != nullptr);
    return s->phys;
}

std::string string_at(Machine& m, PhysAddr pa, size_t n) {
    std::vector<u8> b = bytes_at(m, pa, n);
    return std::string(b.begin(), b.end());
}

} // namespace

TEST_CASE("kernel vars: INITIAL_JIFFIES and the tick formula", "[kernel_vars]") {
    // -300 * HZ through unsigned int: 2^32 - 300000 = 0xfffb6c20 (HZ 1000), 2^32 - 30000 =
    // 0xffff8ad0 (HZ 100), 2^32 - 75000 = 0xfffedb08 (HZ 250).
    CHECK(initial_jiffies(1000) == 0xfffb6c20);
    CHECK(initial_jiffies(100) == 0xffff8ad0);
    CHECK(initial_jiffies(250) == 0xfffedb08);
    // 9.999 ms at HZ 100 is not yet a tick; 10 ms is one.
    CHECK(jiffies_64_after(100, 9'999'999) == 0xffff8ad0);
    CHECK(jiffies_64_after(100, 10'000'000) == 0xffff8ad1);
    // 10^18 ns = 10^9 s at HZ 1000 = 10^12 ticks (the naive ns * HZ would overflow u64).
    CHECK(jiffies_64_after(1000, 1'000'000'000'000'000'000) == 0xfffb6c20 + 1'000'000'000'000);
    // HZ per arch from the defconfigs.
    CHECK(kernel_image_rules_for({6, 1, 0}, Arch::X86_64).hz == 1000);
    CHECK(kernel_image_rules_for({2, 6, 32}, Arch::I386).hz == 1000);
    CHECK(kernel_image_rules_for({5, 10, 0}, Arch::Arm).hz == 100);
    CHECK(kernel_image_rules_for({6, 1, 0}, Arch::Arm64).hz == 250);
}

TEST_CASE("kernel vars: the seed i386 2.6.32 machine's variables in memory", "[kernel_vars]") {
    auto m = boot({"arch=i386", "mem=512M", "split=3G", "kernel=2.6.32"});
    // __pa = va - PAGE_OFFSET 0xc0000000 for the image (loaded at 16 MiB, _text 0xc1000000).
    // high_memory = 0xe0000000 at 0xc1522040 (kallsyms test): bytes 00 00 00 e0.
    CHECK(phys_of(*m, "high_memory") == PhysAddr(0x1522040));
    CHECK(bytes_at(*m, PhysAddr(0x1522040), 4) == std::vector<u8>{0x00, 0x00, 0x00, 0xe0});
    // max_low_pfn = max_pfn = 512 MiB / 4 KiB = 0x20000.
    CHECK(bytes_at(*m, PhysAddr(0x1522080), 4) == std::vector<u8>{0x00, 0x00, 0x02, 0x00});
    CHECK(bytes_at(*m, PhysAddr(0x15220c0), 4) == std::vector<u8>{0x00, 0x00, 0x02, 0x00});
    // totalram_pages = managed pages 129210 (test_machine's working: the boot page tables are
    // reserved too) = 0x1f8ba.
    CHECK(bytes_at(*m, PhysAddr(0x1433840), 4) == std::vector<u8>{0xba, 0xf8, 0x01, 0x00});
    // jiffies_64 (u64) = INITIAL_JIFFIES 0xfffb6c20; jiffies is its low word, same address.
    CHECK(phys_of(*m, "jiffies") == PhysAddr(0x1433800));
    CHECK(bytes_at(*m, PhysAddr(0x1433800), 8) ==
          std::vector<u8>{0x20, 0x6c, 0xfb, 0xff, 0x00, 0x00, 0x00, 0x00});
    // linux_banner at 0xc133e100, NUL-terminated; gcc -v's trailing space gives "(GCC) )".
    const std::string banner =
        "Linux version 2.6.32 (kmemu@kmemu) (gcc version 4.4.5 (GCC) ) #1 SMP Thu Jan  1 "
        "00:00:00 UTC 1970\n";
    CHECK(linux_banner(m->profile().kernel_image) == banner);
    CHECK(string_at(*m, PhysAddr(0x133e100), banner.size() + 1) == banner + '\0');
}

TEST_CASE("kernel vars: jiffies follows the virtual clock and wraps on 32-bit", "[kernel_vars]") {
    auto m = boot({"arch=i386", "mem=512M", "split=3G", "kernel=2.6.32"});
    PhysicalMemory& pm = m->phys_memory();
    const PhysAddr j(0x1433800);
    CHECK(m->clock().now_ns() == 0);
    // 1.5 s at HZ 1000: +1500 = 0xfffb6c20 + 0x5dc = 0xfffb71fc.
    REQUIRE_FALSE(m->advance_clock_ns(1'500'000'000).is_error());
    CHECK(pm.read_u32(j).value == 0xfffb71fc);
    CHECK(pm.read_u64(j).value == 0xfffb71fc);
    // To 300 s: +300000 ticks = 2^32 - 300000 + 300000: the 32-bit jiffies wraps to 0 and
    // jiffies_64 carries into its high word.
    REQUIRE_FALSE(m->advance_clock_ns(298'500'000'000).is_error());
    CHECK(pm.read_u32(j).value == 0);
    CHECK(pm.read_u64(j).value == 0x100000000);
    CHECK(bytes_at(*m, j, 8) == std::vector<u8>{0, 0, 0, 0, 1, 0, 0, 0});
    // 4.5 ms more: 4 whole ticks.
    REQUIRE_FALSE(m->advance_clock_ns(4'500'000).is_error());
    CHECK(pm.read_u32(j).value == 4);
    CHECK(m->clock().now_ns() == 300'004'500'000);
    // The counter refuses to wrap.
    auto err = m->advance_clock_ns(~u64{0});
    REQUIRE(err.is_error());
    CHECK(m->clock().now_ns() == 300'004'500'000);
}

TEST_CASE("kernel vars: x86_64 6.1 words are 8 bytes", "[kernel_vars]") {
    auto m = boot({"arch=x86_64", "mem=512M", "kernel=6.1"});
    // __pa(image va) = va - 0xffffffff81000000 + 0x1000000.
    // high_memory = PAGE_OFFSET 0xffff888000000000 + 512 MiB, at 0xffffffff82a90040.
    CHECK(m->layout().high_memory == VirtAddr(0xffff888020000000));
    CHECK(phys_of(*m, "high_memory") == PhysAddr(0x2a90040));
    CHECK(bytes_at(*m, PhysAddr(0x2a90040), 8) ==
          std::vector<u8>{0x00, 0x00, 0x00, 0x20, 0x80, 0x88, 0xff, 0xff});
    CHECK(m->phys_memory().read_u64(PhysAddr(0x2a900c0)).value == 0x20000); // max_pfn
    // _totalram_pages (atomic_long_t) holds the managed pages.
    CHECK(m->phys_memory().read_u64(phys_of(*m, "_totalram_pages")).value ==
          m->page_allocator().zones()[0]->managed_pages() +
              (m->page_allocator().zones().size() > 1
                   ? m->page_allocator().zones()[1]->managed_pages()
                   : 0));
    // jiffies == jiffies_64 at 0xffffffff82407800 -> phys 0x2407800 (the .data variables follow
    // the 7 head_64.S page-table pages); 2 s -> +2000.
    CHECK(phys_of(*m, "jiffies") == PhysAddr(0x2407800));
    REQUIRE_FALSE(m->advance_clock_ns(2'000'000'000).is_error());
    CHECK(m->phys_memory().read_u64(PhysAddr(0x2407800)).value == 0xfffb6c20 + 2000);
    const std::string banner = "Linux version 6.1.0 (kmemu@kmemu) (gcc (GCC) 12.2.0, GNU ld (GNU "
                               "Binutils) 2.40) #1 SMP Thu Jan  1 00:00:00 UTC 1970\n";
    CHECK(string_at(*m, PhysAddr(0x1e00100), banner.size() + 1) == banner + '\0');
}

TEST_CASE("kernel vars: x86_64 2.6.32 jiffies lives in the vsyscall page", "[kernel_vars]") {
    auto m = boot({"arch=x86_64", "mem=512M", "kernel=2.6.32"});
    // jiffies = VVIRT(.jiffies) = 0xffffffffff600880; its bytes are in the image's last page
    // of .data: _edata 0xffffffff81430000 - 0x1000 -> phys 0x142f000 + 0x880.
    const KernelSymbol* j = m->symbols().find("jiffies");
    REQUIRE(j != nullptr);
    CHECK(j->address == VirtAddr(0xffffffffff600880));
    CHECK(m->symbols().find("jiffies_64")->address == j->address);
    CHECK(j->phys == PhysAddr(0x142f880));
    CHECK(bytes_at(*m, PhysAddr(0x142f880), 8) ==
          std::vector<u8>{0x20, 0x6c, 0xfb, 0xff, 0x00, 0x00, 0x00, 0x00});
    CHECK(linux_banner(m->profile().kernel_image) ==
          "Linux version 2.6.32 (kmemu@kmemu) (gcc version 4.4.5 (GCC) ) #1 SMP Thu Jan  1 "
          "00:00:00 UTC 1970\n");
}

TEST_CASE("kernel vars: ARM and arm64", "[kernel_vars]") {
    {
        auto m = boot({"arch=arm", "mem=512M", "kernel=5.10"});
        // ARM: image at PHYS_OFFSET 0x40000000 + 0x8000, _text 0xc0008000; __pa = va -
        // 0xc0000000 + 0x40000000. high_memory = 0xc0000000 + 512 MiB = 0xe0000000 at
        // 0xc0f09040 -> 0x40f09040.
        CHECK(bytes_at(*m, PhysAddr(0x40f09040), 4) == std::vector<u8>{0, 0, 0, 0xe0});
        // max_pfn = (0x40000000 + 512 MiB) >> 12 = 0x60000.
        CHECK(m->phys_memory().read_u32(PhysAddr(0x40f090c0)).value == 0x60000);
        // jiffies at 0xc0e09800 -> 0x40e09800; HZ 100: 10 ms -> one tick past 0xffff8ad0.
        CHECK(phys_of(*m, "jiffies") == PhysAddr(0x40e09800));
        CHECK(m->phys_memory().read_u32(PhysAddr(0x40e09800)).value == 0xffff8ad0);
        REQUIRE_FALSE(m->advance_clock_ns(10'000'000).is_error());
        CHECK(m->phys_memory().read_u32(PhysAddr(0x40e09800)).value == 0xffff8ad1);
        // 5.8+ banner with the linker.
        CHECK(linux_banner(m->profile().kernel_image) ==
              "Linux version 5.10.0 (kmemu@kmemu) (gcc (GCC) 10.2.1 20210110, GNU ld (GNU "
              "Binutils) 2.35.2) #1 SMP Thu Jan  1 00:00:00 UTC 1970\n");
    }
    {
        auto m = boot({"arch=arm64", "mem=512M", "kernel=6.1"});
        // arm64 6.1: _text 0xffff800008000000 at phys 0x40000000 (TEXT_OFFSET 0 from 5.8);
        // jiffies at 0xffff80000a240800 -> 0x42240800. HZ 250: 1 s -> +250 = 0xfffedc02.
        CHECK(phys_of(*m, "jiffies") == PhysAddr(0x42240800));
        REQUIRE_FALSE(m->advance_clock_ns(1'000'000'000).is_error());
        CHECK(m->phys_memory().read_u64(PhysAddr(0x42240800)).value == 0xfffedc02);
    }
    {
        auto m = boot({"arch=arm64", "mem=512M", "kernel=4.4"});
        // 4.4 banner: "gcc version" form.
        CHECK(linux_banner(m->profile().kernel_image) ==
              "Linux version 4.4.0 (kmemu@kmemu) (gcc version 6.3.0 (GCC) ) #1 SMP Thu Jan  1 "
              "00:00:00 UTC 1970\n");
    }
}
