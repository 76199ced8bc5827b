// The 5.10+ printk_ringbuffer (kernel/printk/printk_ringbuffer.c): a ring of descriptors
// (1 << (LOG_BUF_SHIFT - PRB_AVGBITS) of them) with their printk_info, and a text data ring of
// 1 << LOG_BUF_SHIFT bytes holding data blocks (an unsigned long id, then the text, padded to
// the id size). Logical positions, descriptor states (committed, finalized, reusable) and the
// tail pushing are followed exactly; the bytes are not kept.
#pragma once

#include <deque>

#include "devices/printk/printk_record.h"
#include "devices/printk/printk_rules.h"

namespace kmemu {

class RingLog final : public RecordStore {
  public:
    enum class State { Committed, Finalized, Reusable };

    explicit RingLog(const PrintkRules& rules);

    // prb_reserve with text_buf_size = reserve_size: a new descriptor (pushing the descriptor
    // tail when the ring is full, finalizing the previous record) and a data block (pushing
    // the data tail). Returns the new record (state Committed until commit) or nullptr when
    // nothing could be reserved; a failed data allocation leaves a data-less record behind.
    PrintkRecord* reserve(u32 reserve_size);
    // prb_reserve_in_last: reopen the newest record if it is still committed and from
    // caller_id, growing its data block by extra_size (the total limited to max_size).
    PrintkRecord* reserve_in_last(u32 caller_id, u32 extra_size, u32 max_size);
    // prb_commit (the record stays open: readers do not see it) / prb_final_commit.
    void commit(bool final);

    [[nodiscard]] u64 first_seq() const override; // prb_first_valid_seq
    [[nodiscard]] u64 next_seq() const override;  // prb_next_seq
    [[nodiscard]] const PrintkRecord* read_valid(u64 seq) const override;

    [[nodiscard]] u64 head_lpos() const { return m_head_lpos; }
    [[nodiscard]] u64 tail_lpos() const { return m_tail_lpos; }
    [[nodiscard]] u64 tail_seq() const; // prb_first_seq: the oldest descriptor, even reusable
    [[nodiscard]] State state_of(u64 seq) const;
    [[nodiscard]] size_t descriptors() const { return m_descs.size(); }
    [[nodiscard]] u32 data_size() const { return u32{1} << m_rules.log_buf_shift; }
    [[nodiscard]] u32 block_size(u32 text_size) const; // to_blk_size

  private:
    struct Desc {
        PrintkRecord rec;
        State state = State::Committed;
        bool has_data = false; // a data block in the text ring (not NO_LPOS / FAILED_LPOS)
        bool failed = false;   // FAILED_LPOS: the data could not be allocated
        u64 begin = 0, next = 0;
        u32 text_size = 0; // text_buf_size of the block
    };
    [[nodiscard]] Desc* desc(u64 seq);
    [[nodiscard]] const Desc* desc(u64 seq) const;
    [[nodiscard]] u64 next_lpos(u64 begin, u32 size) const;      // get_next_lpos
    [[nodiscard]] bool push_data_tail(u64 lpos, u64 except_seq); // data_push_tail
    [[nodiscard]] bool push_desc_tail();                         // desc_push_tail
    [[nodiscard]] bool readable(const Desc& d) const;
    [[nodiscard]] bool skippable(const Desc& d) const;

    PrintkRules m_rules;
    std::deque<Desc> m_descs; // seq m_descs.front().rec.seq ..
    std::deque<u64> m_blocks; // seqs owning the data blocks in [tail_lpos, head_lpos)
    u64 m_head_lpos = 0, m_tail_lpos = 0;
    u64 m_next_seq = 0; // seq of the next descriptor to reserve
    bool m_reserved = false;
};

} // namespace kmemu
