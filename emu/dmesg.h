// dmesg(1) of util-linux over a machine's log, byte for byte: the default format
// "[%5lu.%06lu] message" per record, lines after the first of a multi-line record indented by
// the width of that prefix, an empty record as an empty line, non-printable bytes as \xHH;
// `dmesg -r` prints "<prio>[%5lu.%06lu] message" instead. Kernels 3.5+ are read through
// /dev/kmsg from the last clear (SEEK_DATA), older ones through syslog(SYSLOG_ACTION_READ_ALL).
#pragma once

#include <string>

namespace kmemu {

class DeviceKernel;
class Machine;

struct DmesgOptions {
    bool raw = false; // -r
};

[[nodiscard]] std::string dmesg_text(DeviceKernel& kernel, DmesgOptions options = {});
[[nodiscard]] std::string dmesg_text(Machine& machine, DmesgOptions options = {});

} // namespace kmemu
