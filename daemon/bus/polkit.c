/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "polkit.h"

#include <time.h>

#include "log.h"
#include "util.h"

/* The one table: every method of the API and the action it needs. A method
 * that is not here is denied. Properties need no authorization: they show
 * nothing of the rules but the built-in chains' policies (manager.h). */
static const struct {
        const char *interface;
        const char *member;
        const char *action;
} method_actions[] = {
        { "org.backstop.Firewall1", "ListRules", BS_ACTION_READ_RULES },
        { "org.backstop.Firewall1", "ListChains", BS_ACTION_READ_RULES },
        { "org.backstop.Firewall1", "GetStatus", BS_ACTION_READ_RULES },
        { "org.backstop.Firewall1", "GetRulesText", BS_ACTION_READ_RULES },
        { "org.backstop.Firewall1", "GetSavedRulesText", BS_ACTION_READ_RULES },
        { "org.backstop.Firewall1", "CountUnsavedLines", BS_ACTION_READ_RULES },
        { "org.backstop.Firewall1", "Check", BS_ACTION_READ_RULES },
        { "org.backstop.Firewall1", "Preview", BS_ACTION_READ_RULES },
        { "org.backstop.Firewall1", "PreviewChanges", BS_ACTION_READ_RULES },
        { "org.backstop.Firewall1", "PreviewDefaultDeny", BS_ACTION_READ_RULES },
        { "org.backstop.Firewall1", "ListConnections", BS_ACTION_READ_CONNECTIONS },
        { "org.backstop.Firewall1", "ZeroCounters", BS_ACTION_APPLY },
        { "org.backstop.Firewall1", "Apply", BS_ACTION_APPLY },
        { "org.backstop.Firewall1", "ApplyChanges", BS_ACTION_APPLY },
        { "org.backstop.Firewall1", "ApplyDefaultDeny", BS_ACTION_APPLY },
        { "org.backstop.Firewall1", "Save", BS_ACTION_SAVE },
        { "org.backstop.Firewall1.Transaction", "Confirm", BS_ACTION_APPLY },
        { "org.backstop.Firewall1.Transaction", "Rollback", BS_ACTION_APPLY },
        { "org.backstop.Firewall1.Transaction", "Extend", BS_ACTION_APPLY },
        { "org.backstop.Firewall1.Transaction", "GetChanges", BS_ACTION_READ_RULES },
        { "org.backstop.Firewall1.Transaction", "ExtendWithOptions", BS_ACTION_APPLY },
};

#define ACTIONS_PER_CALL_MAX 4
#define QUERIES_MAX 256
/* A query keeps its call's message until polkit answers (up to
 * INTERACTIVE_TIMEOUT_USEC when polkit may ask for a password, and an
 * agent may never answer): per caller's uid at most this many, so that one
 * user cannot fill the table others need ... */
#define QUERIES_PER_UID_MAX 4
/* ... and at most this many bytes of messages kept in all. The largest call
 * (Apply with 2 MiB of changes) is counted at its size; the arguments of
 * every other call are checked small before polkit is asked, and counted
 * as SMALL_REQUEST_BYTES. Four uids' worth of the largest calls. */
#define PINNED_BYTES_MAX (36u << 20)
#define SMALL_REQUEST_BYTES 4096u
/* A query whose answer was never collected (the handler returned early on
 * its second run, e.g. Busy) is dropped after this long. */
#define QUERY_STALE_USEC (120ULL * 1000000ULL)
/* polkit may show a password dialog: give the user time */
#define INTERACTIVE_TIMEOUT_USEC (300ULL * 1000000ULL)

typedef enum Answer {
        ANSWER_PENDING,
        ANSWER_YES,
        ANSWER_NO,
        ANSWER_CHALLENGE,
        ANSWER_FAILED,
} Answer;

typedef struct Query Query;

typedef struct Check {
        Query *query;
        char action[128];
        bool optional;  /* asked without interaction; its answer fails nothing */
        Answer answer;
        sd_bus_slot *slot;
        char failure[256];
} Check;

