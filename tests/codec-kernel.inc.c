/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The raw libiptc helpers of test-codec-kernel, one family's: codec-kernel4.c
 * and codec-kernel6.c include this body after their libiptc header and
 * macros naming that family's entry type and calls (KERNEL_*, FN()). */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "codec-kernel.h"

const kernel_layout FN(layout) = {
        .entry_size = sizeof(KERNEL_ENTRY),
        .target_offset = offsetof(KERNEL_ENTRY, target_offset),
        .comefrom = offsetof(KERNEL_ENTRY, comefrom),
        .counters = offsetof(KERNEL_ENTRY, counters),
};

int FN(read)(const char *table, const char *chain, kernel_entry **ret, size_t *ret_n) {
        struct xtc_handle *h = KERNEL_INIT(table);
        kernel_entry *v = NULL;
        size_t n = 0;

        if (!h)
                return -errno;
        for (const KERNEL_ENTRY *e = KERNEL_FIRST_RULE(chain, h); e; e = KERNEL_NEXT_RULE(e, h)) {
                kernel_entry *nv = realloc(v, (n + 1) * sizeof(*v));
                if (!nv)
                        goto oom;
                v = nv;
                kernel_entry *k = &v[n];
                memset(k, 0, sizeof(*k));
                k->bytes = malloc(e->next_offset);
                if (!k->bytes)
                        goto oom;
                n++;
                memcpy(k->bytes, e, e->next_offset);
                k->size = e->next_offset;
                strncpy(k->label, KERNEL_GET_TARGET(e, h), sizeof(k->label) - 1);
        }
        KERNEL_FREE(h);
        *ret = v;
        *ret_n = n;
        return 0;
oom:
        kernel_entries_free(v, n);
        KERNEL_FREE(h);
        return -ENOMEM;
}

int FN(append)(const char *table, const char *chain, const void *entry) {
        xt_chainlabel label = { 0 };
        struct xtc_handle *h = KERNEL_INIT(table);
        int r = 0;

        if (!h)
                return -errno;
        strncpy(label, chain, sizeof(label) - 1);
        if (!KERNEL_APPEND_ENTRY(label, entry, h) || !KERNEL_COMMIT(h))
                r = -errno;
        KERNEL_FREE(h);
        return r;
}
