/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* ApplyChanges / PreviewChanges over a private system bus, in a private
 * network namespace: a structured change set gives the very ruleset the
 * text form gives (iptables -S of both families, of the backend under test,
 * is the judge), the
 * previews are identical replies, transactions behave as Apply's (confirm,
 * rollback, busy, delete by rule), and bad input is InvalidArgs naming the
 * key and value with nothing changed. The caller is root (polkit is not
 * asked; test-bus-polkit covers the actions). */
#include <glib/gstdio.h>

#include "bus-test-util.h"

static BsBusFixture *F;
static GDBusConnection *C;

static GVariant *call(const char *path, const char *iface, const char *method, GVariant *params,
                      const char *reply_type, GError **error) {
        return bs_test_call(C, 60000, path, iface, method, params, reply_type, error);
}

static char *pending_path(void) {
        return bs_test_get_string(C, 60000, PATH, IFACE, "PendingTransaction");
}

static void tx_call(const char *path, const char *method, GVariant *params) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) r = call(path, TX_IFACE, method, params, "()", &error);
        g_assert_no_error(error);
}

static void confirm(const char *path) {
        tx_call(path, "Confirm", g_variant_new_parsed("(@a{sv} {},)"));
}

static const char forced[] = "{'timeout': <uint32 60>, 'force': <true>}";

/* Apply (text) or ApplyChanges (changes as GVariant text), forced past
 * the lockout pre-flight: the transaction path, or NULL with error. */
static char *apply_text(const char *const *changes, GError **error) {
        g_autoptr(GVariant) r = call(PATH, IFACE, "Apply",
                                     g_variant_new("(^as@a{sv})", changes, g_variant_new_parsed(forced)), "(o)",
                                     error);
        char *path = NULL;
        if (r)
                g_variant_get(r, "(o)", &path);
        return path;
}

static char *apply_dicts(const char *changes, const char *options, GError **error) {
        g_autofree char *params = g_strdup_printf("(@aa{sv} %s, @a{sv} %s)", changes, options ? options : forced);
        g_autoptr(GVariant) r = call(PATH, IFACE, "ApplyChanges", g_variant_new_parsed(params), "(o)", error);
        char *path = NULL;
        if (r)
                g_variant_get(r, "(o)", &path);
        return path;
}

typedef struct Same {
        const char *dicts;          /* aa{sv} as GVariant text */
        const char *text[12];       /* the same change set for Apply */
} Same;

