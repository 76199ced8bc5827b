// The kernel-style driver API (emu/kernel/driver_api.h): each function against the machine's
// own tables, with exact addresses, pfns, flags and return values.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "emu/kernel/driver_api.h"
#include "emu/machine.h"
#include "mm/paging/walk.h"

using namespace kmemu;
using namespace kmemu::kernel;

namespace {

std::unique_ptr<Machine> boot(std::vector<std::string> words) {
    auto config = parse_config_words(words);
    REQUIRE(config);
    auto m = Machine::boot(config.release_value());
    if (m.is_error())
        FAIL(m.error().message());
    return m.release_value();
}

// Kernel code of machine m, with `task` as current (nullptr: kernel context).
struct InKernel {
    InKernel(Machine& m, Task* task = nullptr) : ks(m), ds(m.devices().kernel(), task) {}
    KernelScope ks;
    DeviceKernelScope ds;
};

std::unique_ptr<Machine> i386_2632() {
    return boot({"arch=i386", "mem=512M", "split=3G", "kernel=2.6.32"});
}

// The pfn init_mm's page tables map va to (an inspection walk).
u64 walked_pfn(Machine& m, VirtAddr va) {
    auto& kpt = m.kernel_page_tables();
    auto rec = paging::walk(kpt.format(), kpt.table_memory(), kpt.mmu(), va, {},
                            paging::WalkMode::Inspection);
    REQUIRE(rec);
    REQUIRE(rec.value().ok());
    return rec.value().translation().pa.get() >> m.layout().page_shift;
}

ssize_t null_read(struct file*, char*, size_t, loff_t*) {
    return 0;
}
const file_operations kFops = [] {
    file_operations f{};
    f.read = null_read;
    return f;
}();

} // namespace

TEST_CASE("driver api: kmalloc'ed memory and the direct-map conversions (i386 2.6.32)",
          "[driver_api]") {
    auto m = i386_2632();
    InKernel k(*m);
    CHECK(page_size() == 4096);
    kptr<void> p = kmalloc(100, GFP_KERNEL);
    REQUIRE(p);
    // A direct-map address: virt_to_phys is the address minus PAGE_OFFSET (0xc0000000).
    CHECK(p.value() >= 0xc0000000);
    CHECK(p.value() < m->layout().high_memory.get());
    const PhysAddr pa = virt_to_phys(p);
    CHECK(pa.get() == p.value() - 0xc0000000);
    CHECK(phys_to_virt(pa) == p);
    page* pg = virt_to_page(p);
    REQUIRE(pg != nullptr);
    CHECK(page_to_pfn(pg).get() == pa.get() >> 12);
    CHECK(pfn_to_page(page_to_pfn(pg)) == pg);
    CHECK(page_address(pg).value() == (p.value() & ~u64{0xfff}));
    CHECK(PageSlab(pg)); // a slab page
    // kzalloc zeroes; kfree gives the object back (the next kmalloc of the class reuses it).
    kptr<u8> z = kptr_cast<u8>(kzalloc(100, GFP_KERNEL));
    REQUIRE(z);
    CHECK(z[0] == 0);
    CHECK(z[99] == 0);
    kfree(z);
    kptr<void> again = kmalloc(100, GFP_KERNEL);
    CHECK(again == kptr<void>(z));
    kfree(again);
    kfree(p);
    // Outside the direct map __pa is the plain arithmetic (no DEBUG_VIRTUAL): a vmalloc
    // address gives garbage, as the kernel's would; virt_to_page refuses it.
    CHECK(virt_to_phys(kptr<void>(VirtAddr(0xe0800000))).get() == 0x20800000);
    CHECK(virt_to_page(kptr<void>(VirtAddr(0xe0800000))) == nullptr);
    CHECK(phys_to_virt(PhysAddr(0x1000)).value() == 0xc0001000);
    CHECK(pfn_to_page(Pfn(0x7fffffff)) == nullptr);
}

