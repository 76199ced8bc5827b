// /proc/PID/smaps: the field sets of 2.6.32, 3.10, 4.19, 5.10 and 6.1, values from the PTEs
// (the zero page is not in Rss), VmFlags mnemonics per version (kernel-semantics §5.1a), and
// VM_PFNMAP VMAs (case 96).
#include "test_user_fixtures.h"

#include "emu/machine.h"
#include "emu/procfs_smaps.h"
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

void touch(Process& p, u64 va, bool write) {
    u8 b = 0x5a;
    auto r = write ? p.user_write(VirtAddr(va), std::span<const u8>(&b, 1))
                   : p.user_read(VirtAddr(va), std::span<u8>(&b, 1));
    REQUIRE(r.signal == 0);
}

// The whole /proc/self/smaps as the process reads it.
std::string read_smaps(Process& p) {
    long fd = p.open("/proc/self/smaps", 0);
    REQUIRE(fd >= 0);
    VirtAddr buf = p.malloc(65536);
    long n = p.read(static_cast<int>(fd), buf, 65536);
    REQUIRE(n > 0);
    std::string s(static_cast<size_t>(n), '\0');
    REQUIRE(p.user_read(buf, std::span<u8>(reinterpret_cast<u8*>(s.data()), s.size())).signal == 0);
    (void)p.close(static_cast<int>(fd));
    return s;
}

const vm_area_struct& vma_at(Process& p, u64 va) {
    const vm_area_struct* v = p.mm()->find_vma(VirtAddr(va));
    REQUIRE(v != nullptr);
    return *v;
}

std::string block(Process& p, u64 va) {
    return render_smaps_vma(*p.mm(), vma_at(p, va));
}

} // namespace

TEST_CASE("smaps 6.1 x86_64: an anonymous mapping before and after touching", "[procfs][smaps]") {
    auto m = boot({"arch=x86_64", "kernel=6.1"});
    Process& p = m->spawn({"sm", Cred::root()});
    const u64 a = map(p, 3 * 4096);
    const std::string line = fmt::format("{:08x}-{:08x} rw-p 00000000 00:00 0 \n", a, a + 12288);
    auto text = [&](unsigned rss) {
        return line + fmt::format("Size:                 12 kB\n"
                                  "KernelPageSize:        4 kB\n"
                                  "MMUPageSize:           4 kB\n"
                                  "Rss:            {0:>8} kB\n"
                                  "Pss:            {0:>8} kB\n"
                                  "Pss_Dirty:      {0:>8} kB\n"
                                  "Shared_Clean:          0 kB\n"
                                  "Shared_Dirty:          0 kB\n"
                                  "Private_Clean:         0 kB\n"
                                  "Private_Dirty:  {0:>8} kB\n"
                                  "Referenced:     {0:>8} kB\n"
                                  "Anonymous:      {0:>8} kB\n"
                                  "LazyFree:              0 kB\n"
                                  "AnonHugePages:         0 kB\n"
                                  "ShmemPmdMapped:        0 kB\n"
                                  "FilePmdMapped:         0 kB\n"
                                  "Shared_Hugetlb:        0 kB\n"
                                  "Private_Hugetlb:       0 kB\n"
                                  "Swap:                  0 kB\n"
                                  "SwapPss:               0 kB\n"
                                  "Locked:                0 kB\n"
                                  "THPeligible:    0\n"
                                  "VmFlags: rd wr mr mw me ac sd \n",
                                  rss);
    };
    CHECK(block(p, a) == text(0));
    touch(p, a, false);       // the zero page: present, but no struct page to count
    touch(p, a + 4096, true); // one fresh dirty page
    CHECK(block(p, a) == text(4));
    // Through open/read: the same block, and the gate VMA last with zeros and "ex".
    const std::string all = read_smaps(p);
    CHECK(all.find(text(4)) != std::string::npos);
    const std::string gate = "ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0";
    REQUIRE(all.find(gate) != std::string::npos);
    CHECK(all.substr(all.find(gate)).find("Rss:                   0 kB\n") != std::string::npos);
    CHECK(all.ends_with("THPeligible:    0\nVmFlags: ex \n"));
}

