/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The lockout pre-flight: would the proposed filter tables cut management
 * access? Evaluated with the rule evaluator against the live connections:
 *
 *  - established: every established inbound connection (to one of our
 *    addresses; TCP in state ESTABLISHED, other protocols once a reply was
 *    seen). Its next packet in (INPUT, ESTABLISHED, original direction) and
 *    our next packet out (OUTPUT, ESTABLISHED, reply direction).
 *  - new-management: a NEW connection from each address that holds an
 *    inbound connection to a management port (and from the caller's
 *    SSH_CONNECTION), to the same local address, to each management port:
 *    the SYN in (INPUT, NEW) and our answer out (OUTPUT, ESTABLISHED reply).
 *    The probe reuses the existing connection's source port.
 *  - loopback: TCP 127.0.0.1:50000 -> 127.0.0.1:1 (::1 for IPv6), NEW and
 *    ESTABLISHED, both hooks: traffic on lo must pass as a whole, so the
 *    probe uses a port no service rule is likely to single out.
 *
 * The input interface is not in conntrack. It is inferred: our own
 * addresses (loopback included) come in on "lo"; an address inside exactly
 * one interface's connected subnet comes in on that interface; otherwise
 * the interface is unknown but certainly not lo, so `-i lo` is decided and
 * `-i eth0` makes the answer UNCERTAIN (a finding, never a silent guess).
 *
 * Each connection or probe yields at most one finding: the first place
 * (INPUT before OUTPUT) where it is dropped, rejected, or undecidable. */

#include "conntrack.h"
#include "eval.h"
#include "localaddr.h"
#include "mgmt.h"

typedef enum bs_finding_kind {
        BS_FINDING_ESTABLISHED,
        BS_FINDING_NEW_MANAGEMENT,
        BS_FINDING_LOOPBACK,
} bs_finding_kind;

typedef struct bs_finding {
        bs_finding_kind kind;
        bs_family family;
        bs_conn conn;                            /* the connection, or the probe's tuple */
        char connection[BS_CONN_STRING_MAX];     /* "tcp 10.0.0.2:51234 -> 10.0.0.1:22" */
        bs_hook hook;                            /* where it is cut */
        bs_verdict verdict;                      /* DROP, REJECT or UNCERTAIN */
        char chain[BS_CHAIN_NAME_MAX + 4];
        uint32_t position;                       /* 0: the chain's policy */
        bool has_rule;
        bs_rule rule;                            /* a copy of the deciding rule when has_rule */
        char reason[160];                        /* for UNCERTAIN */
} bs_finding;

typedef struct bs_lockout_report {
        bs_finding *findings;
        size_t n, cap;
} bs_lockout_report;

typedef struct bs_lockout_input {
        const bs_table *v4, *v6;        /* proposed filter tables; NULL: family not analysed */
        const bs_conn *conns;
        size_t n_conns;
        const bs_local_addrs *local;
        const bs_mgmt_ports *ports;
        const bs_ssh_connection *ssh;   /* the caller's session, optional */
} bs_lockout_input;

/* Fills *ret (to be released with bs_lockout_report_done) with every
 * finding; an empty report means nothing would be cut. -EINVAL (a table
 * of the wrong family, missing ports), -ENOMEM, or an evaluator error. */
int bs_lockout_check(const bs_lockout_input *in, bs_lockout_report *ret);
void bs_lockout_report_done(bs_lockout_report *r);
#define _cleanup_lockout_report_ _cleanup_(bs_lockout_report_done)

const char *bs_finding_kind_to_string(bs_finding_kind k) _pure_;

/* Renders a rule for messages (e.g. the text layer's bs_render_rule);
 * returns a malloc'ed string or NULL. */
typedef char *(*bs_rule_render_fn)(const bs_rule *r);

/* The rule as `iptables -S` prints it after "-A CHAIN " (text.h's
 * bs_render_rule), malloc'ed; NULL on failure. */
char *bs_lockout_render_rule(const bs_rule *r);

/* The one-paragraph LockoutRisk message, e.g. "this change would cut off 2
 * connections: tcp 10.0.0.2:51234 -> 10.0.0.1:22 (established) by policy
 * DROP of INPUT; tcp 10.0.0.2:51234 -> 10.0.0.1:22 (new management) by rule
 * 3 of INPUT (-p tcp -j REJECT)"; without with_connections each
 * connection's addresses and ports are left out ("a connection
 * (established) by policy DROP of INPUT; ..."). render may be NULL:
 * bs_lockout_render_rule (if it fails, the rule is described by its
 * target). -ENODATA for an empty report, -ENOMEM. */
int bs_lockout_format(const bs_lockout_report *r, bs_rule_render_fn render, bool with_connections, char **ret);
