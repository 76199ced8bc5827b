#include "devices/printk/record_log.h"

#include <algorithm>

namespace kmemu {

u32 RecordLog::record_size(size_t text_len, size_t dict_len) const {
    // msg_used_size: pad_len = (-size) & (LOG_ALIGN - 1).
    u32 size = m_rules.record_header + static_cast<u32>(text_len) + static_cast<u32>(dict_len);
    size += (0u - size) & (m_rules.log_align - 1);
    return size;
}

// Free contiguous space: behind next_idx up to the end or before first_idx from the start when
// next_idx is ahead of first_idx (or the log is empty), else the gap up to first_idx.
bool RecordLog::has_space(u32 size, bool empty) const {
    const u32 len = m_rules.log_buf_len();
    const u32 free = (m_next_idx > m_first_idx || empty) ? std::max(len - m_next_idx, m_first_idx)
                                                         : m_first_idx - m_next_idx;
    const u32 need = size + m_rules.record_header; // room for a wrap header too
    // logbuf_has_space (3.16+): free >= need. log_store 3.5-3.15: free > need.
    return m_rules.loose_free_space ? free >= need : free > need;
}

// log_first_idx = log_next(log_first_idx): past the oldest record (which sits at 0 when
// first_idx pointed at a wrap header, so idx + len covers both cases).
void RecordLog::drop_oldest() {
    const Entry& e = m_entries.front();
    m_first_idx = e.idx + e.len;
    ++m_first_seq;
    m_entries.pop_front();
    // 5.4+ log_make_free_space: clear_seq never stays behind the first record.
    if (m_rules.clear_follows_first && m_clear_seq < m_first_seq)
        m_clear_seq = m_first_seq;
}

void RecordLog::store(PrintkRecord rec) {
    const u32 len = m_rules.log_buf_len();
    const u32 size = record_size(rec.text.size(), rec.dict.size());
    while (m_first_seq < m_next_seq && !has_space(size, false))
        drop_oldest();
    // (With LOG_LINE_MAX 992 and a 128 KiB buffer a record always fits an empty log, so
    // truncate_msg's "<truncated>" path cannot be reached.)
    const u32 end = m_next_idx + size + m_rules.record_header;
    const bool wrap = m_rules.loose_free_space ? end > len : end >= len;
    if (wrap)
        m_next_idx = 0; // a zero header at the old next_idx marks the wrap
    Entry e;
    rec.seq = m_next_seq;
    e.rec = std::move(rec);
    e.idx = m_next_idx;
    e.len = size;
    m_next_idx += size;
    ++m_next_seq;
    m_entries.push_back(std::move(e));
}

const PrintkRecord* RecordLog::read_valid(u64 seq) const {
    if (m_entries.empty() || seq >= m_next_seq)
        return nullptr;
    if (seq < m_first_seq)
        seq = m_first_seq;
    return &m_entries[static_cast<size_t>(seq - m_first_seq)].rec;
}

} // namespace kmemu
