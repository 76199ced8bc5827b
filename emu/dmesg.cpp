#include "emu/dmesg.h"

#include <fmt/format.h>

#include <cctype>
#include <cstdlib>

#include "devices/printk/printk.h"
#include "emu/machine.h"

namespace kmemu {

namespace {

// safe_fwrite (util-linux dmesg.c): bytes that are neither printable nor space (C locale) as
// \xHH; a newline with more text after it is followed by `indent` spaces.
void safe_write(std::string& out, std::string_view msg, size_t indent) {
    for (size_t i = 0; i < msg.size(); ++i) {
        const unsigned char c = static_cast<unsigned char>(msg[i]);
        if (c == '\0' || (!std::isprint(c) && !std::isspace(c))) {
            out += fmt::format("\\x{:02x}", c);
        } else if (c == '\n' && i + 1 < msg.size() && indent) {
            out += '\n';
            out.append(indent, ' ');
        } else {
            out += static_cast<char>(c);
        }
    }
}

void print_record(std::string& out, std::string_view msg, unsigned prio, u64 sec, u64 usec,
                  bool raw) {
    if (msg.empty()) {
        out += '\n';
        return;
    }
    const std::string ts = raw ? fmt::format("<{}>[{:5}.{:06}] ", prio, sec, usec)
                               : fmt::format("[{:5}.{:06}] ", sec, usec);
    out += ts;
    safe_write(out, msg, ts.size());
    out += '\n';
}

// The syslog(2) buffer of 2.6.x-3.4: records split where a newline is followed by '<'; the
// "<N>" and the "[sec.usec] " printk put in front are parsed off (get_next_syslog_record).
std::string dmesg_syslog(const std::string& buf, bool raw) {
    std::string out;
    if (raw) {
        if (buf.empty())
            return out;
        safe_write(out, buf, 0);
        if (buf.back() != '\n')
            out += '\n';
        return out;
    }
    size_t pos = 0;
    while (pos < buf.size()) {
        size_t end = buf.size();
        for (size_t i = pos; i + 1 < buf.size(); ++i)
            if (buf[i] == '\n' && buf[i + 1] == '<') {
                end = i;
                break;
            }
        std::string_view rec(buf.data() + pos, end - pos);
        pos = end + 1;
        unsigned prio = 0;
        if (!rec.empty() && rec[0] == '<') {
            prio = static_cast<unsigned>(
                std::strtoul(std::string(rec.substr(1)).c_str(), nullptr, 10));
            const size_t gt = rec.find('>');
            rec.remove_prefix(gt == std::string_view::npos ? rec.size() : gt + 1);
        }
        u64 sec = 0, usec = 0;
        if (rec.size() > 1 && rec[0] == '[' &&
            (rec[1] == ' ' || std::isdigit(static_cast<unsigned char>(rec[1])))) {
            const std::string t(rec.substr(1, rec.find(']')));
            char* dot = nullptr;
            sec = std::strtoull(t.c_str(), &dot, 10);
            if (dot && *dot == '.')
                usec = std::strtoull(dot + 1, nullptr, 10);
            const size_t close = rec.find(']');
            rec.remove_prefix(close == std::string_view::npos ? rec.size() : close + 1);
            if (!rec.empty() && rec[0] == ' ')
                rec.remove_prefix(1);
        }
        if (!rec.empty() && rec.back() == '\n')
            rec.remove_suffix(1);
        print_record(out, rec, prio, sec, usec, false);
    }
    return out;
}

} // namespace

std::string dmesg_text(DeviceKernel& kernel, DmesgOptions options) {
    PrintkLog& log = printk_log(kernel);
    RecordStore* store = log.records();
    if (!store)
        return dmesg_syslog(log.syslog_read_all(), options.raw);
    // /dev/kmsg from SEEK_DATA; a record lost under the reader (EPIPE) is simply skipped.
    std::string out;
    for (const PrintkRecord* r = store->read_valid(store->clear_seq()); r;
         r = store->read_valid(r->seq + 1)) {
        const u64 usec_total = r->ts_nsec / 1000;
        print_record(out, r->text, (unsigned{r->facility} << 3) | r->level, usec_total / 1000000,
                     usec_total % 1000000, options.raw);
    }
    return out;
}

std::string dmesg_text(Machine& machine, DmesgOptions options) {
    return dmesg_text(machine.devices().kernel(), options);
}

} // namespace kmemu
