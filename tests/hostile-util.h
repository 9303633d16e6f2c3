/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What test-hostile, test-hostile-rollback and test-hostile-polkit share:
 * a daemon on a private bus in a private network namespace
 * (hostile_init), calls as root on C, and the same program re-executed as
 * an unprivileged user (run_unprivileged on the root side,
 * unprivileged_connect in the re-executed one). A program's main starts
 * with
 *
 *     if (argc >= 4 && g_str_equal(argv[1], "--unprivileged"))
 *             return its_unprivileged_main(argc, argv);
 *
 * where argv[2] is the mode, argv[3] the bus address and argv[4...] the
 * arguments run_unprivileged was given. */

#include <unistd.h>

#include "bus-fixture.h"

#define BUS_NAME "org.backstop.Firewall1"
#define PATH "/org/backstop/Firewall1"
#define IFACE "org.backstop.Firewall1"
#define TX_IFACE "org.backstop.Firewall1.Transaction"
#define TX_PREFIX "/org/backstop/Firewall1/Transaction/"

#define E_INVALID "org.freedesktop.DBus.Error.InvalidArgs"
#define E_DENIED "org.freedesktop.DBus.Error.AccessDenied"
#define E_UNKNOWN_OBJECT "org.freedesktop.DBus.Error.UnknownObject"
#define E_UNKNOWN_METHOD "org.freedesktop.DBus.Error.UnknownMethod"
#define E_UNKNOWN_PROPERTY "org.freedesktop.DBus.Error.UnknownProperty"
#define E_READ_ONLY "org.freedesktop.DBus.Error.PropertyReadOnly"
#define E_NOT_PENDING "org.backstop.Firewall1.Error.NotPending"
#define E_NOT_FOUND "org.backstop.Firewall1.Error.NotFound"
#define E_CONFLICT "org.backstop.Firewall1.Error.Conflict"
#define E_BUSY "org.backstop.Firewall1.Error.Busy"
#define E_LIMITS "org.freedesktop.DBus.Error.LimitsExceeded"

#define UNPRIVILEGED_UID 65534
/* a second unprivileged user: one the bus daemon can look up */
#define OTHER_USER "daemon"

/* The daemon's limits on one call's changes (BS_CHANGESET_TEXT_MAX,
 * BS_CHANGESET_MAX in daemon/text/changeset.h) */
#define CHANGES_BYTES_MAX (2u << 20)
#define CHANGES_MAX 10000
/* BS_PREVIEW_PENDING_TEXT_MAX: what Preview takes while a transaction is pending */
#define PREVIEW_PENDING_BYTES_MAX (256u << 10)

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif
#ifndef UNDER_ASAN
#define UNDER_ASAN 0
#endif

extern BsBusFixture *F;
extern GDBusConnection *C;  /* root's connection to the daemon's bus */

/* Call parameters */
GVariant *empty_opts(void);
GVariant *one_opt(const char *key, GVariant *value);
GVariant *changes1(const char *change);
/* (as, a{sv}) of Apply and Preview; opts NULL: none */
GVariant *apply_params(const char *change, GVariant *opts);
/* (a(sq), a{sv}) of ApplyDefaultDeny */
GVariant *deny_params(GVariant *opts);

/* iptables-save and ip6tables-save of the backend under test (legacy or
 * nft), their comments left out */
char *ruleset(void);
long daemon_rss_kb(void);
/* The daemon's user + system CPU time so far. */
double daemon_cpu_ms(void);
/* A forced Apply of one change as root; returns the transaction's path. */
char *apply_tx(const char *change, guint32 timeout);
void tx_method(const char *path, const char *method, GVariant *params);
char *tx_state(GDBusConnection *c, const char *path);
/* A normal call that must work, and the daemon has not exited. */
void assert_alive(void);

/* Run this program again as an unprivileged user with the given mode and
 * the arguments that follow (NULL-terminated); prints its output and
 * returns its wait status. */
int run_unprivileged(const char *mode, ...) G_GNUC_NULL_TERMINATED;
/* In the re-executed program: become uid (all ids, no groups) and connect
 * to the bus at address; NULL (printed) when that fails. */
GDBusConnection *unprivileged_connect(uid_t uid, const char *address);
/* A call on c that must fail with the error want (NULL: succeed); returns
 * 1 (printed) when it does not, else 0. */
guint expect(GDBusConnection *c, const char *path, const char *iface, const char *method, GVariant *params,
             const char *want);

/* g_test_init, then the private netns, bus and daemon, and C; returns 77
 * (printed) when there is no root or network namespace, else 0. */
int hostile_init(int *argc, char ***argv);
/* g_test_run, then stops the daemon; returns g_test_run's result. */
int hostile_run(void);
