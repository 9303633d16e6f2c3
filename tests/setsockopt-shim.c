/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* LD_PRELOAD shim for test-faults: makes the kernel seem to refuse chosen
 * table replacements of the process it is loaded into, which a real
 * kernel offers no way to cause on demand:
 *   - IPv4 table replacements of iptables-legacy (IPT_SO_SET_REPLACE),
 *     to reach the path where IPv6 was refused and IPv4 cannot be put
 *     back: $BACKSTOP_TEST_IPV4_REPLACE_FILE;
 *   - nf_tables batches (a sendto on a netfilter netlink socket that
 *     begins with NFNL_MSG_BATCH_BEGIN), which the kernel takes or
 *     refuses whole, both families at once: $BACKSTOP_TEST_NFT_BATCH_FILE.
 *
 * Each file holds "PASS FAIL": the next PASS ones go through, the FAIL
 * after them fail (IPv4 replacements with ENOMEM, batches with EIO), all
 * later ones go through; the file is
 * replaced at each one, so the test sees what was used. No file: nothing
 * is refused. Nothing else is touched. */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter_ipv4/ip_tables.h>
#include <linux/netlink.h>

static int (*real_setsockopt)(int, int, int, const void *, socklen_t);
static ssize_t (*real_sendto)(int, const void *, size_t, int, const struct sockaddr *, socklen_t);

/* Whether this replacement is to fail; counts it in the file named by
 * the environment variable `file_env`. */
static int refuse_this_one(const char *file_env) {
        const char *path = getenv(file_env);
        if (!path)
                return 0;
        FILE *f = fopen(path, "re");
        if (!f)
                return 0;
        unsigned pass = 0, fail = 0;
        int n = fscanf(f, "%u %u", &pass, &fail);
        fclose(f);
        if (n != 2)
                return 0;
        int refuse = 0;
        if (pass > 0)
                pass--;
        else if (fail > 0) {
                fail--;
                refuse = 1;
        }
        /* replaced whole (the test may read it while the daemon works) */
        char tmp[4096];
        if (snprintf(tmp, sizeof(tmp), "%s.new", path) >= (int) sizeof(tmp))
                return refuse;
        f = fopen(tmp, "we");
        if (f) {
                int bad = fprintf(f, "%u %u\n", pass, fail) < 0;
                bad |= fclose(f) != 0;
                if (bad || rename(tmp, path) < 0)
                        unlink(tmp);
        }
        return refuse;
}

int setsockopt(int fd, int level, int optname, const void *optval, socklen_t optlen) {
        if (!real_setsockopt)
                real_setsockopt = (int (*)(int, int, int, const void *, socklen_t)) dlsym(RTLD_NEXT, "setsockopt");
        if (level == IPPROTO_IP && optname == IPT_SO_SET_REPLACE && refuse_this_one("BACKSTOP_TEST_IPV4_REPLACE_FILE")) {
                errno = ENOMEM;
                return -1;
        }
        return real_setsockopt(fd, level, optname, optval, optlen);
}

static int is_nft_batch(int fd, const void *buf, size_t len) {
        int domain = 0, proto = 0;
        socklen_t dl = sizeof(domain), pl = sizeof(proto);
        if (len < sizeof(struct nlmsghdr) || getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &dl) < 0 ||
            domain != AF_NETLINK || getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &proto, &pl) < 0 ||
            proto != NETLINK_NETFILTER)
                return 0;
        const struct nlmsghdr *nlh = buf;
        return nlh->nlmsg_type == NFNL_MSG_BATCH_BEGIN;
}

ssize_t sendto(int fd, const void *buf, size_t len, int flags, const struct sockaddr *addr, socklen_t addrlen) {
        if (!real_sendto)
                real_sendto = (ssize_t (*)(int, const void *, size_t, int, const struct sockaddr *, socklen_t))
                        dlsym(RTLD_NEXT, "sendto");
        if (is_nft_batch(fd, buf, len) && refuse_this_one("BACKSTOP_TEST_NFT_BATCH_FILE")) {
                errno = EIO;
                return -1;
        }
        return real_sendto(fd, buf, len, flags, addr, addrlen);
}
