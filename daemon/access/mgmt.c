/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "mgmt.h"
#include "utf8.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>

void bs_mgmt_ports_default(bs_mgmt_ports *m) {
        memset(m, 0, sizeof(*m));
        m->ports[0] = (bs_l4port){ IPPROTO_TCP, BS_MGMT_DEFAULT_PORT };
        m->n = 1;
}

bool bs_mgmt_ports_contains(const bs_mgmt_ports *m, uint8_t proto, uint16_t port) {
        for (size_t i = 0; i < m->n; i++)
                if (m->ports[i].proto == proto && m->ports[i].port == port)
                        return true;
        return false;
}

int bs_mgmt_ports_add(bs_mgmt_ports *m, uint8_t proto, uint16_t port) {
        if (port == 0 || (proto != IPPROTO_TCP && proto != IPPROTO_UDP))
                return -EINVAL;
        if (bs_mgmt_ports_contains(m, proto, port))
                return 0;
        if (m->n >= BS_MGMT_PORTS_MAX)
                return -E2BIG;
        m->ports[m->n++] = (bs_l4port){ proto, port };
        return 0;
}

void bs_mgmt_ports_format(const bs_mgmt_ports *m, char *buf, size_t n) {
        size_t len = 0;
        if (n == 0)
                return;
        buf[0] = 0;
        for (size_t i = 0; i < m->n && len < n; i++) {
                int k = snprintf(buf + len, n - len, "%s%u/%s", i ? ", " : "", m->ports[i].port,
                                 m->ports[i].proto == IPPROTO_UDP ? "udp" : "tcp");
                if (k < 0)
                        return;
                len += (size_t) k;
        }
}

int bs_l4proto_from_string(const char *s, uint8_t *ret) {
        if (streq(s, "tcp"))
                *ret = IPPROTO_TCP;
        else if (streq(s, "udp"))
                *ret = IPPROTO_UDP;
        else
                return -EINVAL;
        return 0;
}

int bs_mgmt_port_parse(const char *spec, uint8_t *ret_proto, uint16_t *ret_port) {
        if (!spec || !*spec || strlen(spec) > 16)
                return -EINVAL;
        char buf[17];
        strcpy(buf, spec);
        uint8_t proto = IPPROTO_TCP;
        char *slash = strchr(buf, '/');
        if (slash) {
                *slash = 0;
                if (bs_l4proto_from_string(slash + 1, &proto) < 0)
                        return -EINVAL;
        }
        if (!*buf || strspn(buf, "0123456789") != strlen(buf) || strlen(buf) > 5)
                return -EINVAL;
        unsigned long v = strtoul(buf, NULL, 10);
        if (v == 0 || v > 65535)
                return -EINVAL;
        *ret_proto = proto;
        *ret_port = (uint16_t) v;
        return 0;
}

/* A malformed argument: -EINVAL, err saying how. */
#define fail(err, errlen, ...) bs_seterr(err, errlen, -EINVAL, __VA_ARGS__)

static int parse_port(const char *w, uint16_t *ret) {
        size_t n = strlen(w);
        if (n == 0 || n > 5 || (n > 1 && w[0] == '0'))
                return -EINVAL;
        unsigned v = 0;
        for (size_t i = 0; i < n; i++) {
                if (w[i] < '0' || w[i] > '9')
                        return -EINVAL;
                v = v * 10 + (unsigned) (w[i] - '0');
        }
        if (v == 0 || v > 65535)
                return -EINVAL;
        *ret = (uint16_t) v;
        return 0;
}

