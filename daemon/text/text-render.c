/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Rules, tables and changes rendered exactly as iptables-legacy -S prints
 * them (the save functions of iptables 1.8.9 and its extensions). */
#include "text-internal.h"

#include <inttypes.h>
#include <linux/netfilter/xt_limit.h>

#define PUT(expr)                       \
        do {                            \
                int _r = (expr);        \
                if (_r < 0)             \
                        return _r;      \
        } while (false)

#define PUT_LIT(b, lit) PUT(text_buf_add((b), (lit), sizeof(lit) - 1))

static int put_inv(bs_buf *b, bool invert) {
        return invert ? text_buf_add(b, " !", 2) : 0;
}

/* " NAME" */
static int put_sp_str(bs_buf *b, const char *s) {
        PUT_LIT(b, " ");
        return text_buf_add_str(b, s);
}

/* " N" */
static int put_sp_u(bs_buf *b, uintmax_t v) {
        PUT_LIT(b, " ");
        return text_buf_add_u(b, v);
}

static int put_ports(bs_buf *b, const char *opt, bs_port_range p, bool invert) {
        if (p.lo == 0 && p.hi == 0xFFFF)
                return 0; /* iptables omits the full range, even inverted */
        PUT(put_inv(b, invert));
        PUT(put_sp_str(b, opt));
        PUT(put_sp_u(b, p.lo));
        if (p.lo != p.hi) {
                PUT_LIT(b, ":");
                PUT(text_buf_add_u(b, p.hi));
        }
        return 0;
}

static int put_tcp_flags(bs_buf *b, uint8_t flags) {
        static const char *const extra[] = { "ECE", "CWR" }; /* bits iptables cannot set */
        bool any = false;
        for (size_t i = 0; i < 6; i++)
                if (flags & text_tcp_flags[i].bit) {
                        if (any)
                                PUT_LIT(b, ",");
                        PUT(text_buf_add_str(b, text_tcp_flags[i].name));
                        any = true;
                }
        for (size_t i = 0; i < 2; i++)
                if (flags & (0x40u << i)) {
                        if (any)
                                PUT_LIT(b, ",");
                        PUT(text_buf_add_str(b, extra[i]));
                        any = true;
                }
        return any ? 0 : text_buf_add_str(b, "NONE");
}

static int render_tcp(bs_buf *b, const bs_match_tcp *t) {
        PUT_LIT(b, " -m tcp");
        PUT(put_ports(b, "--sport", t->sport, t->sport_invert));
        PUT(put_ports(b, "--dport", t->dport, t->dport_invert));
        if (t->option || t->option_invert) {
                PUT(put_inv(b, t->option_invert));
                PUT(bs_buf_printf(b, " --tcp-option %u", t->option));
        }
        if (t->flg_mask || t->flags_invert) {
                PUT(put_inv(b, t->flags_invert));
                PUT(text_buf_add_str(b, " --tcp-flags "));
                PUT(put_tcp_flags(b, t->flg_mask));
                PUT(text_buf_add_str(b, " "));
                PUT(put_tcp_flags(b, t->flg_cmp));
        }
        return 0;
}

static int render_icmp(bs_buf *b, bs_family f, const bs_match_icmp *i) {
        bool v6 = f == BS_FAMILY_IPV6;
        PUT(text_buf_add_str(b, v6 ? " -m icmp6" : " -m icmp"));
        PUT(put_inv(b, i->invert));
        if (!v6 && i->type == 0xFF)
                return text_buf_add_str(b, " --icmp-type any");
        PUT(bs_buf_printf(b, v6 ? " --icmpv6-type %u" : " --icmp-type %u", i->type));
        if (i->code_min != 0 || i->code_max != 0xFF)
                PUT(bs_buf_printf(b, "/%u", i->code_min));
        return 0;
}

static int put_flag_list(bs_buf *b, const text_flag_name *t, size_t n, uint32_t mask) {
        bool any = false;
        for (size_t i = 0; i < n; i++)
                if (mask & t[i].bit) {
                        PUT(text_buf_add(b, any ? "," : " ", 1));
                        PUT(text_buf_add_str(b, t[i].name));
                        any = true;
                }
        return 0;
}

