/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Addresses and masks as iptables reads and prints them. Host names are
 * refused: a firewall daemon does not resolve names. */
#include "text-internal.h"

#include <arpa/inet.h>
#include <ctype.h>

unsigned text_addr_len(bs_family f) {
        return f == BS_FAMILY_IPV6 ? 16 : 4;
}

/* One dotted part of len bytes, 0-255 in base 0. */
static bool ipv4_part(const char *p, size_t len, uint8_t *ret) {
        if (len == 0 || len >= 32)
                return false;
        if (len == 1 && p[0] == '0') {
                *ret = 0;
                return true;
        }
        /* plain decimal without a leading 0 (base 0 would read octal) */
        if (len <= 3 && p[0] >= '1' && p[0] <= '9') {
                unsigned v = 0;
                size_t i;
                for (i = 0; i < len && p[i] >= '0' && p[i] <= '9'; i++)
                        v = v * 10 + (unsigned) (p[i] - '0');
                if (i == len) {
                        if (v > 255)
                                return false;
                        *ret = (uint8_t) v;
                        return true;
                }
        }
        char part[32];
        memcpy(part, p, len);
        part[len] = '\0';
        uintmax_t v;
        if (!text_strtoul(part, 0, 0, 255, &v))
                return false;
        *ret = (uint8_t) v;
        return true;
}

bool text_ipv4_numeric(const char *s, uint8_t out[4]) {
        uint8_t a[4] = { 0 };
        const char *p = s;
        for (unsigned i = 0; i < 4; i++) {
                /* up to the next '.' or the end, in one pass (a part is short) */
                size_t len = 0;
                while (p[len] != '\0' && p[len] != '.')
                        len++;
                bool dot = p[len] == '.';
                if (i == 3 && dot)
                        return false;
                if (!ipv4_part(p, len, &a[i]))
                        return false;
                if (!dot)
                        break; /* "autocomplete": the rest stays 0 */
                p += len + 1;
        }
        memcpy(out, a, 4);
        return true;
}

bool text_addr_numeric(bs_family f, const char *s, uint8_t out[16]) {
        memset(out, 0, 16);
        /* every IPv6 address has a ':' (an IPv4 one, tried as IPv6 when a
         * line is parsed for both families, fails here without inet_pton) */
        if (f == BS_FAMILY_IPV6)
                return strchr(s, ':') && inet_pton(AF_INET6, s, out) == 1;
        return text_ipv4_numeric(s, out);
}

/* "fe80::1%eth0": iptables resolves it with getaddrinfo, which drops the
 * scope; the rule holds the address alone. */
static bool ipv6_with_scope(const char *s, uint8_t out[16]) {
        const char *pct = strchr(s, '%');
        if (!pct || !pct[1] || strlen(pct + 1) >= IFNAMSIZ)
                return false;
        for (const char *p = pct + 1; *p; p++)
                if (!isalnum((unsigned char) *p) && !strchr("_-.@", *p))
                        return false;
        char buf[INET6_ADDRSTRLEN + 1];
        size_t len = (size_t) (pct - s);
        if (len >= sizeof(buf))
                return false;
        memcpy(buf, s, len);
        buf[len] = '\0';
        return inet_pton(AF_INET6, buf, out) == 1;
}

static bool looks_like_hostname(const char *s) {
        bool alpha = false;
        for (const char *p = s; *p; p++) {
                if (isalpha((unsigned char) *p))
                        alpha = true;
                else if (!isdigit((unsigned char) *p) && *p != '.' && *p != '-')
                        return false;
        }
        return alpha;
}

static int bad_addr(bs_family f, const char *s, const char *word, bs_parse_error *err, int word_index) {
        if (looks_like_hostname(s) && !strchr(s, ':'))
                return text_fail(err, word_index, word,
                                 "\"%s\" is a host name, not an address; host names are not resolved", s);
        return text_fail(err, word_index, word, "\"%s\" is not a valid %s address", s,
                         f == BS_FAMILY_IPV6 ? "IPv6" : "IPv4");
}

