/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Shared by the table-access tests against the real kernel (test-nf-read,
 * -apply, -raw, -lock), through the backend under test (test-backend.h)
 * with its own iptables as the oracle: iptables-legacy / ip6tables-legacy,
 * or iptables-nft / ip6tables-nft. Each test process runs in its own
 * network namespace with XTABLES_LOCKFILE pointing at a private file
 * (nf_test_init), so they may run in parallel. */

#include <glib.h>

#include "nf.h"
#include "test-backend.h"

typedef struct family_case {
        bs_family family;
        const char *cli;   /* iptables-legacy / ip6tables-legacy, or the -nft ones */
        const char *save;  /* ...-save */
} family_case;

/* set by nf_test_init for the backend under test */
extern family_case v4, v6;
/* the backend under test */
#define B (bs_test_backend())
/* Whether the backend under test is iptables-legacy, whose own ways (the
 * xtables lock, libiptc, a commit per family) some tests check. */
static inline bool legacy(void) {
        return !bs_test_backend_is_nft();
}
/* One family's changes as one commit through the backend under test (the
 * changes for both families count for this one): bs_nf_apply for legacy,
 * apply_both for this family alone otherwise. *result: the table after. */
int apply_one(bs_family f, const bs_change *items, size_t n, const bs_nf_options *o, bs_table **result);
/* the private XTABLES_LOCKFILE */
extern char lock_path[PATH_MAX];

/* g_test_init, then unshare(CLONE_NEWNET), a private lock file, lo up: 0,
 * or 77 (skip) when not root or no namespaces. */
int nf_test_init(int *argc, char ***argv);
/* The test at "/nf/ipv4/PATH" and "/nf/ipv6/PATH", data the family_case. */
void nf_test_add_both(const char *path, GTestDataFunc fn);
/* g_test_run, then the lock file removed. */
int nf_test_run(void);

/* Runs a shell command (in our namespace, with our lock file), asserts it
 * succeeded, returns its stdout. */
char *sh(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
#define sh_ok(...) g_free(sh(__VA_ARGS__))
/* iptables-legacy-save of one table, with counters, without the comment
 * lines (they carry the time). */
char *save(const family_case *f, const char *table);
void reset_tables(void);
/* n UDP datagrams of payload bytes to loopback:port, received there (no
 * ICMP answers). IPv4: 28 + payload bytes each; IPv6: 48 + payload. */
void send_udp(bs_family f, uint16_t port, unsigned n, size_t payload);
void port_rule(bs_rule *r, bs_family f, uint8_t proto, uint16_t port, bs_target_kind target, const char *chain);
/* A match the kernel has no module for: a commit with it is refused. */
void add_unknown_match(bs_rule *r);

/* A growing list of changes. */
typedef struct changes {
        bs_change items[64];
        size_t n;
} changes;

bs_change *add(changes *cs, bs_change_kind kind, unsigned families, const char *chain, uint32_t position);
/* A rule change (APPEND, INSERT, REPLACE, DELETE) with a port rule. */
bs_change *add_rule(changes *cs, bs_change_kind kind, bs_family f, const char *chain, uint32_t position,
                    uint8_t proto, uint16_t port, bs_target_kind target, const char *to);
/* An IPv6 append with a match the kernel has no module for: refused at
 * the commit, after IPv4 is committed. */
void add_refused_ipv6(changes *cs, uint16_t port);
void changes_clear(changes *cs);

bs_table *read_table(bs_family f, const char *table);
const bs_rule *rule_at(const bs_table *t, const char *chain, size_t i);
/* A cached read, asserted equal (counters included) to a fresh read. */
const bs_table *read_cached_checked_with(const family_case *f, bs_nf_read_cache *cache, const bs_nf_options *o);
const bs_table *read_cached_checked(const family_case *f, bs_nf_read_cache *cache);
/* iptables-legacy -S of INPUT equals expect. */
void assert_S(const family_case *f, const char *expect);

/* bs_nf_rewrite_both's compute step for the tests: the current table plus
 * one rule at the end of INPUT (for IPv6 with a match the kernel does not
 * have when bad_match), or nothing (add_port 0), or an error. */
typedef struct rewrite_state {
        bs_family family;
        uint16_t add_port;
        int fail;
        bool bad_match;
        unsigned calls;
        size_t last_input_rules;
} rewrite_state;
int rewrite_add(const bs_table *current, void *userdata, bs_table **ret);

/* Both families' filter tables are still as saved (counters included). */
void assert_saved_still(const char *saved4, const char *saved6);
/* Options that count the commits into *commits. */
bs_nf_options counting_commits(unsigned *commits);
