/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "manager.h"

#include <inttypes.h>
#include <time.h>

#include "backend-choice.h"
#include "bus-manager.h"
#include "fileio.h"
#include "journal.h"
#include "log.h"
#include "nft-monitor.h"
#include "persist.h"
#include "restore.h"
#include "text.h"
#include "transaction.h"

int manager_new(Manager **ret) {
        Manager *m = calloc(1, sizeof(*m));
        if (!m)
                return -ENOMEM;
        m->backend = &bs_backend_iptables_legacy;
        m->nf = (bs_nf_options) BS_NF_OPTIONS_DEFAULT;
        m->nf.before_commit = manager_forget_checked;
        m->nf.userdata = m;
        bs_mgmt_ports_default(&m->ports);
        int r = sd_event_default(&m->event);
        if (r < 0) {
                free(m);
                return r;
        }
        *ret = m;
        return 0;
}

Manager *manager_free(Manager *m) {
        if (!m)
                return NULL;
        transaction_free(m->pending);
        for (size_t i = 0; i < m->n_ended; i++)
                transaction_free(m->ended[i]);
        sd_event_source_disable_unref(m->refresh_timer);
        sd_event_source_disable_unref(m->nft_monitor);
        bs_nft_sock_close(&m->nft_monitor_sock);
        sd_event_source_disable_unref(m->ipv6_timer);
        sd_event_source_disable_unref(m->spent_reaper);
        manager_warm_xtables_stop(m);
        for (size_t i = 0; i < m->n_spent; i++)
                bs_journal_free(m->spent[i]);
        bs_polkit_free(m->polkit);
        sd_bus_flush_close_unref(m->bus);
        sd_event_unref(m->event);
        free(m->runtime_dir);
        free(m->boot_restore);
        free(m->state_dir);
        free(m->backend_reason);
        free(m->nft_description);
        free(m->legacy_description);
        bs_nft_mirror_done(&m->nft_mirror);
        for (int f = 0; f < 2; f++) {
                bs_nf_read_cache_done(&m->read_cache[f]);
                bs_table_free(m->journal_tip[f]);
        }
        bs_journal_base_unref(m->journal_base);
        for (int f = 0; f < 2; f++) {
                bs_persist_cache_done(&m->saved_cache[f]);
                free(m->rules_text[f].text);
                free(m->plain_text[f].text);
        }
        free(m);
        return NULL;
}

static int on_reap_spent(sd_event_source *s, void *userdata) {
        Manager *m = userdata;
        for (size_t i = 0; i < m->n_spent; i++)
                bs_journal_free(m->spent[i]);
        m->n_spent = 0;
        return 0;
}

void manager_release_journal(Manager *m, bs_journal *j) {
        if (!j)
                return;
        int r = m->event && m->n_spent < ELEMENTSOF(m->spent) ? 0 : -ENOSPC;
        if (r >= 0)
                r = m->spent_reaper ? sd_event_source_set_enabled(m->spent_reaper, SD_EVENT_ONESHOT)
                                    : sd_event_add_defer(m->event, &m->spent_reaper, on_reap_spent, m);
        if (r < 0) {
                bs_journal_free(j); /* now, then */
                return;
        }
        m->spent[m->n_spent++] = j;
}

void manager_free_tables(bs_table *t[2]) {
        for (int i = 0; i < 2; i++) {
                bs_table_free(t[i]);
                t[i] = NULL;
        }
}

int manager_read_tables(Manager *m, bs_table *ret[2]) {
        bs_table *t[2] = {};
        int r = m->backend->read(BS_FAMILY_IPV4, "filter", &m->nf, &t[0]);
        if (r >= 0 && m->ipv6_active)
                r = m->backend->read(BS_FAMILY_IPV6, "filter", &m->nf, &t[1]);
        if (r < 0) {
                manager_free_tables(t);
                return r;
        }
        ret[0] = t[0];
        ret[1] = t[1];
        return 0;
}

const char *manager_read_strerror(const Manager *m, int r) {
        if (r == -EOPNOTSUPP && m->backend == &bs_backend_iptables_nft)
                return "a table holds what iptables-nft cannot show either (another tool's chains, sets or "
                       "expressions), and Backstop leaves it alone";
        return strerror(r < 0 ? -r : r);
}

