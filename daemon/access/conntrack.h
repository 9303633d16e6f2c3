/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The conntrack table through libnetfilter_conntrack: a dump of both
 * families into plain structs, and an event subscription on its own
 * non-blocking handle for an event loop. No logging; errors as -errno. */

#include "rule.h"

/* One direction of a connection. Ports in host order; for ICMP/ICMPv6 the
 * ports are 0 and type/code/id live in the bs_conn. */
typedef struct bs_ct_tuple {
        uint8_t src[16], dst[16];  /* network order; IPv4 in the first 4 bytes */
        uint16_t sport, dport;
} bs_ct_tuple;

/* IPS_* status bits we report (linux/netfilter/nf_conntrack_common.h). */
#define BS_CT_STATUS_SEEN_REPLY (1u << 1)
#define BS_CT_STATUS_ASSURED (1u << 2)
#define BS_CT_STATUS_SRC_NAT (1u << 4)
#define BS_CT_STATUS_DST_NAT (1u << 5)

/* TCP conntrack states (TCP_CONNTRACK_*). */
enum {
        BS_TCP_STATE_NONE = 0,
        BS_TCP_STATE_SYN_SENT,
        BS_TCP_STATE_SYN_RECV,
        BS_TCP_STATE_ESTABLISHED,
        BS_TCP_STATE_FIN_WAIT,
        BS_TCP_STATE_CLOSE_WAIT,
        BS_TCP_STATE_LAST_ACK,
        BS_TCP_STATE_TIME_WAIT,
        BS_TCP_STATE_CLOSE,
        BS_TCP_STATE_SYN_SENT2,
        _BS_TCP_STATE_MAX,
};

typedef struct bs_conn {
        bs_family family;
        uint8_t l4proto;          /* IPPROTO_* */
        bs_ct_tuple orig, reply;
        bool has_tcp_state;
        uint8_t tcp_state;        /* BS_TCP_STATE_*, when has_tcp_state */
        uint8_t icmp_type, icmp_code;
        uint16_t icmp_id;
        uint32_t status;          /* IPS_* bits as the kernel reports them */
        uint32_t mark;
        uint32_t id;
        bool has_start;
        uint64_t start_ns;        /* CLOCK_REALTIME ns; only with nf_conntrack_timestamp=1 */
} bs_conn;

/* Dump the whole conntrack table of the current network namespace, IPv4
 * and IPv6. At most BS_CONNS_MAX entries (-E2BIG beyond). *ret is freed
 * with free(). */
#define BS_CONNS_MAX 1000000
int bs_conntrack_dump(bs_conn **ret, size_t *ret_n);

/* "tcp 10.0.0.2:51234 -> 10.0.0.1:22" (IPv6 addresses in brackets:
 * "tcp [2001:db8::2]:51234 -> [2001:db8::1]:22"; ICMP without ports). */
/* Add the inbound TCP sessions that the host's sockets have but the
 * conntrack list lacks (sock_diag; see sockets.c for why), as entries with
 * id 0, state ESTABLISHED. */
int bs_sockets_add_inbound_tcp(bs_conn **conns, size_t *n_conns);
/* The inode of this namespace's ESTABLISHED TCP socket with exactly this
 * local and remote end (sock_diag), as /proc/PID/fd shows it
 * ("socket:[INODE]"). IPv4 also finds a dual-stack IPv6 socket talking
 * IPv4. ifindex: the interface of a link-local address (0: none).
 * -ENOENT: no such socket. */
int bs_sockets_tcp_established_inode(bs_family family, const uint8_t local[16], uint16_t lport,
                                     const uint8_t remote[16], uint16_t rport, unsigned ifindex, uint64_t *ret_inode);
/* The connections the daemon judges: the conntrack table plus those. */
int bs_connections_dump(bs_conn **ret, size_t *ret_n);

#define BS_CONN_STRING_MAX 128
void bs_conn_format(const bs_conn *c, char buf[static BS_CONN_STRING_MAX]);
/* "ESTABLISHED", "SYN_SENT", ... ("" for no TCP state). */
const char *bs_tcp_state_to_string(const bs_conn *c) _pure_;
/* "tcp", "udp", "icmp", "ipv6-icmp", or the number. */
const char *bs_proto_to_string(uint8_t proto, char buf[static 8]);

/* ---------------------------------------------------------------- events */

typedef enum bs_ct_event_kind {
        BS_CT_EVENT_NEW,
        BS_CT_EVENT_UPDATE,
        BS_CT_EVENT_DESTROY,
        /* The kernel dropped events (ENOBUFS): our view is stale; dump again. */
        BS_CT_EVENT_RESYNC,
} bs_ct_event_kind;

/* conn is NULL for BS_CT_EVENT_RESYNC. A negative return stops processing
 * and is returned by bs_ct_events_process. */
typedef int (*bs_ct_event_fn)(bs_ct_event_kind kind, const bs_conn *conn, void *userdata);

typedef struct bs_ct_events bs_ct_events;

/* Subscribe to new/update/destroy events (both families) on a handle of
 * its own, whose socket is non-blocking. */
int bs_ct_events_open(bs_ct_events **ret);
/* The socket to watch for EPOLLIN (e.g. with sd_event_add_io). */
int bs_ct_events_fd(const bs_ct_events *e) _pure_;
/* Read every event available now and call cb for each; returns the number
 * of events delivered (0 when nothing was pending), or -errno. A lost-
 * events condition is delivered as BS_CT_EVENT_RESYNC and is not an error. */
int bs_ct_events_process(bs_ct_events *e, bs_ct_event_fn cb, void *userdata);
void bs_ct_events_free(bs_ct_events *e);
static inline void bs_ct_events_freep(bs_ct_events **e) {
        if (*e)
                bs_ct_events_free(*e);
}
#define _cleanup_ct_events_ _cleanup_(bs_ct_events_freep)
