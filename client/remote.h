/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* With -H, the SSH connection our bus goes over, as the remote host's
 * SSH_CONNECTION names it: "CLIENT_ADDR CLIENT_PORT SERVER_ADDR SERVER_PORT".
 * sd-bus runs ssh as our child; its established TCP socket, looked up in
 * /proc/net/tcp and tcp6 by inode, gives both ends. That is what the server
 * sees unless an address translation, a jump host or a shared (multiplexed)
 * ssh connection lies between: then the connection is not found (or names
 * what the server does not see) and a strict confirmation is rejected. */

/* *ret allocated. -ENOENT: no child holds an established TCP connection;
 * -ENOTUNIQ: more than one does; other -errno from /proc. */
int remote_ssh_connection(char **ret);

/* Parses one line of /proc/net/tcp (ipv6 false) or tcp6: its inode, and,
 * when it is ESTABLISHED, "LOCAL_ADDR LOCAL_PORT REMOTE_ADDR REMOTE_PORT"
 * into buf (IPv4-mapped IPv6 addresses as IPv4, as sshd shows them).
 * 1: established; 0: another state; -EINVAL: not such a line. */
int remote_parse_tcp_line(const char *line, bool ipv6, unsigned long *ret_inode, char *buf, size_t size);
