/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The evaluator agrees with the kernel. Random (seeded) filter tables are
 * written into the firewalled namespace through the real core (the
 * table-access backend under test's restore, test-backend.h: legacy or nft), one real packet is sent from the peer (TCP SYN or an
 * invalid TCP flag set from a raw socket, UDP NEW or ESTABLISHED in either
 * direction, ICMP/ICMPv6 echo, ICMPv6 neighbour solicitation), and the
 * rules whose counters rose in the kernel must be exactly the rules the
 * evaluator says matched, in number, ending in the same verdict.
 *
 * So that stray packets cannot disturb the counters, the generated INPUT
 * chain lives in a user chain T, entered from the kernel's INPUT only for
 * packets from the peer to us; its policy is emulated by the rule after:
 *
 *   INPUT (policy ACCEPT):  -s PEER -d FW -j T ;  -s PEER -d FW -j <policy>
 *
 * (a RETURN from T, or from a chain reached by goto from T, lands on the
 * second rule, as it would land on the policy of a real INPUT).
 *
 * BACKSTOP_SEED=N replays a run; BACKSTOP_EVAL_CASES=N changes the number
 * of cases per family (default 300); BACKSTOP_DEBUG=1 also prints the
 * conntrack matches of a failing case. Exits 77 when not root. */
#include <netinet/icmp6.h>
#include <netinet/ip_icmp.h>
#include <netinet/tcp.h>
#include <poll.h>

#include "access-netns.h"
#include "eval.h"
#include "nf.h"
#include "test-backend.h"
#include "text.h"

/* the backend under test */
#define B (bs_test_backend())

static const bs_nf_options nfo = BS_NF_OPTIONS_DEFAULT;
static GRand *rnd;
static guint32 seed;
static uint8_t peer_mac[6];

static int rint_(int lo, int hi) {
        return g_rand_int_range(rnd, lo, hi + 1);
}
static bool chance(int percent) {
        return rint_(0, 99) < percent;
}
static int domain(bs_family f) {
        return f == BS_FAMILY_IPV6 ? AF_INET6 : AF_INET;
}

/* ------------------------------------------------------------ probes */

typedef enum probe_kind {
        PROBE_TCP_NEW,
        PROBE_TCP_INVALID,
        PROBE_UDP_NEW,
        PROBE_UDP_EST_REPLY,  /* we sent first: the peer's packet is a reply */
        PROBE_UDP_EST_ORIG,   /* the peer sent first and we answered */
        PROBE_ICMP_ECHO,
        PROBE_ICMP6_NS,       /* untracked */
        _PROBE_MAX,
} probe_kind;

static const char *const probe_names[] = { "tcp-new", "tcp-invalid", "udp-new", "udp-established-reply",
                                           "udp-established-original", "icmp-echo", "icmp6-ns" };

typedef struct probe {
        probe_kind kind;
        bs_family family;
        uint16_t sport, dport;
        uint8_t tcp_flags;
        uint8_t icmp_type, icmp_code;
        uint16_t echo_id;
} probe;

static const uint16_t dports[] = { 22, 80, 5000, 5001, 60000 };

static probe make_probe(bs_family f, unsigned serial) {
        probe p = { .family = f };
        do
                p.kind = (probe_kind) rint_(0, _PROBE_MAX - 1);
        while (p.kind == PROBE_ICMP6_NS && f != BS_FAMILY_IPV6);
        p.sport = (uint16_t) (20000 + serial);
        p.dport = dports[rint_(0, G_N_ELEMENTS(dports) - 1)];
        static const uint8_t ok_flags[] = { TH_SYN, TH_SYN | TH_PUSH, TH_SYN | 0x40 | 0x80, TH_SYN | TH_URG };
        static const uint8_t bad_flags[] = { TH_SYN | TH_FIN, TH_SYN | TH_RST, 0, TH_FIN };
        if (p.kind == PROBE_TCP_NEW)
                p.tcp_flags = ok_flags[rint_(0, 3)];
        else if (p.kind == PROBE_TCP_INVALID)
                p.tcp_flags = bad_flags[rint_(0, 3)];
        if (p.kind == PROBE_ICMP_ECHO) {
                if (f == BS_FAMILY_IPV6)
                        p.icmp_type = ICMP6_ECHO_REQUEST;
                else
                        p.icmp_type = chance(70) ? ICMP_ECHO : ICMP_TIMESTAMP;
                p.icmp_code = (uint8_t) (chance(70) ? 0 : rint_(1, 3));
                p.echo_id = (uint16_t) serial;
        }
        if (p.kind == PROBE_ICMP6_NS)
                p.icmp_type = ND_NEIGHBOR_SOLICIT;
        return p;
}

static uint8_t probe_proto(const probe *p) {
        switch (p->kind) {
        case PROBE_TCP_NEW:
        case PROBE_TCP_INVALID:
                return IPPROTO_TCP;
        case PROBE_UDP_NEW:
        case PROBE_UDP_EST_REPLY:
        case PROBE_UDP_EST_ORIG:
                return IPPROTO_UDP;
        default:
                return p->family == BS_FAMILY_IPV6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP;
        }
}

