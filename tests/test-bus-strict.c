/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Strict confirmation against the real backstopd, real TCP connections and
 * real processes: the caller must be on the connection it names.
 *
 * Three private network namespaces: "fw" (this test, backstopd, a
 * dual-stack listener on port 22), "peer" (the clients) and "far", a host
 * behind fw (fw routes between peer and far). Connection A exists when the
 * strict change is applied; B is opened after it. B's server end is handed
 * to a "server" process (a shell holding it as fd 3, as sshd holds the
 * accepted socket), which runs gdbus as its child, as an SSH session's
 * shell runs backstopctl. Checked:
 *   - this test process, which does not hold B's server end (only its
 *     client end), naming B: ConfirmationRejected;
 *   - a connection from peer to far, forwarded by fw: ConfirmationRejected
 *     (its server end is not fw's);
 *   - plain Extend of the strict transaction: InvalidArgs;
 *     ExtendWithOptions naming B from this process, or naming A from the
 *     holder of A's server end: ConfirmationRejected;
 *   - ExtendWithOptions, then Confirm, from the children of B's holder:
 *     accepted.
 * Exits 77 when not root. */
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>

#include "access-netns.h"
#include "bus-test-util.h"

#define FAR_FW "198.51.100.1"
#define FAR4 "198.51.100.2"
#define REJECTED "org.backstop.Firewall1.Error.ConfirmationRejected"
#define INVALID "org.freedesktop.DBus.Error.InvalidArgs"

static BsBusFixture *F;
static GDBusConnection *C;
static int FAR = -1;

/* A TCP connection from the peer namespace to ip:22; the server end is
 * accepted from listener (CLOEXEC). ssh_connection as sshd would set it. */
typedef struct tcp_conn {
        int client, server;
        char ssh_connection[128];
} tcp_conn;

static int listen_on(int ns, int family, const char *ip) {
        int s = ns_socket(ns, family, SOCK_STREAM, 0);
        int zero = 0, one = 1;
        g_assert_cmpint(setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)), ==, 0);
        if (family == AF_INET6) /* dual-stack: IPv4 clients get v4-mapped sockets */
                g_assert_cmpint(setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero)), ==, 0);
        struct sockaddr_storage ss;
        socklen_t len;
        ab_sockaddr(family == AF_INET6 ? BS_FAMILY_IPV6 : BS_FAMILY_IPV4, ip, 22, &ss, &len);
        g_assert_cmpint(bind(s, (struct sockaddr *) &ss, len), ==, 0);
        g_assert_cmpint(listen(s, 8), ==, 0);
        return s;
}

static tcp_conn connect_from_peer(int listener, const char *ip) {
        tcp_conn c;
        c.client = ns_socket(NS.peer, AF_INET, SOCK_STREAM, 0);
        struct sockaddr_storage ss;
        socklen_t len;
        ab_sockaddr(BS_FAMILY_IPV4, ip, 22, &ss, &len);
        g_assert_cmpint(connect(c.client, (struct sockaddr *) &ss, len), ==, 0);
        c.server = accept4(listener, NULL, NULL, SOCK_CLOEXEC);
        g_assert_cmpint(c.server, >=, 0);
        struct sockaddr_in me;
        socklen_t mlen = sizeof(me);
        g_assert_cmpint(getsockname(c.client, (struct sockaddr *) &me, &mlen), ==, 0);
        g_snprintf(c.ssh_connection, sizeof(c.ssh_connection), PEER4 " %u %s 22", ntohs(me.sin_port), ip);
        return c;
}

static GVariant *ssh_option(const char *ssh_connection) {
        GVariantBuilder b;
        g_variant_builder_init(&b, G_VARIANT_TYPE("a{sv}"));
        g_variant_builder_add(&b, "{sv}", "ssh-connection", g_variant_new_string(ssh_connection));
        return g_variant_builder_end(&b);
}

/* A call on the transaction from this process; want_error NULL: success.
 * Returns the error message (caller frees) or NULL. */
