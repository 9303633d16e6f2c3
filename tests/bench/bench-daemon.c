/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench-daemon.h"

extern char **environ;

static pid_t daemon_pid = -1;

double now_s(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

bool in_private_netns(void) {
        struct stat self, init;
        if (stat("/proc/self/ns/net", &self) < 0)
                return false;
        if (stat("/proc/1/ns/net", &init) >= 0)
                return self.st_ino != init.st_ino || self.st_dev != init.st_dev;
        const char *host = getenv("BENCH_HOST_NETNS");
        return host && *host && strtoull(host, NULL, 10) != (unsigned long long) self.st_ino;
}

pid_t spawn_logged(char *const argv[], const char *log) {
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
        posix_spawn_file_actions_addopen(&fa, 1, log, O_WRONLY | O_CREAT | O_APPEND, 0600);
        posix_spawn_file_actions_adddup2(&fa, 1, 2);
        pid_t pid;
        int r = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
        posix_spawn_file_actions_destroy(&fa);
        if (r != 0)
                die(argv[0], r);
        return pid;
}

typedef struct NameWatch {
        const char *name;
        bool owned;
} NameWatch;

static int on_owner_changed(sd_bus_message *m, void *userdata, sd_bus_error *e) {
        NameWatch *w = userdata;
        const char *name, *old, *new;
        if (sd_bus_message_read(m, "sss", &name, &old, &new) >= 0 && strcmp(name, w->name) == 0 && *new)
                w->owned = true;
        return 0;
}

double start_daemon(sd_bus *bus, const char *name, char *const argv[], const char *log, const char *who,
                    double timeout_s, double *ret_spawned) {
        NameWatch watch = { .name = name };
        sd_bus_slot *slot = NULL;
        char match[300], msg[200];
        snprintf(match, sizeof(match),
                 "type='signal',sender='org.freedesktop.DBus',member='NameOwnerChanged',arg0='%s'", name);
        int r = sd_bus_add_match(bus, &slot, match, on_owner_changed, &watch);
        if (r < 0)
                die("add match", r);
        double t0 = now_s();
        daemon_pid = spawn_logged(argv, log);
        while (!watch.owned) {
                r = sd_bus_process(bus, NULL);
                if (r < 0)
                        die("bus", r);
                if (r > 0)
                        continue;
                if (now_s() - t0 > timeout_s) {
                        snprintf(msg, sizeof(msg), "%s did not take its name", who);
                        die(msg, ETIMEDOUT);
                }
                if (waitpid(daemon_pid, NULL, WNOHANG) == daemon_pid) {
                        daemon_pid = -1;
                        snprintf(msg, sizeof(msg), "%s exited before taking its name", who);
                        die(msg, ECHILD);
                }
                r = sd_bus_wait(bus, 100000);
                if (r < 0)
                        die("bus", r);
        }
        double t1 = now_s();
        sd_bus_slot_unref(slot);
        *ret_spawned = t0;
        return t1 - t0;
}

void stop_daemon(void) {
        if (daemon_pid <= 0)
                return;
        /* a pidfd turns readable when the process ends: wait for exactly
         * that, at most 10 s (without one, wait as long as it takes) */
        int fd = pidfd_open(daemon_pid, 0);
        kill(daemon_pid, SIGTERM);
        if (fd >= 0) {
                struct pollfd p = { .fd = fd, .events = POLLIN };
                int r;
                do
                        r = poll(&p, 1, 10000);
                while (r < 0 && errno == EINTR);
                if (r == 0)
                        kill(daemon_pid, SIGKILL);
                close(fd);
        }
        waitpid(daemon_pid, NULL, 0);
        daemon_pid = -1;
}

void daemon_memory(double *rss, double *pss) {
        char p[64], line[256];
        snprintf(p, sizeof(p), "/proc/%d/smaps_rollup", (int) daemon_pid);
        FILE *f = fopen(p, "re");
        if (!f)
                die(p, errno);
        *rss = *pss = 0;
        while (fgets(line, sizeof(line), f)) {
                unsigned long kb;
                if (sscanf(line, "Rss: %lu kB", &kb) == 1)
                        *rss = kb * 1024.0;
                else if (sscanf(line, "Pss: %lu kB", &kb) == 1)
                        *pss = kb * 1024.0;
        }
        fclose(f);
}
