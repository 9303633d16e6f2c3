/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* backstopctl's systemd conventions against the real backstopd
 * (tests/bus-fixture.c: a private network namespace, system bus and the
 * daemon from the build tree):
 *  - the pager: run through a pseudo-terminal with a stand-in pager that
 *    records that it ran and its environment; SYSTEMD_PAGER before PAGER,
 *    LESS set as systemd sets it, none with --no-pager, --json, "cat", an
 *    empty value, or when stdout is not a terminal;
 *  - --json=short|pretty|off, and a bad mode as a usage error;
 *  - --no-legend;
 *  - VERB --help and help VERB;
 *  - the shell completions (tests/client-completion.sh) against the daemon.
 * Exits 77 when not root or without namespaces. */

#include <gio/gio.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bus-fixture.h"
#include "bus-test-util.h"
#include "client-run.h"

static BsBusFixture *fixture;
static char *pager_script;  /* the stand-in pager */
static char *pager_record;  /* what it wrote when it ran */

#define CTL(out, err, ...) client_run_va(fixture->bus_address, out, err, __VA_ARGS__, NULL)

/* The stand-in pager: records its environment, then shows its input as cat
 * would. */
static void write_pager_script(void) {
        pager_record = g_build_filename(fixture->tmpdir, "pager-record", NULL);
        pager_script = g_build_filename(fixture->tmpdir, "stand-in-pager", NULL);
        g_autofree char *text = g_strdup_printf("#!/bin/sh\n"
                                                "{ echo ran; echo \"LESS=$LESS\"; echo \"args=$*\"; } >'%s'\n"
                                                "exec cat\n",
                                                pager_record);
        g_assert_true(g_file_set_contents(pager_script, text, -1, NULL));
        g_assert_cmpint(g_chmod(pager_script, 0755), ==, 0);
}

/* Runs backstopctl with args in a pseudo-terminal (or with pipes) and env;
 * returns the record of the pager ("" when it did not run). */
static char *run_paged(gboolean tty, const char *const *args, const char *const *env, int want_exit,
                       char **ret_out) {
        (void) g_unlink(pager_record);
        ClientRun *r = tty ? client_run_pty(fixture->bus_address, args, env)
                           : client_run_pipes(fixture->bus_address, args, env);
        client_run_close_stdin(r);
        int code = client_run_finish(r);
        if (code != want_exit)
                g_error("exit %d, not %d; output:\n%s\nstderr:\n%s", code, want_exit, r->out->str, r->err->str);
        if (ret_out)
                *ret_out = g_strdup(r->out->str);
        client_run_free(r);
        char *record = NULL;
        if (!g_file_get_contents(pager_record, &record, NULL, NULL))
                record = g_strdup("");
        return record;
}

