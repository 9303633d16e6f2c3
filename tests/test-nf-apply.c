/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Table access against the real kernel: change sets applied (each kind,
 * counters kept, errors, retries, both families as one unit, the
 * rollback's rewrite), restore and zero, through the backend under test
 * with its iptables as the oracle (nf-test.h). */
#include <libiptc/libiptc.h> /* before any <linux/...> header, for the retry test */

#include <arpa/inet.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <netinet/in.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "nf-test.h"

/* --------------------------------------------------------------- apply */

static void assert_result_is_kernel(bs_family family, const bs_table *result) {
        _cleanup_table_ bs_table *now = read_table(family, "filter");
        g_assert_true(bs_table_equal(result, now));
}

static void test_apply_each_kind(gconstpointer data) {
        const family_case *f = data;
        bs_family fam = f->family;
        reset_tables();
        changes cs = {};

        add(&cs, BS_CHANGE_NEW_CHAIN, BS_FAMILY_MASK_BOTH, "web", 0);
        add_rule(&cs, BS_CHANGE_APPEND, fam, "INPUT", 0, IPPROTO_TCP, 22, BS_TARGET_ACCEPT, NULL);
        add_rule(&cs, BS_CHANGE_APPEND, fam, "INPUT", 0, IPPROTO_TCP, 80, BS_TARGET_JUMP, "web");
        add_rule(&cs, BS_CHANGE_INSERT, fam, "INPUT", 1, IPPROTO_UDP, 53, BS_TARGET_ACCEPT, NULL);
        add_rule(&cs, BS_CHANGE_APPEND, fam, "web", 0, IPPROTO_TCP, 80, BS_TARGET_ACCEPT, NULL);
        add_rule(&cs, BS_CHANGE_REPLACE, fam, "INPUT", 2, IPPROTO_TCP, 2222, BS_TARGET_DROP, NULL);
        add_rule(&cs, BS_CHANGE_INSERT, fam, "INPUT", 3, IPPROTO_TCP, 443, BS_TARGET_GOTO, "web");
        add(&cs, BS_CHANGE_POLICY, BS_FAMILY_MASK_BOTH, "INPUT", 0)->policy = BS_POLICY_DROP;
        _cleanup_table_ bs_table *result = NULL;
        g_assert_cmpint(apply_one(fam, cs.items, cs.n, NULL, &result), ==, 0);
        changes_clear(&cs);
        assert_S(f, "-P INPUT DROP\n"
                    "-P FORWARD ACCEPT\n"
                    "-P OUTPUT ACCEPT\n"
                    "-N web\n"
                    "-A INPUT -p udp -m udp --dport 53 -j ACCEPT\n"
                    "-A INPUT -p tcp -m tcp --dport 2222 -j DROP\n"
                    "-A INPUT -p tcp -m tcp --dport 443 -g web\n"
                    "-A INPUT -p tcp -m tcp --dport 80 -j web\n"
                    "-A web -p tcp -m tcp --dport 80 -j ACCEPT\n");
        assert_result_is_kernel(fam, result);
        bs_table_free(TAKE_PTR(result));

        add_rule(&cs, BS_CHANGE_DELETE, fam, "INPUT", 0, IPPROTO_UDP, 53, BS_TARGET_ACCEPT, NULL);
        add(&cs, BS_CHANGE_DELETE_NUM, BS_FAMILY_MASK_BOTH, "INPUT", 2);
        add(&cs, BS_CHANGE_FLUSH, BS_FAMILY_MASK_BOTH, "web", 0);
        add_rule(&cs, BS_CHANGE_DELETE, fam, "INPUT", 0, IPPROTO_TCP, 80, BS_TARGET_JUMP, "web");
        add(&cs, BS_CHANGE_DELETE_CHAIN, BS_FAMILY_MASK_BOTH, "web", 0);
        add(&cs, BS_CHANGE_NEW_CHAIN, BS_FAMILY_MASK_BOTH, "zz", 0);
        add_rule(&cs, BS_CHANGE_APPEND, fam, "FORWARD", 0, IPPROTO_UDP, 53, BS_TARGET_DROP, NULL);
        add(&cs, BS_CHANGE_POLICY, BS_FAMILY_MASK_BOTH, "INPUT", 0)->policy = BS_POLICY_ACCEPT;
        add(&cs, BS_CHANGE_POLICY, BS_FAMILY_MASK_BOTH, "OUTPUT", 0)->policy = BS_POLICY_DROP;
        g_assert_cmpint(apply_one(fam, cs.items, cs.n, NULL, &result), ==, 0);
        changes_clear(&cs);
        assert_S(f, "-P INPUT ACCEPT\n"
                    "-P FORWARD ACCEPT\n"
                    "-P OUTPUT DROP\n"
                    "-N zz\n"
                    "-A INPUT -p tcp -m tcp --dport 2222 -j DROP\n"
                    "-A FORWARD -p udp -m udp --dport 53 -j DROP\n");
        assert_result_is_kernel(fam, result);

        /* the other family's table was not touched */
        const family_case *other = fam == BS_FAMILY_IPV4 ? &v6 : &v4;
        assert_S(other, "-P INPUT ACCEPT\n-P FORWARD ACCEPT\n-P OUTPUT ACCEPT\n");
}

/* -D RULE deletes the first rule equal as a model value: of two rules
 * that differ only in a later match, the right one goes. */
static void test_apply_delete_by_value(gconstpointer data) {
        const family_case *f = data;
        reset_tables();
        sh_ok("%1$s -A INPUT -p tcp --dport 22 -m comment --comment one -j ACCEPT; "
              "%1$s -A INPUT -p tcp --dport 22 -j ACCEPT; %1$s -A INPUT -p tcp --dport 22 -j ACCEPT",
              f->cli);
        changes cs = {};
        add_rule(&cs, BS_CHANGE_DELETE, f->family, "INPUT", 0, IPPROTO_TCP, 22, BS_TARGET_ACCEPT, NULL);
        g_assert_cmpint(apply_one(f->family, cs.items, cs.n, NULL, NULL), ==, 0);
        changes_clear(&cs);
        assert_S(f, "-P INPUT ACCEPT\n-P FORWARD ACCEPT\n-P OUTPUT ACCEPT\n"
                    "-A INPUT -p tcp -m tcp --dport 22 -m comment --comment one -j ACCEPT\n"
                    "-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT\n");
}

static void test_apply_keeps_counters(gconstpointer data) {
        const family_case *f = data;
        reset_tables();
        sh_ok("%1$s -A INPUT -p udp --dport 5555 -j ACCEPT; %1$s -A INPUT -p tcp --dport 22 -j ACCEPT; "
              "%1$s -A OUTPUT -p udp --dport 5556 -j ACCEPT; %1$s -Z",
              f->cli);
        send_udp(f->family, 5555, 4, 20);
        unsigned bytes = 4 * ((f->family == BS_FAMILY_IPV6 ? 48 : 28) + 20);
        _cleanup_table_ bs_table *before = read_table(f->family, "filter");
        g_assert_cmpuint(rule_at(before, "INPUT", 0)->packets, ==, 4);

        changes cs = {};
        add_rule(&cs, BS_CHANGE_INSERT, f->family, "INPUT", 1, IPPROTO_TCP, 80, BS_TARGET_ACCEPT, NULL);
        add_rule(&cs, BS_CHANGE_DELETE, f->family, "INPUT", 0, IPPROTO_TCP, 22, BS_TARGET_ACCEPT, NULL);
        add_rule(&cs, BS_CHANGE_APPEND, f->family, "INPUT", 0, IPPROTO_TCP, 443, BS_TARGET_ACCEPT, NULL);
        g_assert_cmpint(apply_one(f->family, cs.items, cs.n, NULL, NULL), ==, 0);
        changes_clear(&cs);

        g_autofree char *text = save(f, "filter");
        g_autofree char *moved = g_strdup_printf("[4:%u] -A INPUT -p udp -m udp --dport 5555 -j ACCEPT", bytes);
        g_assert_nonnull(strstr(text, moved));
        /* OUTPUT's rule is for 5556: the datagrams went by its policy, whose
         * counters a legacy commit would have reset; ours keeps them */
        g_autofree char *policy = g_strdup_printf(":OUTPUT ACCEPT [4:%u]", bytes);
        g_assert_nonnull(strstr(text, policy));
        g_assert_nonnull(strstr(text, "[0:0] -A INPUT -p tcp -m tcp --dport 80 -j ACCEPT"));
        g_assert_null(strstr(text, "--dport 22"));
}

/* Each bad change, after a good one in the same batch: the error that
 * bs_table_apply_change gives, and nothing committed. */
static void test_apply_errors(gconstpointer data) {
        const family_case *f = data;
        bs_family fam = f->family;
        reset_tables();
        sh_ok("%1$s -N used; %1$s -N empty; %1$s -N full; %1$s -A INPUT -j used; %1$s -A full -j ACCEPT; "
              "%1$s -A INPUT -p udp --dport 5555 -j ACCEPT; %1$s -Z",
              f->cli);
        send_udp(fam, 5555, 2, 0);
        g_autofree char *before = save(f, "filter");
        g_assert_nonnull(strstr(before, "[2:"));

        static const struct {
                bs_change_kind kind;
                const char *chain;
                uint32_t position;
                int expect;
        } cases[] = {
                { BS_CHANGE_APPEND, "nosuch", 0, -ENOENT },
                { BS_CHANGE_DELETE, "INPUT", 0, -ENOENT },    /* no such rule */
                { BS_CHANGE_INSERT, "INPUT", 5, -ERANGE },    /* 2 rules + the good one: 4 is the end */
                { BS_CHANGE_REPLACE, "INPUT", 4, -ERANGE },
                { BS_CHANGE_DELETE_NUM, "INPUT", 0, -ERANGE },
                { BS_CHANGE_DELETE_NUM, "INPUT", 4, -ERANGE },
                { BS_CHANGE_NEW_CHAIN, "empty", 0, -EEXIST },
                { BS_CHANGE_DELETE_CHAIN, "full", 0, -ENOTEMPTY },
                { BS_CHANGE_DELETE_CHAIN, "used", 0, -EBUSY },
                { BS_CHANGE_DELETE_CHAIN, "INPUT", 0, -EPERM },
                { BS_CHANGE_POLICY, "empty", 0, -EINVAL },
                { BS_CHANGE_FLUSH, "nosuch", 0, -ENOENT },
        };
        for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
                changes cs = {};
                add_rule(&cs, BS_CHANGE_APPEND, fam, "INPUT", 0, IPPROTO_TCP, 9999, BS_TARGET_ACCEPT, NULL);
                bs_change *c = add(&cs, cases[i].kind, bs_family_mask(fam), cases[i].chain, cases[i].position);
                port_rule(&c->rule, fam, IPPROTO_TCP, 1, BS_TARGET_ACCEPT, NULL);
                c->policy = BS_POLICY_DROP;
                g_test_message("case %zu", i);
                g_assert_cmpint(apply_one(fam, cs.items, cs.n, NULL, NULL), ==, cases[i].expect);
                changes_clear(&cs);
                g_autofree char *after = save(f, "filter");
                g_assert_cmpstr(after, ==, before);
        }

        /* a jump to a chain that does not exist */
        changes cs = {};
        add_rule(&cs, BS_CHANGE_APPEND, fam, "INPUT", 0, IPPROTO_TCP, 1, BS_TARGET_JUMP, "nosuch");
        g_assert_cmpint(apply_one(fam, cs.items, cs.n, NULL, NULL), ==, -ENOENT);
        changes_clear(&cs);

        /* a rule of the other family */
        bs_family wrong = fam == BS_FAMILY_IPV4 ? BS_FAMILY_IPV6 : BS_FAMILY_IPV4;
        add_rule(&cs, BS_CHANGE_APPEND, wrong, "INPUT", 0, IPPROTO_TCP, 1, BS_TARGET_ACCEPT, NULL)->families =
                BS_FAMILY_MASK_BOTH;
        g_assert_cmpint(apply_one(fam, cs.items, cs.n, NULL, NULL), ==, -EAFNOSUPPORT);
        changes_clear(&cs);

        /* refused by the kernel only: a jump loop, and a match it has no module for */
        add(&cs, BS_CHANGE_NEW_CHAIN, BS_FAMILY_MASK_BOTH, "loop1", 0);
        add(&cs, BS_CHANGE_NEW_CHAIN, BS_FAMILY_MASK_BOTH, "loop2", 0);
        add_rule(&cs, BS_CHANGE_APPEND, fam, "loop1", 0, IPPROTO_TCP, 1, BS_TARGET_JUMP, "loop2");
        add_rule(&cs, BS_CHANGE_APPEND, fam, "loop2", 0, IPPROTO_TCP, 1, BS_TARGET_JUMP, "loop1");
        add_rule(&cs, BS_CHANGE_APPEND, fam, "INPUT", 0, IPPROTO_TCP, 1, BS_TARGET_JUMP, "loop1");
        g_assert_cmpint(apply_one(fam, cs.items, cs.n, NULL, NULL), ==, -ELOOP);
        changes_clear(&cs);

        bs_change *c = add_rule(&cs, BS_CHANGE_APPEND, fam, "INPUT", 0, IPPROTO_TCP, 1, BS_TARGET_ACCEPT, NULL);
        add_unknown_match(&c->rule);
        g_assert_cmpint(apply_one(fam, cs.items, cs.n, NULL, NULL), ==, -EOPNOTSUPP);
        changes_clear(&cs);

        g_autofree char *after = save(f, "filter");
        g_assert_cmpstr(after, ==, before);
}

