#include "devices/vfs/vfs.h"

#include "devices/vfs/char_dev.h"
#include "devices/vfs/dev_nodes.h"
#include "devices/vfs/procfs.h"
#include "mm/errno.h"
#include "mm/kernel_profile.h"
#include "mm/machine_config.h"
#include "mm/uaccess.h"

namespace kmemu {

namespace {

struct VfsState {
    explicit VfsState(DeviceKernel& k)
        : rules(vfs_rules_for(k.profile().version, k.profile().arch, k.config().page_size())) {}
    VfsRules rules;
};

constexpr int MAY_WRITE = 2;
constexpr int MAY_READ = 4;

// generic_permission (fs/namei.c) for a non-directory: owner, group or other bits, then
// CAP_DAC_OVERRIDE for any access, CAP_DAC_READ_SEARCH for a read.
int generic_permission(const inode& node, const Cred& cred, int mask) {
    unsigned mode = node.i_mode;
    if (cred.fsuid == node.i_uid)
        mode >>= 6;
    else if (cred.fsgid == node.i_gid)
        mode >>= 3;
    if ((mask & ~static_cast<int>(mode) & (MAY_READ | MAY_WRITE)) == 0)
        return 0;
    if (cred.has_cap(CAP_DAC_OVERRIDE))
        return 0;
    if (mask == MAY_READ && cred.has_cap(CAP_DAC_READ_SEARCH))
        return 0;
    return -EACCES;
}

// The open(2) access mode: ACC_MODE's table (O_ACCMODE 3 asks for read and write) and
// OPEN_FMODE's f_mode bits (3 gives neither).
int acc_mode(unsigned flags) {
    switch (flags & oflag::kAccmode) {
    case oflag::kRdonly:
        return MAY_READ;
    case oflag::kWronly:
        return MAY_WRITE;
    default:
        return MAY_READ | MAY_WRITE;
    }
}
fmode_t open_fmode(unsigned flags) {
    return ((flags + 1) & oflag::kAccmode);
}

// chrdev_open (fs/char_dev.c): the cdev for i_rdev, its fops, then the driver's open.
int chrdev_open(DeviceKernel& k, inode* node, file* f) {
    cdev* c = node->i_cdev ? node->i_cdev : k.chrdevs().lookup(node->i_rdev);
    if (!c || !c->ops)
        return -ENXIO;
    node->i_cdev = c;
    f->f_op = c->ops;
    if (f->f_op->open)
        return f->f_op->open(node, f);
    return 0;
}

bool unsigned_offsets(const VfsRules& r, const file& f) {
    if (!r.unsigned_offsets)
        return false;
    if (r.fop_unsigned_offset)
        return (f.f_op->fop_flags & FOP_UNSIGNED_OFFSET) != 0;
    return (f.f_mode & FMODE_UNSIGNED_OFFSET) != 0;
}

// rw_verify_area (fs/read_write.c): 2.6.39+ lets a negative position through for files with
// unsigned offsets unless the transfer would wrap past 2^64 (-EOVERFLOW).
long rw_verify_area(const VfsRules& r, const file& f, loff_t pos, u64 count) {
    const bool neg_count = r.word_bits == 32 ? count >= 0x80000000ULL : (count >> 63) != 0;
    if (neg_count)
        return -EINVAL;
    const bool end_negative = static_cast<i64>(static_cast<u64>(pos) + count) < 0;
    if (!r.unsigned_offsets)
        return (pos < 0 || end_negative) ? -EINVAL : 0;
    if (pos < 0) {
        if (!unsigned_offsets(r, f))
            return -EINVAL;
        if (count >= static_cast<u64>(-(pos + 1)) + 1) // count >= -pos without overflow
            return -EOVERFLOW;
    } else if (end_negative && !unsigned_offsets(r, f)) {
        return -EINVAL;
    }
    return 0;
}

UserAccess* user_of_current() {
    Task* t = current_task();
    return t ? t->mm : nullptr;
}

} // namespace

const VfsRules& vfs_rules(const DeviceKernel& kernel) {
    return const_cast<DeviceKernel&>(kernel).state<VfsState>().rules;
}

OpenFile::~OpenFile() {
    if (m_opened && f.f_op && f.f_op->release) {
        DeviceKernelScope scope(m_kernel, current_task());
        f.f_op->release(f.f_inode, &f);
    }
}

void OpenFile::get_mapping_ref() {
    if (m_mapping_refs++ == 0)
        m_pinned = shared_from_this();
}

void OpenFile::put_mapping_ref() {
    if (m_mapping_refs == 0 || --m_mapping_refs != 0)
        return;
    std::shared_ptr<OpenFile> last = std::move(m_pinned); // may destroy *this on return
}

long vfs_open(DeviceKernel& k, Task& task, std::string_view path, unsigned flags, FileRef* out) {
    auto of = std::make_shared<OpenFile>(k, std::string(path));
    file& f = of->f;
    inode* node = nullptr;
    bool proc = path.starts_with("/proc/");
    if (proc) {
        ProcFs::Opened opened;
        if (int err = k.procfs().render(path, task, &opened))
            return err;
        of->m_proc_text = std::move(opened.text);
        of->m_proc_binary = std::move(opened.binary);
        of->m_proc_inode.i_mode = static_cast<umode_t>(kS_IFREG | opened.mode);
        of->m_proc_inode.i_uid = opened.uid;
        of->m_proc_inode.i_gid = opened.gid;
        node = &of->m_proc_inode;
    } else {
        node = k.nodes().lookup(path);
        if (!node)
            return -ENOENT;
    }
    if (int err = generic_permission(*node, task.cred, acc_mode(flags)))
        return err;

    f.f_inode = node;
    f.f_flags = flags & ~(oflag::kCreat | oflag::kExcl | oflag::kNoctty | oflag::kTrunc);
    f.f_mode = open_fmode(flags) | FMODE_LSEEK | FMODE_PREAD | FMODE_PWRITE;
    DeviceKernelScope scope(k, &task);
    if (proc && of->m_proc_binary) {
        f.f_op = proc_binary_fops();
        f.private_data = of->m_proc_binary.get();
        if (int err = of->m_proc_binary->open(task, f))
            return err;
    } else if (proc) {
        f.f_op = proc_file_fops();
        f.private_data = &of->m_proc_text;
    } else if (int err = chrdev_open(k, node, &f)) {
        return err;
    }
    of->m_opened = true;
    // do_dentry_open: what the final f_op can do.
    if ((f.f_mode & FMODE_READ) && (f.f_op->read || f.f_op->read_iter))
        f.f_mode |= FMODE_CAN_READ;
    if ((f.f_mode & FMODE_WRITE) && (f.f_op->write || f.f_op->write_iter))
        f.f_mode |= FMODE_CAN_WRITE;
    *out = std::move(of);
    return 0;
}

// vfs_read / vfs_write (fs/read_write.c, every era): EBADF without the mode, EINVAL without a
// method, access_ok, then rw_verify_area and the MAX_RW_COUNT clamp; drivers with only
// read_iter/write_iter go through new_sync_read/new_sync_write (one iovec, ki_pos copied back).
namespace {

enum class Direction { Read, Write };

long vfs_rw(OpenFile& of, Direction dir, VirtAddr buf, u64 count, loff_t* pos) {
    file& f = of.f;
    const bool rd = dir == Direction::Read;
    const VfsRules& r = vfs_rules(of.kernel());
    count &= r.word_mask();
    if (!(f.f_mode & (rd ? FMODE_READ : FMODE_WRITE)))
        return -EBADF;
    if (!(f.f_mode & (rd ? FMODE_CAN_READ : FMODE_CAN_WRITE)))
        return -EINVAL;
    UserAccess* u = user_of_current();
    if (u && !u->access_ok(buf, count))
        return -EFAULT;
    if (long err = rw_verify_area(r, f, *pos, count))
        return err;
    count = std::min(count, r.max_rw_count());
    if (rd && f.f_op->read)
        return f.f_op->read(&f, user_ptr(buf), count, pos);
    if (!rd && f.f_op->write)
        return f.f_op->write(&f, user_ptr(buf), count, pos);
    iovec iov{user_ptr(buf), count};
    iov_iter iter{rd ? 0 : 1, 0, count, &iov, 1};
    kiocb kio{&f, *pos, 0};
    long ret = rd ? f.f_op->read_iter(&kio, &iter) : f.f_op->write_iter(&kio, &iter);
    *pos = kio.ki_pos;
    return ret;
}

} // namespace

long vfs_read(OpenFile& of, VirtAddr buf, u64 count, loff_t* pos) {
    return vfs_rw(of, Direction::Read, buf, count, pos);
}

long vfs_write(OpenFile& of, VirtAddr buf, u64 count, loff_t* pos) {
    return vfs_rw(of, Direction::Write, buf, count, pos);
}

// lseek / vfs_llseek: whence above SEEK_MAX never reaches the driver; a file without an llseek
// method gets default_llseek before 2.6.37 and no_llseek after.
loff_t vfs_lseek(OpenFile& of, loff_t offset, int whence) {
    const VfsRules& r = vfs_rules(of.kernel());
    if (static_cast<unsigned>(whence) > static_cast<unsigned>(r.seek_max))
        return -EINVAL;
    file& f = of.f;
    if (!(f.f_mode & FMODE_LSEEK))
        return -ESPIPE;
    if (f.f_op->llseek)
        return f.f_op->llseek(&f, offset, whence);
    return r.missing_llseek_is_espipe ? no_llseek(&f, offset, whence)
                                      : default_llseek(&f, offset, whence);
}

long vfs_ioctl(OpenFile& of, unsigned cmd, u64 arg) {
    file& f = of.f;
    if (cmd == kFIONBIO) {
        UserAccess* u = user_of_current();
        int on = 0;
        if (!u || get_user(*u, on, VirtAddr(arg)) != 0)
            return -EFAULT;
        if (on)
            f.f_flags |= oflag::kNonblock;
        else
            f.f_flags &= ~oflag::kNonblock;
        return 0;
    }
    if (!f.f_op->unlocked_ioctl)
        return -ENOTTY;
    return f.f_op->unlocked_ioctl(&f, cmd, static_cast<unsigned long>(arg));
}

// default_llseek (fs/read_write.c); character devices have i_size 0.
loff_t default_llseek(struct file* f, loff_t offset, int whence) {
    const DeviceKernel* k = current_kernel_or_null();
    const bool unsigned_ok =
        k && vfs_rules(*k).unsigned_offsets && unsigned_offsets(vfs_rules(*k), *f);
    constexpr loff_t i_size = 0;
    switch (whence) {
    case kSeekEnd:
        offset += i_size;
        break;
    case kSeekCur:
        if (offset == 0)
            return f->f_pos;
        offset += f->f_pos;
        break;
    case kSeekData:
        if (offset >= i_size)
            return -ENXIO;
        break;
    case kSeekHole:
        if (offset >= i_size)
            return -ENXIO;
        offset = i_size;
        break;
    default:
        break;
    }
    if (offset >= 0 || unsigned_ok) {
        f->f_pos = offset;
        return offset;
    }
    return -EINVAL;
}

loff_t noop_llseek(struct file* f, loff_t, int) {
    return f->f_pos;
}
loff_t no_llseek(struct file*, loff_t, int) {
    return -ESPIPE;
}

} // namespace kmemu
