/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* backstopd and the extensions its model does not know, over a private
 * system bus in a private network namespace: they show as iptables -S and
 * -v -S show them (GetRulesText), Apply and Preview take them with
 * iptables' own syntax and refuse bad options as InvalidArgs naming them,
 * and a hung helper costs only the call that waits for it: a rollback
 * does not depend on it. */
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sys/wait.h>

#include "bus-service-util.h"
#include "text.h"

static const char *const ext_rules[] = {
        "-A INPUT -m recent --update --seconds 60 --hitcount 4 --name ssh --mask 255.255.255.255 --rsource -j DROP",
        "-A INPUT -p tcp -m tcp --dport 22 -m hashlimit --hashlimit-upto 10/sec --hashlimit-burst 5 "
        "--hashlimit-mode srcip --hashlimit-name hl -j ACCEPT",
        "-A INPUT -m string --string \"a b\" --algo bm --to 100 -j NFLOG --nflog-group 5",
        "-A INPUT -m mark --mark 0x2/0xff -j MARK --set-xmark 0x1/0xffffffff",
        NULL,
};

static char *rules_text(const char *family, gboolean counters) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) r = call(PATH, IFACE, "GetRulesText", g_variant_new("(ssb)", family, "", counters), "(s)",
                                     &error);
        g_assert_no_error(error);
        char *text;
        g_variant_get(r, "(s)", &text);
        return text;
}

static char *ipt_verbose_S(int family) {
        const char *argv[] = { bs_test_ipt_prog(family), "-w", "-v", "-S", NULL };
        return bs_test_run(argv);
}

/* the rules of ext_rules, quoted for the oracle's shell-less argv */
static void ipt_ext_rules(void) {
        for (size_t i = 0; ext_rules[i]; i++) {
                g_auto(GStrv) words = NULL;
                g_assert_true(g_shell_parse_argv(ext_rules[i], NULL, &words, NULL));
                g_autoptr(GPtrArray) argv = g_ptr_array_new();
                g_ptr_array_add(argv, (gpointer) bs_test_ipt_prog(4));
                g_ptr_array_add(argv, (gpointer) "-w");
                for (size_t k = 0; words[k]; k++)
                        g_ptr_array_add(argv, words[k]);
                g_ptr_array_add(argv, NULL);
                g_free(bs_test_run((const char *const *) argv->pdata));
        }
}

static void test_show(void) {
        bs_test_reset_tables();
        ipt_ext_rules();
        bs_test_ipt(6, "-A INPUT -m hl --hl-gt 5 -m frag --fragid 100 --fraglast -j ACCEPT");
        for (int f = 4; f <= 6; f += 2) {
                const char *fam = f == 4 ? "ipv4" : "ipv6";
                g_autofree char *want = bs_test_ipt_S(f), *got = rules_text(fam, FALSE);
                g_assert_cmpstr(got, ==, want);
                g_autofree char *want_v = ipt_verbose_S(f), *got_v = rules_text(fam, TRUE);
                g_assert_cmpstr(got_v, ==, want_v);

                /* ListRules: each rule's text is its -S line after "-A INPUT " */
                g_autoptr(GError) error = NULL;
                g_autoptr(GVariant) r = call(PATH, IFACE, "ListRules", g_variant_new("(ss)", fam, "INPUT"),
                                             "(aa{sv}aa{sv})", &error);
                g_assert_no_error(error);
                g_autoptr(GVariant) rules = g_variant_get_child_value(r, 0);
                g_autoptr(GString) listed = g_string_new(NULL);
                for (gsize i = 0; i < g_variant_n_children(rules); i++) {
                        g_autoptr(GVariant) d = g_variant_get_child_value(rules, i);
                        const char *text;
                        g_assert_true(g_variant_lookup(d, "rule", "&s", &text));
                        g_string_append_printf(listed, "-A INPUT %s\n", text);
                }
                const char *first = strstr(want, "-A INPUT");
                g_assert_cmpstr(listed->str, ==, first);
        }
        bs_test_reset_tables();
}

