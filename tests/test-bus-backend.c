/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* backstopd chooses its backend and says which and why, on a private bus in
 * a private network namespace (bus-fixture.h):
 *  - Backends and BackendReason from the configuration file, the command
 *    line over it, and auto from a fake alternatives link;
 *  - a bad configuration file stops the daemon naming file, line and value,
 *    and --restore goes on with auto;
 *  - the other ruleset: with --backend=nft the legacy INPUT chain and
 *    nftables chains other than ip/ip6 filter are reported, iptables-nft's
 *    own ip filter is not; with legacy, nftables (ip filter included) is
 *    reported and the legacy table is not;
 *  - backstopctl status prints it, and --json carries it.
 * Every case but the first names the backends it starts and the rulesets
 * it writes (iptables-legacy through bs_test_ipt: those cases run only
 * with BACKSTOP_TEST_BACKEND=legacy, where bs_test_ipt is
 * iptables-legacy); the first follows the backend under test, which the
 * fixture's configuration file names.
 * The daemon with --backend=nft here asserts only what does not need the
 * nft backend's table reader (the choice, the reason, the reports); its
 * rule counts and reads are left to the nft backend's own tests.
 * Exits 77 when not root or without namespaces. */
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <signal.h>

#include "bus-test-util.h"
#include "client-run.h"
#include "test-backend.h"

static BsBusFixture *F;
static GDBusConnection *C;

static char *write_conf(const char *name, const char *content) {
        g_autofree char *p = g_build_filename(F->tmpdir, name, NULL);
        g_autoptr(GError) error = NULL;
        g_assert_true(g_file_set_contents(p, content, -1, &error));
        return g_steal_pointer(&p);
}

static void start(const char *const *env, const char *const *args) {
        bs_bus_fixture_start_daemon(F, NULL, env, args);
        C = bs_bus_fixture_connect(F);
}

static void stop(void) {
        g_clear_object(&C);
        g_assert_cmpint(bs_bus_fixture_stop_daemon(F, SIGTERM), ==, 0);
}

static char *prop_string(const char *name) {
        return bs_test_get_string(C, 10000, PATH, IFACE, name);
}

static gboolean prop_bool(const char *name) {
        g_autoptr(GVariant) v = bs_test_get_property(C, 10000, PATH, IFACE, name);
        return g_variant_get_boolean(v);
}

static char *backends(void) {
        g_autoptr(GVariant) v = bs_test_get_property(C, 10000, PATH, IFACE, "Backends");
        return g_variant_print(v, FALSE);
}

static void assert_backend(const char *want_backends, const char *want_reason) {
        g_autofree char *b = backends(), *reason = prop_string("BackendReason");
        g_test_message("Backends %s, BackendReason \"%s\"", b, reason);
        g_assert_cmpstr(b, ==, want_backends);
        g_assert_cmpstr(reason, ==, want_reason);
}

static void test_config_file(void) {
        /* the fixture's private file names the backend under test */
        start(NULL, NULL);
        g_autofree char *want = g_strdup_printf("configured in %s (Backend=%s)", g_getenv("BACKSTOP_CONFIG"),
                                                bs_test_backend_name());
        g_autofree char *want_backends = g_strdup_printf("['iptables-%s']", bs_test_backend_name());
        assert_backend(want_backends, want);
        stop();
}

static void test_command_line_overrides(void) {
        g_autofree char *conf = write_conf("nft.conf", "# says nft\nBackend=nft\n");
        g_autofree char *env_conf = g_strdup_printf("BACKSTOP_CONFIG=%s", conf);
        const char *env[] = { env_conf, NULL };
        const char *args[] = { "--backend=legacy", NULL };
        start(env, args);
        assert_backend("['iptables-legacy']", "--backend=legacy");
        stop();

        /* --config= over $BACKSTOP_CONFIG */
        const char *args2[] = { NULL, NULL };
        g_autofree char *legacy_conf = write_conf("legacy.conf", "Backend = legacy\n");
        g_autofree char *arg_conf = g_strdup_printf("--config=%s", legacy_conf);
        args2[0] = arg_conf;
        start(env, args2);
        g_autofree char *want = g_strdup_printf("configured in %s (Backend=legacy)", legacy_conf);
        assert_backend("['iptables-legacy']", want);
        stop();
}

static void test_auto_link(void) {
        g_autofree char *conf = write_conf("auto.conf", "Backend=auto\n");
        g_autofree char *link = g_build_filename(F->tmpdir, "iptables-alternative", NULL);
        g_autofree char *env_conf = g_strdup_printf("BACKSTOP_CONFIG=%s", conf);
        g_autofree char *env_links = g_strdup_printf("BACKSTOP_IPTABLES_LINKS=%s", link);
        const char *env[] = { env_conf, env_links, NULL };

        static const struct {
                const char *target, *backend;
        } cases[] = {
                { "/usr/sbin/iptables-legacy", "['iptables-legacy']" },
                { "/usr/sbin/iptables-nft", "['iptables-nft']" },
        };
        for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
                if (!g_file_test(cases[i].target, G_FILE_TEST_EXISTS)) {
                        g_test_message("%s is not installed: case left out", cases[i].target);
                        continue;
                }
                (void) g_unlink(link);
                g_assert_cmpint(symlink(cases[i].target, link), ==, 0);
                start(env, NULL);
                g_autofree char *want = g_strdup_printf("auto: %s -> %s", link, cases[i].target);
                assert_backend(cases[i].backend, want);
                stop();
        }
}

