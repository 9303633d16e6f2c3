/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Whether nftables also filters INPUT: both rule sets see every packet, so
 * an ACCEPT we add does not help against a DROP there. Asks the kernel for
 * every nftables chain (NFT_MSG_GETCHAIN dump on a raw NETLINK_NETFILTER
 * socket: no libnftnl/libmnl needed) and looks for a base chain of type
 * "filter" on the input hook in the ip, ip6 or inet family. Works in the
 * caller's network namespace. With the iptables-nft backend, the tables
 * it manages itself (ip filter, ip6 filter) are not "also" filtering, and
 * the caller leaves them out. */
#include <endian.h>
#include <inttypes.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <sys/socket.h>
#include <time.h>

#include "nf.h"

#define RECV_BUFFER_SIZE (64 * 1024)
#define DUMP_ATTEMPTS 5     /* restarts when the ruleset changed mid-dump */
#define DESCRIPTION_MAX 4096

typedef struct nft_chain_info {
        uint8_t family;
        const char *table, *name, *type;
        size_t table_len, name_len, type_len;
        bool has_hook;
        uint32_t hooknum;
        int32_t priority;
        bool has_policy;
        uint32_t policy;
} nft_chain_info;

typedef struct nft_found {
        size_t count;
        char description[DESCRIPTION_MAX];
        size_t len;
} nft_found;

static const struct nlattr *attr_next(const struct nlattr *a, size_t *left) {
        size_t step = NLA_ALIGN(a->nla_len);
        if (step >= *left) {
                *left = 0;
                return NULL;
        }
        *left -= step;
        return (const struct nlattr *) ((const uint8_t *) a + step);
}

/* Attributes are walked with every length checked against what is left. */
#define FOREACH_ATTR(a, start, size, left)                                                  \
        for (size_t left = (size); left >= sizeof(struct nlattr); left = 0)                 \
                for (const struct nlattr *a = (start);                                      \
                     a && a->nla_len >= sizeof(struct nlattr) && a->nla_len <= left;         \
                     a = attr_next(a, &left))

static const void *attr_data(const struct nlattr *a) {
        return (const uint8_t *) a + NLA_HDRLEN;
}

static size_t attr_len(const struct nlattr *a) {
        return a->nla_len - NLA_HDRLEN;
}

static bool attr_u32(const struct nlattr *a, uint32_t *ret) {
        if (attr_len(a) < sizeof(uint32_t))
                return false;
        uint32_t v;
        memcpy(&v, attr_data(a), sizeof(v));
        *ret = be32toh(v);
        return true;
}

/* A string attribute, not necessarily NUL-terminated within its length. */
static void attr_str(const struct nlattr *a, const char **ret, size_t *ret_len) {
        *ret = attr_data(a);
        *ret_len = strnlen(*ret, attr_len(a));
}

static void parse_hook(const struct nlattr *hook, nft_chain_info *c) {
        FOREACH_ATTR(a, attr_data(hook), attr_len(hook), left) {
                uint32_t v;
                switch (a->nla_type & NLA_TYPE_MASK) {
                case NFTA_HOOK_HOOKNUM:
                        if (attr_u32(a, &v)) {
                                c->hooknum = v;
                                c->has_hook = true;
                        }
                        break;
                case NFTA_HOOK_PRIORITY:
                        if (attr_u32(a, &v))
                                c->priority = (int32_t) v;
                        break;
                }
        }
}

static void parse_chain(const struct nlmsghdr *nh, nft_chain_info *c) {
        size_t hdr = NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(struct nfgenmsg));
        memset(c, 0, sizeof(*c));
        if (nh->nlmsg_len < hdr)
                return;
        const struct nfgenmsg *g = NLMSG_DATA(nh);
        c->family = g->nfgen_family;
        FOREACH_ATTR(a, (const struct nlattr *) ((const uint8_t *) nh + hdr), nh->nlmsg_len - hdr, left) {
                switch (a->nla_type & NLA_TYPE_MASK) {
                case NFTA_CHAIN_TABLE:
                        attr_str(a, &c->table, &c->table_len);
                        break;
                case NFTA_CHAIN_NAME:
                        attr_str(a, &c->name, &c->name_len);
                        break;
                case NFTA_CHAIN_TYPE:
                        attr_str(a, &c->type, &c->type_len);
                        break;
                case NFTA_CHAIN_HOOK:
                        parse_hook(a, c);
                        break;
                case NFTA_CHAIN_POLICY:
                        c->has_policy = attr_u32(a, &c->policy);
                        break;
                }
        }
}

static const char *family_name(uint8_t f) {
        switch (f) {
        case NFPROTO_IPV4:
                return "ip";
        case NFPROTO_IPV6:
                return "ip6";
        case NFPROTO_INET:
                return "inet";
        default:
                return NULL;
        }
}

static bool str_is(const char *s, size_t len, const char *want) {
        return s && len == strlen(want) && memcmp(s, want, len) == 0;
}