static void test_apply_preview(void) {
        bs_test_reset_tables();
        ipt_ext_rules();
        g_autofree char *want = bs_test_ipt_S(4);
        bs_test_reset_tables();
        g_autofree char *empty = bs_test_ipt_S(4);

        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) p = call(PATH, IFACE, "Preview",
                                     g_variant_new("(^as@a{sv})", ext_rules, opts_timeout(30)), "(a{ss}asaa{sv})",
                                     &error);
        g_assert_no_error(error);
        const char *v4;
        g_autoptr(GVariant) result = g_variant_get_child_value(p, 0);
        g_assert_true(g_variant_lookup(result, "ipv4", "&s", &v4));
        g_assert_cmpstr(v4, ==, want);

        g_autofree char *tx = apply_ok((const char *const *) ext_rules, 60);
        g_autofree char *now = bs_test_ipt_S(4);
        g_assert_cmpstr(now, ==, want);
        g_autofree char *shown = rules_text("ipv4", FALSE);
        g_assert_cmpstr(shown, ==, want);

        /* the helper hangs: a rollback does not wait for it */
        int helper = bs_bus_fixture_daemon_child(F);
        g_assert_cmpint(helper, >, 0);
        g_assert_cmpint(kill(helper, SIGSTOP), ==, 0);
        tx_call(tx, "Rollback", NULL, NULL);
        g_autofree char *back = bs_test_ipt_S(4);
        g_assert_cmpstr(back, ==, empty);
        kill(helper, SIGCONT);
        bs_test_reset_tables();
}

static void test_bad_options(void) {
        bs_test_reset_tables();
        g_autofree char *before = bs_test_ipt_S(4);
        static const struct {
                const char *change, *mentions;
        } bad[] = {
                { "-A INPUT -m recent --seconds x -j DROP", "--seconds" },
                { "-A INPUT -m hashlimit --hashlimit-upto 10/sec -j ACCEPT", "--hashlimit-name" },
                { "-A INPUT -m nosuch --foo -j ACCEPT", "nosuch" },
                { "-A INPUT -j NFLOG --nflog-group x", "--nflog-group" },
        };
        for (size_t i = 0; i < G_N_ELEMENTS(bad); i++)
                for (int preview = 0; preview < 2; preview++) {
                        g_autoptr(GError) error = NULL;
                        const char *changes[] = { bad[i].change, NULL };
                        g_autoptr(GVariant) r = call(PATH, IFACE, preview ? "Preview" : "Apply",
                                                     g_variant_new("(^as@a{sv})", changes, opts_forced(30)), NULL,
                                                     &error);
                        g_assert_nonnull(error);
                        g_autofree char *name = g_dbus_error_get_remote_error(error);
                        g_test_message("%s: %s", bad[i].change, error->message);
                        if (!g_str_equal(name, "org.freedesktop.DBus.Error.InvalidArgs") ||
                            !strstr(error->message, bad[i].mentions))
                                g_error("%s: %s: %s (should be InvalidArgs naming %s)", bad[i].change, name,
                                        error->message, bad[i].mentions);
                }
        g_autofree char *after = bs_test_ipt_S(4);
        g_assert_cmpstr(after, ==, before);
}

/* The journal keeps extensions in the raw form: a daemon restarted without
 * any helper resumes the transaction and rolls it back exactly, the rules
 * with extensions from before included. */
static void test_journal_without_helper(void) {
        bs_test_reset_tables();
        bs_test_ipt(4, "-A INPUT -m recent --rcheck --name before -j DROP");
        bs_test_ipt(4, "-A INPUT -m connmark --mark 0x5 -j NFLOG --nflog-group 7");
        g_autofree char *before = bs_test_ipt_S(4);
        const char *changes[] = { ext_rules[0], ext_rules[1], NULL };
        g_autofree char *path = apply_ok(changes, 3);
        g_autofree char *applied = bs_test_ipt_S(4);
        g_assert_nonnull(strstr(applied, "--hashlimit-name hl"));

        int status = bs_bus_fixture_stop_daemon(F, SIGKILL);
        g_assert_true(WIFSIGNALED(status));
        const char *no_helper[] = { "BACKSTOP_XTABLES_HELPER=/nonexistent/backstop-xtables", NULL };
        bs_bus_fixture_start_daemon(F, NULL, no_helper, NULL);
        g_autofree char *pend = pending_path();
        g_assert_cmpstr(pend, ==, path);
        wait_state(path, "rolled-back");
        g_autofree char *after = bs_test_ipt_S(4);
        g_assert_cmpstr(after, ==, before);
        /* shown whole without the helper */
        g_autofree char *shown = rules_text("ipv4", FALSE);
        g_assert_nonnull(strstr(shown, "-A INPUT -m recent " BS_RAW_OPTION " "));
        g_assert_nonnull(strstr(shown, " -j NFLOG " BS_RAW_OPTION " "));

        (void) bs_bus_fixture_stop_daemon(F, SIGTERM);
        bs_bus_fixture_start_daemon(F, NULL, NULL, NULL);
        bs_test_reset_tables();
}

