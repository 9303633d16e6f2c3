/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Small helpers shared by every part of backstop: cleanup attributes in the
 * style of systemd, and a few checked-size utilities. No logging here. */

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _unused_ __attribute__((unused))
#define _pure_ __attribute__((pure))
#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define _warn_unused_result_ __attribute__((warn_unused_result))

#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))
/* A NULL-terminated string array on the stack, e.g. of property names */
#define STRV_MAKE(...) ((char *[]) { __VA_ARGS__, NULL })

static inline void freep(void *p) {
        free(*(void **) p);
}
#define _cleanup_free_ _cleanup_(freep)

static inline void closep(int *fd) {
        if (*fd >= 0) {
                int saved = errno;
                close(*fd);
                errno = saved;
        }
}
#define _cleanup_close_ _cleanup_(closep)

static inline void fclosep(FILE **f) {
        if (*f)
                fclose(*f);
}
#define _cleanup_fclose_ _cleanup_(fclosep)

/* Hand a pointer over to someone else: the cleanup attribute then sees NULL. */
#define TAKE_PTR(p)                             \
        ({                                      \
                __typeof__(p) _p_ = (p);        \
                (p) = NULL;                     \
                _p_;                            \
        })
#define TAKE_FD(fd)                             \
        ({                                      \
                int _fd_ = (fd);                \
                (fd) = -1;                      \
                _fd_;                           \
        })

static inline bool streq(const char *a, const char *b) {
        return strcmp(a, b) == 0;
}

static inline bool streq_ptr(const char *a, const char *b) {
        if (!a || !b)
                return a == b;
        return strcmp(a, b) == 0;
}

/* Grow *array so that it holds at least need elements of size elem.
 * Returns 0 or -ENOMEM; *capacity is updated. Overflow-checked. */
static inline int bs_grow(void **array, size_t *capacity, size_t need, size_t elem) {
        if (need <= *capacity)
                return 0;
        size_t cap = *capacity ? *capacity : 8;
        while (cap < need) {
                if (cap > SIZE_MAX / 2)
                        return -ENOMEM;
                cap *= 2;
        }
        if (cap > SIZE_MAX / elem)
                return -ENOMEM;
        void *n = realloc(*array, cap * elem);
        if (!n)
                return -ENOMEM;
        memset((char *) n + *capacity * elem, 0, (cap - *capacity) * elem);
        *array = n;
        *capacity = cap;
        return 0;
}
