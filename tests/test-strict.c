/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests of strict confirmation: acceptance and each rejection reason,
 * and the apply-time snapshot's one-line form (round trip, bad input). */
#include "conn-build.h"
#include "strict.h"

#define V4 BS_FAMILY_IPV4
#define V6 BS_FAMILY_IPV6

static bs_conn conn(bs_family f, const char *src, uint16_t sport, const char *dst, uint16_t dport, uint8_t state,
                    uint32_t id) {
        bs_conn c = ab_tcp_conn(f, src, sport, dst, dport, state);
        c.id = id;
        return c;
}

typedef struct fixture {
        bs_local_addrs local;
        bs_mgmt_ports ports;
        bs_conn conns[8];
        size_t n;
        bs_ct_snapshot snap;
} fixture;

static void fixture_init(fixture *fx) {
        memset(fx, 0, sizeof(*fx));
        ab_local_addr(&fx->local, V4, "10.0.0.1", 24, "eth0");
        ab_local_addr(&fx->local, V6, "2001:db8::1", 64, "eth0");
        bs_mgmt_ports_default(&fx->ports);
        /* at apply time: the admin's session and an unrelated web client */
        fx->conns[fx->n++] = conn(V4, "10.0.0.2", 51234, "10.0.0.1", 22, BS_TCP_STATE_ESTABLISHED, 100);
        fx->conns[fx->n++] = conn(V4, "10.0.0.3", 40000, "10.0.0.1", 80, BS_TCP_STATE_ESTABLISHED, 101);
        fx->conns[0].has_start = true;
        fx->conns[0].start_ns = 1000;
        g_assert_cmpint(bs_ct_snapshot_build(fx->conns, fx->n, &fx->local, &fx->ports, 5000, &fx->snap), ==, 0);
        g_assert_cmpuint(fx->snap.n, ==, 1); /* only management connections are kept */
        /* after apply: a new session, a session from ourselves, a half-open one, a v6 one */
        fx->conns[fx->n++] = conn(V4, "10.0.0.2", 51300, "10.0.0.1", 22, BS_TCP_STATE_ESTABLISHED, 200);
        fx->conns[fx->n++] = conn(V4, "10.0.0.1", 51400, "10.0.0.1", 22, BS_TCP_STATE_ESTABLISHED, 201);
        fx->conns[fx->n++] = conn(V4, "10.0.0.2", 51500, "10.0.0.1", 22, BS_TCP_STATE_SYN_RECV, 202);
        fx->conns[fx->n++] = conn(V6, "2001:db8::2", 6000, "2001:db8::1", 22, BS_TCP_STATE_ESTABLISHED, 203);
}

static void fixture_done(fixture *fx) {
        bs_local_addrs_done(&fx->local);
        bs_ct_snapshot_done(&fx->snap);
}

static int check(fixture *fx, const char *ssh, char *reason) {
        return bs_strict_check(ssh, fx->conns, fx->n, &fx->snap, &fx->local, &fx->ports, reason, 512);
}

