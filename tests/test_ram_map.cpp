#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

#include "mm/ram_map.h"

using namespace kmemu;

namespace {

std::string slurp(const char* name) {
    std::ifstream in(std::string(KMEMU_TEST_DATA) + "/" + name);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

RamRange rr(u64 start, u64 end, RamType type, std::string name = {}) {
    return {PhysAddr(start), PhysAddr(end), type, std::move(name)};
}

std::string err(const ErrorOr<RamMap>& r) {
    REQUIRE(r.is_error());
    return r.error().message();
}

} // namespace

TEST_CASE("firmware map: x86 below 0xe0000000 ends RAM at exactly mem", "[ram_map]") {
    // mem=512M: SeaBIOS low map, then 0x100000..0x20000000 usable, then QEMU's two high
    // reservations. No top-of-RAM piece because kmemu's mem= is the RAM top.
    auto m = firmware_ram_map(Arch::X86_64, 512 * MiB, PhysAddr(0));
    REQUIRE(m);
    CHECK(m->ranges == std::vector<RamRange>{
                           rr(0, 0x9fc00, RamType::Usable),
                           rr(0x9fc00, 0xa0000, RamType::Reserved),
                           rr(0xf0000, 0x100000, RamType::Reserved),
                           rr(0x100000, 0x20000000, RamType::Usable),
                           rr(0xfeffc000, 0xff000000, RamType::Reserved),
                           rr(0xfffc0000, 0x100000000, RamType::Reserved),
                       });
    // 0xdff00000 (< 0xe0000000): still one low bank up to mem.
    auto just_below = firmware_ram_map(Arch::I386, 0xdff00000, PhysAddr(0));
    REQUIRE(just_below);
    CHECK(just_below->ranges[3] == rr(0x100000, 0xdff00000, RamType::Usable));
    CHECK(just_below->ranges.size() == 6);
}

TEST_CASE("firmware map: x86 at or above 0xe0000000 splits at 0xc0000000", "[ram_map]") {
    // mem=4G: 0xc0000000 below 4 GiB, the remaining 0x100000000 - 0xc0000000 = 0x40000000
    // from 4 GiB: [0x100000000, 0x140000000).
    auto m = firmware_ram_map(Arch::X86_64, 4 * GiB, PhysAddr(0));
    REQUIRE(m);
    REQUIRE(m->ranges.size() == 7);
    CHECK(m->ranges[3] == rr(0x100000, 0xc0000000, RamType::Usable));
    CHECK(m->ranges[6] == rr(0x100000000, 0x140000000, RamType::Usable));
    // mem=0xe0000000 exactly: 0xe0000000 - 0xc0000000 = 0x20000000 above 4 GiB.
    auto e = firmware_ram_map(Arch::I386Pae, 0xe0000000, PhysAddr(0));
    REQUIRE(e);
    CHECK(e->ranges.back() == rr(0x100000000, 0x120000000, RamType::Usable));
    // PAE: 60G -> top 4G + 57G = 0xf40000000 < 2^36 fits; 64G -> 0x1040000000 does not.
    CHECK(firmware_ram_map(Arch::I386Pae, 60 * GiB, PhysAddr(0)));
    CHECK(err(firmware_ram_map(Arch::I386Pae, 64 * GiB, PhysAddr(0))) ==
          "mem: 0x1000000000 bytes does not fit i386-pae's 36-bit physical address space (RAM "
          "would end at 0x1040000000; with 0xe0000000 or more, QEMU puts RAM above 0xc0000000 "
          "at 4 GiB)");
    // Non-PAE i386 cannot address RAM at 4 GiB at all.
    CHECK(err(firmware_ram_map(Arch::I386, 4 * GiB, PhysAddr(0))) ==
          "mem: 0x100000000 bytes does not fit i386's 32-bit physical address space (RAM would "
          "end at 0x140000000; with 0xe0000000 or more, QEMU puts RAM above 0xc0000000 at 4 "
          "GiB)");
}

TEST_CASE("firmware map: ARM and arm64 give one bank at phys_offset", "[ram_map]") {
    auto a = firmware_ram_map(Arch::Arm, GiB, PhysAddr(0x40000000));
    REQUIRE(a);
    CHECK(a->ranges == std::vector<RamRange>{rr(0x40000000, 0x80000000, RamType::Usable)});
    // 3G from 0x40000000 ends exactly at 2^32: fits; 4G does not.
    CHECK(firmware_ram_map(Arch::Arm, 3 * GiB, PhysAddr(0x40000000)));
    CHECK(err(firmware_ram_map(Arch::Arm, 4 * GiB, PhysAddr(0x40000000))) ==
          "mem: 0x100000000 bytes at phys_offset 0x40000000 does not fit arm's 32-bit physical "
          "address space (at most 0xc0000000 bytes there)");
    auto big = firmware_ram_map(Arch::Arm64, TiB, PhysAddr(0x40000000));
    REQUIRE(big);
    CHECK(big->ranges == std::vector<RamRange>{rr(0x40000000, 0x10040000000, RamType::Usable)});
    CHECK(firmware_ram_map(Arch::ArmLpae, 8 * GiB, PhysAddr(0x80000000)));
    CHECK(err(firmware_ram_map(Arch::X86_64, 512 * MiB + 1, PhysAddr(0))) ==
          "mem: 0x20000001 bytes is not allowed (must be a non-zero multiple of 4K)");
}

TEST_CASE("e820: a 6.1 QEMU boot log", "[ram_map][e820]") {
    auto m = parse_e820_log(slurp("qemu-x86_64-6.1.dmesg"), "boot.log");
    REQUIRE(m);
    // Inclusive ends + 1; the "e820: update/remove" lines are not BIOS-e820 lines.
    CHECK(m->ranges == std::vector<RamRange>{
                           rr(0, 0x9fc00, RamType::Usable),
                           rr(0x9fc00, 0xa0000, RamType::Reserved),
                           rr(0xf0000, 0x100000, RamType::Reserved),
                           rr(0x100000, 0x7ffe0000, RamType::Usable),
                           rr(0x7ffe0000, 0x80000000, RamType::Reserved),
                           rr(0xfeffc000, 0xff000000, RamType::Reserved),
                           rr(0xfffc0000, 0x100000000, RamType::Reserved),
                       });
}

TEST_CASE("e820: a 2.6.32 boot log with exclusive ends", "[ram_map][e820]") {
    auto m = parse_e820_log(slurp("x86-2.6.32.dmesg"), "old.log");
    REQUIRE(m);
    CHECK(m->ranges == std::vector<RamRange>{
                           rr(0, 0x9f400, RamType::Usable),
                           rr(0x9f400, 0xa0000, RamType::Reserved),
                           rr(0xf0000, 0x100000, RamType::Reserved),
                           rr(0x100000, 0x1fffd000, RamType::Usable),
                           rr(0x1fffd000, 0x20000000, RamType::Reserved),
                           rr(0xfffbc000, 0x100000000, RamType::Reserved),
                       });
}

TEST_CASE("e820: every type word, and merging of equal neighbours", "[ram_map][e820]") {
    const char* text =
        "BIOS-e820: [mem 0x0000000000000000-0x0000000000000fff] usable\n"
        "BIOS-e820: [mem 0x0000000000001000-0x0000000000001fff] usable\n"
        "BIOS-e820: [mem 0x0000000000002000-0x0000000000002fff] ACPI data\n"
        "BIOS-e820: [mem 0x0000000000003000-0x0000000000003fff] ACPI NVS\n"
        "BIOS-e820: [mem 0x0000000000004000-0x0000000000004fff] unusable\n"
        "BIOS-e820: [mem 0x0000000000005000-0x0000000000005fff] persistent (type 12)\n"
        "BIOS-e820: [mem 0x0000000000006000-0x0000000000006fff] persistent (type 7)\n"
        "BIOS-e820: [mem 0x0000000000007000-0x0000000000007fff] soft reserved\n"
        " BIOS-e820: 0000000000008000 - 0000000000009000 (ACPI data)\n"
        " BIOS-e820: 0000000000009000 - 000000000000a000 type 12\n";
    auto m = parse_e820_log(text, "t");
    REQUIRE(m);
    // The two usable pages merge (e820__update_table); 0x8000 ACPI data does not touch 0x2000.
    CHECK(m->ranges == std::vector<RamRange>{
                           rr(0, 0x2000, RamType::Usable),
                           rr(0x2000, 0x3000, RamType::Acpi),
                           rr(0x3000, 0x4000, RamType::Nvs),
                           rr(0x4000, 0x5000, RamType::Unusable),
                           rr(0x5000, 0x6000, RamType::Pram),
                           rr(0x6000, 0x7000, RamType::Pmem),
                           rr(0x7000, 0x8000, RamType::SoftReserved),
                           rr(0x8000, 0x9000, RamType::Acpi),
                           rr(0x9000, 0xa000, RamType::Pram),
                       });
}

TEST_CASE("e820: malformed lines name the line and the reason", "[ram_map][e820]") {
    const std::string ok = "[    0.000000] BIOS-e820: [mem 0x0000000000000000-0x000000000009fbff] "
                           "usable\n";
    CHECK(err(parse_e820_log(ok + "[    0.000000] BIOS-e820: [mem 0x00000000000g0000-"
                                  "0x00000000000fffff] reserved\n",
                             "a.log")) ==
          "a.log:2: bad hex number '00000000000g0000' in BIOS-e820 line (1 to 16 hex digits)");
    CHECK(err(parse_e820_log("x\ny\nBIOS-e820: [mem 0x0000000000100000-0x00000000000fffff] "
                             "usable\n",
                             "b.log")) == "b.log:3: end 0xfffff is before start 0x100000");
    CHECK(err(parse_e820_log(ok + "BIOS-e820: [mem 0x0000000000100000-0x00000000001fffff] "
                                  "wobbly\n",
                             "c.log")) ==
          "c.log:2: unknown e820 type 'wobbly' (known: usable, reserved, soft reserved, ACPI "
          "data, ACPI NVS, unusable, persistent (type 7), persistent (type 12), or 'type N' "
          "with N one of 1 2 3 4 5 7 12 128)");
    CHECK(err(parse_e820_log(ok + "BIOS-e820: [mem 0x0000000000090000-0x00000000000a0fff] "
                                  "reserved\n",
                             "d.log")) ==
          "d.log:2: entry [mem 0x0000000000090000-0x00000000000a0fff] overlaps the entry on "
          "line 1 ([mem 0x0000000000000000-0x000000000009fbff]); e820 entries must not overlap");
    CHECK(err(parse_e820_log("BIOS-e820: 0000000000000000 - 000000000009f400\n", "e.log")) ==
          "e.log:1: malformed BIOS-e820 line (expected '[mem 0xSTART-0xEND] TYPE' or 'START - "
          "END (TYPE)')");
    CHECK(err(parse_e820_log("BIOS-e820: [mem 0x0-0xfff]\n", "f.log")) ==
          "f.log:1: malformed BIOS-e820 line (expected '[mem 0xSTART-0xEND] TYPE' or 'START - "
          "END (TYPE)')");
    CHECK(err(parse_e820_log("Linux version 6.1\nno map here\n", "g.log")) ==
          "g.log: no BIOS-e820 lines found (expected lines like 'BIOS-e820: [mem "
          "0x0000000000000000-0x000000000009fbff] usable')");
}

TEST_CASE("iomem import: a real 6.1 /proc/iomem", "[ram_map][iomem]") {
    auto m = parse_proc_iomem(slurp("qemu-x86_64-6.1.iomem"), "iomem.txt");
    REQUIRE(m);
    // Only the top-level e820 names become ranges; inclusive ends + 1.
    CHECK(m->ranges == std::vector<RamRange>{
                           rr(0, 0x1000, RamType::Reserved, "Reserved"),
                           rr(0x1000, 0x9fc00, RamType::Usable, "System RAM"),
                           rr(0x9fc00, 0xa0000, RamType::Reserved, "Reserved"),
                           rr(0xf0000, 0x100000, RamType::Reserved, "Reserved"),
                           rr(0x100000, 0xbffe0000, RamType::Usable, "System RAM"),
                           rr(0xbffe0000, 0xc0000000, RamType::Reserved, "Reserved"),
                           rr(0xfeffc000, 0xff000000, RamType::Reserved, "Reserved"),
                           rr(0xfffc0000, 0x100000000, RamType::Reserved, "Reserved"),
                           rr(0x100000000, 0x1c0000000, RamType::Usable, "System RAM"),
                       });
    REQUIRE(m->imported.size() == 29);
    CHECK(m->imported[8] ==
          ImportedResource{PhysAddr(0xf0000), PhysAddr(0xfffff), "System ROM", 1});
    CHECK(m->imported[20] ==
          ImportedResource{PhysAddr(0xfebd1000), PhysAddr(0xfebd1fff), "virtio-pci-modern", 2});
    auto acpi = parse_proc_iomem("00000000-0009ffff : System RAM\n"
                                 "000e0000-000fffff : ACPI Tables\n"
                                 "00100000-001fffff : ACPI Non-volatile Storage\n",
                                 "x");
    REQUIRE(acpi);
    CHECK(acpi->ranges[1].type == RamType::Acpi);
    CHECK(acpi->ranges[2].type == RamType::Nvs);
}

TEST_CASE("iomem import: bad inputs", "[ram_map][iomem]") {
    CHECK(err(parse_proc_iomem("00000000-00000000 : Reserved\n00000000-00000000 : System RAM\n"
                               "  00000000-00000000 : Kernel code\n",
                               "u.txt")) ==
          "u.txt: every address is 0: this /proc/iomem was read without CAP_SYS_ADMIN (kernels "
          "since 4.15 hide the addresses); read it as root, e.g. 'sudo cat /proc/iomem'");
    CHECK(err(parse_proc_iomem("00000000-00000fff : Reserved\n00001000-0009fbff System RAM\n",
                               "v.txt")) ==
          "v.txt:2: malformed /proc/iomem line (expected 'START-END : NAME' with hex START and "
          "END, indented by two spaces per level)");
    CHECK(err(parse_proc_iomem("00100000-1fffffff : System RAM\n   01000000-01e01cc6 : Kernel "
                               "code\n",
                               "w.txt")) ==
          "w.txt:2: indentation of 3 spaces is not a multiple of 2");
    CHECK(err(parse_proc_iomem("00100000-1fffffff : System RAM\n    01000000-01e01cc6 : Kernel "
                               "code\n",
                               "w.txt")) ==
          "w.txt:2: indented 2 levels under a line of depth 0 (one level deeper at most)");
    CHECK(err(parse_proc_iomem("00100000-1fffffff : System RAM\n  01000000-2fffffff : Kernel "
                               "code\n",
                               "x.txt")) ==
          "x.txt:2: 'Kernel code' 1000000-2fffffff is not inside its parent 'System RAM' "
          "100000-1fffffff (line 1)");
    CHECK(err(parse_proc_iomem("0010000z-1fffffff : System RAM\n", "y.txt")) ==
          "y.txt:1: bad hex number '0010000z' (1 to 16 hex digits)");
    CHECK(err(parse_proc_iomem("00100000-1fffffff : System RAM\n00000000-00000fff : Reserved\n",
                               "z.txt")) ==
          "z.txt:2: 'Reserved' 0-fff overlaps or precedes 'System RAM' 100000-1fffffff (line "
          "1); top-level lines must ascend");
}
