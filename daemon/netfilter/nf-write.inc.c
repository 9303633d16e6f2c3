/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Table access on one libiptc API, last part (after nf-read.inc.c,
 * nf-raw-read.inc.c and nf-raw-write.inc.c; see nf-read.inc.c): applying
 * change sets, staging and committing them, restore, the rollback's
 * rewrite, zeroing counters, and the family's ops table for nf.c. */

static int nf_read_cached(const char *table, bs_nf_read_cache *cache, bool raw_ok, const bs_table **ret) {
        if (raw_ok && raw_cache_read(table, cache, 0, NULL) > 0) {
                *ret = cache->table;
                return 0;
        }
        _cleanup_handle_ TC_HANDLE *h = NULL;
        int r = open_table(table, &h);
        if (r < 0)
                return r;
        return cache_lookup(h, table, cache, ret);
}

/* ----------------------------------------------------------------- apply */

/* The rule as entry bytes for libiptc. libiptc gives a new or replaced
 * entry the counters it carries (COUNTER_MAP_SET): the rule's own. */
static int encode_entry(const bs_rule *rule, TC_ENTRY **ret) {
        void *bytes;
        size_t size;
        int r = bs_codec_encode(rule, &bytes, &size);
        if (r < 0)
                return r;
        TC_ENTRY *e = bytes;
        e->counters.pcnt = rule->packets;
        e->counters.bcnt = rule->bytes;
        *ret = e;
        return 0;
}

static size_t find_equal_rule(const bs_table *t, const char *chain, const bs_rule *rule) {
        const bs_chain *c = bs_table_find_chain(t, chain);
        if (c)
                for (size_t i = 0; i < c->n_rules; i++)
                        if (bs_rule_equal(&c->rules[i], rule))
                                return i;
        return SIZE_MAX;
}

/* One change: to the model first (which decides every error), then to the
 * handle. */
static int apply_one(TC_HANDLE *h, bs_table *model, const bs_change *c) {
        if (!(c->families & NF_MASK))
                return 0;

        /* -D RULE deletes the first rule equal to it as a model value (what
         * `iptables -C` means), not iptc_delete_entry's byte matchmask. */
        size_t del_pos = SIZE_MAX;
        if (c->kind == BS_CHANGE_DELETE)
                del_pos = find_equal_rule(model, c->chain, &c->rule);

        int r = bs_table_apply_change(model, c);
        if (r < 0)
                return r;

        _cleanup_free_ TC_ENTRY *entry = NULL;
        if (c->kind == BS_CHANGE_APPEND || c->kind == BS_CHANGE_INSERT || c->kind == BS_CHANGE_REPLACE) {
                r = encode_entry(&c->rule, &entry);
                if (r < 0)
                        return r;
        }

        xt_chainlabel chain;
        label_set(chain, c->chain);
        /* the model accepted the positions: 1-based there, 0-based here */
        unsigned pos = (c->position ? c->position : 1) - 1;
        int ok;
        switch (c->kind) {
        case BS_CHANGE_APPEND:
                ok = TC_APPEND_ENTRY(chain, entry, h);
                break;
        case BS_CHANGE_INSERT:
                ok = TC_INSERT_ENTRY(chain, entry, pos, h);
                break;
        case BS_CHANGE_REPLACE:
                ok = TC_REPLACE_ENTRY(chain, entry, pos, h);
                break;
        case BS_CHANGE_DELETE:
                if (del_pos == SIZE_MAX)
                        return -ENOENT; /* not reached: the model found it */
                ok = TC_DELETE_NUM_ENTRY(chain, (unsigned) del_pos, h);
                break;
        case BS_CHANGE_DELETE_NUM:
                ok = TC_DELETE_NUM_ENTRY(chain, pos, h);
                break;
        case BS_CHANGE_POLICY: {
                xt_chainlabel policy;
                label_set(policy, policy_label(c->policy));
                ok = TC_SET_POLICY(chain, policy, NULL, h);
                break;
        }
        case BS_CHANGE_NEW_CHAIN:
                ok = TC_CREATE_CHAIN(chain, h);
                break;
        case BS_CHANGE_DELETE_CHAIN:
                ok = TC_DELETE_CHAIN(chain, h);
                break;
        case BS_CHANGE_FLUSH:
                ok = TC_FLUSH_ENTRIES(chain, h);
                break;
        default:
                return -EINVAL;
        }
        return ok ? 0 : libiptc_error();
}

