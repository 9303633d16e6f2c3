/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Management access against the real kernel, in two private namespaces
 * (see access-netns.h): the conntrack dump and events see real TCP
 * connections, the local addresses, and the reference workflow:
 * pre-flight, default-deny recipe through the real core (the table-access
 * backend under test, test-backend.h: legacy or nft),
 * outbound works and the stateful counter rises, a closed port is blocked,
 * the allowed port is reachable, the same over IPv6 with neighbour
 * discovery, and strict confirmation. Exits 77 when not root. */
#include <poll.h>
#include <systemd/sd-event.h>
#include <sys/time.h>
#include <time.h>

#include "access-netns.h"
#include "check.h"
#include "conntrack.h"
#include "localaddr.h"
#include "lockout.h"
#include "nf.h"
#include "recipe.h"
#include "strict.h"
#include "test-backend.h"

/* the backend under test */
#define B (bs_test_backend())

static const bs_nf_options nfo = BS_NF_OPTIONS_DEFAULT;

static const char *fw_ip(bs_family f) {
        return f == BS_FAMILY_IPV6 ? FW6 : FW4;
}
static const char *peer_ip(bs_family f) {
        return f == BS_FAMILY_IPV6 ? PEER6 : PEER4;
}
static int domain(bs_family f) {
        return f == BS_FAMILY_IPV6 ? AF_INET6 : AF_INET;
}

static int tcp_listen(int ns, bs_family f, const char *ip, uint16_t port) {
        int s = ns_socket(ns, domain(f), SOCK_STREAM, 0);
        int one = 1;
        setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        struct sockaddr_storage ss;
        socklen_t sl;
        ab_sockaddr(f, ip, port, &ss, &sl);
        if (bind(s, (struct sockaddr *) &ss, sl) < 0)
                g_error("bind %s:%u: %s", ip, port, g_strerror(errno));
        g_assert_cmpint(listen(s, 64), ==, 0);
        return s;
}

/* Non-blocking connect from namespace ns; waits at most wait_ms for the
 * handshake. Returns the connected socket, or -1 (still pending or
 * refused) with the pending socket closed. *local_port gets our port. */
static int tcp_connect(int ns, bs_family f, const char *src, const char *dst, uint16_t port, int wait_ms,
                       uint16_t *local_port) {
        int s = ns_socket(ns, domain(f), SOCK_STREAM | SOCK_NONBLOCK, 0);
        struct sockaddr_storage ss;
        socklen_t sl;
        if (src) {
                ab_sockaddr(f, src, 0, &ss, &sl);
                g_assert_cmpint(bind(s, (struct sockaddr *) &ss, sl), ==, 0);
        }
        ab_sockaddr(f, dst, port, &ss, &sl);
        int r = connect(s, (struct sockaddr *) &ss, sl);
        g_assert_true(r == 0 || errno == EINPROGRESS);
        struct sockaddr_storage me;
        socklen_t ml = sizeof(me);
        g_assert_cmpint(getsockname(s, (struct sockaddr *) &me, &ml), ==, 0);
        if (local_port)
                *local_port = ntohs(f == BS_FAMILY_IPV6 ? ((struct sockaddr_in6 *) &me)->sin6_port
                                                        : ((struct sockaddr_in *) &me)->sin_port);
        struct pollfd p = { .fd = s, .events = POLLOUT };
        r = poll(&p, 1, wait_ms);
        int err = 0;
        socklen_t el = sizeof(err);
        if (r == 1)
                getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &el);
        if (r != 1 || err != 0) {
                close(s);
                return -1;
        }
        return s;
}

static int accept_one(int listener) {
        struct pollfd p = { .fd = listener, .events = POLLIN };
        g_assert_cmpint(poll(&p, 1, 10000), ==, 1);
        int a = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
        g_assert_cmpint(a, >=, 0);
        return a;
}

static uint64_t realtime_ns(void) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        return (uint64_t) ts.tv_sec * 1000000000ull + (uint64_t) ts.tv_nsec;
}

