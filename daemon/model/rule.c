/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "rule.h"

#include <ctype.h>

void bs_rule_init(bs_rule *r, bs_family family) {
        memset(r, 0, sizeof(*r));
        r->family = family;
}

void bs_match_done(bs_match *m) {
        if (m->kind == BS_MATCH_OPAQUE) {
                free(m->opaque.data);
                m->opaque.data = NULL;
                m->opaque.size = 0;
        }
}

void bs_target_done(bs_target *t) {
        if (t->kind == BS_TARGET_OPAQUE) {
                free(t->opaque.data);
                t->opaque.data = NULL;
                t->opaque.size = 0;
        }
}

void bs_rule_done(bs_rule *r) {
        for (size_t i = 0; i < r->n_matches; i++)
                bs_match_done(&r->matches[i]);
        free(r->matches);
        r->matches = NULL;
        r->n_matches = 0;
        bs_target_done(&r->target);
        r->target.kind = BS_TARGET_NONE;
}

static int opaque_copy(bs_opaque *dst, const bs_opaque *src) {
        *dst = *src;
        dst->data = NULL;
        if (src->size == 0)
                return 0;
        dst->data = malloc(src->size);
        if (!dst->data)
                return -ENOMEM;
        memcpy(dst->data, src->data, src->size);
        return 0;
}

int bs_match_copy(bs_match *dst, const bs_match *src) {
        *dst = *src;
        if (src->kind == BS_MATCH_OPAQUE)
                return opaque_copy(&dst->opaque, &src->opaque);
        return 0;
}

int bs_target_copy(bs_target *dst, const bs_target *src) {
        *dst = *src;
        if (src->kind == BS_TARGET_OPAQUE)
                return opaque_copy(&dst->opaque, &src->opaque);
        return 0;
}

int bs_rule_copy(bs_rule *dst, const bs_rule *src) {
        *dst = *src;
        dst->matches = NULL;
        dst->n_matches = 0;
        dst->target.kind = BS_TARGET_NONE;

        if (src->n_matches > 0) {
                /* one copy of the array (a table copy makes one per rule),
                 * then the opaque payloads their own */
                dst->matches = malloc(src->n_matches * sizeof(bs_match));
                if (!dst->matches)
                        return -ENOMEM;
                memcpy(dst->matches, src->matches, src->n_matches * sizeof(bs_match));
                for (size_t i = 0; i < src->n_matches; i++) {
                        if (src->matches[i].kind == BS_MATCH_OPAQUE) {
                                int r = bs_match_copy(&dst->matches[i], &src->matches[i]);
                                if (r < 0) {
                                        dst->matches[i].kind = BS_MATCH_TCP; /* owns nothing */
                                        dst->n_matches = i + 1;
                                        bs_rule_done(dst);
                                        return r;
                                }
                        }
                        dst->n_matches++;
                }
        }
        int r = bs_target_copy(&dst->target, &src->target);
        if (r < 0) {
                dst->target.kind = BS_TARGET_NONE;
                bs_rule_done(dst);
                return r;
        }
        return 0;
}

bs_match *bs_rule_add_match(bs_rule *r, bs_match_kind kind) {
        if (r->n_matches >= BS_MATCHES_MAX)
                return NULL;
        bs_match *n = realloc(r->matches, (r->n_matches + 1) * sizeof(bs_match));
        if (!n)
                return NULL;
        r->matches = n;
        bs_match *m = &r->matches[r->n_matches++];
        memset(m, 0, sizeof(*m));
        m->kind = kind;
        return m;
}

static bool opaque_equal(const bs_opaque *a, const bs_opaque *b) {
        return streq(a->name, b->name) && a->revision == b->revision && a->size == b->size &&
               (a->size == 0 || memcmp(a->data, b->data, a->size) == 0);
}

static bool addr_equal(const bs_addr *a, const bs_addr *b) {
        return memcmp(a, b, sizeof(*a)) == 0;
}