void manager_forget_checked(void *userdata) {
        Manager *m = userdata;
        m->read_checked[0] = m->read_checked[1] = 0;
}

int manager_peek_tables(Manager *m, unsigned families, bool with_counters, const bs_table *ret[2]) {
        const bs_table *t[2] = {};
        uint64_t iteration = 0;
        bool have_iteration = m->event && sd_event_get_iteration(m->event, &iteration) >= 0;
        for (int f = 0; f < 2; f++) {
                bs_family fam = f == 0 ? BS_FAMILY_IPV4 : BS_FAMILY_IPV6;
                if (!(families & bs_family_mask(fam)) || (f == 1 && !m->ipv6_active))
                        continue;
                if (have_iteration && m->read_checked[f] == iteration + 1 && m->read_cache[f].table &&
                    (m->read_checked_counters[f] || !with_counters)) {
                        t[f] = m->read_cache[f].table;
                        continue;
                }
                bs_nf_options o = m->nf;
                o.counters_may_lag = !with_counters;
                int r = m->backend->read_cached(fam, "filter", &o, &m->read_cache[f], &t[f]);
                if (r < 0)
                        return r;
                m->read_checked[f] = have_iteration ? iteration + 1 : 0;
                m->read_checked_counters[f] = with_counters;
        }
        ret[0] = t[0];
        ret[1] = t[1];
        return 0;
}

int manager_save(Manager *m, const bs_table *const t[2]) {
        if (m->ipv6_state == IPV6_UNKNOWN)
                return -EAGAIN;
        return bs_persist_save(m->state_dir, t);
}

void manager_keep_ended(Manager *m, Transaction *t) {
        if (m->n_ended == BS_ENDED_MAX) {
                transaction_free(m->ended[0]);
                memmove(&m->ended[0], &m->ended[1], (BS_ENDED_MAX - 1) * sizeof(Transaction *));
                m->n_ended--;
        }
        m->ended[m->n_ended++] = t;
}

Transaction *manager_find_transaction(Manager *m, uint32_t id) {
        if (m->pending && m->pending->id == id)
                return m->pending;
        for (size_t i = 0; i < m->n_ended; i++)
                if (m->ended[i]->id == id)
                        return m->ended[i];
        return NULL;
}

static void policies_of(const bs_table *const t[2], ManagerPolicies *ret) {
        *ret = (ManagerPolicies) {};
        for (int f = 0; f < 2; f++) {
                if (!t[f])
                        continue;
                ret->present[f] = true;
                for (size_t i = 0; i < t[f]->n_chains && ret->n[f] < BS_POLICIES_CHAINS_MAX; i++) {
                        if (!t[f]->chains[i].builtin)
                                continue;
                        snprintf(ret->chains[f][ret->n[f]].chain, sizeof(ret->chains[f][0].chain), "%s",
                                 t[f]->chains[i].name);
                        ret->chains[f][ret->n[f]].policy = t[f]->chains[i].policy;
                        ret->n[f]++;
                }
        }
}

/* One ruleset beside ours: a flag and what was found. A failed look keeps
 * the last answer. */
static void refresh_other(bool announced, int r, bool found, char *desc, bool *flag, char **description,
                          const char *flag_name, const char *description_name, const char **changed, size_t *n) {
        _cleanup_free_ char *d = desc;
        if (r < 0)
                return;
        if (!announced || found != *flag) {
                *flag = found;
                changed[(*n)++] = flag_name;
        }
        if (!announced || !streq_ptr(d, *description)) {
                free(*description);
                *description = TAKE_PTR(d);
                changed[(*n)++] = description_name;
        }
}

/* Nftables*: base chains on input other than the tables the backend keeps
 * its own rules in; Legacy*: the legacy filter table, when it is not ours.
 * Appends the names of what changed to changed (room for 4). */
