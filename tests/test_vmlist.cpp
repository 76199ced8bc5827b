// vm_struct / vmap_area objects in kernel memory: the lists walked from the `vmlist` and
// `vmap_area_list` symbols through kernel loads (as a /dev/kmem reader at a /proc/kallsyms
// address would), checked against the VmapSpace areas, per era.
#include <catch2/catch.hpp>

#include <vector>

#include "emu/machine.h"

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

// Kernel-mode reads through init_mm's tables.
struct Kmem {
    Machine& m;
    unsigned w;
    explicit Kmem(Machine& machine) : m(machine), w(is_32bit(machine.config().arch) ? 4u : 8u) {}
    u64 word(VirtAddr a) {
        const mmu::Access rd{paging::AccessType::Read, paging::Privilege::Supervisor};
        if (w == 4) {
            auto v = m.kernel_mmu().load<u32>(a, rd);
            REQUIRE(v.ok());
            return v.value();
        }
        auto v = m.kernel_mmu().load<u64>(a, rd);
        REQUIRE(v.ok());
        return v.value();
    }
    u32 u32_at(VirtAddr a) {
        const mmu::Access rd{paging::AccessType::Read, paging::Privilege::Supervisor};
        auto v = m.kernel_mmu().load<u32>(a, rd);
        REQUIRE(v.ok());
        return v.value();
    }
    VirtAddr symbol(const char* name) {
        const KernelSymbol* s = m.symbols().find(name);
        REQUIRE(s != nullptr);
        return s->address;
    }
};

u64 kernel_flags(const Machine& m, const VmArea& a) {
    const VmFlagValues& f = m.vmap_space().rules().flags;
    u64 v = 0;
    if (a.flags & VmIoremap)
        v |= f.ioremap;
    if (a.flags & VmAlloc)
        v |= f.alloc;
    if (a.flags & VmMap)
        v |= f.map;
    if (a.flags & VmNoGuard)
        v |= f.no_guard;
    if (a.vpages)
        v |= f.vpages;
    return v;
}

// One vm_struct against its VmArea.
void check_vm_struct(Machine& m, Kmem& k, VirtAddr vm, const VmArea& a) {
    const VmStructLayout& l = m.vm_objects().rules().vm;
    INFO(fmt::format("vm_struct {:#x} of area {:#x}", vm, a.addr));
    CHECK(k.word(vm.offset(l.addr)) == a.addr.get());
    CHECK(k.word(vm.offset(l.size_field)) == a.size);
    CHECK(k.word(vm.offset(l.flags)) == kernel_flags(m, a));
    CHECK(k.u32_at(vm.offset(l.nr_pages)) == a.nr_pages);
    const VirtAddr pages = a.pages_kmalloc.get() ? a.pages_kmalloc : a.pages_vaddr;
    CHECK(k.word(vm.offset(l.pages)) == pages.get());
    if (l.phys_addr_bytes == k.w)
        CHECK(k.word(vm.offset(l.phys_addr)) == a.phys_addr.get());
    // area->pages[i]: the struct page of each page.
    for (size_t i = 0; i < a.pages.size() && pages.get(); ++i)
        CHECK(k.word(pages.offset(i * k.w)) ==
              m.vm_objects().struct_page_address(a.pages[i]).get());
}

// vmlist (<= 3.9): the address-sorted singly linked list of live vm_structs.
void check_vmlist(Machine& m, Kmem& k) {
    const VmStructLayout& l = m.vm_objects().rules().vm;
    u64 p = k.word(k.symbol("vmlist"));
    for (const VmArea* a : m.vmap_space().areas()) {
        REQUIRE(p != 0);
        check_vm_struct(m, k, VirtAddr(p), *a);
        p = k.word(VirtAddr(p).offset(l.next));
    }
    CHECK(p == 0);
}