bool bs_match_equal(const bs_match *a, const bs_match *b) {
        if (a->kind != b->kind)
                return false;
        switch (a->kind) {
        case BS_MATCH_TCP: {
                const bs_match_tcp *x = &a->tcp, *y = &b->tcp;
                return x->sport.lo == y->sport.lo && x->sport.hi == y->sport.hi &&
                       x->dport.lo == y->dport.lo && x->dport.hi == y->dport.hi &&
                       x->sport_invert == y->sport_invert && x->dport_invert == y->dport_invert &&
                       x->flg_mask == y->flg_mask && x->flg_cmp == y->flg_cmp &&
                       x->flags_invert == y->flags_invert && x->option == y->option &&
                       x->option_invert == y->option_invert;
        }
        case BS_MATCH_UDP: {
                const bs_match_udp *x = &a->udp, *y = &b->udp;
                return x->sport.lo == y->sport.lo && x->sport.hi == y->sport.hi &&
                       x->dport.lo == y->dport.lo && x->dport.hi == y->dport.hi &&
                       x->sport_invert == y->sport_invert && x->dport_invert == y->dport_invert;
        }
        case BS_MATCH_ICMP:
        case BS_MATCH_ICMP6:
                return a->icmp.type == b->icmp.type && a->icmp.code_min == b->icmp.code_min &&
                       a->icmp.code_max == b->icmp.code_max && a->icmp.invert == b->icmp.invert;
        case BS_MATCH_CONNTRACK: {
                const bs_match_conntrack *x = &a->conntrack, *y = &b->conntrack;
                return addr_equal(&x->origsrc, &y->origsrc) && addr_equal(&x->origdst, &y->origdst) &&
                       addr_equal(&x->replsrc, &y->replsrc) && addr_equal(&x->repldst, &y->repldst) &&
                       x->match_flags == y->match_flags && x->invert_flags == y->invert_flags &&
                       x->state_mask == y->state_mask && x->status_mask == y->status_mask &&
                       x->l4proto == y->l4proto && x->origsrc_port == y->origsrc_port &&
                       x->origsrc_port_high == y->origsrc_port_high &&
                       x->origdst_port == y->origdst_port &&
                       x->origdst_port_high == y->origdst_port_high &&
                       x->replsrc_port == y->replsrc_port &&
                       x->replsrc_port_high == y->replsrc_port_high &&
                       x->repldst_port == y->repldst_port &&
                       x->repldst_port_high == y->repldst_port_high &&
                       x->expires_min == y->expires_min && x->expires_max == y->expires_max;
        }
        case BS_MATCH_MULTIPORT: {
                const bs_match_multiport *x = &a->multiport, *y = &b->multiport;
                if (x->dir != y->dir || x->count != y->count || x->invert != y->invert)
                        return false;
                for (unsigned i = 0; i < x->count && i < BS_MULTIPORT_MAX; i++)
                        if (x->ports[i] != y->ports[i] || x->pflags[i] != y->pflags[i])
                                return false;
                return true;
        }
        case BS_MATCH_COMMENT:
                return streq(a->comment, b->comment);
        case BS_MATCH_LIMIT:
                return a->limit.avg == b->limit.avg && a->limit.burst == b->limit.burst;
        case BS_MATCH_ADDRTYPE:
                return a->addrtype.source == b->addrtype.source && a->addrtype.dest == b->addrtype.dest &&
                       a->addrtype.flags == b->addrtype.flags;
        case BS_MATCH_MAC:
                return memcmp(a->mac.addr, b->mac.addr, 6) == 0 && a->mac.invert == b->mac.invert;
        case BS_MATCH_IPRANGE:
                return memcmp(&a->iprange, &b->iprange, sizeof(a->iprange)) == 0;
        case BS_MATCH_OPAQUE:
                return opaque_equal(&a->opaque, &b->opaque);
        default:
                return false;
        }
}

bool bs_target_equal(const bs_target *a, const bs_target *b) {
        if (a->kind != b->kind)
                return false;
        switch (a->kind) {
        case BS_TARGET_JUMP:
        case BS_TARGET_GOTO:
                return streq(a->chain, b->chain);
        case BS_TARGET_REJECT:
                return a->reject.with == b->reject.with;
        case BS_TARGET_LOG:
                return a->log.level == b->log.level && a->log.flags == b->log.flags &&
                       streq(a->log.prefix, b->log.prefix);
        case BS_TARGET_OPAQUE:
                return opaque_equal(&a->opaque, &b->opaque);
        default:
                return true;
        }
}

