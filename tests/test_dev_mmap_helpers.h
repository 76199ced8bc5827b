// Helpers for the /dev/mem, /dev/kmem and /dev/zero mmap tests through real processes: the
// reference machine of test_dev_mem_fixtures.h with the process's own page tables (no stand-in
// user memory), mmap(2), PTEs, /proc/self/maps.
#pragma once

#include <string>
#include <vector>

#include "test_dev_mem_fixtures.h"

namespace kmemu::test {

constexpr int kR = 1, kRW = 3;
constexpr int kShared = 0x01, kPrivate = 0x02;

inline Rig real_mm(Rig r) {
    r.p->set_user_memory(nullptr);
    r.u = nullptr;
    return r;
}
inline Rig rm_real(std::vector<std::string> words) {
    return real_mm(boot_rm(std::move(words)));
}
inline Rig plain_real(std::vector<std::string> words) {
    return real_mm(boot_plain(std::move(words)));
}
inline bool is_err(long v) {
    return v < 0 && v >= -4095;
}
inline u64 as_addr(const Rig& r, long v) {
    return static_cast<u64>(v) & (is_32bit(r.m->config().arch) ? 0xffffffffULL : ~0ULL);
}
// A successful mmap: its address.
inline u64 map_ok(Rig& r, int fd, u64 len, int prot, int flags, u64 off) {
    const long a = r.p->mmap(0, len, prot, flags, fd, off);
    INFO("mmap returned " << a);
    REQUIRE(!is_err(a));
    return as_addr(r, a);
}
inline u64 pte(Rig& r, u64 va) {
    auto p = r.p->mm()->pte_at(VirtAddr(va));
    REQUIRE(p);
    REQUIRE(p.value().has_value());
    return *p.value();
}
inline std::vector<u8> load(Rig& r, u64 va, u64 n, int* signal = nullptr) {
    std::vector<u8> out(n);
    auto res = r.p->user_read(VirtAddr(va), out);
    if (signal)
        *signal = res.signal;
    else
        REQUIRE(res.signal == 0);
    return out;
}
inline Process::UserAccessResult store(Rig& r, u64 va, const std::vector<u8>& bytes) {
    return r.p->user_write(VirtAddr(va), bytes);
}
// pread into a scratch buffer of the process.
inline std::vector<u8> pread_bytes(Rig& r, int fd, u64 pos, u64 n, long* ret = nullptr) {
    const VirtAddr buf = r.p->malloc(n);
    const long got = r.p->pread64(fd, buf, n, static_cast<loff_t>(pos));
    if (ret)
        *ret = got;
    std::vector<u8> out(n);
    REQUIRE(r.p->user_read(buf, out).signal == 0);
    return out;
}
// The whole /proc/self/maps.
inline std::string read_maps(Rig& r) {
    const long fd = r.p->open("/proc/self/maps", 0);
    REQUIRE(fd >= 0);
    const VirtAddr buf = r.p->malloc(65536);
    const long n = r.p->read(static_cast<int>(fd), buf, 65536);
    REQUIRE(n > 0);
    std::string s(static_cast<size_t>(n), '\0');
    REQUIRE(r.p->user_read(buf, std::span<u8>(reinterpret_cast<u8*>(s.data()), s.size())).signal ==
            0);
    (void)r.p->close(static_cast<int>(fd));
    return s;
}
// The lines of maps that name `name` (whole lines with their '\n').
inline std::vector<std::string> maps_lines(Rig& r, const std::string& name) {
    std::vector<std::string> out;
    const std::string all = read_maps(r);
    size_t at = 0;
    while (at < all.size()) {
        const size_t nl = all.find('\n', at);
        const std::string line = all.substr(at, nl - at + 1);
        if (line.find(name) != std::string::npos)
            out.push_back(line);
        at = nl + 1;
    }
    return out;
}
// A maps line as show_map_vma prints it on a 64-bit kernel (name at column 73).
inline std::string line64(const std::string& header, const std::string& name) {
    const size_t pad = header.size() < 72 ? 73 - header.size() : 2;
    return header + std::string(pad, ' ') + name + "\n";
}
inline unsigned long ino_of(Rig& r, int fd) {
    return r.p->file(fd)->f.f_inode->i_ino;
}

} // namespace kmemu::test
