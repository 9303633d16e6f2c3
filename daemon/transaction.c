/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "transaction.h"
#include "utf8.h"

#include <inttypes.h>
#include <stdarg.h>
#include <time.h>

#include "bus-transaction.h"
#include "log.h"
#include "persist.h"
#include "preflight.h"
#include "rollback.h"

#define RETRY_USEC BS_RETRY_USEC

static uint64_t now_usec(clockid_t clock) {
        struct timespec ts;
        clock_gettime(clock, &ts);
        return (uint64_t) ts.tv_sec * 1000000ULL + (uint64_t) ts.tv_nsec / 1000ULL;
}

const char *transaction_state_to_string(TransactionState s) {
        switch (s) {
        case TRANSACTION_PENDING:
                return "pending";
        case TRANSACTION_ROLLING_BACK:
                return "rolling-back";
        case TRANSACTION_CONFIRMED:
                return "confirmed";
        default:
                return "rolled-back";
        }
}

Transaction *transaction_free(Transaction *t) {
        if (!t)
                return NULL;
        sd_event_source_disable_unref(t->timer);
        bs_journal_free(t->journal);
        free(t->changes);
        free(t->changes_text);
        free(t);
        return NULL;
}

static int transaction_new(Manager *m, uint32_t id, char *const *changes, size_t n, Transaction **ret) {
        Transaction *t = calloc(1, sizeof(*t));
        if (!t)
                return -ENOMEM;
        t->manager = m;
        t->id = id;
        transaction_bus_path(id, t->path, sizeof(t->path));
        /* the commands in one allocation, not one each (a 10,000-rule
         * change would cost 10,000 allocations and as many frees) */
        size_t total = 0;
        for (size_t i = 0; i < n; i++)
                total += strlen(changes[i]) + 1;
        t->changes = calloc(n + 1, sizeof(char *));
        t->changes_text = malloc(total ? total : 1);
        if (!t->changes || !t->changes_text) {
                transaction_free(t);
                return -ENOMEM;
        }
        char *p = t->changes_text;
        for (size_t i = 0; i < n; i++) {
                size_t len = strlen(changes[i]) + 1;
                memcpy(p, changes[i], len);
                t->changes[i] = p;
                p += len;
        }
        t->n_changes = n;
        *ret = t;
        return 0;
}

/* A transaction that ended must not come back from its journal at the
 * next start (a confirmed one would be rolled back): remove the journal,
 * or, when that fails, record the end next to it (journal-ended, which
 * recover_journal honours). Fails only when neither can be done. */
static int close_journal(Manager *m, uint32_t id) {
        int r = bs_journal_remove(m->runtime_dir);
        if (r >= 0)
                return 0;
        int k = bs_journal_mark_ended(m->runtime_dir, id);
        if (k < 0) {
                log_error_errno(k, "Cannot remove the journal of transaction %" PRIu32 " (%s), nor record that "
                                   "it ended: %m", id, strerror(-r));
                return r;
        }
        log_warning("Cannot remove the journal of transaction %" PRIu32 " (%s); its end is recorded in %s/%s.", id,
                    strerror(-r), m->runtime_dir, BS_JOURNAL_ENDED_FILE);
        return 0;
}

/* The transaction is over: off the timer, out of the journal, onto the
 * list of ended ones. */
static void transaction_end(Transaction *t, TransactionState state, const char *reason) {
        Manager *m = t->manager;
        t->state = state;
        if (reason)
                snprintf(t->rollback_reason, sizeof(t->rollback_reason), "%s", reason);
        t->timer = sd_event_source_disable_unref(t->timer);
        t->deadline_boottime = t->deadline_realtime = 0;
        manager_release_journal(m, TAKE_PTR(t->journal));
        (void) close_journal(m, t->id);
        if (m->pending == t)
                m->pending = NULL;
        manager_keep_ended(m, t);
        transaction_send_changed(t, STRV_MAKE("State", "Deadline", "RollbackReason"));
        transaction_send_ended(t);
        /* the tables did not change here (a rollback refreshes the rest) */
        manager_refresh_pending(m);
}

