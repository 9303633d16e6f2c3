/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* IPv4 half of the raw libiptc helpers (see codec-kernel.h). */
#include <libiptc/libiptc.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "codec-kernel.h"

const kernel_layout kernel4_layout = {
        .entry_size = sizeof(struct ipt_entry),
        .target_offset = offsetof(struct ipt_entry, target_offset),
        .comefrom = offsetof(struct ipt_entry, comefrom),
        .counters = offsetof(struct ipt_entry, counters),
};

int kernel4_read(const char *table, const char *chain, kernel_entry **ret, size_t *ret_n) {
        struct xtc_handle *h = iptc_init(table);
        kernel_entry *v = NULL;
        size_t n = 0;

        if (!h)
                return -errno;
        for (const struct ipt_entry *e = iptc_first_rule(chain, h); e; e = iptc_next_rule(e, h)) {
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
                strncpy(k->label, iptc_get_target(e, h), sizeof(k->label) - 1);
        }
        iptc_free(h);
        *ret = v;
        *ret_n = n;
        return 0;
oom:
        kernel_entries_free(v, n);
        iptc_free(h);
        return -ENOMEM;
}

int kernel4_append(const char *table, const char *chain, const void *entry) {
        xt_chainlabel label = { 0 };
        struct xtc_handle *h = iptc_init(table);
        int r = 0;

        if (!h)
                return -errno;
        strncpy(label, chain, sizeof(label) - 1);
        if (!iptc_append_entry(label, entry, h) || !iptc_commit(h))
                r = -errno;
        iptc_free(h);
        return r;
}

void kernel_entries_free(kernel_entry *e, size_t n) {
        for (size_t i = 0; i < n; i++)
                free(e[i].bytes);
        free(e);
}
