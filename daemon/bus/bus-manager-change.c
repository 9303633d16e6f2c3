/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The manager's methods that change the tables or the saved rules:
 * Preview and PreviewChanges (which show a change without making it),
 * Apply, ApplyChanges, ApplyDefaultDeny and Save. Validate -> reply early
 * (Busy) -> polkit -> parse -> change -> persist -> emit -> reply. */
#include <assert.h>
#include <inttypes.h>

#include "bus-errors.h"
#include "bus-manager-internal.h"
#include "bus-rule-dict.h"
#include "bus-util.h"
#include "changeset.h"
#include "log.h"
#include "persist.h"
#include "preflight.h"
#include "recipe.h"
#include "text.h"
#include "transaction.h"
#include "utf8.h"

/* The arguments of Preview, Apply and their structured forms as the
 * message holds them, read with cheap bounds only (counts, bytes, the
 * options); parsed (parse_change_args) only once polkit has allowed the
 * call, so that a caller nobody allowed costs no parsing. */
typedef struct ChangeArgs {
        const char **lines;  /* Preview, Apply: msg's strings */
        bs_kv_list *dicts;   /* PreviewChanges, ApplyChanges */
        size_t n;
        size_t bytes;        /* of the changes' text */
        TransactionOptions o;
} ChangeArgs;

/* About what the message of a's changes takes: each string's or key's
 * length, its NUL and padding. */
static size_t change_args_size(const ChangeArgs *a) {
        return a->bytes + a->n * 16;
}

static void change_args_done(ChangeArgs *a) {
        free(a->lines);
        if (a->dicts)
                bs_kv_lists_free(a->dicts, a->n);
        *a = (ChangeArgs){};
}

static int read_options(sd_bus_message *msg, TransactionOptions *o, sd_bus_error *error) {
        int r = bus_read_apply_options(msg, o, error);
        if (r < 0)
                return r;
        if (o->strict && o->timeout_sec == 0)
                return sd_bus_error_set(error, SD_BUS_ERROR_INVALID_ARGS,
                                        "Option \"strict\" needs a \"timeout\" above 0");
        return 0;
}

static int read_change_args(sd_bus_message *msg, ChangeArgs *a, sd_bus_error *error) {
        int r = bus_read_strv(msg, BS_CHANGESET_MAX, &a->lines, &a->n, &a->bytes, error);
        if (r < 0)
                return r;
        return read_options(msg, &a->o, error);
}

/* The same for ApplyChanges / PreviewChanges: the changes as aa{sv}
 * (rule-dict.h). */
static int read_structured_change_args(sd_bus_message *msg, ChangeArgs *a, sd_bus_error *error) {
        int r = bus_read_change_dicts(msg, BS_CHANGESET_MAX, &a->dicts, &a->n, &a->bytes, error);
        if (r < 0)
                return r;
        return read_options(msg, &a->o, error);
}

/* The changes read above, parsed, through the one parser of both forms. */
static int parse_change_args(Manager *m, const ChangeArgs *a, bs_changeset *set, sd_bus_error *error) {
        char err[1024] = "";
        int r;
        if (a->dicts) {
                bs_change *changes = NULL;
                size_t n_changes = 0;
                r = bs_change_dicts_parse(a->dicts, a->n, m->ipv6_active, &changes, &n_changes, err, sizeof(err));
                if (r >= 0) {
                        r = bs_changeset_from_changes(changes, n_changes, set);
                        free(changes);
                        return r;
                }
        } else
                r = bs_changeset_parse((char *const *) a->lines, a->n, m->ipv6_active, set, err, sizeof(err));
        if (r == -EAFNOSUPPORT)
                return sd_bus_error_set(error, BS_ERROR_UNSUPPORTED, err);
        if (r == -EINVAL || r == -E2BIG)
                return sd_bus_error_set(error, SD_BUS_ERROR_INVALID_ARGS, err);
        return r;
}

