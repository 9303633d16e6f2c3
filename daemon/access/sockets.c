/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Inbound TCP sessions as the host's own sockets see them (sock_diag).
 *
 * Why: connection tracking only runs in a network namespace once some rule
 * needs it. On a host whose rules use no conntrack match yet — exactly the
 * host about to get its first default-deny — the conntrack table is empty,
 * and a pre-flight reading only conntrack would not see the admin's SSH
 * session it is about to cut. The kernel's socket table always has it. */
#include "conntrack.h"

#include <arpa/inet.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#define TCPF(s) (1u << (s))

typedef struct diag_sock {
        bs_family family;
        uint8_t local[16], remote[16];
        uint16_t lport, rport;
        uint8_t state;
        uint32_t inode;
} diag_sock;

/* A v4-mapped IPv6 address (a dual-stack socket talking IPv4) is IPv4. */
static void sock_normalize(diag_sock *s) {
        static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
        if (s->family != BS_FAMILY_IPV6 || memcmp(s->local, mapped, 12) != 0 || memcmp(s->remote, mapped, 12) != 0)
                return;
        memmove(s->local, s->local + 12, 4);
        memset(s->local + 4, 0, 12);
        memmove(s->remote, s->remote + 12, 4);
        memset(s->remote + 4, 0, 12);
        s->family = BS_FAMILY_IPV4;
}

/* Reads sock_diag answers into socks until the kernel's NLMSG_DONE (a
 * dump) or the first datagram (a lookup, which answers one message or an
 * error). An NLMSG_ERROR is returned as it is. */
static int receive_sockets(int fd, bool dump, diag_sock **socks, size_t *n, size_t *cap) {
        _cleanup_free_ char *buf = malloc(32768);
        if (!buf)
                return -ENOMEM;
        for (;;) {
                ssize_t len = recv(fd, buf, 32768, 0);
                if (len < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (len == 0)
                        return -EPROTO;
                for (struct nlmsghdr *h = (struct nlmsghdr *) buf; NLMSG_OK(h, (size_t) len);
                     h = NLMSG_NEXT(h, len)) {
                        if (h->nlmsg_type == NLMSG_DONE)
                                return 0;
                        if (h->nlmsg_type == NLMSG_ERROR) {
                                const struct nlmsgerr *e = NLMSG_DATA(h);
                                if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*e)))
                                        return -EPROTO;
                                return e->error;
                        }
                        if ((h->nlmsg_type != TCPDIAG_GETSOCK && h->nlmsg_type != SOCK_DIAG_BY_FAMILY) ||
                            h->nlmsg_len < NLMSG_LENGTH(sizeof(struct inet_diag_msg)))
                                continue;
                        const struct inet_diag_msg *d = NLMSG_DATA(h);
                        if (d->idiag_family != AF_INET && d->idiag_family != AF_INET6)
                                continue;
                        if (*n >= BS_CONNS_MAX)
                                return -E2BIG;
                        int r = bs_grow((void **) socks, cap, *n + 1, sizeof(diag_sock));
                        if (r < 0)
                                return r;
                        diag_sock *s = &(*socks)[(*n)++];
                        memset(s, 0, sizeof(*s));
                        s->family = d->idiag_family == AF_INET6 ? BS_FAMILY_IPV6 : BS_FAMILY_IPV4;
                        size_t alen = s->family == BS_FAMILY_IPV6 ? 16 : 4;
                        memcpy(s->local, d->id.idiag_src, alen);
                        memcpy(s->remote, d->id.idiag_dst, alen);
                        s->lport = ntohs(d->id.idiag_sport);
                        s->rport = ntohs(d->id.idiag_dport);
                        s->state = d->idiag_state;
                        s->inode = d->idiag_inode;
                        sock_normalize(s);
                }
                if (!dump)
                        return 0;
        }
}

/* One dump of the TCP sockets in `states`, of both families. The request
 * is the original TCPDIAG_GETSOCK form: the kernel answers it for every
 * family at once, in one walk of its socket hash, where SOCK_DIAG_BY_FAMILY
 * needs one request, and one walk, per family. That hash is the host's, all
 * namespaces share it, and walking it is most of the cost (about 0.3 ms on
 * a 24 GiB machine). */
static int dump_sockets(int fd, uint32_t states, diag_sock **socks, size_t *n, size_t *cap) {
        struct {
                struct nlmsghdr nlh;
                struct inet_diag_req req;
        } msg = {
                .nlh = { .nlmsg_len = sizeof(msg), .nlmsg_type = TCPDIAG_GETSOCK,
                         .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP, .nlmsg_seq = 1 },
                .req = { .idiag_family = AF_INET, .idiag_states = states },
        };
        struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
        if (sendto(fd, &msg, sizeof(msg), 0, (struct sockaddr *) &kernel, sizeof(kernel)) < 0)
                return -errno;
        int r = receive_sockets(fd, true, socks, n, cap);
        /* no TCP socket diagnostics in this kernel: nothing to list */
        return r == -ENOENT || r == -EAFNOSUPPORT ? 0 : r;
}

