#include "devices/mem/random_device.h"

#include <algorithm>
#include <array>

#include "devices/mem/random_generator.h"
#include "devices/vfs/iov_iter.h"
#include "devices/vfs/vfs.h"
#include "mm/errno.h"
#include "mm/kernel_profile.h"
#include "mm/layout.h"
#include "mm/machine_config.h"
#include "mm/uaccess.h"

namespace kmemu {

namespace {

constexpr size_t kBlock = 64; // CHACHA_BLOCK_SIZE: the unit of generation and of mixing

struct RandomState {
    explicit RandomState(DeviceKernel& k)
        : rules(random_rules_for(k.profile().version, k.layout().page_size())),
          generator(k.config().random_seed.value_or(kDefaultRandomSeed)) {}
    RandomRules rules;
    RandomGenerator generator;
    u32 entropy_bits = kPoolBits;
    u64 blocked_reads = 0;
};

RandomState& state() {
    return current_kernel().state<RandomState>();
}

UserAccess* current_mm() {
    Task* t = current_task();
    return t ? t->mm : nullptr;
}

// Where read bytes go (a user buffer, or the iterator of read_iter) and where written bytes
// come from; each call returns the bytes it moved, short at the first fault.
struct UserSink {
    UserAccess* mm = nullptr;
    VirtAddr buf{0};
    iov_iter* iter = nullptr;
    u64 done = 0;
    size_t put(std::span<const u8> bytes) {
        if (iter)
            return copy_to_iter(bytes, iter);
        if (!mm)
            return 0;
        const size_t n = bytes.size() - copy_to_user(*mm, buf.offset(done), bytes);
        done += n;
        return n;
    }
};
struct UserSource {
    UserAccess* mm = nullptr;
    VirtAddr buf{0};
    iov_iter* iter = nullptr;
    u64 done = 0;
    size_t get(std::span<u8> bytes) {
        if (iter)
            return copy_from_iter(bytes, iter);
        if (!mm)
            return 0;
        const size_t n = bytes.size() - copy_from_user(*mm, bytes, buf.offset(done));
        done += n;
        return n;
    }
};

// The CRNG read behind /dev/urandom (and /dev/random from 5.6): up to 5.17
// extract_entropy_user / extract_crng_user, where any failed copy makes the call -EFAULT; from
// 5.18 get_random_bytes_user: the bytes copied so far, a signal check after every PAGE_SIZE,
// -EFAULT only when nothing was copied.
ssize_t crng_read(RandomState& s, size_t count, UserSink& out) {
    const RandomRules& r = s.rules;
    if (r.urandom_max)
        count = std::min<size_t>(count, r.urandom_max);
    std::array<u8, kBlock> block{};
    size_t ret = 0;
    if (!r.partial_reads) {
        while (ret < count) {
            const size_t n = std::min(count - ret, kBlock);
            s.generator.generate(std::span(block).first(n));
            if (out.put(std::span(block).first(n)) != n)
                return -EFAULT;
            ret += n;
        }
        return static_cast<ssize_t>(ret);
    }
    if (count == 0)
        return 0;
    for (;;) {
        const size_t n = std::min(count - ret, kBlock);
        s.generator.generate(std::span(block).first(n));
        const size_t copied = out.put(std::span(block).first(n));
        ret += copied;
        if (copied != n || ret == count)
            break;
        if (ret % r.page_size == 0 && signal_pending_current())
            break;
    }
    return ret ? static_cast<ssize_t>(ret) : -EFAULT;
}

// random_read up to 5.5 (_random_read): at most SEC_XFER_SIZE bytes from the blocking pool, as
// many as its entropy covers (account() debits 8 bits a byte before the copy); an empty pool is
// -EAGAIN with O_NONBLOCK, else a sleep (see random_device.h). From 5.6 the CRNG, which is
// always initialised here (wait_for_random_bytes returns at once, O_NONBLOCK never matters).
ssize_t random_read_common(file* f, size_t count, UserSink& out) {
    RandomState& s = state();
    if (!s.rules.blocking_pool)
        return crng_read(s, count, out);
    if (count == 0)
        return 0;
    const size_t available = s.entropy_bits / 8;
    if (available == 0) {
        if (f->f_flags & oflag::kNonblock)
            return -EAGAIN;
        ++s.blocked_reads;
        return -ERESTARTSYS;
    }
    const size_t n = std::min({count, static_cast<size_t>(kSecXferSize), available});
    s.entropy_bits -= static_cast<u32>(n * 8);
    std::array<u8, kBlock> block{};
    for (size_t done = 0; done < n;) {
        const size_t step = std::min(n - done, kBlock);
        s.generator.generate(std::span(block).first(step));
        if (out.put(std::span(block).first(step)) != step)
            return -EFAULT;
        done += step;
    }
    return static_cast<ssize_t>(n);
}

// random_write (both devices): up to 5.18 write_pool copies 64-byte blocks, any failed copy
// fails the write with -EFAULT (earlier blocks are already mixed), else the whole count; from
// 5.19 write_pool_user returns the bytes mixed so far (-EFAULT when none), checking for signals
// after every PAGE_SIZE. Writes credit no entropy.
ssize_t random_write_common(size_t count, UserSource& in) {
    RandomState& s = state();
    std::array<u8, kBlock> block{};
    if (!s.rules.partial_writes) {
        for (size_t done = 0; done < count;) {
            const size_t n = std::min(count - done, kBlock);
            if (in.get(std::span(block).first(n)) != n)
                return -EFAULT;
            s.generator.mix(std::span(block).first(n));
            done += n;
        }
        return static_cast<ssize_t>(count);
    }
    if (count == 0)
        return 0;
    size_t ret = 0;
    for (;;) {
        const size_t n = std::min(count - ret, kBlock);
        const size_t copied = in.get(std::span(block).first(n));
        ret += copied;
        s.generator.mix(std::span(block).first(copied));
        if (copied != n || ret == count)
            break;
        if (ret % s.rules.page_size == 0 && signal_pending_current())
            break;
    }
    return ret ? static_cast<ssize_t>(ret) : -EFAULT;
}

ssize_t random_read(file* f, char* buf, size_t count, loff_t*) {
    UserSink out{current_mm(), user_addr(buf)};
    return random_read_common(f, count, out);
}
ssize_t urandom_read(file*, char* buf, size_t count, loff_t*) {
    UserSink out{current_mm(), user_addr(buf)};
    return crng_read(state(), count, out);
}
ssize_t random_write(file*, const char* buf, size_t count, loff_t*) {
    UserSource in{current_mm(), user_addr(buf)};
    return random_write_common(count, in);
}
ssize_t random_read_iter(kiocb* iocb, iov_iter* to) {
    UserSink out{nullptr, VirtAddr(0), to};
    return random_read_common(iocb->ki_filp, iov_iter_count(to), out);
}
ssize_t urandom_read_iter(kiocb*, iov_iter* to) {
    UserSink out{nullptr, VirtAddr(0), to};
    return crng_read(state(), iov_iter_count(to), out);
}
ssize_t random_write_iter(kiocb*, iov_iter* from) {
    UserSource in{nullptr, VirtAddr(0), from};
    return random_write_common(iov_iter_count(from), in);
}

// random_ioctl (both devices): RNDGETENTCNT stores the entropy count (the saturated init_bits
// from 5.18); RNDADDTOENTCNT credits bits (CAP_SYS_ADMIN; a negative count is -EINVAL, as
// credit_entropy_bits_safe has it); RNDZAPENTCNT / RNDCLEARPOOL zero the count before 5.18 and
// do nothing after (CAP_SYS_ADMIN both); any other command is -EINVAL. RNDADDENTROPY and
// RNDRESEEDCRNG are not modelled (-EINVAL).
long random_ioctl(file*, unsigned int cmd, unsigned long arg) {
    RandomState& s = state();
    UserAccess* mm = current_mm();
    const VirtAddr p(arg);
    switch (cmd) {
    case RNDGETENTCNT: {
        const int count =
            static_cast<int>(s.rules.entcnt_saturates ? kSaturatedEntropyBits : s.entropy_bits);
        if (!mm || put_user(*mm, count, p) != 0)
            return -EFAULT;
        return 0;
    }
    case RNDADDTOENTCNT: {
        if (!capable(CAP_SYS_ADMIN))
            return -EPERM;
        int count = 0;
        if (!mm || get_user(*mm, count, p) != 0)
            return -EFAULT;
        if (count < 0)
            return -EINVAL;
        if (!s.rules.entcnt_saturates)
            s.entropy_bits = static_cast<u32>(
                std::min<u64>(kPoolBits, u64{s.entropy_bits} + static_cast<u64>(count)));
        return 0;
    }
    case RNDZAPENTCNT:
    case RNDCLEARPOOL:
        if (!capable(CAP_SYS_ADMIN))
            return -EPERM;
        if (s.rules.zap_clears)
            s.entropy_bits = 0;
        return 0;
    default:
        return -EINVAL;
    }
}

file_operations make_fops(bool urandom, bool iter, bool llseek) {
    file_operations f{};
    if (iter) {
        f.read_iter = urandom ? urandom_read_iter : random_read_iter;
        f.write_iter = random_write_iter;
    } else {
        f.read = urandom ? urandom_read : random_read;
        f.write = random_write;
    }
    f.unlocked_ioctl = random_ioctl;
    f.llseek = llseek ? noop_llseek : nullptr;
    return f;
}

// [urandom][era]: era 0 = up to 2.6.36 (no llseek), 1 = 2.6.37-5.18, 2 = 5.19+ (iter).
const file_operations kFops[2][3] = {
    {make_fops(false, false, false), make_fops(false, false, true), make_fops(false, true, true)},
    {make_fops(true, false, false), make_fops(true, false, true), make_fops(true, true, true)},
};

const file_operations* fops_for(const DeviceKernel& k, bool urandom) {
    const RandomRules& r = random_rules(const_cast<DeviceKernel&>(k));
    const int era = r.iter_fops ? 2 : r.noop_llseek ? 1 : 0;
    return &kFops[urandom ? 1 : 0][era];
}

} // namespace

const RandomRules& random_rules(DeviceKernel& kernel) {
    return kernel.state<RandomState>().rules;
}

RandomPoolView random_pool(DeviceKernel& kernel) {
    const RandomState& s = kernel.state<RandomState>();
    return RandomPoolView{s.entropy_bits, s.blocked_reads};
}

MemMinor random_minor() {
    return MemMinor{8, "random", [](const DeviceKernel&) { return true; },
                    [](const DeviceKernel& k) { return fops_for(k, false); }};
}

MemMinor urandom_minor() {
    return MemMinor{9, "urandom", [](const DeviceKernel&) { return true; },
                    [](const DeviceKernel& k) { return fops_for(k, true); }};
}

} // namespace kmemu
