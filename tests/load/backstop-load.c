/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* backstop-load: backstopd under load, in a private network namespace with
 * its own bus (the test bus fixture).
 *
 *   backstop-load [--seconds S] [--clients N]     (default 30 s, 50 clients)
 *
 * N reader threads, each with its own connection, loop over ListRules,
 * GetRulesText, Properties.GetAll and Check. One driver applies
 * transactions (timeouts of 1-2 s) and confirms them, rolls them back, or
 * leaves them to expire, in a loop. Another thread plays "another tool":
 * it adds rules of its own with iptables-legacy all along; they must all
 * survive every rollback.
 *
 * Prints: calls done, errors by name, the slowest call, the lateness of
 * every expired transaction's rollback (TransactionRolledBack arrival minus
 * the deadline; worst and median), the daemon's RSS at start and end.
 * Fails (exit 1) only on correctness: an error other than the documented
 * Busy (or NotPending for a Confirm/Rollback that reached the daemon after
 * the deadline; the transaction must then have expired), a call that stalls past 30 s, a transaction that did not end the
 * way it was meant to, a rule of the other tool lost. Never on timing.
 *
 * By hand, as root, from the build directory:
 *   sudo tests/load/backstop-load --seconds 30 --clients 50 */
#include <glib/gstdio.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "bus-fixture.h"

#define BUS_NAME "org.backstop.Firewall1"
#define PATH "/org/backstop/Firewall1"
#define IFACE "org.backstop.Firewall1"
#define TX_IFACE "org.backstop.Firewall1.Transaction"
#define E_BUSY "org.backstop.Firewall1.Error.Busy"
#define E_NOT_PENDING "org.backstop.Firewall1.Error.NotPending"
#define CALL_TIMEOUT_MS 30000

static BsBusFixture *F;
static volatile gint Stop;

typedef struct Stats {
        GMutex lock;
        guint64 calls;
        GHashTable *errors;    /* name -> count (GUINT_TO_POINTER) */
        gint64 slowest_usec;
        char slowest_what[64];
        guint unexpected;      /* correctness failures */
} Stats;

static Stats S;

static void record(const char *what, gint64 usec, const GError *error, const char *allowed) {
        g_mutex_lock(&S.lock);
        S.calls++;
        if (usec > S.slowest_usec) {
                S.slowest_usec = usec;
                g_strlcpy(S.slowest_what, what, sizeof(S.slowest_what));
        }
        if (error) {
                g_autofree char *name = g_dbus_error_get_remote_error(error);
                const char *key = name ? name : (error->code == G_IO_ERROR_TIMED_OUT ? "(timed out)" : "(local)");
                guint n = GPOINTER_TO_UINT(g_hash_table_lookup(S.errors, key));
                g_hash_table_replace(S.errors, g_strdup(key), GUINT_TO_POINTER(n + 1));
                if (!(allowed && name && g_str_equal(name, allowed))) {
                        S.unexpected++;
                        g_printerr("unexpected error from %s: %s\n", what, error->message);
                }
        }
        g_mutex_unlock(&S.lock);
}

static GVariant *timed_call(GDBusConnection *c, const char *path, const char *iface, const char *method,
                            GVariant *params, const char *reply_type, const char *allowed, GError **ret_error) {
        g_autoptr(GError) error = NULL;
        gint64 t0 = g_get_monotonic_time();
        GVariant *r = g_dbus_connection_call_sync(c, BUS_NAME, path, iface, method, params,
                                                  reply_type ? G_VARIANT_TYPE(reply_type) : NULL,
                                                  G_DBUS_CALL_FLAGS_NONE, CALL_TIMEOUT_MS, NULL, &error);
        record(method, g_get_monotonic_time() - t0, error, allowed);
        if (ret_error && error)
                *ret_error = g_steal_pointer(&error);
        return r;
}

/* ---------------------------------------------------------------- readers */

