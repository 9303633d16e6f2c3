/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests of management ports and SSH_CONNECTION parsing. */
#include <arpa/inet.h>
#include <glib.h>
#include <netinet/in.h>

#include "mgmt.h"

static void test_parse_good(void) {
        bs_ssh_connection c;
        char err[256] = "";
        g_assert_cmpint(bs_ssh_connection_parse("10.0.0.2 51234 10.0.0.1 22", &c, err, sizeof(err)), ==, 0);
        g_assert_cmpint(c.family, ==, BS_FAMILY_IPV4);
        g_assert_cmpuint(c.client_port, ==, 51234);
        g_assert_cmpuint(c.server_port, ==, 22);
        uint8_t want[4] = { 10, 0, 0, 2 };
        g_assert_cmpmem(c.client, 4, want, 4);

        g_assert_cmpint(bs_ssh_connection_parse("2001:db8::2 1 2001:db8::1 65535", &c, err, sizeof(err)), ==, 0);
        g_assert_cmpint(c.family, ==, BS_FAMILY_IPV6);
        g_assert_cmpuint(c.client_port, ==, 1);
        g_assert_cmpuint(c.server_port, ==, 65535);
        g_assert_cmpuint(c.server[15], ==, 1);

        /* a mapped IPv4 address is the IPv4 connection conntrack shows */
        g_assert_cmpint(bs_ssh_connection_parse("::ffff:192.0.2.7 4000 ::ffff:192.0.2.1 2222", &c, err, sizeof(err)), ==, 0);
        g_assert_cmpint(c.family, ==, BS_FAMILY_IPV4);
        g_assert_cmpuint(c.client[0], ==, 192);
        g_assert_cmpuint(c.client[3], ==, 7);

        g_assert_cmpint(bs_ssh_connection_parse("fe80::2%eth0 4000 fe80::1%eth0 22", &c, err, sizeof(err)), ==, 0);
        g_assert_cmpstr(c.client_scope, ==, "eth0");
        g_assert_cmpint(c.family, ==, BS_FAMILY_IPV6);
}

static void test_parse_bad(void) {
        static const struct {
                const char *in, *needle;
        } cases[] = {
                { "", "empty" },
                { "10.0.0.2 51234 10.0.0.1", "3 fields" },
                { "10.0.0.2 51234 10.0.0.1 22 extra", "5 fields" },
                { "10.0.0.2  51234 10.0.0.1 22", "field 2 is empty" },
                { " 10.0.0.2 51234 10.0.0.1 22", "field 1 is empty" },
                { "10.0.0.2 51234 10.0.0.1 22 ", "field 5 is empty" },
                { "10.0.0.2\t51234 10.0.0.1 22", "control" },
                { "host.example 51234 10.0.0.1 22", "\"host.example\" is not a numeric IP address (client address)" },
                { "10.0.0.2 0 10.0.0.1 22", "client port" },
                { "10.0.0.2 65536 10.0.0.1 22", "client port" },
                { "10.0.0.2 -1 10.0.0.1 22", "client port" },
                { "10.0.0.2 +22 10.0.0.1 22", "client port" },
                { "10.0.0.2 022 10.0.0.1 22", "client port" },
                { "10.0.0.2 22 10.0.0.1 22x", "server port" },
                { "10.0.0.2 22 10.0.0.256 22", "server address" },
                { "10.0.0.2 22 2001:db8::1 22", "different families" },
                { "10.0.0.2/24 22 10.0.0.1 22", "client address" },
                { "10.0.0.2%eth0 22 10.0.0.1 22", "client address" },
                { "fe80::1% 22 fe80::2 22", "client address" },
                { "10.0.0.2 22 10.0.0.1 99999999999999999999", "server port" },
                { "10.0.0.2 2\x01 10.0.0.1 22", "control" },
        };
        for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
                bs_ssh_connection c;
                char err[256] = "";
                int r = bs_ssh_connection_parse(cases[i].in, &c, err, sizeof(err));
                if (r != -EINVAL || !strstr(err, cases[i].needle))
                        g_error("\"%s\": got %d \"%s\", wanted -EINVAL naming \"%s\"", cases[i].in, r, err,
                                cases[i].needle);
        }
        g_autofree char *longer = g_strnfill(300, '1');
        bs_ssh_connection c;
        char err[256];
        g_assert_cmpint(bs_ssh_connection_parse(longer, &c, err, sizeof(err)), ==, -EINVAL);
        g_assert_nonnull(strstr(err, "too long"));
        g_assert_cmpint(bs_ssh_connection_parse(NULL, &c, NULL, 0), ==, -EINVAL);
}

