/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Internals of backstop-xtables (xt-helper.c): the request handlers of
 * xt-helper-ext.c, each writing its reply into buf (BS_XT_MSG_MAX bytes)
 * and sending it, or ending the process through libxtables' exit_err. */

#include <netinet/in.h>
#include <linux/netfilter_ipv4/ip_tables.h>
#include <linux/netfilter_ipv6/ip6_tables.h>

#include "util.h"
#include "xt-proto.h"

int xth_family(void);
int xth_send(const void *buf, size_t len);
/* The pending request has had its reply. */
void xth_reply_sent(void);

void xth_render(bs_xt_reader *r, const bs_xt_hdr *h, uint8_t *buf);
void xth_describe(bs_xt_reader *r, const bs_xt_hdr *h, uint8_t *buf);
void xth_parse(bs_xt_reader *r, const bs_xt_hdr *h, uint8_t *buf);