static void set_prefix_mask(uint8_t mask[16], unsigned len, unsigned bytes) {
        memset(mask, 0, 16);
        for (unsigned i = 0; i < bytes && len > 0; i++) {
                unsigned bits = len > 8 ? 8 : len;
                mask[i] = (uint8_t) (0xFFu << (8 - bits));
                len -= bits;
        }
}

int text_parse_host_mask(bs_family f, const char *arg, bs_addr *ret, bs_parse_error *err, int word_index) {
        unsigned alen = text_addr_len(f);
        /* The length, a ',' and the last '/' in one pass, which also
         * copies the word (to cut it at the '/') onto the stack while it
         * fits, as any address does. (A memcpy of the short, variable
         * length became a "rep movs", which took as long as the rest.) */
        char stack[64];
        size_t len = 0, slash_at = SIZE_MAX;
        bool comma = false;
        for (; arg[len] != '\0'; len++) {
                if (len < sizeof(stack))
                        stack[len] = arg[len];
                if (arg[len] == ',')
                        comma = true;
                else if (arg[len] == '/')
                        slash_at = len;
        }
        if (comma)
                return text_fail(err, word_index, arg,
                                 "\"%s\" is a list; give one address (or network) per rule", arg);

        _cleanup_free_ char *heap = NULL;
        char *host;
        if (len < sizeof(stack)) {
                stack[len] = '\0';
                host = stack;
        } else {
                host = heap = strdup(arg);
                if (!host)
                        return -ENOMEM;
        }
        char *slash = slash_at != SIZE_MAX ? host + slash_at : NULL;
        bs_addr a = { { 0 } };
        if (slash) {
                *slash = '\0';
                const char *m = slash + 1;
                uintmax_t bits;
                int dots = 0;
                for (const char *p = m; *p; p++)
                        dots += *p == '.';
                /* a full mask (all four parts for IPv4), else a prefix length */
                if ((f == BS_FAMILY_IPV6 || dots == 3) && text_addr_numeric(f, m, a.mask))
                        ;
                else if (text_strtoul(m, 0, 0, alen * 8, &bits))
                        set_prefix_mask(a.mask, (unsigned) bits, alen);
                else
                        return text_fail(err, word_index, arg, "invalid mask \"%s\" (expected 0-%u or a full mask)",
                                         m, alen * 8);
        } else
                memset(a.mask, 0xFF, alen);

        /* like iptables, "anything/0" is the any address: the name is ignored */
        if (!bs_addr_is_any(&a)) {
                if (!text_addr_numeric(f, host, a.addr) && !(f == BS_FAMILY_IPV6 && ipv6_with_scope(host, a.addr)))
                        return bad_addr(f, host, arg, err, word_index);
                for (unsigned i = 0; i < 16; i++)
                        a.addr[i] &= a.mask[i];
        }
        *ret = a;
        return 0;
}

/* getaddrinfo(AI_NUMERICHOST) rules: inet_aton for IPv4. */
static bool ct_host(bs_family f, const char *s, uint8_t out[16]) {
        memset(out, 0, 16);
        for (const char *p = s; *p; p++)
                if (isspace((unsigned char) *p))
                        return false;
        if (f == BS_FAMILY_IPV6)
                return inet_pton(AF_INET6, s, out) == 1 || ipv6_with_scope(s, out);
        struct in_addr in;
        if (inet_aton(s, &in) == 0)
                return false;
        memcpy(out, &in, 4);
        return true;
}

