/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Every extension of the host's xtables directory the filter table can hold
 * (tests/oracle/xtables-ext.txt), through the libxtables helper, with the
 * backend's own iptables as the oracle:
 *   - loaded by iptables, read by us: our -S and -v -S are iptables' own,
 *     byte for byte;
 *   - parsed and written by us: iptables -S reads back what it printed.
 * Then what happens without the helper: the raw form, read back exactly;
 * a killed helper is started again; bad options get iptables' message.
 * Root, in a network namespace with an xtables lock of its own. */
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "oracle-util.h"
#include "test-backend.h"
#include "xt-client.h"
#include "xt-revision.h"

typedef struct ext_line {
        bs_family family;
        char *module;
        char *rule; /* "-A CHAIN ..." */
        bool raw;   /* iptables' -S of it reads back to other bytes: we show it raw */
} ext_line;

/* What some rules name, created in the test's own namespace by a tool
 * that may be missing: sets (ipset(8)), an accounting object (nfacct(8)). */
typedef struct requirement {
        const char *tag;
        const char *const *setup[3];
        bool ok;
} requirement;
static const char *const ipset4[] = { "ipset", "create", "myset", "hash:ip", NULL };
static const char *const ipset6[] = { "ipset", "create", "myset6", "hash:ip", "family", "inet6", NULL };
static const char *const nfacct_add[] = { "nfacct", "add", "acct", NULL };
static requirement requirements[] = {
        { "ipset", { ipset4, ipset6 } },
        { "nfacct", { nfacct_add } },
};

static void set_up_requirements(void) {
        for (size_t i = 0; i < G_N_ELEMENTS(requirements); i++) {
                requirement *q = &requirements[i];
                q->ok = true;
                for (size_t k = 0; q->setup[k] && q->ok; k++) {
                        g_autofree char *prog = g_find_program_in_path(q->setup[k][0]);
                        g_auto(GStrv) argv = g_strdupv((char **) q->setup[k]);
                        if (prog) {
                                g_free(argv[0]);
                                argv[0] = g_strdup(prog);
                        }
                        q->ok = prog && run_argv(argv, NULL, NULL) == 0;
                }
        }
}

/* NULL when the line's requirement (if any) is met, else its tool */
static const char *unmet(const char *tag) {
        for (size_t i = 0; tag && i < G_N_ELEMENTS(requirements); i++)
                if (streq(tag, requirements[i].tag))
                        return requirements[i].ok ? NULL : requirements[i].setup[0][0];
        return NULL;
}

static GArray *lines; /* ext_line */
static unsigned n_skipped[2];
static bs_xt_client *client;

static void load_corpus(void) {
        g_autofree char *path = g_build_filename(g_getenv("G_TEST_SRCDIR"), "oracle", "xtables-ext.txt", NULL);
        g_autofree char *text = NULL;
        g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
        lines = g_array_new(false, true, sizeof(ext_line));
        g_auto(GStrv) ls = g_strsplit(text, "\n", -1);
        for (size_t i = 0; ls[i]; i++) {
                g_auto(GStrv) parts = g_strsplit(ls[i], "\t", 4);
                if (g_strv_length(parts) < 3)
                        continue;
                if (streq(parts[0], "#skip")) {
                        bs_family f = streq(parts[1], "6") ? BS_FAMILY_IPV6 : BS_FAMILY_IPV4;
                        n_skipped[f == BS_FAMILY_IPV6]++;
                        g_test_message("skipped: ipv%s %s: %s", parts[1], parts[2], parts[3] ? parts[3] : "");
                        continue;
                }
                if (parts[0][0] == '#')
                        continue;
                const char *tool = unmet(parts[3]);
                if (tool) {
                        n_skipped[streq(parts[0], "6")]++;
                        g_test_message("skipped: ipv%s %s: %s(8) is not installed or failed", parts[0], parts[1],
                                       tool);
                        continue;
                }
                ext_line l = { .family = streq(parts[0], "6") ? BS_FAMILY_IPV6 : BS_FAMILY_IPV4,
                               .module = g_strdup(parts[1]), .rule = g_strdup(parts[2]),
                               .raw = parts[3] && g_str_has_prefix(parts[3], "raw") };
                g_array_append_val(lines, l);
        }
}

