/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* backstopd's side of the libxtables helper (backstop-xtables): the
 * extensions the model does not know, printed and parsed in a process of
 * their own, one per family, started on first need and again after it
 * died. Library-like: no logging, -errno.
 *
 * Every request is bounded by a timeout: a helper that does not answer in
 * time is killed and the request fails with -ETIME; one that dies fails it
 * with -ECONNRESET. Nothing else in the daemon waits for the helper: only
 * rendering for display or saving, and parsing new rules, use it. */

#include <stdint.h>

#include "text.h"

#define BS_XT_TIMEOUT_USEC_DEFAULT (5 * 1000000ULL)

typedef struct bs_xt_client bs_xt_client;

/* helper_path: the program (BACKSTOP_XTABLES_HELPER overrides the
 * built-in path when helper_path is NULL). */
int bs_xt_client_new(const char *helper_path, bs_xt_client **ret);
void bs_xt_client_free(bs_xt_client *c);
void bs_xt_client_set_timeout(bs_xt_client *c, uint64_t usec);
/* Texts printed ahead, at the daemon's start, so that its first read of
 * a table does not wait for them: the extensions of items (one family;
 * the client keeps copies) not kept yet are sent to the helper, and its
 * answers read by bs_xt_client_warm_continue() when bs_xt_client_warm_fd()
 * is readable, without ever waiting for the helper. 1: requests are in
 * flight; 0: nothing to print; -EBUSY: a warm-up is under way already.
 * A read that needs the helper meanwhile first waits for the answer in
 * flight, as for its own request (bounded by the timeout). */
int bs_xt_client_warm(bs_xt_client *c, const bs_ext_render_item *items, size_t n);
/* What arrived, without waiting: 1 still in flight, 0 done, < 0 failed
 * (the warm-up ended; a helper that broke the protocol or is past the
 * deadline is stopped: -ETIME). */
int bs_xt_client_warm_continue(bs_xt_client *c);
/* The socket to watch while a warm-up is in flight, else -1. */
int bs_xt_client_warm_fd(const bs_xt_client *c);
/* When the answer in flight is due (CLOCK_MONOTONIC usec; 0: none): call
 * bs_xt_client_warm_continue() then, which stops a helper that is late. */
uint64_t bs_xt_client_warm_deadline(const bs_xt_client *c);
/* Ends a warm-up, stopping the helper if a request is in flight. */
void bs_xt_client_warm_cancel(bs_xt_client *c);
/* The helper's pid for the family (0: none running), for tests. */
int bs_xt_client_helper_pid(const bs_xt_client *c, bs_family f);

/* The bs_ext_provider functions (text.h), userdata being the client. */
extern const bs_ext_provider bs_xt_client_provider;
