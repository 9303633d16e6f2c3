/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A change set as the API takes it: strings in iptables syntax, each for
 * every family it is valid for (see dbus/org.backstop.Firewall1.xml), turned
 * into per-family bs_change values and the equivalent iptables commands.
 * Pure code: no logging, -errno plus a message naming the bad change. */

#include "rule.h"

#define BS_CHANGESET_MAX 10000   /* changes per call */
#define BS_CHANGE_TEXT_MAX 8192  /* bytes per change */
/* Bytes of all the changes of one call: twice what 10,000 rules of
 * iptables-save's usual length take, and a bound on the work a call can
 * cause: parsing this much rule text with a service name in every port
 * took 130 ms here (tests/test-changeset prints the figure). */
#define BS_CHANGESET_TEXT_MAX (2u << 20)
/* While a transaction is pending, a Preview (which parses and evaluates
 * what it is given, Busy does not stop it) takes at most this much: a due
 * rollback waits for the call being handled, and a quarter of a MiB of the
 * costliest rule text keeps that call near 30 ms here, on average, against
 * 200 ms for the largest (tests/test-hostile-rollback prints both). */
#define BS_PREVIEW_PENDING_TEXT_MAX (256u << 10)

typedef struct bs_changeset {
        bs_change *changes;  /* each for exactly one family, in the order given */
        size_t n_changes;
        char **commands;     /* "iptables -I INPUT 1 ...", same order */
        size_t n_commands;
        char *command_text;  /* what commands[] point into: one allocation */
} bs_changeset;

void bs_changeset_done(bs_changeset *s);
#define _cleanup_changeset_ _cleanup_(bs_changeset_done)

/* -EINVAL: a change is malformed, too long, for another table than filter,
 *          or valid for no family;
 * -E2BIG: too many changes;
 * -EAFNOSUPPORT: a change is valid only for IPv6 and ipv6 is false.
 * err (may be NULL) receives a sentence naming the change. */
int bs_changeset_parse(char *const *lines, size_t n, bool ipv6, bs_changeset *ret, char *err, size_t err_size);

/* S0 + the change set, in memory, for one family. On error *ret is NULL,
 * the index of the failing change in *ret_failed (may be NULL); errors as
 * bs_table_apply_change (e.g. -EPERM for deleting a built-in chain, -EBUSY
 * for deleting a referenced one; bs_bus_change_errno names them on the
 * bus). */
int bs_changeset_apply(const bs_changeset *s, const bs_table *before, bs_table **ret, size_t *ret_failed);

/* Whether the change set can only widen what the tables accept: every
 * change appends or inserts a rule whose target is ACCEPT and whose
 * matches keep no state another rule reads (an opaque extension could be
 * `recent --set`: not counted), or creates a chain. A packet such a rule
 * does not match goes on as before; one it matches is accepted: no
 * packet the tables let through now is dropped. (What newly accepted
 * packets then do, an RST or an ICMP error let in, or NEW packets filling
 * the conntrack table, is past what the pre-flight judges anyway.) */
bool bs_changeset_only_widens(const bs_changeset *s) _pure_;

/* A change set from ready changes (each for one family, e.g. the recipe's):
 * takes ownership of changes[0..n) (the array itself stays the caller's)
 * and renders their commands. */
int bs_changeset_from_changes(bs_change *changes, size_t n, bs_changeset *ret);