static int on_deadline(sd_event_source *s, uint64_t usec, void *userdata) {
        Transaction *t = userdata;
        char err[512], reason[sizeof(t->rollback_reason)] = "timeout";
        /* usec is the deadline: how late the rollback starts is what any
         * call the daemon was busy with cost it, logged for every one */
        uint64_t start = now_usec(CLOCK_BOOTTIME);
        uint32_t id = t->id;
        bool retry = t->state == TRANSACTION_ROLLING_BACK;
        if (retry)
                memcpy(reason, t->rollback_reason, sizeof(reason));
        else
                log_notice("Transaction %" PRIu32 " was not confirmed in time: rolling back.", id);
        int r = transaction_rollback(t, reason, err, sizeof(err));
        if (r >= 0 && !retry)
                log_info("Transaction %" PRIu32 " rolled back (timeout), %.1f ms after its deadline (the rollback "
                         "took %.1f ms).",
                         id, start > usec ? (double) (start - usec) / 1e3 : 0.0,
                         (double) (now_usec(CLOCK_BOOTTIME) - start) / 1e3);
        if (r < 0)
                log_error("Rollback of transaction %" PRIu32 " failed, retrying in 5 s: %s", t->id, err);
        return 0;
}

static int arm_timer(Transaction *t) {
        Manager *m = t->manager;
        if (t->timer) {
                int r = sd_event_source_set_time(t->timer, t->deadline_boottime);
                if (r < 0)
                        return r;
                return sd_event_source_set_enabled(t->timer, SD_EVENT_ONESHOT);
        }
        /* Accuracy 1 µs: 0 would mean sd-event's default of 250 ms, and the
         * rollback would start up to a quarter second after the deadline. */
        int r = sd_event_add_time(m->event, &t->timer, CLOCK_BOOTTIME, t->deadline_boottime, 1, on_deadline, t);
        if (r < 0)
                return r;
        /* Ahead of the bus: a due rollback runs before the next queued call
         * is read, so a flood of calls delays it by one call at most. */
        return sd_event_source_set_priority(t->timer, SD_EVENT_PRIORITY_IMPORTANT);
}

/* What transaction_apply hands bs_nf_apply_both's prepare step, and what
 * that step leaves for it. */
typedef struct ApplyStep {
        Manager *manager;
        const bs_changeset *set;
        const TransactionOptions *options;
        uid_t owner;
        char *err;
        size_t err_size;
        char *snapshot;        /* strict mode's connections, taken by the journal */
        Transaction *transaction;
        bool prepared;         /* the step ran: errors after it are the kernel's */
        bool journal_written;
} ApplyStep;

static void journal_base_drop(Manager *m) {
        bs_journal_base_unref(TAKE_PTR(m->journal_base));
        for (int f = 0; f < 2; f++)
                bs_table_free(TAKE_PTR(m->journal_tip[f]));
}

/* The base j names: the current one when the tables before are the ones
 * its replay leads to (nothing else committed since) and its replay has
 * room for n_new more, else a new one written from the tables before. */
static int journal_use_base(Manager *m, bs_table *const before[2], size_t n_new, bs_journal *j) {
        bs_journal_base *b = m->journal_base;
        if (!b || m->journal_tip[0] != before[0] || m->journal_tip[1] != before[1] ||
            n_new > BS_JOURNAL_REPLAY_MAX - b->n_replay || b->replay_bytes > BS_JOURNAL_REPLAY_BYTES_MAX) {
                _cleanup_journal_base_ bs_journal_base *nb = NULL;
                int r = bs_journal_base_write(m->runtime_dir, manager_tables_const(before), &nb);
                if (r < 0)
                        return r;
                journal_base_drop(m);
                m->journal_base = TAKE_PTR(nb);
                for (int f = 0; f < 2; f++)
                        m->journal_tip[f] = bs_table_ref(before[f]);
        }
        bs_journal_base_unref(j->base);
        j->base = bs_journal_base_ref(m->journal_base);
        j->n_replay = m->journal_base->n_replay;
        return 0;
}

/* Committed: before became after through commands. The base's replay
 * follows when it led to before; otherwise the next journal writes a new
 * base. */
static void journal_base_advance(Manager *m, bs_table *const before[2], bs_table *const after[2],
                                 char *const *commands, size_t n) {
        if (!m->journal_base || m->journal_tip[0] != before[0] || m->journal_tip[1] != before[1] ||
            bs_journal_base_append(m->journal_base, commands, n) < 0) {
                journal_base_drop(m);
                return;
        }
        for (int f = 0; f < 2; f++) {
                bs_table_free(m->journal_tip[f]);
                m->journal_tip[f] = bs_table_ref(after[f]);
        }
}

