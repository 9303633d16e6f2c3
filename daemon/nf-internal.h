/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What nf4.c and nf6.c (one body, nf-family.h, on the two libiptc APIs)
 * offer to nf.c. Every function here expects the caller to hold the xtables
 * lock; nf.c takes it. Errors as nf.h documents. */

#include "nf.h"

typedef struct bs_nf_family_ops {
        bs_family family;
        int (*read)(const char *table, bs_table **ret);
        int (*read_cached)(const char *table, bs_nf_read_cache *cache, const bs_table **ret);
        /* ret_before (optional) receives the table as read right before the
         * changes were applied in the attempt that committed; ret_after
         * (optional) the table as committed. */
        int (*apply)(const char *table, const bs_change *changes, size_t n, const bs_nf_options *o,
                     bs_nf_read_cache *cache, bs_table **ret_before, bs_table **ret_after);
        int (*restore)(const bs_table *snapshot, const bs_nf_options *o);
        int (*rewrite)(const char *table, const bs_nf_options *o, bs_nf_read_cache *cache,
                       bs_nf_rewrite_fn compute, void *userdata);
        int (*zero)(const char *table, const char *chain, const bs_nf_options *o);
} bs_nf_family_ops;

extern const bs_nf_family_ops bs_nf4_ops;
extern const bs_nf_family_ops bs_nf6_ops;

/* A number never handed out before in this process (1, 2, ...). */
uint64_t bs_nf_next_generation(void);
