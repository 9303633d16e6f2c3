/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The host's own addresses (getifaddrs), to tell inbound connections (to a
 * local address) from outbound ones, and to guess the interface a remote
 * address is reached through (the one whose connected subnet holds it). */

#include "rule.h"

typedef struct bs_local_addr {
        bs_family family;
        uint8_t addr[16];
        unsigned prefix_len;
        char ifname[IFNAMSIZ];
} bs_local_addr;

typedef struct bs_local_addrs {
        bs_local_addr *addrs;
        size_t n, cap;
} bs_local_addrs;

/* Every IPv4/IPv6 address of every interface of the current network
 * namespace. -errno from getifaddrs, -ENOMEM. */
int bs_local_addrs_get(bs_local_addrs *ret);
/* Add one by hand (tests, callers that know better). -ENOMEM, -EINVAL. */
int bs_local_addrs_add(bs_local_addrs *l, bs_family family, const uint8_t *addr, unsigned prefix_len,
                       const char *ifname);
void bs_local_addrs_done(bs_local_addrs *l);
#define _cleanup_local_addrs_ _cleanup_(bs_local_addrs_done)

/* Whether addr is one of ours. The loopback ranges (127.0.0.0/8, ::1) are
 * always local, as the kernel treats them, even when not listed. */
bool bs_local_addrs_contains(const bs_local_addrs *l, bs_family family, const uint8_t *addr) _pure_;
/* The interface whose connected subnet holds addr, when exactly one
 * interface's subnets do; NULL otherwise (reached through a router, or
 * ambiguous). Our own addresses (loopback included) give "lo": a packet
 * from one of them to us travels over lo. */
const char *bs_local_addrs_iface_for(const bs_local_addrs *l, bs_family family, const uint8_t *addr) _pure_;
/* Whether addr is a loopback address (127.0.0.0/8, ::1, ::ffff:127.0.0.0/104). */
bool bs_addr_is_loopback(bs_family family, const uint8_t *addr) _pure_;
