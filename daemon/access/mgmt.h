/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What "management access" is: a set of (protocol, port) pairs (22/tcp by
 * default) plus the caller's own SSH connection, given as the
 * SSH_CONNECTION string "CLIENT_IP CLIENT_PORT SERVER_IP SERVER_PORT". */

#include "rule.h"

typedef struct bs_l4port {
        uint8_t proto;  /* IPPROTO_TCP, IPPROTO_UDP */
        uint16_t port;  /* 1..65535 */
} bs_l4port;

#define BS_MGMT_PORTS_MAX 64
#define BS_MGMT_DEFAULT_PORT 22

typedef struct bs_mgmt_ports {
        bs_l4port ports[BS_MGMT_PORTS_MAX];
        size_t n;
} bs_mgmt_ports;

/* 22/tcp only. */
void bs_mgmt_ports_default(bs_mgmt_ports *m);
/* Add (proto, port) unless present. -EINVAL (port 0, protocol not tcp/udp),
 * -E2BIG (full). */
int bs_mgmt_ports_add(bs_mgmt_ports *m, uint8_t proto, uint16_t port);
bool bs_mgmt_ports_contains(const bs_mgmt_ports *m, uint8_t proto, uint16_t port) _pure_;
/* "22/tcp, 2222/tcp" into buf. */
void bs_mgmt_ports_format(const bs_mgmt_ports *m, char *buf, size_t n);
/* Parse "PORT" (tcp) or "PORT/tcp" / "PORT/udp", port 1-65535. -EINVAL
 * otherwise. */
int bs_mgmt_port_parse(const char *spec, uint8_t *ret_proto, uint16_t *ret_port);
/* Parse "tcp" / "udp" (as in the D-Bus (sq) pairs). -EINVAL otherwise. */
int bs_l4proto_from_string(const char *s, uint8_t *ret);

/* A parsed SSH_CONNECTION. Both addresses have the same family; an
 * IPv4-mapped IPv6 address is turned into IPv4 (the conntrack view); an
 * IPv6 zone ("%eth0") is kept apart in the scope fields. */
typedef struct bs_ssh_connection {
        bs_family family;
        uint8_t client[16], server[16];
        uint16_t client_port, server_port;
        char client_scope[IFNAMSIZ], server_scope[IFNAMSIZ];
} bs_ssh_connection;

#define BS_SSH_CONNECTION_MAX 256
/* Strict: exactly four fields separated by single spaces, numeric
 * addresses, decimal ports 1..65535 without sign or leading zeros. On
 * -EINVAL, err (when not NULL) holds a sentence naming what was wrong. */
int bs_ssh_connection_parse(const char *s, bs_ssh_connection *ret, char *err, size_t errlen);
/* Add the server port of an SSH connection as tcp. */
int bs_mgmt_ports_add_ssh(bs_mgmt_ports *m, const bs_ssh_connection *c);
