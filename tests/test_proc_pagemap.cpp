// /proc/PID/pagemap through open/pread/lseek on real process memory: entry layouts per era,
// holes, the zero page, fresh pages, PFN hiding and the open rule without CAP_SYS_ADMIN, the read
// rules of kernel-semantics §5.2 and cases 41-44 and 96 of §7.2.
#include "test_user_fixtures.h"

#include "emu/machine.h"
#include "emu/procfs_pagemap.h"
#include "mm/errno.h"

using namespace kmemu;

namespace {

constexpr int kProtRW = 3, kMapPrivateAnon = 0x22, kMapFixed = 0x10;

std::unique_ptr<Machine> boot(const std::vector<std::string>& words) {
    return test::boot_machine(words);
}

u64 map(Process& p, u64 len, u64 addr = 0, int flags = kMapPrivateAnon) {
    return test::process_mmap_anon(p, len, addr, flags);
}

void touch_read(Process& p, u64 va) {
    u8 b = 0xff;
    REQUIRE(p.user_read(VirtAddr(va), std::span<u8>(&b, 1)).signal == 0);
    CHECK(b == 0);
}

void touch_write(Process& p, u64 va) {
    const u8 b = 0x5a;
    REQUIRE(p.user_write(VirtAddr(va), std::span<const u8>(&b, 1)).signal == 0);
}

u64 pfn_of(Process& p, u64 va) {
    auto pte = p.mm()->pte_at(VirtAddr(va));
    REQUIRE(pte);
    REQUIRE(pte.value());
    return p.mm()->pte_format().pfn(*pte.value()).get();
}

// pread of n entries for the pages from va on; the little-endian u64s decoded.
std::vector<u64> entries(Process& p, int fd, u64 va, unsigned n, long* ret = nullptr) {
    VirtAddr buf = p.malloc(8 * n);
    const loff_t pos = static_cast<loff_t>((va >> 12) * 8);
    long r = p.pread64(fd, buf, 8 * n, pos);
    if (ret)
        *ret = r;
    std::vector<u64> out;
    if (r <= 0)
        return out;
    std::vector<u8> raw(static_cast<size_t>(r));
    REQUIRE(p.user_read(buf, raw).signal == 0);
    for (size_t i = 0; i + 8 <= raw.size(); i += 8) {
        u64 e = 0;
        for (int b = 7; b >= 0; --b)
            e = (e << 8) | raw[i + static_cast<size_t>(b)];
        out.push_back(e);
    }
    return out;
}

// Three pages: untouched, read-faulted (the zero page), written.
struct ThreePages {
    u64 base, zero_pfn, page_pfn;
};
ThreePages three_pages(Process& p) {
    ThreePages t{map(p, 3 * 4096), 0, 0};
    touch_read(p, t.base + 4096);
    touch_write(p, t.base + 8192);
    t.zero_pfn = p.mm()->zero_pfn().get();
    t.page_pfn = pfn_of(p, t.base + 8192);
    CHECK(pfn_of(p, t.base + 4096) == t.zero_pfn);
    return t;
}

// What remap_pfn_range leaves on a one-page VMA (no device mmap yet): VM_IO | VM_PFNMAP |
// VM_DONTEXPAND | VM_DONTDUMP, vm_pgoff = pfn, a special pte for the frame.
void make_pfnmap(Process& p, u64 va, u64 pfn) {
    vm_area_struct* v = p.mm()->find_vma(VirtAddr(va));
    REQUIRE(v != nullptr);
    REQUIRE(v->vm_start == va);
    v->vm_flags |= VM_IO | VM_PFNMAP | VM_DONTEXPAND | VM_DONTDUMP;
    v->vm_pgoff = pfn;
    const UserPteFormat& f = p.mm()->pte_format();
    REQUIRE(p.mm()->install_pte(VirtAddr(va), f.mkspecial(f.mk_pte(Pfn(pfn), v->vm_page_prot))) ==
            0);
}

} // namespace

