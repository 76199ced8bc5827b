// Loadable modules: the catalog, insmod/rmmod errnos and ordering, what a failed init leaves
// behind, /proc/modules for root and others, and separate machines.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "emu/kernel/driver_api.h"
#include "emu/machine.h"
#include "emu/module/module_list.h"

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

// Test modules (in the test binary's catalog only). Each counts its calls per machine.
struct calls {
    explicit calls(DeviceKernel&) {}
    int init = 0, exit = 0;
    int init_result = 0;
};
calls& calls_of() {
    return current_kernel().state<calls>();
}
int counting_init() {
    ++calls_of().init;
    return calls_of().init_result;
}
void counting_exit() {
    ++calls_of().exit;
}
int failing_init() {
    return -ENODEV;
}
int oopsing_init() {
    (void)kernel::kptr<u32>(VirtAddr(0x10))[0].load(); // NULL-page read: an oops
    return 0;
}

// The text of a file as a process reads it with open/read.
std::string read_as(Machine& m, Cred cred, const char* path) {
    Process& p = m.spawn({"cat", cred});
    const long fd = p.open(path, 0);
    REQUIRE(fd >= 0);
    const VirtAddr buf = p.malloc(4096);
    const long n = p.read(static_cast<int>(fd), buf, 4096);
    REQUIRE(n >= 0);
    std::string text(static_cast<size_t>(n), '\0');
    REQUIRE(
        p.user_read(buf, std::span<u8>(reinterpret_cast<u8*>(text.data()), text.size())).signal ==
        0);
    (void)p.close(static_cast<int>(fd));
    return text;
}

} // namespace

KMEMU_MODULE(test_counting, "counts init and exit calls", counting_init, counting_exit);
KMEMU_MODULE_SIZED(test_second, "a second module", counting_init, counting_exit, 8192);
KMEMU_MODULE(test_failing, "init fails with -ENODEV", failing_init, nullptr);
KMEMU_MODULE(test_permanent, "init without exit", counting_init, nullptr);
KMEMU_MODULE(test_oopsing, "init reads the NULL page", oopsing_init, counting_exit);

TEST_CASE("modules: the catalog holds KMEMU_MODULE registrations and refuses bad ones",
          "[modules]") {
    const ModuleCatalog& c = ModuleCatalog::instance();
    const ModuleInfo* m = c.find("test_second");
    REQUIRE(m != nullptr);
    CHECK(m->description == "a second module");
    CHECK(m->core_size == 8192);
    CHECK(c.find("test_counting")->core_size == kDefaultModuleCoreSize);
    REQUIRE(c.find("vmalloc_print") != nullptr); // examples/drivers is linked in
    CHECK(c.find("nosuch") == nullptr);
    // Duplicates, empty, too long and non-identifier names are build mistakes: refused.
    CHECK_FALSE(ModuleCatalog::instance().add({"test_second", "", nullptr, nullptr, 4096}));
    CHECK_FALSE(ModuleCatalog::instance().add({"", "", nullptr, nullptr, 4096}));
    CHECK_FALSE(ModuleCatalog::instance().add({std::string(56, 'a'), "", nullptr, nullptr, 1}));
    CHECK_FALSE(ModuleCatalog::instance().add({"bad-name", "", nullptr, nullptr, 1}));
    CHECK(c.find("test_second")->core_size == 8192);
    CHECK(normalize_module_name("./dir/test-second.ko") == "test_second");
}

TEST_CASE("modules: insmod and rmmod errnos, init and exit run once", "[modules]") {
    auto m = boot({"arch=i386", "mem=512M", "split=3G", "kernel=2.6.32"});
    ModuleList& mods = m->modules();
    CHECK(mods.insmod("nosuch") == -ENOENT);
    CHECK(mods.rmmod("test_counting") == -ENOENT);
    const Cred user = Cred::user(1000, 1000);
    CHECK(mods.insmod("test_counting", &user) == -EPERM);
    CHECK(mods.loaded().empty());
    REQUIRE(mods.insmod("test_counting") == 0);
    CHECK(mods.insmod("test-counting.ko") == -EEXIST); // the same module by file name
    CHECK(mods.rmmod("test_counting", &user) == -EPERM);
    {
        kernel::KernelScope ks(*m);
        DeviceKernelScope ds(m->devices().kernel(), nullptr);
        CHECK(calls_of().init == 1);
        CHECK(calls_of().exit == 0);
    }
    REQUIRE(mods.loaded().size() == 1);
    const LoadedModule& l = mods.loaded()[0];
    CHECK(l.state == ModuleState::Live);
    CHECK(l.refcount == 0);
    // i386 module_alloc is a vmalloc of the core: the first area at VMALLOC_START.
    CHECK(l.core == m->layout().vmalloc_start);
    CHECK(l.core.get() == 0xe0800000);
    REQUIRE(mods.rmmod("test_counting") == 0);
    CHECK(mods.loaded().empty());
    CHECK(mods.rmmod("test_counting") == -ENOENT);
    kernel::KernelScope ks(*m);
    DeviceKernelScope ds(m->devices().kernel(), nullptr);
    CHECK(calls_of().init == 1);
    CHECK(calls_of().exit == 1);
}

