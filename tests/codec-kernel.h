/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Raw libiptc access for test-codec-kernel: one helper file per family
 * (codec-kernel4.c, codec-kernel6.c, one body: codec-kernel.inc.c), because
 * libiptc.h and libip6tc.h cannot share a translation unit. Callers must be
 * in a private network namespace. */

#include <stddef.h>
#include <stdint.h>

typedef struct kernel_entry {
        uint8_t *bytes;  /* a copy of libiptc's entry, next_offset bytes */
        size_t size;
        char label[32];  /* iptc_get_target() */
} kernel_entry;

typedef struct kernel_layout {
        size_t entry_size, target_offset, comefrom, counters;  /* offsetof() in the entry */
} kernel_layout;

extern const kernel_layout kernel4_layout, kernel6_layout;

/* Every rule of chain in table, in order. 0 or -errno. */
int kernel4_read(const char *table, const char *chain, kernel_entry **ret, size_t *ret_n);
int kernel6_read(const char *table, const char *chain, kernel_entry **ret, size_t *ret_n);
/* iptc_append_entry + iptc_commit. 0 or -errno. */
int kernel4_append(const char *table, const char *chain, const void *entry);
int kernel6_append(const char *table, const char *chain, const void *entry);

void kernel_entries_free(kernel_entry *e, size_t n);
