/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "log.h"

#include <stdarg.h>

static int max_level = LOG_INFO;

void log_set_max_level(int level) {
        max_level = level;
}

int log_get_max_level(void) {
        return max_level;
}

int log_internal(int level, int error, const char *file, int line, const char *fmt, ...) {
        int e = error < 0 ? -error : error;
        if (level > max_level)
                return -e;

        /* %m means strerror(error), as in systemd, not the current errno */
        int saved = errno;
        errno = e;
        char buf[2048];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(buf, sizeof(buf), fmt, ap);
        va_end(ap);
        errno = saved;

        if (max_level >= LOG_DEBUG)
                fprintf(stderr, "<%d>%s (%s:%d)\n", level, buf, file, line);
        else
                fprintf(stderr, "<%d>%s\n", level, buf);
        return -e;
}