static const family_ctx *ctx_of(bs_family f) {
        bool nft = bs_test_backend_is_nft();
        if (f == BS_FAMILY_IPV6)
                return nft ? &family_nft_v6 : &family_v6;
        return nft ? &family_nft_v4 : &family_v4;
}

static void run_line(const family_ctx *f, const char *rule) {
        char **words;
        size_t n;
        bs_parse_error err = {};
        g_assert_cmpint(bs_split_words(rule, &words, &n, &err), ==, 0);
        g_autofree char *e = NULL;
        int r = run_ipt(f, NULL, &e, words, n, NULL);
        if (r != 0)
                g_error("%s %s: %s", f->ipt, rule, e);
        bs_words_free(words, n);
}

static bs_table *read_filter(const family_ctx *f) {
        bs_table *t = NULL;
        int r = f->backend->read(f->family, "filter", &nf_options, &t);
        if (r < 0)
                g_error("read %s filter: %s", f->name, g_strerror(-r));
        return t;
}

static char *render(const bs_table *t, bool counters) {
        _cleanup_buf_ bs_buf b = {};
        g_assert_cmpint(bs_render_table(t, NULL, counters, &b), ==, 0);
        return g_strdup(b.data);
}

static void expect_same(const char *what, const char *want, const char *got, bool *ok) {
        if (streq(want, got))
                return;
        g_autoptr(GString) d = g_string_new(NULL);
        append_line_diff(d, "iptables", want, "backstop", got);
        g_printerr("\n==== %s ====\n%s", what, d->str);
        *ok = false;
}

/* Our listing against iptables' (counters or not): equal line for line,
 * but where iptables' text of a rule does not mean the rule's bytes (a
 * module marked raw in the corpus). There we
 * print the raw form, and iptables' line, parsed, gives other bytes
 * than the kernel holds: proof that its text would be a different rule. */
static void expect_listing(const char *what, bs_family fam, const char *want, const char *got, const bs_table *t,
                           bool *ok) {
        g_auto(GStrv) w = g_strsplit(want, "\n", -1), g = g_strsplit(got, "\n", -1);
        if (g_strv_length(w) != g_strv_length(g)) {
                expect_same(what, want, got, ok);
                return;
        }
        const bs_chain *in = NULL;
        size_t raw = 0;
        for (size_t i = 0; w[i]; i++) {
                if (!g_str_has_prefix(w[i], "-A ")) {
                        if (!streq(w[i], g[i]))
                                expect_same(what, w[i], g[i], ok);
                        continue;
                }
                /* the corpus line of a raw module this listing line shows */
                const ext_line *l = NULL;
                for (guint k = 0; k < lines->len && !l; k++) {
                        const ext_line *c = &g_array_index(lines, ext_line, k);
                        g_autofree char *m = g_strdup_printf(" -m %s ", c->module);
                        g_autofree char *j = g_strdup_printf(" -j %s", c->module);
                        const char *jat = strstr(w[i], j);
                        if (c->family == fam && c->raw &&
                            (strstr(w[i], m) || (jat && (jat[strlen(j)] == ' ' || !jat[strlen(j)]))))
                                l = c;
                }
                if (!l || !l->raw) {
                        if (!streq(w[i], g[i]))
                                expect_same(what, w[i], g[i], ok);
                        continue;
                }
                raw++;
                if (!strstr(g[i], " " BS_RAW_OPTION " ")) {
                        g_printerr("%s: %s should be raw, is \"%s\"\n", what, l->module, g[i]);
                        *ok = false;
                }
                /* iptables' own line (without -c) read back */
                g_autofree char *line = g_strdup(w[i]);
                char *c = strstr(line, " -c ");
                if (c) {
                        char *after = strchr(strchr(c + 4, ' ') + 1, ' ');
                        memmove(c, after, strlen(after) + 1);
                }
                bs_change ch;
                bs_parse_error err = {};
                g_assert_cmpint(bs_parse_change(fam, line, &ch, &err), ==, 0);
                if (!in)
                        in = bs_table_find_chain(t, ch.chain);
                bool found = false;
                for (size_t j = 0; in && j < in->n_rules; j++)
                        found |= bs_rule_equal(&ch.rule, &in->rules[j]);
                if (found) {
                        g_printerr("%s: %s: iptables' text reads back the same after all\n", what, l->module);
                        *ok = false;
                }
                bs_change_done(&ch);
        }
        g_test_message("%s: %zu rules shown raw, iptables' text of them meaning other bytes", what, raw);
}

