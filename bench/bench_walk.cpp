// A full page-table walk per format on a SparseTableMemory, next to a memcpy of the bytes the
// walk reads (levels x entry size) as the floor. Target: a 4-level x86_64 walk within 60 ns.
#include <benchmark/benchmark.h>

#include <cstring>

#include "mm/paging/walk.h"

using namespace kmemu;
using namespace kmemu::paging;

namespace {

constexpr Access kRead{AccessType::Read, Privilege::Supervisor};

struct Setup {
    SparseTableMemory mem{{{0, 1 * GiB}}};
    MmuState mmu;
    u64 va = 0;
};

// x86_64: VA 0xffff888000001000 -> PML4 273, 0, 0, PT 1 (as in test_paging_walk_x86.cpp).
Setup x86_64_setup() {
    Setup s;
    s.mem.put64(PhysAddr(0x1000 + 273 * 8), 0x2000 | x86::_KERNPG_TABLE);
    s.mem.put64(PhysAddr(0x2000), 0x3000 | x86::_KERNPG_TABLE);
    s.mem.put64(PhysAddr(0x3000), 0x4000 | x86::_KERNPG_TABLE);
    s.mem.put64(PhysAddr(0x4008), 0x12345000 | x86::__PAGE_KERNEL);
    s.mmu.root = PhysAddr(0x1000);
    s.va = 0xffff888000001234ull;
    return s;
}
// i386: VA 0xc0101000 -> PDE 768, PTE 257.
Setup i386_setup() {
    Setup s;
    s.mem.put32(PhysAddr(0x1000 + 768 * 4), 0x2000 | x86::_KERNPG_TABLE);
    s.mem.put32(PhysAddr(0x2000 + 257 * 4), 0x101000 | 0x163);
    s.mmu.root = PhysAddr(0x1000);
    s.mmu.phys_bits = 32;
    s.va = 0xc0101234;
    return s;
}
// PAE: VA 0xc0201000 -> PDPTE 3, PDE 1, PTE 1.
Setup pae_setup() {
    Setup s;
    s.mem.put64(PhysAddr(0x1000 + 3 * 8), 0x2000 | x86::PAE_PDPTE_PRESENT);
    s.mem.put64(PhysAddr(0x2008), 0x3000 | x86::_KERNPG_TABLE);
    s.mem.put64(PhysAddr(0x3008), 0xabc000 | x86::__PAGE_KERNEL);
    s.mmu.root = PhysAddr(0x1000);
    s.va = 0xc0201234;
    return s;
}
// arm64 4K/48: VA 0xffff800008000000 -> L0 256, L1 0, L2 64, L3 0, through TTBR1.
Setup arm64_setup() {
    Setup s;
    s.mem.put64(PhysAddr(0x10000 + 256 * 8), 0x11003);
    s.mem.put64(PhysAddr(0x11000), 0x12003);
    s.mem.put64(PhysAddr(0x12000 + 64 * 8), 0x13003);
    s.mem.put64(PhysAddr(0x13000), 0x0060000040000703ull);
    s.mmu.root_high = PhysAddr(0x10000);
    s.mmu.phys_bits = 48;
    s.va = 0xffff800008000234ull;
    return s;
}
// ARM short: VA 0x00010000 -> L1 0 (coarse table 0x8000, domain 1), L2 0x10.
Setup arm_short_setup() {
    Setup s;
    s.mem.put32(PhysAddr(0x4000), 0x8031);
    s.mem.put32(PhysAddr(0x8000 + 0x10 * 4), 0x70000833);
    s.mmu.root = PhysAddr(0x4000);
    s.mmu.phys_bits = 32;
    s.va = 0x10234;
    return s;
}

// walk_into: the record is the caller's (as the TLB fill will hold it).
void run_walk(benchmark::State& state, const PagingFormat& fmt, Setup s, WalkMode mode) {
    WalkRecord rec;
    for (auto _ : state) {
        auto r = walk_into(rec, fmt, s.mem, s.mmu, VirtAddr(s.va), kRead, mode);
        benchmark::DoNotOptimize(r);
        benchmark::DoNotOptimize(rec);
    }
    if (walk_into(rec, fmt, s.mem, s.mmu, VirtAddr(s.va), kRead, mode).is_error() || !rec.ok())
        state.SkipWithError("walk did not translate");
}

// The floor: copying the bytes the walk loads.
void run_memcpy(benchmark::State& state, std::size_t bytes) {
    alignas(64) u8 src[64] = {1, 2, 3};
    alignas(64) u8 dst[64];
    for (auto _ : state) {
        benchmark::DoNotOptimize(src);
        std::memcpy(dst, src, bytes);
        benchmark::DoNotOptimize(dst);
    }
}

void BM_walk_x86_64(benchmark::State& st) {
    run_walk(st, kX86_64, x86_64_setup(), WalkMode::Inspection);
}
void BM_walk_x86_64_architectural(benchmark::State& st) {
    run_walk(st, kX86_64, x86_64_setup(), WalkMode::Architectural);
}
// walk(): the same walk returning the record by value.
void BM_walk_x86_64_by_value(benchmark::State& st) {
    Setup s = x86_64_setup();
    for (auto _ : st) {
        auto r = walk(kX86_64, s.mem, s.mmu, VirtAddr(s.va), kRead, WalkMode::Inspection);
        benchmark::DoNotOptimize(r);
    }
}
void BM_walk_i386(benchmark::State& st) {
    run_walk(st, kI386, i386_setup(), WalkMode::Inspection);
}
void BM_walk_i386_pae(benchmark::State& st) {
    run_walk(st, kI386Pae, pae_setup(), WalkMode::Inspection);
}
void BM_walk_arm64_4k_48(benchmark::State& st) {
    run_walk(st, kArm64_4K_48, arm64_setup(), WalkMode::Inspection);
}
void BM_walk_arm_short(benchmark::State& st) {
    run_walk(st, kArmShort, arm_short_setup(), WalkMode::Inspection);
}
void BM_memcpy_4x8(benchmark::State& st) {
    run_memcpy(st, 4 * 8);
}
void BM_memcpy_3x8(benchmark::State& st) {
    run_memcpy(st, 3 * 8);
}
void BM_memcpy_2x4(benchmark::State& st) {
    run_memcpy(st, 2 * 4);
}

} // namespace

BENCHMARK(BM_walk_x86_64);
BENCHMARK(BM_walk_x86_64_architectural);
BENCHMARK(BM_walk_x86_64_by_value);
BENCHMARK(BM_memcpy_4x8); // baseline for x86_64 and arm64 4K/48
BENCHMARK(BM_walk_i386);
BENCHMARK(BM_walk_arm_short);
BENCHMARK(BM_memcpy_2x4); // baseline for i386 and ARM short
BENCHMARK(BM_walk_i386_pae);
BENCHMARK(BM_memcpy_3x8); // baseline for PAE
BENCHMARK(BM_walk_arm64_4k_48);
BENCHMARK_MAIN();
