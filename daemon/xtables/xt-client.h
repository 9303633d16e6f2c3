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
/* The helper's pid for the family (0: none running), for tests. */
int bs_xt_client_helper_pid(const bs_xt_client *c, bs_family f);

/* The bs_ext_provider functions (text.h), userdata being the client. */
extern const bs_ext_provider bs_xt_client_provider;
