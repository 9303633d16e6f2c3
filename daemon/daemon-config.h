/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The daemon's configuration file, /etc/backstop/backstopd.conf:
 *
 *     # comments start with '#' or ';', blank lines are ignored
 *     Backend=auto        # or legacy, nft
 *
 * One KEY=VALUE per line, blanks around both trimmed, the last of a key
 * repeated counts. A missing file at the default path is no error (every key
 * has its default); a key we do not know, a bad value or a line without '='
 * is, named with the file and line: a daemon that guessed here would
 * manage the wrong ruleset. The command line overrides the file.
 * Library-like: no logging, -errno, the message in err. */

#include "util.h"

#define BS_CONFIG_FILE_DEFAULT "/etc/backstop/backstopd.conf"
#define BS_CONFIG_FILE_MAX (64 * 1024)

typedef struct bs_daemon_config {
        int backend;            /* a bs_backend_mode, -1 when the file does not set it */
        unsigned backend_line;  /* where it did */
} bs_daemon_config;

/* Parse path. must_exist: a missing file is -ENOENT (asked for by name)
 * rather than an empty configuration (the default path). Errors: -EINVAL
 * (syntax, unknown key, bad value), -EFBIG, or the read's -errno; err gets
 * "PATH:LINE: what was wrong" (or "PATH: ..."). */
int bs_daemon_config_load(const char *path, bool must_exist, bs_daemon_config *ret, char *err, size_t err_size);