/* An address with an optional IPv6 zone. Returns the family or -EINVAL. */
static int parse_addr(const char *w, uint8_t out[16], char scope[IFNAMSIZ]) {
        char buf[INET6_ADDRSTRLEN + IFNAMSIZ + 1];
        if (strlen(w) >= sizeof(buf))
                return -EINVAL;
        strcpy(buf, w);
        scope[0] = 0;
        char *pct = strchr(buf, '%');
        if (pct) {
                *pct++ = 0;
                size_t k = strlen(pct);
                if (k == 0 || k >= IFNAMSIZ)
                        return -EINVAL;
                for (size_t i = 0; i < k; i++)
                        if (pct[i] <= ' ' || pct[i] == '/' || pct[i] > '~')
                                return -EINVAL;
                strcpy(scope, pct);
        }
        memset(out, 0, 16);
        if (!pct && inet_pton(AF_INET, buf, out) == 1)
                return BS_FAMILY_IPV4;
        if (inet_pton(AF_INET6, buf, out) == 1) {
                static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };
                if (memcmp(out, mapped, 12) == 0 && !pct) {
                        memmove(out, out + 12, 4);
                        memset(out + 4, 0, 12);
                        return BS_FAMILY_IPV4;
                }
                return BS_FAMILY_IPV6;
        }
        return -EINVAL;
}

int bs_ssh_connection_parse(const char *s, bs_ssh_connection *ret, char *err, size_t errlen) {
        if (!s)
                return fail(err, errlen, "SSH_CONNECTION is missing");
        size_t len = strlen(s);
        if (len == 0)
                return fail(err, errlen, "SSH_CONNECTION is empty");
        if (len > BS_SSH_CONNECTION_MAX)
                return fail(err, errlen, "SSH_CONNECTION is too long (%zu bytes, at most %d)", len,
                            BS_SSH_CONNECTION_MAX);

        for (const char *c = s; *c; c++)
                if ((unsigned char) *c < 0x20 || (unsigned char) *c > 0x7e)
                        return fail(err, errlen, "SSH_CONNECTION contains a control or non-ASCII character at byte %zu",
                                    (size_t) (c - s) + 1);

        /* Split on single spaces; an empty field means a doubled, leading or trailing space. */
        char buf[BS_SSH_CONNECTION_MAX + 1];
        strcpy(buf, s);
        char *w[4];
        size_t n = 0;
        char *p = buf;
        for (;;) {
                char *sp = strchr(p, ' ');
                if (sp)
                        *sp = 0;
                if (!*p)
                        return fail(err, errlen,
                                    "SSH_CONNECTION: field %zu is empty (fields are separated by single spaces)", n + 1);
                if (n < 4)
                        w[n] = p;
                n++;
                if (!sp)
                        break;
                p = sp + 1;
        }
        if (n != 4)
                return fail(err, errlen,
                            "SSH_CONNECTION has %zu field%s, expected 4: \"CLIENT_IP CLIENT_PORT SERVER_IP SERVER_PORT\"",
                            n, n == 1 ? "" : "s");

        bs_ssh_connection c = { 0 };
        int fc = parse_addr(w[0], c.client, c.client_scope);
        if (fc < 0)
                return fail(err, errlen, "SSH_CONNECTION: \"%s\" is not a numeric IP address (client address)", w[0]);
        if (parse_port(w[1], &c.client_port) < 0)
                return fail(err, errlen, "SSH_CONNECTION: \"%s\" is not a port 1..65535 (client port)", w[1]);
        int fs = parse_addr(w[2], c.server, c.server_scope);
        if (fs < 0)
                return fail(err, errlen, "SSH_CONNECTION: \"%s\" is not a numeric IP address (server address)", w[2]);
        if (parse_port(w[3], &c.server_port) < 0)
                return fail(err, errlen, "SSH_CONNECTION: \"%s\" is not a port 1..65535 (server port)", w[3]);
        if (fc != fs)
                return fail(err, errlen, "SSH_CONNECTION: the client address %s and the server address %s are of different families",
                            w[0], w[2]);
        c.family = (bs_family) fc;
        *ret = c;
        return 0;
}

int bs_mgmt_ports_add_ssh(bs_mgmt_ports *m, const bs_ssh_connection *c) {
        return bs_mgmt_ports_add(m, IPPROTO_TCP, c->server_port);
}
