/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <arpa/inet.h>
#include <endian.h>
#include <linux/netfilter.h>
#include <linux/netfilter_ipv4.h>

#include "nft-diff.h"
#include "nft-rule.h"
#include "nft-write.h"

/* What each message of a batch was, so that the kernel's echo of a rule
 * inserted gives that rule its handle. */
typedef struct sent_msg {
        uint16_t cmd;       /* NFT_MSG_* */
        bs_rule *inserted;  /* NULL: not a rule insert */
} sent_msg;

typedef struct batch_writer {
        bs_nft_sock *s;
        bs_nft_batch batch;
        sent_msg *sent;
        size_t n_sent, cap_sent;
        size_t n_echoed;  /* rules inserted with NLM_F_ECHO */
        uint32_t new_genid;
        bool trust_handles;  /* the family written: bs_nft_write.after_copied_from_before */
} batch_writer;

/* The kernel's echo of a rule inserted gives its handle, at the cost of
 * one notification built and read per rule: for 10,000 rules about as
 * much as the kernel's own work on them. The first rules of a batch are
 * echoed (a transaction's few rules, which its rollback will delete); the
 * rest of a large batch are not: their handles are read when a later
 * change needs them (bs_nft_refresh_counters), and a rollback that removes
 * all of a chain flushes it without them. */
#define BS_NFT_ECHO_MAX 256

static void batch_writer_done(batch_writer *w) {
        bs_nft_batch_done(&w->batch);
        free(w->sent);
}

static uint8_t nfproto(bs_family f) {
        return f == BS_FAMILY_IPV6 ? NFPROTO_IPV6 : NFPROTO_IPV4;
}

static int note_sent(batch_writer *w, uint16_t cmd, bs_rule *inserted) {
        if (w->n_sent == w->cap_sent) {
                size_t cap = w->cap_sent ? w->cap_sent * 2 : 64;
                sent_msg *p = realloc(w->sent, cap * sizeof(*p));
                if (!p)
                        return -ENOMEM;
                w->sent = p;
                w->cap_sent = cap;
        }
        w->sent[w->n_sent++] = (sent_msg) { .cmd = cmd, .inserted = inserted };
        return 0;
}

static int msg_begin(batch_writer *w, uint16_t cmd, bs_family f, uint16_t flags, struct nlmsghdr **ret) {
        return bs_nft_batch_msg(&w->batch, w->s, cmd, nfproto(f), flags, ret);
}

static int msg_end(batch_writer *w, struct nlmsghdr *nlh, bs_rule *inserted) {
        int r = bs_nft_batch_msg_add(&w->batch, nlh);
        if (r < 0)
                return r;
        return note_sent(w, nlh->nlmsg_type & 0xff, inserted);
}

static int put_table(batch_writer *w, const bs_table *t, uint16_t flags) {
        struct nlmsghdr *nlh;
        int r = msg_begin(w, NFT_MSG_NEWTABLE, t->family, NLM_F_CREATE | flags, &nlh);
        if (r < 0)
                return r;
        mnl_attr_put_strz(nlh, NFTA_TABLE_NAME, t->name);
        return msg_end(w, nlh, NULL);
}

static int builtin_hook(const char *chain, uint32_t *ret) {
        static const struct {
                const char *name;
                uint32_t hook;
        } hooks[] = {
                { "INPUT", NF_INET_LOCAL_IN },
                { "FORWARD", NF_INET_FORWARD },
                { "OUTPUT", NF_INET_LOCAL_OUT },
        };
        for (size_t i = 0; i < ELEMENTSOF(hooks); i++)
                if (streq(chain, hooks[i].name)) {
                        *ret = hooks[i].hook;
                        return 0;
                }
        return -EOPNOTSUPP;  /* a built-in chain of a table other than filter */
}

static void put_counters(struct nlmsghdr *nlh, uint16_t type, uint64_t packets, uint64_t bytes) {
        struct nlattr *nest = mnl_attr_nest_start(nlh, type);
        mnl_attr_put_u64(nlh, NFTA_COUNTER_BYTES, htobe64(bytes));
        mnl_attr_put_u64(nlh, NFTA_COUNTER_PACKETS, htobe64(packets));
        mnl_attr_nest_end(nlh, nest);
}

/* A built-in chain as iptables-nft makes it: type filter, priority 0 (the
 * filter table's), with its policy; the kernel takes the same message for
 * a chain that exists as an update of its policy (and counters). */
