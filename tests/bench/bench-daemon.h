/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the benchmarks that start a daemon share (bench-bus, bench-peer): a
 * monotonic clock, the check that we are not in the host's network
 * namespace, and one daemon at a time, spawned with its output in a log,
 * waited for by its bus name, measured from /proc and stopped.
 *
 * Whatever fails here ends the program through die(), which each program
 * defines: its own prefix and log hint, and it stops the daemon. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>
#include <systemd/sd-bus.h>

/* Defined by each program: print what failed (r: an errno, either sign),
 * stop the daemon, exit 1. */
_Noreturn void die(const char *what, int r);

/* CLOCK_MONOTONIC, in seconds */
double now_s(void);

/* Not the network namespace of PID 1, or (where /proc/1 is not ours to
 * read, as in some containers) not the one run.sh started from
 * ($BENCH_HOST_NETNS, its inode number). */
bool in_private_netns(void);

/* Spawn argv with stdin from /dev/null and stdout and stderr appended to
 * log; dies if it cannot. */
pid_t spawn_logged(char *const argv[], const char *log);

/* Spawn argv as the daemon (as spawn_logged()) and wait until it owns name
 * on bus; dies if it exits first or after timeout_s seconds (`who` names it
 * in that message). *ret_spawned: now_s() at the spawn. Returns the seconds
 * from the spawn to the NameOwnerChanged signal. */
double start_daemon(sd_bus *bus, const char *name, char *const argv[], const char *log, const char *who,
                    double timeout_s, double *ret_spawned);

/* SIGTERM, wait for its end (a peer cleaning its tables up may take a
 * while: SIGKILL after 10 s). Does nothing when no daemon runs. */
void stop_daemon(void);

/* Rss and Pss of the daemon, in bytes (/proc/PID/smaps_rollup) */
void daemon_memory(double *rss, double *pss);
