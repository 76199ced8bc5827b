#include "devices/printk/printk.h"

#include "devices/device_kernel.h"
#include "devices/printk/vsprintf.h"
#include "mm/kernel_profile.h"

namespace kmemu {

PrintkLog& printk_log(DeviceKernel& kernel) {
    return kernel.state<PrintkLog>();
}

int printk(DeviceKernel& kernel, std::string_view text) {
    return printk_log(kernel).vprintk_emit(0, LOGLEVEL_DEFAULT, text);
}

int printk_emit(DeviceKernel& kernel, int facility, int level, std::string_view text) {
    return printk_log(kernel).vprintk_emit(facility, level, text);
}

int vprintk(const char* fmt, va_list args) {
    DeviceKernel& k = current_kernel();
    PrintkLog& log = printk_log(k);
    const std::string text = kernel_vsprintf(log.vsprintf_context(), fmt, args);
    return log.vprintk_emit(0, LOGLEVEL_DEFAULT, text);
}

int printk(const char* fmt, ...) {
    va_list args;
    va_start(args, fmt);
    const int r = vprintk(fmt, args);
    va_end(args);
    return r;
}

std::string kern_level(const DeviceKernel& kernel, int level) {
    const char digit = static_cast<char>('0' + (level & 7));
    if (kernel.profile().version.at_least(3, 6))
        return std::string("\001") + digit;
    return std::string("<") + digit + ">";
}

std::string kern_cont(const DeviceKernel& kernel) {
    const KernelVersion v = kernel.profile().version;
    if (v.at_least(3, 6))
        return "\001c";
    return v.at_least(2, 6, 31) ? "<c>" : "";
}

} // namespace kmemu