static int put_ct_ports(bs_buf *b, const char *opt, uint16_t lo, uint16_t hi) {
        if (hi == 0 || lo == hi)
                return bs_buf_printf(b, " --%s %u", opt, lo);
        return bs_buf_printf(b, " --%s %u:%u", opt, lo, hi);
}

static int render_conntrack(bs_buf *b, bs_family f, const bs_match_conntrack *c) {
        uint16_t m = c->match_flags, inv = c->invert_flags;
        bool alias = m & XT_CONNTRACK_STATE_ALIAS;
        PUT(text_buf_add_str(b, alias ? " -m state" : " -m conntrack"));
        if (m & XT_CONNTRACK_STATE) {
                PUT(put_inv(b, inv & XT_CONNTRACK_STATE));
                PUT(text_buf_add_str(b, alias ? " --state" : " --ctstate"));
                PUT(put_flag_list(b, text_ct_states, text_ct_states_n, c->state_mask));
        }
        if (m & XT_CONNTRACK_PROTO) {
                PUT(put_inv(b, inv & XT_CONNTRACK_PROTO));
                PUT(bs_buf_printf(b, " --ctproto %u", c->l4proto));
        }
        static const struct {
                uint16_t flag;
                const char *opt;
                size_t off;
        } addrs[] = {
                { XT_CONNTRACK_ORIGSRC, "--ctorigsrc", offsetof(bs_match_conntrack, origsrc) },
                { XT_CONNTRACK_ORIGDST, "--ctorigdst", offsetof(bs_match_conntrack, origdst) },
                { XT_CONNTRACK_REPLSRC, "--ctreplsrc", offsetof(bs_match_conntrack, replsrc) },
                { XT_CONNTRACK_REPLDST, "--ctrepldst", offsetof(bs_match_conntrack, repldst) },
        };
        for (size_t i = 0; i < ELEMENTSOF(addrs); i++)
                if (m & addrs[i].flag) {
                        PUT(put_inv(b, inv & addrs[i].flag));
                        PUT(bs_buf_printf(b, " %s", addrs[i].opt));
                        PUT(text_put_ct_addr(b, f, (const bs_addr *) ((const char *) c + addrs[i].off)));
                }
        const struct {
                uint16_t flag;
                const char *opt;
                uint16_t lo, hi;
        } ports[] = {
                { XT_CONNTRACK_ORIGSRC_PORT, "ctorigsrcport", c->origsrc_port, c->origsrc_port_high },
                { XT_CONNTRACK_ORIGDST_PORT, "ctorigdstport", c->origdst_port, c->origdst_port_high },
                { XT_CONNTRACK_REPLSRC_PORT, "ctreplsrcport", c->replsrc_port, c->replsrc_port_high },
                { XT_CONNTRACK_REPLDST_PORT, "ctrepldstport", c->repldst_port, c->repldst_port_high },
        };
        for (size_t i = 0; i < ELEMENTSOF(ports); i++)
                if (m & ports[i].flag) {
                        PUT(put_inv(b, inv & ports[i].flag));
                        PUT(put_ct_ports(b, ports[i].opt, ports[i].lo, ports[i].hi));
                }
        if (m & XT_CONNTRACK_STATUS) {
                PUT(put_inv(b, inv & XT_CONNTRACK_STATUS));
                PUT(text_buf_add_str(b, " --ctstatus"));
                if (c->status_mask == 0)
                        PUT(text_buf_add_str(b, " NONE"));
                else
                        PUT(put_flag_list(b, text_ct_statuses, text_ct_statuses_n, c->status_mask));
        }
        if (m & XT_CONNTRACK_EXPIRES) {
                PUT(put_inv(b, inv & XT_CONNTRACK_EXPIRES));
                if (c->expires_min == c->expires_max)
                        PUT(bs_buf_printf(b, " --ctexpire %u", c->expires_min));
                else
                        PUT(bs_buf_printf(b, " --ctexpire %u:%u", c->expires_min, c->expires_max));
        }
        if (m & XT_CONNTRACK_DIRECTION)
                PUT(text_buf_add_str(b, inv & XT_CONNTRACK_DIRECTION ? " --ctdir REPLY" : " --ctdir ORIGINAL"));
        return 0;
}

