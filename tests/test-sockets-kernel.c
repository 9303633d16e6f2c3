/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The connections the pre-flight judges on a host whose rules use no
 * conntrack match yet: connection tracking is off in such a namespace, so
 * the admin's session is only in the socket table. bs_connections_dump must
 * still list it, and the pre-flight must refuse a change that cuts it.
 * Two private namespaces (access-netns.h); exits 77 when not root. */
#include <net/if.h>
#include <poll.h>
#include <sys/stat.h>

#include "access-netns.h"
#include "conntrack.h"
#include "localaddr.h"
#include "lockout.h"
#include "mgmt.h"

/* An IPv6 listener is dual stack (like sshd's "::") unless v6only. */
static int tcp_listen_on(int ns, bs_family f, uint16_t port, bool v6only) {
        int s = ns_socket(ns, f == BS_FAMILY_IPV6 ? AF_INET6 : AF_INET, SOCK_STREAM, 0);
        int one = 1, only = v6only;
        setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        if (f == BS_FAMILY_IPV6)
                g_assert_cmpint(setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &only, sizeof(only)), ==, 0);
        struct sockaddr_storage ss;
        socklen_t sl;
        ab_sockaddr(f, f == BS_FAMILY_IPV6 ? "::" : "0.0.0.0", port, &ss, &sl);
        g_assert_cmpint(bind(s, (struct sockaddr *) &ss, sl), ==, 0);
        g_assert_cmpint(listen(s, 8), ==, 0);
        return s;
}

static int tcp_listen_any(int ns, bs_family f, uint16_t port) {
        return tcp_listen_on(ns, f, port, false);
}

static int tcp_connect_from(int ns, bs_family f, const char *dst, uint16_t port, uint16_t *local_port) {
        int s = ns_socket(ns, f == BS_FAMILY_IPV6 ? AF_INET6 : AF_INET, SOCK_STREAM, 0);
        struct sockaddr_storage ss;
        socklen_t sl;
        ab_sockaddr(f, dst, port, &ss, &sl);
        g_assert_cmpint(connect(s, (struct sockaddr *) &ss, sl), ==, 0);
        struct sockaddr_storage me;
        socklen_t ml = sizeof(me);
        g_assert_cmpint(getsockname(s, (struct sockaddr *) &me, &ml), ==, 0);
        *local_port = ntohs(f == BS_FAMILY_IPV6 ? ((struct sockaddr_in6 *) &me)->sin6_port
                                                : ((struct sockaddr_in *) &me)->sin_port);
        return s;
}

static const bs_conn *find(const bs_conn *c, size_t n, bs_family f, const char *src, uint16_t sport, uint16_t dport) {
        uint8_t a[16] = { 0 };
        g_assert_cmpint(inet_pton(f == BS_FAMILY_IPV6 ? AF_INET6 : AF_INET, src, a), ==, 1);
        for (size_t i = 0; i < n; i++)
                if (c[i].family == f && c[i].l4proto == IPPROTO_TCP && memcmp(c[i].orig.src, a, 16) == 0 &&
                    c[i].orig.sport == sport && c[i].orig.dport == dport)
                        return &c[i];
        return NULL;
}

/* The listener is dual stack (IPv6 "::"), so the IPv4 session arrives on an
 * AF_INET6 socket as a v4-mapped address: it must come out as IPv4. */
