/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Others' commits followed in the read caches from nf_tables' change
 * notifications, so that a table another program changed by a rule or
 * two is not read again whole (10,000 rules: 60-100 ms of the kernel's
 * dump and our decode). Each commit's rule notifications are applied to a
 * copy of the cached table, and the copy becomes the cache's when the
 * commit's NFT_MSG_NEWGEN names the generation right after the cache's.
 * Whatever cannot be followed exactly — a chain made, renamed or deleted,
 * a policy, a table, a set, a rule whose place is not certain, a lost
 * notification, a generation skipped — leaves the cache without a
 * generation, and the next read reads the table. No logging; -errno. */

#include <libmnl/libmnl.h>

#include "nf.h"

/* A rule of others' commit as the mirror applied it to the copy, in
 * order: the journal's base follows the commit with these as replay
 * commands instead of being written again. */
typedef struct bs_nft_mirror_op {
        bool add;          /* inserted at index (0-based, then); else deleted from it */
        size_t index;
        uint64_t handle;   /* add: the rule's handle, to find it in the table after */
        char chain[BS_CHAIN_NAME_MAX + 4];
} bs_nft_mirror_op;

typedef struct bs_nft_mirror_ops {
        bs_nft_mirror_op *v;
        size_t n, cap;
} bs_nft_mirror_ops;

typedef struct bs_nft_mirror {
        /* per family ([0] IPv4, [1] IPv6), for the commit under way */
        bs_table *copy[2];  /* the cache's table with the commit's rule events so far */
        bool broken[2];     /* an event of the commit could not be followed */
        /* Where the rule a request deleted was: a rule the same request
         * adds (a replace) without a neighbour to name goes there. */
        struct {
                bool set;
                uint32_t portid, seq;
                char chain[BS_CHAIN_NAME_MAX + 4];
                size_t index;
        } deleted[2];
        bs_nft_mirror_ops ops[2];       /* the commit's rules so far */
        /* The last commit followed, per family, until taken: the cache's
         * table it started from (its address, only compared: an identity)
         * and what it did to it; the cache's table is the result. */
        const void *followed_from[2];
        bs_nft_mirror_ops followed_ops[2];
        uint64_t followed, read_again;  /* commits: followed / left to a read */
} bs_nft_mirror;

void bs_nft_mirror_done(bs_nft_mirror *mi);

/* One notification, for caches[] ([0] IPv4, [1] IPv6) of table `table`.
 * -ENOMEM only; anything the mirror cannot follow is left to a read. */
int bs_nft_mirror_feed(bs_nft_mirror *mi, bs_nf_read_cache caches[2], const char *table,
                       const struct nlmsghdr *nlh);

/* Takes the last commit followed in family f: its table before (NULL:
 * none since the last take) and *ops (the caller frees ops->v). */
const void *bs_nft_mirror_take_followed(bs_nft_mirror *mi, int f, bs_nft_mirror_ops *ops);

/* Notifications were lost (the socket's buffer overflowed): the caches
 * keep their tables but no generation. */
void bs_nft_mirror_lost(bs_nft_mirror *mi, bs_nf_read_cache caches[2]);
