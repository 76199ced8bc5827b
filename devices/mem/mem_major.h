// Char major 1 (drivers/char/mem.c chr_dev_init and memory_open): the devlist of the machine's
// version, the nodes devtmpfs makes for it, and the open that hands each minor its driver.
//
// Each minor's driver lives in its own file and provides a MemMinor: whether the device exists
// in this version and configuration, and its file_operations for this version. The node modes
// and the f_mode bits memory_open adds are devlist data, kept here (kernel-semantics.md §2.1).
#pragma once

#include <span>
#include <vector>

#include "devices/device_kernel.h"
#include "devices/vfs/fs.h"
#include "mm/kernel_version.h"

namespace kmemu {

struct MemMinor {
    unsigned minor = 0;
    const char* name = "";
    bool (*present)(const DeviceKernel&) = nullptr;
    const file_operations* (*fops)(const DeviceKernel&) = nullptr;
};

// The minors kmemu has drivers for, in minor order.
[[nodiscard]] std::span<const MemMinor> mem_minors();

// The node mode devtmpfs (or, before 2.6.32, udev) gives a minor, permission bits only.
[[nodiscard]] umode_t mem_node_mode(unsigned minor, KernelVersion v);
// The f_mode bits memory_open ORs in for a minor.
[[nodiscard]] fmode_t mem_open_fmode(unsigned minor, KernelVersion v);

// chr_dev_init: register major 1 "mem" and make /dev nodes for the present minors. 0 or -errno.
[[nodiscard]] int chr_dev_init(DeviceKernel& kernel);

// The minors present on this machine (for listings and tests).
[[nodiscard]] std::vector<const MemMinor*> present_mem_minors(const DeviceKernel& kernel);

} // namespace kmemu
