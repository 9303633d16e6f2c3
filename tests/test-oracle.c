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
 *
 * and in programs of their own, with the same set-up (oracle-util.h):
 *
 *  (c) every line of bad-v{4,6}.txt: bs_parse_change refuses it with an
 *      error naming a word of the line (test-oracle-bad);
 *  (d) rules the model does not know (recent, hashlimit, string, MARK, ...)
 *      survive bs_nf_read + bs_nf_restore byte for byte: iptables-save
 *      prints the same before and after (test-oracle-opaque).
 *
 * With BACKSTOP_TEST_BACKEND=nft (test-oracle-nft) iptables-nft is the oracle
 * and the nf_tables backend is judged: (a) through its read op; (b)
 * through its apply_both op (counted as skipped while that answers
 * -EOPNOTSUPP); and
 *
 *  (n) our codec writes the rule read in (a) in a batch of its own: the
 *      kernel must hold the very expressions iptables-nft wrote, which
 *      must list it as in (a) and find it with -C. Lines iptables-nft
 *      cannot write (-j QUEUE, "! -s 0/0") our codec must refuse too, and
 *      the few it reads back otherwise are in nft-lossy.h;
 *
 * and oracle-nft.c's own tests: no table, tables it calls incompatible,
 * rules the nft tool wrote, our batch into an empty ruleset, 10,000 rules.
 *
 * Failures are collected and printed all together (line, expected, actual,
 * and where the codec's bytes differ from the kernel's) before the test
 * fails, so each layer's owner can work from one run. BS_ORACLE_ONLY=TEXT
 * restricts the corpus to lines containing TEXT. Run by hand with
 * --keep-going (as meson does) to see every test's failures.
 *
 * Runs as root only (exit 77 otherwise), in its own network namespace with
 * its own xtables lock file: the host's firewall is never touched. */

#include <stdio.h>

#include <libnftnl/rule.h>
#include <linux/netfilter/nf_tables.h>

#include "codec.h"
#include "nft-lossy.h"
#include "nft-rule.h"
#include "oracle-entry.h"
#include "oracle-nft.h"
#include "oracle-util.h"
#include "test-backend.h"

/* ------------------------------------------------------------ diagnostics */

