// Page allocator: boot cost for a small and a huge machine, and alloc/free round trips.
#include <benchmark/benchmark.h>

#include "mm/page_alloc.h"

using namespace kmemu;

namespace {

Layout x86_64_layout(u64 mem) {
    Layout l;
    l.arch = Arch::X86_64;
    l.page_offset = VirtAddr(0xffff888000000000);
    const u64 max_pfn = mem >> 12;
    l.max_low_pfn = Pfn(max_pfn);
    l.max_pfn = Pfn(max_pfn);
    l.high_memory = VirtAddr(0xffff888000000000 + mem);
    l.zones.push_back({ZoneType::Dma, Pfn(0), Pfn(0x1000)});
    l.zones.push_back({ZoneType::Dma32, Pfn(0x1000), Pfn(std::min<u64>(max_pfn, 0x100000))});
    if (max_pfn > 0x100000)
        l.zones.push_back({ZoneType::Normal, Pfn(0x100000), Pfn(max_pfn)});
    return l;
}

RamMap ram_of(u64 mem) {
    RamMap m;
    m.ranges = {{PhysAddr(0), PhysAddr(0x9f000), RamType::Usable, {}},
                {PhysAddr(0x100000), PhysAddr(mem), RamType::Usable, {}}};
    return m;
}

void BM_Boot(benchmark::State& state) {
    const u64 mem = static_cast<u64>(state.range(0)) * MiB;
    Layout l = x86_64_layout(mem);
    RamMap r = ram_of(mem);
    auto rules = page_alloc_rules_for({6, 1, 0}, Arch::X86_64);
    for (auto _ : state) {
        auto pa = PageAllocator::boot(l, r, rules);
        benchmark::DoNotOptimize(pa);
    }
}
BENCHMARK(BM_Boot)->Arg(64)->Arg(1 << 20); // 64 MiB, 1 TiB

void BM_AllocFree(benchmark::State& state) {
    const unsigned order = static_cast<unsigned>(state.range(0));
    auto pa = PageAllocator::boot(x86_64_layout(GiB), ram_of(GiB),
                                  page_alloc_rules_for({6, 1, 0}, Arch::X86_64))
                  .release_value();
    for (auto _ : state) {
        page* p = pa->alloc_pages(GFP_KERNEL, order);
        benchmark::DoNotOptimize(p);
        pa->__free_pages(p, order);
    }
}
BENCHMARK(BM_AllocFree)->Arg(0)->Arg(4);

} // namespace

BENCHMARK_MAIN();
