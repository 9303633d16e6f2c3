/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The oracle test: iptables-legacy / ip6tables-legacy judge the netfilter
 * core. For every line of tests/oracle/rules-v{4,6}.txt:
 *
 *  (a) the CLI writes the rule (with counters, -c); bs_nf_read +
 *      bs_render_table must print exactly what `iptables-legacy -S`, `-S
 *      CHAIN` and `-v -S` print, bs_render_save what iptables-legacy-save
 *      (and -c) prints, and bs_parse_save of that output must give back the
 *      table read, counters included;
 *  (b) after a flush, bs_parse_change + bs_nf_apply write it; the CLI must
 *      print the same line as in (a), the parsed rule must equal the rule
 *      read in (a), and the table read back must equal the one of (a);
 *  (e) the command bs_render_change gives for the parsed change, run as
 *      iptables-legacy, writes the same rule again;
 *  (c) every line of bad-v{4,6}.txt: bs_parse_change refuses it with an
 *      error naming a word of the line;
 *  (d) rules the model does not know (recent, hashlimit, string, MARK, ...)
 *      survive bs_nf_read + bs_nf_restore byte for byte: iptables-save
 *      prints the same before and after.
 *
 * Failures are collected and printed all together (line, expected, actual,
 * and where the codec's bytes differ from the kernel's) before the test
 * fails, so each layer's owner can work from one run. BS_ORACLE_ONLY=TEXT
 * restricts the corpus to lines containing TEXT. Run by hand with
 * --keep-going (as meson does) to see every test's failures.
 *
 * Runs as root only (exit 77 otherwise), in its own network namespace with
 * its own xtables lock file: the host's firewall is never touched. */

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "codec.h"
#include "nf.h"
#include "oracle-entry.h"
#include "rule.h"
#include "text.h"

typedef struct family_ctx {
        bs_family family;
        const char *name;   /* "ipv4" */
        const char *ipt;    /* iptables-legacy */
        const char *save;   /* iptables-legacy-save */
        const char *rules;  /* corpus file names under tests/oracle */
        const char *bad;
} family_ctx;

static const family_ctx family_v4 = {
        .family = BS_FAMILY_IPV4,
        .name = "ipv4",
        .ipt = "iptables-legacy",
        .save = "iptables-legacy-save",
        .rules = "rules-v4.txt",
        .bad = "bad-v4.txt",
};

static const family_ctx family_v6 = {
        .family = BS_FAMILY_IPV6,
        .name = "ipv6",
        .ipt = "ip6tables-legacy",
        .save = "ip6tables-legacy-save",
        .rules = "rules-v6.txt",
        .bad = "bad-v6.txt",
};

static const bs_nf_options nf_options = BS_NF_OPTIONS_DEFAULT;

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

