// The C++ example of docs/labs.md, kept compiling and passing.
#include <catch2/catch.hpp>

#include "emu/kernel/kernel_scope.h"
#include "emu/kernel/kptr.h"
#include "emu/kernel/oops.h"
#include "emu/machine.h"

TEST_CASE("docs/labs.md: vmalloc'd memory is where the lab says", "[docs]") {
    auto config = kmemu::parse_config_words(
        std::vector<std::string>{"arch=i386", "mem=512M", "kernel=2.6.32"});
    auto m = kmemu::Machine::boot(config.value()).release_value();
    kmemu::kernel::KernelScope scope(*m); // this machine is "current"
    kmemu::VirtAddr p = m->vmalloc().vmalloc(100, "my_lab_init");
    REQUIRE(p == m->layout().vmalloc_start);
    kmemu::kernel::kstrcpy(kmemu::kernel::kptr<char>(p), "hello");
    REQUIRE(kmemu::kernel::kstring(kmemu::kernel::kptr<const char>(p)) == "hello");
    m->vmalloc().vfree(p);
    REQUIRE_THROWS_AS(char(*kmemu::kernel::kptr<char>(p)), kmemu::kernel::KernelOops);
}
