// vwrite on the main scene (test_vread_fixtures.h) in every version that has it (E1 2.6.24,
// 2.6.31; Z 2.6.32-5.10), checking the return value and every byte of every mapped page.
// Rules (§3.5): E1 holes skipped, every area body stored byte-wise (ioremap too, an unmapped
// page oopses), return = bytes processed. Z: clamp then buflen; holes, ioremap bodies and
// absent pages skipped; return 0 unless a non-ioremap area body was reached, else buflen.
#include "test_vread_fixtures.h"

using namespace kmemu;
using namespace kmemu::test;

namespace {

enum class Before { Nothing, FreeV6, FreeV4 };

struct Range {
    u64 va;
    u64 len;
};
struct WExpect {
    i64 ret;
    std::vector<Range> written; // VA ranges that received source bytes
    VreadEnd end = VreadEnd::Returned;
};
struct WRow {
    const char* name;
    u64 addr;
    u64 count;
    Before before;
    WExpect e1, z;
};

u8 src_byte(u64 i) {
    return static_cast<u8>(0x30 + i % 151);
}

// clang-format off
const std::vector<WRow> kWRows = {
    // 1. A1's usable range: both pages stored; 0x2000 processed (E1) / reached (Z).
    {"usable range", V1, 0x2000, Before::Nothing,
     {0x2000, {{V1, 0x2000}}}, {0x2000, {{V1, 0x2000}}}},
    // 2. Hole then area (case 69): the first 100 source bytes are stepped over, V1..V1+99
    //    get source bytes 100..199.
    {"hole -> area", V1 - 100, 200, Before::Nothing,
     {200, {{V1, 100}}}, {200, {{V1, 100}}}},
    // 3. The ioremap area (case 68): E1 stores into the device page; Z skips it and, no other
    //    area reached, returns 0.
    {"VM_IOREMAP area", V2, 100, Before::Nothing,
     {100, {{V2, 100}}}, {0, {}}},
    // 4. A hole below A3: E1 steps over 16 bytes, count runs out -> 16; Z: no area reached -> 0.
    {"hole below an area", V2 + 0x80000, 16, Before::Nothing,
     {16, {}}, {0, {}}},
    // 5. The last vm area's guard: no area with usable end above -> 0 in both.
    {"last area's guard", V6 + P, 16, Before::Nothing,
     {0, {}}, {0, {}}},
    // 6. A3 with its unmapped page: E1 stores page 0 and oopses at V3+0x1000 (0x1000
    //    processed); Z stores pages 0 and 2, skips page 1 (aligned_vwrite), returns 0x3000.
    {"unmapped vmalloc page", V3, 0x3000, Before::Nothing,
     {0x1000, {{V3, P}}, VreadEnd::Oops}, {0x3000, {{V3, P}, {V3 + 2 * P, P}}}},
    // 7. Only the unmapped page: E1 oopses at once (0). Z reaches A3's body (copied++) and
    //    returns 0x10 though nothing was stored.
    {"only the unmapped page", V3 + P, 0x10, Before::Nothing,
     {0, {}, VreadEnd::Oops}, {0x10, {}}},
    // 8. A1 tail, guard, hole, A2, into A2's guard: [V1+0x1f00, V2+0x1f00). E1 stores A1's
    //    last 0x100 bytes and A2's whole usable page (its guard is stepped over in the hole
    //    before A3); Z only A1's, the ioremap is skipped; both return the count 0x100000.
    {"area -> guard -> hole -> ioremap", V1 + 0x1f00, 0x100000, Before::Nothing,
     {0x100000, {{V1 + 0x1f00, 0x100}, {V2, P}}}, {0x100000, {{V1 + 0x1f00, 0x100}}}},
    // 9. Ioremap, hole, 0x10 bytes of A3: Z reaches A3 -> count; E1 stores both.
    {"ioremap -> hole -> vmalloc area", V2, 0x100010, Before::Nothing,
     {0x100010, {{V2, P}, {V3, 0x10}}}, {0x100010, {{V3, 0x10}}}},
    // 10. count 0: nothing.
    {"count 0", V1, 0, Before::Nothing, {0, {}}, {0, {}}},
    // 11. After vfree of the last area: gone from the list -> 0, nothing stored.
    {"after vfree of the last area", V6, 0x10, Before::FreeV6, {0, {}}, {0, {}}},
    // 12. A vm_map_ram area: vwrite walks vm_structs only -> 0 (E1: not even existing).
    {"vm_map_ram area", VR, 0x10, Before::Nothing, {0, {}}, {0, {}}},
    // 13. Across two adjacent areas: A4 page, A4 guard skipped, A5 page.
    {"across two adjacent areas", V4, 0x3000, Before::Nothing,
     {0x3000, {{V4, P}, {V5, P}}}, {0x3000, {{V4, P}, {V5, P}}}},
    // 14. After vfree of A4: its range is a hole, only A5 is stored (source offset 0x2000).
    {"after vfree of a middle area", V4, 0x3000, Before::FreeV4,
     {0x3000, {{V5, P}}}, {0x3000, {{V5, P}}}},
    // 15. Ending exactly at an area start: E1 steps over 0x100 -> 0x100; Z 0.
    {"ending exactly at an area start", V2 - 0x100, 0x100, Before::Nothing,
     {0x100, {}}, {0, {}}},
    // 16. Last area then its guard: E1 0x1000 processed; Z reached -> the whole 0x2000.
    {"last area then its guard", V6, 0x2000, Before::Nothing,
     {0x1000, {{V6, P}}}, {0x2000, {{V6, P}}}},
    // 17. Wrapping 2^64 over an empty top: count clamped to 0x1000, nothing there -> 0.
    {"wrapping 2^64", 0xfffffffffffff000, 0x2000, Before::Nothing, {0, {}}, {0, {}}},
};
// clang-format on

void check_vwrite(Scene& s, const Scene& orig, u64 addr, u64 count, const WExpect& e) {
    std::vector<u8> src(count + 16);
    for (u64 i = 0; i < src.size(); ++i)
        src[i] = src_byte(i);
    auto r = vwrite(s.space, s.backing, src, VirtAddr(addr), count, s.vmap_ram);
    REQUIRE_FALSE(r.is_error());
    CHECK(r->ret == e.ret);
    CHECK(r->end == e.end);
    for (const auto& [page, pfn] : orig.backing.ptes()) {
        for (u64 o = 0; o < P; ++o) {
            const u64 va = page + o;
            u8 want = orig.backing.at(va);
            for (const Range& w : e.written)
                if (va >= w.va && va - w.va < w.len)
                    want = src_byte(va - addr);
            if (s.backing.at(va) != want) {
                INFO("byte at " << std::hex << va);
                CHECK(s.backing.at(va) == want);
                return;
            }
        }
    }
}

} // namespace

