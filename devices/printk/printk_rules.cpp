#include "devices/printk/printk_rules.h"

namespace kmemu {

PrintkRules printk_rules_for(KernelVersion v, Arch arch) {
    PrintkRules r;
    r.version = v;
    r.word_bits = word_bits(arch);

    // Log format: the record buffer arrived in 3.5 ("printk: convert byte-buffer to
    // variable-length record buffer"), the lockless ringbuffer in 5.10.
    r.format = !v.at_least(3, 5)    ? LogFormat::CharBuffer
               : !v.at_least(5, 10) ? LogFormat::Records
                                    : LogFormat::Ringbuffer;
    r.cont = !v.at_least(3, 5)    ? ContModel::CharStream
             : !v.at_least(4, 9)  ? ContModel::ContBuffer35
             : !v.at_least(5, 10) ? ContModel::ContBuffer49
                                  : ContModel::ReserveInLast;

    r.char_prefix = !v.at_least(2, 6, 26)   ? CharPrefixRule::PerLineDefault
                    : !v.at_least(2, 6, 31) ? CharPrefixRule::PerLineSticky
                                            : CharPrefixRule::FirstOnly;
    r.soh_prefix = v.at_least(3, 6);
    r.repeated_prefixes = v.at_least(4, 9);
    r.kern_default_token = v.at_least(2, 6, 31) && !v.at_least(5, 10);
    r.kern_cont_token = v.at_least(2, 6, 31);

    r.loose_free_space = v.at_least(3, 16);
    r.clear_follows_first = v.at_least(5, 4);
    r.reserve_formatted_size = v.at_least(5, 13);
    r.printk_pr_fmt = v.at_least(5, 0);

    r.kmsg_records = v.at_least(3, 5);
    r.kmsg_state_always = v.at_least(4, 8);
    r.kmsg_ratelimit = v.at_least(4, 8);
    r.kmsg_cont_plus_flags = r.kmsg_records && !v.at_least(4, 9);
    r.kmsg_facility_mask = v.at_least(4, 8);

    r.has_dmesg_restrict = v.at_least(2, 6, 37);
    r.hash_pointers = v.at_least(4, 15);
    r.has_kptr_restrict = v.at_least(2, 6, 38);
    r.null_pointer_raw = v.at_least(5, 0);
    return r;
}

} // namespace kmemu