static const Same sames[] = {
        /* the reference workflow, both families (NDP for IPv6) */
        { "[{'operation': <'insert'>, 'chain': <'INPUT'>, 'position': <uint32 1>,"
          "  'rule': <{'ctstate': <'ESTABLISHED,RELATED'>, 'target': <'ACCEPT'>}>},"
          " {'operation': <'append'>, 'chain': <'INPUT'>, 'rule': <{'in-interface': <'lo'>, 'target': <'ACCEPT'>}>},"
          " {'operation': <'append'>, 'chain': <'INPUT'>,"
          "  'rule': <{'protocol': <'tcp'>, 'dports': <'22'>, 'comment': <'ssh (management)'>, 'target': <'ACCEPT'>}>},"
          " {'operation': <'append'>, 'chain': <'INPUT'>, 'family': <'ipv6'>,"
          "  'rule': <{'protocol': <'ipv6-icmp'>, 'icmp-type': <'135'>, 'target': <'ACCEPT'>}>},"
          " {'operation': <'append'>, 'chain': <'INPUT'>, 'family': <'ipv6'>,"
          "  'rule': <{'protocol': <'ipv6-icmp'>, 'icmp-type': <'neighbour-advertisement'>, 'target': <'ACCEPT'>}>},"
          " {'operation': <'append'>, 'chain': <'INPUT'>,"
          "  'rule': <{'protocol': <'icmp'>, 'icmp-type': <'echo-request'>, 'limit': <'5/s'>, 'target': <'ACCEPT'>}>},"
          " {'operation': <'policy'>, 'chain': <'INPUT'>, 'policy': <'DROP'>}]",
          { "-I INPUT 1 -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT", "-A INPUT -i lo -j ACCEPT",
            "-A INPUT -p tcp --dport 22 -m comment --comment 'ssh (management)' -j ACCEPT",
            "-6 -A INPUT -p ipv6-icmp --icmpv6-type 135 -j ACCEPT",
            "-6 -A INPUT -p ipv6-icmp --icmpv6-type neighbour-advertisement -j ACCEPT",
            "-A INPUT -p icmp --icmp-type echo-request -m limit --limit 5/s -j ACCEPT", "-P INPUT DROP" } },
        /* chains, multiport, goto, LOG, REJECT, addresses of both families */
        { "[{'operation': <'new-chain'>, 'chain': <'web'>},"
          " {'operation': <'append'>, 'chain': <'web'>, 'rule': <{'source': <'!192.0.2.0/24'>, 'protocol': <'tcp'>,"
          "  'dports': <'80,443,8000:8080'>, 'target': <'ACCEPT'>}>},"
          " {'operation': <'append'>, 'chain': <'web'>, 'rule': <{'target': <'LOG'>, 'log-prefix': <'web: '>,"
          "  'log-level': <'info'>}>},"
          " {'operation': <'append'>, 'chain': <'web'>, 'rule': <{'protocol': <'tcp'>, 'target': <'REJECT'>,"
          "  'reject-with': <'tcp-reset'>}>},"
          " {'operation': <'append'>, 'chain': <'INPUT'>, 'rule': <{'target': <'web'>, 'goto': <true>}>},"
          " {'operation': <'append'>, 'chain': <'INPUT'>, 'rule': <{'source': <'2001:db8::/32'>,"
          "  'protocol': <'udp'>, 'sports': <'!53'>, 'target': <'DROP'>}>},"
          " {'operation': <'append'>, 'chain': <'FORWARD'>, 'rule': <{'in-interface': <'eth+'>,"
          "  'out-interface': <'!wg0'>, 'destination': <'10.0.0.0/8'>, 'target': <'DROP'>}>},"
          " {'operation': <'policy'>, 'chain': <'FORWARD'>, 'policy': <'DROP'>}]",
          { "-N web", "-A web ! -s 192.0.2.0/24 -p tcp -m multiport --dports 80,443,8000:8080 -j ACCEPT",
            "-A web -j LOG --log-prefix 'web: ' --log-level info", "-A web -p tcp -j REJECT --reject-with tcp-reset",
            "-A INPUT -g web", "-A INPUT -s 2001:db8::/32 -p udp ! --sport 53 -j DROP",
            "-A FORWARD -i eth+ ! -o wg0 -d 10.0.0.0/8 -j DROP", "-P FORWARD DROP" } },
};

/* The same ruleset from both forms, and identical previews. */
static void test_same_as_text(void) {
        for (size_t i = 0; i < G_N_ELEMENTS(sames); i++) {
                g_autoptr(GError) error = NULL;
                bs_test_reset_tables();
                g_autofree char *before4 = bs_test_ipt_S(4), *before6 = bs_test_ipt_S(6);

                g_autoptr(GVariant) pv_text = call(PATH, IFACE, "Preview",
                                                   g_variant_new("(^as@a{sv})", sames[i].text,
                                                                 g_variant_new_parsed("@a{sv} {}")),
                                                   "(a{ss}asaa{sv})", &error);
                g_assert_no_error(error);
                g_autofree char *pd = g_strdup_printf("(@aa{sv} %s, @a{sv} {})", sames[i].dicts);
                g_autoptr(GVariant) pv_dicts = call(PATH, IFACE, "PreviewChanges", g_variant_new_parsed(pd),
                                                    "(a{ss}asaa{sv})", &error);
                g_assert_no_error(error);
                if (!g_variant_equal(pv_text, pv_dicts)) {
                        g_autofree char *a = g_variant_print(pv_text, FALSE), *b = g_variant_print(pv_dicts, FALSE);
                        g_error("previews differ:\n%s\n%s", a, b);
                }
                /* the previews changed nothing */
                g_autofree char *mid4 = bs_test_ipt_S(4), *mid6 = bs_test_ipt_S(6);
                g_assert_cmpstr(mid4, ==, before4);
                g_assert_cmpstr(mid6, ==, before6);

                g_autofree char *p1 = apply_text(sames[i].text, &error);
                g_assert_no_error(error);
                g_autofree char *text4 = bs_test_ipt_S(4), *text6 = bs_test_ipt_S(6);
                g_assert_cmpstr(text4, !=, before4);
                tx_call(p1, "Rollback", NULL);
                g_autofree char *back4 = bs_test_ipt_S(4), *back6 = bs_test_ipt_S(6);
                g_assert_cmpstr(back4, ==, before4);
                g_assert_cmpstr(back6, ==, before6);

                g_autofree char *p2 = apply_dicts(sames[i].dicts, NULL, &error);
                g_assert_no_error(error);
                g_autofree char *dict4 = bs_test_ipt_S(4), *dict6 = bs_test_ipt_S(6);
                g_assert_cmpstr(dict4, ==, text4);
                g_assert_cmpstr(dict6, ==, text6);
                /* the preview's result is what the kernel holds now */
                g_autoptr(GVariant) result = g_variant_get_child_value(pv_dicts, 0);
                const char *r4, *r6;
                g_assert_true(g_variant_lookup(result, "ipv4", "&s", &r4));
                g_assert_true(g_variant_lookup(result, "ipv6", "&s", &r6));
                g_assert_cmpstr(r4, ==, dict4);
                g_assert_cmpstr(r6, ==, dict6);
                tx_call(p2, "Rollback", NULL);
                g_autofree char *end4 = bs_test_ipt_S(4);
                g_assert_cmpstr(end4, ==, before4);
        }
}