static int put_builtin_chain(batch_writer *w, const bs_table *t, const bs_chain *c, bool counters, uint64_t packets,
                             uint64_t bytes) {
        uint32_t hook;
        int r = builtin_hook(c->name, &hook);
        if (r < 0)
                return r;
        if (!streq(t->name, "filter"))
                return -EOPNOTSUPP;
        struct nlmsghdr *nlh;
        r = msg_begin(w, NFT_MSG_NEWCHAIN, t->family, NLM_F_CREATE, &nlh);
        if (r < 0)
                return r;
        mnl_attr_put_strz(nlh, NFTA_CHAIN_TABLE, t->name);
        mnl_attr_put_strz(nlh, NFTA_CHAIN_NAME, c->name);
        struct nlattr *nest = mnl_attr_nest_start(nlh, NFTA_CHAIN_HOOK);
        mnl_attr_put_u32(nlh, NFTA_HOOK_HOOKNUM, htonl(hook));
        mnl_attr_put_u32(nlh, NFTA_HOOK_PRIORITY, htonl(0));
        mnl_attr_nest_end(nlh, nest);
        mnl_attr_put_u32(nlh, NFTA_CHAIN_POLICY, htonl(c->policy == BS_POLICY_DROP ? NF_DROP : NF_ACCEPT));
        mnl_attr_put_strz(nlh, NFTA_CHAIN_TYPE, "filter");
        if (counters)
                put_counters(nlh, NFTA_CHAIN_COUNTERS, packets, bytes);
        return msg_end(w, nlh, NULL);
}

static int put_user_chain(batch_writer *w, const bs_table *t, const char *name, uint16_t cmd) {
        struct nlmsghdr *nlh;
        int r = msg_begin(w, cmd, t->family, cmd == NFT_MSG_NEWCHAIN ? NLM_F_CREATE | NLM_F_EXCL : 0, &nlh);
        if (r < 0)
                return r;
        mnl_attr_put_strz(nlh, NFTA_CHAIN_TABLE, t->name);
        mnl_attr_put_strz(nlh, NFTA_CHAIN_NAME, name);
        return msg_end(w, nlh, NULL);
}

static int put_rule_delete(batch_writer *w, const bs_table *t, const char *chain, uint64_t handle) {
        struct nlmsghdr *nlh;
        int r = msg_begin(w, NFT_MSG_DELRULE, t->family, 0, &nlh);
        if (r < 0)
                return r;
        mnl_attr_put_strz(nlh, NFTA_RULE_TABLE, t->name);
        mnl_attr_put_strz(nlh, NFTA_RULE_CHAIN, chain);
        mnl_attr_put_u64(nlh, NFTA_RULE_HANDLE, htobe64(handle));
        return msg_end(w, nlh, NULL);
}

/* Every rule of the chain, in one message (what `iptables-nft -F CHAIN`
 * sends): the kernel finds a rule to delete by handle by walking the
 * chain, so deleting a long chain rule by rule costs its length squared. */
static int put_chain_flush(batch_writer *w, const bs_table *t, const char *chain) {
        struct nlmsghdr *nlh;
        int r = msg_begin(w, NFT_MSG_DELRULE, t->family, 0, &nlh);
        if (r < 0)
                return r;
        mnl_attr_put_strz(nlh, NFTA_RULE_TABLE, t->name);
        mnl_attr_put_strz(nlh, NFTA_RULE_CHAIN, chain);
        return msg_end(w, nlh, NULL);
}

static void nftnl_rule_freep(struct nftnl_rule **r) {
        if (*r)
                nftnl_rule_free(*r);
}

/* What the kernel will show for a rule is what its expressions decode to:
 * for a few rules that is another form of the same rule (iptables-nft
 * writes `! --sport :1023` as "sport > 1023", merges two tcp matches into
 * one). The rule is given that form, so that the table handed back (and
 * kept by the read cache) is the one every later read gives. */
static int canonicalize(bs_rule *rule, const struct nftnl_rule *nr) {
        _cleanup_(bs_rule_done) bs_rule shown = {};
        int r = bs_nft_rule_decode(rule->family, nr, &shown);
        if (r < 0)
                return r;
        if (bs_rule_equal(&shown, rule))
                return 0;
        shown.packets = rule->packets;
        shown.bytes = rule->bytes;
        shown.origin = rule->origin;
        bs_rule_done(rule);
        *rule = shown;
        shown = (bs_rule) {};
        return 0;
}

