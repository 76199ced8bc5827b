// glibc's strerror() texts for the errnos kmemu's kernel returns, as the user-space tools a
// script imitates (cat, hexdump, insmod, rmmod) print them. A table, not the host's strerror,
// so transcripts are the same on every host.
#pragma once

#include <string_view>

namespace kmemu::scenario {

// err: a positive errno. "Unknown error" for one not in the table.
[[nodiscard]] std::string_view strerror_text(long err);

} // namespace kmemu::scenario