struct Query {
        BsPolkit *polkit;
        sd_bus_message *request;
        Check checks[ACTIONS_PER_CALL_MAX];
        size_t n_checks;
        uint64_t created_usec;
        uid_t uid;              /* the caller's */
        size_t bytes;           /* counted against PINNED_BYTES_MAX */
        Query *next;
};

/* Callers' uids by unique bus name. The bus daemon never hands a unique
 * name out twice and a connection's credentials are fixed when it
 * connects, so an entry never goes stale; it only saves the round trip to
 * the bus daemon (GetConnectionCredentials) that every call of a client
 * would otherwise cost, once for polkit and once for the owner of a
 * transaction, and during which the daemon answers nobody else.
 *
 * Sized for many clients at once: a cache smaller than the clients calling
 * in turn misses on every call (with 16 slots, 50 clients got half the
 * calls answered that they get with 256; bench-bus). A name hashes to a
 * slot and takes the first free one of the next few; when none is free,
 * the one at its hash gives way. Allocated at the first caller. */
#define SENDER_UIDS_SLOTS 256u /* a power of two */
#define SENDER_UIDS_PROBE 8u

typedef struct SenderUid {
        char name[32]; /* ":1.4242": dbus-daemon's are far shorter */
        uid_t uid;
} SenderUid;

struct BsPolkit {
        sd_bus *bus;
        bool ask_root;
        Query *queries;
        size_t n_queries;
        size_t pinned_bytes;    /* the queries' bytes */
        SenderUid *sender_uids; /* SENDER_UIDS_SLOTS of them, or NULL */
};

static const char *strna(const char *s) {
        return s ? s : "n/a";
}

static uint64_t now_usec(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000ULL + (uint64_t) ts.tv_nsec / 1000ULL;
}

const char *bs_polkit_action_for(const char *interface, const char *member) {
        if (!interface || !member)
                return NULL;
        for (size_t i = 0; i < ELEMENTSOF(method_actions); i++)
                if (streq(method_actions[i].interface, interface) && streq(method_actions[i].member, member))
                        return method_actions[i].action;
        return NULL;
}

int bs_polkit_new(sd_bus *bus, bool ask_root, BsPolkit **ret) {
        BsPolkit *p = calloc(1, sizeof(*p));
        if (!p)
                return -ENOMEM;
        p->bus = sd_bus_ref(bus);
        p->ask_root = ask_root;
        *ret = p;
        return 0;
}

static void query_free(Query *q) {
        BsPolkit *p = q->polkit;
        for (Query **i = &p->queries; *i; i = &(*i)->next)
                if (*i == q) {
                        *i = q->next;
                        p->n_queries--;
                        p->pinned_bytes -= q->bytes;
                        break;
                }
        for (size_t i = 0; i < q->n_checks; i++)
                sd_bus_slot_unref(q->checks[i].slot);
        sd_bus_message_unref(q->request);
        free(q);
}

BsPolkit *bs_polkit_free(BsPolkit *p) {
        if (!p)
                return NULL;
        while (p->queries)
                query_free(p->queries);
        sd_bus_unref(p->bus);
        free(p->sender_uids);
        free(p);
        return NULL;
}

static unsigned sender_hash(const char *name) {
        uint32_t h = 2166136261u; /* FNV-1a */
        for (const char *c = name; *c; c++)
                h = (h ^ (uint8_t) *c) * 16777619u;
        return h & (SENDER_UIDS_SLOTS - 1);
}

/* The cached entry for name, or the slot to fill with it. */
static SenderUid *sender_slot(SenderUid *table, const char *name, bool *ret_found) {
        unsigned h = sender_hash(name);
        for (unsigned i = 0; i < SENDER_UIDS_PROBE; i++) {
                SenderUid *e = &table[(h + i) & (SENDER_UIDS_SLOTS - 1)];
                if (e->name[0] == '\0' || streq(e->name, name)) {
                        *ret_found = e->name[0] != '\0';
                        return e;
                }
        }
        *ret_found = false;
        return &table[h];
}