typedef struct retry_state {
        unsigned calls;
        unsigned change_times;  /* change the table on the first N calls */
        char other_lock[PATH_MAX];
        const family_case *f;
} retry_state;

/* Someone else adds a rule between our init and our commit: through the
 * CLI (with its own lock file, or it would wait for ours). */
static void change_behind_our_back(void *userdata) {
        retry_state *s = userdata;
        s->calls++;
        if (s->calls > s->change_times)
                return;
        sh_ok("XTABLES_LOCKFILE=%s %s -A INPUT -p tcp --dport %u -j ACCEPT", s->other_lock, s->f->cli,
              1000 + s->calls);
}

static void test_apply_retry(gconstpointer data) {
        const family_case *f = data;
        reset_tables();
        retry_state s = { .change_times = 1, .f = f };
        g_snprintf(s.other_lock, sizeof(s.other_lock), "%s.other", lock_path);
        bs_nf_options o = BS_NF_OPTIONS_DEFAULT;
        o.before_commit = change_behind_our_back;
        o.userdata = &s;

        changes cs = {};
        add_rule(&cs, BS_CHANGE_INSERT, f->family, "INPUT", 1, IPPROTO_TCP, 22, BS_TARGET_ACCEPT, NULL);
        g_assert_cmpint(apply_one(f->family, cs.items, cs.n, &o, NULL), ==, 0);
        /* first commit refused (EAGAIN), second one on the re-read table */
        g_assert_cmpuint(s.calls, ==, 2);
        assert_S(f, "-P INPUT ACCEPT\n-P FORWARD ACCEPT\n-P OUTPUT ACCEPT\n"
                    "-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT\n"
                    "-A INPUT -p tcp -m tcp --dport 1001 -j ACCEPT\n");

        /* past the retries: -EAGAIN, and only their changes are in */
        reset_tables();
        s = (retry_state){ .change_times = 100, .f = f };
        g_snprintf(s.other_lock, sizeof(s.other_lock), "%s.other", lock_path);
        o.max_retries = 2;
        o.lock_timeout_ms = 0;  /* nft: no retries past max_retries (legacy: nobody holds the lock) */
        g_assert_cmpint(apply_one(f->family, cs.items, cs.n, &o, NULL), ==, -EAGAIN);
        g_assert_cmpuint(s.calls, ==, 3);
        assert_S(f, "-P INPUT ACCEPT\n-P FORWARD ACCEPT\n-P OUTPUT ACCEPT\n"
                    "-A INPUT -p tcp -m tcp --dport 1001 -j ACCEPT\n"
                    "-A INPUT -p tcp -m tcp --dport 1002 -j ACCEPT\n"
                    "-A INPUT -p tcp -m tcp --dport 1003 -j ACCEPT\n");

        /* nft: past max_retries as well, while lock_timeout_ms lasts (a
         * writer that never waits for anyone must not fail a change after
         * a few collisions; legacy waits that long for the lock instead) */
        if (!legacy()) {
                reset_tables();
                s = (retry_state){ .change_times = 4, .f = f };
                g_snprintf(s.other_lock, sizeof(s.other_lock), "%s.other", lock_path);
                o.lock_timeout_ms = 5000;
                g_assert_cmpint(apply_one(f->family, cs.items, cs.n, &o, NULL), ==, 0);
                g_assert_cmpuint(s.calls, ==, 5);
        }
        changes_clear(&cs);
        g_unlink(s.other_lock);
}

