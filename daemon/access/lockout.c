/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "lockout.h"

#include <netinet/in.h>
#include <stdarg.h>

#include "text.h"

#define ADDRTYPE_UNICAST (1u << 1)
#define ADDRTYPE_LOCAL (1u << 2)

/* The loopback probe, see lockout.h. */
#define LOOPBACK_SPORT 50000
#define LOOPBACK_DPORT 1

const char *bs_finding_kind_to_string(bs_finding_kind k) {
        switch (k) {
        case BS_FINDING_ESTABLISHED:
                return "established";
        case BS_FINDING_NEW_MANAGEMENT:
                return "new-management";
        case BS_FINDING_LOOPBACK:
                return "loopback";
        default:
                return "?";
        }
}

void bs_lockout_report_done(bs_lockout_report *r) {
        for (size_t i = 0; i < r->n; i++)
                if (r->findings[i].has_rule)
                        bs_rule_done(&r->findings[i].rule);
        free(r->findings);
        r->findings = NULL;
        r->n = r->cap = 0;
}

static unsigned alen(bs_family f) {
        return f == BS_FAMILY_IPV6 ? 16 : 4;
}

static uint16_t addr_type(const bs_lockout_input *in, bs_family f, const uint8_t *a) {
        bool local = bs_local_addrs_contains(in->local, f, a);
        if (f == BS_FAMILY_IPV4)
                return local ? ADDRTYPE_LOCAL : ADDRTYPE_UNICAST;
        return local ? ADDRTYPE_LOCAL | ADDRTYPE_UNICAST : ADDRTYPE_UNICAST;
}

/* The interface a packet from `remote` arrives on, and our packets to it leave by. */
static void set_iface(const bs_lockout_input *in, bs_packet *p, bs_family f, const uint8_t *remote) {
        const char *ifname = bs_local_addrs_iface_for(in->local, f, remote);
        bs_iface_knowledge k = ifname ? BS_IFACE_KNOWN : BS_IFACE_NOT_LOOPBACK;
        if (p->hook == BS_HOOK_INPUT) {
                p->in_known = k;
                snprintf(p->in_iface, sizeof(p->in_iface), "%s", ifname ? ifname : "");
        } else {
                p->out_known = k;
                snprintf(p->out_iface, sizeof(p->out_iface), "%s", ifname ? ifname : "");
        }
}

/* A packet from (src, sport) to (dst, dport); `remote` is the peer's address. */
static bs_packet make_packet(const bs_lockout_input *in, bs_family f, bs_hook hook, uint8_t proto,
                             const uint8_t *src, uint16_t sport, const uint8_t *dst, uint16_t dport,
                             bs_ctstate st, bs_ctdir dir, bool snat, bool dnat, const uint8_t *remote) {
        bs_packet p = { 0 };
        p.family = f;
        p.hook = hook;
        p.proto = proto;
        memcpy(p.src, src, alen(f));
        memcpy(p.dst, dst, alen(f));
        p.sport = sport;
        p.dport = dport;
        if (proto == IPPROTO_TCP)
                p.tcp_flags = st == BS_CTSTATE_NEW ? BS_TCP_SYN : BS_TCP_ACK;
        p.ctstate = st;
        p.ctdir = dir;
        p.nat_known = true;
        p.snat = snat;
        p.dnat = dnat;
        p.src_type = addr_type(in, f, src);
        p.dst_type = addr_type(in, f, dst);
        set_iface(in, &p, f, remote);
        return p;
}

static const bs_table *table_for(const bs_lockout_input *in, bs_family f) {
        return f == BS_FAMILY_IPV6 ? in->v6 : in->v4;
}