static void refresh_other_rulesets(Manager *m, const char **changed, size_t *n) {
        bool nft_backend = m->backend == &bs_backend_iptables_nft;
        bool found = false;
        char *desc = NULL;
        int r = bs_nf_nftables_filters_input(nft_backend, &found, &desc);
        refresh_other(m->others_announced, r, found, desc, &m->nft_filters_input, &m->nft_description,
                      "NftablesFiltersInput", "NftablesDescription", changed, n);

        found = false;
        desc = NULL;
        r = 0;
        if (m->backend != &bs_backend_iptables_legacy) {
                bs_backend_probe p;
                bs_backend_probe_default(&p);
                p.nf = &m->nf;
                r = bs_legacy_filters_input(&p, &found, &desc);
        }
        refresh_other(m->others_announced, r, found, desc, &m->legacy_filters_input, &m->legacy_description,
                      "LegacyFiltersInput", "LegacyDescription", changed, n);
        m->others_announced = true;
}

void manager_refresh_properties(Manager *m) {
        const bs_table *t[2];
        if (manager_peek_tables(m, BS_FAMILY_MASK_BOTH, false, t) >= 0) {
                manager_refresh_properties_with(m, t);
                return;
        }
        /* Our tables cannot be read now (try again next time); the
         * other rulesets still can */
        const char *changed[5];
        size_t n = 0;
        bool first = !m->others_announced;
        refresh_other_rulesets(m, changed, &n);
        changed[n] = NULL;
        if ((first && !m->serving) || n == 0)
                return;
        manager_send_changed(m, (char **) changed);
}

void manager_refresh_properties_with(Manager *m, const bs_table *const t[2]) {
        const char *changed[10];
        size_t n = 0;

        ManagerPolicies pol;
        policies_of(t, &pol);
        bool saved = false;
        (void) bs_persist_equal(m->state_dir, t, m->saved_cache, &saved);

        /* (policies_of starts from all zeroes: memcmp compares the values) */
        if (!m->announced || memcmp(&pol, &m->policies, sizeof(pol)) != 0) {
                m->policies = pol;
                changed[n++] = "Policies";
        }
        if (!m->announced || saved != m->rules_saved) {
                m->rules_saved = saved;
                changed[n++] = "RulesSaved";
        }
        refresh_other_rulesets(m, changed, &n);
        uint32_t pending = m->pending ? m->pending->id : 0;
        if (!m->announced || pending != m->last_pending) {
                m->last_pending = pending;
                changed[n++] = "PendingTransaction";
        }
        changed[n] = NULL;

        /* the read caches' generation changes with the rules they hold
         * (counters aside): ours, from our commits, or the kernel's, read
         * after someone else's */
        unsigned rules_changed = 0;
        bool rules_moved = false;
        for (int f = 0; f < 2; f++) {
                uint64_t g = m->read_cache[f].table ? m->read_cache[f].generation : 0;
                if (g != m->rules_announced[f]) {
                        if (m->announced)
                                rules_changed |= f == 0 ? BS_FAMILY_MASK_IPV4 : BS_FAMILY_MASK_IPV6;
                        m->rules_announced[f] = g;
                        rules_moved = true;
                }
        }
        /* new rules (at start: all of them): their extensions' texts
         * printed in the background, for the next read */
        if (rules_moved)
                manager_warm_xtables(m);

        bool first = !m->announced;
        m->announced = true;
        if (first && !m->serving)
                return;  /* nobody can have read the old values yet */
        if (n > 0)
                manager_send_changed(m, (char **) changed);
        if (rules_changed && m->serving)
                manager_send_rules_changed(m, rules_changed);
}

void manager_refresh_pending(Manager *m) {
        uint32_t pending = m->pending ? m->pending->id : 0;
        if (m->announced && pending != m->last_pending) {
                m->last_pending = pending;
                manager_send_changed(m, STRV_MAKE("PendingTransaction"));
        }
}

void manager_refresh_properties_soon(Manager *m) {
        /* PendingTransaction costs nothing to compare: announce it now,
         * in order with the transaction's own signals */
        manager_refresh_pending(m);
        if (!m->refresh_timer || sd_event_source_set_time(m->refresh_timer, 0) < 0 ||
            sd_event_source_set_enabled(m->refresh_timer, SD_EVENT_ON) < 0)
                manager_refresh_properties(m);
}

