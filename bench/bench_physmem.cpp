// PhysicalMemory costs: creating a machine must not scale with its RAM size (sparse memfd,
// lazily allocated bitmaps), and a 4 KiB access through the interface should stay close to a
// plain memcpy of 4 KiB, measured in the same run as the baseline.
#include <benchmark/benchmark.h>

#include <array>
#include <cstring>

#include "mm/phys_memory.h"

using namespace kmemu;

namespace {

std::unique_ptr<PhysicalMemory> make(Arch arch, u64 mem, PhysAddr base) {
    auto ram = firmware_ram_map(arch, mem, base);
    if (!ram)
        return nullptr;
    auto pm = PhysicalMemory::create(*ram, {}, 12);
    return pm ? pm.release_value() : nullptr;
}

void BM_create_64MiB(benchmark::State& state) {
    for (auto _ : state)
        benchmark::DoNotOptimize(make(Arch::X86_64, 64 * MiB, PhysAddr(0)));
}
BENCHMARK(BM_create_64MiB);

void BM_create_1TiB(benchmark::State& state) {
    for (auto _ : state)
        benchmark::DoNotOptimize(make(Arch::Arm64, TiB, PhysAddr(0x40000000)));
}
BENCHMARK(BM_create_1TiB);

void BM_memcpy_4KiB_baseline(benchmark::State& state) {
    alignas(64) static std::array<std::byte, 4096> src{}, dst{};
    for (auto _ : state) {
        // Opaque pointers so the copy cannot be folded away.
        std::byte* s = src.data();
        std::byte* d = dst.data();
        benchmark::DoNotOptimize(s);
        benchmark::DoNotOptimize(d);
        std::memcpy(d, s, dst.size());
        benchmark::ClobberMemory();
    }
    state.SetBytesProcessed(static_cast<i64>(state.iterations()) * 4096);
}
BENCHMARK(BM_memcpy_4KiB_baseline);

void BM_write_4KiB(benchmark::State& state) {
    auto pm = make(Arch::X86_64, 64 * MiB, PhysAddr(0));
    alignas(64) static std::array<std::byte, 4096> src{};
    for (auto _ : state) {
        benchmark::DoNotOptimize(pm->write(PhysAddr(0x200000), src));
        benchmark::ClobberMemory();
    }
    state.SetBytesProcessed(static_cast<i64>(state.iterations()) * 4096);
}
BENCHMARK(BM_write_4KiB);

void BM_read_4KiB_written(benchmark::State& state) {
    auto pm = make(Arch::X86_64, 64 * MiB, PhysAddr(0));
    alignas(64) static std::array<std::byte, 4096> buf{};
    (void)pm->write(PhysAddr(0x200000), buf);
    for (auto _ : state) {
        benchmark::DoNotOptimize(pm->read(PhysAddr(0x200000), buf));
        benchmark::ClobberMemory();
    }
    state.SetBytesProcessed(static_cast<i64>(state.iterations()) * 4096);
}
BENCHMARK(BM_read_4KiB_written);

void BM_read_4KiB_untouched(benchmark::State& state) {
    auto pm = make(Arch::X86_64, 64 * MiB, PhysAddr(0));
    alignas(64) static std::array<std::byte, 4096> buf{};
    for (auto _ : state) {
        benchmark::DoNotOptimize(pm->read(PhysAddr(0x300000), buf));
        benchmark::ClobberMemory();
    }
    state.SetBytesProcessed(static_cast<i64>(state.iterations()) * 4096);
}
BENCHMARK(BM_read_4KiB_untouched);

} // namespace

BENCHMARK_MAIN();
