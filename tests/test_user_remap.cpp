// File mappings at the mm level: mmap_file's checks, remap_pfn_range, vm_insert_page,
// vmf_insert_pfn, ->open/->close on split and unmap (kernel-semantics §4.1-§4.3, §4.5, §4.7).
#include "test_user_fixtures.h"

#include "mm/errno.h"
#include "mm/page.h"

using namespace kmemu;
using namespace kmemu::test;

namespace {

// A fake file for mmap_file: its "driver" is a callback; get/put are counted. The file
// pointer is only an identity: mm never looks inside it.
struct FakeFile {
    struct file* f = reinterpret_cast<struct file*>(this);
    int refs = 0;
};
void fake_get(struct file* f) {
    ++reinterpret_cast<FakeFile*>(f)->refs;
}
void fake_put(struct file* f) {
    --reinterpret_cast<FakeFile*>(f)->refs;
}

MmapFile file_with(FakeFile& ff, std::function<int(vm_area_struct&)> mmap, bool rd = true,
                   bool wr = true) {
    MmapFile m;
    m.file = ff.f;
    m.readable = rd;
    m.writable = wr;
    m.max_size = 0;
    m.mmap = std::move(mmap);
    return m;
}

page* ram_page(Machine& m, u8 fill) {
    page* p = m.page_allocator().alloc_page(GFP_KERNEL | __GFP_ZERO);
    REQUIRE(p != nullptr);
    for (u64 i = 0; i < 4096; ++i)
        REQUIRE(m.phys_memory().write_u8(PhysAddr((page_to_pfn(p).get() << 12) + i), fill) ==
                PhysStatus::Ok);
    return p;
}

u8 frame_byte(Machine& m, Pfn pfn, u64 off = 0) {
    return m.phys_memory().read_u8(PhysAddr((pfn.get() << 12) + off)).value;
}

struct Fixture {
    explicit Fixture(const std::vector<std::string>& words) : m(boot_machine(words)) {
        mm = make_mm(*m);
        mm->set_file_refs(FileRefOps{fake_get, fake_put});
    }
    std::unique_ptr<Machine> m;
    std::unique_ptr<MmStruct> mm;
    FakeFile ff;
};

} // namespace

TEST_CASE("remap_pfn_range: a whole shared VMA on x86_64 6.1 gets special PTEs and VM_PAT",
          "[user_remap]") {
    Fixture fx(kX86_64_61);
    page* p = ram_page(*fx.m, 0x41);
    const Pfn pfn = page_to_pfn(p);
    vm_area_struct* seen = nullptr;
    const i64 a = fx.mm->mmap_file(
        VirtAddr(0), 4096, PROT_READ, MAP_SHARED, 7, file_with(fx.ff, [&](vm_area_struct& v) {
            seen = &v;
            return fx.mm->remap_pfn_range(v, v.vm_start, pfn, 4096, v.vm_page_prot);
        }));
    REQUIRE(a == 0x7ffff7ffe000);
    const vm_area_struct* v = fx.mm->find_vma(VirtAddr(0x7ffff7ffe000));
    REQUIRE(v == seen);
    CHECK(v->vm_flags ==
          (VM_READ | VM_SHARED | VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC | VM_MAYSHARE | VM_IO |
           VM_PFNMAP | VM_DONTEXPAND | VM_DONTDUMP | VM_PAT | VM_SOFTDIRTY));
    CHECK(v->vm_pgoff == 7); // a shared mapping keeps the file offset
    CHECK(v->vm_file == fx.ff.f);
    CHECK(fx.ff.refs == 1);
    CHECK(pte_of(*fx.mm, VirtAddr(0x7ffff7ffe000)) == (0x8000000000000225ULL | pfn.get() << 12));
    CHECK(fx.mm->user_load<u8>(VirtAddr(0x7ffff7ffe000 + 5)).value() == 0x41);
    CHECK(*fx.mm->user_store<u8>(VirtAddr(0x7ffff7ffe000), 1).signal() ==
          UserSignal{SIGSEGV, SEGV_ACCERR, VirtAddr(0x7ffff7ffe000)});
    CHECK(fx.mm->file_rss() == 0); // raw frames are not counted
    CHECK(page_count(p) == 1);
    CHECK(fx.mm->munmap(VirtAddr(0x7ffff7ffe000), 4096) == 0);
    CHECK(fx.ff.refs == 0);
    fx.m->page_allocator().__free_page(p);
}

