/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Table access on one libiptc API, first part: the handle, the read and
 * the read cache. nf4.c and nf6.c each compile the four parts in order
 * (nf-read, nf-raw-read, nf-raw-write, nf-write .inc.c), after their
 * libiptc header and a table of macros mapping the names below to iptc_*
 * or ip6tc_* (the way iptables builds libip4tc and libip6tc from one
 * libiptc.c; libiptc.h and libip6tc.h cannot share a translation unit):
 *
 *   NF_FAMILY, NF_OPS_NAME, TC_HANDLE, TC_ENTRY, TC_INIT, TC_FREE,
 *   TC_FIRST_CHAIN, TC_NEXT_CHAIN, TC_FIRST_RULE, TC_NEXT_RULE,
 *   TC_GET_TARGET, TC_BUILTIN, TC_IS_CHAIN, TC_GET_POLICY, TC_SET_POLICY,
 *   TC_INSERT_ENTRY, TC_REPLACE_ENTRY, TC_APPEND_ENTRY, TC_DELETE_NUM_ENTRY,
 *   TC_FLUSH_ENTRIES, TC_ZERO_ENTRIES, TC_CREATE_CHAIN, TC_DELETE_CHAIN,
 *   TC_COMMIT, and for the cached read's fast path (nf-raw-read) TC_GETINFO,
 *   TC_GET_ENTRIES, TC_AF, TC_SOL, TC_SO_GET_INFO, TC_SO_GET_ENTRIES, and
 *   for the commit without libiptc (nf-raw-write) TC_REPLACE,
 *   TC_SO_SET_REPLACE, TC_SO_SET_ADD_COUNTERS
 *
 * Every function expects the xtables lock to be held (nf.c takes it).
 *
 * How a change set is applied: the table is read into the model from the
 * very handle that will be committed; each change is first applied to that
 * model (bs_table_apply_change: the one place where -ENOENT, -ERANGE, ...
 * are decided) and then performed on the handle with the matching libiptc
 * operation. Rules that no change touches keep libiptc's counter mapping,
 * so their counters survive the commit. Any error drops the handle
 * uncommitted.
 *
 * When the read cache holds the kernel's table as it is (nf-raw-read), the
 * changes are applied to the model alone and the model is committed
 * without libiptc (nf-raw-write): the same table, the same counters. */

#include "codec.h"
#include "nf-internal.h"

#define NF_MASK (bs_family_mask(NF_FAMILY))

static void handle_freep(TC_HANDLE **h) {
        if (*h)
                TC_FREE(*h);
}
#define _cleanup_handle_ _cleanup_(handle_freep)

/* libiptc reports failures in errno; 0 there means a library/kernel
 * version mismatch. */
static int libiptc_error(void) {
        return errno > 0 ? -errno : -EPROTO;
}

static bool table_name_ok(const char *table) {
        return table && *table && strlen(table) <= BS_TABLE_NAME_MAX;
}

/* libiptc's mutating calls take an xt_chainlabel (char[32]): give them a
 * full, zero-padded buffer whatever the caller's string is. */
static void label_set(xt_chainlabel out, const char *name) {
        size_t len = strlen(name);
        if (len > sizeof(xt_chainlabel) - 1)
                len = sizeof(xt_chainlabel) - 1;
        memcpy(out, name, len);
        memset(out + len, 0, sizeof(xt_chainlabel) - len);
}

static int open_table(const char *table, TC_HANDLE **ret) {
        if (!table_name_ok(table))
                return -EINVAL;
        errno = 0;
        TC_HANDLE *h = TC_INIT(table);
        if (!h) {
                switch (errno) {
                case ENOENT:          /* no such table */
                case ENOPROTOOPT:     /* no ip_tables / ip6_tables in the kernel */
                case EAFNOSUPPORT:    /* no such family (e.g. IPv6 disabled) */
                case EPROTONOSUPPORT:
                        return -EPROTONOSUPPORT;
                case EACCES:
                        return -EPERM;
                default:
                        return libiptc_error();
                }
        }
        *ret = h;
        return 0;
}

static int commit(TC_HANDLE *h, const bs_nf_options *o) {
        if (o->before_commit)
                o->before_commit(o->userdata);
        errno = 0;
        if (TC_COMMIT(h))
                return 0;
        /* The kernel answers ENOENT for a match or target it has no module
         * for; keep -ENOENT for "no such chain / rule". */
        if (errno == ENOENT)
                return -EOPNOTSUPP;
        return libiptc_error();
}

static const char *policy_label(bs_policy p) {
        return p == BS_POLICY_DROP ? "DROP" : "ACCEPT";
}

/* ------------------------------------------------------------------ read */

/* A built-in chain's policy as libiptc names it. */
static int policy_of_label(const char *p, bs_policy *ret) {
        if (p && streq(p, "ACCEPT"))
                *ret = BS_POLICY_ACCEPT;
        else if (p && streq(p, "DROP"))
                *ret = BS_POLICY_DROP;
        else
                return -EBADMSG; /* the kernel allows only these two */
        return 0;
}

