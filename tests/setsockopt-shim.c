/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* LD_PRELOAD shim for test-faults: makes the kernel seem to refuse chosen
 * IPv4 table replacements (IPT_SO_SET_REPLACE) of the process it is loaded
 * into, to reach the path where IPv6 was refused and IPv4 cannot be put
 * back, which a real kernel offers no way to cause on demand.
 *
 * The file $BACKSTOP_TEST_IPV4_REPLACE_FILE holds "PASS FAIL": the next
 * PASS replacements go through, the FAIL after them fail with ENOMEM, all
 * later ones go through; the file is replaced at each replacement, so the
 * test sees what was used. No file: nothing is refused. Nothing else is
 * touched. */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/netfilter_ipv4/ip_tables.h>

static int (*real_setsockopt)(int, int, int, const void *, socklen_t);

/* Whether this replacement is to fail; counts it in the file. */
static int refuse_this_one(void) {
        const char *path = getenv("BACKSTOP_TEST_IPV4_REPLACE_FILE");
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
        if (level == IPPROTO_IP && optname == IPT_SO_SET_REPLACE && refuse_this_one()) {
                errno = ENOMEM;
                return -1;
        }
        return real_setsockopt(fd, level, optname, optval, optlen);
}
