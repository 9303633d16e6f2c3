/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The port matches: tcp, udp and multiport, and the port and port range
 * syntax they share with conntrack's port options. */
#include "text-internal.h"

#include <ctype.h>
#include <strings.h>

/* ------------------------------------------------------------ ports */

/* xtables_parse_port: a number (base 0) or a service of the protocol. */
static int port_by_proto(text_parse_state *s, const char *p, const char *proto, int word, uint16_t *ret) {
        uintmax_t v;
        if (text_strtoul(p, 0, 0, UINTMAX_MAX, &v)) {
                if (v > 65535)
                        return FAIL(s, word, s->words[word], "port \"%s\" is out of range (0-65535)", p);
                *ret = (uint16_t) v;
                return 0;
        }
        int port = *p ? text_service_port(p, proto) : -1;
        if (port < 0)
                return FAIL(s, word, s->words[word], "\"%s\" is not a port number or a known %s service", p,
                            proto ? proto : "");
        *ret = (uint16_t) port;
        return 0;
}

/* getaddrinfo's service rules: decimal digits, or a service of any protocol. */
static int port_any(text_parse_state *s, const char *p, int word, uint16_t *ret) {
        uintmax_t v;
        if (isdigit((unsigned char) p[0]) && text_decimal(p, UINTMAX_MAX / 10, &v)) {
                if (v > 65535)
                        return FAIL(s, word, s->words[word], "port \"%s\" is out of range (0-65535)", p);
                *ret = (uint16_t) v;
                return 0;
        }
        int port = text_service_port(p, NULL);
        if (port < 0)
                return FAIL(s, word, s->words[word], "\"%s\" is not a port number or a known service", p);
        *ret = (uint16_t) port;
        return 0;
}

/* "a", "a:b", "a:", ":b", ":" into a range; tcp style (base 0, tcp
 * services, min <= max) when proto is set, getaddrinfo style otherwise
 * (where iptables takes a reversed range as it is). */
int text_parse_port_range(text_parse_state *s, const char *arg, const char *proto, int word, bs_port_range *ret) {
        /* A copy to cut at the first ':', on the stack when short (as
         * ports are), made in the pass that finds the ':'s. */
        char stack[32];
        size_t len = 0, colon_at = SIZE_MAX, colons = 0;
        for (; arg[len] != '\0'; len++) {
                if (len < sizeof(stack))
                        stack[len] = arg[len];
                if (arg[len] == ':' && colons++ == 0)
                        colon_at = len;
        }
        _cleanup_free_ char *heap = NULL;
        char *buf;
        if (len < sizeof(stack)) {
                stack[len] = '\0';
                buf = stack;
        } else {
                buf = heap = strdup(arg);
                if (!buf)
                        return -ENOMEM;
        }
        char *colon = colons > 0 ? buf + colon_at : NULL;
        bs_port_range p = { 0, 0xFFFF };
        int r;
        if (!colon) {
                r = proto ? port_by_proto(s, buf, proto, word, &p.lo) : port_any(s, buf, word, &p.lo);
                if (r < 0)
                        return r;
                p.hi = p.lo;
        } else {
                *colon = '\0';
                const char *hi = colon + 1;
                if (colons > 1)
                        return FAIL(s, word, arg, "\"%s\" has too many ':' (a range is lo:hi)", arg);
                if (buf[0]) {
                        r = proto ? port_by_proto(s, buf, proto, word, &p.lo) : port_any(s, buf, word, &p.lo);
                        if (r < 0)
                                return r;
                }
                if (hi[0]) {
                        r = proto ? port_by_proto(s, hi, proto, word, &p.hi) : port_any(s, hi, word, &p.hi);
                        if (r < 0)
                                return r;
                }
                if (proto && p.lo > p.hi)
                        return FAIL(s, word, arg, "port range \"%s\" is reversed (min > max)", arg);
        }
        *ret = p;
        return 0;
}

static int full_range_inverted(text_parse_state *s, const char *arg, int word, bs_port_range p, bool invert) {
        if (invert && p.lo == 0 && p.hi == 0xFFFF)
                return FAIL(s, word, arg, "\"! %s\" (every port, inverted) would never match", arg);
        return 0;
}

/* ------------------------------------------------------------ tcp, udp */

