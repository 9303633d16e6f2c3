/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* backstopd over a private system bus, in a private network namespace:
 * the read methods and GetStatus, callers' uids, signals, properties, the
 * systemd notifications, the access checks (lockout risk, default deny,
 * connections, strict confirmation) and a table of bad calls.
 * Transactions are in test-bus-transactions, crash and restart, the
 * journal and save + --restore in test-bus-restart. */
#include <fcntl.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <sys/file.h>

#include <gio/gunixsocketaddress.h>

#include "bus-service-util.h"

/* ---------------------------------------------------------------- reads */

static void test_read_methods(void) {
        bs_test_reset_tables();
        bs_test_ipt(4, "-N svc");
        bs_test_ipt(4, "-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT");
        bs_test_ipt(4, "-A INPUT -s 192.0.2.0/24 -p tcp --dport 22 -m comment --comment admin -j ACCEPT");
        bs_test_ipt(4, "-A INPUT -j svc");
        bs_test_ipt(6, "-A INPUT -p ipv6-icmp -j ACCEPT");

        g_autoptr(GError) error = NULL;
        for (int f = 4; f <= 6; f += 2) {
                g_autofree char *want = bs_test_ipt_S(f);
                g_autoptr(GVariant) r = call(PATH, IFACE, "GetRulesText",
                                             g_variant_new("(ssb)", f == 4 ? "ipv4" : "ipv6", "", FALSE), "(s)",
                                             &error);
                g_assert_no_error(error);
                const char *text;
                g_variant_get(r, "(&s)", &text);
                g_assert_cmpstr(text, ==, want);
        }
        /* The daemon keeps the whole table's text between calls: a change
         * by another program, even one of the same size, must show at once. */
        for (int i = 0; i < 3; i++) {
                bs_test_ipt(4, i % 2
                                       ? "-R INPUT 2 -s 192.0.2.0/24 -p tcp --dport 22 -m comment --comment admin -j ACCEPT"
                                       : "-R INPUT 2 -s 192.0.2.0/24 -p tcp --dport 22 -m comment --comment admin -j DROP");
                g_autofree char *want = bs_test_ipt_S(4);
                g_autoptr(GVariant) r = call(PATH, IFACE, "GetRulesText", g_variant_new("(ssb)", "ipv4", "", FALSE),
                                             "(s)", &error);
                g_assert_no_error(error);
                const char *text;
                g_variant_get(r, "(&s)", &text);
                g_assert_cmpstr(text, ==, want);
        }

        const char *argv[] = { bs_test_ipt_prog(4), "-w", "-S", "INPUT", NULL };
        g_autofree char *want_input = bs_test_run(argv);
        g_autoptr(GVariant) r1 = call(PATH, IFACE, "GetRulesText", g_variant_new("(ssb)", "ipv4", "INPUT", FALSE),
                                      "(s)", &error);
        g_assert_no_error(error);
        const char *text;
        g_variant_get(r1, "(&s)", &text);
        g_assert_cmpstr(text, ==, want_input);

        g_autoptr(GVariant) r2 = call(PATH, IFACE, "ListRules", g_variant_new("(ss)", "ipv4", "INPUT"),
                                      "(aa{sv}aa{sv})", &error);
        g_assert_no_error(error);
        g_autoptr(GVariant) rules = g_variant_get_child_value(r2, 0);
        g_autoptr(GVariant) chains = g_variant_get_child_value(r2, 1);
        g_assert_cmpuint(g_variant_n_children(rules), ==, 3);
        g_assert_cmpuint(g_variant_n_children(chains), ==, 1);
        g_auto(GStrv) lines = g_strsplit(want_input, "\n", -1);
        for (gsize i = 0; i < 3; i++) {
                g_autoptr(GVariant) d = g_variant_get_child_value(rules, i);
                g_autoptr(GVariantDict) dict = g_variant_dict_new(d);
                const char *rule, *chain;
                guint32 pos;
                g_assert_true(g_variant_dict_lookup(dict, "rule", "&s", &rule));
                g_assert_true(g_variant_dict_lookup(dict, "chain", "&s", &chain));
                g_assert_true(g_variant_dict_lookup(dict, "position", "u", &pos));
                g_assert_cmpstr(chain, ==, "INPUT");
                g_assert_cmpuint(pos, ==, i + 1);
                /* lines[0] is "-P INPUT ACCEPT" */
                g_autofree char *want = g_strdup_printf("-A INPUT %s", rule);
                g_assert_cmpstr(want, ==, lines[i + 1]);
                if (i == 0) {
                        const char *ct;
                        g_assert_true(g_variant_dict_lookup(dict, "ctstate", "&s", &ct));
                        g_assert_cmpstr(ct, ==, "RELATED,ESTABLISHED");
                }
                if (i == 1) {
                        const char *s, *d2, *c;
                        g_assert_true(g_variant_dict_lookup(dict, "source", "&s", &s));
                        g_assert_cmpstr(s, ==, "192.0.2.0/24");
                        g_assert_true(g_variant_dict_lookup(dict, "dports", "&s", &d2));
                        g_assert_cmpstr(d2, ==, "22");
                        g_assert_true(g_variant_dict_lookup(dict, "comment", "&s", &c));
                        g_assert_cmpstr(c, ==, "admin");
                }
                if (i == 2) {
                        const char *t;
                        g_assert_true(g_variant_dict_lookup(dict, "target", "&s", &t));
                        g_assert_cmpstr(t, ==, "svc");
                }
        }
        g_autoptr(GVariant) nochain = call(PATH, IFACE, "ListRules", g_variant_new("(ss)", "ipv4", "nosuch"),
                                           "(aa{sv}aa{sv})", &error);
        g_assert_nonnull(error);
        g_autofree char *ename = g_dbus_error_get_remote_error(error);
        g_assert_cmpstr(ename, ==, "org.backstop.Firewall1.Error.NotFound");
        g_clear_error(&error);

        /* Preview: nothing changes, the result is what -S would print */
        g_autofree char *before = bs_test_ipt_S(4);
        const char *changes[] = { "-I INPUT 1 -i lo -j ACCEPT", "-P INPUT DROP", NULL };
        g_autoptr(GVariant) p = call(PATH, IFACE, "Preview", g_variant_new("(^as@a{sv})", changes, opts_timeout(10)),
                                     "(a{ss}asaa{sv})", &error);
        g_assert_no_error(error);
        g_autoptr(GVariant) result = g_variant_get_child_value(p, 0);
        g_autoptr(GVariant) cmds = g_variant_get_child_value(p, 1);
        const char *v4;
        g_assert_true(g_variant_lookup(result, "ipv4", "&s", &v4));
        g_assert_nonnull(strstr(v4, "-P INPUT DROP\n"));
        g_assert_nonnull(strstr(v4, "-A INPUT -i lo -j ACCEPT\n-A INPUT -m conntrack"));
        g_assert_cmpuint(g_variant_n_children(cmds), ==, 4); /* two changes, both families */
        g_autofree char *after = bs_test_ipt_S(4);
        g_assert_cmpstr(after, ==, before);
        bs_test_reset_tables();
}


