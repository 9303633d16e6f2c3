/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "peer.h"

#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/syscall.h>

#include "conntrack.h"
#include "fileio.h"
#include "utf8.h"

/* Decimal digits at s (no sign), up to a character not a digit; *end
 * after them. -EINVAL when none or past max. */
static int parse_decimal(const char *s, uint64_t max, const char **end, uint64_t *ret) {
        uint64_t v = 0;
        const char *p = s;
        for (; *p >= '0' && *p <= '9'; p++) {
                unsigned d = (unsigned) (*p - '0');
                if (v > (max - d) / 10)
                        return -EINVAL;
                v = v * 10 + d;
        }
        if (p == s)
                return -EINVAL;
        *end = p;
        *ret = v;
        return 0;
}

int bs_peer_parse_socket_link(const char *link, uint64_t *ret_inode) {
        static const char prefix[] = "socket:[";
        if (strncmp(link, prefix, sizeof(prefix) - 1) != 0)
                return -EINVAL;
        const char *end;
        uint64_t v;
        if (parse_decimal(link + sizeof(prefix) - 1, UINT64_MAX, &end, &v) < 0 || !streq(end, "]"))
                return -EINVAL;
        *ret_inode = v;
        return 0;
}

int bs_peer_parse_ppid(const char *status, pid_t *ret_ppid) {
        for (const char *line = status; line && *line;) {
                if (strncmp(line, "PPid:", 5) == 0) {
                        const char *p = line + 5, *end;
                        p += strspn(p, " \t");
                        uint64_t v;
                        if (parse_decimal(p, INT32_MAX, &end, &v) < 0 || (*end != '\n' && *end != 0))
                                return -EINVAL;
                        *ret_ppid = (pid_t) v;
                        return 0;
                }
                line = strchr(line, '\n');
                if (line)
                        line++;
        }
        return -EINVAL;
}

int bs_peer_parse_starttime(const char *stat, uint64_t *ret_start) {
        /* "PID (COMM) STATE PPID ...": COMM may hold anything, the last ')'
         * ends it; STATE is field 3, the start time field 22. */
        const char *p = strrchr(stat, ')');
        if (!p)
                return -EINVAL;
        p++;
        for (int field = 3; field <= 22; field++) {
                if (*p != ' ')
                        return -EINVAL;
                p++;
                if (field == 22) {
                        const char *end;
                        uint64_t v;
                        if (parse_decimal(p, UINT64_MAX, &end, &v) < 0 || (*end != ' ' && *end != '\n' && *end != 0))
                                return -EINVAL;
                        *ret_start = v;
                        return 0;
                }
                size_t n = strcspn(p, " \n");
                if (n == 0)
                        return -EINVAL;
                p += n;
        }
        return -EINVAL;
}

/* proc_root/PID/name (at most 64 KiB: status and stat are far smaller). */
static int read_proc_text(const char *proc_root, pid_t pid, const char *name, char **ret) {
        char path[64];
        snprintf(path, sizeof(path), "%d/%s", (int) pid, name);
        return bs_read_file(proc_root, path, 65536, ret, NULL);
}

/* 1: an fd of pid links to socket:[inode]; 0: none does. */
static int holds_socket(const char *proc_root, pid_t pid, uint64_t inode) {
        char path[PATH_MAX];
        if (snprintf(path, sizeof(path), "%s/%d/fd", proc_root, (int) pid) >= (int) sizeof(path))
                return -ENAMETOOLONG;
        int dfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return -errno;
        DIR *d = fdopendir(dfd);
        if (!d) {
                int r = -errno;
                close(dfd);
                return r;
        }
        int r = 0;
        unsigned seen = 0;
        for (;;) {
                errno = 0;
                struct dirent *de = readdir(d);
                if (!de) {
                        r = errno ? -errno : 0;
                        break;
                }
                if (de->d_name[0] == '.')
                        continue;
                if (++seen > BS_PEER_FDS_MAX) {
                        r = -E2BIG;
                        break;
                }
                char link[64];
                ssize_t k = readlinkat(dirfd(d), de->d_name, link, sizeof(link) - 1);
                if (k < 0 && errno == ENOENT)
                        continue; /* closed meanwhile */
                if (k < 0) {
                        r = -errno;
                        break;
                }
                link[k] = 0;
                uint64_t v;
                if (bs_peer_parse_socket_link(link, &v) == 0 && v == inode) {
                        r = 1;
                        break;
                }
        }
        closedir(d);
        return r;
}

/* A pidfd answers POLLIN once its process has exited. */
static bool pidfd_alive(int pidfd) {
        struct pollfd p = { .fd = pidfd, .events = POLLIN };
        return pidfd < 0 || poll(&p, 1, 0) == 0;
}

typedef struct pinned {
        int fds[BS_PEER_DEPTH_MAX];
        size_t n;
} pinned;

static void pinned_done(pinned *p) {
        for (size_t i = 0; i < p->n; i++)
                if (p->fds[i] >= 0)
                        close(p->fds[i]);
}

static bool pinned_alive(const pinned *p) {
        for (size_t i = 0; i < p->n; i++)
                if (!pidfd_alive(p->fds[i]))
                        return false;
        return true;
}

