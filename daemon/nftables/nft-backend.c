/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* iptables-nft behind the backend interface: the tables `ip filter` and
 * `ip6 filter` of nf_tables, read and changed the way iptables-nft reads
 * and changes them, both families in one batch.
 *
 * Instead of the xtables lock (which iptables-nft does not take either),
 * every change carries the ruleset generation its tables were read at:
 * when someone else committed in between, the kernel refuses the batch
 * with -ERESTART and the step is done again on the tables as they are now
 * (the -EAGAIN retries of iptables-legacy; see retry_again for how long).
 * The read caches keep the
 * generation their table is at: while the kernel's generation is the
 * same, the table is not read again (only its counters, which count on
 * without a new generation). */
#include <time.h>

#include "backend.h"
#include "nft-counters.h"
#include "nft-read.h"
#include "nft-sock.h"
#include "nft-write.h"

static const bs_nf_options default_options = BS_NF_OPTIONS_DEFAULT;

static const bs_nf_options *options(const bs_nf_options *o) {
        return o ? o : &default_options;
}

static uint64_t now_ms(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000u + (uint64_t) ts.tv_nsec / 1000000u;
}

/* Whether a step whose generation moved on (someone else committed since
 * its read) is done again: max_retries times, and past them for as long
 * as iptables-legacy would wait for the xtables lock (lock_timeout_ms
 * since the first attempt), 1 ms apart. Another program that writes
 * without pause (iptables-nft takes no lock, so nothing makes it wait for
 * us) thereby delays a change as one holding the lock would, instead of
 * failing it after a few collisions. */
static bool retry_again(const bs_nf_options *o, unsigned attempt, uint64_t started_ms) {
        if (attempt < o->max_retries)
                return true;
        if (now_ms() - started_ms >= o->lock_timeout_ms)
                return false;
        nanosleep(&(struct timespec) { .tv_nsec = 1000000 }, NULL);
        return true;
}

static int family_index(bs_family f) {
        return f == BS_FAMILY_IPV6 ? 1 : 0;
}

static bool table_name_valid(const char *table) {
        return table && table[0] && strlen(table) <= BS_TABLE_NAME_MAX;
}

static int nft_read(bs_family family, const char *table, const bs_nf_options *o, bs_table **ret) {
        (void) o;
        if (!table_name_valid(table))
                return -EINVAL;
        _cleanup_nft_sock_kept_ bs_nft_sock s = {};
        int r = bs_nft_sock_take(&s);
        if (r < 0)
                return r;
        return bs_nft_read_table(&s, family, table, ret, NULL);
}

static bool cache_current(const bs_nf_read_cache *cache, bs_family family, const char *table, uint32_t genid) {
        return cache && cache->table && cache->have_nft_genid && cache->nft_genid == genid &&
               cache->table->family == family && streq(cache->table->name, table);
}

/* The generation of the cache stays when the rules read are the ones it
 * kept: a commit to another table (docker's nat, say) moves the kernel's
 * generation on, not what was derived from ours. */
static void cache_keep(bs_nf_read_cache *cache, bs_table *t, uint32_t genid) {
        uint64_t generation = cache->table && bs_table_equal(cache->table, t) ? cache->generation
                                                                             : bs_nf_next_generation();
        bs_nf_read_cache_done(cache);
        cache->table = t;
        cache->generation = generation;
        cache->have_nft_genid = genid != 0;
        cache->nft_genid = genid;
}

/* The table of family at generation genid: the cache's when it is at it
 * (counters refreshed when asked), else read. *ret_genid: the generation
 * of the table returned, which differs from genid when the ruleset
 * changed meanwhile. The table belongs to the cache when there is one. */
static int table_at(bs_nft_sock *s, bs_family family, const char *table, uint32_t genid, bool counters,
                    bs_nf_read_cache *cache, bs_table **ret, uint32_t *ret_genid) {
        if (cache_current(cache, family, table, genid)) {
                if (counters) {
                        int r = bs_nft_refresh_counters(s, cache->table, genid);
                        if (r >= 0) {
                                *ret = cache->table;
                                *ret_genid = genid;
                                return 0;
                        }
                        if (r != -ESTALE)
                                return r;
                } else {
                        *ret = cache->table;
                        *ret_genid = genid;
                        return 0;
                }
        }
        bs_table *t = NULL;
        uint32_t read_genid = 0;
        int r = bs_nft_read_table(s, family, table, &t, &read_genid);
        if (r < 0)
                return r;
        if (cache)
                cache_keep(cache, t, read_genid);
        *ret = t;
        *ret_genid = read_genid;
        return 0;
}

