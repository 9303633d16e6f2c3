/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Re-checks every pair of tests/text-canonical.txt against the real
 * iptables / ip6tables of the backend under test (test-backend.h:
 * iptables-legacy or iptables-nft): the input is added to FORWARD and -S
 * FORWARD must print the recorded canonical form, and the backend's read
 * of the kernel must decode it to the rule the parser gives.
 *
 * iptables-nft 1.8.9 refuses a few of the inputs (-j QUEUE without the
 * kernel's nft_queue, "! -s ADDR/0") and lists a few otherwise (two tcp
 * matches as one): on nft such a pair is not counted as failed, it is
 * listed, and where iptables-nft shows another text, the backend's read
 * must render what iptables-nft shows (the oracle) instead of the
 * recorded form, unless iptables-nft shows fewer port compares than the
 * kernel holds, where the backend must refuse to read the table. On
 * legacy every pair must hold as recorded.
 *
 * Runs in a private network namespace with a private xtables lock file;
 * exits 77 when it cannot get them (not root, no unshare, no such
 * iptables). */
#include <glib.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/wait.h>

#include "nf.h"
#include "test-backend.h"
#include "text.h"

static char *run(char **argv, int *status) {
        char *out = NULL, *errout = NULL;
        GError *error = NULL;
        if (!g_spawn_sync(NULL, argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &errout, status, &error)) {
                fprintf(stderr, "cannot run %s: %s\n", argv[0], error->message);
                exit(1);
        }
        if (*status != 0)
                fprintf(stderr, "%s: %s", argv[0], errout);
        g_free(errout);
        return out;
}

static unsigned count(const char *s, const char *word) {
        unsigned n = 0;
        for (const char *p = strstr(s, word); p; p = strstr(p + 1, word))
                n++;
        return n;
}

/* The text iptables-nft shows has fewer port options than the input. */
static bool compares_dropped(const char *input, const char *shown) {
        return count(input, "--dport") > count(shown, "--dport") || count(input, "--sport") > count(shown, "--sport");
}