/* The command that redoes one rule of others' commit in the family's
 * table after it (an insert's rule is found there by its handle). */
static int render_followed(const bs_table *after, bs_family fam, const bs_nft_mirror_op *op, bs_buf *out) {
        bs_change c = { .kind = op->add ? BS_CHANGE_INSERT : BS_CHANGE_DELETE_NUM,
                        .families = bs_family_mask(fam), .table = "filter", .position = (uint32_t) op->index + 1 };
        if (op->index >= UINT32_MAX)
                return -E2BIG;
        snprintf(c.chain, sizeof(c.chain), "%s", op->chain);
        if (op->add) {
                const bs_chain *ch = bs_table_find_chain(after, op->chain);
                size_t i = 0;
                while (ch && i < ch->n_rules && ch->rules[i].origin != op->handle)
                        i++;
                if (!ch || i == ch->n_rules)
                        return -ESTALE;
                c.rule = ch->rules[i]; /* borrowed: rendered, never freed here */
        }
        return bs_render_change(&c, fam, out);
}

void transaction_journal_follow_others(Manager *m) {
        for (int f = 0; f < 2; f++) {
                bs_nft_mirror_ops ops;
                const void *from = bs_nft_mirror_take_followed(&m->nft_mirror, f, &ops);
                _cleanup_free_ bs_nft_mirror_op *v = ops.v;
                if (!from || !m->journal_base || m->journal_tip[f] != from)
                        continue;
                const bs_table *after = m->read_cache[f].table;
                bs_family fam = f == 0 ? BS_FAMILY_IPV4 : BS_FAMILY_IPV6;
                char **commands = calloc(ops.n ? ops.n : 1, sizeof(char *));
                int r = commands ? 0 : -ENOMEM;
                for (size_t i = 0; r >= 0 && i < ops.n; i++) {
                        _cleanup_buf_ bs_buf b = {};
                        r = render_followed(after, fam, &ops.v[i], &b);
                        if (r >= 0 && !(commands[i] = strdup(b.data)))
                                r = -ENOMEM;
                }
                if (r >= 0 && (ops.n > BS_JOURNAL_REPLAY_MAX - m->journal_base->n_replay ||
                               m->journal_base->replay_bytes > BS_JOURNAL_REPLAY_BYTES_MAX))
                        r = -E2BIG;
                if (r >= 0)
                        r = bs_journal_base_append(m->journal_base, commands, ops.n);
                for (size_t i = 0; commands && i < ops.n; i++)
                        free(commands[i]);
                free(commands);
                if (r < 0) {
                        /* the next transaction writes a new base */
                        journal_base_drop(m);
                        continue;
                }
                bs_table_free(m->journal_tip[f]);
                m->journal_tip[f] = bs_table_ref(m->read_cache[f].table);
        }
}

/* The tables before and after are known, nothing is committed yet: the
 * lockout pre-flight on the tables after, then the transaction and its
 * journal, written before the commit (the tables are the ones committed
 * on: the nf layer holds the xtables lock throughout). Called again, with
 * the tables read again, when a commit must be retried. */
