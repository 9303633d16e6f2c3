/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Two private network namespaces joined by a veth pair, for the access
 * kernel tests: "fw" (the firewalled host, where the test process lives)
 * and "peer". Both are made with unshare(CLONE_NEWNET) and held only by
 * file descriptors of this process, so they vanish with it, whatever
 * happens: no named namespace to clean up, no clash between parallel
 * tests. XTABLES_LOCKFILE points at a private file.
 *
 *   fw   veth0  192.0.2.1/24  2001:db8:b5::1/64
 *   peer veth1  192.0.2.2/24  2001:db8:b5::2/64
 */

#include <arpa/inet.h>
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/socket.h>

#include "rule.h"

#define FW4 "192.0.2.1"
#define PEER4 "192.0.2.2"
#define FW6 "2001:db8:b5::1"
#define PEER6 "2001:db8:b5::2"

typedef struct netns_pair {
        int fw, peer;  /* namespace fds */
        char lock_path[PATH_MAX];
        char fw_mac[32], peer_mac[32];
} netns_pair;

static netns_pair NS = { -1, -1, "", "", "" };

static inline void ns_enter(int fd) {
        if (setns(fd, CLONE_NEWNET) < 0)
                g_error("setns: %s", g_strerror(errno));
}

/* Run a shell command in namespace fd; returns stdout; fails the test
 * unless it exits 0 (or allow_fail). */
static char *ns_sh_full(int fd, bool allow_fail, const char *cmd) {
        ns_enter(fd);
        const char *argv[] = { "/bin/sh", "-ec", cmd, NULL };
        char *out = NULL, *err = NULL;
        int status;
        GError *error = NULL;
        gboolean ok = g_spawn_sync(NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err, &status, &error);
        ns_enter(NS.fw);
        if (!ok)
                g_error("spawn %s: %s", cmd, error->message);
        if (!allow_fail && !g_spawn_check_wait_status(status, NULL))
                g_error("command failed: %s\nstderr: %s", cmd, err);
        g_free(err);
        return out;
}

G_GNUC_PRINTF(2, 3) static char *ns_sh(int fd, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        g_autofree char *cmd = g_strdup_vprintf(fmt, ap);
        va_end(ap);
        return ns_sh_full(fd, false, cmd);
}
#define fw_ok(...) g_free(ns_sh(NS.fw, __VA_ARGS__))
#define peer_ok(...) g_free(ns_sh(NS.peer, __VA_ARGS__))

static char *link_mac(int fd, const char *dev) {
        char *out = ns_sh(fd, "ip -br link show %s | awk '{print $3}'", dev);
        g_strstrip(out);
        return out;
}

/* Returns false (caller exits 77) when not root or namespaces are refused. */
static bool netns_pair_setup(bool static_neighbours) {
        if (geteuid() != 0) {
                g_printerr("not root: skipping\n");
                return false;
        }
        if (unshare(CLONE_NEWNET) < 0) {
                g_printerr("unshare(CLONE_NEWNET): %s: skipping\n", g_strerror(errno));
                return false;
        }
        NS.fw = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
        g_assert_cmpint(NS.fw, >=, 0);
        g_assert_cmpint(unshare(CLONE_NEWNET), ==, 0);
        NS.peer = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
        g_assert_cmpint(NS.peer, >=, 0);
        ns_enter(NS.fw);

        g_snprintf(NS.lock_path, sizeof(NS.lock_path), "%s/backstop-access-XXXXXX", g_get_tmp_dir());
        int fd = g_mkstemp(NS.lock_path);
        g_assert_cmpint(fd, >=, 0);
        close(fd);
        g_setenv("XTABLES_LOCKFILE", NS.lock_path, TRUE);

        fw_ok("ip link set lo up; ip link add veth0 type veth peer name veth1 netns /proc/%d/fd/%d", (int) getpid(),
              NS.peer);
        fw_ok("ip addr add " FW4 "/24 dev veth0; ip -6 addr add " FW6 "/64 dev veth0 nodad; ip link set veth0 up");
        peer_ok("ip link set lo up; sysctl -qw net.ipv6.conf.veth1.router_solicitations=0; "
                "ip addr add " PEER4 "/24 dev veth1; ip -6 addr add " PEER6 "/64 dev veth1 nodad; ip link set veth1 up");
        fw_ok("sysctl -qw net.netfilter.nf_conntrack_timestamp=1 || true");
        g_autofree char *fm = link_mac(NS.fw, "veth0");
        g_autofree char *pm = link_mac(NS.peer, "veth1");
        g_strlcpy(NS.fw_mac, fm, sizeof(NS.fw_mac));
        g_strlcpy(NS.peer_mac, pm, sizeof(NS.peer_mac));
        if (static_neighbours) {
                /* no ARP/NDP traffic at all: the probes are the only packets */
                fw_ok("ip neigh replace " PEER4 " lladdr %s dev veth0 nud permanent; "
                      "ip -6 neigh replace " PEER6 " lladdr %s dev veth0 nud permanent",
                      NS.peer_mac, NS.peer_mac);
                peer_ok("ip neigh replace " FW4 " lladdr %s dev veth1 nud permanent; "
                        "ip -6 neigh replace " FW6 " lladdr %s dev veth1 nud permanent",
                        NS.fw_mac, NS.fw_mac);
        }
        /* conntrack on in fw from the start, whatever the filter rules */
        fw_ok("iptables-legacy -t mangle -A PREROUTING -m conntrack --ctstate NEW; "
              "ip6tables-legacy -t mangle -A PREROUTING -m conntrack --ctstate NEW");
        return true;
}

static void netns_pair_teardown(void) {
        if (NS.lock_path[0])
                g_unlink(NS.lock_path);
}

static inline void ab_sockaddr(bs_family f, const char *ip, uint16_t port, struct sockaddr_storage *ss, socklen_t *len) {
        memset(ss, 0, sizeof(*ss));
        if (f == BS_FAMILY_IPV6) {
                struct sockaddr_in6 *a = (struct sockaddr_in6 *) ss;
                a->sin6_family = AF_INET6;
                a->sin6_port = htons(port);
                g_assert_cmpint(inet_pton(AF_INET6, ip, &a->sin6_addr), ==, 1);
                *len = sizeof(*a);
        } else {
                struct sockaddr_in *a = (struct sockaddr_in *) ss;
                a->sin_family = AF_INET;
                a->sin_port = htons(port);
                g_assert_cmpint(inet_pton(AF_INET, ip, &a->sin_addr), ==, 1);
                *len = sizeof(*a);
        }
}

/* A socket created in namespace fd (it stays there). */
static int ns_socket(int fd, int domain, int type, int proto) {
        ns_enter(fd);
        int s = socket(domain, type | SOCK_CLOEXEC, proto);
        int err = errno;
        ns_enter(NS.fw);
        if (s < 0)
                g_error("socket: %s", g_strerror(err));
        return s;
}