static void test_accept_and_reject(void) {
        fixture fx;
        fixture_init(&fx);
        char reason[512];

        g_assert_cmpint(check(&fx, "10.0.0.2 51300 10.0.0.1 22", reason), ==, 0);
        g_assert_cmpint(check(&fx, "2001:db8::2 6000 2001:db8::1 22", reason), ==, 0);

        g_assert_cmpint(check(&fx, "10.0.0.2 51234 10.0.0.1 22", reason), ==, -EPERM);
        g_assert_cmpstr(reason, ==,
                        "the connection tcp 10.0.0.2:51234 -> 10.0.0.1:22 was already open when the change was "
                        "applied (conntrack id 100): confirm through a new connection");

        g_assert_cmpint(check(&fx, "10.0.0.1 51400 10.0.0.1 22", reason), ==, -EPERM);
        g_assert_nonnull(strstr(reason, "comes from 10.0.0.1, an address of this host"));

        g_assert_cmpint(check(&fx, "10.0.0.2 51500 10.0.0.1 22", reason), ==, -EPERM);
        g_assert_nonnull(strstr(reason, "is in state SYN_RECV, not ESTABLISHED"));

        g_assert_cmpint(check(&fx, "10.0.0.3 40000 10.0.0.1 80", reason), ==, -EPERM);
        g_assert_nonnull(strstr(reason, "reaches port 80, which is not a management port (22/tcp)"));

        g_assert_cmpint(check(&fx, "10.0.0.9 1234 10.0.0.1 22", reason), ==, -EPERM);
        g_assert_cmpstr(reason, ==, "the connection tcp 10.0.0.9:1234 -> 10.0.0.1:22 is not in the conntrack table");

        g_assert_cmpint(check(&fx, "10.0.0.2 51300 10.0.0.1", reason), ==, -EINVAL);
        g_assert_nonnull(strstr(reason, "SSH_CONNECTION has 3 fields"));

        /* the same tuple with another conntrack id is another connection */
        fx.conns[0].id = 999;
        g_assert_cmpint(check(&fx, "10.0.0.2 51234 10.0.0.1 22", reason), ==, -EPERM);
        g_assert_nonnull(strstr(reason, "started before the change was applied"));
        fx.conns[0].start_ns = 6000;
        g_assert_cmpint(check(&fx, "10.0.0.2 51234 10.0.0.1 22", reason), ==, 0);
        fixture_done(&fx);
}

static void test_nat(void) {
        /* the client reached 192.0.2.1:2200, DNATed to us at 10.0.0.1:22 */
        fixture fx;
        fixture_init(&fx);
        bs_conn c = conn(V4, "10.0.0.2", 7000, "192.0.2.1", 2200, BS_TCP_STATE_ESTABLISHED, 300);
        ab_ip(c.reply.src, V4, "10.0.0.1");
        c.reply.sport = 22;
        c.status = BS_CT_STATUS_DST_NAT;
        fx.conns[fx.n++] = c;
        char reason[512];
        /* SSH_CONNECTION names the server side as sshd sees it */
        g_assert_cmpint(check(&fx, "10.0.0.2 7000 10.0.0.1 22", reason), ==, 0);
        fixture_done(&fx);
}

static void test_snapshot_roundtrip(void) {
        fixture fx;
        fixture_init(&fx);
        bs_ct_snapshot s = { 0 };
        g_assert_cmpint(bs_ct_snapshot_build(fx.conns, fx.n, &fx.local, &fx.ports, 1700000000123456789ull, &s), ==, 0);
        g_assert_cmpuint(s.n, ==, 5);
        g_autofree char *line = NULL;
        g_assert_cmpint(bs_ct_snapshot_to_string(&s, &line), ==, 0);
        g_assert_null(strchr(line, '\n'));
        g_assert_true(g_str_has_prefix(line, "ctsnap1 taken=1700000000123456789 n=5 100,4,6,10.0.0.2,51234,10.0.0.1,22 "));
        g_assert_nonnull(strstr(line, " 203,6,6,2001:db8::2,6000,2001:db8::1,22"));
        bs_ct_snapshot back;
        char err[256];
        g_assert_cmpint(bs_ct_snapshot_from_string(line, &back, err, sizeof(err)), ==, 0);
        g_assert_cmpuint(back.taken_ns, ==, s.taken_ns);
        g_assert_cmpuint(back.n, ==, s.n);
        for (size_t i = 0; i < s.n; i++) {
                const bs_ct_snapshot_entry *x = &s.entries[i], *y = &back.entries[i];
                g_assert_cmpuint(x->id, ==, y->id);
                g_assert_cmpint(x->family, ==, y->family);
                g_assert_cmpuint(x->l4proto, ==, y->l4proto);
                g_assert_cmpmem(x->orig.src, 16, y->orig.src, 16);
                g_assert_cmpmem(x->orig.dst, 16, y->orig.dst, 16);
                g_assert_cmpuint(x->orig.sport, ==, y->orig.sport);
                g_assert_cmpuint(x->orig.dport, ==, y->orig.dport);
        }
        bs_ct_snapshot_done(&back);

        bs_ct_snapshot empty = { .taken_ns = 0 };
        g_autofree char *eline = NULL;
        g_assert_cmpint(bs_ct_snapshot_to_string(&empty, &eline), ==, 0);
        g_assert_cmpstr(eline, ==, "ctsnap1 taken=0 n=0");
        g_assert_cmpint(bs_ct_snapshot_from_string(eline, &back, err, sizeof(err)), ==, 0);
        g_assert_cmpuint(back.n, ==, 0);
        bs_ct_snapshot_done(&back);
        bs_ct_snapshot_done(&s);
        fixture_done(&fx);
}