TEST_CASE("pagemap 6.1 x86_64: holes, zero page, fresh page, soft-dirty (root)",
          "[procfs][pagemap]") {
    auto m = boot({"arch=x86_64", "kernel=6.1"});
    Process& p = m->spawn({"pm", Cred::root()});
    ThreePages t = three_pages(p);
    REQUIRE(p.open("/proc/self/pagemap", 0) == 3);
    auto e = entries(p, 3, t.base, 3);
    REQUIRE(e.size() == 3);
    CHECK(e[0] == 0x0080000000000000ULL);                // hole in a VM_SOFTDIRTY VMA
    CHECK(e[1] == (0x8080000000000000ULL | t.zero_pfn)); // present, soft-dirty, not exclusive
    CHECK(e[2] == (0x8180000000000000ULL | t.page_pfn)); // present, exclusive, soft-dirty
    // Outside any VMA: 0.
    REQUIRE(p.mm()->find_vma(VirtAddr(0x10000))->vm_start > 0x10000);
    auto below = entries(p, 3, 0x10000, 1);
    REQUIRE(below.size() == 1);
    CHECK(below[0] == 0);
    // /proc/PID/pagemap is the same file.
    REQUIRE(p.open(fmt::format("/proc/{}/pagemap", p.pid()), 0) == 4);
    CHECK(entries(p, 4, t.base, 3) == e);
}

TEST_CASE("pagemap 4.2+: open allowed without CAP_SYS_ADMIN, PFN zeroed (case 43)",
          "[procfs][pagemap]") {
    auto m = boot({"arch=x86_64", "kernel=6.1"});
    Process& p = m->spawn({"user", Cred::user(1000, 1000)});
    ThreePages t = three_pages(p);
    REQUIRE(p.open("/proc/self/pagemap", 0) == 3);
    auto e = entries(p, 3, t.base, 3);
    REQUIRE(e.size() == 3);
    CHECK(e[0] == 0x0080000000000000ULL);
    CHECK(e[1] == 0x8080000000000000ULL);
    CHECK(e[2] == 0x8180000000000000ULL);
    // The inode is the task's (S_IRUSR): another user cannot open it.
    Process& other = m->spawn({"other", Cred::user(1001, 1001)});
    CHECK(other.open(fmt::format("/proc/{}/pagemap", p.pid()), 0) == -EACCES);
    CHECK(p.open("/proc/999/pagemap", 0) == -ENOENT);
}

TEST_CASE("pagemap 3.10: page-shift field, EPERM without CAP_SYS_ADMIN (case 44)",
          "[procfs][pagemap]") {
    auto m = boot({"arch=x86_64", "kernel=3.10"});
    Process& root = m->spawn({"root", Cred::root()});
    ThreePages t = three_pages(root);
    REQUIRE(root.open("/proc/self/pagemap", 0) == 3);
    auto e = entries(root, 3, t.base, 3);
    REQUIRE(e.size() == 3);
    CHECK(e[0] == 0x0600000000000000ULL);
    CHECK(e[1] == (0x8600000000000000ULL | t.zero_pfn)); // the zero page has no struct page
    CHECK(e[2] == (0x8600000000000000ULL | t.page_pfn)); // anonymous: no file bit
    Process& user = m->spawn({"user", Cred::user(1000, 1000)});
    CHECK(user.open("/proc/self/pagemap", 0) == -EPERM);
}

TEST_CASE("pagemap 2.6.32: page-shift field, PFN hidden without CAP_SYS_ADMIN (stable)",
          "[procfs][pagemap]") {
    auto m = boot({"arch=x86_64", "kernel=2.6.32"});
    Process& user = m->spawn({"user", Cred::user(1000, 1000)});
    ThreePages t = three_pages(user);
    REQUIRE(user.open("/proc/self/pagemap", 0) == 3);
    auto e = entries(user, 3, t.base, 3);
    REQUIRE(e.size() == 3);
    CHECK(e[0] == 0x0600000000000000ULL);
    CHECK(e[1] == 0x8600000000000000ULL);
    CHECK(e[2] == 0x8600000000000000ULL);
    Process& root = m->spawn({"root", Cred::root()});
    REQUIRE(root.open(fmt::format("/proc/{}/pagemap", user.pid()), 0) == 3);
    e = entries(root, 3, t.base, 3);
    REQUIRE(e.size() == 3);
    CHECK(e[2] == (0x8600000000000000ULL | t.page_pfn));
    // 4.1 has the 3.10 layout and the EPERM rule; 4.2 the new layout.
    CHECK(pagemap_rules_for(user.mm()->rules()).page_shift_field);
}