/* backstopd run to its end, not as the fixture's daemon: its exit status
 * and its log */
static int run_daemon(const char *const *env, const char *const *args, char **ret_err) {
        g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func(g_free);
        g_ptr_array_add(argv, bs_test_build_path("daemon/backstopd"));
        for (size_t i = 0; args && args[i]; i++)
                g_ptr_array_add(argv, g_strdup(args[i]));
        g_ptr_array_add(argv, NULL);
        g_auto(GStrv) envp = g_get_environ();
        for (size_t i = 0; env && env[i]; i++) {
                g_auto(GStrv) kv = g_strsplit(env[i], "=", 2);
                envp = g_environ_setenv(envp, kv[0], kv[1], TRUE);
        }
        int status = 0;
        g_autoptr(GError) error = NULL;
        g_assert_true(g_spawn_sync(NULL, (char **) argv->pdata, envp, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL,
                                   ret_err, &status, &error));
        g_assert_no_error(error);
        g_test_message("backstopd exited with %d: %s", status, *ret_err);
        return status;
}

static void test_bad_config(void) {
        static const struct {
                const char *content, *want;
        } cases[] = {
                { "# ok\nBackend=iptables\n", ":2: Backend=\"iptables\" is not auto, legacy or nft" },
                { "Backend=nft\nFirewall=on\n", ":2: unknown key \"Firewall\" (the keys: Backend)" },
        };
        for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
                g_autofree char *conf = write_conf("bad.conf", cases[i].content);
                g_autofree char *env_conf = g_strdup_printf("BACKSTOP_CONFIG=%s", conf);
                g_autofree char *want = g_strdup_printf("Bad configuration file: %s%s", conf, cases[i].want);
                const char *env[] = { env_conf, NULL };
                g_autofree char *err = NULL;
                /* the daemon stops before it touches anything */
                g_assert_cmpint(run_daemon(env, NULL, &err), !=, 0);
                g_assert_nonnull(strstr(err, want));
                g_clear_pointer(&err, g_free);
                /* --restore says so, and loads where auto finds (no saved
                 * rules here: nothing) */
                g_autofree char *state = g_strdup_printf("--state-dir=%s", F->state_dir);
                g_autofree char *run = g_strdup_printf("--runtime-dir=%s", F->runtime_dir);
                const char *args[] = { "--restore", state, run, NULL };
                g_assert_cmpint(run_daemon(env, args, &err), ==, 0);
                g_assert_nonnull(strstr(err, want));
                g_assert_nonnull(strstr(err, "Ignoring it: the rules go where auto finds them."));
                g_assert_nonnull(strstr(err, "Backend iptables-"));
                g_assert_nonnull(strstr(err, " (auto: "));
        }

        /* a file asked for by name must exist */
        const char *args[] = { "--config=/nonexistent/backstopd.conf", NULL };
        g_autofree char *err = NULL;
        g_assert_cmpint(run_daemon(NULL, args, &err), !=, 0);
        g_assert_nonnull(strstr(err, "Bad configuration file: /nonexistent/backstopd.conf: No such file or directory"));
        g_clear_pointer(&err, g_free);
        const char *args2[] = { "--backend=iptables", NULL };
        g_assert_cmpint(run_daemon(NULL, args2, &err), !=, 0);
        g_assert_nonnull(strstr(err, "--backend: \"iptables\" is not auto, legacy or nft."));
}

/* The netns gets both rulesets: legacy INPUT rules (IPv4 a rule, IPv6
 * policy DROP), iptables-nft's own ip filter INPUT, and an inet table of
 * nft's with a base chain on input. */
static void mixed_rulesets(void) {
        bs_test_ipt(4, "-A INPUT -p tcp --dport 22 -j ACCEPT");
        bs_test_ipt(6, "-P INPUT DROP");
        const char *ipt_nft[] = { "iptables-nft", "-A", "INPUT", "-p", "tcp", "--dport", "80", "-j", "ACCEPT", NULL };
        g_free(bs_test_run(ipt_nft));
        const char *t[] = { "nft", "add", "table", "inet", "t", NULL };
        g_free(bs_test_run(t));
        const char *ch[] = { "nft", "add", "chain", "inet", "t", "in",
                             "{ type filter hook input priority 0; policy drop; }", NULL };
        g_free(bs_test_run(ch));
}

static void clear_rulesets(void) {
        bs_test_reset_tables();
        const char *flush[] = { "nft", "flush", "ruleset", NULL };
        g_free(bs_test_run(flush));
}

static int ctl(char **out, const char *first, ...) {
        g_autofree char *err = NULL;
        va_list ap;
        va_start(ap, first);
        int r = client_run_valist(F->bus_address, out, &err, first, ap);
        va_end(ap);
        g_test_message("backstopctl: %s%s", *out, err);
        return r;
}