static gpointer reader(gpointer data) {
        GDBusConnection *c = bs_bus_fixture_connect(F);
        guint i = GPOINTER_TO_UINT(data);
        while (!g_atomic_int_get(&Stop)) {
                GVariant *r = NULL;
                switch (i++ % 4) {
                case 0:
                        r = timed_call(c, PATH, IFACE, "ListRules", g_variant_new("(ss)", "", ""), "(aa{sv}aa{sv})",
                                       NULL, NULL);
                        break;
                case 1:
                        r = timed_call(c, PATH, IFACE, "GetRulesText", g_variant_new("(ssb)", "ipv4", "", TRUE), "(s)",
                                       NULL, NULL);
                        break;
                case 2:
                        r = timed_call(c, PATH, "org.freedesktop.DBus.Properties", "GetAll",
                                       g_variant_new("(s)", IFACE), "(a{sv})", NULL, NULL);
                        break;
                default:
                        r = timed_call(c, PATH, IFACE, "Check", g_variant_new("(s)", ""), "(baa{sv})", NULL, NULL);
                        break;
                }
                if (r)
                        g_variant_unref(r);
        }
        g_object_unref(c);
        return NULL;
}

/* ---------------------------------------------------------------- rollback signals */

typedef struct Ended {
        gint64 at;      /* monotonic usec of arrival */
        char *reason;   /* "confirmed" for TransactionConfirmed */
} Ended;

static GMutex Ended_lock;
static GHashTable *Ended_by_path;  /* path -> Ended* */

static void on_signal(GDBusConnection *c, const char *sender, const char *path, const char *iface,
                      const char *signal, GVariant *params, gpointer data) {
        gint64 now = g_get_monotonic_time();
        const char *tx, *reason = "confirmed";
        if (g_str_equal(signal, "TransactionRolledBack"))
                g_variant_get(params, "(&o&s)", &tx, &reason);
        else
                g_variant_get(params, "(&o)", &tx);
        Ended *e = g_new0(Ended, 1);
        e->at = now;
        e->reason = g_strdup(reason);
        g_mutex_lock(&Ended_lock);
        g_hash_table_replace(Ended_by_path, g_strdup(tx), e);
        g_mutex_unlock(&Ended_lock);
}

static gpointer signal_thread(gpointer data) {
        GMainContext *ctx = data;
        g_main_context_push_thread_default(ctx);
        GDBusConnection *c = bs_bus_fixture_connect(F);
        guint ids[2];
        ids[0] = g_dbus_connection_signal_subscribe(c, NULL, IFACE, "TransactionRolledBack", PATH, NULL,
                                                    G_DBUS_SIGNAL_FLAGS_NONE, on_signal, NULL, NULL);
        ids[1] = g_dbus_connection_signal_subscribe(c, NULL, IFACE, "TransactionConfirmed", PATH, NULL,
                                                    G_DBUS_SIGNAL_FLAGS_NONE, on_signal, NULL, NULL);
        /* make sure the match rules are in place before the driver starts */
        g_autoptr(GVariant) r = g_dbus_connection_call_sync(c, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                                            "org.freedesktop.DBus", "GetId", NULL, NULL,
                                                            G_DBUS_CALL_FLAGS_NONE, -1, NULL, NULL);
        g_mutex_lock(&Ended_lock);
        g_hash_table_replace(Ended_by_path, g_strdup("ready"), g_new0(Ended, 1));
        g_mutex_unlock(&Ended_lock);
        while (g_atomic_int_get(&Stop) < 2)
                g_main_context_iteration(ctx, TRUE);
        g_dbus_connection_signal_unsubscribe(c, ids[0]);
        g_dbus_connection_signal_unsubscribe(c, ids[1]);
        g_object_unref(c);
        g_main_context_pop_thread_default(ctx);
        return NULL;
}

static Ended *ended_get(const char *path) {
        g_mutex_lock(&Ended_lock);
        Ended *e = g_hash_table_lookup(Ended_by_path, path);
        g_mutex_unlock(&Ended_lock);
        return e;
}

/* ---------------------------------------------------------------- the driver */

typedef enum Fate { FATE_CONFIRM, FATE_ROLLBACK, FATE_EXPIRE } Fate;
static const char *const fate_reason[] = { "confirmed", "request", "timeout" };

