/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Table access through libiptc (libip4tc / libip6tc): read a table into the
 * model, apply changes as one commit per family, both families as one unit,
 * snapshot and restore, zero counters. Every read-modify-commit holds the
 * xtables lock. No logging; errors as -errno:
 *   -EWOULDBLOCK  the xtables lock is held by someone else past the wait
 *   -EAGAIN       the table kept changing under us past the retries
 *   -ENOENT/-EEXIST/-ERANGE/... as bs_table_apply_change
 *   -EPERM        not allowed (no CAP_NET_ADMIN)
 *   -EPROTONOSUPPORT the kernel has no such table / family
 *   -EOPNOTSUPP   the kernel refused the commit: it has no module for a
 *                 match or target of a rule (its ENOENT, renamed so that
 *                 -ENOENT keeps meaning "no such chain / rule")
 *   -EINVAL/-ELOOP/... other refusals of the kernel, as it answered
 *
 * Built-in chains' policy counters: every commit of iptables-legacy resets
 * them to 0; ours keep them (apply, restore: set from the table as read or
 * from the snapshot; zero: reset only for the chains zeroed). */

#include "rule.h"

/* The xtables lock, as iptables-legacy takes it: open(O_CREAT, 0600) and
 * flock(LOCK_EX) on $XTABLES_LOCKFILE or /run/xtables.lock. */
typedef struct bs_xtlock {
        int fd;
} bs_xtlock;
#define BS_XTLOCK_INIT { .fd = -1 }
const char *bs_xtlock_path(void);
/* Wait at most timeout_ms (polling, as iptables -w does) for the lock. */
int bs_xtlock_acquire(bs_xtlock *l, unsigned timeout_ms);
void bs_xtlock_release(bs_xtlock *l);
#define _cleanup_xtlock_ _cleanup_(bs_xtlock_release)

typedef struct bs_nf_options {
        unsigned lock_timeout_ms;  /* default 5000; nft: how long a moved generation is retried past max_retries */
        unsigned max_retries;      /* EAGAIN retries, default 5 */
        /* When set, called right before each commit attempt (after the
         * handle was read and the changes applied to it, with the xtables
         * lock held). The daemon forgets there which tables it has seen in
         * the current event-loop iteration. A test changes the table from
         * here (with libiptc or iptables-legacy under another
         * XTABLES_LOCKFILE) to make the commit fail with EAGAIN and prove
         * the retry. */
        void (*before_commit)(void *userdata);
        void *userdata;
        /* The caller already holds the xtables lock (bs_xtlock_acquire), to
         * make a read, a computation and a commit one step for everyone
         * else using the lock; the functions below then do not take it
         * (flock would wait for ourselves). */
        bool lock_held;
        /* Read, apply and rewrite through libiptc only (neither the
         * cached read nor the commit without libiptc is used): for the benchmark's side-by-side figures and the tests
         * that compare both ways. */
        bool libiptc_only;
        /* bs_nf_read_cached may hand back the counters of an earlier read
         * of the same table: for callers that show no counters, where
         * iptables-nft would otherwise dump every rule for its counters
         * alone (its generation does not change as they count). */
        bool counters_may_lag;
} bs_nf_options;
#define BS_NF_OPTIONS_DEFAULT { .lock_timeout_ms = 5000, .max_retries = 5 }
/* Every function below takes o == NULL as BS_NF_OPTIONS_DEFAULT. */

/* Read a table (decoding every rule, counters included). */
int bs_nf_read(bs_family family, const char *table, const bs_nf_options *o, bs_table **ret);

/* A read that keeps what it decoded: when the kernel's table has the very
 * entries of the previous read with the same cache (counters aside), only
 * the counters of the kept table are refreshed, instead of decoding every
 * rule again (~60% of a read of 10,000 rules); a table that changed is
 * decoded from the entries that showed it, not read a second time. The
 * table belongs to the cache: read-only for the caller, valid until the
 * next call with the cache or bs_nf_read_cache_done. One cache serves one
 * table of one family (another family drops what it kept). Memory: the
 * decoded table plus its entries' bytes, at most BS_NF_KEY_MAX (-E2BIG
 * beyond). */
#define BS_NF_KEY_MAX (256u << 20)
typedef struct bs_nf_read_cache {
        bs_table *table;
        uint8_t *key;
        size_t key_len;
        /* Unique to the kept table's rules (never 0 while one is kept):
         * what is derived from them alone, counters aside, stays valid
         * while it stays the same. */
        uint64_t generation;
        /* reads of the kept table answered from the kernel's entries
         * without libiptc (nf-raw-read.inc.c), since it was kept */
        uint64_t fast_hits;
        /* the kept table was decoded from the kernel's entries without
         * libiptc (nf-raw-read.inc.c) */
        bool raw_decoded;
        /* the kept table was committed without libiptc (nf-raw-write.inc.c),
         * keyed from what was handed to the kernel */
        bool raw_committed;
        /* iptables-nft: the nf_tables generation the kept table is the
         * kernel's table at (read at it, or committed to make it) */
        bool have_nft_genid;
        uint32_t nft_genid;
} bs_nf_read_cache;
/* A number never handed out before in this process (1, 2, ...), for the
 * caches' generation. */