TEST_CASE("smaps field sets of 2.6.32, 3.10, 4.19 and 5.10", "[procfs][smaps]") {
    SECTION("2.6.32: no Anonymous, page sizes last, no VmFlags") {
        auto m = boot({"arch=x86_64", "kernel=2.6.32"});
        Process& p = m->spawn({"sm", Cred::root()});
        const u64 a = map(p, 2 * 4096);
        touch(p, a, true);
        CHECK(block(p, a) == fmt::format("{:08x}-{:08x} rw-p 00000000 00:00 0 \n", a, a + 8192) +
                                 "Size:                  8 kB\n"
                                 "Rss:                   4 kB\n"
                                 "Pss:                   4 kB\n"
                                 "Shared_Clean:          0 kB\n"
                                 "Shared_Dirty:          0 kB\n"
                                 "Private_Clean:         0 kB\n"
                                 "Private_Dirty:         4 kB\n"
                                 "Referenced:            4 kB\n"
                                 "Swap:                  0 kB\n"
                                 "KernelPageSize:        4 kB\n"
                                 "MMUPageSize:           4 kB\n");
    }
    SECTION("3.10: Anonymous, AnonHugePages, Locked, VmFlags without sd") {
        auto m = boot({"arch=x86_64", "kernel=3.10"});
        Process& p = m->spawn({"sm", Cred::root()});
        const u64 a = map(p, 2 * 4096);
        touch(p, a + 4096, true);
        CHECK(block(p, a) == fmt::format("{:08x}-{:08x} rw-p 00000000 00:00 0 \n", a, a + 8192) +
                                 "Size:                  8 kB\n"
                                 "Rss:                   4 kB\n"
                                 "Pss:                   4 kB\n"
                                 "Shared_Clean:          0 kB\n"
                                 "Shared_Dirty:          0 kB\n"
                                 "Private_Clean:         0 kB\n"
                                 "Private_Dirty:         4 kB\n"
                                 "Referenced:            4 kB\n"
                                 "Anonymous:             4 kB\n"
                                 "AnonHugePages:         0 kB\n"
                                 "Swap:                  0 kB\n"
                                 "KernelPageSize:        4 kB\n"
                                 "MMUPageSize:           4 kB\n"
                                 "Locked:                0 kB\n"
                                 "VmFlags: rd wr mr mw me ac \n");
    }
    SECTION("4.19: page sizes first, LazyFree .. SwapPss, no FilePmdMapped or THPeligible") {
        auto m = boot({"arch=x86_64", "kernel=4.19"});
        Process& p = m->spawn({"sm", Cred::root()});
        const u64 a = map(p, 4096);
        CHECK(block(p, a) == fmt::format("{:08x}-{:08x} rw-p 00000000 00:00 0 \n", a, a + 4096) +
                                 "Size:                  4 kB\n"
                                 "KernelPageSize:        4 kB\n"
                                 "MMUPageSize:           4 kB\n"
                                 "Rss:                   0 kB\n"
                                 "Pss:                   0 kB\n"
                                 "Shared_Clean:          0 kB\n"
                                 "Shared_Dirty:          0 kB\n"
                                 "Private_Clean:         0 kB\n"
                                 "Private_Dirty:         0 kB\n"
                                 "Referenced:            0 kB\n"
                                 "Anonymous:             0 kB\n"
                                 "LazyFree:              0 kB\n"
                                 "AnonHugePages:         0 kB\n"
                                 "ShmemPmdMapped:        0 kB\n"
                                 "Shared_Hugetlb:        0 kB\n"
                                 "Private_Hugetlb:       0 kB\n"
                                 "Swap:                  0 kB\n"
                                 "SwapPss:               0 kB\n"
                                 "Locked:                0 kB\n"
                                 "VmFlags: rd wr mr mw me ac sd \n");
    }
    SECTION("5.10: FilePmdMapped and THPeligible, no Pss_Dirty") {
        auto m = boot({"arch=x86_64", "kernel=5.10"});
        Process& p = m->spawn({"sm", Cred::root()});
        const u64 a = map(p, 4096);
        const std::string b = block(p, a);
        CHECK(b.find("ShmemPmdMapped:        0 kB\nFilePmdMapped:         0 kB\n"
                     "Shared_Hugetlb:") != std::string::npos);
        CHECK(b.find("Locked:                0 kB\nTHPeligible:    0\nVmFlags: ") !=
              std::string::npos);
        CHECK(b.find("Pss_Dirty") == std::string::npos);
    }
}

TEST_CASE("smaps THPeligible: an anonymous VMA holding an aligned 2 MiB range", "[procfs][smaps]") {
    auto m = boot({"arch=x86_64", "kernel=6.1"});
    Process& p = m->spawn({"sm", Cred::root()});
    const u64 big = map(p, 4 * MiB, 0x40000000, kMapPrivateAnon | kMapFixed);
    CHECK(block(p, big).find("THPeligible:    1\n") != std::string::npos);
    const u64 odd = map(p, 2 * MiB, 0x50001000, kMapPrivateAnon | kMapFixed);
    CHECK(block(p, odd).find("THPeligible:    0\n") != std::string::npos);
    // ARM without LPAE has no THP.
    auto arm = boot({"arch=arm", "mem=256M", "kernel=6.1"});
    Process& q = arm->spawn({"sm", Cred::root()});
    const u64 abig = map(q, 4 * MiB, 0x40000000, kMapPrivateAnon | kMapFixed);
    CHECK(block(q, abig).find("THPeligible:    0\n") != std::string::npos);
}