int bs_polkit_sender_uid(BsPolkit *p, sd_bus_message *m, uid_t *ret) {
        const char *sender = sd_bus_message_get_sender(m);
        bool cacheable = sender && sender[0] == ':' && strlen(sender) < sizeof(p->sender_uids[0].name);
        if (cacheable && !p->sender_uids)
                /* without it, each call costs the round trip: no failure */
                p->sender_uids = calloc(SENDER_UIDS_SLOTS, sizeof(SenderUid));
        SenderUid *slot = NULL;
        if (cacheable && p->sender_uids) {
                bool found;
                slot = sender_slot(p->sender_uids, sender, &found);
                if (found) {
                        *ret = slot->uid;
                        return 0;
                }
        }

        sd_bus_creds *creds = NULL;
        uid_t uid = (uid_t) -1;
        int r = sd_bus_query_sender_creds(m, SD_BUS_CREDS_EUID, &creds);
        if (r >= 0)
                r = sd_bus_creds_get_euid(creds, &uid);
        sd_bus_creds_unref(creds);
        if (r < 0)
                return r;
        if (slot) {
                strcpy(slot->name, sender);
                slot->uid = uid;
        }
        *ret = uid;
        return 0;
}

size_t bs_polkit_pending(const BsPolkit *p) {
        size_t n = 0;
        for (const Query *q = p->queries; q; q = q->next)
                for (size_t i = 0; i < q->n_checks; i++)
                        if (q->checks[i].answer == ANSWER_PENDING)
                                n++;
        return n;
}

static bool query_waiting(const Query *q) {
        for (size_t i = 0; i < q->n_checks; i++)
                if (q->checks[i].answer == ANSWER_PENDING)
                        return true;
        return false;
}

/* Drops the queries polkit has answered that are older than max_age_usec
 * (0: all of them). One whose call was re-dispatched and did not ask again
 * (the handler returned early, e.g. Busy) is of no use; one whose call is
 * still queued would be asked about again: slower, never wrong. */
static void gc_answered(BsPolkit *p, uint64_t max_age_usec) {
        uint64_t now = now_usec();
        for (Query *q = p->queries, *next; q; q = next) {
                next = q->next;
                if (now - q->created_usec >= max_age_usec && !query_waiting(q))
                        query_free(q);
        }
}

/* Room for one more query of uid's, of bytes: 0, or LimitsExceeded. */
static int check_limits(BsPolkit *p, uid_t uid, size_t bytes, sd_bus_error *error) {
        gc_answered(p, QUERY_STALE_USEC);
        size_t of_uid = 0;
        for (int pass = 0; pass < 2; pass++) {
                of_uid = 0;
                for (const Query *q = p->queries; q; q = q->next)
                        of_uid += q->uid == uid;
                if (p->n_queries < QUERIES_MAX && of_uid < QUERIES_PER_UID_MAX &&
                    p->pinned_bytes + bytes <= PINNED_BYTES_MAX)
                        return 0;
                if (pass == 0)
                        gc_answered(p, 0);
        }
        if (of_uid >= QUERIES_PER_UID_MAX)
                return sd_bus_error_setf(error, SD_BUS_ERROR_LIMITS_EXCEEDED,
                                         "Too many calls of uid %u waiting for authorization (at most %d)",
                                         (unsigned) uid, QUERIES_PER_UID_MAX);
        if (p->pinned_bytes + bytes > PINNED_BYTES_MAX)
                return sd_bus_error_setf(error, SD_BUS_ERROR_LIMITS_EXCEEDED,
                                         "Too many bytes of calls waiting for authorization (at most %u)",
                                         PINNED_BYTES_MAX);
        return sd_bus_error_setf(error, SD_BUS_ERROR_LIMITS_EXCEEDED,
                                 "Too many calls waiting for authorization (at most %d)", QUERIES_MAX);
}