static void test_corpus(gconstpointer data) {
        bs_family fam = GPOINTER_TO_INT(data);
        const family_ctx *f = ctx_of(fam);
        reset_table(f, "filter");
        g_autoptr(GHashTable) modules = g_hash_table_new(g_str_hash, g_str_equal);
        for (guint i = 0; i < lines->len; i++) {
                ext_line *l = &g_array_index(lines, ext_line, i);
                if (l->family != fam)
                        continue;
                run_line(f, l->rule);
                g_hash_table_add(modules, l->module);
        }
        unsigned covered = g_hash_table_size(modules);

        /* iptables wrote, we read and print */
        bool ok = true;
        g_autofree char *want = ipt_list_full(f, NULL, false);
        g_autofree char *want_v = ipt_list_full(f, NULL, true);
        _cleanup_table_ bs_table *t = read_filter(f);
        g_autofree char *got = render(t, false);
        g_autofree char *got_v = render(t, true);
        expect_listing("-S", fam, want, got, t, &ok);
        expect_listing("-v -S", fam, want_v, got_v, t, &ok);

        /* we parse and write, iptables reads */
        reset_table(f, "filter");
        _cleanup_table_ bs_table *mine = read_filter(f);
        for (guint i = 0; i < lines->len; i++) {
                ext_line *l = &g_array_index(lines, ext_line, i);
                if (l->family != fam)
                        continue;
                bs_change c;
                bs_parse_error err = {};
                int r = bs_parse_change(fam, l->rule, &c, &err);
                if (r < 0) {
                        g_printerr("%s: cannot parse \"%s\": %s\n", f->name, l->rule, err.message);
                        ok = false;
                        continue;
                }
                g_assert_cmpint(bs_table_apply_change(mine, &c), ==, 0);
                bs_change_done(&c);
        }
        int r = f->backend->restore(mine, &nf_options);
        if (r < 0)
                g_error("writing %s: %s", f->name, g_strerror(-r));
        g_autofree char *back = ipt_list_full(f, NULL, false);
        expect_same("written by backstop, iptables -S", want, back, &ok);

        g_printerr("%s on %s: %u extension modules covered, %u skipped (see the corpus file)\n", f->name,
                   bs_test_backend_name(), covered, n_skipped[fam == BS_FAMILY_IPV6]);
        if (!ok)
                g_test_fail_printf("%s: the helper's text differs from iptables'", f->name);
        reset_table(f, "filter");
}

