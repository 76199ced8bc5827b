// vmalloc/vfree round trips (1 and 64 pages: placement, page allocation, PTE writes, TLB
// flushes, the lazy purge every lazy_max_pages), a kptr 8-byte load that hits the kernel TLB,
// and a host memcpy baseline.
#include <benchmark/benchmark.h>

#include <cstring>
#include <vector>

#include "emu/kernel/kptr.h"
#include "emu/machine.h"

using namespace kmemu;
using namespace kmemu::kernel;

namespace {
std::unique_ptr<Machine> boot_machine() {
    std::vector<std::string> words = {"arch=x86_64", "mem=1G", "kernel=6.1"};
    return Machine::boot(parse_config_words(words).release_value()).release_value();
}

void BM_vmalloc_vfree(benchmark::State& state) {
    auto m = boot_machine();
    const u64 size = static_cast<u64>(state.range(0)) * 4096;
    for (auto _ : state) {
        const VirtAddr a = m->vmalloc().vmalloc(size);
        benchmark::DoNotOptimize(a);
        m->vmalloc().vfree(a);
    }
}
BENCHMARK(BM_vmalloc_vfree)->Arg(1)->Arg(64);

void BM_kptr_load_u64_tlb_hit(benchmark::State& state) {
    auto m = boot_machine();
    KernelScope scope(*m);
    kptr<u64> p(m->vmalloc().vmalloc(4096));
    p[7] = 42;
    for (auto _ : state) {
        u64 v = p[7];
        benchmark::DoNotOptimize(v);
    }
}
BENCHMARK(BM_kptr_load_u64_tlb_hit);

void BM_kmemcpy_4k(benchmark::State& state) {
    auto m = boot_machine();
    KernelScope scope(*m);
    kptr<u8> a(m->vmalloc().vmalloc(4096)), b(m->vmalloc().vmalloc(4096));
    for (auto _ : state)
        kmemcpy(b, a, 4096);
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * 4096);
}
BENCHMARK(BM_kmemcpy_4k);

void BM_host_memcpy_4k(benchmark::State& state) {
    std::vector<char> a(4096, 'x'), b(4096);
    for (auto _ : state) {
        std::memcpy(b.data(), a.data(), 4096);
        benchmark::ClobberMemory();
    }
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * 4096);
}
BENCHMARK(BM_host_memcpy_4k);
} // namespace

BENCHMARK_MAIN();