static int render_multiport(bs_buf *b, const bs_match_multiport *mp) {
        static const char *const opt[] = { " --sports ", " --dports ", " --ports " };
        PUT(text_buf_add_str(b, " -m multiport"));
        PUT(put_inv(b, mp->invert));
        PUT(text_buf_add_str(b, opt[mp->dir <= BS_MULTIPORT_EITHER ? mp->dir : BS_MULTIPORT_EITHER]));
        unsigned n = mp->count < BS_MULTIPORT_MAX ? mp->count : BS_MULTIPORT_MAX;
        for (unsigned i = 0; i < n; i++) {
                if (i)
                        PUT_LIT(b, ",");
                PUT(text_buf_add_u(b, mp->ports[i]));
                if (mp->pflags[i] && i + 1 < n) {
                        i++;
                        PUT_LIT(b, ":");
                        PUT(text_buf_add_u(b, mp->ports[i]));
                }
        }
        return 0;
}

/* libxt_limit's print_rate: the largest unit that still gives an exact
 * enough integer rate. */
static int render_limit(bs_buf *b, const bs_match_limit *l) {
        static const struct {
                const char *name;
                uint32_t mult;
        } rates[] = {
                { "day", XT_LIMIT_SCALE * 24 * 60 * 60 },
                { "hour", XT_LIMIT_SCALE * 60 * 60 },
                { "min", XT_LIMIT_SCALE * 60 },
                { "sec", XT_LIMIT_SCALE },
        };
        PUT(text_buf_add_str(b, " -m limit --limit"));
        uint32_t period = l->avg;
        if (period == 0)
                PUT(text_buf_add_str(b, " inf"));
        else {
                size_t i;
                for (i = 1; i < ELEMENTSOF(rates); i++)
                        if (period > rates[i].mult || rates[i].mult / period < rates[i].mult % period)
                                break;
                PUT(bs_buf_printf(b, " %u/%s", rates[i - 1].mult / period, rates[i - 1].name));
        }
        if (l->burst != 5)
                PUT(bs_buf_printf(b, " --limit-burst %u", l->burst));
        return 0;
}

static int put_addrtypes(bs_buf *b, uint16_t mask) {
        bool any = false;
        for (size_t i = 0; i < text_addrtypes_n; i++)
                if (mask & (1u << i)) {
                        if (any)
                                PUT_LIT(b, ",");
                        PUT(text_buf_add_str(b, text_addrtypes[i]));
                        any = true;
                }
        return 0;
}

static int render_addrtype(bs_buf *b, const bs_match_addrtype *a) {
        PUT(text_buf_add_str(b, " -m addrtype"));
        if (a->source) {
                PUT(put_inv(b, a->flags & XT_ADDRTYPE_INVERT_SOURCE));
                PUT(text_buf_add_str(b, " --src-type "));
                PUT(put_addrtypes(b, a->source));
        }
        if (a->dest) {
                PUT(put_inv(b, a->flags & XT_ADDRTYPE_INVERT_DEST));
                PUT(text_buf_add_str(b, " --dst-type "));
                PUT(put_addrtypes(b, a->dest));
        }
        if (a->flags & XT_ADDRTYPE_LIMIT_IFACE_IN)
                PUT(text_buf_add_str(b, " --limit-iface-in"));
        if (a->flags & XT_ADDRTYPE_LIMIT_IFACE_OUT)
                PUT(text_buf_add_str(b, " --limit-iface-out"));
        return 0;
}

static int render_iprange(bs_buf *b, bs_family f, const bs_match_iprange *r) {
        char lo[INET6_ADDRSTRLEN + 1], hi[INET6_ADDRSTRLEN + 1];
        PUT(text_buf_add_str(b, " -m iprange"));
        if (r->flags & IPRANGE_SRC) {
                PUT(put_inv(b, r->flags & IPRANGE_SRC_INV));
                PUT(bs_buf_printf(b, " --src-range %s-%s", text_format_addr(f, r->src_min, lo, sizeof(lo)),
                                  text_format_addr(f, r->src_max, hi, sizeof(hi))));
        }
        if (r->flags & IPRANGE_DST) {
                PUT(put_inv(b, r->flags & IPRANGE_DST_INV));
                PUT(bs_buf_printf(b, " --dst-range %s-%s", text_format_addr(f, r->dst_min, lo, sizeof(lo)),
                                  text_format_addr(f, r->dst_max, hi, sizeof(hi))));
        }
        return 0;
}

