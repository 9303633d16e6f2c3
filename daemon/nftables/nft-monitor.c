/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <sys/socket.h>

#include "nft-monitor.h"

#define MONITOR_BUFFER_SIZE (64u * 1024u)

int bs_nft_monitor_open(bs_nft_sock *s) {
        int r = bs_nft_sock_open(s);
        if (r < 0)
                return r;
        int group = NFNLGRP_NFTABLES;
        if (mnl_socket_setsockopt(s->nl, NETLINK_ADD_MEMBERSHIP, &group, sizeof(group)) < 0) {
                r = -errno;
                bs_nft_sock_close(s);
                return r;
        }
        return 0;
}

int bs_nft_monitor_listen(bs_nft_sock *s, bool on) {
        int group = NFNLGRP_NFTABLES;
        if (mnl_socket_setsockopt(s->nl, on ? NETLINK_ADD_MEMBERSHIP : NETLINK_DROP_MEMBERSHIP, &group,
                                  sizeof(group)) < 0)
                return -errno;
        return 0;
}

int bs_nft_monitor_drain(bs_nft_sock *s, bs_nft_monitor_fn fn, void *userdata, bool *ret_committed) {
        *ret_committed = false;
        _cleanup_free_ uint8_t *buf = malloc(MONITOR_BUFFER_SIZE);
        if (!buf)
                return -ENOMEM;
        int fd = mnl_socket_get_fd(s->nl);
        for (;;) {
                ssize_t n = recv(fd, buf, MONITOR_BUFFER_SIZE, MSG_DONTWAIT);
                if (n < 0) {
                        if (errno == EAGAIN || errno == EWOULDBLOCK)
                                return 0;
                        if (errno == EINTR)
                                continue;
                        if (errno == ENOBUFS) {
                                *ret_committed = true;  /* lost some: assume the worst */
                                if (fn)
                                        fn(NULL, userdata);
                                continue;
                        }
                        return -errno;
                }
                int left = (int) n;
                for (const struct nlmsghdr *nlh = (const void *) buf; mnl_nlmsg_ok(nlh, left);
                     nlh = mnl_nlmsg_next(nlh, &left)) {
                        if (nlh->nlmsg_type == bs_nft_msg_type(NFT_MSG_NEWGEN))
                                *ret_committed = true;
                        if (fn)
                                fn(nlh, userdata);
                }
        }
}
