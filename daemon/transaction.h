/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Transactions: one change set applied behind the commit-confirm timer.
 * Apply = snapshot both families, write the journal, commit both as one
 * unit, arm a CLOCK_BOOTTIME timer. Confirm drops the journal; Rollback or
 * the deadline undo this transaction's own changes (rollback.c). */

#include <sys/types.h>

#include "changeset.h"
#include "journal.h"
#include "manager.h"

typedef enum TransactionState {
        TRANSACTION_PENDING,
        /* still pending: its rollback started (deadline or request, in
         * rollback_reason) and failed, a retry is due (the timer) */
        TRANSACTION_ROLLING_BACK,
        TRANSACTION_CONFIRMED,
        TRANSACTION_ROLLED_BACK,
} TransactionState;

struct Transaction {
        Manager *manager;
        uint32_t id;
        char path[96];
        TransactionState state;
        char rollback_reason[32];
        bs_journal *journal;  /* S0, S1, deadline, owner, changes; kept while pending */
        char **changes;       /* commands, for the Changes property (kept after end) */
        char *changes_text;   /* what changes[] point into */
        size_t n_changes;
        uid_t owner;
        bool strict, save;
        uint64_t deadline_boottime, deadline_realtime;  /* usec; 0 when none */
        sd_event_source *timer;
};

typedef struct TransactionOptions {
        uint32_t timeout_sec;  /* 0: no confirmation */
        bool strict, force, save;
        char ssh_connection[128];
        /* the caller may see connections (read-connections): a LockoutRisk
         * error names them; else it only counts them */
        bool show_connections;
} TransactionOptions;

#define BS_TIMEOUT_DEFAULT_SEC 60
#define BS_TIMEOUT_MAX_SEC 86400

const char *transaction_state_to_string(TransactionState s);
Transaction *transaction_free(Transaction *t);

/* Apply a parsed change set. -EBUSY when one is pending; -EHOSTUNREACH
 * when the lockout pre-flight finds connections it would cut (unless
 * o->force; err lists them); a change the tables refuse: the rule model's
 * -errno (bs_table_apply_change: -EPERM for deleting a built-in chain,
 * -EBUSY for deleting a referenced one, ...), its index in *ret_failed
 * (SIZE_MAX for any other failure), err "COMMAND: strerror"; -EIO
 * when the kernel refused the commit as invalid; errors from the core
 * otherwise (nothing changed), with err naming what failed. */
int transaction_apply(Manager *m, const bs_changeset *set, const TransactionOptions *o, uid_t owner,
                      Transaction **ret, size_t *ret_failed, char *err, size_t err_size);
/* Strict transactions need the caller's ssh_connection, a new management
 * connection that the caller (process caller_pid) is on: -EINVAL when
 * missing or malformed, -EPERM when rejected (err says why). */
int transaction_confirm(Transaction *t, const char *ssh_connection, pid_t caller_pid, char *err, size_t err_size);
/* Undo now; reason is one of the API's ("timeout", "request", ...). On
 * failure the transaction is rolling back: still m->pending, State
 * "rolling-back" with the reason, retried by its timer every
 * BS_RETRY_USEC until it is rolled back. */
int transaction_rollback(Transaction *t, const char *reason, char *err, size_t err_size);
/* A strict transaction is extended only with the same proof as its
 * confirmation (ssh_connection, caller_pid; errors as there): else the
 * session that applied it could keep it alive for ever. */
int transaction_extend(Transaction *t, uint32_t seconds, const char *ssh_connection, pid_t caller_pid, char *err,
                       size_t err_size);

/* At start: a journal found in the runtime directory. Re-creates the
 * pending transaction and its timer, or rolls back at once (reason
 * "daemon-restart") when the deadline passed. Takes the journal. */
int transaction_resume(Manager *m, bs_journal *j);
/* Others' commits the nft mirror followed: where the journal base's
 * tables were the ones a commit started from, the base's replay follows
 * it (its rules as -I/-D commands), so that the next transaction names
 * the base instead of writing the tables again. */
void transaction_journal_follow_others(Manager *m);