static guint32 chain_rules(GVariant *chains, const char *family, const char *chain) {
        for (gsize i = 0; i < g_variant_n_children(chains); i++) {
                g_autoptr(GVariant) d = g_variant_get_child_value(chains, i);
                g_autoptr(GVariantDict) dict = g_variant_dict_new(d);
                const char *f, *c;
                guint32 n;
                g_assert_true(g_variant_dict_lookup(dict, "family", "&s", &f));
                g_assert_true(g_variant_dict_lookup(dict, "chain", "&s", &c));
                g_assert_true(g_variant_dict_lookup(dict, "rules", "u", &n));
                if (g_str_equal(f, family) && g_str_equal(c, chain))
                        return n;
        }
        g_error("no chain %s %s", family, chain);
}

static char *policy_of(GVariant *properties, const char *family, const char *chain) {
        g_autoptr(GVariantDict) dict = g_variant_dict_new(properties);
        g_autoptr(GVariant) pol = g_variant_dict_lookup_value(dict, "Policies", G_VARIANT_TYPE("a{sa{ss}}"));
        g_assert_nonnull(pol);
        g_autoptr(GVariant) fam = g_variant_lookup_value(pol, family, G_VARIANT_TYPE("a{ss}"));
        g_assert_nonnull(fam);
        char *p = NULL;
        g_assert_true(g_variant_lookup(fam, chain, "s", &p));
        return p;
}

/* GetStatus is GetAll and ListChains("") in one reply (one look at the
 * kernel), and like them it shows at once what another program changed
 * with iptables since the last call, in both halves. */
static void test_get_status(void) {
        bs_test_reset_tables();
        bs_test_ipt(6, "-A INPUT -p ipv6-icmp -j ACCEPT");
        g_autoptr(GError) error = NULL;
        for (guint round = 0; round < 4; round++) {
                /* others, between two calls: one more rule and a policy
                 * flip; in round 3 a same-size edit that only the policy
                 * shows (the rule count stays) */
                if (round < 3) {
                        g_autofree char *rule = g_strdup_printf("-A INPUT -s 192.0.2.%u/32 -j ACCEPT", round + 1);
                        bs_test_ipt(4, rule);
                } else
                        bs_test_ipt(4, "-R INPUT 1 -s 192.0.2.9/32 -j DROP");
                bs_test_ipt(4, round % 2 ? "-P FORWARD ACCEPT" : "-P FORWARD DROP");

                g_autoptr(GVariant) st = call(PATH, IFACE, "GetStatus", NULL, "(a{sv}aa{sv})", &error);
                g_assert_no_error(error);
                g_autoptr(GVariant) props = g_variant_get_child_value(st, 0);
                g_autoptr(GVariant) chains = g_variant_get_child_value(st, 1);
                g_assert_cmpuint(chain_rules(chains, "ipv4", "INPUT"), ==, round < 3 ? round + 1 : 3);
                g_assert_cmpuint(chain_rules(chains, "ipv6", "INPUT"), ==, 1);
                g_autofree char *fwd = policy_of(props, "ipv4", "FORWARD");
                g_assert_cmpstr(fwd, ==, round % 2 ? "ACCEPT" : "DROP");

                /* the same as the separate calls (nothing changes in between) */
                g_autoptr(GVariant) all = call(PATH, "org.freedesktop.DBus.Properties", "GetAll",
                                               g_variant_new("(s)", IFACE), "(a{sv})", &error);
                g_assert_no_error(error);
                g_autoptr(GVariant) list = call(PATH, IFACE, "ListChains", g_variant_new("(s)", ""), "(aa{sv})",
                                                &error);
                g_assert_no_error(error);
                g_autoptr(GVariant) all_props = g_variant_get_child_value(all, 0);
                g_autoptr(GVariant) list_chains = g_variant_get_child_value(list, 0);
                g_assert_true(g_variant_equal(props, all_props));
                g_assert_true(g_variant_equal(chains, list_chains));
        }
        g_autofree char *s4 = bs_test_ipt_S(4);
        g_assert_nonnull(strstr(s4, "-A INPUT -s 192.0.2.9/32 -j DROP\n"));
        bs_test_reset_tables();
}

typedef struct Seen {
        GPtrArray *signals;  /* "Member arg" strings */
} Seen;