/* Without a helper, or with one that dies: never a shorter rule. */
static void test_fallback(void) {
        const family_ctx *f = ctx_of(BS_FAMILY_IPV4);
        reset_table(f, "filter");
        const char *rule = "-A INPUT -m recent --update --seconds 60 --hitcount 4 --name ssh --mask "
                           "255.255.255.255 --rsource -j DROP";
        run_line(f, rule);
        _cleanup_table_ bs_table *t = read_filter(f);
        g_autofree char *want = ipt_list(f, NULL);

        bs_xt_client *broken = NULL;
        g_assert_cmpint(bs_xt_client_new("/nonexistent/backstop-xtables", &broken), ==, 0);
        bs_text_set_ext_provider(&bs_xt_client_provider, broken);
        g_autofree char *raw = render(t, false);
        g_assert_nonnull(strstr(raw, "-A INPUT -m recent " BS_RAW_OPTION " "));
        g_assert_nonnull(strstr(raw, " -j DROP\n"));
        /* the raw form reads back exactly, without any helper */
        bs_text_set_ext_provider(NULL, NULL);
        bs_xt_client_free(broken);
        const char *line = strstr(raw, "-A INPUT");
        g_autofree char *one = g_strndup(line, strcspn(line, "\n"));
        bs_change c;
        bs_parse_error err = {};
        g_assert_cmpint(bs_parse_change(BS_FAMILY_IPV4, one, &c, &err), ==, 0);
        const bs_chain *in = bs_table_find_chain(t, "INPUT");
        g_assert_true(bs_rule_equal(&c.rule, &in->rules[0]));
        bs_change_done(&c);

        /* a helper killed between requests is started again */
        bs_text_set_ext_provider(&bs_xt_client_provider, client);
        g_autofree char *first = render(t, false);
        g_assert_cmpstr(first, ==, want);
        int pid = bs_xt_client_helper_pid(client, BS_FAMILY_IPV4);
        g_assert_cmpint(pid, >, 0);
        g_assert_cmpint(kill(pid, SIGKILL), ==, 0);
        /* the same again comes from the texts kept, without the helper */
        g_autofree char *again = render(t, false);
        g_assert_cmpstr(again, ==, want);
        g_assert_cmpint(bs_xt_client_helper_pid(client, BS_FAMILY_IPV4), ==, pid);
        /* a rule not printed before needs it: started again */
        run_line(f, "-A INPUT -m recent --rcheck --name other -j ACCEPT");
        _cleanup_table_ bs_table *t2 = read_filter(f);
        g_autofree char *want2 = ipt_list(f, NULL);
        g_autofree char *second = render(t2, false);
        g_assert_cmpstr(second, ==, want2);
        g_assert_cmpint(bs_xt_client_helper_pid(client, BS_FAMILY_IPV4), !=, pid);
        g_assert_cmpint(bs_xt_client_helper_pid(client, BS_FAMILY_IPV4), >, 0);
        reset_table(f, "filter");
}

/* A set's name is printed from its index, which the kernel may give to
 * another set later: set texts are never kept, each display asks. */
static void test_set_not_kept(void) {
        if (unmet("ipset")) {
                g_test_skip("ipset(8) is not installed");
                return;
        }
        const family_ctx *f = ctx_of(BS_FAMILY_IPV4);
        reset_table(f, "filter");
        run_line(f, "-A INPUT -m set --match-set myset dst -j DROP");
        _cleanup_table_ bs_table *t = read_filter(f);
        g_autofree char *want = ipt_list(f, NULL);
        g_autofree char *first = render(t, false);
        g_assert_cmpstr(first, ==, want);
        int pid = bs_xt_client_helper_pid(client, BS_FAMILY_IPV4);
        g_assert_cmpint(pid, >, 0);
        g_assert_cmpint(kill(pid, SIGKILL), ==, 0);
        g_autofree char *again = render(t, false);
        g_assert_cmpstr(again, ==, want);
        g_assert_cmpint(bs_xt_client_helper_pid(client, BS_FAMILY_IPV4), !=, pid);
        reset_table(f, "filter");
}

/* The helper runs as nobody, without capabilities, without new
 * privileges, with no file descriptor of ours but its socket. */
