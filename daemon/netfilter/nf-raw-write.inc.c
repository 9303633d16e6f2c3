/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A table committed without libiptc, the third part of the body nf4.c and
 * nf6.c compile (after nf-raw-read.inc.c; it adds TC_REPLACE, TC_SO_SET_REPLACE and
 * TC_SO_SET_ADD_COUNTERS from nf4.c / nf6.c).
 *
 * Why: when the kernel's table is the one the read cache holds (nf-raw-read
 * tells it from the entries alone), the table wanted is already a model:
 * libiptc would parse the kernel's entries into its own lists, take every
 * change again as an entry of its own, and compile it all back into the
 * same bytes. Here the model is written straight into the blob the kernel
 * takes (IPT_SO_SET_REPLACE), laid out as libiptc lays it out, so that the
 * next read keys it exactly as one libiptc wrote:
 *
 *   built-in chain:  its rules, then its policy (an unconditional standard
 *                    target: the hook's underflow)
 *   user chain:      an ERROR entry naming it, its rules, a RETURN entry
 *   the table's end: an ERROR entry named "ERROR"
 *
 * A standard target's verdict is the kernel's: ACCEPT, DROP, QUEUE as
 * -verdict - 1, RETURN as XT_RETURN, a jump or goto as the offset of the
 * chain's first entry after its ERROR entry, a rule without target as the
 * offset of the entry after it (it falls through).
 *
 * Counters, as libiptc keeps them: the kernel hands back the old table's
 * counters as it replaces it; a rule that was in that table (its origin,
 * stamped when the table was matched) gets its own counters from there,
 * counted up to the very replace; any other rule, and each policy, the
 * counters it carries; the kernel adds them (IPT_SO_SET_ADD_COUNTERS) to
 * what the new table counted meanwhile. */

typedef struct raw_jump {
        uint32_t verdict_at; /* offset of the verdict to patch */
        uint32_t chain;      /* index of the chain jumped to */
} raw_jump;

typedef struct raw_blob {
        TC_REPLACE *repl; /* header, then the entries */
        size_t cap;       /* bytes allocated for repl */
        uint32_t size, n_entries;
        struct xt_counters_info *counters; /* per entry, for the kernel to add */
        uint32_t *old_index;               /* per entry: its index in the table replaced, or UINT32_MAX */
        size_t cap_entries;
        uint32_t *chain_start; /* per chain of the model: where a jump to it goes */
        raw_jump *jumps;
        size_t n_jumps, cap_jumps;
} raw_blob;

static void raw_blob_done(raw_blob *b) {
        free(b->repl);
        free(b->counters);
        free(b->old_index);
        free(b->chain_start);
        free(b->jumps);
        *b = (raw_blob) {};
}

/* What a staging without libiptc keeps until its commit. */
typedef struct raw_staged {
        raw_table current; /* the kernel's table when staged */
        raw_blob blob;     /* the table to commit */
} raw_staged;

static void raw_staged_free(raw_staged *rs) {
        if (!rs)
                return;
        raw_table_done(&rs->current);
        raw_blob_done(&rs->blob);
        free(rs);
}
static void raw_staged_freep(raw_staged **rs) {
        raw_staged_free(*rs);
}

static uint8_t *raw_blob_at(raw_blob *b, uint32_t off) {
        return (uint8_t *) b->repl->entries + off;
}

/* Room for `need` more entry bytes. */
static int raw_blob_room(raw_blob *b, size_t need) {
        if (need > RAW_TABLE_MAX - b->size)
                return -E2BIG;
        size_t want = sizeof(TC_REPLACE) + b->size + need;
        if (want <= b->cap)
                return 0;
        size_t cap = b->cap ? b->cap : 64 * 1024;
        while (cap < want)
                cap *= 2;
        void *p = realloc(b->repl, cap);
        if (!p)
                return -ENOMEM;
        b->repl = p;
        b->cap = cap;
        return 0;
}

/* The entry just written (size bytes at b->size) is counted in. */
static int raw_blob_commit_entry(raw_blob *b, size_t size, uint64_t pcnt, uint64_t bcnt, uint32_t old_index) {
        if (b->n_entries + 1 > b->cap_entries) {
                size_t cap = b->cap_entries ? b->cap_entries * 2 : 1024;
                struct xt_counters_info *c = realloc(b->counters, sizeof(*c) + cap * sizeof(struct xt_counters));
                if (!c)
                        return -ENOMEM;
                b->counters = c;
                uint32_t *o = realloc(b->old_index, cap * sizeof(uint32_t));
                if (!o)
                        return -ENOMEM;
                b->old_index = o;
                b->cap_entries = cap;
        }
        b->counters->counters[b->n_entries] = (struct xt_counters) { .pcnt = pcnt, .bcnt = bcnt };
        b->old_index[b->n_entries] = old_index;
        b->n_entries++;
        b->size += (uint32_t) size;
        return 0;
}

/* An entry with no match and only a target: ERROR or standard. */
static int raw_blob_put_bare(raw_blob *b, const char *target, size_t target_size, TC_ENTRY **ret) {
        size_t size = sizeof(TC_ENTRY) + target_size;
        int r = raw_blob_room(b, size);
        if (r < 0)
                return r;
        TC_ENTRY *e = (TC_ENTRY *) raw_blob_at(b, b->size);
        memset(e, 0, size);
        e->target_offset = sizeof(TC_ENTRY);
        e->next_offset = (uint16_t) size;
        struct xt_entry_target *t = (struct xt_entry_target *) e->elems;
        t->u.user.target_size = (uint16_t) target_size;
        strncpy(t->u.user.name, target, sizeof(t->u.user.name) - 1);
        *ret = e;
        return 0;
}

static int raw_blob_put_error(raw_blob *b, const char *name) {
        TC_ENTRY *e;
        int r = raw_blob_put_bare(b, XT_ERROR_TARGET, XT_ALIGN(sizeof(struct xt_error_target)), &e);
        if (r < 0)
                return r;
        struct xt_error_target *t = (struct xt_error_target *) e->elems;
        strncpy(t->errorname, name, sizeof(t->errorname) - 1);
        return raw_blob_commit_entry(b, e->next_offset, 0, 0, UINT32_MAX);
}

static int raw_blob_put_verdict(raw_blob *b, int verdict, uint64_t pcnt, uint64_t bcnt) {
        TC_ENTRY *e;
        int r = raw_blob_put_bare(b, XT_STANDARD_TARGET, XT_ALIGN(sizeof(struct xt_standard_target)), &e);
        if (r < 0)
                return r;
        ((struct xt_standard_target *) e->elems)->verdict = verdict;
        return raw_blob_commit_entry(b, e->next_offset, pcnt, bcnt, UINT32_MAX);
}

/* Where the rules of the table replaced are (see bs_rule.origin). */
typedef struct raw_origins {
        uint32_t stamp;            /* 0: no rule has one */
        const raw_table *current;
        uint32_t *offsets;         /* by entry index */
} raw_origins;

static bool target_is_standard(bs_target_kind kind) {
        switch (kind) {
        case BS_TARGET_NONE:
        case BS_TARGET_ACCEPT:
        case BS_TARGET_DROP:
        case BS_TARGET_QUEUE:
        case BS_TARGET_RETURN:
        case BS_TARGET_JUMP:
        case BS_TARGET_GOTO:
                return true;
        default:
                return false;
        }
}

/* The entry a rule was read from, when the rule is unchanged since. */
static const TC_ENTRY *raw_origin_entry(const raw_origins *o, const bs_rule *rule, uint32_t *ret_index) {
        if (!o->stamp || rule->origin >> 32 != o->stamp || (uint32_t) rule->origin - 1 >= o->current->num_entries)
                return NULL;
        uint32_t index = (uint32_t) rule->origin - 1;
        const TC_ENTRY *e = raw_entry(o->current, o->offsets[index]);
        /* A guard, cheap, against a rule changed in place without its
         * origin cleared (see bs_rule.origin): a standard verdict is only
         * ever written over a standard target. */
        if (target_is_standard(rule->target.kind) != streq(raw_target(e)->u.user.name, XT_STANDARD_TARGET))
                return NULL;
        *ret_index = index;
        return e;
}

static int raw_blob_put_rule(raw_blob *b, const bs_table *t, const bs_rule *rule, const raw_origins *o) {
        uint32_t off = b->size, old_index = UINT32_MAX;
        size_t size = 0;
        int r;
        const TC_ENTRY *kept = raw_origin_entry(o, rule, &old_index);
        if (kept) {
                /* unchanged since it was read: the bytes the kernel gave,
                 * as libiptc keeps them (only the verdict below is new) */
                size = kept->next_offset;
                r = raw_blob_room(b, size);
                if (r < 0)
                        return r;
                memcpy(raw_blob_at(b, off), kept, size);
        } else {
                /* written in place, sized first only when it does not fit */
                r = bs_codec_encode_to(rule, raw_blob_at(b, off), b->cap - sizeof(TC_REPLACE) - off, &size);
                if (r == -ENOBUFS) {
                        r = raw_blob_room(b, size);
                        if (r >= 0)
                                r = bs_codec_encode_to(rule, raw_blob_at(b, off), size, &size);
                }
                if (r < 0)
                        return r;
        }

        /* The codec names standard targets as the iptables CLI hands them
         * to libiptc; the kernel wants the empty name and a verdict. */
        TC_ENTRY *e = (TC_ENTRY *) raw_blob_at(b, off);
        struct xt_standard_target *st = (struct xt_standard_target *) ((uint8_t *) e + e->target_offset);
        bool standard = true;
        switch (rule->target.kind) {
        case BS_TARGET_NONE:
                st->verdict = (int) (off + size);
                break;
        case BS_TARGET_ACCEPT:
                st->verdict = -NF_ACCEPT - 1;
                break;
        case BS_TARGET_DROP:
                st->verdict = -NF_DROP - 1;
                break;
        case BS_TARGET_QUEUE:
                st->verdict = -NF_QUEUE - 1;
                break;
        case BS_TARGET_RETURN:
                st->verdict = XT_RETURN;
                break;
        case BS_TARGET_JUMP:
        case BS_TARGET_GOTO: {
                const bs_chain *to = bs_table_find_chain(t, rule->target.chain);
                if (!to || to->builtin)
                        return -ENOENT;
                r = bs_grow((void **) &b->jumps, &b->cap_jumps, b->n_jumps + 1, sizeof(raw_jump));
                if (r < 0)
                        return r;
                b->jumps[b->n_jumps++] = (raw_jump) {
                        .verdict_at = (uint32_t) ((uint8_t *) &st->verdict - raw_blob_at(b, 0)),
                        .chain = (uint32_t) (to - t->chains),
                };
                break;
        }
        default:
                standard = false;
                break;
        }
        if (standard) {
                if (st->target.u.user.target_size != XT_ALIGN(sizeof(*st)))
                        return -EINVAL;
                memset(st->target.u.user.name, 0, sizeof(st->target.u.user.name));
        }

        /* the kernel's, in a kept entry; it sets them itself */
        e->comefrom = 0;
        e->counters = (struct xt_counters) {};
        return raw_blob_commit_entry(b, size, rule->packets, rule->bytes, old_index);
}

static int raw_hook_of(const char *name) {
        for (int h = 0; h < NF_INET_NUMHOOKS; h++)
                if (streq(raw_hook_names[h], name))
                        return h;
        return -1;
}

/* Lay the model out for the kernel, in place of `current` (whose hooks it
 * must have: the built-in chains are the kernel's). stamp: that of the
 * rules' origins in `current`. */
static int raw_blob_build(raw_blob *b, const bs_table *t, const raw_table *current, uint32_t stamp) {
        _cleanup_free_ uint32_t *offsets = NULL;
        if (stamp) {
                offsets = malloc((current->num_entries ? current->num_entries : 1) * sizeof(uint32_t));
                if (!offsets)
                        return -ENOMEM;
                uint32_t i = 0;
                for (uint32_t off = 0; off < current->size && i < current->num_entries;
                     off += raw_entry(current, off)->next_offset)
                        offsets[i++] = off;
                if (i != current->num_entries)
                        return -EBADMSG;
        }
        raw_origins origins = { .stamp = stamp, .current = current, .offsets = offsets };
        int r = raw_blob_room(b, 0); /* the first allocation */
        if (r < 0)
                return r;
        TC_REPLACE hdr = {};
        memcpy(hdr.name, t->name, strnlen(t->name, sizeof(hdr.name) - 1));
        hdr.valid_hooks = current->valid_hooks;
        unsigned hooks_seen = 0;

        b->chain_start = calloc(t->n_chains ? t->n_chains : 1, sizeof(uint32_t));
        if (!b->chain_start)
                return -ENOMEM;
        for (size_t i = 0; i < t->n_chains; i++) {
                const bs_chain *c = &t->chains[i];
                int hook = -1;
                if (c->builtin) {
                        hook = raw_hook_of(c->name);
                        if (hook < 0 || !(current->valid_hooks & (1u << hook)) || (hooks_seen & (1u << hook)) ||
                            (c->policy != BS_POLICY_ACCEPT && c->policy != BS_POLICY_DROP))
                                return -EINVAL;
                        hooks_seen |= 1u << hook;
                        hdr.hook_entry[hook] = b->size;
                } else {
                        r = raw_blob_put_error(b, c->name);
                        if (r < 0)
                                return r;
                }
                b->chain_start[i] = b->size;
                for (size_t j = 0; j < c->n_rules; j++) {
                        r = raw_blob_put_rule(b, t, &c->rules[j], &origins);
                        if (r < 0)
                                return r;
                }
                if (c->builtin) {
                        hdr.underflow[hook] = b->size;
                        r = raw_blob_put_verdict(b, c->policy == BS_POLICY_DROP ? -NF_DROP - 1 : -NF_ACCEPT - 1,
                                                 c->policy_packets, c->policy_bytes);
                } else
                        r = raw_blob_put_verdict(b, XT_RETURN, 0, 0);
                if (r < 0)
                        return r;
        }
        if (hooks_seen != current->valid_hooks)
                return -EINVAL;
        r = raw_blob_put_error(b, XT_ERROR_TARGET);
        if (r < 0)
                return r;

        for (size_t i = 0; i < b->n_jumps; i++) {
                int verdict = (int) b->chain_start[b->jumps[i].chain];
                memcpy(raw_blob_at(b, b->jumps[i].verdict_at), &verdict, sizeof(verdict));
        }

        hdr.num_entries = b->n_entries;
        hdr.size = b->size;
        memcpy(b->repl, &hdr, sizeof(hdr));
        return 0;
}

/* The blob as a table read from the kernel: its key, as the next read
 * will find it. */
static int raw_blob_key(const raw_blob *b, table_key *k) {
        _cleanup_raw_table_ raw_table view = {
                .base = (const uint8_t *) b->repl->entries,
                .size = b->size,
                .num_entries = b->n_entries,
                .valid_hooks = b->repl->valid_hooks,
        };
        for (unsigned h = 0; h < NF_INET_NUMHOOKS; h++) {
                view.hook_entry[h] = view.valid_hooks & (1u << h) ? b->repl->hook_entry[h] : UINT32_MAX;
                view.underflow[h] = b->repl->underflow[h];
        }
        int r = raw_parse(&view);
        if (r < 0)
                return r;
        /* about the size it will have (the entries and a short label
         * each): no copying it over as it grows */
        *k = (table_key) { .build = true, .cap = (size_t) b->size + (size_t) b->n_entries * 8 + 256 };
        k->buf = malloc(k->cap);
        if (!k->buf)
                return -ENOMEM;
        r = raw_key_walk(&view, k);
        if (r < 0) {
                free(k->buf);
                *k = (table_key) {};
        }
        return r;
}

static int raw_commit(raw_staged *rs, const bs_nf_options *o) {
        raw_blob *b = &rs->blob;
        _cleanup_free_ struct xt_counters *old = calloc(rs->current.num_entries ? rs->current.num_entries : 1,
                                                         sizeof(struct xt_counters));
        if (!old)
                return -ENOMEM;
        b->repl->num_counters = rs->current.num_entries;
        b->repl->counters = old;

        _cleanup_close_ int fd = socket(TC_AF, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
        if (fd < 0)
                return -errno;
        if (o->before_commit)
                o->before_commit(o->userdata);
        /* -EAGAIN: the table's number of entries changed since it was read */
        if (setsockopt(fd, TC_SOL, TC_SO_SET_REPLACE, b->repl, sizeof(TC_REPLACE) + b->size) < 0)
                /* as commit(): the kernel's ENOENT is a missing module */
                return errno == ENOENT ? -EOPNOTSUPP : -errno;

        for (uint32_t i = 0; i < b->n_entries; i++)
                if (b->old_index[i] != UINT32_MAX)
                        b->counters->counters[i] = old[b->old_index[i]];
        memcpy(b->counters->name, b->repl->name, sizeof(b->counters->name));
        b->counters->num_counters = b->n_entries;
        /* The table is replaced: a failure here loses counters, not the
         * change, which must not be reported as not made. */
        (void) setsockopt(fd, TC_SOL, TC_SO_SET_ADD_COUNTERS, b->counters,
                          sizeof(*b->counters) + b->n_entries * sizeof(struct xt_counters));
        return 0;
}
