// read(2) of 1 MiB from the emulated /dev/zero (kernel 6.1, x86_64: read_zero's PAGE_SIZE
// clear_user chunks into the process's user memory), against the host's own /dev/zero read of
// 1 MiB in the same run. BM_DevZeroRatio times both alternately and reports emulated/host.
//
// The user memory is the test suite's FakeUserMemory until the real user mm lands; its
// byte-wise page-map lookups dominate the emulated cost.
#include <chrono>
#include <fcntl.h>
#include <unistd.h>
#include <vector>

#include <benchmark/benchmark.h>

#include "../tests/fake_user_memory.h"
#include "emu/machine.h"

using namespace kmemu;

namespace {

constexpr u64 kBuf = 0x100000;

struct EmulatedZero {
    std::unique_ptr<Machine> machine;
    Process* proc = nullptr;
    int fd = -1;
    EmulatedZero() {
        MachineConfig c;
        c.arch = Arch::X86_64;
        c.kernel = KernelVersion{6, 1, 0};
        machine = Machine::boot(c).release_value();
        proc = &machine->spawn({"bench", Cred::user(1000, 1000)});
        auto mem = std::make_unique<test::FakeUserMemory>();
        mem->map(kBuf, MiB, 0xaa);
        proc->set_user_memory(std::move(mem));
        fd = static_cast<int>(proc->open("/dev/zero", oflag::kRdonly));
    }
    long read_1mib() { return proc->read(fd, VirtAddr(kBuf), MiB); }
};

struct HostZero {
    int fd = ::open("/dev/zero", O_RDONLY);
    std::vector<char> buf = std::vector<char>(MiB);
    ~HostZero() {
        if (fd >= 0)
            ::close(fd);
    }
    long read_1mib() { return static_cast<long>(::read(fd, buf.data(), buf.size())); }
};

void BM_EmulatedDevZero1MiB(benchmark::State& state) {
    EmulatedZero z;
    for (auto _ : state) {
        long n = z.read_1mib();
        benchmark::DoNotOptimize(n);
        if (n != static_cast<long>(MiB))
            state.SkipWithError("emulated /dev/zero read came up short");
    }
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(MiB));
}
BENCHMARK(BM_EmulatedDevZero1MiB)->Unit(benchmark::kMicrosecond);

void BM_HostDevZero1MiB(benchmark::State& state) {
    HostZero h;
    if (h.fd < 0) {
        state.SkipWithError("host /dev/zero cannot be opened");
        return;
    }
    for (auto _ : state) {
        long n = h.read_1mib();
        benchmark::DoNotOptimize(n);
        benchmark::ClobberMemory();
    }
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(MiB));
}
BENCHMARK(BM_HostDevZero1MiB)->Unit(benchmark::kMicrosecond);

// Both reads each iteration; the iteration time is the emulated read's.
void BM_DevZeroRatio(benchmark::State& state) {
    EmulatedZero z;
    HostZero h;
    if (h.fd < 0) {
        state.SkipWithError("host /dev/zero cannot be opened");
        return;
    }
    using clock = std::chrono::steady_clock;
    double emulated_s = 0, host_s = 0;
    for (auto _ : state) {
        const auto t0 = clock::now();
        long a = z.read_1mib();
        const auto t1 = clock::now();
        long b = h.read_1mib();
        const auto t2 = clock::now();
        benchmark::DoNotOptimize(a);
        benchmark::DoNotOptimize(b);
        const double e = std::chrono::duration<double>(t1 - t0).count();
        emulated_s += e;
        host_s += std::chrono::duration<double>(t2 - t1).count();
        state.SetIterationTime(e);
    }
    const double n = static_cast<double>(state.iterations());
    state.counters["emulated_us"] = emulated_s / n * 1e6;
    state.counters["host_us"] = host_s / n * 1e6;
    state.counters["emulated_over_host"] = host_s > 0 ? emulated_s / host_s : 0;
}
BENCHMARK(BM_DevZeroRatio)->UseManualTime()->Unit(benchmark::kMicrosecond);

} // namespace

BENCHMARK_MAIN();
