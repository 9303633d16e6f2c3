/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "check.h"
#include "utf8.h"

#include <inttypes.h>
#include <netinet/in.h>
#include <stdarg.h>

#include "classify.h"
#include "eval.h"

static const uint8_t ndp_types[] = { 133, 134, 135, 136 };
static const char *const ndp_names[] = { "router solicitation", "router advertisement", "neighbour solicitation",
                                         "neighbour advertisement" };

void bs_check_report_done(bs_check_report *r) {
        free(r->items);
        r->items = NULL;
        r->n = r->cap = 0;
}

const bs_check_item *bs_check_report_find(const bs_check_report *r, const char *id, const char *family) {
        for (size_t i = 0; i < r->n; i++)
                if (streq(r->items[i].id, id) && streq(r->items[i].family, family))
                        return &r->items[i];
        return NULL;
}

/* Append an item; the summary is formatted, detail starts empty. */
_printf_(5, 6) static bs_check_item *item(bs_check_report *r, const char *id, const char *family, bool passed,
                                          const char *fmt, ...) {
        if (bs_grow((void **) &r->items, &r->cap, r->n + 1, sizeof(bs_check_item)) < 0)
                return NULL;
        bs_check_item *it = &r->items[r->n++];
        memset(it, 0, sizeof(*it));
        snprintf(it->id, sizeof(it->id), "%s", id);
        snprintf(it->family, sizeof(it->family), "%s", family);
        it->passed = passed;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(it->summary, sizeof(it->summary), fmt, ap);
        bs_utf8_trim(it->summary);
        va_end(ap);
        return it;
}

_printf_(2, 3) static void detail(bs_check_item *it, const char *fmt, ...) {
        size_t len = strlen(it->detail);
        if (len >= sizeof(it->detail) - 1)
                return;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(it->detail + len, sizeof(it->detail) - len, fmt, ap);
        bs_utf8_trim(it->detail);
        va_end(ap);
}

static const char *cmd(bs_family f) {
        return f == BS_FAMILY_IPV6 ? "ip6tables" : "iptables";
}

/* What one family's INPUT looks like, for the items and for parity. */
typedef struct posture {
        const bs_chain *input;
        ssize_t stateful, broad, service, loopback;
        ssize_t mgmt[BS_MGMT_PORTS_MAX];
        bs_allow_kind mgmt_kind[BS_MGMT_PORTS_MAX];
} posture;

static void analyse(const bs_chain *in, const bs_mgmt_ports *ports, posture *p) {
        memset(p, 0, sizeof(*p));
        p->input = in;
        p->stateful = bs_chain_find(in, bs_rule_is_stateful_accept);
        p->broad = bs_chain_find(in, bs_rule_is_broad_drop);
        p->service = bs_chain_find(in, bs_rule_is_service_allow);
        p->loopback = bs_chain_find(in, bs_rule_is_loopback_accept);
        for (size_t k = 0; k < ports->n; k++) {
                p->mgmt[k] = -1;
                for (size_t i = 0; in && i < in->n_rules; i++) {
                        bs_allow_kind a = bs_rule_allows_port(&in->rules[i], ports->ports[k].proto, ports->ports[k].port);
                        if (a != BS_ALLOW_NO) {
                                p->mgmt[k] = (ssize_t) i;
                                p->mgmt_kind[k] = a;
                                break;
                        }
                }
        }
}

static bool before_broad(const posture *p, ssize_t idx) {
        return idx >= 0 && (p->broad < 0 || idx < p->broad);
}

static const char *spelling(const bs_rule *r) {
        for (size_t i = 0; i < r->n_matches; i++)
                if (r->matches[i].kind == BS_MATCH_CONNTRACK)
                        return (r->matches[i].conntrack.match_flags & (1u << 13)) ? "-m state --state RELATED,ESTABLISHED"
                                                                                   : "-m conntrack --ctstate RELATED,ESTABLISHED";
        return "?";
}