/* "+" (iptables stores the name with an empty mask) matches every
 * interface, as no name does; -S and iptables-save print neither, so every
 * text form (a save file, the journal's changes) reads "+" back as no
 * name: both are the same rule. */
static bool iface_equal(const char *a, const char *b, bool invert) {
        if (!invert) {
                if (streq(a, "+"))
                        a = "";
                if (streq(b, "+"))
                        b = "";
        }
        return strncmp(a, b, IFNAMSIZ) == 0;
}

bool bs_rule_equal(const bs_rule *a, const bs_rule *b) {
        if (a->family != b->family || !addr_equal(&a->src, &b->src) || !addr_equal(&a->dst, &b->dst) ||
            a->src_invert != b->src_invert || a->dst_invert != b->dst_invert ||
            !iface_equal(a->in_iface, b->in_iface, a->in_invert) ||
            !iface_equal(a->out_iface, b->out_iface, a->out_invert) || a->in_invert != b->in_invert ||
            a->out_invert != b->out_invert || a->proto != b->proto ||
            a->proto_invert != b->proto_invert || a->frag != b->frag ||
            a->n_matches != b->n_matches)
                return false;
        for (size_t i = 0; i < a->n_matches; i++)
                if (!bs_match_equal(&a->matches[i], &b->matches[i]))
                        return false;
        return bs_target_equal(&a->target, &b->target);
}

/* ---------------------------------------------------------------- addresses */

static unsigned addr_len(bs_family family) {
        return family == BS_FAMILY_IPV6 ? 16 : 4;
}

/* A byte at a time (a bit at a time was a fiftieth of parsing and
 * rendering a change set): whole 0xff bytes, then at most one byte of
 * ones followed by zeros, then zero bytes only. */
int bs_addr_prefix_len(const bs_addr *a, bs_family family) {
        unsigned n = addr_len(family), i = 0, len = 0;
        while (i < n && a->mask[i] == 0xff) {
                len += 8;
                i++;
        }
        if (i == n)
                return (int) len;
        /* ones then zeros: the zeros, inverted, are 2^k - 1 */
        unsigned inv = ~a->mask[i] & 0xffu;
        if (inv & (inv + 1))
                return -1;
        len += 8 - (unsigned) __builtin_popcount(inv);
        for (i++; i < n; i++)
                if (a->mask[i] != 0)
                        return -1;
        return (int) len;
}

void bs_addr_set_prefix(bs_addr *a, bs_family family, unsigned prefix_len) {
        unsigned n = addr_len(family);
        if (prefix_len > n * 8)
                prefix_len = n * 8;
        memset(a->mask, 0, sizeof(a->mask));
        for (unsigned i = 0; i < n; i++) {
                unsigned bits = prefix_len > 8 ? 8 : prefix_len;
                a->mask[i] = bits ? (uint8_t) (0xffu << (8 - bits)) : 0;
                prefix_len -= bits;
        }
        for (unsigned i = 0; i < sizeof(a->addr); i++)
                a->addr[i] &= a->mask[i];
}

bool bs_addr_is_any(const bs_addr *a) {
        static const uint8_t zero[16];
        return memcmp(a->mask, zero, sizeof(zero)) == 0;
}

/* ---------------------------------------------------------------- tables */

static const char *const builtin_chains[][6] = {
        { "filter", "INPUT", "FORWARD", "OUTPUT", NULL },
        { "nat", "PREROUTING", "INPUT", "OUTPUT", "POSTROUTING", NULL },
        { "mangle", "PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING" },
        { "raw", "PREROUTING", "OUTPUT", NULL },
        { "security", "INPUT", "FORWARD", "OUTPUT", NULL },
};

bool bs_builtin_chain(const char *table, const char *chain) {
        for (size_t i = 0; i < ELEMENTSOF(builtin_chains); i++) {
                if (!streq(builtin_chains[i][0], table))
                        continue;
                for (size_t j = 1; j < ELEMENTSOF(builtin_chains[i]) && builtin_chains[i][j]; j++)
                        if (streq(builtin_chains[i][j], chain))
                                return true;
                return false;
        }
        return false;
}