typedef struct Tx {
        char *path;
        Fate fate;
        gint64 deadline;  /* monotonic usec, from TimeLeftUSec read right after Apply */
        gint64 deadline_min;  /* the same from the time the read was sent: never after the real deadline */
} Tx;

static GPtrArray *Txs;
static guint Late_calls;  /* Confirm/Rollback that arrived after the deadline */
static GArray *Lateness;  /* gint64 usec, expired ones */

static gpointer driver(gpointer data) {
        GDBusConnection *c = bs_bus_fixture_connect(F);
        GRand *rand = g_rand_new_with_seed(42);
        guint n = 0;
        while (!g_atomic_int_get(&Stop)) {
                n++;
                g_autofree char *change = g_strdup_printf("-A INPUT -s 192.0.%u.%u/32 -j DROP", (n / 250) % 250,
                                                          n % 250);
                const char *changes[] = { change, "-P INPUT DROP", NULL };
                guint32 timeout = (guint32) g_rand_int_range(rand, 1, 3);
                g_autoptr(GError) error = NULL;
                g_autoptr(GVariant) r = timed_call(
                        c, PATH, IFACE, "Apply",
                        g_variant_new_parsed("(%^as, {'timeout': <%u>, 'force': <true>})", changes, timeout), "(o)",
                        E_BUSY, &error);
                if (!r) {
                        g_usleep(10000);
                        continue;
                }
                Tx *tx = g_new0(Tx, 1);
                g_variant_get(r, "(o)", &tx->path);
                g_ptr_array_add(Txs, tx);
                gint64 asked = g_get_monotonic_time();
                g_autoptr(GVariant) left = timed_call(c, tx->path, "org.freedesktop.DBus.Properties", "Get",
                                                      g_variant_new("(ss)", TX_IFACE, "TimeLeftUSec"), "(v)", NULL,
                                                      NULL);
                gint64 now = g_get_monotonic_time();
                if (left) {
                        g_autoptr(GVariant) v = NULL;
                        g_variant_get(left, "(v)", &v);
                        tx->deadline = now + (gint64) g_variant_get_uint64(v);
                        tx->deadline_min = asked + (gint64) g_variant_get_uint64(v);
                }
                tx->fate = (Fate) g_rand_int_range(rand, 0, 3);
                /* some reading while it is pending */
                g_usleep(g_rand_int_range(rand, 0, 300) * 1000);
                if (tx->fate == FATE_CONFIRM || tx->fate == FATE_ROLLBACK) {
                        g_autoptr(GError) e2 = NULL;
                        /* NotPending is right when the deadline passed before
                         * the daemon got the call (the readers slow it down):
                         * the transaction then expired instead */
                        g_autoptr(GVariant) r2 = timed_call(
                                c, tx->path, TX_IFACE, tx->fate == FATE_CONFIRM ? "Confirm" : "Rollback",
                                tx->fate == FATE_CONFIRM ? g_variant_new_parsed("(@a{sv} {},)") : NULL, "()",
                                E_NOT_PENDING, &e2);
                        if (e2) {
                                /* Judged against the earliest the deadline can be:
                                 * the daemon computed TimeLeftUSec after "asked",
                                 * and a loaded daemon answers late. */
                                if (tx->deadline_min && g_get_monotonic_time() < tx->deadline_min) {
                                        g_printerr("%s: NotPending before its deadline\n", tx->path);
                                        g_mutex_lock(&S.lock);
                                        S.unexpected++;
                                        g_mutex_unlock(&S.lock);
                                }
                                tx->fate = FATE_EXPIRE;
                                Late_calls++;
                        }
                        if (tx->fate == FATE_CONFIRM && !e2) {
                                /* keep the table small: undo it, confirmed, unconfirmed */
                                const char *undo[] = { "-4 -D INPUT 1", "-P INPUT ACCEPT", NULL };
                                g_autoptr(GVariant) r3 = timed_call(
                                        c, PATH, IFACE, "Apply",
                                        g_variant_new_parsed("(%^as, {'timeout': <uint32 0>, 'force': <true>})",
                                                             undo),
                                        "(o)", E_BUSY, NULL);
                        }
                }
                /* wait until it has ended (the expired ones: the signal) */
                for (int i = 0; i < 3000 && !ended_get(tx->path); i++)
                        g_usleep(10000);
        }
        g_rand_free(rand);
        g_object_unref(c);
        return NULL;
}

