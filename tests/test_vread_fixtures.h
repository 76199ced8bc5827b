// Fixtures for the vread/vwrite tests: a page-table stand-in (VA page -> frame -> bytes), the
// scenes the cases run on, and the buffer checker.
//
// Main scene (x86_64, every era; areas placed by hand so the geometry is era-independent):
//   A1 V1 = 0xffffc90000100000 size 0x3000 vmalloc: page 0 'A', page 1 'B', guard V1+0x2000
//   A2 V2 = 0xffffc90000200000 size 0x2000 ioremap: device page of 0x5a bytes (pfn 0xfec00)
//   A3 V3 = 0xffffc90000300000 size 0x4000 vmalloc: 'C', page 1 NOT mapped, 'E'
//   A4 V4 = 0xffffc90000400000 size 0x2000 vmalloc: 'F'
//   A5 V5 = V4 + 0x2000        size 0x2000 vmalloc: 'G' (right after A4's guard page)
//   A6 V6 = 0xffffc90000500000 size 0x2000 vmalloc: 'H' (the last vm area)
//   R1 VR = 0xffffc90000600000 size 0x2000 vm_map_ram (no vm_struct, no guard): 'R', 'S'
//        (only where vm_map_ram exists, 2.6.28+)
// Untouched buffer bytes stay kSentinel.
#pragma once

#include <catch2/catch.hpp>

#include <array>
#include <map>
#include <string>
#include <vector>

#include "mm/kernel_version.h"
#include "mm/vmalloc/vread.h"
#include "test_vmap_fixtures.h"

namespace kmemu::test {

constexpr u64 V1 = 0xffffc90000100000;
constexpr u64 V2 = 0xffffc90000200000;
constexpr u64 V3 = 0xffffc90000300000;
constexpr u64 V4 = 0xffffc90000400000;
constexpr u64 V5 = V4 + 0x2000;
constexpr u64 V6 = 0xffffc90000500000;
constexpr u64 VR = 0xffffc90000600000;
constexpr u64 P = 0x1000;
constexpr u8 kSentinel = 0xee;

// Page tables + frames: a VA page maps to a pfn, a pfn owns 4096 bytes.
class MapBacking : public VreadBacking {
  public:
    void map(u64 va, u64 pfn, u8 fill) {
        m_pte[va & ~(P - 1)] = pfn;
        m_frames[pfn].fill(fill);
    }
    [[nodiscard]] std::optional<Pfn> frame_of(VirtAddr va) const override {
        auto it = m_pte.find(va.get() & ~(P - 1));
        if (it == m_pte.end())
            return std::nullopt;
        return Pfn(it->second);
    }
    [[nodiscard]] ErrorOr<void> read_frame(Pfn pfn, u64 offset, std::span<u8> out) const override {
        REQUIRE(offset + out.size() <= P);
        const auto& f = m_frames.at(pfn.get());
        std::copy(f.begin() + static_cast<long>(offset),
                  f.begin() + static_cast<long>(offset + out.size()), out.begin());
        return {};
    }
    [[nodiscard]] ErrorOr<void> write_frame(Pfn pfn, u64 offset, std::span<const u8> in) override {
        REQUIRE(offset + in.size() <= P);
        auto& f = m_frames.at(pfn.get());
        std::copy(in.begin(), in.end(), f.begin() + static_cast<long>(offset));
        return {};
    }
    // Byte at a mapped VA (test inspection).
    [[nodiscard]] u8 at(u64 va) const { return m_frames.at(m_pte.at(va & ~(P - 1)))[va & (P - 1)]; }
    [[nodiscard]] const std::map<u64, u64>& ptes() const { return m_pte; }