/* libiptc gives a built-in chain's policy counters only what was counted
 * between init and commit (COUNTER_MAP_ZEROED), so every legacy commit
 * resets them. Set them explicitly to what the model holds instead (the
 * table as read, or the snapshot being restored), so a commit does not
 * lose them. */
static int keep_policy_counters(TC_HANDLE *h, const bs_table *t) {
        for (size_t i = 0; i < t->n_chains; i++) {
                const bs_chain *c = &t->chains[i];
                if (!c->builtin)
                        continue;
                xt_chainlabel chain, policy;
                label_set(chain, c->name);
                label_set(policy, policy_label(c->policy));
                struct xt_counters pc = { .pcnt = c->policy_packets, .bcnt = c->policy_bytes };
                if (!TC_SET_POLICY(chain, policy, &pc, h))
                        return libiptc_error();
        }
        return 0;
}

static bool any_change_for_us(const bs_change *changes, size_t n) {
        for (size_t i = 0; i < n; i++)
                if (changes[i].families & NF_MASK)
                        return true;
        return false;
}

static int nf_apply(const char *table, const bs_change *changes, size_t n, const bs_nf_options *o,
                    bs_table **ret_before, bs_table **ret_after) {
        if (!table_name_ok(table) || (n > 0 && !changes))
                return -EINVAL;
        if (ret_before)
                *ret_before = NULL;

        if (!any_change_for_us(changes, n))
                return ret_after ? nf_read(table, ret_after) : 0;

        for (unsigned attempt = 0;; attempt++) {
                _cleanup_handle_ TC_HANDLE *h = NULL;
                _cleanup_table_ bs_table *model = NULL, *before = NULL;

                int r = open_table(table, &h);
                if (r < 0)
                        return r;
                r = read_handle(h, table, &model);
                if (r < 0)
                        return r;
                if (ret_before) {
                        r = bs_table_copy(&before, model);
                        if (r < 0)
                                return r;
                }
                for (size_t i = 0; i < n; i++) {
                        r = apply_one(h, model, &changes[i]);
                        if (r < 0)
                                return r;
                }
                r = keep_policy_counters(h, model);
                if (r < 0)
                        return r;

                r = commit(h, o);
                if (r == -EAGAIN && attempt < o->max_retries)
                        continue; /* the table changed since init: redo on the new one */
                if (r < 0)
                        return r;

                if (ret_before)
                        *ret_before = TAKE_PTR(before);
                if (ret_after)
                        *ret_after = TAKE_PTR(model);
                return 0;
        }
}

/* ---------------------------------------------------------- staged apply */

static void nf_unstage(bs_nf_staged *st) {
        if (st->handle)
                TC_FREE(st->handle);
        raw_staged_free(st->raw);
        bs_table_free(st->before);
        bs_table_free(st->after);
        *st = (bs_nf_staged) {};
}

/* The table before: the cached table itself when the cache is given
 * (shared with it: nobody changes its rules), else decoded. The cache
 * keeps it until a commit puts the table after in its place, so a change
 * refused on the way costs no decode at the next read. */
static int before_of(TC_HANDLE *h, const char *table, bs_nf_read_cache *cache, bs_table **ret) {
        if (!cache)
                return read_handle(h, table, ret);
        const bs_table *t = NULL;
        int r = cache_lookup(h, table, cache, &t);
        if (r < 0)
                return r;
        *ret = bs_table_ref(cache->table);
        return 0;
}

/* A stamp for the rules' origins no staging had before (never 0). */
static uint32_t raw_stamp(void) {
        uint32_t stamp = (uint32_t) bs_nf_next_generation();
        return stamp ? stamp : (uint32_t) bs_nf_next_generation();
}

/* The kernel's table in the cache (kept, or decoded from the entries just
 * read), with the rules' origins stamped: 1 (*ret taken by the caller),
 * else 0. */
static int raw_stage_begin(const char *table, bs_nf_read_cache *cache, raw_staged **ret, uint32_t *ret_stamp) {
        if (!cache)
                return 0;
        raw_staged *rs = calloc(1, sizeof(*rs));
        if (!rs)
                return 0; /* libiptc's path then says what is short */
        uint32_t stamp = raw_stamp();
        if (raw_cache_read(table, cache, stamp, &rs->current) <= 0) {
                raw_staged_free(rs);
                return 0;
        }
        *ret = rs;
        *ret_stamp = stamp;
        return 1;
}

/* nf_stage on the cached table, without libiptc: 1 when the kernel's table
 * could not be read so or the table after could not be laid out (libiptc
 * then does it all again, and says which change the kernel would refuse),
 * else as nf_stage. */
