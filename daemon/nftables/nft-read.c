/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* One table of nf_tables read as iptables-nft 1.8.9 lists it: one dump of
 * the chains, one of the rules (the kernel filters them by table), one of
 * each kind of object that iptables-nft's filter tables never hold (sets,
 * stateful objects, flowtables), all between two reads of the ruleset's
 * generation, and done again when a change came between. */

#include <libnftnl/chain.h>
#include <libnftnl/flowtable.h>
#include <libnftnl/object.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <linux/netfilter.h>

#include "nft-read.h"
#include "nft-rule.h"

/* Reads again after a change came between; past this, -EAGAIN. */
#define READ_ATTEMPTS 5

/* The base chains iptables-nft makes for the filter table. */
static const struct {
        const char *name;
        uint32_t hook;
} filter_chains[] = {
        { "INPUT", NF_INET_LOCAL_IN },
        { "FORWARD", NF_INET_FORWARD },
        { "OUTPUT", NF_INET_LOCAL_OUT },
};
#define FILTER_PRIORITY 0  /* NF_IP_PRI_FILTER */

static uint8_t nfproto_of(bs_family family) {
        return family == BS_FAMILY_IPV6 ? NFPROTO_IPV6 : NFPROTO_IPV4;
}

typedef struct read_state {
        bs_family family;
        const char *table_name;
        bs_table *table;
        bool seen_base[ELEMENTSOF(filter_chains)];
        bs_chain *last;  /* the chain of the rule before: rules come chain by chain */
        size_t n_rules;
        int error;
} read_state;

/* ------------------------------------------------------------------ chains */

/* A base chain must be one of iptables-nft's own: its name for its hook,
 * priority 0, type filter, once. */
static int check_base_chain(read_state *st, const struct nftnl_chain *c, const char *name, bs_policy *ret_policy) {
        uint32_t hook = nftnl_chain_get_u32(c, NFTNL_CHAIN_HOOKNUM);
        const char *type = nftnl_chain_get_str(c, NFTNL_CHAIN_TYPE);

        for (size_t i = 0; i < ELEMENTSOF(filter_chains); i++) {
                if (filter_chains[i].hook != hook)
                        continue;
                if (!streq(filter_chains[i].name, name) || !type || !streq(type, "filter") ||
                    (int32_t) nftnl_chain_get_u32(c, NFTNL_CHAIN_PRIO) != FILTER_PRIORITY || st->seen_base[i])
                        return -EOPNOTSUPP;
                st->seen_base[i] = true;
                uint32_t policy = nftnl_chain_is_set(c, NFTNL_CHAIN_POLICY) ? nftnl_chain_get_u32(c, NFTNL_CHAIN_POLICY)
                                                                            : NF_ACCEPT;
                if (policy != NF_ACCEPT && policy != NF_DROP)
                        return -EOPNOTSUPP;
                *ret_policy = policy == NF_DROP ? BS_POLICY_DROP : BS_POLICY_ACCEPT;
                return 0;
        }
        return -EOPNOTSUPP;  /* a hook iptables-nft has no chain for */
}

static int chain_cb(const struct nlmsghdr *nlh, void *userdata) {
        read_state *st = userdata;
        struct nftnl_chain *c = nftnl_chain_alloc();
        int k = 0;

        if (!c) {
                st->error = -ENOMEM;
                return MNL_CB_ERROR;
        }
        if (nftnl_chain_nlmsg_parse(nlh, c) < 0) {
                k = -EBADMSG;
                goto out;
        }
        const char *table = nftnl_chain_get_str(c, NFTNL_CHAIN_TABLE);
        const char *name = nftnl_chain_get_str(c, NFTNL_CHAIN_NAME);
        if (!table || !name) {
                k = -EBADMSG;
                goto out;
        }
        if (!streq(table, st->table_name))
                goto out;
        if (nftnl_chain_is_set(c, NFTNL_CHAIN_HOOKNUM)) {
                bs_policy policy;
                bs_chain *chain;
                if ((k = check_base_chain(st, c, name, &policy)) < 0)
                        goto out;
                chain = bs_table_find_chain(st->table, name);
                if (!chain) {
                        k = -EBADMSG;
                        goto out;
                }
                chain->policy = policy;
                chain->policy_packets = nftnl_chain_get_u64(c, NFTNL_CHAIN_PACKETS);
                chain->policy_bytes = nftnl_chain_get_u64(c, NFTNL_CHAIN_BYTES);
        } else {
                /* a user chain: a name iptables can take, not a built-in's */
                if (strlen(name) > BS_CHAIN_NAME_MAX || !bs_chain_name_valid(name)) {
                        k = -EOPNOTSUPP;
                        goto out;
                }
                k = bs_table_add_chain(st->table, name, false, BS_POLICY_NONE, NULL);
                if (k == -EEXIST || k == -EINVAL)
                        k = -EOPNOTSUPP;
        }
out:
        nftnl_chain_free(c);
        if (k < 0) {
                st->error = k;
                return MNL_CB_ERROR;
        }
        return MNL_CB_OK;
}

