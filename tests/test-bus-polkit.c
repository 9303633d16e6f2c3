/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Authorization: backstopd against a mock polkit (libglib-testing's
 * GtDBusQueue), for each class of method: allowed, challenge, denied, polkit
 * failing, polkit absent, the interactive flag passed only when the caller
 * allows it; nothing changes when refused; root is not asked.
 *
 * The test runs as root. backstopd lets uid 0 through without asking, so
 * the daemon runs with BACKSTOP_POLKIT_ASK_ROOT=1, a seam that only makes it
 * stricter (root is asked like anyone); the last test runs it without the
 * seam and checks that root is not asked. */
#include <signal.h>

#include "bus-fixture.h"
#include "polkit-mock.h"
#include "test-backend.h"

#define BUS_NAME "org.backstop.Firewall1"
#define PATH "/org/backstop/Firewall1"
#define IFACE "org.backstop.Firewall1"
#define TX_IFACE "org.backstop.Firewall1.Transaction"

typedef enum Answer {
        ANSWER_YES,
        ANSWER_NO,
        ANSWER_CHALLENGE,
        ANSWER_ERROR,   /* polkit answers with an error */
} Answer;

static GtDBusQueue *Q;
static guint polkit_name_id;
static BsBusFixture *F;
static char *queue_address;

typedef struct CallResult {
        gboolean done;
        GVariant *reply;
        GError *error;
} CallResult;

static void on_reply(GObject *source, GAsyncResult *res, gpointer userdata) {
        CallResult *r = userdata;
        r->reply = g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), res, &r->error);
        r->done = TRUE;
}

static void start_call(CallResult *r, const char *path, const char *iface, const char *method, GVariant *params,
                       gboolean interactive) {
        memset(r, 0, sizeof(*r));
        g_dbus_connection_call(gt_dbus_queue_get_client_connection(Q), BUS_NAME, path, iface, method, params, NULL,
                               interactive ? G_DBUS_CALL_FLAGS_ALLOW_INTERACTIVE_AUTHORIZATION
                                           : G_DBUS_CALL_FLAGS_NONE,
                               60000, NULL, on_reply, r);
}

static void finish_call(CallResult *r) {
        while (!r->done)
                g_main_context_iteration(NULL, TRUE);
}

/* Pop the daemon's CheckAuthorization, check it, answer it. */
static void answer_check(const char *want_action, gboolean want_interactive, Answer answer) {
        GDBusMethodInvocation *inv = NULL;
        g_assert_true(gt_dbus_queue_pop_message(Q, &inv));
        g_assert_cmpstr(g_dbus_method_invocation_get_method_name(inv), ==, "CheckAuthorization");
        GVariant *params = g_dbus_method_invocation_get_parameters(inv);
        const char *kind, *action, *cancel;
        g_autoptr(GVariant) details = NULL, subject_details = NULL;
        guint32 flags;
        g_variant_get(params, "((&s@a{sv})&s@a{ss}u&s)", &kind, &subject_details, &action, &details, &flags, &cancel);
        g_assert_cmpstr(kind, ==, "system-bus-name");
        g_autoptr(GVariantDict) sd = g_variant_dict_new(subject_details);
        const char *name = NULL;
        g_assert_true(g_variant_dict_lookup(sd, "name", "&s", &name));
        /* the subject is the caller, not the daemon */
        g_assert_cmpstr(name, ==, g_dbus_connection_get_unique_name(gt_dbus_queue_get_client_connection(Q)));
        g_assert_cmpstr(action, ==, want_action);
        g_assert_cmpuint(flags, ==, want_interactive ? 1 : 0);

        switch (answer) {
        case ANSWER_ERROR:
                g_dbus_method_invocation_return_dbus_error(inv, "org.freedesktop.PolicyKit1.Error.Failed",
                                                           "Action not registered");
                break;
        default:
                g_dbus_method_invocation_return_value(
                        inv, g_variant_new_parsed("((%b, %b, @a{ss} {}),)", answer == ANSWER_YES,
                                                  answer == ANSWER_CHALLENGE));
        }
}