static int prepare_apply(const bs_nf_transition *tr, void *userdata) {
        ApplyStep *step = userdata;
        Manager *m = step->manager;
        const TransactionOptions *o = step->options;
        int r;
        step->prepared = true;

        /* A change set that only adds ACCEPT rules cannot cut what the
         * tables let through now: no need for the connections (whose
         * sock_diag dumps walk the kernel's socket hash, shared by every
         * namespace: most of a small Apply's time). */
        if (!o->force && !bs_changeset_only_widens(step->set)) {
                _cleanup_lockout_report_ bs_lockout_report report = {};
                r = preflight_lockout(tr->after, &m->ports, o->ssh_connection, &report);
                if (r < 0)
                        return bs_seterr(step->err, step->err_size, -EIO,
                                      "the lockout pre-flight could not run (%s); nothing was changed (\"force\" "
                                      "applies without it)",
                                      strerror(-r));
                if (report.n > 0) {
                        _cleanup_free_ char *msg = NULL;
                        r = bs_lockout_format(&report, NULL, o->show_connections, &msg);
                        if (r < 0)
                                return bs_seterr(step->err, step->err_size, r, "cannot describe the lockout risk: %s",
                                              strerror(-r));
                        return bs_seterr(step->err, step->err_size, -EHOSTUNREACH, "%s", msg);
                }
        }

        Transaction *t = step->transaction;
        if (!t) {
                uint32_t id;
                r = bs_journal_next_id(m->runtime_dir, &id);
                if (r < 0)
                        return bs_seterr(step->err, step->err_size, -EIO,
                                      "cannot write to the runtime directory %s: %s", m->runtime_dir, strerror(-r));
                r = transaction_new(m, id, step->set->commands, step->set->n_commands, &t);
                if (r < 0)
                        return bs_seterr(step->err, step->err_size, r, "cannot create the transaction: %s",
                                      strerror(-r));
                step->transaction = t;
                t->owner = step->owner;
                t->save = o->save;
                t->strict = o->strict;
        }
        if (o->timeout_sec == 0)
                return 0;

        t->deadline_boottime = now_usec(CLOCK_BOOTTIME) + (uint64_t) o->timeout_sec * 1000000ULL;
        t->deadline_realtime = now_usec(CLOCK_REALTIME) + (uint64_t) o->timeout_sec * 1000000ULL;
        bs_journal *j = t->journal;
        if (!j) {
                j = t->journal = bs_journal_new();
                if (!j)
                        return bs_seterr(step->err, step->err_size, -ENOMEM, "cannot create the journal: %s",
                                      strerror(ENOMEM));
                j->id = t->id;
                j->owner_uid = step->owner;
                j->strict = o->strict;
                j->save = o->save;
                if ((r = bs_journal_add_changes(j, step->set->commands, step->set->n_commands)) < 0)
                        return bs_seterr(step->err, step->err_size, r, "cannot record the changes in the journal: %s",
                                      strerror(-r));
                if (step->snapshot) {
                        free(j->connections);
                        j->connections = TAKE_PTR(step->snapshot);
                }
        }
        j->deadline_boottime_usec = t->deadline_boottime;
        j->deadline_realtime_usec = t->deadline_realtime;
        r = journal_use_base(m, tr->before, step->set->n_commands, j);
        if (r < 0)
                return bs_seterr(step->err, step->err_size, -EIO, "cannot write the journal to %s: %s",
                              m->runtime_dir, strerror(-r));
        /* The journal borrows the tables to write them; it takes them
         * once they are committed. */
        for (int f = 0; f < 2; f++) {
                j->before[f] = tr->before[f];
                j->after[f] = tr->after[f];
        }
        r = bs_journal_write(m->runtime_dir, j);
        for (int f = 0; f < 2; f++)
                j->before[f] = j->after[f] = NULL;
        if (r < 0)
                return bs_seterr(step->err, step->err_size, -EIO, "cannot write the journal to %s: %s",
                              m->runtime_dir, strerror(-r));
        step->journal_written = true;
        return 0;
}

/* Drop one family's commands ("iptables " or "ip6tables ") from the
 * journal: read back, its table after for that family is then its table
 * before. */
static void journal_drop_commands(bs_journal *j, const char *program) {
        size_t kept = 0, len = strlen(program);
        /* (the strings are the journal's blocks: freed with it) */
        for (size_t i = 0; i < j->n_changes; i++)
                if (strncmp(j->changes[i], program, len) != 0)
                        j->changes[kept++] = j->changes[i];
        j->n_changes = kept;
}

/* The kernel refused the IPv6 commit and IPv4, committed first, could not
 * be put back: IPv4 holds the change, IPv6 does not. With a journal, the
 * transaction stays, for IPv4 alone (the IPv6 commands out of its journal,
 * IPv6's table after = before), and is rolled back at once by its timer
 * (which retries every 5 s); without one (timeout 0), the caller is told. */
