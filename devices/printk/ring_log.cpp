#include "devices/printk/ring_log.h"

namespace kmemu {

RingLog::RingLog(const PrintkRules& rules) : m_rules(rules) {}

u32 RingLog::block_size(u32 text_size) const {
    const u32 id = m_rules.block_id_size();
    return (text_size + id + id - 1) / id * id;
}

RingLog::Desc* RingLog::desc(u64 seq) {
    if (m_descs.empty() || seq < m_descs.front().rec.seq || seq >= m_next_seq)
        return nullptr;
    return &m_descs[static_cast<size_t>(seq - m_descs.front().rec.seq)];
}
const RingLog::Desc* RingLog::desc(u64 seq) const {
    return const_cast<RingLog*>(this)->desc(seq);
}

// get_next_lpos: a block that would reach the next wrap (even exactly) starts the next wrap.
u64 RingLog::next_lpos(u64 begin, u32 size) const {
    const unsigned bits = m_rules.log_buf_shift;
    const u64 next = begin + size;
    if ((begin >> bits) == (next >> bits))
        return next;
    return (next & ~((u64{1} << bits) - 1)) + size;
}

// data_push_tail / data_make_reusable: make the descriptors of the oldest blocks reusable until
// the tail reaches lpos; a block whose record is not finalized (the open record, or the one
// being extended) stops it.
bool RingLog::push_data_tail(u64 lpos, u64 except_seq) {
    const u64 size = data_size();
    while ((lpos - m_tail_lpos) - 1 < size) {
        if (m_blocks.empty())
            return false;
        Desc* d = desc(m_blocks.front());
        if (!d || d->begin != m_tail_lpos || d->rec.seq == except_seq ||
            d->state == State::Committed)
            return false;
        d->state = State::Reusable;
        m_tail_lpos = d->next;
        m_blocks.pop_front();
    }
    return true;
}

// desc_push_tail: invalidate the oldest descriptor (and its data), provided the next one may
// become the tail (finalized or reusable).
bool RingLog::push_desc_tail() {
    Desc& oldest = m_descs.front();
    if (oldest.state == State::Committed)
        return false;
    oldest.state = State::Reusable;
    if (oldest.has_data && !push_data_tail(oldest.next, ~u64{0}))
        return false;
    if (m_descs.size() < 2 || m_descs[1].state == State::Committed)
        return false;
    if (!m_blocks.empty() && m_blocks.front() == oldest.rec.seq)
        m_blocks.pop_front();
    m_descs.pop_front();
    return true;
}

PrintkRecord* RingLog::reserve(u32 reserve_size) {
    const u32 id = m_rules.block_id_size();
    // data_check_size: the largest block must leave room for the next block's id.
    if (reserve_size && block_size(reserve_size) > data_size() - id)
        return nullptr;
    // desc_reserve: the ring holds desc_count() records (the bootstrap descriptor only fills the
    // last slot until the desc_count()-th record takes it), so the next one recycles the oldest.
    if (m_descs.size() == m_rules.desc_count() && !push_desc_tail())
        return nullptr;
    if (!m_descs.empty() && m_descs.back().state == State::Committed)
        m_descs.back().state = State::Finalized; // desc_make_final(id - 1)
    Desc d;
    d.rec.seq = m_next_seq++;
    d.text_size = reserve_size;
    m_descs.push_back(std::move(d));
    Desc& nd = m_descs.back();
    if (reserve_size) {
        const u64 begin = m_head_lpos;
        const u64 next = next_lpos(begin, block_size(reserve_size));
        if (!push_data_tail(next - data_size(), nd.rec.seq)) {
            nd.failed = true; // FAILED_LPOS; the record is committed data-less
            return nullptr;
        }
        m_head_lpos = next;
        nd.begin = begin;
        nd.next = next;
        nd.has_data = true;
        m_blocks.push_back(nd.rec.seq);
    }
    m_reserved = true;
    return &nd.rec;
}

PrintkRecord* RingLog::reserve_in_last(u32 caller_id, u32 extra_size, u32 max_size) {
    if (m_descs.empty() || m_reserved)
        return nullptr;
    Desc& d = m_descs.back();
    // desc_reopen_last: only the newest record, still committed, of the same caller.
    if (d.state != State::Committed || d.rec.caller_id != caller_id || d.failed)
        return nullptr;
    const u32 id = m_rules.block_id_size();
    const u32 total = d.has_data ? extra_size + static_cast<u32>(d.rec.text.size()) : extra_size;
    if ((total && block_size(total) > data_size() - id) || total > max_size)
        return nullptr; // prb_commit again: the record stays open
    if (!d.has_data) {
        const u64 begin = m_head_lpos;
        const u64 next = next_lpos(begin, block_size(total));
        if (total && !push_data_tail(next - data_size(), d.rec.seq))
            return nullptr;
        if (total) {
            m_head_lpos = next;
            d.begin = begin;
            d.next = next;
            d.has_data = true;
            m_blocks.push_back(d.rec.seq);
        }
    } else {
        // data_realloc: only the newest block grows; a block that does not grow stays.
        if (m_head_lpos != d.next)
            return nullptr;
        const u64 next = next_lpos(d.begin, block_size(total));
        if (m_head_lpos - next >= data_size()) {
            if (!push_data_tail(next - data_size(), d.rec.seq))
                return nullptr;
            m_head_lpos = next;
            d.next = next;
        }
    }
    d.text_size = total;
    m_reserved = true;
    return &d.rec;
}

void RingLog::commit(bool final) {
    if (m_descs.empty())
        return;
    m_descs.back().state = final ? State::Finalized : State::Committed;
    m_reserved = false;
}

u64 RingLog::tail_seq() const {
    return m_descs.empty() ? 0 : m_descs.front().rec.seq;
}

RingLog::State RingLog::state_of(u64 seq) const {
    const Desc* d = desc(seq);
    return d ? d->state : State::Reusable;
}

// desc_read_finalized_seq: finalized with data is a record; reusable or failed (once not
// open) is a record whose data is gone (-ENOENT, skipped); anything else stops a reader.
bool RingLog::readable(const Desc& d) const {
    return d.state == State::Finalized && !d.failed;
}
bool RingLog::skippable(const Desc& d) const {
    return d.state == State::Reusable || (d.failed && d.state == State::Finalized);
}

// _prb_read_valid: from max(seq, tail), skipping records whose data is gone.
const PrintkRecord* RingLog::read_valid(u64 seq) const {
    for (u64 s = std::max(seq, tail_seq());; ++s) {
        const Desc* d = desc(s);
        if (!d)
            return nullptr;
        if (readable(*d))
            return &d->rec;
        if (!skippable(*d))
            return nullptr;
    }
}

u64 RingLog::first_seq() const {
    const PrintkRecord* r = read_valid(0);
    return r ? r->seq : 0;
}

u64 RingLog::next_seq() const {
    u64 s = tail_seq();
    for (const Desc* d = desc(s); d && (readable(*d) || skippable(*d)); d = desc(++s)) {
    }
    return s;
}

} // namespace kmemu