static int on_refresh(sd_event_source *s, uint64_t usec, void *userdata) {
        Manager *m = userdata;
        /* A look in the background: with the lock held by another program
         * it is skipped until the next one, rather than block the bus for
         * the whole wait every BS_REFRESH_USEC. */
        unsigned wait_ms = m->nf.lock_timeout_ms;
        m->nf.lock_timeout_ms = 0;
        manager_refresh_properties(m);
        m->nf.lock_timeout_ms = wait_ms;
        (void) sd_event_source_set_time_relative(s, BS_REFRESH_USEC);
        (void) sd_event_source_set_enabled(s, SD_EVENT_ON);
        return 0;
}

static void detect_ipv6(Manager *m, unsigned lock_timeout_ms);

/* Each notification to the mirror of our tables in the read caches (a
 * commit of others that it follows needs no read of the tables). */
static void mirror_notification(const struct nlmsghdr *nlh, void *userdata) {
        Manager *m = userdata;
        if (!nlh || bs_nft_mirror_feed(&m->nft_mirror, m->read_cache, "filter", nlh) < 0)
                bs_nft_mirror_lost(&m->nft_mirror, m->read_cache);
        transaction_journal_follow_others(m);
}

/* Notifications queued before one of our own steps: followed first, so
 * that the step finds the caches at the kernel's generation. */
static void drain_notifications(Manager *m) {
        bool committed = false;
        if (m->nft_monitor && bs_nft_monitor_drain(&m->nft_monitor_sock, mirror_notification, m, &committed) >= 0 &&
            committed)
                manager_refresh_properties_soon(m);
}

static int on_nft_notification(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        Manager *m = userdata;
        bool committed = false;
        int r = bs_nft_monitor_drain(&m->nft_monitor_sock, mirror_notification, m, &committed);
        if (r < 0) {
                log_warning_errno(r, "Cannot read nf_tables notifications, watching every %llu s instead: %m",
                                  BS_REFRESH_USEC / 1000000ULL);
                (void) sd_event_source_set_enabled(s, SD_EVENT_OFF);
                return 0;
        }
        if (committed)
                manager_refresh_properties_soon(m);
        return 0;
}

void manager_commit_begin(Manager *m) {
        drain_notifications(m);
        if (m->nft_monitor && bs_nft_monitor_listen(&m->nft_monitor_sock, false) >= 0)
                m->nft_monitor_paused = true;
}

void manager_commit_end(Manager *m) {
        if (!m->nft_monitor_paused)
                return;
        m->nft_monitor_paused = false;
        int r = bs_nft_monitor_listen(&m->nft_monitor_sock, true);
        if (r < 0) {
                log_warning_errno(r, "Cannot watch nf_tables for changes again, looking every %llu s instead: %m",
                                  BS_REFRESH_USEC / 1000000ULL);
                (void) sd_event_source_set_enabled(m->nft_monitor, SD_EVENT_OFF);
        }
        manager_refresh_properties_soon(m);
}

/* Without notifications the refresh timer still notices changes, later. */
static void watch_nftables(Manager *m) {
        int r = bs_nft_monitor_open(&m->nft_monitor_sock);
        if (r >= 0)
                r = sd_event_add_io(m->event, &m->nft_monitor, mnl_socket_get_fd(m->nft_monitor_sock.nl), EPOLLIN,
                                    on_nft_notification, m);
        /* ahead of the bus: a call that comes after another program's
         * commit finds the caches following it, not a table to read */
        if (r >= 0)
                r = sd_event_source_set_priority(m->nft_monitor, SD_EVENT_PRIORITY_NORMAL - 10);
        if (r < 0)
                log_warning_errno(r, "Cannot watch nf_tables for changes, looking every %llu s instead: %m",
                                  BS_REFRESH_USEC / 1000000ULL);
}

/* A retry does not wait for the lock: the event loop has a rollback retry
 * and the property refresh waiting for it already, and each wait blocks
 * the bus for its whole length; the lock is taken for milliseconds by
 * everyone else, so a try every BS_RETRY_USEC gets it soon after it is
 * free. */
static int on_ipv6_retry(sd_event_source *s, uint64_t usec, void *userdata) {
        detect_ipv6(userdata, 0);
        return 0;
}