static void assert_result(CallResult *r, const char *want_error) {
        if (!want_error) {
                g_assert_no_error(r->error);
                g_assert_nonnull(r->reply);
        } else {
                g_assert_nonnull(r->error);
                g_autofree char *name = g_dbus_error_get_remote_error(r->error);
                g_assert_cmpstr(name, ==, want_error);
        }
        g_clear_pointer(&r->reply, g_variant_unref);
        g_clear_error(&r->error);
}

static char *ipt_S(void) {
        const char *argv[] = { bs_test_iptables(BS_FAMILY_IPV4), "-w", "-S", NULL };
        return bs_test_run(argv);
}

typedef struct MethodClass {
        const char *method;
        const char *params;   /* GVariant text */
        const char *actions[3];
        const char *optional; /* asked, never interactively, once actions are allowed */
} MethodClass;

#define READ_CONNECTIONS "org.backstop.firewall1.read-connections"

static const MethodClass classes[] = {
        { "ListRules", "('', '')", { "org.backstop.firewall1.read-rules" } },
        { "ListChains", "('',)", { "org.backstop.firewall1.read-rules" } },
        { "GetStatus", "()", { "org.backstop.firewall1.read-rules" } },
        { "GetRulesText", "('ipv4', 'INPUT', false)", { "org.backstop.firewall1.read-rules" } },
        { "Preview", "(['-P INPUT DROP'], @a{sv} {})", { "org.backstop.firewall1.read-rules" }, READ_CONNECTIONS },
        { "ZeroCounters", "('', '')", { "org.backstop.firewall1.apply" } },
        { "Save", "()", { "org.backstop.firewall1.save" } },
        { "Check", "('',)", { "org.backstop.firewall1.read-rules" } },
        { "ListConnections", "()", { "org.backstop.firewall1.read-connections" } },
        { "ApplyDefaultDeny", "([('tcp', uint16 22)], {'timeout': <uint32 30>})", { "org.backstop.firewall1.apply" },
          READ_CONNECTIONS },
        { "Apply", "(['-A INPUT -s 192.0.2.77 -j ACCEPT'], {'timeout': <uint32 0>})",
          { "org.backstop.firewall1.apply", "org.backstop.firewall1.apply-unconfirmed" }, READ_CONNECTIONS },
        { "Apply", "(['-A INPUT -s 192.0.2.78 -j ACCEPT'], {'timeout': <uint32 30>, 'save': <true>})",
          { "org.backstop.firewall1.apply", "org.backstop.firewall1.save" }, READ_CONNECTIONS },
        { "PreviewChanges", "([{'operation': <'policy'>, 'chain': <'INPUT'>, 'policy': <'DROP'>}], @a{sv} {})",
          { "org.backstop.firewall1.read-rules" }, READ_CONNECTIONS },
        { "PreviewDefaultDeny", "([('tcp', uint16 22)], @a{sv} {})", { "org.backstop.firewall1.read-rules" },
          READ_CONNECTIONS },
        { "ApplyChanges",
          "([{'operation': <'append'>, 'chain': <'INPUT'>, 'rule': <{'source': <'192.0.2.79'>, 'target': <'ACCEPT'>}>}],"
          " {'timeout': <uint32 0>})",
          { "org.backstop.firewall1.apply", "org.backstop.firewall1.apply-unconfirmed" }, READ_CONNECTIONS },
        { "ApplyChanges",
          "([{'operation': <'append'>, 'chain': <'INPUT'>, 'rule': <{'source': <'192.0.2.80'>, 'target': <'ACCEPT'>}>}],"
          " {'timeout': <uint32 30>, 'save': <true>})",
          { "org.backstop.firewall1.apply", "org.backstop.firewall1.save" }, READ_CONNECTIONS },
};

/* One method class, one answer for its last action (the ones before are
 * allowed), interactive or not. */
