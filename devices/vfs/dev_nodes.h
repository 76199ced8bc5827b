// The device-node namespace: /dev as devtmpfs fills it at boot, plus nodes made with mknod.
// An inode lives as long as the machine, also after its node is removed (devtmpfs deleting a
// driver's node), so a struct inode pointer of an open file stays valid.
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
    // devtmpfs_delete_node (device_destroy): the path goes; 0 or -ENOENT.
    int remove(std::string_view path);
    // Paths in name order (what `ls /dev` shows).
    [[nodiscard]] std::vector<std::string> paths() const;

  private:
    std::map<std::string, std::unique_ptr<inode>, std::less<>> m_nodes;
    std::vector<std::unique_ptr<inode>> m_removed; // kept for files still open on them
    unsigned long m_next_ino = 1025; // devtmpfs inode numbers are small; kmemu's are stable
};

} // namespace kmemu