int main(void) {
        if (geteuid() != 0) {
                printf("skip: not root\n");
                return 77;
        }
        g_autofree char *p4 = g_find_program_in_path(bs_test_iptables(BS_FAMILY_IPV4));
        g_autofree char *p6 = g_find_program_in_path(bs_test_iptables(BS_FAMILY_IPV6));
        if (!p4 || !p6) {
                printf("skip: %s not installed\n", bs_test_iptables(BS_FAMILY_IPV4));
                return 77;
        }
        if (unshare(CLONE_NEWNET) < 0) {
                printf("skip: unshare(CLONE_NEWNET): %m\n");
                return 77;
        }
        char lock[] = "/tmp/backstop-text-lock.XXXXXX";
        int fd = mkstemp(lock);
        if (fd < 0) {
                perror("mkstemp");
                return 1;
        }
        close(fd);
        setenv("XTABLES_LOCKFILE", lock, 1);

        const char *srcdir = getenv("G_TEST_SRCDIR");
        g_autofree char *path = g_build_filename(srcdir ? srcdir : ".", "text-canonical.txt", NULL);
        g_autofree char *data = NULL;
        if (!g_file_get_contents(path, &data, NULL, NULL)) {
                fprintf(stderr, "cannot read %s\n", path);
                return 1;
        }
        g_auto(GStrv) lines = g_strsplit(data, "\n", -1);
        unsigned checked = 0, failed = 0, nft_refused = 0, nft_other_text = 0;
        bool nft = bs_test_backend_is_nft();

        for (char **l = lines; *l; l++) {
                if (!**l || **l == '#')
                        continue;
                g_auto(GStrv) col = g_strsplit(*l, "\t", 3);
                if (g_strv_length(col) != 3) {
                        fprintf(stderr, "bad data line: %s\n", *l);
                        failed++;
                        continue;
                }
                const char *prog = bs_test_iptables(streq(col[0], "6") ? BS_FAMILY_IPV6 : BS_FAMILY_IPV4);
                char **words;
                size_t n;
                bs_parse_error err;
                if (bs_split_words(col[1], &words, &n, &err) < 0) {
                        fprintf(stderr, "cannot split \"%s\": %s\n", col[1], err.message);
                        failed++;
                        continue;
                }
                GPtrArray *argv = g_ptr_array_new();
                g_ptr_array_add(argv, (char *) prog);
                g_ptr_array_add(argv, "-A");
                g_ptr_array_add(argv, "FORWARD");
                for (size_t i = 0; i < n; i++)
                        g_ptr_array_add(argv, words[i]);
                g_ptr_array_add(argv, NULL);

                int status;
                g_free(run((char **) argv->pdata, &status));
                g_ptr_array_free(argv, TRUE);
                bs_words_free(words, n);
                if (status != 0 && nft) {
                        printf("note %s: %s refuses -A FORWARD %s\n", col[0], prog, col[1]);
                        nft_refused++;
                        continue;
                }
                if (status != 0) {
                        fprintf(stderr, "FAIL %s: %s -A FORWARD %s was refused\n", col[0], prog, col[1]);
                        failed++;
                        continue;
                }

                char *list[] = { (char *) prog, "-S", "FORWARD", NULL };
                g_autofree char *out = run(list, &status);
                g_auto(GStrv) got = g_strsplit(out ? out : "", "\n", -1);
                g_autofree char *want = *col[2] ? g_strdup_printf("-A FORWARD %s", col[2]) : g_strdup("-A FORWARD");
                /* iptables-nft's own text for it, where it lists the rule
                 * otherwise: what the backend's read must render */
                const char *nft_text = NULL;
                if (nft && status == 0 && g_strv_length(got) >= 2 && !streq(got[1], want)) {
                        printf("note %s: \"%s\": %s shows \"%s\", recorded \"%s\"\n", col[0], col[1], prog, got[1],
                               want);
                        nft_text = got[1];
                        nft_other_text++;
                } else if (status != 0 || g_strv_length(got) < 2 || !streq(got[1], want)) {
                        fprintf(stderr, "FAIL %s: \"%s\"\n  recorded: %s\n  iptables: %s\n", col[0], col[1], want,
                                g_strv_length(got) >= 2 ? got[1] : "(nothing)");
                        failed++;
                }
                /* what the kernel holds, decoded by the codec, is the model
                 * value the parser gives for the same input */
                bs_family f = streq(col[0], "6") ? BS_FAMILY_IPV6 : BS_FAMILY_IPV4;
                bs_table *t = NULL;
                int k = bs_test_backend()->read(f, "filter", NULL, &t);
                g_autofree char *line = g_strdup_printf("-A FORWARD %s", col[1]);
                bs_change c;
                if (k == -EOPNOTSUPP && nft_text && compares_dropped(col[1], nft_text)) {
                        /* iptables-nft shows one port compare where the
                         * kernel holds two: the backend refuses the table
                         * rather than judge another rule than the kernel's */
                        printf("note %s: \"%s\": refused by the backend (the kernel compares a port twice)\n",
                               col[0], col[1]);
                        nft_refused++;
                } else if (k < 0 || bs_parse_change(f, line, &c, &err) < 0) {
                        fprintf(stderr, "FAIL %s: \"%s\": cannot read (%d) or parse (%s)\n", col[0], col[1], k,
                                err.message);
                        failed++;
                } else {
                        const bs_chain *fw = bs_table_find_chain(t, "FORWARD");
                        bs_buf b = {};
                        if (fw && fw->n_rules == 1)
                                bs_render_rule_line(&fw->rules[0], "FORWARD", false, &b);
                        bool same = fw && fw->n_rules == 1 &&
                                    (nft_text ? b.data && streq(b.data, nft_text) : bs_rule_equal(&fw->rules[0], &c.rule));
                        if (!same) {
                                fprintf(stderr, "FAIL %s: \"%s\": the decoded kernel rule (%s) differs from the %s\n", col[0],
                                        col[1], b.data ? b.data : "?", nft_text ? "text iptables-nft shows" : "parsed one");
                                failed++;
                        }
                        bs_buf_done(&b);
                        bs_change_done(&c);
                }
                if (t)
                        bs_table_free(t);

                char *flush[] = { (char *) prog, "-F", "FORWARD", NULL };
                g_free(run(flush, &status));
                checked++;
        }
        unlink(lock);
        printf("%u canonical pairs checked against %s, %u failed", checked, bs_test_iptables(BS_FAMILY_IPV4), failed);
        if (nft)
                printf("; %u refused by it, %u shown otherwise by it (notes above)", nft_refused, nft_other_text);
        printf("\n");
        return failed == 0 && checked >= 120 ? 0 : 1;
}