static void run_case(const MethodClass *c, Answer answer, gboolean interactive, const char *want_error) {
        g_autofree char *before = ipt_S();
        CallResult r;
        start_call(&r, PATH, IFACE, c->method, g_variant_new_parsed(c->params), interactive);
        size_t n = 0;
        while (c->actions[n])
                n++;
        for (size_t i = 0; i < n; i++)
                answer_check(c->actions[i], interactive, i + 1 < n ? ANSWER_YES : answer);
        /* a "no" to the optional action fails nothing */
        if (c->optional && answer == ANSWER_YES)
                answer_check(c->optional, FALSE, ANSWER_NO);
        finish_call(&r);
        assert_result(&r, want_error);
        gt_dbus_queue_assert_no_messages(Q);
        if (want_error) {
                g_autofree char *after = ipt_S();
                g_assert_cmpstr(after, ==, before); /* nothing changed */
        }
}

static void test_allowed(void) {
        for (size_t i = 0; i < G_N_ELEMENTS(classes); i++) {
                run_case(&classes[i], ANSWER_YES, FALSE, NULL);
                /* an allowed Apply leaves a transaction or a changed policy */
                const char *argv[] = { bs_test_iptables(BS_FAMILY_IPV4), "-w", "-P", "INPUT", "ACCEPT", NULL };
                g_free(bs_test_run(argv));
                if (g_str_has_prefix(classes[i].method, "Apply")) {
                        /* roll back the pending one (timeout 30) as root would */
                        CallResult r;
                        start_call(&r, PATH, "org.freedesktop.DBus.Properties", "Get",
                                   g_variant_new("(ss)", IFACE, "PendingTransaction"), FALSE);
                        finish_call(&r);
                        g_assert_no_error(r.error);
                        g_autoptr(GVariant) v = NULL;
                        g_variant_get(r.reply, "(v)", &v);
                        g_variant_unref(r.reply);
                        const char *path = g_variant_get_string(v, NULL);
                        if (!g_str_equal(path, "/")) {
                                start_call(&r, path, TX_IFACE, "Rollback", NULL, FALSE);
                                answer_check("org.backstop.firewall1.apply", FALSE, ANSWER_YES);
                                finish_call(&r);
                                assert_result(&r, NULL);
                        }
                }
        }
}

static void test_denied(void) {
        for (size_t i = 0; i < G_N_ELEMENTS(classes); i++)
                run_case(&classes[i], ANSWER_NO, FALSE, "org.freedesktop.DBus.Error.AccessDenied");
}

static void test_challenge(void) {
        for (size_t i = 0; i < G_N_ELEMENTS(classes); i++)
                run_case(&classes[i], ANSWER_CHALLENGE, FALSE,
                         "org.freedesktop.DBus.Error.InteractiveAuthorizationRequired");
}

static void test_interactive_flag(void) {
        /* the caller allows interaction: polkit gets flag 1 (checked in
         * answer_check); a "no" then is a plain denial */
        for (size_t i = 0; i < G_N_ELEMENTS(classes); i++)
                run_case(&classes[i], ANSWER_NO, TRUE, "org.freedesktop.DBus.Error.AccessDenied");
}

static void test_polkit_error(void) {
        for (size_t i = 0; i < G_N_ELEMENTS(classes); i++)
                run_case(&classes[i], ANSWER_ERROR, FALSE, "org.freedesktop.DBus.Error.AccessDenied");
}

static void test_polkit_absent(void) {
        gt_dbus_queue_unown_name(Q, polkit_name_id);
        for (size_t i = 0; i < G_N_ELEMENTS(classes); i++) {
                g_autofree char *before = ipt_S();
                CallResult r;
                start_call(&r, PATH, IFACE, classes[i].method, g_variant_new_parsed(classes[i].params), FALSE);
                finish_call(&r);
                assert_result(&r, "org.freedesktop.DBus.Error.AccessDenied");
                g_autofree char *after = ipt_S();
                g_assert_cmpstr(after, ==, before);
        }
        gt_dbus_queue_assert_no_messages(Q);
        polkit_name_id = gt_dbus_queue_own_name(Q, "org.freedesktop.PolicyKit1");
}

