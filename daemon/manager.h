/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The daemon's one state object, in the manner of systemd's small bus
 * daemons: the bus connection, the event loop, polkit, the directories, the
 * pending transaction and the last ended ones. */

#include <sys/stat.h>
#include <systemd/sd-bus.h>
#include <systemd/sd-event.h>

#include "backend.h"
#include "journal.h"
#include "mgmt.h"
#include "nf.h"
#include "nft-mirror.h"
#include "nft-sock.h"
#include "persist.h"
#include "polkit.h"
#include "xt-client.h"

#define BS_ENDED_MAX 16
/* how often the daemon looks whether others changed what the properties
 * show (policies, saved state, nftables) */
#define BS_REFRESH_USEC (5ULL * 1000000ULL)
/* how long the daemon waits before trying again what the xtables lock or
 * the kernel refused: a rollback, the IPv6 detection */
#define BS_RETRY_USEC (5ULL * 1000000ULL)

/* Whether this kernel has the IPv6 filter table. Unknown while the first
 * read failed for another reason than its absence (the xtables lock held
 * past our wait, above all): the daemon then retries every BS_RETRY_USEC
 * and changes nothing, since changing IPv4 alone would leave IPv6 behind. */
typedef enum Ipv6State {
        IPV6_UNKNOWN,
        IPV6_AVAILABLE,
        IPV6_ABSENT,
} Ipv6State;

typedef struct Transaction Transaction;

/* The built-in chains' policies of one table, as the Policies property
 * shows them (the filter table has three built-in chains; five is every
 * table's most). */
#define BS_POLICIES_CHAINS_MAX 5
typedef struct ManagerPolicies {
        bool present[2];  /* [0] IPv4, [1] IPv6 */
        size_t n[2];
        struct {
                char chain[32];
                bs_policy policy;
        } chains[2][BS_POLICIES_CHAINS_MAX];
} ManagerPolicies;

typedef struct Manager {
        sd_event *event;
        sd_bus *bus;
        BsPolkit *polkit;
        char *runtime_dir;
        char *state_dir;
        const bs_backend *backend; /* what holds the rules: every table access goes through it */
        char *backend_reason;      /* why that one (backend-choice.h), e.g. "--backend=legacy" */
        bs_nf_options nf;
        bool ipv6_active;       /* ipv6_state == IPV6_AVAILABLE */
        Ipv6State ipv6_state;
        int ipv6_error;          /* while unknown: the last read's -errno */
        sd_event_source *ipv6_timer;
        bool polkit_ask_root;
        char *boot_restore;   /* what backstopd --restore recorded at boot (restore.h); "" for nothing */
        bs_mgmt_ports ports;  /* what the lockout pre-flight protects */

        Transaction *pending;
        Transaction *ended[BS_ENDED_MAX];  /* oldest first */
        size_t n_ended;

        sd_event_source *refresh_timer;
        /* iptables-nft: nf_tables' notifications of every commit, so that
         * others' changes are announced when they happen */
        bs_nft_sock nft_monitor_sock;
        sd_event_source *nft_monitor;
        bool nft_monitor_paused;  /* out of the group for our own commit */

        /* Journals of transactions that ended, freed right after the
         * iteration that ended them (a 10,000-rule journal's tables took a
         * millisecond to free, before the reply and the signals went out) */
        bs_journal *spent[4];
        size_t n_spent;
        sd_event_source *spent_reaper;

        /* What the properties show: computed from our own commits, Save,
         * and the refresh timer that notices others' changes, never by a
         * property read (anyone may read a property, unauthorized; a read
         * of a 10,000-rule table costs milliseconds of the daemon's time
         * and waits for the xtables lock). Announced with
         * PropertiesChanged when they change. */
        bool announced;
        bool serving;  /* the bus name is ours: clients may have read the properties */
        ManagerPolicies policies;
        bool rules_saved;
        uint32_t last_pending;  /* transaction id, 0 for none */
        /* The rulesets that filter INPUT beside the one we manage (both
         * see every packet): nftables base chains other than the backend's
         * own tables, and, with the nft backend, the legacy filter table.
         * Computed even while our own tables cannot be read, and
         * announced on their own (others_announced). */
        bool others_announced;
        bool nft_filters_input, legacy_filters_input;
        char *nft_description, *legacy_description;

        /* What the last reads decoded, per family (index: IPv4 0, IPv6 1):
         * the read-only calls and the property refresh reuse it while the
         * kernel's tables stay the same. */
        bs_nf_read_cache read_cache[2];
        /* nf_tables' notifications of others' commits, followed in read_cache */
        bs_nft_mirror nft_mirror;
        /* 1 + the event-loop iteration in which read_cache[f] was last
         * checked against the kernel (0: not since our last commit): the
         * property getters of one GetAll, and the PropertiesChanged of one
         * change, all run in one iteration and see one snapshot, read once. */
        uint64_t read_checked[2];
        /* read_cache[f].generation when RulesChanged last spoke of it */
        uint64_t rules_announced[2];
        bool read_checked_counters[2];  /* ... and its counters read then too */
        /* The journal base of the transactions that follow one another on
         * our own tables (journal.h), and the tables its replay list leads
         * to: a transaction whose tables before are these very objects
         * (held here, so no other table can take their address) names the
         * base instead of writing its tables. */
        bs_journal_base *journal_base;
        bs_table *journal_tip[2];
        /* The libxtables helper's client (NULL: none; main() owns it), and
         * the warm-up that has it print the tables' extensions at start
         * (xtables-warm.c): the family it is at, its watches. */
        bs_xt_client *xt;
        int xt_warm_family;
        sd_event_source *xt_warm_io, *xt_warm_timer;
        /* The saved files as parsed, for RulesSaved */
        bs_persist_cache saved_cache[2];
        /* GetRulesText of a whole table without counters, as rendered from
         * read_cache[f] at that generation */
        struct {
                uint64_t generation;
                char *text;
        } rules_text[2];
        /* ... and in the form GetSavedRulesText compares with the saved
         * file (what `backstopctl status` counts the differences in) */
        struct {
                uint64_t generation;
                char *text;
        } plain_text[2];
        /* CountUnsavedLines' answer per family, while the running rules
         * (their generation) and the saved file (its stat) stay */
        struct {
                bool known;
                uint64_t generation;
                struct stat saved_stamp;
                uint32_t lines;
        } unsaved[2];
} Manager;