TEST_CASE("driver api: vmalloc, vmalloc_to_pfn and the kernel page tables", "[driver_api]") {
    // 1 GiB on a 3G/1G split: 128 MiB of it is highmem.
    auto m = boot({"arch=i386", "mem=1G", "split=3G", "kernel=2.6.32"});
    InKernel k(*m);
    kptr<char> v = kptr_cast<char>(vmalloc(8192));
    REQUIRE(v);
    CHECK(v.value() == 0xf7ffe000); // the first area at VMALLOC_START (high_memory + 8 MiB)
    CHECK(v.addr() == m->layout().vmalloc_start);
    for (u64 off : {u64{0}, u64{4096}, u64{8191}}) {
        const VirtAddr va(v.value() + off);
        const Pfn pfn = vmalloc_to_pfn(kptr<void>(va));
        CHECK(pfn.get() == walked_pfn(*m, va));
        page* pg = vmalloc_to_page(kptr<void>(va));
        REQUIRE(pg != nullptr);
        CHECK(page_to_pfn(pg) == pfn);
        // 2.6.32 vmalloc takes highmem pages first (GFP_KERNEL | __GFP_HIGHMEM): no
        // direct-map address, and not kmapped.
        CHECK(PageHighMem(pg));
        CHECK_FALSE(page_address(pg));
    }
    CHECK(strcpy(v, "hello") == v);
    CHECK(strlen(v) == 5);
    CHECK(kstring(v) == "hello");
    vfree(v);
    CHECK(vmalloc_to_pfn(kptr<void>(VirtAddr(0xf7ffe000))).get() == 0);
    CHECK(vmalloc_to_page(kptr<void>(VirtAddr(0xf7ffe000))) == nullptr);
    // vmalloc_user: zeroed and VM_USERMAP.
    kptr<u8> u = kptr_cast<u8>(vmalloc_user(4096));
    REQUIRE(u);
    CHECK(u[0] == 0);
    CHECK(u[4095] == 0);
    bool usermap = false;
    for (const VmArea* a : m->vmap_space().areas())
        if (a->addr == u.addr())
            usermap = (a->flags & VmUsermap) != 0;
    CHECK(usermap);
    vfree(u);
    // vmalloc_32: lowmem pages only.
    kptr<void> w = vmalloc_32(4096);
    REQUIRE(w);
    CHECK_FALSE(PageHighMem(vmalloc_to_page(w)));
    vfree(w);
}

TEST_CASE("driver api: page flags, references, alloc_pages and __free_pages", "[driver_api]") {
    auto m = i386_2632();
    InKernel k(*m);
    const u64 free_before = m->page_allocator().nr_free_pages();
    page* pg = alloc_pages(GFP_KERNEL, 1);
    REQUIRE(pg != nullptr);
    CHECK(m->page_allocator().nr_free_pages() == free_before - 2);
    CHECK(page_count(pg) == 1);
    CHECK_FALSE(PageReserved(pg));
    SetPageReserved(pg);
    CHECK(PageReserved(pg));
    CHECK(((pg->flags >> PG_reserved) & 1) == 1);
    ClearPageReserved(pg);
    CHECK_FALSE(PageReserved(pg));
    CHECK(pg->flags == 0); // nothing else was set on a fresh order-1 block
    get_page(pg);
    CHECK(page_count(pg) == 2);
    put_page(pg);
    CHECK(page_count(pg) == 1);
    // A lowmem block: page_address is its direct-map address, virt_to_page comes back.
    kptr<void> addr = page_address(pg);
    REQUIRE(addr);
    CHECK(virt_to_phys(addr).get() == page_to_pfn(pg).get() << 12);
    CHECK(virt_to_page(addr) == pg);
    __free_pages(pg, 1);
    CHECK(m->page_allocator().nr_free_pages() == free_before);
    kptr<void> g = __get_free_pages(GFP_KERNEL, 0);
    REQUIRE(g);
    CHECK(m->page_allocator().nr_free_pages() == free_before - 1);
    free_pages(g, 0);
    free_pages(nullptr, 0); // NULL is ignored
    CHECK(m->page_allocator().nr_free_pages() == free_before);
    page* one = alloc_page(GFP_KERNEL);
    REQUIRE(one != nullptr);
    __free_page(one);
    CHECK(m->page_allocator().nr_free_pages() == free_before);
}

TEST_CASE("driver api: printk rewrites KERN_SOH levels to the version's token", "[driver_api]") {
    SECTION("2.6.32: \"<6>\" in the char buffer") {
        auto m = i386_2632();
        InKernel k(*m);
        const int r = kernel::printk(KERN_INFO "driver api %d at %lx\n", 5, 0xe0800000ul);
        const std::string log = printk_log(m->devices().kernel()).syslog_read_all();
        const std::string line = "<6>[    0.000000] driver api 5 at e0800000\n";
        REQUIRE(log.size() >= line.size());
        CHECK(log.substr(log.size() - line.size()) == line);
        // 2.6.32's vprintk returns vscnprintf's count ("<6>" and the text: 28) plus the token
        // and time prefix it emits (3 + 15); the parsed "<6>" is not subtracted.
        CHECK(r == 46);
    }
    SECTION("%p of a kptr prints the emulated address (2.6.32: unhashed)") {
        auto m = i386_2632();
        InKernel k(*m);
        (void)kernel::printk(KERN_ERR "p=%p\n", kptr_arg(kptr<void>(VirtAddr(0xe0800000))));
        const std::string log = printk_log(m->devices().kernel()).syslog_read_all();
        const std::string line = "<3>[    0.000000] p=e0800000\n";
        CHECK(log.substr(log.size() - line.size()) == line);
    }
}