int bs_peer_find_holder(const char *proc_root, bool pin, pid_t pid, uint64_t inode, pid_t *ret_holder,
                        unsigned *ret_depth) {
        _cleanup_(pinned_done) pinned chain = { .n = 0 };
        uint64_t child_start = UINT64_MAX;
        pid_t cur = pid;
        for (unsigned depth = 0;; depth++) {
                if (cur <= 1)
                        return 0;
                if (depth >= BS_PEER_DEPTH_MAX)
                        return -ELOOP;
                *ret_holder = cur;
                int pidfd = -1;
                if (pin) {
                        /* Without pidfds (old kernel, or a seccomp filter
                         * refusing them) the start-time order below is
                         * the only guard against a reused pid. */
                        pidfd = (int) syscall(SYS_pidfd_open, cur, 0);
                        if (pidfd < 0 && errno != ENOSYS && errno != EPERM)
                                return errno == ESRCH ? -ESRCH : -errno;
                }
                chain.fds[chain.n++] = pidfd;

                _cleanup_free_ char *stat = NULL, *status = NULL;
                uint64_t start;
                pid_t ppid;
                int r = read_proc_text(proc_root, cur, "stat", &stat);
                if (r >= 0)
                        r = bs_peer_parse_starttime(stat, &start);
                if (r >= 0)
                        r = read_proc_text(proc_root, cur, "status", &status);
                if (r >= 0)
                        r = bs_peer_parse_ppid(status, &ppid);
                if (r == -ENOENT || r == -ESRCH)
                        return -ESRCH;
                if (r < 0)
                        return r;
                /* A parent always started before its child: a later start
                 * is another process that got the parent's pid. */
                if (start > child_start)
                        return -ESRCH;
                r = holds_socket(proc_root, cur, inode);
                if (r == -ENOENT || r == -ESRCH)
                        return -ESRCH;
                if (r < 0)
                        return r;
                /* What was read is this process's only if it is still the
                 * one pinned, and the chain below it still stands. */
                if (!pinned_alive(&chain))
                        return -ESRCH;
                if (r > 0) {
                        *ret_depth = depth;
                        return 1;
                }
                child_start = start;
                cur = ppid;
        }
}

int bs_peer_on_connection(pid_t pid, const bs_ssh_connection *ssh, char *reason, size_t reason_len) {
        bs_conn probe = { .family = ssh->family, .l4proto = IPPROTO_TCP };
        memcpy(probe.orig.src, ssh->client, 16);
        memcpy(probe.orig.dst, ssh->server, 16);
        probe.orig.sport = ssh->client_port;
        probe.orig.dport = ssh->server_port;
        char what[BS_CONN_STRING_MAX];
        bs_conn_format(&probe, what);

        /* a link-local server address names its interface ("%eth0") */
        unsigned ifindex = 0;
        if (ssh->server_scope[0] && !(ifindex = if_nametoindex(ssh->server_scope)))
                return bs_seterr(reason, reason_len, -EPERM, "the connection %s: no interface \"%s\" on this host",
                                 what, ssh->server_scope);
        uint64_t inode;
        int r = bs_sockets_tcp_established_inode(ssh->family, ssh->server, ssh->server_port, ssh->client,
                                                 ssh->client_port, ifindex, &inode);
        if (r == -ENOENT)
                return bs_seterr(reason, reason_len, -EPERM,
                                 "the connection %s has no established socket on this host", what);
        if (r < 0)
                return bs_seterr(reason, reason_len, r, "cannot look up the socket of %s: %s", what, strerror(-r));

        pid_t holder = 0;
        unsigned depth = 0;
        r = bs_peer_find_holder("/proc", true, pid, inode, &holder, &depth);
        if (r > 0)
                return bs_seterr(reason, reason_len, 0,
                                 "the caller (pid %d) is on the connection %s (socket held by pid %d)", (int) pid, what,
                                 (int) holder);
        if (r == 0)
                return bs_seterr(reason, reason_len, -EPERM,
                                 "the caller (pid %d) is not on the connection %s: neither it nor any of its parent "
                                 "processes holds that connection's socket; run the confirmation from inside that "
                                 "SSH session",
                                 (int) pid, what);
        if (r == -ESRCH)
                return bs_seterr(reason, reason_len, -EPERM,
                                 "the caller (pid %d) or one of its parent processes exited while it was being "
                                 "checked against the connection %s",
                                 (int) pid, what);
        if (r == -ELOOP)
                return bs_seterr(reason, reason_len, -EPERM,
                                 "the caller (pid %d) has more than %d parent processes: not on the connection %s",
                                 (int) pid, BS_PEER_DEPTH_MAX, what);
        if (r == -E2BIG)
                return bs_seterr(reason, reason_len, -EPERM,
                                 "process %d, the caller (pid %d) or one of its parents, has more than %d open "
                                 "descriptors: cannot show the caller is on the connection %s",
                                 (int) holder, (int) pid, BS_PEER_FDS_MAX, what);
        if (r == -EACCES || r == -EPERM)
                return bs_seterr(reason, reason_len, -EPERM,
                                 "cannot look at the descriptors of process %d, the caller (pid %d) or a parent: %s "
                                 "(the daemon needs CAP_SYS_PTRACE and CAP_DAC_READ_SEARCH)",
                                 (int) holder, (int) pid, strerror(-r));
        return bs_seterr(reason, reason_len, r, "cannot look at process %d, the caller (pid %d) or a parent: %s",
                         (int) holder, (int) pid, strerror(-r));
}
