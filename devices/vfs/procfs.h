// procfs as files: each entry renders its text when it is opened (as the kernel's seq_file
// show functions run for the opener), and read/lseek then work on that text with seq_file's
// rules. The texts come from emu, which registers the generators at boot.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>

#include "devices/task.h"
#include "devices/vfs/fs.h"

namespace kmemu {

class ProcFs {
  public:
    // A whole-machine file (/proc/NAME). `reader` is the opening task.
    using Generator = std::function<std::string(const Task& reader)>;
    // A per-process file (/proc/PID/NAME, /proc/self/NAME); nullopt when there is no such pid.
    using PidGenerator = std::function<std::optional<std::string>(const Task& reader, int pid)>;

    void add(std::string name, umode_t mode, Generator gen);
    void add_pid_entry(std::string name, umode_t mode, PidGenerator gen);

    struct Opened {
        std::string text;
        umode_t mode = 0;
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
    std::map<std::string, PidEntry, std::less<>> m_pid_entries;
};

// The file_operations of every procfs file: read and lseek with seq_file's rules.
[[nodiscard]] const file_operations* proc_file_fops();

} // namespace kmemu