bool bs_chain_name_valid(const char *name) {
        size_t n = strlen(name);
        if (n == 0 || n > BS_CHAIN_NAME_MAX)
                return false;
        if (name[0] == '-' || name[0] == '!')
                return false;
        for (size_t i = 0; i < n; i++)
                if (!isgraph((unsigned char) name[i]))
                        return false;
        static const char *const reserved[] = { "ACCEPT", "DROP", "QUEUE", "RETURN" };
        for (size_t i = 0; i < ELEMENTSOF(reserved); i++)
                if (streq(name, reserved[i]))
                        return false;
        return true;
}

const char *bs_target_name(const bs_target *t) {
        switch (t->kind) {
        case BS_TARGET_ACCEPT:
                return "ACCEPT";
        case BS_TARGET_DROP:
                return "DROP";
        case BS_TARGET_RETURN:
                return "RETURN";
        case BS_TARGET_QUEUE:
                return "QUEUE";
        case BS_TARGET_JUMP:
        case BS_TARGET_GOTO:
                return t->chain;
        case BS_TARGET_REJECT:
                return "REJECT";
        case BS_TARGET_LOG:
                return "LOG";
        case BS_TARGET_OPAQUE:
                return t->opaque.name;
        default:
                return NULL;
        }
}

const char *bs_policy_to_string(bs_policy p) {
        switch (p) {
        case BS_POLICY_ACCEPT:
                return "ACCEPT";
        case BS_POLICY_DROP:
                return "DROP";
        default:
                return "-";
        }
}

const char *bs_family_to_string(bs_family f) {
        return f == BS_FAMILY_IPV6 ? "ipv6" : "ipv4";
}

bs_table *bs_table_new(bs_family family, const char *name) {
        if (strlen(name) > BS_TABLE_NAME_MAX)
                return NULL;
        bs_table *t = calloc(1, sizeof(*t));
        if (!t)
                return NULL;
        t->family = family;
        strcpy(t->name, name);
        t->n_refs = 1;
        return t;
}

bs_table *bs_table_ref(bs_table *t) {
        if (t)
                t->n_refs++;
        return t;
}

static void chain_done(bs_chain *c) {
        for (size_t i = 0; i < c->n_rules; i++)
                bs_rule_done(&c->rules[i]);
        if (c->rules)
                free(c->rules - c->head_rules);
        c->rules = NULL;
        c->n_rules = c->cap_rules = c->head_rules = 0;
}

void bs_table_free(bs_table *t) {
        if (!t || --t->n_refs > 0)
                return;
        for (size_t i = 0; i < t->n_chains; i++)
                chain_done(&t->chains[i]);
        free(t->chains);
        free(t);
}

bs_chain *bs_table_find_chain(const bs_table *t, const char *name) {
        for (size_t i = 0; i < t->n_chains; i++)
                if (streq(t->chains[i].name, name))
                        return &t->chains[i];
        return NULL;
}

int bs_table_add_chain(bs_table *t, const char *name, bool builtin, bs_policy policy, bs_chain **ret) {
        if (strlen(name) >= sizeof(((bs_chain *) NULL)->name))
                return -EINVAL;
        if (!builtin && !bs_chain_name_valid(name))
                return -EINVAL;
        if (bs_table_find_chain(t, name))
                return -EEXIST;
        if (t->n_chains >= BS_CHAINS_MAX)
                return -E2BIG;
        int r = bs_grow((void **) &t->chains, &t->cap_chains, t->n_chains + 1, sizeof(bs_chain));
        if (r < 0)
                return r;

        /* Built-ins stay first in the order they were added; user chains are
         * kept sorted by name after them, as libiptc lists them. */
        size_t pos = t->n_chains;
        if (builtin) {
                for (pos = 0; pos < t->n_chains && t->chains[pos].builtin; pos++)
                        ;
        } else {
                for (pos = 0; pos < t->n_chains; pos++)
                        if (!t->chains[pos].builtin && strcmp(t->chains[pos].name, name) > 0)
                                break;
        }
        memmove(&t->chains[pos + 1], &t->chains[pos], (t->n_chains - pos) * sizeof(bs_chain));
        bs_chain *c = &t->chains[pos];
        memset(c, 0, sizeof(*c));
        strcpy(c->name, name);
        c->builtin = builtin;
        c->policy = builtin ? policy : BS_POLICY_NONE;
        t->n_chains++;
        if (ret)
                *ret = c;
        return 0;
}

