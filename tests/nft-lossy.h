/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What test-nft-codec and test-oracle-nft share about the corpus. */

#include <glib.h>
#include <stdbool.h>

#include "util.h"

/* Corpus lines that iptables-nft 1.8.9 itself does not read back as
 * written (checked with it: `iptables-nft -A` then `-S`): the rule it
 * lists instead, which the decoder must give too; NULL where the kernel
 * refuses what iptables-nft writes (a payload of length 0). */
static const struct {
        const char *rule;
        const char *reads_as;
} nft_lossy[] = {
        /* "! <= 1023" is written as "> 1023", read as the range above it */
        { "-p tcp -m tcp ! --sport :1023 ! --dport 8080: -j DROP",
          "-p tcp -m tcp --sport 1024:65535 ! --dport 8080:65535 -j DROP" },
        /* two tcp / udp matches are one set of port compares, read as one */
        { "-p tcp -m tcp --dport 22 -m tcp --sport 1024: -j ACCEPT",
          "-p tcp -m tcp --sport 1024:65535 --dport 22 -j ACCEPT" },
        { "-p udp -m udp --dport 53 -m udp --sport 53 -j ACCEPT", "-p udp -m udp --sport 53 --dport 53 -j ACCEPT" },
        { "! -s 0.0.0.0/0 -j DROP", NULL },
        { "! -d 0.0.0.0/0 -j DROP", NULL },
        { "! -s ::/0 -j DROP", NULL },
};

/* Corpus lines iptables-nft 1.8.9 writes as another rule: "! --sport A
 * ! --dport B" (single ports, both inverted) becomes one compare of the
 * four bytes, != B:A, which the kernel matches unless BOTH ports are equal.
 * Reading what it wrote is refused (no iptables rule says what the kernel
 * does); our codec writes the rule as typed (the compat match), which
 * iptables-nft lists as typed (but does not find with -C: it looks for its
 * own form). */
static const char *const nft_miswritten[] = {
        "-p udp ! --sport 53 ! --dport 53 -j DROP",
};

static inline bool nft_miswritten_line(const char *rule) {
        for (size_t i = 0; i < G_N_ELEMENTS(nft_miswritten); i++)
                if (streq(rule, nft_miswritten[i]))
                        return true;
        return false;
}

static inline bool nft_lossy_line(const char *rule, const char **ret_reads_as) {
        for (size_t i = 0; i < G_N_ELEMENTS(nft_lossy); i++)
                if (streq(rule, nft_lossy[i].rule)) {
                        *ret_reads_as = nft_lossy[i].reads_as;
                        return true;
                }
        return false;
}

static inline size_t nft_lossy_count(void) {
        return G_N_ELEMENTS(nft_lossy);
}
