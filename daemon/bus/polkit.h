/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Authorization of method calls through polkit, asynchronously, in the
 * pattern of systemd's bus_verify_polkit_async(): the first call of a
 * handler starts CheckAuthorization and keeps the message; when polkit
 * answers, the message is queued again and the handler runs a second time,
 * now getting the answer. A handler therefore calls bs_polkit_verify()
 * after validating its arguments and before changing anything:
 *
 *     r = bs_polkit_verify(m->polkit, msg, extra_actions, error);
 *     if (r < 0) return r;          // denied / failed, error set
 *     if (r == 0) return 1;         // asked polkit; we will be called again
 *     ... authorized ...
 *
 * Every method must be listed in the one table in polkit.c; a method that is
 * missing there is denied. Callers with effective uid 0 are allowed without
 * asking. Results belong to one message and are never reused for another. */

#include <stdbool.h>
#include <systemd/sd-bus.h>
#include <sys/types.h>

#define BS_ACTION_READ_RULES "org.backstop.firewall1.read-rules"
#define BS_ACTION_READ_CONNECTIONS "org.backstop.firewall1.read-connections"
#define BS_ACTION_APPLY "org.backstop.firewall1.apply"
#define BS_ACTION_APPLY_UNCONFIRMED "org.backstop.firewall1.apply-unconfirmed"
#define BS_ACTION_SAVE "org.backstop.firewall1.save"

typedef struct BsPolkit BsPolkit;

/* ask_root: treat uid 0 like anyone else (only ever stricter; the test
 * suite uses it, through BACKSTOP_POLKIT_ASK_ROOT=1, to exercise polkit
 * while running as root). */
int bs_polkit_new(sd_bus *bus, bool ask_root, BsPolkit **ret);
BsPolkit *bs_polkit_free(BsPolkit *p);

/* The action the table maps this method to, or NULL (denied). */
const char *bs_polkit_action_for(const char *interface, const char *member);

/* 1: authorized; 0: check started, the handler will be re-dispatched;
 * <0: not authorized or failed, *error set (AccessDenied,
 * InteractiveAuthorizationRequired, or LimitsExceeded: see
 * bs_polkit_verify_ask). extra_actions (NULL-terminated, may be
 * NULL) are required in addition to the method's own action. */
int bs_polkit_verify(BsPolkit *p, sd_bus_message *m, const char *const *extra_actions, sd_bus_error *error);

/* bs_polkit_verify with more to say about the call. */
typedef struct BsPolkitAsk {
        /* required in addition to the method's own action (NULL-terminated,
         * may be NULL) */
        const char *const *extra_actions;
        /* the size of m's arguments, when they may be large (0: small): a
         * check pins m until polkit answers, and the bytes pinned in all
         * are bounded */
        size_t request_bytes;
        /* asked after the required ones, never interactively; its answer
         * does not fail the call but is reported in optional_allowed
         * (true for a caller with uid 0) */
        const char *optional_action;
        bool optional_allowed;
} BsPolkitAsk;

/* As bs_polkit_verify. Also refused, with LimitsExceeded, when starting a
 * check would keep more than a few calls of the caller's uid waiting for
 * polkit, or too many bytes of calls in all. */
int bs_polkit_verify_ask(BsPolkit *p, sd_bus_message *m, BsPolkitAsk *ask, sd_bus_error *error);

/* The effective uid of the caller of m (a lookup at the bus daemon, kept
 * per unique name: the same caller costs it once, with up to a few hundred
 * callers at a time). */
int bs_polkit_sender_uid(BsPolkit *p, sd_bus_message *m, uid_t *ret);

/* Number of checks waiting for polkit (for tests and the watchdog log). */
size_t bs_polkit_pending(const BsPolkit *p);
