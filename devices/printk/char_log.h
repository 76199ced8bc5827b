// The 2.6.11-3.4 log buffer: a byte ring of log_buf_len characters where vprintk writes each
// line as "<N>" + (with printk_time) "[%5lu.%06lu] " + text (emit_log_char, vprintk and
// call_console_drivers in kernel/printk.c of 2.6.24 and 2.6.32).
#pragma once

#include <string>
#include <string_view>

#include "devices/printk/printk_rules.h"

namespace kmemu {

class CharLog {
  public:
    explicit CharLog(u32 len) : m_buf(len, '\0') {}

    // emit_log_char: log_end moves on; log_start and con_start are dragged along when the ring
    // overflows; logged_chars counts up to the size.
    void emit(char c);
    void emit(std::string_view s) {
        for (char c : s)
            emit(c);
    }
    // SYSLOG_ACTION_READ_ALL: the last min(logged_chars, log_buf_len) characters.
    [[nodiscard]] std::string read_all() const;
    void clear() { m_logged_chars = 0; } // SYSLOG_ACTION_CLEAR
    // The characters not yet sent to the consoles (con_start .. log_end); marks them sent.
    [[nodiscard]] std::string take_console_chars();

    [[nodiscard]] u32 size() const { return static_cast<u32>(m_buf.size()); }
    [[nodiscard]] u32 log_end() const { return m_log_end; }
    [[nodiscard]] u32 logged_chars() const { return m_logged_chars; }

    // vprintk's state between calls: is the next character the start of a line?
    bool new_text_line = true;
    // call_console_drivers' static msg_level (-1: not inside a line).
    int console_msg_level = -1;

  private:
    std::string m_buf;
    u32 m_log_start = 0, m_con_start = 0, m_log_end = 0, m_logged_chars = 0;
};

} // namespace kmemu