TEST_CASE("smaps VmFlags mnemonics per version (§5.1a)", "[procfs][smaps]") {
    auto rules = [](const char* v, Arch arch) {
        SmapsRules r;
        r.version = KernelVersion::parse(v).value();
        r.arch = arch;
        return r;
    };
    const SmapsRules r61 = rules("6.1", Arch::X86_64), r310 = rules("3.10", Arch::X86_64);
    const SmapsRules r419 = rules("4.19", Arch::X86_64), r61_32 = rules("6.1", Arch::I386);
    // /dev/mem shared read-only and private read-write (kernel-semantics §5.1a).
    const unsigned long ro_shared = VM_READ | VM_MAYREAD | VM_MAYEXEC | VM_MAYSHARE | VM_PFNMAP |
                                    VM_IO | VM_DONTEXPAND | VM_PAT | VM_DONTDUMP | VM_SOFTDIRTY;
    CHECK(render_vm_flags(ro_shared, r61) == "VmFlags: rd mr me ms pf io de ar dd sd \n");
    const unsigned long priv = VM_READ | VM_WRITE | VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC |
                               VM_PFNMAP | VM_IO | VM_DONTEXPAND | VM_ACCOUNT | VM_PAT |
                               VM_DONTDUMP | VM_SOFTDIRTY;
    CHECK(render_vm_flags(priv, r61) == "VmFlags: rd wr mr mw me pf io de ac ar dd sd \n");
    // No CONFIG_MEM_SOFT_DIRTY on i386: the bit has no name there.
    CHECK(render_vm_flags(VM_READ | VM_SOFTDIRTY, r61_32) == "VmFlags: rd ?? \n");
    // Bits whose meaning changed.
    CHECK(vm_flag_mnemonic(23, r310) == "nl");
    CHECK(vm_flag_mnemonic(23, r419) == "sf");
    CHECK(vm_flag_mnemonic(11, r419) == "dw");
    CHECK(vm_flag_mnemonic(11, r61) == "??");
    CHECK(vm_flag_mnemonic(9, r310) == "??");
    CHECK(vm_flag_mnemonic(9, r61) == "um");
    CHECK(vm_flag_mnemonic(12, r61) == "uw");
    CHECK(vm_flag_mnemonic(19, r310) == "??"); // VM_LOCKONFAULT has no name in the tables
    CHECK(vm_flag_mnemonic(19, r419) == "??");
    CHECK(vm_flag_mnemonic(25, r419) == "wf");
    CHECK(vm_flag_mnemonic(8, r310) == "gd");
    CHECK(vm_flag_mnemonic(13, r310) == "lo");
}

TEST_CASE("smaps of a VM_PFNMAP VMA: 0 from 3.10, its COW pages counted in 2.6.32 (case 96)",
          "[procfs][smaps]") {
    for (const char* kernel : {"kernel=2.6.32", "kernel=6.1"}) {
        INFO(kernel);
        auto m = boot({"arch=x86_64", kernel});
        Process& p = m->spawn({"sm", Cred::root()});
        const u64 x = map(p, 2 * 4096, 0x10000000, kMapPrivateAnon | kMapFixed);
        // Page 1 gets an anonymous (COW-like) page first; then the VMA becomes a private
        // PFNMAP of pfn 0xa0 and page 0 the raw frame, as remap_pfn_range leaves it.
        touch(p, x + 4096, true);
        vm_area_struct* v = p.mm()->find_vma(VirtAddr(x));
        REQUIRE(v != nullptr);
        v->vm_flags |= VM_IO | VM_PFNMAP | VM_DONTEXPAND | VM_DONTDUMP;
        v->vm_pgoff = 0xa0;
        const UserPteFormat& f = p.mm()->pte_format();
        REQUIRE(p.mm()->install_pte(VirtAddr(x),
                                    f.mkspecial(f.mk_pte(Pfn(0xa0), v->vm_page_prot))) == 0);
        const std::string b = block(p, x);
        const bool old = std::string_view(kernel) == "kernel=2.6.32";
        CHECK(b.find(old ? "Rss:                   4 kB\n" : "Rss:                   0 kB\n") !=
              std::string::npos);
        if (!old) {
            CHECK(b.find("Anonymous:             0 kB\n") != std::string::npos);
            CHECK(b.find("THPeligible:    0\nVmFlags: rd wr mr mw me pf io de ac dd sd \n") !=
                  std::string::npos);
        }
    }
}

TEST_CASE("smaps does not exist before 2.6.14; smaps of a missing pid is ENOENT",
          "[procfs][smaps]") {
    auto m = boot({"arch=x86_64", "kernel=2.6.11"});
    Process& p = m->spawn({"sm", Cred::root()});
    CHECK(p.open("/proc/self/smaps", 0) == -ENOENT);
    auto m2 = boot({"arch=x86_64", "kernel=6.1"});
    Process& q = m2->spawn({"sm", Cred::root()});
    CHECK(q.open("/proc/4242/smaps", 0) == -ENOENT);
}