// vmap_area_list: the doubly linked list (next/prev) of vmap_areas in address order.
// `lazy_listed`: lazily freed areas stay in it (<= 5.1).
void check_vmap_area_list(Machine& m, Kmem& k, bool lazy_listed, u64 live_flags, u64 lazy_flags,
                          bool lazy_keeps_vm) {
    const VmObjectRules& r = m.vm_objects().rules();
    const VirtAddr head = k.symbol("vmap_area_list");
    VirtAddr prev = head;
    VirtAddr e(k.word(head));
    size_t n = 0;
    for (const auto& entry : m.vmap_space().vmap_area_list()) {
        if (entry.lazy && !lazy_listed)
            continue;
        REQUIRE(e != head);
        const VirtAddr va = e.offset_down(r.va.list);
        const VmArea& a = *entry.area;
        INFO(fmt::format("vmap_area {:#x} of area {:#x} lazy {}", va, a.addr, entry.lazy));
        CHECK(k.word(va.offset(r.va.va_start)) == a.addr.get());
        CHECK(k.word(va.offset(r.va.va_end)) == a.end().get());
        CHECK(k.word(e.offset(k.w)) == prev.get()); // list.prev
        const u64 vm = k.word(va.offset(r.va.vm));
        if (r.va.flags)
            CHECK(k.word(va.offset(*r.va.flags)) == (entry.lazy ? lazy_flags : live_flags));
        if (!entry.lazy) {
            CHECK(vm == m.vm_objects().vm_struct_of(a.addr).get());
            check_vm_struct(m, k, VirtAddr(vm), a);
            CHECK(m.vm_objects().vmap_area_of(a.addr) == va);
        } else if (!lazy_keeps_vm) {
            CHECK(vm == 0);
        } else {
            CHECK(vm != 0); // 2.6.28-3.9: still the (freed) vm_struct
        }
        prev = e;
        e = VirtAddr(k.word(e));
        ++n;
    }
    CHECK(e == head);
    CHECK(k.word(head.offset(k.w)) == prev.get()); // head.prev = the last entry
    CHECK(n > 0);
}

struct Era {
    const char* kernel;
    u64 vm_ksize; // ksize of the vm_struct (its kmalloc cache)
    u64 va_ksize; // of the vmap_area (kmalloc or the vmap_area cache)
    bool vmlist;  // vmlist kept
    u64 live_flags, lazy_flags;
    bool lazy_listed, lazy_keeps_vm;
};

} // namespace

