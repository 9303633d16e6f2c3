/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libxt_set (-m set, -j SET) asks the kernel itself for a set's index by
 * name and its name by index: socket(AF_INET, SOCK_RAW, IPPROTO_RAW), then
 * getsockopt(SOL_IP, SO_IP_SET). The helper has no capability to do so.
 * These two functions, exported by the helper's program (export_dynamic),
 * are the ones libxt_set.so calls: such a socket is a stand-in, and its
 * SO_IP_SET questions go to the daemon (BS_XT_IPSET), which asks its
 * kernel the few questions libxt_set asks, nothing else. Every other call
 * goes to the kernel as it is. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <xtables.h>

#include "xt-helper.h"

#ifndef SO_IP_SET
#define SO_IP_SET 83 /* linux/netfilter/ipset/ip_set.h, which clashes with net/if.h */
#endif

#define MARKED_MAX 64 /* the helper's RLIMIT_NOFILE */
static bool marked[MARKED_MAX];

int socket(int domain, int type, int protocol);
int getsockopt(int fd, int level, int name, void *value, socklen_t *len);

int socket(int domain, int type, int protocol) {
        int base = type & ~(SOCK_CLOEXEC | SOCK_NONBLOCK);
        if ((domain == AF_INET || domain == AF_INET6) && base == SOCK_RAW && protocol == IPPROTO_RAW) {
                int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
                if (fd >= 0 && fd < MARKED_MAX)
                        marked[fd] = true;
                return fd;
        }
        int fd = (int) syscall(SYS_socket, domain, type, protocol);
        if (fd >= 0 && fd < MARKED_MAX)
                marked[fd] = false;
        return fd;
}

int getsockopt(int fd, int level, int name, void *value, socklen_t *len) {
        if (fd < 0 || fd >= MARKED_MAX || !marked[fd] || level != SOL_IP || name != SO_IP_SET)
                return (int) syscall(SYS_getsockopt, fd, level, name, value, len);
        if (!value || !len || *len < sizeof(unsigned) || *len > BS_XT_IPSET_MAX) {
                errno = EINVAL;
                return -1;
        }
        uint8_t buf[BS_XT_IPSET_MAX + 64];
        bs_xt_writer w;
        size_t n;
        xth_begin_question(&w, buf, BS_XT_IPSET);
        bs_xt_wbytes(&w, value, *len);
        if (bs_xt_wend(&w, &n) < 0) {
                errno = EMSGSIZE;
                return -1;
        }
        bs_xt_reader r;
        xth_ask_daemon(buf, sizeof(buf), n, BS_XT_IPSET_ANSWER, &r);
        uint32_t err = bs_xt_ru32(&r);
        const uint8_t *out;
        size_t out_len = bs_xt_rbytes(&r, *len, &out);
        if (bs_xt_rend(&r) < 0)
                _exit(1);
        if (err) {
                errno = (int) err;
                return -1;
        }
        if (out_len)
                memcpy(value, out, out_len);
        *len = (socklen_t) out_len;
        return 0;
}