/* The evaluator's view of the probe as it arrives in fw's INPUT. */
static bs_packet describe(const probe *p) {
        bs_packet k = { 0 };
        k.family = p->family;
        k.hook = BS_HOOK_INPUT;
        k.in_known = BS_IFACE_KNOWN;
        strcpy(k.in_iface, "veth0");
        inet_pton(domain(p->family), p->family == BS_FAMILY_IPV6 ? PEER6 : PEER4, k.src);
        inet_pton(domain(p->family), p->family == BS_FAMILY_IPV6 ? FW6 : FW4, k.dst);
        k.proto = probe_proto(p);
        if (k.proto == IPPROTO_TCP || k.proto == IPPROTO_UDP) {
                k.sport = p->sport;
                k.dport = p->dport;
        }
        k.tcp_flags = p->tcp_flags;
        k.tcp_options_known = true; /* we send none */
        k.icmp_type = p->icmp_type;
        k.icmp_code = p->icmp_code;
        switch (p->kind) {
        case PROBE_TCP_INVALID:
                k.ctstate = BS_CTSTATE_INVALID;
                break;
        case PROBE_UDP_EST_REPLY:
                k.ctstate = BS_CTSTATE_ESTABLISHED;
                k.ctdir = BS_CTDIR_REPLY;
                break;
        case PROBE_UDP_EST_ORIG:
                k.ctstate = BS_CTSTATE_ESTABLISHED;
                k.ctdir = BS_CTDIR_ORIGINAL;
                break;
        case PROBE_ICMP6_NS:
                k.ctstate = BS_CTSTATE_UNTRACKED;
                break;
        default:
                k.ctstate = BS_CTSTATE_NEW;
                k.ctdir = BS_CTDIR_ORIGINAL;
        }
        k.nat_known = true;
        k.src_type = 1u << 1; /* unicast */
        k.dst_type = p->family == BS_FAMILY_IPV6 ? (1u << 1 | 1u << 2) : 1u << 2;
        k.mac_known = BS_MAC_KNOWN;
        memcpy(k.mac, peer_mac, 6);
        return k;
}

static uint16_t csum(const void *data, size_t len, uint32_t sum) {
        const uint8_t *b = data;
        for (size_t i = 0; i + 1 < len; i += 2)
                sum += (uint32_t) (b[i] << 8 | b[i + 1]);
        if (len & 1)
                sum += (uint32_t) (b[len - 1] << 8);
        while (sum >> 16)
                sum = (sum & 0xffff) + (sum >> 16);
        return (uint16_t) ~sum;
}

typedef struct sockets {
        int tcp4, tcp6, icmp4, icmp6;
} sockets;
static sockets raw;

static int raw_socket(bs_family f, int proto) {
        int s = ns_socket(NS.peer, domain(f), SOCK_RAW, proto);
        struct sockaddr_storage ss;
        socklen_t sl;
        ab_sockaddr(f, f == BS_FAMILY_IPV6 ? PEER6 : PEER4, 0, &ss, &sl);
        g_assert_cmpint(bind(s, (struct sockaddr *) &ss, sl), ==, 0);
        if (f == BS_FAMILY_IPV6 && proto == IPPROTO_TCP) {
                int off = 16; /* the kernel fills in the TCP checksum */
                g_assert_cmpint(setsockopt(s, IPPROTO_IPV6, IPV6_CHECKSUM, &off, sizeof(off)), ==, 0);
        }
        return s;
}

static void send_to(int s, bs_family f, const char *ip, const void *buf, size_t len) {
        struct sockaddr_storage ss;
        socklen_t sl;
        ab_sockaddr(f, ip, 0, &ss, &sl);
        if (sendto(s, buf, len, 0, (struct sockaddr *) &ss, sl) != (ssize_t) len)
                g_error("sendto: %s", g_strerror(errno));
}

static int udp_socket(int ns, bs_family f, const char *ip, uint16_t port) {
        int s = ns_socket(ns, domain(f), SOCK_DGRAM, 0);
        int one = 1;
        setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        struct sockaddr_storage ss;
        socklen_t sl;
        ab_sockaddr(f, ip, port, &ss, &sl);
        if (bind(s, (struct sockaddr *) &ss, sl) < 0)
                g_error("bind udp %s:%u: %s", ip, port, g_strerror(errno));
        return s;
}

static void udp_send(int s, bs_family f, const char *ip, uint16_t port) {
        struct sockaddr_storage ss;
        socklen_t sl;
        ab_sockaddr(f, ip, port, &ss, &sl);
        g_assert_cmpint(sendto(s, "probe", 5, 0, (struct sockaddr *) &ss, sl), ==, 5);
}

/* Conntrack state the probe needs, made while everything is accepted.
 * Returns sockets to close after the probe. */
