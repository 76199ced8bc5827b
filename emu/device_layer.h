// The device side of a machine: the char-device registry, /dev, procfs and the DeviceKernel
// through which drivers reach the machine. Built at the end of boot (chr_dev_init and the
// procfs entries), destroyed with the machine.
#pragma once

#include <memory>

#include "devices/device_kernel.h"
#include "devices/vfs/char_dev.h"
#include "devices/vfs/dev_nodes.h"
#include "devices/vfs/procfs.h"
#include "mm/error.h"

namespace kmemu {

class Machine;

class DeviceLayer {
  public:
    [[nodiscard]] static ErrorOr<std::unique_ptr<DeviceLayer>> boot(Machine& machine);

    [[nodiscard]] DeviceKernel& kernel() { return *m_kernel; }
    [[nodiscard]] CharDevices& chrdevs() { return m_chrdevs; }
    [[nodiscard]] DeviceNodes& nodes() { return m_nodes; }
    [[nodiscard]] ProcFs& procfs() { return m_procfs; }

  private:
    explicit DeviceLayer(KernelVersion v) : m_chrdevs(v) {}
    CharDevices m_chrdevs;
    DeviceNodes m_nodes;
    ProcFs m_procfs;
    // Destroyed first: driver state may refer to the registry and nodes above.
    std::unique_ptr<DeviceKernel> m_kernel;
};

// The procfs files of a machine (registered at boot): iomem, kallsyms, meminfo, devices,
// vmallocinfo, slabinfo, buddyinfo, zoneinfo, and per process what exists.
void register_procfs_files(Machine& machine, ProcFs& procfs);

} // namespace kmemu