static void test_session_without_conntrack(gconstpointer data) {
        bs_family f = GPOINTER_TO_INT(data);
        const char *peer = f == BS_FAMILY_IPV6 ? PEER6 : PEER4, *fw = f == BS_FAMILY_IPV6 ? FW6 : FW4;
        int l = tcp_listen_any(NS.fw, BS_FAMILY_IPV6, 2222);
        uint16_t sport = 0;
        int c = tcp_connect_from(NS.peer, f, fw, 2222, &sport);
        int a = accept4(l, NULL, NULL, SOCK_CLOEXEC);
        g_assert_cmpint(a, >=, 0);
        /* an outbound session from fw: not inbound, never listed */
        int l2 = tcp_listen_any(NS.peer, f, 8080);
        uint16_t out_port = 0;
        int o = tcp_connect_from(NS.fw, f, peer, 8080, &out_port);

        _cleanup_free_ bs_conn *ct = NULL;
        size_t n_ct = 0;
        g_assert_cmpint(bs_conntrack_dump(&ct, &n_ct), ==, 0);
        /* the premise: connection tracking is off here, conntrack is blind */
        g_assert_null(find(ct, n_ct, f, peer, sport, 2222));

        _cleanup_free_ bs_conn *all = NULL;
        size_t n = 0;
        g_assert_cmpint(bs_connections_dump(&all, &n), ==, 0);
        const bs_conn *s = find(all, n, f, peer, sport, 2222);
        g_assert_nonnull(s);
        g_assert_true(s->has_tcp_state);
        g_assert_cmpint(s->tcp_state, ==, BS_TCP_STATE_ESTABLISHED);
        g_assert_cmpuint(s->reply.sport, ==, 2222);
        g_assert_cmpuint(s->id, ==, 0);
        g_assert_null(find(all, n, f, fw, out_port, 8080));

        /* the pre-flight sees it: -P INPUT DROP with no rule would cut it */
        _cleanup_table_ bs_table *t = bs_table_new(f, "filter");
        g_assert_cmpint(bs_table_add_chain(t, "INPUT", true, BS_POLICY_DROP, NULL), ==, 0);
        g_assert_cmpint(bs_table_add_chain(t, "FORWARD", true, BS_POLICY_ACCEPT, NULL), ==, 0);
        g_assert_cmpint(bs_table_add_chain(t, "OUTPUT", true, BS_POLICY_ACCEPT, NULL), ==, 0);
        _cleanup_local_addrs_ bs_local_addrs local = {};
        g_assert_cmpint(bs_local_addrs_get(&local), ==, 0);
        bs_mgmt_ports ports;
        bs_mgmt_ports_default(&ports);
        g_assert_cmpint(bs_mgmt_ports_add(&ports, IPPROTO_TCP, 2222), ==, 0);
        bs_lockout_input in = { .v4 = f == BS_FAMILY_IPV4 ? t : NULL, .v6 = f == BS_FAMILY_IPV6 ? t : NULL,
                                .conns = all, .n_conns = n, .local = &local, .ports = &ports };
        _cleanup_lockout_report_ bs_lockout_report rep = {};
        g_assert_cmpint(bs_lockout_check(&in, &rep), ==, 0);
        bool cut = false;
        for (size_t i = 0; i < rep.n; i++)
                if (rep.findings[i].kind == BS_FINDING_ESTABLISHED && rep.findings[i].conn.orig.sport == sport)
                        cut = true;
        g_assert_true(cut);

        close(o);
        close(l2);
        close(a);
        close(c);
        close(l);
}

/* Whether one dump lists the IPv4 session to port 2223 and the IPv6 one to
 * port 2224. */
static void assert_sessions_listed(bool listed, uint16_t sport4, uint16_t sport6) {
        _cleanup_free_ bs_conn *all = NULL;
        size_t n = 0;
        g_assert_cmpint(bs_connections_dump(&all, &n), ==, 0);
        g_assert_true(!!find(all, n, BS_FAMILY_IPV4, PEER4, sport4, 2223) == listed);
        g_assert_true(!!find(all, n, BS_FAMILY_IPV6, PEER6, sport6, 2224) == listed);
}

/* One listener per family, neither dual stack: an AF_INET socket and a
 * v6only AF_INET6 one. One dump must list the sessions of both (the kernel
 * is asked for both families at once), and a session stays unlisted once
 * the namespace has no listener left (nothing is inbound then). */
static void test_listener_per_family(void) {
        int l4 = tcp_listen_on(NS.fw, BS_FAMILY_IPV4, 2223, false);
        int l6 = tcp_listen_on(NS.fw, BS_FAMILY_IPV6, 2224, true);
        uint16_t sport4 = 0, sport6 = 0;
        int c4 = tcp_connect_from(NS.peer, BS_FAMILY_IPV4, FW4, 2223, &sport4);
        int c6 = tcp_connect_from(NS.peer, BS_FAMILY_IPV6, FW6, 2224, &sport6);
        int a4 = accept4(l4, NULL, NULL, SOCK_CLOEXEC), a6 = accept4(l6, NULL, NULL, SOCK_CLOEXEC);
        g_assert_cmpint(a4, >=, 0);
        g_assert_cmpint(a6, >=, 0);

        assert_sessions_listed(true, sport4, sport6);
        /* the listeners go, the sessions stay: no longer inbound */
        close(l4);
        close(l6);
        assert_sessions_listed(false, sport4, sport6);

        close(a4);
        close(a6);
        close(c4);
        close(c6);
}

/* The exact lookup strict confirmation uses: the server end of one
 * connection, by 4-tuple, through a dual-stack listener (an IPv4 client
 * gets a v4-mapped IPv6 socket); never the listener in its place. */
static void test_established_inode(gconstpointer data) {
        bs_family f = GPOINTER_TO_INT(data);
        const char *peer = f == BS_FAMILY_IPV6 ? PEER6 : PEER4, *fw = f == BS_FAMILY_IPV6 ? FW6 : FW4;
        int af = f == BS_FAMILY_IPV6 ? AF_INET6 : AF_INET;
        int l = tcp_listen_any(NS.fw, BS_FAMILY_IPV6, 2225);
        uint16_t sport = 0;
        int c = tcp_connect_from(NS.peer, f, fw, 2225, &sport);
        int a = accept(l, NULL, NULL);
        g_assert_cmpint(a, >=, 0);
        struct stat st;
        g_assert_cmpint(fstat(a, &st), ==, 0);
        uint8_t local[16] = { 0 }, remote[16] = { 0 };
        g_assert_cmpint(inet_pton(af, fw, local), ==, 1);
        g_assert_cmpint(inet_pton(af, peer, remote), ==, 1);

        uint64_t inode = 0;
        g_assert_cmpint(bs_sockets_tcp_established_inode(f, local, 2225, remote, sport, 0, &inode), ==, 0);
        g_assert_cmpuint(inode, ==, st.st_ino);
        /* no such connection: the kernel's lookup falls back to the
         * listener, which is not taken */
        inode = 0;
        g_assert_cmpint(bs_sockets_tcp_established_inode(f, local, 2225, remote, sport == 65535 ? 1 : sport + 1, 0,
                                                         &inode), ==, -ENOENT);
        g_assert_cmpint(bs_sockets_tcp_established_inode(f, remote, sport, local, 2225, 0, &inode), ==, -ENOENT);
        g_assert_cmpuint(inode, ==, 0);
        close(c);
        close(a);
        close(l);
}