TEST_CASE("pagemap i386 6.1: no soft-dirty, 32-bit entries are still 64-bit", "[procfs][pagemap]") {
    auto m = boot({"arch=i386", "mem=512M", "kernel=6.1"});
    Process& p = m->spawn({"pm", Cred::root()});
    ThreePages t = three_pages(p);
    REQUIRE(p.open("/proc/self/pagemap", 0) == 3);
    auto e = entries(p, 3, t.base, 3);
    REQUIRE(e.size() == 3);
    CHECK(e[0] == 0);
    CHECK(e[1] == (0x8000000000000000ULL | t.zero_pfn));
    CHECK(e[2] == (0x8100000000000000ULL | t.page_pfn));
    // The last entry is page TASK_SIZE/4096 - 1 (TASK_SIZE 0xc0000000): 8 bytes, then 0.
    long r = 0;
    CHECK(entries(p, 3, 0xc0000000ULL - 4096, 2, &r).size() == 1);
    CHECK(r == 8);
    entries(p, 3, 0xc0000000ULL, 1, &r);
    CHECK(r == 0);
    // src is an unsigned long: pos 2^32 + 8 * page reads that page's entry on a 32-bit kernel.
    VirtAddr buf = p.malloc(8);
    CHECK(p.pread64(3, buf, 8, static_cast<loff_t>((1ULL << 32) + (t.base >> 12) * 8 + 16)) == 8);
    u8 raw[8] = {};
    REQUIRE(p.user_read(buf, raw).signal == 0);
    CHECK(raw[7] == 0x81);
}

TEST_CASE("pagemap read rules: EINVAL, count 0, task size, *ppos, mem_lseek (case 42)",
          "[procfs][pagemap]") {
    auto m = boot({"arch=x86_64", "kernel=6.1"});
    Process& p = m->spawn({"pm", Cred::root()});
    REQUIRE(p.open("/proc/self/pagemap", 0) == 3);
    VirtAddr buf = p.malloc(64);
    CHECK(p.pread64(3, buf, 12, 0) == -EINVAL);
    CHECK(p.pread64(3, buf, 8, 4) == -EINVAL);
    CHECK(p.pread64(3, buf, 0, 0) == 0);
    // TASK_SIZE_MAX = 2^47 - 4096: the last entry is page 2^35 - 2.
    const loff_t last = static_cast<loff_t>(((1ULL << 35) - 2) * 8);
    CHECK(p.pread64(3, buf, 64, last) == 8);
    CHECK(p.pread64(3, buf, 8, last + 8) == 0);
    // read(2) advances f_pos by what it returned.
    CHECK(p.lseek(3, last - 8, 0) == last - 8);
    CHECK(p.read(3, buf, 64) == 16);
    CHECK(p.lseek(3, 0, 1) == last + 8);
    CHECK(p.read(3, buf, 64) == 0);
    // mem_lseek: SEEK_SET/SEEK_CUR without a range check; SEEK_END -EINVAL.
    CHECK(p.lseek(3, 0x1000, 0) == 0x1000);
    CHECK(p.lseek(3, 8, 1) == 0x1008);
    CHECK(p.lseek(3, 0, 2) == -EINVAL);
    CHECK(p.lseek(3, 0, 1) == 0x1008);
    CHECK(p.lseek(3, 1LL << 62, 0) == (1LL << 62));
    CHECK(p.read(3, buf, 8) == 0); // beyond the task: nothing
    CHECK(p.lseek(3, 3, 0) == 3);
    CHECK(p.read(3, buf, 8) == -EINVAL);
}

