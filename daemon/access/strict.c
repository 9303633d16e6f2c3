/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "strict.h"
#include "utf8.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdarg.h>

#define SNAPSHOT_MAGIC "ctsnap1"

static unsigned alen(bs_family f) {
        return f == BS_FAMILY_IPV6 ? 16 : 4;
}

void bs_ct_snapshot_done(bs_ct_snapshot *s) {
        free(s->entries);
        s->entries = NULL;
        s->n = s->cap = 0;
}

static int snapshot_add(bs_ct_snapshot *s, const bs_ct_snapshot_entry *e) {
        if (s->n >= BS_CT_SNAPSHOT_MAX)
                return -E2BIG;
        int r = bs_grow((void **) &s->entries, &s->cap, s->n + 1, sizeof(*e));
        if (r < 0)
                return r;
        s->entries[s->n++] = *e;
        return 0;
}

/* Inbound (the post-DNAT destination is ours) to a management port. */
static bool inbound_management(const bs_conn *c, const bs_local_addrs *local, const bs_mgmt_ports *ports) {
        return bs_local_addrs_contains(local, c->family, c->reply.src) &&
               bs_mgmt_ports_contains(ports, c->l4proto, c->reply.sport);
}

/* Whether a confirmation could ever name this entry: bs_strict_check wants
 * TCP in ESTABLISHED. An entry past ESTABLISHED (FIN_WAIT, CLOSE_WAIT,
 * LAST_ACK, TIME_WAIT, CLOSE) never goes back to it: a new SYN on the same
 * tuple makes conntrack drop the entry and create another one, with another
 * id and start time, which is a new connection. An entry not yet
 * established (SYN_SENT, SYN_RECV) or of unknown state is kept: it may be
 * used later. */
static bool may_confirm_later(const bs_conn *c) {
        if (c->l4proto != IPPROTO_TCP)
                return false;
        if (!c->has_tcp_state)
                return true;
        switch (c->tcp_state) {
        case BS_TCP_STATE_FIN_WAIT:
        case BS_TCP_STATE_CLOSE_WAIT:
        case BS_TCP_STATE_LAST_ACK:
        case BS_TCP_STATE_TIME_WAIT:
        case BS_TCP_STATE_CLOSE:
                return false;
        default:
                return true;
        }
}

int bs_ct_snapshot_build(const bs_conn *conns, size_t n, const bs_local_addrs *local, const bs_mgmt_ports *ports,
                         uint64_t taken_ns, bs_ct_snapshot *ret) {
        bs_ct_snapshot s = { .taken_ns = taken_ns };
        for (size_t i = 0; i < n; i++) {
                const bs_conn *c = &conns[i];
                if (!inbound_management(c, local, ports) || !may_confirm_later(c))
                        continue;
                bs_ct_snapshot_entry e = { .id = c->id, .family = c->family, .l4proto = c->l4proto, .orig = c->orig };
                int r = snapshot_add(&s, &e);
                if (r < 0) {
                        bs_ct_snapshot_done(&s);
                        return r;
                }
        }
        *ret = s;
        return 0;
}

int bs_ct_snapshot_to_string(const bs_ct_snapshot *s, char **ret) {
        size_t cap = 64 + s->n * (2 * INET6_ADDRSTRLEN + 40);
        _cleanup_free_ char *buf = malloc(cap);
        if (!buf)
                return -ENOMEM;
        size_t len = (size_t) snprintf(buf, cap, SNAPSHOT_MAGIC " taken=%" PRIu64 " n=%zu", s->taken_ns, s->n);
        for (size_t i = 0; i < s->n; i++) {
                const bs_ct_snapshot_entry *e = &s->entries[i];
                int af = e->family == BS_FAMILY_IPV6 ? AF_INET6 : AF_INET;
                char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
                if (!inet_ntop(af, e->orig.src, a, sizeof(a)) || !inet_ntop(af, e->orig.dst, b, sizeof(b)))
                        return -EINVAL;
                int k = snprintf(buf + len, cap - len, " %" PRIu32 ",%d,%u,%s,%u,%s,%u", e->id, (int) e->family, e->l4proto,
                                 a, e->orig.sport, b, e->orig.dport);
                if (k < 0 || (size_t) k >= cap - len)
                        return -ENOBUFS;
                len += (size_t) k;
        }
        *ret = TAKE_PTR(buf);
        return 0;
}

/* A malformed snapshot: -EINVAL, err saying where. */
#define bad(err, errlen, ...) bs_seterr(err, errlen, -EINVAL, __VA_ARGS__)

/* A decimal number without sign or leading zeros, at most max. */
static int parse_uint(const char *s, size_t len, uint64_t max, uint64_t *ret) {
        if (len == 0 || len > 20 || (len > 1 && s[0] == '0'))
                return -EINVAL;
        uint64_t v = 0;
        for (size_t i = 0; i < len; i++) {
                if (s[i] < '0' || s[i] > '9')
                        return -EINVAL;
                unsigned d = (unsigned) (s[i] - '0');
                if (v > (UINT64_MAX - d) / 10)
                        return -EINVAL;
                v = v * 10 + d;
        }
        if (v > max)
                return -EINVAL;
        *ret = v;
        return 0;
}

