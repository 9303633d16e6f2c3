/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* IPv6 half of the raw libiptc helpers (see codec-kernel.h). */
#include <libiptc/libip6tc.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "codec-kernel.h"

const kernel_layout kernel6_layout = {
        .entry_size = sizeof(struct ip6t_entry),
        .target_offset = offsetof(struct ip6t_entry, target_offset),
        .comefrom = offsetof(struct ip6t_entry, comefrom),
        .counters = offsetof(struct ip6t_entry, counters),
};

int kernel6_read(const char *table, const char *chain, kernel_entry **ret, size_t *ret_n) {
        struct xtc_handle *h = ip6tc_init(table);
        kernel_entry *v = NULL;
        size_t n = 0;

        if (!h)
                return -errno;
        for (const struct ip6t_entry *e = ip6tc_first_rule(chain, h); e; e = ip6tc_next_rule(e, h)) {
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
                strncpy(k->label, ip6tc_get_target(e, h), sizeof(k->label) - 1);
        }
        ip6tc_free(h);
        *ret = v;
        *ret_n = n;
        return 0;
oom:
        kernel_entries_free(v, n);
        ip6tc_free(h);
        return -ENOMEM;
}

int kernel6_append(const char *table, const char *chain, const void *entry) {
        xt_chainlabel label = { 0 };
        struct xtc_handle *h = ip6tc_init(table);
        int r = 0;

        if (!h)
                return -errno;
        strncpy(label, chain, sizeof(label) - 1);
        if (!ip6tc_append_entry(label, entry, h) || !ip6tc_commit(h))
                r = -errno;
        ip6tc_free(h);
        return r;
}