static void append_indented(GString *s, const char *label, const char *text) {
        g_string_append_printf(s, "    %s\n", label);
        g_auto(GStrv) lines = g_strsplit(text ?: "", "\n", -1);
        for (unsigned i = 0; lines[i]; i++)
                if (lines[i][0] || lines[i + 1])
                        g_string_append_printf(s, "      |%s\n", lines[i]);
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
        unsigned n_failed;        /* iptables-nft: our own write of the rule */
        unsigned refused_both;    /* iptables-nft: lines it cannot write, nor can we */
        unsigned b_unavailable;   /* the backend has no write path (yet) */
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
                        const void *kentry, size_t ksize, const char *want_all, const char *want_chain, GString *fb,
                        bool *ret_unavailable) {
        if (change->kind != BS_CHANGE_APPEND || !streq(change->chain, l->chain) || !streq(change->table, "filter") ||
            !(change->families & bs_family_mask(f->family)))
                g_string_append_printf(fb, "    parsed change: kind %d chain '%s' table '%s' families %#x\n",
                                       change->kind, change->chain, change->table, change->families);

        const bs_rule *rule_a = first_rule_of(read_a, l->chain);
        const char *reads_as = NULL;
        /* lines iptables-nft itself reads back otherwise: (a) showed we
         * read them as it does */
        bool lossy = f->nft && nft_lossy_line(l->rule, &reads_as);
        if (rule_a && !lossy && !bs_rule_equal(&change->rule, rule_a)) {
                g_autofree char *ra = render_rule(rule_a), *rp = render_rule(&change->rule);
                g_string_append_printf(fb, "    parsed model != model read in (a)\n"
                                           "      rendered read  : %s\n      rendered parsed: %s\n", ra, rp);
                append_model_diff(fb, "read", rule_a, "parsed", &change->rule);
        }

        _cleanup_table_ bs_table *committed = NULL;
        int k;
        if (f->nft) {
                /* the daemon's path: the backend's apply_both */
                _cleanup_transition_ bs_nf_transition tr = { .failed = SIZE_MAX };
                k = f->backend->apply_both("filter", change, 1, bs_family_mask(f->family), &nf_options, NULL, NULL,
                                           NULL, &tr);
                if (k == -EOPNOTSUPP) {
                        *ret_unavailable = true;
                        return;
                }
                if (k >= 0) {
                        size_t i = f->family == BS_FAMILY_IPV6 ? 1 : 0;
                        committed = tr.after[i] ? bs_table_ref(tr.after[i]) : NULL;
                }
        } else
                k = bs_nf_apply(f->family, "filter", change, 1, &nf_options, &committed);
        if (k < 0) {
                g_string_append_printf(fb, "    %s write failed: %s\n", f->backend->name, g_strerror(-k));
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
        k = f->backend->read(f->family, "filter", &nf_options, &read_b);
        if (k < 0)
                g_string_append_printf(fb, "    reading after apply failed: %s\n", g_strerror(-k));
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

/* ------------------------------------------------- (n): iptables-nft only */

static char *describe_exprs(GBytes *msg) {
        return msg ? oracle_nft_describe(msg) : g_strdup("(no rule)");
}

/* Our codec writes the rule (as read in (a)) in a batch of its own, after
 * a flush: the kernel must hold the very expressions iptables-nft wrote
 * for the line (kmsg), iptables-nft must list it as after (a) and find it
 * with -C. */
static void check_nft_write(const family_ctx *f, const corpus_line *l, const bs_rule *rule, GBytes *kmsg,
                            const char *want_chain, GString *fn) {
        ipt_ok(f, "-F", NULL);
        int k = oracle_nft_append(rule, l->chain, false);
        if (k < 0) {
                g_string_append_printf(fn, "    writing with bs_nft_rule_encode failed: %s\n", g_strerror(-k));
                return;
        }
        g_autoptr(GBytes) ours = oracle_nft_dump_rule(f->family, l->chain, 0, &k);
        g_autoptr(GBytes) want_e = kmsg ? oracle_nft_rule_attr(kmsg, NFTA_RULE_EXPRESSIONS) : NULL;
        g_autoptr(GBytes) got_e = ours ? oracle_nft_rule_attr(ours, NFTA_RULE_EXPRESSIONS) : NULL;
        g_autoptr(GBytes) want_u = kmsg ? oracle_nft_rule_attr(kmsg, NFTA_RULE_USERDATA) : NULL;
        g_autoptr(GBytes) got_u = ours ? oracle_nft_rule_attr(ours, NFTA_RULE_USERDATA) : NULL;
        bool same_u = (!want_u && !got_u) || (want_u && got_u && g_bytes_equal(want_u, got_u));
        if (!want_e || !got_e || !g_bytes_equal(want_e, got_e) || !same_u) {
                g_autofree char *w = describe_exprs(kmsg), *g = describe_exprs(ours);
                g_string_append(fn, "    the kernel's expressions differ from what iptables-nft wrote\n");
                append_indented(fn, "iptables-nft wrote:", w);
                append_indented(fn, "bs_nft_rule_encode wrote:", g);
        }
        g_autofree char *got_chain = ipt_list(f, l->chain);
        if (!streq(got_chain, want_chain)) {
                append_indented(fn, "iptables -S CHAIN after (a):", want_chain);
                append_indented(fn, "iptables -S CHAIN after our write:", got_chain);
        }
        char **words = NULL;
        size_t n = 0;
        bs_parse_error err = { .word_index = -1 };
        g_assert_cmpint(bs_split_words(l->rule, &words, &n, &err), ==, 0);
        g_autofree char *cli_err = NULL;
        int r = run_ipt(f, NULL, &cli_err, words, n, "-C", l->chain, NULL);
        bs_words_free(words, n);
        if (r != 0)
                g_string_append_printf(fn, "    %s -C does not find the rule we wrote: %s", f->ipt, cli_err);
}

static void check_nft_refused(const family_ctx *f, const corpus_line *l, const char *cli_err, tally *t) {
        g_autofree char *line = g_strdup_printf("-A %s %s", l->chain, l->rule);
        bs_parse_error perr = { .word_index = -1 };
        bs_change change;
        bs_change_init(&change, BS_CHANGE_APPEND, bs_family_mask(f->family));
        int k = bs_parse_change(f->family, line, &change, &perr);
        if (k >= 0) {
                struct nftnl_rule *r = nftnl_rule_alloc();
                g_assert_nonnull(r);
                k = bs_nft_rule_encode(&change.rule, r);
                nftnl_rule_free(r);
        }
        bs_change_done(&change);
        if (k < 0) {
                t->refused_both++;
                return;
        }
        t->a_failed++;
        g_string_append_printf(t->report, "[corpus] %s line %u: %s refused '-A %s %s' (%s), bs_nft_rule_encode not\n",
                               f->name, l->lineno, f->ipt, l->chain, l->rule, g_strchomp(g_strdup(cli_err)));
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
        /* ip6tables-nft 1.8.9 drops -c (and restore's [p:b]): its rule
         * counts from zero, and what we read must say so */
        if (r == 0 && f->nft && f->family == BS_FAMILY_IPV6)
                packets = bytes = 0;
        if (r != 0 && f->nft) {
                /* iptables-nft cannot write every line iptables-legacy
                 * can (-j QUEUE, "! -s 0/0"): our codec must refuse them too */
                check_nft_refused(f, l, cli_err, t);
                return;
        }
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

        /* What the CLI wrote, as the kernel holds it: the entry (legacy),
         * the rule's expressions (nft). */
        g_autofree void *kentry = NULL;
        g_autofree char *klabel = NULL;
        g_autoptr(GBytes) kmsg = NULL;
        size_t ksize = 0;
        if (f->nft)
                kmsg = oracle_nft_dump_rule(f->family, l->chain, 0, &k);
        else
                k = f->family == BS_FAMILY_IPV6
                            ? oracle_kernel_entry6("filter", l->chain, 0, &kentry, &ksize, &klabel)
                            : oracle_kernel_entry4("filter", l->chain, 0, &kentry, &ksize, &klabel);
        if (k < 0 || (f->nft && !kmsg))
                g_error("reading the kernel's rule of '%s': %s", l->rule, g_strerror(-k));

        _cleanup_table_ bs_table *read_a = NULL;
        bool miswritten = f->nft && nft_miswritten_line(l->rule);
        k = f->backend->read(f->family, "filter", &nf_options, &read_a);
        if (miswritten) {
                /* iptables-nft wrote another rule (nft-lossy.h): refused */
                if (k != -EOPNOTSUPP)
                        g_string_append_printf(fa, "    %s read %s, not refused as unmanageable\n", f->backend->name,
                                               k < 0 ? g_strerror(-k) : "it");
                bs_table_free(TAKE_PTR(read_a));
        } else if (k < 0)
                g_string_append_printf(fa, "    %s read failed: %s\n", f->backend->name, g_strerror(-k));
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
                                       f->name, l->lineno, l->chain, l->rule, klabel ?: "", fa->str);
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
                bool unavailable = false;
                check_apply(f, l, &change, read_a, kentry, ksize, want_all, want_chain, fb, &unavailable);
                if (unavailable)
                        t->b_unavailable++;
                if (f->nft && !miswritten) {
                        /* the rule read in (a); for the lines iptables-nft
                         * reads back otherwise, the rule as typed (the
                         * lines it writes as another rule: not its
                         * expressions, on purpose) */
                        g_autoptr(GString) fn = g_string_new(NULL);
                        const bs_rule *rule_a = first_rule_of(read_a, l->chain);
                        const char *reads_as = NULL;
                        change.rule.packets = packets;
                        change.rule.bytes = bytes;
                        if (!rule_a || nft_lossy_line(l->rule, &reads_as))
                                rule_a = &change.rule;
                        check_nft_write(f, l, rule_a, kmsg, want_chain, fn);
                        if (fn->len > 0) {
                                t->n_failed++;
                                g_string_append_printf(t->report, "[n] %s line %u: %s %s\n%s", f->name, l->lineno,
                                                       l->chain, l->rule, fn->str);
                        }
                }
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
        if (f->nft)
                g_printerr("%s: %u lines iptables-nft and our codec both refuse; (n) our own write failed: %u; "
                           "(b) skipped, the backend cannot write yet: %u\n", f->name, t.refused_both, t.n_failed,
                           t.b_unavailable);
        g_string_free(t.report, TRUE);
        reset_table(f, "filter");

        g_assert_cmpuint(t.lines, >, 0);
        if (t.a_failed || t.b_failed || t.e_failed || t.n_failed)
                g_test_fail_printf("%s: of %u corpus lines, %u fail (a), %u fail (b), %u fail (e), %u fail (n)", f->name,
                                   t.lines, t.a_failed, t.b_failed, t.e_failed, t.n_failed);
}

/* BACKSTOP_TEST_BACKEND=nft: iptables-nft and the nf_tables backend judged
 * the same way (test-oracle-nft); iptables-legacy otherwise. */
int main(int argc, char **argv) {
        bool nft = bs_test_backend_is_nft();
        const family_ctx *const families[] = { nft ? &family_nft_v4 : &family_v4, nft ? &family_nft_v6 : &family_v6 };
        int r = oracle_init_for(&argc, &argv, families, G_N_ELEMENTS(families));
        if (r != 0)
                return r;
        g_test_add_data_func(nft ? "/oracle/nft/ipv4/corpus" : "/oracle/ipv4/corpus", families[0], test_corpus);
        g_test_add_data_func(nft ? "/oracle/nft/ipv6/corpus" : "/oracle/ipv6/corpus", families[1], test_corpus);
        if (nft)
                oracle_nft_add_tests();
        return oracle_run();
}