static char *tx_call(const char *tx, const char *method, GVariant *params, const char *want_error) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) r = bs_test_call(C, 60000, tx, TX_IFACE, method, params, "()", &error);
        if (!want_error) {
                g_assert_no_error(error);
                return NULL;
        }
        g_assert_nonnull(error);
        g_autofree char *name = g_dbus_error_get_remote_error(error);
        g_assert_cmpstr(name, ==, want_error);
        g_dbus_error_strip_remote_error(error);
        g_print("# %s: %s\n", method, error->message);
        return g_strdup(error->message);
}

/* A "server" process holding server_fd (as fd 3; this process's copy is
 * closed on return) that waits for a line on its stdin, then runs
 * `gdbus call ... METHOD ARGS...` as its child without that fd, and prints
 * gdbus's output and "rc=STATUS". */
static GSubprocess *spawn_holder(int server_fd, const char *tx, const char *method, const char *const *args) {
        g_autoptr(GSubprocessLauncher) l = g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDIN_PIPE |
                                                                     G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                                                     G_SUBPROCESS_FLAGS_STDERR_MERGE);
        g_subprocess_launcher_setenv(l, "DBUS_SYSTEM_BUS_ADDRESS", F->bus_address, TRUE);
        g_subprocess_launcher_take_fd(l, server_fd, 3);
        g_autofree char *m = g_strdup_printf(TX_IFACE ".%s", method);
        g_autoptr(GPtrArray) argv = g_ptr_array_new();
        const char *head[] = { "/bin/sh", "-c", "read go || exit 1; \"$@\" 3>&-; echo \"rc=$?\"", "sh", "gdbus",
                               "call", "--system", "--dest", BUS_NAME, "--object-path", tx, "--method", m };
        for (size_t i = 0; i < G_N_ELEMENTS(head); i++)
                g_ptr_array_add(argv, (char *) head[i]);
        for (size_t i = 0; args[i]; i++)
                g_ptr_array_add(argv, (char *) args[i]);
        g_ptr_array_add(argv, NULL);
        g_autoptr(GError) error = NULL;
        GSubprocess *p = g_subprocess_launcher_spawnv(l, (const char *const *) argv->pdata, &error);
        g_assert_no_error(error);
        return p; /* the launcher, freed here, closes our copy of server_fd */
}

/* Lets the holder run its call; returns what it printed. */
static char *run_holder(GSubprocess *p) {
        g_autoptr(GError) error = NULL;
        char *out = NULL;
        g_assert_true(g_subprocess_communicate_utf8(p, "go\n", NULL, &out, NULL, &error));
        g_assert_no_error(error);
        g_print("# holder: %s", out);
        return out;
}

static guint64 time_left_usec(const char *tx) {
        g_autoptr(GVariant) v = bs_test_get_property(C, 60000, tx, TX_IFACE, "TimeLeftUSec");
        return g_variant_get_uint64(v);
}

static void setup_far(void) {
        g_assert_cmpint(unshare(CLONE_NEWNET), ==, 0);
        FAR = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
        g_assert_cmpint(FAR, >=, 0);
        ns_enter(NS.fw);
        fw_ok("ip link add veth2 type veth peer name veth3 netns /proc/%d/fd/%d", (int) getpid(), FAR);
        fw_ok("ip addr add " FAR_FW "/24 dev veth2; ip link set veth2 up; sysctl -qw net.ipv4.ip_forward=1");
        g_free(ns_sh(FAR, "ip link set lo up; ip addr add " FAR4 "/24 dev veth3; ip link set veth3 up; "
                          "ip route add default via " FAR_FW));
        peer_ok("ip route add 198.51.100.0/24 via " FW4);
}

