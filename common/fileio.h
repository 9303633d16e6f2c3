/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Whole-file reads and atomic writes. No logging, -errno. */

#include <sys/types.h>

#include "util.h"

/* Write data to dir/name atomically: a temporary file in dir, fsync, rename
 * over name, fsync dir. On any error the old file (if any) is untouched and
 * the temporary file is gone. */
int bs_write_file_atomic(const char *dir, const char *name, const void *data, size_t len, mode_t mode);
/* Its two halves, for callers that replace several files together: the
 * temporary file dir/.#name.XXXXXX written, fsynced and given mode (its
 * path in tmp; gone again on error), then renamed over dir/name (dir
 * fsynced). */
int bs_write_file_temp(const char *dir, const char *name, const void *data, size_t len, mode_t mode, char *tmp,
                       size_t tmp_size);
int bs_rename_into(const char *dir, const char *name, const char *tmp);

/* Read dir/name (dir may be NULL for an absolute name) into a NUL-terminated
 * buffer; -EFBIG beyond max bytes. */
int bs_read_file(const char *dir, const char *name, size_t max, char **ret, size_t *ret_len);

/* mkdir -p for one level under an existing parent, mode 0700/0755. */
int bs_mkdir_parents(const char *path, mode_t mode);