TEST_CASE("vwrite: main scene, every case in every era that has vwrite") {
    for (const EraVersion& ev : all_versions()) {
        if (ev.era != Era::E1 && ev.era != Era::Z)
            continue;
        for (const WRow& row : kWRows) {
            INFO("Linux " << ev.kernel << ": " << row.name);
            Scene s = main_scene(ev.kernel);
            const Scene orig = main_scene(ev.kernel);
            if (row.before == Before::FreeV6)
                REQUIRE(s.space.free(VirtAddr(V6)) == VfreeResult::Freed);
            if (row.before == Before::FreeV4)
                REQUIRE(s.space.free(VirtAddr(V4)) == VfreeResult::Freed);
            check_vwrite(s, orig, row.addr, row.count, ev.era == Era::E1 ? row.e1 : row.z);
        }
    }
}

TEST_CASE("vwrite: gone from 5.13 (6.1, 6.3, 6.13 refuse it)") {
    for (const char* k : {"5.13", "6.1", "6.3", "6.13"}) {
        Scene s = main_scene(k);
        std::vector<u8> src(16, 1);
        auto r = vwrite(s.space, s.backing, src, VirtAddr(V1), 16);
        REQUIRE(r.is_error());
        CHECK(r.error().kind() == ErrorKind::NotFound);
        CHECK(r.error().message().find("5.13") != std::string::npos);
    }
    Scene s = main_scene("5.12"); // the last version with vwrite
    std::vector<u8> src(16, 1);
    auto r = vwrite(s.space, s.backing, src, VirtAddr(V1), 16);
    REQUIRE_FALSE(r.is_error());
    CHECK(r->ret == 16);
    CHECK(s.backing.at(V1) == 1);
}