static void test_sandbox(void) {
        const family_ctx *f = ctx_of(BS_FAMILY_IPV6);
        reset_table(f, "filter");
        run_line(f, "-A INPUT -m hl --hl-gt 5 -j ACCEPT");
        _cleanup_table_ bs_table *t = read_filter(f);
        g_autofree char *text = render(t, false);
        g_assert_nonnull(strstr(text, "-m hl --hl-gt 5"));
        int pid = bs_xt_client_helper_pid(client, BS_FAMILY_IPV6);
        g_assert_cmpint(pid, >, 0);

        g_autofree char *path = g_strdup_printf("/proc/%d/status", pid);
        g_autofree char *status = NULL;
        g_assert_true(g_file_get_contents(path, &status, NULL, NULL));
        static const char *const want[] = {
                "\nUid:\t65534\t65534\t65534\t65534\n", "\nGid:\t65534\t65534\t65534\t65534\n",
                "\nCapInh:\t0000000000000000\n", "\nCapPrm:\t0000000000000000\n",
                "\nCapEff:\t0000000000000000\n", "\nCapAmb:\t0000000000000000\n", "\nNoNewPrivs:\t1\n",
        };
        for (size_t i = 0; i < G_N_ELEMENTS(want); i++)
                if (!strstr(status, want[i]))
                        g_error("helper %d: no \"%s\" in its status:\n%s", pid, g_strstrip(g_strdup(want[i])), status);

        const char *groups = strstr(status, "\nGroups:");
        g_assert_nonnull(groups);
        g_autofree char *gl = g_strndup(groups + 8, strcspn(groups + 8, "\n"));
        g_assert_cmpstr(g_strstrip(gl), ==, ""); /* no supplementary group */

        g_autofree char *lpath = g_strdup_printf("/proc/%d/limits", pid);
        g_autofree char *limits = NULL;
        g_assert_true(g_file_get_contents(lpath, &limits, NULL, NULL));
        g_assert_true(g_regex_match_simple("^Max file size +0 +0 ", limits, G_REGEX_MULTILINE, 0));
        g_assert_true(g_regex_match_simple("^Max core file size +0 +0 ", limits, G_REGEX_MULTILINE, 0));
        g_assert_true(g_regex_match_simple("^Max open files +64 +64 ", limits, G_REGEX_MULTILINE, 0));

        g_autofree char *fddir = g_strdup_printf("/proc/%d/fd", pid);
        g_autoptr(GDir) d = g_dir_open(fddir, 0, NULL);
        g_assert_nonnull(d);
        const char *name;
        while ((name = g_dir_read_name(d)))
                if (atoi(name) > 3)
                        g_error("helper %d holds fd %s", pid, name);
        reset_table(f, "filter");
}

/* A helper that never answers is killed at the timeout, one that dies
 * costs its request: the rule is still printed whole, and the caller
 * goes on. */
static void test_bad_helper(gconstpointer data) {
        const char *script = data;
        const family_ctx *f = ctx_of(BS_FAMILY_IPV4);
        reset_table(f, "filter");
        run_line(f, "-A INPUT -m recent --rcheck --name x -j DROP");
        _cleanup_table_ bs_table *t = read_filter(f);

        g_autofree char *path = g_strdup("/tmp/backstop-fake-helper-XXXXXX");
        int fd = g_mkstemp(path);
        g_assert_cmpint(fd, >=, 0);
        g_assert_cmpint(write(fd, script, strlen(script)), ==, (ssize_t) strlen(script));
        g_assert_cmpint(fchmod(fd, 0755), ==, 0);
        close(fd);
        bs_xt_client *fake = NULL;
        g_assert_cmpint(bs_xt_client_new(path, &fake), ==, 0);
        bs_xt_client_set_timeout(fake, 300 * 1000);
        bs_text_set_ext_provider(&bs_xt_client_provider, fake);
        for (int round = 0; round < 2; round++) {
                g_autofree char *text = render(t, false);
                g_assert_nonnull(strstr(text, "-A INPUT -m recent " BS_RAW_OPTION " "));
                g_assert_cmpint(bs_xt_client_helper_pid(fake, BS_FAMILY_IPV4), ==, 0);
                bs_change c;
                bs_parse_error err = {};
                g_assert_cmpint(bs_parse_change(BS_FAMILY_IPV4, "-A INPUT -m recent --set", &c, &err), ==, -EINVAL);
                g_test_message("parse with this helper: %s", err.message);
                g_assert_cmpstr(err.word, ==, "recent");
        }
        bs_text_set_ext_provider(&bs_xt_client_provider, client);
        bs_xt_client_free(fake);
        unlink(path);
        reset_table(f, "filter");
}

/* The revision answers the helper gets: ip_tables' and nf_tables' compat
 * layer (asked where ip_tables is absent) say the same. */