/* A rule inserted before the rule with handle `before` (0: at the end),
 * or, with replace, put in the place of the rule with that handle. */
static int put_rule(batch_writer *w, const bs_table *t, const char *chain, bs_rule *rule, uint64_t handle,
                    bool replace) {
        _cleanup_(nftnl_rule_freep) struct nftnl_rule *nr = nftnl_rule_alloc();
        if (!nr)
                return -ENOMEM;
        nftnl_rule_set_u32(nr, NFTNL_RULE_FAMILY, nfproto(t->family));
        nftnl_rule_set_str(nr, NFTNL_RULE_TABLE, t->name);
        nftnl_rule_set_str(nr, NFTNL_RULE_CHAIN, chain);
        if (handle != 0)
                nftnl_rule_set_u64(nr, replace ? NFTNL_RULE_HANDLE : NFTNL_RULE_POSITION, handle);
        int r = bs_nft_rule_encode(rule, nr);
        if (r < 0)
                return r;
        if (!replace) {
                r = canonicalize(rule, nr);
                if (r < 0)
                        return r;
        }
        bool echo = !replace && w->n_echoed < BS_NFT_ECHO_MAX;
        uint16_t flags = replace ? NLM_F_REPLACE
                                 : NLM_F_CREATE | (echo ? NLM_F_ECHO : 0) | (handle == 0 ? NLM_F_APPEND : 0);
        struct nlmsghdr *nlh;
        r = msg_begin(w, NFT_MSG_NEWRULE, t->family, flags, &nlh);
        if (r < 0)
                return r;
        nftnl_rule_nlmsg_build_payload(nlh, nr);
        r = msg_end(w, nlh, echo ? rule : NULL);
        if (r >= 0 && echo)
                w->n_echoed++;
        return r;
}

static bool chain_exists_surely(const bs_chain *c) {
        return c && (c->n_rules > 0 || c->policy == BS_POLICY_DROP || c->policy_packets || c->policy_bytes);
}

/* One chain's rules: deletions, then insertions in order, each before the
 * next rule kept. */
