/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The counters of a table already read, brought up to date without
 * decoding a rule: nf_tables counts packets without a new generation, so
 * a table kept because the generation did not change still needs its
 * counters read. No logging; errors as -errno. */

#include "nft-sock.h"
#include "rule.h"

/* Sets the counters of t's rules (found by their origin, the kernel's
 * handle) and of its built-in chains from the kernel, and the handle of
 * each rule whose origin is 0 (one written without asking the kernel for
 * it) from the rule in its place. -ESTALE when the kernel's table is not t
 * (another generation than genid, a rule or chain that is not where t has
 * it): read the table instead. t may be shared: counters and missing
 * handles are all that change in it, and only to what the kernel holds. */
int bs_nft_refresh_counters(bs_nft_sock *s, bs_table *t, uint32_t genid);
