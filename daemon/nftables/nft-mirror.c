/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "nft-mirror.h"

#include <arpa/inet.h>
#include <libnftnl/rule.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include "nft-rule.h"

void bs_nft_mirror_done(bs_nft_mirror *mi) {
        for (int f = 0; f < 2; f++) {
                bs_table_free(mi->copy[f]);
                free(mi->ops[f].v);
                free(mi->followed_ops[f].v);
        }
        *mi = (bs_nft_mirror) { .followed = mi->followed, .read_again = mi->read_again };
}

static void forget_commit(bs_nft_mirror *mi) {
        for (int f = 0; f < 2; f++) {
                bs_table_free(TAKE_PTR(mi->copy[f]));
                mi->ops[f].n = 0;
                mi->broken[f] = false;
                mi->deleted[f].set = false;
        }
}

static int family_index(const struct nlmsghdr *nlh) {
        if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(struct nfgenmsg)))
                return -1;
        const struct nfgenmsg *g = mnl_nlmsg_get_payload(nlh);
        return g->nfgen_family == NFPROTO_IPV4 ? 0 : g->nfgen_family == NFPROTO_IPV6 ? 1 : -1;
}

/* The table an object notification names: attribute 1 of every kind
 * (NFTA_TABLE_NAME, NFTA_CHAIN_TABLE, NFTA_RULE_TABLE, NFTA_SET_TABLE,
 * NFTA_SET_ELEM_LIST_TABLE, NFTA_OBJ_TABLE, NFTA_FLOWTABLE_TABLE). */
static const char *table_of(const struct nlmsghdr *nlh) {
        const struct nlattr *a;
        mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg))
                if (mnl_attr_get_type(a) == 1 && mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
                        return mnl_attr_get_str(a);
        return NULL;
}

static size_t index_of_handle(const bs_chain *c, uint64_t handle) {
        for (size_t i = 0; i < c->n_rules; i++)
                if (c->rules[i].origin == handle)
                        return i;
        return SIZE_MAX;
}

static int record(bs_nft_mirror *mi, int f, bool add, size_t index, uint64_t handle, const char *chain) {
        bs_nft_mirror_ops *o = &mi->ops[f];
        if (o->n == o->cap) {
                size_t cap = o->cap ? o->cap * 2 : 8;
                bs_nft_mirror_op *v = reallocarray(o->v, cap, sizeof(*v));
                if (!v)
                        return -ENOMEM;
                o->v = v;
                o->cap = cap;
        }
        bs_nft_mirror_op *op = &o->v[o->n++];
        *op = (bs_nft_mirror_op){ .add = add, .index = index, .handle = handle };
        snprintf(op->chain, sizeof(op->chain), "%s", chain);
        return 0;
}

static void nftnl_rule_freep(struct nftnl_rule **r) {
        if (*r)
                nftnl_rule_free(*r);
}

/* A rule added or deleted by the commit, applied to the copy. -ESTALE:
 * not followed (the next read reads the table). */
static int follow_rule(bs_nft_mirror *mi, int f, const bs_nf_read_cache *cache, const struct nlmsghdr *nlh,
                       bool add) {
        if (!cache->table || !cache->have_nft_genid)
                return -ESTALE;
        if (!mi->copy[f]) {
                int r = bs_table_copy(&mi->copy[f], cache->table);
                if (r < 0)
                        return r;
        }
        _cleanup_(nftnl_rule_freep) struct nftnl_rule *nr = nftnl_rule_alloc();
        if (!nr)
                return -ENOMEM;
        if (nftnl_rule_nlmsg_parse(nlh, nr) < 0 || !nftnl_rule_is_set(nr, NFTNL_RULE_CHAIN) ||
            !nftnl_rule_is_set(nr, NFTNL_RULE_HANDLE))
                return -ESTALE;
        const char *chain = nftnl_rule_get_str(nr, NFTNL_RULE_CHAIN);
        uint64_t handle = nftnl_rule_get_u64(nr, NFTNL_RULE_HANDLE);
        bs_chain *c = bs_table_find_chain(mi->copy[f], chain);
        if (!c || strlen(chain) >= sizeof(mi->deleted[f].chain))
                return -ESTALE;

        if (!add) {
                size_t i = index_of_handle(c, handle);
                if (i == SIZE_MAX)
                        return -ESTALE;
                bs_chain_remove_rule(c, i);
                int r = record(mi, f, false, i, handle, chain);
                if (r < 0)
                        return r;
                mi->deleted[f].set = true;
                mi->deleted[f].portid = nlh->nlmsg_pid;
                mi->deleted[f].seq = nlh->nlmsg_seq;
                snprintf(mi->deleted[f].chain, sizeof(mi->deleted[f].chain), "%s", chain);
                mi->deleted[f].index = i;
                return 0;
        }

        /* Where it goes. The kernel names the rule before it, unless the
         * rule is first or last in its chain; then a rule replacing
         * another (deleted by the same request just before) takes its
         * place, one appended (NLM_F_APPEND) goes last, one inserted
         * first. */
        size_t pos;
        if (nftnl_rule_is_set(nr, NFTNL_RULE_POSITION)) {
                size_t before = index_of_handle(c, nftnl_rule_get_u64(nr, NFTNL_RULE_POSITION));
                if (before == SIZE_MAX)
                        return -ESTALE;  /* a rule the commit adds later, say */
                pos = before + 1;
        } else if (mi->deleted[f].set && mi->deleted[f].portid == nlh->nlmsg_pid &&
                   mi->deleted[f].seq == nlh->nlmsg_seq && streq(mi->deleted[f].chain, chain)) {
                pos = mi->deleted[f].index;
                if (pos > c->n_rules)
                        return -ESTALE;
        } else
                pos = nlh->nlmsg_flags & NLM_F_APPEND ? c->n_rules : 0;

        bs_rule rule;
        int r = bs_nft_rule_decode(cache->table->family, nr, &rule);
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return -ESTALE;  /* what the read refuses, the read says */
        rule.origin = handle;
        r = bs_chain_insert_rule(c, pos, &rule);
        bs_rule_done(&rule);
        return r < 0 ? r : record(mi, f, true, pos, handle, chain);
}

