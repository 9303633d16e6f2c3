/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* backstopd stopped and started again over a private system bus, in a
 * private network namespace (and a mount namespace of its own, for the
 * read-only runtime dir): a pending transaction across SIGKILL and
 * restart, before and after its deadline; SIGTERM rolling back; the
 * journal's failure modes; save + --restore. */
#include <glib/gstdio.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/wait.h>

#include "bus-service-util.h"
#include "test-backend.h"

static void test_sigkill_restart_resumes(void) {
        bs_test_reset_tables();
        const char *changes[] = { "-A INPUT -s 192.0.2.12/32 -j DROP", NULL };
        /* The daemon must be killed, started again and asked below before
         * the deadline (a start under ASan on a busy machine is slow). */
        g_autofree char *path = apply_ok(changes, 6);
        g_autoptr(GVariant) d0 = get_property(path, TX_IFACE, "Deadline");
        int status = bs_bus_fixture_stop_daemon(F, SIGKILL);
        g_assert_true(WIFSIGNALED(status));
        bs_bus_fixture_start_daemon(F, NULL, NULL, NULL);
        g_autofree char *pend = pending_path();
        g_assert_cmpstr(pend, ==, path);
        g_autoptr(GVariant) d1 = get_property(path, TX_IFACE, "Deadline");
        g_assert_cmpuint(g_variant_get_uint64(d1), ==, g_variant_get_uint64(d0)); /* the original deadline */
        g_autofree char *s4 = bs_test_ipt_S(4);
        g_assert_nonnull(strstr(s4, "192.0.2.12"));
        wait_state(path, "rolled-back");
        g_autofree char *reason = tx_string(path, "RollbackReason");
        g_assert_cmpstr(reason, ==, "timeout");
        g_autofree char *s4b = bs_test_ipt_S(4);
        g_assert_cmpstr(s4b, ==, empty_S);
}

/* Transactions one after another on tables nobody else changed share one
 * journal base: the third, pending when the daemon is killed, names the
 * base its first one wrote and replays the two confirmed ones. Resumed,
 * it rolls back to the tables the second one left. */
static void test_sigkill_restart_replays_base(void) {
        bs_test_reset_tables();
        const char *a[] = { "-A INPUT -s 192.0.2.21/32 -j ACCEPT", NULL };
        const char *b[] = { "-I INPUT 1 -s 192.0.2.22/32 -j ACCEPT", "-N svc", NULL };
        const char *c[] = { "-I INPUT 2 -s 192.0.2.23/32 -j DROP", "-D INPUT -s 192.0.2.21/32 -j ACCEPT", "-A svc -j RETURN", NULL };
        g_autofree char *pa = apply_ok(a, 60);
        tx_call(pa, "Confirm", g_variant_new("(a{sv})", NULL), NULL);
        g_autofree char *pb = apply_ok(b, 60);
        tx_call(pb, "Confirm", g_variant_new("(a{sv})", NULL), NULL);
        g_autofree char *s4_before = bs_test_ipt_S(4);
        g_autofree char *pc = apply_ok(c, 6);
        g_autofree char *s4_during = bs_test_ipt_S(4);
        g_assert_cmpstr(s4_during, !=, s4_before);

        /* the journal names the base and replays a and b */
        g_autofree char *journal_path = g_build_filename(F->runtime_dir, "journal", NULL);
        g_autofree char *journal = NULL;
        g_assert_true(g_file_get_contents(journal_path, &journal, NULL, NULL));
        g_assert_nonnull(strstr(journal, "\nbase journal-base-"));
        g_assert_nonnull(strstr(journal, "iptables -A INPUT -s 192.0.2.21/32 -j ACCEPT\n"));
        g_assert_nonnull(strstr(journal, "iptables -N svc\n"));
        g_assert_null(strstr(journal, "table before"));

        int status = bs_bus_fixture_stop_daemon(F, SIGKILL);
        g_assert_true(WIFSIGNALED(status));
        bs_bus_fixture_start_daemon(F, NULL, NULL, NULL);
        g_autofree char *pend = pending_path();
        g_assert_cmpstr(pend, ==, pc);
        wait_state(pc, "rolled-back");
        g_autofree char *s4_after = bs_test_ipt_S(4);
        g_assert_cmpstr(s4_after, ==, s4_before);
}