static int keep_ipv4_only(Manager *m, Transaction *t, bs_nf_transition *tr, int error, char *err, size_t err_size) {
        log_error_errno(error, "The kernel refused the IPv6 change and IPv4 could not be put back: %m");
        bs_journal *j = t ? t->journal : NULL;
        if (!j) {
                transaction_free(t);
                return bs_seterr(err, err_size, -EIO,
                              "the kernel refused the IPv6 change (%s), and IPv4, changed first, could not be put "
                              "back: IPv4 holds the change, IPv6 does not",
                              strerror(-error));
        }
        journal_drop_commands(j, "ip6tables ");
        for (int f = 0; f < 2; f++) {
                j->before[f] = TAKE_PTR(tr->before[f]);
                j->after[f] = f == 0 ? TAKE_PTR(tr->after[0]) : bs_table_ref(j->before[1]);
        }
        t->deadline_boottime = j->deadline_boottime_usec = now_usec(CLOCK_BOOTTIME);
        t->deadline_realtime = j->deadline_realtime_usec = now_usec(CLOCK_REALTIME);
        int r = bs_journal_write(m->runtime_dir, j);
        if (r < 0)
                log_error_errno(r, "Cannot rewrite the journal of transaction %" PRIu32 ": %m", t->id);
        t->state = TRANSACTION_PENDING;
        m->pending = t;
        manager_refresh_pending(m);
        r = arm_timer(t);
        if (r < 0)
                log_error_errno(r, "Cannot arm the timer of transaction %" PRIu32 ": %m", t->id);
        return bs_seterr(err, err_size, -EIO,
                      "the kernel refused the IPv6 change (%s), and IPv4, changed first, could not be put back: "
                      "transaction %" PRIu32 " rolls IPv4 back now",
                      strerror(-error), t->id);
}

int transaction_apply(Manager *m, const bs_changeset *set, const TransactionOptions *o, uid_t owner,
                      Transaction **ret, size_t *ret_failed, char *err, size_t err_size) {
        *ret_failed = SIZE_MAX;
        if (m->pending)
                return bs_seterr(err, err_size, -EBUSY, "transaction %" PRIu32 " is pending", m->pending->id);
        if (o->strict && o->timeout_sec == 0)
                return bs_seterr(err, err_size, -EINVAL, "strict confirmation needs a timeout");

        ApplyStep step = {
                .manager = m, .set = set, .options = o, .owner = owner, .err = err, .err_size = err_size,
        };
        if (err_size > 0)
                err[0] = 0;
        int r;
        if (o->strict) {
                r = preflight_snapshot(&m->ports, &step.snapshot);
                if (r < 0)
                        return bs_seterr(err, err_size, r, "cannot record the connections for strict mode: %s",
                                      strerror(-r));
        }

        /* Read, check, journal and commit as one step under the xtables
         * lock, through the read caches: a table this daemon has read or
         * committed since it last changed is copied, not decoded. */
        unsigned families = bs_family_mask(BS_FAMILY_IPV4) | (m->ipv6_active ? bs_family_mask(BS_FAMILY_IPV6) : 0);
        _cleanup_transition_ bs_nf_transition tr = {};
        manager_commit_begin(m);
        r = m->backend->apply_both("filter", set->changes, set->n_changes, families, &m->nf, m->read_cache, prepare_apply,
                             &step, &tr);
        manager_commit_end(m);
        Transaction *t = step.transaction;
        if (r < 0 && tr.ipv4_only)
                return keep_ipv4_only(m, t, &tr, r, err, err_size);
        if (r < 0) {
                if (step.journal_written)
                        (void) bs_journal_remove(m->runtime_dir);
                transaction_free(t);
                free(step.snapshot);
                if (tr.failed < set->n_changes) {
                        *ret_failed = tr.failed;
                        return bs_seterr(err, err_size, r, "%s: %s", set->commands[tr.failed], strerror(-r));
                }
                if (step.prepared && err_size > 0 && err[0])
                        return r; /* the pre-flight's or the journal's, err says */
                if (!step.prepared)
                        return bs_seterr(err, err_size, r, "cannot read the filter table: %s",
                                         manager_read_strerror(m, r));
                bs_seterr(err, err_size, r, "the kernel refused the change: %s", strerror(-r));
                /* the changes were checked long before: an EINVAL now is the
                 * kernel refusing the commit, not a bad argument */
                return r == -EINVAL || r == -E2BIG ? -EIO : r;
        }
        free(step.snapshot);
        if (t->journal)
                for (int f = 0; f < 2; f++) {
                        t->journal->before[f] = TAKE_PTR(tr.before[f]);
                        t->journal->after[f] = TAKE_PTR(tr.after[f]);
                }
        journal_base_advance(m, t->journal ? t->journal->before : tr.before, t->journal ? t->journal->after : tr.after,
                             set->commands, set->n_commands);

        if (o->timeout_sec == 0) {
                log_info("Transaction %" PRIu32 " applied without confirmation by uid %u.", t->id, (unsigned) owner);
                t->state = TRANSACTION_CONFIRMED;
                manager_keep_ended(m, t);
                if (t->save) {
                        const bs_table *now[2] = {};
                        r = manager_peek_tables(m, families, true, now);
                        if (r >= 0)
                                r = manager_save(m, now);
                        if (r < 0)
                                log_error_errno(r, "Saving after transaction %" PRIu32 " failed: %m", t->id);
                }
        } else {
                r = arm_timer(t);
                if (r < 0) {
                        /* no timer, no safety net: undo at once */
                        char e2[256];
                        m->pending = t;
                        t->state = TRANSACTION_PENDING;
                        log_error_errno(r, "Cannot arm the timer of transaction %" PRIu32 ": %m", t->id);
                        (void) transaction_rollback(t, "failure", e2, sizeof(e2));
                        return bs_seterr(err, err_size, r, "cannot arm the confirmation timer");
                }
                t->state = TRANSACTION_PENDING;
                m->pending = t;
                log_info("Transaction %" PRIu32 " applied by uid %u; rollback in %" PRIu32 " s unless confirmed.",
                         t->id, (unsigned) owner, o->timeout_sec);
        }
        transaction_send_applied(t);
        /* from the tables just committed: no second read of both */
        manager_refresh_pending(m);
        manager_refresh_properties_with(m, manager_tables_const(t->journal ? t->journal->after : tr.after));
        *ret = t;
        return 0;
}