static int render_match(bs_buf *b, const bs_rule *r, const bs_match *m, text_style style, text_ext_texts *ext) {
        bs_family f = r->family;
        switch (m->kind) {
        case BS_MATCH_TCP:
                return render_tcp(b, &m->tcp);
        case BS_MATCH_UDP:
                PUT_LIT(b, " -m udp");
                PUT(put_ports(b, "--sport", m->udp.sport, m->udp.sport_invert));
                return put_ports(b, "--dport", m->udp.dport, m->udp.dport_invert);
        case BS_MATCH_ICMP:
        case BS_MATCH_ICMP6:
                return render_icmp(b, m->kind == BS_MATCH_ICMP6 ? BS_FAMILY_IPV6 : BS_FAMILY_IPV4, &m->icmp);
        case BS_MATCH_CONNTRACK:
                return render_conntrack(b, f, &m->conntrack);
        case BS_MATCH_MULTIPORT:
                return render_multiport(b, &m->multiport);
        case BS_MATCH_COMMENT:
                PUT_LIT(b, " -m comment --comment");
                return text_put_word(b, style, true, m->comment);
        case BS_MATCH_LIMIT:
                return render_limit(b, &m->limit);
        case BS_MATCH_ADDRTYPE:
                return render_addrtype(b, &m->addrtype);
        case BS_MATCH_MAC:
                PUT(text_buf_add_str(b, " -m mac"));
                PUT(put_inv(b, m->mac.invert));
                return bs_buf_printf(b, " --mac-source %02x:%02x:%02x:%02x:%02x:%02x", m->mac.addr[0],
                                     m->mac.addr[1], m->mac.addr[2], m->mac.addr[3], m->mac.addr[4],
                                     m->mac.addr[5]);
        case BS_MATCH_IPRANGE:
                return render_iprange(b, f, &m->iprange);
        case BS_MATCH_OPAQUE:
                return text_render_opaque(b, ext, r, false, &m->opaque);
        default:
                return -EINVAL;
        }
}

static int render_log(bs_buf *b, const bs_target_log *l, text_style style) {
        static const struct {
                uint8_t flag;
                const char *opt;
        } flags[] = {
                { XT_LOG_TCPSEQ, " --log-tcp-sequence" }, { XT_LOG_TCPOPT, " --log-tcp-options" },
                { XT_LOG_IPOPT, " --log-ip-options" },    { XT_LOG_UID, " --log-uid" },
                { XT_LOG_MACDECODE, " --log-macdecode" },
        };
        PUT(text_buf_add_str(b, " -j LOG"));
        if (l->prefix[0]) {
                PUT(text_buf_add_str(b, " --log-prefix"));
                PUT(text_put_word(b, style, true, l->prefix));
        }
        if (l->level != 4)
                PUT(bs_buf_printf(b, " --log-level %u", l->level));
        for (size_t i = 0; i < ELEMENTSOF(flags); i++)
                if (l->flags & flags[i].flag)
                        PUT(text_buf_add_str(b, flags[i].opt));
        return 0;
}

static int render_target(bs_buf *b, const bs_rule *r, text_style style, text_ext_texts *ext) {
        bs_family f = r->family;
        const bs_target *t = &r->target;
        switch (t->kind) {
        case BS_TARGET_NONE:
                return 0;
        case BS_TARGET_ACCEPT:
                return text_buf_add(b, " -j ACCEPT", 10);
        case BS_TARGET_DROP:
                return text_buf_add(b, " -j DROP", 8);
        case BS_TARGET_RETURN:
                return text_buf_add_str(b, " -j RETURN");
        case BS_TARGET_QUEUE:
                return text_buf_add_str(b, " -j QUEUE");
        case BS_TARGET_JUMP:
        case BS_TARGET_GOTO:
                PUT(text_buf_add_str(b, t->kind == BS_TARGET_GOTO ? " -g" : " -j"));
                return text_put_word(b, style, false, t->chain);
        case BS_TARGET_REJECT: {
                const char *name = text_reject_to_string(f, t->reject.with);
                if (name)
                        return bs_buf_printf(b, " -j REJECT --reject-with %s", name);
                return bs_buf_printf(b, " -j REJECT --reject-with %u", t->reject.with);
        }
        case BS_TARGET_LOG:
                return render_log(b, &t->log, style);
        case BS_TARGET_OPAQUE:
                return text_render_opaque(b, ext, r, true, &t->opaque);
        default:
                return -EINVAL;
        }
}