TEST_CASE("vmlist: i386 2.6.32 vmalloc/ioremap/vfree in both lists", "[vmlist]") {
    auto m = boot({"arch=i386", "mem=512M", "split=3G", "kernel=2.6.32"});
    Kmem k(*m);
    const VirtAddr a = m->vmalloc().vmalloc(100);
    REQUIRE(a == VirtAddr(0xe0800000));
    const VirtAddr b = m->vmalloc().vmalloc(3 * 4096);
    auto io = m->vmalloc().ioremap(PhysAddr(0xfebf0000), 0x100);
    REQUIRE(io);
    REQUIRE(io.value().get() != 0);
    // Offsets of the 2.6.32 i386 structs: vm_struct {next 0, addr 4, size 8, flags 12, pages 16,
    // nr_pages 20, phys_addr 24, caller 28} = 32 bytes; vmap_area {va_start 0, va_end 4,
    // flags 8, rb_node 12, list 24, purge_list 32, private 40, rcu_head 44} = 52 bytes.
    const VmObjectRules& r = m->vm_objects().rules();
    CHECK(r.vm.size == 32);
    CHECK(r.vm.nr_pages == 20);
    CHECK(r.vm.caller == std::optional<u32>(28));
    CHECK(r.va.size == 52);
    CHECK(r.va.list == 24);
    CHECK(r.va.vm == 40);
    // kmalloc-32 and kmalloc-64.
    const VirtAddr vm_a = m->vm_objects().vm_struct_of(a);
    const VirtAddr va_a = m->vm_objects().vmap_area_of(a);
    CHECK(m->vm_objects().object_size(vm_a) == 32);
    CHECK(m->vm_objects().object_size(va_a) == 64);
    CHECK(vm_a >= m->layout().page_offset);
    CHECK(vm_a < m->layout().high_memory);
    // vmlist -> a -> b -> io, all live; VM_VM_AREA on every vmap_area.
    CHECK(k.word(k.symbol("vmlist")) == vm_a.get());
    check_vmlist(*m, k);
    check_vmap_area_list(*m, k, true, 0x04, 0x05, true);
    // The ioremap's phys_addr and VM_IOREMAP; b's page array holds mem_map + pfn * 32 with
    // mem_map at the top of lowmem: 0xe0000000 - 0x20000 * 32 = 0xdfc00000.
    const VmArea* io_area = m->vmap_space().find_vm_area(io.value());
    REQUIRE(io_area);
    const VirtAddr vm_io = m->vm_objects().vm_struct_of(io_area->addr);
    CHECK(k.word(vm_io.offset(12)) == 0x1);
    CHECK(k.word(vm_io.offset(24)) == 0xfebf0000);
    const VmArea* b_area = m->vmap_space().find_vm_area(b);
    REQUIRE(b_area);
    REQUIRE(b_area->pages.size() == 3);
    const VirtAddr arr(k.word(m->vm_objects().vm_struct_of(b).offset(16)));
    CHECK(k.word(arr.offset(4)) == 0xdfc00000 + b_area->pages[1].get() * 32);
    CHECK(m->vm_objects().object_size(arr) == 16); // 12 bytes of pointers: kmalloc-16

    // vfree(a): the vm_struct leaves vmlist at once and is kfree'd; the vmap_area stays in
    // vmap_area_list with VM_LAZY_FREE | VM_VM_AREA and the stale private pointer.
    m->vmalloc().vfree(a);
    CHECK(k.word(k.symbol("vmlist")) == m->vm_objects().vm_struct_of(b).get());
    CHECK(m->kmalloc().ksize(vm_a) == 0); // freed
    check_vmlist(*m, k);
    check_vmap_area_list(*m, k, true, 0x04, 0x05, true);
    CHECK(m->vm_objects().lazy_vmap_area_of(a) == va_a);
    CHECK(k.word(va_a.offset(40)) == vm_a.get());
    CHECK(m->vm_objects().ledger().lazy_vmap_areas == 1);
    // The lazy purge unlinks and frees it.
    m->vmap_space().purge();
    CHECK(m->vm_objects().lazy_vmap_area_of(a).get() == 0);
    CHECK(m->kmalloc().ksize(va_a) == 0);
    CHECK(k.word(k.symbol("vmap_area_list")) == m->vm_objects().vmap_area_of(b).offset(24).get());
    check_vmap_area_list(*m, k, true, 0x04, 0x05, true);
    CHECK(m->vm_objects().ledger().lazy_vmap_areas == 0);
    CHECK(m->vm_objects().ledger().vm_structs == 2);
}

TEST_CASE("vmlist: 2.6.24 has vmlist only, and vfree frees the vm_struct at once", "[vmlist]") {
    auto m = boot({"arch=i386", "mem=512M", "split=3G", "kernel=2.6.24"});
    Kmem k(*m);
    CHECK(m->symbols().find("vmap_area_list") == nullptr);
    const VirtAddr a = m->vmalloc().vmalloc(100);
    const VirtAddr b = m->vmalloc().vmalloc(100);
    // 2.6.24 vm_struct has no caller: 28 bytes, kmalloc-32.
    CHECK(m->vm_objects().rules().vm.size == 28);
    CHECK(m->vm_objects().vmap_area_of(a).get() == 0);
    CHECK(m->vm_objects().object_size(m->vm_objects().vm_struct_of(a)) == 32);
    check_vmlist(*m, k);
    const VirtAddr vm_a = m->vm_objects().vm_struct_of(a);
    m->vmalloc().vfree(a);
    CHECK(m->kmalloc().ksize(vm_a) == 0);
    CHECK(k.word(k.symbol("vmlist")) == m->vm_objects().vm_struct_of(b).get());
    check_vmlist(*m, k);
    m->vmalloc().vfree(b);
    CHECK(k.word(k.symbol("vmlist")) == 0);
    CHECK(m->vm_objects().ledger().vm_structs == 0);
    CHECK(m->kmalloc().ledger_balanced());
}

