// printk for kernel code and drivers: the C++ form (already formatted text, which may start with
// the version's level token) and the C varargs form over the current kernel, with the kernel's
// vsnprintf conversions (devices/printk/vsprintf.h).
#pragma once

#include <cstdarg>
#include <string>
#include <string_view>

#include "devices/printk/printk_log.h"

namespace kmemu {

class DeviceKernel;

[[nodiscard]] PrintkLog& printk_log(DeviceKernel& kernel);

// printk(text): facility 0 (the kernel), the level from a leading token or
// default_message_loglevel; returns what the version's printk returns.
int printk(DeviceKernel& kernel, std::string_view text);
// printk_emit(facility, level, "%s", text) (level -1 = LOGLEVEL_DEFAULT).
int printk_emit(DeviceKernel& kernel, int facility, int level, std::string_view text);

// printk(fmt, ...) / vprintk on current_kernel() (throws NoCurrentKernel outside a scope).
int vprintk(const char* fmt, va_list args);
int printk(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

// The version's KERN_<LEVEL> string (KERN_EMERG .. KERN_DEBUG for 0..7): "<N>" before 3.6,
// KERN_SOH "\001" + digit from 3.6; KERN_CONT: "" before 2.6.31, "<c>" to 3.5, "\001c" after.
[[nodiscard]] std::string kern_level(const DeviceKernel& kernel, int level);
[[nodiscard]] std::string kern_cont(const DeviceKernel& kernel);

} // namespace kmemu
