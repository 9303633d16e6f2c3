/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Cutting text that may hold UTF-8 without cutting a character in two.
 * Strings on D-Bus must be valid UTF-8: an error message that echoes a
 * caller's string cut in the middle of a character cannot be sent at all
 * (sd-bus refuses to build the reply, the caller waits for its timeout).
 * Inputs here come from D-Bus or from the kernel's tables: valid UTF-8 or
 * plain bytes; for plain bytes these only ever shorten. */

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

/* The length of the longest prefix of s of at most max bytes that ends on
 * a character boundary; for printf's "%.*s". */
static inline int bs_utf8_prefix(const char *s, size_t max) {
        size_t n = strnlen(s, max);
        if (n == max)
                while (n > 0 && ((unsigned char) s[n] & 0xc0) == 0x80)
                        n--;
        return (int) n;
}

/* Drop a partial character from the end of s (e.g. after snprintf cut it). */
static inline void bs_utf8_trim(char *s) {
        size_t len = strlen(s), i = len;
        while (i > 0 && len - i < 4 && ((unsigned char) s[i - 1] & 0xc0) == 0x80)
                i--;
        if (i == 0)
                return;
        unsigned char lead = (unsigned char) s[i - 1];
        size_t want = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
        if (want > 1 && (i - 1) + want > len)
                s[i - 1] = 0;
}

/* Format an error message into err (size bytes; either may be 0/NULL:
 * nothing written), never ending in a cut character; returns r. The
 * library-like code's way to say what went wrong without logging. */
__attribute__((format(printf, 4, 5))) static inline int bs_seterr(char *err, size_t size, int r, const char *fmt,
                                                                   ...) {
        if (err && size) {
                va_list ap;
                va_start(ap, fmt);
                vsnprintf(err, size, fmt, ap);
                va_end(ap);
                bs_utf8_trim(err);
        }
        return r;
}

