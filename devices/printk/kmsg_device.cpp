#include "devices/printk/kmsg_device.h"

#include <fmt/format.h>

#include <vector>

#include "devices/printk/printk.h"
#include "devices/vfs/iov_iter.h"
#include "mm/errno.h"
#include "mm/kernel_image/kernel_vars.h"
#include "mm/kernel_profile.h"
#include "mm/machine_config.h"
#include "mm/uaccess.h"

namespace kmemu {

// struct ratelimit_state as devkmsg_open sets it up: DEFAULT_RATELIMIT_INTERVAL (5 * HZ),
// DEFAULT_RATELIMIT_BURST (10), RATELIMIT_MSG_ON_RELEASE.
struct RatelimitState {
    u64 interval = 0; // jiffies
    int burst = 10;
    int printed = 0;
    int missed = 0;
    u64 begin = 0; // jiffies; 0 = not started
};

struct DevkmsgUser {
    u64 seq = 0;
    u8 prev = 0; // 3.5-4.8: flags of the last record read ('c' / '+')
    RatelimitState rs;
};

const DevkmsgUser* devkmsg_user(const struct file* f) {
    return static_cast<const DevkmsgUser*>(f->private_data);
}
u64 devkmsg_user_seq(const DevkmsgUser& u) {
    return u.seq;
}

namespace {

constexpr size_t CONSOLE_EXT_LOG_MAX = 8192;

PrintkLog& log_of_current() {
    return printk_log(current_kernel());
}

UserAccess* user_mm() {
    Task* t = current_task();
    return t ? t->mm : nullptr;
}

// jiffies as the kernel's unsigned long.
u64 jiffies_now(const DeviceKernel& k, unsigned word_bits) {
    const u64 j = jiffies_64_after(k.profile().kernel_image.hz, k.now_ns());
    return word_bits == 64 ? j : (j & 0xffffffffULL);
}

// ___ratelimit (lib/ratelimit.c): a burst per interval that starts at the first call; with
// RATELIMIT_MSG_ON_RELEASE the missed count is kept for the release message.
bool ratelimit(RatelimitState& rs, const DeviceKernel& k, unsigned word_bits) {
    const u64 jiffies = jiffies_now(k, word_bits);
    const u64 mask = word_bits == 64 ? ~u64{0} : 0xffffffffULL;
    if (!rs.begin)
        rs.begin = jiffies;
    // time_is_before_jiffies(begin + interval): (long)(begin + interval - jiffies) < 0.
    const u64 diff = (rs.begin + rs.interval - jiffies) & mask;
    const bool expired = (diff >> (word_bits - 1)) & 1;
    if (expired) {
        rs.begin = jiffies;
        rs.printed = 0;
    }
    if (rs.burst && rs.burst > rs.printed) {
        ++rs.printed;
        return true;
    }
    ++rs.missed;
    return false;
}

// ---------------------------------------------------------------- 2.6.x-3.4

// kmsg_write (drivers/char/mem.c 2.6.x-3.4): printk("%s", text) of a NUL-terminated copy;
// the count is returned unless printk's (prefix-inflated) length is smaller.
ssize_t kmsg_write(file*, const char* buf, size_t count, loff_t*) {
    PrintkLog& log = log_of_current();
    if (count + 1 > log.rules().kmalloc_max)
        return -ENOMEM;
    std::vector<u8> tmp(count);
    UserAccess* u = user_mm();
    if (!u || copy_from_user(*u, tmp, user_addr(buf)) != 0)
        return -EFAULT;
    const std::string_view text(reinterpret_cast<const char*>(tmp.data()), tmp.size());
    const ssize_t ret = log.vprintk_emit(0, LOGLEVEL_DEFAULT, text);
    return ret > static_cast<ssize_t>(count) ? static_cast<ssize_t>(count) : ret;
}

const file_operations kKmsgWriteOnlyFops = [] {
    file_operations f{};
    f.write = kmsg_write;
    return f;
}();

// ---------------------------------------------------------------- 3.5+

int devkmsg_open(inode*, file* f) {
    DeviceKernel& k = current_kernel();
    PrintkLog& log = printk_log(k);
    const PrintkRules& r = log.rules();
    // 4.8+: printk.devkmsg=off refuses every open.
    if (r.kmsg_state_always && k.config().devkmsg == DevkmsgMode::Off)
        return -EPERM;
    if ((f->f_flags & oflag::kAccmode) == oflag::kWronly) {
        if (!r.kmsg_state_always)
            return 0; // 3.5-4.7: write-only opens need no context
    } else if (int err = log.check_syslog_read()) {
        return err;
    }
    auto* user = new DevkmsgUser;
    user->seq = log.records()->first_seq();
    user->rs.interval = 5ULL * k.profile().kernel_image.hz;
    f->private_data = user;
    return 0;
}

int devkmsg_release(inode*, file* f) {
    auto* user = static_cast<DevkmsgUser*>(f->private_data);
    if (!user)
        return 0;
    f->private_data = nullptr;
    // ratelimit_state_exit: one pr_warn for the writes the ratelimit dropped.
    if (user->rs.missed) {
        PrintkLog& log = log_of_current();
        const Task* t = current_task();
        log.vprintk_emit(0, 4,
                         fmt::format("{}{}: {} output lines suppressed due to ratelimiting\n",
                                     log.rules().printk_pr_fmt ? "printk: " : "",
                                     t ? t->comm : "swapper", user->rs.missed));
    }
    delete user;
    return 0;
}

// The decimal of "<N>": simple_strtoul (no sign, no spaces, wrapping on overflow).
bool parse_syslog_prefix(std::string_view line, u64* value, size_t* prefix_len) {
    if (line.empty() || line[0] != '<')
        return false;
    u64 v = 0;
    size_t i = 1;
    while (i < line.size() && line[i] >= '0' && line[i] <= '9')
        v = v * 10 + static_cast<u64>(line[i++] - '0');
    if (i >= line.size() || line[i] != '>')
        return false;
    *value = v;
    *prefix_len = i + 1;
    return true;
}

ssize_t devkmsg_write(kiocb* iocb, iov_iter* from) {
    DeviceKernel& k = current_kernel();
    PrintkLog& log = printk_log(k);
    const PrintkRules& r = log.rules();
    auto* user = static_cast<DevkmsgUser*>(iocb->ki_filp->private_data);
    const size_t len = iov_iter_count(from);
    if ((r.kmsg_state_always && !user) || len > r.log_line_max)
        return -EINVAL;
    if (r.kmsg_ratelimit) {
        const DevkmsgMode mode = k.config().devkmsg.value_or(DevkmsgMode::Ratelimit);
        if (mode == DevkmsgMode::Off)
            return static_cast<ssize_t>(len);
        if (mode == DevkmsgMode::Ratelimit && !ratelimit(user->rs, k, r.word_bits))
            return static_cast<ssize_t>(len);
    }
    std::vector<u8> buf(len);
    if (copy_from_iter(buf, from) != len)
        return -EFAULT;
    std::string_view line(reinterpret_cast<const char*>(buf.data()), buf.size());
    int level = log.default_message_loglevel;
    int facility = 1; // LOG_USER
    u64 value = 0;
    size_t plen = 0;
    if (parse_syslog_prefix(line, &value, &plen)) {
        const u32 u = static_cast<u32>(value);
        level = static_cast<int>(u & 7);
        if (r.kmsg_facility_mask) {
            // 4.8+: LOG_FACILITY(u) = (u >> 3) & 0xff, kept only when not 0.
            if ((u >> 3) & 0xff)
                facility = static_cast<int>((u >> 3) & 0xff);
        } else {
            // 3.5-4.7: the int's facility bits, stored in a u8 (so 256 becomes 0, the kernel's).
            const int i = static_cast<int>(u);
            if (i >> 3)
                facility = (i >> 3) & 0xff;
        }
        line.remove_prefix(plen);
    }
    log.vprintk_emit(facility, level, line);
    return static_cast<ssize_t>(len);
}

void append_escaped(std::string& out, std::string_view text) {
    for (unsigned char c : text) {
        if (c < ' ' || c >= 127 || c == '\\')
            out += fmt::format("\\x{:02x}", c);
        else
            out += static_cast<char>(c);
    }
}

// The /dev/kmsg line of a record: "prio,seq,ts_usec,flags;text\n" and " KEY=value\n" lines.
std::string format_record(const PrintkRecord& rec, DevkmsgUser& user, const PrintkRules& r) {
    char cont = '-';
    if (r.kmsg_cont_plus_flags) {
        // 3.5-4.8: 'c' starts a continued line, '+' goes on with one.
        if ((rec.flags & LOG_CONT) && !(user.prev & LOG_CONT))
            cont = 'c';
        else if ((rec.flags & LOG_CONT) || ((user.prev & LOG_CONT) && !(rec.flags & LOG_PREFIX)))
            cont = '+';
        user.prev = rec.flags;
    } else if (rec.flags & LOG_CONT) {
        cont = 'c';
    }
    std::string out = fmt::format("{},{},{},{};", (unsigned{rec.facility} << 3) | rec.level,
                                  rec.seq, rec.ts_nsec / 1000, cont);
    append_escaped(out, rec.text);
    out += '\n';
    if (!rec.dict.empty()) {
        // 3.5-5.9 dictionaries: NUL-separated pairs, one " KEY=value" line each.
        size_t start = 0;
        for (;;) {
            const size_t end = rec.dict.find('\0', start);
            out += ' ';
            append_escaped(out, std::string_view(rec.dict).substr(start, end - start));
            out += '\n';
            if (end == std::string::npos)
                break;
            start = end + 1;
        }
    }
    if (out.size() > CONSOLE_EXT_LOG_MAX)
        out.resize(CONSOLE_EXT_LOG_MAX);
    return out;
}

ssize_t devkmsg_read(file* f, char* buf, size_t count, loff_t*) {
    auto* user = static_cast<DevkmsgUser*>(f->private_data);
    if (!user)
        return -EBADF;
    PrintkLog& log = log_of_current();
    RecordStore& store = *log.records();
    const PrintkRecord* rec = store.read_valid(user->seq);
    if (!rec) {
        if (f->f_flags & oflag::kNonblock)
            return -EAGAIN;
        // wait_event_interruptible would sleep until the next printk. kmemu has no other thread
        // to wake it: a pending signal ends the wait (-EINTR), otherwise it returns -EAGAIN at
        // once, as an O_NONBLOCK read would.
        return signal_pending_current() ? -EINTR : -EAGAIN;
    }
    if (rec->seq != user->seq) {
        // The reader's record was overwritten: move to the oldest one still there.
        user->seq = rec->seq;
        return -EPIPE;
    }
    const std::string line = format_record(*rec, *user, log.rules());
    user->seq = rec->seq + 1; // the record is consumed even if it does not fit
    if (line.size() > count)
        return -EINVAL;
    UserAccess* u = user_mm();
    if (!u || copy_to_user(*u, user_addr(buf),
                           std::span(reinterpret_cast<const u8*>(line.data()), line.size())) != 0)
        return -EFAULT;
    return static_cast<ssize_t>(line.size());
}

loff_t devkmsg_llseek(file* f, loff_t offset, int whence) {
    auto* user = static_cast<DevkmsgUser*>(f->private_data);
    if (!user)
        return -EBADF;
    if (offset)
        return -ESPIPE;
    RecordStore& store = *log_of_current().records();
    switch (whence) {
    case kSeekSet:
        user->seq = store.first_seq();
        return 0;
    case kSeekData: // the first record after the last SYSLOG_ACTION_CLEAR (`dmesg -c`)
        user->seq = store.clear_seq();
        return 0;
    case kSeekEnd:
        user->seq = store.next_seq();
        return 0;
    default:
        return -EINVAL;
    }
}

const file_operations kDevkmsgFops = [] {
    file_operations f{};
    f.open = devkmsg_open;
    f.read = devkmsg_read;
    f.write_iter = devkmsg_write;
    f.llseek = devkmsg_llseek;
    f.release = devkmsg_release;
    return f;
}();

} // namespace

MemMinor kmsg_minor() {
    return MemMinor{11, "kmsg", [](const DeviceKernel&) { return true; },
                    [](const DeviceKernel& k) {
                        return k.profile().version.at_least(3, 5) ? &kDevkmsgFops
                                                                  : &kKmsgWriteOnlyFops;
                    }};
}

} // namespace kmemu
