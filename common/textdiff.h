/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A unified diff of two texts, line by line: "backstopctl diff", and the
 * count of lines that differ the daemon keeps for status. No
 * bus: returns 0 or -errno, so that the unit tests check the output. */

#include <stddef.h>
#include <stdio.h>

/* Middles (what is left after the common first and last lines) larger
 * than this many line pairs are not searched for common lines: all of the
 * old middle is shown removed and all of the new one added (still a
 * correct diff, only not the shortest). */
#define TEXT_DIFF_CELLS_MAX (4u << 20)

/* Writes the diff of a (old) and b (new) to out (NULL: count only): the
 * "--- label_a" and "+++ label_b" lines and hunks with `context` lines of
 * context, nothing when the texts are equal. *ret_removed and *ret_added
 * (optional) count the lines only in a and only in b. */
int text_diff(const char *a, const char *b, const char *label_a, const char *label_b, unsigned context, FILE *out,
              size_t *ret_removed, size_t *ret_added);
