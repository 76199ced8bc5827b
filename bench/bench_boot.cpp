// Boot cost as RAM grows: booting must not depend on the amount of RAM (sparse frames, lazy
// memmap sections, lazy buddy free lists). Baseline: constructing the MachineConfig alone.
#include <benchmark/benchmark.h>

#include "emu/machine.h"

using namespace kmemu;

namespace {

MachineConfig config_for(Arch arch, u64 mem) {
    MachineConfig c;
    c.arch = arch;
    c.kernel = KernelVersion{6, 1, 0};
    c.mem_bytes = mem;
    if (arch == Arch::X86_64)
        c.phys_bits = 46; // 1 TiB plus the PCI hole needs more than QEMU's default 40 bits
    return c;
}

void BM_ConfigOnly(benchmark::State& state) {
    for (auto _ : state) {
        MachineConfig c = config_for(Arch::X86_64, u64(state.range(0)) << 20);
        benchmark::DoNotOptimize(c);
    }
}
BENCHMARK(BM_ConfigOnly)->Arg(64);

void BM_BootX86_64(benchmark::State& state) {
    const u64 mem = u64(state.range(0)) << 20;
    for (auto _ : state) {
        auto m = Machine::boot(config_for(Arch::X86_64, mem));
        if (m.is_error()) {
            state.SkipWithError(m.error().message().c_str());
            break;
        }
        benchmark::DoNotOptimize(m.value().get());
    }
    state.SetLabel(std::to_string(state.range(0)) + " MiB");
}
// 64 MiB, 4 GiB, 64 GiB, 1 TiB.
BENCHMARK(BM_BootX86_64)
    ->Arg(64)
    ->Arg(4096)
    ->Arg(65536)
    ->Arg(1 << 20)
    ->Unit(benchmark::kMicrosecond);

void BM_BootI386(benchmark::State& state) {
    const u64 mem = u64(state.range(0)) << 20;
    for (auto _ : state) {
        auto m = Machine::boot(config_for(Arch::I386Pae, mem));
        if (m.is_error()) {
            state.SkipWithError(m.error().message().c_str());
            break;
        }
        benchmark::DoNotOptimize(m.value().get());
    }
}
BENCHMARK(BM_BootI386)->Arg(64)->Arg(16384)->Unit(benchmark::kMicrosecond);

} // namespace

BENCHMARK_MAIN();