/* The entry decoded, at the end of c. */
static int decode_append(bs_chain *c, const TC_ENTRY *e, const char *label) {
        bs_rule rule;
        int r = bs_codec_decode(NF_FAMILY, e, e->next_offset, label, &rule);
        if (r < 0)
                return r;
        r = bs_chain_insert_rule(c, c->n_rules, &rule);
        if (r < 0)
                bs_rule_done(&rule);
        return r;
}

static int read_chain(TC_HANDLE *h, const char *name, bs_table *t) {
        bool builtin = TC_BUILTIN(name, h) != 0;
        bs_policy policy = BS_POLICY_NONE;
        struct xt_counters pc = {};
        if (builtin) {
                const char *p = TC_GET_POLICY(name, &pc, h);
                if (!p)
                        return libiptc_error();
                int r = policy_of_label(p, &policy);
                if (r < 0)
                        return r;
        }

        bs_chain *c;
        int r = bs_table_add_chain(t, name, builtin, policy, &c);
        if (r < 0)
                return r;
        c->policy_packets = pc.pcnt;
        c->policy_bytes = pc.bcnt;

        for (const TC_ENTRY *e = TC_FIRST_RULE(name, h); e; e = TC_NEXT_RULE(e, h)) {
                r = decode_append(c, e, TC_GET_TARGET(e, h));
                if (r < 0)
                        return r;
        }
        return 0;
}

/* The table behind a handle, in libiptc's order (built-ins in hook order,
 * then user chains sorted by name). */