static void corpus_free(corpus *c) {
        if (!c)
                return;
        for (guint i = 0; i < c->lines->len; i++) {
                corpus_line *l = &g_array_index(c->lines, corpus_line, i);
                g_free(l->chain);
                g_free(l->rule);
        }
        g_array_unref(c->lines);
        g_ptr_array_unref(c->chains);
        g_free(c->path);
        g_free(c);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(corpus, corpus_free)

static corpus *corpus_load(const char *file) {
        g_autoptr(GError) error = NULL;
        g_autofree char *text = NULL;
        corpus *c = g_new0(corpus, 1);
        c->path = g_test_build_filename(G_TEST_DIST, "oracle", file, NULL);
        c->chains = g_ptr_array_new_with_free_func(g_free);
        c->lines = g_array_new(FALSE, TRUE, sizeof(corpus_line));

        g_file_get_contents(c->path, &text, NULL, &error);
        g_assert_no_error(error);

        const char *only = g_getenv("BS_ORACLE_ONLY");
        g_auto(GStrv) raw = g_strsplit(text, "\n", -1);
        for (unsigned i = 0; raw[i]; i++) {
                const char *l = raw[i];
                if (g_str_has_prefix(l, "#chains:")) {
                        g_auto(GStrv) names = g_strsplit_set(l + strlen("#chains:"), " \t", -1);
                        for (unsigned j = 0; names[j]; j++)
                                if (names[j][0])
                                        g_ptr_array_add(c->chains, g_strdup(names[j]));
                        continue;
                }
                if (l[0] == '\0' || l[0] == '#')
                        continue;
                const char *tab = strchr(l, '\t');
                if (!tab)
                        g_error("%s:%u: no TAB after the chain name", c->path, i + 1);
                if (only && !strstr(l, only))
                        continue;
                corpus_line cl = {
                        .lineno = i + 1,
                        .chain = g_strndup(l, tab - l),
                        .rule = g_strdup(tab + 1),
                };
                g_array_append_val(c->lines, cl);
        }
        return c;
}

/* --------------------------------------------------------- running the CLI */

/* Runs argv (fork + exec, no shell); returns the exit status, or -1 when
 * it could not run or was killed. Output and errors are returned when
 * asked for. */
static int run_argv(char *const *argv, char **ret_out, char **ret_err) {
        g_autoptr(GError) error = NULL;
        g_autofree char *out = NULL, *err = NULL;
        int status = 0;

        if (!g_spawn_sync(NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &err, &status,
                          &error)) {
                if (ret_err)
                        *ret_err = g_strdup(error->message);
                if (ret_out)
                        *ret_out = g_strdup("");
                return -1;
        }
        if (ret_out)
                *ret_out = g_steal_pointer(&out);
        if (ret_err)
                *ret_err = g_steal_pointer(&err);
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Runs the family's CLI with the given arguments (NULL-terminated) and
 * then extra words; the status as run_argv. */
static int run_ipt(const family_ctx *f, char **ret_out, char **ret_err, char *const *extra, size_t n_extra, ...) {
        g_autoptr(GPtrArray) argv = g_ptr_array_new();
        g_ptr_array_add(argv, (char *) f->ipt);
        va_list ap;
        va_start(ap, n_extra);
        for (const char *a; (a = va_arg(ap, const char *));)
                g_ptr_array_add(argv, (char *) a);
        va_end(ap);
        for (size_t i = 0; i < n_extra; i++)
                g_ptr_array_add(argv, extra[i]);
        g_ptr_array_add(argv, NULL);
        return run_argv((char *const *) argv->pdata, ret_out, ret_err);
}

/* Runs the CLI and asserts it succeeds: for the test's own setup steps. */
static void ipt_ok(const family_ctx *f, ...) {
        g_autoptr(GPtrArray) argv = g_ptr_array_new();
        g_ptr_array_add(argv, (char *) f->ipt);
        va_list ap;
        va_start(ap, f);
        for (const char *a; (a = va_arg(ap, const char *));)
                g_ptr_array_add(argv, (char *) a);
        va_end(ap);
        g_ptr_array_add(argv, NULL);
        g_autofree char *err = NULL;
        int r = run_argv((char *const *) argv->pdata, NULL, &err);
        if (r != 0) {
                g_autofree char *cmd = g_strjoinv(" ", (char **) argv->pdata);
                g_error("%s failed (%d): %s", cmd, r, err);
        }
}

/* `iptables-legacy [-v] -S [CHAIN]`, asserted to succeed. */
static char *ipt_list_full(const family_ctx *f, const char *chain, bool verbose) {
        g_autofree char *out = NULL, *err = NULL;
        char *extra[] = { (char *) "-v", (char *) "-S", (char *) chain };
        size_t skip = verbose ? 0 : 1, n = chain ? 3 : 2;
        int r = run_ipt(f, &out, &err, extra + skip, n - skip, NULL);
        if (r != 0)
                g_error("%s %s-S %s failed (%d): %s", f->ipt, verbose ? "-v " : "", chain ?: "", r, err);
        return g_steal_pointer(&out);
}

static char *ipt_list(const family_ctx *f, const char *chain) {
        return ipt_list_full(f, chain, false);
}

/* iptables-save [-c] output for one table as printed (ret_raw, when asked
 * for) and without its "# Generated/Completed" comment lines (they carry
 * the time). */
static char *ipt_save_full(const family_ctx *f, const char *table, bool counters, char **ret_raw) {
        const char *argv[] = { f->save, "-t", table, counters ? "-c" : NULL, NULL };
        g_autofree char *out = NULL, *err = NULL;
        int r = run_argv((char *const *) argv, &out, &err);
        if (r != 0)
                g_error("%s -t %s failed (%d): %s", f->save, table, r, err);
        if (ret_raw)
                *ret_raw = g_strdup(out);
        g_auto(GStrv) lines = g_strsplit(out, "\n", -1);
        GString *s = g_string_new(NULL);
        for (unsigned i = 0; lines[i]; i++)
                if (lines[i][0] && lines[i][0] != '#')
                        g_string_append_printf(s, "%s\n", lines[i]);
        return g_string_free(s, FALSE);
}

static char *ipt_save(const family_ctx *f, const char *table) {
        return ipt_save_full(f, table, false, NULL);
}

/* Back to an empty table: no rules, no user chains, built-ins ACCEPT. */
static void reset_table(const family_ctx *f, const char *table) {
        ipt_ok(f, "-t", table, "-F", NULL);
        ipt_ok(f, "-t", table, "-X", NULL);
        if (streq(table, "filter")) {
                ipt_ok(f, "-P", "INPUT", "ACCEPT", NULL);
                ipt_ok(f, "-P", "FORWARD", "ACCEPT", NULL);
                ipt_ok(f, "-P", "OUTPUT", "ACCEPT", NULL);
        }
}

/* ------------------------------------------------------------ diagnostics */

static void append_indented(GString *s, const char *label, const char *text) {
        g_string_append_printf(s, "    %s\n", label);
        g_auto(GStrv) lines = g_strsplit(text ?: "", "\n", -1);
        for (unsigned i = 0; lines[i]; i++)
                if (lines[i][0] || lines[i + 1])
                        g_string_append_printf(s, "      |%s\n", lines[i]);
}

/* The lines of a and b that differ, for whole-table listings. */
static void append_line_diff(GString *s, const char *a_name, const char *a, const char *b_name, const char *b) {
        g_auto(GStrv) al = g_strsplit(a ?: "", "\n", -1);
        g_auto(GStrv) bl = g_strsplit(b ?: "", "\n", -1);
        unsigned na = g_strv_length(al), nb = g_strv_length(bl);
        for (unsigned i = 0; i < MAX(na, nb); i++) {
                const char *x = i < na ? al[i] : "(none)", *y = i < nb ? bl[i] : "(none)";
                if (streq(x, y))
                        continue;
                g_string_append_printf(s, "      line %u: %s: %s\n", i + 1, a_name, x);
                g_string_append_printf(s, "      line %u: %s: %s\n", i + 1, b_name, y);
        }
}

static char *render_rule(const bs_rule *r) {
        _cleanup_buf_ bs_buf b = {};
        int k = bs_render_rule(r, &b);
        if (k < 0)
                return g_strdup_printf("(bs_render_rule: %s)", g_strerror(-k));
        return g_strndup(b.data ?: "", b.len);
}

static const char *match_kind_name(bs_match_kind k) {
        static const char *const names[] = {
                [BS_MATCH_TCP] = "tcp",           [BS_MATCH_UDP] = "udp",
                [BS_MATCH_ICMP] = "icmp",         [BS_MATCH_ICMP6] = "icmp6",
                [BS_MATCH_CONNTRACK] = "conntrack", [BS_MATCH_MULTIPORT] = "multiport",
                [BS_MATCH_COMMENT] = "comment",   [BS_MATCH_LIMIT] = "limit",
                [BS_MATCH_ADDRTYPE] = "addrtype", [BS_MATCH_MAC] = "mac",
                [BS_MATCH_IPRANGE] = "iprange",   [BS_MATCH_OPAQUE] = "opaque",
        };
        return (unsigned) k < G_N_ELEMENTS(names) && names[k] ? names[k] : "?";
}

/* Which parts of two rules differ, in model terms. */
static void append_model_diff(GString *s, const char *a_name, const bs_rule *a, const char *b_name, const bs_rule *b) {
        g_string_append_printf(s, "    model differences (%s vs %s):", a_name, b_name);
        if (memcmp(&a->src, &b->src, sizeof(a->src)) || a->src_invert != b->src_invert)
                g_string_append(s, " src");
        if (memcmp(&a->dst, &b->dst, sizeof(a->dst)) || a->dst_invert != b->dst_invert)
                g_string_append(s, " dst");
        if (strncmp(a->in_iface, b->in_iface, IFNAMSIZ) || a->in_invert != b->in_invert)
                g_string_append_printf(s, " in_iface('%.*s'%s/'%.*s'%s)", IFNAMSIZ, a->in_iface,
                                       a->in_invert ? "!" : "", IFNAMSIZ, b->in_iface, b->in_invert ? "!" : "");
        if (strncmp(a->out_iface, b->out_iface, IFNAMSIZ) || a->out_invert != b->out_invert)
                g_string_append(s, " out_iface");
        if (a->proto != b->proto || a->proto_invert != b->proto_invert)
                g_string_append_printf(s, " proto(%u/%u)", a->proto, b->proto);
        if (a->frag != b->frag)
                g_string_append_printf(s, " frag(%u/%u)", a->frag, b->frag);
        if (a->n_matches != b->n_matches)
                g_string_append_printf(s, " n_matches(%zu/%zu)", a->n_matches, b->n_matches);
        for (size_t i = 0; i < MIN(a->n_matches, b->n_matches); i++)
                if (!bs_match_equal(&a->matches[i], &b->matches[i]))
                        g_string_append_printf(s, " match#%zu(%s/%s)", i, match_kind_name(a->matches[i].kind),
                                               match_kind_name(b->matches[i].kind));
        if (!bs_target_equal(&a->target, &b->target))
                g_string_append_printf(s, " target(kind %d/%d)", a->target.kind, b->target.kind);
        g_string_append(s, "\n");
}

/* Where two tables differ: chains, policies, rule counts, then the first
 * rule that differs, in model terms. */
static void append_table_diff(GString *s, const char *a_name, const bs_table *a, const char *b_name, const bs_table *b) {
        if (a->n_chains != b->n_chains) {
                g_string_append_printf(s, "      chains: %zu in %s, %zu in %s\n", a->n_chains, a_name, b->n_chains,
                                       b_name);
                return;
        }
        for (size_t i = 0; i < a->n_chains; i++) {
                const bs_chain *x = &a->chains[i], *y = &b->chains[i];
                if (!streq(x->name, y->name) || x->policy != y->policy || x->builtin != y->builtin ||
                    x->n_rules != y->n_rules) {
                        g_string_append_printf(s, "      chain #%zu: %s '%s' policy %d, %zu rules; %s '%s' policy %d, "
                                               "%zu rules\n", i, a_name, x->name, x->policy, x->n_rules, b_name,
                                               y->name, y->policy, y->n_rules);
                        return;
                }
                for (size_t j = 0; j < x->n_rules; j++)
                        if (!bs_rule_equal(&x->rules[j], &y->rules[j])) {
                                g_autofree char *rx = render_rule(&x->rules[j]), *ry = render_rule(&y->rules[j]);
                                g_string_append_printf(s, "      chain %s rule %zu:\n        %s: %s\n        %s: %s\n",
                                                       x->name, j + 1, a_name, rx, b_name, ry);
                                append_model_diff(s, a_name, &x->rules[j], b_name, &y->rules[j]);
                                return;
                        }
        }
}

/* How the codec's bytes for r compare with the kernel's entry. */
static void append_codec_diff(GString *s, const family_ctx *f, const char *what, const bs_rule *r,
                              const void *kentry, size_t ksize) {
        if (!kentry)
                return;
        _cleanup_free_ void *enc = NULL;
        size_t esize = 0;
        int k = bs_codec_encode(r, &enc, &esize);
        if (k < 0) {
                g_string_append_printf(s, "    bs_codec_encode(%s) failed: %s\n", what, g_strerror(-k));
                return;
        }
        g_autoptr(GString) d = g_string_new(NULL);
        bool same = f->family == BS_FAMILY_IPV6 ? oracle_entry_diff6(kentry, ksize, enc, esize, d)
                                                 : oracle_entry_diff4(kentry, ksize, enc, esize, d);
        if (same)
                g_string_append_printf(s, "    bytes: encode(%s) == kernel entry\n", what);
        else
                g_string_append_printf(s, "    bytes: encode(%s) != kernel entry:\n%s", what, d->str);
}

/* ------------------------------------------------------------ (a) and (b) */

typedef struct tally {
        unsigned lines, a_failed, b_failed, e_failed;
        GString *report;
} tally;

static const bs_rule *first_rule_of(const bs_table *t, const char *chain) {
        const bs_chain *c = t ? bs_table_find_chain(t, chain) : NULL;
        return c && c->n_rules > 0 ? &c->rules[0] : NULL;
}

static int render_table(const bs_table *t, const char *chain, bool counters, char **ret) {
        _cleanup_buf_ bs_buf b = {};
        int k = bs_render_table(t, chain, counters, &b);
        if (k < 0)
                return k;
        *ret = g_strndup(b.data ?: "", b.len);
        return 0;
}

/* bs_render_save without the comment lines, like ipt_save. */
static int render_save(const bs_table *t, bool counters, char **ret) {
        _cleanup_buf_ bs_buf b = {};
        int k = bs_render_save(t, counters, &b);
        if (k < 0)
                return k;
        g_autofree char *text = g_strndup(b.data ?: "", b.len);
        g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
        GString *s = g_string_new(NULL);
        for (unsigned i = 0; lines[i]; i++)
                if (lines[i][0] && lines[i][0] != '#')
                        g_string_append_printf(s, "%s\n", lines[i]);
        *ret = g_string_free(s, FALSE);
        return 0;
}

/* Compares one rendering with what the CLI printed; appends both on a
 * difference. */
static void compare_text(GString *out, const char *what, const char *want, const char *got) {
        if (streq(want, got))
                return;
        g_string_append_printf(out, "    %s differs:\n", what);
        append_line_diff(out, "iptables", want, "ours", got);
}

/* (a), beyond -S: -v -S, iptables-save with and without counters, and
 * bs_parse_save of the CLI's save output. */
static void check_read_forms(const family_ctx *f, const corpus_line *l, const bs_table *read_a, uint64_t packets,
                             uint64_t bytes, GString *fa) {
        g_autofree char *want_v = ipt_list_full(f, NULL, true), *want_chain_v = ipt_list_full(f, l->chain, true);
        g_autofree char *raw_c = NULL;
        g_autofree char *want_save = ipt_save(f, "filter"), *want_save_c = ipt_save_full(f, "filter", true, &raw_c);
        g_autofree char *got_v = NULL, *got_chain_v = NULL, *got_save = NULL, *got_save_c = NULL;
        int k;

        if ((k = render_table(read_a, NULL, true, &got_v)) < 0 ||
            (k = render_table(read_a, l->chain, true, &got_chain_v)) < 0)
                g_string_append_printf(fa, "    bs_render_table(counters) failed: %s\n", g_strerror(-k));
        else {
                compare_text(fa, "-v -S (counters)", want_v, got_v);
                compare_text(fa, "-v -S CHAIN (counters)", want_chain_v, got_chain_v);
        }
        if ((k = render_save(read_a, false, &got_save)) < 0 || (k = render_save(read_a, true, &got_save_c)) < 0)
                g_string_append_printf(fa, "    bs_render_save failed: %s\n", g_strerror(-k));
        else {
                compare_text(fa, "iptables-save", want_save, got_save);
                compare_text(fa, "iptables-save -c", want_save_c, got_save_c);
        }

        _cleanup_table_ bs_table *parsed = NULL;
        bs_parse_error err = { .word_index = -1 };
        k = bs_parse_save(f->family, raw_c, "filter", &parsed, &err);
        if (k < 0) {
                g_string_append_printf(fa, "    bs_parse_save(iptables-save -c output) failed: %s: word %d '%s': %s\n",
                                       g_strerror(-k), err.word_index, err.word, err.message);
                return;
        }
        /* iptables' text forms print nothing for an interface "+" (any
         * interface: the kernel keeps the name with an empty mask), so a
         * table read back from them has no interface there. That is a
         * limit of the iptables-save format, not of our reading; compare
         * against the table as that format can carry it. */
        _cleanup_table_ bs_table *expected = NULL;
        g_assert_cmpint(bs_table_copy(&expected, read_a), ==, 0);
        for (size_t i = 0; i < expected->n_chains; i++)
                for (size_t j = 0; j < expected->chains[i].n_rules; j++) {
                        bs_rule *er = &expected->chains[i].rules[j];
                        if (streq(er->in_iface, "+")) {
                                er->in_iface[0] = 0;
                                er->in_invert = false;
                        }
                        if (streq(er->out_iface, "+")) {
                                er->out_iface[0] = 0;
                                er->out_invert = false;
                        }
                }
        if (!bs_table_equal(parsed, expected)) {
                g_string_append(fa, "    bs_parse_save(iptables-save -c output) != table read:\n");
                append_table_diff(fa, "read", read_a, "parsed", parsed);
        }
        const bs_rule *r = first_rule_of(parsed, l->chain);
        if (r && (r->packets != packets || r->bytes != bytes))
                g_string_append_printf(fa, "    bs_parse_save counters: %" G_GUINT64_FORMAT ":%" G_GUINT64_FORMAT
                                           ", written %" G_GUINT64_FORMAT ":%" G_GUINT64_FORMAT "\n",
                                       r->packets, r->bytes, packets, bytes);
}

/* (e) the iptables command bs_render_change gives, run as iptables-legacy,
 * must write the same rule as (a). Appends what differs to fe. */
static void check_rendered_command(const family_ctx *f, const corpus_line *l, const bs_change *change,
                                   const char *want_chain, GString *fe) {
        _cleanup_buf_ bs_buf b = {};
        int k = bs_render_change(change, f->family, &b);
        if (k < 0) {
                g_string_append_printf(fe, "    bs_render_change failed: %s\n", g_strerror(-k));
                return;
        }
        g_autofree char *cmd = g_strndup(b.data ?: "", b.len);
        g_strchomp(cmd);
        char **words = NULL;
        size_t n = 0;
        bs_parse_error err = { .word_index = -1 };
        k = bs_split_words(cmd, &words, &n, &err);
        if (k < 0) {
                g_string_append_printf(fe, "    rendered command does not split: %s: %s\n    command: %s\n",
                                       g_strerror(-k), err.message, cmd);
                return;
        }
        const char *expect0 = f->family == BS_FAMILY_IPV6 ? "ip6tables" : "iptables";
        if (n < 2 || !streq(words[0], expect0)) {
                g_string_append_printf(fe, "    rendered command does not start with %s: %s\n", expect0, cmd);
                bs_words_free(words, n);
                return;
        }
        /* and our parser reads it back as the same change: what the
         * journal's recovery (which keeps only these commands) relies on */
        bs_change back;
        bs_parse_error perr = { .word_index = -1 };
        k = bs_parse_change_words(f->family, words + 1, n - 1, &back, &perr);
        if (k < 0)
                g_string_append_printf(fe, "    rendered command does not parse back: %s\n    command: %s\n",
                                       perr.message, cmd);
        else {
                if (back.kind != change->kind || !streq(back.chain, change->chain) ||
                    !bs_rule_equal(&back.rule, &change->rule))
                        g_string_append_printf(fe, "    rendered command parses back to another change\n"
                                                   "    command: %s\n", cmd);
                bs_change_done(&back);
        }
        ipt_ok(f, "-F", NULL);
        g_autofree char *cli_err = NULL;
        int r = run_ipt(f, NULL, &cli_err, words + 1, n - 1, NULL);
        bs_words_free(words, n);
        if (r != 0) {
                g_string_append_printf(fe, "    %s refused the rendered command: %s    command: %s\n", f->ipt,
                                       cli_err, cmd);
                return;
        }
        g_autofree char *got_chain = ipt_list(f, l->chain);
        if (!streq(got_chain, want_chain)) {
                g_string_append_printf(fe, "    command: %s\n", cmd);
                append_indented(fe, "iptables -S CHAIN after (a):", want_chain);
                append_indented(fe, "iptables -S CHAIN after the rendered command:", got_chain);
        }
}

/* (b) for a parsed change: apply it, compare what the CLI lists and what
 * we read back with (a). Appends what differs to fb. */
static void check_apply(const family_ctx *f, const corpus_line *l, const bs_change *change, const bs_table *read_a,
                        const void *kentry, size_t ksize, const char *want_all, const char *want_chain, GString *fb) {
        if (change->kind != BS_CHANGE_APPEND || !streq(change->chain, l->chain) || !streq(change->table, "filter") ||
            !(change->families & bs_family_mask(f->family)))
                g_string_append_printf(fb, "    parsed change: kind %d chain '%s' table '%s' families %#x\n",
                                       change->kind, change->chain, change->table, change->families);

        const bs_rule *rule_a = first_rule_of(read_a, l->chain);
        if (rule_a && !bs_rule_equal(&change->rule, rule_a)) {
                g_autofree char *ra = render_rule(rule_a), *rp = render_rule(&change->rule);
                g_string_append_printf(fb, "    parsed model != model read in (a)\n"
                                           "      rendered read  : %s\n      rendered parsed: %s\n", ra, rp);
                append_model_diff(fb, "read", rule_a, "parsed", &change->rule);
        }

        _cleanup_table_ bs_table *committed = NULL;
        int k = bs_nf_apply(f->family, "filter", change, 1, &nf_options, &committed);
        if (k < 0) {
                g_string_append_printf(fb, "    bs_nf_apply failed: %s\n", g_strerror(-k));
                append_codec_diff(fb, f, "parsed rule", &change->rule, kentry, ksize);
                return;
        }
        g_autofree char *got_all = ipt_list(f, NULL), *got_chain = ipt_list(f, l->chain);
        if (!streq(got_chain, want_chain)) {
                append_indented(fb, "iptables -S CHAIN after (a):", want_chain);
                append_indented(fb, "iptables -S CHAIN after bs_nf_apply:", got_chain);
        }
        if (!streq(got_all, want_all)) {
                g_string_append(fb, "    whole table (-S) differs:\n");
                append_line_diff(fb, "after (a)", want_all, "after apply", got_all);
        }
        _cleanup_table_ bs_table *read_b = NULL;
        k = bs_nf_read(f->family, "filter", &nf_options, &read_b);
        if (k < 0)
                g_string_append_printf(fb, "    bs_nf_read after apply failed: %s\n", g_strerror(-k));
        else if (read_a && !bs_table_equal(read_a, read_b)) {
                g_string_append(fb, "    table read after apply != table read in (a):\n");
                append_table_diff(fb, "(a)", read_a, "after apply", read_b);
        }
        if (committed && read_b && !bs_table_equal(committed, read_b)) {
                g_string_append(fb, "    bs_nf_apply's result table != table read back:\n");
                append_table_diff(fb, "result", committed, "read back", read_b);
        }
        if (fb->len > 0)
                append_codec_diff(fb, f, "parsed rule", &change->rule, kentry, ksize);
}

static void check_line(const family_ctx *f, const corpus_line *l, tally *t) {
        g_autoptr(GString) fa = g_string_new(NULL), fb = g_string_new(NULL);
        bs_parse_error perr = { .word_index = -1 };
        char **words = NULL;
        size_t n_words = 0;

        t->lines++;
        ipt_ok(f, "-F", NULL);

        /* (a) the CLI writes, we read and render. */
        int k = bs_split_words(l->rule, &words, &n_words, &perr);
        if (k < 0) {
                g_string_append_printf(fa, "    bs_split_words failed: %s (word '%s': %s)\n", g_strerror(-k),
                                       perr.word, perr.message);
                t->a_failed++;
                t->b_failed++;
                g_string_append_printf(t->report, "[a+b] %s line %u: %s %s\n%s", f->name, l->lineno, l->chain,
                                       l->rule, fa->str);
                return;
        }
        /* Counters the CLI sets, so that reading and rendering them is
         * checked too. */
        uint64_t packets = 1000 + l->lineno, bytes = 100000 + l->lineno;
        g_autofree char *pk = g_strdup_printf("%" G_GUINT64_FORMAT, packets);
        g_autofree char *by = g_strdup_printf("%" G_GUINT64_FORMAT, bytes);
        g_autofree char *cli_err = NULL;
        int r = run_ipt(f, NULL, &cli_err, words, n_words, "-A", l->chain, "-c", pk, by, NULL);
        bs_words_free(words, n_words);
        if (r != 0) {
                /* The corpus only holds lines iptables accepts (see
                 * tests/oracle/check-corpus.py): this is a corpus bug or a
                 * difference between our word splitting and a shell's. */
                g_string_append_printf(t->report, "[corpus] %s line %u: %s refused '-A %s %s': %s\n", f->name,
                                       l->lineno, f->ipt, l->chain, l->rule, cli_err);
                t->a_failed++;
                return;
        }
        g_autofree char *want_all = ipt_list(f, NULL), *want_chain = ipt_list(f, l->chain);

        g_autofree void *kentry = NULL;
        g_autofree char *klabel = NULL;
        size_t ksize = 0;
        k = f->family == BS_FAMILY_IPV6 ? oracle_kernel_entry6("filter", l->chain, 0, &kentry, &ksize, &klabel)
                                        : oracle_kernel_entry4("filter", l->chain, 0, &kentry, &ksize, &klabel);
        if (k < 0)
                g_error("reading the kernel entry of '%s' with libiptc: %s", l->rule, g_strerror(-k));

        _cleanup_table_ bs_table *read_a = NULL;
        k = bs_nf_read(f->family, "filter", &nf_options, &read_a);
        if (k < 0)
                g_string_append_printf(fa, "    bs_nf_read failed: %s\n", g_strerror(-k));
        else {
                g_autofree char *got_all = NULL, *got_chain = NULL;
                int k1 = render_table(read_a, NULL, false, &got_all);
                int k2 = render_table(read_a, l->chain, false, &got_chain);
                if (k1 < 0 || k2 < 0)
                        g_string_append_printf(fa, "    bs_render_table failed: %s\n", g_strerror(-(k1 < 0 ? k1 : k2)));
                else {
                        if (!streq(got_chain, want_chain)) {
                                append_indented(fa, "iptables -S CHAIN:", want_chain);
                                append_indented(fa, "bs_render_table(CHAIN):", got_chain);
                        }
                        if (!streq(got_all, want_all)) {
                                g_string_append(fa, "    whole table (-S) differs:\n");
                                append_line_diff(fa, "iptables", want_all, "rendered", got_all);
                        }
                }
                check_read_forms(f, l, read_a, packets, bytes, fa);
                const bs_rule *rule_a = first_rule_of(read_a, l->chain);
                if (!rule_a)
                        g_string_append_printf(fa, "    bs_nf_read: no rule in chain %s\n", l->chain);
                else if (rule_a->packets != packets || rule_a->bytes != bytes)
                        g_string_append_printf(fa, "    bs_nf_read counters %" G_GUINT64_FORMAT ":%" G_GUINT64_FORMAT
                                                   ", written %" G_GUINT64_FORMAT ":%" G_GUINT64_FORMAT "\n",
                                               rule_a->packets, rule_a->bytes, packets, bytes);
                if (fa->len > 0 && rule_a)
                        append_codec_diff(fa, f, "decoded rule", rule_a, kentry, ksize);
        }
        if (fa->len > 0) {
                t->a_failed++;
                g_string_append_printf(t->report, "[a] %s line %u: %s %s   (iptables target label '%s')\n%s",
                                       f->name, l->lineno, l->chain, l->rule, klabel, fa->str);
        }

        /* (b) we parse and write, the CLI reads. */
        ipt_ok(f, "-F", NULL);
        g_autofree char *line = g_strdup_printf("-A %s %s", l->chain, l->rule);
        bs_change change;
        bs_change_init(&change, BS_CHANGE_APPEND, bs_family_mask(f->family));
        perr = (bs_parse_error) { .word_index = -1 };
        k = bs_parse_change(f->family, line, &change, &perr);
        if (k < 0)
                g_string_append_printf(fb, "    bs_parse_change failed: %s: word %d '%s': %s\n", g_strerror(-k),
                                       perr.word_index, perr.word, perr.message);
        else {
                check_apply(f, l, &change, read_a, kentry, ksize, want_all, want_chain, fb);
                g_autoptr(GString) fe = g_string_new(NULL);
                check_rendered_command(f, l, &change, want_chain, fe);
                if (fe->len > 0) {
                        t->e_failed++;
                        g_string_append_printf(t->report, "[e] %s line %u: %s %s\n%s", f->name, l->lineno,
                                               l->chain, l->rule, fe->str);
                }
        }
        bs_change_done(&change);
        if (fb->len > 0) {
                t->b_failed++;
                g_string_append_printf(t->report, "[b] %s line %u: %s %s\n%s", f->name, l->lineno, l->chain,
                                       l->rule, fb->str);
        }
}

static void test_corpus(gconstpointer data) {
        const family_ctx *f = data;
        g_autoptr(corpus) c = corpus_load(f->rules);
        tally t = { .report = g_string_new(NULL) };

        reset_table(f, "filter");
        for (guint i = 0; i < c->chains->len; i++)
                ipt_ok(f, "-N", (const char *) c->chains->pdata[i], NULL);

        for (guint i = 0; i < c->lines->len; i++)
                check_line(f, &g_array_index(c->lines, corpus_line, i), &t);

        if (t.report->len > 0)
                g_printerr("\n==== %s corpus failures (%s) ====\n%s", f->name, c->path, t.report->str);
        g_printerr("%s corpus: %u lines; (a) CLI->daemon failed: %u; (b) daemon->CLI failed: %u; "
                   "(e) rendered command failed: %u\n", f->name, t.lines, t.a_failed, t.b_failed, t.e_failed);
        g_string_free(t.report, TRUE);
        reset_table(f, "filter");

        g_assert_cmpuint(t.lines, >, 0);
        if (t.a_failed || t.b_failed || t.e_failed)
                g_test_fail_printf("%s: of %u corpus lines, %u fail (a), %u fail (b), %u fail (e)", f->name, t.lines,
                                   t.a_failed, t.b_failed, t.e_failed);
}

/* -------------------------------------------------------------------- (c) */

static void test_bad(gconstpointer data) {
        const family_ctx *f = data;
        g_autoptr(corpus) c = corpus_load(f->bad);
        g_autoptr(GString) report = g_string_new(NULL);
        unsigned failed = 0;

        for (guint i = 0; i < c->lines->len; i++) {
                const corpus_line *l = &g_array_index(c->lines, corpus_line, i);
                g_autofree char *line = g_strdup_printf("-A %s %s", l->chain, l->rule);
                bs_parse_error err = { .word_index = -1 };
                bs_change change;
                bs_change_init(&change, BS_CHANGE_APPEND, bs_family_mask(f->family));
                int k = bs_parse_change(f->family, line, &change, &err);
                if (k >= 0) {
                        g_autofree char *rendered = render_rule(&change.rule);
                        g_string_append_printf(report, "[c] %s line %u: accepted: %s\n    parsed as: %s\n",
                                               f->name, l->lineno, line, rendered);
                        failed++;
                } else if (err.word[0] == '\0' || !strstr(line, err.word)) {
                        g_string_append_printf(report, "[c] %s line %u: refused (%s) but the error names no word "
                                               "of the line: word %d '%s': %s\n    line: %s\n", f->name,
                                               l->lineno, g_strerror(-k), err.word_index, err.word, err.message, line);
                        failed++;
                } else if (err.message[0] == '\0') {
                        g_string_append_printf(report, "[c] %s line %u: refused without a message: %s\n", f->name,
                                               l->lineno, line);
                        failed++;
                } else
                        g_test_message("%s line %u: %s -> '%s': %s", f->name, l->lineno, l->rule, err.word,
                                       err.message);
                bs_change_done(&change);
        }
        if (report->len > 0)
                g_printerr("\n==== %s bad-line failures (%s) ====\n%s", f->name, c->path, report->str);
        g_printerr("%s bad corpus: %u lines; %u not refused properly\n", f->name, c->lines->len, failed);
        g_assert_cmpuint(c->lines->len, >, 0);
        if (failed)
                g_test_fail_printf("%s: %u of %u bad lines not refused properly", f->name, failed, c->lines->len);
}

/* -------------------------------------------------------------------- (d) */

typedef struct opaque_rule {
        const char *table;
        const char *line;  /* after "-t TABLE", split on spaces */
} opaque_rule;

/* Rules with extensions the model keeps as opaque bytes, mixed with known
 * ones. Each also checked to really come back opaque. */
static const opaque_rule opaque_v4[] = {
        { "filter", "-N opq" },
        { "filter", "-A INPUT -m recent --name x --set" },
        { "filter", "-A INPUT -m recent --name x --rcheck --seconds 60 --hitcount 3 -j DROP" },
        { "filter", "-A INPUT -p tcp -m tcp --dport 22 -m hashlimit --hashlimit-upto 10/sec --hashlimit-burst 5 "
                    "--hashlimit-mode srcip --hashlimit-name hl4 -j ACCEPT" },
        { "filter", "-A INPUT -m string --algo bm --string foo -j DROP" },
        { "filter", "-A INPUT -p tcp -m tcp --dport 80 -m string --algo kmp --string GET -j opq" },
        { "filter", "-A opq -m length --length 100:200 -m ttl --ttl-gt 5 -j ACCEPT" },
        { "filter", "-A opq -m conntrack --ctstate NEW -m connlimit --connlimit-above 10 -j REJECT" },
        { "filter", "-A FORWARD -j opq" },
        { "mangle", "-A PREROUTING -j MARK --set-mark 0x1" },
        { "mangle", "-A PREROUTING -m mark --mark 0x2/0xff -j CONNMARK --save-mark" },
        { "mangle", "-A FORWARD -p tcp -m tcp --tcp-flags SYN,RST SYN -j TCPMSS --clamp-mss-to-pmtu" },
        { "mangle", "-A OUTPUT -j DSCP --set-dscp 0x0a" },
};

static const opaque_rule opaque_v6[] = {
        { "filter", "-N opq" },
        { "filter", "-A INPUT -m recent --name x6 --set" },
        { "filter", "-A INPUT -m recent --name x6 --update --seconds 30 -j DROP" },
        { "filter", "-A INPUT -p tcp -m tcp --dport 22 -m hashlimit --hashlimit-upto 10/sec --hashlimit-burst 5 "
                    "--hashlimit-mode srcip --hashlimit-name hl6 -j ACCEPT" },
        { "filter", "-A INPUT -m string --algo bm --string foo -j DROP" },
        { "filter", "-A INPUT -p tcp -m tcp --dport 80 -m string --algo kmp --string GET -j opq" },
        { "filter", "-A opq -m length --length 100:200 -m hl --hl-gt 5 -j ACCEPT" },
        { "filter", "-A opq -m conntrack --ctstate NEW -m connlimit --connlimit-above 10 -j REJECT" },
        { "filter", "-A FORWARD -j opq" },
        { "mangle", "-A PREROUTING -j MARK --set-mark 0x1" },
        { "mangle", "-A PREROUTING -m mark --mark 0x2/0xff -j CONNMARK --save-mark" },
        { "mangle", "-A FORWARD -p tcp -m tcp --tcp-flags SYN,RST SYN -j TCPMSS --clamp-mss-to-pmtu" },
        { "mangle", "-A OUTPUT -j HL --hl-set 64" },
};

static unsigned count_opaque(const bs_table *t) {
        unsigned n = 0;
        for (size_t i = 0; i < t->n_chains; i++)
                for (size_t j = 0; j < t->chains[i].n_rules; j++) {
                        const bs_rule *r = &t->chains[i].rules[j];
                        for (size_t m = 0; m < r->n_matches; m++)
                                n += r->matches[m].kind == BS_MATCH_OPAQUE;
                        n += r->target.kind == BS_TARGET_OPAQUE;
                }
        return n;
}

static void test_opaque(gconstpointer data) {
        const family_ctx *f = data;
        const opaque_rule *rules = f->family == BS_FAMILY_IPV6 ? opaque_v6 : opaque_v4;
        size_t n = f->family == BS_FAMILY_IPV6 ? G_N_ELEMENTS(opaque_v6) : G_N_ELEMENTS(opaque_v4);
        static const char *const tables[] = { "filter", "mangle" };

        for (size_t i = 0; i < G_N_ELEMENTS(tables); i++)
                reset_table(f, tables[i]);
        for (size_t i = 0; i < n; i++) {
                g_auto(GStrv) words = g_strsplit(rules[i].line, " ", -1);
                g_autofree char *err = NULL;
                int r = run_ipt(f, NULL, &err, words, g_strv_length(words), "-t", rules[i].table, NULL);
                if (r != 0)
                        g_error("%s -t %s %s failed (%d): %s", f->ipt, rules[i].table, rules[i].line, r, err);
        }

        char *before[G_N_ELEMENTS(tables)] = {};
        bs_table *snap[G_N_ELEMENTS(tables)] = {};
        for (size_t i = 0; i < G_N_ELEMENTS(tables); i++) {
                before[i] = ipt_save(f, tables[i]);
                int k = bs_nf_read(f->family, tables[i], &nf_options, &snap[i]);
                if (k < 0)
                        g_error("bs_nf_read(%s, %s): %s", f->name, tables[i], g_strerror(-k));
        }
        /* filter: recent x2, hashlimit, string x2, length, ttl/hl, connlimit;
         * mangle: MARK, mark, CONNMARK, TCPMSS, DSCP/HL. */
        g_assert_cmpuint(count_opaque(snap[0]), ==, 8);
        g_assert_cmpuint(count_opaque(snap[1]), ==, 5);

        /* Change both tables every way a snapshot must undo. */
        ipt_ok(f, "-F", NULL);
        ipt_ok(f, "-X", NULL);
        ipt_ok(f, "-N", "other", NULL);
        ipt_ok(f, "-A", "INPUT", "-p", "udp", "-j", "other", NULL);
        ipt_ok(f, "-P", "INPUT", "DROP", NULL);
        ipt_ok(f, "-P", "FORWARD", "DROP", NULL);
        ipt_ok(f, "-t", "mangle", "-D", "PREROUTING", "1", NULL);
        ipt_ok(f, "-t", "mangle", "-I", "OUTPUT", "-j", "MARK", "--set-mark", "0x7", NULL);
        g_autofree char *changed = ipt_save(f, "filter");
        g_assert_cmpstr(changed, !=, before[0]);

        for (size_t i = 0; i < G_N_ELEMENTS(tables); i++) {
                int k = bs_nf_restore(snap[i], &nf_options);
                if (k < 0)
                        g_error("bs_nf_restore(%s, %s): %s", f->name, tables[i], g_strerror(-k));
        }
        for (size_t i = 0; i < G_N_ELEMENTS(tables); i++) {
                g_autofree char *after = ipt_save(f, tables[i]);
                if (!streq(after, before[i])) {
                        g_autoptr(GString) d = g_string_new(NULL);
                        append_line_diff(d, "before", before[i], "after restore", after);
                        g_printerr("\n==== %s %s: iptables-save differs after bs_nf_restore ====\n%s", f->name,
                                   tables[i], d->str);
                        g_test_fail_printf("%s %s: iptables-save differs after snapshot/restore", f->name, tables[i]);
                }
                _cleanup_table_ bs_table *again = NULL;
                int k = bs_nf_read(f->family, tables[i], &nf_options, &again);
                g_assert_cmpint(k, ==, 0);
                if (!bs_table_equal(again, snap[i])) {
                        g_autoptr(GString) d = g_string_new(NULL);
                        append_table_diff(d, "snapshot", snap[i], "read after restore", again);
                        g_printerr("\n==== %s %s: table read after bs_nf_restore != snapshot ====\n%s", f->name,
                                   tables[i], d->str);
                        g_test_fail_printf("%s %s: table read after restore != snapshot", f->name, tables[i]);
                }
                bs_table_free(snap[i]);
                g_free(before[i]);
        }
        for (size_t i = 0; i < G_N_ELEMENTS(tables); i++)
                reset_table(f, tables[i]);
}

/* ------------------------------------------------------------------- main */

static bool have_program(const char *name) {
        g_autofree char *p = g_find_program_in_path(name);
        return p != NULL;
}

int main(int argc, char **argv) {
        g_test_init(&argc, &argv, NULL);

        if (geteuid() != 0) {
                g_printerr("oracle test needs root (network namespace, netfilter); skipping\n");
                return 77;
        }
        if (!have_program("iptables-legacy") || !have_program("ip6tables-legacy") ||
            !have_program("iptables-legacy-save") || !have_program("ip6tables-legacy-save")) {
                g_printerr("iptables-legacy tools not found; skipping\n");
                return 77;
        }

        /* Our own network namespace: nothing below may reach the host's
         * firewall. Check we really left the old one before going on. */
        struct stat before, after;
        if (stat("/proc/self/ns/net", &before) < 0) {
                g_printerr("cannot stat /proc/self/ns/net: %m; skipping\n");
                return 77;
        }
        if (unshare(CLONE_NEWNET) < 0) {
                g_printerr("unshare(CLONE_NEWNET): %m; skipping\n");
                return 77;
        }
        if (stat("/proc/self/ns/net", &after) < 0 || (after.st_ino == before.st_ino && after.st_dev == before.st_dev)) {
                g_printerr("still in the old network namespace after unshare; refusing to run\n");
                return 1;
        }

        /* And our own xtables lock, for us and every iptables we run. */
        g_autofree char *lock = g_build_filename(g_get_tmp_dir(), "backstop-oracle-lock-XXXXXX", NULL);
        int fd = g_mkstemp(lock);
        if (fd < 0) {
                g_printerr("mkstemp(%s): %m\n", lock);
                return 1;
        }
        close(fd);
        g_setenv("XTABLES_LOCKFILE", lock, TRUE);

        g_test_add_data_func("/oracle/ipv4/corpus", &family_v4, test_corpus);
        g_test_add_data_func("/oracle/ipv6/corpus", &family_v6, test_corpus);
        g_test_add_data_func("/oracle/ipv4/bad", &family_v4, test_bad);
        g_test_add_data_func("/oracle/ipv6/bad", &family_v6, test_bad);
        g_test_add_data_func("/oracle/ipv4/opaque-restore", &family_v4, test_opaque);
        g_test_add_data_func("/oracle/ipv6/opaque-restore", &family_v6, test_opaque);

        int r = g_test_run();
        g_unlink(lock);
        return r;
}
