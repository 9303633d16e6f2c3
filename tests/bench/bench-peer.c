/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* One firewall daemon, started and driven the same way whichever it is, so
 * that backstopd and a peer (firewalld) are measured alike in the same run
 * (not a test: it prints figures, nothing passes or fails). Used by
 * tests/bench/firewalld.sh:
 *
 *   bench-peer [--runs N] [--log FILE] NAME PATH INTERFACE METHOD [ARG...]
 *              @daemon ARGV... [@reset ARGV...] [@change ARGV...]... [@check ARGV...]
 *
 * Each run: @reset (untimed; e.g. empty the tables), spawn @daemon, wait for
 * the NameOwnerChanged signal of NAME (t_name), call METHOD on PATH and
 * INTERFACE with the string arguments ARG (t_first: spawn → reply), read
 * Rss and Pss from /proc/PID/smaps_rollup, run each @change command (each
 * timed from spawn to exit, as a user pays it), run @check (untimed; it
 * must exit 0: the change is really there), stop the daemon with SIGTERM
 * and wait for it. One unmeasured warm-up run comes first. Every command
 * must exit 0.
 *
 * Output, one line per measured run, whitespace separated:
 *   t_name t_first rss pss t_change1 t_change2 ...
 * (seconds and bytes). The caller computes medians and ratios.
 *
 * It refuses to run in the network namespace of PID 1 (or the one named by
 * $BENCH_HOST_NETNS) and without DBUS_SYSTEM_BUS_ADDRESS: the daemons it
 * starts change the firewall of the namespace they run in. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <systemd/sd-bus.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define MAX_CHANGES 8

static const char *arg_name, *arg_path, *arg_iface, *arg_method, *arg_log = "/dev/null";
static char **arg_call_args;            /* NULL-terminated, may be empty */
static char **arg_daemon, **arg_reset, **arg_check;
static char **arg_changes[MAX_CHANGES];
static unsigned n_changes, arg_runs = 7;
static pid_t daemon_pid = -1;

static double now_s(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static void stop_daemon(void) {
        if (daemon_pid <= 0)
                return;
        kill(daemon_pid, SIGTERM);
        /* firewalld cleans its tables up on SIGTERM: give it time, then KILL */
        for (unsigned i = 0; i < 200; i++) {
                if (waitpid(daemon_pid, NULL, WNOHANG) == daemon_pid) {
                        daemon_pid = -1;
                        return;
                }
                usleep(50000);
        }
        kill(daemon_pid, SIGKILL);
        waitpid(daemon_pid, NULL, 0);
        daemon_pid = -1;
}

static void die(const char *what, int r) {
        fprintf(stderr, "bench-peer: %s: %s (log: %s)\n", what, strerror(r < 0 ? -r : r), arg_log);
        stop_daemon();
        exit(1);
}

static pid_t spawn(char **argv) {
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
        posix_spawn_file_actions_addopen(&fa, 1, arg_log, O_WRONLY | O_CREAT | O_APPEND, 0600);
        posix_spawn_file_actions_adddup2(&fa, 1, 2);
        pid_t pid;
        int r = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
        posix_spawn_file_actions_destroy(&fa);
        if (r != 0)
                die(argv[0], r);
        return pid;
}

/* Run argv to its end; its wall time. Dies unless it exits 0. */
static double run(char **argv) {
        double t0 = now_s();
        pid_t pid = spawn(argv);
        int status;
        if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                fprintf(stderr, "bench-peer: %s failed (log: %s)\n", argv[0], arg_log);
                stop_daemon();
                exit(1);
        }
        return now_s() - t0;
}

static int on_owner_changed(sd_bus_message *m, void *userdata, sd_bus_error *e) {
        const char *name, *old, *new;
        (void) e;
        if (sd_bus_message_read(m, "sss", &name, &old, &new) >= 0 && strcmp(name, arg_name) == 0 && *new)
                *(bool *) userdata = true;
        return 0;
}

static void first_call(sd_bus *bus) {
        sd_bus_message *call = NULL, *reply = NULL;
        sd_bus_error e = SD_BUS_ERROR_NULL;
        int r = sd_bus_message_new_method_call(bus, &call, arg_name, arg_path, arg_iface, arg_method);
        for (char **a = arg_call_args; r >= 0 && *a; a++)
                r = sd_bus_message_append_basic(call, 's', *a);
        if (r >= 0)
                r = sd_bus_call(bus, call, 10 * 1000000ULL, &e, &reply);
        if (r < 0) {
                fprintf(stderr, "bench-peer: %s: %s\n", arg_method, e.message ? e.message : strerror(-r));
                stop_daemon();
                exit(1);
        }
        sd_bus_error_free(&e);
        sd_bus_message_unref(reply);
        sd_bus_message_unref(call);
}