static int parse_entry(char *w, size_t idx, bs_ct_snapshot_entry *e, char *err, size_t errlen) {
        char *f[7];
        size_t n = 0;
        for (char *p = w;;) {
                char *c = strchr(p, ',');
                if (n == 7)
                        return bad(err, errlen, "connection snapshot: entry %zu has more than 7 fields", idx + 1);
                f[n++] = p;
                if (!c)
                        break;
                *c = 0;
                p = c + 1;
        }
        if (n != 7)
                return bad(err, errlen, "connection snapshot: entry %zu has %zu fields, expected 7", idx + 1, n);
        uint64_t v;
        memset(e, 0, sizeof(*e));
        if (parse_uint(f[0], strlen(f[0]), UINT32_MAX, &v) < 0)
                return bad(err, errlen, "connection snapshot: entry %zu: bad conntrack id \"%s\"", idx + 1, f[0]);
        e->id = (uint32_t) v;
        if (streq(f[1], "4"))
                e->family = BS_FAMILY_IPV4;
        else if (streq(f[1], "6"))
                e->family = BS_FAMILY_IPV6;
        else
                return bad(err, errlen, "connection snapshot: entry %zu: bad family \"%s\" (4 or 6)", idx + 1, f[1]);
        if (parse_uint(f[2], strlen(f[2]), 255, &v) < 0 || v == 0)
                return bad(err, errlen, "connection snapshot: entry %zu: bad protocol \"%s\"", idx + 1, f[2]);
        e->l4proto = (uint8_t) v;
        int af = e->family == BS_FAMILY_IPV6 ? AF_INET6 : AF_INET;
        if (inet_pton(af, f[3], e->orig.src) != 1)
                return bad(err, errlen, "connection snapshot: entry %zu: bad source address \"%s\"", idx + 1, f[3]);
        if (parse_uint(f[4], strlen(f[4]), 65535, &v) < 0)
                return bad(err, errlen, "connection snapshot: entry %zu: bad source port \"%s\"", idx + 1, f[4]);
        e->orig.sport = (uint16_t) v;
        if (inet_pton(af, f[5], e->orig.dst) != 1)
                return bad(err, errlen, "connection snapshot: entry %zu: bad destination address \"%s\"", idx + 1, f[5]);
        if (parse_uint(f[6], strlen(f[6]), 65535, &v) < 0)
                return bad(err, errlen, "connection snapshot: entry %zu: bad destination port \"%s\"", idx + 1, f[6]);
        e->orig.dport = (uint16_t) v;
        return 0;
}

int bs_ct_snapshot_from_string(const char *line, bs_ct_snapshot *ret, char *err, size_t errlen) {
        if (!line)
                return bad(err, errlen, "connection snapshot is missing");
        size_t max = BS_CT_SNAPSHOT_TEXT_MAX;
        if (strlen(line) > max)
                return bad(err, errlen, "connection snapshot is too long");
        _cleanup_free_ char *buf = strdup(line);
        if (!buf)
                return -ENOMEM;

        char *save = NULL;
        char *w = strtok_r(buf, " ", &save);
        if (!w || !streq(w, SNAPSHOT_MAGIC))
                return bad(err, errlen, "connection snapshot: does not start with \"" SNAPSHOT_MAGIC "\"");
        w = strtok_r(NULL, " ", &save);
        uint64_t taken, count;
        if (!w || strncmp(w, "taken=", 6) != 0 || parse_uint(w + 6, strlen(w + 6), UINT64_MAX, &taken) < 0)
                return bad(err, errlen, "connection snapshot: bad or missing \"taken=NS\"");
        w = strtok_r(NULL, " ", &save);
        if (!w || strncmp(w, "n=", 2) != 0 || parse_uint(w + 2, strlen(w + 2), BS_CT_SNAPSHOT_MAX, &count) < 0)
                return bad(err, errlen, "connection snapshot: bad or missing \"n=COUNT\" (at most %d)", BS_CT_SNAPSHOT_MAX);

        bs_ct_snapshot s = { .taken_ns = taken };
        int r = 0;
        for (size_t i = 0;; i++) {
                w = strtok_r(NULL, " ", &save);
                if (!w) {
                        if (i != count)
                                r = bad(err, errlen, "connection snapshot: %zu entries, but n=%" PRIu64, i, count);
                        break;
                }
                if (i >= count) {
                        r = bad(err, errlen, "connection snapshot: more entries than n=%" PRIu64, count);
                        break;
                }
                bs_ct_snapshot_entry e;
                r = parse_entry(w, i, &e, err, errlen);
                if (r < 0)
                        break;
                r = snapshot_add(&s, &e);
                if (r < 0)
                        break;
        }
        if (r < 0) {
                bs_ct_snapshot_done(&s);
                return r;
        }
        *ret = s;
        return 0;
}