/* A link-local server address: the accepted socket is bound to its
 * interface, and the lookup names it. */
static void test_established_inode_link_local(void) {
        /* wait out duplicate address detection on both ends */
        fw_ok("for i in $(seq 100); do [ -z \"$(ip -6 addr show dev veth0 scope link tentative)\" ] && exit 0; "
              "sleep 0.1; done; exit 1");
        peer_ok("for i in $(seq 100); do [ -z \"$(ip -6 addr show dev veth1 scope link tentative)\" ] && exit 0; "
                "sleep 0.1; done; exit 1");
        g_autofree char *fw_ll = ns_sh(NS.fw, "ip -6 -o addr show dev veth0 scope link | awk '{print $4}' | cut -d/ -f1");
        g_autofree char *peer_ll = ns_sh(NS.peer, "ip -6 -o addr show dev veth1 scope link | awk '{print $4}' | cut -d/ -f1");
        g_strstrip(fw_ll);
        g_strstrip(peer_ll);
        int l = tcp_listen_any(NS.fw, BS_FAMILY_IPV6, 2226);
        g_autofree char *dst = g_strdup_printf("%s%%veth1", fw_ll);
        int c = ns_socket(NS.peer, AF_INET6, SOCK_STREAM, 0);
        struct sockaddr_in6 sa = { .sin6_family = AF_INET6, .sin6_port = htons(2226) };
        g_assert_cmpint(inet_pton(AF_INET6, fw_ll, &sa.sin6_addr), ==, 1);
        ns_enter(NS.peer);
        sa.sin6_scope_id = if_nametoindex("veth1");
        ns_enter(NS.fw);
        g_assert_cmpint(connect(c, (struct sockaddr *) &sa, sizeof(sa)), ==, 0);
        struct sockaddr_in6 me;
        socklen_t ml = sizeof(me);
        g_assert_cmpint(getsockname(c, (struct sockaddr *) &me, &ml), ==, 0);
        int a = accept(l, NULL, NULL);
        g_assert_cmpint(a, >=, 0);
        struct stat st;
        g_assert_cmpint(fstat(a, &st), ==, 0);
        uint8_t local[16] = { 0 }, remote[16] = { 0 };
        g_assert_cmpint(inet_pton(AF_INET6, fw_ll, local), ==, 1);
        g_assert_cmpint(inet_pton(AF_INET6, peer_ll, remote), ==, 1);
        uint64_t inode = 0;
        g_assert_cmpint(bs_sockets_tcp_established_inode(BS_FAMILY_IPV6, local, 2226, remote, ntohs(me.sin6_port),
                                                         if_nametoindex("veth0"), &inode), ==, 0);
        g_assert_cmpuint(inode, ==, st.st_ino);
        g_print("# link-local %s -> %s: found with the interface; without it: %d\n", peer_ll, dst,
                bs_sockets_tcp_established_inode(BS_FAMILY_IPV6, local, 2226, remote, ntohs(me.sin6_port), 0, &inode));
        close(c);
        close(a);
        close(l);
}

int main(int argc, char **argv) {
        g_test_init(&argc, &argv, NULL);
        if (!netns_pair_setup(false))
                return 77;
        /* netns_pair_setup switches connection tracking on; switch it off
         * again, as on a host whose rules use no conntrack match yet */
        g_free(ns_sh_full(NS.fw, false,
                          "iptables-legacy -t mangle -F; ip6tables-legacy -t mangle -F; conntrack -F 2>/dev/null || true"));
        g_test_add_data_func("/sockets/session-without-conntrack/ipv4", GINT_TO_POINTER(BS_FAMILY_IPV4),
                             test_session_without_conntrack);
        g_test_add_data_func("/sockets/session-without-conntrack/ipv6", GINT_TO_POINTER(BS_FAMILY_IPV6),
                             test_session_without_conntrack);
        g_test_add_func("/sockets/listener-per-family", test_listener_per_family);
        g_test_add_data_func("/sockets/established-inode/ipv4", GINT_TO_POINTER(BS_FAMILY_IPV4),
                             test_established_inode);
        g_test_add_data_func("/sockets/established-inode/ipv6", GINT_TO_POINTER(BS_FAMILY_IPV6),
                             test_established_inode);
        g_test_add_func("/sockets/established-inode/link-local", test_established_inode_link_local);
        int r = g_test_run();
        netns_pair_teardown();
        return r;
}