TEST_CASE("remap_pfn_range: COW mappings must be remapped whole; a store copies the frame",
          "[user_remap]") {
    Fixture fx(kX86_64_61);
    page* p = ram_page(*fx.m, 0x5a);
    const Pfn pfn = page_to_pfn(p);
    // Private and writable: a partial remap is refused and mmap fails with it.
    const i64 bad = fx.mm->mmap_file(VirtAddr(0), 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE, 0,
                                     file_with(fx.ff, [&](vm_area_struct& v) {
                                         return fx.mm->remap_pfn_range(v, v.vm_start, pfn, 4096,
                                                                       v.vm_page_prot);
                                     }));
    CHECK(bad == -EINVAL);
    CHECK(fx.mm->map_count() == 0);
    CHECK(fx.ff.refs == 0);
    const i64 a = fx.mm->mmap_file(VirtAddr(0), 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, 3,
                                   file_with(fx.ff, [&](vm_area_struct& v) {
                                       return fx.mm->remap_pfn_range(v, v.vm_start, pfn, 4096,
                                                                     v.vm_page_prot);
                                   }));
    REQUIRE(a > 0);
    const VirtAddr va(static_cast<u64>(a));
    const vm_area_struct* v = fx.mm->find_vma(va);
    CHECK(v->vm_pgoff == pfn.get()); // vm_pgoff = pfn for COW mappings
    CHECK((v->vm_flags & VM_ACCOUNT) != 0);
    // Private protections start read-only: P|US|A|NX plus special.
    CHECK(pte_of(*fx.mm, va) == (0x8000000000000225ULL | pfn.get() << 12));
    REQUIRE(fx.mm->user_store<u8>(va, 0x77).ok());
    CHECK(fx.mm->user_load<u8>(va).value() == 0x77);
    CHECK(frame_byte(*fx.m, pfn) == 0x5a); // the frame itself is never written
    CHECK(fx.mm->user_load<u8>(va.offset(1)).value() == 0x5a);
    const u64 cow = pte_of(*fx.mm, va);
    CHECK((cow & 0x200) == 0); // the copy is an ordinary page
    CHECK((cow >> 12 & 0xfffffffff) != pfn.get());
    CHECK(fx.mm->anon_rss() == 1);
    CHECK(fx.mm->munmap(va, 4096) == 0);
    CHECK(fx.mm->anon_rss() == 0);
    fx.m->page_allocator().__free_page(p);
}

TEST_CASE("remap_pfn_range: flags and pgoff by kernel version", "[user_remap]") {
    struct Row {
        std::vector<std::string> words;
        unsigned long flags; // what remap_pfn_range added for a whole shared read-only VMA
        bool pgoff_is_pfn;
    };
    const std::vector<Row> rows = {
        {{"arch=x86_64", "mem=256M", "kernel=2.6.24"}, VM_IO | VM_RESERVED | VM_PFNMAP, false},
        {{"arch=x86_64", "mem=256M", "kernel=2.6.32"},
         VM_IO | VM_RESERVED | VM_PFNMAP | 0x40000000UL /* VM_PFN_AT_MMAP */,
         true},
        {{"arch=x86_64", "mem=256M", "kernel=3.10"},
         VM_IO | VM_PFNMAP | VM_DONTEXPAND | VM_DONTDUMP | VM_PAT,
         false},
        {{"arch=arm64", "mem=256M", "kernel=6.1"},
         VM_IO | VM_PFNMAP | VM_DONTEXPAND | VM_DONTDUMP,
         false},
    };
    for (const Row& row : rows) {
        Fixture fx(row.words);
        INFO(row.words[2]);
        page* p = ram_page(*fx.m, 1);
        const Pfn pfn = page_to_pfn(p);
        const i64 a = fx.mm->mmap_file(
            VirtAddr(0), 4096, PROT_READ, MAP_SHARED, 9, file_with(fx.ff, [&](vm_area_struct& v) {
                return fx.mm->remap_pfn_range(v, v.vm_start, pfn, 4096, v.vm_page_prot);
            }));
        REQUIRE(a > 0);
        const vm_area_struct* v = fx.mm->find_vma(VirtAddr(static_cast<u64>(a)));
        const unsigned long base =
            VM_READ | VM_SHARED | VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC | VM_MAYSHARE;
        CHECK((v->vm_flags & ~(base | VM_SOFTDIRTY)) == row.flags);
        CHECK(v->vm_pgoff == (row.pgoff_is_pfn ? pfn.get() : 9));
        CHECK(fx.mm->user_load<u8>(VirtAddr(static_cast<u64>(a))).value() == 1);
        fx.mm.reset();
        fx.m->page_allocator().__free_page(p);
    }
}

