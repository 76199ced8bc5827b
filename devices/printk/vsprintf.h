// The part of the kernel's vsnprintf (lib/vsprintf.c) that drivers use with printk:
// %d %i %u %o %x %X with the h/hh/l/ll/z/Z/t qualifiers, %c, %s, %%, flags '-' '0' '+' ' ' '#',
// field width and precision (numbers or '*'), and the pointer conversions %p, %px, %pK.
//
// Conversions without 'p' print what glibc's printf prints for the same arguments, except where
// the kernel's number() differs from C (documented in docs/devices.md): "%#x" of 0 is "0x0",
// an integer precision never removes the '0' flag, and "%.0d" of 0 prints "0".
//
// Arguments are host C values. The emulated kernel's word size decides how wide long, size_t and
// pointers print: on 32-bit machines they are truncated to 32 bits, as the emulated kernel would
// have held them.
#pragma once

#include <cstdarg>
#include <string>

#include "devices/printk/siphash.h"
#include "mm/types.h"

namespace kmemu {

struct VsprintfContext {
    unsigned word_bits = 64;
    bool hash_pointers = true;    // %p hashed (4.15+), else the raw value
    bool null_pointer_raw = true; // %p of NULL/ERR_PTR prints the value (5.0+), else "(null)"
    bool has_kptr_restrict = true;
    unsigned kptr_restrict = 0;
    // restricted_pointer, kptr_restrict == 1: the reader has CAP_SYSLOG and its uid/gid equal
    // its euid/egid.
    bool kptr_reader_allowed = true;
    SiphashKey ptr_key;
};

[[nodiscard]] std::string kernel_vsprintf(const VsprintfContext& ctx, const char* fmt,
                                          va_list args);
[[nodiscard]] std::string kernel_sprintf(const VsprintfContext& ctx, const char* fmt, ...)
    __attribute__((format(printf, 2, 3)));

// ptr_to_id (4.15+): siphash_1u64 of the pointer masked to 32 bits on 64-bit kernels,
// siphash_1u32 on 32-bit ones.
[[nodiscard]] u64 hashed_pointer(const VsprintfContext& ctx, u64 ptr);

// The deterministic ptr_key of a machine (the kernel fills it from get_random_bytes once the
// CRNG is ready; kmemu derives it from random_seed, so the key is always ready and %p never
// prints "(____ptrval____)").
[[nodiscard]] SiphashKey ptr_key_for_seed(u64 seed);

} // namespace kmemu
