// A stand-in user address space for device and VFS tests that do not need page tables: pages
// are mapped explicitly and hold their bytes in the test; everything else faults. Copies are
// exact to the byte, like the kernel's x86 copy routines.
#pragma once

#include <algorithm>
#include <map>
#include <vector>

#include "mm/uaccess.h"

namespace kmemu::test {

class FakeUserMemory final : public UserAccess {
  public:
    explicit FakeUserMemory(u64 limit = 0x7ffffffff000ULL, u64 page = 4096)
        : m_limit(limit), m_page(page) {}

    // Map [addr, addr + len) (page-rounded), filled with `fill`.
    void map(u64 addr, u64 len, u8 fill = 0) {
        for (u64 p = addr & ~(m_page - 1); p < addr + len; p += m_page)
            m_pages[p].assign(m_page, fill);
    }
    void unmap(u64 addr, u64 len) {
        for (u64 p = addr & ~(m_page - 1); p < addr + len; p += m_page)
            m_pages.erase(p);
    }
    [[nodiscard]] std::vector<u8> bytes(u64 addr, u64 len) const {
        std::vector<u8> out(len);
        for (u64 i = 0; i < len; ++i)
            out[i] = *byte(addr + i);
        return out;
    }
    void poke(u64 addr, std::span<const u8> in) {
        for (u64 i = 0; i < in.size(); ++i)
            *byte(addr + i) = in[i];
    }

    bool access_ok(VirtAddr addr, u64 size) const override {
        u64 a = addr.get();
        return a + size >= a && a + size <= m_limit;
    }
    u64 raw_copy_to_user(VirtAddr to, std::span<const u8> from) override {
        for (u64 i = 0; i < from.size(); ++i) {
            u8* b = byte(to.get() + i);
            if (!b)
                return from.size() - i;
            *b = from[i];
        }
        return 0;
    }
    u64 raw_copy_from_user(std::span<u8> to, VirtAddr from) override {
        for (u64 i = 0; i < to.size(); ++i) {
            const u8* b = byte(from.get() + i);
            if (!b)
                return to.size() - i;
            to[i] = *b;
        }
        return 0;
    }
    u64 raw_clear_user(VirtAddr to, u64 n) override {
        for (u64 i = 0; i < n; ++i) {
            u8* b = byte(to.get() + i);
            if (!b)
                return n - i;
            *b = 0;
        }
        return 0;
    }

  private:
    u8* byte(u64 a) {
        auto it = m_pages.find(a & ~(m_page - 1));
        return it == m_pages.end() ? nullptr : &it->second[a & (m_page - 1)];
    }
    const u8* byte(u64 a) const { return const_cast<FakeUserMemory*>(this)->byte(a); }
    u64 m_limit, m_page;
    std::map<u64, std::vector<u8>> m_pages;
};

} // namespace kmemu::test