/* The journal-base-* file in the runtime dir (asserts there is one). */
static char *base_file(void) {
        g_autoptr(GDir) d = g_dir_open(F->runtime_dir, 0, NULL);
        g_assert_nonnull(d);
        char *found = NULL;
        for (const char *n; (n = g_dir_read_name(d));)
                if (g_str_has_prefix(n, "journal-base-")) {
                        g_assert_null(found);
                        found = g_strdup(n);
                }
        g_assert_nonnull(found);
        return found;
}

/* Others' commits between ours: with nf_tables' notifications (nft) the
 * journal base follows them, its replay redoing their rules, instead of
 * being written again; with legacy a new base is written. Either way a
 * transaction pending at a crash rolls back to the tables with the
 * others' changes. */
static void test_sigkill_restart_others_in_base(void) {
        bs_test_reset_tables();
        const char *a[] = { "-A INPUT -s 192.0.2.31/32 -j ACCEPT", "-A INPUT -s 192.0.2.32/32 -j ACCEPT", NULL };
        const char *c[] = { "-I INPUT 2 -s 192.0.2.33/32 -j DROP", NULL };
        g_autofree char *pa = apply_ok(a, 60);
        tx_call(pa, "Confirm", g_variant_new("(a{sv})", NULL), NULL);
        g_autofree char *base_a = base_file();

        bs_test_ipt(4, "-I INPUT 1 -s 198.51.100.7/32 -j ACCEPT");
        bs_test_ipt(4, "-A INPUT -s 198.51.100.8/32 -p tcp -m tcp --dport 22 -j ACCEPT");
        bs_test_ipt(4, "-D INPUT -s 192.0.2.31/32 -j ACCEPT");
        g_autofree char *s4_before = bs_test_ipt_S(4);

        g_autofree char *pc = apply_ok(c, 6);
        g_autofree char *journal_path = g_build_filename(F->runtime_dir, "journal", NULL);
        g_autofree char *journal = NULL;
        g_assert_true(g_file_get_contents(journal_path, &journal, NULL, NULL));
        g_autofree char *base_c = base_file();
        if (bs_test_backend_is_nft()) {
                g_assert_cmpstr(base_c, ==, base_a);
                g_assert_nonnull(strstr(journal, "iptables -I INPUT 1 -s 198.51.100.7/32 -j ACCEPT\n"));
                g_assert_nonnull(strstr(journal, "iptables -I INPUT 4 -s 198.51.100.8/32 -p tcp -m tcp --dport 22 "
                                                 "-j ACCEPT\n"));
                g_assert_nonnull(strstr(journal, "iptables -D INPUT 2\n"));
        } else
                g_assert_cmpstr(base_c, !=, base_a);

        int status = bs_bus_fixture_stop_daemon(F, SIGKILL);
        g_assert_true(WIFSIGNALED(status));
        bs_bus_fixture_start_daemon(F, NULL, NULL, NULL);
        g_autofree char *pend = pending_path();
        g_assert_cmpstr(pend, ==, pc);
        wait_state(pc, "rolled-back");
        g_autofree char *s4_after = bs_test_ipt_S(4);
        g_assert_cmpstr(s4_after, ==, s4_before);
}