static const bs_conn *find_conn(const bs_conn *c, size_t n, bs_family f, const char *src, uint16_t sport,
                                const char *dst, uint16_t dport) {
        uint8_t s[16] = { 0 }, d[16] = { 0 };
        g_assert_cmpint(inet_pton(domain(f), src, s), ==, 1);
        g_assert_cmpint(inet_pton(domain(f), dst, d), ==, 1);
        for (size_t i = 0; i < n; i++)
                if (c[i].family == f && c[i].l4proto == IPPROTO_TCP && memcmp(c[i].orig.src, s, 16) == 0 &&
                    memcmp(c[i].orig.dst, d, 16) == 0 && c[i].orig.sport == sport && c[i].orig.dport == dport)
                        return &c[i];
        return NULL;
}

/* ------------------------------------------------------------ conntrack */

static void test_conntrack_dump(gconstpointer data) {
        bs_family f = GPOINTER_TO_INT(data);
        uint16_t port = f == BS_FAMILY_IPV6 ? 2226 : 2222;
        int l = tcp_listen(NS.fw, f, fw_ip(f), port);
        uint64_t before = realtime_ns();
        uint16_t cport;
        int c = tcp_connect(NS.peer, f, NULL, fw_ip(f), port, 10000, &cport);
        g_assert_cmpint(c, >=, 0);
        int a = accept_one(l);
        uint64_t after = realtime_ns();

        bs_conn *conns = NULL;
        size_t n = 0;
        g_assert_cmpint(bs_conntrack_dump(&conns, &n), ==, 0);
        const bs_conn *x = find_conn(conns, n, f, peer_ip(f), cport, fw_ip(f), port);
        g_assert_nonnull(x);
        g_assert_true(x->has_tcp_state);
        g_assert_cmpstr(bs_tcp_state_to_string(x), ==, "ESTABLISHED");
        g_assert_true(x->status & BS_CT_STATUS_SEEN_REPLY);
        g_assert_true(x->status & BS_CT_STATUS_ASSURED);
        /* the reply tuple mirrors it (no NAT) */
        g_assert_cmpmem(x->reply.src, 16, x->orig.dst, 16);
        g_assert_cmpuint(x->reply.sport, ==, port);
        g_assert_cmpuint(x->reply.dport, ==, cport);
        g_assert_cmpuint(x->id, !=, 0);
        g_assert_true(x->has_start);
        g_assert_cmpuint(x->start_ns, >=, before - 1000000000ull); /* the kernel's clock, coarse */
        g_assert_cmpuint(x->start_ns, <=, after + 1000000000ull);
        char text[BS_CONN_STRING_MAX];
        bs_conn_format(x, text);
        g_autofree char *want = f == BS_FAMILY_IPV6 ? g_strdup_printf("tcp [" PEER6 "]:%u -> [" FW6 "]:%u", cport, port)
                                                    : g_strdup_printf("tcp " PEER4 ":%u -> " FW4 ":%u", cport, port);
        g_assert_cmpstr(text, ==, want);
        free(conns);
        close(a);
        close(c);
        close(l);
}

typedef struct ev_log {
        bs_family family;
        uint16_t sport, dport;
        int news, updates, destroys, resyncs, total;
} ev_log;

static int ev_cb(bs_ct_event_kind k, const bs_conn *c, void *userdata) {
        ev_log *l = userdata;
        l->total++;
        if (k == BS_CT_EVENT_RESYNC) {
                l->resyncs++;
                return 0;
        }
        if (c->family != l->family || c->orig.sport != l->sport || c->orig.dport != l->dport)
                return 0;
        if (k == BS_CT_EVENT_NEW)
                l->news++;
        else if (k == BS_CT_EVENT_UPDATE)
                l->updates++;
        else
                l->destroys++;
        return 0;
}

static void pump(bs_ct_events *e, ev_log *l, bool (*done)(const ev_log *l)) {
        for (int i = 0; i < 100 && !done(l); i++) {
                struct pollfd p = { .fd = bs_ct_events_fd(e), .events = POLLIN };
                if (poll(&p, 1, 100) == 1)
                        g_assert_cmpint(bs_ct_events_process(e, ev_cb, l), >=, 0);
        }
}

