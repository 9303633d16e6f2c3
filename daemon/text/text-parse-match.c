/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The other matches: icmp, icmp6, conntrack, state, comment, limit,
 * addrtype, mac and iprange; and the lookup of every match by its -m name
 * or by the protocol that loads it implicitly. */
#include "text-internal.h"

#include <ctype.h>
#include <strings.h>
#include <linux/netfilter/xt_limit.h>

/* ------------------------------------------------------------ icmp, icmp6 */

static const text_opt icmp_opts[] = { { "icmp-type", 0, true, true }, {} };
static const text_opt icmp6_opts[] = { { "icmpv6-type", 0, true, true }, {} };

static void icmp_init(text_parse_state *s, text_ext_inst *x) {
        bs_match *m = text_inst_match(s, x);
        m->icmp.type = 0xFF;
        m->icmp.code_min = 0;
        m->icmp.code_max = 0xFF;
}

static int icmp_option(text_parse_state *s, text_ext_inst *x, const text_opt *o, const char *arg, int word,
                       bool invert) {
        bs_match *m = text_inst_match(s, x);
        bs_family f = m->kind == BS_MATCH_ICMP6 ? BS_FAMILY_IPV6 : BS_FAMILY_IPV4;
        const char *what = f == BS_FAMILY_IPV6 ? "ICMPv6" : "ICMP";
        size_t n, len = strlen(arg);
        const text_icmp_name *t = text_icmp_names(f, &n), *hit = NULL;

        if (len == 0)
                return FAIL(s, word, arg, "empty %s type", what);
        for (size_t i = 0; i < n; i++)
                if (strncasecmp(t[i].name, arg, len) == 0) {
                        if (hit)
                                return FAIL(s, word, arg, "ambiguous %s type \"%s\": %s or %s?", what, arg,
                                            hit->name, t[i].name);
                        hit = &t[i];
                }
        if (hit) {
                m->icmp.type = hit->type;
                m->icmp.code_min = hit->code_min;
                m->icmp.code_max = hit->code_max;
        } else {
                _cleanup_free_ char *buf = strdup(arg);
                if (!buf)
                        return -ENOMEM;
                char *slash = strchr(buf, '/');
                if (slash)
                        *slash = '\0';
                uintmax_t type, code;
                if (!text_strtoul(buf, 0, 0, 255, &type))
                        return FAIL(s, word, arg, "unknown %s type \"%s\"", what, arg);
                m->icmp.type = (uint8_t) type;
                m->icmp.code_min = 0;
                m->icmp.code_max = 0xFF;
                if (slash) {
                        if (!text_strtoul(slash + 1, 0, 0, 255, &code))
                                return FAIL(s, word, arg, "unknown %s code in \"%s\"", what, arg);
                        /* type 255 prints as "any", which reads back without a code */
                        if (f == BS_FAMILY_IPV4 && type == 0xFF)
                                return FAIL(s, word, arg, "ICMP type 255 is \"any\" and takes no code");
                        m->icmp.code_min = m->icmp.code_max = (uint8_t) code;
                }
        }
        m->icmp.invert = invert;
        return 0;
}

static int need_option(text_parse_state *s, text_ext_inst *x) {
        if (x->seen)
                return 0;
        return FAIL(s, x->word, s->words[x->word], "%s: option \"--%s\" must be given", x->ext->name,
                    x->ext->opts[0].name);
}

static const text_ext icmp_ext = {
        .name = "icmp", .kind = BS_MATCH_ICMP, .opts = icmp_opts, .init = icmp_init,
        .option = icmp_option, .final = need_option,
};

static const text_ext icmp6_ext = {
        .name = "icmp6", .kind = BS_MATCH_ICMP6, .opts = icmp6_opts, .init = icmp_init,
        .option = icmp_option, .final = need_option,
};

/* ------------------------------------------------------------ conntrack, state */

enum {
        CT_STATE, CT_PROTO, CT_ORIGSRC, CT_ORIGDST, CT_REPLSRC, CT_REPLDST, CT_ORIGSRCPORT,
        CT_ORIGDSTPORT, CT_REPLSRCPORT, CT_REPLDSTPORT, CT_STATUS, CT_EXPIRE, CT_DIR,
};