/* The proof a strict transaction asks of Confirm and Extend: a new
 * management connection, which the caller is on. */
static int strict_proof(Transaction *t, const char *what, const char *ssh_connection, pid_t caller_pid, char *err,
                        size_t err_size) {
        if (!ssh_connection || !*ssh_connection)
                return bs_seterr(err, err_size, -EINVAL,
                              "transaction %" PRIu32 " is strict: \"ssh-connection\" is required", t->id);
        char reason[768] = "";
        int r = preflight_strict_check(ssh_connection, t->journal ? t->journal->connections : "", &t->manager->ports,
                                       caller_pid, reason, sizeof(reason));
        if (r < 0) {
                log_notice("Strict %s of transaction %" PRIu32 " rejected: %s", what, t->id, reason);
                return bs_seterr(err, err_size, r == -EINVAL ? -EINVAL : -EPERM, "%s",
                              reason[0] ? reason : strerror(-r));
        }
        log_info("Strict %s of transaction %" PRIu32 ": %s", what, t->id, reason);
        return 0;
}

int transaction_confirm(Transaction *t, const char *ssh_connection, pid_t caller_pid, char *err, size_t err_size) {
        Manager *m = t->manager;
        if (t->state != TRANSACTION_PENDING)
                return bs_seterr(err, err_size, -ESRCH, "transaction %" PRIu32 " is %s", t->id,
                              transaction_state_to_string(t->state));
        if (t->strict) {
                int r = strict_proof(t, "confirmation", ssh_connection, caller_pid, err, err_size);
                if (r < 0)
                        return r;
        }
        /* the journal goes first: a failure here leaves the transaction
         * pending, as the journal on disk still says */
        int k = close_journal(m, t->id);
        if (k < 0)
                return bs_seterr(err, err_size, -EIO, "cannot remove the journal of transaction %" PRIu32
                                 " (%s): it stays pending, and is rolled back at its deadline unless confirmed",
                                 t->id, strerror(-k));
        log_info("Transaction %" PRIu32 " confirmed.", t->id);
        bool save = t->save;
        uint32_t id = t->id;
        transaction_end(t, TRANSACTION_CONFIRMED, NULL);
        if (!save)
                return 0;
        bs_table *now[2] = {};
        int r = manager_read_tables(m, now);
        if (r >= 0)
                r = manager_save(m, manager_tables_const(now));
        manager_free_tables(now);
        manager_refresh_properties_soon(m);
        if (r < 0)
                return bs_seterr(err, err_size, r, "transaction %" PRIu32 " is confirmed, but saving failed: %s", id,
                              strerror(-r));
        return 0;
}

typedef struct RollbackMerge {
        const bs_table *before, *after;
        size_t dropped;
} RollbackMerge;

/* bs_nf_rewrite_both's compute step, per family ([0] IPv4, [1] IPv6 in
 * userdata): the table to restore, NULL when the table already is what it
 * should be. */
static int rollback_merge(const bs_table *current, void *userdata, bs_table **ret) {
        RollbackMerge *merge = (RollbackMerge *) userdata + (current->family == BS_FAMILY_IPV4 ? 0 : 1);
        _cleanup_table_ bs_table *target = NULL;
        merge->dropped = 0;
        int r = bs_rollback_table(merge->before, merge->after, current, &target, &merge->dropped);
        if (r < 0)
                return r;
        *ret = bs_table_equal(target, current) ? NULL : TAKE_PTR(target);
        return 0;
}