/* The lockout report's aa{sv}. The connections are the caller's to see
 * only with read-connections (what ListConnections needs); without it each
 * finding's "connection" is "", and findings in a row that differ only in
 * it are one entry, their number in "count" (1 otherwise). */
static int append_lockout(sd_bus_message *reply, const bs_lockout_report *report, bool with_connections) {
        int r = sd_bus_message_open_container(reply, 'a', "a{sv}");
        for (size_t i = 0; r >= 0 && i < report->n;) {
                const bs_finding *f = &report->findings[i];
                _cleanup_free_ char *rule = f->has_rule ? bs_lockout_render_rule(&f->rule) : NULL;
                if (f->has_rule && !rule)
                        return -ENOMEM;
                uint32_t count = 1;
                for (i++; !with_connections && i < report->n; i++, count++) {
                        const bs_finding *g = &report->findings[i];
                        if (g->family != f->family || g->kind != f->kind || g->verdict != f->verdict ||
                            !streq(g->chain, f->chain) || g->position != f->position || g->has_rule != f->has_rule)
                                break;
                        _cleanup_free_ char *g_rule = g->has_rule ? bs_lockout_render_rule(&g->rule) : NULL;
                        if (g->has_rule && (!g_rule || !streq(g_rule, rule)))
                                break;
                }
                r = sd_bus_message_append(reply, "a{sv}", 8, "family", "s", bs_family_to_string(f->family), "kind",
                                          "s", bs_finding_kind_to_string(f->kind), "connection", "s",
                                          with_connections ? f->connection : "", "verdict", "s",
                                          bs_verdict_to_string(f->verdict), "chain", "s", f->chain, "position", "u",
                                          f->position, "rule", "s", rule ? rule : "", "count", "u", count);
        }
        if (r < 0)
                return r;
        return sd_bus_message_close_container(reply);
}

/* What Preview, Apply and their structured forms do once their arguments
 * are read. */
typedef int ChangeStep(Manager *m, sd_bus_message *msg, const ChangeArgs *a, sd_bus_error *error);

/* Preview, Apply and their structured forms: read the changes (as strings
 * "as", or structured "aa{sv}", as the message's signature says) and the
 * options, then step. */
static int change_call(sd_bus_message *msg, Manager *m, ChangeStep *step, sd_bus_error *error) {
        _cleanup_(change_args_done) ChangeArgs a = {};
        bool structured = sd_bus_message_has_signature(msg, "aa{sv}a{sv}");
        int r = structured ? read_structured_change_args(msg, &a, error) : read_change_args(msg, &a, error);
        if (r < 0)
                return r;
        return step(m, msg, &a, error);
}

/* The reply of every preview once authorized and parsed: s applied to
 * copies of the tables, the lockout analysis of the result, the commands;
 * the connections in the analysis only with_connections. Nothing changes. */
static int preview_reply(Manager *m, sd_bus_message *msg, const bs_changeset *s, const TransactionOptions *o,
                         bool with_connections, sd_bus_error *error) {
        const bs_table *t[2];
        bs_table *after[2] = {};
        int r = bus_manager_read_tables(m, BS_FAMILY_MASK_BOTH, false, t, error);
        if (r < 0)
                return r;
        for (int f = 0; f < 2; f++) {
                if (!t[f])
                        continue;
                size_t failed = 0;
                r = bs_changeset_apply(s, t[f], &after[f], &failed);
                if (r < 0) {
                        int e = bs_bus_error_set_errno(error, bs_bus_change_errno(r), "%s",
                                                       failed < s->n_commands ? s->commands[failed] : "?");
                        manager_free_tables(after);
                        return e;
                }
        }
        _cleanup_lockout_report_ bs_lockout_report report = {};
        r = preflight_lockout(after, &m->ports, o->ssh_connection, &report);
        if (r < 0) {
                manager_free_tables(after);
                return bs_bus_error_set_errno(error, r, "The lockout analysis could not run");
        }

        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        r = sd_bus_message_new_method_return(msg, &reply);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "{ss}");
        for (int f = 0; r >= 0 && f < 2; f++) {
                if (!after[f])
                        continue;
                _cleanup_buf_ bs_buf text = {};
                r = bs_render_table(after[f], NULL, false, &text);
                if (r >= 0)
                        r = sd_bus_message_append(reply, "{ss}", bs_family_to_string(after[f]->family),
                                                  text.data ? text.data : "");
        }
        manager_free_tables(after);
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r >= 0)
                r = bus_message_append_strv_n(reply, s->commands, s->n_commands);
        if (r >= 0)
                r = append_lockout(reply, &report, with_connections);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

