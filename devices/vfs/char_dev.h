// The char-device registry (fs/char_dev.c): device-number regions with their names (what
// /proc/devices lists) and the cdev map that chrdev_open looks a kdev_t up in.
//
// Invariants: regions of one major never overlap; a cdev is in the map from cdev_add to
// cdev_del and the caller keeps it alive in between (as a driver keeps its struct cdev).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "devices/vfs/fs.h"
#include "mm/kernel_version.h"

namespace kmemu {

class CharDevices {
  public:
    explicit CharDevices(KernelVersion version) : m_version(version) {}

    // register_chrdev_region: 0, or -EBUSY when a region overlaps.
    [[nodiscard]] int register_chrdev_region(kdev_t from, unsigned count, std::string_view name);
    // alloc_chrdev_region: a dynamic major (the search order of the version), 0 or -EBUSY.
    [[nodiscard]] int alloc_chrdev_region(kdev_t* dev, unsigned baseminor, unsigned count,
                                          std::string_view name);
    void unregister_chrdev_region(kdev_t from, unsigned count);
    // register_chrdev: minors 0-255 with a cdev of its own. major 0: a dynamic major, which is
    // returned; otherwise 0. Negative errno on failure.
    [[nodiscard]] int register_chrdev(unsigned major, std::string_view name,
                                      const file_operations* fops);
    void unregister_chrdev(unsigned major, std::string_view name);

    // cdev_add / cdev_del (cdev_init is the free function below).
    [[nodiscard]] int cdev_add(cdev* p, kdev_t dev, unsigned count);
    void cdev_del(cdev* p);
    // kobj_lookup: the most recently added cdev covering dev, or nullptr.
    [[nodiscard]] cdev* lookup(kdev_t dev) const;

    // The "Character devices:" part of /proc/devices ("%3d %s\n" by major).
    [[nodiscard]] std::string render_proc_devices() const;

  private:
    struct Region {
        unsigned major, baseminor, count;
        std::string name;
        std::unique_ptr<cdev> owned; // register_chrdev's own cdev
    };
    [[nodiscard]] int find_dynamic_major() const;
    [[nodiscard]] int add_region(unsigned major, unsigned baseminor, unsigned count,
                                 std::string_view name);
    KernelVersion m_version;
    std::vector<Region> m_regions; // sorted by (major, baseminor)
    std::vector<cdev*> m_map;      // cdev_add order
};

// cdev_init: zero the cdev and remember the fops.
void cdev_init(cdev* p, const file_operations* fops);

} // namespace kmemu