int text_parse_ct_addr(bs_family f, const char *arg, bs_addr *ret, bs_parse_error *err, int word_index) {
        unsigned alen = text_addr_len(f);
        _cleanup_free_ char *host = strdup(arg);
        if (!host)
                return -ENOMEM;
        char *slash = strchr(host, '/');
        bs_addr a = { { 0 } };
        /* the host part sets a full mask over all 16 bytes, as libxtables does */
        memset(a.mask, 0xFF, sizeof(a.mask));
        if (slash) {
                *slash = '\0';
                const char *m = slash + 1;
                uintmax_t bits;
                uint8_t mask[16];
                if (text_strtoul(m, 0, 0, alen * 8, &bits))
                        set_prefix_mask(a.mask, (unsigned) bits, alen);
                else if (ct_host(f, m, mask)) {
                        bs_addr tmp = { { 0 } };
                        memcpy(tmp.mask, mask, 16);
                        int len = bs_addr_prefix_len(&tmp, f);
                        /* a mask that is not a prefix ends up as a full one
                         * (observed with iptables 1.8.9) */
                        if (len >= 0)
                                set_prefix_mask(a.mask, (unsigned) len, alen);
                } else
                        return text_fail(err, word_index, arg, "invalid mask \"%s\" (expected 0-%u or a full mask)",
                                         m, alen * 8);
        }
        if (!ct_host(f, host, a.addr))
                return bad_addr(f, host, arg, err, word_index);
        *ret = a;
        return 0;
}

/* "%u.%u.%u.%u" without printf; buf holds at least 16 bytes. */
static size_t format_ipv4(const uint8_t a[4], char *buf) {
        size_t n = 0;
        for (unsigned i = 0; i < 4; i++) {
                if (i > 0)
                        buf[n++] = '.';
                unsigned v = a[i];
                if (v >= 100)
                        buf[n++] = (char) ('0' + v / 100);
                if (v >= 10)
                        buf[n++] = (char) ('0' + v / 10 % 10);
                buf[n++] = (char) ('0' + v % 10);
        }
        buf[n] = '\0';
        return n;
}

const char *text_format_addr(bs_family f, const uint8_t *addr, char *buf, size_t size) {
        if (f == BS_FAMILY_IPV6) {
                if (!inet_ntop(AF_INET6, addr, buf, (socklen_t) size))
                        snprintf(buf, size, "?");
        } else if (size >= INET_ADDRSTRLEN)
                format_ipv4(addr, buf);
        else if (size > 0) {
                /* cut to fit, as snprintf would */
                char tmp[INET_ADDRSTRLEN];
                size_t len = format_ipv4(addr, tmp);
                if (len >= size)
                        len = size - 1;
                memcpy(buf, tmp, len);
                buf[len] = '\0';
        }
        return buf;
}

/* text_format_addr into INET6_ADDRSTRLEN + 1 bytes, returning the length
 * (an IPv4 address knows it without a strlen) */
static size_t format_addr(bs_family f, const uint8_t *addr, char *buf) {
        if (f != BS_FAMILY_IPV6)
                return format_ipv4(addr, buf);
        text_format_addr(f, addr, buf, INET6_ADDRSTRLEN + 1);
        return strlen(buf);
}

/* " ADDR/N", " ADDR/MASK" or (full_bare: conntrack's full mask) " ADDR" */
static int put_addr(bs_buf *b, bs_family f, const bs_addr *a, bool full_bare) {
        char tmp[1 + 2 * (INET6_ADDRSTRLEN + 1)];
        /* formatted in place when the buffer has room for the longest */
        bool in_place = sizeof(tmp) < b->cap - b->len;
        char *buf = in_place ? b->data + b->len : tmp;
        int len = bs_addr_prefix_len(a, f);
        buf[0] = ' ';
        size_t n = 1 + format_addr(f, a->addr, buf + 1);
        if (len < 0) {
                buf[n++] = '/';
                n += format_addr(f, a->mask, buf + n);
        } else if (!full_bare || (unsigned) len != text_addr_len(f) * 8) {
                buf[n++] = '/';
                n += text_format_u((unsigned) len, buf + n);
        }
        if (in_place) {
                b->len += n;
                b->data[b->len] = '\0';
                return 0;
        }
        return text_buf_add(b, tmp, n);
}

int text_put_host_mask(bs_buf *b, bs_family f, const bs_addr *a) {
        return put_addr(b, f, a, false);
}

int text_put_ct_addr(bs_buf *b, bs_family f, const bs_addr *a) {
        return put_addr(b, f, a, true);
}
