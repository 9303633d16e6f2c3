/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "conntrack.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <libnetfilter_conntrack/libnetfilter_conntrack.h>

static bool has_ports(uint8_t proto) {
        return proto == IPPROTO_TCP || proto == IPPROTO_UDP || proto == IPPROTO_UDPLITE ||
               proto == IPPROTO_SCTP || proto == IPPROTO_DCCP;
}

/* Fill *c from a libnetfilter_conntrack object. -EAFNOSUPPORT for a
 * family other than IPv4/IPv6 (skipped by the callers). */
static int conn_from_ct(const struct nf_conntrack *ct, bs_conn *c) {
        memset(c, 0, sizeof(*c));
        uint8_t l3 = nfct_get_attr_u8(ct, ATTR_L3PROTO);
        if (l3 == AF_INET) {
                c->family = BS_FAMILY_IPV4;
                uint32_t a;
                a = nfct_get_attr_u32(ct, ATTR_IPV4_SRC);
                memcpy(c->orig.src, &a, 4);
                a = nfct_get_attr_u32(ct, ATTR_IPV4_DST);
                memcpy(c->orig.dst, &a, 4);
                a = nfct_get_attr_u32(ct, ATTR_REPL_IPV4_SRC);
                memcpy(c->reply.src, &a, 4);
                a = nfct_get_attr_u32(ct, ATTR_REPL_IPV4_DST);
                memcpy(c->reply.dst, &a, 4);
        } else if (l3 == AF_INET6) {
                c->family = BS_FAMILY_IPV6;
                static const struct {
                        int attr;
                        size_t off;
                } v6[] = {
                        { ATTR_IPV6_SRC, offsetof(bs_conn, orig.src) },
                        { ATTR_IPV6_DST, offsetof(bs_conn, orig.dst) },
                        { ATTR_REPL_IPV6_SRC, offsetof(bs_conn, reply.src) },
                        { ATTR_REPL_IPV6_DST, offsetof(bs_conn, reply.dst) },
                };
                for (size_t i = 0; i < ELEMENTSOF(v6); i++) {
                        const void *p = nfct_get_attr(ct, v6[i].attr);
                        if (p)
                                memcpy((uint8_t *) c + v6[i].off, p, 16);
                }
        } else
                return -EAFNOSUPPORT;

        c->l4proto = nfct_get_attr_u8(ct, ATTR_L4PROTO);
        if (has_ports(c->l4proto)) {
                c->orig.sport = ntohs(nfct_get_attr_u16(ct, ATTR_PORT_SRC));
                c->orig.dport = ntohs(nfct_get_attr_u16(ct, ATTR_PORT_DST));
                c->reply.sport = ntohs(nfct_get_attr_u16(ct, ATTR_REPL_PORT_SRC));
                c->reply.dport = ntohs(nfct_get_attr_u16(ct, ATTR_REPL_PORT_DST));
        } else if (c->l4proto == IPPROTO_ICMP || c->l4proto == IPPROTO_ICMPV6) {
                c->icmp_type = nfct_get_attr_u8(ct, ATTR_ICMP_TYPE);
                c->icmp_code = nfct_get_attr_u8(ct, ATTR_ICMP_CODE);
                c->icmp_id = ntohs(nfct_get_attr_u16(ct, ATTR_ICMP_ID));
        }
        if (c->l4proto == IPPROTO_TCP && nfct_attr_is_set(ct, ATTR_TCP_STATE) > 0) {
                c->has_tcp_state = true;
                c->tcp_state = nfct_get_attr_u8(ct, ATTR_TCP_STATE);
        }
        if (nfct_attr_is_set(ct, ATTR_STATUS) > 0)
                c->status = nfct_get_attr_u32(ct, ATTR_STATUS);
        if (nfct_attr_is_set(ct, ATTR_MARK) > 0)
                c->mark = nfct_get_attr_u32(ct, ATTR_MARK);
        if (nfct_attr_is_set(ct, ATTR_ID) > 0)
                c->id = nfct_get_attr_u32(ct, ATTR_ID);
        if (nfct_attr_is_set(ct, ATTR_TIMESTAMP_START) > 0) {
                c->has_start = true;
                c->start_ns = nfct_get_attr_u64(ct, ATTR_TIMESTAMP_START);
        }
        return 0;
}

/* ---------------------------------------------------------------- dump */

typedef struct dump_ctx {
        bs_conn *conns;
        size_t n, cap;
        int error;
} dump_ctx;