/* Spawn the daemon; seconds to its name, and to the first call's reply */
static void start_daemon(sd_bus *bus, double *t_name, double *t_first) {
        bool owned = false;
        sd_bus_slot *slot = NULL;
        char match[300];
        snprintf(match, sizeof(match),
                 "type='signal',sender='org.freedesktop.DBus',member='NameOwnerChanged',arg0='%s'", arg_name);
        int r = sd_bus_add_match(bus, &slot, match, on_owner_changed, &owned);
        if (r < 0)
                die("add match", r);
        double t0 = now_s();
        daemon_pid = spawn(arg_daemon);
        while (!owned) {
                r = sd_bus_process(bus, NULL);
                if (r < 0)
                        die("bus", r);
                if (r > 0)
                        continue;
                if (now_s() - t0 > 30)
                        die("the daemon did not take its name", ETIMEDOUT);
                if (waitpid(daemon_pid, NULL, WNOHANG) == daemon_pid) {
                        daemon_pid = -1;
                        die("the daemon exited before taking its name", ECHILD);
                }
                r = sd_bus_wait(bus, 100000);
                if (r < 0)
                        die("bus", r);
        }
        double t1 = now_s();
        sd_bus_slot_unref(slot);
        first_call(bus);
        *t_name = t1 - t0;
        *t_first = now_s() - t0;
}

static void daemon_memory(double *rss, double *pss) {
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

/* Not the namespace of PID 1, or (where /proc/1 is not ours to read) not
 * the one run.sh started from ($BENCH_HOST_NETNS, its inode number). */
static bool in_private_netns(void) {
        struct stat self, init;
        if (stat("/proc/self/ns/net", &self) < 0)
                return false;
        if (stat("/proc/1/ns/net", &init) >= 0)
                return self.st_ino != init.st_ino || self.st_dev != init.st_dev;
        const char *host = getenv("BENCH_HOST_NETNS");
        return host && *host && strtoull(host, NULL, 10) != (unsigned long long) self.st_ino;
}

static void usage(void) {
        fprintf(stderr, "usage: bench-peer [--runs N] [--log FILE] NAME PATH INTERFACE METHOD [ARG...]\n"
                        "                  @daemon ARGV... [@reset ARGV...] [@change ARGV...]... [@check ARGV...]\n");
        exit(2);
}

/* Split argv at the @section markers (each section's words end where the
 * next marker starts: the marker is overwritten with NULL). */
static void parse_args(int argc, char **argv) {
        int i = 1;
        for (; i + 1 < argc && argv[i][0] == '-' && argv[i][1] == '-'; i += 2) {
                if (strcmp(argv[i], "--runs") == 0)
                        arg_runs = (unsigned) strtoul(argv[i + 1], NULL, 10);
                else if (strcmp(argv[i], "--log") == 0)
                        arg_log = argv[i + 1];
                else
                        usage();
        }
        if (arg_runs < 1 || arg_runs > 51) {
                fprintf(stderr, "bench-peer: RUNS must be 1..51\n");
                exit(2);
        }
        if (argc - i < 4)
                usage();
        arg_name = argv[i];
        arg_path = argv[i + 1];
        arg_iface = argv[i + 2];
        arg_method = argv[i + 3];
        arg_call_args = &argv[i + 4];
        for (i += 4; i < argc; i++) {
                if (argv[i][0] != '@')
                        continue;
                char ***slot;
                if (strcmp(argv[i], "@daemon") == 0)
                        slot = &arg_daemon;
                else if (strcmp(argv[i], "@reset") == 0)
                        slot = &arg_reset;
                else if (strcmp(argv[i], "@check") == 0)
                        slot = &arg_check;
                else if (strcmp(argv[i], "@change") == 0 && n_changes < MAX_CHANGES)
                        slot = &arg_changes[n_changes++];
                else
                        usage();
                if (*slot)
                        usage();
                argv[i] = NULL; /* ends the previous section */
                if (i + 1 >= argc || argv[i + 1][0] == '@')
                        usage(); /* an empty section */
                *slot = &argv[i + 1];
        }
        if (!arg_daemon)
                usage();
}

int main(int argc, char **argv) {
        parse_args(argc, argv);
        if (geteuid() != 0 || !in_private_netns() || !getenv("DBUS_SYSTEM_BUS_ADDRESS")) {
                fprintf(stderr, "bench-peer: needs root, a private network namespace and DBUS_SYSTEM_BUS_ADDRESS "
                                "(use tests/bench/run.sh)\n");
                return 77;
        }
        sd_bus *bus = NULL;
        int r = sd_bus_open_system(&bus);
        if (r < 0)
                die("connect to the bus", r);

        for (unsigned k = 0; k <= arg_runs; k++) {
                double t_name, t_first, rss, pss, t_change[MAX_CHANGES];
                if (arg_reset)
                        run(arg_reset);
                start_daemon(bus, &t_name, &t_first);
                daemon_memory(&rss, &pss);
                for (unsigned c = 0; c < n_changes; c++)
                        t_change[c] = run(arg_changes[c]);
                if (arg_check)
                        run(arg_check);
                stop_daemon();
                if (k == 0)
                        continue; /* warm-up: page cache, first-time paths */
                printf("%.6f %.6f %.0f %.0f", t_name, t_first, rss, pss);
                for (unsigned c = 0; c < n_changes; c++)
                        printf(" %.6f", t_change[c]);
                printf("\n");
                fflush(stdout);
        }
        sd_bus_unref(bus);
        return 0;
}