static const text_opt conntrack_opts[] = {
        { "ctstate", CT_STATE, true, true },
        { "ctproto", CT_PROTO, true, true },
        { "ctorigsrc", CT_ORIGSRC, true, true },
        { "ctorigdst", CT_ORIGDST, true, true },
        { "ctreplsrc", CT_REPLSRC, true, true },
        { "ctrepldst", CT_REPLDST, true, true },
        { "ctstatus", CT_STATUS, true, true },
        { "ctexpire", CT_EXPIRE, true, true },
        { "ctorigsrcport", CT_ORIGSRCPORT, true, true },
        { "ctorigdstport", CT_ORIGDSTPORT, true, true },
        { "ctreplsrcport", CT_REPLSRCPORT, true, true },
        { "ctrepldstport", CT_REPLDSTPORT, true, true },
        { "ctdir", CT_DIR, true, false },
        {},
};

/* A comma list of names, each matched by (case-insensitive) prefix, the
 * first name in table order winning: libxt_conntrack's rules. */
static int parse_name_list(text_parse_state *s, const char *arg, int word, const char *what,
                           const text_flag_name *t, size_t n, uint32_t *ret) {
        uint32_t mask = 0;
        const char *p = arg;
        for (;;) {
                const char *comma = strchr(p, ',');
                size_t len = comma ? (size_t) (comma - p) : strlen(p);
                size_t i;
                for (i = 0; len > 0 && i < n; i++)
                        if (strncasecmp(p, t[i].name, len) == 0 && len <= strlen(t[i].name))
                                break;
                if (len == 0 || i == n)
                        return FAIL(s, word, arg, "bad %s \"%.*s\" in \"%s\"", what, (int) len, p, arg);
                mask |= t[i].bit;
                if (!comma)
                        break;
                p = comma + 1;
        }
        *ret = mask;
        return 0;
}

/* Parse order of the state names (the print order differs). */
static const text_flag_name ct_state_parse[] = {
        { "INVALID", XT_CONNTRACK_STATE_INVALID },
        { "NEW", XT_CONNTRACK_STATE_BIT(IP_CT_NEW) },
        { "ESTABLISHED", XT_CONNTRACK_STATE_BIT(IP_CT_ESTABLISHED) },
        { "RELATED", XT_CONNTRACK_STATE_BIT(IP_CT_RELATED) },
        { "UNTRACKED", XT_CONNTRACK_STATE_UNTRACKED },
        { "SNAT", XT_CONNTRACK_STATE_SNAT },
        { "DNAT", XT_CONNTRACK_STATE_DNAT },
};

static const text_flag_name ct_status_parse[] = {
        { "NONE", 0 },
        { "EXPECTED", IPS_EXPECTED },
        { "SEEN_REPLY", IPS_SEEN_REPLY },
        { "ASSURED", IPS_ASSURED },
        { "CONFIRMED", IPS_CONFIRMED },
};

/* XTTYPE_UINT32RC: "a", "a:b", ":b", "a:"; base 0. */
static int parse_u32_range(text_parse_state *s, const char *arg, int word, uint32_t *lo, uint32_t *hi) {
        _cleanup_free_ char *buf = strdup(arg);
        if (!buf)
                return -ENOMEM;
        char *colon = strchr(buf, ':');
        uintmax_t a = 0, b = UINT32_MAX;
        if (colon)
                *colon = '\0';
        if ((buf[0] || !colon) && !text_strtoul(buf, 0, 0, UINT32_MAX, &a))
                return FAIL(s, word, arg, "\"%s\" is not a number or range of numbers (0-4294967295)", arg);
        if (colon && colon[1] && !text_strtoul(colon + 1, 0, 0, UINT32_MAX, &b))
                return FAIL(s, word, arg, "\"%s\" is not a number or range of numbers (0-4294967295)", arg);
        if (!colon)
                b = a;
        *lo = (uint32_t) a;
        *hi = (uint32_t) b;
        return 0;
}

