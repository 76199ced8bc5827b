// Task: what the kernel keeps of the current process that drivers and the VFS look at
// (task_struct's pid, comm, cred, mm and pending signals). The process itself, with its fd
// table and syscalls, is emu's Process, which owns one Task.
#pragma once

#include <string>

#include "devices/vfs/cred.h"

namespace kmemu {

class UserAccess;

struct Task {
    int pid = 0;
    std::string comm; // the command name (TASK_COMM_LEN 16 in the kernel)
    Cred cred;
    UserAccess* mm = nullptr; // the user address space; nullptr for a kernel thread
    // Pending signals as should_stop_iteration / signal_pending see them.
    bool signal_pending = false;
    bool fatal_signal_pending = false;
};

} // namespace kmemu
