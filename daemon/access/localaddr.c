/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "localaddr.h"

#include <ifaddrs.h>
#include <netinet/in.h>

static unsigned alen(bs_family f) {
        return f == BS_FAMILY_IPV6 ? 16 : 4;
}

static unsigned mask_prefix(const uint8_t *mask, unsigned len) {
        unsigned n = 0;
        for (unsigned i = 0; i < len; i++)
                n += (unsigned) __builtin_popcount(mask[i]);
        return n;
}

static bool in_prefix(const uint8_t *a, const uint8_t *net, unsigned prefix, unsigned len) {
        for (unsigned i = 0; i < len; i++) {
                unsigned bits = prefix >= 8 ? 8 : prefix;
                uint8_t m = bits ? (uint8_t) (0xffu << (8 - bits)) : 0;
                if ((a[i] & m) != (net[i] & m))
                        return false;
                prefix -= bits;
        }
        return true;
}

bool bs_addr_is_loopback(bs_family family, const uint8_t *addr) {
        static const uint8_t v6lo[16] = { [15] = 1 };
        static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };
        if (family == BS_FAMILY_IPV4)
                return addr[0] == 127;
        return memcmp(addr, v6lo, 16) == 0 || (memcmp(addr, mapped, 12) == 0 && addr[12] == 127);
}

int bs_local_addrs_add(bs_local_addrs *l, bs_family family, const uint8_t *addr, unsigned prefix_len,
                       const char *ifname) {
        if ((family != BS_FAMILY_IPV4 && family != BS_FAMILY_IPV6) || prefix_len > alen(family) * 8)
                return -EINVAL;
        if (ifname && strlen(ifname) >= IFNAMSIZ)
                return -EINVAL;
        int r = bs_grow((void **) &l->addrs, &l->cap, l->n + 1, sizeof(bs_local_addr));
        if (r < 0)
                return r;
        bs_local_addr *a = &l->addrs[l->n++];
        memset(a, 0, sizeof(*a));
        a->family = family;
        memcpy(a->addr, addr, alen(family));
        a->prefix_len = prefix_len;
        snprintf(a->ifname, sizeof(a->ifname), "%s", ifname ? ifname : "");
        return 0;
}

static void freeifaddrsp(struct ifaddrs **p) {
        if (*p)
                freeifaddrs(*p);
}

int bs_local_addrs_get(bs_local_addrs *ret) {
        _cleanup_(freeifaddrsp) struct ifaddrs *ifa = NULL;
        if (getifaddrs(&ifa) < 0)
                return -errno;
        bs_local_addrs l = { 0 };
        for (struct ifaddrs *i = ifa; i; i = i->ifa_next) {
                if (!i->ifa_addr)
                        continue;
                int r = 0;
                if (i->ifa_addr->sa_family == AF_INET) {
                        const struct sockaddr_in *s = (const struct sockaddr_in *) i->ifa_addr;
                        const struct sockaddr_in *m = (const struct sockaddr_in *) i->ifa_netmask;
                        unsigned p = m ? mask_prefix((const uint8_t *) &m->sin_addr, 4) : 32;
                        r = bs_local_addrs_add(&l, BS_FAMILY_IPV4, (const uint8_t *) &s->sin_addr, p, i->ifa_name);
                } else if (i->ifa_addr->sa_family == AF_INET6) {
                        const struct sockaddr_in6 *s = (const struct sockaddr_in6 *) i->ifa_addr;
                        const struct sockaddr_in6 *m = (const struct sockaddr_in6 *) i->ifa_netmask;
                        unsigned p = m ? mask_prefix((const uint8_t *) &m->sin6_addr, 16) : 128;
                        r = bs_local_addrs_add(&l, BS_FAMILY_IPV6, (const uint8_t *) &s->sin6_addr, p,
                                               i->ifa_name);
                }
                if (r < 0) {
                        bs_local_addrs_done(&l);
                        return r;
                }
        }
        *ret = l;
        return 0;
}

void bs_local_addrs_done(bs_local_addrs *l) {
        free(l->addrs);
        l->addrs = NULL;
        l->n = l->cap = 0;
}

bool bs_local_addrs_contains(const bs_local_addrs *l, bs_family family, const uint8_t *addr) {
        if (bs_addr_is_loopback(family, addr))
                return true;
        for (size_t i = 0; l && i < l->n; i++)
                if (l->addrs[i].family == family && memcmp(l->addrs[i].addr, addr, alen(family)) == 0)
                        return true;
        return false;
}

const char *bs_local_addrs_iface_for(const bs_local_addrs *l, bs_family family, const uint8_t *addr) {
        /* Packets from one of our own addresses to us travel over lo. */
        if (bs_local_addrs_contains(l, family, addr))
                return "lo";
        const char *found = NULL;
        for (size_t i = 0; l && i < l->n; i++) {
                const bs_local_addr *a = &l->addrs[i];
                if (a->family != family || !a->ifname[0])
                        continue;
                /* a /32 or /128 (point-to-point or host route) says nothing about neighbours */
                if (a->prefix_len == alen(family) * 8 && memcmp(a->addr, addr, alen(family)) != 0)
                        continue;
                if (!in_prefix(addr, a->addr, a->prefix_len, alen(family)))
                        continue;
                if (found && !streq(found, a->ifname))
                        return NULL; /* two interfaces claim it */
                found = a->ifname;
        }
        return found;
}