static void on_signal(GDBusConnection *c, const char *sender, const char *path, const char *iface,
                      const char *member, GVariant *params, gpointer userdata) {
        Seen *seen = userdata;
        if (g_str_equal(member, "PropertiesChanged")) {
                const char *which;
                g_autoptr(GVariant) changed = NULL;
                g_autoptr(GVariant) invalidated = NULL;
                g_variant_get(params, "(&s@a{sv}@as)", &which, &changed, &invalidated);
                GVariantIter it;
                const char *key;
                GVariant *v;
                g_variant_iter_init(&it, changed);
                while (g_variant_iter_loop(&it, "{&sv}", &key, &v)) {
                        /* Policies with its value: "PATH Policies={'ipv4': {...}, ...}" */
                        g_autofree char *value = g_str_equal(key, "Policies") ? g_variant_print(v, FALSE) : NULL;
                        g_ptr_array_add(seen->signals, value ? g_strdup_printf("%s %s=%s", path, key, value)
                                                             : g_strdup_printf("%s %s", path, key));
                }
        } else {
                /* "TransactionRolledBack /org/.../Transaction/3 request" */
                GString *line = g_string_new(member);
                for (gsize i = 0; i < g_variant_n_children(params); i++) {
                        g_autoptr(GVariant) a = g_variant_get_child_value(params, i);
                        if (g_variant_is_of_type(a, G_VARIANT_TYPE_STRING) ||
                            g_variant_is_of_type(a, G_VARIANT_TYPE_OBJECT_PATH))
                                g_string_append_printf(line, " %s", g_variant_get_string(a, NULL));
                }
                g_ptr_array_add(seen->signals, g_string_free(line, FALSE));
        }
}

static gboolean seen_has(Seen *seen, const char *prefix) {
        for (guint i = 0; i < seen->signals->len; i++)
                if (g_str_has_prefix(g_ptr_array_index(seen->signals, i), prefix))
                        return TRUE;
        return FALSE;
}

static void wait_seen(Seen *seen, const char *prefix) {
        while (!seen_has(seen, prefix))
                g_main_context_iteration(NULL, TRUE);
}

/* A signal line that starts with prefix and contains what. */
static gboolean seen_has_with(Seen *seen, const char *prefix, const char *what) {
        for (guint i = 0; i < seen->signals->len; i++) {
                const char *l = g_ptr_array_index(seen->signals, i);
                if (g_str_has_prefix(l, prefix) && strstr(l, what))
                        return TRUE;
        }
        return FALSE;
}

static void test_signals(void) {
        bs_test_reset_tables();
        Seen seen = { g_ptr_array_new_with_free_func(g_free) };
        guint sub = g_dbus_connection_signal_subscribe(C, BUS_NAME, NULL, NULL, NULL, NULL, G_DBUS_SIGNAL_FLAGS_NONE,
                                                       on_signal, &seen, NULL);
        const char *changes[] = { "-P FORWARD DROP", NULL };
        g_autofree char *path = apply_ok(changes, 30);
        g_autofree char *applied = g_strdup_printf("TransactionApplied %s", path);
        wait_seen(&seen, applied);
        wait_seen(&seen, PATH " PendingTransaction");
        wait_seen(&seen, PATH " Policies");
        /* the value sent is the table as committed, not a snapshot read
         * earlier in the same event-loop iteration */
        g_assert_true(seen_has_with(&seen, PATH " Policies=", "'FORWARD': 'DROP'"));
        g_ptr_array_set_size(seen.signals, 0);
        tx_call(path, "Rollback", NULL, NULL);
        g_autofree char *rolled = g_strdup_printf("TransactionRolledBack %s request", path);
        wait_seen(&seen, rolled);
        while (!seen_has_with(&seen, PATH " Policies=", "'FORWARD': 'ACCEPT'"))
                g_main_context_iteration(NULL, TRUE);
        g_autofree char *state = g_strdup_printf("%s State", path);
        wait_seen(&seen, state);

        /* saving flips RulesSaved */
        g_ptr_array_set_size(seen.signals, 0);
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) r = call(PATH, IFACE, "Save", NULL, "()", &error);
        g_assert_no_error(error);
        wait_seen(&seen, PATH " RulesSaved");

        /* ApplyDefaultDeny reads the tables and commits in one event-loop
         * iteration: the Policies sent with its PropertiesChanged must be
         * read after the commit (INPUT DROP), not taken from that read. */
        g_ptr_array_set_size(seen.signals, 0);
        g_autoptr(GVariant) dd = call(PATH, IFACE, "ApplyDefaultDeny",
                                      g_variant_new_parsed("([('tcp', uint16 22)], {'timeout': <uint32 30>})"),
                                      "(o)", &error);
        g_assert_no_error(error);
        const char *dd_path;
        g_variant_get(dd, "(&o)", &dd_path);
        wait_seen(&seen, PATH " Policies=");
        g_assert_true(seen_has_with(&seen, PATH " Policies=", "{'INPUT': 'DROP'"));
        tx_call(dd_path, "Rollback", NULL, NULL);
        g_dbus_connection_signal_unsubscribe(C, sub);
        g_ptr_array_free(seen.signals, TRUE);
}

/* ---------------------------------------------------------------- properties */

/* The daemon's CPU time (user + system) in ms, from /proc/PID/stat. */
static double daemon_cpu_ms(void) {
        const char *pid = g_subprocess_get_identifier(F->daemon);
        g_autofree char *path = g_strdup_printf("/proc/%s/stat", pid), *stat = NULL;
        g_assert_true(g_file_get_contents(path, &stat, NULL, NULL));
        const char *p = strrchr(stat, ')');
        g_assert_nonnull(p);
        g_auto(GStrv) fields = g_strsplit(p + 2, " ", -1);
        /* fields[0] is the state (field 3): utime and stime are fields 14, 15 */
        g_assert_cmpuint(g_strv_length(fields), >, 13);
        double ticks = g_ascii_strtod(fields[11], NULL) + g_ascii_strtod(fields[12], NULL);
        return ticks * 1000.0 / (double) sysconf(_SC_CLK_TCK);
}

