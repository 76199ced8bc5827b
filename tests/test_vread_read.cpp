// vread on the main scene (test_vread_fixtures.h), every row run on every version of
// all_versions(), checking the return value and every byte of the buffer.
// Rules (kernel-semantics.md §3.5): E1 byte-wise, holes zeroed, ioremap read, unmapped page =
// oops, return = bytes processed (no tail). Z: ioremap and absent pages zero, return 0 if
// nothing processed else the unclamped count with the tail zeroed. P61: Z, but first the
// lowest vmap_area (guard included, vm_map_ram too) ending above addr: none, or addr+count <=
// its start -> 0. P63: P61 reading vm_map_ram areas. I: vread_iter, zeros wherever nothing is
// copied, always the clamped count.
#include "test_vread_fixtures.h"

#include <optional>

using namespace kmemu;
using namespace kmemu::test;

namespace {

enum class Before { Nothing, FreeV6, FreeV4 };

struct Row {
    const char* name;
    u64 addr;
    u64 count;
    Before before;
    Expect e1, z, p61;
    std::optional<Expect> p63; // when 6.3 differs from 6.1
    Expect i;
};

const Expect& pick(const Row& r, Era era) {
    switch (era) {
    case Era::E1:
        return r.e1;
    case Era::Z:
        return r.z;
    case Era::P61:
        return r.p61;
    case Era::P63:
        return r.p63 ? *r.p63 : r.p61;
    case Era::I:
        return r.i;
    }
    return r.z;
}

const Expect kZero{0, {}}; // count 0

// clang-format off
const std::vector<Row> kRows = {
    // 1. count 0 at an area: every walk stops before producing anything; vread_iter's tail
    //    fill is of 0 bytes.
    {"count 0 at V1", V1, 0, Before::Nothing, kZero, kZero, kZero, {}, kZero},
    // 2. count 0 in a hole: same.
    {"count 0 in a hole", V1 - P, 0, Before::Nothing, kZero, kZero, kZero, {}, kZero},
    // 3. Entirely in the hole below A1 [V1-0x2000, +0x100): E1/Z zero-fill until count runs
    //    out in the hole (0x100 processed; Z returns buflen 0x100). P61: first area ending
    //    above addr is A1 and addr+0x100 <= V1 -> 0, buffer untouched. I: 0x100 zeros.
    {"hole below the first area", V1 - 0x2000, 0x100, Before::Nothing,
     {0x100, {{0x100, 0}}}, {0x100, {{0x100, 0}}}, {0, {{0x100, kSentinel}}}, {},
     {0x100, {{0x100, 0}}}},
    // 4. Hole -> area (case 64): 0x1000 zeros then A1 page 0; 0x2000 in every era (P61 passes
    //    the lookup: V1+0x1000 > V1).
    {"straddling hole -> area", V1 - P, 0x2000, Before::Nothing,
     {0x2000, {{P, 0}, {P, 'A'}}}, {0x2000, {{P, 0}, {P, 'A'}}}, {0x2000, {{P, 0}, {P, 'A'}}},
     {}, {0x2000, {{P, 0}, {P, 'A'}}}},
    // 5. Exactly A1's usable range [V1, V1+0x2000): 'A' page then 'B' page; n = min(U, count)
    //    ends the copy at the usable end with count 0.
    {"exactly the usable range", V1, 0x2000, Before::Nothing,
     {0x2000, {{P, 'A'}, {P, 'B'}}}, {0x2000, {{P, 'A'}, {P, 'B'}}},
     {0x2000, {{P, 'A'}, {P, 'B'}}}, {}, {0x2000, {{P, 'A'}, {P, 'B'}}}},
    // 6. Ending exactly at the usable end from the middle of page 1: 0x800 'B'.
    {"ending exactly at the usable end", V1 + 0x1800, 0x800, Before::Nothing,
     {0x800, {{0x800, 'B'}}}, {0x800, {{0x800, 'B'}}}, {0x800, {{0x800, 'B'}}}, {},
     {0x800, {{0x800, 'B'}}}},
    // 7. Area -> guard: page 'B' then 0x800 of A1's guard. The guard is a hole before A2:
    //    zero-filled by the walk of A2 in every era; count runs out inside it.
    {"area -> guard page", V1 + P, 0x1800, Before::Nothing,
     {0x1800, {{P, 'B'}, {0x800, 0}}}, {0x1800, {{P, 'B'}, {0x800, 0}}},
     {0x1800, {{P, 'B'}, {0x800, 0}}}, {}, {0x1800, {{P, 'B'}, {0x800, 0}}}},
    // 8. A1, guard, hole, all of A2 (ioremap): [V1, V2+0x1000), 0x101000 bytes. Between A1's
    //    usable end V1+0x2000 and V2 lie 0x100000-0x2000 hole bytes. E1 reads the device page
    //    (0x5a); later eras treat the ioremap body as a hole.
    {"A1 -> guard -> hole -> ioremap A2", V1, 0x101000, Before::Nothing,
     {0x101000, {{P, 'A'}, {P, 'B'}, {0xfe000, 0}, {P, 0x5a}}},
     {0x101000, {{P, 'A'}, {P, 'B'}, {0xff000, 0}}},
     {0x101000, {{P, 'A'}, {P, 'B'}, {0xff000, 0}}}, {},
     {0x101000, {{P, 'A'}, {P, 'B'}, {0xff000, 0}}}},
    // 9. Starting inside A1's guard (case 65a), 50 bytes at V1+0x2000+100: A1 is skipped
    //    (addr >= usable end), the hole before A2 gives 50 zeros. P61: A1's vmap_area ends at
    //    V1+0x3000 > addr, and addr+50 > V1, so no early exit.
    {"starting inside the guard", V1 + 0x2000 + 100, 50, Before::Nothing,
     {50, {{50, 0}}}, {50, {{50, 0}}}, {50, {{50, 0}}}, {}, {50, {{50, 0}}}},
    // 10. Beyond A1's reserved range, below A2 (case 65): E1/Z 50 zeros; P61: first area
    //     ending above V1+0x4000 is A2 and addr+50 <= V2 -> 0; I: 50 zeros.
    {"hole between areas (past the guard)", V1 + 0x4000, 50, Before::Nothing,
     {50, {{50, 0}}}, {50, {{50, 0}}}, {0, {{50, kSentinel}}}, {}, {50, {{50, 0}}}},
    // 11. The ioremap area itself (case 57): E1 the device bytes; later zeros (a hole that
    //     counts as processed, so Z returns 0x1000).
    {"VM_IOREMAP area", V2, P, Before::Nothing,
     {P, {{P, 0x5a}}}, {P, {{P, 0}}}, {P, {{P, 0}}}, {}, {P, {{P, 0}}}},
    // 12. Inside the last vm area's guard: nothing after it. E1/Z: 0. P61: A6's vmap_area
    //     (end V6+0x2000) exceeds addr, no early exit, but the walk produces nothing -> 0
    //     (R1 is not read in 6.1). P63: R1 is read: the hole up to VR is zeroed -> buflen 10.
    //     I: 10 zeros.
    {"inside the last area's guard", V6 + P, 10, Before::Nothing,
     {0, {{10, kSentinel}}}, {0, {{10, kSentinel}}}, {0, {{10, kSentinel}}},
     Expect{10, {{10, 0}}}, {10, {{10, 0}}}},
    // 13. Past the last vm area's reserved range (case 66). E1/Z 0; P61/P63: the lookup
    //     finds R1 (vm_map_ram) and addr+10 <= VR -> 0; I 10 zeros.
    {"past the last vm area", V6 + 0x2000, 10, Before::Nothing,
     {0, {{10, kSentinel}}}, {0, {{10, kSentinel}}}, {0, {{10, kSentinel}}}, {},
     {10, {{10, 0}}}},
    // 14. Last vm area then its guard: [V6, V6+0x2000): E1 stops after 'H' (0x1000, no tail);
    //     Z/P: 0x1000 processed, tail zeroed up to buflen; I: tail zeroed, count.
    {"last area then its guard", V6, 0x2000, Before::Nothing,
     {P, {{P, 'H'}, {P, kSentinel}}}, {0x2000, {{P, 'H'}, {P, 0}}},
     {0x2000, {{P, 'H'}, {P, 0}}}, {}, {0x2000, {{P, 'H'}, {P, 0}}}},
    // 15. A3 with its unmapped middle page: E1 dereferences V3+0x1000 -> oops after 0x1000
    //     bytes. Later eras: vmalloc_to_page NULL -> zeros.
    {"unmapped vmalloc page", V3, 0x3000, Before::Nothing,
     {P, {{P, 'C'}, {0x2000, kSentinel}}, VreadEnd::Oops, V3 + P},
     {0x3000, {{P, 'C'}, {P, 0}, {P, 'E'}}}, {0x3000, {{P, 'C'}, {P, 0}, {P, 'E'}}}, {},
     {0x3000, {{P, 'C'}, {P, 0}, {P, 'E'}}}},
    // 16. Only inside the unmapped page: E1 oops at the first byte, 0 processed.
    {"only the unmapped page", V3 + P + 0x10, 0x20, Before::Nothing,
     {0, {{0x20, kSentinel}}, VreadEnd::Oops, V3 + P + 0x10}, {0x20, {{0x20, 0}}},
     {0x20, {{0x20, 0}}}, {}, {0x20, {{0x20, 0}}}},
    // 17. From the unmapped page into 'E': E1 oops at V3+0x1800; later 0x800 zeros, 0x800 'E'.
    {"unmapped page into a mapped one", V3 + 0x1800, P, Before::Nothing,
     {0, {{P, kSentinel}}, VreadEnd::Oops, V3 + 0x1800}, {P, {{0x800, 0}, {0x800, 'E'}}},
     {P, {{0x800, 0}, {0x800, 'E'}}}, {}, {P, {{0x800, 0}, {0x800, 'E'}}}},
    // 18. Across two back-to-back areas: A4 usable, A4 guard (hole before A5), A5 usable.
    {"across two adjacent areas", V4, 0x3000, Before::Nothing,
     {0x3000, {{P, 'F'}, {P, 0}, {P, 'G'}}}, {0x3000, {{P, 'F'}, {P, 0}, {P, 'G'}}},
     {0x3000, {{P, 'F'}, {P, 0}, {P, 'G'}}}, {}, {0x3000, {{P, 'F'}, {P, 0}, {P, 'G'}}}},
    // 19. ... and on into A5's guard, a hole before A6: zeroed by A6's walk in every era.
    {"two adjacent areas and the second guard", V4, 0x4000, Before::Nothing,
     {0x4000, {{P, 'F'}, {P, 0}, {P, 'G'}, {P, 0}}},
     {0x4000, {{P, 'F'}, {P, 0}, {P, 'G'}, {P, 0}}},
     {0x4000, {{P, 'F'}, {P, 0}, {P, 'G'}, {P, 0}}}, {},
     {0x4000, {{P, 'F'}, {P, 0}, {P, 'G'}, {P, 0}}}},
    // 20. A page boundary inside an area: 0x10 'A' then 0x10 'B'.
    {"page boundary inside an area", V1 + 0xff0, 0x20, Before::Nothing,
     {0x20, {{0x10, 'A'}, {0x10, 'B'}}}, {0x20, {{0x10, 'A'}, {0x10, 'B'}}},
     {0x20, {{0x10, 'A'}, {0x10, 'B'}}}, {}, {0x20, {{0x10, 'A'}, {0x10, 'B'}}}},
    // 21. The last usable byte.
    {"last usable byte", V1 + 0x1fff, 1, Before::Nothing,
     {1, {{1, 'B'}}}, {1, {{1, 'B'}}}, {1, {{1, 'B'}}}, {}, {1, {{1, 'B'}}}},
    // 22. The first guard byte: a hole byte before A2 (P61: A1's vmap_area exceeds addr).
    {"first guard byte", V1 + 0x2000, 1, Before::Nothing,
     {1, {{1, 0}}}, {1, {{1, 0}}}, {1, {{1, 0}}}, {}, {1, {{1, 0}}}},
    // 23. The last guard byte: A1's vmap_area ends at V1+0x3000 > V1+0x2fff: still no exit.
    {"last guard byte", V1 + 0x2fff, 1, Before::Nothing,
     {1, {{1, 0}}}, {1, {{1, 0}}}, {1, {{1, 0}}}, {}, {1, {{1, 0}}}},
    // 24. The first byte after A1's reservation: P61's lookup finds A2, V1+0x3001 <= V2 -> 0.
    {"first byte after the reservation", V1 + 0x3000, 1, Before::Nothing,
     {1, {{1, 0}}}, {1, {{1, 0}}}, {0, {{1, kSentinel}}}, {}, {1, {{1, 0}}}},
    // 25. Ending exactly at an area's start: addr+count == V2 <= V2 -> P61 0; others zeros.
    {"ending exactly at an area start", V2 - 0x100, 0x100, Before::Nothing,
     {0x100, {{0x100, 0}}}, {0x100, {{0x100, 0}}}, {0, {{0x100, kSentinel}}}, {},
     {0x100, {{0x100, 0}}}},
    // 26. One byte further: the range meets A2, so P61 walks: 0x100 zeros + 1 ioremap zero;
    //     E1 reads the device byte 0x5a.
    {"one byte into an ioremap area", V2 - 0x100, 0x101, Before::Nothing,
     {0x101, {{0x100, 0}, {1, 0x5a}}}, {0x101, {{0x101, 0}}}, {0x101, {{0x101, 0}}}, {},
     {0x101, {{0x101, 0}}}},
    // 27. Ioremap area, guard, hole, A3 page 0: [V2, V3+0x1000).
    {"ioremap area into the next vmalloc area", V2, 0x101000, Before::Nothing,
     {0x101000, {{P, 0x5a}, {0xff000, 0}, {P, 'C'}}}, {0x101000, {{0x100000, 0}, {P, 'C'}}},
     {0x101000, {{0x100000, 0}, {P, 'C'}}}, {}, {0x101000, {{0x100000, 0}, {P, 'C'}}}},
    // 28. addr + count wraps 2^64, nothing up there (case 67): count clamped to 0x1000.
    //     E1/Z/P: no area ends above addr -> 0, untouched; I: 0x1000 zeros, returns 0x1000;
    //     the unclamped second half stays untouched.
    {"wrapping 2^64 over an empty top", 0xfffffffffffff000, 0x2000, Before::Nothing,
     {0, {{0x2000, kSentinel}}}, {0, {{0x2000, kSentinel}}}, {0, {{0x2000, kSentinel}}}, {},
     {P, {{P, 0}, {P, kSentinel}}}},
    // 29. After vfree of the last vm area A6 (E1: unlinked; E2+: lazily freed, gone from the
    //     list at once). E1/Z: nothing left above -> 0. P61: no vm area ends above addr, but R1
    //     (vm_map_ram) does and V6+0x1000 <= VR -> 0. P63 the same exit. I: 0x1000 zeros.
    {"after vfree of the last area", V6, P, Before::FreeV6,
     {0, {{P, kSentinel}}}, {0, {{P, kSentinel}}}, {0, {{P, kSentinel}}}, {},
     {P, {{P, 0}}}},
    // 30. After vfree of A4: its range is a hole below A5. E1/Z: 0x1000 zeros (hole before
    //     A5). P61: first area ending above V4 is A5, V4+0x1000 <= V5 -> 0. I: zeros.
    {"after vfree of a middle area", V4, P, Before::FreeV4,
     {P, {{P, 0}}}, {P, {{P, 0}}}, {0, {{P, kSentinel}}}, {}, {P, {{P, 0}}}},
    // 31. After vfree of A4, reading into A5: the freed range reads as zeros, then 'G'.
    {"after vfree, into the next area", V4, 0x3000, Before::FreeV4,
     {0x3000, {{0x2000, 0}, {P, 'G'}}}, {0x3000, {{0x2000, 0}, {P, 'G'}}},
     {0x3000, {{0x2000, 0}, {P, 'G'}}}, {}, {0x3000, {{0x2000, 0}, {P, 'G'}}}},
    // 32. From V1 to past A6's reservation, [V1, V6+0x3000): E1 oopses at A3's unmapped page
    //     after V3+0x1000-V1 = 0x201000 bytes ('A','B', 0xfe000 zeros, 0x5a page, 0xff000
    //     zeros, 'C'). Z/P/I: everything, ioremap and the absent page as zeros, tail after A6
    //     zeroed: A,B | 0xfe000+0x1000+0xff000 = 0x1fe000 zeros | C | 0 | E | guard+hole to V4
    //     = 0x100000-0x3000 = 0xfd000 zeros | F | 0 | G | hole to V6 = 0x100000-0x3000 zeros
    //     | H | 0x2000 tail zeros. Total 0x403000 = V6+0x3000-V1.
    {"everything from A1 to past the last area", V1, 0x403000, Before::Nothing,
     {0x201000, {{P, 'A'}, {P, 'B'}, {0xfe000, 0}, {P, 0x5a}, {0xff000, 0}, {P, 'C'},
                 {0x202000, kSentinel}}, VreadEnd::Oops, V3 + P},
     {0x403000, {{P, 'A'}, {P, 'B'}, {0x1fe000, 0}, {P, 'C'}, {P, 0}, {P, 'E'}, {0xfd000, 0},
                 {P, 'F'}, {P, 0}, {P, 'G'}, {0xfd000, 0}, {P, 'H'}, {0x2000, 0}}},
     {0x403000, {{P, 'A'}, {P, 'B'}, {0x1fe000, 0}, {P, 'C'}, {P, 0}, {P, 'E'}, {0xfd000, 0},
                 {P, 'F'}, {P, 0}, {P, 'G'}, {0xfd000, 0}, {P, 'H'}, {0x2000, 0}}}, {},
     {0x403000, {{P, 'A'}, {P, 'B'}, {0x1fe000, 0}, {P, 'C'}, {P, 0}, {P, 'E'}, {0xfd000, 0},
                 {P, 'F'}, {P, 0}, {P, 'G'}, {0xfd000, 0}, {P, 'H'}, {0x2000, 0}}}},
    // 33. The vm_map_ram area R1 itself: a hole up to 6.2 (vmlist never held it; 3.10-6.2
    //     skip entries without vm_struct) with nothing above -> 0, also in 6.1 after its
    //     lookup passed (R1 ends above VR). 6.3+: 'R','S' (no guard: va_size is usable).
    {"vm_map_ram area", VR, 0x2000, Before::Nothing,
     {0, {{0x2000, kSentinel}}}, {0, {{0x2000, kSentinel}}}, {0, {{0x2000, kSentinel}}},
     Expect{0x2000, {{P, 'R'}, {P, 'S'}}}, {0x2000, {{P, 'R'}, {P, 'S'}}}},
    // 34. A6 -> guard -> hole -> R1 page 0: [V6, VR+0x1000), 0x101000. E1 stops after 'H'.
    //     Z/P61: 'H' then the tail zeroed. P63/I: 'H', zeros up to VR, 'R'.
    {"last vm area into a vm_map_ram area", V6, 0x101000, Before::Nothing,
     {P, {{P, 'H'}, {0x100000, kSentinel}}}, {0x101000, {{P, 'H'}, {0x100000, 0}}},
     {0x101000, {{P, 'H'}, {0x100000, 0}}}, Expect{0x101000, {{P, 'H'}, {0xff000, 0}, {P, 'R'}}},
     {0x101000, {{P, 'H'}, {0xff000, 0}, {P, 'R'}}}},
    // 35. R1's last page and 0x10 beyond its end (vm_map_ram has no guard): P63/I 'S' then
    //     the tail zeroed; earlier eras see nothing -> 0.
    {"vm_map_ram area end", VR + P, 0x1010, Before::Nothing,
     {0, {{0x1010, kSentinel}}}, {0, {{0x1010, kSentinel}}}, {0, {{0x1010, kSentinel}}},
     Expect{0x1010, {{P, 'S'}, {0x10, 0}}}, {0x1010, {{P, 'S'}, {0x10, 0}}}},
};
// clang-format on

} // namespace

TEST_CASE("vread: main scene, every case in every era") {
    for (const EraVersion& ev : all_versions()) {
        for (const Row& row : kRows) {
            INFO("Linux " << ev.kernel << ": " << row.name);
            Scene s = main_scene(ev.kernel);
            if (row.before == Before::FreeV6)
                REQUIRE(s.space.free(VirtAddr(V6)) == VfreeResult::Freed);
            if (row.before == Before::FreeV4)
                REQUIRE(s.space.free(VirtAddr(V4)) == VfreeResult::Freed);
            check_vread(s, row.addr, row.count, pick(row, ev.era));
        }
    }
}
