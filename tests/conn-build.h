/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Hand-built conntrack entries and local addresses for the lockout and
 * strict tests. */

#include <string.h>

#include "access-build.h"
#include "conntrack.h"
#include "localaddr.h"

/* A TCP connection src:sport -> dst:dport in TCP state state, with the
 * reply tuple mirrored; status and id are left 0 for the caller. */
static inline bs_conn ab_tcp_conn(bs_family f, const char *src, uint16_t sport, const char *dst, uint16_t dport,
                                  uint8_t state) {
        bs_conn c = { 0 };
        c.family = f;
        c.l4proto = IPPROTO_TCP;
        ab_ip(c.orig.src, f, src);
        ab_ip(c.orig.dst, f, dst);
        c.orig.sport = sport;
        c.orig.dport = dport;
        memcpy(c.reply.src, c.orig.dst, 16);
        memcpy(c.reply.dst, c.orig.src, 16);
        c.reply.sport = dport;
        c.reply.dport = sport;
        c.has_tcp_state = true;
        c.tcp_state = state;
        return c;
}

/* Add text/prefix on ifname to l (asserts). */
static inline void ab_local_addr(bs_local_addrs *l, bs_family f, const char *text, unsigned prefix,
                                 const char *ifname) {
        uint8_t a[16];
        ab_ip(a, f, text);
        g_assert_cmpint(bs_local_addrs_add(l, f, a, prefix, ifname), ==, 0);
}