static ChangeStep preview_changes;

/* Preview and PreviewChanges */
int bus_manager_method_preview(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        assert(msg);
        assert(userdata);
        return change_call(msg, userdata, preview_changes, error);
}

/* The common part of Preview and PreviewChanges, from polkit on: allowed
 * by read-rules; the connections in the lockout report only for a caller
 * polkit also allows read-connections (asked without interaction). */
static int preview_changes(Manager *m, sd_bus_message *msg, const ChangeArgs *a, sd_bus_error *error) {
        if (m->pending && a->bytes > BS_PREVIEW_PENDING_TEXT_MAX)
                return sd_bus_error_setf(error, SD_BUS_ERROR_LIMITS_EXCEEDED,
                                         "While transaction %" PRIu32 " is pending, Preview takes at most %u bytes of "
                                         "changes (this call has %zu): its rollback must not wait for a long one",
                                         m->pending->id, BS_PREVIEW_PENDING_TEXT_MAX, a->bytes);
        BsPolkitAsk ask = { .request_bytes = change_args_size(a), .optional_action = BS_ACTION_READ_CONNECTIONS };
        int r = bs_polkit_verify_ask(m->polkit, msg, &ask, error);
        if (r <= 0)
                return r < 0 ? r : 1;
        _cleanup_changeset_ bs_changeset set = {};
        r = parse_change_args(m, a, &set, error);
        if (r < 0)
                return r;
        return preview_reply(m, msg, &set, &a->o, ask.optional_allowed, error);
}

static int authorize_apply(Manager *m, sd_bus_message *msg, TransactionOptions *o, size_t request_bytes,
                           sd_bus_error *error);
static int apply_changeset(Manager *m, sd_bus_message *msg, const bs_changeset *set, const TransactionOptions *o,
                           sd_bus_error *error);

/* Apply and ApplyChanges, once their arguments are read: Busy, polkit,
 * parse, apply. */
static int apply_changes(Manager *m, sd_bus_message *msg, const ChangeArgs *a, sd_bus_error *error) {
        TransactionOptions o = a->o;
        int r = authorize_apply(m, msg, &o, change_args_size(a), error);
        if (r <= 0)
                return r < 0 ? r : 1;
        _cleanup_changeset_ bs_changeset set = {};
        r = parse_change_args(m, a, &set, error);
        if (r < 0)
                return r;
        return apply_changeset(m, msg, &set, &o, error);
}

/* Apply and ApplyChanges */
int bus_manager_method_apply(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        assert(msg);
        assert(userdata);
        return change_call(msg, userdata, apply_changes, error);
}

/* The cheap refusals of a change or a save: Busy while a transaction is
 * pending (suffix ends the message); Failed while the IPv6 table could not
 * be read (manager_detect_ipv6 retries), as a change or a save would
 * cover IPv4 alone. */
static int refuse_pending_or_ipv6_unknown(Manager *m, const char *suffix, sd_bus_error *error) {
        if (m->pending)
                return sd_bus_error_setf(error, BS_ERROR_BUSY, "Transaction %" PRIu32 " is pending%s",
                                         m->pending->id, suffix);
        if (m->ipv6_state != IPV6_UNKNOWN)
                return 0;
        return sd_bus_error_setf(error, BS_ERROR_FAILED,
                                 "The IPv6 filter table could not be read yet (%s): retrying every %llu s; "
                                 "nothing was changed",
                                 m->ipv6_error == -EWOULDBLOCK ? "the xtables lock is held by another program"
                                                               : strerror(-m->ipv6_error),
                                 BS_RETRY_USEC / 1000000ULL);
}

