// The MMU access path: TLB-hit 8-byte loads and stores, a miss + architectural walk per format,
// a 4 KiB bulk read through the MMU, each next to the host doing the same bytes (a plain 8-byte
// load/store, a 4 KiB memcpy) as the baseline in the same run. Target: a TLB-hit load within
// 5 ns.
#include <benchmark/benchmark.h>

#include <cstring>
#include <memory>
#include <vector>

#include "mm/mmu/address_space_mmu.h"
#include "mm/paging/phys_table_memory.h"
#include "mm/paging/x86_entry.h"

using namespace kmemu;
using namespace kmemu::mmu;
using kmemu::paging::DescriptorWidth;
using kmemu::paging::MmuState;
using kmemu::paging::PagingFormat;

namespace {

constexpr paging::Access kRead{AccessType::Read, Privilege::Supervisor};

struct Bench {
    std::unique_ptr<PhysicalMemory> phys;
    std::unique_ptr<paging::PhysTableMemory> tables;
    std::unique_ptr<MmuRegistry> registry;
    std::unique_ptr<AddressSpaceMmu> mmu;
    u64 va = 0;

    Bench() {
        RamMap map;
        map.ranges = {{PhysAddr(0), PhysAddr(64 * MiB), RamType::Usable, {}}};
        phys = PhysicalMemory::create(map, {}, 12).release_value();
        tables = std::make_unique<paging::PhysTableMemory>(*phys);
        registry = std::make_unique<MmuRegistry>(*phys);
    }
    void put(u64 pa, u64 value, DescriptorWidth w) {
        phys->watch_frame(Pfn(pa >> 12));
        (void)tables->store_descriptor(PhysAddr(pa), w, value);
    }
    void put64(u64 pa, u64 value) { put(pa, value, DescriptorWidth::Bytes8); }
    void put32(u64 pa, u64 value) { put(pa, value, DescriptorWidth::Bytes4); }
    void start(const PagingFormat& fmt, const MmuState& s, u64 at, u64 data_pa) {
        mmu = AddressSpaceMmu::create(*registry, fmt, s).release_value();
        va = at;
        // Written data frame: the hit path serves it from its host pointer, not the zero page.
        for (u64 off = 0; off < 4096; off += 8)
            (void)phys->write_u64(PhysAddr(data_pa + off), off * 0x0101010101010101ull);
    }
};

// VA 0xffff888000001000 -> PML4 273, PDPT 0, PD 0, PT 1 -> PA 0x200000 (as bench_walk.cpp).
std::unique_ptr<Bench> x86_64() {
    auto b = std::make_unique<Bench>();
    using namespace paging::x86;
    b->put64(0x1000 + 273 * 8, 0x2000 | _KERNPG_TABLE);
    b->put64(0x2000, 0x3000 | _KERNPG_TABLE);
    b->put64(0x3000, 0x4000 | _KERNPG_TABLE);
    b->put64(0x4008, 0x200000 | __PAGE_KERNEL);
    MmuState s;
    s.root = PhysAddr(0x1000);
    b->start(paging::kX86_64, s, 0xffff888000001000ull, 0x200000);
    return b;
}
// VA 0xc0101000 -> PDE 768, PTE 257 -> PA 0x200000.
std::unique_ptr<Bench> i386() {
    auto b = std::make_unique<Bench>();
    b->put32(0x1000 + 768 * 4, 0x2000 | paging::x86::_KERNPG_TABLE);
    b->put32(0x2000 + 257 * 4, 0x200000 | 0x163);
    MmuState s;
    s.root = PhysAddr(0x1000);
    s.phys_bits = 32;
    b->start(paging::kI386, s, 0xc0101000, 0x200000);
    return b;
}
// VA 0xc0201000 -> PDPTE 3, PDE 1, PTE 1 -> PA 0x200000.
std::unique_ptr<Bench> pae() {
    auto b = std::make_unique<Bench>();
    b->put64(0x1000 + 3 * 8, 0x2000 | paging::x86::PAE_PDPTE_PRESENT);
    b->put64(0x2008, 0x3000 | paging::x86::_KERNPG_TABLE);
    b->put64(0x3008, 0x200000 | paging::x86::__PAGE_KERNEL);
    MmuState s;
    s.root = PhysAddr(0x1000);
    b->start(paging::kI386Pae, s, 0xc0201000, 0x200000);
    return b;
}
// VA 0xffff800008000000 -> L0 256, L1 0, L2 64, L3 0 through TTBR1 -> PA 0x200000.
std::unique_ptr<Bench> arm64() {
    auto b = std::make_unique<Bench>();
    b->put64(0x10000 + 256 * 8, 0x11003);
    b->put64(0x11000, 0x12003);
    b->put64(0x12000 + 64 * 8, 0x13003);
    b->put64(0x13000, 0x0060000000200703ull);
    MmuState s;
    s.root_high = PhysAddr(0x10000);
    s.phys_bits = 48;
    b->start(paging::kArm64_4K_48, s, 0xffff800008000000ull, 0x200000);
    return b;
}
// VA 0xc0010000: L1 0xc00 (at 0x7000) -> coarse table 0x8000, L2 0x10 -> small page PA
// 0x200000 (AP 01 kernel RW).
std::unique_ptr<Bench> arm_short() {
    auto b = std::make_unique<Bench>();
    b->put32(0x7000, 0x8000 | 0x01);
    b->put32(0x8000 + 0x10 * 4, 0x200000 | 0x12);
    MmuState s;
    s.root = PhysAddr(0x4000);
    b->start(paging::kArmShort, s, 0xc0010000, 0x200000);
    return b;
}

void BM_TlbHitLoad64(benchmark::State& st) {
    auto b = x86_64();
    AddressSpaceMmu& mmu = *b->mmu;
    const VirtAddr va(b->va + 0x40);
    (void)mmu.load<u64>(va, kRead);
    for (auto _ : st) {
        auto r = mmu.load<u64>(va, kRead);
        benchmark::DoNotOptimize(r);
    }
    st.counters["walks"] = static_cast<double>(mmu.stats().walks);
}
BENCHMARK(BM_TlbHitLoad64);

void BM_TlbHitStore64(benchmark::State& st) {
    auto b = x86_64();
    AddressSpaceMmu& mmu = *b->mmu;
    const VirtAddr va(b->va + 0x40);
    u64 v = 0;
    (void)mmu.store<u64>(va, v, Privilege::Supervisor);
    for (auto _ : st) {
        auto r = mmu.store<u64>(va, ++v, Privilege::Supervisor);
        benchmark::DoNotOptimize(r);
        benchmark::ClobberMemory();
    }
    st.counters["walks"] = static_cast<double>(mmu.stats().walks);
}
BENCHMARK(BM_TlbHitStore64);

// The baselines: an 8-byte load and store from a host buffer the compiler cannot fold away.
void BM_HostLoad64(benchmark::State& st) {
    std::vector<u64> buf(512, 7);
    u64* p = buf.data() + 8;
    benchmark::DoNotOptimize(p);
    for (auto _ : st) {
        u64 x;
        std::memcpy(&x, p, 8);
        benchmark::DoNotOptimize(x);
    }
}
BENCHMARK(BM_HostLoad64);

void BM_HostStore64(benchmark::State& st) {
    std::vector<u64> buf(512, 7);
    u64* p = buf.data() + 8;
    benchmark::DoNotOptimize(p);
    u64 v = 0;
    for (auto _ : st) {
        ++v;
        std::memcpy(p, &v, 8);
        benchmark::ClobberMemory();
    }
}
BENCHMARK(BM_HostStore64);

// Miss + walk: flush_tlb_page before each load, so every load walks and fills.
void run_miss(benchmark::State& st, std::unique_ptr<Bench> b) {
    AddressSpaceMmu& mmu = *b->mmu;
    const VirtAddr va(b->va + 0x40);
    for (auto _ : st) {
        mmu.flush_tlb_page(va);
        auto r = mmu.load<u64>(va, kRead);
        benchmark::DoNotOptimize(r);
    }
    if (mmu.stats().walks != mmu.stats().misses || mmu.stats().faults != 0)
        st.SkipWithError("the walk did not translate");
}
void BM_MissWalk_x86_64(benchmark::State& st) {
    run_miss(st, x86_64());
}
void BM_MissWalk_i386(benchmark::State& st) {
    run_miss(st, i386());
}
void BM_MissWalk_pae(benchmark::State& st) {
    run_miss(st, pae());
}
void BM_MissWalk_arm64_4k48(benchmark::State& st) {
    run_miss(st, arm64());
}
void BM_MissWalk_arm_short(benchmark::State& st) {
    run_miss(st, arm_short());
}
BENCHMARK(BM_MissWalk_x86_64);
BENCHMARK(BM_MissWalk_i386);
BENCHMARK(BM_MissWalk_pae);
BENCHMARK(BM_MissWalk_arm64_4k48);
BENCHMARK(BM_MissWalk_arm_short);

void BM_BulkRead4K(benchmark::State& st) {
    auto b = x86_64();
    AddressSpaceMmu& mmu = *b->mmu;
    std::vector<std::byte> out(4096);
    for (auto _ : st) {
        auto r = mmu.read(VirtAddr(b->va), out, kRead);
        benchmark::DoNotOptimize(r);
        benchmark::ClobberMemory();
    }
    st.SetBytesProcessed(static_cast<int64_t>(st.iterations()) * 4096);
}
BENCHMARK(BM_BulkRead4K);

void BM_HostMemcpy4K(benchmark::State& st) {
    auto b = x86_64();
    const std::byte* src = b->phys->host_frame(Pfn(0x200), kmemu::Access::Read);
    std::vector<std::byte> out(4096);
    benchmark::DoNotOptimize(src);
    for (auto _ : st) {
        std::memcpy(out.data(), src, 4096);
        benchmark::ClobberMemory();
    }
    st.SetBytesProcessed(static_cast<int64_t>(st.iterations()) * 4096);
}
BENCHMARK(BM_HostMemcpy4K);

} // namespace

BENCHMARK_MAIN();