/* The rollback could not finish: the transaction shows it (State
 * "rolling-back" and the reason) and its timer retries; a journal whose
 * deadline is still ahead (Rollback was asked for) is marked due, so that
 * a restart finishes the rollback instead of waiting for the deadline. */
static void rollback_failed(Transaction *t, const char *reason) {
        Manager *m = t->manager;
        if (t->state != TRANSACTION_ROLLING_BACK || !streq(t->rollback_reason, reason)) {
                if (t->rollback_reason != reason)
                        snprintf(t->rollback_reason, sizeof(t->rollback_reason), "%s", reason);
                t->state = TRANSACTION_ROLLING_BACK;
                transaction_send_changed(t, STRV_MAKE("State", "RollbackReason"));
        }
        uint64_t now = now_usec(CLOCK_BOOTTIME);
        bs_journal *j = t->journal;
        if (j && j->deadline_boottime_usec > now) {
                uint64_t old = j->deadline_boottime_usec;
                j->deadline_boottime_usec = now;
                int r = bs_journal_write(m->runtime_dir, j);
                if (r < 0) {
                        j->deadline_boottime_usec = old;
                        log_error_errno(r, "Cannot mark the journal of transaction %" PRIu32 " as due: %m", t->id);
                }
        }
        t->deadline_boottime = now + RETRY_USEC;
        int r = arm_timer(t);
        if (r < 0)
                log_error_errno(r, "Cannot arm the rollback retry of transaction %" PRIu32 ": %m", t->id);
}

int transaction_rollback(Transaction *t, const char *reason, char *err, size_t err_size) {
        Manager *m = t->manager;
        if ((t->state != TRANSACTION_PENDING && t->state != TRANSACTION_ROLLING_BACK) || !t->journal)
                return bs_seterr(err, err_size, -ESRCH, "transaction %" PRIu32 " is %s", t->id,
                              transaction_state_to_string(t->state));
        bs_journal *j = t->journal;

        /* Read, merge and restore both families as one step under the
         * xtables lock (a rule another program committed in between would
         * be overwritten by a table computed without it; and nobody sees
         * one family rolled back and the other not), on one read of each
         * table, through the read caches: the apply left the committed
         * tables there, so an untouched table costs no decode. */
        RollbackMerge merge[2] = {};
        unsigned families = 0;
        for (int f = 0; f < 2; f++) {
                if (!j->before[f])
                        continue;
                merge[f] = (RollbackMerge) { .before = j->before[f], .after = j->after[f] };
                families |= bs_family_mask(f == 0 ? BS_FAMILY_IPV4 : BS_FAMILY_IPV6);
        }
        bool ipv4_only = false;
        manager_commit_begin(m);
        int r = m->backend->rewrite_both("filter", families, &m->nf, m->read_cache, rollback_merge, merge, &ipv4_only);
        if (r < 0 && !ipv4_only && r != -EWOULDBLOCK && families == BS_FAMILY_MASK_BOTH &&
            j->after[0] != j->before[0]) {
                /* IPv6 could not be read or written (not the lock: IPv4
                 * would wait for it too): IPv4 need not wait for IPv6
                 * (after == before once IPv4 is rolled back). */
                if (m->backend->rewrite_both("filter", bs_family_mask(BS_FAMILY_IPV4), &m->nf, m->read_cache,
                                       rollback_merge, merge, NULL) >= 0)
                        ipv4_only = true;
        }
        manager_commit_end(m);
        if (r < 0 && ipv4_only) {
                /* IPv4 is rolled back and stays so: a retry must leave it
                 * alone (its merge would put removed rules back twice). */
                bs_table_free(j->after[0]);
                j->after[0] = bs_table_ref(j->before[0]);
                journal_drop_commands(j, "iptables ");
                if (bs_journal_write(m->runtime_dir, j) < 0)
                        log_error("Cannot rewrite the journal of transaction %" PRIu32 ".", t->id);
                log_error("Rollback of transaction %" PRIu32 ": IPv4 is rolled back, IPv6 is not yet.", t->id);
        }
        if (r < 0) {
                rollback_failed(t, reason);
                if (m->backend != &bs_backend_iptables_legacy)  /* the lock is legacy's alone */
                        return bs_seterr(err, err_size, r, "cannot roll back the filter tables: %s", strerror(-r));
                return bs_seterr(err, err_size, r, "cannot roll back the filter tables (xtables lock %s): %s",
                              bs_xtlock_path(), strerror(-r));
        }
        for (int f = 0; f < 2; f++)
                if (merge[f].dropped > 0)
                        log_warning("Rollback of transaction %" PRIu32 ": %zu removed %s rule(s) jump to chains "
                                    "that others deleted meanwhile; they cannot be put back.",
                                    t->id, merge[f].dropped, f == 0 ? "IPv4" : "IPv6");
        log_notice("Transaction %" PRIu32 " rolled back (%s).", t->id, reason);
        transaction_end(t, TRANSACTION_ROLLED_BACK, reason);
        manager_refresh_properties_soon(m);
        return 0;
}