static int check_family(bs_check_report *r, const bs_table *t, const bs_mgmt_ports *ports) {
        const char *fam = bs_family_to_string(t->family);
        const bs_chain *in = bs_table_find_chain(t, "INPUT");
        if (!in)
                return -ENOENT;
        posture p;
        analyse(in, ports, &p);
        bs_check_item *it;

        /* stateful-rule-present */
        if (p.stateful >= 0) {
                it = item(r, "stateful-rule-present", fam, true, "the stateful rule is rule %zd of INPUT (%s -j ACCEPT)",
                          p.stateful + 1, spelling(&in->rules[p.stateful]));
        } else {
                it = item(r, "stateful-rule-present", fam, false,
                          "INPUT has no rule accepting ESTABLISHED,RELATED traffic: replies to outgoing connections depend on the policy");
                if (it)
                        detail(it, "add it: %s -I INPUT 1 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT", cmd(t->family));
        }
        if (!it)
                return -ENOMEM;

        /* stateful-rule-position */
        if (p.stateful < 0)
                it = item(r, "stateful-rule-position", fam, false, "there is no stateful rule to place");
        else {
                bool ok_broad = p.broad < 0 || p.stateful < p.broad;
                bool ok_service = p.service < 0 || p.stateful < p.service;
                it = item(r, "stateful-rule-position", fam, ok_broad && ok_service,
                          ok_broad && ok_service ? "the stateful rule (rule %zd) stands before every broad DROP/REJECT and service allow"
                                                 : "the stateful rule (rule %zd) comes too late in INPUT",
                          p.stateful + 1);
                if (it && !ok_broad)
                        detail(it, "rule %zd is a broad %s that comes first, so replies can be dropped. ", p.broad + 1,
                               in->rules[p.broad].target.kind == BS_TARGET_REJECT ? "REJECT" : "DROP");
                if (it && !ok_service)
                        detail(it, "service allow rule %zd comes first: every packet of its connections is checked "
                                   "against the rules before the stateful one. ",
                               p.service + 1);
        }
        if (!it)
                return -ENOMEM;

        /* loopback-allowed */
        if (before_broad(&p, p.loopback))
                it = item(r, "loopback-allowed", fam, true, "loopback traffic is accepted by rule %zd of INPUT (-i lo -j ACCEPT)",
                          p.loopback + 1);
        else if (p.loopback >= 0)
                it = item(r, "loopback-allowed", fam, false, "the loopback accept (rule %zd) comes after the broad %s at rule %zd",
                          p.loopback + 1, in->rules[p.broad].target.kind == BS_TARGET_REJECT ? "REJECT" : "DROP",
                          p.broad + 1);
        else {
                it = item(r, "loopback-allowed", fam, false, "INPUT has no -i lo -j ACCEPT rule");
                if (it)
                        detail(it, "add it: %s -A INPUT -i lo -j ACCEPT (before any broad DROP/REJECT)", cmd(t->family));
        }
        if (!it)
                return -ENOMEM;

        /* management-allowed */
        bool all = ports->n > 0;
        for (size_t k = 0; k < ports->n; k++)
                if (!before_broad(&p, p.mgmt[k]))
                        all = false;
        char list[256];
        bs_mgmt_ports_format(ports, list, sizeof(list));
        it = item(r, "management-allowed", fam, all,
                  all ? "every management port (%s) is accepted before any broad DROP/REJECT"
                      : "not every management port (%s) is accepted",
                  list);
        if (!it)
                return -ENOMEM;
        for (size_t k = 0; k < ports->n; k++) {
                const bs_l4port *mp = &ports->ports[k];
                const char *proto = mp->proto == IPPROTO_UDP ? "udp" : "tcp";
                if (p.mgmt[k] < 0)
                        detail(it, "%u/%s: no ACCEPT rule; ", mp->port, proto);
                else if (!before_broad(&p, p.mgmt[k]))
                        detail(it, "%u/%s: rule %zd, after the broad DROP/REJECT at rule %zd; ", mp->port, proto,
                               p.mgmt[k] + 1, p.broad + 1);
                else
                        detail(it, "%u/%s: rule %zd%s; ", mp->port, proto, p.mgmt[k] + 1,
                               p.mgmt_kind[k] == BS_ALLOW_RESTRICTED ? " (with restrictions: check they include you)" : "");
        }

        /* input-policy */
        it = item(r, "input-policy", fam, in->policy == BS_POLICY_DROP, "the INPUT policy is %s%s",
                  bs_policy_to_string(in->policy),
                  in->policy == BS_POLICY_DROP ? "" : ": whatever no rule drops is accepted");
        if (!it)
                return -ENOMEM;

        /* ipv6-ndp-allowed: judged by the evaluator, so any spelling counts */
        if (t->family == BS_FAMILY_IPV6) {
                bool ok = true;
                char d[1024] = "";
                size_t dl = 0;
                for (size_t i = 0; i < ELEMENTSOF(ndp_types); i++) {
                        bs_packet pk = { 0 };
                        pk.family = BS_FAMILY_IPV6;
                        pk.hook = BS_HOOK_INPUT;
                        pk.in_known = BS_IFACE_NOT_LOOPBACK;
                        pk.src[0] = 0xfe;
                        pk.src[1] = 0x80;
                        pk.src[15] = 2;
                        pk.dst[0] = 0xff; /* ff02::1 */
                        pk.dst[1] = 0x02;
                        pk.dst[15] = 1;
                        pk.proto = IPPROTO_ICMPV6;
                        pk.icmp_type = ndp_types[i];
                        pk.ctstate = BS_CTSTATE_UNTRACKED; /* conntrack leaves ND alone */
                        pk.nat_known = true;
                        pk.src_type = 1u << 1;
                        pk.dst_type = 1u << 5;
                        bs_eval_result res;
                        int k = bs_eval(t, &pk, &res, NULL, NULL);
                        if (k < 0)
                                return k;
                        if (res.verdict != BS_VERDICT_ACCEPT)
                                ok = false;
                        const char *how = res.verdict == BS_VERDICT_UNCERTAIN ? "cannot be judged at" : bs_verdict_to_string(res.verdict);
                        int w;
                        if (res.position == 0)
                                w = snprintf(d + dl, sizeof(d) - dl, "%u (%s): %s by policy of %s; ", ndp_types[i], ndp_names[i],
                                             how, res.chain);
                        else
                                w = snprintf(d + dl, sizeof(d) - dl, "%u (%s): %s rule %u of %s%s%s; ", ndp_types[i],
                                             ndp_names[i], how, res.position, res.chain, res.reason[0] ? ": " : "", res.reason);
                        if (w > 0 && (size_t) w < sizeof(d) - dl)
                                dl += (size_t) w;
                }
                it = item(r, "ipv6-ndp-allowed", fam, ok,
                          ok ? "neighbour discovery (ICMPv6 133-136) is accepted"
                             : "neighbour discovery (ICMPv6 133-136) is not accepted: IPv6 will stop working");
                if (!it)
                        return -ENOMEM;
                detail(it, "%s", d);
        }

        /* stateful-counter */
        if (p.stateful < 0)
                it = item(r, "stateful-counter", fam, false, "there is no stateful rule whose counter could rise");
        else {
                uint64_t pk = in->rules[p.stateful].packets;
                it = item(r, "stateful-counter", fam, pk > 0,
                          pk > 0 ? "replies are being matched by the stateful rule (%" PRIu64 " packets)"
                                 : "the stateful rule has matched no packet yet (%" PRIu64 ")",
                          pk);
                if (it && pk == 0)
                        detail(it, "zero the INPUT counters, make an outbound connection, and check again");
        }
        if (!it)
                return -ENOMEM;
        return 0;
}

