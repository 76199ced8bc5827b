// vread/vwrite at the top of the address space (2^64 and 2^32), VM_NO_GUARD, the `long`
// return on 32-bit, huge counts planned arithmetically, bad input, and the rule boundaries.
#include "test_vread_fixtures.h"

using namespace kmemu;
using namespace kmemu::test;

namespace {

const Expect& by_era(Era era, const Expect& e1, const Expect& z, const Expect& p, const Expect& i) {
    switch (era) {
    case Era::E1:
        return e1;
    case Era::Z:
        return z;
    case Era::P61:
    case Era::P63:
        return p;
    case Era::I:
        return i;
    }
    return z;
}

// One area `size` bytes at `start` filled with `fill`, nothing else.
Scene top_scene(const char* kernel, Arch arch, u64 start, u64 size, u8 fill, u32 flags = VmAlloc) {
    Scene s{space_for(kernel, arch), {}, {}};
    REQUIRE_FALSE(s.space.add_boot_area(area(start, size, flags)).is_error());
    const u64 usable = (flags & VmNoGuard) ? size : size - P;
    for (u64 o = 0; o < usable; o += P)
        s.backing.map(start + o, 0x2000 + o / P, fill);
    return s;
}

} // namespace

TEST_CASE("vread: wrapping 2^64 and 2^32 with an area below the top") {
    // TA = [T, T+0x2000) (usable one page 'T') with T = 2^w - 0x10000. vread(T - 0x1000,
    // 0x20000): addr + count = 2^w + 0xf000 wraps, so count = 2^w - addr = 0x11000.
    // E1: 0x1000 hole zeros, 'T' page, end of list: 0x2000 processed, the rest untouched.
    // Z: same walk, then the tail zeroed up to the UNCLAMPED 0x20000, which is returned.
    // P (6.1/6.3): the lookup finds TA, and addr + count is 2^w = 0 in the word, <= TA -> 0.
    // I: the same exit zero-fills the clamped 0x11000 and returns it: the data is hidden.
    for (const Arch arch : {Arch::X86_64, Arch::I386}) {
        const u64 top = arch == Arch::X86_64 ? 0 - u64{0x10000} : 0x100000000 - 0x10000;
        for (const EraVersion& ev : all_versions()) {
            INFO("Linux " << ev.kernel << (arch == Arch::I386 ? " i386" : " x86_64"));
            Scene s = top_scene(ev.kernel, arch, top, 0x2000, 'T');
            const Expect e1{0x2000, {{P, 0}, {P, 'T'}, {0x1e000, kSentinel}}};
            const Expect z{0x20000, {{P, 0}, {P, 'T'}, {0x1e000, 0}}};
            const Expect p{0, {{0x20000, kSentinel}}};
            const Expect i{0x11000, {{0x11000, 0}, {0xf000, kSentinel}}};
            check_vread(s, top - P, 0x20000, by_era(ev.era, e1, z, p, i));
            // Control: TA's page alone does not wrap: 'T' in every era.
            const Expect t{0x1000, {{P, 'T'}}};
            check_vread(s, top, P, t);
            // The last page of the word, nothing there (case 67): count clamped to 0x1000;
            // E1/Z/P 0 untouched; I 0x1000 zeros.
            const Expect none{0, {{0x2000, kSentinel}}};
            const Expect iz{P, {{P, 0}, {P, kSentinel}}};
            check_vread(s, top + 0xf000, 0x2000, by_era(ev.era, none, none, none, iz));
        }
    }
}

TEST_CASE("vwrite: wrapping 2^64: E1 processed bytes, Z the clamped count") {
    // vwrite(T - 0x1000, 0x20000): clamp to 0x11000 first. E1: hole stepped over, TA's page
    // stored, end of list -> 0x2000. Z: TA reached -> the clamped count 0x11000 (vread would
    // return 0x20000: buflen is taken after the clamp here).
    const u64 top = 0 - u64{0x10000};
    for (const char* k : {"2.6.24", "2.6.32", "3.10", "5.10"}) {
        INFO("Linux " << k);
        Scene s = top_scene(k, Arch::X86_64, top, 0x2000, 'T');
        std::vector<u8> src(0x20000);
        for (size_t i = 0; i < src.size(); ++i)
            src[i] = static_cast<u8>(i >> 4);
        auto r = vwrite(s.space, s.backing, src, VirtAddr(top - P), 0x20000);
        REQUIRE_FALSE(r.is_error());
        CHECK(r->ret == (std::string(k) == "2.6.24" ? 0x2000 : 0x11000));
        // TA's byte o came from source offset 0x1000 + o.
        CHECK(s.backing.at(top) == static_cast<u8>(0x1000 >> 4));
        CHECK(s.backing.at(top + 0xfff) == static_cast<u8>(0x1fff >> 4));
    }
}

