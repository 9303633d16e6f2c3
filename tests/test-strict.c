/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests of strict confirmation: acceptance and each rejection reason,
 * the apply-time snapshot (what it keeps, its one-line form: round trip,
 * bad input), and the pure parts of the caller proof (peer.h: /proc
 * parsing, the walk up the parents over a directory laid out like /proc). */
#include <fcntl.h>
#include <glib/gstdio.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "conn-build.h"
#include "peer.h"
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
                { "ctsnap1 taken=1 n=1000001 ", "n=COUNT" },
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

/* A routing host's conntrack also holds connections it forwards between
 * two other machines: one of them proves nothing about this host. */
static void test_server_not_local(void) {
        fixture fx;
        fixture_init(&fx);
        fx.conns[fx.n++] = conn(V4, "10.0.0.2", 5000, "10.9.9.9", 22, BS_TCP_STATE_ESTABLISHED, 400);
        fx.conns[fx.n++] = conn(V6, "2001:db8::2", 5001, "2001:db8:9::9", 22, BS_TCP_STATE_ESTABLISHED, 401);
        char reason[512];
        g_assert_cmpint(check(&fx, "10.0.0.2 5000 10.9.9.9 22", reason), ==, -EPERM);
        g_assert_cmpstr(reason, ==,
                        "the connection tcp 10.0.0.2:5000 -> 10.9.9.9:22 ends at 10.9.9.9, not an address of this "
                        "host: it proves nothing about access to this host");
        g_assert_cmpint(check(&fx, "2001:db8::2 5001 2001:db8:9::9 22", reason), ==, -EPERM);
        g_assert_nonnull(strstr(reason, "ends at 2001:db8:9::9, not an address of this host"));
        fixture_done(&fx);
}

/* More inbound management connections than any fixed cap, in every TCP
 * state: the snapshot keeps those that are or may still become
 * ESTABLISHED (the only ones a confirmation can name), and its journal
 * line reads back. */
static void test_snapshot_large(void) {
        enum { N = 40000 };
        static const uint8_t states[] = {
                BS_TCP_STATE_ESTABLISHED, BS_TCP_STATE_SYN_RECV,  BS_TCP_STATE_TIME_WAIT, BS_TCP_STATE_ESTABLISHED,
                BS_TCP_STATE_FIN_WAIT,    BS_TCP_STATE_CLOSE_WAIT, BS_TCP_STATE_LAST_ACK, BS_TCP_STATE_CLOSE,
                BS_TCP_STATE_SYN_SENT,    BS_TCP_STATE_SYN_SENT2,
        };
        bs_local_addrs local = { 0 };
        ab_local_addr(&local, V4, "10.0.0.1", 8, "eth0");
        bs_mgmt_ports ports;
        bs_mgmt_ports_default(&ports);
        bs_conn *conns = g_new0(bs_conn, N + 1);
        size_t keep = 0;
        for (size_t i = 0; i < N; i++) {
                char src[32];
                g_snprintf(src, sizeof(src), "10.%zu.%zu.2", (i >> 8) & 255, i & 255);
                uint8_t st = states[i % G_N_ELEMENTS(states)];
                conns[i] = conn(V4, src, (uint16_t) (1024 + i / 65536), "10.0.0.1", 22, st, (uint32_t) i + 1);
                keep += st != BS_TCP_STATE_TIME_WAIT && st != BS_TCP_STATE_FIN_WAIT && st != BS_TCP_STATE_CLOSE_WAIT &&
                        st != BS_TCP_STATE_LAST_ACK && st != BS_TCP_STATE_CLOSE;
        }
        /* not TCP: no confirmation can name it */
        conns[N] = conns[0];
        conns[N].l4proto = IPPROTO_UDP;
        bs_ct_snapshot s = { 0 };
        int r = bs_ct_snapshot_build(conns, N + 1, &local, &ports, 1, &s);
        g_assert_cmpint(r, ==, 0);
        g_assert_cmpuint(keep, >, 16384);
        g_assert_cmpuint(s.n, ==, keep);
        g_print("# %d inbound management entries: %zu kept\n", N + 1, s.n);
        g_autofree char *line = NULL;
        g_assert_cmpint(bs_ct_snapshot_to_string(&s, &line), ==, 0);
        bs_ct_snapshot back;
        char err[256];
        g_assert_cmpint(bs_ct_snapshot_from_string(line, &back, err, sizeof(err)), ==, 0);
        g_assert_cmpuint(back.n, ==, s.n);
        bs_ct_snapshot_done(&back);
        bs_ct_snapshot_done(&s);
        g_free(conns);
        bs_local_addrs_done(&local);
}

/* ---------------------------------------------------------------- peer */