TEST_CASE("modules: a failing init frees the core; a positive return loads", "[modules]") {
    auto m = boot({"arch=x86_64", "mem=512M", "kernel=4.4"});
    const auto before = m->vmalloc().ledger();
    const size_t areas = m->vmap_space().areas().size();
    CHECK(m->modules().insmod("test_failing") == -ENODEV);
    CHECK(m->modules().loaded().empty());
    CHECK(m->vmalloc().ledger().areas == before.areas);
    CHECK(m->vmalloc().ledger().pages == before.pages);
    CHECK(m->vmap_space().areas().size() == areas);
    {
        kernel::KernelScope ks(*m);
        DeviceKernelScope ds(m->devices().kernel(), nullptr);
        calls_of().init_result = 1;
    }
    CHECK(m->modules().insmod("test_counting") == 0);
    CHECK(m->modules().loaded().at(0).state == ModuleState::Live);
    // x86_64 modules live in [MODULES_VADDR, MODULES_END), not the vmalloc range. The failed
    // module's range (4 pages and the guard) is freed lazily on 4.4, so the next core is
    // placed after it, not at MODULES_VADDR again.
    CHECK(m->layout().modules_vaddr.get() == 0xffffffffa0000000);
    CHECK(m->modules().loaded().at(0).core.get() == 0xffffffffa0005000);
    CHECK(m->vmalloc().ledger().areas == before.areas + 1);
    CHECK(m->modules().rmmod("test_counting") == 0);
    CHECK(m->vmalloc().ledger().areas == before.areas);
}

TEST_CASE("modules: init without exit is [permanent] and cannot be removed", "[modules]") {
    auto m = boot({"arch=x86_64", "mem=512M", "kernel=6.1"});
    REQUIRE(m->modules().insmod("test_permanent") == 0);
    CHECK(m->modules().rmmod("test_permanent") == -EBUSY);
    CHECK(m->modules().render_proc_modules(true) ==
          "test_permanent 16384 0 [permanent], Live 0xffffffffc0000000\n");
}

TEST_CASE("modules: an oops in init propagates and leaves the module Loading", "[modules]") {
    auto m = boot({"arch=i386", "mem=512M", "split=3G", "kernel=2.6.32"});
    CHECK_THROWS_AS((void)m->modules().insmod("test_oopsing"), kernel::KernelOops);
    REQUIRE(m->modules().loaded().size() == 1);
    CHECK(m->modules().loaded()[0].state == ModuleState::Coming);
    CHECK(m->modules().render_proc_modules(true) == "test_oopsing 16384 1 - Loading 0xe0800000\n");
    CHECK(m->modules().rmmod("test_oopsing") == -EBUSY);
    CHECK(m->modules().insmod("test_oopsing") == -EEXIST);
}

TEST_CASE("modules: /proc/modules lists newest first; addresses by reader and version",
          "[modules][procfs]") {
    SECTION("2.6.32 i386: real addresses for every reader") {
        auto m = boot({"arch=i386", "mem=512M", "split=3G", "kernel=2.6.32"});
        REQUIRE(m->modules().insmod("test_counting") == 0);
        REQUIRE(m->modules().insmod("test_second") == 0);
        // Areas of 4 + 1 guard pages; 2.6.32 leaves a page between areas (vmalloc_kernel.kms).
        const std::string text = "test_second 8192 0 - Live 0xe0806000\n"
                                 "test_counting 16384 0 - Live 0xe0800000\n";
        CHECK(read_as(*m, Cred::root(), "/proc/modules") == text);
        CHECK(read_as(*m, Cred::user(1000, 1000), "/proc/modules") == text);
        CHECK(m->modules().render_lsmod() == "Module                  Size  Used by\n"
                                             "test_second             8192  0\n"
                                             "test_counting          16384  0\n");
    }
    SECTION("4.4 x86_64 with kptr_restrict=1: %pK hides the address from non-root") {
        auto m = boot({"arch=x86_64", "mem=512M", "kernel=4.4", "kptr_restrict=1"});
        REQUIRE(m->modules().insmod("test_counting") == 0);
        CHECK(read_as(*m, Cred::root(), "/proc/modules") ==
              "test_counting 16384 0 - Live 0xffffffffa0000000\n");
        CHECK(read_as(*m, Cred::user(1000, 1000), "/proc/modules") ==
              "test_counting 16384 0 - Live 0x0000000000000000\n");
    }
    SECTION("6.1 x86_64: kallsyms_show_value() hides it from non-root by default") {
        auto m = boot({"arch=x86_64", "mem=512M", "kernel=6.1"});
        REQUIRE(m->modules().insmod("test_counting") == 0);
        CHECK(read_as(*m, Cred::root(), "/proc/modules") ==
              "test_counting 16384 0 - Live 0xffffffffc0000000\n");
        CHECK(read_as(*m, Cred::user(1000, 1000), "/proc/modules") ==
              "test_counting 16384 0 - Live 0x0000000000000000\n");
    }
}

TEST_CASE("modules: two machines in one process keep separate loaded lists", "[modules]") {
    auto a = boot({"arch=i386", "mem=512M", "split=3G", "kernel=2.6.32"});
    auto b = boot({"arch=x86_64", "mem=512M", "kernel=6.1"});
    REQUIRE(a->modules().insmod("test_counting") == 0);
    CHECK(b->modules().loaded().empty());
    REQUIRE(b->modules().insmod("test_counting") == 0);
    REQUIRE(b->modules().insmod("test_second") == 0);
    CHECK(a->modules().loaded().size() == 1);
    CHECK(b->modules().loaded().size() == 2);
    CHECK(a->modules().rmmod("test_counting") == 0);
    CHECK(b->modules().find("test_counting") != nullptr);
    // Per-machine driver state: each machine's module counted its own calls.
    for (Machine* m : {a.get(), b.get()}) {
        kernel::KernelScope ks(*m);
        DeviceKernelScope ds(m->devices().kernel(), nullptr);
        // b loaded two modules that share counting_init.
        CHECK(calls_of().init == (m == a.get() ? 1 : 2));
        CHECK(calls_of().exit == (m == a.get() ? 1 : 0));
    }
}