static int read_handle(TC_HANDLE *h, const char *table, bs_table **ret) {
        _cleanup_table_ bs_table *t = bs_table_new(NF_FAMILY, table);
        if (!t)
                return -ENOMEM;
        for (const char *name = TC_FIRST_CHAIN(h); name; name = TC_NEXT_CHAIN(h)) {
                int r = read_chain(h, name, t);
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(t);
        return 0;
}

static int nf_read(const char *table, bs_table **ret) {
        _cleanup_handle_ TC_HANDLE *h = NULL;
        int r = open_table(table, &h);
        if (r < 0)
                return r;
        return read_handle(h, table, ret);
}

/* ----------------------------------------------------------- cached read */

/* What a table is, counters aside, as one byte string: per chain its name,
 * whether built in and its policy; per rule its target label and its entry
 * bytes without the counters. Equal keys decode to equal tables (the decode
 * reads nothing else), so a read whose key equals the cached one only needs
 * the new counters. Either compares with `old` as it goes, or builds `buf`. */
typedef struct table_key {
        const uint8_t *old;
        size_t old_len, pos;
        bool differs;
        uint8_t *buf;
        size_t len, cap;
        bool build;
} table_key;

static int key_put(table_key *k, const void *data, size_t n) {
        if (!k->build) {
                if (k->differs || n > k->old_len - k->pos || memcmp(k->old + k->pos, data, n) != 0)
                        k->differs = true;
                else
                        k->pos += n;
                return 0;
        }
        if (n > BS_NF_KEY_MAX - k->len)
                return -E2BIG;
        int r = bs_grow((void **) &k->buf, &k->cap, k->len + n, 1);
        if (r < 0)
                return r;
        memcpy(k->buf + k->len, data, n);
        k->len += n;
        return 0;
}

static int key_put_string(table_key *k, const char *s) {
        return key_put(k, s, strlen(s) + 1);
}

/* The kernel copies an extension's name only up to its NUL: the rest of
 * the name field is whatever the reader's buffer held before (libiptc does
 * not clear it), and differs from read to read. */
static void scrub_name(char *name) {
        size_t n = strnlen(name, XT_EXTENSION_MAXNAMELEN);
        memset(name + n, 0, XT_EXTENSION_MAXNAMELEN - n);
}

/* An entry's bytes as they identify the rule: counters zeroed, extension
 * names' padding cleared, and comefrom zeroed: the hooks that reach the
 * rule, which the kernel fills in from the chains' layout (in the key
 * already), and which a handle we commit does not have. Then a table's key
 * is the same whether it comes from the kernel or from the handle just
 * committed (libiptc writes the jumps' offsets into its entries when it
 * commits), which keys the committed table without reading it again. `b`
 * holds a copy of the entry (`len` bytes). */
static void scrub_entry(uint8_t *b, size_t len) {
        TC_ENTRY *e = (TC_ENTRY *) b;
        memset(&e->counters, 0, sizeof(e->counters));
        e->comefrom = 0;
        size_t end = e->target_offset < len ? e->target_offset : len;
        for (size_t off = sizeof(TC_ENTRY); off + sizeof(struct xt_entry_match) <= end;) {
                struct xt_entry_match *m = (struct xt_entry_match *) (b + off);
                size_t size = m->u.user.match_size;
                if (size < sizeof(*m) || size > end - off)
                        break;
                scrub_name(m->u.user.name);
                off += size;
        }
        if (e->target_offset >= sizeof(TC_ENTRY) && len >= e->target_offset &&
            len - e->target_offset >= sizeof(struct xt_entry_target))
                scrub_name(((struct xt_entry_target *) (b + e->target_offset))->u.user.name);
}

/* One walk over the handle's chains and rules, feeding the key (building
 * it, or comparing with the cached one, stopping at the first chain that
 * differs). */
static int key_walk(TC_HANDLE *h, table_key *k) {
        /* next_offset is 16 bits: every entry fits */
        _cleanup_free_ uint8_t *scratch = malloc(UINT16_MAX + 1);
        if (!scratch)
                return -ENOMEM;
        for (const char *name = TC_FIRST_CHAIN(h); name; name = TC_NEXT_CHAIN(h)) {
                int r = key_put_string(k, name);
                uint8_t builtin = TC_BUILTIN(name, h) != 0;
                if (r >= 0)
                        r = key_put(k, &builtin, 1);
                if (r < 0)
                        return r;
                if (builtin) {
                        struct xt_counters pc = {};
                        const char *p = TC_GET_POLICY(name, &pc, h);
                        if (!p)
                                return libiptc_error();
                        r = key_put_string(k, p);
                        if (r < 0)
                                return r;
                }
                for (const TC_ENTRY *e = TC_FIRST_RULE(name, h); e; e = TC_NEXT_RULE(e, h)) {
                        if (e->next_offset < sizeof(TC_ENTRY))
                                return -EBADMSG;
                        memcpy(scratch, e, e->next_offset);
                        scrub_entry(scratch, e->next_offset);
                        r = key_put_string(k, TC_GET_TARGET(e, h));
                        if (r >= 0)
                                r = key_put(k, scratch, e->next_offset);
                        if (r < 0)
                                return r;
                }
                /* The rule count is in the key: the next chain's name comes
                 * right after the last rule. */
                if (k->differs && !k->build)
                        return 0;
        }
        return 0;
}

/* The counters of the handle's rules and policies into t, whose rules are
 * the handle's (the keys matched). */
static int counters_walk(TC_HANDLE *h, bs_table *t) {
        for (const char *name = TC_FIRST_CHAIN(h); name; name = TC_NEXT_CHAIN(h)) {
                /* By name: the table keeps user chains sorted, which the
                 * kernel's order need not be. */
                bs_chain *c = bs_table_find_chain(t, name);
                if (!c)
                        return -EBADMSG;
                if (c->builtin) {
                        struct xt_counters pc = {};
                        if (!TC_GET_POLICY(name, &pc, h))
                                return libiptc_error();
                        c->policy_packets = pc.pcnt;
                        c->policy_bytes = pc.bcnt;
                }
                size_t ri = 0;
                for (const TC_ENTRY *e = TC_FIRST_RULE(name, h); e && ri < c->n_rules; e = TC_NEXT_RULE(e, h), ri++) {
                        c->rules[ri].packets = e->counters.pcnt;
                        c->rules[ri].bytes = e->counters.bcnt;
                }
        }
        return 0;
}

/* Keep `t` (taken) in the cache under the key built in k (taken). */
static void cache_keep_key(bs_nf_read_cache *cache, bs_table *t, table_key *k) {
        bs_nf_read_cache_done(cache);
        cache->table = t;
        cache->key = TAKE_PTR(k->buf);
        cache->key_len = k->len;
        cache->generation = bs_nf_next_generation();
}

/* Key the table behind h (as it is now, committed or not) and keep it in
 * the cache with `t` (taken). */
static int cache_keep(TC_HANDLE *h, bs_nf_read_cache *cache, bs_table *t) {
        table_key k = { .build = true };
        int r = key_walk(h, &k);
        if (r < 0) {
                free(k.buf);
                bs_table_free(t);
                return r;
        }
        cache_keep_key(cache, t, &k);
        return 0;
}

/* The table behind an open handle, through the cache: when its key is the
 * cached one, the cached table with its counters refreshed; else decoded
 * (and kept). */
static int cache_lookup(TC_HANDLE *h, const char *table, bs_nf_read_cache *cache, const bs_table **ret) {
        if (cache->table && streq(cache->table->name, table)) {
                table_key k = { .old = cache->key, .old_len = cache->key_len };
                int r = key_walk(h, &k);
                if (r < 0)
                        return r;
                if (!k.differs && k.pos == k.old_len) {
                        /* the same rules: only the counters are new (and
                         * only now written: the table may be shared) */
                        r = counters_walk(h, cache->table);
                        if (r < 0)
                                return r;
                        *ret = cache->table;
                        return 0;
                }
        }

        /* Changed (or nothing cached): decode, and key what was decoded. */
        bs_table *t = NULL;
        int r = read_handle(h, table, &t);
        if (r < 0)
                return r;
        r = cache_keep(h, cache, t);
        if (r < 0)
                return r;
        *ret = cache->table;
        return 0;
}
