/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What the helper printed for an extension's bytes, kept by those bytes
 * (family, match or target, name, revision, the rule's protocol, payload):
 * a table shown again (GetRulesText polled, ListRules) asks the helper
 * only about extensions it has not seen. Its answer for given bytes does
 * not change, but for extensions whose text names kernel state (set and
 * SET print a set's name found by its index), which are never kept.
 * Bounded: when full, everything is dropped. Pure code, -errno. */

#include "text.h"

typedef struct bs_xt_text_cache bs_xt_text_cache;

int bs_xt_text_cache_new(size_t max_entries, bs_xt_text_cache **ret);
void bs_xt_text_cache_free(bs_xt_text_cache *c);
/* Whether item may be kept at all. */
bool bs_xt_text_cache_keeps(const bs_ext_render_item *item);
/* 1 and item->text (a copy, or NULL: the helper cannot print it) and
 * item->exact set when known; 0 when not; -ENOMEM. */
int bs_xt_text_cache_lookup(const bs_xt_text_cache *c, bs_ext_render_item *item);
/* Keeps the helper's answer for item (its text, NULL included). */
int bs_xt_text_cache_add(bs_xt_text_cache *c, const bs_ext_render_item *item);
