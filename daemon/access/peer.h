/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Is this process on that TCP connection? The connection's server-side
 * socket on this host (sock_diag gives its inode) must be held by the
 * process or by one of its ancestors (/proc/PID/fd shows
 * "socket:[INODE]"). Strict confirmation uses it to tie the SSH
 * connection a caller names to the caller: sshd holds the accepted socket,
 * the shell and the backstopctl it runs are its descendants.
 *
 * pid 1 is never taken as the holder: every process descends from it, so
 * its holding a socket ties no caller to it. Each process of the walk is
 * pinned with a pidfd, and a parent must have started before its child:
 * a pid that dies and is reused during the walk ends it (-ESRCH) rather
 * than being taken for the ancestor. The caller's own pid comes from the
 * bus, which has it from the caller's connection.
 *
 * Reading another user's, or a non-dumpable process's (sshd's), /proc/PID/fd
 * needs CAP_SYS_PTRACE. No logging; -errno. */

#include <sys/types.h>

#include "mgmt.h"

#define BS_PEER_DEPTH_MAX 64  /* processes looked at: the caller and its ancestors */
#define BS_PEER_FDS_MAX 4096  /* descriptors looked at in one process */

/* "socket:[12345]" -> 12345. -EINVAL for anything else. */
int bs_peer_parse_socket_link(const char *link, uint64_t *ret_inode);
/* The PPid: line of a /proc/PID/status text. -EINVAL when missing or bad. */
int bs_peer_parse_ppid(const char *status, pid_t *ret_ppid);
/* The start time (field 22, in clock ticks since boot) of a /proc/PID/stat
 * text; the command name in parentheses may hold spaces and ')'. -EINVAL. */
int bs_peer_parse_starttime(const char *stat, uint64_t *ret_start);

/* Walks from pid up through its parents, below proc_root ("/proc", or a
 * directory laid out like it), looking for a process with an fd
 * linking to "socket:[inode]". pin: hold each process with a pidfd and
 * check it is still alive after its descriptors were read (only with the
 * real /proc). 1: found, *ret_holder and *ret_depth (0: pid itself) set;
 * 0: the walk reached pid 1 without finding it; -ESRCH: a process of the
 * chain is gone or was replaced; -ELOOP: more than BS_PEER_DEPTH_MAX
 * processes; -E2BIG: a process has more than BS_PEER_FDS_MAX descriptors
 * (*ret_holder names it); -EACCES etc. from /proc (*ret_holder names the
 * process). */
int bs_peer_find_holder(const char *proc_root, bool pin, pid_t pid, uint64_t inode, pid_t *ret_holder,
                        unsigned *ret_depth);

/* Whether process pid is on the TCP connection ssh names (the server end
 * is ours: its socket is looked up in this network namespace). 0: it is,
 * reason says through which process. -EPERM: it is not, or it cannot be
 * shown; reason says why. Other -errno: reason says what failed. */
int bs_peer_on_connection(pid_t pid, const bs_ssh_connection *ssh, char *reason, size_t reason_len);
