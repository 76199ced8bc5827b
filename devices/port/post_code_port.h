// Port 0x80, the POST diagnostic port: firmware and kernels write progress codes (and Linux's
// outb_p writes it as an I/O delay). Writes are recorded; reads return 0xff, as nothing drives
// the bus on a read.
#pragma once

#include <deque>

#include "mm/types.h"

namespace kmemu {

class PostCodePort {
  public:
    static constexpr size_t kKeep = 256; // the most recent codes kept

    void write(u8 value) {
        ++m_writes;
        m_codes.push_back(value);
        if (m_codes.size() > kKeep)
            m_codes.pop_front();
    }
    // The most recent codes, oldest first, and how many writes there were in all.
    [[nodiscard]] const std::deque<u8>& codes() const { return m_codes; }
    [[nodiscard]] u64 writes() const { return m_writes; }

  private:
    std::deque<u8> m_codes;
    u64 m_writes = 0;
};

} // namespace kmemu
