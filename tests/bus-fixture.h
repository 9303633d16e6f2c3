/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Test support for everything that talks to backstopd over D-Bus: a private
 * system-like bus (dbus-daemon with a <type>system</type> config that
 * includes our dbus/org.backstop.Firewall1.conf and polkit's bus policy) and
 * backstopd from the build directory, both children of the test.
 *
 * Netfilter safety: call bs_test_enter_private_netns() first. It moves the
 * whole test process into a new network namespace (so backstopd, restarted
 * or not, and any iptables-legacy the test runs, all share it and never see
 * the host's tables) and points XTABLES_LOCKFILE at a private file.
 *
 *     if (!bs_test_enter_private_netns())
 *             return 77;                      // not root: skip
 *     BsBusFixture *f = bs_bus_fixture_new();
 *     bs_bus_fixture_start_daemon(f, NULL, NULL);
 *     GDBusConnection *c = bs_bus_fixture_connect(f);
 *     ... calls to org.backstop.Firewall1 ...
 *     bs_bus_fixture_stop_daemon(f, SIGTERM);
 *     bs_bus_fixture_free(f);
 *
 * Everything started is stopped by its PID; the temp dir is removed. */

#include <gio/gio.h>

typedef struct BsBusFixture {
        char *tmpdir;        /* removed by _free() */
        char *bus_address;   /* the private system bus */
        char *runtime_dir;   /* BACKSTOP_RUNTIME_DIR of the daemon: tmpdir/run */
        char *state_dir;     /* BACKSTOP_STATE_DIR: tmpdir/state */
        char *daemon_log;    /* the daemon's stderr, appended across restarts */
        GSubprocess *bus;
        GSubprocess *daemon; /* NULL when not running */
} BsBusFixture;

/* Root only: unshare(CLONE_NEWNET) for this process, bring lo up, set
 * XTABLES_LOCKFILE to a new private file. FALSE when it cannot (not root, no namespaces): the test
 * should exit 77. Call once, before any thread. */
gboolean bs_test_enter_private_netns(void);

/* A temp dir and a private system bus (asserts on failure); BACKSTOP_CONFIG
 * set to a configuration file there naming the backend under test
 * (test-backend.h), whose iptables is the tests' oracle. */
BsBusFixture *bs_bus_fixture_new(void);
void bs_bus_fixture_free(BsBusFixture *f);

/* Start build/daemon/backstopd with the fixture's directories, on
 * bus_address (NULL: the fixture's bus), with extra_env ("KEY=VALUE",
 * NULL-terminated, may be NULL) and extra_args (may be NULL); waits until it
 * owns org.backstop.Firewall1 (asserts if it dies first, printing its log). */
void bs_bus_fixture_start_daemon(BsBusFixture *f, const char *bus_address, const char *const *extra_env,
                                 const char *const *extra_args);
/* Send sig to the daemon and wait; returns the wait status (as waitpid). */
int bs_bus_fixture_stop_daemon(BsBusFixture *f, int sig);
/* Waits until the daemon's log holds text `times` times (asserts after
 * 60 s, printing the log). */
void bs_bus_fixture_wait_log(BsBusFixture *f, const char *text, unsigned times);
/* The daemon's first child process (its xtables helper), 0 when none. */
int bs_bus_fixture_daemon_child(BsBusFixture *f);

/* A new connection to the fixture's bus (caller unrefs). */
GDBusConnection *bs_bus_fixture_connect(BsBusFixture *f);

/* Path of a program of the build tree, e.g. "daemon/backstopd". */
char *bs_test_build_path(const char *relative);
/* Run argv synchronously (in the test's namespace), assert exit 0, return
 * its stdout. */
char *bs_test_run(const char *const *argv);
