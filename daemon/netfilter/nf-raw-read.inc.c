/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The cached read without libiptc, the second part of the body nf4.c and
 * nf6.c compile (after nf-read.inc.c; it uses the
 * same TC_* macros, plus TC_GETINFO, TC_GET_ENTRIES, TC_AF, TC_SOL,
 * TC_SO_GET_INFO and TC_SO_GET_ENTRIES from nf4.c / nf6.c).
 *
 * Why: a read whose table has not changed only needs to know that, and the
 * counters. libiptc's iptc_init copies the kernel's entries and then
 * parses every one into its own chain and rule lists, which is about a
 * sixth of a read of 10,000 rules, and the key walk copies each entry again
 * to scrub it. Here the entries are read with the same two getsockopt calls
 * into a zeroed buffer and compared with the cached key where they lie (a
 * hit). A table that changed, or none kept, is decoded from the same
 * entries (raw_cache_fill): reading them again through libiptc would copy
 * the kernel's table a second time, which is most of a read.
 *
 * The key and the decoded table must come out exactly as key_walk() and
 * read_handle() make them from a libiptc handle: the same chains in
 * libiptc's order, the same labels, the same entry bytes. So this mirrors
 * libiptc's parse (chains split at hook entries and ERROR entries, each
 * chain's last entry its policy or return, jumps resolved to the chain
 * holding the offset, user chains sorted by name). Anything it does not
 * expect (a malformed table, an unknown verdict, a rule the decoder
 * refuses, an allocation failure) leaves the cache alone, and the caller
 * reads through libiptc, which decodes and keys from one read
 * and says what is wrong. A hit means the kernel's entries are, byte for
 * byte, the ones the cached table was decoded from. */

#include <assert.h>
#include <stddef.h>
#include <sys/socket.h>

#define RAW_TABLE_MAX (64u << 20) /* bytes of entries tried here; beyond: libiptc */

typedef struct raw_chain {
        const char *name;
        bool builtin;
        int hook;            /* built-in: its hook */
        uint32_t head;       /* offset of the hook entry, or of the ERROR entry */
        uint32_t first;      /* offset of the first rule (== foot when none) */
        uint32_t foot;       /* offset of the policy / return entry */
        uint32_t n_rules;
        uint32_t first_index; /* the first rule's index among all entries */
} raw_chain;

typedef struct raw_table {
        TC_GET_ENTRIES *entries; /* as read (owned); NULL for a table we build */
        const uint8_t *base;     /* the first entry */
        uint32_t size, num_entries, valid_hooks;
        uint32_t hook_entry[NF_INET_NUMHOOKS]; /* UINT32_MAX: not a valid hook */
        uint32_t underflow[NF_INET_NUMHOOKS];
        raw_chain *chains;
        size_t n_chains, cap_chains;
        size_t *order; /* libiptc's chain order: indexes into chains */
} raw_table;

static void raw_table_done(raw_table *t) {
        free(t->entries);
        free(t->chains);
        free(t->order);
}
#define _cleanup_raw_table_ _cleanup_(raw_table_done)

static const TC_ENTRY *raw_entry(const raw_table *t, uint32_t off) {
        return (const TC_ENTRY *) (t->base + off);
}

static const struct xt_entry_target *raw_target(const TC_ENTRY *e) {
        return (const struct xt_entry_target *) ((const uint8_t *) e + e->target_offset);
}