/* The TCP/UDP ports accepted from anywhere in INPUT, as "22/tcp" words. */
static bool port_allowed_any(const bs_chain *in, uint8_t proto, uint16_t port) {
        for (size_t i = 0; in && i < in->n_rules; i++)
                if (bs_rule_allows_port(&in->rules[i], proto, port) == BS_ALLOW_ANY)
                        return true;
        return false;
}

static void collect_ports(const bs_chain *in, bs_mgmt_ports *out) {
        for (size_t i = 0; in && i < in->n_rules; i++) {
                const bs_rule *r = &in->rules[i];
                if (r->target.kind != BS_TARGET_ACCEPT)
                        continue;
                for (size_t j = 0; j < r->n_matches; j++) {
                        const bs_match *m = &r->matches[j];
                        if (m->kind == BS_MATCH_TCP && m->tcp.dport.lo == m->tcp.dport.hi && m->tcp.dport.lo != 0)
                                (void) bs_mgmt_ports_add(out, IPPROTO_TCP, m->tcp.dport.lo);
                        else if (m->kind == BS_MATCH_UDP && m->udp.dport.lo == m->udp.dport.hi && m->udp.dport.lo != 0)
                                (void) bs_mgmt_ports_add(out, IPPROTO_UDP, m->udp.dport.lo);
                        else if (m->kind == BS_MATCH_MULTIPORT && r->proto)
                                for (unsigned k = 0; k < m->multiport.count && k < BS_MULTIPORT_MAX; k++)
                                        if (!m->multiport.pflags[k] && (k == 0 || !m->multiport.pflags[k - 1]))
                                                (void) bs_mgmt_ports_add(out, (uint8_t) r->proto, m->multiport.ports[k]);
                }
        }
}