static void test_peer_parse(void) {
        uint64_t v;
        g_assert_cmpint(bs_peer_parse_socket_link("socket:[12345]", &v), ==, 0);
        g_assert_cmpuint(v, ==, 12345);
        static const char *const bad_links[] = { "socket:[]", "socket:[12a]", "socket:[1]x", "pipe:[12]",
                                                 "/dev/null", "socket:[99999999999999999999]", "socket:12" };
        for (size_t i = 0; i < G_N_ELEMENTS(bad_links); i++)
                g_assert_cmpint(bs_peer_parse_socket_link(bad_links[i], &v), ==, -EINVAL);

        pid_t pp;
        g_assert_cmpint(bs_peer_parse_ppid("Name:\tsshd\nUmask:\t0022\nState:\tS\nTgid:\t7\nPid:\t7\nPPid:\t42\n", &pp),
                        ==, 0);
        g_assert_cmpint(pp, ==, 42);
        g_assert_cmpint(bs_peer_parse_ppid("Name:\tx\nPPid:\t0\n", &pp), ==, 0);
        g_assert_cmpint(pp, ==, 0);
        g_assert_cmpint(bs_peer_parse_ppid("Name:\tPPid: 5\n", &pp), ==, -EINVAL); /* only at a line start */
        g_assert_cmpint(bs_peer_parse_ppid("PPid:\t-1\n", &pp), ==, -EINVAL);
        g_assert_cmpint(bs_peer_parse_ppid("PPid:\t99999999999\n", &pp), ==, -EINVAL);

        /* a command name with spaces and ')' */
        const char *stat = "77 (a) b) (c) S 1 77 77 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 123456 1000 100 "
                           "18446744073709551615\n";
        g_assert_cmpint(bs_peer_parse_starttime(stat, &v), ==, 0);
        g_assert_cmpuint(v, ==, 123456);
        g_assert_cmpint(bs_peer_parse_starttime("77 (x) S 1 2 3", &v), ==, -EINVAL);
        g_assert_cmpint(bs_peer_parse_starttime("77 x S 1", &v), ==, -EINVAL);
        /* this very process, from the real /proc */
        g_autofree char *self = NULL;
        g_assert_true(g_file_get_contents("/proc/self/stat", &self, NULL, NULL));
        g_assert_cmpint(bs_peer_parse_starttime(self, &v), ==, 0);
        g_assert_cmpuint(v, >, 0);
}

/* A directory laid out like /proc: PID/stat, PID/status, PID/fd/N. */
typedef struct fake_proc {
        char *root;
} fake_proc;

static void fake_process(fake_proc *fp, pid_t pid, pid_t ppid, uint64_t start, const uint64_t *sockets, size_t n) {
        g_autofree char *dir = g_strdup_printf("%s/%d/fd", fp->root, (int) pid);
        g_assert_cmpint(g_mkdir_with_parents(dir, 0700), ==, 0);
        g_autofree char *stat_path = g_strdup_printf("%s/%d/stat", fp->root, (int) pid);
        g_autofree char *stat = g_strdup_printf("%d (proc %d) S %d 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 %" G_GUINT64_FORMAT
                                                " 1000 100\n", (int) pid, (int) pid, (int) ppid, start);
        g_assert_true(g_file_set_contents(stat_path, stat, -1, NULL));
        g_autofree char *status_path = g_strdup_printf("%s/%d/status", fp->root, (int) pid);
        g_autofree char *status = g_strdup_printf("Name:\tproc\nPid:\t%d\nPPid:\t%d\n", (int) pid, (int) ppid);
        g_assert_true(g_file_set_contents(status_path, status, -1, NULL));
        g_autofree char *null_link = g_strdup_printf("%s/0", dir);
        g_assert_cmpint(symlink("/dev/null", null_link), ==, 0);
        for (size_t i = 0; i < n; i++) {
                g_autofree char *link = g_strdup_printf("%s/%zu", dir, i + 3);
                g_autofree char *target = g_strdup_printf("socket:[%" G_GUINT64_FORMAT "]", sockets[i]);
                g_assert_cmpint(symlink(target, link), ==, 0);
        }
}