static void setup_probe(const probe *p, int *fw_sock, int *peer_sock) {
        bs_family f = p->family;
        const char *fw = f == BS_FAMILY_IPV6 ? FW6 : FW4, *peer = f == BS_FAMILY_IPV6 ? PEER6 : PEER4;
        *fw_sock = *peer_sock = -1;
        if (p->kind == PROBE_UDP_NEW || p->kind == PROBE_UDP_EST_REPLY || p->kind == PROBE_UDP_EST_ORIG)
                *peer_sock = udp_socket(NS.peer, f, peer, p->sport);
        if (p->kind == PROBE_UDP_EST_REPLY) {
                *fw_sock = udp_socket(NS.fw, f, fw, p->dport);
                udp_send(*fw_sock, f, peer, p->sport);
        } else if (p->kind == PROBE_UDP_EST_ORIG) {
                *fw_sock = udp_socket(NS.fw, f, fw, p->dport);
                udp_send(*peer_sock, f, fw, p->dport);
                struct pollfd pf = { .fd = *fw_sock, .events = POLLIN };
                g_assert_cmpint(poll(&pf, 1, 10000), ==, 1);
                char buf[16];
                g_assert_cmpint(recv(*fw_sock, buf, sizeof(buf), 0), ==, 5);
                udp_send(*fw_sock, f, peer, p->sport);
        }
}

static void send_probe(const probe *p, int peer_sock) {
        bs_family f = p->family;
        const char *fw = f == BS_FAMILY_IPV6 ? FW6 : FW4;
        switch (p->kind) {
        case PROBE_TCP_NEW:
        case PROBE_TCP_INVALID: {
                struct tcphdr th = { 0 };
                th.th_sport = htons(p->sport);
                th.th_dport = htons(p->dport);
                th.th_seq = htonl(g_rand_int(rnd));
                th.th_off = 5;
                th.th_flags = p->tcp_flags;
                th.th_win = htons(1024);
                if (f == BS_FAMILY_IPV4) {
                        uint8_t pseudo[12] = { 0 };
                        inet_pton(AF_INET, PEER4, pseudo);
                        inet_pton(AF_INET, FW4, pseudo + 4);
                        pseudo[9] = IPPROTO_TCP;
                        pseudo[11] = sizeof(th);
                        uint8_t all[32];
                        memcpy(all, pseudo, 12);
                        memcpy(all + 12, &th, sizeof(th));
                        th.th_sum = htons(csum(all, sizeof(all), 0));
                        send_to(raw.tcp4, f, fw, &th, sizeof(th));
                } else
                        send_to(raw.tcp6, f, fw, &th, sizeof(th));
                break;
        }
        case PROBE_UDP_NEW:
        case PROBE_UDP_EST_REPLY:
        case PROBE_UDP_EST_ORIG:
                udp_send(peer_sock, f, fw, p->dport);
                break;
        case PROBE_ICMP_ECHO: {
                uint8_t m[20] = { 0 };
                m[0] = p->icmp_type;
                m[1] = p->icmp_code;
                m[4] = (uint8_t) (p->echo_id >> 8);
                m[5] = (uint8_t) p->echo_id;
                m[7] = 1;
                if (f == BS_FAMILY_IPV4) {
                        uint16_t c = htons(csum(m, sizeof(m), 0));
                        memcpy(m + 2, &c, 2);
                        send_to(raw.icmp4, f, fw, m, sizeof(m));
                } else
                        send_to(raw.icmp6, f, fw, m, 8);
                break;
        }
        case PROBE_ICMP6_NS: {
                uint8_t m[24] = { 0 };
                m[0] = ND_NEIGHBOR_SOLICIT;
                inet_pton(AF_INET6, FW6, m + 8);
                send_to(raw.icmp6, f, fw, m, sizeof(m));
                break;
        }
        default:
                g_assert_not_reached();
        }
}

/* ------------------------------------------------------------ ruleset generation */

static void rand_addr(bs_addr *a, bs_family f, bool toward_peer) {
        const char *v4[] = { PEER4, "192.0.2.0", "10.9.0.0", "0.0.0.0", FW4, "192.0.2.128" };
        const char *v6[] = { PEER6, "2001:db8:b5::", "2001:db8:9::", "::", FW6, "2001:db8:b5::8000" };
        unsigned p4[] = { 32, 24, 16, 1, 32, 25 }, p6[] = { 128, 64, 48, 1, 128, 113 };
        int i = rint_(0, 5);
        if (toward_peer && i == 4)
                i = 0;
        memset(a, 0, sizeof(*a));
        inet_pton(domain(f), f == BS_FAMILY_IPV6 ? v6[i] : v4[i], a->addr);
        bs_addr_set_prefix(a, f, f == BS_FAMILY_IPV6 ? p6[i] : p4[i]);
}

static bs_port_range rand_range(uint16_t near) {
        switch (rint_(0, 3)) {
        case 0:
                return (bs_port_range){ near, near };
        case 1:
                return (bs_port_range){ (uint16_t) (near > 10 ? near - 10 : 0), (uint16_t) (near + 10) };
        case 2: {
                uint16_t d = dports[rint_(0, G_N_ELEMENTS(dports) - 1)];
                return (bs_port_range){ d, d };
        }
        default:
                return (bs_port_range){ 1024, 65535 };
        }
}