/* ------------------------------------------------------------------- rules */

static int rule_cb(const struct nlmsghdr *nlh, void *userdata) {
        read_state *st = userdata;
        struct nftnl_rule *r = nftnl_rule_alloc();
        bs_rule rule;
        int k = 0;

        if (!r) {
                st->error = -ENOMEM;
                return MNL_CB_ERROR;
        }
        if (nftnl_rule_nlmsg_parse(nlh, r) < 0) {
                k = -EBADMSG;
                goto out;
        }
        const char *table = nftnl_rule_get_str(r, NFTNL_RULE_TABLE);
        const char *chain = nftnl_rule_get_str(r, NFTNL_RULE_CHAIN);
        if (!table || !chain) {
                k = -EBADMSG;
                goto out;
        }
        if (!streq(table, st->table_name))
                goto out;
        if (!st->last || !streq(st->last->name, chain))
                st->last = bs_table_find_chain(st->table, chain);
        if (!st->last) {
                k = -EAGAIN;  /* a chain made after the chains were read */
                goto out;
        }
        if (st->n_rules >= BS_RULES_MAX) {
                k = -E2BIG;
                goto out;
        }
        if ((k = bs_nft_rule_decode(st->family, r, &rule)) < 0)
                goto out;
        rule.origin = nftnl_rule_get_u64(r, NFTNL_RULE_HANDLE);
        k = bs_chain_insert_rule(st->last, st->last->n_rules, &rule);
        bs_rule_done(&rule);
        if (k >= 0)
                st->n_rules++;
out:
        nftnl_rule_free(r);
        if (k < 0) {
                st->error = k;
                return MNL_CB_ERROR;
        }
        return MNL_CB_OK;
}

/* --------------------------------------------------- what iptables lacks */

/* Any object (set, stateful object, flowtable) in the table: iptables-nft
 * makes none in the tables of these families. */
static int object_cb(const struct nlmsghdr *nlh, void *userdata) {
        read_state *st = userdata;
        const char *table = NULL;
        int k = 0;

        switch (NFNL_MSG_TYPE(nlh->nlmsg_type)) {
        case NFT_MSG_NEWSET: {
                struct nftnl_set *s = nftnl_set_alloc();
                if (!s)
                        k = -ENOMEM;
                else if (nftnl_set_nlmsg_parse(nlh, s) < 0)
                        k = -EBADMSG;
                else if ((table = nftnl_set_get_str(s, NFTNL_SET_TABLE)) && streq(table, st->table_name))
                        k = -EOPNOTSUPP;
                nftnl_set_free(s);
                break;
        }
        case NFT_MSG_NEWOBJ: {
                struct nftnl_obj *o = nftnl_obj_alloc();
                if (!o)
                        k = -ENOMEM;
                else if (nftnl_obj_nlmsg_parse(nlh, o) < 0)
                        k = -EBADMSG;
                else if ((table = nftnl_obj_get_str(o, NFTNL_OBJ_TABLE)) && streq(table, st->table_name))
                        k = -EOPNOTSUPP;
                nftnl_obj_free(o);
                break;
        }
        case NFT_MSG_NEWFLOWTABLE: {
                struct nftnl_flowtable *f = nftnl_flowtable_alloc();
                if (!f)
                        k = -ENOMEM;
                else if (nftnl_flowtable_nlmsg_parse(nlh, f) < 0)
                        k = -EBADMSG;
                else if ((table = nftnl_flowtable_get_str(f, NFTNL_FLOWTABLE_TABLE)) &&
                         streq(table, st->table_name))
                        k = -EOPNOTSUPP;
                nftnl_flowtable_free(f);
                break;
        }
        default:
                break;
        }
        if (k < 0) {
                st->error = k;
                return MNL_CB_ERROR;
        }
        return MNL_CB_OK;
}

