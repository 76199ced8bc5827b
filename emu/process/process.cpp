#include "emu/process/process.h"

#include "devices/vfs/vfs_mmap.h"
#include "emu/kernel/kernel_scope.h"
#include "emu/machine.h"
#include "mm/errno.h"

namespace kmemu {

// Kernel code a syscall or a user fault runs (the VFS, drivers, their mmap and ->fault) finds
// the machine both ways: the devices' DeviceKernelScope and emu's KernelScope.
struct Process::InKernel {
    explicit InKernel(Process& p)
        : machine(p.m_machine), devices(p.m_machine.devices().kernel(), &p.m_task) {}
    kernel::KernelScope machine;
    DeviceKernelScope devices;
};

Process::Process(Machine& machine, int pid, ProcessOptions options) : m_machine(machine) {
    m_task.pid = pid;
    m_task.comm = options.comm.substr(0, 15); // TASK_COMM_LEN - 1
    m_task.cred = options.cred;
    // exec's mm: empty (no ELF image, stack or vDSO: see mm/user/mm_struct.h).
    if (auto deps = machine.mm_deps()) {
        MmOptions o;
        o.cap_sys_rawio = m_task.cred.has_cap(CAP_SYS_RAWIO);
        if (auto mm = MmStruct::create(deps.value(), o))
            m_user_mm = mm.release_value();
    }
    if (m_user_mm)
        m_user_mm->set_file_refs(kVfsFileRefs);
    m_task.mm = m_user_mm.get();
    for (int fd = 0; fd < 3; ++fd)
        (void)open("/dev/null", fd == 0 ? oflag::kRdonly : oflag::kWronly);
}

Process::~Process() {
    // exit_files before exit_mm: releases run while the address space still exists.
    const InKernel scope(*this);
    m_fds.clear();
    m_task.mm = nullptr;
    m_user_mm.reset(); // exit_mmap: vm_ops->close and the mappings' file references
}

void Process::set_user_memory(std::unique_ptr<UserAccess> mm) {
    m_stand_in = std::move(mm);
    m_task.mm = m_stand_in ? m_stand_in.get() : m_user_mm.get();
}

long Process::ret(long v) const {
    if (is_32bit(m_machine.config().arch))
        return static_cast<long>(static_cast<i64>(static_cast<int32_t>(static_cast<u32>(v))));
    return v;
}

OpenFile* Process::file(int fd) const {
    if (fd < 0 || static_cast<size_t>(fd) >= m_fds.size())
        return nullptr;
    return m_fds[static_cast<size_t>(fd)].get();
}

template <typename Fn>
long Process::with_file(int fd, Fn&& fn) {
    OpenFile* f = file(fd);
    if (!f)
        return -EBADF;
    FileRef keep = m_fds[static_cast<size_t>(fd)]; // fdget: the file outlives a racing close
    const InKernel scope(*this);
    return ret(fn(*keep));
}

// do_sys_open: the lowest free fd below RLIMIT_NOFILE (-EMFILE), then the open.
long Process::open(std::string_view path, unsigned flags) {
    size_t fd = 0;
    while (fd < m_fds.size() && m_fds[fd])
        ++fd;
    if (fd >= static_cast<size_t>(kMaxFds))
        return -EMFILE;
    FileRef of;
    long err = vfs_open(m_machine.devices().kernel(), m_task, path, flags, &of);
    if (err)
        return ret(err);
    if (fd == m_fds.size()) {
        m_fds.emplace_back();
        m_cloexec.push_back(false);
    }
    m_fds[fd] = std::move(of);
    m_cloexec[fd] = (flags & oflag::kCloexec) != 0;
    return static_cast<long>(fd);
}

long Process::close(int fd) {
    if (!file(fd))
        return -EBADF;
    const InKernel scope(*this);
    m_fds[static_cast<size_t>(fd)].reset();
    return 0;
}

long Process::read(int fd, VirtAddr buf, u64 count) {
    return with_file(fd, [&](OpenFile& f) { return vfs_read(f, buf, count, &f.f.f_pos); });
}

long Process::write(int fd, VirtAddr buf, u64 count) {
    return with_file(fd, [&](OpenFile& f) { return vfs_write(f, buf, count, &f.f.f_pos); });
}

// pread64 / pwrite64 (every era): a negative position is -EINVAL before the fd is looked at;
// FMODE_PREAD/PWRITE or -ESPIPE; the position is a copy, f_pos never moves.
long Process::pread64(int fd, VirtAddr buf, u64 count, loff_t pos) {
    if (pos < 0)
        return -EINVAL;
    return with_file(fd, [&](OpenFile& f) -> long {
        if (!(f.f.f_mode & FMODE_PREAD))
            return -ESPIPE;
        loff_t p = pos;
        return vfs_read(f, buf, count, &p);
    });
}

long Process::pwrite64(int fd, VirtAddr buf, u64 count, loff_t pos) {
    if (pos < 0)
        return -EINVAL;
    return with_file(fd, [&](OpenFile& f) -> long {
        if (!(f.f.f_mode & FMODE_PWRITE))
            return -ESPIPE;
        loff_t p = pos;
        return vfs_write(f, buf, count, &p);
    });
}

// sys_lseek (fs/read_write.c): off_t is the word size; a 64-bit result that does not fit
// is -EOVERFLOW on 32-bit kernels.
long Process::lseek(int fd, i64 offset, int whence) {
    const bool w32 = is_32bit(m_machine.config().arch);
    if (w32)
        offset = static_cast<int32_t>(static_cast<u32>(offset));
    return with_file(fd, [&](OpenFile& f) -> long {
        loff_t res = vfs_lseek(f, offset, whence);
        if (w32 && res != static_cast<int32_t>(res))
            return -EOVERFLOW;
        return static_cast<long>(res);
    });
}

// sys_llseek: the position goes to *result only when it is not negative.
long Process::llseek(int fd, u64 offset, VirtAddr result, int whence) {
    if (!is_32bit(m_machine.config().arch))
        return -ENOSYS;
    return with_file(fd, [&](OpenFile& f) -> long {
        loff_t res = vfs_lseek(f, static_cast<loff_t>(offset), whence);
        if (res < 0)
            return static_cast<int32_t>(static_cast<u32>(static_cast<u64>(res)));
        UserAccess* u = m_task.mm;
        u8 bytes[8];
        std::memcpy(bytes, &res, sizeof bytes);
        if (!u || copy_to_user(*u, result, bytes) != 0)
            return -EFAULT;
        return 0;
    });
}

// The program's own loads and stores: user privilege through the process's page tables (the
// fault path on a miss; an unresolvable fault is the signal). A stand-in memory has no
// privilege levels: its shortfall is a SIGSEGV.
Process::UserAccessResult Process::user_read(VirtAddr va, std::span<u8> out) {
    if (!m_stand_in && m_user_mm) {
        const InKernel scope(*this); // a fault may run a driver's ->fault
        UserBulkResult r = m_user_mm->user_read(va, out);
        if (r.ok())
            return {r.bytes_done, 0, {}};
        return {r.bytes_done, r.signal->signo, r.signal->addr};
    }
    if (!m_task.mm)
        return {0, kSIGSEGV, va};
    u64 left = m_task.mm->raw_copy_from_user(out, va);
    if (left == 0)
        return {out.size(), 0, {}};
    return {out.size() - left, kSIGSEGV, va.offset(out.size() - left)};
}

Process::UserAccessResult Process::user_write(VirtAddr va, std::span<const u8> in) {
    if (!m_stand_in && m_user_mm) {
        const InKernel scope(*this);
        UserBulkResult r = m_user_mm->user_write(va, in);
        if (r.ok())
            return {r.bytes_done, 0, {}};
        return {r.bytes_done, r.signal->signo, r.signal->addr};
    }
    if (!m_task.mm)
        return {0, kSIGSEGV, va};
    u64 left = m_task.mm->raw_copy_to_user(va, in);
    if (left == 0)
        return {in.size(), 0, {}};
    return {in.size() - left, kSIGSEGV, va.offset(in.size() - left)};
}

// ksys_mmap_pgoff / do_mmap: the offset must be page aligned before anything else (x86 sys_mmap,
// §7.2 case 27), then the fd; anonymous memory goes to the mm.
long Process::mmap(u64 addr, u64 length, int prot, int flags, int fd, u64 offset) {
    constexpr int kMapAnonymous = 0x20;
    if (offset & (m_machine.config().page_size() - 1))
        return -EINVAL;
    if (!(flags & kMapAnonymous)) {
        OpenFile* f = file(fd);
        if (!f)
            return -EBADF;
        if (!m_user_mm)
            return -ENOMEM;
        FileRef keep = m_fds[static_cast<size_t>(fd)];
        const InKernel scope(*this);
        const unsigned long pgoff =
            static_cast<unsigned long>(offset >> m_machine.layout().page_shift);
        return ret(
            static_cast<long>(vfs_mmap(*keep, *m_user_mm, addr, length, prot, flags, pgoff)));
    }
    if (!m_user_mm)
        return -ENOMEM;
    const InKernel scope(*this);
    return ret(static_cast<long>(m_user_mm->mmap_anonymous(VirtAddr(addr), length, prot, flags)));
}

long Process::munmap(u64 addr, u64 length) {
    if (!m_user_mm)
        return -EINVAL;
    const InKernel scope(*this);
    return m_user_mm->munmap(VirtAddr(addr), length);
}

VirtAddr Process::malloc(u64 size) {
    constexpr u64 kArena = 128 * KiB;
    size = align_up(std::max<u64>(size, 1), 16);
    if (m_arena_next + size > m_arena_end || m_arena_next == 0) {
        const u64 len = align_up(std::max(size, kArena), m_machine.config().page_size());
        constexpr int kProtRW = 3, kMapPrivateAnon = 0x22;
        long a = mmap(0, len, kProtRW, kMapPrivateAnon, -1, 0);
        if (a < 0 && a > -4096)
            return VirtAddr(0);
        m_arena_next =
            static_cast<u64>(a) & (is_32bit(m_machine.config().arch) ? 0xffffffffULL : ~u64{0});
        m_arena_end = m_arena_next + len;
    }
    VirtAddr p(m_arena_next);
    m_arena_next += size;
    return p;
}

i64 Process::lseek64(int fd, i64 offset, int whence) {
    if (!is_32bit(m_machine.config().arch))
        return lseek(fd, offset, whence);
    if (!m_llseek_result.get())
        m_llseek_result = malloc(8);
    if (!m_llseek_result.get())
        return -ENOMEM;
    const u8 zero[8] = {};
    (void)user_write(m_llseek_result, zero);
    long r = llseek(fd, static_cast<u64>(offset), m_llseek_result, whence);
    if (r != 0)
        return r;
    u8 bytes[8] = {};
    (void)user_read(m_llseek_result, bytes);
    i64 pos = 0;
    std::memcpy(&pos, bytes, sizeof pos);
    return pos;
}

long Process::ioctl(int fd, unsigned cmd, u64 arg) {
    if (cmd == kFIOCLEX || cmd == kFIONCLEX) {
        if (!file(fd))
            return -EBADF;
        m_cloexec[static_cast<size_t>(fd)] = cmd == kFIOCLEX;
        return 0;
    }
    return with_file(fd, [&](OpenFile& f) { return vfs_ioctl(f, cmd, arg); });
}

} // namespace kmemu