/* At its start, and when it sees new rules, the daemon has the helper
 * print the tables' extensions, in the background: once done, a read
 * needs no helper (one stopped then does not hold it up) and shows
 * iptables' own words. A helper that
 * never answers at start holds nothing up: the daemon serves calls
 * meanwhile, a transaction due then is rolled back, and the helper is
 * stopped at the timeout. */
static void test_texts_ahead(void) {
        bs_test_reset_tables();
        ipt_ext_rules();
        /* no saved rules: RulesSaved would print the tables at start */
        for (int f = 4; f <= 6; f += 2) {
                g_autofree char *saved = g_strdup_printf("%s/rules.v%d", F->state_dir, f);
                (void) unlink(saved);
        }
        g_autofree char *want = bs_test_ipt_S(4);
        (void) bs_bus_fixture_stop_daemon(F, SIGTERM);
        const char *debug[] = { "--debug", NULL };
        bs_bus_fixture_start_daemon(F, NULL, NULL, debug);
        bs_bus_fixture_wait_log(F, "The extensions' texts of IPv4 were printed ahead.", 1);
        int helper = bs_bus_fixture_daemon_child(F);
        g_assert_cmpint(helper, >, 0);
        g_assert_cmpint(kill(helper, SIGSTOP), ==, 0);
        g_autofree char *got = rules_text("ipv4", FALSE);
        kill(helper, SIGCONT);
        g_assert_cmpstr(got, ==, want);
        g_assert_cmpint(bs_bus_fixture_daemon_child(F), ==, helper);

        /* another program's new rule: printed ahead once the daemon sees it
         * (nf_tables' notification, or legacy's look every 5 s) */
        bs_test_ipt(4, "-A INPUT -m recent --rcheck --seconds 30 --name late -j DROP");
        g_autofree char *want_late = bs_test_ipt_S(4);
        bs_bus_fixture_wait_log(F, "The extensions' texts of IPv4 were printed ahead.", 2);
        g_assert_cmpint(kill(helper, SIGSTOP), ==, 0);
        g_autofree char *got_late = rules_text("ipv4", FALSE);
        kill(helper, SIGCONT);
        g_assert_cmpstr(got_late, ==, want_late);

        /* a helper that never answers: a shell that sleeps */
        g_autofree char *dir = g_dir_make_tmp("backstop-hung-XXXXXX", NULL);
        g_assert_nonnull(dir);
        g_assert_cmpint(chmod(dir, 0755), ==, 0);
        g_autofree char *hung = g_build_filename(dir, "backstop-xtables", NULL);
        g_assert_true(g_file_set_contents(hung, "#!/bin/sh\nexec sleep 600\n", -1, NULL));
        g_assert_cmpint(chmod(hung, 0755), ==, 0);
        (void) bs_bus_fixture_stop_daemon(F, SIGTERM);
        g_autofree char *helper_env = g_strdup_printf("BACKSTOP_XTABLES_HELPER=%s", hung);
        const char *env[] = { helper_env, "BACKSTOP_XTABLES_TIMEOUT_MS=4000", NULL };
        bs_bus_fixture_start_daemon(F, NULL, env, debug);
        int sleeper = bs_bus_fixture_daemon_child(F);
        g_assert_cmpint(sleeper, >, 0);
        const char *changes[] = { "-A INPUT -s 192.0.2.7 -j ACCEPT", NULL };
        g_autofree char *tx = apply_ok(changes, 1);
        wait_state(tx, "rolled-back");
        /* rolled back while the helper still had the warm-up's request */
        g_assert_cmpint(bs_bus_fixture_daemon_child(F), ==, sleeper);
        bs_bus_fixture_wait_log(F, "Printing the extensions' texts ahead failed", 1);
        g_assert_cmpint(bs_bus_fixture_daemon_child(F), ==, 0);
        g_autofree char *after = bs_test_ipt_S(4);
        g_assert_cmpstr(after, ==, want_late);

        (void) bs_bus_fixture_stop_daemon(F, SIGTERM);
        g_assert_cmpint(unlink(hung), ==, 0);
        g_assert_cmpint(rmdir(dir), ==, 0);
        bs_bus_fixture_start_daemon(F, NULL, NULL, NULL);
        bs_test_reset_tables();
}