/* The tables iptables-nft keeps its filter rules in: "ip filter" and "ip6
 * filter" (never inet). */
static bool is_iptables_nft_table(const nft_chain_info *c) {
        return (c->family == NFPROTO_IPV4 || c->family == NFPROTO_IPV6) &&
               str_is(c->table, c->table_len, "filter");
}

static void note_chain(const nft_chain_info *c, bool except_iptables_nft, nft_found *found) {
        const char *family = family_name(c->family);
        if (!family || !c->has_hook || c->hooknum != NF_INET_LOCAL_IN || !str_is(c->type, c->type_len, "filter"))
                return;
        if (except_iptables_nft && is_iptables_nft_table(c))
                return;

        found->count++;
        /* "ip filter INPUT (priority 0, policy accept)"; cut short, never
         * overflowing, when there are very many */
        int n = snprintf(found->description + found->len, sizeof(found->description) - found->len,
                         "%s%s %.*s %.*s (priority %" PRIi32 "%s%s)", found->len ? "; " : "", family,
                         (int) c->table_len, c->table ? c->table : "", (int) c->name_len,
                         c->name ? c->name : "", c->priority, c->has_policy ? ", policy " : "",
                         !c->has_policy ? "" : c->policy == NF_DROP ? "drop" : "accept");
        if (n > 0)
                found->len += (size_t) n;
        if (found->len >= sizeof(found->description))
                found->len = sizeof(found->description) - 1;
}

/* One dump; -EINTR when the kernel says it was interrupted by a change. */
static int dump_chains(int fd, uint32_t seq, bool except_iptables_nft, nft_found *found) {
        struct {
                struct nlmsghdr nh;
                struct nfgenmsg g;
        } req = {
                .nh.nlmsg_len = NLMSG_LENGTH(sizeof(struct nfgenmsg)),
                .nh.nlmsg_type = (NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_GETCHAIN,
                .nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
                .nh.nlmsg_seq = seq,
                .g.nfgen_family = NFPROTO_UNSPEC,
                .g.version = NFNETLINK_V0,
        };
        struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
        if (sendto(fd, &req, req.nh.nlmsg_len, 0, (struct sockaddr *) &kernel, sizeof(kernel)) < 0)
                return -errno;

        _cleanup_free_ uint8_t *buf = malloc(RECV_BUFFER_SIZE);
        if (!buf)
                return -ENOMEM;
        bool interrupted = false;
        for (;;) {
                ssize_t len = recv(fd, buf, RECV_BUFFER_SIZE, 0);
                if (len < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (len == 0)
                        return -EPIPE;
                size_t left = (size_t) len;
                for (const struct nlmsghdr *nh = (const struct nlmsghdr *) buf; NLMSG_OK(nh, left);
                     nh = NLMSG_NEXT(nh, left)) {
                        if (nh->nlmsg_seq != seq)
                                continue;
                        if (nh->nlmsg_flags & NLM_F_DUMP_INTR)
                                interrupted = true;
                        if (nh->nlmsg_type == NLMSG_DONE)
                                return interrupted ? -EINTR : 0;
                        if (nh->nlmsg_type == NLMSG_ERROR) {
                                const struct nlmsgerr *e = NLMSG_DATA(nh);
                                if (nh->nlmsg_len < NLMSG_LENGTH(sizeof(*e)))
                                        return -EBADMSG;
                                if (e->error != 0)
                                        return e->error;
                                continue;
                        }
                        if (nh->nlmsg_type == ((NFNL_SUBSYS_NFTABLES << 8) | NFT_MSG_NEWCHAIN)) {
                                nft_chain_info c;
                                parse_chain(nh, &c);
                                note_chain(&c, except_iptables_nft, found);
                        }
                }
        }
}

int bs_nf_nftables_filters_input(bool except_iptables_nft, bool *ret, char **ret_description) {
        if (!ret)
                return -EINVAL;

        _cleanup_close_ int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
        if (fd < 0) {
                if (errno != EPROTONOSUPPORT && errno != EAFNOSUPPORT)
                        return -errno;
                /* no nfnetlink in this kernel: no nftables either */
                *ret = false;
                if (ret_description)
                        *ret_description = NULL;
                return 0;
        }

        nft_found found = {};
        int r = -EINTR;
        uint32_t seq = (uint32_t) time(NULL);
        for (unsigned attempt = 0; attempt < DUMP_ATTEMPTS && (r == -EINTR || r == -EAGAIN); attempt++) {
                memset(&found, 0, sizeof(found));
                r = dump_chains(fd, seq + attempt, except_iptables_nft, &found);
        }
        /* no nf_tables in this kernel (and no module to load) */
        if (r == -EOPNOTSUPP || r == -EPROTONOSUPPORT)
                r = 0;
        if (r < 0)
                return r;

        if (ret_description) {
                *ret_description = NULL;
                if (found.count > 0) {
                        *ret_description = strdup(found.description);
                        if (!*ret_description)
                                return -ENOMEM;
                }
        }
        *ret = found.count > 0;
        return 0;
}