static uint16_t rand_state_mask(void) {
        static const uint16_t bits[] = { 1u << 0, 1u << 1, 1u << 2, 1u << 3, 1u << 6, 1u << 7, 1u << 8 };
        uint16_t m = 0;
        while (m == 0)
                for (size_t i = 0; i < G_N_ELEMENTS(bits); i++)
                        if (chance(30))
                                m |= bits[i];
        return m;
}

/* Whether a port range may be inverted in a generated rule: always, on
 * both backends. (iptables-nft 1.8.9 writes "-p udp -m udp ! --dport
 * 0:65535", which matches nothing, as "meta l4proto udp" alone, which
 * matches all UDP; our nft encoder keeps that form as the compat match
 * instead, so the kernel holds the rule the evaluator judges.) */
static bool may_invert(bs_port_range range, bool drawn) {
        (void) range;
        return drawn;
}

static void add_matches(bs_rule *r, bs_family f, const probe *hint) {
        uint8_t icmp = f == BS_FAMILY_IPV6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP;
        bool plain_proto = r->proto != 0 && !r->proto_invert;
        if (plain_proto && r->proto == IPPROTO_TCP && chance(60)) {
                bs_match *m = bs_rule_add_match(r, BS_MATCH_TCP);
                m->tcp.sport = chance(70) ? (bs_port_range){ 0, 65535 } : rand_range(hint->sport);
                m->tcp.sport_invert = m->tcp.sport.hi != 65535 && chance(20);
                m->tcp.dport = chance(20) ? (bs_port_range){ 0, 65535 } : rand_range(hint->dport);
                m->tcp.dport_invert = may_invert(m->tcp.dport, chance(20));
                if (chance(40)) {
                        static const uint8_t masks[] = { 0x17, 0x3f, 0x12, 0x03, 0xff, 0xc0 };
                        m->tcp.flg_mask = masks[rint_(0, G_N_ELEMENTS(masks) - 1)];
                        m->tcp.flg_cmp = chance(50) ? (uint8_t) (m->tcp.flg_mask & hint->tcp_flags)
                                                    : (uint8_t) (m->tcp.flg_mask & g_rand_int(rnd));
                        m->tcp.flags_invert = chance(20);
                }
                if (chance(10)) {
                        m->tcp.option = (uint8_t) rint_(1, 8);
                        m->tcp.option_invert = chance(50);
                }
        } else if (plain_proto && r->proto == IPPROTO_UDP && chance(60)) {
                bs_match *m = bs_rule_add_match(r, BS_MATCH_UDP);
                m->udp.sport = chance(70) ? (bs_port_range){ 0, 65535 } : rand_range(hint->sport);
                m->udp.sport_invert = m->udp.sport.hi != 65535 && chance(20);
                m->udp.dport = chance(20) ? (bs_port_range){ 0, 65535 } : rand_range(hint->dport);
                m->udp.dport_invert = may_invert(m->udp.dport, chance(20));
        } else if (plain_proto && r->proto == icmp && chance(60)) {
                bs_match *m = bs_rule_add_match(r, f == BS_FAMILY_IPV6 ? BS_MATCH_ICMP6 : BS_MATCH_ICMP);
                static const uint8_t t4[] = { ICMP_ECHO, ICMP_TIMESTAMP, ICMP_ECHOREPLY, 0xff };
                static const uint8_t t6[] = { ICMP6_ECHO_REQUEST, ND_NEIGHBOR_SOLICIT, ND_NEIGHBOR_ADVERT, 1 };
                m->icmp.type = f == BS_FAMILY_IPV6 ? t6[rint_(0, 3)] : t4[rint_(0, 3)];
                switch (rint_(0, 2)) {
                case 0:
                        m->icmp.code_min = 0, m->icmp.code_max = 0xff;
                        break;
                case 1:
                        m->icmp.code_min = 0, m->icmp.code_max = 0;
                        break;
                default:
                        m->icmp.code_min = 1, m->icmp.code_max = 2;
                }
                m->icmp.invert = chance(20);
        }
        if (plain_proto && (r->proto == IPPROTO_TCP || r->proto == IPPROTO_UDP) && chance(20)) {
                bs_match *m = bs_rule_add_match(r, BS_MATCH_MULTIPORT);
                m->multiport.dir = (bs_multiport_dir) rint_(0, 2);
                unsigned n = 0;
                while (n < 4) {
                        bs_port_range pr = rand_range(chance(50) ? hint->dport : hint->sport);
                        if (pr.lo != pr.hi && n + 2 <= 4) {
                                m->multiport.pflags[n] = 1;
                                m->multiport.ports[n++] = pr.lo;
                                m->multiport.ports[n++] = pr.hi;
                        } else
                                m->multiport.ports[n++] = pr.lo;
                        if (chance(40))
                                break;
                }
                m->multiport.count = (uint8_t) n;
                m->multiport.invert = chance(20);
        }
        if (chance(40)) {
                bs_match *m = bs_rule_add_match(r, BS_MATCH_CONNTRACK);
                bs_match_conntrack *c = &m->conntrack;
                if (chance(80)) {
                        c->match_flags |= 1u << 0;
                        c->state_mask = rand_state_mask();
                        if (chance(20))
                                c->invert_flags |= 1u << 0;
                }
                if (chance(15)) {
                        c->match_flags |= 1u << 1;
                        static const uint8_t protos[] = { IPPROTO_TCP, IPPROTO_UDP, IPPROTO_ICMP, IPPROTO_ICMPV6 };
                        c->l4proto = protos[rint_(0, 3)];
                        if (chance(30))
                                c->invert_flags |= 1u << 1;
                }
                if (chance(15)) {
                        c->match_flags |= 1u << 12;
                        if (chance(50))
                                c->invert_flags |= 1u << 12;
                }
                if (chance(10)) {
                        c->match_flags |= 1u << 2;
                        rand_addr(&c->origsrc, f, false);
                        if (chance(30))
                                c->invert_flags |= 1u << 2;
                }
                if (chance(8)) {
                        c->match_flags |= 1u << 4;
                        rand_addr(&c->replsrc, f, false);
                        if (chance(30))
                                c->invert_flags |= 1u << 4;
                }
                if (plain_proto && (r->proto == IPPROTO_TCP || r->proto == IPPROTO_UDP) && chance(10)) {
                        c->match_flags |= 1u << 9;
                        bs_port_range pr = rand_range(hint->dport);
                        c->origdst_port = pr.lo;
                        c->origdst_port_high = pr.hi;
                        if (chance(30))
                                c->invert_flags |= 1u << 9;
                }
                if (c->match_flags == 0) {
                        c->match_flags = 1u << 0;
                        c->state_mask = rand_state_mask();
                }
                if ((c->match_flags & 1u << 0) && chance(30))
                        c->match_flags |= 1u << 13; /* the -m state spelling */
        }
        if (chance(10))
                strcpy(bs_rule_add_match(r, BS_MATCH_COMMENT)->comment, "generated");
        if (chance(10)) {
                bs_match *m = bs_rule_add_match(r, BS_MATCH_IPRANGE);
                const char *lo4[] = { "192.0.2.1", "192.0.2.3", "10.0.0.0" }, *hi4[] = { "192.0.2.2", "192.0.2.9", "10.255.0.0" };
                const char *lo6[] = { "2001:db8:b5::1", "2001:db8:b5::3", "fd00::" },
                           *hi6[] = { "2001:db8:b5::2", "2001:db8:b5::9", "fdff::" };
                int i = rint_(0, 2);
                bool src = chance(50);
                uint8_t *mn = src ? m->iprange.src_min : m->iprange.dst_min, *mx = src ? m->iprange.src_max : m->iprange.dst_max;
                inet_pton(domain(f), f == BS_FAMILY_IPV6 ? lo6[i] : lo4[i], mn);
                inet_pton(domain(f), f == BS_FAMILY_IPV6 ? hi6[i] : hi4[i], mx);
                m->iprange.flags = src ? 1u << 0 : 1u << 1;
                if (chance(30))
                        m->iprange.flags |= src ? 1u << 4 : 1u << 5;
        }
        if (chance(10)) {
                bs_match *m = bs_rule_add_match(r, BS_MATCH_ADDRTYPE);
                static const uint16_t v4types[] = { 1u << 1, 1u << 2, 1u << 5, 1u << 3, 1u << 1 | 1u << 2 };
                static const uint16_t v6types[] = { 1u << 1, 1u << 2, 1u << 5, 1u << 1 | 1u << 2 };
                uint16_t t = f == BS_FAMILY_IPV6 ? v6types[rint_(0, 3)] : v4types[rint_(0, 4)];
                if (chance(50)) {
                        m->addrtype.source = t;
                        if (chance(30))
                                m->addrtype.flags |= 0x1;
                } else {
                        m->addrtype.dest = t;
                        if (chance(30))
                                m->addrtype.flags |= 0x2;
                }
        }
        if (chance(8)) {
                bs_match *m = bs_rule_add_match(r, BS_MATCH_MAC);
                memcpy(m->mac.addr, peer_mac, 6);
                if (chance(40))
                        m->mac.addr[5] ^= 1;
                m->mac.invert = chance(30);
        }
}

