/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What nf4.c and nf6.c (one body, nf-*.inc.c, on the two libiptc APIs)
 * offer to nf.c. Every function here expects the caller to hold the xtables
 * lock; nf.c takes it. Errors as nf.h documents. */

#include "nf.h"

/* One family's change set, applied to the model (and to a libiptc handle,
 * unless the model is committed without libiptc), not yet committed. */
typedef struct bs_nf_staged {
        void *handle;  /* the libiptc handle to commit */
        void *raw;     /* or the table to commit without libiptc (nf-raw-write.inc.c) */
        bs_table *before, *after;
} bs_nf_staged;

/* Whether a commit is staged (neither: nothing to commit). */
static inline bool bs_nf_staged_pending(const bs_nf_staged *st) {
        return st->handle || st->raw;
}

typedef struct bs_nf_family_ops {
        bs_family family;
        int (*read)(const char *table, bs_table **ret);
        int (*read_cached)(const char *table, bs_nf_read_cache *cache, bool raw_ok, const bs_table **ret);
        /* ret_before (optional) receives the table as read right before the
         * changes were applied in the attempt that committed; ret_after
         * (optional) the table as committed. */
        int (*apply)(const char *table, const bs_change *changes, size_t n, const bs_nf_options *o,
                     bs_table **ret_before, bs_table **ret_after);
        int (*restore)(const bs_table *snapshot, const bs_nf_options *o);
        /* bs_nf_apply_both in steps: stage reads the table (through the
         * cache, which it then leaves without the table before) and
         * applies the changes to the model (and to a libiptc handle when
         * the cache did not hold the kernel's table);
         * commit_staged commits it (a no-op when no change was for this
         * family) and leaves the table after in the cache; unstage frees
         * what stage made. */
        int (*stage)(const char *table, const bs_change *changes, size_t n, bs_nf_read_cache *cache, bool raw_ok,
                     bs_nf_staged *st, size_t *ret_failed);
        int (*commit_staged)(bs_nf_staged *st, const bs_nf_options *o, bs_nf_read_cache *cache);
        void (*unstage)(bs_nf_staged *st);
        /* bs_nf_rewrite_both's read-and-compute step, staged likewise. */
        int (*stage_rewrite)(const char *table, bs_nf_read_cache *cache, bool raw_ok, bs_nf_rewrite_fn compute,
                             void *userdata, bs_nf_staged *st);
        int (*zero)(const char *table, const char *chain, const bs_nf_options *o);
} bs_nf_family_ops;

extern const bs_nf_family_ops bs_nf4_ops;
extern const bs_nf_family_ops bs_nf6_ops;