  private:
    std::map<u64, u64> m_pte;
    std::map<u64, std::array<u8, 4096>> m_frames;
};

inline VmArea area(u64 addr, u64 size, u32 flags) {
    VmArea a;
    a.addr = VirtAddr(addr);
    a.size = size;
    a.flags = flags;
    a.nr_pages = static_cast<unsigned>(size / P - 1);
    return a;
}

struct Scene {
    VmapSpace space;
    MapBacking backing;
    std::vector<VmapRamArea> vmap_ram;
};

inline Scene main_scene(const char* kernel) {
    Scene s{space_for(kernel, Arch::X86_64), {}, {}};
    REQUIRE_FALSE(s.space.add_boot_area(area(V1, 0x3000, VmAlloc)).is_error());
    REQUIRE_FALSE(s.space.add_boot_area(area(V2, 0x2000, VmIoremap)).is_error());
    REQUIRE_FALSE(s.space.add_boot_area(area(V3, 0x4000, VmAlloc)).is_error());
    REQUIRE_FALSE(s.space.add_boot_area(area(V4, 0x2000, VmAlloc)).is_error());
    REQUIRE_FALSE(s.space.add_boot_area(area(V5, 0x2000, VmAlloc)).is_error());
    REQUIRE_FALSE(s.space.add_boot_area(area(V6, 0x2000, VmAlloc)).is_error());
    s.backing.map(V1, 0x1001, 'A');
    s.backing.map(V1 + P, 0x1002, 'B');
    s.backing.map(V2, 0xfec00, 0x5a);
    s.backing.map(V3, 0x1003, 'C');
    s.backing.map(V3 + 2 * P, 0x1005, 'E');
    s.backing.map(V4, 0x1006, 'F');
    s.backing.map(V5, 0x1007, 'G');
    s.backing.map(V6, 0x1008, 'H');
    if (s.space.rules().has_vm_map_ram) {
        s.vmap_ram.push_back({VirtAddr(VR), 0x2000});
        s.backing.map(VR, 0x1009, 'R');
        s.backing.map(VR + P, 0x100a, 'S');
    }
    return s;
}

// The behaviour classes of §3.5, and the versions each test runs on.
enum class Era {
    E1,  // 2.6.24, 2.6.31: byte-wise, no tail fill
    Z,   // 2.6.32-5.10: aligned, ioremap holes, 0 or count with tail zeroed
    P61, // 6.1: Z plus the lookup before the walk
    P63, // 6.3: P61 plus vm_map_ram areas read
    I,   // 6.13: vread_iter
};
struct EraVersion {
    Era era;
    const char* kernel;
};
inline const std::vector<EraVersion>& all_versions() {
    static const std::vector<EraVersion> v = {
        {Era::E1, "2.6.24"}, {Era::E1, "2.6.31"}, {Era::Z, "2.6.32"}, {Era::Z, "3.6"},
        {Era::Z, "3.10"},    {Era::Z, "4.4"},     {Era::Z, "4.19"},   {Era::Z, "5.10"},
        {Era::P61, "6.1"},   {Era::P63, "6.3"},   {Era::I, "6.13"}};
    return v;
}

// Expected buffer: runs of one byte value, covering [0, count); bytes after count (the test
// gives the call 16 more) must stay kSentinel.
struct Run {
    u64 len;
    u8 byte;
};
struct Expect {
    i64 ret = 0;
    std::vector<Run> runs;
    VreadEnd end = VreadEnd::Returned;
    u64 fault_addr = 0;
};

inline std::vector<u8> expand(const std::vector<Run>& runs) {
    std::vector<u8> out;
    for (const Run& r : runs)
        out.insert(out.end(), r.len, r.byte);
    return out;
}

// Runs vread on the scene and compares return, end and every byte of the buffer.
inline void check_vread(Scene& s, u64 addr, u64 count, const Expect& e) {
    std::vector<u8> buf(count + 16, kSentinel);
    auto r = vread(s.space, s.backing, buf, VirtAddr(addr), count, s.vmap_ram);
    REQUIRE_FALSE(r.is_error());
    CHECK(r->ret == e.ret);
    CHECK(r->end == e.end);
    if (e.end == VreadEnd::Oops)
        CHECK(r->fault_addr.get() == e.fault_addr);
    std::vector<u8> want = expand(e.runs);
    REQUIRE(want.size() == count);
    want.insert(want.end(), 16, kSentinel);
    // Compare as runs of mismatch for a readable failure.
    size_t first_bad = want.size();
    for (size_t i = 0; i < want.size(); ++i)
        if (buf[i] != want[i]) {
            first_bad = i;
            break;
        }
    INFO("first differing byte at buffer offset " << first_bad);
    CHECK(first_bad == want.size());
}

} // namespace kmemu::test
