/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Whole-file reads and atomic writes. No logging, -errno. */

#include <sys/types.h>

#include "util.h"

/* Write data to dir/name atomically: a temporary file in dir, fsync, rename
 * over name, fsync dir. On any error the old file (if any) is untouched and
 * the temporary file is gone. */
int bs_write_file_atomic(const char *dir, const char *name, const void *data, size_t len, mode_t mode);

/* Read dir/name (dir may be NULL for an absolute name) into a NUL-terminated
 * buffer; -EFBIG beyond max bytes. */
int bs_read_file(const char *dir, const char *name, size_t max, char **ret, size_t *ret_len);

/* mkdir -p for one level under an existing parent, mode 0700/0755. */
int bs_mkdir_parents(const char *path, mode_t mode);
