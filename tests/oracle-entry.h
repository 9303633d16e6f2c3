/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Raw kernel entries for the oracle test's diagnostics: the bytes libiptc
 * holds for a rule, and a field-by-field comparison with what the codec
 * encodes. libiptc's IPv4 and IPv6 headers cannot share a translation unit,
 * hence one implementation file per family behind this header. */

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>

/* A copy of the index-th (0-based) entry of CHAIN in TABLE, and the target
 * label libiptc resolves for it (iptc_get_target). -errno on failure. */
int oracle_kernel_entry4(const char *table, const char *chain, unsigned index, void **ret_entry,
                         size_t *ret_size, char **ret_label);
int oracle_kernel_entry6(const char *table, const char *chain, unsigned index, void **ret_entry,
                         size_t *ret_size, char **ret_label);

/* Compare an entry as the kernel returned it with one the codec encoded,
 * ignoring what legitimately differs (counters, comefrom, the verdict of a
 * standard target, which the codec leaves to libiptc). Appends a line per
 * difference to out; true when none. */
bool oracle_entry_diff4(const void *kernel, size_t ksize, const void *encoded, size_t esize, GString *out);
bool oracle_entry_diff6(const void *kernel, size_t ksize, const void *encoded, size_t esize, GString *out);
