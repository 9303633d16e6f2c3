/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The public table-access API: takes the xtables lock and dispatches to the
 * IPv4 or IPv6 implementation (nf4.c, nf6.c); applies both families as one
 * unit. bs_backend_iptables_legacy, at the end, is the backend interface
 * (backend.h) the daemon uses it through. */
#include "backend.h"
#include "nf-internal.h"

static const bs_nf_options default_options = BS_NF_OPTIONS_DEFAULT;

static const bs_nf_options *options(const bs_nf_options *o) {
        return o ? o : &default_options;
}

static int take_lock(bs_xtlock *lock, const bs_nf_options *o) {
        if (o->lock_held)
                return 0;
        return bs_xtlock_acquire(lock, o->lock_timeout_ms);
}

static const bs_nf_family_ops *family_ops(bs_family family) {
        switch (family) {
        case BS_FAMILY_IPV4:
                return &bs_nf4_ops;
        case BS_FAMILY_IPV6:
                return &bs_nf6_ops;
        default:
                return NULL;
        }
}

int bs_nf_read(bs_family family, const char *table, const bs_nf_options *o, bs_table **ret) {
        const bs_nf_family_ops *ops = family_ops(family);
        if (!ops || !ret)
                return ops ? -EINVAL : -EAFNOSUPPORT;
        o = options(o);

        _cleanup_xtlock_ bs_xtlock lock = BS_XTLOCK_INIT;
        int r = take_lock(&lock, o);
        if (r < 0)
                return r;
        return ops->read(table, ret);
}

int bs_nf_read_cached(bs_family family, const char *table, const bs_nf_options *o, bs_nf_read_cache *cache,
                      const bs_table **ret) {
        const bs_nf_family_ops *ops = family_ops(family);
        if (!ops || !ret || !cache)
                return ops ? -EINVAL : -EAFNOSUPPORT;
        if (cache->table && cache->table->family != family)
                bs_nf_read_cache_done(cache);
        o = options(o);

        _cleanup_xtlock_ bs_xtlock lock = BS_XTLOCK_INIT;
        int r = take_lock(&lock, o);
        if (r < 0)
                return r;
        return ops->read_cached(table, cache, !o->libiptc_only, ret);
}

uint64_t bs_nf_next_generation(void) {
        static uint64_t last;
        return ++last;
}

void bs_nf_read_cache_done(bs_nf_read_cache *cache) {
        bs_table_free(cache->table);
        free(cache->key);
        *cache = (bs_nf_read_cache) {};
}

int bs_nf_apply(bs_family family, const char *table, const bs_change *changes, size_t n,
                const bs_nf_options *o, bs_table **result) {
        const bs_nf_family_ops *ops = family_ops(family);
        if (!ops)
                return -EAFNOSUPPORT;
        o = options(o);

        _cleanup_xtlock_ bs_xtlock lock = BS_XTLOCK_INIT;
        int r = take_lock(&lock, o);
        if (r < 0)
                return r;
        return ops->apply(table, changes, n, o, NULL, result);
}

void bs_nf_transition_done(bs_nf_transition *t) {
        for (int f = 0; f < 2; f++) {
                bs_table_free(t->before[f]);
                bs_table_free(t->after[f]);
        }
        *t = (bs_nf_transition) {};
}

/* How one family is staged: from a change set, or by a computation. */
typedef struct stage_step {
        const bs_change *changes;
        size_t n;
        bs_nf_rewrite_fn compute;  /* set: a rewrite */
        void *compute_userdata;
} stage_step;

static const bs_nf_family_ops *const both_ops[2] = { &bs_nf4_ops, &bs_nf6_ops };

/* Both families as one unit, under one xtables lock: stage each family in
 * `families`, show both to prepare, commit IPv4 then IPv6; if the IPv6
 * commit fails, IPv4 is put back as it was. All again on -EAGAIN. */
