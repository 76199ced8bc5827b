#include "devices/printk/char_log.h"

namespace kmemu {

void CharLog::emit(char c) {
    const u32 len = size();
    m_buf[m_log_end & (len - 1)] = c;
    ++m_log_end;
    if (m_log_end - m_log_start > len)
        m_log_start = m_log_end - len;
    if (m_log_end - m_con_start > len)
        m_con_start = m_log_end - len;
    if (m_logged_chars < len)
        ++m_logged_chars;
}

std::string CharLog::read_all() const {
    const u32 len = size();
    const u32 count = std::min(m_logged_chars, len);
    std::string out(count, '\0');
    for (u32 i = 0; i < count; ++i)
        out[i] = m_buf[(m_log_end - count + i) & (len - 1)];
    return out;
}

std::string CharLog::take_console_chars() {
    const u32 len = size();
    std::string out;
    for (u32 i = m_con_start; i != m_log_end; ++i)
        out += m_buf[i & (len - 1)];
    m_con_start = m_log_end;
    return out;
}

} // namespace kmemu