static int conntrack_option(text_parse_state *s, text_ext_inst *x, const text_opt *o, const char *arg,
                            int word, bool invert) {
        bs_match_conntrack *c = &text_inst_match(s, x)->conntrack;
        uint16_t flag = 0;
        int r;
        switch (o->id) {
        case CT_STATE: {
                uint32_t mask;
                r = parse_name_list(s, arg, word, "ctstate", ct_state_parse, ELEMENTSOF(ct_state_parse), &mask);
                if (r < 0)
                        return r;
                c->state_mask = (uint16_t) mask;
                flag = XT_CONNTRACK_STATE;
                break;
        }
        case CT_PROTO:
                if (text_proto_from_string(arg, &c->l4proto) < 0)
                        return FAIL(s, word, arg, "unknown protocol \"%s\"", arg);
                flag = XT_CONNTRACK_PROTO;
                break;
        case CT_ORIGSRC:
        case CT_ORIGDST:
        case CT_REPLSRC:
        case CT_REPLDST: {
                bs_addr *a = o->id == CT_ORIGSRC ? &c->origsrc
                           : o->id == CT_ORIGDST ? &c->origdst
                           : o->id == CT_REPLSRC ? &c->replsrc
                                                 : &c->repldst;
                r = text_parse_ct_addr(s->family, arg, a, s->err, word);
                if (r < 0)
                        return r;
                flag = o->id == CT_ORIGSRC ? XT_CONNTRACK_ORIGSRC
                     : o->id == CT_ORIGDST ? XT_CONNTRACK_ORIGDST
                     : o->id == CT_REPLSRC ? XT_CONNTRACK_REPLSRC
                                           : XT_CONNTRACK_REPLDST;
                break;
        }
        case CT_ORIGSRCPORT:
        case CT_ORIGDSTPORT:
        case CT_REPLSRCPORT:
        case CT_REPLDSTPORT: {
                bs_port_range p;
                r = text_parse_port_range(s, arg, NULL, word, &p);
                if (r < 0)
                        return r;
                /* iptables prints "N:0" as "N", a different rule */
                if (p.hi == 0 && p.lo > 0)
                        return FAIL(s, word, arg, "port range \"%s\" is reversed and would never match", arg);
                /* host order, as revision 3 keeps them */
                if (o->id == CT_ORIGSRCPORT)
                        c->origsrc_port = p.lo, c->origsrc_port_high = p.hi, flag = XT_CONNTRACK_ORIGSRC_PORT;
                else if (o->id == CT_ORIGDSTPORT)
                        c->origdst_port = p.lo, c->origdst_port_high = p.hi, flag = XT_CONNTRACK_ORIGDST_PORT;
                else if (o->id == CT_REPLSRCPORT)
                        c->replsrc_port = p.lo, c->replsrc_port_high = p.hi, flag = XT_CONNTRACK_REPLSRC_PORT;
                else
                        c->repldst_port = p.lo, c->repldst_port_high = p.hi, flag = XT_CONNTRACK_REPLDST_PORT;
                break;
        }
        case CT_STATUS: {
                uint32_t mask;
                r = parse_name_list(s, arg, word, "ctstatus", ct_status_parse, ELEMENTSOF(ct_status_parse),
                                    &mask);
                if (r < 0)
                        return r;
                c->status_mask = (uint16_t) mask;
                flag = XT_CONNTRACK_STATUS;
                break;
        }
        case CT_EXPIRE:
                r = parse_u32_range(s, arg, word, &c->expires_min, &c->expires_max);
                if (r < 0)
                        return r;
                flag = XT_CONNTRACK_EXPIRES;
                break;
        case CT_DIR:
                c->match_flags |= XT_CONNTRACK_DIRECTION;
                if (strcasecmp(arg, "ORIGINAL") == 0)
                        c->invert_flags &= (uint16_t) ~XT_CONNTRACK_DIRECTION;
                else if (strcasecmp(arg, "REPLY") == 0)
                        c->invert_flags |= XT_CONNTRACK_DIRECTION;
                else
                        return FAIL(s, word, arg, "bad --ctdir \"%s\" (ORIGINAL or REPLY)", arg);
                return 0;
        default:
                return -EINVAL;
        }
        c->match_flags |= flag;
        if (invert)
                c->invert_flags |= flag;
        return 0;
}

static int conntrack_final(text_parse_state *s, text_ext_inst *x) {
        if (x->seen)
                return 0;
        return FAIL(s, x->word, s->words[x->word], "conntrack: at least one option is required");
}

static const text_ext conntrack_ext = {
        .name = "conntrack", .kind = BS_MATCH_CONNTRACK, .opts = conntrack_opts,
        .option = conntrack_option, .final = conntrack_final,
};

