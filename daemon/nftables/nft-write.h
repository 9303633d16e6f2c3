/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Writing filter tables to nf_tables the way iptables-nft does, but as one
 * batch for both families and incrementally: from the tables as read (each
 * rule's origin its kernel handle) to the tables wanted, only the rules
 * that differ are deleted (by handle) and inserted (before the next rule
 * kept, or at the end), chains are created, deleted and given their policy
 * as needed. The kernel commits the batch whole or not at all, and refuses
 * it with -ERESTART when the ruleset is no longer at the generation the
 * tables were read at. No logging; errors as -errno (nft-sock.h). */

#include "nft-sock.h"
#include "rule.h"

typedef struct bs_nft_write {
        const bs_table *before;  /* as read; NULL: leave the family alone */
        bs_table *after;         /* wanted; on success its rules carry their handles */
        /* The built-in chains' policy counters are set to after's (a
         * restore); otherwise they count on. Inserted rules always start
         * with the counters after gives them. */
        bool set_chain_counters;
        /* after is a copy of before with changes applied (no rule changed
         * in place): a rule with a handle in after is before's, unchanged,
         * and is not compared. Not so for a computed table (a rollback's),
         * whose rules may carry handles of an older generation. */
        bool after_copied_from_before;
} bs_nft_write;

/* One batch, [0] IPv4 and [1] IPv6. *ret_genid (may be NULL): the
 * generation the commit made, 0 when the kernel did not say (then nothing
 * read before can be trusted to be current). Nothing to change is 0 and
 * sends nothing (*ret_genid = genid).
 *
 * The rules a large batch inserts get no handle from the kernel (only
 * the first few ask for it): their origin stays 0. -ENOKEY, before
 * anything is sent, when a change needs the handle of such a rule of
 * `before` (to delete it, or to insert before it): the caller reads the
 * handles (bs_nft_refresh_counters) and writes again. */
int bs_nft_write_tables(bs_nft_sock *s, uint32_t genid, bs_nft_write w[2], uint32_t *ret_genid);

/* Zero the counters of chain (NULL: every chain) of t, as read: every
 * rule is replaced by handle with its counters 0, built-in chains get
 * policy counters 0, in one batch carrying genid. */
int bs_nft_zero_counters(bs_nft_sock *s, uint32_t genid, const bs_table *t, const char *chain);