static void test_sigkill_restart_expired(void) {
        bs_test_reset_tables();
        const char *changes[] = { "-A INPUT -s 192.0.2.13/32 -j DROP", NULL };
        g_autofree char *path = apply_ok(changes, 1);
        (void) bs_bus_fixture_stop_daemon(F, SIGKILL);
        bs_test_ipt(4, "-A INPUT -s 198.51.100.2/32 -j ACCEPT"); /* while nobody watches */
        g_usleep(1500 * 1000);                            /* the deadline passes */
        bs_bus_fixture_start_daemon(F, NULL, NULL, NULL);
        /* rolled back before the daemon took its name */
        g_autofree char *s4 = bs_test_ipt_S(4);
        g_assert_cmpstr(s4, ==,
                        "-P INPUT ACCEPT\n-P FORWARD ACCEPT\n-P OUTPUT ACCEPT\n-A INPUT -s 198.51.100.2/32 -j ACCEPT\n");
        g_autofree char *state = tx_string(path, "State"), *reason = tx_string(path, "RollbackReason");
        g_assert_cmpstr(state, ==, "rolled-back");
        g_assert_cmpstr(reason, ==, "daemon-restart");
}

static void test_sigterm_rolls_back(void) {
        bs_test_reset_tables();
        const char *changes[] = { "-P INPUT DROP", "-A INPUT -i lo -j ACCEPT", NULL };
        g_autofree char *path = apply_ok(changes, 60);
        int status = bs_bus_fixture_stop_daemon(F, SIGTERM);
        g_assert_true(WIFEXITED(status));
        g_assert_cmpint(WEXITSTATUS(status), ==, 0);
        g_autofree char *s4 = bs_test_ipt_S(4), *s6 = bs_test_ipt_S(6);
        g_assert_cmpstr(s4, ==, empty_S);
        g_assert_cmpstr(s6, ==, empty_S);
        g_autofree char *journal = g_build_filename(F->runtime_dir, "journal", NULL);
        g_assert_false(g_file_test(journal, G_FILE_TEST_EXISTS));
        bs_bus_fixture_start_daemon(F, NULL, NULL, NULL);
        g_autofree char *pend = pending_path();
        g_assert_cmpstr(pend, ==, "/");
}

static guint count_corrupt_files(void) {
        g_autoptr(GDir) d = g_dir_open(F->runtime_dir, 0, NULL);
        guint n = 0;
        const char *name;
        while ((name = g_dir_read_name(d)))
                n += g_str_has_prefix(name, "journal.corrupt-");
        return n;
}

static void check_corrupt_journal(const char *content, gsize len) {
        (void) bs_bus_fixture_stop_daemon(F, SIGTERM);
        bs_test_reset_tables();
        bs_test_ipt(4, "-A INPUT -s 192.0.2.99/32 -j DROP");
        g_autofree char *before = bs_test_ipt_S(4);
        g_autofree char *journal = g_build_filename(F->runtime_dir, "journal", NULL);
        g_assert_true(g_file_set_contents(journal, content, (gssize) len, NULL));
        guint n0 = count_corrupt_files();
        bs_bus_fixture_start_daemon(F, NULL, NULL, NULL);
        g_autofree char *after = bs_test_ipt_S(4), *pend = pending_path();
        g_assert_cmpstr(after, ==, before); /* no guessing */
        g_assert_cmpstr(pend, ==, "/");
        g_assert_false(g_file_test(journal, G_FILE_TEST_EXISTS));
        g_assert_cmpuint(count_corrupt_files(), ==, n0 + 1);
        /* and the daemon works */
        const char *changes[] = { "-A INPUT -s 192.0.2.14/32 -j DROP", NULL };
        g_autofree char *path = apply_ok(changes, 30);
        tx_call(path, "Rollback", NULL, NULL);
}

static void test_corrupt_journal(void) {
        /* a real journal, truncated, and one with a flipped byte */
        bs_test_reset_tables();
        const char *changes[] = { "-A INPUT -s 192.0.2.15/32 -j DROP", NULL };
        g_autofree char *path = apply_ok(changes, 60);
        g_autofree char *journal = g_build_filename(F->runtime_dir, "journal", NULL);
        g_autofree char *real = NULL;
        gsize len;
        g_assert_true(g_file_get_contents(journal, &real, &len, NULL));
        tx_call(path, "Rollback", NULL, NULL);

        check_corrupt_journal(real, len / 2);
        real[len / 3] ^= 0x01;
        check_corrupt_journal(real, len);
        check_corrupt_journal("garbage\n", 8);
}

