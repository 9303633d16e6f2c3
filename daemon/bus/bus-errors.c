/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "bus-errors.h"
#include "utf8.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *bs_bus_error_name(int error) {
        switch (error < 0 ? -error : error) {
        case EINVAL:
        case E2BIG:
        case ENAMETOOLONG:
                return SD_BUS_ERROR_INVALID_ARGS;
        case EBUSY:
                return BS_ERROR_BUSY;
        case ENOENT:
        case ERANGE:
                return BS_ERROR_NOT_FOUND;
        case EEXIST:
        case ENOTEMPTY:
        case EMLINK:
                return BS_ERROR_CONFLICT;
        case EWOULDBLOCK:
        case ETIMEDOUT:
                return BS_ERROR_LOCK_TIMEOUT;
        case EAFNOSUPPORT:
        case EPROTONOSUPPORT:
        case EOPNOTSUPP:
        case ENOSYS:
                return BS_ERROR_UNSUPPORTED;
        case EHOSTUNREACH:
                /* the lockout pre-flight found connections the change would cut */
                return BS_ERROR_LOCKOUT_RISK;
        case EACCES:
        case EPERM:
                return SD_BUS_ERROR_ACCESS_DENIED;
        case ENOMEM:
                return SD_BUS_ERROR_NO_MEMORY;
        default:
                return BS_ERROR_FAILED;
        }
}

int bs_bus_change_errno(int error) {
        if (error == -EPERM)
                return -EINVAL;
        if (error == -EBUSY)
                return -EMLINK;
        return error;
}

int bs_bus_error_set_errno(sd_bus_error *e, int error, const char *format, ...) {
        char what[512];
        va_list ap;
        va_start(ap, format);
        vsnprintf(what, sizeof(what), format, ap);
        bs_utf8_trim(what);
        va_end(ap);
        int err = error < 0 ? -error : error;
        if (err == 0)
                err = EIO;
        const char *name = bs_bus_error_name(err);
        if (err == EWOULDBLOCK)
                /* nf.h uses -EWOULDBLOCK (lock held) and -EAGAIN (table kept
                 * changing), which are the same number on Linux */
                sd_bus_error_setf(e, name, "%s: the xtables lock was held by another program, or the table kept changing", what);
        else
                sd_bus_error_setf(e, name, "%s: %s", what, strerror(err));
        return -err;
}
