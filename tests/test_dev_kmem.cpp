// read_kmem / write_kmem per era (kernel-semantics §2.8, §2.9; §7.2 cases 9-11, 53-63), kernel
// variables and vmalloc areas read through /dev/kmem by a user program.
#include "test_dev_mem_fixtures.h"

#include "devices/mem/kmem_device.h"
#include "mm/kernel_image/linux_banner.h"
#include "mm/page_alloc.h"

using namespace kmemu;
using namespace kmemu::test;

namespace {

constexpr u64 kRes = 0x4000000; // _llseek's result word

int open_kmem(Rig& r) {
    const long fd = r.open("/dev/kmem");
    REQUIRE(fd == 3);
    return static_cast<int>(fd);
}

// 32-bit machines reach kernel addresses with _llseek.
long R32(Rig& r, int fd, u64 pos, u64 n, u64 buf = kB) {
    REQUIRE(r.p->llseek(fd, pos, VirtAddr(kRes), kSeekSet) == 0);
    return r.p->read(fd, VirtAddr(buf), n);
}
long W32(Rig& r, int fd, u64 pos, u64 n, u64 buf = kB) {
    REQUIRE(r.p->llseek(fd, pos, VirtAddr(kRes), kSeekSet) == 0);
    return r.p->write(fd, VirtAddr(buf), n);
}

u64 high_memory(const Rig& r) {
    return r.m->layout().high_memory.get();
}

// A1 (vmalloc 8 KiB of 'A') and A2 (ioremap of the device page at kDev) of §7.1.
struct Areas {
    u64 a1 = 0, a2 = 0;
};
Areas make_areas(Rig& r, bool with_a2) {
    Areas a;
    a.a1 = r.m->vmalloc().vmalloc(8192).get();
    REQUIRE(a.a1 != 0);
    kernel_fill(*r.m, a.a1, 8192, 'A');
    if (with_a2) {
        auto v = r.m->vmalloc().ioremap(PhysAddr(kDev), 4096);
        REQUIRE(v);
        a.a2 = v.value().get();
        REQUIRE(a.a2 > a.a1);
    }
    return a;
}

} // namespace

TEST_CASE("kmem case 9: pread at a negative position is EINVAL", "[dev_kmem]") {
    for (const char* v : {"kernel=3.6", "kernel=4.19"}) {
        Rig r = boot_rm({v});
        const int fd = open_kmem(r);
        CHECK(r.p->pread64(fd, VirtAddr(kB), 16,
                           static_cast<kmemu::loff_t>(0xffff880000001000ULL)) == -EINVAL);
        CHECK(r.pos(fd) == 0);
    }
}

TEST_CASE("kmem case 10/11: the direct map from 2.6.39's unsigned offsets", "[dev_kmem]") {
    {
        Rig r = boot_rm({"kernel=2.6.32"});
        const int fd = open_kmem(r);
        CHECK(r.R(fd, 0xffff880000001000ULL, 16) == -EINVAL); // VFS: negative position
        CHECK(r.pos(fd) == 0xffff880000001000ULL);
    }
    for (const char* v : {"kernel=3.6", "kernel=4.4.155"}) {
        Rig r = boot_rm({v});
        const int fd = open_kmem(r);
        CHECK(r.R(fd, 0xffff880000001000ULL, 16) == 16);
        CHECK(r.user(kB, 16) == ram_bytes(0x1000, 16));
        CHECK(r.pos(fd) == 0xffff880000001010ULL);
    }
    for (const char* v : {"kernel=4.19", "kernel=5.10"}) {
        // not filtered by STRICT_DEVMEM (PAGE_OFFSET as the machine's layout has it: kmemu's
        // x86_64 layout moves to 0xffff888000000000 at 4.20)
        Rig r = boot_rm({v});
        const int fd = open_kmem(r);
        const u64 va = r.m->layout().page_offset.get() + 0x1000;
        CHECK(r.R(fd, va, 16) == 16);
        CHECK(r.user(kB, 16) == ram_bytes(0x1000, 16));
        CHECK(r.pos(fd) == va + 16);
    }
}