TEST_CASE("remap_pfn_range: alignment (5.10+), a PTE in the way, the 6.1 zap on error",
          "[user_remap]") {
    for (const char* version : {"kernel=4.19", "kernel=5.10", "kernel=6.1"}) {
        INFO(version);
        Fixture fx({"arch=x86_64", "mem=256M", version});
        page* p = ram_page(*fx.m, 2);
        const Pfn pfn = page_to_pfn(p);
        vm_area_struct* vma = nullptr;
        int unaligned = 0, busy = 0;
        const i64 a = fx.mm->mmap_file(VirtAddr(0), 3 * 4096, PROT_READ, MAP_SHARED, 0,
                                       file_with(fx.ff, [&](vm_area_struct& v) {
                                           vma = &v;
                                           unaligned =
                                               fx.mm->remap_pfn_range(v, v.vm_start + 4096 + 12,
                                                                      pfn, 4096, v.vm_page_prot);
                                           return 0;
                                       }));
        REQUIRE(a > 0);
        const VirtAddr va(static_cast<u64>(a));
        const bool new_rules = std::string(version) != "kernel=4.19";
        CHECK(unaligned == (new_rules ? -EINVAL : 0));
        CHECK(pte_of(*fx.mm, va.offset(4096)) ==
              (new_rules ? 0 : (0x225ULL | pfn.get() << 12 | 0x8000000000000000ULL)));
        // Page 2 taken: a 3-page remap stops there with -EBUSY (a kernel BUG in the kernel).
        if (!new_rules) {
            REQUIRE(fx.mm->munmap(va.offset(4096), 4096) == 0);
            vma = fx.mm->find_vma(va);
        }
        REQUIRE(fx.mm->install_pte(va.offset(8192), 0x8000000000000225ULL | pfn.get() << 12) == 0);
        busy = fx.mm->remap_pfn_range(*vma, va.get(), pfn, 3 * 4096, vma->vm_page_prot);
        if (new_rules) {
            CHECK(busy == -EBUSY);
            // 6.1 zaps the pages it had mapped; 5.10 leaves them.
            const bool zaps = std::string(version) == "kernel=6.1";
            CHECK((pte_of(*fx.mm, va) == 0) == zaps);
            CHECK((pte_of(*fx.mm, va.offset(4096)) == 0) == zaps);
        } else {
            CHECK(busy == -EINVAL); // 4.19: the VMA was split, the range is not inside it
        }
        fx.mm.reset();
        fx.m->page_allocator().__free_page(p);
    }
}