TEST_CASE("vread: an area whose guard page is the last page of the word") {
    // TG = [2^64 - 0x2000, 2^64), usable page 'U', guard = the top page.
    const u64 tg = 0 - u64{0x2000};
    for (const EraVersion& ev : all_versions()) {
        INFO("Linux " << ev.kernel);
        Scene s = top_scene(ev.kernel, Arch::X86_64, tg, 0x2000, 'U');
        // (tg, 0x1800): no wrap. E1 'U' then end of list: 0x1000. Z/P: 'U', tail zeroed:
        // 0x1800 (P's lookup: tg + 0x1800 > tg). I: after TG the next lookup starts from its
        // va_end, 0 in the word: the walk restarts at TG, skips it (addr is in its guard),
        // and so on for ever.
        Scene& sc = s;
        if (ev.era == Era::I) {
            auto r = vread_plan(sc.space, sc.backing, VirtAddr(tg), 0x1800);
            REQUIRE_FALSE(r.is_error());
            CHECK(r->end == VreadEnd::Hangs);
        } else {
            const Expect e1{P, {{P, 'U'}, {0x800, kSentinel}}};
            const Expect z{0x1800, {{P, 'U'}, {0x800, 0}}};
            check_vread(sc, tg, 0x1800, by_era(ev.era, e1, z, z, z));
        }
        // (tg, 0x2000): addr + count = 2^64 exactly: the clamp keeps 0x2000. E1 0x1000 'U';
        // Z 'U' + zeroed guard, 0x2000; P: 0 in the word <= tg -> 0; I: the same exit
        // zero-fills: 0x2000 zeros although 'U' is there.
        const Expect e1{P, {{P, 'U'}, {P, kSentinel}}};
        const Expect z{0x2000, {{P, 'U'}, {P, 0}}};
        const Expect p{0, {{0x2000, kSentinel}}};
        const Expect i{0x2000, {{0x2000, 0}}};
        check_vread(sc, tg, 0x2000, by_era(ev.era, e1, z, p, i));
    }
}

TEST_CASE("vread: VM_NO_GUARD area at the top of the word (4.0+)") {
    // TN = [2^64 - 0x2000, 2^64) with VM_NO_GUARD: both pages usable ('N').
    const u64 tn = 0 - u64{0x2000};
    for (const EraVersion& ev : all_versions()) {
        if (!KernelVersion::parse(ev.kernel).value().at_least(4, 0))
            continue;
        INFO("Linux " << ev.kernel);
        Scene s = top_scene(ev.kernel, Arch::X86_64, tn, 0x2000, 'N', VmAlloc | VmNoGuard);
        // Whole area: Z 0x2000 'N' (get_vm_area_size = size). P: addr + count = 0 -> 0.
        // I: the same exit, 0x2000 zeros.
        const Expect z{0x2000, {{0x2000, 'N'}}};
        const Expect p{0, {{0x2000, kSentinel}}};
        const Expect i{0x2000, {{0x2000, 0}}};
        check_vread(s, tn, 0x2000, by_era(ev.era, z, z, p, i));
        // First page only: no wrap, 'N' everywhere.
        check_vread(s, tn, P, Expect{P, {{P, 'N'}}});
        // The top page only: addr + count = 0 again: Z 'N', P 0, I zeros.
        check_vread(s, tn + P, P,
                    by_era(ev.era, z, Expect{P, {{P, 'N'}}}, Expect{0, {{P, kSentinel}}},
                           Expect{P, {{P, 0}}}));
        // (tn, 0x1800) in vread_iter: copied to the end of count, finished: no hang.
        check_vread(s, tn, 0x1800, Expect{0x1800, {{0x1800, 'N'}}});
    }
}

TEST_CASE("vread: the 32-bit long return goes negative past 2^31 - 1") {
    // i386, area [0x10000000, +0x2000). vread(0x10000000, 0x80000000): no wrap (0x90000000).
    // 2.6.32: 'T' page, tail zeroed, returns buflen 0x80000000 = -2^31 as a 32-bit long.
    // 6.13 returns count: the same -2^31. 2.6.24: 0x1000 processed.
    for (const char* k : {"2.6.24", "2.6.32", "6.13"}) {
        INFO("Linux " << k);
        Scene s = top_scene(k, Arch::I386, 0x10000000, 0x2000, 'T');
        auto r = vread_plan(s.space, s.backing, VirtAddr(0x10000000), 0x80000000);
        REQUIRE_FALSE(r.is_error());
        if (std::string(k) == "2.6.24") {
            CHECK(r->ret == 0x1000);
            REQUIRE(r->pieces.size() == 1);
        } else {
            CHECK(r->ret == -2147483648LL);
            REQUIRE(r->pieces.size() == 2);
            CHECK(r->pieces[1].offset == 0x1000);
            CHECK(r->pieces[1].len == 0x7ffff000);
            CHECK_FALSE(r->pieces[1].frame);
        }
        CHECK(r->pieces[0].frame->get() == 0x2000);
        CHECK(r->pieces[0].len == 0x1000);
    }
}