/* An apply through the read cache leaves the committed table in it, keyed
 * as the kernel will show it: the next read is a hit (same table, same
 * generation) that equals a fresh read, also with jumps whose offsets the
 * commit moved. And a cache the kernel no longer matches is not used. */
static void test_apply_cached(gconstpointer data) {
        const family_case *f = data;
        const char *c = f->cli;
        int slot = f->family == BS_FAMILY_IPV4 ? 0 : 1;
        reset_tables();
        sh_ok("%1$s -N mychain; %1$s -A mychain -p udp --dport 53 -j ACCEPT; %1$s -A INPUT -p tcp --dport 22 "
              "-j mychain; %1$s -A INPUT -p tcp --dport 23 -j DROP",
              c);
        bs_nf_read_cache caches[2] = {};
        bs_nf_read_cache *cache = &caches[slot];
        read_cached_checked(f, cache);
        uint64_t generation = cache->generation;

        changes cs = {};
        add_rule(&cs, BS_CHANGE_INSERT, f->family, "INPUT", 1, IPPROTO_TCP, 80, BS_TARGET_ACCEPT, NULL);
        add_rule(&cs, BS_CHANGE_INSERT, f->family, "INPUT", 1, IPPROTO_UDP, 5353, BS_TARGET_JUMP, "mychain");
        add_rule(&cs, BS_CHANGE_APPEND, f->family, "mychain", 0, IPPROTO_UDP, 67, BS_TARGET_DROP, NULL);
        g_assert_cmpint(B->apply_both("filter", cs.items, cs.n, BS_FAMILY_MASK_BOTH, NULL, caches, NULL, NULL, NULL), ==, 0);
        changes_clear(&cs);
        g_assert_nonnull(cache->table);
        /* the other family, without changes, was read through its cache */
        g_assert_nonnull(caches[1 - slot].table);
        g_assert_cmpuint(cache->generation, !=, generation);
        if (legacy())
                g_assert_true(cache->raw_committed); /* the cached table was the kernel's */
        const bs_table *seeded = cache->table;
        generation = cache->generation;
        /* a hit: the same table and generation, equal to a fresh read,
         * told without libiptc (the key of the committed handle is the
         * key of the kernel's entries) */
        g_assert_true(read_cached_checked(f, cache) == seeded);
        g_assert_cmpuint(cache->generation, ==, generation);
        if (legacy())
                g_assert_cmpuint(cache->fast_hits, ==, 1);
        assert_S(f, "-P INPUT ACCEPT\n-P FORWARD ACCEPT\n-P OUTPUT ACCEPT\n-N mychain\n"
                    "-A INPUT -p udp -m udp --dport 5353 -j mychain\n"
                    "-A INPUT -p tcp -m tcp --dport 80 -j ACCEPT\n"
                    "-A INPUT -p tcp -m tcp --dport 22 -j mychain\n"
                    "-A INPUT -p tcp -m tcp --dport 23 -j DROP\n"
                    "-A mychain -p udp -m udp --dport 53 -j ACCEPT\n"
                    "-A mychain -p udp -m udp --dport 67 -j DROP\n");

        /* Changed outside (same size): the cached table is not used for
         * the next apply, whose result keeps the outside change. The
         * changed table is decoded from the entries the apply read, and
         * committed without libiptc as well. */
        sh_ok("%s -R INPUT 4 -p tcp --dport 24 -j DROP", c);
        add_rule(&cs, BS_CHANGE_DELETE_NUM, f->family, "INPUT", 2, 0, 0, BS_TARGET_ACCEPT, NULL);
        g_assert_cmpint(B->apply_both("filter", cs.items, cs.n, BS_FAMILY_MASK_BOTH, NULL, caches, NULL, NULL, NULL), ==, 0);
        changes_clear(&cs);
        g_assert_cmpuint(cache->generation, !=, generation);
        if (legacy())
                g_assert_true(cache->raw_committed);
        read_cached_checked(f, cache);
        assert_S(f, "-P INPUT ACCEPT\n-P FORWARD ACCEPT\n-P OUTPUT ACCEPT\n-N mychain\n"
                    "-A INPUT -p udp -m udp --dport 5353 -j mychain\n"
                    "-A INPUT -p tcp -m tcp --dport 22 -j mychain\n"
                    "-A INPUT -p tcp -m tcp --dport 24 -j DROP\n"
                    "-A mychain -p udp -m udp --dport 53 -j ACCEPT\n"
                    "-A mychain -p udp -m udp --dport 67 -j DROP\n");
        bs_nf_read_cache_done(&caches[0]);
        bs_nf_read_cache_done(&caches[1]);
}

/* bs_nf_apply_both's prepare step for the tests: records what it was
 * shown, and fails when asked to. */