/* Evaluate the packets in order; the first that is not accepted makes a finding. */
static int judge_packets(const bs_lockout_input *in, bs_lockout_report *rep, bs_finding_kind kind,
                         const bs_conn *conn, const bs_packet *pk, size_t n) {
        const bs_table *t = table_for(in, conn->family);
        for (size_t i = 0; i < n; i++) {
                bs_eval_result res;
                int r = bs_eval(t, &pk[i], &res, NULL, NULL);
                if (r < 0)
                        return r;
                if (res.verdict == BS_VERDICT_ACCEPT)
                        continue;

                r = bs_grow((void **) &rep->findings, &rep->cap, rep->n + 1, sizeof(bs_finding));
                if (r < 0)
                        return r;
                bs_finding *f = &rep->findings[rep->n];
                memset(f, 0, sizeof(*f));
                f->kind = kind;
                f->family = conn->family;
                f->conn = *conn;
                bs_conn_format(conn, f->connection);
                f->hook = pk[i].hook;
                f->verdict = res.verdict;
                snprintf(f->chain, sizeof(f->chain), "%s", res.chain);
                f->position = res.position;
                snprintf(f->reason, sizeof(f->reason), "%s", res.reason);
                if (res.rule) {
                        r = bs_rule_copy(&f->rule, res.rule);
                        if (r < 0)
                                return r;
                        f->has_rule = true;
                }
                rep->n++;
                return 0;
        }
        return 0;
}

static bool conn_is_established(const bs_conn *c) {
        if (c->l4proto == IPPROTO_TCP)
                return c->has_tcp_state && c->tcp_state == BS_TCP_STATE_ESTABLISHED;
        if (c->l4proto == IPPROTO_ICMP || c->l4proto == IPPROTO_ICMPV6)
                return false; /* echo exchanges are not sessions */
        return c->status & BS_CT_STATUS_SEEN_REPLY;
}

/* Inbound: the (post-DNAT) destination, i.e. the reply's source, is ours. */
static bool conn_is_inbound(const bs_lockout_input *in, const bs_conn *c) {
        return bs_local_addrs_contains(in->local, c->family, c->reply.src);
}

static int check_established(const bs_lockout_input *in, bs_lockout_report *rep, const bs_conn *c) {
        bool snat = c->status & BS_CT_STATUS_SRC_NAT, dnat = c->status & BS_CT_STATUS_DST_NAT;
        /* At filter INPUT the packet is past DNAT: it goes to the reply's source. */
        bs_packet pk[2] = {
                make_packet(in, c->family, BS_HOOK_INPUT, c->l4proto, c->orig.src, c->orig.sport, c->reply.src,
                            c->reply.sport, BS_CTSTATE_ESTABLISHED, BS_CTDIR_ORIGINAL, snat, dnat, c->orig.src),
                make_packet(in, c->family, BS_HOOK_OUTPUT, c->l4proto, c->reply.src, c->reply.sport, c->reply.dst,
                            c->reply.dport, BS_CTSTATE_ESTABLISHED, BS_CTDIR_REPLY, snat, dnat, c->reply.dst),
        };
        return judge_packets(in, rep, BS_FINDING_ESTABLISHED, c, pk, 2);
}

typedef struct probe_key {
        bs_family family;
        uint8_t client[16], server[16];
        uint16_t sport;
} probe_key;

static int add_key(probe_key **keys, size_t *n, size_t *cap, const probe_key *k) {
        for (size_t i = 0; i < *n; i++)
                if ((*keys)[i].family == k->family && memcmp((*keys)[i].client, k->client, 16) == 0 &&
                    memcmp((*keys)[i].server, k->server, 16) == 0)
                        return 0;
        int r = bs_grow((void **) keys, cap, *n + 1, sizeof(probe_key));
        if (r < 0)
                return r;
        (*keys)[(*n)++] = *k;
        return 0;
}

