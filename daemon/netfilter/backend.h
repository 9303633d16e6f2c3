/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The one interface between the daemon and the ruleset the host's own
 * iptables shows. Everything above it (the manager's reads, transactions
 * and their rollback, the boot-time restore, zeroing counters) reads and
 * changes the filter tables only through a bs_backend, on the one rule
 * model: pre-flight, checks and transactions never know which backend
 * holds the rules.
 *
 * Each function has the contract of the bs_nf_* function of the same name
 * in nf.h: errors as -errno, no logging, the xtables lock held across each
 * read-compute-commit, both families as one unit where it says so.
 * iptables-legacy (nf.c: libiptc, or the kernel's own calls where the read
 * cache allows) and iptables-nft (../nftables: nf_tables through libnftnl
 * and libmnl, the generation instead of the xtables lock) implement it. */

#include "nf.h"

typedef struct bs_backend {
        const char *name; /* as the Backends property shows it, e.g. "iptables-legacy" */
        int (*read)(bs_family family, const char *table, const bs_nf_options *o, bs_table **ret);
        int (*read_cached)(bs_family family, const char *table, const bs_nf_options *o, bs_nf_read_cache *cache,
                           const bs_table **ret);
        int (*apply_both)(const char *table, const bs_change *changes, size_t n, unsigned families,
                          const bs_nf_options *o, bs_nf_read_cache *caches, bs_nf_prepare_fn prepare, void *userdata,
                          bs_nf_transition *ret);
        int (*rewrite_both)(const char *table, unsigned families, const bs_nf_options *o, bs_nf_read_cache *caches,
                            bs_nf_rewrite_fn compute, void *userdata, bool *ret_ipv4_only);
        int (*restore)(const bs_table *snapshot, const bs_nf_options *o);
        int (*zero)(bs_family family, const char *table, const char *chain, const bs_nf_options *o);
} bs_backend;

extern const bs_backend bs_backend_iptables_legacy;
extern const bs_backend bs_backend_iptables_nft;
