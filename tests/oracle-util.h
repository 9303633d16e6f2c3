/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What test-oracle, test-oracle-bad and test-oracle-opaque share: the two
 * families' iptables tools (legacy; nft for test-oracle-nft), the corpus files under tests/oracle,
 * running the CLI, reports of where rules and tables differ, and the
 * set-up: root, the legacy tools, a network namespace and an xtables lock
 * of the test's own (the host's firewall is never touched). */

#include <glib.h>
#include <stdbool.h>

#include "backend.h"
#include "nf.h"
#include "rule.h"
#include "text.h"

typedef struct family_ctx {
        bs_family family;
        const char *name;   /* "ipv4" */
        const char *ipt;    /* iptables-legacy */
        const char *save;   /* iptables-legacy-save */
        const char *rules;  /* corpus file names under tests/oracle */
        const char *bad;
        const bs_backend *backend;  /* the one that reads and writes what ipt does */
        bool nft;           /* iptables-nft: the table lives in nf_tables */
} family_ctx;

/* iptables-legacy; iptables-nft. */
extern const family_ctx family_v4, family_v6, family_nft_v4, family_nft_v6;
extern const bs_nf_options nf_options;

/* ------------------------------------------------------------- the corpus */

typedef struct corpus_line {
        unsigned lineno;
        char *chain;
        char *rule;  /* the options after "-A CHAIN", as typed */
} corpus_line;

typedef struct corpus {
        char *path;
        GPtrArray *chains;  /* char *, from "#chains:" */
        GArray *lines;      /* corpus_line */
} corpus;

void corpus_free(corpus *c);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(corpus, corpus_free)
/* tests/oracle/FILE: "#chains:" names and "CHAIN<TAB>rule" lines; with
 * BS_ORACLE_ONLY=TEXT, only the lines containing TEXT. */
corpus *corpus_load(const char *file);

/* --------------------------------------------------------- running the CLI */

/* Runs argv (fork + exec, no shell); returns the exit status, or -1 when
 * it could not run or was killed. Output and errors are returned when
 * asked for. */
int run_argv(char *const *argv, char **ret_out, char **ret_err);
/* Runs the family's CLI with the given arguments (NULL-terminated) and
 * then extra words; the status as run_argv. */
int run_ipt(const family_ctx *f, char **ret_out, char **ret_err, char *const *extra, size_t n_extra, ...);
/* Runs the CLI (arguments NULL-terminated) and asserts it succeeds: for
 * the test's own setup steps. */
void ipt_ok(const family_ctx *f, ...) G_GNUC_NULL_TERMINATED;
/* `iptables-legacy [-v] -S [CHAIN]`, asserted to succeed. */
char *ipt_list_full(const family_ctx *f, const char *chain, bool verbose);
char *ipt_list(const family_ctx *f, const char *chain);
/* iptables-save [-c] output for one table as printed (ret_raw, when asked
 * for) and without its "# Generated/Completed" comment lines (they carry
 * the time). */
char *ipt_save_full(const family_ctx *f, const char *table, bool counters, char **ret_raw);
char *ipt_save(const family_ctx *f, const char *table);
/* Back to an empty table: no rules, no user chains, built-ins ACCEPT. */
void reset_table(const family_ctx *f, const char *table);

/* ------------------------------------------------------------ diagnostics */

/* The lines of a and b that differ, for whole-table listings. */
void append_line_diff(GString *s, const char *a_name, const char *a, const char *b_name, const char *b);
char *render_rule(const bs_rule *r);
/* Which parts of two rules differ, in model terms. */
void append_model_diff(GString *s, const char *a_name, const bs_rule *a, const char *b_name, const bs_rule *b);
/* Where two tables differ: chains, policies, rule counts, then the first
 * rule that differs, in model terms. */
void append_table_diff(GString *s, const char *a_name, const bs_table *a, const char *b_name, const bs_table *b);

/* ------------------------------------------------------------------- set-up */

/* g_test_init, then checks for root and the legacy tools, enters a network
 * namespace of its own and points XTABLES_LOCKFILE at a private file;
 * returns 77 (printed) when the test cannot run, 1 when it must not, else
 * 0. */
int oracle_init(int *argc, char ***argv);
/* The same for the families given (their tools; nf_tables for nft ones). */
int oracle_init_for(int *argc, char ***argv, const family_ctx *const *families, size_t n);
/* g_test_run, then removes the lock file; returns g_test_run's result. */
int oracle_run(void);