/* The commit's end: its generation. The copy becomes the cache's table
 * when the cache was at the generation right before; a cache already at
 * this one (read meanwhile) or past it stays; an older one, or one whose
 * commit could not be followed, loses its generation. */
static int end_commit(bs_nft_mirror *mi, bs_nf_read_cache caches[2], const struct nlmsghdr *nlh) {
        uint32_t genid = 0;
        bool have = false;
        const struct nlattr *a;
        mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg))
                if (mnl_attr_get_type(a) == NFTA_GEN_ID && mnl_attr_validate(a, MNL_TYPE_U32) == 0) {
                        genid = ntohl(mnl_attr_get_u32(a));
                        have = true;
                }
        for (int f = 0; f < 2; f++) {
                bs_nf_read_cache *cache = &caches[f];
                if (!cache->table || !cache->have_nft_genid)
                        continue;
                if (have && cache->nft_genid == genid)
                        continue;  /* read or committed by us at it already */
                /* the kernel's generation skips 0 when it wraps */
                uint32_t next = cache->nft_genid + 1 == 0 ? 1 : cache->nft_genid + 1;
                if (have && (int32_t) (cache->nft_genid - genid) > 0)
                        continue;  /* ours is newer */
                if (!have || next != genid || mi->broken[f]) {
                        cache->have_nft_genid = false;
                        mi->read_again++;
                        continue;
                }
                if (mi->copy[f]) {
                        free(mi->followed_ops[f].v);
                        mi->followed_from[f] = cache->table;
                        mi->followed_ops[f] = mi->ops[f];
                        mi->ops[f] = (bs_nft_mirror_ops){};
                        bs_nf_read_cache_done(cache);
                        cache->table = TAKE_PTR(mi->copy[f]);
                        cache->generation = bs_nf_next_generation();
                }
                cache->have_nft_genid = true;
                cache->nft_genid = genid;
                mi->followed++;
        }
        forget_commit(mi);
        return 0;
}

int bs_nft_mirror_feed(bs_nft_mirror *mi, bs_nf_read_cache caches[2], const char *table,
                       const struct nlmsghdr *nlh) {
        if (NFNL_SUBSYS_ID(nlh->nlmsg_type) != NFNL_SUBSYS_NFTABLES)
                return 0;
        uint16_t cmd = NFNL_MSG_TYPE(nlh->nlmsg_type);
        if (cmd == NFT_MSG_NEWGEN)
                return end_commit(mi, caches, nlh);
        int f = family_index(nlh);
        if (f < 0)
                return 0;  /* another family's tables */
        const char *name = table_of(nlh);
        if (name && !streq(name, table))
                return 0;  /* another table of the family (nat, say) */
        if (mi->broken[f])
                return 0;
        int r = -ESTALE;
        if (name && (cmd == NFT_MSG_NEWRULE || cmd == NFT_MSG_DELRULE))
                r = follow_rule(mi, f, &caches[f], nlh, cmd == NFT_MSG_NEWRULE);
        /* anything else of the table (chains, policies, the table itself,
         * sets, objects) is left to a read */
        if (r < 0)
                mi->broken[f] = true;
        return r == -ENOMEM ? r : 0;
}

const void *bs_nft_mirror_take_followed(bs_nft_mirror *mi, int f, bs_nft_mirror_ops *ops) {
        *ops = mi->followed_ops[f];
        mi->followed_ops[f] = (bs_nft_mirror_ops){};
        return TAKE_PTR(mi->followed_from[f]);
}

void bs_nft_mirror_lost(bs_nft_mirror *mi, bs_nf_read_cache caches[2]) {
        forget_commit(mi);
        for (int f = 0; f < 2; f++)
                if (caches[f].have_nft_genid) {
                        caches[f].have_nft_genid = false;
                        mi->read_again++;
                }
}
