#include "devices/printk/printk_log.h"

#include <fmt/format.h>

#include "devices/device_kernel.h"
#include "mm/errno.h"
#include "mm/kernel_profile.h"
#include "mm/machine_config.h"

namespace kmemu {

namespace {

bool is_level_digit(char c) {
    return c >= '0' && c <= '7';
}

} // namespace

PrintkLog::PrintkLog(DeviceKernel& kernel)
    : m_kernel(kernel), m_rules(printk_rules_for(kernel.profile().version, kernel.profile().arch)),
      m_ptr_key(ptr_key_for_seed(kernel.config().random_seed.value_or(0))) {
    console_loglevel =
        static_cast<int>(kernel.config().loglevel.value_or(m_rules.default_console_loglevel));
    default_message_loglevel = static_cast<int>(m_rules.default_message_loglevel);
    switch (m_rules.format) {
    case LogFormat::CharBuffer:
        m_chars = std::make_unique<CharLog>(m_rules.log_buf_len());
        break;
    case LogFormat::Records:
        m_records = std::make_unique<RecordLog>(m_rules);
        break;
    case LogFormat::Ringbuffer:
        m_ring = std::make_unique<RingLog>(m_rules);
        break;
    }
}

RecordStore* PrintkLog::records() {
    if (m_records)
        return m_records.get();
    return m_ring.get();
}

std::string PrintkLog::time_prefix(u64 ts_nsec) {
    return fmt::format("[{:5}.{:06}] ", ts_nsec / 1000000000, (ts_nsec % 1000000000) / 1000);
}

u32 PrintkLog::caller_id() const {
    // printk_caller_id(): the task's pid in task context; boot and kernel code run as pid 0.
    const Task* t = current_task();
    return t ? static_cast<u32>(t->pid) : 0;
}

VsprintfContext PrintkLog::vsprintf_context() const {
    VsprintfContext c;
    c.word_bits = m_rules.word_bits;
    c.hash_pointers = m_rules.hash_pointers;
    c.null_pointer_raw = m_rules.null_pointer_raw;
    c.has_kptr_restrict = m_rules.has_kptr_restrict;
    c.kptr_restrict = m_kernel.config().kptr_restrict.value_or(0);
    if (const Task* t = current_task())
        c.kptr_reader_allowed = t->cred.has_cap(CAP_SYSLOG) && t->cred.uid == t->cred.euid &&
                                t->cred.gid == t->cred.egid;
    c.ptr_key = m_ptr_key;
    return c;
}

// ---------------------------------------------------------------- the char buffer (2.6.x-3.4)

// vprintk of 2.6.11-3.4 after vscnprintf: insert "<N>" and the timestamp at every line start.
int PrintkLog::emit_chars(std::string_view text) {
    CharLog& log = *m_chars;
    int printed = static_cast<int>(text.size());
    const char def = static_cast<char>('0' + default_message_loglevel);
    auto token_at = [&](size_t p) {
        return p + 2 < text.size() && text[p] == '<' && is_level_digit(text[p + 1]) &&
               text[p + 2] == '>';
    };
    const u64 now = m_kernel.now_ns();
    const std::string tbuf = printk_time ? time_prefix(now) : std::string();
    size_t p = 0;
    char level = def;
    if (m_rules.char_prefix == CharPrefixRule::FirstOnly && text.size() >= 3 && text[0] == '<' &&
        text[2] == '>') {
        // 2.6.31+: '0'-'7' set the level and, like 'd', end an unfinished line; 'c' is skipped.
        const char c = text[1];
        if (is_level_digit(c) || c == 'd') {
            if (is_level_digit(c))
                level = c;
            if (!log.new_text_line) {
                log.emit('\n');
                log.new_text_line = true;
            }
            p = 3;
        } else if (c == 'c') {
            p = 3;
        }
    }
    while (p < text.size()) {
        if (log.new_text_line) {
            switch (m_rules.char_prefix) {
            case CharPrefixRule::PerLineDefault: {
                // 2.6.11-2.6.25: the line's own token, moved before the timestamp.
                char lc = def;
                if (printk_time) {
                    if (token_at(p)) {
                        lc = text[p + 1];
                        p += 3;
                        printed -= 3;
                    }
                    const std::string t = fmt::format("<{}>{}", lc, tbuf);
                    log.emit(t);
                    printed += static_cast<int>(t.size());
                } else if (!token_at(p)) {
                    log.emit(fmt::format("<{}>", def));
                    printed += 3;
                }
                break;
            }
            case CharPrefixRule::PerLineSticky:
                if (token_at(p)) {
                    level = text[p + 1];
                    p += 3;
                    printed -= 3;
                }
                [[fallthrough]];
            case CharPrefixRule::FirstOnly:
                log.emit(fmt::format("<{}>", level));
                printed += 3;
                if (printk_time) {
                    log.emit(tbuf);
                    printed += static_cast<int>(tbuf.size());
                }
                break;
            }
            log.new_text_line = false;
            if (p >= text.size())
                break;
        }
        log.emit(text[p]);
        if (text[p] == '\n')
            log.new_text_line = true;
        ++p;
    }
    console_chars();
    return printed;
}

// call_console_drivers (2.6.x): each line goes out without its "<N>", when N < console_loglevel.
void PrintkLog::console_chars() {
    CharLog& log = *m_chars;
    const std::string s = log.take_console_chars();
    size_t cur = 0, start = 0;
    while (cur < s.size()) {
        if (log.console_msg_level < 0 && s.size() - cur > 2 && s[cur] == '<' &&
            is_level_digit(s[cur + 1]) && s[cur + 2] == '>') {
            log.console_msg_level = s[cur + 1] - '0';
            cur += 3;
            start = cur;
        }
        while (cur < s.size()) {
            const char c = s[cur++];
            if (c == '\n') {
                if (log.console_msg_level < 0)
                    log.console_msg_level = default_message_loglevel;
                console_write(log.console_msg_level,
                              std::string_view(s).substr(start, cur - start));
                log.console_msg_level = -1;
                start = cur;
                break;
            }
        }
    }
    if (start < s.size())
        console_write(log.console_msg_level, std::string_view(s).substr(start));
}

void PrintkLog::console_write(int level, std::string_view text) {
    if (level < console_loglevel)
        m_console += text;
}

// ---------------------------------------------------------------- the record eras (3.5+)

PrintkLog::Parsed PrintkLog::parse(int facility, int level, std::string_view text) const {
    Parsed p;
    p.level = level;
    // vscnprintf into a LOG_LINE_MAX buffer (or, 5.13+, into the reserved space): the text
    // ends at a NUL ("%s") and keeps at most LOG_LINE_MAX - 1 characters.
    text = text.substr(0, text.find('\0'));
    p.reserve_size = static_cast<u32>(std::min<size_t>(text.size() + 1, m_rules.log_line_max));
    text = text.substr(0, std::min<size_t>(text.size(), m_rules.log_line_max - 1));
    if (!text.empty() && text.back() == '\n') {
        text.remove_suffix(1);
        p.lflags |= LOG_NEWLINE;
    }
    if (facility == 0) {
        // printk_get_level: KERN_SOH + char from 3.6, "<c>" in 3.5.
        for (bool again = true; again;) {
            again = false;
            char c = 0;
            size_t len = 0;
            if (m_rules.soh_prefix && text.size() >= 2 && text[0] == '\001') {
                c = text[1];
                len = 2;
            } else if (!m_rules.soh_prefix && text.size() >= 3 && text[0] == '<' &&
                       text[2] == '>') {
                c = text[1];
                len = 3;
            }
            const bool known =
                is_level_digit(c) || c == 'c' || (c == 'd' && m_rules.kern_default_token);
            if (!len || !known)
                break;
            if (is_level_digit(c)) {
                if (p.level == LOGLEVEL_DEFAULT)
                    p.level = c - '0';
                if (m_rules.cont != ContModel::ReserveInLast)
                    p.lflags |= LOG_PREFIX;
            } else if (c == 'd') {
                p.lflags |= LOG_PREFIX;
            } else if (m_rules.cont == ContModel::ContBuffer49 ||
                       m_rules.cont == ContModel::ReserveInLast) {
                p.lflags |= LOG_CONT; // KERN_CONT becomes a flag in 4.9+
            }
            text.remove_prefix(len);
            again = m_rules.repeated_prefixes;
        }
    }
    if (p.level == LOGLEVEL_DEFAULT)
        p.level = default_message_loglevel;
    p.text = std::string(text);
    return p;
}

void PrintkLog::store(int facility, int level, u8 flags, u64 ts, std::string_view text) {
    PrintkRecord rec;
    rec.ts_nsec = ts ? ts : m_kernel.now_ns();
    rec.facility = static_cast<u8>(facility);
    rec.level = static_cast<u8>(level & 7);
    rec.flags = static_cast<u8>(flags & 0x1f);
    rec.caller_id = caller_id();
    rec.text = std::string(text);
    m_records->store(std::move(rec));
}

// 3.5-4.8 cont_flush: a line already partly on the console is stored with its first
// fragment's time and LOG_NOCONS and stays buffered until the console prints the rest.
void PrintkLog::cont_flush35(u8 flags) {
    if (m_cont.flushed || m_cont.buf.empty())
        return;
    if (m_cont.cons) {
        store(m_cont.facility, m_cont.level, static_cast<u8>(flags | LOG_NOCONS), m_cont.ts_nsec,
              m_cont.buf);
        m_cont.flags = flags;
        m_cont.flushed = true;
    } else {
        store(m_cont.facility, m_cont.level, flags, 0, m_cont.buf);
        m_cont.buf.clear();
    }
}

// 3.5-4.8 vprintk_emit: a line without newline is buffered; the same task continues it unless
// the new text has a level token (LOG_PREFIX).
int PrintkLog::emit_cont35(int facility, const Parsed& p) {
    const u32 me = caller_id();
    const int len = static_cast<int>(p.text.size());
    auto cont_add = [&]() {
        if (!m_cont.buf.empty() && m_cont.flushed)
            return false;
        if (m_cont.buf.size() + p.text.size() > m_rules.log_line_max) {
            cont_flush35(LOG_CONT);
            return false;
        }
        if (m_cont.buf.empty()) {
            m_cont = Cont{};
            m_cont.facility = facility;
            m_cont.level = p.level;
            m_cont.owner = me;
            m_cont.ts_nsec = m_kernel.now_ns();
        }
        m_cont.buf += p.text;
        if (m_cont.buf.size() > m_rules.log_line_max * 80 / 100)
            cont_flush35(LOG_CONT);
        return true;
    };
    if (!(p.lflags & LOG_NEWLINE)) {
        if (!m_cont.buf.empty() && ((p.lflags & LOG_PREFIX) || m_cont.owner != me))
            cont_flush35(LOG_NEWLINE);
        if (!cont_add())
            store(facility, p.level, static_cast<u8>(p.lflags | LOG_CONT), 0, p.text);
    } else {
        bool stored = false;
        if (!m_cont.buf.empty()) {
            if (m_cont.owner == me && !(p.lflags & LOG_PREFIX))
                stored = cont_add();
            cont_flush35(LOG_NEWLINE);
        }
        if (!stored)
            store(facility, p.level, p.lflags, 0, p.text);
    }
    return len;
}

void PrintkLog::cont_flush49() {
    if (m_cont.buf.empty())
        return;
    store(m_cont.facility, m_cont.level, m_cont.flags, m_cont.ts_nsec, m_cont.buf);
    m_cont.buf.clear();
}

// 4.9-5.9 log_output: only KERN_CONT from the same task joins the buffered line.
int PrintkLog::emit_cont49(int facility, const Parsed& p) {
    const u32 me = caller_id();
    const int len = static_cast<int>(p.text.size());
    auto cont_add = [&]() {
        if (m_cont.buf.size() + p.text.size() > m_rules.log_line_max) {
            cont_flush49();
            return false;
        }
        if (m_cont.buf.empty()) {
            m_cont = Cont{};
            m_cont.facility = facility;
            m_cont.level = p.level;
            m_cont.owner = me;
            m_cont.ts_nsec = m_kernel.now_ns();
            m_cont.flags = p.lflags;
        }
        m_cont.buf += p.text;
        if (p.lflags & LOG_NEWLINE) {
            m_cont.flags |= LOG_NEWLINE;
            cont_flush49();
        }
        // 4.9-5.0 also split lines at 80% of the buffer (dropped with 5.1's caller-id rework;
        // seen in a 4.x tree, boundary from memory).
        if (!m_rules.version.at_least(5, 1) && m_cont.buf.size() > m_rules.log_line_max * 80 / 100)
            cont_flush49();
        return true;
    };
    if (!m_cont.buf.empty()) {
        if (m_cont.owner == me && (p.lflags & LOG_CONT) && cont_add())
            return len;
        cont_flush49();
    }
    if (p.text.empty() && (p.lflags & LOG_CONT))
        return 0;
    if (!(p.lflags & LOG_NEWLINE) && cont_add())
        return len;
    store(facility, p.level, p.lflags, 0, p.text);
    return len;
}

// 5.10+ vprintk_store: KERN_CONT extends the open record of the same caller; any other text
// is a new record, open (not yet readable) until it ends in a newline or the next one comes.
int PrintkLog::emit_ring(int facility, const Parsed& p) {
    RingLog& ring = *m_ring;
    const u32 me = caller_id();
    const u64 now = m_kernel.now_ns();
    const u32 size =
        m_rules.reserve_formatted_size ? p.reserve_size : static_cast<u32>(p.text.size());
    if (p.lflags & LOG_CONT) {
        if (PrintkRecord* r = ring.reserve_in_last(me, size, m_rules.log_line_max)) {
            r->text += p.text;
            if (p.lflags & LOG_NEWLINE)
                r->flags |= LOG_NEWLINE;
            ring.commit((p.lflags & LOG_NEWLINE) != 0);
            return static_cast<int>(p.text.size());
        }
    }
    PrintkRecord* r = ring.reserve(size);
    if (!r)
        return 0;
    r->ts_nsec = now;
    r->facility = static_cast<u8>(facility);
    r->level = static_cast<u8>(p.level & 7);
    r->flags = static_cast<u8>(p.lflags & 0x1f);
    r->caller_id = me;
    r->text = p.text;
    ring.commit((p.lflags & LOG_NEWLINE) != 0);
    return static_cast<int>(p.text.size());
}

// console_unlock: the records not yet printed (and, 3.5-4.8, the buffered fragment first).
void PrintkLog::console_flush() {
    RecordStore* store = records();
    const bool e3 = m_rules.cont == ContModel::ContBuffer35;
    if (e3 && !m_cont.buf.empty() && !(m_console_seq < store->next_seq() && !m_cont.cons)) {
        // console_cont_flush / cont_print_text.
        std::string text;
        if (m_cont.cons == 0 && (m_console_prev & LOG_NEWLINE) && printk_time)
            text += time_prefix(m_cont.ts_nsec);
        text += m_cont.buf.substr(m_cont.cons);
        m_cont.cons = m_cont.buf.size();
        if (m_cont.flushed) {
            if (m_cont.flags & LOG_NEWLINE)
                text += '\n';
            m_cont.buf.clear();
        }
        console_write(m_cont.level, text);
    }
    while (const PrintkRecord* r = store->read_valid(m_console_seq)) {
        m_console_seq = r->seq + 1;
        if (e3 && (r->flags & LOG_NOCONS)) {
            // Printed as fragments already; the kernel clears the flag here.
            const_cast<PrintkRecord*>(r)->flags &= static_cast<u8>(~LOG_NOCONS);
            m_console_prev = r->flags;
            continue;
        }
        // msg_print_text(syslog = false): the time at each line start; 3.5-4.8 leave out the
        // prefix and newline where a continuation fragment goes on.
        bool prefix = true, newline = true;
        if (e3) {
            if ((m_console_prev & LOG_CONT) && !(r->flags & LOG_PREFIX))
                prefix = false;
            if (r->flags & LOG_CONT) {
                if ((m_console_prev & LOG_CONT) && !(m_console_prev & LOG_NEWLINE))
                    prefix = false;
                if (!(r->flags & LOG_NEWLINE))
                    newline = false;
            }
        }
        std::string text;
        std::string_view rest = r->text;
        for (;;) {
            const size_t nl = rest.find('\n');
            if (prefix && printk_time)
                text += time_prefix(r->ts_nsec);
            text += rest.substr(0, nl);
            if (nl != std::string_view::npos || newline)
                text += '\n';
            if (nl == std::string_view::npos)
                break;
            rest.remove_prefix(nl + 1);
            prefix = true;
        }
        m_console_prev = r->flags;
        console_write(r->level, text);
    }
}

int PrintkLog::vprintk_emit(int facility, int level, std::string_view text) {
    if (m_rules.format == LogFormat::CharBuffer) {
        // printk_buf[1024] through vscnprintf: up to the NUL, at most 1023 characters.
        text = text.substr(0, text.find('\0'));
        text = text.substr(0, std::min<size_t>(text.size(), m_rules.printk_buf_size - 1));
        return emit_chars(text);
    }
    const Parsed p = parse(facility, level, text);
    int ret = 0;
    switch (m_rules.cont) {
    case ContModel::ContBuffer35:
        ret = emit_cont35(facility, p);
        break;
    case ContModel::ContBuffer49:
        ret = emit_cont49(facility, p);
        break;
    case ContModel::ReserveInLast:
    case ContModel::CharStream:
        ret = emit_ring(facility, p);
        break;
    }
    console_flush();
    return ret;
}

void PrintkLog::syslog_clear() {
    if (m_chars)
        m_chars->clear();
    else
        records()->clear();
}

std::string PrintkLog::syslog_read_all() const {
    return m_chars ? m_chars->read_all() : std::string();
}

int PrintkLog::check_syslog_read() {
    if (!m_rules.has_dmesg_restrict || !m_kernel.config().dmesg_restrict.value_or(false))
        return 0; // unrestricted READ_ALL (security_syslog: no LSM)
    if (capable(CAP_SYSLOG))
        return 0;
    if (capable(CAP_SYS_ADMIN)) {
        if (!m_warned_cap_sys_admin) { // pr_warn_once
            m_warned_cap_sys_admin = true;
            const Task* t = current_task();
            vprintk_emit(0, 4,
                         fmt::format("{}{} ({}): Attempt to access syslog with CAP_SYS_ADMIN but "
                                     "no CAP_SYSLOG (deprecated).\n",
                                     m_rules.printk_pr_fmt ? "printk: " : "",
                                     t ? t->comm : "swapper", t ? t->pid : 0));
        }
        return 0;
    }
    return -EPERM;
}

} // namespace kmemu