typedef struct prepare_state {
        unsigned calls;
        int fail;
        size_t before4, after4;  /* INPUT's rules */
        bool saw_ipv6;
} prepare_state;

static int prepare_record(const bs_nf_transition *t, void *userdata) {
        prepare_state *ps = userdata;
        ps->calls++;
        g_assert_nonnull(t->before[0]);
        g_assert_nonnull(t->after[0]);
        ps->before4 = bs_table_find_chain(t->before[0], "INPUT")->n_rules;
        ps->after4 = bs_table_find_chain(t->after[0], "INPUT")->n_rules;
        ps->saw_ipv6 = t->before[1] && t->after[1];
        return ps->fail;
}

/* The steps of one apply: the tables shown to prepare before the commit,
 * an abort from prepare commits nothing, the tables handed back, the
 * index of a refused change, a change for a family not asked for. */
static void test_apply_both_prepare(void) {
        reset_tables();
        sh_ok("%s -A INPUT -p tcp --dport 22 -j ACCEPT", v4.cli);
        changes cs = {};
        add_rule(&cs, BS_CHANGE_APPEND, BS_FAMILY_IPV4, "INPUT", 0, IPPROTO_TCP, 80, BS_TARGET_ACCEPT, NULL);
        add_rule(&cs, BS_CHANGE_APPEND, BS_FAMILY_IPV6, "INPUT", 0, IPPROTO_TCP, 80, BS_TARGET_ACCEPT, NULL);

        prepare_state ps = { .fail = -EHOSTUNREACH };
        bs_nf_transition t = {};
        g_assert_cmpint(B->apply_both("filter", cs.items, cs.n, BS_FAMILY_MASK_BOTH, NULL, NULL, prepare_record,
                                         &ps, &t),
                        ==, -EHOSTUNREACH);
        g_assert_cmpuint(ps.calls, ==, 1);
        g_assert_cmpuint(ps.before4, ==, 1);
        g_assert_cmpuint(ps.after4, ==, 2);
        g_assert_true(ps.saw_ipv6);
        g_assert_null(t.before[0]);
        g_assert_cmpuint(t.failed, ==, SIZE_MAX); /* no change was refused */
        assert_S(&v4, "-P INPUT ACCEPT\n-P FORWARD ACCEPT\n-P OUTPUT ACCEPT\n"
                      "-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT\n");
        assert_S(&v6, "-P INPUT ACCEPT\n-P FORWARD ACCEPT\n-P OUTPUT ACCEPT\n");

        ps = (prepare_state) {};
        g_assert_cmpint(B->apply_both("filter", cs.items, cs.n, BS_FAMILY_MASK_BOTH, NULL, NULL, prepare_record,
                                         &ps, &t),
                        ==, 0);
        g_assert_cmpuint(ps.calls, ==, 1);
        g_assert_cmpuint(bs_table_find_chain(t.before[0], "INPUT")->n_rules, ==, 1);
        g_assert_cmpuint(bs_table_find_chain(t.after[0], "INPUT")->n_rules, ==, 2);
        g_assert_cmpuint(bs_table_find_chain(t.after[1], "INPUT")->n_rules, ==, 1);
        assert_result_is_kernel(BS_FAMILY_IPV4, t.after[0]);
        assert_result_is_kernel(BS_FAMILY_IPV6, t.after[1]);
        bs_nf_transition_done(&t);
        changes_clear(&cs);

        /* a refused change: its index, prepare never called */
        add_rule(&cs, BS_CHANGE_APPEND, BS_FAMILY_IPV4, "INPUT", 0, IPPROTO_TCP, 81, BS_TARGET_ACCEPT, NULL);
        add_rule(&cs, BS_CHANGE_DELETE_NUM, BS_FAMILY_IPV4, "INPUT", 9, 0, 0, BS_TARGET_ACCEPT, NULL);
        ps = (prepare_state) {};
        t = (bs_nf_transition) { .failed = SIZE_MAX };
        g_assert_cmpint(B->apply_both("filter", cs.items, cs.n, BS_FAMILY_MASK_BOTH, NULL, NULL, prepare_record,
                                         &ps, &t),
                        ==, -ERANGE);
        g_assert_cmpuint(t.failed, ==, 1);
        g_assert_cmpuint(ps.calls, ==, 0);

        /* IPv6 not asked for: its change is refused, IPv6 not read */
        changes_clear(&cs);
        add_rule(&cs, BS_CHANGE_APPEND, BS_FAMILY_IPV6, "INPUT", 0, IPPROTO_TCP, 82, BS_TARGET_ACCEPT, NULL);
        g_assert_cmpint(B->apply_both("filter", cs.items, cs.n, BS_FAMILY_MASK_IPV4, NULL, NULL, NULL, NULL, NULL),
                        ==, -EINVAL);
        changes_clear(&cs);
        add_rule(&cs, BS_CHANGE_APPEND, BS_FAMILY_IPV4, "INPUT", 0, IPPROTO_TCP, 83, BS_TARGET_ACCEPT, NULL);
        ps = (prepare_state) {};
        g_assert_cmpint(B->apply_both("filter", cs.items, cs.n, BS_FAMILY_MASK_IPV4, NULL, NULL, prepare_record,
                                         &ps, NULL),
                        ==, 0);
        g_assert_false(ps.saw_ipv6);

        /* The IPv4 table changes between the read and the commit: all
         * done again on the new tables, prepare included. */
        reset_tables();
        retry_state rs = { .change_times = 1, .f = &v4 };
        g_snprintf(rs.other_lock, sizeof(rs.other_lock), "%s.other", lock_path);
        bs_nf_options o = BS_NF_OPTIONS_DEFAULT;
        o.before_commit = change_behind_our_back;
        o.userdata = &rs;
        ps = (prepare_state) {};
        g_assert_cmpint(B->apply_both("filter", cs.items, cs.n, BS_FAMILY_MASK_BOTH, &o, NULL, prepare_record,
                                         &ps, NULL),
                        ==, 0);
        g_assert_cmpuint(ps.calls, ==, 2);
        g_assert_cmpuint(ps.before4, ==, 1); /* the other program's rule */
        assert_S(&v4, "-P INPUT ACCEPT\n-P FORWARD ACCEPT\n-P OUTPUT ACCEPT\n"
                      "-A INPUT -p tcp -m tcp --dport 1001 -j ACCEPT\n"
                      "-A INPUT -p tcp -m tcp --dport 83 -j ACCEPT\n");
        g_unlink(rs.other_lock);
        changes_clear(&cs);
}

