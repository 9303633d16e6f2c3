/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "nft-diff.h"

void bs_nft_chain_diff_done(bs_nft_chain_diff *d) {
        free(d->deleted);
        free(d->kept_from);
        *d = (bs_nft_chain_diff) {};
}

/* Open addressing from handle to index in before, sized to a power of two
 * at least twice the rules: a lookup is a probe or two. */
typedef struct handle_index {
        uint64_t *handles;  /* 0: empty slot (the kernel never gives 0) */
        size_t *index;
        size_t mask;
} handle_index;

static void handle_index_done(handle_index *h) {
        free(h->handles);
        free(h->index);
}

static size_t slot_of(uint64_t handle, size_t mask) {
        return (size_t) ((handle * UINT64_C(0x9e3779b97f4a7c15)) >> 17) & mask;
}

static int handle_index_build(handle_index *h, const bs_chain *c) {
        size_t size = 16;
        while (size < c->n_rules * 2)
                size *= 2;
        h->handles = calloc(size, sizeof(*h->handles));
        h->index = malloc(size * sizeof(*h->index));
        if (!h->handles || !h->index)
                return -ENOMEM;
        h->mask = size - 1;
        for (size_t i = 0; i < c->n_rules; i++) {
                uint64_t handle = c->rules[i].origin;
                if (handle == 0)
                        continue;
                size_t s = slot_of(handle, h->mask);
                while (h->handles[s] != 0 && h->handles[s] != handle)
                        s = (s + 1) & h->mask;
                h->handles[s] = handle;
                h->index[s] = i;
        }
        return 0;
}

static size_t handle_index_find(const handle_index *h, uint64_t handle) {
        if (handle == 0)
                return SIZE_MAX;
        for (size_t s = slot_of(handle, h->mask); h->handles[s] != 0; s = (s + 1) & h->mask)
                if (h->handles[s] == handle)
                        return h->index[s];
        return SIZE_MAX;
}

/* Between two kept rules (or the ends): before[b0, b1) and after[a0, a1)
 * hold no rule kept yet. Equal rules at both ends of the gap are kept. */
static void keep_equal_ends(const bs_chain *before, const bs_chain *after, size_t b0, size_t b1, size_t a0,
                            size_t a1, size_t *kept_from) {
        while (b0 < b1 && a0 < a1 && bs_rule_equal(&before->rules[b0], &after->rules[a0]))
                kept_from[a0++] = b0++;
        while (b0 < b1 && a0 < a1 && bs_rule_equal(&before->rules[b1 - 1], &after->rules[a1 - 1]))
                kept_from[--a1] = --b1;
}

/* The by-handle pass when after keeps before's rules in before's order
 * (an insert, an append, a delete): a walk along both, no index. Gives up
 * (false, kept_from untouched) after a few handles it finds no further
 * on, which a reordered chain has. */
static bool keep_by_handle_in_order(const bs_chain *before, const bs_chain *after, bool trust_handles,
                                    size_t *kept_from) {
        unsigned misses = 0;
        size_t next = 0;
        for (size_t j = 0; j < after->n_rules; j++) {
                uint64_t handle = after->rules[j].origin;
                if (handle == 0)
                        continue;
                size_t i = next;
                while (i < before->n_rules && before->rules[i].origin != handle)
                        i++;
                if (i == before->n_rules) {
                        if (++misses > 8) {
                                for (size_t k = 0; k < after->n_rules; k++)
                                        kept_from[k] = SIZE_MAX;
                                return false;
                        }
                        continue;
                }
                if (!trust_handles && !bs_rule_equal(&before->rules[i], &after->rules[j]))
                        continue;
                kept_from[j] = i;
                next = i + 1;
        }
        return true;
}

int bs_nft_chain_diff_compute(const bs_chain *before, const bs_chain *after, bool trust_handles,
                              bs_nft_chain_diff *ret) {
        *ret = (bs_nft_chain_diff) {};
        size_t n_before = before ? before->n_rules : 0, n_after = after ? after->n_rules : 0;
        _cleanup_(bs_nft_chain_diff_done) bs_nft_chain_diff d = {};
        _cleanup_free_ bool *kept = calloc(n_before + 1, sizeof(bool));
        d.kept_from = malloc((n_after + 1) * sizeof(size_t));
        if (!kept || !d.kept_from)
                return -ENOMEM;
        for (size_t j = 0; j < n_after; j++)
                d.kept_from[j] = SIZE_MAX;

        if (n_before > 0 && n_after > 0 && !keep_by_handle_in_order(before, after, trust_handles, d.kept_from)) {
                _cleanup_(handle_index_done) handle_index h = {};
                int r = handle_index_build(&h, before);
                if (r < 0)
                        return r;
                /* by handle, in order */
                size_t next = 0;  /* rules of before from here on may still be kept */
                for (size_t j = 0; j < n_after; j++) {
                        size_t i = handle_index_find(&h, after->rules[j].origin);
                        if (i == SIZE_MAX || i < next ||
                            (!trust_handles && !bs_rule_equal(&before->rules[i], &after->rules[j])))
                                continue;
                        d.kept_from[j] = i;
                        next = i + 1;
                }
        }
        if (n_before > 0 && n_after > 0) {
                /* by equality, in the gaps */
                size_t b0 = 0, a0 = 0;
                for (size_t j = 0; j <= n_after; j++) {
                        if (j < n_after && d.kept_from[j] == SIZE_MAX)
                                continue;
                        size_t b1 = j < n_after ? d.kept_from[j] : n_before;
                        keep_equal_ends(before, after, b0, b1, a0, j, d.kept_from);
                        b0 = b1 + 1;
                        a0 = j + 1;
                }
        }

        for (size_t j = 0; j < n_after; j++) {
                if (d.kept_from[j] == SIZE_MAX)
                        d.n_inserted++;
                else
                        kept[d.kept_from[j]] = true;
        }
        size_t n_deleted = 0;
        for (size_t i = 0; i < n_before; i++)
                n_deleted += !kept[i];
        d.deleted = malloc((n_deleted + 1) * sizeof(size_t));
        if (!d.deleted)
                return -ENOMEM;
        for (size_t i = 0; i < n_before; i++)
                if (!kept[i])
                        d.deleted[d.n_deleted++] = i;
        *ret = d;
        d = (bs_nft_chain_diff) {};
        return 0;
}
