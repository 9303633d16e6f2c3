/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Strict confirmation: a transaction applied in strict mode may only be
 * confirmed through a NEW management connection, which proves that
 * management access works under the new rules. The caller names its
 * connection (SSH_CONNECTION); it is accepted only if conntrack has it,
 * it is an ESTABLISHED TCP connection, it ends at an address of this host
 * on a management port, it comes from an address that is not ours, it was
 * not in the set of connections present at apply time, and (when conntrack
 * timestamps are on) it started after the apply time. That the caller is on
 * that connection is peer.h's part (preflight_strict_check does both). */

#include "conntrack.h"
#include "localaddr.h"
#include "mgmt.h"

/* One connection present at apply time. The conntrack id alone is not
 * enough (ids are reused), nor the tuple alone (a client may reuse a
 * port): an entry matches only when both are equal. */
typedef struct bs_ct_snapshot_entry {
        uint32_t id;
        bs_family family;
        uint8_t l4proto;
        bs_ct_tuple orig;
} bs_ct_snapshot_entry;

/* Only inbound TCP connections to a management port that are, or can
 * still become, ESTABLISHED are kept: no other connection can ever be
 * accepted by bs_strict_check. No cap of its own: a snapshot never holds
 * more than the connection dump it is built from (BS_CONNS_MAX), and the
 * journal parser reads no more than that. */
#define BS_CT_SNAPSHOT_MAX BS_CONNS_MAX
/* The longest journal line of a snapshot: the header and at most 112
 * bytes an entry (" 4294967295,6,255,<39>,65535,<39>,65535" is 109). */
#define BS_CT_SNAPSHOT_TEXT_MAX (64u + (size_t) BS_CT_SNAPSHOT_MAX * 112u)

typedef struct bs_ct_snapshot {
        uint64_t taken_ns;  /* CLOCK_REALTIME ns at apply time (conntrack's timestamp clock) */
        bs_ct_snapshot_entry *entries;
        size_t n, cap;
} bs_ct_snapshot;

/* The inbound management connections of conns (see above). -ENOMEM. */
int bs_ct_snapshot_build(const bs_conn *conns, size_t n, const bs_local_addrs *local, const bs_mgmt_ports *ports,
                         uint64_t taken_ns, bs_ct_snapshot *ret);
void bs_ct_snapshot_done(bs_ct_snapshot *s);
#define _cleanup_ct_snapshot_ _cleanup_(bs_ct_snapshot_done)

/* One line of text for the journal (no newline):
 *   "ctsnap1 taken=NS n=N ID,FAMILY,PROTO,SRC,SPORT,DST,DPORT ..."
 * e.g. "ctsnap1 taken=1700000000000000000 n=1 3735928559,4,6,10.0.0.2,51234,10.0.0.1,22". */
int bs_ct_snapshot_to_string(const bs_ct_snapshot *s, char **ret);
/* Parse it back, validating every field; on -EINVAL err names the entry
 * and field at fault. */
int bs_ct_snapshot_from_string(const char *line, bs_ct_snapshot *ret, char *err, size_t errlen);

/* 0: accepted. -EPERM: rejected, reason says why. -EINVAL: the
 * SSH_CONNECTION string is malformed, reason says how. */
int bs_strict_check(const char *ssh_connection, const bs_conn *conns, size_t n, const bs_ct_snapshot *at_apply,
                    const bs_local_addrs *local, const bs_mgmt_ports *ports, char *reason, size_t reason_len);