static bool seen_new_update(const ev_log *l) {
        return l->news >= 1 && l->updates >= 1;
}
static bool seen_destroy(const ev_log *l) {
        return l->destroys >= 1;
}
static bool seen_resync(const ev_log *l) {
        return l->resyncs >= 1;
}

static void test_conntrack_events(void) {
        bs_ct_events *e = NULL;
        g_assert_cmpint(bs_ct_events_open(&e), ==, 0);
        ev_log l = { .family = BS_FAMILY_IPV4, .dport = 2223 };
        /* nothing pending: returns at once */
        g_assert_cmpint(bs_ct_events_process(e, ev_cb, &l), >=, 0);

        int lis = tcp_listen(NS.fw, BS_FAMILY_IPV4, FW4, 2223);
        int c = tcp_connect(NS.peer, BS_FAMILY_IPV4, NULL, FW4, 2223, 10000, &l.sport);
        g_assert_cmpint(c, >=, 0);
        int a = accept_one(lis);
        pump(e, &l, seen_new_update);
        g_assert_cmpint(l.news, ==, 1);
        g_assert_cmpint(l.updates, >=, 1);

        /* conntrack -D makes a destroy event */
        fw_ok("conntrack -D -p tcp --orig-port-src %u --orig-port-dst 2223 >/dev/null 2>&1", l.sport);
        pump(e, &l, seen_destroy);
        g_assert_cmpint(l.destroys, ==, 1);
        close(a);
        close(c);
        close(lis);

        /* a tiny receive buffer and many new connections: events are lost,
         * which must come out as RESYNC, not as an error */
        int sz = 1;
        g_assert_cmpint(setsockopt(bs_ct_events_fd(e), SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)), ==, 0);
        int u = ns_socket(NS.peer, AF_INET, SOCK_DGRAM, 0);
        for (uint16_t p = 30000; p < 30400; p++) {
                struct sockaddr_storage ss;
                socklen_t sl;
                ab_sockaddr(BS_FAMILY_IPV4, FW4, p, &ss, &sl);
                g_assert_cmpint(sendto(u, "x", 1, 0, (struct sockaddr *) &ss, sl), ==, 1);
        }
        close(u);
        pump(e, &l, seen_resync);
        g_assert_cmpint(l.resyncs, >=, 1);
        bs_ct_events_free(e);
}

/* The subscription driven by an sd-event loop, as the daemon uses it. */
typedef struct loop_ctx {
        bs_ct_events *e;
        ev_log log;
} loop_ctx;

static int on_ct_io(sd_event_source *src, int fd, uint32_t revents, void *userdata) {
        loop_ctx *c = userdata;
        int r = bs_ct_events_process(c->e, ev_cb, &c->log);
        g_assert_cmpint(r, >=, 0);
        if (c->log.news > 0)
                return sd_event_exit(sd_event_source_get_event(src), 0);
        return 0;
}

static int on_timeout(sd_event_source *src, uint64_t usec, void *userdata) {
        return sd_event_exit(sd_event_source_get_event(src), -ETIMEDOUT);
}

static void test_conntrack_events_sd_event(void) {
        loop_ctx c = { .log = { .family = BS_FAMILY_IPV6, .dport = 2224 } };
        g_assert_cmpint(bs_ct_events_open(&c.e), ==, 0);
        sd_event *ev = NULL;
        g_assert_cmpint(sd_event_new(&ev), >=, 0);
        sd_event_source *io = NULL, *timer = NULL;
        g_assert_cmpint(sd_event_add_io(ev, &io, bs_ct_events_fd(c.e), EPOLLIN, on_ct_io, &c), >=, 0);
        uint64_t now;
        g_assert_cmpint(sd_event_now(ev, CLOCK_MONOTONIC, &now), >=, 0);
        g_assert_cmpint(sd_event_add_time(ev, &timer, CLOCK_MONOTONIC, now + 10 * 1000000ull, 0, on_timeout, NULL), >=, 0);

        int lis = tcp_listen(NS.fw, BS_FAMILY_IPV6, FW6, 2224);
        int cl = tcp_connect(NS.peer, BS_FAMILY_IPV6, NULL, FW6, 2224, 10000, &c.log.sport);
        g_assert_cmpint(cl, >=, 0);
        int a = accept_one(lis);
        g_assert_cmpint(sd_event_loop(ev), ==, 0);
        g_assert_cmpint(c.log.news, ==, 1);

        sd_event_source_unref(io);
        sd_event_source_unref(timer);
        sd_event_unref(ev);
        bs_ct_events_free(c.e);
        close(a);
        close(cl);
        close(lis);
}

