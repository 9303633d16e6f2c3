/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What the two files of the xtables helper's client share: xt-client.c
 * (the process, requests, the provider) and xt-client-warm.c (the texts
 * printed ahead). */

#include "xt-client.h"
#include "xt-proto.h"
#include "xt-text-cache.h"

typedef struct helper {
        pid_t pid;
        int fd;
} helper;

typedef struct described {
        bs_family family;
        bool target;
        char name[BS_EXT_NAME_MAX + 1];
        bs_ext_option *opts;
        size_t n;
} described;

/* Texts printed ahead of any read (bs_xt_client_warm): one render
 * request in flight at a time, for one family. */
typedef struct warming {
        bool active;
        bs_family family;
        uint32_t id;             /* the request in flight */
        uint64_t deadline;       /* CLOCK_MONOTONIC usec: its answer is due */
        bs_opaque *opaques;      /* copies of the extensions, which items point to */
        bs_ext_render_item *items;
        size_t n, next, sent;    /* items[next, next + sent) are in flight */
} warming;

struct bs_xt_client {
        char *path;
        uint64_t timeout_usec;
        helper helpers[2]; /* IPv4, IPv6 */
        uint32_t next_id;
        uint64_t paused_until; /* CLOCK_MONOTONIC usec: no requests before */
        uint8_t *buf;      /* BS_XT_MSG_MAX, requests */
        uint8_t *reply;    /* BS_XT_MSG_MAX, replies */
        size_t reply_len;
        described *cache;
        size_t n_cache;
        bs_xt_text_cache *texts; /* what the helper printed, by the bytes */
        warming warm;
        char message[BS_XT_MESSAGE_MAX + 1]; /* the last ERROR */
};

helper *xtc_helper_of(bs_xt_client *c, bs_family f);
int xtc_helper_start(bs_xt_client *c, bs_family f);
/* Kills and reaps the helper; whether it had failed to start. */
bool xtc_helper_stop(helper *h);
uint64_t xtc_now_usec(void);
/* What the helper sent for request id, read without waiting: 1 the
 * reply of type want (in c->reply, *ret reading it); 2 a question of the
 * helper's, answered; 0 nothing there yet; < 0 the helper failed and is
 * stopped (-EINVAL: its ERROR, in c->message; -ENOEXEC: it could not
 * start). */
int xtc_take_message(bs_xt_client *c, bs_family f, uint32_t id, bs_xt_type want, bs_xt_reader *ret);
/* The RENDER request of items[0..n) (one family) in c->buf: as many as
 * fit one message, *k of them (0: the first cannot be sent at all). */
int xtc_build_render(bs_xt_client *c, const bs_ext_render_item *items, size_t n, size_t *len, size_t *k);
/* The warm-up's state freed (no helper stopped). */
void xtc_warm_drop(bs_xt_client *c);
/* Before a request of a read: the warm-up's answers are waited for (as
 * long as a request is), so that the read finds the texts instead of
 * asking for them again; requests never overlap on a helper's socket. */
void xtc_warm_finish(bs_xt_client *c);