static const text_opt state_opts[] = { { "state", 0, true, true }, {} };

static int state_option(text_parse_state *s, text_ext_inst *x, const text_opt *o, const char *arg, int word,
                        bool invert) {
        bs_match_conntrack *c = &text_inst_match(s, x)->conntrack;
        uint32_t mask;
        /* -m state knows no SNAT / DNAT */
        int r = parse_name_list(s, arg, word, "state", ct_state_parse, 5, &mask);
        if (r < 0)
                return r;
        c->match_flags = XT_CONNTRACK_STATE | XT_CONNTRACK_STATE_ALIAS;
        c->state_mask = (uint16_t) mask;
        if (invert)
                c->invert_flags |= XT_CONNTRACK_STATE;
        return 0;
}

static const text_ext state_ext = {
        .name = "state", .kind = BS_MATCH_CONNTRACK, .opts = state_opts, .option = state_option,
        .final = need_option,
};

/* ------------------------------------------------------------ comment */

static const text_opt comment_opts[] = { { "comment", 0, true, false }, {} };

static int comment_option(text_parse_state *s, text_ext_inst *x, const text_opt *o, const char *arg, int word,
                          bool invert) {
        bs_match *m = text_inst_match(s, x);
        size_t len = strlen(arg);
        if (len > BS_COMMENT_MAX)
                return FAIL(s, word, arg, "comment is too long (%zu characters, at most %d)", len, BS_COMMENT_MAX);
        if (strpbrk(arg, "\n\r"))
                return FAIL(s, word, arg, "comment may not contain a line break");
        memcpy(m->comment, arg, len + 1);
        return 0;
}

static const text_ext comment_ext = {
        .name = "comment", .kind = BS_MATCH_COMMENT, .opts = comment_opts, .option = comment_option,
        .final = need_option,
};

/* ------------------------------------------------------------ limit */

enum { LIMIT_LIMIT, LIMIT_BURST };

static const text_opt limit_opts[] = {
        { "limit", LIMIT_LIMIT, true, false },
        { "limit-burst", LIMIT_BURST, true, false },
        {},
};

/* libxt_limit's parse_rate: N[/second|/minute|/hour|/day], the unit by
 * prefix; avg = XT_LIMIT_SCALE * seconds / N in 32 bits. */
static bool parse_rate(const char *rate, uint32_t *ret) {
        uint32_t mult = 1;
        const char *slash = strchr(rate, '/');
        if (slash) {
                const char *u = slash + 1;
                size_t len = strlen(u);
                if (len == 0)
                        return false;
                if (strncasecmp(u, "second", len) == 0 && len <= 6)
                        mult = 1;
                else if (strncasecmp(u, "minute", len) == 0 && len <= 6)
                        mult = 60;
                else if (strncasecmp(u, "hour", len) == 0 && len <= 4)
                        mult = 60 * 60;
                else if (strncasecmp(u, "day", len) == 0 && len <= 3)
                        mult = 24 * 60 * 60;
                else
                        return false;
        }
        char num[24];
        size_t nlen = slash ? (size_t) (slash - rate) : strlen(rate);
        if (nlen == 0 || nlen >= sizeof(num))
                return false;
        memcpy(num, rate, nlen);
        num[nlen] = '\0';
        uintmax_t r;
        if (!text_decimal(num, UINT32_MAX, &r) || r == 0)
                return false;
        *ret = (uint32_t) ((uint32_t) (XT_LIMIT_SCALE * mult) / (uint32_t) r);
        return true;
}

static void limit_init(text_parse_state *s, text_ext_inst *x) {
        bs_match_limit *l = &text_inst_match(s, x)->limit;
        parse_rate("3/hour", &l->avg);
        l->burst = 5;
}

static int limit_option(text_parse_state *s, text_ext_inst *x, const text_opt *o, const char *arg, int word,
                        bool invert) {
        bs_match_limit *l = &text_inst_match(s, x)->limit;
        if (o->id == LIMIT_LIMIT) {
                if (!parse_rate(arg, &l->avg))
                        return FAIL(s, word, arg, "bad rate \"%s\" (N or N/second, /minute, /hour, /day)", arg);
                if (l->avg == 0)
                        return FAIL(s, word, arg, "rate \"%s\" is too fast (at most 10000/second)", arg);
                return 0;
        }
        uintmax_t v;
        if (!text_strtoul(arg, 0, 1, 10000, &v))
                return FAIL(s, word, arg, "burst \"%s\" is out of range (1-10000)", arg);
        l->burst = (uint32_t) v;
        return 0;
}