static void test_transaction_methods(void) {
        /* a pending transaction (apply allowed), then each of its methods
         * refused, then allowed */
        CallResult r;
        start_call(&r, PATH, IFACE, "Apply", g_variant_new_parsed("(['-A INPUT -s 192.0.2.1 -j DROP'], @a{sv} {})"),
                   FALSE);
        answer_check("org.backstop.firewall1.apply", FALSE, ANSWER_YES);
        answer_check(READ_CONNECTIONS, FALSE, ANSWER_NO);
        finish_call(&r);
        g_assert_no_error(r.error);
        const char *path;
        g_variant_get(r.reply, "(&o)", &path);
        g_autofree char *tx = g_strdup(path);
        g_variant_unref(r.reply);

        const struct {
                const char *method;
                const char *params;
        } methods[] = {
                { "Confirm", "(@a{sv} {},)" },
                { "Extend", "(uint32 100,)" },
                { "ExtendWithOptions", "(uint32 100, @a{sv} {})" },
                { "Rollback", "()" },
        };
        for (size_t i = 0; i < G_N_ELEMENTS(methods); i++)
                for (Answer a = ANSWER_NO; a <= ANSWER_ERROR; a++) {
                        start_call(&r, tx, TX_IFACE, methods[i].method, g_variant_new_parsed(methods[i].params),
                                   FALSE);
                        answer_check("org.backstop.firewall1.apply", FALSE, a);
                        finish_call(&r);
                        assert_result(&r, a == ANSWER_CHALLENGE
                                                  ? "org.freedesktop.DBus.Error.InteractiveAuthorizationRequired"
                                                  : "org.freedesktop.DBus.Error.AccessDenied");
                        g_autofree char *s = ipt_S();
                        g_assert_nonnull(strstr(s, "192.0.2.1/32")); /* still pending, still there */
                }
        start_call(&r, tx, TX_IFACE, "Rollback", NULL, FALSE);
        answer_check("org.backstop.firewall1.apply", FALSE, ANSWER_YES);
        finish_call(&r);
        assert_result(&r, NULL);
        g_autofree char *s = ipt_S();
        g_assert_null(strstr(s, "192.0.2.1/32"));
}

/* Preview's lockout report: the connections only for a caller polkit
 * allows read-connections (asked without interaction, after read-rules);
 * others get the findings without them, merged, with their count. */
static void preview_lockout(Answer read_connections, gboolean interactive, GString *connections, guint *count,
                            guint *entries) {
        CallResult r;
        start_call(&r, PATH, IFACE, "Preview",
                   g_variant_new_parsed("(['-P INPUT DROP'], {'ssh-connection': <'192.0.2.9 5555 192.0.2.1 22'>})"),
                   interactive);
        answer_check("org.backstop.firewall1.read-rules", interactive, ANSWER_YES);
        answer_check(READ_CONNECTIONS, FALSE, read_connections);
        finish_call(&r);
        g_assert_no_error(r.error);
        g_autoptr(GVariant) lockout = g_variant_get_child_value(r.reply, 2);
        *count = 0;
        *entries = (guint) g_variant_n_children(lockout);
        for (guint i = 0; i < *entries; i++) {
                g_autoptr(GVariantDict) d = g_variant_dict_new(g_variant_get_child_value(lockout, i));
                const char *conn = NULL, *chain = NULL, *verdict = NULL;
                guint32 n = 0;
                g_assert_true(g_variant_dict_lookup(d, "connection", "&s", &conn));
                g_assert_true(g_variant_dict_lookup(d, "chain", "&s", &chain));
                g_assert_true(g_variant_dict_lookup(d, "verdict", "&s", &verdict));
                g_assert_true(g_variant_dict_lookup(d, "count", "u", &n));
                g_assert_cmpstr(chain, ==, "INPUT");
                g_assert_cmpstr(verdict, ==, "DROP");
                g_assert_cmpuint(n, >=, 1);
                g_string_append_printf(connections, "%s;", conn);
                *count += n;
        }
        g_variant_unref(r.reply);
        gt_dbus_queue_assert_no_messages(Q);
}