static void test_readonly_runtime_dir(void) {
        (void) bs_bus_fixture_stop_daemon(F, SIGTERM);
        bs_test_reset_tables();
        g_autofree char *ro = g_build_filename(F->tmpdir, "ro", NULL);
        g_assert_cmpint(g_mkdir(ro, 0700), ==, 0);
        /* our own mount namespace (main() made it): the host sees nothing */
        g_assert_cmpint(mount("backstop-test", ro, "tmpfs", MS_RDONLY, "size=64k"), ==, 0);
        g_autofree char *env = g_strdup_printf("BACKSTOP_RUNTIME_DIR=%s", ro);
        const char *extra_env[] = { env, NULL };
        bs_bus_fixture_start_daemon(F, NULL, extra_env, NULL);

        g_autoptr(GError) error = NULL;
        const char *changes[] = { "-P INPUT DROP", NULL };
        g_autofree char *path = apply(changes, opts_forced(30), &error);
        g_assert_null(path);
        g_autofree char *name = g_dbus_error_get_remote_error(error);
        g_assert_cmpstr(name, ==, "org.backstop.Firewall1.Error.Failed");
        g_autofree char *s4 = bs_test_ipt_S(4), *s6 = bs_test_ipt_S(6);
        g_assert_cmpstr(s4, ==, empty_S);
        g_assert_cmpstr(s6, ==, empty_S);

        (void) bs_bus_fixture_stop_daemon(F, SIGTERM);
        g_assert_cmpint(umount(ro), ==, 0);
        bs_bus_fixture_start_daemon(F, NULL, NULL, NULL);
}

static char *save_normalized(int family) {
        const char *argv[] = { bs_test_ipt_save_prog(family), NULL };
        g_autofree char *out = bs_test_run(argv);
        g_auto(GStrv) lines = g_strsplit(out, "\n", -1);
        GString *s = g_string_new(NULL);
        for (char **l = lines; *l; l++) {
                if ((*l)[0] == '#' || !(*l)[0])
                        continue;
                g_autofree char *line = g_strdup(*l);
                char *c = strstr(line, " [");
                if ((*l)[0] == ':' && c)
                        *c = 0; /* ":INPUT ACCEPT [0:0]": counters differ */
                g_string_append_printf(s, "%s\n", line);
        }
        return g_string_free(s, FALSE);
}

/* RulesSaved as of now: the property shows what the daemon computed at its
 * last commit, Save or refresh; GetStatus recomputes it (the tests change
 * the tables behind the daemon's back). */
static gboolean rules_saved(void) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) r = call(PATH, IFACE, "GetStatus", NULL, "(a{sv}aa{sv})", &error);
        g_assert_no_error(error);
        g_autoptr(GVariant) props = g_variant_get_child_value(r, 0);
        gboolean saved = FALSE;
        g_assert_true(g_variant_lookup(props, "RulesSaved", "b", &saved));
        return saved;
}