static int limit_final(text_parse_state *s, text_ext_inst *x) {
        const bs_match_limit *l = &text_inst_match(s, x)->limit;
        /* the kernel refuses a rate whose burst overflows 32 bits */
        if ((uint64_t) l->avg * l->burst > UINT32_MAX)
                return FAIL(s, x->word, s->words[x->word], "limit: the burst is too large for that rate");
        return 0;
}

static const text_ext limit_ext = {
        .name = "limit", .kind = BS_MATCH_LIMIT, .opts = limit_opts, .init = limit_init,
        .option = limit_option, .final = limit_final,
};

/* ------------------------------------------------------------ addrtype */

enum { AT_SRC, AT_DST, AT_IN, AT_OUT };

static const text_opt addrtype_opts[] = {
        { "src-type", AT_SRC, true, true },
        { "dst-type", AT_DST, true, true },
        { "limit-iface-in", AT_IN, false, false },
        { "limit-iface-out", AT_OUT, false, false },
        {},
};

static int addrtype_option(text_parse_state *s, text_ext_inst *x, const text_opt *o, const char *arg,
                           int word, bool invert) {
        bs_match_addrtype *a = &text_inst_match(s, x)->addrtype;
        if (o->id == AT_IN || o->id == AT_OUT) {
                if (x->seen & (BIT(AT_IN) | BIT(AT_OUT)))
                        return FAIL(s, word, s->words[word],
                                    "addrtype: --limit-iface-in and --limit-iface-out exclude each other");
                a->flags |= o->id == AT_IN ? XT_ADDRTYPE_LIMIT_IFACE_IN : XT_ADDRTYPE_LIMIT_IFACE_OUT;
                return 0;
        }
        uint16_t mask = 0;
        const char *p = arg;
        for (;;) {
                const char *comma = strchr(p, ',');
                size_t len = comma ? (size_t) (comma - p) : strlen(p);
                size_t i;
                for (i = 0; len > 0 && i < text_addrtypes_n; i++)
                        if (strncasecmp(p, text_addrtypes[i], len) == 0 && len <= strlen(text_addrtypes[i]))
                                break;
                if (len == 0 || i == text_addrtypes_n)
                        return FAIL(s, word, arg, "addrtype: bad type \"%.*s\" in \"%s\"", (int) len, p, arg);
                /* the kernel has no such IPv6 address types */
                if (s->family == BS_FAMILY_IPV6 &&
                    ((1u << i) & (XT_ADDRTYPE_BLACKHOLE | XT_ADDRTYPE_BROADCAST | XT_ADDRTYPE_PROHIBIT)))
                        return FAIL(s, word, arg, "addrtype: %s is not supported for IPv6", text_addrtypes[i]);
                mask |= (uint16_t) (1u << i);
                if (!comma)
                        break;
                p = comma + 1;
        }
        if (o->id == AT_SRC) {
                a->source = mask;
                if (invert)
                        a->flags |= XT_ADDRTYPE_INVERT_SOURCE;
        } else {
                a->dest = mask;
                if (invert)
                        a->flags |= XT_ADDRTYPE_INVERT_DEST;
        }
        return 0;
}

static int addrtype_final(text_parse_state *s, text_ext_inst *x) {
        if (x->seen & (BIT(AT_SRC) | BIT(AT_DST)))
                return 0;
        return FAIL(s, x->word, s->words[x->word], "addrtype needs --src-type or --dst-type");
}

static const text_ext addrtype_ext = {
        .name = "addrtype", .kind = BS_MATCH_ADDRTYPE, .opts = addrtype_opts,
        .option = addrtype_option, .final = addrtype_final,
};

/* ------------------------------------------------------------ mac */

static const text_opt mac_opts[] = { { "mac-source", 0, true, true }, {} };

