// Shared helpers for the user address space tests (tests/test_user_*.cpp, test_uaccess*.cpp).
#pragma once

#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <vector>

#include "emu/machine.h"
#include "mm/user/mm_struct.h"

namespace Catch {
template <>
struct StringMaker<kmemu::UserSignal> {
    static std::string convert(const kmemu::UserSignal& s) { return s.describe(); }
};
} // namespace Catch

namespace kmemu::test {

inline std::unique_ptr<Machine> boot_machine(const std::vector<std::string>& words) {
    auto config = parse_config_words(words);
    if (config.is_error())
        FAIL(config.error().message());
    auto m = Machine::boot(config.release_value());
    if (m.is_error())
        FAIL(m.error().message());
    return m.release_value();
}

inline std::unique_ptr<MmStruct> make_mm(Machine& m, const MmOptions& options = {}) {
    auto deps = m.mm_deps();
    if (deps.is_error())
        FAIL(deps.error().message());
    auto mm = MmStruct::create(deps.value(), options);
    if (mm.is_error())
        FAIL(mm.error().message());
    return mm.release_value();
}

// The machines the tests use most.
inline const std::vector<std::string> kX86_64_61 = {"arch=x86_64", "mem=512M", "kernel=6.1"};
inline const std::vector<std::string> kI386Highmem61 = {"arch=i386", "mem=1G", "split=3G",
                                                        "kernel=6.1"};
inline const std::vector<std::string> kArm64_61 = {"arch=arm64", "mem=512M", "kernel=6.1"};

inline constexpr int kAnonPrivate = MAP_PRIVATE | MAP_ANONYMOUS;
inline constexpr int kRW = PROT_READ | PROT_WRITE;

// mmap that must succeed.
inline VirtAddr must_mmap(MmStruct& mm, u64 len, int prot = kRW, int flags = kAnonPrivate,
                          u64 hint = 0) {
    const i64 r = mm.mmap_anonymous(VirtAddr(hint), len, prot, flags);
    INFO("mmap returned " << r);
    REQUIRE(r >= 0);
    return VirtAddr(static_cast<u64>(r));
}

// A process's anonymous mmap(2) that must succeed: the address as the program sees it (the
// machine word).
inline u64 process_mmap_anon(Process& p, u64 len, u64 addr = 0,
                             int flags = MAP_PRIVATE | MAP_ANONYMOUS) {
    const long a = p.mmap(addr, len, PROT_READ | PROT_WRITE, flags, -1, 0);
    REQUIRE(!(a < 0 && a >= -4095));
    return static_cast<u64>(a) & (p.mm()->rules().word_bits == 32 ? 0xffffffffULL : ~0ULL);
}

// The Linux PTE at va (0 when there is none).
inline u64 pte_of(MmStruct& mm, VirtAddr va) {
    auto p = mm.pte_at(va);
    REQUIRE(!p.is_error());
    return p.value().value_or(0);
}

} // namespace kmemu::test