static int put_chain_rules(batch_writer *w, const bs_table *t, const bs_chain *before, bs_chain *after) {
        _cleanup_nft_chain_diff_ bs_nft_chain_diff d = {};
        int r = bs_nft_chain_diff_compute(before, after, w->trust_handles, &d);
        if (r < 0)
                return r;
        const char *name = after ? after->name : before->name;
        if (d.n_deleted > 1 && d.n_deleted == before->n_rules) {
                /* nothing of the chain is kept */
                r = put_chain_flush(w, t, name);
                if (r < 0)
                        return r;
                d.n_deleted = 0;
        }
        for (size_t k = 0; k < d.n_deleted; k++) {
                uint64_t handle = before->rules[d.deleted[k]].origin;
                if (handle == 0)
                        return -ENOKEY;  /* written without asking for it: read it */
                r = put_rule_delete(w, t, name, handle);
                if (r < 0)
                        return r;
        }
        if (!after || d.n_inserted == 0)
                return 0;
        uint64_t next_kept = 0;  /* handle of the first rule kept after the one at hand */
        _cleanup_free_ uint64_t *position = malloc(after->n_rules * sizeof(uint64_t));
        if (!position)
                return -ENOMEM;
        for (size_t j = after->n_rules; j-- > 0;) {
                if (d.kept_from[j] != SIZE_MAX) {
                        next_kept = before->rules[d.kept_from[j]].origin;
                        if (next_kept == 0)
                                return -ENOKEY;  /* an insert's place is unknown without it */
                }
                position[j] = next_kept;
        }
        for (size_t j = 0; j < after->n_rules; j++) {
                if (d.kept_from[j] != SIZE_MAX) {
                        after->rules[j].origin = before->rules[d.kept_from[j]].origin;
                        continue;
                }
                if (after->rules[j].family != t->family)
                        return -EAFNOSUPPORT;
                after->rules[j].origin = 0;  /* until the kernel says (echo or a later read) */
                r = put_rule(w, t, after->name, &after->rules[j], position[j], false);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int put_family(batch_writer *w, const bs_nft_write *fw) {
        const bs_table *before = fw->before;
        bs_table *after = fw->after;
        if (!before || !after)
                return 0;
        if (before->family != after->family || !streq(before->name, after->name))
                return -EINVAL;
        bool table_put = false;

        /* chains new in after, and the built-in chains that may have to be
         * made or whose policy (or counters) change */
        for (size_t i = 0; i < after->n_chains; i++) {
                const bs_chain *c = &after->chains[i];
                const bs_chain *old = bs_table_find_chain(before, c->name);
                bool put;
                if (c->builtin) {
                        bool counters = fw->set_chain_counters && (!old || old->policy_packets != c->policy_packets ||
                                                                   old->policy_bytes != c->policy_bytes);
                        bool inserts = c->n_rules > 0 && !chain_exists_surely(old);
                        put = !old || old->policy != c->policy || counters || inserts;
                        if (put && !table_put) {
                                int r = put_table(w, after, 0);
                                if (r < 0)
                                        return r;
                                table_put = true;
                        }
                        /* A built-in chain made without counters (as
                         * iptables-nft's -A makes it) never counts its
                         * policy's packets; one read with none may be such
                         * a chain, or not exist yet: it gets counters from
                         * 0 (a chain that counted shows it, and keeps
                         * counting on without them). */
                        bool enable = !counters && (!old || (old->policy_packets == 0 && old->policy_bytes == 0));
                        if (put) {
                                int r = put_builtin_chain(w, after, c, counters || enable, counters ? c->policy_packets : 0,
                                                          counters ? c->policy_bytes : 0);
                                if (r < 0)
                                        return r;
                        }
                } else if (!old) {
                        if (!table_put) {
                                int r = put_table(w, after, 0);
                                if (r < 0)
                                        return r;
                                table_put = true;
                        }
                        int r = put_user_chain(w, after, c->name, NFT_MSG_NEWCHAIN);
                        if (r < 0)
                                return r;
                }
        }
        for (size_t i = 0; i < after->n_chains; i++) {
                int r = put_chain_rules(w, after, bs_table_find_chain(before, after->chains[i].name),
                                        &after->chains[i]);
                if (r < 0)
                        return r;
        }
        /* chains gone: their rules first, then the chains, once no rule
         * deleted above jumps to them any more */
        for (size_t i = 0; i < before->n_chains; i++)
                if (!bs_table_find_chain(after, before->chains[i].name)) {
                        if (before->chains[i].builtin)
                                return -EINVAL;
                        int r = put_chain_rules(w, before, &before->chains[i], NULL);
                        if (r < 0)
                                return r;
                }
        for (size_t i = 0; i < before->n_chains; i++)
                if (!bs_table_find_chain(after, before->chains[i].name)) {
                        int r = put_user_chain(w, before, before->chains[i].name, NFT_MSG_DELCHAIN);
                        if (r < 0)
                                return r;
                }
        return 0;
}

static int read_handle(const struct nlmsghdr *nlh, uint64_t *ret) {
        struct nlattr *a;
        mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg)) {
                if (mnl_attr_get_type(a) == NFTA_RULE_HANDLE) {
                        if (mnl_attr_validate(a, MNL_TYPE_U64) < 0)
                                return -EBADMSG;
                        *ret = be64toh(mnl_attr_get_u64(a));
                        return 0;
                }
        }
        return -EBADMSG;
}

static int on_echo(const struct nlmsghdr *nlh, void *userdata) {
        batch_writer *w = userdata;
        uint16_t cmd = nlh->nlmsg_type & 0xff;
        if (cmd == NFT_MSG_NEWGEN) {
                struct nlattr *a;
                mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg))
                        if (mnl_attr_get_type(a) == NFTA_GEN_ID && mnl_attr_validate(a, MNL_TYPE_U32) == 0)
                                w->new_genid = ntohl(mnl_attr_get_u32(a));
                return 0;
        }
        if (cmd != NFT_MSG_NEWRULE)
                return 0;
        /* messages after the batch's begin are numbered from first_seq + 1 */
        size_t k = nlh->nlmsg_seq - w->batch.first_seq - 1;
        if (nlh->nlmsg_seq <= w->batch.first_seq || k >= w->n_sent || !w->sent[k].inserted)
                return 0;
        return read_handle(nlh, &w->sent[k].inserted->origin);
}