static void test_local_addrs(void) {
        bs_local_addrs la = { 0 };
        g_assert_cmpint(bs_local_addrs_get(&la), ==, 0);
        uint8_t a[16] = { 0 };
        inet_pton(AF_INET, FW4, a);
        g_assert_true(bs_local_addrs_contains(&la, BS_FAMILY_IPV4, a));
        inet_pton(AF_INET, PEER4, a);
        g_assert_false(bs_local_addrs_contains(&la, BS_FAMILY_IPV4, a));
        g_assert_cmpstr(bs_local_addrs_iface_for(&la, BS_FAMILY_IPV4, a), ==, "veth0");
        memset(a, 0, 16);
        inet_pton(AF_INET6, PEER6, a);
        g_assert_cmpstr(bs_local_addrs_iface_for(&la, BS_FAMILY_IPV6, a), ==, "veth0");
        inet_pton(AF_INET6, FW6, a);
        g_assert_true(bs_local_addrs_contains(&la, BS_FAMILY_IPV6, a));
        g_assert_cmpstr(bs_local_addrs_iface_for(&la, BS_FAMILY_IPV6, a), ==, "lo");
        inet_pton(AF_INET, "198.51.100.7", a);
        g_assert_null(bs_local_addrs_iface_for(&la, BS_FAMILY_IPV4, a));
        bs_local_addrs_done(&la);
}

/* ------------------------------------------------------------ walkthrough */

static bs_table *read_filter(bs_family f) {
        bs_table *t = NULL;
        g_assert_cmpint(B->read(f, "filter", &nfo, &t), ==, 0);
        return t;
}

/* A copy of t with the changes applied in memory: the proposed table. */
static bs_table *proposed(const bs_table *t, const bs_change *ch, size_t n) {
        bs_table *p = NULL;
        g_assert_cmpint(bs_table_copy(&p, t), ==, 0);
        for (size_t i = 0; i < n; i++)
                g_assert_cmpint(bs_table_apply_change(p, &ch[i]), ==, 0);
        return p;
}

static void lockout(const bs_table *v4, const bs_table *v6, const bs_ssh_connection *ssh, bs_lockout_report *rep) {
        bs_conn *conns = NULL;
        size_t n = 0;
        g_assert_cmpint(bs_conntrack_dump(&conns, &n), ==, 0);
        bs_local_addrs la = { 0 };
        g_assert_cmpint(bs_local_addrs_get(&la), ==, 0);
        bs_mgmt_ports ports;
        bs_mgmt_ports_default(&ports);
        bs_lockout_input in = { .v4 = v4, .v6 = v6, .conns = conns, .n_conns = n, .local = &la, .ports = &ports, .ssh = ssh };
        g_assert_cmpint(bs_lockout_check(&in, rep), ==, 0);
        free(conns);
        bs_local_addrs_done(&la);
}

static int strict(const char *ssh, const bs_ct_snapshot *snap, char *reason) {
        bs_conn *conns = NULL;
        size_t n = 0;
        g_assert_cmpint(bs_conntrack_dump(&conns, &n), ==, 0);
        bs_local_addrs la = { 0 };
        g_assert_cmpint(bs_local_addrs_get(&la), ==, 0);
        bs_mgmt_ports ports;
        bs_mgmt_ports_default(&ports);
        int r = bs_strict_check(ssh, conns, n, snap, &la, &ports, reason, 512);
        free(conns);
        bs_local_addrs_done(&la);
        return r;
}

static uint64_t policy_packets(bs_family f) {
        bs_table *t = read_filter(f);
        uint64_t p = bs_table_find_chain(t, "INPUT")->policy_packets;
        bs_table_free(t);
        return p;
}

