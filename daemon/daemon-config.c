/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The daemon's configuration file (daemon-config.h). */
#include "daemon-config.h"

#include <ctype.h>

#include "backend-choice.h"
#include "fileio.h"

static char *strip(char *s) {
        while (*s && isspace((unsigned char) *s))
                s++;
        size_t n = strlen(s);
        while (n > 0 && isspace((unsigned char) s[n - 1]))
                s[--n] = '\0';
        return s;
}

/* A comment may also follow a value: "Backend=nft  # since the upgrade" */
static void cut_comment(char *s) {
        s[strcspn(s, "#;")] = '\0';
}

static int parse_line(char *line, unsigned line_no, const char *path, bs_daemon_config *cfg, char *err,
                      size_t err_size) {
        char *eq = strchr(line, '=');
        if (!eq) {
                snprintf(err, err_size, "%s:%u: \"%.64s\" is not KEY=VALUE", path, line_no, line);
                return -EINVAL;
        }
        *eq = '\0';
        char *key = strip(line), *value = eq + 1;
        cut_comment(value);
        value = strip(value);
        if (streq(key, "Backend")) {
                int m = bs_backend_mode_from_string(value);
                if (m < 0) {
                        snprintf(err, err_size, "%s:%u: Backend=\"%.64s\" is not auto, legacy or nft", path,
                                 line_no, value);
                        return -EINVAL;
                }
                cfg->backend = m;
                cfg->backend_line = line_no;
                return 0;
        }
        snprintf(err, err_size, "%s:%u: unknown key \"%.64s\" (the keys: Backend)", path, line_no, key);
        return -EINVAL;
}

int bs_daemon_config_load(const char *path, bool must_exist, bs_daemon_config *ret, char *err, size_t err_size) {
        if (!path || !ret || !err || err_size == 0)
                return -EINVAL;
        err[0] = '\0';
        *ret = (bs_daemon_config) { .backend = -1 };

        _cleanup_free_ char *data = NULL;
        size_t len;
        int r = bs_read_file(NULL, path, BS_CONFIG_FILE_MAX, &data, &len);
        if (r == -ENOENT && !must_exist)
                return 0;
        if (r < 0) {
                snprintf(err, err_size, "%s: %s", path,
                         r == -EFBIG ? "larger than 64 KiB" : strerror(-r));
                return r;
        }
        if (strlen(data) != len) {
                snprintf(err, err_size, "%s: contains a NUL byte", path);
                return -EINVAL;
        }

        bs_daemon_config cfg = { .backend = -1 };
        unsigned line_no = 0;
        for (char *line = data; line; ) {
                char *next = strchr(line, '\n');
                if (next)
                        *next++ = '\0';
                line_no++;
                char *s = strip(line);
                if (*s && *s != '#' && *s != ';') {
                        r = parse_line(s, line_no, path, &cfg, err, err_size);
                        if (r < 0)
                                return r;
                }
                line = next;
        }
        *ret = cfg;
        return 0;
}