TEST_CASE("vmlist: x86_64 eras on each side of the boundaries", "[vmlist]") {
    // ksize: vm_struct 56 (2.6.24) / 64 (2.6.25+) / 64 -> kmalloc-64; vmap_area 104 -> 128
    // (<= 4.6), 96 -> kmalloc-96 (4.7-5.1), the vmap_area cache's 88 (5.2-5.3), 64 (5.4-6.2),
    // 72 (6.3+).
    const std::vector<Era> eras = {
        {"2.6.27", 64, 0, true, 0, 0, false, false},
        {"2.6.28", 64, 128, true, 0x04, 0x05, true, true},
        {"3.9", 64, 128, true, 0x04, 0x05, true, true},
        {"3.10", 64, 128, false, 0x04, 0x01, true, false},
        {"4.6", 64, 128, false, 0x04, 0x01, true, false},
        {"4.7", 64, 96, false, 0x04, 0x00, true, false},
        {"4.12", 64, 96, false, 0x04, 0x00, true, false},
        {"4.13", 64, 96, false, 0x04, 0x02, true, false},
        {"4.19", 64, 96, false, 0x04, 0x02, true, false},
        {"5.1", 64, 96, false, 0x04, 0x02, true, false},
        {"5.2", 64, 88, false, 0x04, 0, false, false},
        {"5.3", 64, 88, false, 0x04, 0, false, false},
        {"5.4", 64, 64, false, 0, 0, false, false},
        {"5.8", 64, 64, false, 0, 0, false, false},
        {"5.9", 64, 64, false, 0, 0, false, false},
        {"6.1", 64, 64, false, 0, 0, false, false},
        {"6.2", 64, 64, false, 0, 0, false, false},
        {"6.3", 64, 72, false, 0, 0, false, false},
        {"6.8", 64, 72, false, 0, 0, false, false},
    };
    for (const Era& e : eras) {
        INFO(e.kernel);
        auto m = boot({"arch=x86_64", "mem=512M", std::string("kernel=") + e.kernel});
        Kmem k(*m);
        const VirtAddr a = m->vmalloc().vmalloc(100);
        const VirtAddr b = m->vmalloc().vmalloc(5 * 4096);
        auto io = m->vmalloc().ioremap(PhysAddr(0xfebf0000), 0x100);
        REQUIRE(io);
        REQUIRE(io.value().get() != 0);
        const VirtAddr vm_a = m->vm_objects().vm_struct_of(a);
        CHECK(m->vm_objects().object_size(vm_a) == e.vm_ksize);
        CHECK((m->symbols().find("vmlist") != nullptr) == e.vmlist);
        if (e.vmlist)
            check_vmlist(*m, k);
        if (e.va_ksize == 0) {
            m->vmalloc().vfree(a);
            check_vmlist(*m, k);
            continue;
        }
        const VirtAddr va_a = m->vm_objects().vmap_area_of(a);
        CHECK(m->vm_objects().object_size(va_a) == e.va_ksize);
        CHECK((m->vm_objects().vmap_area_cache() != nullptr) ==
              (e.va_ksize != 128 && e.va_ksize != 96));
        // 3.10+: vm_struct.next is 0 (vmlist is boot-only).
        if (!e.vmlist)
            CHECK(k.word(vm_a.offset(m->vm_objects().rules().vm.next)) == 0);
        check_vmap_area_list(*m, k, e.lazy_listed, e.live_flags, e.lazy_flags, e.lazy_keeps_vm);
        m->vmalloc().vfree(a);
        if (e.vmlist)
            check_vmlist(*m, k);
        check_vmap_area_list(*m, k, e.lazy_listed, e.live_flags, e.lazy_flags, e.lazy_keeps_vm);
        // The lazily freed vmap_area is allocated until the purge, listed or not.
        CHECK(m->vm_objects().lazy_vmap_area_of(a) == va_a);
        CHECK(m->vm_objects().object_size(va_a) == e.va_ksize);
        m->vmap_space().purge();
        CHECK(m->vm_objects().lazy_vmap_area_of(a).get() == 0);
        check_vmap_area_list(*m, k, e.lazy_listed, e.live_flags, e.lazy_flags, e.lazy_keeps_vm);
        m->vmalloc().vfree(b);
        m->vmalloc().iounmap(io.value());
        m->vmap_space().purge();
        CHECK(k.word(k.symbol("vmap_area_list")) == k.symbol("vmap_area_list").get());
        CHECK(m->vm_objects().ledger().vm_structs == 0);
        CHECK(m->vm_objects().ledger().vmap_areas == 0);
        CHECK(m->kmalloc().ledger_balanced());
    }
}