static int dump_cb(enum nf_conntrack_msg_type type, struct nf_conntrack *ct, void *data) {
        dump_ctx *d = data;
        bs_conn c;
        if (conn_from_ct(ct, &c) < 0)
                return NFCT_CB_CONTINUE;
        if (d->n >= BS_CONNS_MAX) {
                d->error = -E2BIG;
                return NFCT_CB_STOP;
        }
        int r = bs_grow((void **) &d->conns, &d->cap, d->n + 1, sizeof(bs_conn));
        if (r < 0) {
                d->error = r;
                return NFCT_CB_STOP;
        }
        d->conns[d->n++] = c;
        return NFCT_CB_CONTINUE;
}

static void nfct_closep(struct nfct_handle **h) {
        if (*h)
                nfct_close(*h);
}

/* How many connections this network namespace tracks (the sysctl is per
 * namespace); 0 when nf_conntrack is not loaded. -errno when unreadable. */
static int conntrack_count(unsigned long *ret) {
        _cleanup_close_ int fd = open("/proc/sys/net/netfilter/nf_conntrack_count", O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
                if (errno != ENOENT)
                        return -errno;
                *ret = 0;
                return 0;
        }
        char buf[32];
        ssize_t k = read(fd, buf, sizeof(buf) - 1);
        if (k <= 0)
                return k < 0 ? -errno : -EIO;
        buf[k] = '\0';
        char *end;
        errno = 0;
        unsigned long v = strtoul(buf, &end, 10);
        if (errno != 0 || end == buf || (*end != '\n' && *end != '\0'))
                return -EBADMSG;
        *ret = v;
        return 0;
}

int bs_conntrack_dump(bs_conn **ret, size_t *ret_n) {
        /* The kernel's dump walks the whole conntrack hash, which all
         * namespaces share (262,144 buckets on most hosts: ~5 ms even when
         * this namespace has nothing in it). Nothing tracked here: nothing to
         * walk for. */
        unsigned long count = 0;
        if (conntrack_count(&count) == 0 && count == 0) {
                *ret = NULL;
                *ret_n = 0;
                return 0;
        }

        _cleanup_(nfct_closep) struct nfct_handle *h = nfct_open(CONNTRACK, 0);
        if (!h)
                return errno > 0 ? -errno : -EIO;

        dump_ctx d = { 0 };
        if (nfct_callback_register(h, NFCT_T_ALL, dump_cb, &d) < 0)
                return errno > 0 ? -errno : -EIO;
        uint32_t family = AF_UNSPEC;
        int r = nfct_query(h, NFCT_Q_DUMP, &family);
        if (r < 0 || d.error < 0) {
                int err = d.error < 0 ? d.error : (errno > 0 ? -errno : -EIO);
                free(d.conns);
                return err;
        }
        *ret = d.conns;
        *ret_n = d.n;
        return 0;
}

/* ---------------------------------------------------------------- text */

const char *bs_proto_to_string(uint8_t proto, char buf[static 8]) {
        switch (proto) {
        case IPPROTO_TCP:
                return "tcp";
        case IPPROTO_UDP:
                return "udp";
        case IPPROTO_UDPLITE:
                return "udplite";
        case IPPROTO_SCTP:
                return "sctp";
        case IPPROTO_DCCP:
                return "dccp";
        case IPPROTO_ICMP:
                return "icmp";
        case IPPROTO_ICMPV6:
                return "ipv6-icmp";
        default:
                snprintf(buf, 8, "%u", proto);
                return buf;
        }
}

static void format_endpoint(char *out, size_t n, bs_family f, const uint8_t *addr, uint16_t port, bool with_port) {
        char a[INET6_ADDRSTRLEN];
        inet_ntop(f == BS_FAMILY_IPV6 ? AF_INET6 : AF_INET, addr, a, sizeof(a));
        if (!with_port)
                snprintf(out, n, "%s", a);
        else if (f == BS_FAMILY_IPV6)
                snprintf(out, n, "[%s]:%u", a, port);
        else
                snprintf(out, n, "%s:%u", a, port);
}

void bs_conn_format(const bs_conn *c, char buf[static BS_CONN_STRING_MAX]) {
        char p[8], s[INET6_ADDRSTRLEN + 8], d[INET6_ADDRSTRLEN + 8];
        bool ports = has_ports(c->l4proto);
        format_endpoint(s, sizeof(s), c->family, c->orig.src, c->orig.sport, ports);
        format_endpoint(d, sizeof(d), c->family, c->orig.dst, c->orig.dport, ports);
        snprintf(buf, BS_CONN_STRING_MAX, "%s %s -> %s", bs_proto_to_string(c->l4proto, p), s, d);
}