/* Busy, then polkit: apply, plus apply-unconfirmed for timeout 0 and
 * save for the "save" option. Same contract as bs_polkit_verify(). */
static int authorize_apply(Manager *m, sd_bus_message *msg, TransactionOptions *o, size_t request_bytes,
                           sd_bus_error *error) {
        int r = refuse_pending_or_ipv6_unknown(m, "", error);
        if (r < 0)
                return r;
        const char *extra[3] = {};
        size_t n_extra = 0;
        if (o->timeout_sec == 0)
                extra[n_extra++] = BS_ACTION_APPLY_UNCONFIRMED;
        if (o->save)
                extra[n_extra++] = BS_ACTION_SAVE;
        /* a LockoutRisk refusal names the connections only to a caller
         * allowed to list them, as Preview does */
        BsPolkitAsk ask = { .extra_actions = extra, .request_bytes = request_bytes,
                            .optional_action = BS_ACTION_READ_CONNECTIONS };
        r = bs_polkit_verify_ask(m->polkit, msg, &ask, error);
        if (r > 0)
                o->show_connections = ask.optional_allowed;
        return r;
}

/* The common end of Apply and ApplyDefaultDeny, once authorized. */
static int apply_changeset(Manager *m, sd_bus_message *msg, const bs_changeset *set, const TransactionOptions *o,
                           sd_bus_error *error) {
        int r;
        uid_t uid = 0;
        r = bs_polkit_sender_uid(m->polkit, msg, &uid);
        if (r < 0)
                return r;
        Transaction *t = NULL;
        char err[4096] = "";
        size_t failed = SIZE_MAX;
        r = transaction_apply(m, set, o, uid, &t, &failed, err, sizeof(err));
        if (r < 0 && failed < set->n_changes) {
                /* a change the tables refused: named as the API names it */
                r = bs_bus_change_errno(r);
                bs_seterr(err, sizeof(err), r, "%s: %s", set->commands[failed], strerror(-r));
        }
        if (r == -EBUSY)
                return sd_bus_error_set(error, BS_ERROR_BUSY, err);
        if (r < 0) {
                log_warning("Apply by uid %u refused: %s", (unsigned) uid, err);
                return sd_bus_error_setf(error, bs_bus_error_name(r), "%s", err);
        }
        return sd_bus_reply_method_return(msg, "o", t->path);
}

int bus_manager_method_save(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        assert(msg);
        assert(m);
        int r = refuse_pending_or_ipv6_unknown(m, ": confirm it before saving", error);
        if (r < 0)
                return r;

        r = bs_polkit_verify(m->polkit, msg, NULL, error);
        if (r <= 0)
                return r < 0 ? r : 1;

        const bs_table *t[2];
        r = bus_manager_read_tables(m, BS_FAMILY_MASK_BOTH, true, t, error);
        if (r < 0)
                return r;
        r = bs_persist_save(m->state_dir, t);
        if (r < 0) {
                log_error_errno(r, "Cannot save the rules to %s: %m", m->state_dir);
                return sd_bus_error_setf(error, BS_ERROR_FAILED, "Cannot save the rules to %s: %s", m->state_dir,
                                         strerror(-r));
        }
        log_info("Rules saved to %s.", m->state_dir);
        manager_refresh_properties(m);
        return sd_bus_reply_method_return(msg, NULL);
}

/* The arguments of ApplyDefaultDeny and PreviewDefaultDeny: the allows
 * (each checked, InvalidArgs naming the bad one) and the options. */
