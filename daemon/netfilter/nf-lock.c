/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The xtables lock, taken exactly the way iptables-legacy takes it, so that
 * the iptables CLI, other libiptc users and we never commit over each other:
 * open(O_CREAT, 0600) and flock(LOCK_EX) on $XTABLES_LOCKFILE or
 * /run/xtables.lock. A bounded wait polls LOCK_NB, as `iptables -w` does. */
#include <fcntl.h>
#include <sys/file.h>
#include <time.h>

#include "nf.h"

#define XT_LOCK_DEFAULT "/run/xtables.lock"
/* How often a waiting acquire retries; iptables -w uses 1 s by default, which
 * is needlessly slow for a daemon that holds the lock for milliseconds. */
#define XT_LOCK_POLL_MS 10

const char *bs_xtlock_path(void) {
        const char *p = getenv("XTABLES_LOCKFILE");
        if (!p || !*p)
                return XT_LOCK_DEFAULT;
        return p;
}

static uint64_t now_ms(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000 + (uint64_t) ts.tv_nsec / 1000000;
}

int bs_xtlock_acquire(bs_xtlock *l, unsigned timeout_ms) {
        if (l->fd >= 0)
                return -EBUSY; /* flock() would deadlock against ourselves */

        _cleanup_close_ int fd = open(bs_xtlock_path(), O_RDONLY | O_CREAT | O_CLOEXEC, 0600);
        if (fd < 0)
                return -errno;

        uint64_t deadline = now_ms() + timeout_ms;
        for (;;) {
                if (flock(fd, LOCK_EX | LOCK_NB) == 0)
                        break;
                if (errno == EINTR)
                        continue;
                if (errno != EWOULDBLOCK)
                        return -errno;
                uint64_t now = now_ms();
                if (now >= deadline)
                        return -EWOULDBLOCK;
                uint64_t wait = deadline - now < XT_LOCK_POLL_MS ? deadline - now : XT_LOCK_POLL_MS;
                struct timespec ts = { .tv_sec = 0, .tv_nsec = (long) wait * 1000000L };
                nanosleep(&ts, NULL);
        }
        l->fd = TAKE_FD(fd);
        return 0;
}

void bs_xtlock_release(bs_xtlock *l) {
        if (l->fd < 0)
                return;
        /* closing drops the flock: nothing else holds this open file */
        close(l->fd);
        l->fd = -1;
}