/* The entries, as the kernel has them now. */
static int raw_read(const char *table, raw_table *t) {
        _cleanup_close_ int fd = socket(TC_AF, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
        if (fd < 0)
                return -errno;
        TC_GETINFO info = {};
        socklen_t len = sizeof(info);
        strncpy(info.name, table, sizeof(info.name) - 1);
        if (getsockopt(fd, TC_SOL, TC_SO_GET_INFO, &info, &len) < 0)
                return -errno;
        if (info.size > RAW_TABLE_MAX)
                return -E2BIG;
        /* zeroed: the kernel writes each extension's name only up to its
         * NUL, so the padding after it stays zero, as scrub_entry() makes
         * it in the key */
        t->entries = calloc(1, sizeof(TC_GET_ENTRIES) + info.size);
        if (!t->entries)
                return -ENOMEM;
        memcpy(t->entries->name, info.name, sizeof(info.name));
        t->entries->size = info.size;
        len = sizeof(TC_GET_ENTRIES) + info.size;
        /* -EAGAIN: the table changed size since GET_INFO */
        if (getsockopt(fd, TC_SOL, TC_SO_GET_ENTRIES, t->entries, &len) < 0)
                return -errno;
        t->base = (const uint8_t *) t->entries->entrytable;
        t->size = info.size;
        t->num_entries = info.num_entries;
        t->valid_hooks = info.valid_hooks;
        /* the hook entries, to tell built-in chains (a table that changed
         * between the two calls has failed above) */
        for (unsigned h = 0; h < NF_INET_NUMHOOKS; h++) {
                t->hook_entry[h] = info.valid_hooks & (1u << h) ? info.hook_entry[h] : UINT32_MAX;
                t->underflow[h] = info.underflow[h];
        }
        return 0;
}

static int raw_hook_at(const raw_table *t, uint32_t off) {
        for (unsigned h = 0; h < NF_INET_NUMHOOKS; h++)
                if (t->hook_entry[h] == off)
                        return (int) h;
        return -1;
}

static const char *const raw_hook_names[NF_INET_NUMHOOKS] = {
        [NF_INET_PRE_ROUTING] = "PREROUTING", [NF_INET_LOCAL_IN] = "INPUT",
        [NF_INET_FORWARD] = "FORWARD",         [NF_INET_LOCAL_OUT] = "OUTPUT",
        [NF_INET_POST_ROUTING] = "POSTROUTING",
};

/* The chain now being filled ends: its last entry is its policy or return
 * entry, not a rule (libiptc's __iptcc_p_del_policy). */
static int raw_close_chain(raw_chain *c, uint32_t last) {
        if (!c)
                return 0;
        if (c->n_rules == 0)
                return -EBADMSG;
        c->foot = last;
        c->n_rules--;
        return 0;
}

/* Split the entries into chains, in the kernel's order. */
static int raw_parse(raw_table *t) {
        raw_chain *cur = NULL;
        uint32_t last = 0, index = 0;
        bool ended = false;
        for (uint32_t off = 0; off < t->size;) {
                if (ended || t->size - off < sizeof(TC_ENTRY))
                        return -EBADMSG;
                const TC_ENTRY *e = raw_entry(t, off);
                if (e->next_offset < sizeof(TC_ENTRY) || e->next_offset > t->size - off ||
                    e->target_offset < sizeof(TC_ENTRY) ||
                    e->target_offset > e->next_offset - sizeof(struct xt_entry_target))
                        return -EBADMSG;
                const struct xt_entry_target *tg = raw_target(e);
                if (tg->u.user.target_size < sizeof(*tg) ||
                    tg->u.user.target_size > e->next_offset - e->target_offset ||
                    strnlen(tg->u.user.name, sizeof(tg->u.user.name)) == sizeof(tg->u.user.name))
                        return -EBADMSG;

                int hook = -1;
                if (streq(tg->u.user.name, XT_ERROR_TARGET)) {
                        int r = raw_close_chain(cur, last);
                        if (r < 0)
                                return r;
                        cur = NULL;
                        index++;
                        if (off + e->next_offset == t->size) {
                                ended = true; /* the table's end */
                                off += e->next_offset;
                                continue;
                        }
                        size_t data = tg->u.user.target_size - sizeof(*tg);
                        if (data == 0 || strnlen((const char *) tg->data, data) == data)
                                return -EBADMSG;
                        r = bs_grow((void **) &t->chains, &t->cap_chains, t->n_chains + 1, sizeof(raw_chain));
                        if (r < 0)
                                return r;
                        cur = &t->chains[t->n_chains++];
                        *cur = (raw_chain) { .name = (const char *) tg->data, .head = off,
                                             .first = off + e->next_offset, .first_index = index };
                        off += e->next_offset;
                        continue;
                } else if ((hook = raw_hook_at(t, off)) >= 0) {
                        int r = raw_close_chain(cur, last);
                        if (r < 0)
                                return r;
                        r = bs_grow((void **) &t->chains, &t->cap_chains, t->n_chains + 1, sizeof(raw_chain));
                        if (r < 0)
                                return r;
                        cur = &t->chains[t->n_chains++];
                        *cur = (raw_chain) { .name = raw_hook_names[hook], .builtin = true, .hook = hook,
                                             .head = off, .first = off, .first_index = index };
                }
                if (!cur)
                        return -EBADMSG;
                cur->n_rules++;
                last = off;
                off += e->next_offset;
                index++;
        }
        if (!ended || index != t->num_entries)
                return -EBADMSG;
        /* The kernel returns from a built-in chain to its underflow entry;
         * a table whose underflow is not the chain's last entry is not one
         * libiptc wrote, and is left to libiptc. */
        for (size_t i = 0; i < t->n_chains; i++)
                if (t->chains[i].builtin && t->underflow[t->chains[i].hook] != t->chains[i].foot)
                        return -EBADMSG;

        /* libiptc's order: built-ins where they come, each user chain
         * before the first user chain whose name is not smaller (the user
         * chains stay sorted among themselves; a name above the greatest so
         * far, as in every table libiptc wrote, goes last at once) */
        t->order = calloc(t->n_chains ? t->n_chains : 1, sizeof(size_t));
        if (!t->order)
                return -ENOMEM;
        size_t n = 0;
        const char *greatest = NULL;
        for (size_t i = 0; i < t->n_chains; i++) {
                size_t at = n;
                if (!t->chains[i].builtin && greatest && strcmp(t->chains[i].name, greatest) <= 0)
                        for (size_t j = 0; j < n; j++) {
                                const raw_chain *o = &t->chains[t->order[j]];
                                if (!o->builtin && strcmp(t->chains[i].name, o->name) <= 0) {
                                        at = j;
                                        break;
                                }
                        }
                memmove(&t->order[at + 1], &t->order[at], (n - at) * sizeof(size_t));
                t->order[at] = i;
                n++;
                if (!t->chains[i].builtin && (!greatest || strcmp(t->chains[i].name, greatest) > 0))
                        greatest = t->chains[i].name;
        }
        return 0;
}

static const char *raw_verdict_label(int verdict) {
        switch (verdict) {
        case -NF_ACCEPT - 1:
                return "ACCEPT";
        case -NF_DROP - 1:
                return "DROP";
        case -NF_QUEUE - 1:
                return "QUEUE";
        case XT_RETURN:
                return "RETURN";
        default:
                return NULL;
        }
}

/* What TC_GET_TARGET says for the rule at `off`. */
static const char *raw_label(const raw_table *t, uint32_t off) {
        const TC_ENTRY *e = raw_entry(t, off);
        const struct xt_entry_target *tg = raw_target(e);
        if (!streq(tg->u.user.name, XT_STANDARD_TARGET))
                return tg->u.user.name;
        if (tg->u.user.target_size < sizeof(struct xt_standard_target))
                return NULL;
        int verdict = ((const struct xt_standard_target *) tg)->verdict;
        if (verdict < 0)
                return raw_verdict_label(verdict);
        if ((uint32_t) verdict == off + e->next_offset)
                return ""; /* falls through to the next entry */
        /* a jump: to the chain holding that offset (chains are in offset
         * order) */
        size_t lo = 0, hi = t->n_chains;
        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (t->chains[mid].head <= (uint32_t) verdict)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        if (lo == 0 || (uint32_t) verdict > t->chains[lo - 1].foot)
                return NULL;
        return t->chains[lo - 1].name;
}

/* n key bytes that are zero in every key: stepped over when comparing. */
static int key_put_zeroes(table_key *k, size_t n) {
        static const uint8_t zeroes[sizeof(struct xt_counters)];
        assert(n <= sizeof(zeroes));
        if (k->build)
                return key_put(k, zeroes, n);
        if (k->differs || n > k->old_len - k->pos)
                k->differs = true;
        else
                k->pos += n;
        return 0;
}

/* Feed the entries to the key, the way key_walk() does from a handle:
 * compared with the cached key (stopping at the first difference), or
 * built (a table we are about to commit). */
static int raw_key_walk(const raw_table *t, table_key *k) {
        /* scrub_entry() zeroes comefrom and the counters in every key, and
         * nothing between them (IPv6 has 4 bytes of padding there): those
         * are stepped over, the rest compared where it lies */
        const size_t comefrom = offsetof(TC_ENTRY, comefrom), comefrom_end = comefrom + sizeof(uint32_t),
                     counters = offsetof(TC_ENTRY, counters), tail = counters + sizeof(struct xt_counters);
        for (size_t i = 0; i < t->n_chains && !k->differs; i++) {
                const raw_chain *c = &t->chains[t->order[i]];
                uint8_t builtin = c->builtin;
                int r = key_put_string(k, c->name);
                if (r >= 0)
                        r = key_put(k, &builtin, 1);
                if (r < 0)
                        return r;
                if (c->builtin) {
                        const char *p = raw_label(t, c->foot);
                        if (!p || !streq(raw_target(raw_entry(t, c->foot))->u.user.name, XT_STANDARD_TARGET))
                                return -EBADMSG;
                        r = key_put_string(k, p);
                        if (r < 0)
                                return r;
                }
                uint32_t off = c->first;
                for (uint32_t n = 0; n < c->n_rules && !k->differs; n++) {
                        const TC_ENTRY *e = raw_entry(t, off);
                        const char *label = raw_label(t, off);
                        if (!label)
                                return -EBADMSG;
                        r = key_put_string(k, label);
                        if (r >= 0)
                                r = key_put(k, e, comefrom);
                        if (r >= 0)
                                r = key_put_zeroes(k, sizeof(uint32_t));
                        if (r >= 0 && counters > comefrom_end)
                                r = key_put(k, (const uint8_t *) e + comefrom_end, counters - comefrom_end);
                        if (r >= 0)
                                r = key_put_zeroes(k, sizeof(struct xt_counters));
                        if (r >= 0)
                                r = key_put(k, (const uint8_t *) e + tail, e->next_offset - tail);
                        if (r < 0)
                                return r;
                        off += e->next_offset;
                }
        }
        return 0;
}

/* The kernel's counters into the cached table, whose rules they are; a
 * non-zero stamp also marks each rule with its entry's index (see
 * bs_rule.origin), for a commit without libiptc to find its counters. */
static int raw_counters(const raw_table *t, bs_table *model, uint32_t stamp) {
        for (size_t i = 0; i < t->n_chains; i++) {
                const raw_chain *c = &t->chains[i];
                bs_chain *mc = bs_table_find_chain(model, c->name);
                if (!mc || mc->n_rules != c->n_rules)
                        return -EBADMSG;
                if (c->builtin) {
                        const TC_ENTRY *foot = raw_entry(t, c->foot);
                        mc->policy_packets = foot->counters.pcnt;
                        mc->policy_bytes = foot->counters.bcnt;
                }
                uint32_t off = c->first;
                for (uint32_t n = 0; n < c->n_rules; n++) {
                        const TC_ENTRY *e = raw_entry(t, off);
                        mc->rules[n].packets = e->counters.pcnt;
                        mc->rules[n].bytes = e->counters.bcnt;
                        if (stamp)
                                mc->rules[n].origin = (uint64_t) stamp << 32 | (c->first_index + n + 1);
                        off += e->next_offset;
                }
        }
        return 0;
}

/* The kernel's table decoded from the entries read, into the cache under
 * their key: what read_handle() and cache_keep() make of a libiptc handle
 * on the same entries (the same chains in the same order, the same labels
 * handed to the same decoder, the same key), without reading the table a
 * second time. On error the cache is as it was. */
static int raw_cache_fill(const raw_table *t, const char *table, bs_nf_read_cache *cache) {
        _cleanup_table_ bs_table *model = bs_table_new(NF_FAMILY, table);
        if (!model)
                return -ENOMEM;
        for (size_t i = 0; i < t->n_chains; i++) {
                const raw_chain *c = &t->chains[t->order[i]];
                bs_policy policy = BS_POLICY_NONE;
                int r = c->builtin ? policy_of_label(raw_label(t, c->foot), &policy) : 0;
                bs_chain *mc;
                if (r >= 0)
                        r = bs_table_add_chain(model, c->name, c->builtin, policy, &mc);
                if (r >= 0)
                        r = bs_chain_reserve(mc, c->n_rules);
                if (r < 0)
                        return r;
                uint32_t off = c->first;
                for (uint32_t n = 0; n < c->n_rules; n++) {
                        const TC_ENTRY *e = raw_entry(t, off);
                        const char *label = raw_label(t, off);
                        if (!label)
                                return -EBADMSG;
                        r = decode_append(mc, e, label);
                        if (r < 0)
                                return r;
                        off += e->next_offset;
                }
        }
        table_key k = { .build = true };
        int r = raw_key_walk(t, &k);
        if (r < 0) {
                free(k.buf);
                return r;
        }
        cache_keep_key(cache, TAKE_PTR(model), &k);
        return 0;
}

/* 1: the cache holds the kernel's table: the one it held (its counters now
 * refreshed: a fast hit), or the one decoded from the entries just read
 * (the table changed, or none was kept); its rules stamped when stamp is
 * not 0, and the entries read handed to *ret_current if not NULL. 0: this
 * could not tell or decode (the caller then reads through libiptc, which
 * says what is wrong). */
static int raw_cache_read(const char *table, bs_nf_read_cache *cache, uint32_t stamp, raw_table *ret_current) {
        _cleanup_raw_table_ raw_table t = {};
        if (raw_read(table, &t) < 0 || raw_parse(&t) < 0)
                return 0;
        bool hit = false;
        if (cache->table && streq(cache->table->name, table)) {
                table_key k = { .old = cache->key, .old_len = cache->key_len };
                if (raw_key_walk(&t, &k) < 0)
                        return 0;
                hit = !k.differs && k.pos == k.old_len;
        }
        if (!hit && raw_cache_fill(&t, table, cache) < 0)
                return 0;
        /* the counters are only written now that the rules matched: the
         * cached table may be shared (a table just decoded has them, and
         * takes the stamp here) */
        if (raw_counters(&t, cache->table, stamp) < 0)
                return 0;
        if (hit)
                cache->fast_hits++;
        else
                cache->raw_decoded = true;
        if (ret_current) {
                *ret_current = t;
                t = (raw_table) {};
        }
        return 1;
}
