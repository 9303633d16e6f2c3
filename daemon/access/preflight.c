/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "preflight.h"

#include <time.h>

#include "conntrack.h"
#include "localaddr.h"
#include "peer.h"

/* What every pre-flight looks at: the host's addresses and its
 * connections (conntrack and sockets). */
static int read_host(bs_local_addrs *local, bs_conn **conns, size_t *n) {
        int r = bs_local_addrs_get(local);
        if (r < 0)
                return r;
        return bs_connections_dump(conns, n);
}

int preflight_lockout(bs_table *const after[2], const bs_mgmt_ports *ports, const char *ssh_connection,
                      bs_lockout_report *ret) {
        bs_ssh_connection ssh;
        bool have_ssh = false;
        bs_mgmt_ports p = *ports;
        if (ssh_connection && *ssh_connection) {
                int r = bs_ssh_connection_parse(ssh_connection, &ssh, NULL, 0);
                if (r < 0)
                        return r;
                r = bs_mgmt_ports_add_ssh(&p, &ssh);
                if (r < 0)
                        return r;
                have_ssh = true;
        }
        _cleanup_local_addrs_ bs_local_addrs local = {};
        _cleanup_free_ bs_conn *conns = NULL;
        size_t n = 0;
        int r = read_host(&local, &conns, &n);
        if (r < 0)
                return r;
        bs_lockout_input in = {
                .v4 = after[0],
                .v6 = after[1],
                .conns = conns,
                .n_conns = n,
                .local = &local,
                .ports = &p,
                .ssh = have_ssh ? &ssh : NULL,
        };
        return bs_lockout_check(&in, ret);
}

int preflight_snapshot(const bs_mgmt_ports *ports, char **ret) {
        _cleanup_local_addrs_ bs_local_addrs local = {};
        _cleanup_free_ bs_conn *conns = NULL;
        size_t n = 0;
        int r = read_host(&local, &conns, &n);
        if (r < 0)
                return r;
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        _cleanup_ct_snapshot_ bs_ct_snapshot s = {};
        r = bs_ct_snapshot_build(conns, n, &local, ports,
                                 (uint64_t) ts.tv_sec * 1000000000ULL + (uint64_t) ts.tv_nsec, &s);
        if (r < 0)
                return r;
        return bs_ct_snapshot_to_string(&s, ret);
}

int preflight_strict_check(const char *ssh_connection, const char *snapshot, const bs_mgmt_ports *ports,
                           pid_t caller_pid, char *reason, size_t reason_len) {
        _cleanup_ct_snapshot_ bs_ct_snapshot s = {};
        int r = bs_ct_snapshot_from_string(snapshot, &s, reason, reason_len);
        if (r < 0)
                return r;
        _cleanup_local_addrs_ bs_local_addrs local = {};
        _cleanup_free_ bs_conn *conns = NULL;
        size_t n = 0;
        r = read_host(&local, &conns, &n);
        if (r < 0)
                return r;
        r = bs_strict_check(ssh_connection, conns, n, &s, &local, ports, reason, reason_len);
        if (r < 0)
                return r;
        bs_ssh_connection ssh;
        r = bs_ssh_connection_parse(ssh_connection, &ssh, reason, reason_len);
        if (r < 0)
                return r;
        return bs_peer_on_connection(caller_pid, &ssh, reason, reason_len);
}
