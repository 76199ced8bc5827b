// Misc devices (drivers/char/misc.c): char major 10, one minor each, registered by drivers with
// misc_register. A dynamic minor (MISC_DYNAMIC_MINOR) is the highest free one below 64, as the
// misc_minors bitmap hands them out (2.6.x-6.x; later kernels' larger dynamic range is not
// modelled). The node /dev/NAME is made with the device's mode (0: devtmpfs's 0600).
#pragma once

#include <map>

#include "devices/device_kernel.h"
#include "devices/vfs/fs.h"

namespace kmemu {

inline constexpr int MISC_DYNAMIC_MINOR = 255;
inline constexpr unsigned MISC_MAJOR = 10;

struct miscdevice {
    int minor;
    const char* name;
    const struct file_operations* fops;
    umode_t mode;
};

// misc_register: 0, -EBUSY (minor taken, or no dynamic minor left), -EINVAL (no name/fops).
int misc_register(DeviceKernel& kernel, miscdevice* misc);
void misc_deregister(DeviceKernel& kernel, miscdevice* misc);

// misc_init: register major 10 "misc" (at boot).
[[nodiscard]] int misc_init(DeviceKernel& kernel);

} // namespace kmemu