static void test_rewrite(gconstpointer data) {
        const family_case *f = data;
        reset_tables();
        sh_ok("%s -A INPUT -p tcp --dport 22 -j ACCEPT", f->cli);
        bs_nf_read_cache caches[2] = {};
        bs_nf_read_cache *cache_ = &caches[f->family == BS_FAMILY_IPV4 ? 0 : 1];
#define cache (*cache_)
        unsigned mask = bs_family_mask(f->family);

        rewrite_state st = { .family = f->family, .add_port = 80 };
        g_assert_cmpint(B->rewrite_both("filter", mask, NULL, caches, rewrite_add, &st, NULL), ==, 0);
        g_assert_cmpuint(st.calls, ==, 1);
        g_assert_cmpuint(st.last_input_rules, ==, 1);
        const char *two = "-P INPUT ACCEPT\n-P FORWARD ACCEPT\n-P OUTPUT ACCEPT\n"
                          "-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT\n"
                          "-A INPUT -p tcp -m tcp --dport 80 -j ACCEPT\n";
        assert_S(f, two);
        /* the cache holds what was committed, keyed as the kernel shows it */
        const bs_table *kept = cache.table;
        g_assert_true(read_cached_checked(f, &cache) == kept);

        /* nothing to do, and an error of the computation: nothing changes */
        st = (rewrite_state){ .family = f->family };
        g_assert_cmpint(B->rewrite_both("filter", mask, NULL, caches, rewrite_add, &st, NULL), ==, 0);
        g_assert_cmpuint(st.last_input_rules, ==, 2);
        st = (rewrite_state){ .family = f->family, .add_port = 81, .fail = -ENOENT };
        g_assert_cmpint(B->rewrite_both("filter", mask, NULL, caches, rewrite_add, &st, NULL), ==, -ENOENT);
        assert_S(f, two);

        /* The table changes between the read and the commit: computed
         * again from the new table, which keeps the other program's rule. */
        retry_state rs = { .change_times = 1, .f = f };
        g_snprintf(rs.other_lock, sizeof(rs.other_lock), "%s.other", lock_path);
        bs_nf_options o = BS_NF_OPTIONS_DEFAULT;
        o.before_commit = change_behind_our_back;
        o.userdata = &rs;
        st = (rewrite_state){ .family = f->family, .add_port = 443 };
        g_assert_cmpint(B->rewrite_both("filter", mask, &o, caches, rewrite_add, &st, NULL), ==, 0);
        g_assert_cmpuint(rs.calls, ==, 2);
        g_assert_cmpuint(st.calls, ==, 2);
        g_assert_cmpuint(st.last_input_rules, ==, 3);
        assert_S(f, "-P INPUT ACCEPT\n-P FORWARD ACCEPT\n-P OUTPUT ACCEPT\n"
                    "-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT\n"
                    "-A INPUT -p tcp -m tcp --dport 80 -j ACCEPT\n"
                    "-A INPUT -p tcp -m tcp --dport 1001 -j ACCEPT\n"
                    "-A INPUT -p tcp -m tcp --dport 443 -j ACCEPT\n");
        read_cached_checked(f, &cache);
        g_unlink(rs.other_lock);
#undef cache
        /* the other family was not read */
        g_assert_null(caches[f->family == BS_FAMILY_IPV4 ? 1 : 0].table);
        bs_nf_read_cache_done(&caches[0]);
        bs_nf_read_cache_done(&caches[1]);
}

/* The IPv6 commit is refused and IPv4, committed first, cannot be put back
 * (another program changes it at that moment, no retries): reported, the
 * tables handed over, and nothing applied twice. */
typedef struct stuck_state {
        unsigned commits;
        char other_lock[PATH_MAX];
} stuck_state;

static void third_commit_changes_ipv4(void *userdata) {
        stuck_state *ss = userdata;
        if (++ss->commits == 3)
                sh_ok("XTABLES_LOCKFILE=%s iptables-legacy -A INPUT -p tcp --dport 1999 -j ACCEPT", ss->other_lock);
}

static void test_apply_both_ipv4_stuck(void) {
        reset_tables();
        changes cs = {};
        add_rule(&cs, BS_CHANGE_APPEND, BS_FAMILY_IPV4, "INPUT", 0, IPPROTO_TCP, 22, BS_TARGET_ACCEPT, NULL);
        add_refused_ipv6(&cs, 22);

        stuck_state ss = {};
        g_snprintf(ss.other_lock, sizeof(ss.other_lock), "%s.other", lock_path);
        bs_nf_options o = BS_NF_OPTIONS_DEFAULT;
        o.max_retries = 0;
        o.before_commit = third_commit_changes_ipv4;
        o.userdata = &ss;
        prepare_state ps = {};
        _cleanup_transition_ bs_nf_transition t = {};
        g_assert_cmpint(B->apply_both("filter", cs.items, cs.n, BS_FAMILY_MASK_BOTH, &o, NULL, prepare_record,
                                         &ps, &t),
                        ==, -EOPNOTSUPP);
        changes_clear(&cs);
        g_assert_true(t.ipv4_only);
        g_assert_cmpuint(ss.commits, ==, 3); /* IPv4, IPv6 refused, the put-back refused: no retry */
        g_assert_cmpuint(ps.calls, ==, 1);
        g_assert_nonnull(t.before[0]);
        g_assert_cmpuint(bs_table_find_chain(t.after[0], "INPUT")->n_rules, ==, 1);
        assert_S(&v4, "-P INPUT ACCEPT\n-P FORWARD ACCEPT\n-P OUTPUT ACCEPT\n"
                      "-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT\n"
                      "-A INPUT -p tcp -m tcp --dport 1999 -j ACCEPT\n");
        assert_S(&v6, "-P INPUT ACCEPT\n-P FORWARD ACCEPT\n-P OUTPUT ACCEPT\n");
        g_unlink(ss.other_lock);
}

/* Both families as one unit: both rewritten, or, when the IPv6 commit is
 * refused, IPv4 put back as it was. */
static void test_rewrite_both(void) {
        reset_tables();
        sh_ok("%1$s -A INPUT -p udp --dport 5555 -j ACCEPT; %1$s -Z", v4.cli);
        bs_nf_read_cache caches[2] = {};

        rewrite_state st = { .add_port = 80 };
        g_assert_cmpint(B->rewrite_both("filter", BS_FAMILY_MASK_BOTH, NULL, caches, rewrite_add, &st, NULL), ==, 0);
        g_assert_cmpuint(st.calls, ==, 2);
        assert_S(&v4, "-P INPUT ACCEPT\n-P FORWARD ACCEPT\n-P OUTPUT ACCEPT\n"
                      "-A INPUT -p udp -m udp --dport 5555 -j ACCEPT\n"
                      "-A INPUT -p tcp -m tcp --dport 80 -j ACCEPT\n");
        assert_S(&v6, "-P INPUT ACCEPT\n-P FORWARD ACCEPT\n-P OUTPUT ACCEPT\n"
                      "-A INPUT -p tcp -m tcp --dport 80 -j ACCEPT\n");
        read_cached_checked(&v4, &caches[0]);
        read_cached_checked(&v6, &caches[1]);

        /* the kernel refuses the IPv6 rule: with iptables-legacy, IPv4
         * goes first, is committed, then put back when IPv6 is refused;
         * with iptables-nft, the one batch of both is refused */
        sh_ok("%s -D INPUT 2; %s -D INPUT 1", v4.cli, v6.cli);
        send_udp(BS_FAMILY_IPV4, 5555, 5, 1);
        g_autofree char *before4 = save(&v4, "filter");
        g_autofree char *before6 = save(&v6, "filter");
        g_assert_nonnull(strstr(before4, "[5:145] -A INPUT -p udp -m udp --dport 5555 -j ACCEPT"));
        unsigned commits = 0;
        bs_nf_options o = counting_commits(&commits);
        st = (rewrite_state) { .add_port = 81, .bad_match = true };
        int r = B->rewrite_both("filter", BS_FAMILY_MASK_BOTH, &o, caches, rewrite_add, &st, NULL);
        g_assert_cmpint(r, ==, -EOPNOTSUPP);
        g_assert_cmpuint(commits, ==, legacy() ? 3 : 1);
        assert_saved_still(before4, before6);
        bs_nf_read_cache_done(&caches[0]);
        bs_nf_read_cache_done(&caches[1]);
}

