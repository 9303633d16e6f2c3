/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What turns one chain's rules into another's, in nf_tables terms: rules
 * deleted by handle, rules inserted before a kept rule or appended. Pure
 * code: no socket, no logging.
 *
 * A rule of `after` is kept when it is a rule of `before` left where it
 * was: first by handle (a rule copied from the table read keeps the
 * kernel's handle in its origin, so the rules a change did not touch are
 * found in one pass however many there are), then, between two rules kept
 * that way, by equality from both ends of the gap (a table computed anew,
 * e.g. a snapshot restored, keeps what equals the kernel's rules). A rule
 * found by handle out of order, or whose handle names a different rule, is
 * not kept: it is deleted and inserted again. */

#include <stddef.h>
#include <stdint.h>

#include "rule.h"

typedef struct bs_nft_chain_diff {
        /* indexes into before->rules of the rules to delete, ascending */
        size_t *deleted;
        size_t n_deleted;
        /* for each rule of after: the index of the rule of before it is
         * (kept), or SIZE_MAX (to insert) */
        size_t *kept_from;
        size_t n_inserted;
} bs_nft_chain_diff;

void bs_nft_chain_diff_done(bs_nft_chain_diff *d);
#define _cleanup_nft_chain_diff_ _cleanup_(bs_nft_chain_diff_done)

/* before may be NULL (a chain new in after), as may after (a chain gone).
 * trust_handles: a rule of after with a handle is the rule of before with
 * that handle, unchanged (after was copied from before); otherwise such
 * pairs are compared, and kept only when equal. */
int bs_nft_chain_diff_compute(const bs_chain *before, const bs_chain *after, bool trust_handles,
                              bs_nft_chain_diff *ret);