static void gen_rule(bs_rule *r, bs_family f, const probe *hint, const char *const *jumpable, size_t n_jumpable) {
        bs_rule_init(r, f);
        if (chance(35)) {
                rand_addr(&r->src, f, true);
                r->src_invert = chance(30);
        }
        if (chance(25)) {
                rand_addr(&r->dst, f, false);
                r->dst_invert = chance(30);
        }
        if (chance(25)) {
                const char *ifs[] = { "veth0", "veth+", "vet+", "lo", "eth0", "+" };
                strcpy(r->in_iface, ifs[rint_(0, 5)]);
                r->in_invert = chance(30);
        }
        if (chance(5)) {
                strcpy(r->out_iface, "veth0");
                r->out_invert = chance(50);
        }
        if (chance(55)) {
                uint8_t icmp = f == BS_FAMILY_IPV6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP;
                const uint8_t protos[] = { IPPROTO_TCP, IPPROTO_UDP, icmp, probe_proto(hint) };
                r->proto = protos[rint_(0, 3)];
                r->proto_invert = chance(15);
        }
        if (f == BS_FAMILY_IPV4 && chance(10))
                r->frag = chance(50) ? BS_FRAG_YES : BS_FRAG_NO;
        add_matches(r, f, hint);

        int t = rint_(0, 99);
        if (t < 20)
                r->target.kind = BS_TARGET_ACCEPT;
        else if (t < 35)
                r->target.kind = BS_TARGET_DROP;
        else if (t < 45) {
                r->target.kind = BS_TARGET_REJECT;
                r->target.reject.with = f == BS_FAMILY_IPV6 ? 4 : 3; /* port unreachable */
        } else if (t < 55)
                r->target.kind = BS_TARGET_RETURN;
        else if (t < 78 && n_jumpable > 0) {
                r->target.kind = t < 70 ? BS_TARGET_JUMP : BS_TARGET_GOTO;
                strcpy(r->target.chain, jumpable[rint_(0, (int) n_jumpable - 1)]);
        } else if (t < 85) {
                r->target.kind = BS_TARGET_LOG;
                r->target.log.level = 4;
                strcpy(r->target.log.prefix, "gen ");
        } else
                r->target.kind = BS_TARGET_NONE;
}

