// One printk record as the record-era logs keep it (struct printk_log 3.5-5.9, struct
// printk_info + text 5.10+), and the interface readers (/dev/kmsg, dmesg, the console) use to
// reach the records of either layout.
#pragma once

#include <string>

#include "mm/types.h"

namespace kmemu {

// enum log_flags (kernel/printk/printk.c). LOG_NOCONS and LOG_PREFIX exist 3.5-5.9 only.
inline constexpr u8 LOG_NOCONS = 1;
inline constexpr u8 LOG_NEWLINE = 2;
inline constexpr u8 LOG_PREFIX = 4;
inline constexpr u8 LOG_CONT = 8;

struct PrintkRecord {
    u64 seq = 0;
    u64 ts_nsec = 0;
    u8 facility = 0; // u8 in both layouts: a user facility above 255 wraps
    u8 level = 0;
    u8 flags = 0;
    u32 caller_id = 0; // printk_caller_id(): the task's pid (0 for the idle task / boot)
    std::string text;
    std::string dict; // 3.5-5.9: NUL-separated KEY=value pairs (none are produced by kmemu yet)
};

// The read side of a record log.
class RecordStore {
  public:
    virtual ~RecordStore() = default;
    // The oldest readable record (devkmsg_open, SEEK_SET): log_first_seq / prb_first_valid_seq.
    [[nodiscard]] virtual u64 first_seq() const = 0;
    // After the newest readable record (SEEK_END): log_next_seq / prb_next_seq.
    [[nodiscard]] virtual u64 next_seq() const = 0;
    // What a reader at `seq` gets: that record, or the oldest readable one after it when it is
    // gone (the caller sees the different seq: -EPIPE), or nullptr when none is readable yet.
    [[nodiscard]] virtual const PrintkRecord* read_valid(u64 seq) const = 0;
    // The record after the last SYSLOG_ACTION_CLEAR (SEEK_DATA); clear() moves it to next_seq.
    [[nodiscard]] u64 clear_seq() const { return m_clear_seq; }
    void clear() { m_clear_seq = next_seq(); }

  protected:
    u64 m_clear_seq = 0;
};

} // namespace kmemu
