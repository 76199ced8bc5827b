// /proc/<pid>/maps of an MmStruct, byte for byte (kernel-semantics §5.1, §7.2 cases 45-47).
#include "test_user_fixtures.h"

#include "emu/procfs_maps.h"

using namespace kmemu;
using namespace kmemu::test;

namespace {

// A file-backed VMA as the VFS will make them (the struct file is opaque here).
vm_area_struct file_vma(u64 start, u64 end, unsigned long flags, unsigned long pgoff) {
    static int dummy_file = 0;
    vm_area_struct v{};
    v.vm_start = start;
    v.vm_end = end;
    v.vm_flags = flags;
    v.vm_pgoff = pgoff;
    v.vm_file = reinterpret_cast<struct file*>(&dummy_file);
    return v;
}

MapsSources files(std::string path, unsigned major, unsigned minor, u64 inode) {
    MapsSources s;
    s.file = [=](const vm_area_struct&) {
        return std::optional<MapsFileInfo>(MapsFileInfo{path, major, minor, inode});
    };
    return s;
}

} // namespace

TEST_CASE("maps: case 45, a 64-bit file line puts the name at column 73", "[user_maps]") {
    auto m = boot_machine(kX86_64_61);
    auto mm = make_mm(*m);
    const auto v = file_vma(0x7ffff7ff9000, 0x7ffff7ffa000,
                            VM_READ | VM_WRITE | VM_SHARED | VM_MAYSHARE, 0xa0);
    const std::string line = render_maps_line(*mm, v, files("/dev/mem", 0, 6, 1035));
    CHECK(line == "7ffff7ff9000-7ffff7ffa000 rw-s 000a0000 00:06 1035" + std::string(23, ' ') +
                      "/dev/mem\n");
    CHECK(line.find("/dev/mem") == 73);
    // A read-only shared mapping: r--s (VM_MAYSHARE without VM_SHARED).
    const auto ro = file_vma(0x7ffff7ff9000, 0x7ffff7ffa000, VM_READ | VM_MAYSHARE, 0xa0);
    CHECK(render_maps_line(*mm, ro, files("/dev/mem", 0, 6, 1035)).substr(26, 4) == "r--s");
}

TEST_CASE("maps: case 46, a 32-bit line puts the name at column 49", "[user_maps]") {
    auto m = boot_machine(kI386Highmem61);
    auto mm = make_mm(*m);
    const auto v = file_vma(0x08048000, 0x08049000, VM_READ | VM_EXEC | VM_MAYREAD, 0);
    CHECK(render_maps_line(*mm, v, files("/bin/x", 8, 1, 1234)) ==
          "08048000-08049000 r-xp 00000000 08:01 1234       /bin/x\n");
    // A header already past the column gets exactly one space before the name.
    const auto big = file_vma(0x08048000, 0x08049000, VM_READ, 0x123456789);
    CHECK(render_maps_line(*mm, big, files("/f", 0x103, 0x2a, 123456789012345u)) ==
          "08048000-08049000 r--p 123456789000 103:2a 123456789012345  /f\n");
}

TEST_CASE("maps: case 47, anonymous VMAs end with 00:00 0 and one space; x86_64's [vsyscall]",
          "[user_maps]") {
    auto m = boot_machine(kX86_64_61);
    auto mm = make_mm(*m);
    const VirtAddr x = must_mmap(*mm, 3 * 4096);
    must_mmap(*mm, 4096, PROT_READ);
    REQUIRE(mm->munmap(x.offset(4096), 4096) == 0);
    // x = 0x7ffff7ffc000, the read-only page below it, x's middle page gone.
    CHECK(render_proc_maps(*mm) == "7ffff7ffb000-7ffff7ffc000 r--p 00000000 00:00 0 \n"
                                   "7ffff7ffc000-7ffff7ffd000 rw-p 00000000 00:00 0 \n"
                                   "7ffff7ffe000-7ffff7fff000 rw-p 00000000 00:00 0 \n"
                                   "ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0" +
                                       std::string(18, ' ') + "[vsyscall]\n");
}