TEST_CASE("driver api: misc_register and register_chrdev on the current machine", "[driver_api]") {
    auto m = i386_2632();
    InKernel k(*m);
    miscdevice misc{MISC_DYNAMIC_MINOR, "kmtest", &kFops, 0};
    REQUIRE(misc_register(&misc) == 0);
    CHECK(misc.minor == 63); // the highest free dynamic minor
    inode* node = m->devices().nodes().lookup("/dev/kmtest");
    REQUIRE(node != nullptr);
    CHECK(node->i_rdev == MKDEV(10, 63));
    miscdevice dup{63, "kmtest2", &kFops, 0};
    CHECK(misc_register(&dup) == -EBUSY);
    misc_deregister(&misc);
    // The minor is free again and devtmpfs removed the node with the device.
    CHECK(m->devices().nodes().lookup("/dev/kmtest") == nullptr);
    miscdevice again{MISC_DYNAMIC_MINOR, "kmtest", &kFops, 0};
    CHECK(misc_register(&again) == 0);
    CHECK(again.minor == 63);
    CHECK(m->devices().nodes().lookup("/dev/kmtest") != nullptr);
    misc_deregister(&again);

    const int major = register_chrdev(0, "kmchr", &kFops);
    CHECK(major == 254); // 2.6.32 hands out dynamic majors from 254 down
    const std::string devices = m->devices().chrdevs().render_proc_devices();
    CHECK(devices.find("254 kmchr\n") != std::string::npos);
    CHECK(register_chrdev(1, "again", &kFops) == -EBUSY); // major 1 is mem's
    unregister_chrdev(254, "kmchr");
    CHECK(m->devices().chrdevs().render_proc_devices().find("kmchr") == std::string::npos);
}

TEST_CASE("driver api: copy_to_user / copy_from_user through the current task's mm",
          "[driver_api]") {
    auto m = i386_2632();
    Process& p = m->spawn({"lab", Cred::user(1000, 1000)});
    const VirtAddr ubuf = p.malloc(64);
    {
        InKernel k(*m, &p.task());
        kptr<char> kbuf = kptr_cast<char>(kmalloc(64, GFP_KERNEL));
        REQUIRE(kbuf);
        (void)strcpy(kbuf, "to user");
        CHECK(copy_to_user(ubuf, kbuf, 8) == 0);
        const char host[] = "host!";
        CHECK(copy_to_user(reinterpret_cast<void*>(ubuf.get() + 8), host, 6) == 0);
        // Past TASK_SIZE: access_ok fails, nothing is copied.
        CHECK(copy_to_user(VirtAddr(0xc0000000), kbuf, 8) == 8);
        // copy_from_user of a range whose tail is past TASK_SIZE: access_ok refuses all of it
        // and the kernel buffer is zeroed.
        (void)memset(kbuf, 'x', 16);
        CHECK(copy_from_user(kbuf, VirtAddr(0xbffffffc), 8) == 8);
        CHECK(kbuf[0] == 0);
        CHECK(kbuf[7] == 0);
        CHECK(kbuf[8] == 'x');
        CHECK(copy_from_user(kbuf, reinterpret_cast<const void*>(ubuf.get() + 8), 6) == 0);
        CHECK(kstring(kbuf) == "host!");
        char back[8] = {};
        CHECK(copy_from_user(back, reinterpret_cast<const void*>(ubuf.get()), 8) == 0);
        CHECK(std::string(back) == "to user");
        kfree(kbuf);
    }
    std::string got(14, '\0');
    REQUIRE(
        p.user_read(ubuf, std::span<u8>(reinterpret_cast<u8*>(got.data()), got.size())).signal ==
        0);
    CHECK(got == std::string("to user\0host!\0", 14));
    // Kernel context (no task, no mm): nothing is copied either way.
    InKernel k(*m);
    kptr<char> kb = kptr_cast<char>(kmalloc(8, GFP_KERNEL));
    CHECK(copy_to_user(ubuf, kb, 8) == 8);
    CHECK(copy_from_user(kb, ubuf, 8) == 8);
    kfree(kb);
}

TEST_CASE("driver api: memset and memcpy on kernel memory", "[driver_api]") {
    auto m = i386_2632();
    InKernel k(*m);
    kptr<u8> a = kptr_cast<u8>(vmalloc(4096));
    kptr<u8> b = kptr_cast<u8>(kmalloc(64, GFP_KERNEL));
    CHECK(memset(a, 0xab, 4096) == kptr<void>(a));
    CHECK(a[0] == 0xab);
    CHECK(a[4095] == 0xab);
    CHECK(memcpy(b, a, 64) == kptr<void>(b));
    CHECK(b[63] == 0xab);
    const u8 src[4] = {1, 2, 3, 4};
    (void)memcpy(b, src, 4);
    CHECK(kptr_cast<u32>(b)[0] == 0x04030201u);
    // A bad kernel address oopses, as the kernel's memset would.
    CHECK_THROWS_AS(memset(kptr<void>(VirtAddr(0xe0900000)), 0, 1), KernelOops);
    vfree(a);
    kfree(b);
}

TEST_CASE("driver api: outside a KernelScope it is a usage error", "[driver_api]") {
    CHECK_THROWS_AS(vmalloc(4096), NoCurrentMachine);
}