static void test_peer_walk(void) {
        fake_proc fp = { .root = g_dir_make_tmp("backstop-proc-XXXXXX", NULL) };
        g_assert_nonnull(fp.root);
        /* pid 1 holds 555; sshd (100) the listener 600; its session child
         * (200) the connection 777; the shell (300) and backstopctl (400)
         * nothing of it (the shell's own socket 778) */
        fake_process(&fp, 1, 0, 1, (uint64_t[]){ 555 }, 1);
        fake_process(&fp, 100, 1, 10, (uint64_t[]){ 600 }, 1);
        fake_process(&fp, 200, 100, 20, (uint64_t[]){ 777 }, 1);
        fake_process(&fp, 300, 200, 30, (uint64_t[]){ 778 }, 1);
        fake_process(&fp, 400, 300, 40, NULL, 0);
        /* a parent that started after its child: a reused pid */
        fake_process(&fp, 500, 100, 90, (uint64_t[]){ 888 }, 1);
        fake_process(&fp, 510, 500, 50, NULL, 0);
        /* a parent that is gone */
        fake_process(&fp, 520, 4242, 50, NULL, 0);
        /* a loop of parents, and a chain deeper than the limit */
        fake_process(&fp, 530, 531, 50, NULL, 0);
        fake_process(&fp, 531, 530, 50, NULL, 0);
        for (pid_t p = 1000; p < 1000 + BS_PEER_DEPTH_MAX + 1; p++)
                fake_process(&fp, p, p == 1000 ? 1 : p - 1, 100, NULL, 0);

        pid_t holder = 0;
        unsigned depth = 0;
        g_assert_cmpint(bs_peer_find_holder(fp.root, false, 400, 777, &holder, &depth), ==, 1);
        g_assert_cmpint(holder, ==, 200);
        g_assert_cmpuint(depth, ==, 2);
        g_assert_cmpint(bs_peer_find_holder(fp.root, false, 200, 777, &holder, &depth), ==, 1);
        g_assert_cmpuint(depth, ==, 0);
        /* the walk goes up, never down nor sideways */
        g_assert_cmpint(bs_peer_find_holder(fp.root, false, 100, 777, &holder, &depth), ==, 0);
        g_assert_cmpint(bs_peer_find_holder(fp.root, false, 510, 777, &holder, &depth), ==, -ESRCH);
        g_assert_cmpint(bs_peer_find_holder(fp.root, false, 400, 999, &holder, &depth), ==, 0);
        /* pid 1 is everybody's ancestor: holding a socket ties nobody to it */
        g_assert_cmpint(bs_peer_find_holder(fp.root, false, 400, 555, &holder, &depth), ==, 0);
        g_assert_cmpint(bs_peer_find_holder(fp.root, false, 510, 888, &holder, &depth), ==, -ESRCH);
        g_assert_cmpint(bs_peer_find_holder(fp.root, false, 520, 777, &holder, &depth), ==, -ESRCH);
        g_assert_cmpint(bs_peer_find_holder(fp.root, false, 4242, 777, &holder, &depth), ==, -ESRCH);
        g_assert_cmpint(bs_peer_find_holder(fp.root, false, 530, 777, &holder, &depth), ==, -ELOOP);
        g_assert_cmpint(bs_peer_find_holder(fp.root, false, 1000 + BS_PEER_DEPTH_MAX, 777, &holder, &depth), ==,
                        -ELOOP);
        g_assert_cmpint(bs_peer_find_holder(fp.root, false, 1000 + BS_PEER_DEPTH_MAX - 1, 777, &holder, &depth), ==,
                        0);

        /* too many descriptors to look at */
        g_autofree uint64_t *many = g_new(uint64_t, BS_PEER_FDS_MAX + 1);
        for (size_t i = 0; i <= BS_PEER_FDS_MAX; i++)
                many[i] = 100000 + i;
        fake_process(&fp, 600, 200, 60, many, BS_PEER_FDS_MAX);
        g_assert_cmpint(bs_peer_find_holder(fp.root, false, 600, 777, &holder, &depth), ==, -E2BIG);
        g_assert_cmpint(holder, ==, 600);

        g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", fp.root);
        g_assert_cmpint(system(cmd), ==, 0);
        g_free(fp.root);
}

/* The walk over the real /proc, pinning: this process holds one end of a
 * socket pair, a child it starts does not, but is below it. */
static void test_peer_walk_real(void) {
        int sv[2];
        g_assert_cmpint(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), ==, 0);
        struct stat st;
        g_assert_cmpint(fstat(sv[0], &st), ==, 0);
        pid_t holder = 0;
        unsigned depth = 0;
        g_assert_cmpint(bs_peer_find_holder("/proc", true, getpid(), st.st_ino, &holder, &depth), ==, 1);
        g_assert_cmpint(holder, ==, getpid());

        pid_t child = fork();
        g_assert_cmpint(child, >=, 0);
        if (child == 0) {
                close(sv[0]);
                char c;
                _exit(write(sv[1], "r", 1) == 1 && read(sv[1], &c, 1) == 1 ? 0 : 1);
        }
        close(sv[1]);
        char ready;
        g_assert_cmpint(read(sv[0], &ready, 1), ==, 1); /* the child closed its copy */
        g_assert_cmpint(bs_peer_find_holder("/proc", true, child, st.st_ino, &holder, &depth), ==, 1);
        g_assert_cmpint(holder, ==, getpid());
        g_assert_cmpuint(depth, ==, 1);
        g_assert_cmpint(write(sv[0], "x", 1), ==, 1);
        int status;
        g_assert_cmpint(waitpid(child, &status, 0), ==, child);
        /* gone: its pid no longer names it */
        g_assert_cmpint(bs_peer_find_holder("/proc", true, child, st.st_ino, &holder, &depth), ==, -ESRCH);
        close(sv[0]);
}

int main(int argc, char **argv) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/strict/accept-and-reject", test_accept_and_reject);
        g_test_add_func("/strict/nat", test_nat);
        g_test_add_func("/strict/snapshot-roundtrip", test_snapshot_roundtrip);
        g_test_add_func("/strict/snapshot-bad", test_snapshot_bad);
        g_test_add_func("/strict/server-not-local", test_server_not_local);
        g_test_add_func("/strict/snapshot-large", test_snapshot_large);
        g_test_add_func("/strict/peer-parse", test_peer_parse);
        g_test_add_func("/strict/peer-walk", test_peer_walk);
        g_test_add_func("/strict/peer-walk-real", test_peer_walk_real);
        return g_test_run();
}