int manager_new(Manager **ret);
Manager *manager_free(Manager *m);
/* Connect to the system bus, export the objects, take the name, recover a
 * journal left by a previous run. */
int manager_start(Manager *m);
/* Roll back a pending transaction with reason "daemon-stopped". */
void manager_stop(Manager *m);

/* The filter tables of the managed families: [0] IPv4, [1] IPv6 (NULL when
 * IPv6 is not active). Logs nothing. */
int manager_read_tables(Manager *m, bs_table *ret[2]);
/* The filter tables of the families in `families` (a BS_FAMILY_MASK_*; IPv6
 * only while active, else NULL) through the read cache: read-only, valid
 * until the next read through it. What the read-only calls use; anything
 * that changes a table reads its own copy with manager_read_tables. */
int manager_peek_tables(Manager *m, unsigned families, bool with_counters, const bs_table *ret[2]);
/* Free j (taken) once the current event-loop iteration is done. */
void manager_release_journal(Manager *m, bs_journal *j);
/* Our commit hook (bs_nf_options.before_commit): the tables change now. */
void manager_forget_checked(void *userdata);
static inline const bs_table *const *manager_tables_const(bs_table *const t[2]) {
        return (const bs_table *const *) t;
}
void manager_free_tables(bs_table *t[2]);
/* Around the daemon's own commits: with iptables-nft, out of nf_tables'
 * notification group meanwhile (its own changes are announced by the
 * transaction code; a commit by another program in that window is found
 * by the refresh the end starts, which reads the generation). */
void manager_commit_begin(Manager *m);
void manager_commit_end(Manager *m);
/* Why a read of the filter tables failed, in words: strerror, or what
 * -EOPNOTSUPP means with iptables-nft (a table it cannot show either). */
const char *manager_read_strerror(const Manager *m, int r);

/* Recompute what the properties show (a read of both tables through the
 * read cache, the saved files, nftables); emit PropertiesChanged for what
 * changed. */
void manager_refresh_properties(Manager *m);
/* Has the xtables helper print the extensions of the tables in the read
 * caches whose texts are not kept yet, in the background
 * (xtables-warm.c): the next read then finds them. Called at start and
 * when the rules changed. Never waits for the helper; a helper that does
 * not answer in time is stopped. */
void manager_warm_xtables(Manager *m);
void manager_warm_xtables_stop(Manager *m);
/* The same, for the caller of a method that changed the tables: only the
 * cheap PendingTransaction now; the rest (a read of both tables, the saved
 * files, nftables) from the event loop right after, so that the method's
 * reply does not wait for it. */
void manager_refresh_properties_soon(Manager *m);
/* The same from tables the caller has (e.g. those it just committed). */
void manager_refresh_properties_with(Manager *m, const bs_table *const t[2]);
/* Only PendingTransaction (when nothing else can have changed). */
void manager_refresh_pending(Manager *m);

/* bs_persist_save of the managed tables; -EAGAIN while IPv6 is unknown
 * (saving IPv4 alone would remove rules.v6). */
int manager_save(Manager *m, const bs_table *const t[2]);

/* Keep an ended transaction on the bus (drops the oldest beyond 16). */
void manager_keep_ended(Manager *m, Transaction *t);
Transaction *manager_find_transaction(Manager *m, uint32_t id);
