// The 3.5-5.9 log buffer: variable-length records in log_buf, each a struct printk_log header
// (16 bytes) followed by text and dictionary and padded to LOG_ALIGN (log_store,
// log_make_free_space, logbuf_has_space in kernel/printk.c 3.x / kernel/printk/printk.c 4.x).
// The bytes themselves are not kept; every index the kernel computes is, so the oldest record is
// dropped exactly when the kernel drops it.
#pragma once

#include <deque>

#include "devices/printk/printk_record.h"
#include "devices/printk/printk_rules.h"

namespace kmemu {

class RecordLog final : public RecordStore {
  public:
    explicit RecordLog(const PrintkRules& rules) : m_rules(rules) {}

    // log_store: make room (dropping the oldest records), wrap with a zero-length header when
    // the record and one more header do not fit at the end, then append. The record's seq is
    // assigned here.
    void store(PrintkRecord rec);
    // The space a record of these lengths takes: header + text + dict, padded to LOG_ALIGN.
    [[nodiscard]] u32 record_size(size_t text_len, size_t dict_len) const;

    [[nodiscard]] u64 first_seq() const override { return m_first_seq; }
    [[nodiscard]] u64 next_seq() const override { return m_next_seq; }
    [[nodiscard]] const PrintkRecord* read_valid(u64 seq) const override;

    [[nodiscard]] u32 first_idx() const { return m_first_idx; }
    [[nodiscard]] u32 next_idx() const { return m_next_idx; }

  private:
    struct Entry {
        PrintkRecord rec;
        u32 idx = 0; // where its header is
        u32 len = 0; // msg->len
    };
    [[nodiscard]] bool has_space(u32 size, bool empty) const;
    void drop_oldest();

    PrintkRules m_rules;
    std::deque<Entry> m_entries; // seq m_first_seq .. m_next_seq - 1
    u32 m_first_idx = 0, m_next_idx = 0;
    u64 m_first_seq = 0, m_next_seq = 0;
};

} // namespace kmemu
