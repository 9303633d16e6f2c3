/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The oracle's bad lines: every line of tests/oracle/bad-v{4,6}.txt is
 * refused by bs_parse_change with an error naming a word of the line. In
 * the oracle's set-up (oracle-util.h): root, its own network namespace and
 * xtables lock. */
#include "oracle-util.h"

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

int main(int argc, char **argv) {
        int r = oracle_init(&argc, &argv);
        if (r != 0)
                return r;
        g_test_add_data_func("/oracle/ipv4/bad", &family_v4, test_bad);
        g_test_add_data_func("/oracle/ipv6/bad", &family_v6, test_bad);
        return oracle_run();
}