int bs_sockets_tcp_established_inode(bs_family family, const uint8_t local[16], uint16_t lport,
                                     const uint8_t remote[16], uint16_t rport, unsigned ifindex, uint64_t *ret_inode) {
        _cleanup_close_ int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
        if (fd < 0)
                return -errno;
        /* An exact lookup by 4-tuple: one hash probe, whatever the number
         * of sockets. For IPv4 the kernel's lookup also finds a dual-stack
         * IPv6 socket talking IPv4 (both live in one hash). */
        size_t alen = family == BS_FAMILY_IPV6 ? 16 : 4;
        struct {
                struct nlmsghdr nlh;
                struct inet_diag_req_v2 req;
        } msg = {
                .nlh = { .nlmsg_len = sizeof(msg), .nlmsg_type = SOCK_DIAG_BY_FAMILY,
                         .nlmsg_flags = NLM_F_REQUEST, .nlmsg_seq = 1 },
                .req = { .sdiag_family = family == BS_FAMILY_IPV6 ? AF_INET6 : AF_INET,
                         .sdiag_protocol = IPPROTO_TCP,
                         .idiag_states = TCPF(TCP_ESTABLISHED),
                         .id = { .idiag_sport = htons(lport), .idiag_dport = htons(rport), .idiag_if = ifindex,
                                 .idiag_cookie = { INET_DIAG_NOCOOKIE, INET_DIAG_NOCOOKIE } } },
        };
        memcpy(msg.req.id.idiag_src, local, alen);
        memcpy(msg.req.id.idiag_dst, remote, alen);
        struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
        if (sendto(fd, &msg, sizeof(msg), 0, (struct sockaddr *) &kernel, sizeof(kernel)) < 0)
                return -errno;
        _cleanup_free_ diag_sock *socks = NULL;
        size_t n = 0, cap = 0;
        int r = receive_sockets(fd, false, &socks, &n, &cap);
        if (r < 0)
                return r;
        /* Without an established match the kernel's lookup falls back to
         * a listener (or answers a request or time-wait socket): only the
         * exact established socket counts. */
        for (size_t i = 0; i < n; i++) {
                const diag_sock *s = &socks[i];
                if (s->state == TCP_ESTABLISHED && s->family == family && memcmp(s->local, local, alen) == 0 &&
                    s->lport == lport && memcmp(s->remote, remote, alen) == 0 && s->rport == rport &&
                    s->inode != 0) {
                        *ret_inode = s->inode;
                        return 0;
                }
        }
        return -ENOENT;
}

static bool conn_matches_sock(const bs_conn *c, const diag_sock *s) {
        /* The reply tuple is what the server's socket sees (after NAT). */
        return c->family == s->family && c->l4proto == IPPROTO_TCP && memcmp(c->reply.src, s->local, 16) == 0 &&
               c->reply.sport == s->lport && memcmp(c->reply.dst, s->remote, 16) == 0 && c->reply.dport == s->rport;
}

int bs_sockets_add_inbound_tcp(bs_conn **conns, size_t *n_conns) {
        _cleanup_close_ int fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
        if (fd < 0)
                return -errno;
        _cleanup_free_ diag_sock *socks = NULL;
        size_t n = 0, cap = 0;
        /* Listeners first: their table is small and dumping it does not
         * walk the established hash. Inbound means accepted by a listener
         * (below), so with none there is nothing inbound to look for. */
        int r = dump_sockets(fd, TCPF(TCP_LISTEN), &socks, &n, &cap);
        if (r < 0)
                return r;
        if (n == 0)
                return 0;
        r = dump_sockets(fd, TCPF(TCP_ESTABLISHED), &socks, &n, &cap);
        if (r < 0)
                return r;

        size_t cap_conns = *n_conns;
        for (size_t i = 0; i < n; i++) {
                const diag_sock *s = &socks[i];
                if (s->state != TCP_ESTABLISHED)
                        continue;
                /* Inbound: something on this host listens on the local port
                 * (an accepted connection); outbound ones use ephemeral ports. */
                bool listened = false;
                for (size_t j = 0; j < n && !listened; j++)
                        listened = socks[j].state == TCP_LISTEN && socks[j].lport == s->lport;
                if (!listened)
                        continue;
                bool known = false;
                for (size_t j = 0; j < *n_conns && !known; j++)
                        known = conn_matches_sock(&(*conns)[j], s);
                if (known)
                        continue;
                if (*n_conns >= BS_CONNS_MAX)
                        return -E2BIG;
                r = bs_grow((void **) conns, &cap_conns, *n_conns + 1, sizeof(bs_conn));
                if (r < 0)
                        return r;
                bs_conn *c = &(*conns)[(*n_conns)++];
                memset(c, 0, sizeof(*c));
                c->family = s->family;
                c->l4proto = IPPROTO_TCP;
                memcpy(c->orig.src, s->remote, 16);
                memcpy(c->orig.dst, s->local, 16);
                c->orig.sport = s->rport;
                c->orig.dport = s->lport;
                c->reply = (bs_ct_tuple){ .sport = s->lport, .dport = s->rport };
                memcpy(c->reply.src, s->local, 16);
                memcpy(c->reply.dst, s->remote, 16);
                c->has_tcp_state = true;
                c->tcp_state = BS_TCP_STATE_ESTABLISHED;
                c->status = BS_CT_STATUS_SEEN_REPLY | BS_CT_STATUS_ASSURED;
                c->id = 0; /* not from conntrack */
        }
        return 0;
}

int bs_connections_dump(bs_conn **ret, size_t *ret_n) {
        _cleanup_free_ bs_conn *conns = NULL;
        size_t n = 0;
        int r = bs_conntrack_dump(&conns, &n);
        if (r < 0)
                return r;
        r = bs_sockets_add_inbound_tcp(&conns, &n);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(conns);
        *ret_n = n;
        return 0;
}