TEST_CASE("maps: the vsyscall gate per era, none on 32-bit", "[user_maps]") {
    for (const char* k : {"kernel=2.6.32", "kernel=5.4"}) {
        auto m = boot_machine({"arch=x86_64", "mem=512M", k});
        auto mm = make_mm(*m);
        CHECK(render_proc_maps(*mm) == "ffffffffff600000-ffffffffff601000 r-xp 00000000 00:00 0" +
                                           std::string(18, ' ') + "[vsyscall]\n");
    }
    auto m = boot_machine(kI386Highmem61);
    auto mm = make_mm(*m);
    CHECK(render_proc_maps(*mm).empty());
}

TEST_CASE("maps: [heap] and [stack] by the mm's brk and start_stack", "[user_maps]") {
    auto m = boot_machine(kI386Highmem61);
    auto mm = make_mm(*m);
    const VirtAddr heap = must_mmap(*mm, 2 * 4096, kRW, kAnonPrivate | MAP_FIXED, 0x0804a000);
    const VirtAddr stack =
        must_mmap(*mm, 4096, kRW, kAnonPrivate | MAP_FIXED | MAP_GROWSDOWN, 0xbfffe000);
    mm->set_brk(heap, heap.offset(2 * 4096));
    mm->set_start_stack(stack.offset(100));
    CHECK(render_proc_maps(*mm) == "0804a000-0804c000 rw-p 00000000 00:00 0          [heap]\n"
                                   "bfffe000-bffff000 rw-p 00000000 00:00 0          [stack]\n");
    // A name callback (vm_ops->name) comes before them.
    MapsSources s;
    s.vma_name = [&](const vm_area_struct& v) -> std::optional<std::string> {
        if (v.vm_start == heap.get())
            return "[anon]";
        return std::nullopt;
    };
    CHECK(render_maps_line(*mm, *mm->find_vma(heap), s) ==
          "0804a000-0804c000 rw-p 00000000 00:00 0          [anon]\n");
}

TEST_CASE("maps: old kernels show vm_pgoff for anonymous VMAs; 3.6 hides the stack guard page",
          "[user_maps]") {
    {
        auto m = boot_machine({"arch=i386", "mem=512M", "kernel=2.6.24"});
        auto mm = make_mm(*m);
        must_mmap(*mm, 4096);
        CHECK(render_proc_maps(*mm) == "b7fff000-b8000000 rw-p b7fff000 00:00 0 \n");
    }
    {
        auto m = boot_machine({"arch=i386", "mem=512M", "kernel=3.6"});
        auto mm = make_mm(*m);
        must_mmap(*mm, 2 * 4096, kRW, kAnonPrivate | MAP_FIXED | MAP_GROWSDOWN, 0xbfffd000);
        CHECK(render_proc_maps(*mm) == "bfffe000-bffff000 rw-p 00000000 00:00 0 \n");
    }
    {
        auto m = boot_machine({"arch=i386", "mem=512M", "kernel=4.4"});
        auto mm = make_mm(*m);
        must_mmap(*mm, 2 * 4096, kRW, kAnonPrivate | MAP_FIXED | MAP_GROWSDOWN, 0xbfffd000);
        CHECK(render_proc_maps(*mm) == "bfffd000-bffff000 rw-p 00000000 00:00 0 \n");
    }
}

TEST_CASE("maps: arm64 and ARM lines", "[user_maps]") {
    {
        auto m = boot_machine(kArm64_61);
        auto mm = make_mm(*m);
        must_mmap(*mm, 4096, PROT_READ | PROT_EXEC);
        CHECK(render_proc_maps(*mm) == "fffff7fff000-fffff8000000 r-xp 00000000 00:00 0 \n");
    }
    auto m = boot_machine({"arch=arm", "mem=512M", "kernel=6.1"});
    auto mm = make_mm(*m);
    must_mmap(*mm, 4096);
    CHECK(render_proc_maps(*mm) == "b6fff000-b7000000 rw-p 00000000 00:00 0 \n");
}
