// PrintkLog: a machine's printk state (current_kernel().state<PrintkLog>()): the log buffer of
// the version's era, the continuation-line state, the console levels and the console output,
// shared by kernel code, drivers and /dev/kmsg. vprintk_emit takes text that is already
// formatted (the C varargs printk formats it with kernel_vsprintf first).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "devices/printk/char_log.h"
#include "devices/printk/printk_record.h"
#include "devices/printk/printk_rules.h"
#include "devices/printk/record_log.h"
#include "devices/printk/ring_log.h"
#include "devices/printk/vsprintf.h"

namespace kmemu {

class DeviceKernel;

inline constexpr int LOGLEVEL_DEFAULT = -1;

class PrintkLog {
  public:
    explicit PrintkLog(DeviceKernel& kernel);

    [[nodiscard]] const PrintkRules& rules() const { return m_rules; }

    // vprintk_emit(facility, level, NULL, text): facility 0 is the kernel's (its text may begin
    // with level tokens); level LOGLEVEL_DEFAULT takes the token's or default_message_loglevel.
    // Returns what the version's printk returns (kernel-semantics.md §2.15, docs/devices.md).
    int vprintk_emit(int facility, int level, std::string_view text);

    // syslog(SYSLOG_ACTION_CLEAR) / `dmesg -C`: the char buffer forgets logged_chars; the record
    // logs move clear_seq after the last record (what SEEK_DATA on /dev/kmsg starts at).
    void syslog_clear();
    // syslog(SYSLOG_ACTION_READ_ALL) of the char-buffer era (the raw "<N>[...] text" bytes).
    [[nodiscard]] std::string syslog_read_all() const;
    // check_syslog_permissions(SYSLOG_ACTION_READ_ALL, SYSLOG_FROM_READER) for the current
    // task: 0 or -EPERM (with dmesg_restrict, CAP_SYSLOG; CAP_SYS_ADMIN too, warning once).
    [[nodiscard]] int check_syslog_read();

    // The record log of 3.5+ kernels (nullptr before).
    [[nodiscard]] RecordStore* records();
    [[nodiscard]] RecordLog* record_log() { return m_records.get(); }
    [[nodiscard]] RingLog* ring_log() { return m_ring.get(); }
    [[nodiscard]] CharLog* char_log() { return m_chars.get(); }

    // What the console printed (every message below console_loglevel, in the console's format).
    [[nodiscard]] const std::string& console_output() const { return m_console; }
    int console_loglevel = 7;         // loglevel= (MachineConfig::loglevel)
    int default_message_loglevel = 4; // MESSAGE_LOGLEVEL_DEFAULT
    // printk.time (/sys/module/printk/parameters/time): kmemu's kernels have
    // CONFIG_PRINTK_TIME=y in every era.
    bool printk_time = true;

    // The vsprintf context for the current task (kptr_restrict and the %pK reader check).
    [[nodiscard]] VsprintfContext vsprintf_context() const;

    // "[%5lu.%06lu] " of a timestamp (print_time).
    [[nodiscard]] static std::string time_prefix(u64 ts_nsec);

  private:
    struct Parsed {
        std::string text;
        int level = LOGLEVEL_DEFAULT;
        u8 lflags = 0;
        u32 reserve_size = 0; // 5.13+ reserve size (formatted length + 1, at most LOG_LINE_MAX)
    };
    [[nodiscard]] Parsed parse(int facility, int level, std::string_view text) const;
    int emit_chars(std::string_view text);
    int emit_cont35(int facility, const Parsed& p);
    int emit_cont49(int facility, const Parsed& p);
    int emit_ring(int facility, const Parsed& p);
    void store(int facility, int level, u8 flags, u64 ts, std::string_view text);
    void cont_flush35(u8 flags);
    void cont_flush49();
    void console_flush();
    void console_chars();
    void console_write(int level, std::string_view text);
    [[nodiscard]] u32 caller_id() const;

    DeviceKernel& m_kernel;
    PrintkRules m_rules;
    std::unique_ptr<CharLog> m_chars;
    std::unique_ptr<RecordLog> m_records;
    std::unique_ptr<RingLog> m_ring;
    SiphashKey m_ptr_key;

    // struct cont (3.5-5.9).
    struct Cont {
        std::string buf;
        u32 owner = 0;
        u64 ts_nsec = 0;
        int level = 0;
        int facility = 0;
        u8 flags = 0;
        size_t cons = 0;      // 3.5-4.8: bytes already written to the console
        bool flushed = false; // 3.5-4.8: stored in the log, waiting for the console
    } m_cont;

    u64 m_console_seq = 0;
    u8 m_console_prev = 0; // 3.5-4.8 console_prev
    bool m_warned_cap_sys_admin = false;
    std::string m_console;
};

} // namespace kmemu