TEST_CASE("kmem case 53: a read straddling high_memory stops there (E2-E6)", "[dev_kmem]") {
    for (const char* v : {"kernel=3.6", "kernel=4.19", "kernel=5.10"}) {
        Rig r = boot_rm({v});
        const int fd = open_kmem(r);
        const u64 hm = high_memory(r);
        CHECK(r.R(fd, hm - 100, 200) == 100);
        CHECK(r.user(kB, 100) == r.phys(0x80000000 - 100, 100)); // boot page tables live there
        CHECK(r.user(kB + 100, 100) == filled(100, 0xee));
        CHECK(r.pos(fd) == hm);
    }
    Rig r = boot_plain({"arch=i386", "mem=512M", "split=3G", "kernel=2.6.32"});
    const int fd = open_kmem(r);
    const u64 hm = high_memory(r);
    REQUIRE(hm == 0xe0000000);
    CHECK(R32(r, fd, hm - 100, 200) == 100);
    CHECK(r.user(kB, 100) == r.phys(0x20000000 - 100, 100));
    CHECK(r.pos(fd) == hm);
}

TEST_CASE("kmem case 54: 2.6.24's vread zero-fills up to the first area", "[dev_kmem]") {
    Rig r = boot_plain({"arch=i386", "mem=512M", "split=3G", "kernel=2.6.24"});
    REQUIRE(r.m->vmalloc().vmalloc(100).get() != 0);
    const int fd = open_kmem(r);
    const u64 hm = high_memory(r);
    CHECK(R32(r, fd, hm - 100, 200) == 200);
    CHECK(r.user(kB, 100) == r.phys(0x20000000 - 100, 100));
    CHECK(r.user(kB + 100, 100) == filled(100, 0));
    CHECK(r.pos(fd) == hm + 100);
}

TEST_CASE("kmem cases 55-57: vmalloc areas, guard pages and ioremap areas", "[dev_kmem]") {
    for (const char* v : {"kernel=3.6", "kernel=4.19", "kernel=5.10"}) {
        Rig r = boot_rm({v});
        const Areas a = make_areas(r, true);
        const int fd = open_kmem(r);
        CHECK(r.R(fd, a.a1, 12288) == 12288); // case 55
        CHECK(r.user(kB, 8192) == filled(8192, 'A'));
        CHECK(r.user(kB + 8192, 4096) == filled(4096, 0));
        CHECK(r.pos(fd) == a.a1 + 12288);
        CHECK(r.R(fd, a.a2, 4096) == 4096); // case 57: ioremap areas read as zeros
        CHECK(r.user(kB, 4096) == filled(4096, 0));
        CHECK(r.pos(fd) == a.a2 + 4096);
    }
    for (const char* v : {"kernel=3.6", "kernel=4.19"}) {
        Rig r = boot_rm({v});
        const Areas a = make_areas(r, false);
        const int fd = open_kmem(r);
        CHECK(r.R(fd, a.a1, 12288) == 8192); // case 56: A1 is the last area
        CHECK(r.pos(fd) == a.a1 + 8192);
        CHECK(r.R(fd, a.a1 + 0x100000, 16) == 0); // nothing at or above: EOF
        CHECK(r.pos(fd) == a.a1 + 0x100000);
    }
}

TEST_CASE("kmem cases 58/63: kernel text is neither vmalloc nor module space", "[dev_kmem]") {
    for (const char* v : {"kernel=3.6", "kernel=4.19", "kernel=5.12"}) {
        Rig r = boot_rm({v});
        const int fd = open_kmem(r);
        CHECK(r.R(fd, 0xffffffff81000000ULL, 16) == -ENXIO);
        CHECK(r.pos(fd) == 0xffffffff81000000ULL);
        CHECK(r.W(fd, 0xffffffff81000000ULL, 16) == -ENXIO);
        CHECK(r.pos(fd) == 0xffffffff81000000ULL);
    }
}