TEST_CASE("vm_insert_page: errors, references, VM_MIXEDMAP / VM_INSERTPAGE", "[user_remap]") {
    for (const char* version : {"kernel=2.6.32", "kernel=6.1"}) {
        INFO(version);
        Fixture fx({"arch=x86_64", "mem=256M", version});
        page* p = ram_page(*fx.m, 0x33);
        int out_of_range = 0, ok = 0, again = 0, free_page = 0;
        page* unused = fx.m->page_allocator().alloc_page(GFP_KERNEL);
        REQUIRE(unused != nullptr);
        const Pfn unused_pfn = page_to_pfn(unused);
        fx.m->page_allocator().__free_page(unused); // count 0 now
        const i64 a =
            fx.mm->mmap_file(VirtAddr(0), 2 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED, 0,
                             file_with(fx.ff, [&](vm_area_struct& v) {
                                 out_of_range = fx.mm->vm_insert_page(v, v.vm_end, p);
                                 free_page = fx.mm->vm_insert_page(
                                     v, v.vm_start, fx.m->page_allocator().pfn_to_page(unused_pfn));
                                 ok = fx.mm->vm_insert_page(v, v.vm_start, p);
                                 again = fx.mm->vm_insert_page(v, v.vm_start, p);
                                 return 0;
                             }));
        REQUIRE(a > 0);
        const VirtAddr va(static_cast<u64>(a));
        CHECK(out_of_range == -EFAULT);
        CHECK(free_page == -EINVAL);
        CHECK(ok == 0);
        CHECK(again == -EBUSY);
        const vm_area_struct* v = fx.mm->find_vma(va);
        const bool old = std::string(version) == "kernel=2.6.32";
        CHECK((v->vm_flags & (old ? VM_INSERTPAGE : VM_MIXEDMAP)) != 0);
        CHECK(page_count(p) == 2);
        CHECK(page_mapcount(p) == 1);
        CHECK(fx.mm->file_rss() == 1);
        // A shared writable mapping: the store goes to the driver's page.
        REQUIRE(fx.mm->user_store<u8>(va.offset(3), 0x44).ok());
        CHECK(frame_byte(*fx.m, page_to_pfn(p), 3) == 0x44);
        CHECK(fx.mm->munmap(va, 2 * 4096) == 0);
        CHECK(page_count(p) == 1);
        CHECK(page_mapcount(p) == 0);
        CHECK(fx.mm->file_rss() == 0);
        fx.m->page_allocator().__free_page(p);
    }
}

namespace {
struct VmaEvents {
    int opens = 0, closes = 0;
    std::vector<unsigned long> opened_pgoffs;
};
VmaEvents g_events;
void count_open(vm_area_struct* v) {
    ++g_events.opens;
    g_events.opened_pgoffs.push_back(v->vm_pgoff);
}
void count_close(vm_area_struct*) {
    ++g_events.closes;
}
page* g_fault_page = nullptr;
vm_fault_t give_page(struct vm_fault* vmf) {
    get_page(g_fault_page);
    vmf->page = g_fault_page;
    return 0;
}
const vm_operations_struct kCountingOps{
    .open = count_open, .close = count_close, .fault = give_page};
int g_veto = 0;
int veto_split(vm_area_struct*, unsigned long) {
    return g_veto;
}
const vm_operations_struct kVetoOps{.may_split = veto_split};
Pfn g_insert_pfn;
vm_fault_t insert_pfn(struct vm_fault* vmf) {
    return vmf->vma->vm_mm ? MmStruct::from(vmf->vma->vm_mm)
                                 ->vmf_insert_pfn(*vmf->vma, vmf->address, g_insert_pfn)
                           : VM_FAULT_SIGBUS;
}
const vm_operations_struct kInsertPfnOps{.fault = insert_pfn};
} // namespace

TEST_CASE("munmap of a middle page: ->open twice, ->close once, upper pgoff advanced (case 37)",
          "[user_remap]") {
    Fixture fx(kX86_64_61);
    g_events = {};
    page* p = ram_page(*fx.m, 9);
    g_fault_page = p;
    const i64 a = fx.mm->mmap_file(VirtAddr(0), 3 * 4096, PROT_READ, MAP_SHARED, 0xa0,
                                   file_with(fx.ff, [&](vm_area_struct& v) {
                                       v.vm_ops = &kCountingOps;
                                       return 0;
                                   }));
    REQUIRE(a > 0);
    const VirtAddr x(static_cast<u64>(a));
    CHECK(g_events.opens == 0);                                   // mmap itself is the first "open"
    CHECK(fx.mm->user_load<u8>(x.offset(2 * 4096)).value() == 9); // ->fault
    CHECK(fx.mm->munmap(x.offset(4096), 4096) == 0);
    CHECK(g_events.opens == 2);
    CHECK(g_events.closes == 1);
    // do_munmap splits at start with the new VMA above, at end with the new VMA below.
    CHECK(g_events.opened_pgoffs == std::vector<unsigned long>{0xa1, 0xa1});
    CHECK(fx.mm->find_vma(x)->vm_end == x.get() + 4096);
    CHECK(fx.mm->find_vma(x.offset(2 * 4096))->vm_pgoff == 0xa2);
    CHECK(fx.ff.refs == 2);                                       // each piece holds the file
    CHECK(fx.mm->user_load<u8>(x.offset(2 * 4096)).value() == 9); // still mapped
    fx.mm.reset();                                                // exit_mmap
    CHECK(g_events.closes == 3);
    CHECK(fx.ff.refs == 0);
    CHECK(page_count(p) == 1);
    fx.m->page_allocator().__free_page(p);
}