static void test_nft_reports_legacy(void) {
        mixed_rulesets();
        const char *args[] = { "--backend=nft", NULL };
        start(NULL, args);
        assert_backend("['iptables-nft']", "--backend=nft");

        g_assert_true(prop_bool("LegacyFiltersInput"));
        g_autofree char *legacy = prop_string("LegacyDescription");
        g_assert_cmpstr(legacy, ==, "ipv4 filter INPUT: 1 rule, policy ACCEPT; ipv6 filter INPUT: 0 rules, policy DROP");
        /* nft's inet table is another ruleset; iptables-nft's ip filter is ours */
        g_assert_true(prop_bool("NftablesFiltersInput"));
        g_autofree char *nft = prop_string("NftablesDescription");
        g_assert_cmpstr(nft, ==, "inet t in (priority 0, policy drop)");

        g_autofree char *out = NULL;
        g_assert_cmpint(ctl(&out, "status", NULL), ==, 0);
        g_assert_nonnull(strstr(out, "         Backend: iptables-nft (--backend=nft)\n"));
        g_assert_nonnull(strstr(out, "          Daemon: backstopd "));
        g_assert_nonnull(strstr(out, "        nftables: ALSO FILTERS INPUT (both rule sets apply to every packet): "
                                     "inet t in (priority 0, policy drop)\n"));
        g_assert_nonnull(strstr(out, " iptables-legacy: ALSO FILTERS INPUT (both rule sets apply to every packet): "
                                     "ipv4 filter INPUT: 1 rule, policy ACCEPT; ipv6 filter INPUT: 0 rules, policy DROP\n"));
        g_clear_pointer(&out, g_free);
        g_assert_cmpint(ctl(&out, "--json", "status", NULL), ==, 0);
        g_autofree char *j = json_eval(out, "[d['manager'][k] for k in ('Backends', 'BackendReason', "
                                            "'LegacyFiltersInput', 'NftablesFiltersInput')]");
        g_assert_cmpstr(j, ==, "[['iptables-nft'], '--backend=nft', True, True]");
        stop();

        /* nothing but our own ip filter: neither is reported */
        clear_rulesets();
        const char *ipt_nft[] = { "iptables-nft", "-A", "INPUT", "-j", "ACCEPT", NULL };
        g_free(bs_test_run(ipt_nft));
        start(NULL, args);
        g_assert_false(prop_bool("LegacyFiltersInput"));
        g_assert_false(prop_bool("NftablesFiltersInput"));
        g_clear_pointer(&out, g_free);
        g_assert_cmpint(ctl(&out, "status", NULL), ==, 0);
        g_assert_nonnull(strstr(out, "        nftables: no chains but Backstop's own filter INPUT\n"));
        g_assert_nonnull(strstr(out, " iptables-legacy: does not filter INPUT\n"));
        stop();
        clear_rulesets();
}

static void test_legacy_reports_nft(void) {
        mixed_rulesets();
        start(NULL, NULL);
        g_assert_false(prop_bool("LegacyFiltersInput"));  /* ours */
        g_autofree char *legacy = prop_string("LegacyDescription");
        g_assert_cmpstr(legacy, ==, "");
        g_assert_true(prop_bool("NftablesFiltersInput"));
        g_autofree char *nft = prop_string("NftablesDescription");
        g_assert_nonnull(strstr(nft, "inet t in (priority 0, policy drop)"));
        g_assert_nonnull(strstr(nft, "ip filter INPUT"));  /* iptables-nft's is another ruleset here */

        g_autofree char *out = NULL;
        g_assert_cmpint(ctl(&out, "status", NULL), ==, 0);
        g_autofree char *want = g_strdup_printf("         Backend: iptables-legacy (configured in %s (Backend=legacy))\n",
                                                g_getenv("BACKSTOP_CONFIG"));
        g_assert_nonnull(strstr(out, want));
        g_assert_nonnull(strstr(out, "        nftables: ALSO FILTERS INPUT"));
        g_assert_null(strstr(out, "iptables-legacy:"));
        stop();
        clear_rulesets();
}

int main(int argc, char **argv) {
        g_test_init(&argc, &argv, NULL);
        if (!bs_test_enter_private_netns())
                return 77;
        F = bs_bus_fixture_new();
        g_test_add_func("/bus-backend/config-file", test_config_file);
        /* the rest start the backends they name, whichever is under test:
         * once is enough */
        if (!bs_test_backend_is_nft()) {
                g_test_add_func("/bus-backend/command-line-overrides", test_command_line_overrides);
                g_test_add_func("/bus-backend/auto-link", test_auto_link);
                g_test_add_func("/bus-backend/bad-config", test_bad_config);
                g_test_add_func("/bus-backend/nft-reports-legacy", test_nft_reports_legacy);
                g_test_add_func("/bus-backend/legacy-reports-nft", test_legacy_reports_nft);
        }
        int r = g_test_run();
        bs_bus_fixture_free(F);
        return r;
}