/* A transaction like Apply's: confirm keeps it, a second one is Busy
 * while pending, "delete" with the same rule dictionary finds the rule. */
static void test_transaction(void) {
        g_autoptr(GError) error = NULL;
        bs_test_reset_tables();
        bs_test_ipt(4, "-A INPUT -s 203.0.113.9/32 -j ACCEPT");
        static const char rule[] = "{'source': <'192.0.2.0/24'>, 'protocol': <'tcp'>, 'dports': <'22,2222'>,"
                                   " 'ctstate': <'NEW'>, 'comment': <'office'>, 'target': <'ACCEPT'>}";
        g_autofree char *add = g_strdup_printf("[{'operation': <'insert'>, 'chain': <'INPUT'>, 'rule': <%s>}]", rule);
        g_autofree char *path = apply_dicts(add, "{'timeout': <uint32 60>}", &error);
        g_assert_no_error(error);
        g_autofree char *pend = pending_path();
        g_assert_cmpstr(pend, ==, path);

        g_autofree char *busy = apply_dicts(add, NULL, &error);
        g_assert_null(busy);
        g_autofree char *ename = g_dbus_error_get_remote_error(error);
        g_assert_cmpstr(ename, ==, "org.backstop.Firewall1.Error.Busy");
        g_clear_error(&error);

        confirm(path);
        g_autofree char *s4 = bs_test_ipt_S(4);
        g_assert_cmpstr(s4, ==,
                        "-P INPUT ACCEPT\n-P FORWARD ACCEPT\n-P OUTPUT ACCEPT\n"
                        "-A INPUT -s 192.0.2.0/24 -p tcp -m multiport --dports 22,2222 -m conntrack --ctstate NEW "
                        "-m comment --comment office -j ACCEPT\n"
                        "-A INPUT -s 203.0.113.9/32 -j ACCEPT\n");
        g_autofree char *pend2 = pending_path();
        g_assert_cmpstr(pend2, ==, "/");

        g_autofree char *del = g_strdup_printf("[{'operation': <'delete'>, 'chain': <'INPUT'>, 'family': <'ipv4'>,"
                                               " 'rule': <%s>}]", rule);
        g_autofree char *p2 = apply_dicts(del, "{'timeout': <uint32 60>}", &error);
        g_assert_no_error(error);
        confirm(p2);
        g_autofree char *s4b = bs_test_ipt_S(4);
        g_assert_cmpstr(s4b, ==, "-P INPUT ACCEPT\n-P FORWARD ACCEPT\n-P OUTPUT ACCEPT\n"
                                 "-A INPUT -s 203.0.113.9/32 -j ACCEPT\n");
        /* deleting it again: NotFound, nothing changes */
        g_autofree char *p3 = apply_dicts(del, "{'timeout': <uint32 60>}", &error);
        g_assert_null(p3);
        g_autofree char *ename3 = g_dbus_error_get_remote_error(error);
        g_assert_cmpstr(ename3, ==, "org.backstop.Firewall1.Error.NotFound");
        g_autofree char *s4c = bs_test_ipt_S(4);
        g_assert_cmpstr(s4c, ==, s4b);
}

typedef struct BadCall {
        const char *method;
        const char *params;      /* GVariant text */
        const char *mentions[3]; /* the error message must name these */
} BadCall;

#define OK_RULE "'rule': <{'target': <'ACCEPT'>}>"