static int check_new_management(const bs_lockout_input *in, bs_lockout_report *rep, const probe_key *k) {
        for (size_t i = 0; i < in->ports->n; i++) {
                const bs_l4port *mp = &in->ports->ports[i];
                bs_conn c = { 0 };
                c.family = k->family;
                c.l4proto = mp->proto;
                memcpy(c.orig.src, k->client, 16);
                memcpy(c.orig.dst, k->server, 16);
                c.orig.sport = k->sport;
                c.orig.dport = mp->port;
                c.reply = (bs_ct_tuple){ .sport = mp->port, .dport = k->sport };
                memcpy(c.reply.src, k->server, 16);
                memcpy(c.reply.dst, k->client, 16);
                bs_packet pk[2] = {
                        make_packet(in, k->family, BS_HOOK_INPUT, mp->proto, k->client, k->sport, k->server, mp->port,
                                    BS_CTSTATE_NEW, BS_CTDIR_ORIGINAL, false, false, k->client),
                        make_packet(in, k->family, BS_HOOK_OUTPUT, mp->proto, k->server, mp->port, k->client, k->sport,
                                    BS_CTSTATE_ESTABLISHED, BS_CTDIR_REPLY, false, false, k->client),
                };
                if (mp->proto == IPPROTO_TCP)
                        pk[1].tcp_flags = BS_TCP_SYN | BS_TCP_ACK;
                int r = judge_packets(in, rep, BS_FINDING_NEW_MANAGEMENT, &c, pk, 2);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int check_loopback(const bs_lockout_input *in, bs_lockout_report *rep, bs_family f) {
        uint8_t lo[16] = { 0 };
        if (f == BS_FAMILY_IPV4) {
                lo[0] = 127;
                lo[3] = 1;
        } else
                lo[15] = 1;
        bs_conn c = { 0 };
        c.family = f;
        c.l4proto = IPPROTO_TCP;
        memcpy(c.orig.src, lo, 16);
        memcpy(c.orig.dst, lo, 16);
        memcpy(c.reply.src, lo, 16);
        memcpy(c.reply.dst, lo, 16);
        c.orig.sport = c.reply.dport = LOOPBACK_SPORT;
        c.orig.dport = c.reply.sport = LOOPBACK_DPORT;
        bs_packet pk[4] = {
                make_packet(in, f, BS_HOOK_OUTPUT, IPPROTO_TCP, lo, LOOPBACK_SPORT, lo, LOOPBACK_DPORT, BS_CTSTATE_NEW,
                            BS_CTDIR_ORIGINAL, false, false, lo),
                make_packet(in, f, BS_HOOK_INPUT, IPPROTO_TCP, lo, LOOPBACK_SPORT, lo, LOOPBACK_DPORT, BS_CTSTATE_NEW,
                            BS_CTDIR_ORIGINAL, false, false, lo),
                make_packet(in, f, BS_HOOK_INPUT, IPPROTO_TCP, lo, LOOPBACK_SPORT, lo, LOOPBACK_DPORT,
                            BS_CTSTATE_ESTABLISHED, BS_CTDIR_ORIGINAL, false, false, lo),
                make_packet(in, f, BS_HOOK_OUTPUT, IPPROTO_TCP, lo, LOOPBACK_DPORT, lo, LOOPBACK_SPORT,
                            BS_CTSTATE_ESTABLISHED, BS_CTDIR_REPLY, false, false, lo),
        };
        return judge_packets(in, rep, BS_FINDING_LOOPBACK, &c, pk, ELEMENTSOF(pk));
}

int bs_lockout_check(const bs_lockout_input *in, bs_lockout_report *ret) {
        if (!in || !ret || !in->ports || (in->n_conns > 0 && !in->conns))
                return -EINVAL;
        if ((in->v4 && in->v4->family != BS_FAMILY_IPV4) || (in->v6 && in->v6->family != BS_FAMILY_IPV6))
                return -EINVAL;

        bs_lockout_report rep = { 0 };
        _cleanup_free_ probe_key *keys = NULL;
        size_t n_keys = 0, cap_keys = 0;
        int r = 0;

        for (size_t i = 0; i < in->n_conns; i++) {
                const bs_conn *c = &in->conns[i];
                if (!table_for(in, c->family) || !conn_is_inbound(in, c))
                        continue;
                /* Clients that reach a management port get the NEW probe, even
                 * while their connection is still being set up. */
                if (bs_mgmt_ports_contains(in->ports, c->l4proto, c->reply.sport) &&
                    !bs_addr_is_loopback(c->family, c->orig.src)) {
                        probe_key k = { .family = c->family, .sport = c->orig.sport };
                        memcpy(k.client, c->orig.src, 16);
                        memcpy(k.server, c->reply.src, 16);
                        r = add_key(&keys, &n_keys, &cap_keys, &k);
                        if (r < 0)
                                goto fail;
                }
                if (!conn_is_established(c))
                        continue;
                r = check_established(in, &rep, c);
                if (r < 0)
                        goto fail;
        }

        if (in->ssh && table_for(in, in->ssh->family)) {
                probe_key k = { .family = in->ssh->family, .sport = in->ssh->client_port };
                memcpy(k.client, in->ssh->client, 16);
                memcpy(k.server, in->ssh->server, 16);
                r = add_key(&keys, &n_keys, &cap_keys, &k);
                if (r < 0)
                        goto fail;
        }
        for (size_t i = 0; i < n_keys; i++) {
                r = check_new_management(in, &rep, &keys[i]);
                if (r < 0)
                        goto fail;
        }

        static const bs_family fams[] = { BS_FAMILY_IPV4, BS_FAMILY_IPV6 };
        for (size_t i = 0; i < ELEMENTSOF(fams); i++) {
                if (!table_for(in, fams[i]))
                        continue;
                r = check_loopback(in, &rep, fams[i]);
                if (r < 0)
                        goto fail;
        }
        *ret = rep;
        return 0;
fail:
        bs_lockout_report_done(&rep);
        return r;
}

/* ---------------------------------------------------------------- message */

static const char *target_word(const bs_rule *r) {
        const char *name = bs_target_name(&r->target);
        return name ? name : "no target";
}

static int append(char **buf, size_t *len, const char *fmt, ...) _printf_(3, 4);
static int append(char **buf, size_t *len, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        char *s = NULL;
        int k = vasprintf(&s, fmt, ap);
        va_end(ap);
        if (k < 0)
                return -ENOMEM;
        char *n = realloc(*buf, *len + (size_t) k + 1);
        if (!n) {
                free(s);
                return -ENOMEM;
        }
        memcpy(n + *len, s, (size_t) k + 1);
        free(s);
        *buf = n;
        *len += (size_t) k;
        return 0;
}

char *bs_lockout_render_rule(const bs_rule *r) {
        bs_buf b = { 0 };
        if (bs_render_rule(r, &b) < 0) {
                bs_buf_done(&b);
                return NULL;
        }
        return b.data; /* the buffer's string, now the caller's */
}

int bs_lockout_format(const bs_lockout_report *rep, bs_rule_render_fn render, bool with_connections, char **ret) {
        if (!rep || rep->n == 0)
                return -ENODATA;
        _cleanup_free_ char *buf = NULL;
        size_t len = 0;
        int r = append(&buf, &len, "this change would cut off %zu connection%s: ", rep->n, rep->n == 1 ? "" : "s");
        for (size_t i = 0; r >= 0 && i < rep->n; i++) {
                const bs_finding *f = &rep->findings[i];
                const char *kind = f->kind == BS_FINDING_ESTABLISHED    ? "established"
                                   : f->kind == BS_FINDING_NEW_MANAGEMENT ? "new management"
                                                                          : "loopback";
                r = append(&buf, &len, "%s%s (%s%s)", i ? "; " : "", with_connections ? f->connection : "a connection",
                           kind, f->hook == BS_HOOK_OUTPUT ? ", our replies" : "");
                if (r < 0)
                        break;
                if (f->verdict == BS_VERDICT_UNCERTAIN) {
                        r = append(&buf, &len, " cannot be judged at rule %u of %s: %s", f->position, f->chain, f->reason);
                        continue;
                }
                if (!f->has_rule) {
                        r = append(&buf, &len, " by policy %s of %s", bs_verdict_to_string(f->verdict), f->chain);
                        continue;
                }
                _cleanup_free_ char *text = render ? render(&f->rule) : bs_lockout_render_rule(&f->rule);
                if (text)
                        r = append(&buf, &len, " by rule %u of %s (%s)", f->position, f->chain, text);
                else
                        r = append(&buf, &len, " by rule %u of %s (-j %s)", f->position, f->chain, target_word(&f->rule));
        }
        if (r < 0)
                return r;
        *ret = TAKE_PTR(buf);
        return 0;
}