TEST_CASE("munmap: ->may_split vetoes a split with its error", "[user_remap]") {
    Fixture fx(kX86_64_61);
    const i64 a = fx.mm->mmap_file(VirtAddr(0), 2 * 4096, PROT_READ, MAP_SHARED, 0,
                                   file_with(fx.ff, [&](vm_area_struct& v) {
                                       v.vm_ops = &kVetoOps;
                                       return 0;
                                   }));
    REQUIRE(a > 0);
    g_veto = -EINVAL;
    CHECK(fx.mm->munmap(VirtAddr(static_cast<u64>(a)), 4096) == -EINVAL);
    CHECK(fx.mm->map_count() == 1);
    g_veto = 0;
    CHECK(fx.mm->munmap(VirtAddr(static_cast<u64>(a)), 4096) == 0);
    CHECK(fx.mm->map_count() == 1);
}

TEST_CASE("fault path: vm_ops without ->fault is an anonymous page before 4.2", "[user_remap]") {
    for (const char* version : {"kernel=3.10", "kernel=4.2"}) {
        INFO(version);
        Fixture fx({"arch=x86_64", "mem=256M", version});
        static const vm_operations_struct empty{};
        const i64 a = fx.mm->mmap_file(VirtAddr(0), 4096, PROT_READ | PROT_WRITE, MAP_SHARED, 0,
                                       file_with(fx.ff, [&](vm_area_struct& v) {
                                           v.vm_ops = &empty;
                                           return 0;
                                       }));
        REQUIRE(a > 0);
        const VirtAddr va(static_cast<u64>(a));
        if (std::string(version) == "kernel=3.10") {
            REQUIRE(fx.mm->user_store<u8>(va, 3).ok());
            CHECK(fx.mm->user_load<u8>(va).value() == 3);
            CHECK(fx.mm->anon_rss() == 1);
        } else {
            CHECK(*fx.mm->user_store<u8>(va, 3).signal() == UserSignal{SIGBUS, BUS_ADRERR, va});
        }
    }
}

TEST_CASE("fault path: vmf_insert_pfn installs a special PTE and returns VM_FAULT_NOPAGE",
          "[user_remap]") {
    Fixture fx(kX86_64_61);
    page* p = ram_page(*fx.m, 0x66);
    g_insert_pfn = page_to_pfn(p);
    const i64 a = fx.mm->mmap_file(VirtAddr(0), 4096, PROT_READ, MAP_SHARED, 0,
                                   file_with(fx.ff, [&](vm_area_struct& v) {
                                       v.vm_ops = &kInsertPfnOps;
                                       v.vm_flags |= VM_PFNMAP | VM_IO;
                                       return 0;
                                   }));
    REQUIRE(a > 0);
    const VirtAddr va(static_cast<u64>(a));
    CHECK(fx.mm->user_load<u8>(va).value() == 0x66);
    CHECK(pte_of(*fx.mm, va) == (0x8000000000000225ULL | g_insert_pfn.get() << 12));
    CHECK(page_count(p) == 1);
    fx.mm.reset();
    fx.m->page_allocator().__free_page(p);
}