/* Room for exactly `cap` rules from rules[0] on (the head room stays). */
static int chain_resize_back(bs_chain *c, size_t cap) {
        if (cap > SIZE_MAX / sizeof(bs_rule) - c->head_rules)
                return -ENOMEM;
        bs_rule *base = c->rules ? c->rules - c->head_rules : NULL;
        bs_rule *n = realloc(base, (c->head_rules + cap) * sizeof(bs_rule));
        if (!n)
                return -ENOMEM;
        memset(n + c->head_rules + c->cap_rules, 0, (cap - c->cap_rules) * sizeof(bs_rule));
        c->rules = n + c->head_rules;
        c->cap_rules = cap;
        return 0;
}

/* Room for `need` rules from rules[0] on, doubling. */
static int chain_grow_back(bs_chain *c, size_t need) {
        if (need <= c->cap_rules)
                return 0;
        size_t cap = c->cap_rules ? c->cap_rules : 8;
        while (cap < need) {
                if (cap > SIZE_MAX / 2)
                        return -ENOMEM;
                cap *= 2;
        }
        return chain_resize_back(c, cap);
}

int bs_table_reserve_appends(bs_table *t, const bs_change *changes, size_t n, unsigned families) {
        if (t->n_chains == 0)
                return 0;
        _cleanup_free_ size_t *count = calloc(t->n_chains, sizeof(size_t));
        if (!count)
                return -ENOMEM;
        const bs_chain *last = NULL;
        for (size_t i = 0; i < n; i++) {
                const bs_change *c = &changes[i];
                if (c->kind != BS_CHANGE_APPEND || !(c->families & families))
                        continue;
                /* a set's appends mostly go to one chain after another */
                if (!last || !streq(last->name, c->chain))
                        last = bs_table_find_chain(t, c->chain);
                if (last)
                        count[last - t->chains]++;
        }
        for (size_t i = 0; i < t->n_chains; i++) {
                bs_chain *c = &t->chains[i];
                /* exactly (the doubling then goes on from there), and only
                 * for what is worth an allocation */
                if (count[i] < 64 || c->n_rules + count[i] <= c->cap_rules || count[i] > BS_RULES_MAX)
                        continue;
                int r = chain_resize_back(c, c->n_rules + count[i]);
                if (r < 0)
                        return r;
        }
        return 0;
}

int bs_chain_reserve(bs_chain *c, size_t n) {
        if (n > BS_RULES_MAX || c->n_rules > BS_RULES_MAX - n)
                return -E2BIG;
        return c->n_rules + n <= c->cap_rules ? 0 : chain_resize_back(c, c->n_rules + n);
}

/* A new allocation with as many free slots before rules[0] as there are
 * rules (at least 8), and room for one more after them. */
static int chain_grow_front(bs_chain *c) {
        size_t head = c->n_rules > 8 ? c->n_rules : 8;
        size_t back = c->cap_rules > c->n_rules ? c->cap_rules : c->n_rules + 1;
        if (back > SIZE_MAX / sizeof(bs_rule) - head)
                return -ENOMEM;
        bs_rule *n = calloc(head + back, sizeof(bs_rule));
        if (!n)
                return -ENOMEM;
        if (c->n_rules > 0)
                memcpy(n + head, c->rules, c->n_rules * sizeof(bs_rule));
        if (c->rules)
                free(c->rules - c->head_rules);
        c->rules = n + head;
        c->head_rules = head;
        c->cap_rules = back;
        return 0;
}

int bs_chain_insert_rule(bs_chain *c, size_t pos, bs_rule *r) {
        if (pos > c->n_rules)
                return -ERANGE;
        if (c->n_rules >= BS_RULES_MAX)
                return -E2BIG;
        if (pos < c->n_rules / 2) {
                /* nearer the front: move the rules before pos down by one */
                if (c->head_rules == 0) {
                        int k = chain_grow_front(c);
                        if (k < 0)
                                return k;
                }
                c->rules--;
                c->head_rules--;
                c->cap_rules++;
                memmove(&c->rules[0], &c->rules[1], pos * sizeof(bs_rule));
        } else {
                int k = chain_grow_back(c, c->n_rules + 1);
                if (k < 0)
                        return k;
                memmove(&c->rules[pos + 1], &c->rules[pos], (c->n_rules - pos) * sizeof(bs_rule));
        }
        c->rules[pos] = *r;
        c->n_rules++;
        /* ownership moved: leave the caller's value empty */
        memset(r, 0, sizeof(*r));
        r->family = c->rules[pos].family;
        return 0;
}