static void add_chain(bs_table *t, const char *name, bool builtin, bs_policy p) {
        g_assert_cmpint(bs_table_add_chain(t, name, builtin, p, NULL), ==, 0);
}

static void append(bs_table *t, const char *chain, bs_rule *r) {
        bs_chain *c = bs_table_find_chain(t, chain);
        g_assert_cmpint(bs_chain_insert_rule(c, c->n_rules, r), ==, 0);
}

/* The generated table (what the evaluator judges) and the kernel's form of it. */
static void gen_tables(bs_family f, const probe *hint, bs_table **ret_gen, bs_table **ret_kernel) {
        static const char *const users[] = { "c1", "c2", "c3" };
        int n_users = rint_(0, 3);
        bs_policy pol = chance(50) ? BS_POLICY_ACCEPT : BS_POLICY_DROP;

        bs_table *g = bs_table_new(f, "filter");
        add_chain(g, "INPUT", true, pol);
        add_chain(g, "FORWARD", true, BS_POLICY_ACCEPT);
        add_chain(g, "OUTPUT", true, BS_POLICY_ACCEPT);
        for (int i = 0; i < n_users; i++)
                add_chain(g, users[i], false, BS_POLICY_NONE);
        /* INPUT may jump anywhere; c_i only to c_j with j > i (no loops) */
        int n_in = rint_(1, 6);
        for (int i = 0; i < n_in; i++) {
                bs_rule r;
                gen_rule(&r, f, hint, users, (size_t) n_users);
                append(g, "INPUT", &r);
        }
        for (int c = 0; c < n_users; c++) {
                int n = rint_(0, 4);
                for (int i = 0; i < n; i++) {
                        bs_rule r;
                        gen_rule(&r, f, hint, users + c + 1, (size_t) (n_users - c - 1));
                        append(g, users[c], &r);
                }
        }

        bs_table *k = bs_table_new(f, "filter");
        add_chain(k, "INPUT", true, BS_POLICY_ACCEPT);
        add_chain(k, "FORWARD", true, BS_POLICY_ACCEPT);
        add_chain(k, "OUTPUT", true, BS_POLICY_ACCEPT);
        add_chain(k, "T", false, BS_POLICY_NONE);
        for (int i = 0; i < n_users; i++)
                add_chain(k, users[i], false, BS_POLICY_NONE);
        for (int j = 0; j < 2; j++) {
                bs_rule r;
                bs_rule_init(&r, f);
                inet_pton(domain(f), f == BS_FAMILY_IPV6 ? PEER6 : PEER4, r.src.addr);
                inet_pton(domain(f), f == BS_FAMILY_IPV6 ? FW6 : FW4, r.dst.addr);
                bs_addr_set_prefix(&r.src, f, f == BS_FAMILY_IPV6 ? 128 : 32);
                bs_addr_set_prefix(&r.dst, f, f == BS_FAMILY_IPV6 ? 128 : 32);
                if (j == 0) {
                        r.target.kind = BS_TARGET_JUMP;
                        strcpy(r.target.chain, "T");
                } else
                        r.target.kind = pol == BS_POLICY_DROP ? BS_TARGET_DROP : BS_TARGET_ACCEPT;
                append(k, "INPUT", &r);
        }
        for (size_t c = 0; c < g->n_chains; c++) {
                const bs_chain *src = &g->chains[c];
                const char *dst = streq(src->name, "INPUT") ? "T" : src->name;
                if (src->builtin && !streq(src->name, "INPUT"))
                        continue;
                for (size_t i = 0; i < src->n_rules; i++) {
                        bs_rule r;
                        g_assert_cmpint(bs_rule_copy(&r, &src->rules[i]), ==, 0);
                        append(k, dst, &r);
                }
        }
        *ret_gen = g;
        *ret_kernel = k;
}

