/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A small fake of backstopd for the client's flow tests: it serves the real
 * interface description (dbus/org.backstop.Firewall1.xml) on a private bus,
 * keeps transactions with a deadline, Confirm/Rollback/Extend, and emits the
 * signals and PropertiesChanged that backstopd documents. It runs in the
 * test's main context: iterate it while the client runs. No netfilter. */

#include <gio/gio.h>
#include <glib.h>

typedef struct FakeTx {
        guint id;
        char *path;
        char *state;          /* "pending", "confirmed", "rolled-back" */
        char *reason;
        gint64 deadline_mono; /* g_get_monotonic_time() scale */
        gint64 deadline_real;
        gboolean strict;
        char **changes;
        char *confirm_ssh;    /* the ssh-connection Confirm was given */
        guint timer;
        guint reg_id;
} FakeTx;

typedef struct FakeDaemon {
        GPid bus_pid;             /* our own dbus-daemon (session config) */
        char *bus_address;
        GDBusConnection *conn;
        GDBusNodeInfo *node;
        guint manager_reg;
        guint next_id;
        FakeTx *pending;
        GPtrArray *txs;           /* FakeTx*, all ever created */
        char *last_apply_ssh;     /* "ssh-connection" of the last Apply */
        gboolean last_apply_allowed_interactive;
} FakeDaemon;

FakeDaemon *fake_daemon_new(void);
void fake_daemon_free(FakeDaemon *f);
const char *fake_daemon_address(FakeDaemon *f);
FakeTx *fake_daemon_tx(FakeDaemon *f, guint id);