TEST_CASE("vmlist: x86_64 3.10 and 4.19 struct offsets and caches", "[vmlist]") {
    {
        auto m = boot({"arch=x86_64", "mem=512M", "kernel=3.10"});
        const VmObjectRules& r = m->vm_objects().rules();
        // vm_struct: next 0, addr 8, size 16, flags 24, pages 32, nr_pages 40, phys_addr 48,
        // caller 56; vmap_area: va_start 0, va_end 8, flags 16, rb_node 24, list 48,
        // purge_list 64, vm 80, rcu_head 88 = 104.
        CHECK(r.vm.addr == 8);
        CHECK(r.vm.nr_pages == 40);
        CHECK(r.vm.phys_addr == 48);
        CHECK(r.vm.size == 64);
        CHECK(r.va.list == 48);
        CHECK(r.va.vm == 80);
        CHECK(r.va.size == 104);
        CHECK(m->symbols().find("vmap_area_list")->type == 'D');
    }
    {
        auto m = boot({"arch=x86_64", "mem=512M", "kernel=4.19"});
        const VmObjectRules& r = m->vm_objects().rules();
        // 4.19: purge_list is an llist_node: vm 72, rcu_head 80, 96 bytes.
        CHECK(r.va.vm == 72);
        CHECK(r.va.size == 96);
        Kmem k(*m);
        const VirtAddr a = m->vmalloc().vmalloc(100, "vfree+0x10/0x40");
        // The caller's value: the symbol plus the offset.
        CHECK(k.word(m->vm_objects().vm_struct_of(a).offset(56)) ==
              m->symbols().find("vfree")->address.get() + 0x10);
        // struct page of x86_64: vmemmap 0xffffea0000000000 + pfn * 64.
        const VmArea* area = m->vmap_space().find_vm_area(a);
        REQUIRE(area);
        REQUIRE(area->pages.size() == 1);
        const VirtAddr arr(k.word(m->vm_objects().vm_struct_of(a).offset(32)));
        CHECK(k.word(arr) == 0xffffea0000000000 + area->pages[0].get() * 64);
    }
}