/* What reading the IPv6 filter table answers tells apart three cases.
 * Only an answer that the table does not exist means no IPv6: libip6tc's
 * init fails with EAFNOSUPPORT (no AF_INET6 raw socket: IPv6 disabled at
 * boot), ENOPROTOOPT (no ip6_tables in the kernel: no getsockopt handler)
 * or ENOENT (ip6_tables without ip6table_filter), which the nf layer
 * reports as -EPROTONOSUPPORT. Anything else, the xtables lock held past
 * our wait (-EWOULDBLOCK) above all, says nothing about IPv6: unknown, and
 * tried again every BS_RETRY_USEC. */
static void detect_ipv6(Manager *m, unsigned lock_timeout_ms) {
        _cleanup_table_ bs_table *t = NULL;
        bs_nf_options o = m->nf;
        o.lock_timeout_ms = lock_timeout_ms;
        int r = m->backend->read(BS_FAMILY_IPV6, "filter", &o, &t);
        Ipv6State old = m->ipv6_state;
        if (r >= 0)
                m->ipv6_state = IPV6_AVAILABLE;
        else if (r == -EPROTONOSUPPORT)
                m->ipv6_state = IPV6_ABSENT;
        else
                m->ipv6_state = IPV6_UNKNOWN;
        m->ipv6_active = m->ipv6_state == IPV6_AVAILABLE;

        if (m->ipv6_state == IPV6_UNKNOWN) {
                if (r != m->ipv6_error && m->backend == &bs_backend_iptables_legacy)
                        log_error_errno(r, "Cannot read the IPv6 filter table (xtables lock %s): %m. Retrying every "
                                           "%llu s; no change is applied or saved until it can be read.",
                                        bs_xtlock_path(), BS_RETRY_USEC / 1000000ULL);
                else if (r != m->ipv6_error)
                        log_error_errno(r, "Cannot read the IPv6 filter table: %s. Retrying every %llu s; no change "
                                           "is applied or saved until it can be read.",
                                        manager_read_strerror(m, r), BS_RETRY_USEC / 1000000ULL);
                m->ipv6_error = r;
                int k = m->ipv6_timer ? sd_event_source_set_time_relative(m->ipv6_timer, BS_RETRY_USEC)
                                      : sd_event_add_time_relative(m->event, &m->ipv6_timer, CLOCK_MONOTONIC,
                                                                   BS_RETRY_USEC, 0, on_ipv6_retry, m);
                if (k >= 0)
                        k = sd_event_source_set_enabled(m->ipv6_timer, SD_EVENT_ONESHOT);
                if (k < 0)
                        log_error_errno(k, "Cannot arm the IPv6 detection timer: %m");
                return;
        }
        m->ipv6_error = 0;
        if (m->ipv6_state == IPV6_ABSENT)
                log_notice_errno(r, "No IPv6 filter table in this kernel, managing IPv4 only: %m");
        else if (old == IPV6_UNKNOWN && m->announced)
                log_notice("The IPv6 filter table can be read now: managing IPv4 and IPv6.");
        if (old != m->ipv6_state && m->announced && m->bus) {
                manager_send_changed(m, STRV_MAKE("IPv6Active"));
                manager_refresh_properties_soon(m);
        }
}

static void recover_journal(Manager *m) {
        bs_journal *j = NULL;
        char err[512] = "";
        int r = bs_journal_load(m->runtime_dir, &j, err, sizeof(err));
        if (r == -ENOENT)
                return;
        if (r == -EBADMSG) {
                _cleanup_free_ char *aside = NULL;
                int k = bs_journal_set_aside(m->runtime_dir, &aside);
                log_crit("CORRUPT TRANSACTION JOURNAL in %s (%s). Not guessing: the kernel rules stay as "
                         "they are and no rollback will happen. The journal was %s%s. Check the rules by hand.",
                         m->runtime_dir, err, k >= 0 ? "moved to " : "NOT moved aside: ",
                         k >= 0 ? aside : strerror(-k));
                return;
        }
        if (r < 0) {
                log_crit_errno(r, "Cannot read the transaction journal in %s: %m. Kernel rules left as they are.",
                               m->runtime_dir);
                return;
        }
        uint32_t ended = 0;
        if (bs_journal_ended_id(m->runtime_dir, &ended) >= 0 && ended == j->id) {
                /* it ended (confirmed or rolled back) but its journal could
                 * not be removed then */
                log_notice("Transaction %" PRIu32 " ended before the restart: removing its journal.", j->id);
                r = bs_journal_remove(m->runtime_dir);
                if (r < 0)
                        log_error_errno(r, "Cannot remove the journal of transaction %" PRIu32 ": %m", j->id);
                bs_journal_free(j);
                return;
        }
        if (m->ipv6_state == IPV6_ABSENT && j->before[1]) {
                /* The kernel has no IPv6 filter table now: nothing of the
                 * transaction can be left in one (a table loaded again
                 * starts empty). Not so when IPv6 could not be read yet:
                 * then its half stays, and is rolled back once it can be
                 * written. */
                log_warning("Journal of transaction %" PRIu32 " has IPv6 tables, but this kernel has no IPv6 "
                            "filter table now: rolling back IPv4 only.",
                            j->id);
                bs_table_free(j->before[1]);
                bs_table_free(j->after[1]);
                j->before[1] = j->after[1] = NULL;
        }
        r = transaction_resume(m, j);
        if (r < 0)
                log_error_errno(r, "Cannot resume the pending transaction: %m");
}

