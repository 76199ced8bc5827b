// procfs as files: each entry renders its text when it is opened (as the kernel's seq_file
// show functions run for the opener), and read/lseek then work on that text with seq_file's
// rules. The texts come from emu, which registers the generators at boot.
//
// Per-pid binary entries (/proc/PID/pagemap) are not seq files: they bring their own open, read
// and llseek, like a proc_pid entry with its own file_operations (fs/proc/base.c REG()).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "devices/task.h"
#include "devices/vfs/fs.h"

namespace kmemu {

// The methods of one open binary procfs file (a file_operations of its own). The object lives
// as long as the open file description; `f` is its struct file.
class ProcBinaryFile {
  public:
    virtual ~ProcBinaryFile() = default;
    // The entry's open, after the VFS permission check: 0 or -errno (the open fails).
    [[nodiscard]] virtual int open(const Task& opener, file& f) = 0;
    virtual ssize_t read(file& f, char* buf, size_t count, loff_t* ppos) = 0;
    virtual loff_t llseek(file& f, loff_t offset, int whence) = 0;
};

class ProcFs {
  public:
    // A whole-machine file (/proc/NAME). `reader` is the opening task.
    using Generator = std::function<std::string(const Task& reader)>;
    // A per-process file (/proc/PID/NAME, /proc/self/NAME); nullopt when there is no such pid.
    using PidGenerator = std::function<std::optional<std::string>(const Task& reader, int pid)>;

    // A per-process binary file: the file object for pid (nullptr when there is no such pid),
    // and the owner of the inode (the task's euid/egid, as proc_pid_make_inode sets it).
    struct PidBinary {
        std::unique_ptr<ProcBinaryFile> file;
        u32 uid = 0, gid = 0;
    };
    using PidBinaryLookup = std::function<PidBinary(const Task& reader, int pid)>;

    void add(std::string name, umode_t mode, Generator gen);
    void add_pid_entry(std::string name, umode_t mode, PidGenerator gen);
    void add_pid_binary_entry(std::string name, umode_t mode, PidBinaryLookup lookup);

    struct Opened {
        std::string text;
        umode_t mode = 0;
        u32 uid = 0, gid = 0;
        std::unique_ptr<ProcBinaryFile> binary; // set for binary entries (text unused)
    };
    // path is "/proc/..."; -ENOENT when there is no such entry.
    [[nodiscard]] int render(std::string_view path, const Task& reader, Opened* out) const;
    [[nodiscard]] std::vector<std::string> names() const;

  private:
    struct Entry {
        umode_t mode;
        Generator gen;
    };
    struct PidEntry {
        umode_t mode;
        PidGenerator gen;
    };
    std::map<std::string, Entry, std::less<>> m_entries;
    struct PidBinaryEntry {
        umode_t mode;
        PidBinaryLookup lookup;
    };
    std::map<std::string, PidEntry, std::less<>> m_pid_entries;
    std::map<std::string, PidBinaryEntry, std::less<>> m_pid_binary_entries;
};

// The file_operations of every procfs text file: read and lseek with seq_file's rules.
[[nodiscard]] const file_operations* proc_file_fops();
// The file_operations of binary procfs files: read and llseek go to the ProcBinaryFile that
// private_data points at.
[[nodiscard]] const file_operations* proc_binary_fops();

} // namespace kmemu