static int on_check_reply(sd_bus_message *reply, void *userdata, sd_bus_error *ret_error) {
        Check *c = userdata;
        Query *q = c->query;

        c->slot = sd_bus_slot_unref(c->slot);
        const sd_bus_error *e = sd_bus_message_get_error(reply);
        if (e) {
                c->answer = ANSWER_FAILED;
                snprintf(c->failure, sizeof(c->failure), "%s: %s", e->name, e->message ? e->message : "");
                log_warning("polkit check of %s failed: %s", c->action, c->failure);
        } else {
                int authorized = 0, challenge = 0;
                int r = sd_bus_message_enter_container(reply, 'r', "bba{ss}");
                if (r >= 0)
                        r = sd_bus_message_read(reply, "bb", &authorized, &challenge);
                if (r < 0) {
                        c->answer = ANSWER_FAILED;
                        snprintf(c->failure, sizeof(c->failure), "bad reply from polkit: %s", strerror(-r));
                        log_warning("polkit check of %s: %s", c->action, c->failure);
                } else
                        c->answer = authorized ? ANSWER_YES : challenge ? ANSWER_CHALLENGE : ANSWER_NO;
        }

        /* run the method handler again; it will find the answer */
        int r = sd_bus_enqueue_for_read(q->polkit->bus, q->request);
        if (r < 0) {
                log_error_errno(r, "Cannot re-dispatch a call after authorization: %m");
                (void) sd_bus_reply_method_errorf(q->request, SD_BUS_ERROR_FAILED,
                                                  "Internal error after authorization");
                query_free(q);
        }
        return 1;
}

static int start_check(BsPolkit *p, Query *q, const char *action, bool optional) {
        if (q->n_checks >= ACTIONS_PER_CALL_MAX)
                return -E2BIG;
        Check *c = &q->checks[q->n_checks];
        memset(c, 0, sizeof(*c));
        c->query = q;
        snprintf(c->action, sizeof(c->action), "%s", action);
        c->optional = optional;
        c->answer = ANSWER_PENDING;

        const char *sender = sd_bus_message_get_sender(q->request);
        if (!sender)
                return -EBADMSG;
        /* Only let polkit ask for a password when the caller said it can
         * wait for one, and never for what the call can do without. */
        bool interactive = !optional && sd_bus_message_get_allow_interactive_authorization(q->request) > 0;

        sd_bus_message *call = NULL;
        int r = sd_bus_message_new_method_call(p->bus, &call, "org.freedesktop.PolicyKit1",
                                               "/org/freedesktop/PolicyKit1/Authority",
                                               "org.freedesktop.PolicyKit1.Authority", "CheckAuthorization");
        if (r >= 0)
                r = sd_bus_message_append(call, "(sa{sv})sa{ss}us", "system-bus-name", 1, "name", "s", sender,
                                          action, 0, (uint32_t) (interactive ? 1 : 0), "");
        if (r >= 0)
                r = sd_bus_call_async(p->bus, &c->slot, call, on_check_reply, c,
                                      interactive ? INTERACTIVE_TIMEOUT_USEC : 0);
        sd_bus_message_unref(call);
        if (r < 0)
                return r;
        q->n_checks++;
        return 0;
}

int bs_polkit_verify(BsPolkit *p, sd_bus_message *m, const char *const *extra_actions, sd_bus_error *error) {
        BsPolkitAsk ask = { .extra_actions = extra_actions };
        return bs_polkit_verify_ask(p, m, &ask, error);
}