/* ------------------------------------------------------------ comparison */

static void trace_cb(const char *chain, uint32_t pos, const bs_rule *r, void *userdata) {
        g_string_append_printf(userdata, "%s:%u ", chain, pos);
}

static int cmp_str_ptr(const void *a, const void *b) {
        return strcmp(*(char *const *) a, *(char *const *) b);
}

/* Kernel counters as the evaluator's trace would name them, sorted. */
static char *kernel_hits(const bs_table *k, uint64_t *jump_count) {
        GPtrArray *a = g_ptr_array_new_with_free_func(g_free);
        *jump_count = 0;
        for (size_t c = 0; c < k->n_chains; c++) {
                const bs_chain *ch = &k->chains[c];
                for (size_t i = 0; i < ch->n_rules; i++) {
                        uint64_t n = ch->rules[i].packets;
                        if (n == 0)
                                continue;
                        if (streq(ch->name, "INPUT") && i == 0) {
                                *jump_count = n;
                                continue;
                        }
                        for (uint64_t j = 0; j < n; j++) {
                                if (streq(ch->name, "INPUT"))
                                        g_ptr_array_add(a, g_strdup("INPUT:0"));
                                else
                                        g_ptr_array_add(a, g_strdup_printf("%s:%zu", streq(ch->name, "T") ? "INPUT" : ch->name, i + 1));
                        }
                }
        }
        g_ptr_array_sort(a, cmp_str_ptr);
        g_ptr_array_add(a, NULL);
        char *s = g_strjoinv(" ", (char **) a->pdata);
        g_ptr_array_free(a, true);
        return s;
}

static char *sorted_words(const char *s) {
        g_autofree char *copy = g_strstrip(g_strdup(s));
        char **w = g_strsplit(copy, " ", -1);
        guint n = g_strv_length(w);
        if (n == 1 && w[0][0] == 0)
                n = 0, g_free(w[0]), w[0] = NULL;
        qsort(w, n, sizeof(char *), cmp_str_ptr);
        char *r = g_strjoinv(" ", w);
        g_strfreev(w);
        return r;
}

static unsigned n_cases, stats_verdict[4], stats_probe[_PROBE_MAX];

static void run_case(bs_family f, unsigned serial) {
        probe p = make_probe(f, serial);
        bs_table *g = NULL, *k = NULL;
        gen_tables(f, &p, &g, &k);

        /* conntrack state first, while everything is accepted */
        bs_table *open = bs_table_new(f, "filter");
        add_chain(open, "INPUT", true, BS_POLICY_ACCEPT);
        add_chain(open, "FORWARD", true, BS_POLICY_ACCEPT);
        add_chain(open, "OUTPUT", true, BS_POLICY_ACCEPT);
        g_assert_cmpint(B->restore(open, &nfo), ==, 0);
        bs_table_free(open);
        int fw_sock, peer_sock;
        setup_probe(&p, &fw_sock, &peer_sock);

        int r = B->restore(k, &nfo);
        if (r < 0)
                g_error("seed %u case %u: restore: %s", seed, serial, g_strerror(-r));
        send_probe(&p, peer_sock);

        /* wait for the probe to reach INPUT (the jump into T counts it) */
        bs_table *after = NULL;
        uint64_t jumps = 0;
        g_autofree char *hits = NULL;
        for (int i = 0; i < 5000; i++) {
                g_assert_cmpint(B->read(f, "filter", &nfo, &after), ==, 0);
                g_free(hits);
                hits = kernel_hits(after, &jumps);
                if (jumps > 0)
                        break;
                bs_table_free(after);
                after = NULL;
                g_usleep(1000);
        }
        if (jumps != 1)
                g_error("seed %u case %u: the probe (%s) reached INPUT %" G_GUINT64_FORMAT " times", seed, serial,
                        probe_names[p.kind], jumps);

        bs_packet pk = describe(&p);
        bs_eval_result res;
        GString *tr = g_string_new(NULL);
        g_assert_cmpint(bs_eval(g, &pk, &res, trace_cb, tr), ==, 0);
        g_autofree char *want = sorted_words(tr->str);
        if (res.verdict == BS_VERDICT_UNCERTAIN || !streq(want, hits)) {
                g_autofree char *dump = ns_sh(NS.fw, "%s -c", bs_test_iptables_save(f));
                g_printerr("seed %u case %u family %s probe %s (sport %u dport %u flags 0x%x icmp %u/%u)\n"
                           "evaluator: %s at %s:%u (%s), trace: %s\nkernel counters: %s\n%s",
                           seed, serial, bs_family_to_string(f), probe_names[p.kind], p.sport, p.dport, p.tcp_flags,
                           p.icmp_type, p.icmp_code, bs_verdict_to_string(res.verdict), res.chain, res.position,
                           res.reason, tr->str, hits, dump);
                /* the table the evaluator judged, and the backend's read of
                 * the kernel's: a difference is the backend's */
                bs_buf gen = {}, back = {};
                g_assert_cmpint(bs_render_save(g, false, &gen), ==, 0);
                g_assert_cmpint(bs_render_save(after, true, &back), ==, 0);
                g_printerr("generated (the evaluator's table):\n%sread back through the %s backend:\n%s", gen.data,
                           bs_test_backend_name(), back.data);
                bs_buf_done(&gen);
                bs_buf_done(&back);
                if (g_getenv("BACKSTOP_DEBUG")) {
                        const bs_chain *in = bs_table_find_chain(g, "INPUT");
                        for (size_t i = 0; i < in->n_rules; i++)
                                for (size_t j = 0; j < in->rules[i].n_matches; j++)
                                        if (in->rules[i].matches[j].kind == BS_MATCH_CONNTRACK)
                                                g_printerr("INPUT:%zu ct flags 0x%x inv 0x%x state 0x%x\n", i + 1,
                                                           in->rules[i].matches[j].conntrack.match_flags,
                                                           in->rules[i].matches[j].conntrack.invert_flags,
                                                           in->rules[i].matches[j].conntrack.state_mask);
                        g_printerr("packet ctstate %d proto %u\n", pk.ctstate, pk.proto);
                }
                g_error("the evaluator disagrees with the kernel (replay with BACKSTOP_SEED=%u)", seed);
        }
        n_cases++;
        stats_verdict[res.verdict]++;
        stats_probe[p.kind]++;
        g_string_free(tr, true);
        bs_table_free(after);
        bs_table_free(g);
        bs_table_free(k);
        if (fw_sock >= 0)
                close(fw_sock);
        if (peer_sock >= 0)
                close(peer_sock);
}

