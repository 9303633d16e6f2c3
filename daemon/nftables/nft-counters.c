/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <arpa/inet.h>
#include <endian.h>
#include <linux/netfilter.h>

#include "nft-counters.h"

typedef struct refresh {
        bs_table *table;
        bs_chain *chain;  /* of the last rule seen */
        size_t next;      /* index in chain of the next rule expected */
        size_t seen;      /* rules seen in the table */
        bool stale;
} refresh;

static uint8_t nfproto(bs_family f) {
        return f == BS_FAMILY_IPV6 ? NFPROTO_IPV6 : NFPROTO_IPV4;
}

/* NFTA_COUNTER_PACKETS / _BYTES of a counter nest (rules' counter
 * expression data and chains' NFTA_CHAIN_COUNTERS alike). */
static bool read_counter_nest(const struct nlattr *nest, uint64_t *packets, uint64_t *bytes) {
        bool got_packets = false, got_bytes = false;
        const struct nlattr *a;
        mnl_attr_for_each_nested(a, nest) {
                if (mnl_attr_validate(a, MNL_TYPE_U64) < 0)
                        continue;
                if (mnl_attr_get_type(a) == NFTA_COUNTER_PACKETS) {
                        *packets = be64toh(mnl_attr_get_u64(a));
                        got_packets = true;
                } else if (mnl_attr_get_type(a) == NFTA_COUNTER_BYTES) {
                        *bytes = be64toh(mnl_attr_get_u64(a));
                        got_bytes = true;
                }
        }
        return got_packets && got_bytes;
}

static bool read_rule_counter(const struct nlattr *exprs, uint64_t *packets, uint64_t *bytes) {
        const struct nlattr *elem;
        mnl_attr_for_each_nested(elem, exprs) {
                const struct nlattr *name = NULL, *data = NULL, *a;
                mnl_attr_for_each_nested(a, elem) {
                        if (mnl_attr_get_type(a) == NFTA_EXPR_NAME)
                                name = a;
                        else if (mnl_attr_get_type(a) == NFTA_EXPR_DATA)
                                data = a;
                }
                if (name && data && mnl_attr_validate(name, MNL_TYPE_NUL_STRING) == 0 &&
                    streq(mnl_attr_get_str(name), "counter"))
                        return read_counter_nest(data, packets, bytes);
        }
        return false;
}

static int on_rule(const struct nlmsghdr *nlh, void *userdata) {
        refresh *rf = userdata;
        const char *table = NULL, *chain = NULL;
        const struct nlattr *exprs = NULL, *a;
        uint64_t handle = 0;
        mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg)) {
                switch (mnl_attr_get_type(a)) {
                case NFTA_RULE_TABLE:
                        if (mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
                                table = mnl_attr_get_str(a);
                        break;
                case NFTA_RULE_CHAIN:
                        if (mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
                                chain = mnl_attr_get_str(a);
                        break;
                case NFTA_RULE_HANDLE:
                        if (mnl_attr_validate(a, MNL_TYPE_U64) == 0)
                                handle = be64toh(mnl_attr_get_u64(a));
                        break;
                case NFTA_RULE_EXPRESSIONS:
                        exprs = a;
                        break;
                }
        }
        if (!table || !streq(table, rf->table->name))
                return MNL_CB_OK;
        if (!chain || !rf->chain || !streq(chain, rf->chain->name)) {
                rf->chain = chain ? bs_table_find_chain(rf->table, chain) : NULL;
                rf->next = 0;
        }
        uint64_t packets = 0, bytes = 0;
        if (!rf->chain || rf->next >= rf->chain->n_rules || handle == 0 ||
            (rf->chain->rules[rf->next].origin != handle && rf->chain->rules[rf->next].origin != 0)) {
                rf->stale = true;
                return MNL_CB_STOP;
        }
        /* the generation is checked after the dump: a handle taken here
         * from a table that is not t is dropped with it (-ESTALE) */
        rf->chain->rules[rf->next].origin = handle;
        /* a rule without counter expression counts nothing, as read */
        if (exprs && !read_rule_counter(exprs, &packets, &bytes))
                packets = bytes = 0;
        bs_rule *r = &rf->chain->rules[rf->next++];
        r->packets = packets;
        r->bytes = bytes;
        rf->seen++;
        return MNL_CB_OK;
}

static int on_chain(const struct nlmsghdr *nlh, void *userdata) {
        refresh *rf = userdata;
        const char *table = NULL, *name = NULL;
        const struct nlattr *counters = NULL, *a;
        mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg)) {
                switch (mnl_attr_get_type(a)) {
                case NFTA_CHAIN_TABLE:
                        if (mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
                                table = mnl_attr_get_str(a);
                        break;
                case NFTA_CHAIN_NAME:
                        if (mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0)
                                name = mnl_attr_get_str(a);
                        break;
                case NFTA_CHAIN_COUNTERS:
                        counters = a;
                        break;
                }
        }
        if (!table || !name || !counters || !streq(table, rf->table->name))
                return MNL_CB_OK;
        bs_chain *c = bs_table_find_chain(rf->table, name);
        if (!c || !c->builtin) {
                rf->stale = true;
                return MNL_CB_STOP;
        }
        uint64_t packets, bytes;
        if (read_counter_nest(counters, &packets, &bytes)) {
                c->policy_packets = packets;
                c->policy_bytes = bytes;
        }
        return MNL_CB_OK;
}

static int dump(bs_nft_sock *s, uint16_t cmd, const bs_table *t, uint16_t table_attr, mnl_cb_t cb, refresh *rf) {
        _cleanup_free_ uint8_t *buf = malloc(MNL_SOCKET_BUFFER_SIZE);
        if (!buf)
                return -ENOMEM;
        struct nlmsghdr *nlh = bs_nft_request_header(s, buf, cmd, nfproto(t->family), NLM_F_DUMP);
        mnl_attr_put_strz(nlh, table_attr, t->name);
        return bs_nft_talk(s, nlh, cb, rf);
}

int bs_nft_refresh_counters(bs_nft_sock *s, bs_table *t, uint32_t genid) {
        refresh rf = { .table = t };
        int r = dump(s, NFT_MSG_GETCHAIN, t, NFTA_CHAIN_TABLE, on_chain, &rf);
        if (r >= 0 && !rf.stale)
                r = dump(s, NFT_MSG_GETRULE, t, NFTA_RULE_TABLE, on_rule, &rf);
        if (r == -EINTR)
                return -ESTALE;  /* the dump saw a change */
        if (r < 0)
                return r;
        if (rf.stale || rf.seen != bs_table_count_rules(t))
                return -ESTALE;
        uint32_t now;
        r = bs_nft_genid(s, &now);
        if (r < 0)
                return r;
        return now == genid ? 0 : -ESTALE;
}