void bs_chain_remove_rule(bs_chain *c, size_t pos) {
        if (pos >= c->n_rules)
                return;
        bs_rule_done(&c->rules[pos]);
        memmove(&c->rules[pos], &c->rules[pos + 1], (c->n_rules - pos - 1) * sizeof(bs_rule));
        c->n_rules--;
}

size_t bs_table_count_rules(const bs_table *t) {
        size_t n = 0;
        for (size_t i = 0; i < t->n_chains; i++)
                n += t->chains[i].n_rules;
        return n;
}

int bs_table_copy(bs_table **ret, const bs_table *src) {
        _cleanup_table_ bs_table *t = bs_table_new(src->family, src->name);
        if (!t)
                return -ENOMEM;
        t->chains = calloc(src->n_chains ? src->n_chains : 1, sizeof(bs_chain));
        if (!t->chains)
                return -ENOMEM;
        t->cap_chains = src->n_chains ? src->n_chains : 1;
        for (size_t i = 0; i < src->n_chains; i++) {
                bs_chain *d = &t->chains[i];
                bs_chain_copy_header(d, &src->chains[i]);
                t->n_chains++;
                int r = bs_chain_copy_rules(d, &src->chains[i]);
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(t);
        return 0;
}

void bs_chain_copy_header(bs_chain *d, const bs_chain *s) {
        *d = *s;
        d->rules = NULL;
        d->n_rules = d->cap_rules = d->head_rules = 0;
}

/* Free slots a copy gets at each end: a copy is most often made to take a
 * small change (an insert at 1, an append), which then fits without
 * copying the whole array once more. */
#define COPY_SLACK 8

int bs_chain_copy_rules(bs_chain *d, const bs_chain *s) {
        if (s->n_rules == 0)
                return 0;
        bs_rule *base = calloc(COPY_SLACK + s->n_rules + COPY_SLACK, sizeof(bs_rule));
        if (!base)
                return -ENOMEM;
        d->rules = base + COPY_SLACK;
        d->head_rules = COPY_SLACK;
        d->cap_rules = s->n_rules + COPY_SLACK;
        for (size_t j = 0; j < s->n_rules; j++) {
                int r = bs_rule_copy(&d->rules[j], &s->rules[j]);
                if (r < 0)
                        return r;
                d->n_rules++;
        }
        return 0;
}

bool bs_table_equal(const bs_table *a, const bs_table *b) {
        if (a->family != b->family || !streq(a->name, b->name) || a->n_chains != b->n_chains)
                return false;
        for (size_t i = 0; i < a->n_chains; i++) {
                const bs_chain *x = &a->chains[i], *y = &b->chains[i];
                if (!streq(x->name, y->name) || x->builtin != y->builtin || x->policy != y->policy ||
                    x->n_rules != y->n_rules)
                        return false;
                for (size_t j = 0; j < x->n_rules; j++)
                        if (!bs_rule_equal(&x->rules[j], &y->rules[j]))
                                return false;
        }
        return true;
}

/* ---------------------------------------------------------------- changes */

void bs_change_init(bs_change *c, bs_change_kind kind, unsigned families) {
        memset(c, 0, sizeof(*c));
        c->kind = kind;
        c->families = families;
        strcpy(c->table, "filter");
        c->rule.family = BS_FAMILY_IPV4;
}

void bs_change_done(bs_change *c) {
        bs_rule_done(&c->rule);
}

int bs_change_copy(bs_change *dst, const bs_change *src) {
        *dst = *src;
        return bs_rule_copy(&dst->rule, &src->rule);
}

bool bs_table_chain_referenced(const bs_table *t, const char *name) {
        for (size_t i = 0; i < t->n_chains; i++)
                for (size_t j = 0; j < t->chains[i].n_rules; j++) {
                        const bs_target *tg = &t->chains[i].rules[j].target;
                        if ((tg->kind == BS_TARGET_JUMP || tg->kind == BS_TARGET_GOTO) &&
                            streq(tg->chain, name))
                                return true;
                }
        return false;
}

void bs_table_remove_chain(bs_table *t, bs_chain *c) {
        size_t idx = (size_t) (c - t->chains);
        chain_done(c);
        memmove(&t->chains[idx], &t->chains[idx + 1], (t->n_chains - idx - 1) * sizeof(bs_chain));
        t->n_chains--;
}

/* A rule may only jump to a chain of the same table that exists. */
static int check_rule_target(const bs_table *t, const bs_rule *r) {
        if (r->family != t->family)
                return -EAFNOSUPPORT;
        if ((r->target.kind == BS_TARGET_JUMP || r->target.kind == BS_TARGET_GOTO)) {
                const bs_chain *c = bs_table_find_chain(t, r->target.chain);
                if (!c || c->builtin)
                        return -ENOENT;
        }
        return 0;
}

static size_t find_rule(const bs_chain *c, const bs_rule *r) {
        for (size_t i = 0; i < c->n_rules; i++)
                if (bs_rule_equal(&c->rules[i], r))
                        return i;
        return SIZE_MAX;
}

int bs_table_apply_change(bs_table *t, const bs_change *c) {
        if (!(c->families & bs_family_mask(t->family)))
                return 0;
        if (!streq(c->table, t->name))
                return -EINVAL;

        if (c->kind == BS_CHANGE_NEW_CHAIN)
                return bs_table_add_chain(t, c->chain, false, BS_POLICY_NONE, NULL);

        bs_chain *chain = bs_table_find_chain(t, c->chain);
        if (!chain)
                return -ENOENT;

        switch (c->kind) {
        case BS_CHANGE_APPEND:
        case BS_CHANGE_INSERT:
        case BS_CHANGE_REPLACE: {
                int r = check_rule_target(t, &c->rule);
                if (r < 0)
                        return r;
                size_t pos;
                if (c->kind == BS_CHANGE_APPEND)
                        pos = chain->n_rules;
                else {
                        uint32_t p = c->position ? c->position : 1;
                        /* -I N accepts N up to n_rules + 1, -R only existing rules */
                        size_t limit = c->kind == BS_CHANGE_INSERT ? chain->n_rules + 1 : chain->n_rules;
                        if (p > limit)
                                return -ERANGE;
                        pos = p - 1;
                }
                bs_rule copy;
                r = bs_rule_copy(&copy, &c->rule);
                if (r < 0)
                        return r;
                if (c->kind == BS_CHANGE_REPLACE) {
                        /* replace keeps nothing of the old rule, counters included */
                        bs_rule_done(&chain->rules[pos]);
                        chain->rules[pos] = copy;
                        return 0;
                }
                r = bs_chain_insert_rule(chain, pos, &copy);
                if (r < 0)
                        bs_rule_done(&copy);
                return r;
        }
        case BS_CHANGE_DELETE: {
                size_t i = find_rule(chain, &c->rule);
                if (i == SIZE_MAX)
                        return -ENOENT;
                bs_chain_remove_rule(chain, i);
                return 0;
        }
        case BS_CHANGE_DELETE_NUM:
                if (c->position == 0 || c->position > chain->n_rules)
                        return -ERANGE;
                bs_chain_remove_rule(chain, c->position - 1);
                return 0;
        case BS_CHANGE_POLICY:
                if (!chain->builtin)
                        return -EINVAL;
                if (c->policy != BS_POLICY_ACCEPT && c->policy != BS_POLICY_DROP)
                        return -EINVAL;
                chain->policy = c->policy;
                return 0;
        case BS_CHANGE_DELETE_CHAIN: {
                if (chain->builtin)
                        return -EPERM;
                if (chain->n_rules > 0)
                        return -ENOTEMPTY;
                if (bs_table_chain_referenced(t, chain->name))
                        return -EBUSY;
                bs_table_remove_chain(t, chain);
                return 0;
        }
        case BS_CHANGE_FLUSH:
                chain_done(chain);
                return 0;
        default:
                return -EINVAL;
        }
}
