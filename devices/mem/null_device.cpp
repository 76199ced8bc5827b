#include "devices/mem/null_device.h"

#include "devices/vfs/iov_iter.h"

namespace kmemu {

namespace {

// read_null / write_null (every era): EOF, and the whole count accepted without reading it.
ssize_t read_null(file*, char*, size_t, loff_t*) {
    return 0;
}
ssize_t write_null(file*, const char*, size_t count, loff_t*) {
    return static_cast<ssize_t>(count);
}
// read_iter_null / write_iter_null (4.x+): the same through an iterator (the write advances it).
ssize_t read_iter_null(kiocb*, iov_iter*) {
    return 0;
}
ssize_t write_iter_null(kiocb*, iov_iter* from) {
    size_t count = iov_iter_count(from);
    iov_iter_advance(from, count);
    return static_cast<ssize_t>(count);
}

const file_operations kNullFops = [] {
    file_operations f{};
    f.llseek = null_lseek;
    f.read = read_null;
    f.write = write_null;
    f.read_iter = read_iter_null;
    f.write_iter = write_iter_null;
    return f;
}();

} // namespace

loff_t null_lseek(struct file* f, loff_t, int) {
    f->f_pos = 0;
    return 0;
}

MemMinor null_minor() {
    return MemMinor{3, "null", [](const DeviceKernel&) { return true; },
                    [](const DeviceKernel&) { return &kNullFops; }};
}

} // namespace kmemu