/* ---------------------------------------------------------------- check */

/* A rejection: -EPERM, reason saying why. */
#define reject(reason, len, ...) bs_seterr(reason, len, -EPERM, __VA_ARGS__)

static bool in_snapshot(const bs_ct_snapshot *s, const bs_conn *c) {
        for (size_t i = 0; s && i < s->n; i++) {
                const bs_ct_snapshot_entry *e = &s->entries[i];
                /* id 0: seen through the socket table, not conntrack (see
                 * sockets.c); then the tuple alone decides, which can only
                 * make a confirmation be rejected, never wrongly accepted. */
                bool same_id = e->id == c->id || e->id == 0 || c->id == 0;
                if (same_id && e->family == c->family && e->l4proto == c->l4proto &&
                    memcmp(e->orig.src, c->orig.src, 16) == 0 && memcmp(e->orig.dst, c->orig.dst, 16) == 0 &&
                    e->orig.sport == c->orig.sport && e->orig.dport == c->orig.dport)
                        return true;
        }
        return false;
}

int bs_strict_check(const char *ssh_connection, const bs_conn *conns, size_t n, const bs_ct_snapshot *at_apply,
                    const bs_local_addrs *local, const bs_mgmt_ports *ports, char *reason, size_t reason_len) {
        bs_ssh_connection ssh;
        int r = bs_ssh_connection_parse(ssh_connection, &ssh, reason, reason_len);
        if (r < 0)
                return r;

        /* The connection as the server's socket sees it: the reply tuple
         * (after DNAT/SNAT), from the server to the client. */
        const bs_conn *found = NULL;
        for (size_t i = 0; i < n; i++) {
                const bs_conn *c = &conns[i];
                if (c->family != ssh.family || c->l4proto != IPPROTO_TCP)
                        continue;
                if (memcmp(c->reply.src, ssh.server, alen(ssh.family)) != 0 || c->reply.sport != ssh.server_port ||
                    memcmp(c->reply.dst, ssh.client, alen(ssh.family)) != 0 || c->reply.dport != ssh.client_port)
                        continue;
                if (!found || (c->has_tcp_state && c->tcp_state == BS_TCP_STATE_ESTABLISHED))
                        found = c;
        }

        char what[BS_CONN_STRING_MAX];
        if (!found) {
                bs_conn probe = { .family = ssh.family, .l4proto = IPPROTO_TCP };
                memcpy(probe.orig.src, ssh.client, 16);
                memcpy(probe.orig.dst, ssh.server, 16);
                probe.orig.sport = ssh.client_port;
                probe.orig.dport = ssh.server_port;
                bs_conn_format(&probe, what);
                return reject(reason, reason_len, "the connection %s is not in the conntrack table", what);
        }
        bs_conn_format(found, what);
        if (!found->has_tcp_state || found->tcp_state != BS_TCP_STATE_ESTABLISHED)
                return reject(reason, reason_len, "the connection %s is in state %s, not ESTABLISHED", what,
                              found->has_tcp_state ? bs_tcp_state_to_string(found) : "unknown");
        /* The server end must be this host: conntrack also tracks the
         * connections a routing host forwards between two others. */
        if (!bs_local_addrs_contains(local, ssh.family, ssh.server)) {
                char a[INET6_ADDRSTRLEN];
                inet_ntop(ssh.family == BS_FAMILY_IPV6 ? AF_INET6 : AF_INET, ssh.server, a, sizeof(a));
                return reject(reason, reason_len,
                              "the connection %s ends at %s, not an address of this host: it proves nothing about "
                              "access to this host",
                              what, a);
        }
        if (!bs_mgmt_ports_contains(ports, IPPROTO_TCP, ssh.server_port)) {
                char list[256];
                bs_mgmt_ports_format(ports, list, sizeof(list));
                return reject(reason, reason_len, "the connection %s reaches port %u, which is not a management port (%s)",
                              what, ssh.server_port, list);
        }
        if (bs_local_addrs_contains(local, ssh.family, ssh.client)) {
                char a[INET6_ADDRSTRLEN];
                inet_ntop(ssh.family == BS_FAMILY_IPV6 ? AF_INET6 : AF_INET, ssh.client, a, sizeof(a));
                return reject(reason, reason_len,
                              "the connection %s comes from %s, an address of this host: it proves nothing about remote access",
                              what, a);
        }
        if (in_snapshot(at_apply, found))
                return reject(reason, reason_len,
                              "the connection %s was already open when the change was applied (conntrack id %" PRIu32
                              "): confirm through a new connection",
                              what, found->id);
        if (at_apply && at_apply->taken_ns > 0 && found->has_start && found->start_ns <= at_apply->taken_ns)
                return reject(reason, reason_len, "the connection %s started before the change was applied", what);
        if (reason && reason_len)
                snprintf(reason, reason_len, "the connection %s is a new management connection", what);
        return 0;
}