TEST_CASE("vmlist: 6.1 x86_64 and arm64: vmap_area cache, lazy areas off the list, merged",
          "[vmlist]") {
    for (const char* arch : {"arch=x86_64", "arch=arm64"}) {
        INFO(arch);
        auto m = boot({arch, "mem=512M", "kernel=6.1"});
        Kmem k(*m);
        const VmObjectRules& r = m->vm_objects().rules();
        // vm_struct: x86_64 has page_order (HAVE_ARCH_HUGE_VMALLOC) at 40, nr_pages at 44;
        // arm64 nr_pages at 40. vmap_area: va_start 0, va_end 8, rb_node 16, list 40, vm 56.
        const bool x86 = std::string(arch) == "arch=x86_64";
        CHECK(r.vm.nr_pages == (x86 ? 44u : 40u));
        CHECK(r.va.list == 40);
        CHECK(r.va.vm == 56);
        CHECK(r.va.size == 64);
        // arm64 (4.6+) registers its image segments at boot (map_kernel_segment ->
        // vm_area_add_early): text, rodata, init with VM_NO_GUARD, data with a guard, VM_MAP.
        const auto boot_areas = m->vmap_space().areas();
        const u64 boot_vas = m->vm_objects().ledger().vmap_areas;
        if (!x86) {
            REQUIRE(boot_areas.size() == 4);
            CHECK(boot_areas[0]->addr == m->layout().image.text);
            CHECK(boot_areas[0]->addr == m->vmap_space().vmalloc_start());
            const VirtAddr text_vm = m->vm_objects().vm_struct_of(boot_areas[0]->addr);
            CHECK(k.word(text_vm.offset(r.vm.flags)) == 0x44); // VM_MAP | VM_NO_GUARD
            CHECK(k.word(text_vm.offset(r.vm.phys_addr)) == m->layout().image.phys_start.get());
            CHECK(boot_areas[3]->size ==
                  m->layout().image.end.minus(m->layout().image.sdata) + 4096);
        } else {
            CHECK(boot_areas.empty());
        }
        const VirtAddr a = m->vmalloc().vmalloc(100);
        REQUIRE(a.get() != 0);
        const VirtAddr b = m->vmalloc().vmalloc(100);
        const VirtAddr c = m->vmalloc().vmalloc(100);
        CHECK(b == a.offset(8192));
        CHECK(c == b.offset(8192));
        // vm_struct in kmalloc-64 (x86_64) / kmalloc-128 (arm64 6.1: KMALLOC_MIN_SIZE 128);
        // vmap_area in the "vmap_area" cache of 64-byte objects.
        CHECK(m->vm_objects().object_size(m->vm_objects().vm_struct_of(a)) == (x86 ? 64u : 128u));
        REQUIRE(m->vm_objects().vmap_area_cache() != nullptr);
        CHECK(m->vm_objects().vmap_area_cache()->name() == "vmap_area");
        CHECK(m->vm_objects().vmap_area_cache()->object_size() == 64);
        CHECK(m->vm_objects().object_size(m->vm_objects().vmap_area_of(a)) == 64);
        check_vmap_area_list(*m, k, false, 0, 0, false);
        // vfree(a), vfree(b): both leave the list at once; the purge tree merges the touching
        // ranges into one vmap_area (b's object is freed, a's spans [a, c)).
        const VirtAddr va_a = m->vm_objects().vmap_area_of(a);
        m->vmalloc().vfree(a);
        m->vmalloc().vfree(b);
        check_vmap_area_list(*m, k, false, 0, 0, false);
        // The first listed vmap_area: c on x86_64, the image's text area on arm64.
        const VirtAddr first = x86 ? c : boot_areas[0]->addr;
        CHECK(k.word(k.symbol("vmap_area_list")) ==
              m->vm_objects().vmap_area_of(first).offset(40).get());
        CHECK(m->vm_objects().lazy_vmap_area_of(a) == va_a);
        CHECK(m->vm_objects().lazy_vmap_area_of(b) == va_a);
        CHECK(k.word(va_a.offset(8)) == c.get());
        CHECK(m->vm_objects().ledger().lazy_vmap_areas == 1);
        // Unlinked: RB_CLEAR_NODE and an empty list_head.
        CHECK(k.word(va_a.offset(16)) == va_a.offset(16).get());
        CHECK(k.word(va_a.offset(40)) == va_a.offset(40).get());
        m->vmap_space().purge();
        CHECK(m->vm_objects().ledger().lazy_vmap_areas == 0);
        CHECK(m->vm_objects().ledger().vmap_areas == boot_vas + 1);
    }
}

TEST_CASE("vmlist: 6.9+ has no vmap_area_list; objects are still made", "[vmlist]") {
    auto m = boot({"arch=x86_64", "mem=512M", "kernel=6.9"});
    CHECK(m->symbols().find("vmap_area_list") == nullptr);
    CHECK(m->symbols().find("vmap_area_root") == nullptr);
    const VirtAddr a = m->vmalloc().vmalloc(100);
    CHECK(m->vm_objects().vm_struct_of(a).get() != 0);
    CHECK(m->vm_objects().vmap_area_of(a).get() != 0);
    m->vmalloc().vfree(a);
    m->vmap_space().purge();
    CHECK(m->vm_objects().ledger().vmap_areas == 0);
}

