// The printk rules that changed between versions (kernel/printk.c 2.6.x-3.x,
// kernel/printk/printk.c and printk_ringbuffer.c 3.11+, lib/vsprintf.c, drivers/char/mem.c),
// decided once from the machine's version, arch and config (DESIGN.md lesson 11).
//
// Eras used below (kernel-semantics.md §0.2 plus what the printk trees showed):
//   char buffer  2.6.11-3.4   a byte ring with "<N>" tokens and timestamps in the text
//   records      3.5-5.9      struct log / struct printk_log records in log_buf
//   ringbuffer   5.10+        printk_ringbuffer: descriptor ring + text data ring
#pragma once

#include "mm/arch.h"
#include "mm/kernel_version.h"
#include "mm/types.h"

namespace kmemu {

struct MachineConfig;

enum class LogFormat { CharBuffer, Records, Ringbuffer };

// How vprintk finds level tokens in the char-buffer era.
enum class CharPrefixRule {
    // 2.6.11-2.6.25 vprintk: every line start is checked for "<0>".."<7>"; lines without one get
    // default_message_loglevel; with printk_time the token moves before the timestamp and the
    // return value loses 3 for each token found.
    PerLineDefault,
    // 2.6.26-2.6.30 ("refactor processing of line severity tokens"): every line start is checked;
    // a token sets the level for the following lines of the same call.
    PerLineSticky,
    // 2.6.31-3.4: only the start of the formatted text is checked ('0'-'7', 'd', 'c'); the level
    // applies to every line of the call; the return value counts the token plus 3 per line.
    FirstOnly,
};

// How a line without a trailing newline is continued.
enum class ContModel {
    CharStream,    // char buffer: the next printk simply continues the same line
    ContBuffer35,  // 3.5-4.8: struct cont with cons/flushed; same task and no prefix merges
    ContBuffer49,  // 4.9-5.9: struct cont; only KERN_CONT from the same task merges
    ReserveInLast, // 5.10+: the last record stays open; KERN_CONT from the same caller extends it
};

struct PrintkRules {
    KernelVersion version;
    unsigned word_bits = 64;
    LogFormat format = LogFormat::Ringbuffer;
    ContModel cont = ContModel::ReserveInLast;

    // __LOG_BUF_LEN = 1 << CONFIG_LOG_BUF_SHIFT. kmemu's kernels are built with the 3.x+ Kconfig
    // default 17 (128 KiB) in every era (2.6.x's default was 14-17 by arch/SMP; distributions
    // used 17).
    unsigned log_buf_shift = 17;
    [[nodiscard]] u32 log_buf_len() const { return u32{1} << log_buf_shift; }

    // ---- char buffer (2.6.x-3.4) ----
    CharPrefixRule char_prefix = CharPrefixRule::FirstOnly;
    unsigned printk_buf_size = 1024; // vprintk's static printk_buf[1024]

    // ---- level tokens ----
    // KERN_SOH "\001" + level char from 3.6 (include/linux/kern_levels.h); "<N>" before.
    bool soh_prefix = true;
    // 3.6+: printk_get_level is applied repeatedly (a run of tokens) from 4.9; once before.
    bool repeated_prefixes = true;
    // KERN_DEFAULT ('d') is a recognised token 2.6.31-5.9 (it sets LOG_PREFIX in 3.5-5.9).
    bool kern_default_token = false;
    // KERN_CONT: "" before 2.6.31 (no token at all), "<c>" 2.6.31-3.5, KERN_SOH "c" from 3.6.
    bool kern_cont_token = true;

    // ---- records (3.5-5.9) ----
    u32 record_header = 16; // sizeof(struct printk_log): u64 + 3 x u16 + 2 x u8
    // LOG_ALIGN: 4 with CONFIG_HAVE_EFFICIENT_UNALIGNED_ACCESS (x86, arm64, ARMv6+ all select
    // it), else __alignof__(struct printk_log).
    u32 log_align = 4;
    // log_store free-space test. 3.5-3.15: drop while free <= size + header, wrap when
    // next_idx + size + header >= len. 3.16+ (logbuf_has_space): drop while free < size +
    // header, wrap when next_idx + size + header > len ("use also the last bytes"; the 3.10.y
    // tree has the former, a 3.16-3.18 tree the latter; the first version is from memory).
    bool loose_free_space = true;
    // 5.4+ log_make_free_space moves clear_seq with log_first_seq (3.1x did not).
    bool clear_follows_first = true;

    // ---- ringbuffer (5.10+) ----
    unsigned prb_avgbits = 5; // PRB_AVGBITS: descriptors = 1 << (LOG_BUF_SHIFT - 5)
    [[nodiscard]] u32 desc_count() const { return u32{1} << (log_buf_shift - prb_avgbits); }
    [[nodiscard]] u32 block_id_size() const { return word_bits / 8; } // unsigned long id
    // 5.13+ vprintk_store reserves min(vsnprintf length + 1, LOG_LINE_MAX) bytes of text;
    // 5.10-5.12 log_store reserves exactly the stored text_len.
    bool reserve_formatted_size = true;

    // LOG_LINE_MAX = 1024 - PREFIX_MAX (32; CONFIG_PRINTK_CALLER=n), 3.5+.
    u32 log_line_max = 992;
    unsigned default_message_loglevel = 4; // MESSAGE_LOGLEVEL_DEFAULT / DEFAULT_MESSAGE_LOGLEVEL
    unsigned default_console_loglevel = 7; // DEFAULT_CONSOLE_LOGLEVEL
    // printk's own messages carry pr_fmt "printk: " from 5.0 (5.4 has it, 4.19 does not; the
    // first version is from memory).
    bool printk_pr_fmt = true;

    // ---- /dev/kmsg ----
    bool kmsg_records = true;          // 3.5+: devkmsg_* record interface; before: kmsg_write only
    bool kmsg_state_always = true;     // 4.8+: every open gets a devkmsg_user (ratelimit series)
    bool kmsg_ratelimit = true;        // 4.8+: per-open ratelimit 10 / 5 s, report on release
    bool kmsg_cont_plus_flags = false; // 3.5-4.8: 'c' / '+' from the reader's previous flags
    bool kmsg_facility_mask = true;    // 4.8+: LOG_FACILITY() masks with 0xff before the 0 test
    u64 kmalloc_max = 4 * MiB;         // E1/E2 kmsg_write kmalloc(count + 1) limit (MAX_ORDER 11)

    // ---- syslog permissions ----
    bool has_dmesg_restrict = true; // kernel.dmesg_restrict and CAP_SYSLOG, 2.6.37+

    // ---- lib/vsprintf.c ----
    bool hash_pointers = true;     // %p prints a siphash of the pointer, 4.15+
    bool has_kptr_restrict = true; // %pK, 2.6.38+ (kernel.kptr_restrict)
    bool null_pointer_raw = true;  // 5.0+: %p of NULL / ERR_PTR prints the value, not "(null)"
};

[[nodiscard]] PrintkRules printk_rules_for(KernelVersion version, Arch arch);

} // namespace kmemu