static void test_snapshot_bad(void) {
        static const struct {
                const char *in, *needle;
        } cases[] = {
                { "", "does not start" },
                { "ctsnap2 taken=0 n=0", "does not start" },
                { "ctsnap1 n=0", "taken=" },
                { "ctsnap1 taken=-1 n=0", "taken=" },
                { "ctsnap1 taken=99999999999999999999 n=0", "taken=" },
                { "ctsnap1 taken=1", "n=COUNT" },
                { "ctsnap1 taken=1 n=1", "0 entries, but n=1" },
                { "ctsnap1 taken=1 n=0 1,4,6,10.0.0.2,1,10.0.0.1,22", "more entries" },
                { "ctsnap1 taken=1 n=99999 ", "n=COUNT" },
                { "ctsnap1 taken=1 n=1 1,4,6,10.0.0.2,1,10.0.0.1", "entry 1 has 6 fields" },
                { "ctsnap1 taken=1 n=1 1,4,6,10.0.0.2,1,10.0.0.1,22,9", "more than 7" },
                { "ctsnap1 taken=1 n=1 4294967296,4,6,10.0.0.2,1,10.0.0.1,22", "bad conntrack id" },
                { "ctsnap1 taken=1 n=1 1,5,6,10.0.0.2,1,10.0.0.1,22", "bad family" },
                { "ctsnap1 taken=1 n=1 1,4,0,10.0.0.2,1,10.0.0.1,22", "bad protocol" },
                { "ctsnap1 taken=1 n=1 1,4,6,2001:db8::1,1,10.0.0.1,22", "bad source address" },
                { "ctsnap1 taken=1 n=1 1,6,6,2001:db8::1,1,10.0.0.1,22", "bad destination address" },
                { "ctsnap1 taken=1 n=1 1,4,6,10.0.0.2,65536,10.0.0.1,22", "bad source port" },
                { "ctsnap1 taken=1 n=1 1,4,6,10.0.0.2,1,10.0.0.1,x", "bad destination port" },
                { "ctsnap1 taken=1 n=2 1,4,6,10.0.0.2,1,10.0.0.1,22 2,4,6,,1,10.0.0.1,22", "entry 2: bad source address" },
        };
        for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
                bs_ct_snapshot s;
                char err[256] = "";
                int r = bs_ct_snapshot_from_string(cases[i].in, &s, err, sizeof(err));
                if (r != -EINVAL || !strstr(err, cases[i].needle))
                        g_error("\"%s\": got %d \"%s\", wanted -EINVAL naming \"%s\"", cases[i].in, r, err, cases[i].needle);
        }
}

int main(int argc, char **argv) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/strict/accept-and-reject", test_accept_and_reject);
        g_test_add_func("/strict/nat", test_nat);
        g_test_add_func("/strict/snapshot-roundtrip", test_snapshot_roundtrip);
        g_test_add_func("/strict/snapshot-bad", test_snapshot_bad);
        return g_test_run();
}