static void test_pager(void) {
        bs_test_reset_tables();
        g_autofree char *pager_env = g_strdup_printf("PAGER=%s", pager_script);
        g_autofree char *systemd_pager_env = g_strdup_printf("SYSTEMD_PAGER=%s", pager_script);
        const char *rules[] = { "rules", NULL };
        g_autofree char *out = NULL;

        /* PAGER on a terminal: the output goes through it, LESS as systemd sets it */
        const char *env1[] = { pager_env, "LESS=bogus", NULL };
        g_autofree char *rec = run_paged(TRUE, rules, env1, 0, &out);
        g_assert_cmpstr(rec, ==, "ran\nLESS=FRXMK\nargs=\n");
        g_assert_nonnull(strstr(out, "-P INPUT ACCEPT"));

        /* SYSTEMD_PAGER first, SYSTEMD_LESS for LESS */
        const char *env2[] = { systemd_pager_env, "PAGER=/nonexistent/pager", "SYSTEMD_LESS=FR", NULL };
        g_clear_pointer(&rec, g_free);
        rec = run_paged(TRUE, rules, env2, 0, NULL);
        g_assert_cmpstr(rec, ==, "ran\nLESS=FR\nargs=\n");

        /* the help too; a failing verb keeps its exit code through the pager */
        const char *help[] = { "rules", "--help", NULL };
        g_clear_pointer(&rec, g_free);
        rec = run_paged(TRUE, help, env1, 0, NULL);
        g_assert_true(g_str_has_prefix(rec, "ran\n"));
        const char *missing[] = { "rules", "nosuchchain", NULL };
        g_clear_pointer(&rec, g_free);
        g_clear_pointer(&out, g_free);
        rec = run_paged(TRUE, missing, env1, 1, &out);
        g_assert_nonnull(strstr(out, "nosuchchain"));

        /* no pager: --no-pager, --json, SYSTEMD_PAGER=cat or empty, a pipe */
        const char *no_pager[] = { "--no-pager", "rules", NULL };
        g_clear_pointer(&rec, g_free);
        g_clear_pointer(&out, g_free);
        rec = run_paged(TRUE, no_pager, env1, 0, &out);
        g_assert_cmpstr(rec, ==, "");
        g_assert_nonnull(strstr(out, "-P INPUT ACCEPT"));
        const char *json[] = { "--json", "rules", NULL };
        g_clear_pointer(&rec, g_free);
        rec = run_paged(TRUE, json, env1, 0, NULL);
        g_assert_cmpstr(rec, ==, "");
        const char *env_cat[] = { "SYSTEMD_PAGER=cat", pager_env, NULL };
        g_clear_pointer(&rec, g_free);
        rec = run_paged(TRUE, rules, env_cat, 0, NULL);
        g_assert_cmpstr(rec, ==, "");
        const char *env_empty[] = { "SYSTEMD_PAGER=", pager_env, NULL };
        g_clear_pointer(&rec, g_free);
        rec = run_paged(TRUE, rules, env_empty, 0, NULL);
        g_assert_cmpstr(rec, ==, "");
        g_clear_pointer(&rec, g_free);
        g_clear_pointer(&out, g_free);
        rec = run_paged(FALSE, rules, env1, 0, &out);
        g_assert_cmpstr(rec, ==, "");
        g_assert_true(g_str_has_prefix(out, "-P INPUT ACCEPT\n"));

        /* a change verb is never paged: it may wait for "yes" on the terminal */
        const char *rollback[] = { "rollback", NULL };
        g_clear_pointer(&rec, g_free);
        rec = run_paged(TRUE, rollback, env1, 1, NULL);
        g_assert_cmpstr(rec, ==, "");
}

static void test_json_modes(void) {
        bs_test_reset_tables();
        g_autofree char *out = NULL, *err = NULL;

        /* pretty: the same document, indented */
        g_assert_cmpint(CTL(&out, &err, "--json=pretty", "status"), ==, 0);
        g_autofree char *v = json_eval(out, "[sorted(d.keys()), d['transaction']]");
        g_assert_cmpstr(v, ==, "[['chains', 'manager', 'rules_readable', 'transaction', 'unsaved_lines'], None]");
        g_assert_true(g_str_has_prefix(out, "{\n  \"manager\": {\n    \""));
        g_assert_true(g_str_has_suffix(out, "\n}\n"));

        /* short (bare --json too): one line; off: the text */
        g_autofree char *shrt = NULL, *bare = NULL, *off = NULL, *text = NULL;
        g_assert_cmpint(CTL(&shrt, NULL, "--json=short", "services", "dns"), ==, 0);
        g_assert_cmpint(CTL(&bare, NULL, "--json", "services", "dns"), ==, 0);
        g_assert_cmpstr(shrt, ==, bare);
        g_assert_cmpstr(strchr(shrt, '\n'), ==, "\n");
        g_clear_pointer(&out, g_free);
        g_assert_cmpint(CTL(&out, NULL, "--json=pretty", "services", "dns"), ==, 0);
        g_clear_pointer(&v, g_free);
        v = json_eval(out, "json.dumps(d, separators=(',', ':'))");
        g_autofree char *want = g_strndup(shrt, strlen(shrt) - 1);
        g_assert_cmpstr(v, ==, want);
        g_assert_cmpint(CTL(&off, NULL, "--json", "--json=off", "services", "dns"), ==, 0);
        g_assert_cmpint(CTL(&text, NULL, "services", "dns"), ==, 0);
        g_assert_cmpstr(off, ==, text);

        /* a bad mode: usage error naming it */
        g_clear_pointer(&out, g_free);
        g_clear_pointer(&err, g_free);
        g_assert_cmpint(CTL(&out, &err, "--json=bogus", "status"), ==, 2);
        g_assert_cmpstr(out, ==, "");
        g_assert_nonnull(strstr(err, "invalid --json 'bogus': expected short, pretty or off"));
}

/* A TCP connection over loopback that conntrack tracks, for the table of
 * connections. */
typedef struct LoopConn {
        GSocket *listener, *client, *server;
} LoopConn;

