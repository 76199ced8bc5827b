// The syscall side of the VFS for device and procfs files: open (path lookup, permission,
// chrdev_open, the driver's open), read/write/pread64/pwrite64 with vfs_read/vfs_write's checks,
// lseek with vfs_llseek and the generic llseek helpers, ioctl. Everything returns what the
// kernel returns: a count, a position, or a negative errno (kernel-semantics.md §1).
//
// All calls run inside a DeviceKernelScope whose task is the caller (drivers look at `current`).
#pragma once

#include <memory>
#include <string>

#include "devices/device_kernel.h"
#include "devices/vfs/fs.h"
#include "devices/vfs/procfs.h"
#include "devices/vfs/vfs_rules.h"

namespace kmemu {

// An open file description (struct file plus what keeps it valid). Shared by fds that refer to
// it; the driver's release runs when the last reference goes (fput).
class OpenFile : public std::enable_shared_from_this<OpenFile> {
  public:
    OpenFile(DeviceKernel& kernel, std::string path) : m_kernel(kernel), m_path(std::move(path)) {
        f.f_kmemu_owner = this;
    }
    ~OpenFile();
    OpenFile(const OpenFile&) = delete;
    OpenFile& operator=(const OpenFile&) = delete;

    struct file f {};
    [[nodiscard]] const std::string& path() const { return m_path; }
    [[nodiscard]] DeviceKernel& kernel() const { return m_kernel; }
    // The OpenFile a struct file belongs to (nullptr for a file kmemu did not open).
    [[nodiscard]] static OpenFile* of(struct file* f) {
        return f ? static_cast<OpenFile*>(f->f_kmemu_owner) : nullptr;
    }
    // get_file / fput for mappings: while a VMA maps the file, it stays open (and its
    // driver's release waits) even after every descriptor is closed.
    void get_mapping_ref();
    void put_mapping_ref();

  private:
    friend long vfs_open(DeviceKernel&, Task&, std::string_view, unsigned,
                         std::shared_ptr<OpenFile>*);
    DeviceKernel& m_kernel;
    std::string m_path;
    struct inode m_proc_inode {}; // procfs files have no node in DeviceNodes
    std::string m_proc_text;
    std::unique_ptr<ProcBinaryFile> m_proc_binary; // binary procfs files (pagemap)
    bool m_opened = false;                         // the driver's open succeeded: release is owed
    unsigned m_mapping_refs = 0;
    std::shared_ptr<OpenFile> m_pinned; // set while m_mapping_refs > 0
};
using FileRef = std::shared_ptr<OpenFile>;

// open(2) of a path: /dev nodes and /proc files. 0 and *out set, or -ENOENT, -EACCES, -ENXIO,
// or what the driver's open returned.
long vfs_open(DeviceKernel& kernel, Task& task, std::string_view path, unsigned flags,
              FileRef* out);

// vfs_read / vfs_write with the position given (read(2) passes &f_pos, pread64 a copy).
long vfs_read(OpenFile& of, VirtAddr buf, u64 count, loff_t* pos);
long vfs_write(OpenFile& of, VirtAddr buf, u64 count, loff_t* pos);
// lseek(2) up to the driver's result (whence checked against SEEK_MAX); the caller narrows it
// to the syscall's return type.
loff_t vfs_lseek(OpenFile& of, loff_t offset, int whence);
// ioctl(2) on the file (FIONBIO here; FIOCLEX/FIONCLEX are the fd table's).
long vfs_ioctl(OpenFile& of, unsigned cmd, u64 arg);

[[nodiscard]] const VfsRules& vfs_rules(const DeviceKernel& kernel);

// Generic llseek helpers drivers put in their file_operations (fs/read_write.c).
loff_t default_llseek(struct file* f, loff_t offset, int whence);
loff_t noop_llseek(struct file* f, loff_t offset, int whence);
loff_t no_llseek(struct file* f, loff_t offset, int whence);

inline constexpr unsigned kFIONBIO = 0x5421;
inline constexpr unsigned kFIONCLEX = 0x5450;
inline constexpr unsigned kFIOCLEX = 0x5451;

} // namespace kmemu
