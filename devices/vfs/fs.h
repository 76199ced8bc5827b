// The VFS objects drivers see, as the kernel's <linux/fs.h> defines them: struct inode, struct
// file, struct file_operations, struct kiocb, struct iov_iter. They are C-compatible (standard
// layout, C types only, function pointers with C signatures) because outside drivers written in
// C fill in the same `struct file_operations` (DESIGN.md "One driver interface").
//
// User buffers (`char __user *`) carry the emulated user virtual address as their pointer value;
// no driver dereferences them. kmemu's own drivers turn them into VirtAddr with user_addr().
#pragma once

#include <cstddef>
#include <cstdint>
#include <sys/types.h> // ssize_t

#include "mm/types.h"

struct module;

namespace kmemu {

struct vm_area_struct; // mm/user/vm_area.h

using loff_t = std::int64_t; // the same type as the host C library's loff_t, so the two never clash
using fmode_t = unsigned int;
using umode_t = unsigned short;
// The kernel-internal dev_t (named kdev_t here so it never meets the host dev_t): 12 bits of major,
// 20 of minor (include/linux/kdev_t.h).
using kdev_t = unsigned int;

constexpr unsigned kMinorBits = 20;
[[nodiscard]] constexpr kdev_t MKDEV(unsigned major, unsigned minor) {
    return (major << kMinorBits) | minor;
}
[[nodiscard]] constexpr unsigned MAJOR(kdev_t dev) {
    return dev >> kMinorBits;
}
[[nodiscard]] constexpr unsigned MINOR(kdev_t dev) {
    return dev & ((1u << kMinorBits) - 1);
}

// f_mode bits (include/linux/fs.h; values of 6.1, which kept the older ones).
inline constexpr fmode_t FMODE_READ = 0x1;
inline constexpr fmode_t FMODE_WRITE = 0x2;
inline constexpr fmode_t FMODE_LSEEK = 0x4;
inline constexpr fmode_t FMODE_PREAD = 0x8;
inline constexpr fmode_t FMODE_PWRITE = 0x10;
inline constexpr fmode_t FMODE_EXEC = 0x20;
inline constexpr fmode_t FMODE_NDELAY = 0x40;
inline constexpr fmode_t FMODE_EXCL = 0x80;
inline constexpr fmode_t FMODE_UNSIGNED_OFFSET = 0x2000;
inline constexpr fmode_t FMODE_CAN_READ = 0x20000;
inline constexpr fmode_t FMODE_CAN_WRITE = 0x40000;
inline constexpr fmode_t FMODE_NOWAIT = 0x8000000;

// fop_flags (6.12+).
inline constexpr unsigned FOP_UNSIGNED_OFFSET = 0x4;

// open(2) flags common to x86 and ARM (include/uapi/asm-generic/fcntl.h). The arch-specific
// ones (O_DIRECTORY, O_NOFOLLOW, O_DIRECT, O_LARGEFILE) are not used by the VFS here.
namespace oflag {
inline constexpr unsigned kAccmode = 03;
inline constexpr unsigned kRdonly = 00;
inline constexpr unsigned kWronly = 01;
inline constexpr unsigned kRdwr = 02;
inline constexpr unsigned kCreat = 0100;
inline constexpr unsigned kExcl = 0200;
inline constexpr unsigned kNoctty = 0400;
inline constexpr unsigned kTrunc = 01000;
inline constexpr unsigned kAppend = 02000;
inline constexpr unsigned kNonblock = 04000;
inline constexpr unsigned kDsync = 010000;
inline constexpr unsigned kSync = 04010000; // __O_SYNC | O_DSYNC (2.6.33+; O_DSYNC alone before)
inline constexpr unsigned kCloexec = 02000000;
} // namespace oflag

// lseek whence values.
inline constexpr int kSeekSet = 0;
inline constexpr int kSeekCur = 1;
inline constexpr int kSeekEnd = 2;
inline constexpr int kSeekData = 3;
inline constexpr int kSeekHole = 4;

// i_mode file type bits and permission bits (include/uapi/linux/stat.h).
inline constexpr umode_t kS_IFMT = 0170000;
inline constexpr umode_t kS_IFCHR = 0020000;
inline constexpr umode_t kS_IFDIR = 0040000;
inline constexpr umode_t kS_IFREG = 0100000;

struct cdev;
struct file;
struct inode;

struct inode {
    umode_t i_mode;
    unsigned int i_uid;
    unsigned int i_gid;
    kdev_t i_rdev;
    unsigned long i_ino;
    struct cdev* i_cdev;
    const struct file_operations* i_fop;
    void* i_private;
};

struct file {
    const struct file_operations* f_op;
    struct inode* f_inode;
    fmode_t f_mode;
    unsigned int f_flags;
    loff_t f_pos;
    void* private_data;
    void* f_kmemu_owner; // kmemu's: the OpenFile this file is part of (not a kernel field)
};

// One user buffer segment of a read_iter/write_iter call.
struct iovec {
    void* iov_base; // user address
    size_t iov_len;
};

// A user-memory iterator over iovecs (ITER_IOVEC / ITER_UBUF only).
struct iov_iter {
    int data_source; // nonzero: the iterator is a source (write_iter)
    size_t iov_offset;
    size_t count;
    const struct iovec* iov;
    unsigned long nr_segs;
};

inline constexpr int IOCB_NOWAIT = 1 << 7;

struct kiocb {
    struct file* ki_filp;
    loff_t ki_pos;
    int ki_flags;
};

// Members default to NULL / 0 so a driver names only the methods it has (`.mmap = f`).
struct file_operations {
    struct module* owner = nullptr;
    unsigned int fop_flags = 0;
    loff_t (*llseek)(struct file*, loff_t, int) = nullptr;
    ssize_t (*read)(struct file*, char* /* __user */, size_t, loff_t*) = nullptr;
    ssize_t (*write)(struct file*, const char* /* __user */, size_t, loff_t*) = nullptr;
    ssize_t (*read_iter)(struct kiocb*, struct iov_iter*) = nullptr;
    ssize_t (*write_iter)(struct kiocb*, struct iov_iter*) = nullptr;
    long (*unlocked_ioctl)(struct file*, unsigned int, unsigned long) = nullptr;
    int (*mmap)(struct file*, struct vm_area_struct*) = nullptr;
    int (*open)(struct inode*, struct file*) = nullptr;
    int (*release)(struct inode*, struct file*) = nullptr;
    unsigned long (*get_unmapped_area)(struct file*, unsigned long, unsigned long, unsigned long,
                                       unsigned long) = nullptr;
};

struct cdev {
    struct module* owner;
    const struct file_operations* ops;
    kdev_t dev;
    unsigned int count;
};

// The emulated user address a `char __user *` carries.
[[nodiscard]] inline VirtAddr user_addr(const void* p) {
    return VirtAddr(reinterpret_cast<std::uintptr_t>(p));
}
// A `char __user *` for an emulated user address.
[[nodiscard]] inline char* user_ptr(VirtAddr va) {
    return reinterpret_cast<char*>(static_cast<std::uintptr_t>(va.get()));
}

[[nodiscard]] inline struct inode* file_inode(const struct file* f) {
    return f->f_inode;
}
[[nodiscard]] inline unsigned iminor(const struct inode* i) {
    return MINOR(i->i_rdev);
}
[[nodiscard]] inline unsigned imajor(const struct inode* i) {
    return MAJOR(i->i_rdev);
}

} // namespace kmemu