/* ------------------------------------------------------------------ a read */

static int dump(bs_nft_sock *s, read_state *st, uint16_t cmd, mnl_cb_t cb) {
        uint8_t buf[MNL_SOCKET_BUFFER_SIZE];
        struct nlmsghdr *nlh = bs_nft_request_header(s, buf, cmd, nfproto_of(st->family), NLM_F_DUMP);

        if (cmd == NFT_MSG_GETRULE) {
                /* only this table's rules */
                struct nftnl_rule *filter = nftnl_rule_alloc();
                if (!filter)
                        return -ENOMEM;
                if (nftnl_rule_set_str(filter, NFTNL_RULE_TABLE, st->table_name) < 0) {
                        nftnl_rule_free(filter);
                        return -ENOMEM;
                }
                nftnl_rule_nlmsg_build_payload(nlh, filter);
                nftnl_rule_free(filter);
        }
        st->error = 0;
        int k = bs_nft_talk(s, nlh, cb, st);
        if (st->error < 0)
                return st->error;
        /* a table or family without any: nothing to dump */
        return k == -ENOENT ? 0 : k;
}

static int new_filter_table(bs_family family, const char *name, bs_table **ret) {
        _cleanup_table_ bs_table *t = bs_table_new(family, name);
        if (!t)
                return -ENOMEM;
        for (size_t i = 0; i < ELEMENTSOF(filter_chains); i++) {
                int k = bs_table_add_chain(t, filter_chains[i].name, true, BS_POLICY_ACCEPT, NULL);
                if (k < 0)
                        return k;
        }
        *ret = TAKE_PTR(t);
        return 0;
}

static int read_once(bs_nft_sock *s, bs_family family, const char *table, bs_table **ret) {
        read_state st = { .family = family, .table_name = table };
        int k;

        if ((k = new_filter_table(family, table, &st.table)) < 0)
                return k;
        static const uint16_t objects[] = { NFT_MSG_GETSET, NFT_MSG_GETOBJ, NFT_MSG_GETFLOWTABLE };
        for (size_t i = 0; i < ELEMENTSOF(objects) && k >= 0; i++)
                k = dump(s, &st, objects[i], object_cb);
        if (k >= 0)
                k = dump(s, &st, NFT_MSG_GETCHAIN, chain_cb);
        if (k >= 0)
                k = dump(s, &st, NFT_MSG_GETRULE, rule_cb);
        if (k < 0) {
                bs_table_free(st.table);
                return k;
        }
        *ret = st.table;
        return 0;
}

int bs_nft_read_table(bs_nft_sock *s, bs_family family, const char *table, bs_table **ret, uint32_t *ret_genid) {
        if (family != BS_FAMILY_IPV4 && family != BS_FAMILY_IPV6)
                return -EINVAL;
        if (!table || !streq(table, "filter"))
                return -EOPNOTSUPP;  /* the one table iptables-nft's filter chains are for */

        for (unsigned attempt = 0; attempt < READ_ATTEMPTS; attempt++) {
                uint32_t before, after;
                bs_table *t = NULL;
                int k = bs_nft_genid(s, &before);
                if (k < 0)
                        return k;
                k = read_once(s, family, table, &t);
                /* interrupted, or a rule of a chain made meanwhile: again */
                if (k == -EINTR || k == -EAGAIN)
                        continue;
                int g = bs_nft_genid(s, &after);
                if (k >= 0 && g < 0) {
                        bs_table_free(t);
                        return g;
                }
                /* what a change in between made (or broke): read again */
                if (g >= 0 && before != after) {
                        if (t)
                                bs_table_free(t);
                        continue;
                }
                if (k < 0)
                        return k;
                *ret = t;
                if (ret_genid)
                        *ret_genid = after;
                return 0;
        }
        return -EAGAIN;
}
