/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The verification report: the reference workflow's checks over the
 * filter tables, one item each, with stable ids (see Check in
 * dbus/org.backstop.Firewall1.xml):
 *
 *   stateful-rule-present   INPUT has the ESTABLISHED,RELATED accept (either spelling)
 *   stateful-rule-position  ...before the first broad DROP/REJECT and every service allow
 *   loopback-allowed        -i lo -j ACCEPT before the first broad DROP/REJECT
 *   management-allowed      every management port accepted before it
 *   input-policy            the INPUT policy is DROP
 *   ipv6-ndp-allowed        (IPv6) neighbour discovery (ICMPv6 133-136) reaches the host
 *   stateful-counter        the stateful rule has matched packets: replies are matched by it
 *   ipv6-parity             (both families) IPv6 INPUT protects like IPv4 INPUT
 *
 * Rules are recognised as classify.h says. Pure. */

#include "mgmt.h"

typedef struct bs_check_item {
        char id[32];
        char family[8];    /* "ipv4", "ipv6", or "" for ipv6-parity */
        bool passed;
        char summary[256]; /* one line for people */
        char detail[1024];
} bs_check_item;

typedef struct bs_check_report {
        bs_check_item *items;
        size_t n, cap;
        bool passed;       /* every item passed */
} bs_check_report;

/* v4 and/or v6 may be NULL (family not checked; ipv6-parity needs both). */
int bs_check_run(const bs_table *v4, const bs_table *v6, const bs_mgmt_ports *ports, bs_check_report *ret);
void bs_check_report_done(bs_check_report *r);
#define _cleanup_check_report_ _cleanup_(bs_check_report_done)
/* The item with that id and family, or NULL. */
const bs_check_item *bs_check_report_find(const bs_check_report *r, const char *id, const char *family) _pure_;