TEST_CASE("mmap_file: do_mmap's file checks in order", "[user_remap]") {
    Fixture fx(kX86_64_61);
    auto ok = [](vm_area_struct&) { return 0; };
    // A read-only file: shared writable EACCES; shared read-only clears VM_MAYWRITE/VM_SHARED.
    CHECK(fx.mm->mmap_file(VirtAddr(0), 4096, kRW, MAP_SHARED, 0,
                           file_with(fx.ff, ok, true, false)) == -EACCES);
    const i64 ro = fx.mm->mmap_file(VirtAddr(0), 4096, PROT_READ, MAP_SHARED, 0,
                                    file_with(fx.ff, ok, true, false));
    REQUIRE(ro > 0);
    const vm_area_struct* v = fx.mm->find_vma(VirtAddr(static_cast<u64>(ro)));
    CHECK((v->vm_flags & (VM_SHARED | VM_MAYWRITE)) == 0);
    CHECK((v->vm_flags & VM_MAYSHARE) != 0);
    CHECK(fx.mm->mprotect(VirtAddr(static_cast<u64>(ro)), 4096, kRW) == -EACCES);
    // MAP_PRIVATE | PROT_WRITE on a read-only file is allowed (COW).
    CHECK(fx.mm->mmap_file(VirtAddr(0), 4096, kRW, MAP_PRIVATE, 0,
                           file_with(fx.ff, ok, true, false)) > 0);
    // Not readable: EACCES; no mmap method: ENODEV; len 0 EINVAL; bad type EINVAL.
    CHECK(fx.mm->mmap_file(VirtAddr(0), 4096, PROT_READ, MAP_PRIVATE, 0,
                           file_with(fx.ff, ok, false, true)) == -EACCES);
    CHECK(fx.mm->mmap_file(VirtAddr(0), 4096, PROT_READ, MAP_SHARED, 0,
                           file_with(fx.ff, {}, true, true)) == -ENODEV);
    CHECK(fx.mm->mmap_file(VirtAddr(0), 0, PROT_READ, MAP_SHARED, 0, file_with(fx.ff, ok)) ==
          -EINVAL);
    CHECK(fx.mm->mmap_file(VirtAddr(0), 4096, PROT_READ, 0, 0, file_with(fx.ff, ok)) == -EINVAL);
    // MAP_SHARED_VALIDATE with an unknown flag (4.15+): EOPNOTSUPP; plain, it maps.
    CHECK(fx.mm->mmap_file(VirtAddr(0), 4096, PROT_READ, KMEMU_MAP_SHARED_VALIDATE | 0x80000, 0,
                           file_with(fx.ff, ok)) == -EOPNOTSUPP);
    CHECK(fx.mm->mmap_file(VirtAddr(0), 4096, PROT_READ, KMEMU_MAP_SHARED_VALIDATE, 0,
                           file_with(fx.ff, ok)) > 0);
    // file_mmap_ok: a char device without unsigned offsets stops at ULONG_MAX.
    MmapFile limited = file_with(fx.ff, ok);
    limited.max_size = ~u64{0};
    CHECK(fx.mm->mmap_file(VirtAddr(0), 4096, PROT_READ, MAP_SHARED, (~0UL >> 12), limited) ==
          -EOVERFLOW);
    CHECK(fx.mm->mmap_file(VirtAddr(0), 4096, PROT_READ, MAP_SHARED, (~0UL >> 12) - 1, limited) >
          0);
    // The driver's error: nothing stays mapped, the file reference is dropped.
    const int refs = fx.ff.refs;
    CHECK(fx.mm->mmap_file(VirtAddr(0), 4096, PROT_READ, MAP_SHARED, 0,
                           file_with(fx.ff, [](vm_area_struct&) { return -EPERM; })) == -EPERM);
    CHECK(fx.ff.refs == refs);
}

TEST_CASE("mmap_file: a 32-bit kernel's pgoff overflows at 2^32 pages (EOVERFLOW)",
          "[user_remap]") {
    Fixture fx({"arch=i386", "mem=256M", "kernel=6.1"});
    auto ok = [](vm_area_struct&) { return 0; };
    CHECK(fx.mm->mmap_file(VirtAddr(0), 4096, PROT_READ, MAP_SHARED, 0xffffffffUL,
                           file_with(fx.ff, ok)) == -EOVERFLOW);
    CHECK(fx.mm->mmap_file(VirtAddr(0), 4096, PROT_READ, MAP_SHARED, 0xfffffffeUL,
                           file_with(fx.ff, ok)) == 0xb7fff000);
    // SHARED_VALIDATE does not exist before 4.15: it is just an invalid type.
    Fixture old({"arch=i386", "mem=256M", "kernel=4.14"});
    CHECK(old.mm->mmap_file(VirtAddr(0), 4096, PROT_READ, KMEMU_MAP_SHARED_VALIDATE, 0,
                            file_with(old.ff, ok)) == -EINVAL);
}