enum { TCP_SPORT, TCP_DPORT, TCP_SYN, TCP_FLAGS, TCP_OPTION };

static const text_opt tcp_opts[] = {
        { "source-port", TCP_SPORT, true, true },
        { "sport", TCP_SPORT, true, true },
        { "destination-port", TCP_DPORT, true, true },
        { "dport", TCP_DPORT, true, true },
        { "syn", TCP_SYN, false, true },
        { "tcp-flags", TCP_FLAGS, true, true },
        { "tcp-option", TCP_OPTION, true, true },
        {},
};

static void ports_init(text_parse_state *s, text_ext_inst *x) {
        bs_match *m = text_inst_match(s, x);
        /* tcp and udp share the layout of their port fields */
        if (m->kind == BS_MATCH_TCP) {
                m->tcp.sport = m->tcp.dport = (bs_port_range){ 0, 0xFFFF };
        } else {
                m->udp.sport = m->udp.dport = (bs_port_range){ 0, 0xFFFF };
        }
}

static int parse_tcp_flag_list(text_parse_state *s, const char *list, int word, uint8_t *ret) {
        _cleanup_free_ char *buf = strdup(list);
        if (!buf)
                return -ENOMEM;
        uint8_t flags = 0;
        char *save = NULL;
        for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
                size_t i;
                for (i = 0; i < text_tcp_flags_n; i++)
                        if (strcasecmp(text_tcp_flags[i].name, t) == 0)
                                break;
                if (i == text_tcp_flags_n)
                        return FAIL(s, word, list, "unknown TCP flag \"%s\"", t);
                flags |= (uint8_t) text_tcp_flags[i].bit;
        }
        *ret = flags;
        return 0;
}

static int tcp_option(text_parse_state *s, text_ext_inst *x, const text_opt *o, const char *arg, int word,
                      bool invert) {
        bs_match_tcp *t = &text_inst_match(s, x)->tcp;
        int r;
        switch (o->id) {
        case TCP_SPORT:
        case TCP_DPORT: {
                bs_port_range p;
                r = text_parse_port_range(s, arg, "tcp", word, &p);
                if (r < 0)
                        return r;
                r = full_range_inverted(s, arg, word, p, invert);
                if (r < 0)
                        return r;
                if (o->id == TCP_SPORT)
                        t->sport = p, t->sport_invert = invert;
                else
                        t->dport = p, t->dport_invert = invert;
                return 0;
        }
        case TCP_SYN:
        case TCP_FLAGS:
                if (x->seen & (BIT(TCP_SYN) | BIT(TCP_FLAGS)))
                        return FAIL(s, s->opt_word, s->words[s->opt_word], "only one of --syn and --tcp-flags is allowed");
                if (o->id == TCP_SYN) {
                        /* --syn is FIN,SYN,RST,ACK SYN */
                        t->flg_mask = 0x01 | 0x02 | 0x04 | 0x10;
                        t->flg_cmp = 0x02;
                } else {
                        int cword;
                        const char *cmp = text_take_word(s, &cword);
                        if (!cmp || cmp[0] == '-' || cmp[0] == '!')
                                return FAIL(s, word, arg, "--tcp-flags needs two lists: MASK COMPARE");
                        r = parse_tcp_flag_list(s, arg, word, &t->flg_mask);
                        if (r < 0)
                                return r;
                        r = parse_tcp_flag_list(s, cmp, cword, &t->flg_cmp);
                        if (r < 0)
                                return r;
                }
                t->flags_invert = invert;
                return 0;
        case TCP_OPTION: {
                uintmax_t v;
                if (!text_strtoul(arg, 0, 1, 255, &v))
                        return FAIL(s, word, arg, "TCP option \"%s\" is not a number 1-255", arg);
                t->option = (uint8_t) v;
                t->option_invert = invert;
                return 0;
        }
        }
        return -EINVAL;
}

const text_ext text_tcp_ext = {
        .name = "tcp", .kind = BS_MATCH_TCP, .opts = tcp_opts, .init = ports_init, .option = tcp_option,
};

enum { UDP_SPORT, UDP_DPORT };

static const text_opt udp_opts[] = {
        { "source-port", UDP_SPORT, true, true },
        { "sport", UDP_SPORT, true, true },
        { "destination-port", UDP_DPORT, true, true },
        { "dport", UDP_DPORT, true, true },
        {},
};