static GVariant *get_all_manager(GError **error) {
        return call(PATH, "org.freedesktop.DBus.Properties", "GetAll", g_variant_new("(s)", IFACE), "(a{sv})",
                    error);
}

/* A property read, anyone's to make, never reads the kernel's tables: with
 * the xtables lock held by another program, GetAll answers from what the
 * daemon computed (a read of the tables would wait for the lock, then
 * fail); another program's change shows with the refresh's
 * PropertiesChanged; GetStatus (read-rules) looks at once. */
static void test_properties_cached(void) {
        bs_test_reset_tables();
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) st = call(PATH, IFACE, "GetStatus", NULL, "(a{sv}aa{sv})", &error);
        g_assert_no_error(error);

        int lock = open(g_getenv("XTABLES_LOCKFILE"), O_RDONLY | O_CREAT | O_CLOEXEC, 0600);
        g_assert_cmpint(lock, >=, 0);
        g_assert_cmpint(flock(lock, LOCK_EX), ==, 0);
        for (int i = 0; i < 3; i++) {
                g_autoptr(GVariant) all = get_all_manager(&error);
                g_assert_no_error(error);
                g_autoptr(GVariant) props = g_variant_get_child_value(all, 0);
                g_autofree char *input = policy_of(props, "ipv4", "INPUT");
                g_assert_cmpstr(input, ==, "ACCEPT");
                gboolean saved;
                g_assert_true(g_variant_lookup(props, "RulesSaved", "b", &saved));
        }
        close(lock);

        /* another program's change: announced by the refresh, within its
         * period (5 s); GetStatus shows it at once */
        Seen seen = { g_ptr_array_new_with_free_func(g_free) };
        guint sub = g_dbus_connection_signal_subscribe(C, BUS_NAME, "org.freedesktop.DBus.Properties",
                                                       "PropertiesChanged", PATH, NULL, G_DBUS_SIGNAL_FLAGS_NONE,
                                                       on_signal, &seen, NULL);
        bs_test_ipt(4, "-P FORWARD DROP");
        while (!seen_has_with(&seen, PATH " Policies=", "'FORWARD': 'DROP'"))
                g_main_context_iteration(NULL, TRUE);
        g_autoptr(GVariant) all = get_all_manager(&error);
        g_assert_no_error(error);
        g_autoptr(GVariant) props = g_variant_get_child_value(all, 0);
        g_autofree char *forward = policy_of(props, "ipv4", "FORWARD");
        g_assert_cmpstr(forward, ==, "DROP");
        bs_test_ipt(6, "-P FORWARD DROP");
        g_autoptr(GVariant) st2 = call(PATH, IFACE, "GetStatus", NULL, "(a{sv}aa{sv})", &error);
        g_assert_no_error(error);
        g_autoptr(GVariant) props2 = g_variant_get_child_value(st2, 0);
        g_autofree char *forward6 = policy_of(props2, "ipv6", "FORWARD");
        g_assert_cmpstr(forward6, ==, "DROP");
        g_dbus_connection_signal_unsubscribe(C, sub);
        g_ptr_array_free(seen.signals, TRUE);

        /* the cost of anyone's reads, printed: 100 GetAll on a 10,000-rule
         * table (a figure, not judged) */
        GString *text = g_string_new("*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n");
        for (int i = 0; i < 10000; i++)
                g_string_append_printf(text, "-A INPUT -s 10.%d.%d.0/24 -p tcp --dport %d -j ACCEPT\n", i / 256,
                                       i % 256, 1000 + i);
        g_string_append(text, "COMMIT\n");
        g_autofree char *file = g_build_filename(F->tmpdir, "10k.rules", NULL);
        g_assert_true(g_file_set_contents(file, text->str, -1, NULL));
        g_string_free(text, TRUE);
        g_autofree char *cmd = g_strdup_printf("%s -w < '%s'", bs_test_ipt_restore_prog(4), file);
        const char *argv[] = { "sh", "-c", cmd, NULL };
        g_free(bs_test_run(argv));
        double cpu0 = daemon_cpu_ms();
        for (int i = 0; i < 100; i++) {
                g_autoptr(GVariant) a = get_all_manager(&error);
                g_assert_no_error(error);
        }
        double cpu1 = daemon_cpu_ms();
        g_print("# 100 GetAll of the manager's properties on a 10,000-rule table: %.0f ms of daemon CPU\n",
                cpu1 - cpu0);
        bs_test_reset_tables();
}

static void test_notify_and_watchdog(void) {
        /* READY=1 once the name is taken, WATCHDOG=1 pings after */
        (void) bs_bus_fixture_stop_daemon(F, SIGTERM);
        g_autofree char *sock_path = g_build_filename(F->tmpdir, "notify", NULL);
        g_autoptr(GError) error = NULL;
        g_autoptr(GSocket) sock = g_socket_new(G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_DATAGRAM, 0, &error);
        g_assert_no_error(error);
        g_autoptr(GSocketAddress) addr = g_unix_socket_address_new(sock_path);
        g_assert_true(g_socket_bind(sock, addr, TRUE, &error));
        g_autofree char *env_sock = g_strdup_printf("NOTIFY_SOCKET=%s", sock_path);
        const char *env[] = { env_sock, "WATCHDOG_USEC=200000", NULL };
        bs_bus_fixture_start_daemon(F, NULL, env, NULL);
        gboolean ready = FALSE, watchdog = FALSE;
        while (!ready || !watchdog) {
                char buf[512];
                gssize n = g_socket_receive(sock, buf, sizeof(buf) - 1, NULL, &error);
                g_assert_no_error(error);
                buf[n] = 0;
                ready = ready || strstr(buf, "READY=1") != NULL;
                watchdog = watchdog || strstr(buf, "WATCHDOG=1") != NULL;
        }
        (void) bs_bus_fixture_stop_daemon(F, SIGTERM);
        g_unlink(sock_path);
        bs_bus_fixture_start_daemon(F, NULL, NULL, NULL);
}