TEST_CASE("kmem case 59: a user address below high_memory up to 4.13", "[dev_kmem]") {
    for (const char* v : {"kernel=3.6", "kernel=4.4.155", "kernel=4.13"}) {
        Rig r = boot_rm({v});
        r.u->map(0x400000, 0x1000, 0xab);
        const int fd = open_kmem(r);
        CHECK(r.R(fd, 0x400000, 8) == 8); // the caller's own bytes
        CHECK(r.user(kB, 8) == filled(8, 0xab));
        CHECK(r.pos(fd) == 0x400008);
        CHECK(r.R(fd, 0x500000, 8) == -EFAULT); // unmapped: short copy
        CHECK(r.pos(fd) == 0x500000);
        // write_kmem stores into the caller's memory the same way
        CHECK(r.W(fd, 0x400000, 4, kB2) == 4);
        CHECK(r.user(0x400000, 5) == std::vector<u8>{0xdd, 0xdd, 0xdd, 0xdd, 0xab});
    }
    for (const char* v : {"kernel=4.14", "kernel=4.19", "kernel=5.10"}) {
        Rig r = boot_rm({v});
        r.u->map(0x400000, 0x1000, 0xab);
        const int fd = open_kmem(r);
        CHECK(r.R(fd, 0x400000, 8) == -ENXIO);
        CHECK(r.W(fd, 0x400000, 8) == -ENXIO);
        CHECK(r.pos(fd) == 0x400000);
        CHECK(r.user(kB, 8) == filled(8, 0xee));
    }
}

TEST_CASE("kmem cases 60/61: vwrite's result is ignored from 2.6.32", "[dev_kmem]") {
    for (const char* v : {"kernel=3.6", "kernel=4.19", "kernel=5.10"}) {
        Rig r = boot_rm({v});
        const Areas a = make_areas(r, true);
        const int fd = open_kmem(r);
        CHECK(r.W(fd, a.a2, 4096) == 4096); // case 60
        CHECK(r.pos(fd) == a.a2 + 4096);
        CHECK(r.dev_writes->empty());              // the device behind A2 saw no write
        CHECK(r.W(fd, a.a2 + 0x100000, 16) == 16); // case 61
        CHECK(r.pos(fd) == a.a2 + 0x100000 + 16);
        // and a vmalloc area is written
        CHECK(r.W(fd, a.a1 + 10, 4) == 4);
        CHECK(r.R(fd, a.a1 + 8, 8) == 8);
        CHECK(r.user(kB, 8) == std::vector<u8>{'A', 'A', 0xee, 0xee, 0xee, 0xee, 'A', 'A'});
    }
}

TEST_CASE("kmem case 62: 2.6.24's write livelock is reported as -EDEADLK", "[dev_kmem]") {
    Rig r = boot_plain({"arch=i386", "mem=512M", "split=3G", "kernel=2.6.24"});
    const u64 a = r.m->vmalloc().vmalloc(4096).get();
    REQUIRE(a != 0);
    const int fd = open_kmem(r);
    CHECK(W32(r, fd, a + 0x100000, 16) == kKmemWriteLivelock);
    CHECK(kKmemWriteLivelock == -EDEADLK);
    CHECK(r.pos(fd) == a + 0x100000);
    // Inside the area the write goes through and advances.
    CHECK(W32(r, fd, a + 8, 16) == 16);
    CHECK(r.pos(fd) == a + 24);
}

TEST_CASE("kmem: linux_banner at its kallsyms address", "[dev_kmem]") {
    {
        Rig r = boot_plain({"arch=i386", "mem=512M", "split=3G", "kernel=2.6.32"});
        const KernelSymbol* s = r.m->symbols().find("linux_banner");
        REQUIRE(s);
        REQUIRE(s->address.get() == 0xc133e100);
        const std::string banner = linux_banner(r.m->profile().kernel_image);
        const int fd = open_kmem(r);
        CHECK(R32(r, fd, s->address.get(), banner.size()) == static_cast<long>(banner.size()));
        const auto got = r.user(kB, banner.size());
        CHECK(std::string(got.begin(), got.end()) == banner);
        CHECK(r.pos(fd) == s->address.get() + banner.size());
    }
    {
        // x86_64: the image mapping is above high_memory and not vmalloc space (ENXIO); its
        // direct-map alias __va(__pa_symbol(linux_banner)) reads the banner.
        Rig r = boot_plain({"arch=x86_64", "mem=512M", "kernel=4.19"});
        const KernelSymbol* s = r.m->symbols().find("linux_banner");
        REQUIRE(s);
        const std::string banner = linux_banner(r.m->profile().kernel_image);
        const int fd = open_kmem(r);
        CHECK(r.R(fd, s->address.get(), banner.size()) == -ENXIO);
        const u64 alias = r.m->layout().va(s->phys).get();
        CHECK(r.R(fd, alias, banner.size()) == static_cast<long>(banner.size()));
        const auto got = r.user(kB, banner.size());
        CHECK(std::string(got.begin(), got.end()) == banner);
    }
}