static int raw_stage(const char *table, const bs_change *changes, size_t n, bs_nf_read_cache *cache,
                     bs_nf_staged *st, size_t *ret_failed) {
        raw_staged *rs = NULL;
        uint32_t stamp = 0;
        if (!raw_stage_begin(table, cache, &rs, &stamp))
                return 1;
        st->before = bs_table_ref(cache->table);
        if (!any_change_for_us(changes, n)) {
                raw_staged_free(rs);
                st->after = bs_table_ref(st->before);
                return 0;
        }
        int r = bs_table_copy(&st->after, st->before);
        if (r >= 0)
                r = bs_table_reserve_appends(st->after, changes, n, NF_MASK);
        for (size_t i = 0; r >= 0 && i < n; i++) {
                if (!(changes[i].families & NF_MASK))
                        continue;
                r = bs_table_apply_change(st->after, &changes[i]);
                if (r < 0 && ret_failed)
                        *ret_failed = i;
        }
        if (r >= 0 && raw_blob_build(&rs->blob, st->after, &rs->current, stamp) < 0)
                r = 1;
        if (r != 0) {
                raw_staged_free(rs);
                nf_unstage(st);
                return r;
        }
        st->raw = rs;
        return 0;
}

static int nf_stage(const char *table, const bs_change *changes, size_t n, bs_nf_read_cache *cache, bool raw_ok,
                    bs_nf_staged *st, size_t *ret_failed) {
        *st = (bs_nf_staged) {};
        if (!table_name_ok(table) || (n > 0 && !changes))
                return -EINVAL;
        int r = raw_ok ? raw_stage(table, changes, n, cache, st, ret_failed) : 1;
        if (r <= 0)
                return r;
        _cleanup_handle_ TC_HANDLE *h = NULL;
        r = open_table(table, &h);
        if (r < 0)
                return r;

        if (!any_change_for_us(changes, n)) {
                /* Nothing to commit: the table as it is is the table
                 * before and after, shared (with the cache too). */
                r = before_of(h, table, cache, &st->before);
                if (r < 0)
                        return r;
                st->after = bs_table_ref(st->before);
                return 0;
        }

        r = before_of(h, table, cache, &st->before);
        if (r >= 0)
                r = bs_table_copy(&st->after, st->before);
        for (size_t i = 0; r >= 0 && i < n; i++) {
                r = apply_one(h, st->after, &changes[i]);
                if (r < 0 && ret_failed)
                        *ret_failed = i;
        }
        if (r >= 0)
                r = keep_policy_counters(h, st->after);
        if (r < 0) {
                nf_unstage(st);
                return r;
        }
        st->handle = TAKE_PTR(h);
        return 0;
}

static int nf_commit_staged(bs_nf_staged *st, const bs_nf_options *o, bs_nf_read_cache *cache) {
        if (st->raw) {
                raw_staged *rs = st->raw;
                int r = raw_commit(rs, o);
                if (r < 0)
                        return r;
                /* keyed from the blob, as the next read will find it */
                table_key k = {};
                if (cache && raw_blob_key(&rs->blob, &k) >= 0) {
                        cache_keep_key(cache, bs_table_ref(st->after), &k);
                        cache->raw_committed = true;
                }
                return 0;
        }
        if (!st->handle)
                return 0; /* nothing to commit */
        int r = commit(st->handle, o);
        if (r < 0)
                return r;
        /* The handle now holds what the kernel has: key it, and the next
         * read finds the table after without decoding. (Failing here only
         * costs that decode.) The cache shares the table with the caller:
         * neither changes its rules. */
        if (cache)
                (void) cache_keep(st->handle, cache, bs_table_ref(st->after));
        return 0;
}

/* --------------------------------------------------------------- restore */

static bool rule_jump_ok(const bs_table *t, const bs_rule *rule) {
        if (rule->target.kind != BS_TARGET_JUMP && rule->target.kind != BS_TARGET_GOTO)
                return true;
        const bs_chain *c = bs_table_find_chain(t, rule->target.chain);
        return c && !c->builtin;
}

/* What the model would refuse, refused before touching the kernel. */
static int check_snapshot(const bs_table *s) {
        if (s->family != NF_FAMILY)
                return -EAFNOSUPPORT;
        if (!table_name_ok(s->name))
                return -EINVAL;
        for (size_t i = 0; i < s->n_chains; i++) {
                const bs_chain *c = &s->chains[i];
                if (c->builtin ? c->policy != BS_POLICY_ACCEPT && c->policy != BS_POLICY_DROP
                               : !bs_chain_name_valid(c->name))
                        return -EINVAL;
                for (size_t j = 0; j < c->n_rules; j++) {
                        if (c->rules[j].family != NF_FAMILY)
                                return -EAFNOSUPPORT;
                        if (!rule_jump_ok(s, &c->rules[j]))
                                return -ENOENT;
                }
        }
        return 0;
}