static void test_revisions(void) {
        static const struct {
                const char *name;
                bool target;
        } exts[] = { { "recent", false }, { "hashlimit", false }, { "string", false }, { "connlimit", false },
                     { "MARK", true },    { "NFLOG", true },      { "CT", true },          { "nosuchext", false } };
        unsigned supported = 0;
        for (int f = 0; f < 2; f++)
                for (size_t i = 0; i < G_N_ELEMENTS(exts); i++)
                        for (uint8_t rev = 0; rev < 5; rev++) {
                                bs_family fam = f ? BS_FAMILY_IPV6 : BS_FAMILY_IPV4;
                                bool legacy = bs_xt_kernel_supports(fam, exts[i].target, rev, exts[i].name);
                                int nft = bs_xt_kernel_supports_nft(fam, exts[i].target, rev, exts[i].name);
                                g_assert_cmpint(nft, >=, 0);
                                if (legacy != (nft == 1 || rev == 0))
                                        g_error("%s revision %u: ip_tables says %d, nf_tables %d", exts[i].name, rev,
                                                legacy, nft);
                                supported += legacy;
                        }
        g_assert_cmpuint(supported, >, 10);
        g_assert_false(bs_xt_kernel_supports(BS_FAMILY_IPV4, false, 1, "nosuchext"));
}

/* iptables' own message for bad options, naming the extension's word. */
static void test_bad_options(void) {
        static const struct {
                const char *line, *says;
        } bad[] = {
                { "-A INPUT -m recent --seconds x -j DROP", "--seconds" },
                { "-A INPUT -m recent --rcheck --set", "recent" },
                { "-A INPUT -m hashlimit --hashlimit-upto 10/sec", "hashlimit-name" },
                { "-A INPUT -m nosuchmatch --foo", "nosuchmatch" },
                { "-A INPUT -m string --algo bm", "STRING" },
                { "-A INPUT -j MARK --set-mark", "set-mark" },
        };
        for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
                bs_change c;
                bs_parse_error err = {};
                int r = bs_parse_change(BS_FAMILY_IPV4, bad[i].line, &c, &err);
                g_test_message("%s -> %s", bad[i].line, err.message);
                g_assert_cmpint(r, ==, -EINVAL);
                if (!strcasestr(err.message, bad[i].says))
                        g_error("\"%s\": message \"%s\" does not name %s", bad[i].line, err.message, bad[i].says);
        }
}

int main(int argc, char **argv) {
        const family_ctx *const families[] = { ctx_of(BS_FAMILY_IPV4), ctx_of(BS_FAMILY_IPV6) };
        int r = oracle_init_for(&argc, &argv, families, G_N_ELEMENTS(families));
        if (r != 0)
                return r;
        g_autofree char *helper = g_build_filename(g_getenv("BACKSTOP_BUILD_ROOT"), "daemon", "xtables",
                                                   "backstop-xtables", NULL);
        g_assert_cmpint(bs_xt_client_new(helper, &client), ==, 0);
        bs_text_set_ext_provider(&bs_xt_client_provider, client);
        set_up_requirements();
        load_corpus();
        g_test_add_data_func("/xtables/ipv4/corpus", GINT_TO_POINTER(BS_FAMILY_IPV4), test_corpus);
        g_test_add_data_func("/xtables/ipv6/corpus", GINT_TO_POINTER(BS_FAMILY_IPV6), test_corpus);
        g_test_add_func("/xtables/fallback", test_fallback);
        g_test_add_func("/xtables/bad-options", test_bad_options);
        g_test_add_func("/xtables/sandbox", test_sandbox);
        g_test_add_func("/xtables/set-not-kept", test_set_not_kept);
        g_test_add_func("/xtables/revisions", test_revisions);
        g_test_add_data_func("/xtables/helper-hangs", "#!/bin/sh\nexec sleep 600\n", test_bad_helper);
        g_test_add_data_func("/xtables/helper-dies", "#!/bin/sh\nexit 3\n", test_bad_helper);
        g_test_add_data_func("/xtables/helper-crashes", "#!/bin/sh\nkill -SEGV $$\n", test_bad_helper);
        r = oracle_run();
        bs_text_set_ext_provider(NULL, NULL);
        bs_xt_client_free(client);
        return r;
}