static gboolean rules_saved(void) {
        g_autoptr(GVariant) v = get_property(PATH, IFACE, "RulesSaved");
        return g_variant_get_boolean(v);
}

/* A saved file must read back to the kernel's very bytes: an extension
 * whose text means the same through other bytes (recent without --mask
 * holds a 16-byte mask of ones; its text --mask 255.255.255.255 reads back
 * as 4) is shown in iptables' words but saved raw; --restore then loads
 * exactly what was saved. */
static void test_save_exact(void) {
        bs_test_reset_tables();
        const char *changes[] = { "-A INPUT -m recent --rcheck --name x2 -j DROP", ext_rules[2], NULL };
        g_autofree char *tx = apply_ok(changes, 30);
        tx_call(tx, "Confirm", g_variant_new_parsed("(@a{sv} {},)"), NULL);
        g_autofree char *shown = rules_text("ipv4", FALSE);
        g_assert_nonnull(strstr(shown, "-A INPUT -m recent --rcheck --name x2 --mask 255.255.255.255 --rsource -j DROP"));
        const char *save4[] = { bs_test_ipt_save_prog(4), NULL };
        g_autofree char *before = bs_test_run(save4);

        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) r = call(PATH, IFACE, "Save", NULL, "()", &error);
        g_assert_no_error(error);
        g_assert_true(rules_saved());
        g_autofree char *file = g_build_filename(F->state_dir, "rules.v4", NULL);
        g_autofree char *saved = NULL;
        g_assert_true(g_file_get_contents(file, &saved, NULL, NULL));
        g_assert_nonnull(strstr(saved, "-A INPUT -m recent " BS_RAW_OPTION " "));
        g_assert_nonnull(strstr(saved, "-m string --string \"a b\" --algo bm --to 100 -j NFLOG --nflog-group 5"));

        bs_test_reset_tables();
        g_autofree char *backstopd = bs_test_build_path("daemon/backstopd");
        g_autofree char *state_arg = g_strdup_printf("--state-dir=%s", F->state_dir);
        const char *argv[] = { backstopd, "--restore", state_arg, NULL };
        g_free(bs_test_run(argv));
        g_autofree char *after = bs_test_run(save4);
        /* the same bytes: iptables-save prints the same, RulesSaved holds */
        g_auto(GStrv) b = g_strsplit(before, "\n", -1), a = g_strsplit(after, "\n", -1);
        for (size_t i = 0; b[i] && a[i]; i++)
                if (b[i][0] != '#')
                        g_assert_cmpstr(a[i], ==, b[i]);
        g_assert_true(rules_saved());
        bs_test_reset_tables();
}

int main(int argc, char **argv) {
        int r = bus_service_init(&argc, &argv, FALSE);
        if (r != 0)
                return r;
        g_test_add_func("/xtables/show", test_show);
        g_test_add_func("/xtables/apply-preview-rollback", test_apply_preview);
        g_test_add_func("/xtables/bad-options", test_bad_options);
        g_test_add_func("/xtables/journal-without-helper", test_journal_without_helper);
        g_test_add_func("/xtables/save-exact", test_save_exact);
        g_test_add_func("/xtables/texts-ahead", test_texts_ahead);
        return bus_service_run();
}