TEST_CASE("vmlist: a failed search frees both objects; an injected kmalloc failure is NULL",
          "[vmlist]") {
    auto m = boot({"arch=x86_64", "mem=512M", "kernel=4.19"});
    const KmallocLedger before = m->kmalloc().ledger();
    // vmalloc of more than the vmalloc space: alloc_vmap_area fails after the purge.
    const VirtAddr huge = m->vmalloc().vmalloc(
        m->vmap_space().vmalloc_end().minus(m->vmap_space().vmalloc_start()) / 2);
    (void)huge;
    VmapRequest req;
    req.size = 1ull << 46;
    req.vstart = m->vmap_space().vmalloc_start();
    req.vend = m->vmap_space().vmalloc_end();
    auto r = m->vmap_space().reserve(req);
    REQUIRE(r);
    CHECK(r->failure == VmapFailure::NoSpace);
    // The vm_struct fails: NULL, nothing placed, nothing leaked.
    const size_t areas = m->vmap_space().areas().size();
    m->kmalloc().set_fail_nth(1);
    CHECK(m->vmalloc().vmalloc(100).get() == 0);
    CHECK(m->vmap_space().areas().size() == areas);
    // The vmap_area fails: the vm_struct is given back.
    m->kmalloc().set_fail_nth(2);
    CHECK(m->vmalloc().vmalloc(100).get() == 0);
    CHECK(m->vmap_space().areas().size() == areas);
    m->kmalloc().set_fail_nth(0);
    if (huge.get())
        m->vmalloc().vfree(huge);
    m->vmap_space().purge();
    CHECK(m->kmalloc().ledger().objects == before.objects);
}

TEST_CASE("vmlist: a vmalloc'ed page array (VM_VPAGES) holds the struct page pointers",
          "[vmlist]") {
    // i386 2.6.32: 1100 pages need 4400 bytes of pointers, more than a page: __vmalloc_area_node
    // vmallocs the array (VM_VPAGES 0x10) right after the area.
    auto m = boot({"arch=i386", "mem=512M", "split=3G", "kernel=2.6.32"});
    Kmem k(*m);
    const VirtAddr a = m->vmalloc().vmalloc(1100 * 4096);
    REQUIRE(a.get() != 0);
    const VmArea* area = m->vmap_space().find_vm_area(a);
    REQUIRE(area);
    REQUIRE(area->vpages);
    const VirtAddr vm = m->vm_objects().vm_struct_of(a);
    CHECK(k.word(vm.offset(12)) == (0x2 | 0x10)); // VM_ALLOC | VM_VPAGES
    CHECK(k.word(vm.offset(16)) == area->pages_vaddr.get());
    CHECK(k.u32_at(vm.offset(20)) == 1100);
    // Read through the array's own vmalloc mapping: pages[0], pages[1023] (first page of the
    // array), pages[1024] and pages[1099] (second page).
    for (u64 i : {u64{0}, u64{1023}, u64{1024}, u64{1099}})
        CHECK(k.word(area->pages_vaddr.offset(i * 4)) == 0xdfc00000 + area->pages[i].get() * 32);
    // Both areas are in vmlist, in address order: the area, then its array.
    check_vmlist(*m, k);
    const VirtAddr array_vm = m->vm_objects().vm_struct_of(area->pages_vaddr);
    CHECK(k.word(vm.offset(0)) == array_vm.get()); // a->next is the array's vm_struct
    // vfree frees both vm_structs; both vmap_areas wait for the purge.
    m->vmalloc().vfree(a);
    CHECK(k.word(k.symbol("vmlist")) == 0);
    CHECK(m->vm_objects().ledger().vm_structs == 0);
    CHECK(m->vm_objects().ledger().lazy_vmap_areas == 2);
    m->vmap_space().purge();
    CHECK(m->kmalloc().ledger_balanced());
}
