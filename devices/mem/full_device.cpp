#include "devices/mem/full_device.h"

#include "devices/mem/null_device.h"
#include "devices/mem/zero_device.h"
#include "mm/errno.h"

namespace kmemu {

namespace {

// write_full (every era): -ENOSPC before the buffer is looked at, also for a count of 0 (the VFS
// does not short-circuit it; checked on a real 6.1 kernel, kernel-semantics.md §2.12).
ssize_t write_full(file*, const char*, size_t, loff_t*) {
    return -ENOSPC;
}

const file_operations kFullFopsRead = [] { // 2.6.11-3.15: read_full = read_zero
    file_operations f{};
    f.llseek = null_lseek;
    f.read = read_zero;
    f.write = write_full;
    return f;
}();
const file_operations kFullFopsIter = [] { // 3.16+: read_iter_zero, no read
    file_operations f{};
    f.llseek = null_lseek;
    f.read_iter = read_iter_zero;
    f.write = write_full;
    return f;
}();

} // namespace

MemMinor full_minor() {
    return MemMinor{7, "full", [](const DeviceKernel&) { return true; },
                    [](const DeviceKernel& k) {
                        return zero_rules(const_cast<DeviceKernel&>(k)).has_read_iter
                                   ? &kFullFopsIter
                                   : &kFullFopsRead;
                    }};
}

} // namespace kmemu
