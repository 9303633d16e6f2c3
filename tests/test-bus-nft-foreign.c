/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The iptables-nft backend and a filter table it cannot manage: a rule
 * the nft tool wrote with an expression iptables-nft cannot show either.
 * Every call that needs the table says so in words (Unsupported, naming
 * why), Apply changes nothing, and once the foreign rule is gone the
 * daemon manages the table again. */
#include "bus-service-util.h"
#include "test-backend.h"

static char *nft_list(void) {
        const char *argv[] = { "nft", "list", "table", "ip", "filter", NULL };
        return bs_test_run(argv);
}

static void test_foreign_rule(void) {
        const char *reset[] = { "nft", "flush", "ruleset", NULL };
        g_free(bs_test_run(reset));
        const char *add[] = { "nft", "add", "rule", "ip", "filter", "INPUT", "meta", "skuid", "0", "counter",
                              "accept", NULL };
        const char *accept22[] = { "iptables-nft", "-w", "-A", "INPUT", "-p", "tcp", "--dport", "22", "-j", "ACCEPT",
                                   NULL };
        g_free(bs_test_run(accept22));
        g_free(bs_test_run(add));
        g_autofree char *before = nft_list();

        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) text = call(PATH, IFACE, "GetRulesText", g_variant_new("(ssb)", "ipv4", "", FALSE), "(s)",
                                        &error);
        g_assert_nonnull(error);
        g_assert_nonnull(strstr(error->message, "org.backstop.Firewall1.Error.Unsupported"));
        g_assert_nonnull(strstr(error->message, "iptables-nft cannot show"));
        g_clear_error(&error);

        const char *changes[] = { "-4 -A INPUT -p tcp --dport 80 -j ACCEPT", NULL };
        g_autofree char *tx = apply(changes, opts_timeout(60), &error);
        g_assert_null(tx);
        g_assert_nonnull(error);
        g_assert_nonnull(strstr(error->message, "iptables-nft cannot show"));
        g_clear_error(&error);
        g_autofree char *after = nft_list();
        g_assert_cmpstr(after, ==, before);

        /* the foreign rule gone: ours again */
        const char *flush[] = { "nft", "flush", "chain", "ip", "filter", "INPUT", NULL };
        g_free(bs_test_run(flush));
        g_autofree char *tx2 = apply(changes, opts_timeout(60), &error);
        g_assert_no_error(error);
        g_assert_nonnull(tx2);
        tx_call(tx2, "Rollback", NULL, NULL);
        wait_state(tx2, "rolled-back");
}

int main(int argc, char **argv) {
        if (!bs_test_backend_is_nft()) {
                g_printerr("the nft backend's own case: skipped on %s\n", bs_test_backend_name());
                return 77;
        }
        int r = bus_service_init(&argc, &argv, FALSE);
        if (r != 0)
                return r;
        g_test_add_func("/bus/nft-foreign-rule", test_foreign_rule);
        return bus_service_run();
}