static void test_save_restore(void) {
        bs_test_reset_tables();
        const char *changes[] = {
                "-N svc",
                "-A svc -p tcp -m multiport --dports 80,443 -j ACCEPT",
                "-A INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT",
                "-A INPUT -i lo -j ACCEPT",
                "-A INPUT -j svc",
                "-A INPUT -p tcp --dport 22 -m comment --comment \"ssh in\" -j ACCEPT",
                "-A INPUT -m recent --update --seconds 60 --hitcount 4 --name ssh --mask 255.255.255.255 --rsource "
                "-j DROP",
                "-A svc -m string --string \"x y\" --algo bm -j NFLOG --nflog-group 3",
                "-6 -A INPUT -p ipv6-icmp -j ACCEPT",
                "-P FORWARD DROP",
                NULL,
        };
        g_autofree char *path = apply_ok(changes, 30);
        GVariantBuilder b;
        g_variant_builder_init(&b, G_VARIANT_TYPE("a{sv}"));
        tx_call(path, "Confirm", g_variant_new("(a{sv})", &b), NULL);
        g_assert_false(rules_saved());
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) r = call(PATH, IFACE, "Save", NULL, "()", &error);
        g_assert_no_error(error);
        g_assert_true(rules_saved());

        g_autofree char *want4 = save_normalized(4), *want6 = save_normalized(6);
        /* the files are iptables-restore input, the extensions in iptables'
         * own words (through the helper) */
        g_assert_nonnull(strstr(want4, "-m recent --update --seconds 60 --hitcount 4 --name ssh"));
        for (int f = 4; f <= 6; f += 2) {
                g_autofree char *file = g_build_filename(F->state_dir, f == 4 ? "rules.v4" : "rules.v6", NULL);
                g_autofree char *cmd = g_strdup_printf("%s --test < '%s'",
                                                       bs_test_ipt_restore_prog(f), file);
                const char *argv[] = { "sh", "-c", cmd, NULL };
                g_free(bs_test_run(argv));
        }

        /* the "save" option saves on Confirm */
        const char *more[] = { "-A OUTPUT -d 192.0.2.60/32 -j ACCEPT", NULL };
        GVariantBuilder ob;
        g_variant_builder_init(&ob, G_VARIANT_TYPE("a{sv}"));
        g_variant_builder_add(&ob, "{sv}", "timeout", g_variant_new_uint32(30));
        g_variant_builder_add(&ob, "{sv}", "save", g_variant_new_boolean(TRUE));
        g_autofree char *tx2 = apply(more, g_variant_builder_end(&ob), &error);
        g_assert_no_error(error);
        g_assert_false(rules_saved());
        g_variant_builder_init(&b, G_VARIANT_TYPE("a{sv}"));
        tx_call(tx2, "Confirm", g_variant_new("(a{sv})", &b), NULL);
        g_assert_true(rules_saved());
        g_free(want4);
        want4 = save_normalized(4);
        g_assert_nonnull(strstr(want4, "-A OUTPUT -d 192.0.2.60/32 -j ACCEPT"));

        bs_test_reset_tables();
        g_assert_false(rules_saved());
        g_autofree char *backstopd = bs_test_build_path("daemon/backstopd");
        g_autofree char *state_arg = g_strdup_printf("--state-dir=%s", F->state_dir);
        const char *argv[] = { backstopd, "--restore", state_arg, NULL };
        g_free(bs_test_run(argv));
        g_autofree char *got4 = save_normalized(4), *got6 = save_normalized(6);
        g_assert_cmpstr(got4, ==, want4);
        g_assert_cmpstr(got6, ==, want6);
        g_assert_true(rules_saved());
        bs_test_reset_tables();
}

int main(int argc, char **argv) {
        int r = bus_service_init(&argc, &argv, TRUE);
        if (r != 0)
                return r;
        g_test_add_func("/service/sigkill-restart-resumes", test_sigkill_restart_resumes);
        g_test_add_func("/service/sigkill-restart-replays-base", test_sigkill_restart_replays_base);
        g_test_add_func("/service/sigkill-restart-others-in-base", test_sigkill_restart_others_in_base);
        g_test_add_func("/service/sigkill-restart-expired", test_sigkill_restart_expired);
        g_test_add_func("/service/sigterm-rolls-back", test_sigterm_rolls_back);
        g_test_add_func("/service/corrupt-journal", test_corrupt_journal);
        g_test_add_func("/service/readonly-runtime-dir", test_readonly_runtime_dir);
        g_test_add_func("/service/save-restore", test_save_restore);
        return bus_service_run();
}
