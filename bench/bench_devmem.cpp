// read(2) of 1 MiB from /dev/mem (lowmem, strict_devmem=off so the bytes are real RAM) and from
// /dev/kmem (a 1 MiB vmalloc area), against the host's own read of 1 MiB from /dev/zero in the
// same run. Each emulated benchmark reports `vs_host_dev_zero`: its time per read divided by the
// host's.
#include <algorithm>
#include <chrono>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>
#include <vector>

#include <benchmark/benchmark.h>

#include "emu/machine.h"
#include "mm/uaccess.h"

using namespace kmemu;

namespace {

// One flat mapped range of user memory (memcpy speed), the rest faults.
class FlatUserMemory final : public UserAccess {
  public:
    FlatUserMemory(u64 base, u64 len) : m_base(base), m_bytes(len) {}
    bool access_ok(VirtAddr addr, u64 size) const override {
        const u64 a = addr.get();
        return a + size >= a && a + size <= 0x7ffffffff000ULL;
    }
    u64 raw_copy_to_user(VirtAddr to, std::span<const u8> from) override {
        const u64 n = inside(to.get(), from.size());
        std::memcpy(m_bytes.data() + (to.get() - m_base), from.data(), n);
        return from.size() - n;
    }
    u64 raw_copy_from_user(std::span<u8> to, VirtAddr from) override {
        const u64 n = inside(from.get(), to.size());
        std::memcpy(to.data(), m_bytes.data() + (from.get() - m_base), n);
        return to.size() - n;
    }
    u64 raw_clear_user(VirtAddr to, u64 n) override {
        const u64 k = inside(to.get(), n);
        std::memset(m_bytes.data() + (to.get() - m_base), 0, k);
        return n - k;
    }

  private:
    u64 inside(u64 a, u64 n) const {
        if (a < m_base || a >= m_base + m_bytes.size())
            return 0;
        return std::min<u64>(n, m_base + m_bytes.size() - a);
    }
    u64 m_base;
    std::vector<u8> m_bytes;
};

constexpr u64 kBuf = 0x10000000;

// Nanoseconds of one host read(2) of 1 MiB from /dev/zero (best of 20).
double host_dev_zero_ns() {
    static const double ns = [] {
        std::vector<char> buf(MiB);
        const int fd = ::open("/dev/zero", O_RDONLY);
        double best = 1e18;
        for (int i = 0; i < 20 && fd >= 0; ++i) {
            const auto t0 = std::chrono::steady_clock::now();
            const ssize_t n = ::read(fd, buf.data(), buf.size());
            const auto t1 = std::chrono::steady_clock::now();
            benchmark::DoNotOptimize(n);
            best = std::min(best, std::chrono::duration<double, std::nano>(t1 - t0).count());
        }
        if (fd >= 0)
            ::close(fd);
        return best;
    }();
    return ns;
}

struct Rig {
    std::unique_ptr<Machine> m;
    Process* p = nullptr;
    int fd = -1;
};

Rig make_rig(const char* dev, std::vector<std::string> words) {
    Rig r;
    auto c = parse_config_words(words).release_value();
    r.m = Machine::boot(c).release_value();
    r.p = &r.m->spawn({"bench", Cred::root()});
    r.p->set_user_memory(std::make_unique<FlatUserMemory>(kBuf, MiB));
    r.fd = static_cast<int>(r.p->open(dev, oflag::kRdonly));
    return r;
}

void run(benchmark::State& state, Rig& r, u64 pos) {
    double total_ns = 0;
    for (auto _ : state) {
        const auto t0 = std::chrono::steady_clock::now();
        (void)r.p->lseek(r.fd, static_cast<i64>(pos), kSeekSet);
        const long n = r.p->read(r.fd, VirtAddr(kBuf), MiB);
        const auto t1 = std::chrono::steady_clock::now();
        if (n != static_cast<long>(MiB))
            state.SkipWithError("short read");
        total_ns += std::chrono::duration<double, std::nano>(t1 - t0).count();
    }
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(MiB));
    if (state.iterations() > 0)
        state.counters["vs_host_dev_zero"] =
            total_ns / static_cast<double>(state.iterations()) / host_dev_zero_ns();
}

void BM_DevMemRead1MiB(benchmark::State& state) {
    Rig r = make_rig("/dev/mem", {"arch=x86_64", "kernel=6.1", "mem=1G", "strict_devmem=off"});
    run(state, r, 16 * MiB);
}
BENCHMARK(BM_DevMemRead1MiB)->Unit(benchmark::kMicrosecond);

void BM_DevKmemRead1MiB(benchmark::State& state) {
    Rig r = make_rig("/dev/kmem", {"arch=x86_64", "kernel=5.10", "mem=1G"});
    const VirtAddr area = r.m->vmalloc().vmalloc(MiB, "bench");
    run(state, r, area.get());
}
BENCHMARK(BM_DevKmemRead1MiB)->Unit(benchmark::kMicrosecond);

void BM_HostDevZeroRead1MiB(benchmark::State& state) {
    std::vector<char> buf(MiB);
    const int fd = ::open("/dev/zero", O_RDONLY);
    for (auto _ : state) {
        const ssize_t n = ::read(fd, buf.data(), buf.size());
        benchmark::DoNotOptimize(n);
    }
    ::close(fd);
    state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(MiB));
}
BENCHMARK(BM_HostDevZeroRead1MiB)->Unit(benchmark::kMicrosecond);

} // namespace

BENCHMARK_MAIN();