/* The retry also covers a change made with libiptc itself, and applies to
 * restore and zero. */
static void append_with_libiptc(void *userdata) {
        unsigned *calls = userdata;
        if ((*calls)++ > 0)
                return;
        struct xtc_handle *h = iptc_init("filter");
        g_assert_nonnull(h);
        struct {
                struct ipt_entry e;
                struct xt_standard_target t;
        } entry = {};
        entry.e.target_offset = sizeof(entry.e);
        entry.e.next_offset = sizeof(entry);
        entry.t.target.u.target_size = XT_ALIGN(sizeof(entry.t));
        g_strlcpy(entry.t.target.u.user.name, "DROP", sizeof(entry.t.target.u.user.name));
        static const xt_chainlabel output = "OUTPUT";
        g_assert_true(iptc_append_entry(output, &entry.e, h));
        g_assert_true(iptc_commit(h));
        iptc_free(h);
}

static void test_retry_libiptc(void) {
        reset_tables();
        _cleanup_table_ bs_table *empty = read_table(BS_FAMILY_IPV4, "filter");
        sh_ok("iptables-legacy -A INPUT -j ACCEPT");

        unsigned calls = 0;
        bs_nf_options o = BS_NF_OPTIONS_DEFAULT;
        o.before_commit = append_with_libiptc;
        o.userdata = &calls;
        g_assert_cmpint(bs_nf_restore(empty, &o), ==, 0);
        g_assert_cmpuint(calls, ==, 2);
        /* the restore was redone on the table with their rule: the snapshot wins */
        assert_S(&v4, "-P INPUT ACCEPT\n-P FORWARD ACCEPT\n-P OUTPUT ACCEPT\n");

        sh_ok("iptables-legacy -A INPUT -j ACCEPT");
        calls = 0;
        g_assert_cmpint(bs_nf_zero(BS_FAMILY_IPV4, "filter", NULL, &o), ==, 0);
        g_assert_cmpuint(calls, ==, 2);
        assert_S(&v4, "-P INPUT ACCEPT\n-P FORWARD ACCEPT\n-P OUTPUT ACCEPT\n-A INPUT -j ACCEPT\n-A OUTPUT -j DROP\n");
}

static void test_apply_both(void) {
        reset_tables();
        changes cs = {};
        add(&cs, BS_CHANGE_NEW_CHAIN, BS_FAMILY_MASK_BOTH, "svc", 0);
        add_rule(&cs, BS_CHANGE_APPEND, BS_FAMILY_IPV4, "INPUT", 0, IPPROTO_TCP, 22, BS_TARGET_JUMP, "svc");
        add_rule(&cs, BS_CHANGE_APPEND, BS_FAMILY_IPV6, "INPUT", 0, IPPROTO_TCP, 22, BS_TARGET_JUMP, "svc");
        add(&cs, BS_CHANGE_POLICY, BS_FAMILY_MASK_BOTH, "FORWARD", 0)->policy = BS_POLICY_DROP;
        g_assert_cmpint(B->apply_both("filter", cs.items, cs.n, BS_FAMILY_MASK_BOTH, NULL, NULL, NULL, NULL, NULL), ==, 0);
        changes_clear(&cs);
        const char *expect = "-P INPUT ACCEPT\n-P FORWARD DROP\n-P OUTPUT ACCEPT\n-N svc\n"
                             "-A INPUT -p tcp -m tcp --dport 22 -j svc\n";
        assert_S(&v4, expect);
        assert_S(&v6, expect);
}

/* The IPv6 part is refused by the kernel (a match it has no module for):
 * IPv4 stays what it was, counters included (legacy: committed and put
 * back; nft: never committed, the batch of both refused). */
static void test_apply_both_rollback(void) {
        reset_tables();
        sh_ok("%1$s -A INPUT -p udp --dport 5555 -j ACCEPT; %1$s -Z", v4.cli);
        send_udp(BS_FAMILY_IPV4, 5555, 5, 1);
        g_autofree char *before4 = save(&v4, "filter");
        g_autofree char *before6 = save(&v6, "filter");

        changes cs = {};
        add(&cs, BS_CHANGE_POLICY, BS_FAMILY_MASK_BOTH, "INPUT", 0)->policy = BS_POLICY_DROP;
        add_rule(&cs, BS_CHANGE_INSERT, BS_FAMILY_IPV4, "INPUT", 1, IPPROTO_TCP, 22, BS_TARGET_ACCEPT, NULL);
        add_refused_ipv6(&cs, 22);

        unsigned commits = 0;
        bs_nf_options o = counting_commits(&commits);
        g_assert_cmpint(B->apply_both("filter", cs.items, cs.n, BS_FAMILY_MASK_BOTH, &o, NULL, NULL, NULL, NULL), ==, -EOPNOTSUPP);
        changes_clear(&cs);
        /* legacy: IPv4 committed, IPv6 refused, IPv4 restored; nft: one
         * batch, refused whole */
        g_assert_cmpuint(commits, ==, legacy() ? 3 : 1);

        assert_saved_still(before4, before6); /* counters included: */
        g_assert_nonnull(strstr(before4, "[5:145] -A INPUT -p udp -m udp --dport 5555 -j ACCEPT"));
}

/* ------------------------------------------------------------- restore */