typedef struct DefaultDenyArgs {
        bs_l4port allows[BS_MGMT_PORTS_MAX];
        size_t n_allows;
        TransactionOptions o;
} DefaultDenyArgs;

static int read_default_deny_args(sd_bus_message *msg, DefaultDenyArgs *a, sd_bus_error *error) {
        int r = sd_bus_message_enter_container(msg, 'a', "(sq)");
        if (r < 0)
                return r;
        const char *proto;
        uint16_t port;
        while ((r = sd_bus_message_read(msg, "(sq)", &proto, &port)) > 0) {
                if (a->n_allows >= BS_MGMT_PORTS_MAX)
                        return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "Too many allows (at most %d)",
                                                 BS_MGMT_PORTS_MAX);
                uint8_t p;
                if (bs_l4proto_from_string(proto, &p) < 0)
                        return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                                 "Invalid protocol \"%.*s\" (\"tcp\" or \"udp\")",
                                                 bs_utf8_prefix(proto, 16), proto);
                if (port == 0)
                        return sd_bus_error_set(error, SD_BUS_ERROR_INVALID_ARGS, "Invalid port 0");
                a->allows[a->n_allows++] = (bs_l4port){ .proto = p, .port = port };
        }
        if (r < 0)
                return r;
        r = sd_bus_message_exit_container(msg);
        if (r < 0)
                return r;
        return read_options(msg, &a->o, error);
}

/* The recipe's changes on the tables as they are (recipe.h): rules already
 * there are not in it; an empty set when nothing needs to change. */
static int default_deny_changeset(Manager *m, const DefaultDenyArgs *a, bs_changeset *set, sd_bus_error *error) {
        const bs_table *t[2];
        int r = bus_manager_read_tables(m, BS_FAMILY_MASK_BOTH, false, t, error);
        if (r < 0)
                return r;
        bs_change *changes = NULL;
        size_t n = 0;
        r = bs_recipe_default_deny(t[0], t[1], a->allows, a->n_allows, &changes, &n);
        if (r < 0)
                return bs_bus_error_set_errno(error, r, "The default-deny recipe failed");
        if (n == 0) {
                free(changes);
                *set = (bs_changeset){};
                return 0;
        }
        r = bs_changeset_from_changes(changes, n, set);
        free(changes);
        return r;
}

int bus_manager_method_apply_default_deny(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        assert(msg);
        assert(m);
        DefaultDenyArgs a = {};
        int r = read_default_deny_args(msg, &a, error);
        if (r < 0)
                return r;
        /* Authorize before reading the tables: what the recipe would do
         * says something about them. */
        r = authorize_apply(m, msg, &a.o, 0, error);
        if (r <= 0)
                return r < 0 ? r : 1;
        _cleanup_changeset_ bs_changeset set = {};
        r = default_deny_changeset(m, &a, &set, error);
        if (r < 0)
                return r;
        if (set.n_changes == 0)
                return sd_bus_reply_method_return(msg, "o", "/");
        return apply_changeset(m, msg, &set, &a.o, error);
}

/* What ApplyDefaultDeny would do, as Preview shows a change: allowed by
 * read-rules, the connections in the lockout report for a caller also
 * allowed read-connections. Not Busy while a transaction is pending: the
 * recipe then shows what it would do on top of it. */
int bus_manager_method_preview_default_deny(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        assert(msg);
        assert(m);
        DefaultDenyArgs a = {};
        int r = read_default_deny_args(msg, &a, error);
        if (r < 0)
                return r;
        BsPolkitAsk ask = { .optional_action = BS_ACTION_READ_CONNECTIONS };
        r = bs_polkit_verify_ask(m->polkit, msg, &ask, error);
        if (r <= 0)
                return r < 0 ? r : 1;
        _cleanup_changeset_ bs_changeset set = {};
        r = default_deny_changeset(m, &a, &set, error);
        if (r < 0)
                return r;
        return preview_reply(m, msg, &set, &a.o, ask.optional_allowed, error);
}