/* ---------------------------------------------------------------- access */

static void test_lockout_risk(void) {
        bs_test_reset_tables();
        g_autoptr(GError) error = NULL;
        const char *changes[] = { "-P INPUT DROP", NULL };
        g_autofree char *path = apply(changes, opts_timeout(30), &error);
        g_assert_null(path);
        g_autofree char *name = g_dbus_error_get_remote_error(error);
        g_assert_cmpstr(name, ==, "org.backstop.Firewall1.Error.LockoutRisk");
        g_assert_nonnull(strstr(error->message, "loopback"));
        g_autofree char *s4 = bs_test_ipt_S(4), *s6 = bs_test_ipt_S(6);
        g_assert_cmpstr(s4, ==, empty_S);
        g_assert_cmpstr(s6, ==, empty_S);
        g_clear_error(&error);

        /* Preview shows the same analysis */
        g_autoptr(GVariant) p = call(PATH, IFACE, "Preview", g_variant_new("(^as@a{sv})", changes, opts_timeout(30)),
                                     "(a{ss}asaa{sv})", &error);
        g_assert_no_error(error);
        g_autoptr(GVariant) lockout = g_variant_get_child_value(p, 2);
        g_assert_cmpuint(g_variant_n_children(lockout), ==, 2); /* lo, both families */
        g_autoptr(GVariant) first = g_variant_get_child_value(lockout, 0);
        g_autoptr(GVariantDict) d = g_variant_dict_new(first);
        const char *kind, *verdict, *chain;
        guint32 pos;
        g_assert_true(g_variant_dict_lookup(d, "kind", "&s", &kind));
        g_assert_true(g_variant_dict_lookup(d, "verdict", "&s", &verdict));
        g_assert_true(g_variant_dict_lookup(d, "chain", "&s", &chain));
        g_assert_true(g_variant_dict_lookup(d, "position", "u", &pos));
        g_assert_cmpstr(kind, ==, "loopback");
        g_assert_cmpstr(verdict, ==, "DROP");
        g_assert_cmpstr(chain, ==, "INPUT");
        g_assert_cmpuint(pos, ==, 0);

        /* with loopback allowed first, nothing is cut */
        const char *safe[] = { "-A INPUT -i lo -j ACCEPT", "-P INPUT DROP", NULL };
        g_autofree char *tx = apply(safe, opts_timeout(30), &error);
        g_assert_no_error(error);
        tx_call(tx, "Rollback", NULL, NULL);

        /* On tables that already cut loopback (set outside): a change
         * that only adds ACCEPT rules cannot make that worse and goes
         * through; one that adds a DROP is still checked and refused. */
        bs_test_ipt(4, "-P INPUT DROP");
        bs_test_ipt(6, "-P INPUT DROP");
        const char *widen[] = { "-A INPUT -p tcp --dport 80 -j ACCEPT", NULL };
        g_autofree char *tx2 = apply(widen, opts_timeout(30), &error);
        g_assert_no_error(error);
        tx_call(tx2, "Rollback", NULL, NULL);
        const char *narrow[] = { "-A INPUT -p tcp --dport 81 -j DROP", NULL };
        g_autofree char *tx3 = apply(narrow, opts_timeout(30), &error);
        g_assert_null(tx3);
        g_autofree char *name3 = g_dbus_error_get_remote_error(error);
        g_assert_cmpstr(name3, ==, "org.backstop.Firewall1.Error.LockoutRisk");
        g_clear_error(&error);
        bs_test_reset_tables();
}

