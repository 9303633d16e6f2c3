/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* LD_PRELOAD shim for test-faults: makes the wall clock of the process it
 * is loaded into jump, without touching the machine's clock (setting the
 * real clock is never allowed in tests). Every CLOCK_REALTIME read
 * (clock_gettime, gettimeofday, time) gets the number of seconds written in
 * the file $BACKSTOP_TEST_REALTIME_OFFSET_FILE added (no file: 0), read
 * anew at each call, so a test can move the clock while the process runs.
 * CLOCK_MONOTONIC and CLOCK_BOOTTIME are left alone: the point is to show
 * that the rollback timer does not follow the wall clock. */
#include <dlfcn.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static long offset_sec(void) {
        const char *path = getenv("BACKSTOP_TEST_REALTIME_OFFSET_FILE");
        if (!path)
                return 0;
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return 0;
        char buf[32];
        ssize_t n = read(fd, buf, sizeof(buf) - 1);
        close(fd);
        if (n <= 0)
                return 0;
        buf[n] = 0;
        return strtol(buf, NULL, 10);
}

static int real_clock_gettime(clockid_t clk, struct timespec *ts) {
        static int (*real)(clockid_t, struct timespec *);
        if (!real)
                real = (int (*)(clockid_t, struct timespec *)) dlsym(RTLD_NEXT, "clock_gettime");
        return real(clk, ts);
}

int clock_gettime(clockid_t clk, struct timespec *ts) {
        int r = real_clock_gettime(clk, ts);
        if (r == 0 && (clk == CLOCK_REALTIME || clk == CLOCK_REALTIME_COARSE))
                ts->tv_sec += offset_sec();
        return r;
}

int gettimeofday(struct timeval *restrict tv, void *restrict tz) {
        struct timespec ts;
        int r = clock_gettime(CLOCK_REALTIME, &ts);
        if (r == 0) {
                tv->tv_sec = ts.tv_sec;
                tv->tv_usec = ts.tv_nsec / 1000;
        }
        return r;
}

time_t time(time_t *t) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        if (t)
                *t = ts.tv_sec;
        return ts.tv_sec;
}