static int nft_read_cached(bs_family family, const char *table, const bs_nf_options *o, bs_nf_read_cache *cache,
                           const bs_table **ret) {
        o = options(o);
        if (!table_name_valid(table))
                return -EINVAL;
        _cleanup_nft_sock_kept_ bs_nft_sock s = {};
        int r = bs_nft_sock_take(&s);
        if (r < 0)
                return r;
        uint32_t genid, got;
        r = bs_nft_genid(&s, &genid);
        if (r < 0)
                return r;
        bs_table *t;
        r = table_at(&s, family, table, genid, !o->counters_may_lag, cache, &t, &got);
        if (r < 0)
                return r;
        *ret = t;
        return 0;
}

/* The handles of the rules a large batch inserted (nft-write.h), for
 * tables read at genid. */
static int read_handles(bs_nft_sock *s, bs_table *const tables[2], uint32_t genid) {
        for (int f = 0; f < 2; f++) {
                if (!tables[f])
                        continue;
                int r = bs_nft_refresh_counters(s, tables[f], genid);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* How one step is computed from the tables read: a change set, or a
 * computation (a rewrite). */
typedef struct step {
        const bs_change *changes;
        size_t n;
        bs_nf_rewrite_fn compute;
        void *compute_userdata;
} step;

static int stage_family(const step *st, const bs_table *before, bs_table **ret_after, size_t *ret_failed) {
        if (st->compute)
                return st->compute(before, st->compute_userdata, ret_after);
        _cleanup_table_ bs_table *after = NULL;
        int r = bs_table_copy(&after, before);
        if (r < 0)
                return r;
        r = bs_table_reserve_appends(after, st->changes, st->n, bs_family_mask(before->family));
        if (r < 0)
                return r;
        for (size_t i = 0; i < st->n; i++) {
                r = bs_table_apply_change(after, &st->changes[i]);
                if (r < 0) {
                        if (ret_failed)
                                *ret_failed = i;
                        return r;
                }
        }
        *ret_after = TAKE_PTR(after);
        return 0;
}

static void tables_freep(bs_table *(*t)[2]) {
        for (int f = 0; f < 2; f++)
                bs_table_free((*t)[f]);
}

/* Both families in one batch: read (or take from the caches) each family
 * in `families` at one generation, stage it, show both to prepare, commit
 * with that generation; all again when the kernel says the ruleset moved
 * on. */
static int both(const char *table, unsigned families, const bs_nf_options *o, bs_nf_read_cache *caches,
                const step *st, bs_nf_prepare_fn prepare, void *userdata, bs_nf_transition *ret) {
        o = options(o);
        if (ret)
                *ret = (bs_nf_transition) { .failed = SIZE_MAX };
        if (!table_name_valid(table))
                return -EINVAL;
        static const bs_family fams[2] = { BS_FAMILY_IPV4, BS_FAMILY_IPV6 };
        for (int f = 0; f < 2; f++)
                if (!(families & bs_family_mask(fams[f])))
                        for (size_t i = 0; i < st->n; i++)
                                if (st->changes[i].families & bs_family_mask(fams[f]))
                                        return -EINVAL; /* a change for a family not asked for */

        _cleanup_nft_sock_kept_ bs_nft_sock s = {};
        int r = bs_nft_sock_take(&s);
        if (r < 0)
                return r;

        uint64_t started = now_ms();
        for (unsigned attempt = 0;; attempt++) {
                uint32_t genid;
                r = bs_nft_genid(&s, &genid);
                if (r < 0)
                        return r;
                bs_table *read[2] = {};
                bool moved = false;
                for (int f = 0; f < 2 && r >= 0 && !moved; f++) {
                        if (!(families & bs_family_mask(fams[f])))
                                continue;
                        uint32_t got;
                        r = table_at(&s, fams[f], table, genid, false, caches ? &caches[f] : NULL, &read[f], &got);
                        moved = r >= 0 && got != genid;
                }
                /* without caches the tables read are ours to free */
                _cleanup_(tables_freep) bs_table *own[2] = {};
                if (!caches)
                        memcpy(own, read, sizeof(own));
                if (r < 0)
                        return r;
                if (moved) {
                        if (retry_again(o, attempt, started))
                                continue;
                        return -EAGAIN;
                }

                _cleanup_(bs_nf_transition_done) bs_nf_transition t = {};
                for (int f = 0; f < 2 && r >= 0; f++) {
                        if (!read[f])
                                continue;
                        t.before[f] = bs_table_ref(read[f]);
                        r = stage_family(st, read[f], &t.after[f], ret ? &ret->failed : NULL);
                }
                if (r < 0)
                        return r;
                if (prepare) {
                        r = prepare(&t, userdata);
                        if (r < 0)
                                return r;
                }
                if (o->before_commit)
                        o->before_commit(o->userdata);

                bs_nft_write w[2] = {};
                for (int f = 0; f < 2; f++)
                        if (t.after[f])
                                w[f] = (bs_nft_write) { .before = t.before[f], .after = t.after[f],
                                                        .after_copied_from_before = !st->compute };
                uint32_t new_genid = 0;
                r = bs_nft_write_tables(&s, genid, w, &new_genid);
                if (r == -ENOKEY) {
                        /* a rule inserted without its handle is to be
                         * deleted or inserted before: read the handles (the
                         * tables are the kernel's at genid), write again */
                        r = read_handles(&s, t.before, genid);
                        if (r >= 0)
                                r = bs_nft_write_tables(&s, genid, w, &new_genid);
                        if (r == -ESTALE || r == -ENOKEY) {
                                for (int f = 0; f < 2 && caches; f++)
                                        caches[f].have_nft_genid = false;
                                if (retry_again(o, attempt, started))
                                        continue;
                                return -EAGAIN;
                        }
                }
                if (r == -ERESTART) {
                        if (retry_again(o, attempt, started))
                                continue; /* a table changed since it was read: redo on the new one */
                        return -EAGAIN;
                }
                if (r < 0)
                        return r;
                for (int f = 0; f < 2; f++) {
                        if (!caches)
                                continue;
                        if (t.after[f])
                                cache_keep(&caches[f], bs_table_ref(t.after[f]), new_genid);
                        else if (read[f] && new_genid != genid)
                                caches[f].have_nft_genid = false;
                }
                if (ret) {
                        for (int f = 0; f < 2; f++) {
                                ret->before[f] = TAKE_PTR(t.before[f]);
                                ret->after[f] = TAKE_PTR(t.after[f]);
                        }
                }
                return 0;
        }
}

static int nft_apply_both(const char *table, const bs_change *changes, size_t n, unsigned families,
                          const bs_nf_options *o, bs_nf_read_cache *caches, bs_nf_prepare_fn prepare, void *userdata,
                          bs_nf_transition *ret) {
        if (n > 0 && !changes)
                return -EINVAL;
        step st = { .changes = changes, .n = n };
        return both(table, families, o, caches, &st, prepare, userdata, ret);
}

static int nft_rewrite_both(const char *table, unsigned families, const bs_nf_options *o, bs_nf_read_cache *caches,
                            bs_nf_rewrite_fn compute, void *userdata, bool *ret_ipv4_only) {
        /* one batch: IPv4 is never committed without IPv6 */
        if (ret_ipv4_only)
                *ret_ipv4_only = false;
        if (!caches || !compute)
                return -EINVAL;
        step st = { .compute = compute, .compute_userdata = userdata };
        return both(table, families, o, caches, &st, NULL, NULL, NULL);
}

/* One family's table read, then written from it by write(), as one step
 * at one generation: again on the new table when another program
 * committed in between (restore, zero). */
typedef int (*table_write_fn)(bs_nft_sock *s, uint32_t genid, bs_table *current, void *userdata);

static int read_then_write(bs_family family, const char *table, const bs_nf_options *o, table_write_fn write,
                           void *userdata) {
        o = options(o);
        _cleanup_nft_sock_kept_ bs_nft_sock s = {};
        int r = bs_nft_sock_take(&s);
        if (r < 0)
                return r;
        uint64_t started = now_ms();
        for (unsigned attempt = 0;; attempt++) {
                uint32_t genid;
                _cleanup_table_ bs_table *current = NULL;
                r = bs_nft_read_table(&s, family, table, &current, &genid);
                if (r < 0)
                        return r;
                r = write(&s, genid, current, userdata);
                if (r == -ERESTART && retry_again(o, attempt, started))
                        continue;
                return r == -ERESTART ? -EAGAIN : r;
        }
}

static int write_snapshot(bs_nft_sock *s, uint32_t genid, bs_table *current, void *userdata) {
        const bs_table *snapshot = userdata;
        _cleanup_table_ bs_table *wanted = NULL;
        int r = bs_table_copy(&wanted, snapshot);
        if (r < 0)
                return r;
        bs_nft_write w[2] = {};
        w[family_index(snapshot->family)] = (bs_nft_write) {
                .before = current, .after = wanted, .set_chain_counters = true
        };
        return bs_nft_write_tables(s, genid, w, NULL);
}

static int nft_restore(const bs_table *snapshot, const bs_nf_options *o) {
        if (!snapshot)
                return -EINVAL;
        return read_then_write(snapshot->family, snapshot->name, o, write_snapshot, (void *) snapshot);
}

static int write_zeroes(bs_nft_sock *s, uint32_t genid, bs_table *current, void *userdata) {
        return bs_nft_zero_counters(s, genid, current, userdata);
}

static int nft_zero(bs_family family, const char *table, const char *chain, const bs_nf_options *o) {
        return read_then_write(family, table, o, write_zeroes, (void *) chain);
}

const bs_backend bs_backend_iptables_nft = {
        .name = "iptables-nft",
        .read = nft_read,
        .read_cached = nft_read_cached,
        .apply_both = nft_apply_both,
        .rewrite_both = nft_rewrite_both,
        .restore = nft_restore,
        .zero = nft_zero,
};
