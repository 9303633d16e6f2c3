/* SPDX-License-Identifier: LGPL-2.1-or-later */
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

int parse_allow(const char *s, const char **ret_proto, uint16_t *ret_port) {
        static const char *const protocols[] = { "tcp", "udp", "sctp", "udplite", "dccp" };
        uint64_t port;

        if (!s)
                return -EINVAL;
        const char *slash = strchr(s, '/');
        if (!slash)
                return -EINVAL;
        if (parse_decimal(s, (size_t) (slash - s), 65535, &port) < 0 || port == 0)
                return -ERANGE;
        for (size_t i = 0; i < sizeof(protocols) / sizeof(protocols[0]); i++)
                if (strcasecmp(slash + 1, protocols[i]) == 0) {
                        *ret_proto = protocols[i];
                        *ret_port = (uint16_t) port;
                        return 0;
                }
        return -EPROTONOSUPPORT;
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
