/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "parse.h"

/* Decimal digits only (no sign, no blanks, no leading "+"), value <= max. */
static int parse_decimal(const char *s, size_t n, uint64_t max, uint64_t *ret) {
        uint64_t v = 0;

        if (n == 0 || n > 20)
                return -EINVAL;
        for (size_t i = 0; i < n; i++) {
                if (s[i] < '0' || s[i] > '9')
                        return -EINVAL;
                unsigned d = (unsigned) (s[i] - '0');
                if (v > (max - d) / 10)
                        return -ERANGE;
                v = v * 10 + d;
        }
        *ret = v;
        return 0;
}

int transaction_id_from_path(const char *path, uint32_t *ret_id) {
        size_t plen = strlen(TRANSACTION_PATH_PREFIX);
        uint64_t v;

        if (!path || strncmp(path, TRANSACTION_PATH_PREFIX, plen) != 0)
                return -EINVAL;
        const char *num = path + plen;
        /* No leading zeros: the daemon names its objects canonically. */
        if (num[0] == '0' && num[1] != '\0')
                return -EINVAL;
        int r = parse_decimal(num, strlen(num), UINT32_MAX, &v);
        if (r < 0)
                return -EINVAL;
        *ret_id = (uint32_t) v;
        return 0;
}

int parse_transaction(const char *s, char **ret_path, uint32_t *ret_id) {
        uint32_t id;
        uint64_t v;

        if (!s || !*s)
                return -EINVAL;
        if (s[0] == '/') {
                if (transaction_id_from_path(s, &id) < 0)
                        return -EINVAL;
        } else {
                if (parse_decimal(s, strlen(s), UINT32_MAX, &v) < 0)
                        return -EINVAL;
                id = (uint32_t) v;
        }
        char *path;
        if (asprintf(&path, TRANSACTION_PATH_PREFIX "%u", id) < 0)
                return -ENOMEM;
        if (ret_path)
                *ret_path = path;
        else
                free(path);
        if (ret_id)
                *ret_id = id;
        return 0;
}

int parse_seconds(const char *s, uint32_t min, uint32_t max, uint32_t *ret) {
        uint64_t v, mult = 1;

        if (!s)
                return -EINVAL;
        size_t n = strlen(s);
        if (n > 0) {
                switch (s[n - 1]) {
                case 's': mult = 1; n--; break;
                case 'm': mult = 60; n--; break;
                case 'h': mult = 3600; n--; break;
                default: break;
                }
        }
        int r = parse_decimal(s, n, UINT32_MAX, &v);
        if (r < 0)
                return -EINVAL;
        if (v > UINT32_MAX / mult)
                return -ERANGE;
        v *= mult;
        if (v < min || v > max)
                return -ERANGE;
        *ret = (uint32_t) v;
        return 0;
}

bool arg_is_change(const char *arg) {
        if (!arg || arg[0] != '-' || strcmp(arg, "--") == 0)
                return false;
        for (const char *p = arg; *p; p++)
                if (isspace((unsigned char) *p))
                        return true;
        return false;
}

void format_seconds(uint64_t seconds, char *buf, size_t size) {
        uint64_t h = seconds / 3600, m = (seconds / 60) % 60, s = seconds % 60;

        if (h > 0)
                snprintf(buf, size, "%lluh %02llum %02llus", (unsigned long long) h,
                         (unsigned long long) m, (unsigned long long) s);
        else if (m > 0)
                snprintf(buf, size, "%llum %02llus", (unsigned long long) m, (unsigned long long) s);
        else
                snprintf(buf, size, "%llus", (unsigned long long) s);
}

int parse_source(const char *s, int *ret_family, char *buf, size_t size) {
        char addr[INET6_ADDRSTRLEN + 1];
        unsigned char bytes[16];
        uint64_t prefix;

        if (!s)
                return -EINVAL;
        const char *slash = strchr(s, '/');
        size_t alen = slash ? (size_t) (slash - s) : strlen(s);
        if (alen == 0 || alen >= sizeof(addr))
                return -EINVAL;
        memcpy(addr, s, alen);
        addr[alen] = '\0';
        int af = strchr(addr, ':') ? AF_INET6 : AF_INET;
        unsigned bits = af == AF_INET6 ? 128 : 32;
        if (inet_pton(af, addr, bytes) != 1)
                return -EINVAL;
        prefix = bits;
        if (slash && parse_decimal(slash + 1, strlen(slash + 1), bits, &prefix) < 0)
                return -ERANGE;
        for (unsigned i = 0; i < bits / 8; i++) {
                unsigned keep = prefix >= (i + 1) * 8 ? 8 : prefix > i * 8 ? (unsigned) prefix - i * 8 : 0;
                bytes[i] &= (unsigned char) (0xff00u >> keep);
        }
        if (!inet_ntop(af, bytes, addr, sizeof(addr)))
                return -EINVAL;
        if ((size_t) snprintf(buf, size, "%s/%u", addr, (unsigned) prefix) >= size)
                return -ENOBUFS;
        *ret_family = af == AF_INET6 ? 6 : 4;
        return 0;
}

int parse_rule_number(const char *s, uint32_t *ret) {
        uint64_t v;
        if (!s || parse_decimal(s, strlen(s), UINT32_MAX, &v) < 0 || v == 0)
                return -EINVAL;
        *ret = (uint32_t) v;
        return 0;
}

int rules_of_chain(const char *text, const char *chain, char ***ret, size_t *ret_n) {
        size_t n = 0, cap = 0, clen = strlen(chain);
        char **v = NULL;

        for (const char *line = text; line && *line;) {
                const char *end = strchr(line, '\n');
                size_t len = end ? (size_t) (end - line) : strlen(line);
                if (len > 3 + clen && strncmp(line, "-A ", 3) == 0 && strncmp(line + 3, chain, clen) == 0 &&
                    line[3 + clen] == ' ') {
                        if (n + 2 > cap) {
                                size_t ncap = cap ? cap * 2 : 16;
                                char **nv = reallocarray(v, ncap, sizeof(char *));
                                if (!nv)
                                        goto fail;
                                v = nv;
                                cap = ncap;
                        }
                        v[n] = strndup(line + 4 + clen, len - 4 - clen);
                        if (!v[n])
                                goto fail;
                        v[++n] = NULL;
                }
                line = end ? end + 1 : NULL;
        }
        if (!v) {
                v = calloc(1, sizeof(char *));
                if (!v)
                        return -ENOMEM;
        }
        *ret = v;
        *ret_n = n;
        return 0;
fail:
        for (size_t i = 0; i < n; i++)
                free(v[i]);
        free(v);
        return -ENOMEM;
}