/* An interface name field (not always NUL-terminated) as a string. */
static void copy_iface(char out[static IFNAMSIZ + 1], const char *iface) {
        size_t len = strnlen(iface, IFNAMSIZ);
        memcpy(out, iface, len);
        out[len] = '\0';
}

int text_render_rule(const bs_rule *r, bool counters, text_style style, text_ext_texts *ext, bs_buf *out) {
        bs_family f = r->family;
        if (!bs_addr_is_any(&r->src) || r->src_invert) {
                PUT(put_inv(out, r->src_invert));
                PUT(text_buf_add_str(out, " -s"));
                PUT(text_put_host_mask(out, f, &r->src));
        }
        if (!bs_addr_is_any(&r->dst) || r->dst_invert) {
                PUT(put_inv(out, r->dst_invert));
                PUT(text_buf_add_str(out, " -d"));
                PUT(text_put_host_mask(out, f, &r->dst));
        }
        /* "+" has an empty mask: iptables prints nothing for it */
        if (r->in_iface[0] && !streq(r->in_iface, "+")) {
                char name[IFNAMSIZ + 1];
                copy_iface(name, r->in_iface);
                PUT(put_inv(out, r->in_invert));
                PUT(text_buf_add_str(out, " -i"));
                PUT(text_put_word(out, style, false, name));
        }
        if (r->out_iface[0] && !streq(r->out_iface, "+")) {
                char name[IFNAMSIZ + 1];
                copy_iface(name, r->out_iface);
                PUT(put_inv(out, r->out_invert));
                PUT(text_buf_add_str(out, " -o"));
                PUT(text_put_word(out, style, false, name));
        }
        if (r->proto) {
                char buf[64];
                const char *name = text_proto_to_name(r->proto, buf, sizeof(buf));
                PUT(put_inv(out, r->proto_invert));
                PUT_LIT(out, " -p");
                if (name)
                        PUT(put_sp_str(out, name));
                else
                        PUT(put_sp_u(out, r->proto));
        }
        if (f == BS_FAMILY_IPV4 && r->frag == BS_FRAG_YES)
                PUT(text_buf_add_str(out, " -f"));
        else if (f == BS_FAMILY_IPV4 && r->frag == BS_FRAG_NO)
                PUT(text_buf_add_str(out, " ! -f"));
        for (size_t i = 0; i < r->n_matches; i++)
                PUT(render_match(out, r, &r->matches[i], style, ext));
        if (counters)
                PUT(bs_buf_printf(out, " -c %" PRIu64 " %" PRIu64, r->packets, r->bytes));
        return render_target(out, r, style, ext);
}

static void texts_done(text_ext_texts *x) {
        text_ext_texts_done(x);
}

static int render_rule_alone(const bs_rule *r, text_ext_texts *ext, bs_buf *out) {
        _cleanup_buf_ bs_buf tmp = {};
        PUT(text_buf_add_str(&tmp, ""));
        PUT(text_render_rule(r, false, TEXT_STYLE_IPTABLES, ext, &tmp));
        return text_buf_add_str(out, tmp.len > 0 ? tmp.data + 1 : "");
}

int bs_render_rule(const bs_rule *r, bs_buf *out) {
        _cleanup_(texts_done) text_ext_texts ext = {};
        PUT(text_ext_prepare_rule(r, &ext));
        return render_rule_alone(r, &ext, out);
}

struct bs_rule_texts {
        text_ext_texts ext;
};

int bs_rule_texts_new(const bs_table *t, const char *chain, bs_rule_texts **ret) {
        const bs_chain *only = NULL;
        if (chain) {
                only = bs_table_find_chain(t, chain);
                if (!only)
                        return -ENOENT;
        }
        bs_rule_texts *x = calloc(1, sizeof(*x));
        if (!x)
                return -ENOMEM;
        int r = text_ext_prepare_table(t, only, &x->ext);
        if (r < 0) {
                free(x);
                return r;
        }
        *ret = x;
        return 0;
}

int bs_rule_texts_render(bs_rule_texts *x, const bs_rule *r, bs_buf *out) {
        return render_rule_alone(r, &x->ext, out);
}

void bs_rule_texts_free(bs_rule_texts *x) {
        if (!x)
                return;
        text_ext_texts_done(&x->ext);
        free(x);
}