static int commit(batch_writer *w, uint32_t *ret_genid) {
        if (w->n_sent == 0) {
                if (ret_genid)
                        *ret_genid = 0;
                return 0;
        }
        uint32_t failed_seq;
        int r = bs_nft_batch_commit(&w->batch, w->s, on_echo, w, &failed_seq);
        size_t failed = failed_seq - w->batch.first_seq - 1;
        if (r == -ENOENT && failed_seq > w->batch.first_seq && failed < w->n_sent &&
            w->sent[failed].cmd == NFT_MSG_NEWRULE)
                /* a rule's chain, position and jumps were checked on the
                 * tables read (the generation vouches for them): what the
                 * kernel did not find is a match or target module */
                return -EOPNOTSUPP;
        if (r == -EMLINK)
                /* nf_tables' answer to a jump loop (its validation walks the
                 * jumps until it is deeper than its jump stack, 16): the
                 * same refusal as legacy's -ELOOP */
                return -ELOOP;
        if (r < 0)
                return r;
        for (size_t k = 0; k < w->n_sent; k++)
                if (w->sent[k].inserted && w->sent[k].inserted->origin == 0)
                        w->new_genid = 0;  /* an echo is missing: what we hold is not the kernel's */
        if (ret_genid)
                *ret_genid = w->new_genid;
        return 0;
}

/* The family whose table the batch's first message names: one that
 * changes, so that the message creates no table the batch would not
 * (the other family's, absent from the kernel, say); -1: none written. */
static int lead_family(const bs_nft_write fw[2]) {
        int fallback = -1;
        for (int f = 0; f < 2; f++) {
                if (!fw[f].before || !fw[f].after)
                        continue;
                if (fallback < 0)
                        fallback = f;
                if (!bs_table_equal(fw[f].before, fw[f].after))
                        return f;
        }
        return fallback;
}

int bs_nft_write_tables(bs_nft_sock *s, uint32_t genid, bs_nft_write fw[2], uint32_t *ret_genid) {
        _cleanup_(batch_writer_done) batch_writer w = { .s = s };
        int r = bs_nft_batch_begin(&w.batch, s, genid);
        if (r < 0)
                return r;
        /* The kernel echoes the generation it commits (NFT_MSG_NEWGEN)
         * when the first message after the batch's begin asks for an
         * echo: its commit takes the flags of the message the batch's
         * buffer starts with once the begin is taken off. A table "added"
         * that exists is no change (no transaction, no notification), and
         * unlike an echo asked of the change itself (a flush's would bring
         * back every rule deleted), it costs one message. */
        int lead_f = lead_family(fw);
        if (lead_f >= 0) {
                r = put_table(&w, fw[lead_f].after, NLM_F_ECHO);
                if (r < 0)
                        return r;
        }
        size_t lead = w.n_sent;
        for (int f = 0; f < 2; f++) {
                w.trust_handles = fw[f].after_copied_from_before;
                r = put_family(&w, &fw[f]);
                if (r < 0)
                        return r;
        }
        if (w.n_sent == lead) {
                if (ret_genid)
                        *ret_genid = genid;
                return 0;
        }
        return commit(&w, ret_genid);
}

int bs_nft_zero_counters(bs_nft_sock *s, uint32_t genid, const bs_table *t, const char *chain) {
        _cleanup_(batch_writer_done) batch_writer w = { .s = s };
        int r = bs_nft_batch_begin(&w.batch, s, genid);
        if (r < 0)
                return r;
        bool found = !chain;
        for (size_t i = 0; i < t->n_chains; i++) {
                const bs_chain *c = &t->chains[i];
                if (chain && !streq(chain, c->name))
                        continue;
                found = true;
                if (c->builtin && (c->policy_packets || c->policy_bytes)) {
                        r = put_builtin_chain(&w, t, c, true, 0, 0);
                        if (r < 0)
                                return r;
                }
                for (size_t j = 0; j < c->n_rules; j++) {
                        const bs_rule *rule = &c->rules[j];
                        if (rule->packets == 0 && rule->bytes == 0)
                                continue;
                        _cleanup_(bs_rule_done) bs_rule zeroed = {};
                        r = bs_rule_copy(&zeroed, rule);
                        if (r < 0)
                                return r;
                        zeroed.packets = zeroed.bytes = 0;
                        r = put_rule(&w, t, c->name, &zeroed, rule->origin, true);
                        if (r < 0)
                                return r;
                }
        }
        if (!found)
                return -ENOENT;
        return commit(&w, NULL);
}