static void test_default_deny_and_check(void) {
        bs_test_reset_tables();
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) r = call(PATH, IFACE, "ApplyDefaultDeny",
                                     g_variant_new_parsed("([('tcp', uint16 22)], {'timeout': <uint32 30>})"), "(o)",
                                     &error);
        g_assert_no_error(error);
        const char *tx;
        g_variant_get(r, "(&o)", &tx);
        g_assert_cmpstr(tx, !=, "/");
        g_autofree char *s4 = bs_test_ipt_S(4), *s6 = bs_test_ipt_S(6);
        g_assert_nonnull(strstr(s4, "-P INPUT DROP\n"));
        g_assert_nonnull(strstr(s4, "-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n"));
        g_assert_nonnull(strstr(s4, "-A INPUT -i lo -j ACCEPT\n"));
        g_assert_nonnull(strstr(s4, "--dport 22 -j ACCEPT\n"));
        g_assert_nonnull(strstr(s6, "-P INPUT DROP\n"));
        g_assert_nonnull(strstr(s6, "--icmpv6-type 135"));

        g_autoptr(GVariant) busy = call(PATH, IFACE, "ApplyDefaultDeny",
                                        g_variant_new_parsed("(@a(sq) [], @a{sv} {})"), "(o)", &error);
        g_autofree char *name = g_dbus_error_get_remote_error(error);
        g_assert_cmpstr(name, ==, "org.backstop.Firewall1.Error.Busy");
        g_clear_error(&error);

        g_autoptr(GVariant) c = call(PATH, IFACE, "Check", g_variant_new("(s)", ""), "(baa{sv})", &error);
        g_assert_no_error(error);
        g_autoptr(GVariant) items = g_variant_get_child_value(c, 1);
        gboolean saw_policy = FALSE;
        for (gsize i = 0; i < g_variant_n_children(items); i++) {
                g_autoptr(GVariant) it = g_variant_get_child_value(items, i);
                g_autoptr(GVariantDict) d = g_variant_dict_new(it);
                const char *id;
                gboolean passed;
                g_assert_true(g_variant_dict_lookup(d, "id", "&s", &id));
                g_assert_true(g_variant_dict_lookup(d, "passed", "b", &passed));
                if (g_str_equal(id, "input-policy") || g_str_equal(id, "stateful-rule-present") ||
                    g_str_equal(id, "loopback-allowed") || g_str_equal(id, "management-allowed")) {
                        if (!passed)
                                g_error("check %s failed after the recipe", id);
                        saw_policy = saw_policy || g_str_equal(id, "input-policy");
                }
        }
        g_assert_true(saw_policy);

        /* confirmed, the recipe has nothing left to do */
        GVariantBuilder b;
        g_variant_builder_init(&b, G_VARIANT_TYPE("a{sv}"));
        tx_call(tx, "Confirm", g_variant_new("(a{sv})", &b), NULL);
        g_autoptr(GVariant) again = call(PATH, IFACE, "ApplyDefaultDeny",
                                         g_variant_new_parsed("([('tcp', uint16 22)], @a{sv} {})"), "(o)", &error);
        g_assert_no_error(error);
        const char *none;
        g_variant_get(again, "(&o)", &none);
        g_assert_cmpstr(none, ==, "/");
        g_autofree char *s4b = bs_test_ipt_S(4);
        g_assert_cmpstr(s4b, ==, s4);
        bs_test_reset_tables();
}

static void test_list_connections(void) {
        bs_test_reset_tables();
        /* conntrack only tracks a namespace once a rule there needs it */
        bs_test_ipt(4, "-A INPUT -m conntrack --ctstate ESTABLISHED -j ACCEPT");
        g_autoptr(GError) error = NULL;
        g_autoptr(GSocketListener) l = g_socket_listener_new();
        g_autoptr(GInetAddress) lo = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
        g_autoptr(GSocketAddress) addr = g_inet_socket_address_new(lo, 0);
        g_autoptr(GSocketAddress) bound = NULL;
        g_assert_true(g_socket_listener_add_address(l, addr, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL,
                                                    &bound, &error));
        guint16 port = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(bound));
        g_autoptr(GSocketClient) client = g_socket_client_new();
        g_autoptr(GSocketConnection) conn = g_socket_client_connect_to_host(client, "127.0.0.1", port, NULL, &error);
        g_assert_no_error(error);
        g_autoptr(GSocketConnection) server = g_socket_listener_accept(l, NULL, NULL, &error);
        g_assert_no_error(error);

        g_autoptr(GVariant) r = call(PATH, IFACE, "ListConnections", NULL, "(aa{sv})", &error);
        g_assert_no_error(error);
        g_autoptr(GVariant) list = g_variant_get_child_value(r, 0);
        gboolean found = FALSE;
        for (gsize i = 0; i < g_variant_n_children(list); i++) {
                g_autoptr(GVariant) it = g_variant_get_child_value(list, i);
                g_autoptr(GVariantDict) d = g_variant_dict_new(it);
                guint16 dport;
                const char *proto, *state, *src;
                g_assert_true(g_variant_dict_lookup(d, "destination-port", "q", &dport));
                g_assert_true(g_variant_dict_lookup(d, "protocol", "&s", &proto));
                g_assert_true(g_variant_dict_lookup(d, "state", "&s", &state));
                g_assert_true(g_variant_dict_lookup(d, "source", "&s", &src));
                if (dport == port && g_str_equal(proto, "tcp")) {
                        g_assert_cmpstr(state, ==, "ESTABLISHED");
                        g_assert_cmpstr(src, ==, "127.0.0.1");
                        found = TRUE;
                }
        }
        g_assert_true(found);
        bs_test_reset_tables();
}

static void test_strict_confirmation(void) {
        bs_test_reset_tables();
        GVariantBuilder b;
        g_variant_builder_init(&b, G_VARIANT_TYPE("a{sv}"));
        g_variant_builder_add(&b, "{sv}", "timeout", g_variant_new_uint32(30));
        g_variant_builder_add(&b, "{sv}", "strict", g_variant_new_boolean(TRUE));
        g_autoptr(GError) error = NULL;
        const char *changes[] = { "-A INPUT -s 192.0.2.20/32 -j ACCEPT", NULL };
        g_autofree char *tx = apply(changes, g_variant_builder_end(&b), &error);
        g_assert_no_error(error);
        g_autofree char *mode = tx_string(tx, "ConfirmationMode");
        g_assert_cmpstr(mode, ==, "strict");

        g_variant_builder_init(&b, G_VARIANT_TYPE("a{sv}"));
        tx_call(tx, "Confirm", g_variant_new("(a{sv})", &b), "org.freedesktop.DBus.Error.InvalidArgs");
        /* a connection conntrack does not have */
        g_variant_builder_init(&b, G_VARIANT_TYPE("a{sv}"));
        g_variant_builder_add(&b, "{sv}", "ssh-connection", g_variant_new_string("192.0.2.2 50000 192.0.2.1 22"));
        tx_call(tx, "Confirm", g_variant_new("(a{sv})", &b), "org.backstop.Firewall1.Error.ConfirmationRejected");
        g_autofree char *state = tx_string(tx, "State");
        g_assert_cmpstr(state, ==, "pending"); /* the timer keeps running */
        tx_call(tx, "Rollback", NULL, NULL);
}

/* ---------------------------------------------------------------- bad input */

