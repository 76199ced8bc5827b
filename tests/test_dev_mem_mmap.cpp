// mmap_mem's argument checks, called directly as the mmap side will call them
// (kernel-semantics §2.6 steps a-f; §7.2 cases 31, 32, 33, 34, 98, 99).
#include "test_dev_mem_fixtures.h"

#include "devices/mem/mem_device.h"

using namespace kmemu;
using namespace kmemu::test;

namespace {

// mmap_mem_check for offset `off` (bytes, page aligned) and `size` on an open /dev/mem.
int check(Rig& r, u64 off, u64 size) {
    const long fd = r.open("/dev/mem");
    REQUIRE(fd >= 3);
    DeviceKernelScope scope(r.m->devices().kernel(), &r.p->task());
    const int ret = mmap_mem_check(&r.p->file(static_cast<int>(fd))->f, off >> 12, size);
    REQUIRE(r.p->close(static_cast<int>(fd)) == 0);
    return ret;
}

} // namespace

TEST_CASE("mem mmap case 31: RAM at 1 MiB is EPERM from STRICT_DEVMEM", "[dev_mem][mmap]") {
    {
        Rig r = boot_rm({"kernel=2.6.24"});
        CHECK(check(r, 0x100000, 4096) == 0);
    }
    {
        // 2.6.32's `pagenr <= 256` lets pfn 256 through (as for read, case 15); the next page
        // is refused. (kernel-semantics §7.2 lists EPERM for E2 here; the rule says otherwise.)
        Rig r = boot_rm({"kernel=2.6.32"});
        CHECK(check(r, 0x100000, 4096) == 0);
        CHECK(check(r, 0xff000, 8192) == 0);
        CHECK(check(r, 0x101000, 4096) == -EPERM);
        CHECK(check(r, 0xff000, 12288) == -EPERM);
    }
    for (const char* v : {"kernel=3.6", "kernel=4.19", "kernel=6.13"}) {
        Rig r = boot_rm({v});
        CHECK(check(r, 0x100000, 4096) == -EPERM);
        // a range merely touching one RAM page above 1 MiB
        CHECK(check(r, 0xff000, 8192) == -EPERM);
        CHECK(check(r, kVga, 0x20000) == 0);
        CHECK(check(r, 0xfec00000, 4096) == 0); // IOAPIC: busy, not exclusive (no IO_STRICT)
    }
}

TEST_CASE("mem mmap case 32: low RAM maps although read() gives zeros", "[dev_mem][mmap]") {
    for (const char* v : {"kernel=3.10.108", "kernel=4.4.155", "kernel=6.1"}) {
        Rig r = boot_rm({v});
        CHECK(check(r, 0x10000, 4096) == 0);
        CHECK(check(r, 0, 0x100000) == 0);
    }
}

TEST_CASE("mem mmap case 33: offset + size - 1 wrapping is EINVAL from 4.12", "[dev_mem][mmap]") {
    for (const char* v : {"kernel=4.4.155", "kernel=4.12", "kernel=4.19", "kernel=6.1"}) {
        Rig r = boot_rm({v});
        CHECK(check(r, 0xfffffffffffff000ULL, 8192) == -EINVAL);
    }
    for (const char* v : {"kernel=3.6", "kernel=4.4", "kernel=4.11"}) {
        // No wrap check and no phys-bits check yet: range_is_allowed's page walk ends at once
        // because its end wrapped below its start.
        Rig r = boot_rm({v});
        CHECK(check(r, 0xfffffffffffff000ULL, 8192) == 0);
    }
}

TEST_CASE("mem mmap case 34: beyond the CPU's physical address width from 4.15",
          "[dev_mem][mmap]") {
    for (const char* v : {"kernel=4.15", "kernel=4.19", "kernel=6.1"}) {
        Rig r = boot_rm({v, "phys_bits=46"});
        CHECK(check(r, u64{1} << 46, 4096) == -EINVAL);
        CHECK(check(r, (u64{1} << 46) - 4096, 4096) == 0);
    }
    Rig r = boot_rm({"kernel=4.14", "phys_bits=46"});
    CHECK(check(r, u64{1} << 46, 4096) == 0);
}

TEST_CASE("mem mmap: the offset must fit phys_addr_t from 4.13", "[dev_mem][mmap]") {
    // pgoff 2^52 shifts out of a 64-bit phys_addr_t.
    Rig r = boot_rm({"kernel=4.19"});
    {
        const long fd = r.open("/dev/mem");
        DeviceKernelScope scope(r.m->devices().kernel(), &r.p->task());
        CHECK(mmap_mem_check(&r.p->file(static_cast<int>(fd))->f, u64{1} << 52, 4096) == -EINVAL);
    }
    // 32-bit non-PAE: an offset of 4 GiB does not fit.
    Rig r32 = boot_plain({"arch=i386", "mem=512M", "kernel=4.19"});
    CHECK(check(r32, 0x100000000ULL, 4096) == -EINVAL);
    Rig old32 = boot_plain({"arch=i386", "mem=512M", "kernel=4.12"});
    // 4.12: the shifted offset wraps to 0 unnoticed; devmem_is_allowed sees pfn 0x100000: no
    // RAM there, and its exclusivity alias (page 0, busy but not exclusive) allows it.
    CHECK(check(old32, 0x100000000ULL, 4096) == 0);
}

TEST_CASE("mem mmap cases 98/99: IO_STRICT_DEVMEM and the PAE 4 GiB alias", "[dev_mem][mmap]") {
    {
        Rig r = boot_rm({"kernel=6.1", "io_strict_devmem=on"});
        CHECK(check(r, 0xfec00000, 4096) == -EPERM); // busy IOAPIC
        CHECK(check(r, kVga, 4096) == 0);            // first MiB bypasses
    }
    {
        Rig r = boot_rm({"arch=i386-pae", "kernel=6.1", "io_strict_devmem=on"});
        CHECK(check(r, 0x100000000ULL, 4096) == -EPERM); // alias of page 0 (busy RAM)
        CHECK(check(r, 0x1000a0000ULL, 4096) == 0);      // alias of the VGA window
    }
    {
        Rig r = boot_rm({"arch=x86_64", "kernel=6.1", "io_strict_devmem=on"});
        CHECK(check(r, 0x100000000ULL, 4096) == 0); // 64-bit: no alias
    }
}

TEST_CASE("mem mmap: without STRICT_DEVMEM x86 PAT repeats the walk (EINVAL)", "[dev_mem][mmap]") {
    Rig r = boot_rm({"kernel=6.1", "strict_devmem=off"});
    CHECK(check(r, 0x100000, 4096) == -EINVAL);
    CHECK(check(r, 0x10000, 4096) == 0); // 2 counts as allowed
    Rig arm = boot_plain({"arch=arm", "mem=256M", "kernel=6.1", "strict_devmem=off"});
    CHECK(check(arm, arm.m->layout().phys_offset.get(), 4096) == 0);
}
