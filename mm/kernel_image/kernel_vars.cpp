#include "mm/kernel_image/kernel_vars.h"

#include <cstring>
#include <vector>

namespace kmemu {

namespace {

constexpr u64 kNsecPerSec = 1'000'000'000;

ErrorOr<const KernelSymbol*> lookup(const KernelSymbols& symbols, std::string_view name) {
    const KernelSymbol* s = symbols.find(name);
    if (s == nullptr)
        return make_error(ErrorKind::Internal, "kernel variable {} has no symbol", name);
    return s;
}

ErrorOr<void> check(PhysStatus status, const KernelSymbol& s) {
    if (status != PhysStatus::Ok)
        return make_error(ErrorKind::InvalidConfig,
                          "kernel variable {} ({:#x}) is at physical {:#x}, which is not RAM: "
                          "the kernel image must lie in System RAM",
                          s.name, s.address.get(), s.phys.get());
    return {};
}

// A word-sized store (unsigned long / void *).
ErrorOr<void> store_word(const KernelSymbols& symbols, std::string_view name, unsigned word_bytes,
                         u64 value, PhysicalMemory& phys) {
    const KernelSymbol* s = TRY(lookup(symbols, name));
    PhysStatus st = word_bytes == 4 ? phys.write_u32(s->phys, static_cast<u32>(value))
                                    : phys.write_u64(s->phys, value);
    return check(st, *s);
}

} // namespace

u64 initial_jiffies(unsigned hz) {
    // -300*HZ in int arithmetic, then through unsigned int: the low 32 bits, zero-extended.
    const u64 magnitude = 300 * static_cast<u64>(hz);
    return (u64{0x100000000} - magnitude) & 0xffffffffu;
}

u64 jiffies_64_after(unsigned hz, u64 elapsed_ns) {
    const u64 whole = elapsed_ns / kNsecPerSec;
    const u64 part = elapsed_ns % kNsecPerSec; // part * hz < 1e9 * 1e4: no overflow
    return initial_jiffies(hz) + whole * hz + part * hz / kNsecPerSec;
}

ErrorOr<void> write_kernel_variables(const KernelSymbols& symbols, const KernelImageRules& rules,
                                     const KernelVarValues& values, PhysicalMemory& phys) {
    const unsigned w = rules.word_bytes;
    TRY(store_word(symbols, "high_memory", w, values.high_memory, phys));
    TRY(store_word(symbols, "max_low_pfn", w, values.max_low_pfn, phys));
    TRY(store_word(symbols, "max_pfn", w, values.max_pfn, phys));
    TRY(store_word(symbols, rules.totalram_name, w, values.totalram_pages, phys));

    const KernelSymbol* banner = TRY(lookup(symbols, "linux_banner"));
    std::vector<std::byte> bytes(values.banner.size() + 1, std::byte{0});
    std::memcpy(bytes.data(), values.banner.data(), values.banner.size());
    PhysResult r = phys.write(banner->phys, bytes);
    TRY(check(r.status, *banner));

    return write_jiffies(symbols, phys, initial_jiffies(rules.hz));
}

ErrorOr<void> write_jiffies(const KernelSymbols& symbols, PhysicalMemory& phys, u64 jiffies_64) {
    const KernelSymbol* s = TRY(lookup(symbols, "jiffies_64"));
    return check(phys.write_u64(s->phys, jiffies_64), *s);
}

} // namespace kmemu