const char *bs_tcp_state_to_string(const bs_conn *c) {
        static const char *const names[] = {
                [BS_TCP_STATE_NONE] = "NONE",           [BS_TCP_STATE_SYN_SENT] = "SYN_SENT",
                [BS_TCP_STATE_SYN_RECV] = "SYN_RECV",   [BS_TCP_STATE_ESTABLISHED] = "ESTABLISHED",
                [BS_TCP_STATE_FIN_WAIT] = "FIN_WAIT",   [BS_TCP_STATE_CLOSE_WAIT] = "CLOSE_WAIT",
                [BS_TCP_STATE_LAST_ACK] = "LAST_ACK",   [BS_TCP_STATE_TIME_WAIT] = "TIME_WAIT",
                [BS_TCP_STATE_CLOSE] = "CLOSE",         [BS_TCP_STATE_SYN_SENT2] = "SYN_SENT2",
        };
        if (!c->has_tcp_state)
                return "";
        return c->tcp_state < ELEMENTSOF(names) ? names[c->tcp_state] : "UNKNOWN";
}

/* ---------------------------------------------------------------- events */

struct bs_ct_events {
        struct nfct_handle *h;
        bs_ct_event_fn cb;
        void *userdata;
        int error;
        int delivered;
};

static int event_cb(enum nf_conntrack_msg_type type, struct nf_conntrack *ct, void *data) {
        bs_ct_events *e = data;
        bs_conn c;
        if (conn_from_ct(ct, &c) < 0)
                return NFCT_CB_CONTINUE;
        bs_ct_event_kind k = type == NFCT_T_NEW      ? BS_CT_EVENT_NEW
                             : type == NFCT_T_DESTROY ? BS_CT_EVENT_DESTROY
                                                      : BS_CT_EVENT_UPDATE;
        int r = e->cb(k, &c, e->userdata);
        e->delivered++;
        if (r < 0) {
                e->error = r;
                return NFCT_CB_STOP;
        }
        return NFCT_CB_CONTINUE;
}

int bs_ct_events_open(bs_ct_events **ret) {
        bs_ct_events *e = calloc(1, sizeof(*e));
        if (!e)
                return -ENOMEM;
        e->h = nfct_open(CONNTRACK, NFCT_ALL_CT_GROUPS);
        if (!e->h) {
                int err = errno > 0 ? -errno : -EIO;
                free(e);
                return err;
        }
        int fd = nfct_fd(e->h);
        int fl = fcntl(fd, F_GETFL);
        if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0 ||
            nfct_callback_register(e->h, NFCT_T_ALL, event_cb, e) < 0) {
                int err = errno > 0 ? -errno : -EIO;
                bs_ct_events_free(e);
                return err;
        }
        *ret = e;
        return 0;
}

int bs_ct_events_fd(const bs_ct_events *e) {
        return nfct_fd(e->h);
}

int bs_ct_events_process(bs_ct_events *e, bs_ct_event_fn cb, void *userdata) {
        if (!e || !cb)
                return -EINVAL;
        e->cb = cb;
        e->userdata = userdata;
        e->error = 0;
        e->delivered = 0;

        /* nfct_catch reads until the socket would block (non-blocking),
         * a callback stops it, or an error. ENOBUFS: the kernel dropped
         * events; tell the caller and keep reading what is left. */
        for (unsigned rounds = 0; rounds < 1024; rounds++) {
                errno = 0;
                int r = nfct_catch(e->h);
                if (e->error < 0)
                        return e->error;
                if (r >= 0)
                        continue; /* NFCT_CB_STOP from the library itself: read on */
                if (errno == EAGAIN || errno == EWOULDBLOCK)
                        return e->delivered;
                if (errno == EINTR)
                        continue;
                if (errno == ENOBUFS) {
                        int k = cb(BS_CT_EVENT_RESYNC, NULL, userdata);
                        e->delivered++;
                        if (k < 0)
                                return k;
                        continue;
                }
                return errno > 0 ? -errno : -EIO;
        }
        /* Still data after many rounds: give the event loop a turn; the fd stays readable. */
        return e->delivered;
}

void bs_ct_events_free(bs_ct_events *e) {
        if (!e)
                return;
        if (e->h)
                nfct_close(e->h);
        free(e);
}