static int udp_option(text_parse_state *s, text_ext_inst *x, const text_opt *o, const char *arg, int word,
                      bool invert) {
        bs_match_udp *u = &text_inst_match(s, x)->udp;
        bs_port_range p;
        int r = text_parse_port_range(s, arg, NULL, word, &p);
        if (r < 0)
                return r;
        r = full_range_inverted(s, arg, word, p, invert);
        if (r < 0)
                return r;
        if (o->id == UDP_SPORT)
                u->sport = p, u->sport_invert = invert;
        else
                u->dport = p, u->dport_invert = invert;
        return 0;
}

const text_ext text_udp_ext = {
        .name = "udp", .kind = BS_MATCH_UDP, .opts = udp_opts, .init = ports_init, .option = udp_option,
};


/* ------------------------------------------------------------ multiport */

static const text_opt multiport_opts[] = {
        { "source-ports", BS_MULTIPORT_SOURCE, true, true },
        { "sports", BS_MULTIPORT_SOURCE, true, true },
        { "destination-ports", BS_MULTIPORT_DESTINATION, true, true },
        { "dports", BS_MULTIPORT_DESTINATION, true, true },
        { "ports", BS_MULTIPORT_EITHER, true, true },
        {},
};

static int multiport_option(text_parse_state *s, text_ext_inst *x, const text_opt *o, const char *arg,
                            int word, bool invert) {
        bs_match_multiport *mp = &text_inst_match(s, x)->multiport;
        if (x->seen)
                return FAIL(s, s->opt_word, s->words[s->opt_word], "multiport: only one of --sports, --dports, --ports");

        /* checked against the protocol given so far, as iptables does */
        const char *proto;
        switch (s->rule->proto_invert ? 0 : s->rule->proto) {
        case IPPROTO_TCP:
                proto = "tcp";
                break;
        case IPPROTO_UDP:
                proto = "udp";
                break;
        case IPPROTO_UDPLITE:
                proto = "udplite";
                break;
        case IPPROTO_SCTP:
                proto = "sctp";
                break;
        case IPPROTO_DCCP:
                proto = "dccp";
                break;
        default:
                return FAIL(s, x->word, s->words[x->word],
                            "multiport needs \"-p tcp\", \"-p udp\", \"-p udplite\", \"-p sctp\" or \"-p dccp\" before it");
        }

        _cleanup_free_ char *buf = strdup(arg);
        if (!buf)
                return -ENOMEM;
        unsigned i = 0;
        char *p = buf;
        memset(mp->ports, 0, sizeof(mp->ports));
        memset(mp->pflags, 0, sizeof(mp->pflags));
        for (;;) {
                char *comma = strchr(p, ',');
                if (comma)
                        *comma = '\0';
                char *colon = strchr(p, ':');
                if (i >= BS_MULTIPORT_MAX || (colon && i == BS_MULTIPORT_MAX - 1))
                        return FAIL(s, word, arg, "too many ports in \"%s\" (at most %d, a range counts as two)",
                                    arg, BS_MULTIPORT_MAX);
                if (colon)
                        *colon = '\0';
                int r = port_by_proto(s, p, proto, word, &mp->ports[i]);
                if (r < 0)
                        return r;
                if (colon) {
                        mp->pflags[i] = 1;
                        r = port_by_proto(s, colon + 1, proto, word, &mp->ports[++i]);
                        if (r < 0)
                                return r;
                        if (mp->ports[i - 1] >= mp->ports[i])
                                return FAIL(s, word, arg, "invalid port range %s:%s in \"%s\"", p, colon + 1, arg);
                }
                i++;
                if (!comma)
                        break;
                p = comma + 1;
        }
        mp->count = (uint8_t) i;
        mp->dir = (bs_multiport_dir) o->id;
        mp->invert = invert;
        return 0;
}

static int multiport_final(text_parse_state *s, text_ext_inst *x) {
        if (x->seen)
                return 0;
        return FAIL(s, x->word, s->words[x->word], "multiport needs --sports, --dports or --ports");
}

const text_ext text_multiport_ext = {
        .name = "multiport", .kind = BS_MATCH_MULTIPORT, .opts = multiport_opts,
        .option = multiport_option, .final = multiport_final,
};