static void test_bad_input(void) {
        bs_test_reset_tables();
        bs_test_ipt(4, "-A INPUT -s 192.0.2.1/32 -j ACCEPT");
        bs_test_ipt(6, "-A INPUT -s 2001:db8::1/128 -j ACCEPT");
        g_autofree char *before4 = bs_test_ipt_S(4), *before6 = bs_test_ipt_S(6);

        g_autofree char *big = g_strnfill(9000, 'x');
        g_autofree char *too_large = g_strdup_printf(
                "([{'operation': <'append'>, 'chain': <'INPUT'>, 'rule': <{'comment': <'%s'>}>}], @a{sv} {})", big);
        GString *many = g_string_new("([");
        for (int i = 0; i < 10001; i++)
                g_string_append_printf(many, "%s{'operation': <'flush'>, 'chain': <'INPUT'>}", i ? "," : "");
        g_string_append(many, "], @a{sv} {})");
        GString *keys = g_string_new("([{'operation': <'flush'>, 'chain': <'INPUT'>");
        for (int i = 0; i < 40; i++)
                g_string_append_printf(keys, ", 'k%d': <'v'>", i);
        g_string_append(keys, "}], @a{sv} {})");

        const BadCall calls[] = {
                { "ApplyChanges", "(@aa{sv} [], @a{sv} {})", { "no changes" } },
                { "ApplyChanges", "([{'chain': <'INPUT'>}], @a{sv} {})", { "\"operation\"", "missing" } },
                { "ApplyChanges", "([{'operation': <'prepend'>, 'chain': <'INPUT'>}], @a{sv} {})",
                  { "\"operation\"", "\"prepend\"" } },
                { "ApplyChanges", "([{'operation': <'flush'>, 'chain': <'INPUT'>, 'bogus': <1>}], @a{sv} {})",
                  { "unknown key", "\"bogus\"" } },
                { "ApplyChanges", "([{'operation': <'insert'>, 'chain': <'INPUT'>, 'position': <int32 1>, " OK_RULE
                                  "}], @a{sv} {})",
                  { "\"position\"", "\"i\"", "\"u\"" } },
                { "ApplyChanges", "([{'operation': <'insert'>, 'chain': <'INPUT'>, 'position': <'1'>, " OK_RULE
                                  "}], @a{sv} {})",
                  { "\"position\"", "\"s\"" } },
                { "ApplyChanges", "([{'operation': <'append'>, 'chain': <'INPUT'>, 'rule': <'-j ACCEPT'>}], @a{sv} {})",
                  { "\"rule\"", "a{sv}" } },
                { "ApplyChanges", "([{'operation': <'append'>, 'chain': <'INPUT'>, 'rule': <{'rule': <{'a': <1>}>}>}],"
                                  " @a{sv} {})",
                  { "rule key", "\"rule\"", "a{sv}" } },
                { "ApplyChanges", "([{'operation': <'append'>, 'chain': <'INPUT'>, 'rule': <{'protocol': <'tcp'>,"
                                  " 'dports': <'70000'>, 'target': <'ACCEPT'>}>}], @a{sv} {})",
                  { "\"dports\"", "\"70000\"" } },
                { "ApplyChanges", "([{'operation': <'append'>, 'chain': <'INPUT'>, 'rule': <{'protocol': <'tcp'>,"
                                  " 'dports': <'22 -j DROP'>}>}], @a{sv} {})",
                  { "\"dports\"", "\"22 -j DROP\"" } },
                { "ApplyChanges", "([{'operation': <'append'>, 'chain': <'INPUT'>,"
                                  " 'rule': <{'source': <'300.1.1.1'>}>}], @a{sv} {})",
                  { "\"source\"", "\"300.1.1.1\"" } },
                { "ApplyChanges", "([{'operation': <'append'>, 'chain': <'INPUT'>, 'rule': <{'dports': <'22'>}>}],"
                                  " @a{sv} {})",
                  { "\"dports\"", "\"protocol\"" } },
                { "ApplyChanges", "([{'operation': <'append'>, 'chain': <'INPUT'>, 'rule': <{'target': <'ACCEPT'>,"
                                  " 'goto': <'yes'>}>}], @a{sv} {})",
                  { "\"goto\"", "\"b\"" } },
                { "ApplyChanges", "([{'operation': <'append'>, 'chain': <'INPUT'>, 'rule': <{'ctstate': <'BOGUS'>}>}],"
                                  " @a{sv} {})",
                  { "\"ctstate\"", "\"BOGUS\"" } },
                { "ApplyChanges", "([{'operation': <'flush'>, 'chain': <'INPUT'>},"
                                  " {'operation': <'policy'>, 'chain': <'INPUT'>, 'policy': <'REJECT'>}], @a{sv} {})",
                  { "change 2", "\"policy\"", "\"REJECT\"" } },
                { "ApplyChanges", "([{'operation': <'flush'>, 'chain': <'INPUT'>, 'family': <'ipv5'>}], @a{sv} {})",
                  { "\"family\"", "\"ipv5\"" } },
                { "ApplyChanges", "([{'operation': <'flush'>, 'chain': <'INPUT'>}], {'timeout': <'10'>})",
                  { "timeout" } },
                { "ApplyChanges", "([{'operation': <'flush'>, 'chain': <'INPUT'>}], {'strict': <true>,"
                                  " 'timeout': <uint32 0>})",
                  { "strict" } },
                { "ApplyChanges", too_large, { "8192" } },
                { "ApplyChanges", many->str, { "Too many" } },
                { "ApplyChanges", keys->str, { "more than 32 keys" } },
                { "PreviewChanges", "([{'operation': <'append'>, 'chain': <'INPUT'>, 'rule': <{'source':"
                                    " <'10.0.0.0/33'>}>}], @a{sv} {})",
                  { "\"source\"", "10.0.0.0/33" } },
                { "PreviewChanges", "([{'operation': <'append'>, 'chain': <'INPUT'>, 'rule': <{'limit': <uint32 5>}>}],"
                                    " @a{sv} {})",
                  { "\"limit\"", "\"u\"" } },
        };
        for (size_t i = 0; i < G_N_ELEMENTS(calls); i++) {
                g_autoptr(GError) error = NULL;
                GVariant *params = g_variant_new_parsed(calls[i].params);
                g_autoptr(GVariant) r = call(PATH, IFACE, calls[i].method, params, NULL, &error);
                if (!error)
                        g_error("%s%.100s: no error", calls[i].method, calls[i].params);
                g_autofree char *name = g_dbus_error_get_remote_error(error);
                if (!g_str_equal(name, "org.freedesktop.DBus.Error.InvalidArgs"))
                        g_error("%s%.100s: %s: %s (should be InvalidArgs)", calls[i].method, calls[i].params, name,
                                error->message);
                for (size_t k = 0; k < G_N_ELEMENTS(calls[i].mentions) && calls[i].mentions[k]; k++)
                        if (!strstr(error->message, calls[i].mentions[k]))
                                g_error("%s%.100s: \"%s\" does not name %s", calls[i].method, calls[i].params,
                                        error->message, calls[i].mentions[k]);
        }
        g_string_free(many, TRUE);
        g_string_free(keys, TRUE);

        /* errors that need the table: the whole set is refused */
        g_autoptr(GError) error = NULL;
        g_autofree char *p = apply_dicts("[{'operation': <'append'>, 'chain': <'INPUT'>, 'rule': <{'source':"
                                         " <'192.0.2.50'>, 'target': <'DROP'>}>},"
                                         " {'operation': <'delete-number'>, 'chain': <'INPUT'>,"
                                         " 'position': <uint32 5>}]",
                                         NULL, &error);
        g_assert_null(p);
        g_autofree char *ename = g_dbus_error_get_remote_error(error);
        g_assert_cmpstr(ename, ==, "org.backstop.Firewall1.Error.NotFound");
        g_assert_nonnull(strstr(error->message, "-D INPUT 5"));

        g_autofree char *after4 = bs_test_ipt_S(4), *after6 = bs_test_ipt_S(6);
        g_assert_cmpstr(after4, ==, before4);
        g_assert_cmpstr(after6, ==, before6);
        g_autofree char *pend = pending_path();
        g_assert_cmpstr(pend, ==, "/");
}

int main(int argc, char **argv) {
        g_test_init(&argc, &argv, NULL);
        if (!bs_test_enter_private_netns()) {
                g_printerr("needs root and network namespaces: skipped\n");
                return 77;
        }
        F = bs_bus_fixture_new();
        bs_bus_fixture_start_daemon(F, NULL, NULL, NULL);
        C = bs_bus_fixture_connect(F);

        g_test_add_func("/structured/same-as-text", test_same_as_text);
        g_test_add_func("/structured/transaction", test_transaction);
        g_test_add_func("/structured/bad-input", test_bad_input);
        int r = g_test_run();

        g_object_unref(C);
        bs_bus_fixture_free(F);
        return r;
}