uint64_t bs_nf_next_generation(void);
int bs_nf_read_cached(bs_family family, const char *table, const bs_nf_options *o, bs_nf_read_cache *cache,
                      const bs_table **ret);
void bs_nf_read_cache_done(bs_nf_read_cache *cache);

/* Apply changes (those whose families include `family`) to one table as
 * one commit. Counters of untouched rules are preserved. If result is not
 * NULL it receives the table as committed. Nothing is committed on error. */
int bs_nf_apply(bs_family family, const char *table, const bs_change *changes, size_t n,
                const bs_nf_options *o, bs_table **result);

/* The two families' tables around a change set: [0] IPv4, [1] IPv6; NULL
 * for a family not asked for. */
typedef struct bs_nf_transition {
        bs_table *before[2], *after[2];
        size_t failed;  /* when a change is refused: its index; else SIZE_MAX */
        /* On error: IPv4 was committed, IPv6 refused, and IPv4 could not be
         * put back (the tables are then handed over as on success; the
         * IPv6 change is not in the kernel). */
        bool ipv4_only;
} bs_nf_transition;
void bs_nf_transition_done(bs_nf_transition *t);
#define _cleanup_transition_ _cleanup_(bs_nf_transition_done)

/* Called with both families' tables before and after the changes once they
 * are computed and before anything is committed: a negative return aborts
 * (nothing is committed, the error is returned). It is called again when a
 * commit finds the table changed meanwhile (the -EAGAIN retries), with the
 * tables as read again. */
typedef int (*bs_nf_prepare_fn)(const bs_nf_transition *t, void *userdata);

/* Apply to IPv4 then IPv6 as one unit, under one xtables lock: read each
 * family in `families` (a mask; a change for another family is -EINVAL),
 * apply the changes to it, show both to prepare (may be NULL), then commit
 * IPv4 and IPv6; if the IPv6 commit fails, IPv4 is restored to what it was
 * before and the IPv6 error returned. Each change applies to the families
 * in its mask; a change carrying a rule must carry a rule of each family
 * it is applied to (else -EAFNOSUPPORT, as bs_table_apply_change), so a
 * rule for both families is given as two changes, one per family. A family
 * no change is for is read, not committed.
 *
 * caches: NULL, or one read cache per family ([0] IPv4, [1] IPv6), as
 * bs_nf_read_cached takes them: the table before is then taken from the
 * cache when the kernel still has it (no decode, and the model is
 * committed without libiptc), and the cache is left holding the committed
 * table, so the next read does not decode either.
 *
 * ret (may be NULL): on success the tables before and after (the caller
 * frees them with bs_nf_transition_done); on error, ret->failed is the
 * index of the change refused, if one was, and ret->ipv4_only says when
 * IPv4 stays changed (nothing is then retried). */
int bs_nf_apply_both(const char *table, const bs_change *changes, size_t n, unsigned families,
                     const bs_nf_options *o, bs_nf_read_cache *caches, bs_nf_prepare_fn prepare, void *userdata,
                     bs_nf_transition *ret);

/* Replace a whole table with the snapshot, in one commit: chains, user
 * chains, policies, rules (opaque ones byte for byte) and their counters. */
int bs_nf_restore(const bs_table *snapshot, const bs_nf_options *o);

/* Read, compute, commit, for both families as one unit (as
 * bs_nf_apply_both): each family in `families` is read through its cache
 * (caches: [0] IPv4, [1] IPv6, as bs_nf_read_cached takes them),
 * compute() derives from the table read the table wanted (*ret NULL:
 * leave that family as it is), and the tables computed replace the
 * kernel's (no second read of the kernel's table: on the libiptc handle it
 * was read with, or from the model when the cache held the kernel's
 * table), as bs_nf_restore would (from the model, a rule compute()
 * copied from the table read also keeps what it counted since the read); if the IPv6 commit
 * fails, IPv4 is put back. compute() is called again when a commit finds
 * a table changed meanwhile (the -EAGAIN retries): it must depend only on
 * its arguments. The caches are left holding the committed tables.
 * *ret_ipv4_only (may be NULL) is set on error when IPv4 was committed and
 * could not be put back after IPv6 was refused (nothing is then retried). */
typedef int (*bs_nf_rewrite_fn)(const bs_table *current, void *userdata, bs_table **ret);
int bs_nf_rewrite_both(const char *table, unsigned families, const bs_nf_options *o, bs_nf_read_cache *caches,
                       bs_nf_rewrite_fn compute, void *userdata, bool *ret_ipv4_only);

/* Zero the counters of one chain, or of every chain when chain is NULL. */
int bs_nf_zero(bs_family family, const char *table, const char *chain, const bs_nf_options *o);

/* Whether nftables also filters INPUT on this host (an nft ruleset with an
 * input-hook filter chain in the ip, ip6 or inet family, e.g. from
 * iptables-nft), in the caller's network namespace. *ret_description (if
 * not NULL) says what was found, e.g. "ip filter INPUT (priority 0, policy
 * accept)", "; "-separated; NULL when nothing was found. A kernel without
 * nf_tables answers false. except_iptables_nft leaves out the tables
 * iptables-nft keeps its rules in (ip filter, ip6 filter): with the nft
 * backend those are the ruleset the daemon manages, not another one. */
int bs_nf_nftables_filters_input(bool except_iptables_nft, bool *ret, char **ret_description);
