/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Internals of backstop-xtables (xt-helper.c): the request handlers of
 * xt-helper-ext.c, each writing its reply into buf (BS_XT_MSG_MAX bytes)
 * and sending it, or ending the process through libxtables' exit_err. */

#include <netinet/in.h>
#include <linux/netfilter_ipv4/ip_tables.h>
#include <linux/netfilter_ipv6/ip6_tables.h>

#include <xtables.h>

#include "util.h"
#include "xt-proto.h"

int xth_family(void);
int xth_send(const void *buf, size_t len);
/* The pending request has had its reply. */
void xth_reply_sent(void);
/* A question to the daemon while a request is served: the message begun
 * with xth_begin_question in buf (size bytes), len bytes long; its answer,
 * of type want, is read into buf and r (the process ends if none comes). */
void xth_begin_question(bs_xt_writer *w, uint8_t *buf, bs_xt_type type);
void xth_ask_daemon(uint8_t *buf, size_t size, size_t len, bs_xt_type want, bs_xt_reader *r);

#define MATCH_HDR XT_ALIGN(sizeof(struct xt_entry_match))
#define TARGET_HDR XT_ALIGN(sizeof(struct xt_entry_target))

/* The rule's entry around an extension, with what extensions look at:
 * the protocol and its inversion. */
typedef union xth_entry {
        struct ipt_entry e4;
        struct ip6t_entry e6;
} xth_entry;
void xth_entry_init(xth_entry *e, uint16_t proto, bool proto_invert);

/* The extension's options as getopt_long sees them, after iptables'
 * merge (malloc'ed; NULL when it has none). */
struct option;
struct option *xth_merged_options(const struct xt_option_entry *x6, const struct option *extra,
                                  unsigned int *offset);

/* xt-helper-parse.c: what text (" -m NAME OPTIONS" as printed) parses to,
 * split and parsed as the daemon would: these very bytes, the same but
 * for bytes at the extension's initial values, or something else. */
typedef enum xth_match {
        XTH_DIFFERENT,
        XTH_EXACT,
        XTH_EQUIVALENT,
} xth_match;
xth_match xth_verify(bool is_target, const xth_entry *e, const char *text, const char *name, uint8_t revision,
                const uint8_t *payload, size_t size);
/* xt-helper.c: while verifying, exit_err returns to xth_verify. */
void xth_verify_begin(void *jmp);
void xth_verify_end(void);

void xth_render(bs_xt_reader *r, const bs_xt_hdr *h, uint8_t *buf);
void xth_describe(bs_xt_reader *r, const bs_xt_hdr *h, uint8_t *buf);
void xth_parse(bs_xt_reader *r, const bs_xt_hdr *h, uint8_t *buf);
