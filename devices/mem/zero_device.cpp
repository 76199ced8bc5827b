#include "devices/mem/zero_device.h"

#include <algorithm>

#include "devices/mem/null_device.h"
#include "devices/mem/zero_mmap.h"
#include "devices/vfs/iov_iter.h"
#include "mm/kernel_profile.h"
#include "mm/layout.h"
#include "mm/uaccess.h"

namespace kmemu {

namespace {

struct ZeroState {
    explicit ZeroState(DeviceKernel& k)
        : rules(zero_rules_for(k.profile().version, k.layout().page_size())) {}
    ZeroRules rules;
};

UserAccess* current_mm() {
    Task* t = current_task();
    return t ? t->mm : nullptr;
}

// read_zero 2.6.11-3.15: nothing to do for count 0; access_ok up front; PAGE_SIZE chunks, the
// first short one ends the loop; -EFAULT only when nothing was cleared. From 2.6.31 the chunks
// use __clear_user and a pending signal after a full chunk returns what was cleared.
ssize_t read_zero_classic(const ZeroRules& r, UserAccess& mm, VirtAddr buf, size_t count) {
    if (count == 0)
        return 0;
    if (!mm.access_ok(buf, count))
        return -EFAULT;
    const bool interruptible = r.read_loop == ZeroReadLoop::ClearUserSignal;
    size_t written = 0;
    while (count > 0) {
        const size_t chunk = std::min<size_t>(count, r.page_size);
        const u64 unwritten = interruptible ? __clear_user(mm, buf.offset(written), chunk)
                                            : clear_user(mm, buf.offset(written), chunk);
        written += chunk - unwritten;
        if (unwritten)
            break;
        if (interruptible && signal_pending_current())
            return written ? static_cast<ssize_t>(written) : -ERESTARTSYS;
        count -= chunk;
    }
    return written ? static_cast<ssize_t>(written) : -EFAULT;
}

// read_zero 5.10+: PAGE_SIZE chunks of clear_user; a short chunk adds its cleared part and ends
// the read (-EFAULT when that leaves nothing); a pending signal after a full chunk ends it.
ssize_t read_zero_partial(const ZeroRules& r, UserAccess& mm, VirtAddr buf, size_t count) {
    size_t cleared = 0;
    while (count > 0) {
        const size_t chunk = std::min<size_t>(count, r.page_size);
        const u64 left = clear_user(mm, buf.offset(cleared), chunk);
        if (left) {
            cleared += chunk - left;
            if (cleared == 0)
                return -EFAULT;
            break;
        }
        cleared += chunk;
        count -= chunk;
        if (signal_pending_current())
            break;
    }
    return static_cast<ssize_t>(cleared);
}

// write_zero = write_null (every era): the whole count, the buffer never read.
ssize_t write_zero(file*, const char*, size_t count, loff_t*) {
    return static_cast<ssize_t>(count);
}
// write_iter_zero = write_iter_null (3.16+).
ssize_t write_iter_zero(kiocb*, iov_iter* from) {
    const size_t count = iov_iter_count(from);
    iov_iter_advance(from, count);
    return static_cast<ssize_t>(count);
}

// zero_fops per era, each with mmap_zero (devices/mem/zero_mmap.cpp). 5.x+'s
// get_unmapped_area_zero is left out: without THP it returns what the mm's allocator would
// (shmem_get_unmapped_area only aligns for huge pages; private mappings use the mm's).
const file_operations kZeroFopsRead = [] { // 2.6.11-3.15
    file_operations f{};
    f.llseek = null_lseek;
    f.read = read_zero;
    f.write = write_zero;
    f.mmap = mmap_zero;
    return f;
}();
const file_operations kZeroFopsIter = [] { // 3.16-5.9
    file_operations f{};
    f.llseek = null_lseek;
    f.mmap = mmap_zero;
    f.write = write_zero;
    f.read_iter = read_iter_zero;
    f.write_iter = write_iter_zero;
    return f;
}();
const file_operations kZeroFopsBoth = [] { // 5.10+
    file_operations f = kZeroFopsIter;
    f.read = read_zero;
    return f;
}();

} // namespace

const ZeroRules& zero_rules(DeviceKernel& kernel) {
    return kernel.state<ZeroState>().rules;
}

ssize_t read_zero(file*, char* buf, size_t count, loff_t*) {
    const ZeroRules& r = zero_rules(current_kernel());
    UserAccess* mm = current_mm();
    if (!mm)
        return count ? -EFAULT : 0;
    if (r.read_loop == ZeroReadLoop::ClearUserPartial)
        return read_zero_partial(r, *mm, user_addr(buf), count);
    return read_zero_classic(r, *mm, user_addr(buf), count);
}

// read_iter_zero (3.16+): PAGE_SIZE steps of iov_iter_zero; a step that zeroes nothing while
// bytes remain ends the read (-EFAULT when nothing was written); a pending signal after a step
// ends it (-ERESTARTSYS when nothing was written). 5.x's IOCB_NOWAIT bail-out only fires when
// the task must reschedule, which never happens here.
ssize_t read_iter_zero(kiocb*, iov_iter* to) {
    const ZeroRules& r = zero_rules(current_kernel());
    size_t written = 0;
    while (iov_iter_count(to) > 0) {
        const size_t chunk = std::min<size_t>(iov_iter_count(to), r.page_size);
        const size_t n = iov_iter_zero(chunk, to);
        if (n == 0 && iov_iter_count(to) > 0)
            return written ? static_cast<ssize_t>(written) : -EFAULT;
        written += n;
        if (signal_pending_current())
            return written ? static_cast<ssize_t>(written) : -ERESTARTSYS;
    }
    return static_cast<ssize_t>(written);
}

MemMinor zero_minor() {
    return MemMinor{5, "zero", [](const DeviceKernel&) { return true; },
                    [](const DeviceKernel& k) {
                        const ZeroRules& r = zero_rules(const_cast<DeviceKernel&>(k));
                        if (!r.has_read_iter)
                            return &kZeroFopsRead;
                        return r.zero_has_read ? &kZeroFopsBoth : &kZeroFopsIter;
                    }};
}

} // namespace kmemu
