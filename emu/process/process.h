// Process: a user process of the machine — its Task (pid, comm, credentials), its user address
// space, its fd table — and the syscalls of the device issue, each returning what the kernel's
// syscall returns: a count, a position or a negative errno, as the syscall's return register
// holds it (sign-extended from the machine's word size).
//
// Every syscall runs inside a DeviceKernelScope with this process as `current`.
// File descriptors 0, 1 and 2 are open on /dev/null when the process starts (a program run
// from a shell has them open), so a process's first open(2) returns 3 as on a real system.
#pragma once

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "devices/task.h"
#include "devices/vfs/vfs.h"
#include "mm/uaccess.h"
#include "mm/user/mm_struct.h"

namespace kmemu {

class Machine;

struct ProcessOptions {
    std::string comm = "a.out";
    Cred cred = Cred::root();
};

class Process {
  public:
    Process(Machine& machine, int pid, ProcessOptions options);
    ~Process();
    Process(const Process&) = delete;
    Process& operator=(const Process&) = delete;

    [[nodiscard]] int pid() const { return m_task.pid; }
    [[nodiscard]] Task& task() { return m_task; }
    [[nodiscard]] const Cred& cred() const { return m_task.cred; }
    [[nodiscard]] Machine& machine() { return m_machine; }
    // The user address space uaccess sees: the process's mm_struct, or a stand-in a test
    // attached with set_user_memory (nullptr only if the mm could not be made).
    [[nodiscard]] UserAccess* user_memory() { return m_task.mm; }
    // The process's mm_struct (nullptr when the machine had no memory for its page tables).
    [[nodiscard]] MmStruct* mm() { return m_user_mm.get(); }
    // Replace what uaccess and the user accesses reach (tests without page tables).
    void set_user_memory(std::unique_ptr<UserAccess> mm);

    // ---- syscalls ----
    long open(std::string_view path, unsigned flags);
    long close(int fd);
    long read(int fd, VirtAddr buf, u64 count);
    long write(int fd, VirtAddr buf, u64 count);
    long pread64(int fd, VirtAddr buf, u64 count, loff_t pos);
    long pwrite64(int fd, VirtAddr buf, u64 count, loff_t pos);
    // lseek(2) with an off_t of the machine's word size: on 32-bit machines the offset is the
    // low 32 bits, sign-extended, and a result that does not fit is -EOVERFLOW (the driver has
    // moved f_pos already).
    long lseek(int fd, i64 offset, int whence);
    // _llseek(2) (32-bit machines; -ENOSYS on 64-bit ones): the new position is stored at
    // `result` and 0 returned only when it is >= 0, else (int)position is returned.
    long llseek(int fd, u64 offset, VirtAddr result, int whence);
    // The C library's lseek64 (what a program built with _FILE_OFFSET_BITS=64 calls): the
    // native lseek on 64-bit machines; on 32-bit ones _llseek with the whole 64-bit offset and
    // the position it stored (0 when the kernel returned 0 without storing it, §1.2), or its
    // error.
    i64 lseek64(int fd, i64 offset, int whence);
    long ioctl(int fd, unsigned cmd, u64 arg);

    // ---- the process's own code ----
    // Loads and stores as the program makes them (user privilege). A fault the kernel cannot
    // resolve is a signal (SIGSEGV or SIGBUS), reported with the bytes moved before it.
    struct UserAccessResult {
        u64 done = 0;
        int signal = 0; // 0, kSIGSEGV or kSIGBUS
        VirtAddr fault_addr;
    };
    UserAccessResult user_read(VirtAddr va, std::span<u8> out);
    UserAccessResult user_write(VirtAddr va, std::span<const u8> in);
    // mmap(2) / munmap(2) (do_mmap's checks in order, kernel-semantics §4.5: an unaligned
    // offset -EINVAL, a bad fd -EBADF, then the file's checks and its driver's mmap; anonymous
    // memory is private only).
    long mmap(u64 addr, u64 length, int prot, int flags, int fd, u64 offset);
    long munmap(u64 addr, u64 length);
    // The C library's malloc, simplified: 16-byte aligned chunks carved from anonymous mmap
    // arenas of at least 128 KiB, never given back. 0 when the mmap fails.
    [[nodiscard]] VirtAddr malloc(u64 size);

    // The open file behind fd (nullptr when fd is not open); for tests and views.
    [[nodiscard]] OpenFile* file(int fd) const;
    // RLIMIT_NOFILE's default soft limit.
    static constexpr int kMaxFds = 1024;
    static constexpr int kSIGBUS = 7;
    static constexpr int kSIGSEGV = 11;

  private:
    struct InKernel;
    long ret(long kernel_value) const; // sign-extend from the word size
    template <typename Fn>
    long with_file(int fd, Fn&& fn);

    Machine& m_machine;
    Task m_task;
    std::unique_ptr<MmStruct> m_user_mm;
    std::unique_ptr<UserAccess> m_stand_in;
    std::vector<FileRef> m_fds;
    std::vector<bool> m_cloexec;
    u64 m_arena_next = 0, m_arena_end = 0; // malloc's current arena
    VirtAddr m_llseek_result;              // lseek64's loff_t on the user stack
};

} // namespace kmemu
