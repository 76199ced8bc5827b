// The device-node namespace: /dev as devtmpfs fills it at boot, plus nodes made with mknod.
// Nodes live as long as the machine (no unlink), so a struct inode pointer stays valid.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "devices/vfs/fs.h"

namespace kmemu {

class DeviceNodes {
  public:
    // mknod(path, mode, dev): 0, -EEXIST, or -EINVAL (not a char node, or not an absolute path,
    // or a path under /proc). The inode gets uid/gid as given (devtmpfs: root).
    [[nodiscard]] int mknod(std::string_view path, umode_t mode, kdev_t dev, unsigned uid = 0,
                            unsigned gid = 0);
    [[nodiscard]] inode* lookup(std::string_view path) const;
    // Paths in name order (what `ls /dev` shows).
    [[nodiscard]] std::vector<std::string> paths() const;

  private:
    std::map<std::string, std::unique_ptr<inode>, std::less<>> m_nodes;
    unsigned long m_next_ino = 1025; // devtmpfs inode numbers are small; kmemu's are stable
};

} // namespace kmemu