static void test_caller_must_be_on_connection(void) {
        int listener = listen_on(NS.fw, AF_INET6, "::");
        int far_listener = listen_on(FAR, AF_INET, FAR4);
        tcp_conn a = connect_from_peer(listener, FW4);

        GVariantBuilder b;
        g_variant_builder_init(&b, G_VARIANT_TYPE("a{sv}"));
        g_variant_builder_add(&b, "{sv}", "timeout", g_variant_new_uint32(120));
        g_variant_builder_add(&b, "{sv}", "strict", g_variant_new_boolean(TRUE));
        const char *changes[] = { "-A INPUT -p tcp --dport 9090 -j DROP", NULL };
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) r = bs_test_call(C, 60000, PATH, IFACE, "Apply",
                                             g_variant_new("(^as@a{sv})", changes, g_variant_builder_end(&b)), "(o)",
                                             &error);
        g_assert_no_error(error);
        const char *tx;
        g_variant_get(r, "(&o)", &tx);

        tcp_conn nb = connect_from_peer(listener, FW4);
        tcp_conn fwd = connect_from_peer(far_listener, FAR4);
        g_print("# A %s, B %s, forwarded %s\n", a.ssh_connection, nb.ssh_connection, fwd.ssh_connection);

        /* B's server end goes to two holders (one per call below): from
         * here on this process holds only B's client end. */
        g_autofree char *opt_b = g_strdup_printf("{'ssh-connection': <'%s'>}", nb.ssh_connection);
        const char *const ext_args[] = { "600", opt_b, NULL }, *const confirm_args[] = { opt_b, NULL };
        g_autoptr(GSubprocess) extender = spawn_holder(dup(nb.server), tx, "ExtendWithOptions", ext_args);
        g_autoptr(GSubprocess) confirmer = spawn_holder(nb.server, tx, "Confirm", confirm_args);

        g_autofree char *m1 = tx_call(tx, "Confirm", g_variant_new("(@a{sv})", ssh_option(nb.ssh_connection)), REJECTED);
        g_assert_nonnull(strstr(m1, "is not on the connection"));
        g_autofree char *m2 = tx_call(tx, "Confirm", g_variant_new("(@a{sv})", ssh_option(fwd.ssh_connection)), REJECTED);
        g_assert_nonnull(strstr(m2, "ends at " FAR4 ", not an address of this host"));

        g_autofree char *m3 = tx_call(tx, "Extend", g_variant_new("(u)", 600), INVALID);
        g_assert_nonnull(strstr(m3, "ExtendWithOptions"));
        g_autofree char *m4 = tx_call(tx, "ExtendWithOptions",
                                      g_variant_new("(u@a{sv})", 600, ssh_option(nb.ssh_connection)), REJECTED);
        g_assert_nonnull(strstr(m4, "is not on the connection"));
        /* this process holds A's server end: on it, but A is old */
        g_autofree char *m5 = tx_call(tx, "ExtendWithOptions",
                                      g_variant_new("(u@a{sv})", 600, ssh_option(a.ssh_connection)), REJECTED);
        g_assert_nonnull(strstr(m5, "already open when the change was applied"));
        g_assert_cmpuint(time_left_usec(tx), <=, 120 * G_USEC_PER_SEC);
        g_autofree char *state = bs_test_get_string(C, 60000, tx, TX_IFACE, "State");
        g_assert_cmpstr(state, ==, "pending");

        g_autofree char *out_ext = run_holder(extender);
        g_assert_nonnull(strstr(out_ext, "rc=0"));
        guint64 left = time_left_usec(tx);
        g_print("# after ExtendWithOptions(600): %.1f s left\n", left / 1e6);
        g_assert_cmpuint(left, >, 120 * G_USEC_PER_SEC);
        g_autofree char *out_confirm = run_holder(confirmer);
        g_assert_nonnull(strstr(out_confirm, "rc=0"));
        g_autofree char *done = bs_test_get_string(C, 60000, tx, TX_IFACE, "State");
        g_assert_cmpstr(done, ==, "confirmed");

        int fds[] = { listener, far_listener, a.client, a.server, nb.client, fwd.client, fwd.server };
        for (size_t i = 0; i < G_N_ELEMENTS(fds); i++)
                close(fds[i]);
}

int main(int argc, char **argv) {
        g_test_init(&argc, &argv, NULL);
        if (!netns_pair_setup(false))
                return 77;
        setup_far();
        F = bs_bus_fixture_new();
        bs_bus_fixture_start_daemon(F, NULL, NULL, NULL);
        C = bs_bus_fixture_connect(F);
        g_test_add_func("/bus-strict/caller-must-be-on-connection", test_caller_must_be_on_connection);
        int r = g_test_run();
        g_object_unref(C);
        bs_bus_fixture_stop_daemon(F, SIGTERM);
        bs_bus_fixture_free(F);
        netns_pair_teardown();
        return r;
}