static void test_preview_connections(void) {
        g_autoptr(GString) shown = g_string_new(NULL), hidden = g_string_new(NULL), challenged = g_string_new(NULL);
        guint n_shown, n_hidden, n_challenged, entries_shown, entries_hidden, entries_challenged;
        preview_lockout(ANSWER_YES, FALSE, shown, &n_shown, &entries_shown);
        preview_lockout(ANSWER_NO, FALSE, hidden, &n_hidden, &entries_hidden);
        preview_lockout(ANSWER_CHALLENGE, TRUE, challenged, &n_challenged, &entries_challenged);
        g_test_message("shown: %s (%u); hidden: %s (%u in %u entries)", shown->str, n_shown, hidden->str, n_hidden,
                       entries_hidden);
        /* the admin's probe to port 22 is cut: named for the one, not the others */
        g_assert_nonnull(strstr(shown->str, "192.0.2.9"));
        g_assert_cmpuint(entries_shown, ==, n_shown);
        g_assert_null(strstr(hidden->str, "192.0.2.9"));
        g_assert_null(strstr(hidden->str, "->"));
        g_assert_null(strstr(challenged->str, "->"));
        /* the same findings, counted */
        g_assert_cmpuint(n_hidden, ==, n_shown);
        g_assert_cmpuint(n_challenged, ==, n_shown);
        g_assert_cmpuint(entries_hidden, <=, n_hidden);
}

/* Apply refused for its lockout risk: the message names the connections
 * it would cut only to a caller allowed read-connections, as Preview's
 * report does; others learn how many and by which rule. */
static char *apply_lockout_message(Answer read_connections) {
        g_autofree char *before = ipt_S();
        CallResult r;
        start_call(&r, PATH, IFACE, "Apply",
                   g_variant_new_parsed("(['-P INPUT DROP'], {'ssh-connection': <'192.0.2.9 5555 192.0.2.1 22'>})"),
                   FALSE);
        answer_check("org.backstop.firewall1.apply", FALSE, ANSWER_YES);
        answer_check(READ_CONNECTIONS, FALSE, read_connections);
        finish_call(&r);
        g_assert_nonnull(r.error);
        g_autofree char *name = g_dbus_error_get_remote_error(r.error);
        g_assert_cmpstr(name, ==, "org.backstop.Firewall1.Error.LockoutRisk");
        char *message = g_strdup(r.error->message);
        g_clear_error(&r.error);
        gt_dbus_queue_assert_no_messages(Q);
        g_autofree char *after = ipt_S();
        g_assert_cmpstr(after, ==, before);
        return message;
}

static void test_apply_lockout_connections(void) {
        g_autofree char *shown = apply_lockout_message(ANSWER_YES);
        g_autofree char *hidden = apply_lockout_message(ANSWER_NO);
        g_test_message("shown: %s; hidden: %s", shown, hidden);
        g_assert_nonnull(strstr(shown, "192.0.2.9"));
        g_assert_null(strstr(hidden, "192.0.2.9"));
        g_assert_null(strstr(hidden, "->"));
        g_assert_nonnull(strstr(hidden, "by policy DROP of INPUT"));
}

static void test_properties_need_nothing(void) {
        CallResult r;
        start_call(&r, PATH, "org.freedesktop.DBus.Properties", "GetAll", g_variant_new("(s)", IFACE), FALSE);
        finish_call(&r);
        assert_result(&r, NULL);
        gt_dbus_queue_assert_no_messages(Q);
}

static void test_root_not_asked(void) {
        (void) bs_bus_fixture_stop_daemon(F, SIGTERM);
        bs_bus_fixture_start_daemon(F, queue_address, NULL, NULL);
        for (size_t i = 0; i < 5; i++) { /* the read, zero and save classes */
                g_assert_false(g_str_has_prefix(classes[i].method, "Apply"));
                CallResult r;
                start_call(&r, PATH, IFACE, classes[i].method, g_variant_new_parsed(classes[i].params), FALSE);
                finish_call(&r);
                assert_result(&r, NULL);
        }
        gt_dbus_queue_assert_no_messages(Q);
}