/* The names of the handle's chains (copies: deleting a chain frees its
 * name inside libiptc). */
static int list_chains(TC_HANDLE *h, xt_chainlabel **ret, size_t *ret_n) {
        _cleanup_free_ xt_chainlabel *names = NULL;
        size_t n = 0, cap = 0;
        for (const char *name = TC_FIRST_CHAIN(h); name; name = TC_NEXT_CHAIN(h)) {
                int r = bs_grow((void **) &names, &cap, n + 1, sizeof(xt_chainlabel));
                if (r < 0)
                        return r;
                label_set(names[n++], name);
        }
        *ret = TAKE_PTR(names);
        *ret_n = n;
        return 0;
}

/* Turn the handle's table into the snapshot: flush every chain, delete
 * the user chains the snapshot lacks, create those it adds, append every
 * rule with its counters, set policies with their counters. */
static int rebuild(TC_HANDLE *h, const bs_table *s) {
        _cleanup_free_ xt_chainlabel *names = NULL;
        size_t n;
        int r = list_chains(h, &names, &n);
        if (r < 0)
                return r;

        /* The built-in chains are the kernel's: the snapshot must have
         * exactly the same ones. */
        size_t n_builtin = 0, n_snapshot_builtin = 0;
        for (size_t i = 0; i < n; i++) {
                if (!TC_BUILTIN(names[i], h))
                        continue;
                n_builtin++;
                const bs_chain *c = bs_table_find_chain(s, names[i]);
                if (!c || !c->builtin)
                        return -EINVAL;
        }
        for (size_t i = 0; i < s->n_chains; i++)
                n_snapshot_builtin += s->chains[i].builtin;
        if (n_builtin != n_snapshot_builtin)
                return -EINVAL;

        for (size_t i = 0; i < n; i++)
                if (!TC_FLUSH_ENTRIES(names[i], h))
                        return libiptc_error();
        for (size_t i = 0; i < n; i++)
                if (!TC_BUILTIN(names[i], h) && !bs_table_find_chain(s, names[i]) &&
                    !TC_DELETE_CHAIN(names[i], h))
                        return libiptc_error();

        for (size_t i = 0; i < s->n_chains; i++) {
                const bs_chain *c = &s->chains[i];
                xt_chainlabel chain;
                label_set(chain, c->name);
                if (!c->builtin && !TC_IS_CHAIN(chain, h) && !TC_CREATE_CHAIN(chain, h))
                        return libiptc_error();
        }

        for (size_t i = 0; i < s->n_chains; i++) {
                const bs_chain *c = &s->chains[i];
                xt_chainlabel chain;
                label_set(chain, c->name);
                for (size_t j = 0; j < c->n_rules; j++) {
                        _cleanup_free_ TC_ENTRY *entry = NULL;
                        r = encode_entry(&c->rules[j], &entry);
                        if (r < 0)
                                return r;
                        if (!TC_APPEND_ENTRY(chain, entry, h))
                                return libiptc_error();
                }
        }
        return keep_policy_counters(h, s);
}

static int nf_restore(const bs_table *s, const bs_nf_options *o) {
        int r = check_snapshot(s);
        if (r < 0)
                return r;

        for (unsigned attempt = 0;; attempt++) {
                _cleanup_handle_ TC_HANDLE *h = NULL;
                r = open_table(s->name, &h);
                if (r < 0)
                        return r;
                r = rebuild(h, s);
                if (r < 0)
                        return r;
                r = commit(h, o);
                if (r == -EAGAIN && attempt < o->max_retries)
                        continue;
                return r;
        }
}

/* The table wanted, computed from the table read, checked. *ret NULL:
 * nothing to change. */