int manager_start(Manager *m) {
        int r = bs_mkdir_parents(m->runtime_dir, 0755);
        if (r < 0)
                log_warning_errno(r, "Cannot create the runtime directory %s: %m", m->runtime_dir);

        detect_ipv6(m, m->nf.lock_timeout_ms);
        r = bs_boot_restore_read(m->runtime_dir, &m->boot_restore);
        if (r < 0)
                log_warning_errno(r, "Cannot read %s/%s: %m", m->runtime_dir, BS_BOOT_RESTORE_FILE);
        else if (strncmp(m->boot_restore, "fail-closed", 11) == 0)
                log_crit("The boot-time restore FAILED CLOSED (%s): the saved rules are not loaded.",
                         m->boot_restore);

        r = sd_bus_open_system(&m->bus);
        if (r < 0)
                return log_error_errno(r, "Cannot connect to the system bus: %m");
        r = bs_polkit_new(m->bus, m->polkit_ask_root, &m->polkit);
        if (r < 0)
                return log_oom();
        r = manager_add_bus_objects(m);
        if (r < 0)
                return r;
        r = sd_bus_attach_event(m->bus, m->event, SD_EVENT_PRIORITY_NORMAL);
        if (r < 0)
                return log_error_errno(r, "Cannot attach the bus to the event loop: %m");

        /* before taking the name: a pending transaction must be back (or
         * rolled back) before anyone can ask about it */
        recover_journal(m);
        manager_refresh_properties(m);

        r = sd_event_add_time_relative(m->event, &m->refresh_timer, CLOCK_MONOTONIC, BS_REFRESH_USEC, 0,
                                       on_refresh, m);
        if (r < 0)
                return log_error_errno(r, "Cannot add the refresh timer: %m");
        if (m->backend == &bs_backend_iptables_nft)
                watch_nftables(m);

        r = manager_request_bus_name(m);
        if (r < 0)
                return r;
        m->serving = true;
        return 0;
}

void manager_stop(Manager *m) {
        if (!m->pending)
                return;
        char err[512];
        Transaction *t = m->pending;
        log_notice("Stopping with transaction %" PRIu32 " pending: rolling it back.", t->id);
        int r = transaction_rollback(t, "daemon-stopped", err, sizeof(err));
        if (r < 0) {
                /* We were stopping: the next start must finish the
                 * rollback at once, not resume the old deadline. A journal
                 * whose deadline has passed is rolled back at start. */
                if (t->journal) {
                        struct timespec ts;
                        clock_gettime(CLOCK_BOOTTIME, &ts);
                        t->journal->deadline_boottime_usec = (uint64_t) ts.tv_sec * 1000000ULL +
                                                             (uint64_t) ts.tv_nsec / 1000ULL;
                        int k = bs_journal_write(m->runtime_dir, t->journal);
                        if (k < 0)
                                log_error_errno(k, "Cannot mark the journal of transaction %" PRIu32
                                                   " as due: %m. The next start resumes its deadline.",
                                                t->id);
                }
                log_crit("Rollback of transaction %" PRIu32 " at stop failed: %s. The journal stays; the next "
                         "start rolls it back.", t->id, err);
        }
        if (m->bus)
                (void) sd_bus_flush(m->bus);
}