static void test_walkthrough(void) {
        /* the "sshd" of fw, a closed-but-listening 9090, and a web server on the peer */
        int ssh4 = tcp_listen(NS.fw, BS_FAMILY_IPV4, "0.0.0.0", 22);
        int ssh6 = tcp_listen(NS.fw, BS_FAMILY_IPV6, FW6, 22);
        int svc4 = tcp_listen(NS.fw, BS_FAMILY_IPV4, FW4, 9090);
        int web4 = tcp_listen(NS.peer, BS_FAMILY_IPV4, PEER4, 80);
        int web6 = tcp_listen(NS.peer, BS_FAMILY_IPV6, PEER6, 80);

        /* the admin's session, open before anything changes */
        uint16_t sport;
        int sess = tcp_connect(NS.peer, BS_FAMILY_IPV4, NULL, FW4, 22, 10000, &sport);
        g_assert_cmpint(sess, >=, 0);
        int sess_a = accept_one(ssh4);
        g_autofree char *ssh_conn = g_strdup_printf(PEER4 " %u " FW4 " 22", sport);
        bs_ssh_connection sc;
        g_assert_cmpint(bs_ssh_connection_parse(ssh_conn, &sc, NULL, 0), ==, 0);

        /* pre-flight: -P INPUT DROP alone would cut the session, naming it */
        bs_table *cur4 = read_filter(BS_FAMILY_IPV4), *cur6 = read_filter(BS_FAMILY_IPV6);
        bs_change pol;
        bs_change_init(&pol, BS_CHANGE_POLICY, BS_FAMILY_MASK_IPV4);
        strcpy(pol.chain, "INPUT");
        pol.policy = BS_POLICY_DROP;
        bs_table *p4 = proposed(cur4, &pol, 1);
        bs_lockout_report rep;
        lockout(p4, NULL, &sc, &rep);
        g_autofree char *msg = NULL;
        g_assert_cmpint(bs_lockout_format(&rep, NULL, true, &msg), ==, 0);
        g_test_message("pre-flight of -P INPUT DROP: %s", msg);
        g_autofree char *sess_text = g_strdup_printf("tcp " PEER4 ":%u -> " FW4 ":22 (established) by policy DROP of INPUT", sport);
        g_assert_nonnull(strstr(msg, sess_text));
        g_assert_nonnull(strstr(msg, "(new management) by policy DROP of INPUT"));
        g_assert_nonnull(strstr(msg, "127.0.0.1:50000 -> 127.0.0.1:1 (loopback) by policy DROP of INPUT"));
        bs_lockout_report_done(&rep);
        bs_table_free(p4);

        /* and it is right: forced through, the session's packets stop at the policy */
        g_assert_cmpint(B->apply_both("filter", &pol, 1, BS_FAMILY_MASK_IPV4, &nfo, NULL, NULL, NULL, NULL), ==, 0);
        uint64_t dropped = policy_packets(BS_FAMILY_IPV4);
        g_assert_cmpint(write(sess, "lost", 4), ==, 4);
        struct pollfd lost = { .fd = sess_a, .events = POLLIN };
        g_assert_cmpint(poll(&lost, 1, 1500), ==, 0);
        g_assert_cmpuint(policy_packets(BS_FAMILY_IPV4), >, dropped);
        g_assert_cmpint(B->restore(cur4, &nfo), ==, 0);
        /* TCP retransmits: once the rules are back, the data arrives (the
         * retransmission backoff doubles: a slow machine may wait long) */
        g_assert_cmpint(poll(&lost, 1, 60000), ==, 1);
        char lostbuf[8];
        g_assert_cmpint(read(sess_a, lostbuf, sizeof(lostbuf)), ==, 4);

        /* the recipe keeps the session: no finding */
        static const bs_l4port allows[] = { { IPPROTO_TCP, 22 } };
        bs_change *ch = NULL;
        size_t nch = 0;
        g_assert_cmpint(bs_recipe_default_deny(cur4, cur6, allows, 1, &ch, &nch), ==, 0);
        g_assert_cmpuint(nch, >, 0);
        p4 = proposed(cur4, ch, nch);
        bs_table *p6 = proposed(cur6, ch, nch);
        lockout(p4, p6, &sc, &rep);
        g_assert_cmpuint(rep.n, ==, 0);
        bs_lockout_report_done(&rep);

        /* apply it through the core, snapshotting connections as Apply would */
        bs_conn *conns = NULL;
        size_t n = 0;
        g_assert_cmpint(bs_conntrack_dump(&conns, &n), ==, 0);
        bs_local_addrs la = { 0 };
        g_assert_cmpint(bs_local_addrs_get(&la), ==, 0);
        bs_mgmt_ports ports;
        bs_mgmt_ports_default(&ports);
        bs_ct_snapshot snap0, snap;
        g_assert_cmpint(bs_ct_snapshot_build(conns, n, &la, &ports, realtime_ns(), &snap0), ==, 0);
        g_assert_cmpuint(snap0.n, >=, 1);
        g_autofree char *line = NULL;
        g_assert_cmpint(bs_ct_snapshot_to_string(&snap0, &line), ==, 0); /* as the journal keeps it */
        g_assert_cmpint(bs_ct_snapshot_from_string(line, &snap, NULL, 0), ==, 0);
        bs_ct_snapshot_done(&snap0);
        free(conns);
        bs_local_addrs_done(&la);
        g_assert_cmpint(B->apply_both("filter", ch, nch, BS_FAMILY_MASK_BOTH, &nfo, NULL, NULL, NULL, NULL), ==, 0);

        /* the kernel now holds the proposed tables, and the recipe is done */
        bs_table *k4 = read_filter(BS_FAMILY_IPV4), *k6 = read_filter(BS_FAMILY_IPV6);
        g_assert_true(bs_table_equal(k4, p4));
        g_assert_true(bs_table_equal(k6, p6));
        bs_change *again = NULL;
        size_t nagain = 0;
        g_assert_cmpint(bs_recipe_default_deny(k4, k6, allows, 1, &again, &nagain), ==, 0);
        g_assert_cmpuint(nagain, ==, 0);
        bs_changes_free(again, nagain);
        bs_table_free(k4);
        bs_table_free(k6);

        /* the session still works */
        g_assert_cmpint(write(sess, "ping", 4), ==, 4);
        char buf[8];
        struct pollfd pf = { .fd = sess_a, .events = POLLIN };
        g_assert_cmpint(poll(&pf, 1, 10000), ==, 1);
        g_assert_cmpint(read(sess_a, buf, sizeof(buf)), ==, 4);

        /* zero INPUT, connect out, the stateful counter rose */
        for (int fam = 4; fam <= 6; fam += 2) {
                bs_family f = fam == 6 ? BS_FAMILY_IPV6 : BS_FAMILY_IPV4;
                if (f == BS_FAMILY_IPV6)
                        fw_ok("ip -6 neigh flush dev veth0; true"); /* NDP must work through the rules */
                g_assert_cmpint(B->zero(f, "filter", "INPUT", &nfo), ==, 0);
                int out = tcp_connect(NS.fw, f, NULL, peer_ip(f), 80, 10000, NULL);
                g_assert_cmpint(out, >=, 0);
                int in = accept_one(f == BS_FAMILY_IPV6 ? web6 : web4);
                g_assert_cmpint(write(in, "hello", 5), ==, 5);
                pf = (struct pollfd){ .fd = out, .events = POLLIN };
                g_assert_cmpint(poll(&pf, 1, 10000), ==, 1);
                g_assert_cmpint(read(out, buf, sizeof(buf)), ==, 5);
                close(in);
                close(out);
                bs_table *t = read_filter(f);
                bs_check_report cr;
                g_assert_cmpint(bs_check_run(f == BS_FAMILY_IPV4 ? t : NULL, f == BS_FAMILY_IPV6 ? t : NULL, &ports, &cr), ==, 0);
                const bs_check_item *it = bs_check_report_find(&cr, "stateful-counter", bs_family_to_string(f));
                g_assert_nonnull(it);
                g_test_message("%s: %s", bs_family_to_string(f), it->summary);
                g_assert_true(it->passed);
                g_assert_true(cr.passed);
                bs_check_report_done(&cr);
                bs_table_free(t);
        }

        /* a NEW connection to 9090 is blocked although something listens there */
        uint64_t before = policy_packets(BS_FAMILY_IPV4);
        int blocked = tcp_connect(NS.peer, BS_FAMILY_IPV4, NULL, FW4, 9090, 1500, NULL);
        g_assert_cmpint(blocked, <, 0);
        g_assert_cmpuint(policy_packets(BS_FAMILY_IPV4), >, before);

        /* 22 is reachable over both families: that is the new management connection */
        uint16_t nsport, n6port;
        int fresh = tcp_connect(NS.peer, BS_FAMILY_IPV4, NULL, FW4, 22, 10000, &nsport);
        g_assert_cmpint(fresh, >=, 0);
        int fresh_a = accept_one(ssh4);
        peer_ok("ip -6 neigh flush dev veth1; true");
        int fresh6 = tcp_connect(NS.peer, BS_FAMILY_IPV6, NULL, FW6, 22, 10000, &n6port);
        g_assert_cmpint(fresh6, >=, 0);
        int fresh6_a = accept_one(ssh6);

        /* strict confirmation */
        char reason[512];
        g_assert_cmpint(strict(ssh_conn, &snap, reason), ==, -EPERM);
        g_test_message("apply-time session: %s", reason);
        g_assert_nonnull(strstr(reason, "was already open when the change was applied"));
        g_autofree char *fresh_conn = g_strdup_printf(PEER4 " %u " FW4 " 22", nsport);
        g_assert_cmpint(strict(fresh_conn, &snap, reason), ==, 0);
        g_test_message("new session: %s", reason);
        g_autofree char *fresh6_conn = g_strdup_printf(PEER6 " %u " FW6 " 22", n6port);
        g_assert_cmpint(strict(fresh6_conn, &snap, reason), ==, 0);
        uint16_t lport;
        int local = tcp_connect(NS.fw, BS_FAMILY_IPV4, FW4, FW4, 22, 10000, &lport);
        g_assert_cmpint(local, >=, 0);
        int local_a = accept_one(ssh4);
        g_autofree char *local_conn = g_strdup_printf(FW4 " %u " FW4 " 22", lport);
        g_assert_cmpint(strict(local_conn, &snap, reason), ==, -EPERM);
        g_test_message("local session: %s", reason);
        g_assert_nonnull(strstr(reason, "an address of this host"));

        /* back to where we started, for the other tests */
        g_assert_cmpint(B->restore(cur4, &nfo), ==, 0);
        g_assert_cmpint(B->restore(cur6, &nfo), ==, 0);

        bs_ct_snapshot_done(&snap);
        bs_changes_free(ch, nch);
        bs_table_free(p4);
        bs_table_free(p6);
        bs_table_free(cur4);
        bs_table_free(cur6);
        int fds[] = { ssh4, ssh6, svc4, web4, web6, sess, sess_a, fresh, fresh_a, fresh6, fresh6_a, local, local_a };
        for (size_t i = 0; i < G_N_ELEMENTS(fds); i++)
                close(fds[i]);
}

int main(int argc, char **argv) {
        g_test_init(&argc, &argv, NULL);
        if (!netns_pair_setup(false))
                return 77;
        g_test_add_data_func("/access-kernel/conntrack-dump/ipv4", GINT_TO_POINTER(BS_FAMILY_IPV4), test_conntrack_dump);
        g_test_add_data_func("/access-kernel/conntrack-dump/ipv6", GINT_TO_POINTER(BS_FAMILY_IPV6), test_conntrack_dump);
        g_test_add_func("/access-kernel/conntrack-events", test_conntrack_events);
        g_test_add_func("/access-kernel/conntrack-events-sd-event", test_conntrack_events_sd_event);
        g_test_add_func("/access-kernel/local-addrs", test_local_addrs);
        g_test_add_func("/access-kernel/walkthrough", test_walkthrough);
        int r = g_test_run();
        netns_pair_teardown();
        return r;
}