int bs_polkit_verify_ask(BsPolkit *p, sd_bus_message *m, BsPolkitAsk *ask, sd_bus_error *error) {
        const char *member = sd_bus_message_get_member(m), *interface = sd_bus_message_get_interface(m);
        const char *action = bs_polkit_action_for(interface, member);
        ask->optional_allowed = false;
        if (!action)
                return sd_bus_error_setf(error, SD_BUS_ERROR_ACCESS_DENIED,
                                         "%s.%s is not mapped to a polkit action", strna(interface),
                                         strna(member));

        const char *actions[ACTIONS_PER_CALL_MAX];
        size_t n = 0;
        actions[n++] = action;
        for (size_t i = 0; ask->extra_actions && ask->extra_actions[i]; i++) {
                if (n >= ACTIONS_PER_CALL_MAX)
                        return sd_bus_error_set(error, SD_BUS_ERROR_FAILED, "Too many polkit actions");
                actions[n++] = ask->extra_actions[i];
        }
        size_t n_required = n;
        if (ask->optional_action) {
                if (n >= ACTIONS_PER_CALL_MAX)
                        return sd_bus_error_set(error, SD_BUS_ERROR_FAILED, "Too many polkit actions");
                actions[n++] = ask->optional_action;
        }

        Query *q = NULL;
        for (Query *i = p->queries; i; i = i->next)
                if (i->request == m) {
                        q = i;
                        break;
                }

        uid_t euid = (uid_t) -1;
        int r = bs_polkit_sender_uid(p, m, &euid);
        if (r < 0)
                euid = (uid_t) -1;  /* polkit decides; counted as one unknown caller */
        if (!p->ask_root && euid == 0) {
                if (q)
                        query_free(q);
                ask->optional_allowed = true;
                return 1;
        }

        if (!q) {
                size_t bytes = ask->request_bytes > SMALL_REQUEST_BYTES ? ask->request_bytes : SMALL_REQUEST_BYTES;
                r = check_limits(p, euid, bytes, error);
                if (r < 0) {
                        /* not above debug: a caller could fill the log with these */
                        log_debug("Call %s from uid %d refused: %s", strna(member), (int) euid, error->message);
                        return r;
                }
                q = calloc(1, sizeof(*q));
                if (!q)
                        return -ENOMEM;
                q->polkit = p;
                q->request = sd_bus_message_ref(m);
                q->created_usec = now_usec();
                q->uid = euid;
                q->bytes = bytes;
                q->next = p->queries;
                p->queries = q;
                p->n_queries++;
                p->pinned_bytes += bytes;
        }

        for (size_t i = 0; i < n; i++) {
                bool optional = i >= n_required;
                Check *c = NULL;
                for (size_t j = 0; j < q->n_checks; j++)
                        if (streq(q->checks[j].action, actions[i]))
                                c = &q->checks[j];
                if (!c) {
                        r = start_check(p, q, actions[i], optional);
                        if (r < 0) {
                                query_free(q);
                                log_warning_errno(r, "Cannot ask polkit about %s: %m", actions[i]);
                                return sd_bus_error_setf(error, SD_BUS_ERROR_ACCESS_DENIED,
                                                         "Cannot check authorization for %s", actions[i]);
                        }
                        return 0;
                }
                if (c->answer == ANSWER_PENDING)
                        return 0;
                if (optional) {
                        ask->optional_allowed = c->answer == ANSWER_YES;
                        continue;
                }
                switch (c->answer) {
                case ANSWER_YES:
                        continue;
                case ANSWER_CHALLENGE:
                        query_free(q);
                        return sd_bus_error_setf(error, SD_BUS_ERROR_INTERACTIVE_AUTHORIZATION_REQUIRED,
                                                 "Authentication is required for %s", actions[i]);
                case ANSWER_NO:
                        query_free(q);
                        return sd_bus_error_setf(error, SD_BUS_ERROR_ACCESS_DENIED, "Not authorized for %s",
                                                 actions[i]);
                case ANSWER_FAILED:
                default:
                        query_free(q);
                        return sd_bus_error_setf(error, SD_BUS_ERROR_ACCESS_DENIED,
                                                 "Authorization for %s could not be checked (polkit unavailable)",
                                                 actions[i]);
                }
        }
        query_free(q);
        return 1;
}