int transaction_extend(Transaction *t, uint32_t seconds, const char *ssh_connection, pid_t caller_pid, char *err,
                       size_t err_size) {
        Manager *m = t->manager;
        if (t->state != TRANSACTION_PENDING || !t->journal)
                return bs_seterr(err, err_size, -ESRCH, "transaction %" PRIu32 " is %s", t->id,
                              transaction_state_to_string(t->state));
        if (seconds < 1 || seconds > BS_TIMEOUT_MAX_SEC)
                return bs_seterr(err, err_size, -EINVAL, "seconds %" PRIu32 " out of range 1..%d", seconds,
                              BS_TIMEOUT_MAX_SEC);
        if (t->strict) {
                int r = strict_proof(t, "extension", ssh_connection, caller_pid, err, err_size);
                if (r < 0)
                        return r;
        }
        uint64_t boot = now_usec(CLOCK_BOOTTIME) + (uint64_t) seconds * 1000000ULL;
        uint64_t real = now_usec(CLOCK_REALTIME) + (uint64_t) seconds * 1000000ULL;
        uint64_t old_boot = t->journal->deadline_boottime_usec, old_real = t->journal->deadline_realtime_usec;
        t->journal->deadline_boottime_usec = boot;
        t->journal->deadline_realtime_usec = real;
        int r = bs_journal_write(m->runtime_dir, t->journal);
        if (r < 0) {
                t->journal->deadline_boottime_usec = old_boot;
                t->journal->deadline_realtime_usec = old_real;
                return bs_seterr(err, err_size, -EIO, "cannot write the journal: %s", strerror(-r));
        }
        t->deadline_boottime = boot;
        t->deadline_realtime = real;
        r = arm_timer(t);
        if (r < 0)
                return bs_seterr(err, err_size, r, "cannot move the timer: %s", strerror(-r));
        log_info("Transaction %" PRIu32 " extended by %" PRIu32 " s.", t->id, seconds);
        transaction_send_changed(t, STRV_MAKE("Deadline"));
        return 0;
}

int transaction_resume(Manager *m, bs_journal *j) {
        Transaction *t = NULL;
        int r = transaction_new(m, j->id, j->changes, j->n_changes, &t);
        if (r < 0) {
                bs_journal_free(j);
                return r;
        }
        t->journal = j;
        t->owner = j->owner_uid;
        t->strict = j->strict;
        t->save = j->save;
        t->deadline_boottime = j->deadline_boottime_usec;
        t->deadline_realtime = j->deadline_realtime_usec;
        t->state = TRANSACTION_PENDING;
        m->pending = t;

        if (j->deadline_boottime_usec <= now_usec(CLOCK_BOOTTIME)) {
                char err[512];
                log_notice("Transaction %" PRIu32 " found pending with its deadline passed: rolling back.", t->id);
                r = transaction_rollback(t, "daemon-restart", err, sizeof(err));
                if (r < 0)
                        log_error("Rollback of transaction %" PRIu32 " failed, retrying in 5 s: %s", t->id, err);
                return 0;  /* done, or retried by the timer */
        } else
                log_notice("Transaction %" PRIu32 " resumed; rollback in %" PRIu64 " s unless confirmed.", t->id,
                           (uint64_t) ((j->deadline_boottime_usec - now_usec(CLOCK_BOOTTIME)) / 1000000ULL));
        r = arm_timer(t);
        if (r < 0)
                return log_error_errno(r, "Cannot arm the timer of transaction %" PRIu32 ": %m", t->id);
        return 0;
}