typedef struct BadCall {
        const char *method;
        const char *params;    /* GVariant text */
        const char *mentions;  /* the error message must name this */
} BadCall;

static void test_bad_input(void) {
        bs_test_reset_tables();
        bs_test_ipt(4, "-A INPUT -s 192.0.2.1/32 -j ACCEPT");
        g_autofree char *before4 = bs_test_ipt_S(4), *before6 = bs_test_ipt_S(6);
        g_autofree char *long_change = g_strnfill(9000, 'x');
        g_autofree char *long_params = g_strdup_printf("(['-A INPUT -m comment --comment %s'], @a{sv} {})", long_change);
        GString *many = g_string_new("([");
        for (int i = 0; i < 10001; i++)
                g_string_append_printf(many, "%s'-A INPUT -j ACCEPT'", i ? "," : "");
        g_string_append(many, "], @a{sv} {})");
        const BadCall calls[] = {
                { "Apply", "(['-A INPUT -s 300.1.1.1 -j ACCEPT'], @a{sv} {})", "300.1.1.1" },
                { "Apply", "(['-A INPUT -p tcp --dport 70000 -j ACCEPT'], @a{sv} {})", "70000" },
                { "Apply", "(['-Q INPUT'], @a{sv} {})", "-Q" },
                { "Apply", "(['-A INPUT -j ACCEPT', '-A INPUT --bogus'], @a{sv} {})", "--bogus" },
                { "Apply", "(['-t nat -A PREROUTING -j ACCEPT'], @a{sv} {})", "filter" },
                { "Apply", "(@as [], @a{sv} {})", "no changes" },
                { "Apply", "(['-A INPUT -j ACCEPT'], {'timeout': <'10'>})", "timeout" },
                { "Apply", "(['-A INPUT -j ACCEPT'], {'timeout': <uint32 90000>})", "90000" },
                { "Apply", "(['-A INPUT -j ACCEPT'], {'bogus': <true>})", "bogus" },
                { "Apply", "(['-A INPUT -j ACCEPT'], {'ssh-connection': <'10.0.0.1 22'>})", "ssh-connection" },
                { "Apply", "(['-A INPUT -j ACCEPT'], {'force': <uint32 1>})", "force" },
                { "Apply", long_params, "8192" },
                { "Apply", many->str, "Too many" },
                { "Preview", "(['-A INPUT -s 10.0.0.0/33 -j ACCEPT'], @a{sv} {})", "10.0.0.0/33" },
                { "ListRules", "('ipv5', '')", "ipv5" },
                { "ListRules", "('', 'a b')", "a b" },
                { "GetRulesText", "('', '', false)", "\"\"" },
                { "ZeroCounters", "('x', '')", "\"x\"" },
                { "ZeroCounters", "('ipv4', '-bad')", "-bad" },
                { "Apply", "(['-A INPUT -j ACCEPT'], {'strict': <true>, 'timeout': <uint32 0>})", "strict" },
                { "ApplyDefaultDeny", "([('sctp', uint16 22)], @a{sv} {})", "sctp" },
                { "ApplyDefaultDeny", "([('tcp', uint16 0)], @a{sv} {})", "port 0" },
                { "ApplyDefaultDeny", "([('tcp', uint16 22)], {'timeout': <int32 5>})", "timeout" },
                { "Check", "('ipv7',)", "ipv7" },
        };
        for (size_t i = 0; i < G_N_ELEMENTS(calls); i++) {
                g_autoptr(GError) error = NULL;
                GVariant *params = g_variant_new_parsed(calls[i].params);
                g_autoptr(GVariant) r = call(PATH, IFACE, calls[i].method, params, NULL, &error);
                if (!error)
                        g_error("%s%.80s: no error", calls[i].method, calls[i].params);
                g_autofree char *name = g_dbus_error_get_remote_error(error);
                if (!g_str_equal(name, "org.freedesktop.DBus.Error.InvalidArgs") ||
                    !strstr(error->message, calls[i].mentions))
                        g_error("%s%.80s: %s: %s (should be InvalidArgs naming %s)", calls[i].method, calls[i].params,
                                name, error->message, calls[i].mentions);
        }
        g_string_free(many, TRUE);
        g_autofree char *after4 = bs_test_ipt_S(4), *after6 = bs_test_ipt_S(6);
        g_assert_cmpstr(after4, ==, before4);
        g_assert_cmpstr(after6, ==, before6);
        g_autofree char *pend = pending_path();
        g_assert_cmpstr(pend, ==, "/");

        /* errors that need the table: NotFound / Conflict, nothing changed */
        const struct {
                const char *change, *error;
        } table_errors[] = {
                { "-D INPUT 5", "org.backstop.Firewall1.Error.NotFound" },
                { "-A nosuch -j ACCEPT", "org.backstop.Firewall1.Error.NotFound" },
        };
        for (size_t i = 0; i < G_N_ELEMENTS(table_errors); i++) {
                g_autoptr(GError) error = NULL;
                const char *changes[] = { "-A INPUT -s 192.0.2.50/32 -j DROP", table_errors[i].change, NULL };
                g_autofree char *path = apply(changes, opts_timeout(30), &error);
                g_assert_null(path);
                g_autofree char *name = g_dbus_error_get_remote_error(error);
                g_assert_cmpstr(name, ==, table_errors[i].error);
                g_assert_nonnull(strstr(error->message, table_errors[i].change));
        }
        g_autofree char *end4 = bs_test_ipt_S(4);
        g_assert_cmpstr(end4, ==, before4);
}

/* The caller's uid is cached per unique bus name (polkit.c). Root (let
 * through without asking) and nobody (refused: no polkit on this bus) take
 * turns on one daemon; root keeps one connection, nobody comes with a new
 * one each time, more of them than the cache holds, so root's entry is
 * pushed out and looked up again. A cache that mixed callers up would let
 * nobody read the rules, or refuse root. */