TEST_CASE("pagemap: a bad user buffer is EFAULT and f_pos stays", "[procfs][pagemap]") {
    auto m = boot({"arch=x86_64", "kernel=6.1"});
    Process& p = m->spawn({"pm", Cred::root()});
    const u64 b2 = map(p, 3 * 4096);
    REQUIRE(p.munmap(b2 + 8192, 4096) == 0);
    const u64 data = map(p, 4096, 0x20000000, kMapPrivateAnon | kMapFixed); // not in B2's hole
    touch_write(p, data);
    REQUIRE(p.open("/proc/self/pagemap", 0) == 3);
    // Start 1024 entries (two 4096-byte chunks of 512 entries) before `data`'s entry: the
    // third chunk no longer fits in B2's 8192 mapped bytes.
    const loff_t pos = static_cast<loff_t>(((data >> 21 << 21) >> 12) * 8 - 2 * 4096);
    REQUIRE(p.lseek(3, pos, 0) == pos);
    CHECK(p.read(3, VirtAddr(b2), 12288) == -EFAULT);
    CHECK(p.lseek(3, 0, 1) == pos);
    CHECK(p.read(3, VirtAddr(b2 + 8192), 8) == -EFAULT);
    CHECK(p.read(3, VirtAddr(0xffff800000000000ULL), 8) == -EFAULT); // access_ok
}

TEST_CASE("pagemap of VM_PFNMAP areas per era (cases 41, 96)", "[procfs][pagemap]") {
    // A /dev/mem-like one-page PFNMAP VMA of pfn 0xa0 at X (2 MiB aligned), an ordinary written
    // page right after it at X + 4096, another right before it at X - 4096.
    const u64 x = 0x10000000;
    struct Want {
        const char* kernel;
        u64 at_x, after_x_same_chunk, before_x_from_before;
    };
    for (const Want w :
         {Want{"kernel=2.6.32", 0x86000000000000a0ULL, 0x8600000000000000ULL,
               0x86000000000000a0ULL},
          // X is 2 MiB aligned: a read from X - 4096 enters X's chunk at X.
          Want{"kernel=3.10", 0x0600000000000000ULL, 0x0600000000000000ULL, 0x0600000000000000ULL},
          Want{"kernel=4.4", 0x0080000000000000ULL, 0x8180000000000000ULL, 0x0080000000000000ULL},
          Want{"kernel=6.1", 0x0080000000000000ULL, 0x8180000000000000ULL,
               0x0080000000000000ULL}}) {
        INFO(w.kernel);
        auto m = boot({"arch=x86_64", w.kernel});
        Process& p = m->spawn({"pm", Cred::root()});
        REQUIRE(map(p, 4096, x, kMapPrivateAnon | kMapFixed) == x);
        make_pfnmap(p, x, 0xa0);
        REQUIRE(map(p, 4096, x + 4096, kMapPrivateAnon | kMapFixed) == x + 4096);
        REQUIRE(map(p, 4096, x - 4096, kMapPrivateAnon | kMapFixed) == x - 4096);
        touch_write(p, x + 4096);
        touch_write(p, x - 4096);
        const u64 after_pfn = pfn_of(p, x + 4096);
        REQUIRE(p.open("/proc/self/pagemap", 0) == 3);
        // One read from X: X's entry and, in the same PMD chunk, X + 4096's.
        auto e = entries(p, 3, x, 2);
        REQUIRE(e.size() == 2);
        CHECK(e[0] == w.at_x);
        const bool masked = w.after_x_same_chunk == 0x0600000000000000ULL;
        CHECK(e[1] == (masked ? w.after_x_same_chunk : (w.after_x_same_chunk | after_pfn)));
        // X + 4096 alone is always visible.
        auto alone = entries(p, 3, x + 4096, 1);
        REQUIRE(alone.size() == 1);
        CHECK((alone[0] & 0x007fffffffffffffULL) == after_pfn);
        // A read starting at X - 4096 (the chunk before X's): X's entry as that walk sees it.
        auto from_before = entries(p, 3, x - 4096, 2);
        REQUIRE(from_before.size() == 2);
        CHECK(from_before[1] == w.before_x_from_before);
    }
}