/* ---------------------------------------------------------------- another tool */

static guint Other_added;

static gpointer other_tool(gpointer data) {
        while (!g_atomic_int_get(&Stop)) {
                guint k = Other_added;
                g_autofree char *src = g_strdup_printf("10.77.%u.%u/32", k / 250, k % 250);
                const char *argv[] = { "iptables-legacy", "-w", "-A", "FORWARD", "-s", src, "-j", "ACCEPT", NULL };
                int status = 0;
                g_autoptr(GError) error = NULL;
                if (!g_spawn_sync(NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL, NULL,
                                  NULL, NULL, NULL, &status, &error) ||
                    !g_spawn_check_wait_status(status, NULL)) {
                        g_printerr("iptables-legacy -A FORWARD -s %s failed\n", src);
                        g_mutex_lock(&S.lock);
                        S.unexpected++;
                        g_mutex_unlock(&S.lock);
                }
                Other_added++;
                g_usleep(50000);
        }
        return NULL;
}

/* ---------------------------------------------------------------- main */

static long daemon_rss_kb(void) {
        g_autofree char *path = g_strdup_printf("/proc/%s/status", g_subprocess_get_identifier(F->daemon));
        g_autofree char *status = NULL;
        if (!g_file_get_contents(path, &status, NULL, NULL))
                return -1;
        const char *v = strstr(status, "VmRSS:");
        return v ? strtol(v + 6, NULL, 10) : -1;
}

