#include "emu/scenario/strerror.h"

#include "mm/errno.h"

namespace kmemu::scenario {

std::string_view strerror_text(long err) {
    switch (err) {
    case EPERM:
        return "Operation not permitted";
    case ENOENT:
        return "No such file or directory";
    case ESRCH:
        return "No such process";
    case EIO:
        return "Input/output error";
    case ENXIO:
        return "No such device or address";
    case ENOEXEC:
        return "Exec format error";
    case EBADF:
        return "Bad file descriptor";
    case EAGAIN:
        return "Resource temporarily unavailable";
    case ENOMEM:
        return "Cannot allocate memory";
    case EACCES:
        return "Permission denied";
    case EFAULT:
        return "Bad address";
    case EBUSY:
        return "Device or resource busy";
    case EEXIST:
        return "File exists";
    case ENODEV:
        return "No such device";
    case EINVAL:
        return "Invalid argument";
    case ENOSPC:
        return "No space left on device";
    case ESPIPE:
        return "Illegal seek";
    case EPIPE:
        return "Broken pipe";
    case ERANGE:
        return "Numerical result out of range";
    case ENOSYS:
        return "Function not implemented";
    case EOVERFLOW:
        return "Value too large for defined data type";
    default:
        return "Unknown error";
    }
}

} // namespace kmemu::scenario
