/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The daemon's side of the access code: gathers the live inputs (conntrack,
 * local addresses, management ports plus the caller's SSH connection) for
 * the lockout pre-flight, the strict-mode snapshot and its check. No
 * logging; -errno. */

#include <sys/types.h>

#include "lockout.h"
#include "mgmt.h"
#include "strict.h"

/* Lockout analysis of the proposed tables (after[1] may be NULL).
 * ssh_connection may be NULL or "". */
int preflight_lockout(bs_table *const after[2], const bs_mgmt_ports *ports, const char *ssh_connection,
                      bs_lockout_report *ret);

/* The inbound management connections now, as the journal line of strict
 * mode. */
int preflight_snapshot(const bs_mgmt_ports *ports, char **ret);

/* Strict confirmation against the snapshot line from the journal: the
 * connection passes bs_strict_check and the caller (process caller_pid)
 * is on it (bs_peer_on_connection). 0 accepted; -EPERM rejected (reason);
 * -EINVAL bad ssh_connection or snapshot (reason). */
int preflight_strict_check(const char *ssh_connection, const char *snapshot, const bs_mgmt_ports *ports,
                           pid_t caller_pid, char *reason, size_t reason_len);
