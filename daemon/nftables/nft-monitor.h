/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* nf_tables' change notifications (the NFNLGRP_NFTABLES multicast group):
 * the kernel sends one NFT_MSG_NEWGEN after every commit, anyone's, so the
 * daemon notices others' changes when they happen instead of at its next
 * look. No logging; errors as -errno. */

#include "nft-sock.h"

/* A socket subscribed to the group; its fd (mnl_socket_get_fd) becomes
 * readable when a notification is queued. */
int bs_nft_monitor_open(bs_nft_sock *s);

/* Leaves the group (on false) or joins it again (on true). Out of the
 * group the kernel builds no notification for us: a commit of 10,000
 * rules we make ourselves costs it 10,000 notifications otherwise (a
 * 10,000-rule flush took 40 ms instead of 6). */
int bs_nft_monitor_listen(bs_nft_sock *s, bool on);

/* Called for each notification read; with NULL when some were lost. */
typedef void (*bs_nft_monitor_fn)(const struct nlmsghdr *nlh, void *userdata);
/* Reads every notification queued, without waiting, handing each to fn
 * (may be NULL). *ret_committed: a commit happened (or notifications were
 * lost to an overflowing socket buffer, which only a burst of changes
 * causes). */
int bs_nft_monitor_drain(bs_nft_sock *s, bs_nft_monitor_fn fn, void *userdata, bool *ret_committed);