/* ---- callers' uids, looked up at the bus daemon once per caller ---- */

typedef struct Monitored {
        const char *daemon;        /* the daemon's unique name */
        const char *marker_sender; /* whose Ping marks the end of a round */
        gint lookups;              /* the daemon asking the bus for a caller's credentials */
        gint marker_seen;
} Monitored;

/* Runs in GDBus's worker thread, for everything the bus routes. Passes on
 * only what is for the monitor itself (BecomeMonitor's reply): it must
 * not answer the calls it sees (the bus would disconnect it). */
static GDBusMessage *on_monitored(GDBusConnection *c, GDBusMessage *m, gboolean incoming, gpointer userdata) {
        Monitored *mon = userdata;
        if (!incoming || g_strcmp0(g_dbus_message_get_destination(m), g_dbus_connection_get_unique_name(c)) == 0)
                return m;
        if (incoming && g_dbus_message_get_message_type(m) == G_DBUS_MESSAGE_TYPE_METHOD_CALL) {
                const char *sender = g_dbus_message_get_sender(m), *member = g_dbus_message_get_member(m);
                if (g_strcmp0(sender, mon->daemon) == 0 &&
                    g_strcmp0(g_dbus_message_get_destination(m), "org.freedesktop.DBus") == 0 &&
                    (g_strcmp0(member, "GetConnectionCredentials") == 0 ||
                     g_strcmp0(member, "GetConnectionUnixUser") == 0))
                        g_atomic_int_inc(&mon->lookups);
                if (g_strcmp0(member, "Ping") == 0 && g_strcmp0(sender, mon->marker_sender) == 0)
                        g_atomic_int_set(&mon->marker_seen, 1);
        }
        g_object_unref(m);
        return NULL;
}

static GDBusConnection *connect_queue_bus(void) {
        g_autoptr(GError) error = NULL;
        GDBusConnection *c = g_dbus_connection_new_for_address_sync(
                queue_address, G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT | G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                NULL, NULL, &error);
        g_assert_no_error(error);
        return c;
}

/* One ListRules from each client, all at once, all answered. */
static void round_of_calls(GDBusConnection **clients, size_t n) {
        g_autofree CallResult *r = g_new0(CallResult, n);
        for (size_t i = 0; i < n; i++)
                g_dbus_connection_call(clients[i], BUS_NAME, PATH, IFACE, "ListRules", g_variant_new("(ss)", "", ""),
                                       NULL, G_DBUS_CALL_FLAGS_NONE, 60000, NULL, on_reply, &r[i]);
        for (size_t i = 0; i < n; i++) {
                finish_call(&r[i]);
                assert_result(&r[i], NULL);
        }
}

/* The bus routes in order: once the monitor has seen a Ping sent after
 * the round's last reply, it has seen all the daemon asked during it. */
static gint lookups_after(GDBusConnection *pinger, Monitored *mon) {
        mon->marker_sender = g_dbus_connection_get_unique_name(pinger);
        g_atomic_int_set(&mon->marker_seen, 0);
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) pong = g_dbus_connection_call_sync(pinger, BUS_NAME, PATH, "org.freedesktop.DBus.Peer",
                                                               "Ping", NULL, NULL, G_DBUS_CALL_FLAGS_NONE, 60000,
                                                               NULL, &error);
        g_assert_no_error(error);
        while (!g_atomic_int_get(&mon->marker_seen))
                g_usleep(1000);
        return g_atomic_int_get(&mon->lookups);
}

/* Many clients calling in turn, as many as a busy host's panels and
 * scripts: each one's uid is asked of the bus daemon once (the daemon
 * answers nobody while it waits for that), not again on its next call.
 * With only the 16 most recent callers kept, the second round asked for
 * every one of 40 clients again. (Root, without the ask-root seam: polkit
 * is not asked, the uid alone decides.) */