static int cmp_i64(gconstpointer a, gconstpointer b) {
        gint64 x = *(const gint64 *) a, y = *(const gint64 *) b;
        return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
        guint seconds = 30, clients = 50;
        for (int i = 1; i < argc; i++) {
                if (g_str_equal(argv[i], "--seconds") && i + 1 < argc)
                        seconds = (guint) atoi(argv[++i]);
                else if (g_str_equal(argv[i], "--clients") && i + 1 < argc)
                        clients = (guint) atoi(argv[++i]);
                else {
                        g_printerr("usage: %s [--seconds S] [--clients N]\n", argv[0]);
                        return 2;
                }
        }
        if (!g_getenv("BACKSTOP_BUILD_ROOT"))
                g_setenv("BACKSTOP_BUILD_ROOT", BACKSTOP_BUILD_ROOT_DEFAULT, TRUE);
        if (!g_getenv("BACKSTOP_SOURCE_ROOT"))
                g_setenv("BACKSTOP_SOURCE_ROOT", BACKSTOP_SOURCE_ROOT_DEFAULT, TRUE);
        if (!bs_test_enter_private_netns()) {
                g_printerr("needs root and network namespaces: skipped\n");
                return 77;
        }
        g_mutex_init(&S.lock);
        S.errors = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
        Ended_by_path = g_hash_table_new(g_str_hash, g_str_equal);
        Txs = g_ptr_array_new();
        Lateness = g_array_new(FALSE, FALSE, sizeof(gint64));

        F = bs_bus_fixture_new();
        bs_bus_fixture_start_daemon(F, NULL, NULL, NULL);
        long rss0 = daemon_rss_kb();

        GMainContext *ctx = g_main_context_new();
        GThread *sig = g_thread_new("signals", signal_thread, ctx);
        while (!ended_get("ready"))
                g_usleep(10000);

        GPtrArray *threads = g_ptr_array_new();
        for (guint i = 0; i < clients; i++)
                g_ptr_array_add(threads, g_thread_new("reader", reader, GUINT_TO_POINTER(i)));
        GThread *drv = g_thread_new("driver", driver, NULL);
        GThread *other = g_thread_new("other", other_tool, NULL);
        g_usleep((gulong) seconds * G_USEC_PER_SEC);
        g_atomic_int_set(&Stop, 1);
        for (guint i = 0; i < threads->len; i++)
                g_thread_join(threads->pdata[i]);
        g_thread_join(drv);
        g_thread_join(other);
        g_atomic_int_set(&Stop, 2);
        g_main_context_wakeup(ctx);
        g_thread_join(sig);
        long rss1 = daemon_rss_kb();

        /* every transaction ended the way it was meant to */
        guint fates[3] = {}, bad_end = 0;
        for (guint i = 0; i < Txs->len; i++) {
                Tx *tx = Txs->pdata[i];
                Ended *e = ended_get(tx->path);
                fates[tx->fate]++;
                if (!e || !g_str_equal(e->reason, fate_reason[tx->fate])) {
                        g_printerr("transaction %s (meant: %s) ended as %s\n", tx->path, fate_reason[tx->fate],
                                   e ? e->reason : "(not at all)");
                        bad_end++;
                        continue;
                }
                if (tx->fate == FATE_EXPIRE && tx->deadline) {
                        gint64 late = e->at - tx->deadline;
                        g_array_append_val(Lateness, late);
                }
        }
        /* the other tool's rules all survived */
        const char *save[] = { "iptables-legacy", "-w", "-S", "FORWARD", NULL };
        g_autofree char *fwd = bs_test_run(save);
        guint lost = 0;
        for (guint k = 0; k < Other_added; k++) {
                g_autofree char *rule = g_strdup_printf("-A FORWARD -s 10.77.%u.%u/32 -j ACCEPT\n", k / 250, k % 250);
                if (!strstr(fwd, rule)) {
                        g_printerr("the other tool's rule %u is gone: %s", k, rule);
                        lost++;
                }
        }
        const char *pol[] = { "iptables-legacy", "-w", "-S", "INPUT", NULL };
        g_autofree char *input = bs_test_run(pol);
        gboolean input_clean = g_str_has_prefix(input, "-P INPUT ACCEPT\n") && !strstr(input, "-A INPUT");
        if (!input_clean)
                g_printerr("INPUT is not back to what it was:\n%s", input);

        g_array_sort(Lateness, cmp_i64);
        g_print("backstop-load: %u s, %u reader clients + 1 driver + 1 other tool (iptables-legacy)\n", seconds,
                clients);
        g_print("  calls: %" G_GUINT64_FORMAT " (%.0f/s)\n", S.calls, (double) S.calls / seconds);
        g_print("  errors by name:%s\n", g_hash_table_size(S.errors) ? "" : " none");
        GHashTableIter it;
        gpointer k, v;
        g_hash_table_iter_init(&it, S.errors);
        while (g_hash_table_iter_next(&it, &k, &v))
                g_print("    %s: %u\n", (char *) k, GPOINTER_TO_UINT(v));
        g_print("  slowest call: %.3f s (%s)\n", S.slowest_usec / 1e6, S.slowest_what);
        g_print("  transactions: %u (confirmed %u, rolled back on request %u, expired %u of which %u because the "
                "Confirm/Rollback came after the deadline: NotPending), ended wrongly: %u\n",
                Txs->len, fates[FATE_CONFIRM], fates[FATE_ROLLBACK], fates[FATE_EXPIRE], Late_calls, bad_end);
        if (Lateness->len)
                g_print("  rollback lateness (TransactionRolledBack arrival - deadline), %u expired: median %.1f ms, "
                        "worst %.1f ms\n",
                        Lateness->len, g_array_index(Lateness, gint64, Lateness->len / 2) / 1e3,
                        g_array_index(Lateness, gint64, Lateness->len - 1) / 1e3);
        g_print("  other tool: %u rules added meanwhile, %u lost\n", Other_added, lost);
        g_print("  daemon RSS: %ld kB at start, %ld kB at end\n", rss0, rss1);

        gboolean ok = S.unexpected == 0 && bad_end == 0 && lost == 0 && input_clean && Txs->len > 0;
        int status = bs_bus_fixture_stop_daemon(F, SIGTERM);
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                g_printerr("backstopd did not exit cleanly\n");
                ok = FALSE;
        }
        bs_bus_fixture_free(F);
        g_print("%s\n", ok ? "PASS" : "FAIL");
        return ok ? 0 : 1;
}