static void test_restore(gconstpointer data) {
        const family_case *f = data;
        const char *c = f->cli;
        reset_tables();
        sh_ok("%1$s -P INPUT DROP; %1$s -P FORWARD DROP; %1$s -N alpha; %1$s -N beta; "
              "%1$s -A INPUT -j alpha; %1$s -A INPUT -m recent --name seen --set; "
              "%1$s -A INPUT -p tcp -m string --algo bm --string hello -j DROP; "
              "%1$s -A INPUT -i lo -j ACCEPT; "
              "%1$s -A alpha -p udp --dport 5555 -j beta; %1$s -A beta -j RETURN; %1$s -Z",
              c);
        /* the mangle table too where the backend manages more than filter */
        bool mangle = legacy();
        if (mangle)
                sh_ok("%1$s -t mangle -N tagged; %1$s -t mangle -A PREROUTING -j MARK --set-mark 0x1; "
                      "%1$s -t mangle -A tagged -j RETURN; %1$s -t mangle -Z",
                      c);
        send_udp(f->family, 5555, 3, 7);

        _cleanup_table_ bs_table *snap = read_table(f->family, "filter");
        _cleanup_table_ bs_table *snap_mangle = mangle ? read_table(f->family, "mangle") : NULL;
        g_autofree char *text = save(f, "filter");
        g_autofree char *text_mangle = mangle ? save(f, "mangle") : NULL;
        g_assert_nonnull(strstr(text, "-m recent"));
        g_assert_nonnull(strstr(text, "-m string"));
        if (mangle)
                g_assert_nonnull(strstr(text_mangle, "-j MARK"));

        /* change everything */
        sh_ok("%1$s -F; %1$s -X; %1$s -P INPUT ACCEPT; %1$s -N gamma; %1$s -N alpha; %1$s -A gamma -j DROP; "
              "%1$s -A INPUT -j gamma; %1$s -A OUTPUT -p tcp --dport 1 -j ACCEPT",
              c);
        if (mangle)
                sh_ok("%1$s -t mangle -F; %1$s -t mangle -X; %1$s -t mangle -A POSTROUTING -j MARK --set-mark 2", c);
        send_udp(f->family, 5555, 2, 1);
        g_autofree char *changed = save(f, "filter");
        g_assert_cmpstr(changed, !=, text);

        g_assert_cmpint(B->restore(snap, NULL), ==, 0);
        if (mangle)
                g_assert_cmpint(B->restore(snap_mangle, NULL), ==, 0);

        /* exactly the snapshot: rules, chains, policies and every counter */
        g_autofree char *now = save(f, "filter");
        g_assert_cmpstr(now, ==, text);
        _cleanup_table_ bs_table *again = read_table(f->family, "filter");
        g_assert_true(bs_table_equal(again, snap));
        if (mangle) {
                g_autofree char *now_mangle = save(f, "mangle");
                g_assert_cmpstr(now_mangle, ==, text_mangle);
                _cleanup_table_ bs_table *again_mangle = read_table(f->family, "mangle");
                g_assert_true(bs_table_equal(again_mangle, snap_mangle));
        }

        /* the restored rules work: the recent and string matches still match */
        send_udp(f->family, 5555, 1, 1);
        _cleanup_table_ bs_table *after = read_table(f->family, "filter");
        g_assert_cmpstr(rule_at(after, "INPUT", 1)->matches[0].opaque.name, ==, "recent");
        g_assert_cmpuint(rule_at(after, "INPUT", 1)->packets, ==, rule_at(snap, "INPUT", 1)->packets + 1);

        /* a snapshot of the other family, or with other built-ins: refused */
        g_autofree char *filter_now = save(f, "filter");
        bs_table *wrong = NULL;
        g_assert_cmpint(bs_table_copy(&wrong, snap), ==, 0);
        wrong->family = f->family == BS_FAMILY_IPV4 ? BS_FAMILY_IPV6 : BS_FAMILY_IPV4;
        g_assert_cmpint(B->restore(wrong, NULL), ==, -EAFNOSUPPORT);
        bs_table_free(wrong);
        g_autofree char *filter_still = save(f, "filter");
        g_assert_cmpstr(filter_still, ==, filter_now);
        if (!mangle)
                return;
        g_autofree char *mangle_now = save(f, "mangle");
        g_assert_cmpint(bs_table_copy(&wrong, snap), ==, 0);
        g_strlcpy(wrong->name, "mangle", sizeof(wrong->name)); /* filter's built-ins on mangle */
        g_assert_cmpint(B->restore(wrong, NULL), ==, -EINVAL);
        bs_table_free(wrong);
        g_autofree char *unchanged = save(f, "mangle");
        g_assert_cmpstr(unchanged, ==, mangle_now);
}

/* A policy set through the backend counts the packets it decides, also
 * in a built-in chain iptables made by adding a rule (iptables-nft makes
 * such a base chain without counters, and one that never got them never
 * counts: the check's counters and `rules -v` would show 0 for ever). */
static void test_policy_counts(gconstpointer data) {
        const family_case *f = data;
        reset_tables();
        sh_ok("%s -A INPUT -p udp --dport 5555 -j ACCEPT", f->cli);
        const bs_policy policies[] = { BS_POLICY_DROP, BS_POLICY_ACCEPT };
        for (size_t i = 0; i < G_N_ELEMENTS(policies); i++) {
                changes cs = {};
                add(&cs, BS_CHANGE_POLICY, bs_family_mask(f->family), "INPUT", 0)->policy = policies[i];
                g_assert_cmpint(apply_one(f->family, cs.items, cs.n, NULL, NULL), ==, 0);
                changes_clear(&cs);
        }
        send_udp(f->family, 5556, 3, 0);
        _cleanup_table_ bs_table *t = read_table(f->family, "filter");
        const bs_chain *input = bs_table_find_chain(t, "INPUT");
        g_assert_cmpint(input->policy, ==, BS_POLICY_ACCEPT);
        g_assert_cmpuint(input->policy_packets, ==, 3);
}

/* ---------------------------------------------------------------- zero */

static void test_zero(gconstpointer data) {
        const family_case *f = data;
        reset_tables();
        sh_ok("%1$s -A INPUT -p udp --dport 5555 -j ACCEPT; %1$s -A OUTPUT -p udp --dport 5555 -j ACCEPT; "
              "%1$s -Z", f->cli);
        send_udp(f->family, 5555, 2, 0);
        send_udp(f->family, 5556, 3, 0);
        g_assert_cmpint(B->zero(f->family, "filter", "INPUT", NULL), ==, 0);
        _cleanup_table_ bs_table *t = read_table(f->family, "filter");
        g_assert_cmpuint(rule_at(t, "INPUT", 0)->packets, ==, 0);
        g_assert_cmpuint(t->chains[0].policy_packets, ==, 0);
        g_assert_cmpuint(rule_at(t, "OUTPUT", 0)->packets, ==, 2);
        g_assert_cmpuint(t->chains[2].policy_packets, ==, 3);

        g_assert_cmpint(B->zero(f->family, "filter", "nosuch", NULL), ==, -ENOENT);
        g_assert_cmpint(B->zero(f->family, "filter", NULL, NULL), ==, 0);
        g_autofree char *text = save(f, "filter");
        g_assert_null(strstr(text, "[2:"));
        g_assert_null(strstr(text, "[3:"));
        g_assert_nonnull(strstr(text, ":OUTPUT ACCEPT [0:0]"));
}

/* ------------------------------------------------------ nf_tables' ways */

/* iptables-nft: a change deletes and inserts only the rules it changes;
 * every other rule keeps its handle in the kernel (and so its counters). */
static void test_incremental(gconstpointer data) {
        const family_case *f = data;
        reset_tables();
        g_autoptr(GString) script = g_string_new("*filter\n");
        for (unsigned i = 0; i < 500; i++)
                g_string_append_printf(script, "-A INPUT -p tcp --dport %u -j ACCEPT\n", 10000 + i);
        g_string_append(script, "COMMIT\n");
        g_autofree char *path = g_strdup_printf("%s.rules", lock_path);
        g_assert_true(g_file_set_contents(path, script->str, -1, NULL));
        sh_ok("%s %s", bs_test_iptables_restore(f->family), path);
        g_unlink(path);
        _cleanup_table_ bs_table *before = read_table(f->family, "filter");

        changes cs = {};
        add_rule(&cs, BS_CHANGE_INSERT, f->family, "INPUT", 1, IPPROTO_TCP, 22, BS_TARGET_ACCEPT, NULL);
        add(&cs, BS_CHANGE_DELETE_NUM, bs_family_mask(f->family), "INPUT", 251);
        _cleanup_table_ bs_table *result = NULL;
        g_assert_cmpint(apply_one(f->family, cs.items, cs.n, NULL, &result), ==, 0);
        changes_clear(&cs);
        _cleanup_table_ bs_table *after = read_table(f->family, "filter");
        g_assert_true(bs_table_equal(after, result));
        const bs_chain *b = bs_table_find_chain(before, "INPUT"), *a = bs_table_find_chain(after, "INPUT");
        g_assert_cmpuint(a->n_rules, ==, 500);
        /* what the apply handed back knows the kernel's handles, new rule included */
        for (size_t i = 0; i < a->n_rules; i++)
                g_assert_cmpuint(rule_at(result, "INPUT", i)->origin, ==, a->rules[i].origin);
        g_assert_cmpuint(a->rules[0].origin, >, b->rules[b->n_rules - 1].origin);
        for (size_t i = 1; i < a->n_rules; i++) {
                /* rule 251 of the table with the new rule first: the old 250th (index 249) */
                size_t old = i - 1 < 249 ? i - 1 : i;
                g_assert_cmpuint(a->rules[i].origin, ==, b->rules[old].origin);
        }
}