static void test_callers_keep_their_uid(void) {
        /* nobody must reach the bus socket in the fixture's private dir */
        g_assert_cmpint(g_chmod(F->tmpdir, 0711), ==, 0);
        g_autofree char *address = g_strdup_printf("--address=%s", F->bus_address);
        const char *as_nobody[] = { "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "busctl", address,
                                    "call", "org.backstop.Firewall1", "/org/backstop/Firewall1",
                                    "org.backstop.Firewall1", "GetRulesText", "ssb", "ipv4", "", "false", NULL };
        /* the bus lets nobody through (properties need no polkit): the
         * refusals below are backstopd's */
        const char *nobody_version[] = { "setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "busctl",
                                         address, "get-property", "org.backstop.Firewall1",
                                         "/org/backstop/Firewall1", "org.backstop.Firewall1", "Version", NULL };
        g_autofree char *version = bs_test_run(nobody_version);
        g_assert_true(g_str_has_prefix(version, "s \""));

        for (int round = 0; round < 20; round++) {
                g_autoptr(GError) error = NULL;
                g_autoptr(GVariant) text = g_dbus_connection_call_sync(
                        C, "org.backstop.Firewall1", "/org/backstop/Firewall1", "org.backstop.Firewall1",
                        "GetRulesText", g_variant_new("(ssb)", "ipv4", "", FALSE), G_VARIANT_TYPE("(s)"),
                        G_DBUS_CALL_FLAGS_NONE, -1, NULL, &error);
                g_assert_no_error(error);

                g_autofree char *out = NULL, *err = NULL;
                int status = 0;
                g_assert_true(g_spawn_sync(NULL, (char **) as_nobody, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out,
                                           &err, &status, &error));
                g_assert_no_error(error);
                g_assert_false(g_spawn_check_wait_status(status, NULL));
                g_assert_null(strstr(out, "-P INPUT"));
                g_assert_nonnull(strstr(err, "Access denied"));
        }
        g_assert_cmpint(g_chmod(F->tmpdir, 0700), ==, 0);
}

static void count_unsaved(guint32 *v4, guint32 *v6) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) r = call(PATH, IFACE, "CountUnsavedLines", NULL, "(uu)", &error);
        g_assert_no_error(error);
        g_variant_get(r, "(uu)", v4, v6);
}

/* CountUnsavedLines follows the running rules and the saved file, each
 * change of either, though it keeps its answer while neither changes. */
static void test_count_unsaved(void) {
        bs_test_reset_tables();
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) saved = call(PATH, IFACE, "Save", NULL, "()", &error);
        g_assert_no_error(error);
        guint32 v4, v6;
        count_unsaved(&v4, &v6);
        g_assert_cmpuint(v4, ==, 0);
        g_assert_cmpuint(v6, ==, 0);

        const char *one[] = { "-A INPUT -s 192.0.2.40/32 -j ACCEPT", NULL };
        g_autofree char *p1 = apply_ok(one, 0);
        count_unsaved(&v4, &v6);
        g_assert_cmpuint(v4, ==, 1);  /* one line added */
        g_assert_cmpuint(v6, ==, 0);
        count_unsaved(&v4, &v6);      /* asked again: the same */
        g_assert_cmpuint(v4, ==, 1);

        /* another program's change counts too, once the daemon has read
         * the table (status reads it with GetStatus just before) */
        bs_test_ipt(4, "-A INPUT -s 198.51.100.40/32 -j DROP");
        g_autoptr(GVariant) st = call(PATH, IFACE, "GetStatus", NULL, "(a{sv}aa{sv})", &error);
        g_assert_no_error(error);
        count_unsaved(&v4, &v6);
        g_assert_cmpuint(v4, ==, 2);

        /* the saved file changed by hand: one line of it no longer runs */
        g_autofree char *path = g_build_filename(F->state_dir, "rules.v4", NULL);
        g_autofree char *text = NULL;
        g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
        g_autofree char *more = NULL;
        char *commit = strstr(text, "COMMIT");
        g_assert_nonnull(commit);
        *commit = 0;
        more = g_strdup_printf("%s-A OUTPUT -d 203.0.113.40/32 -j DROP\nCOMMIT\n", text);
        g_assert_true(g_file_set_contents(path, more, -1, NULL));
        count_unsaved(&v4, &v6);
        g_assert_cmpuint(v4, ==, 3);

        saved = call(PATH, IFACE, "Save", NULL, "()", &error);
        g_assert_no_error(error);
        count_unsaved(&v4, &v6);
        g_assert_cmpuint(v4, ==, 0);
}

int main(int argc, char **argv) {
        int r = bus_service_init(&argc, &argv, FALSE);
        if (r != 0)
                return r;
        g_test_add_func("/service/read-methods", test_read_methods);
        g_test_add_func("/service/get-status", test_get_status);
        g_test_add_func("/service/callers-keep-their-uid", test_callers_keep_their_uid);
        g_test_add_func("/service/bad-input", test_bad_input);
        g_test_add_func("/service/signals", test_signals);
        g_test_add_func("/service/properties-cached", test_properties_cached);
        g_test_add_func("/service/notify-and-watchdog", test_notify_and_watchdog);
        g_test_add_func("/service/lockout-risk", test_lockout_risk);
        g_test_add_func("/service/default-deny-and-check", test_default_deny_and_check);
        g_test_add_func("/service/list-connections", test_list_connections);
        g_test_add_func("/service/strict-confirmation", test_strict_confirmation);
        g_test_add_func("/service/count-unsaved", test_count_unsaved);
        return bus_service_run();
}
