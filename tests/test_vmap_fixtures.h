// Shared fixtures for the vmap tests: hand-made layouts with only the fields VmapSpace reads.
#pragma once

#include "mm/layout.h"
#include "mm/vmalloc/vmap_space.h"

namespace kmemu::test {

// i386, 3G split, 512 MiB lowmem: high_memory 0xe0000000, VMALLOC_START 0xe0800000 (both the
// <=2.6.27 rounded and the 2.6.28+ formula give it, layouts.md §F.3). VMALLOC_END is taken as
// 0xff7fe000 (any value far above the tests' areas serves); modules share the range.
inline Layout i386_layout(Arch arch = Arch::I386) {
    Layout l;
    l.arch = arch;
    l.word_bits = 32;
    l.vmalloc_start = VirtAddr(0xe0800000);
    l.vmalloc_end = VirtAddr(0xff7fe000);
    l.modules_vaddr = l.vmalloc_start;
    l.modules_end = l.vmalloc_end;
    return l;
}

// x86_64 4-level, E2+ constants (kernel-semantics.md §3.1): VMALLOC_END 0xffffe8ffffffffff is
// inclusive, Layout keeps it exclusive (+1).
inline Layout x86_64_layout() {
    Layout l;
    l.arch = Arch::X86_64;
    l.word_bits = 64;
    l.vmalloc_start = VirtAddr(0xffffc90000000000);
    l.vmalloc_end = VirtAddr(0xffffe90000000000);
    l.modules_vaddr = VirtAddr(0xffffffffa0000000);
    l.modules_end = VirtAddr(0xffffffffff000000);
    return l;
}

inline VmapSpace space_for(const char* kernel, Arch arch = Arch::I386, unsigned cpus = 1) {
    const KernelVersion v = KernelVersion::parse(kernel).value();
    const Layout l = is_32bit(arch) ? i386_layout(arch) : x86_64_layout();
    return VmapSpace(vmalloc_rules_for(v, arch), l, cpus);
}

constexpr u64 kS = 0xe0800000; // VMALLOC_START of i386_layout()
constexpr u64 kRam = 131072;   // totalram_pages of a 512 MiB machine
inline u64 vm(VmapSpace& s, u64 size, const char* caller = "") {
    auto r = s.vmalloc(size, caller, kRam);
    REQUIRE_FALSE(r.is_error());
    REQUIRE(r->ok());
    return r->addr->get();
}

} // namespace kmemu::test