static int compute_target(const char *table, const bs_table *current, bs_nf_rewrite_fn compute, void *userdata,
                          bs_table **ret) {
        _cleanup_table_ bs_table *target = NULL;
        int r = compute(current, userdata, &target);
        if (r < 0)
                return r;
        if (target) {
                if (!streq(target->name, table))
                        return -EINVAL;
                r = check_snapshot(target);
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(target);
        return 0;
}

/* nf_stage_rewrite on the cached table, without libiptc: 1 when the
 * kernel's table could not be read so or the table wanted could not be
 * laid out (libiptc then does it all again, compute() included, and says
 * what it refuses), else as nf_stage_rewrite. */
static int raw_stage_rewrite(const char *table, bs_nf_read_cache *cache, bs_nf_rewrite_fn compute,
                             void *userdata, bs_nf_staged *st) {
        _cleanup_(raw_staged_freep) raw_staged *rs = NULL;
        uint32_t stamp = 0;
        if (!raw_stage_begin(table, cache, &rs, &stamp))
                return 1;
        _cleanup_table_ bs_table *target = NULL;
        int r = compute_target(table, cache->table, compute, userdata, &target);
        if (r < 0 || !target)
                return r;
        if (raw_blob_build(&rs->blob, target, &rs->current, stamp) < 0)
                return 1;
        /* the cache's table: shared, until the commit puts the table
         * after in its place */
        st->before = bs_table_ref(cache->table);
        st->after = TAKE_PTR(target);
        st->raw = TAKE_PTR(rs);
        return 0;
}

/* bs_nf_rewrite_both's step for one family: read the table (through the
 * cache), compute the table wanted, and rebuild the handle into it (the
 * same handle: no second read of the kernel's table). st->before is the
 * table as read (taken out of the cache), st->after the one to commit;
 * nothing staged when there is nothing to change. */
static int nf_stage_rewrite(const char *table, bs_nf_read_cache *cache, bool raw_ok, bs_nf_rewrite_fn compute,
                            void *userdata, bs_nf_staged *st) {
        *st = (bs_nf_staged) {};
        if (!table_name_ok(table) || !cache || !compute)
                return -EINVAL;
        int r = raw_ok ? raw_stage_rewrite(table, cache, compute, userdata, st) : 1;
        if (r <= 0)
                return r;

        _cleanup_handle_ TC_HANDLE *h = NULL;
        r = open_table(table, &h);
        if (r < 0)
                return r;
        const bs_table *current = NULL;
        r = cache_lookup(h, table, cache, &current);
        if (r < 0)
                return r;
        _cleanup_table_ bs_table *target = NULL;
        r = compute_target(table, current, compute, userdata, &target);
        if (r < 0 || !target)
                return r;
        r = rebuild(h, target);
        if (r < 0)
                return r;
        st->before = bs_table_ref(cache->table);
        st->after = TAKE_PTR(target);
        st->handle = TAKE_PTR(h);
        return 0;
}

/* ------------------------------------------------------------------ zero */

/* Zero one chain (or all): its rules through iptc_zero_entries, its policy
 * counters by libiptc's own reset; the other chains' policy counters are
 * set back to what they were (see keep_policy_counters). */
static int zero_handle(TC_HANDLE *h, const char *only) {
        _cleanup_free_ xt_chainlabel *names = NULL;
        size_t n;
        int r = list_chains(h, &names, &n);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n; i++) {
                if (!only || streq(names[i], only)) {
                        if (!TC_ZERO_ENTRIES(names[i], h))
                                return libiptc_error();
                        continue;
                }
                if (!TC_BUILTIN(names[i], h))
                        continue;
                struct xt_counters pc;
                const char *p = TC_GET_POLICY(names[i], &pc, h);
                if (!p)
                        return libiptc_error();
                xt_chainlabel policy;
                label_set(policy, p);
                if (!TC_SET_POLICY(names[i], policy, &pc, h))
                        return libiptc_error();
        }
        return 0;
}

static int nf_zero(const char *table, const char *chain, const bs_nf_options *o) {
        if (chain && (!*chain || strlen(chain) >= sizeof(xt_chainlabel)))
                return -EINVAL;

        for (unsigned attempt = 0;; attempt++) {
                _cleanup_handle_ TC_HANDLE *h = NULL;
                int r = open_table(table, &h);
                if (r < 0)
                        return r;
                if (chain && !TC_IS_CHAIN(chain, h))
                        return -ENOENT;
                r = zero_handle(h, chain);
                if (r < 0)
                        return r;
                r = commit(h, o);
                if (r == -EAGAIN && attempt < o->max_retries)
                        continue;
                return r;
        }
}

const bs_nf_family_ops NF_OPS_NAME = {
        .family = NF_FAMILY,
        .read = nf_read,
        .read_cached = nf_read_cached,
        .apply = nf_apply,
        .restore = nf_restore,
        .stage_rewrite = nf_stage_rewrite,
        .stage = nf_stage,
        .commit_staged = nf_commit_staged,
        .unstage = nf_unstage,
        .zero = nf_zero,
};