TEST_CASE("vread: huge counts are planned in O(areas), not O(bytes)") {
    for (const EraVersion& ev : all_versions()) {
        INFO("Linux " << ev.kernel);
        Scene s = main_scene(ev.kernel);
        // 2^40 bytes past every area: E1/Z/P 0 with nothing; I one zero run of 2^40.
        auto r = vread_plan(s.space, s.backing, VirtAddr(VR + 0x2000), u64{1} << 40, s.vmap_ram);
        REQUIRE_FALSE(r.is_error());
        if (ev.era == Era::I) {
            CHECK(r->ret == i64{1} << 40);
            REQUIRE(r->pieces.size() == 1);
            CHECK(r->pieces[0].len == u64{1} << 40);
        } else {
            CHECK(r->ret == 0);
            CHECK(r->pieces.empty());
        }
        // A 2^40-byte hole then 0x10 bytes of A1: one zero run, one frame piece, and every
        // era returns 2^40 + 0x10 (E1 processed all of it; the lookup of P finds A1).
        auto h = vread_plan(s.space, s.backing, VirtAddr(V1 - (u64{1} << 40)),
                            (u64{1} << 40) + 0x10, s.vmap_ram);
        REQUIRE_FALSE(h.is_error());
        CHECK(h->ret == (i64{1} << 40) + 0x10);
        REQUIRE(h->pieces.size() == 2);
        CHECK_FALSE(h->pieces[0].frame);
        CHECK(h->pieces[0].len == u64{1} << 40);
        CHECK(h->pieces[1].frame->get() == 0x1001);
        CHECK(h->pieces[1].len == 0x10);
    }
}

TEST_CASE("vread/vwrite: bad input is an error") {
    Scene s = main_scene("2.6.32");
    std::vector<u8> small(10);
    auto r = vread(s.space, s.backing, small, VirtAddr(V1), 11);
    REQUIRE(r.is_error());
    CHECK(r.error().message().find("smaller than count") != std::string::npos);
    auto w = vwrite(s.space, s.backing, small, VirtAddr(V1), 11);
    REQUIRE(w.is_error());

    // A vm_map_ram area overlapping A6, or not page-aligned.
    const VmapRamArea overlap[] = {{VirtAddr(V6 + P), 0x2000}};
    auto o = vread_plan(s.space, s.backing, VirtAddr(V1), 16, overlap);
    REQUIRE(o.is_error());
    CHECK(o.error().message().find("overlaps") != std::string::npos);
    const VmapRamArea odd[] = {{VirtAddr(VR + 1), 0x2000}};
    REQUIRE(vread_plan(s.space, s.backing, VirtAddr(V1), 16, odd).is_error());

    // vm_map_ram does not exist in 2.6.24.
    Scene old = main_scene("2.6.24");
    const VmapRamArea one[] = {{VirtAddr(VR), 0x2000}};
    auto e = vread_plan(old.space, old.backing, VirtAddr(V1), 16, one);
    REQUIRE(e.is_error());
    CHECK(e.error().message().find("2.6.28") != std::string::npos);

    // 32-bit: address or count beyond the word.
    Scene i386 = top_scene("3.10", Arch::I386, 0x10000000, 0x2000, 'T');
    auto a = vread_plan(i386.space, i386.backing, VirtAddr(0x100000000), 1);
    REQUIRE(a.is_error());
    CHECK(a.error().message().find("32-bit") != std::string::npos);
    REQUIRE(vread_plan(i386.space, i386.backing, VirtAddr(0x10000000), 0x100000000).is_error());
}

TEST_CASE("vread rules: the versions where each rule changes") {
    auto rules = [](const char* k) {
        return vmalloc_rules_for(KernelVersion::parse(k).value(), Arch::X86_64);
    };
    CHECK(rules("2.6.31").vread_style == VreadStyle::ByteWise);
    CHECK(rules("2.6.32").vread_style == VreadStyle::AlignedZeroTail);
    CHECK(rules("6.3").vread_style == VreadStyle::AlignedZeroTail);
    CHECK(rules("6.4").vread_style == VreadStyle::Iter);
    CHECK_FALSE(rules("2.6.27").has_vm_map_ram);
    CHECK(rules("2.6.28").has_vm_map_ram);
    CHECK(rules("5.12").has_vwrite);
    CHECK_FALSE(rules("5.13").has_vwrite);
    CHECK_FALSE(rules("5.14").vread_exceed_precheck);
    CHECK(rules("5.15").vread_exceed_precheck);
    CHECK_FALSE(rules("6.2").vread_vmap_ram);
    CHECK(rules("6.3").vread_vmap_ram);

    // The lookup's effect at its boundary: 50 bytes between A1's reservation and A2 (case
    // 65): 5.14 zero-fills and returns 50, 5.15 returns 0 and leaves the buffer alone.
    Scene a = main_scene("5.14");
    check_vread(a, V1 + 0x4000, 50, Expect{50, {{50, 0}}});
    Scene b = main_scene("5.15");
    check_vread(b, V1 + 0x4000, 50, Expect{0, {{50, kSentinel}}});
    // 2.6.31 reads the ioremap device page byte-wise; 2.6.32 returns zeros.
    Scene c = main_scene("2.6.31");
    check_vread(c, V2, 16, Expect{16, {{16, 0x5a}}});
    Scene d = main_scene("2.6.32");
    check_vread(d, V2, 16, Expect{16, {{16, 0}}});
}