static void loop_conn_open(LoopConn *c) {
        g_autoptr(GError) error = NULL;
        c->listener = g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
        g_assert_no_error(error);
        g_autoptr(GInetAddress) lo = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
        g_autoptr(GSocketAddress) any = g_inet_socket_address_new(lo, 0);
        g_assert_true(g_socket_bind(c->listener, any, TRUE, &error));
        g_assert_true(g_socket_listen(c->listener, &error));
        g_autoptr(GSocketAddress) bound = g_socket_get_local_address(c->listener, &error);
        c->client = g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, &error);
        g_assert_true(g_socket_connect(c->client, bound, NULL, &error));
        c->server = g_socket_accept(c->listener, NULL, &error);
        g_assert_no_error(error);
}

static void loop_conn_close(LoopConn *c) {
        g_clear_object(&c->server);
        g_clear_object(&c->client);
        g_clear_object(&c->listener);
}

static void test_no_legend(void) {
        bs_test_reset_tables();
        /* conntrack tracks the namespace's connections once a rule uses it */
        bs_test_ipt(4, "-A INPUT -m conntrack --ctstate ESTABLISHED -j ACCEPT");
        LoopConn conn = {};
        loop_conn_open(&conn);

        g_autofree char *out = NULL, *plain = NULL;
        g_assert_cmpint(CTL(&out, NULL, "connections", "--all"), ==, 0);
        g_assert_true(g_str_has_prefix(out, "FAM   PROTO  FROM"));
        g_assert_cmpint(CTL(&plain, NULL, "--no-legend", "connections", "--all"), ==, 0);
        /* rows without the header (each one of the rows with it: conntrack
         * may drop an old entry between the two runs, so not all of them) */
        g_assert_true(g_str_has_prefix(plain, "IPv4  tcp "));
        g_auto(GStrv) rows = g_strsplit(plain, "\n", -1);
        for (size_t i = 0; rows[i] && *rows[i]; i++) {
                g_autofree char *row = g_strdup_printf("\n%s\n", rows[i]);
                g_assert_nonnull(strstr(out, row));
        }
        loop_conn_close(&conn);

        /* check: the rows, without the closing count */
        g_clear_pointer(&out, g_free);
        g_clear_pointer(&plain, g_free);
        int code = CTL(&out, NULL, "check");
        g_assert_cmpint(CTL(&plain, NULL, "check", "--no-legend"), ==, code);
        g_assert_true(strstr(out, "checks passed.\n") || strstr(out, "checks failed.\n"));
        g_assert_null(strstr(plain, "checks passed."));
        g_assert_null(strstr(plain, "checks failed."));
        g_assert_true(g_str_has_prefix(out, plain));
        g_assert_cmpuint(strlen(plain), >, 0);

        /* no inbound connection: no line at all */
        g_clear_pointer(&out, g_free);
        g_clear_pointer(&plain, g_free);
        g_assert_cmpint(CTL(&out, NULL, "connections"), ==, 0);
        if (g_str_equal(out, "No inbound connections.\n")) {
                g_assert_cmpint(CTL(&plain, NULL, "connections", "--no-legend"), ==, 0);
                g_assert_cmpstr(plain, ==, "");
        }
        bs_test_reset_tables();
}

static void test_verb_help(void) {
        g_autofree char *out = NULL, *err = NULL, *out2 = NULL;
        /* VERB --help, -h, and help VERB: that verb's usage, exit 0, nothing done */
        g_assert_cmpint(CTL(&out, &err, "rules", "--help"), ==, 0);
        g_assert_true(g_str_has_prefix(out, "backstopctl [OPTIONS...] rules [-4|-6] [-v] [--numbered] [CHAIN]\n"));
        g_assert_nonnull(strstr(out, "--numbered"));
        g_assert_null(strstr(out, "Commands:"));
        g_assert_cmpint(CTL(&out2, NULL, "help", "rules"), ==, 0);
        g_assert_cmpstr(out, ==, out2);
        g_clear_pointer(&out2, g_free);
        g_assert_cmpint(CTL(&out2, NULL, "-h", "rules"), ==, 0);
        g_assert_cmpstr(out, ==, out2);

        /* a verb with arguments it lacks still shows its help */
        g_clear_pointer(&out, g_free);
        g_assert_cmpint(CTL(&out, NULL, "delete", "--help"), ==, 0);
        g_assert_true(g_str_has_prefix(out, "backstopctl [OPTIONS...] delete [-4|-6] [OPTIONS...] CHAIN N\n"));
        g_assert_nonnull(strstr(out, "--timeout SEC"));
        g_clear_pointer(&out, g_free);
        g_assert_cmpint(CTL(&out, NULL, "apply", "--help", "-P INPUT DROP"), ==, 0);
        g_assert_true(g_str_has_prefix(out, "backstopctl [OPTIONS...] apply "));

        /* help alone, --help alone: the whole help */
        g_clear_pointer(&out, g_free);
        g_clear_pointer(&out2, g_free);
        g_assert_cmpint(CTL(&out, NULL, "help"), ==, 0);
        g_assert_cmpint(CTL(&out2, NULL, "--help"), ==, 0);
        g_assert_cmpstr(out, ==, out2);
        g_assert_nonnull(strstr(out, "Commands:"));

        /* an unknown verb: usage error */
        g_clear_pointer(&out, g_free);
        g_clear_pointer(&err, g_free);
        g_assert_cmpint(CTL(&out, &err, "help", "bogus"), ==, 2);
        g_assert_nonnull(strstr(err, "unknown command 'bogus'"));
        g_clear_pointer(&err, g_free);
        g_assert_cmpint(CTL(NULL, &err, "bogus", "--help"), ==, 2);
        g_assert_nonnull(strstr(err, "unknown command 'bogus'"));
        g_clear_pointer(&err, g_free);
        g_assert_cmpint(CTL(NULL, &err, "help", "rules", "status"), ==, 2);
        g_assert_nonnull(strstr(err, "too many arguments for 'help'"));
}

