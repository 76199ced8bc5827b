#include "devices/vfs/procfs.h"

#include <charconv>

#include "devices/device_kernel.h"
#include "mm/errno.h"
#include "mm/uaccess.h"

namespace kmemu {

void ProcFs::add(std::string name, umode_t mode, Generator gen) {
    m_entries[std::move(name)] = Entry{mode, std::move(gen)};
}

void ProcFs::add_pid_entry(std::string name, umode_t mode, PidGenerator gen) {
    m_pid_entries[std::move(name)] = PidEntry{mode, std::move(gen)};
}

void ProcFs::add_pid_binary_entry(std::string name, umode_t mode, PidBinaryLookup lookup) {
    m_pid_binary_entries[std::move(name)] = PidBinaryEntry{mode, std::move(lookup)};
}

int ProcFs::render(std::string_view path, const Task& reader, Opened* out) const {
    constexpr std::string_view kRoot = "/proc/";
    if (!path.starts_with(kRoot))
        return -ENOENT;
    std::string_view rest = path.substr(kRoot.size());
    auto slash = rest.find('/');
    if (slash == std::string_view::npos) {
        auto it = m_entries.find(rest);
        if (it == m_entries.end())
            return -ENOENT;
        *out = Opened{it->second.gen(reader), it->second.mode, 0, 0, nullptr};
        return 0;
    }
    std::string_view who = rest.substr(0, slash), name = rest.substr(slash + 1);
    int pid = 0;
    if (who == "self") {
        pid = reader.pid;
    } else {
        auto [p, ec] = std::from_chars(who.data(), who.data() + who.size(), pid);
        if (ec != std::errc() || p != who.data() + who.size() || pid <= 0)
            return -ENOENT;
    }
    if (auto bin = m_pid_binary_entries.find(name); bin != m_pid_binary_entries.end()) {
        PidBinary got = bin->second.lookup(reader, pid);
        if (!got.file)
            return -ENOENT;
        *out = Opened{};
        out->mode = bin->second.mode;
        out->uid = got.uid;
        out->gid = got.gid;
        out->binary = std::move(got.file);
        return 0;
    }
    auto it = m_pid_entries.find(name);
    if (it == m_pid_entries.end())
        return -ENOENT;
    auto text = it->second.gen(reader, pid);
    if (!text)
        return -ENOENT;
    *out = Opened{std::move(*text), it->second.mode, 0, 0, nullptr};
    return 0;
}

std::vector<std::string> ProcFs::names() const {
    std::vector<std::string> out;
    for (const auto& [n, e] : m_entries)
        out.push_back(n);
    return out;
}

namespace {

const std::string& text_of(const file* f) {
    return *static_cast<const std::string*>(f->private_data);
}

// seq_read: bytes from *ppos; a failed copy to the user buffer is -EFAULT (seq_read copies its
// buffer in one piece and reports no partial progress for it).
ssize_t proc_read(file* f, char* buf, size_t count, loff_t* ppos) {
    const std::string& text = text_of(f);
    if (*ppos < 0 || static_cast<u64>(*ppos) >= text.size() || count == 0)
        return 0;
    u64 n = std::min<u64>(count, text.size() - static_cast<u64>(*ppos));
    Task* t = current_task();
    if (!t || !t->mm)
        return -EFAULT;
    std::span<const u8> src(reinterpret_cast<const u8*>(text.data()) + *ppos, n);
    if (copy_to_user(*t->mm, user_addr(buf), src) != 0)
        return -EFAULT;
    *ppos += static_cast<loff_t>(n);
    return static_cast<ssize_t>(n);
}

// seq_lseek: SEEK_SET and SEEK_CUR to a non-negative position; anything else -EINVAL.
loff_t proc_lseek(file* f, loff_t offset, int whence) {
    if (whence == kSeekCur)
        offset += f->f_pos;
    else if (whence != kSeekSet)
        return -EINVAL;
    if (offset < 0)
        return -EINVAL;
    f->f_pos = offset;
    return offset;
}

const file_operations kProcFops = [] {
    file_operations f{};
    f.read = proc_read;
    f.llseek = proc_lseek;
    return f;
}();

ProcBinaryFile& binary_of(const file* f) {
    return *static_cast<ProcBinaryFile*>(f->private_data);
}

ssize_t proc_binary_read(file* f, char* buf, size_t count, loff_t* ppos) {
    return binary_of(f).read(*f, buf, count, ppos);
}

loff_t proc_binary_lseek(file* f, loff_t offset, int whence) {
    return binary_of(f).llseek(*f, offset, whence);
}

const file_operations kProcBinaryFops = [] {
    file_operations f{};
    f.read = proc_binary_read;
    f.llseek = proc_binary_lseek;
    return f;
}();

} // namespace

const file_operations* proc_file_fops() {
    return &kProcFops;
}

const file_operations* proc_binary_fops() {
    return &kProcBinaryFops;
}

} // namespace kmemu
