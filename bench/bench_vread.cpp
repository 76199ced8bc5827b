// vread of 1 MiB across vmalloc areas (the /dev/kmem high path), against a host memcpy of
// 1 MiB in the same run.
#include <cstring>
#include <vector>

#include <benchmark/benchmark.h>

#include "emu/machine.h"
#include "mm/vmalloc/vread.h"

using namespace kmemu;

namespace {

std::unique_ptr<Machine> machine_with_areas(std::vector<VirtAddr>& areas) {
    MachineConfig c;
    c.arch = Arch::X86_64;
    c.kernel = KernelVersion{6, 1, 0};
    c.mem_bytes = 1 * GiB;
    auto m = Machine::boot(c).release_value();
    // 16 areas of 64 KiB: with guard pages 1 MiB of reads covers them and their holes.
    for (int i = 0; i < 16; ++i)
        areas.push_back(m->vmalloc().vmalloc(64 * KiB, "bench"));
    return m;
}

void BM_Vread1MiB(benchmark::State& state) {
    std::vector<VirtAddr> areas;
    auto m = machine_with_areas(areas);
    std::vector<u8> buf(MiB);
    for (auto _ : state) {
        auto plan = vread(m->vmap_space(), m->vread_backing(), buf, areas.front(), MiB);
        benchmark::DoNotOptimize(plan);
    }
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(MiB));
}
BENCHMARK(BM_Vread1MiB)->Unit(benchmark::kMicrosecond);

void BM_HostMemcpy1MiB(benchmark::State& state) {
    std::vector<u8> src(MiB, 1), dst(MiB);
    for (auto _ : state) {
        std::memcpy(dst.data(), src.data(), MiB);
        benchmark::ClobberMemory();
    }
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(MiB));
}
BENCHMARK(BM_HostMemcpy1MiB)->Unit(benchmark::kMicrosecond);

} // namespace

BENCHMARK_MAIN();
