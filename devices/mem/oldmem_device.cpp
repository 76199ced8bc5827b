#include "devices/mem/oldmem_device.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <vector>

#include <fmt/format.h>

#include "mm/errno.h"
#include "mm/kernel_profile.h"
#include "mm/layout.h"
#include "mm/machine_config.h"
#include "mm/uaccess.h"

namespace kmemu {

namespace {

struct FileCloser {
    void operator()(std::FILE* f) const { std::fclose(f); }
};

struct OldmemState {
    explicit OldmemState(DeviceKernel& k)
        : rules(oldmem_rules_for(k.config(), k.profile().arch, k.layout().page_size())),
          saved_max_pfn(k.layout().max_pfn.get()) {
        if (k.config().oldmem_file)
            open_image(*k.config().oldmem_file);
    }

    void open_image(const std::string& path) {
        image.reset(std::fopen(path.c_str(), "rb"));
        if (!image) {
            error = fmt::format("oldmem={}: {}", path, std::strerror(errno));
            return;
        }
        if (fseeko(image.get(), 0, SEEK_END) != 0) {
            error = fmt::format("oldmem={}: cannot seek: {}", path, std::strerror(errno));
            image.reset();
            return;
        }
        const off_t end = ftello(image.get());
        if (end < 0) {
            error = fmt::format("oldmem={}: cannot tell its size", path);
            image.reset();
            return;
        }
        image_size = static_cast<u64>(end);
    }

    // Bytes [phys, phys + out.size()) of the crashed kernel's memory: the image where it has
    // them, zeros elsewhere. False when the host read fails.
    bool read(u64 phys, std::span<u8> out) {
        std::fill(out.begin(), out.end(), u8{0});
        if (!image || phys >= image_size)
            return true;
        const u64 n = std::min<u64>(out.size(), image_size - phys);
        if (fseeko(image.get(), static_cast<off_t>(phys), SEEK_SET) != 0)
            return false;
        return std::fread(out.data(), 1, n, image.get()) == n;
    }

    OldmemRules rules;
    u64 saved_max_pfn;
    std::unique_ptr<std::FILE, FileCloser> image;
    u64 image_size = 0;
    std::string error;
};

OldmemState& state() {
    return current_kernel().state<OldmemState>();
}

// copy_oldmem_page (x86_64 crash_dump_64.c: ioremap_cache the page, copy_to_user; i386
// crash_dump_32.c: is_crashed_pfn_valid, then through the kdump bounce page): 0 for an empty
// chunk, -EFAULT for a pfn the i386 ptes cannot hold or when any byte fails to reach the user,
// else the chunk size. A failed host read of the image stands for ioremap failing (-ENOMEM).
ssize_t copy_oldmem_page(OldmemState& s, u64 pfn, VirtAddr buf, size_t csize, u64 offset) {
    if (csize == 0)
        return 0;
    if (s.rules.pfn_limit && pfn >= s.rules.pfn_limit)
        return -EFAULT;
    std::vector<u8> bounce(csize);
    if (!s.read(pfn * s.rules.page_size + offset, bounce))
        return -ENOMEM;
    Task* t = current_task();
    if (!t || !t->mm || copy_to_user(*t->mm, buf, bounce) != 0)
        return -EFAULT;
    return static_cast<ssize_t>(csize);
}

// read_oldmem (2.6.11-3.11): page by page from *ppos; a pfn above saved_max_pfn ends the read
// with the bytes so far (`>`: the page at saved_max_pfn itself is still read); a failed page is
// that error, although *ppos has already moved past every earlier page.
ssize_t read_oldmem(file*, char* buf, size_t count, loff_t* ppos) {
    OldmemState& s = state();
    const u64 page = s.rules.page_size;
    size_t read = 0;
    while (count > 0) {
        const u64 pos = static_cast<u64>(*ppos);
        u64 pfn = pos / page;
        if (s.rules.word_bits == 32)
            pfn &= 0xffffffffULL; // unsigned long pfn
        if (pfn > s.saved_max_pfn)
            return static_cast<ssize_t>(read);
        const u64 offset = pos % page;
        const size_t csize = static_cast<size_t>(std::min<u64>(count, page - offset));
        const ssize_t rc = copy_oldmem_page(s, pfn, user_addr(buf).offset(read), csize, offset);
        if (rc < 0)
            return rc;
        *ppos = static_cast<loff_t>(pos + csize);
        read += csize;
        count -= csize;
    }
    return static_cast<ssize_t>(read);
}

// open_oldmem = open_mem: CAP_SYS_RAWIO or -EPERM. kmemu adds -EIO for an unusable image.
int open_oldmem(inode*, file*) {
    if (!capable(CAP_SYS_RAWIO))
        return -EPERM;
    if (!state().error.empty())
        return -EIO;
    return 0;
}

const file_operations kOldmemFops = [] {
    file_operations f{};
    f.read = read_oldmem;
    f.open = open_oldmem;
    return f;
}();

} // namespace

const OldmemRules& oldmem_rules(DeviceKernel& kernel) {
    return kernel.state<OldmemState>().rules;
}
u64 oldmem_saved_max_pfn(DeviceKernel& kernel) {
    return kernel.state<OldmemState>().saved_max_pfn;
}
std::string oldmem_image_error(DeviceKernel& kernel) {
    return kernel.state<OldmemState>().error;
}

MemMinor oldmem_minor() {
    return MemMinor{
        12, "oldmem",
        [](const DeviceKernel& k) { return oldmem_rules(const_cast<DeviceKernel&>(k)).present; },
        [](const DeviceKernel&) { return &kOldmemFops; }};
}

} // namespace kmemu