TEST_CASE("pagemap: the 3.10 pgd-loop quirk walks a PFNMAP VMA a chunk enters from below",
          "[procfs][pagemap]") {
    auto m = boot({"arch=x86_64", "kernel=3.10"});
    Process& p = m->spawn({"pm", Cred::root()});
    const u64 x = 0x10001000; // not 2 MiB aligned: the chunk of X starts at 0x10000000
    REQUIRE(map(p, 4096, x, kMapPrivateAnon | kMapFixed) == x);
    make_pfnmap(p, x, 0xa0);
    REQUIRE(p.open("/proc/self/pagemap", 0) == 3);
    auto at = entries(p, 3, x, 1);
    REQUIRE(at.size() == 1);
    CHECK(at[0] == 0x0600000000000000ULL);
    auto from_chunk_start = entries(p, 3, 0x10000000, 2);
    REQUIRE(from_chunk_start.size() == 2);
    CHECK(from_chunk_start[0] == 0x0600000000000000ULL);
    CHECK(from_chunk_start[1] == 0x86000000000000a0ULL);
}

TEST_CASE("pagemap does not exist before 2.6.25", "[procfs][pagemap]") {
    auto m = boot({"arch=x86_64", "kernel=2.6.24"});
    Process& p = m->spawn({"pm", Cred::root()});
    CHECK(p.open("/proc/self/pagemap", 0) == -ENOENT);
}

TEST_CASE("pagemap era switches: 3.9 / 3.10 / 3.11 / 4.0 / 4.1 / 4.2", "[procfs][pagemap]") {
    struct Want {
        const char* kernel;
        bool eperm, hide, shift, file, skip, quirk;
    };
    for (const Want w : {Want{"kernel=3.9", false, false, true, false, false, false},
                         Want{"kernel=3.10", true, false, true, true, true, true},
                         Want{"kernel=3.11", false, false, true, true, true, true},
                         Want{"kernel=4.0", true, false, true, true, true, false},
                         Want{"kernel=4.1", true, false, true, true, true, false},
                         Want{"kernel=4.2", false, true, false, true, true, false}}) {
        INFO(w.kernel);
        auto m = boot({"arch=x86_64", w.kernel});
        Process& p = m->spawn({"pm", Cred::root()});
        const PagemapRules r = pagemap_rules_for(p.mm()->rules());
        CHECK(r.open_needs_sys_admin == w.eperm);
        CHECK(r.hide_pfn_unprivileged == w.hide);
        CHECK(r.page_shift_field == w.shift);
        CHECK(r.soft_dirty_exclusive == !w.shift);
        CHECK(r.file_bit == w.file);
        CHECK(r.skip_pfnmap == w.skip);
        CHECK(r.pfnmap_chunk_quirk == w.quirk);
        // pagemap_entries gives what a read from that page gives.
        const u64 a = map(p, 4096);
        touch_write(p, a);
        auto direct = pagemap_entries(*p.mm(), r, VirtAddr(a), 1, true);
        REQUIRE(p.open("/proc/self/pagemap", 0) == 3);
        CHECK(entries(p, 3, a, 1) == direct);
    }
}

TEST_CASE("pagemap of a process that exited: 0 bytes from 4.2, ESRCH before", "[procfs][pagemap]") {
    for (const char* kernel : {"kernel=3.10", "kernel=6.1"}) {
        INFO(kernel);
        auto m = boot({"arch=x86_64", kernel});
        Process& reader = m->spawn({"reader", Cred::root()});
        const int pid = m->spawn({"target", Cred::root()}).pid();
        REQUIRE(reader.open(fmt::format("/proc/{}/pagemap", pid), 0) == 3);
        VirtAddr buf = reader.malloc(8);
        CHECK(reader.pread64(3, buf, 8, 8 * 16) == 8);
        m->exit_process(pid);
        CHECK(reader.pread64(3, buf, 8, 8 * 16) ==
              (std::string_view(kernel) == "kernel=6.1" ? 0 : -ESRCH));
        CHECK(reader.open(fmt::format("/proc/{}/pagemap", pid), 0) == -ENOENT);
    }
}