static int two_phase(const char *table, unsigned families, const bs_nf_options *o, bs_nf_read_cache *caches,
                     const stage_step *step, bs_nf_prepare_fn prepare, void *userdata, bs_nf_transition *ret,
                     bool *ret_ipv4_only) {
        o = options(o);
        if (ret)
                *ret = (bs_nf_transition) { .failed = SIZE_MAX };
        if (ret_ipv4_only)
                *ret_ipv4_only = false;
        for (int f = 0; f < 2; f++) {
                if (!(families & bs_family_mask(both_ops[f]->family))) {
                        for (size_t i = 0; i < step->n; i++)
                                if (step->changes[i].families & bs_family_mask(both_ops[f]->family))
                                        return -EINVAL; /* a change for a family not asked for */
                        continue;
                }
                if (caches && caches[f].table && caches[f].table->family != both_ops[f]->family)
                        bs_nf_read_cache_done(&caches[f]);
        }

        /* One lock over the reads, both commits (and the undo): nobody
         * using the lock sees IPv4 changed and IPv6 not, and the tables
         * shown to prepare() are the ones committed on. */
        _cleanup_xtlock_ bs_xtlock lock = BS_XTLOCK_INIT;
        int r = take_lock(&lock, o);
        if (r < 0)
                return r;

        for (unsigned attempt = 0;; attempt++) {
                bs_nf_staged st[2] = {};
                bs_nf_transition t = {};
                r = 0;
                for (int f = 0; f < 2 && r >= 0; f++) {
                        if (!(families & bs_family_mask(both_ops[f]->family)))
                                continue;
                        bs_nf_read_cache *cache = caches ? &caches[f] : NULL;
                        if (step->compute)
                                r = both_ops[f]->stage_rewrite(table, cache, !o->libiptc_only, step->compute,
                                                               step->compute_userdata,
                                                               &st[f]);
                        else
                                r = both_ops[f]->stage(table, step->changes, step->n, cache, !o->libiptc_only, &st[f],
                                                       ret ? &ret->failed : NULL);
                }
                for (int f = 0; f < 2; f++) {
                        t.before[f] = st[f].before;
                        t.after[f] = st[f].after;
                }
                if (r >= 0 && prepare)
                        r = prepare(&t, userdata);
                if (r >= 0)
                        r = both_ops[0]->commit_staged(&st[0], o, caches ? &caches[0] : NULL);
                bool committed4 = r >= 0 && bs_nf_staged_pending(&st[0]), stuck4 = false;
                if (r >= 0) {
                        r = both_ops[1]->commit_staged(&st[1], o, caches ? &caches[1] : NULL);
                        if (r < 0 && committed4) {
                                /* Put IPv4 back as it was (counters
                                 * included). Should that fail too, the
                                 * IPv6 error is still the one to report:
                                 * it is the cause; and nothing is tried
                                 * again on a table that holds the changes
                                 * already. */
                                stuck4 = both_ops[0]->restore(st[0].before, o) < 0;
                                if (caches)
                                        bs_nf_read_cache_done(&caches[0]);
                        }
                }
                if (ret_ipv4_only)
                        *ret_ipv4_only = stuck4;
                if ((r >= 0 || stuck4) && ret) {
                        ret->ipv4_only = stuck4;
                        for (int f = 0; f < 2; f++) {
                                ret->before[f] = TAKE_PTR(st[f].before);
                                ret->after[f] = TAKE_PTR(st[f].after);
                        }
                }
                both_ops[0]->unstage(&st[0]);
                both_ops[1]->unstage(&st[1]);
                if (r == -EAGAIN && !stuck4 && attempt < o->max_retries)
                        continue; /* a table changed since it was read: redo on the new one */
                return r;
        }
}

int bs_nf_apply_both(const char *table, const bs_change *changes, size_t n, unsigned families,
                     const bs_nf_options *o, bs_nf_read_cache *caches, bs_nf_prepare_fn prepare, void *userdata,
                     bs_nf_transition *ret) {
        if (n > 0 && !changes)
                return -EINVAL;
        stage_step step = { .changes = changes, .n = n };
        return two_phase(table, families, o, caches, &step, prepare, userdata, ret, NULL);
}

int bs_nf_rewrite_both(const char *table, unsigned families, const bs_nf_options *o, bs_nf_read_cache *caches,
                       bs_nf_rewrite_fn compute, void *userdata, bool *ret_ipv4_only) {
        if (!caches || !compute)
                return -EINVAL;
        stage_step step = { .compute = compute, .compute_userdata = userdata };
        return two_phase(table, families, o, caches, &step, NULL, NULL, NULL, ret_ipv4_only);
}

int bs_nf_restore(const bs_table *snapshot, const bs_nf_options *o) {
        if (!snapshot)
                return -EINVAL;
        const bs_nf_family_ops *ops = family_ops(snapshot->family);
        if (!ops)
                return -EAFNOSUPPORT;
        o = options(o);

        _cleanup_xtlock_ bs_xtlock lock = BS_XTLOCK_INIT;
        int r = take_lock(&lock, o);
        if (r < 0)
                return r;
        return ops->restore(snapshot, o);
}

int bs_nf_zero(bs_family family, const char *table, const char *chain, const bs_nf_options *o) {
        const bs_nf_family_ops *ops = family_ops(family);
        if (!ops)
                return -EAFNOSUPPORT;
        o = options(o);

        _cleanup_xtlock_ bs_xtlock lock = BS_XTLOCK_INIT;
        int r = take_lock(&lock, o);
        if (r < 0)
                return r;
        return ops->zero(table, chain, o);
}

const bs_backend bs_backend_iptables_legacy = {
        .name = "iptables-legacy",
        .read = bs_nf_read,
        .read_cached = bs_nf_read_cached,
        .apply_both = bs_nf_apply_both,
        .rewrite_both = bs_nf_rewrite_both,
        .restore = bs_nf_restore,
        .zero = bs_nf_zero,
};
