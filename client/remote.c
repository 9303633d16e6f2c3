/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "remote.h"

#define MAX_SOCKETS 256      /* socket descriptors looked at, of all children */
#define TCP_ESTABLISHED_HEX 0x01

/* The parent pid of process pid (from /proc/PID/stat), or -1. */
static pid_t parent_of(const char *pid) {
        char path[300], buf[1024];
        snprintf(path, sizeof(path), "/proc/%s/stat", pid);
        FILE *f = fopen(path, "re");
        if (!f)
                return -1;
        size_t n = fread(buf, 1, sizeof(buf) - 1, f);
        fclose(f);
        buf[n] = '\0';
        /* "PID (COMM) STATE PPID ...": COMM may hold anything, even ')' */
        const char *p = strrchr(buf, ')');
        int ppid;
        char state;
        if (!p || sscanf(p + 1, " %c %d", &state, &ppid) != 2)
                return -1;
        return ppid;
}

/* Adds the socket inodes of process pid's descriptors to inodes. */
static void add_socket_inodes(const char *pid, unsigned long *inodes, size_t *n) {
        char path[300];
        snprintf(path, sizeof(path), "/proc/%s/fd", pid);
        DIR *d = opendir(path);
        if (!d)
                return;
        struct dirent *e;
        while ((e = readdir(d)) && *n < MAX_SOCKETS) {
                char link[600], target[64];
                if (e->d_name[0] == '.')
                        continue;
                snprintf(link, sizeof(link), "%s/%s", path, e->d_name);
                ssize_t len = readlink(link, target, sizeof(target) - 1);
                if (len <= 0)
                        continue;
                target[len] = '\0';
                unsigned long inode;
                if (sscanf(target, "socket:[%lu]", &inode) == 1)
                        inodes[(*n)++] = inode;
        }
        closedir(d);
}

/* An address of /proc/net/tcp{,6}: the kernel prints the raw 32-bit words
 * of the address in host byte order. */
static int parse_address(const char *hex, size_t len, bool ipv6, char *buf, size_t size) {
        size_t words = ipv6 ? 4 : 1;
        uint32_t w[4];
        if (len != words * 8)
                return -EINVAL;
        for (size_t i = 0; i < words; i++) {
                char part[9];
                memcpy(part, hex + i * 8, 8);
                part[8] = '\0';
                char *end;
                w[i] = (uint32_t) strtoul(part, &end, 16);
                if (*end)
                        return -EINVAL;
        }
        struct in6_addr a6;
        if (ipv6) {
                memcpy(&a6, w, sizeof(a6));
                if (!IN6_IS_ADDR_V4MAPPED(&a6))
                        return inet_ntop(AF_INET6, &a6, buf, (socklen_t) size) ? 0 : -EINVAL;
                memcpy(&w[0], &a6.s6_addr[12], 4);
        }
        struct in_addr a4;
        memcpy(&a4, &w[0], 4);
        return inet_ntop(AF_INET, &a4, buf, (socklen_t) size) ? 0 : -EINVAL;
}

/* "ADDRHEX:PORTHEX" */
static int parse_endpoint(const char *s, bool ipv6, char *addr, size_t size, unsigned *ret_port) {
        const char *colon = strchr(s, ':');
        char *end;
        if (!colon || parse_address(s, (size_t) (colon - s), ipv6, addr, size) < 0)
                return -EINVAL;
        unsigned long port = strtoul(colon + 1, &end, 16);
        if (end == colon + 1 || port > 65535)
                return -EINVAL;
        *ret_port = (unsigned) port;
        return 0;
}

int remote_parse_tcp_line(const char *line, bool ipv6, unsigned long *ret_inode, char *buf, size_t size) {
        char local[64], remote[64], laddr[INET6_ADDRSTRLEN], raddr[INET6_ADDRSTRLEN];
        unsigned state, lport, rport;
        unsigned long inode;
        /* sl local rem st tx:rx tr:when retrnsmt uid timeout inode */
        if (sscanf(line, " %*[0-9]: %63s %63s %x %*s %*s %*s %*u %*u %lu", local, remote, &state, &inode) != 4)
                return -EINVAL;
        *ret_inode = inode;
        if (state != TCP_ESTABLISHED_HEX)
                return 0;
        if (parse_endpoint(local, ipv6, laddr, sizeof(laddr), &lport) < 0 ||
            parse_endpoint(remote, ipv6, raddr, sizeof(raddr), &rport) < 0)
                return -EINVAL;
        if ((size_t) snprintf(buf, size, "%s %u %s %u", laddr, lport, raddr, rport) >= size)
                return -EINVAL;
        return 1;
}

/* Looks the inodes up in one table; counts the established connections
 * found, the first into buf. */
static int find_in_table(const char *path, bool ipv6, const unsigned long *inodes, size_t n, char *buf, size_t size,
                         size_t *found) {
        FILE *f = fopen(path, "re");
        if (!f)
                return errno == ENOENT ? 0 : -errno;
        char line[512], conn[160];
        bool header = true;
        while (fgets(line, sizeof(line), f)) {
                unsigned long inode;
                if (header) {
                        header = false;
                        continue;
                }
                if (remote_parse_tcp_line(line, ipv6, &inode, conn, sizeof(conn)) != 1 || inode == 0)
                        continue;
                for (size_t i = 0; i < n; i++)
                        if (inodes[i] == inode) {
                                if ((*found)++ == 0)
                                        snprintf(buf, size, "%s", conn);
                                break;
                        }
        }
        fclose(f);
        return 0;
}

int remote_ssh_connection(char **ret) {
        unsigned long inodes[MAX_SOCKETS];
        size_t n = 0, found = 0;
        pid_t self = getpid();

        DIR *d = opendir("/proc");
        if (!d)
                return -errno;
        struct dirent *e;
        while ((e = readdir(d)))
                if (isdigit((unsigned char) e->d_name[0]) && parent_of(e->d_name) == self)
                        add_socket_inodes(e->d_name, inodes, &n);
        closedir(d);

        char conn[160];
        int r = find_in_table("/proc/self/net/tcp", false, inodes, n, conn, sizeof(conn), &found);
        if (r == 0)
                r = find_in_table("/proc/self/net/tcp6", true, inodes, n, conn, sizeof(conn), &found);
        if (r < 0)
                return r;
        if (found == 0)
                return -ENOENT;
        if (found > 1)
                return -ENOTUNIQ;
        *ret = strdup(conn);
        return *ret ? 0 : -ENOMEM;
}