static int check_parity(bs_check_report *r, const bs_table *v4, const bs_table *v6, const bs_mgmt_ports *ports) {
        const bs_chain *a = bs_table_find_chain(v4, "INPUT"), *b = bs_table_find_chain(v6, "INPUT");
        if (!a || !b)
                return -ENOENT;
        posture pa, pb;
        analyse(a, ports, &pa);
        analyse(b, ports, &pb);
        char d[1024] = "";
        size_t dl = 0;
#define DIFF(...)                                                                          \
        do {                                                                               \
                int _w = snprintf(d + dl, sizeof(d) - dl, __VA_ARGS__);                    \
                if (_w > 0 && (size_t) _w < sizeof(d) - dl)                                \
                        dl += (size_t) _w;                                                 \
        } while (0)
        if (a->policy != b->policy)
                DIFF("INPUT policy: %s for IPv4, %s for IPv6; ", bs_policy_to_string(a->policy), bs_policy_to_string(b->policy));
        if ((pa.stateful >= 0) != (pb.stateful >= 0))
                DIFF("stateful rule only in %s; ", pa.stateful >= 0 ? "IPv4" : "IPv6");
        if ((pa.loopback >= 0) != (pb.loopback >= 0))
                DIFF("loopback accept only in %s; ", pa.loopback >= 0 ? "IPv4" : "IPv6");
        /* every port open to everyone in one family should be in the other */
        bs_mgmt_ports all = { 0 };
        collect_ports(a, &all);
        collect_ports(b, &all);
        for (size_t i = 0; i < ports->n; i++)
                (void) bs_mgmt_ports_add(&all, ports->ports[i].proto, ports->ports[i].port);
        for (size_t i = 0; i < all.n; i++) {
                bool x = port_allowed_any(a, all.ports[i].proto, all.ports[i].port);
                bool y = port_allowed_any(b, all.ports[i].proto, all.ports[i].port);
                if (x != y)
                        DIFF("%u/%s open only in %s; ", all.ports[i].port, all.ports[i].proto == IPPROTO_UDP ? "udp" : "tcp",
                             x ? "IPv4" : "IPv6");
        }
#undef DIFF
        bs_check_item *it = item(r, "ipv6-parity", "", dl == 0,
                                 dl == 0 ? "IPv6 INPUT protects like IPv4 INPUT (policy, stateful, loopback, open ports)"
                                         : "IPv6 INPUT differs from IPv4 INPUT");
        if (!it)
                return -ENOMEM;
        detail(it, "%s", d);
        return 0;
}

int bs_check_run(const bs_table *v4, const bs_table *v6, const bs_mgmt_ports *ports, bs_check_report *ret) {
        if (!ports || (v4 && v4->family != BS_FAMILY_IPV4) || (v6 && v6->family != BS_FAMILY_IPV6))
                return -EINVAL;
        bs_check_report r = { 0 };
        int k = 0;
        if (v4)
                k = check_family(&r, v4, ports);
        if (k >= 0 && v6)
                k = check_family(&r, v6, ports);
        if (k >= 0 && v4 && v6)
                k = check_parity(&r, v4, v6, ports);
        if (k < 0) {
                bs_check_report_done(&r);
                return k;
        }
        r.passed = true;
        for (size_t i = 0; i < r.n; i++)
                if (!r.items[i].passed)
                        r.passed = false;
        *ret = r;
        return 0;
}