static void test_callers_remembered(void) {
        enum { CLIENTS = 40 };
        GDBusConnection *clients[CLIENTS];
        for (size_t i = 0; i < CLIENTS; i++)
                clients[i] = connect_queue_bus();
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) owner = g_dbus_connection_call_sync(
                clients[0], "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus", "GetNameOwner",
                g_variant_new("(s)", BUS_NAME), G_VARIANT_TYPE("(s)"), G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
        g_assert_no_error(error);
        Monitored mon = {};
        g_variant_get(owner, "(&s)", &mon.daemon);

        GDBusConnection *monitor = connect_queue_bus();
        g_dbus_connection_add_filter(monitor, on_monitored, &mon, NULL);
        g_autoptr(GVariant) became = g_dbus_connection_call_sync(
                monitor, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus.Monitoring",
                "BecomeMonitor", g_variant_new_parsed("(@as [], @u 0)"), NULL, G_DBUS_CALL_FLAGS_NONE, -1, NULL,
                &error);
        g_assert_no_error(error);

        round_of_calls(clients, CLIENTS);
        g_assert_cmpint(lookups_after(clients[0], &mon), ==, CLIENTS);
        round_of_calls(clients, CLIENTS);
        g_assert_cmpint(lookups_after(clients[1], &mon), ==, CLIENTS);
        gt_dbus_queue_assert_no_messages(Q);

        g_dbus_connection_close_sync(monitor, NULL, NULL);
        g_object_unref(monitor);
        for (size_t i = 0; i < CLIENTS; i++) {
                g_dbus_connection_close_sync(clients[i], NULL, NULL);
                g_object_unref(clients[i]);
        }
}

int main(int argc, char **argv) {
        g_test_init(&argc, &argv, NULL);
        if (!bs_test_enter_private_netns()) {
                g_printerr("needs root and network namespaces: skipped\n");
                return 77;
        }
        g_autoptr(GError) error = NULL;
        Q = gt_dbus_queue_new();
        g_assert_true(gt_dbus_queue_connect(Q, &error));
        g_assert_no_error(error);
        queue_address = g_strdup(g_getenv("DBUS_SESSION_BUS_ADDRESS"));
        g_assert_nonnull(queue_address);
        polkit_name_id = bs_polkit_mock_export(Q);

        F = bs_bus_fixture_new();
        const char *env[] = { "BACKSTOP_POLKIT_ASK_ROOT=1", NULL };
        bs_bus_fixture_start_daemon(F, queue_address, env, NULL);

        g_test_add_func("/polkit/allowed", test_allowed);
        g_test_add_func("/polkit/denied", test_denied);
        g_test_add_func("/polkit/challenge", test_challenge);
        g_test_add_func("/polkit/interactive-flag", test_interactive_flag);
        g_test_add_func("/polkit/polkit-error", test_polkit_error);
        g_test_add_func("/polkit/polkit-absent", test_polkit_absent);
        g_test_add_func("/polkit/transaction-methods", test_transaction_methods);
        g_test_add_func("/polkit/preview-connections", test_preview_connections);
        g_test_add_func("/polkit/apply-lockout-connections", test_apply_lockout_connections);
        g_test_add_func("/polkit/properties-need-nothing", test_properties_need_nothing);
        g_test_add_func("/polkit/root-not-asked", test_root_not_asked);
        g_test_add_func("/polkit/callers-remembered", test_callers_remembered);
        int r = g_test_run();

        bs_bus_fixture_free(F);
        /* Give the name back before disconnecting: otherwise NameLost can
         * still be pending in the queue's context when it is freed, which
         * gt_dbus_queue_free asserts against. */
        gt_dbus_queue_unown_name(Q, polkit_name_id);
        gt_dbus_queue_disconnect(Q, TRUE);
        gt_dbus_queue_free(Q);
        g_free(queue_address);
        return r;
}
