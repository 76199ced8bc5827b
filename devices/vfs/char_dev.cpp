#include "devices/vfs/char_dev.h"

#include <algorithm>

#include <fmt/format.h>

#include "mm/errno.h"

namespace kmemu {

namespace {
constexpr unsigned kMajorMax = 512; // CHRDEV_MAJOR_MAX (4.12+); 255 before
} // namespace

// find_dynamic_major / the major == 0 branch of __register_chrdev_region: before 4.12 the first
// free major from 254 down to 1; from 4.12 from 254 down to 235, then 511 down to 384.
int CharDevices::find_dynamic_major() const {
    auto used = [&](unsigned major) {
        return std::any_of(m_regions.begin(), m_regions.end(),
                           [&](const Region& r) { return r.major == major; });
    };
    if (!m_version.at_least(4, 12)) {
        for (unsigned i = 254; i > 0; --i)
            if (!used(i))
                return static_cast<int>(i);
        return -EBUSY;
    }
    for (unsigned i = 254; i > 234; --i)
        if (!used(i))
            return static_cast<int>(i);
    for (unsigned i = 511; i >= 384; --i)
        if (!used(i))
            return static_cast<int>(i);
    return -EBUSY;
}

int CharDevices::add_region(unsigned major, unsigned baseminor, unsigned count,
                            std::string_view name) {
    if (major >= (m_version.at_least(4, 12) ? kMajorMax : 255u) || count == 0 ||
        baseminor + u64{count} > (u64{1} << kMinorBits))
        return -EINVAL;
    for (const Region& r : m_regions) {
        if (r.major != major)
            continue;
        u64 a0 = baseminor, a1 = u64{baseminor} + count; // [a0, a1)
        u64 b0 = r.baseminor, b1 = u64{r.baseminor} + r.count;
        if (a0 < b1 && b0 < a1)
            return -EBUSY;
    }
    Region r{major, baseminor, count, std::string(name.substr(0, 63)), nullptr};
    auto pos = std::find_if(m_regions.begin(), m_regions.end(), [&](const Region& x) {
        return x.major > major || (x.major == major && x.baseminor > baseminor);
    });
    m_regions.insert(pos, std::move(r));
    return 0;
}

int CharDevices::register_chrdev_region(kdev_t from, unsigned count, std::string_view name) {
    // Split at major boundaries as the kernel does; undo on failure.
    u64 to = u64{from} + count;
    std::vector<std::pair<kdev_t, unsigned>> done;
    for (u64 n = from; n < to;) {
        u64 next = std::min<u64>(u64{MKDEV(MAJOR(static_cast<kdev_t>(n)) + 1, 0)}, to);
        int err = add_region(MAJOR(static_cast<kdev_t>(n)), MINOR(static_cast<kdev_t>(n)),
                             static_cast<unsigned>(next - n), name);
        if (err) {
            for (auto [d, c] : done)
                unregister_chrdev_region(d, c);
            return err;
        }
        done.emplace_back(static_cast<kdev_t>(n), static_cast<unsigned>(next - n));
        n = next;
    }
    return 0;
}

int CharDevices::alloc_chrdev_region(kdev_t* dev, unsigned baseminor, unsigned count,
                                     std::string_view name) {
    int major = find_dynamic_major();
    if (major < 0)
        return major;
    int err = add_region(static_cast<unsigned>(major), baseminor, count, name);
    if (err)
        return err;
    *dev = MKDEV(static_cast<unsigned>(major), baseminor);
    return 0;
}

void CharDevices::unregister_chrdev_region(kdev_t from, unsigned count) {
    std::erase_if(m_regions, [&](const Region& r) {
        return r.major == MAJOR(from) && r.baseminor == MINOR(from) && r.count == count;
    });
}

int CharDevices::register_chrdev(unsigned major, std::string_view name,
                                 const file_operations* fops) {
    int m = major == 0 ? find_dynamic_major() : static_cast<int>(major);
    if (m < 0)
        return m;
    int err = add_region(static_cast<unsigned>(m), 0, 256, name);
    if (err)
        return err;
    auto c = std::make_unique<cdev>();
    cdev_init(c.get(), fops);
    err = cdev_add(c.get(), MKDEV(static_cast<unsigned>(m), 0), 256);
    if (err) {
        unregister_chrdev_region(MKDEV(static_cast<unsigned>(m), 0), 256);
        return err;
    }
    for (Region& r : m_regions)
        if (r.major == static_cast<unsigned>(m) && r.baseminor == 0 && r.count == 256)
            r.owned = std::move(c);
    return major == 0 ? m : 0;
}

void CharDevices::unregister_chrdev(unsigned major, std::string_view /*name*/) {
    for (Region& r : m_regions)
        if (r.major == major && r.baseminor == 0 && r.count == 256 && r.owned)
            cdev_del(r.owned.get());
    unregister_chrdev_region(MKDEV(major, 0), 256);
}

int CharDevices::cdev_add(cdev* p, kdev_t dev, unsigned count) {
    if (!p || count == 0)
        return -EINVAL;
    p->dev = dev;
    p->count = count;
    m_map.push_back(p);
    return 0;
}

void CharDevices::cdev_del(cdev* p) {
    std::erase(m_map, p);
}

cdev* CharDevices::lookup(kdev_t dev) const {
    for (auto it = m_map.rbegin(); it != m_map.rend(); ++it) {
        const cdev* c = *it;
        if (dev >= c->dev && u64{dev} < u64{c->dev} + c->count)
            return *it;
    }
    return nullptr;
}

// chrdev_show (fs/char_dev.c): one line per region, by major then base minor.
std::string CharDevices::render_proc_devices() const {
    std::string out = "Character devices:\n";
    for (const Region& r : m_regions)
        out += fmt::format("{:3} {}\n", r.major, r.name);
    return out;
}

void cdev_init(cdev* p, const file_operations* fops) {
    *p = cdev{};
    p->ops = fops;
}

} // namespace kmemu