/* tests/client-completion.sh against the daemon, with a chain "svc" in IPv4
 * and a pending transaction. */
static void test_completion(void) {
        bs_test_reset_tables();
        bs_test_ipt(4, "-N svc");
        g_autofree char *out = NULL;
        g_assert_cmpint(CTL(&out, NULL, "--json", "apply", "--no-wait", "-A INPUT -p tcp --dport 9 -j ACCEPT"), ==, 0);
        g_autofree char *tx = json_eval(out, "d['id']");

        g_autofree char *script = g_build_filename(g_getenv("BACKSTOP_SOURCE_ROOT"), "tests", "client-completion.sh",
                                                   NULL);
        g_autofree char *client_dir = g_path_get_dirname(g_getenv("BACKSTOPCTL"));
        g_autofree char *path = g_strdup_printf("%s:%s", client_dir, g_getenv("PATH"));
        g_auto(GStrv) env = g_get_environ();
        env = g_environ_setenv(env, "DBUS_SYSTEM_BUS_ADDRESS", fixture->bus_address, TRUE);
        env = g_environ_setenv(env, "PATH", path, TRUE);
        const char *argv[] = { "bash", script, tx, NULL };
        g_autofree char *sout = NULL, *serr = NULL;
        int status = 0;
        g_autoptr(GError) error = NULL;
        g_assert_true(g_spawn_sync(NULL, (char **) argv, env, G_SPAWN_SEARCH_PATH, NULL, NULL, &sout, &serr, &status,
                                   &error));
        g_assert_no_error(error);
        g_test_message("%s%s", sout, serr);
        if (!g_spawn_check_wait_status(status, NULL))
                g_error("client-completion.sh failed:\n%s%s", sout, serr);

        g_assert_cmpint(CTL(NULL, NULL, "-q", "rollback"), ==, 0);
        bs_test_reset_tables();
}

int main(int argc, char **argv) {
        g_test_init(&argc, &argv, NULL);
        g_autofree char *daemon = bs_test_build_path("daemon/backstopd");
        if (!g_file_test(daemon, G_FILE_TEST_IS_EXECUTABLE)) {
                g_printerr("backstopd not built: skipping\n");
                return 77;
        }
        if (!bs_test_enter_private_netns()) {
                g_printerr("needs root and network namespaces: skipping\n");
                return 77;
        }
        /* the pager cases set what they need */
        g_unsetenv("SYSTEMD_PAGER");
        g_unsetenv("PAGER");
        g_unsetenv("SYSTEMD_LESS");
        fixture = bs_bus_fixture_new();
        bs_bus_fixture_start_daemon(fixture, NULL, NULL, NULL);
        write_pager_script();

        g_test_add_func("/client/conventions/pager", test_pager);
        g_test_add_func("/client/conventions/json-modes", test_json_modes);
        g_test_add_func("/client/conventions/no-legend", test_no_legend);
        g_test_add_func("/client/conventions/verb-help", test_verb_help);
        g_test_add_func("/client/conventions/completion", test_completion);
        int r = g_test_run();

        int status = bs_bus_fixture_stop_daemon(fixture, SIGTERM);
        bs_bus_fixture_free(fixture);
        g_free(pager_script);
        g_free(pager_record);
        if (r == 0 && !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
                g_printerr("backstopd did not exit cleanly (status %d)\n", status);
                r = 1;
        }
        return r;
}
