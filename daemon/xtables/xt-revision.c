/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Which revision of an extension the kernel supports, asked for the helper
 * (xt-revision.h). */
#include <netinet/in.h> /* before any linux/ header */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_tables_compat.h>
#include <linux/netfilter/x_tables.h>

#include "xt-revision.h"

/* From linux/netfilter_ipv4/ip_tables.h and ip6_tables.h, which clash
 * with net/if.h (rule.h): the kernel's revision questions. */
#define IPT_SO_GET_REVISION_MATCH 66
#define IPT_SO_GET_REVISION_TARGET 67
#define IP6T_SO_GET_REVISION_MATCH 68
#define IP6T_SO_GET_REVISION_TARGET 69

int bs_xt_kernel_supports_nft(bs_family f, bool target, uint8_t revision, const char *name) {
        char buf[MNL_SOCKET_BUFFER_SIZE];
        struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
        nlh->nlmsg_type = (NFNL_SUBSYS_NFT_COMPAT << 8) | NFNL_MSG_COMPAT_GET;
        nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
        uint32_t seq = (uint32_t) time(NULL);
        nlh->nlmsg_seq = seq;
        struct nfgenmsg *nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
        nfg->nfgen_family = f == BS_FAMILY_IPV6 ? AF_INET6 : AF_INET;
        nfg->version = NFNETLINK_V0;
        nfg->res_id = 0;
        mnl_attr_put_strz(nlh, NFTA_COMPAT_NAME, name);
        mnl_attr_put_u32(nlh, NFTA_COMPAT_REV, htonl(revision));
        mnl_attr_put_u32(nlh, NFTA_COMPAT_TYPE, htonl(target ? 1 : 0));

        struct mnl_socket *nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
        if (!nl)
                return -errno;
        int r = -EIO;
        if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0 || mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
                r = -errno;
                goto out;
        }
        ssize_t n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
        if (n < 0) {
                r = -errno;
                goto out;
        }
        if (mnl_cb_run(buf, (size_t) n, seq, mnl_socket_get_portid(nl), NULL, NULL) < 0)
                r = errno == ENOENT || errno == EPROTONOSUPPORT ? 0 : -errno;
        else
                r = 1;
out:
        mnl_socket_close(nl);
        return r;
}

/* linux/netfilter/ipset/ip_set.h, which clashes with net/if.h */
#define SO_IP_SET 83
#define IP_SET_OP_GET_BYNAME 0x00000006
#define IP_SET_OP_GET_BYINDEX 0x00000007
#define IP_SET_OP_GET_FNAME 0x00000008
#define IP_SET_OP_VERSION 0x00000100

int bs_xt_kernel_ipset(void *buf, size_t *len) {
        uint32_t op;
        if (*len < sizeof(op))
                return -EINVAL;
        memcpy(&op, buf, sizeof(op));
        if (op != IP_SET_OP_VERSION && op != IP_SET_OP_GET_BYNAME && op != IP_SET_OP_GET_BYINDEX &&
            op != IP_SET_OP_GET_FNAME)
                return -EPERM;
        int fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
        if (fd < 0)
                return -errno;
        socklen_t l = (socklen_t) *len;
        int k = getsockopt(fd, SOL_IP, SO_IP_SET, buf, &l);
        int e = errno;
        close(fd);
        if (k < 0)
                return -e;
        *len = l;
        return 0;
}

bool bs_xt_kernel_supports(bs_family f, bool target, uint8_t revision, const char *name) {
        struct xt_get_revision rev = { .revision = revision };
        snprintf(rev.name, sizeof(rev.name), "%s", name);
        int fd = socket(f == BS_FAMILY_IPV6 ? AF_INET6 : AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
        if (fd >= 0) {
                socklen_t len = sizeof(rev);
                int opt = f == BS_FAMILY_IPV6 ? (target ? IP6T_SO_GET_REVISION_TARGET : IP6T_SO_GET_REVISION_MATCH)
                                              : (target ? IPT_SO_GET_REVISION_TARGET : IPT_SO_GET_REVISION_MATCH);
                int k = getsockopt(fd, f == BS_FAMILY_IPV6 ? IPPROTO_IPV6 : IPPROTO_IP, opt, &rev, &len);
                int e = errno;
                close(fd);
                if (k >= 0)
                        return true;
                if (e == ENOENT || e == EPROTONOSUPPORT)
                        return revision == 0;
                /* ENOPROTOOPT: no ip_tables in this kernel (a host with
                 * nf_tables alone): ask nf_tables' compat layer, which
                 * knows the same extensions */
                if (e != ENOPROTOOPT)
                        return true; /* libxtables: cannot tell, assume it is */
        }
        /* revision 0 counts as supported either way, as in libxtables and
         * iptables-nft: the kernel's refusal then names what is missing */
        int r = bs_xt_kernel_supports_nft(f, target, revision, name);
        return r == 1 || revision == 0 || r == -EPERM;
}
