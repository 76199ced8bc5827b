// The first lines a kernel logs at boot, as the machine's version prints them (all at time 0):
// the linux_banner (start_kernel, KERN_NOTICE), mem_init's "Memory:" line(s) (KERN_INFO; ARM's
// page-count line KERN_NOTICE) and, where the version prints it, the "virtual kernel memory
// layout" block (i386 KERN_INFO, ARM and arm64 KERN_NOTICE), each one printk call.
#pragma once

namespace kmemu {

class DeviceKernel;
class Machine;

void printk_boot_messages(const Machine& machine, DeviceKernel& kernel);

} // namespace kmemu