TEST_CASE("kmem: a vmalloc'd buffer, then the same read after vfree", "[dev_kmem]") {
    Rig r = boot_plain({"arch=x86_64", "mem=512M", "kernel=4.19"});
    const u64 a = r.m->vmalloc().vmalloc(8192).get();
    REQUIRE(a != 0);
    kernel_fill(*r.m, a, 4096, 0x41);
    kernel_fill(*r.m, a + 4096, 4096, 0x42);
    const int fd = open_kmem(r);
    CHECK(r.R(fd, a, 8192) == 8192);
    CHECK(r.user(kB, 4096) == filled(4096, 0x41));
    CHECK(r.user(kB + 4096, 4096) == filled(4096, 0x42));
    r.m->vmalloc().vfree(VirtAddr(a));
    CHECK(r.R(fd, a, 8192) == 0); // no area at or above: vread returns 0, EOF
    CHECK(r.pos(fd) == a);
    // With an area above the hole, the hole reads as zeros.
    const u64 b = r.m->vmalloc().vmalloc(4096).get();
    REQUIRE(b > a);
    CHECK(r.R(fd, a, 8192) == 8192);
    CHECK(r.user(kB, 8192) == filled(8192, 0));
}

TEST_CASE("kmem: i386 2.6.32 vmalloc(100) at 0xe0800000 read after _llseek", "[dev_kmem]") {
    Rig r = boot_plain({"arch=i386", "mem=512M", "split=3G", "kernel=2.6.32"});
    const u64 a = r.m->vmalloc().vmalloc(100).get();
    REQUIRE(a == 0xe0800000);
    kernel_fill(*r.m, a, 100, 0x77);
    const int fd = open_kmem(r);
    CHECK(R32(r, fd, a, 100) == 100);
    CHECK(r.user(kB, 100) == filled(100, 0x77));
    CHECK(r.pos(fd) == a + 100);
    // The usable page continues past the 100 bytes; the guard page then reads as zeros only
    // when an area lies above it, else the read stops at the area's end.
    CHECK(R32(r, fd, a + 4000, 200) == 96);
    CHECK(r.pos(fd) == a + 4096);
}

TEST_CASE("kmem: the bounce page's allocation failure", "[dev_kmem]") {
    Rig r = boot_rm({"kernel=4.19"});
    const Areas a = make_areas(r, false);
    const int fd = open_kmem(r);
    REQUIRE(r.p->lseek(fd, static_cast<i64>(a.a1), kSeekSet) == static_cast<long>(a.a1));
    r.m->page_allocator().set_fault_injection(fail_first());
    CHECK(r.p->read(fd, VirtAddr(kB), 16) == -ENOMEM);
    r.m->page_allocator().set_fault_injection(fail_first());
    CHECK(r.p->write(fd, VirtAddr(kB), 16) == -ENOMEM);
    CHECK(r.pos(fd) == a.a1);
    r.m->page_allocator().set_fault_injection({});
    // A low-phase write before the failure is returned instead.
    const u64 hm = high_memory(r);
    REQUIRE(r.p->lseek(fd, static_cast<i64>(hm - 8), kSeekSet) == static_cast<long>(hm - 8));
    r.m->page_allocator().set_fault_injection(fail_first());
    CHECK(r.p->write(fd, VirtAddr(kB), 16) == 8);
    CHECK(r.pos(fd) == hm);
}

TEST_CASE("kmem: should_stop_iteration skips the high phase from 5.4", "[dev_kmem]") {
    Rig r = boot_rm({"kernel=5.10"});
    r.p->task().fatal_signal_pending = true;
    const int fd = open_kmem(r);
    const u64 hm = high_memory(r);
    CHECK(r.R(fd, hm - 8192, 8192) == 4096);
    CHECK(r.pos(fd) == hm - 4096);
    Rig old = boot_rm({"kernel=5.3"});
    old.p->task().fatal_signal_pending = true;
    const int fd2 = open_kmem(old);
    CHECK(old.R(fd2, high_memory(old) - 8192, 8192) == 8192);
}