/* iptables-nft: a batch of many inserts asks the kernel for the handles
 * of its first rules only; a later change that deletes one of the others,
 * or inserts before it, reads their handles then, and is right. */
static void test_handles_read_later(gconstpointer data) {
        const family_case *f = data;
        int slot = f->family == BS_FAMILY_IPV4 ? 0 : 1;
        reset_tables();
        bs_nf_read_cache caches[2] = {};
        changes cs = {};
        for (unsigned i = 0; i < 60; i++)
                add_rule(&cs, BS_CHANGE_APPEND, f->family, "INPUT", 0, IPPROTO_TCP, (uint16_t) (20000 + i),
                         BS_TARGET_ACCEPT, NULL);
        /* five batches of 60: 300 inserts, past the echoed first 256 */
        for (unsigned round = 0; round < 5; round++)
                g_assert_cmpint(B->apply_both("filter", cs.items, cs.n, bs_family_mask(f->family), NULL, caches, NULL,
                                              NULL, NULL),
                                ==, 0);
        changes_clear(&cs);
        const bs_chain *input = bs_table_find_chain(caches[slot].table, "INPUT");
        g_assert_cmpuint(input->n_rules, ==, 300);

        /* 300 more in one batch: the last 44 have no handle yet */
        bs_change *many = g_new0(bs_change, 300);
        for (unsigned i = 0; i < 300; i++) {
                bs_change_init(&many[i], BS_CHANGE_APPEND, bs_family_mask(f->family));
                g_strlcpy(many[i].chain, "INPUT", sizeof(many[i].chain));
                port_rule(&many[i].rule, f->family, IPPROTO_UDP, (uint16_t) (30000 + i), BS_TARGET_DROP, NULL);
        }
        g_assert_cmpint(B->apply_both("filter", many, 300, bs_family_mask(f->family), NULL, caches, NULL, NULL, NULL),
                        ==, 0);
        for (unsigned i = 0; i < 300; i++)
                bs_change_done(&many[i]);
        g_free(many);
        input = bs_table_find_chain(caches[slot].table, "INPUT");
        g_assert_cmpuint(input->n_rules, ==, 600);
        g_assert_cmpuint(input->rules[599].origin, ==, 0);  /* not asked for */
        g_assert_cmpuint(input->rules[300].origin, !=, 0);

        /* delete the last, insert before the one before it */
        add(&cs, BS_CHANGE_DELETE_NUM, bs_family_mask(f->family), "INPUT", 600);
        add_rule(&cs, BS_CHANGE_INSERT, f->family, "INPUT", 599, IPPROTO_TCP, 443, BS_TARGET_ACCEPT, NULL);
        bs_nf_transition t = {};
        g_assert_cmpint(B->apply_both("filter", cs.items, cs.n, bs_family_mask(f->family), NULL, caches, NULL, NULL,
                                      &t),
                        ==, 0);
        changes_clear(&cs);
        _cleanup_table_ bs_table *now = read_table(f->family, "filter");
        g_assert_true(bs_table_equal(now, t.after[slot]));
        const bs_chain *c = bs_table_find_chain(now, "INPUT");
        g_assert_cmpuint(c->n_rules, ==, 600);
        g_assert_cmpuint(c->rules[598].matches[0].tcp.dport.lo, ==, 443);
        g_assert_cmpuint(c->rules[599].matches[0].udp.dport.lo, ==, 30298);
        bs_nf_transition_done(&t);
        bs_nf_read_cache_done(&caches[0]);
        bs_nf_read_cache_done(&caches[1]);
}

/* iptables-nft: a table with what iptables-nft itself cannot show (an
 * expression of the nft tool's) is not ours to change: refused, left as
 * it is. */
static void test_foreign_table_left_alone(gconstpointer data) {
        const family_case *f = data;
        reset_tables();
        const char *fam = f->family == BS_FAMILY_IPV6 ? "ip6" : "ip";
        sh_ok("%1$s -A INPUT -p tcp --dport 22 -j ACCEPT; nft add rule %2$s filter INPUT meta skuid 0 counter accept",
              f->cli, fam);
        g_autofree char *before = sh("nft list table %s filter", fam);
        bs_table *t = NULL;
        g_assert_cmpint(B->read(f->family, "filter", NULL, &t), ==, -EOPNOTSUPP);
        g_assert_null(t);
        changes cs = {};
        add_rule(&cs, BS_CHANGE_APPEND, f->family, "INPUT", 0, IPPROTO_TCP, 80, BS_TARGET_ACCEPT, NULL);
        g_assert_cmpint(apply_one(f->family, cs.items, cs.n, NULL, NULL), ==, -EOPNOTSUPP);
        changes_clear(&cs);
        g_autofree char *after = sh("nft list table %s filter", fam);
        g_assert_cmpstr(after, ==, before);
}

int main(int argc, char **argv) {
        int r = nf_test_init(&argc, &argv);
        if (r != 0)
                return r;
        nf_test_add_both("apply-each-kind", test_apply_each_kind);
        nf_test_add_both("apply-delete-by-value", test_apply_delete_by_value);
        nf_test_add_both("apply-keeps-counters", test_apply_keeps_counters);
        nf_test_add_both("apply-errors", test_apply_errors);
        nf_test_add_both("apply-retry", test_apply_retry);
        nf_test_add_both("apply-cached", test_apply_cached);
        nf_test_add_both("rewrite", test_rewrite);
        nf_test_add_both("restore", test_restore);
        nf_test_add_both("zero", test_zero);
        nf_test_add_both("policy-counts", test_policy_counts);
        g_test_add_func("/nf/apply-both", test_apply_both);
        g_test_add_func("/nf/apply-both-rollback", test_apply_both_rollback);
        g_test_add_func("/nf/apply-both-prepare", test_apply_both_prepare);
        g_test_add_func("/nf/rewrite-both", test_rewrite_both);
        if (!legacy()) {
                nf_test_add_both("incremental", test_incremental);
                nf_test_add_both("handles-read-later", test_handles_read_later);
                nf_test_add_both("foreign-table-left-alone", test_foreign_table_left_alone);
        }
        if (legacy()) {
                /* libiptc's own ways: another libiptc commit in between,
                 * and IPv4 committed alone */
                g_test_add_func("/nf/retry-libiptc", test_retry_libiptc);
                g_test_add_func("/nf/apply-both-ipv4-stuck", test_apply_both_ipv4_stuck);
        }
        return nf_test_run();
}