static int render_rule_line(const bs_rule *r, const char *chain, bool counters, text_ext_texts *ext, bs_buf *out) {
        PUT(bs_buf_printf(out, "-A %s", chain));
        return text_render_rule(r, counters, TEXT_STYLE_IPTABLES, ext, out);
}

int bs_render_rule_line(const bs_rule *r, const char *chain, bool counters, bs_buf *out) {
        _cleanup_(texts_done) text_ext_texts ext = {};
        PUT(text_ext_prepare_rule(r, &ext));
        return render_rule_line(r, chain, counters, &ext, out);
}

static int render_chain_head(const bs_chain *c, bool counters, bs_buf *out) {
        if (!c->builtin)
                return bs_buf_printf(out, "-N %s\n", c->name);
        PUT(bs_buf_printf(out, "-P %s %s", c->name, bs_policy_to_string(c->policy)));
        if (counters)
                PUT(bs_buf_printf(out, " -c %" PRIu64 " %" PRIu64, c->policy_packets, c->policy_bytes));
        return text_buf_add_str(out, "\n");
}

static int render_chain_rules(const bs_chain *c, bool counters, text_ext_texts *ext, bs_buf *out) {
        for (size_t i = 0; i < c->n_rules; i++) {
                PUT(render_rule_line(&c->rules[i], c->name, counters, ext, out));
                PUT(text_buf_add_str(out, "\n"));
        }
        return 0;
}

int bs_render_table(const bs_table *t, const char *chain, bool counters, bs_buf *out) {
        _cleanup_(texts_done) text_ext_texts ext = {};
        PUT(text_buf_add_str(out, ""));
        if (chain) {
                const bs_chain *c = bs_table_find_chain(t, chain);
                if (!c)
                        return -ENOENT;
                PUT(text_ext_prepare_table(t, c, &ext));
                PUT(render_chain_head(c, counters, out));
                return render_chain_rules(c, counters, &ext, out);
        }
        PUT(text_ext_prepare_table(t, NULL, &ext));
        for (size_t i = 0; i < t->n_chains; i++)
                PUT(render_chain_head(&t->chains[i], counters, out));
        for (size_t i = 0; i < t->n_chains; i++)
                PUT(render_chain_rules(&t->chains[i], counters, &ext, out));
        return 0;
}

int bs_render_change(const bs_change *c, bs_family family, bs_buf *out) {
        static const char *const cmd[_BS_CHANGE_KIND_MAX] = {
                [BS_CHANGE_APPEND] = "-A",       [BS_CHANGE_INSERT] = "-I",     [BS_CHANGE_REPLACE] = "-R",
                [BS_CHANGE_DELETE] = "-D",       [BS_CHANGE_DELETE_NUM] = "-D", [BS_CHANGE_POLICY] = "-P",
                [BS_CHANGE_NEW_CHAIN] = "-N",    [BS_CHANGE_DELETE_CHAIN] = "-X", [BS_CHANGE_FLUSH] = "-F",
        };
        if ((unsigned) c->kind >= _BS_CHANGE_KIND_MAX)
                return -EINVAL;
        if (family == BS_FAMILY_IPV6)
                PUT_LIT(out, "ip6tables");
        else
                PUT_LIT(out, "iptables");
        if (!streq(c->table, "filter")) {
                PUT_LIT(out, " -t");
                PUT(text_put_word(out, TEXT_STYLE_SHELL, false, c->table));
        }
        PUT(put_sp_str(out, cmd[c->kind]));
        PUT(text_put_word(out, TEXT_STYLE_SHELL, false, c->chain));
        switch (c->kind) {
        case BS_CHANGE_INSERT:
                PUT(put_sp_u(out, c->position ? c->position : 1));
                break;
        case BS_CHANGE_REPLACE:
        case BS_CHANGE_DELETE_NUM:
                PUT(put_sp_u(out, c->position));
                break;
        case BS_CHANGE_POLICY:
                return put_sp_str(out, bs_policy_to_string(c->policy));
        default:
                break;
        }
        if (c->kind == BS_CHANGE_APPEND || c->kind == BS_CHANGE_INSERT || c->kind == BS_CHANGE_REPLACE ||
            c->kind == BS_CHANGE_DELETE)
                return text_render_rule(&c->rule, false, TEXT_STYLE_SHELL, NULL, out);
        return 0;
}
