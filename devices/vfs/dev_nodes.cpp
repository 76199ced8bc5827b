#include "devices/vfs/dev_nodes.h"

#include "mm/errno.h"

namespace kmemu {

int DeviceNodes::mknod(std::string_view path, umode_t mode, kdev_t dev, unsigned uid,
                       unsigned gid) {
    if (path.size() < 2 || path[0] != '/' || path.back() == '/' || path.starts_with("/proc/") ||
        (mode & kS_IFMT) != kS_IFCHR)
        return -EINVAL;
    if (m_nodes.find(path) != m_nodes.end())
        return -EEXIST;
    auto node = std::make_unique<inode>();
    node->i_mode = mode;
    node->i_uid = uid;
    node->i_gid = gid;
    node->i_rdev = dev;
    node->i_ino = m_next_ino++;
    m_nodes.emplace(std::string(path), std::move(node));
    return 0;
}

inode* DeviceNodes::lookup(std::string_view path) const {
    auto it = m_nodes.find(path);
    return it == m_nodes.end() ? nullptr : it->second.get();
}

std::vector<std::string> DeviceNodes::paths() const {
    std::vector<std::string> out;
    for (const auto& [p, n] : m_nodes)
        out.push_back(p);
    return out;
}

int DeviceNodes::remove(std::string_view path) {
    auto it = m_nodes.find(path);
    if (it == m_nodes.end())
        return -ENOENT;
    m_removed.push_back(std::move(it->second));
    m_nodes.erase(it);
    return 0;
}

} // namespace kmemu