static int mac_option(text_parse_state *s, text_ext_inst *x, const text_opt *o, const char *arg, int word,
                      bool invert) {
        bs_match_mac *mac = &text_inst_match(s, x)->mac;
        const char *p = arg;
        for (unsigned i = 0; i < 6; i++) {
                unsigned v = 0, digits = 0;
                while (isxdigit((unsigned char) *p) && digits < 3) {
                        v = v * 16 + (unsigned) (isdigit((unsigned char) *p) ? *p - '0'
                                                                             : tolower((unsigned char) *p) - 'a' + 10);
                        p++, digits++;
                }
                if (digits == 0 || digits > 2 || (i < 5 && *p != ':') || (i == 5 && *p != '\0'))
                        return FAIL(s, word, arg, "\"%s\" is not a MAC address (xx:xx:xx:xx:xx:xx)", arg);
                mac->addr[i] = (uint8_t) v;
                p++;
        }
        mac->invert = invert;
        return 0;
}

static const text_ext mac_ext = {
        .name = "mac", .kind = BS_MATCH_MAC, .opts = mac_opts, .option = mac_option, .final = need_option,
};

/* ------------------------------------------------------------ iprange */

enum { IPR_SRC, IPR_DST };

static const text_opt iprange_opts[] = {
        { "src-range", IPR_SRC, true, true },
        { "dst-range", IPR_DST, true, true },
        {},
};

static int iprange_option(text_parse_state *s, text_ext_inst *x, const text_opt *o, const char *arg,
                          int word, bool invert) {
        bs_match_iprange *ir = &text_inst_match(s, x)->iprange;
        _cleanup_free_ char *buf = strdup(arg);
        if (!buf)
                return -ENOMEM;
        char *dash = strchr(buf, '-');
        const char *hi = buf;
        if (dash) {
                *dash = '\0';
                hi = dash + 1;
        }
        uint8_t a[16], b[16];
        if (!text_addr_numeric(s->family, buf, a))
                return FAIL(s, word, arg, "\"%s\" is not a valid %s address", buf,
                            s->family == BS_FAMILY_IPV6 ? "IPv6" : "IPv4");
        if (!text_addr_numeric(s->family, hi, b))
                return FAIL(s, word, arg, "\"%s\" is not a valid %s address", hi,
                            s->family == BS_FAMILY_IPV6 ? "IPv6" : "IPv4");
        if (o->id == IPR_SRC) {
                memcpy(ir->src_min, a, 16);
                memcpy(ir->src_max, b, 16);
                ir->flags |= IPRANGE_SRC | (invert ? IPRANGE_SRC_INV : 0);
        } else {
                memcpy(ir->dst_min, a, 16);
                memcpy(ir->dst_max, b, 16);
                ir->flags |= IPRANGE_DST | (invert ? IPRANGE_DST_INV : 0);
        }
        return 0;
}

static int iprange_final(text_parse_state *s, text_ext_inst *x) {
        if (x->seen)
                return 0;
        return FAIL(s, x->word, s->words[x->word], "iprange needs --src-range or --dst-range");
}

static const text_ext iprange_ext = {
        .name = "iprange", .kind = BS_MATCH_IPRANGE, .opts = iprange_opts, .option = iprange_option,
        .final = iprange_final,
};

/* ------------------------------------------------------------ lookup */

const text_ext *text_find_match(bs_family f, const char *name) {
        static const text_ext *const any[] = {
                &text_tcp_ext, &text_udp_ext, &conntrack_ext, &state_ext, &text_multiport_ext,
                &comment_ext, &limit_ext, &addrtype_ext, &mac_ext, &iprange_ext,
        };
        for (size_t i = 0; i < ELEMENTSOF(any); i++)
                if (name[0] == any[i]->name[0] && streq(name, any[i]->name))
                        return any[i];
        if (f == BS_FAMILY_IPV4 && streq(name, "icmp"))
                return &icmp_ext;
        if (f == BS_FAMILY_IPV6 && (streq(name, "icmp6") || streq(name, "icmpv6") || streq(name, "ipv6-icmp")))
                return &icmp6_ext;
        return NULL;
}

const text_ext *text_proto_match(bs_family f, uint16_t proto) {
        switch (proto) {
        case IPPROTO_TCP:
                return &text_tcp_ext;
        case IPPROTO_UDP:
                return &text_udp_ext;
        case IPPROTO_ICMP:
                return f == BS_FAMILY_IPV4 ? &icmp_ext : NULL;
        case IPPROTO_ICMPV6:
                return f == BS_FAMILY_IPV6 ? &icmp6_ext : NULL;
        default:
                return NULL;
        }
}
