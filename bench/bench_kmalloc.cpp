// kmalloc/kfree round trips against host malloc/free.
#include <benchmark/benchmark.h>

#include <cstdlib>

#include "mm/page_alloc.h"
#include "mm/slab/kmalloc.h"

using namespace kmemu;

namespace {
// x86_64, 1 GiB: a hand-built layout with the fields the allocators read.
struct Bench {
    std::unique_ptr<PageAllocator> pa;
    std::unique_ptr<KmallocAllocator> k;
    Bench() {
        Layout l;
        l.arch = Arch::X86_64;
        l.page_shift = 12;
        l.page_offset = VirtAddr(0xffff888000000000);
        l.max_low_pfn = Pfn(0x40000);
        l.max_pfn = Pfn(0x40000);
        l.high_memory = VirtAddr(0xffff888000000000 + (u64{0x40000} << 12));
        l.zones = {{ZoneType::Dma, Pfn(0), Pfn(0x1000)},
                   {ZoneType::Dma32, Pfn(0x1000), Pfn(0x40000)}};
        RamMap ram;
        ram.ranges = {{PhysAddr(0x100000), PhysAddr(0x40000000), RamType::Usable, {}}};
        const KernelVersion v{6, 1, 0};
        pa = PageAllocator::boot(l, ram, page_alloc_rules_for(v, Arch::X86_64)).release_value();
        k = std::make_unique<KmallocAllocator>(*pa, slab_rules_for(v, Arch::X86_64), 4);
    }
};

void BM_kmalloc_kfree(benchmark::State& state) {
    Bench b;
    const u64 size = static_cast<u64>(state.range(0));
    for (auto _ : state) {
        VirtAddr p = b.k->kmalloc(size, GFP_KERNEL);
        benchmark::DoNotOptimize(p);
        b.k->kfree(p);
    }
}
BENCHMARK(BM_kmalloc_kfree)->Arg(64)->Arg(16384);

void BM_host_malloc_free(benchmark::State& state) {
    const auto size = static_cast<size_t>(state.range(0));
    for (auto _ : state) {
        void* p = std::malloc(size);
        benchmark::DoNotOptimize(p);
        std::free(p);
    }
}
BENCHMARK(BM_host_malloc_free)->Arg(64)->Arg(16384);
} // namespace

BENCHMARK_MAIN();