static unsigned cases_per_family(void) {
        const char *e = g_getenv("BACKSTOP_EVAL_CASES");
        return e ? (unsigned) g_ascii_strtoull(e, NULL, 10) : 300;
}

static void test_agreement(gconstpointer data) {
        bs_family f = GPOINTER_TO_INT(data);
        unsigned n = cases_per_family();
        unsigned base = f == BS_FAMILY_IPV6 ? 20000 : 0;
        n_cases = 0;
        memset(stats_verdict, 0, sizeof(stats_verdict));
        memset(stats_probe, 0, sizeof(stats_probe));
        for (unsigned i = 0; i < n; i++)
                run_case(f, base + i);
        g_test_message("%s: %u cases agree; verdicts ACCEPT %u DROP %u REJECT %u", bs_family_to_string(f), n_cases,
                       stats_verdict[BS_VERDICT_ACCEPT], stats_verdict[BS_VERDICT_DROP], stats_verdict[BS_VERDICT_REJECT]);
        for (int i = 0; i < _PROBE_MAX; i++)
                g_test_message("  %s: %u", probe_names[i], stats_probe[i]);
}

int main(int argc, char **argv) {
        g_test_init(&argc, &argv, NULL);
        if (!netns_pair_setup(true))
                return 77;
        const char *s = g_getenv("BACKSTOP_SEED");
        seed = s ? (guint32) g_ascii_strtoull(s, NULL, 10) : (guint32) g_random_int();
        g_printerr("seed %u (replay with BACKSTOP_SEED=%u)\n", seed, seed);
        rnd = g_rand_new_with_seed(seed);
        unsigned m[6];
        g_assert_cmpint(sscanf(NS.peer_mac, "%x:%x:%x:%x:%x:%x", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5]), ==, 6);
        for (int i = 0; i < 6; i++)
                peer_mac[i] = (uint8_t) m[i];

        /* the peer drops everything it gets: no RST or ICMP comes back to disturb the counters */
        peer_ok("iptables-legacy -P INPUT DROP; ip6tables-legacy -P INPUT DROP");
        raw.tcp4 = raw_socket(BS_FAMILY_IPV4, IPPROTO_TCP);
        raw.tcp6 = raw_socket(BS_FAMILY_IPV6, IPPROTO_TCP);
        raw.icmp4 = raw_socket(BS_FAMILY_IPV4, IPPROTO_ICMP);
        raw.icmp6 = raw_socket(BS_FAMILY_IPV6, IPPROTO_ICMPV6);
        int hops = 255; /* neighbour solicitations must carry hop limit 255 */
        g_assert_cmpint(setsockopt(raw.icmp6, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &hops, sizeof(hops)), ==, 0);

        g_test_add_data_func("/eval-kernel/agreement/ipv4", GINT_TO_POINTER(BS_FAMILY_IPV4), test_agreement);
        g_test_add_data_func("/eval-kernel/agreement/ipv6", GINT_TO_POINTER(BS_FAMILY_IPV6), test_agreement);
        int r = g_test_run();
        g_rand_free(rnd);
        netns_pair_teardown();
        return r;
}