static void test_ports(void) {
        bs_mgmt_ports m;
        bs_mgmt_ports_default(&m);
        g_assert_true(bs_mgmt_ports_contains(&m, IPPROTO_TCP, 22));
        g_assert_false(bs_mgmt_ports_contains(&m, IPPROTO_UDP, 22));
        g_assert_cmpint(bs_mgmt_ports_add(&m, IPPROTO_TCP, 22), ==, 0);
        g_assert_cmpuint(m.n, ==, 1);
        g_assert_cmpint(bs_mgmt_ports_add(&m, IPPROTO_UDP, 60001), ==, 0);
        g_assert_cmpint(bs_mgmt_ports_add(&m, IPPROTO_TCP, 0), ==, -EINVAL);
        g_assert_cmpint(bs_mgmt_ports_add(&m, IPPROTO_ICMP, 1), ==, -EINVAL);
        bs_ssh_connection c;
        g_assert_cmpint(bs_ssh_connection_parse("10.0.0.2 51234 10.0.0.1 2222", &c, NULL, 0), ==, 0);
        g_assert_cmpint(bs_mgmt_ports_add_ssh(&m, &c), ==, 0);
        char buf[128];
        bs_mgmt_ports_format(&m, buf, sizeof(buf));
        g_assert_cmpstr(buf, ==, "22/tcp, 60001/udp, 2222/tcp");
        for (unsigned p = 1000; m.n < BS_MGMT_PORTS_MAX; p++)
                g_assert_cmpint(bs_mgmt_ports_add(&m, IPPROTO_TCP, (uint16_t) p), ==, 0);
        g_assert_cmpint(bs_mgmt_ports_add(&m, IPPROTO_TCP, 9), ==, -E2BIG);
        uint8_t proto;
        g_assert_cmpint(bs_l4proto_from_string("udp", &proto), ==, 0);
        g_assert_cmpuint(proto, ==, IPPROTO_UDP);
        g_assert_cmpint(bs_l4proto_from_string("icmp", &proto), ==, -EINVAL);
}

static void test_port_spec(void) {
        uint8_t proto = 0;
        uint16_t port = 0;
        g_assert_cmpint(bs_mgmt_port_parse("2222", &proto, &port), ==, 0);
        g_assert_cmpuint(proto, ==, IPPROTO_TCP);
        g_assert_cmpuint(port, ==, 2222);
        g_assert_cmpint(bs_mgmt_port_parse("53/udp", &proto, &port), ==, 0);
        g_assert_cmpuint(proto, ==, IPPROTO_UDP);
        g_assert_cmpuint(port, ==, 53);
        g_assert_cmpint(bs_mgmt_port_parse("65535/tcp", &proto, &port), ==, 0);
        const char *bad[] = { "", "0", "65536", "22/sctp", "22/", "/tcp", "-1", "2x2", "22/tcp/x",
                              "123456", "99999999999999999999" };
        for (size_t i = 0; i < G_N_ELEMENTS(bad); i++)
                g_assert_cmpint(bs_mgmt_port_parse(bad[i], &proto, &port), ==, -EINVAL);
        g_assert_cmpint(bs_mgmt_port_parse(NULL, &proto, &port), ==, -EINVAL);
}

int main(int argc, char **argv) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/mgmt/port-spec", test_port_spec);
        g_test_add_func("/mgmt/ssh-connection-good", test_parse_good);
        g_test_add_func("/mgmt/ssh-connection-bad", test_parse_bad);
        g_test_add_func("/mgmt/ports", test_ports);
        return g_test_run();
}
