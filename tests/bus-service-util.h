/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What test-bus-service, test-bus-transactions and test-bus-restart share:
 * one backstopd on a private bus in a private network namespace (F), root's
 * connection to it (C), and calls on C. The caller is root, so polkit is
 * not asked (test-bus-polkit covers polkit); the backend's iptables and
 * ip6tables in the same namespace are the oracle (bus-test-util.h). */

#include "bus-test-util.h"

extern BsBusFixture *F;
extern GDBusConnection *C;

GVariant *call(const char *path, const char *iface, const char *method, GVariant *params, const char *reply_type,
               GError **error);
GVariant *get_property(const char *path, const char *iface, const char *name);
/* a string property of a transaction */
char *tx_string(const char *path, const char *name);
/* the manager's PendingTransaction */
char *pending_path(void);
GVariant *opts_timeout(guint32 timeout);
/* The transaction tests set INPUT policies without a loopback accept: past
 * the lockout pre-flight (tested on its own in /service/lockout-risk). */
GVariant *opts_forced(guint32 timeout);
/* Apply; returns the transaction path or NULL with error set. */
char *apply(const char *const *changes, GVariant *options, GError **error);
/* A forced Apply that must succeed. */
char *apply_ok(const char *const *changes, guint32 timeout);
/* A method of a transaction; want_error NULL: it must succeed. */
void tx_call(const char *path, const char *method, GVariant *params, const char *want_error);
/* Waits until the transaction's State is want; the bound only keeps a
 * broken daemon from hanging the test until meson's timeout. */
void wait_state(const char *path, const char *want);
/* iptables -S of empty tables */
extern const char empty_S[];
/* Sleep until the wall clock is past a transaction's Deadline (epoch usec)
 * by margin_usec: "after the deadline" without guessing how long the calls
 * before took. */
void sleep_past_deadline(GVariant *deadline, gint64 margin_usec);

/* g_test_init, then a private network namespace (and, with own_mounts, a
 * private mount namespace), the bus, the daemon and C; returns 77 (printed)
 * without root or namespaces, else 0. */
int bus_service_init(int *argc, char ***argv, gboolean own_mounts);
/* g_test_run, then stops the daemon; returns g_test_run's result. */
int bus_service_run(void);
