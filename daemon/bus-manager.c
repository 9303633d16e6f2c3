/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The manager object /org/backstop/Firewall1. Every handler: validate ->
 * reply early if nothing changes -> polkit -> change -> persist -> emit ->
 * reply. Polkit never after a change. */
#include <arpa/inet.h>
#include <inttypes.h>
#include <linux/netfilter/xt_conntrack.h>

#include "bus-errors.h"
#include "bus-rule-dict.h"
#include "bus-util.h"
#include "changeset.h"
#include "check.h"
#include "conntrack.h"
#include "localaddr.h"
#include "preflight.h"
#include "recipe.h"
#include "config.h"
#include "log.h"
#include "persist.h"
#include "text.h"
#include "transaction.h"
#include "utf8.h"

/* "ipv4", "ipv6" or (when allowed) "" for both: a mask of families. */
static int parse_family(const char *s, bool allow_both, unsigned *ret, sd_bus_error *error) {
        if (streq(s, "ipv4"))
                *ret = BS_FAMILY_MASK_IPV4;
        else if (streq(s, "ipv6"))
                *ret = BS_FAMILY_MASK_IPV6;
        else if (allow_both && streq(s, ""))
                *ret = BS_FAMILY_MASK_BOTH;
        else
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "Invalid family \"%.*s\" (%s)",
                                         bs_utf8_prefix(s, 32), s,
                                         allow_both ? "\"ipv4\", \"ipv6\" or \"\"" : "\"ipv4\" or \"ipv6\"");
        return 0;
}

static int check_chain_arg(const char *s, sd_bus_error *error) {
        if (streq(s, "") || bs_builtin_chain("filter", s) || bs_chain_name_valid(s))
                return 0;
        return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "Invalid chain name \"%.*s\"",
                                 bs_utf8_prefix(s, 40), s);
}

/* The tables of the families asked for, IPv6 only when active, read-only
 * from the read cache; Unsupported when only IPv6 is asked for and it is
 * not there. */
static int read_tables_for(Manager *m, unsigned families, const bs_table *t[2], sd_bus_error *error) {
        t[0] = t[1] = NULL;
        if (families == BS_FAMILY_MASK_IPV6 && !m->ipv6_active)
                return sd_bus_error_set(error, BS_ERROR_UNSUPPORTED, "IPv6 is not active on this host");
        int r = manager_peek_tables(m, families, t);
        if (r < 0)
                return bs_bus_error_set_errno(error, r, "Cannot read the filter tables");
        return 0;
}

/* ---------------------------------------------------------------- ListRules */

static int append_field(const char *key, const char *value, void *userdata) {
        return sd_bus_message_append(userdata, "{sv}", key, "s", value);
}

static int append_rule(sd_bus_message *reply, const bs_table *t, const bs_chain *c, size_t i) {
        const bs_rule *rule = &c->rules[i];
        _cleanup_buf_ bs_buf text = {};
        int r = bs_render_rule(rule, &text);
        if (r < 0)
                return r;
        const char *target = bs_target_name(&rule->target);
        r = sd_bus_message_open_container(reply, 'a', "{sv}");
        if (r < 0)
                return r;
        r = sd_bus_message_append(reply, "{sv}{sv}{sv}{sv}{sv}{sv}{sv}", "family", "s",
                                  bs_family_to_string(t->family), "chain", "s", c->name, "position", "u",
                                  (uint32_t) (i + 1), "packets", "t", rule->packets, "bytes", "t", rule->bytes,
                                  "rule", "s", text.data ? text.data : "", "target", "s", target ? target : "");
        if (r < 0)
                return r;
        r = bs_rule_fields_foreach(rule, append_field, reply);
        if (r < 0)
                return r;
        return sd_bus_message_close_container(reply);
}

/* The read-only handlers' common middle, after their validation: polkit,
 * then the tables. 1 with t[] filled (read-only, see manager_peek_tables), 0 when
 * the call now waits for polkit (the handler returns 1 and is called again),
 * or a negative error. */
static int authorize_and_read_tables(Manager *m, sd_bus_message *msg, unsigned families, const bs_table *t[2],
                                     sd_bus_error *error) {
        int r = bs_polkit_verify(m->polkit, msg, NULL, error);
        if (r <= 0)
                return r;
        r = read_tables_for(m, families, t, error);
        return r < 0 ? r : 1;
}

/* The whole of a read-only call whose one argument is a family ("",
 * "ipv4", "ipv6"): validate, polkit, tables; returns as
 * authorize_and_read_tables does. */
static int family_call_tables(Manager *m, sd_bus_message *msg, const bs_table *t[2], sd_bus_error *error) {
        const char *family;
        unsigned families;
        int r = sd_bus_message_read(msg, "s", &family);
        if (r < 0)
                return r;
        if ((r = parse_family(family, true, &families, error)) < 0)
                return r;
        return authorize_and_read_tables(m, msg, families, t, error);
}

/* One dictionary of ListRules' and ListChains' "chains" */
static int append_chain(sd_bus_message *reply, const bs_table *t, const bs_chain *c) {
        return sd_bus_message_append(reply, "a{sv}", 6, "family", "s", bs_family_to_string(t->family), "chain", "s",
                                     c->name, "policy", "s", c->builtin ? bs_policy_to_string(c->policy) : "",
                                     "packets", "t", c->policy_packets, "bytes", "t", c->policy_bytes, "rules", "u",
                                     (uint32_t) c->n_rules);
}

/* ListChains' aa{sv}: every chain of both tables (NULL: family absent). */
static int append_chains(sd_bus_message *reply, const bs_table *const t[2]) {
        int r = sd_bus_message_open_container(reply, 'a', "a{sv}");
        for (int f = 0; r >= 0 && f < 2; f++)
                for (size_t i = 0; r >= 0 && t[f] && i < t[f]->n_chains; i++)
                        r = append_chain(reply, t[f], &t[f]->chains[i]);
        if (r < 0)
                return r;
        return sd_bus_message_close_container(reply);
}

/* ListRules' second half alone: what "backstopctl status" needs, without
 * marshalling (and the client skipping) one dictionary per rule. */
static int method_list_chains(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        const bs_table *t[2];
        int r = family_call_tables(userdata, msg, t, error);
        if (r <= 0)
                return r < 0 ? r : 1;
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        r = sd_bus_message_new_method_return(msg, &reply);
        if (r >= 0)
                r = append_chains(reply, t);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

/* Every property GetAll shows, as GetAll's a{sv}, from the getters of
 * manager_vtable itself (so that GetStatus cannot drift from GetAll). */
static int append_properties(sd_bus_message *reply, Manager *m, sd_bus_error *error) {
        sd_bus *bus = sd_bus_message_get_bus(reply);
        int r = sd_bus_message_open_container(reply, 'a', "{sv}");
        for (const sd_bus_vtable *v = manager_vtable; r >= 0 && v->type != _SD_BUS_VTABLE_END; v++) {
                if (v->type != _SD_BUS_VTABLE_PROPERTY || !v->x.property.get ||
                    (v->flags & (SD_BUS_VTABLE_HIDDEN | SD_BUS_VTABLE_PROPERTY_EXPLICIT)))
                        continue;
                r = sd_bus_message_open_container(reply, 'e', "sv");
                if (r >= 0)
                        r = sd_bus_message_append(reply, "s", v->x.property.member);
                if (r >= 0)
                        r = sd_bus_message_open_container(reply, 'v', v->x.property.signature);
                if (r >= 0)
                        r = v->x.property.get(bus, BS_OBJECT_PATH, BS_INTERFACE, v->x.property.member, reply, m,
                                              error);
                if (r >= 0)
                        r = sd_bus_message_close_container(reply);
                if (r >= 0)
                        r = sd_bus_message_close_container(reply);
        }
        if (r < 0)
                return r;
        return sd_bus_message_close_container(reply);
}

/* GetAll and ListChains("") in one reply, from one look at the kernel's
 * tables: what "backstopctl status" shows. Both halves read the tables
 * through the read cache within this one event-loop iteration, so the
 * kernel is checked once (see Manager.read_checked), not once per call. */
static int method_get_status(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        int r = bs_polkit_verify(m->polkit, msg, NULL, error);
        if (r <= 0)
                return r < 0 ? r : 1;
        /* an authorized caller gets the properties as of now (and every
         * subscriber their PropertiesChanged), not as of the last refresh */
        manager_refresh_properties(m);
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        r = sd_bus_message_new_method_return(msg, &reply);
        if (r < 0)
                return r;
        r = append_properties(reply, m, error);
        if (r < 0)
                return r;
        const bs_table *t[2];
        r = read_tables_for(m, BS_FAMILY_MASK_BOTH, t, error);
        if (r < 0)
                return r;
        r = append_chains(reply, t);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

static int method_list_rules(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        const char *family, *chain;
        unsigned families;
        int r = sd_bus_message_read(msg, "ss", &family, &chain);
        if (r < 0)
                return r;
        if ((r = parse_family(family, true, &families, error)) < 0 || (r = check_chain_arg(chain, error)) < 0)
                return r;

        const bs_table *t[2];
        r = authorize_and_read_tables(m, msg, families, t, error);
        if (r <= 0)
                return r < 0 ? r : 1;
        bool found = streq(chain, "");
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        r = sd_bus_message_new_method_return(msg, &reply);
        for (int pass = 0; r >= 0 && pass < 2; pass++) {
                r = sd_bus_message_open_container(reply, 'a', "a{sv}");
                for (int f = 0; r >= 0 && f < 2; f++) {
                        if (!t[f])
                                continue;
                        for (size_t i = 0; r >= 0 && i < t[f]->n_chains; i++) {
                                const bs_chain *c = &t[f]->chains[i];
                                if (!streq(chain, "") && !streq(chain, c->name))
                                        continue;
                                found = true;
                                if (pass == 0) {
                                        for (size_t k = 0; r >= 0 && k < c->n_rules; k++)
                                                r = append_rule(reply, t[f], c, k);
                                } else
                                        r = append_chain(reply, t[f], c);
                        }
                }
                if (r >= 0)
                        r = sd_bus_message_close_container(reply);
        }
        if (r < 0)
                return r;
        if (!found)
                return sd_bus_error_setf(error, BS_ERROR_NOT_FOUND, "No chain \"%s\"", chain);
        return sd_bus_send(NULL, reply, NULL);
}

static int method_get_rules_text(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        const char *family, *chain;
        int counters;
        unsigned families;
        int r = sd_bus_message_read(msg, "ssb", &family, &chain, &counters);
        if (r < 0)
                return r;
        if ((r = parse_family(family, false, &families, error)) < 0 || (r = check_chain_arg(chain, error)) < 0)
                return r;

        const bs_table *t[2];
        r = authorize_and_read_tables(m, msg, families, t, error);
        if (r <= 0)
                return r < 0 ? r : 1;
        int f = families == BS_FAMILY_MASK_IPV6 ? 1 : 0;
        /* The whole table without counters is what `backstopctl rules`
         * asks for: kept rendered while the table's rules stay the same. */
        bool keep = !counters && streq(chain, "");
        uint64_t generation = m->read_cache[f].generation;
        if (keep && m->rules_text[f].text && m->rules_text[f].generation == generation)
                return sd_bus_reply_method_return(msg, "s", m->rules_text[f].text);

        _cleanup_buf_ bs_buf text = {};
        r = bs_render_table(t[f], streq(chain, "") ? NULL : chain, counters, &text);
        if (r == -ENOENT)
                return sd_bus_error_setf(error, BS_ERROR_NOT_FOUND, "No chain \"%s\"", chain);
        if (r < 0)
                return r;
        if (keep && text.data) {
                free(m->rules_text[f].text);
                m->rules_text[f].text = TAKE_PTR(text.data);
                m->rules_text[f].generation = generation;
                return sd_bus_reply_method_return(msg, "s", m->rules_text[f].text);
        }
        return sd_bus_reply_method_return(msg, "s", text.data ? text.data : "");
}

static int method_zero_counters(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        const char *family, *chain;
        unsigned families;
        int r = sd_bus_message_read(msg, "ss", &family, &chain);
        if (r < 0)
                return r;
        if ((r = parse_family(family, true, &families, error)) < 0 || (r = check_chain_arg(chain, error)) < 0)
                return r;
        if (families == BS_FAMILY_MASK_IPV6 && !m->ipv6_active)
                return sd_bus_error_set(error, BS_ERROR_UNSUPPORTED, "IPv6 is not active on this host");

        r = bs_polkit_verify(m->polkit, msg, NULL, error);
        if (r <= 0)
                return r < 0 ? r : 1;

        for (int f = 0; f < 2; f++) {
                bs_family fam = f == 0 ? BS_FAMILY_IPV4 : BS_FAMILY_IPV6;
                if (!(families & bs_family_mask(fam)) || (f == 1 && !m->ipv6_active))
                        continue;
                r = m->backend->zero(fam, "filter", streq(chain, "") ? NULL : chain, &m->nf);
                if (r == -ENOENT)
                        return sd_bus_error_setf(error, BS_ERROR_NOT_FOUND, "No chain \"%s\" in %s", chain,
                                                 bs_family_to_string(fam));
                if (r < 0)
                        return bs_bus_error_set_errno(error, r, "Cannot zero the %s counters",
                                                      bs_family_to_string(fam));
        }
        log_info("Counters zeroed (family \"%s\", chain \"%s\").", family, chain);
        return sd_bus_reply_method_return(msg, NULL);
}

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

static int preview_changes(Manager *m, sd_bus_message *msg, const ChangeArgs *a, sd_bus_error *error);

static int method_preview(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(change_args_done) ChangeArgs a = {};
        int r = read_change_args(msg, &a, error);
        if (r < 0)
                return r;
        return preview_changes(userdata, msg, &a, error);
}

static int method_preview_changes(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(change_args_done) ChangeArgs a = {};
        int r = read_structured_change_args(msg, &a, error);
        if (r < 0)
                return r;
        return preview_changes(userdata, msg, &a, error);
}

/* The common part of Preview and PreviewChanges, from polkit on: allowed
 * by read-rules; the connections in the lockout report only for a caller
 * polkit also allows read-connections (asked without interaction). */
static int preview_changes(Manager *m, sd_bus_message *msg, const ChangeArgs *a, sd_bus_error *error) {
        BsPolkitAsk ask = { .request_bytes = change_args_size(a), .optional_action = BS_ACTION_READ_CONNECTIONS };
        int r = bs_polkit_verify_ask(m->polkit, msg, &ask, error);
        if (r <= 0)
                return r < 0 ? r : 1;
        _cleanup_changeset_ bs_changeset set = {};
        r = parse_change_args(m, a, &set, error);
        if (r < 0)
                return r;
        const bs_changeset *s = &set;
        const TransactionOptions *o = &a->o;

        const bs_table *t[2];
        bs_table *after[2] = {};
        r = read_tables_for(m, BS_FAMILY_MASK_BOTH, t, error);
        if (r < 0)
                return r;
        for (int f = 0; f < 2; f++) {
                if (!t[f])
                        continue;
                size_t failed = 0;
                r = bs_changeset_apply(s, t[f], &after[f], &failed);
                if (r < 0) {
                        int e = bs_bus_error_set_errno(error, r, "%s",
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
                r = sd_bus_message_open_container(reply, 'a', "s");
        for (size_t i = 0; r >= 0 && i < s->n_commands; i++)
                r = sd_bus_message_append(reply, "s", s->commands[i]);
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r >= 0)
                r = append_lockout(reply, &report, ask.optional_allowed);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
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

static int method_apply(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(change_args_done) ChangeArgs a = {};
        int r = read_change_args(msg, &a, error);
        if (r < 0)
                return r;
        return apply_changes(userdata, msg, &a, error);
}

static int method_apply_changes(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        _cleanup_(change_args_done) ChangeArgs a = {};
        int r = read_structured_change_args(msg, &a, error);
        if (r < 0)
                return r;
        return apply_changes(userdata, msg, &a, error);
}

/* While the IPv6 table could not be read (manager_detect_ipv6 retries),
 * a change or a save would cover IPv4 alone. */
static int refuse_ipv6_unknown(Manager *m, sd_bus_error *error) {
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
        if (m->pending)
                return sd_bus_error_setf(error, BS_ERROR_BUSY, "Transaction %" PRIu32 " is pending",
                                         m->pending->id);
        if (m->ipv6_state == IPV6_UNKNOWN)
                return refuse_ipv6_unknown(m, error);
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
        int r = bs_polkit_verify_ask(m->polkit, msg, &ask, error);
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
        r = transaction_apply(m, set, o, uid, &t, err, sizeof(err));
        if (r == -EBUSY)
                return sd_bus_error_set(error, BS_ERROR_BUSY, err);
        if (r < 0) {
                log_warning("Apply by uid %u refused: %s", (unsigned) uid, err);
                return sd_bus_error_setf(error, bs_bus_error_name(r), "%s", err);
        }
        return sd_bus_reply_method_return(msg, "o", t->path);
}

static int method_save(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        if (m->pending)
                return sd_bus_error_setf(error, BS_ERROR_BUSY,
                                         "Transaction %" PRIu32 " is pending: confirm it before saving",
                                         m->pending->id);
        if (m->ipv6_state == IPV6_UNKNOWN)
                return refuse_ipv6_unknown(m, error);

        int r = bs_polkit_verify(m->polkit, msg, NULL, error);
        if (r <= 0)
                return r < 0 ? r : 1;

        const bs_table *t[2];
        r = read_tables_for(m, BS_FAMILY_MASK_BOTH, t, error);
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

static int method_check(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        const bs_table *t[2];
        int r = family_call_tables(m, msg, t, error);
        if (r <= 0)
                return r < 0 ? r : 1;
        _cleanup_check_report_ bs_check_report report = {};
        r = bs_check_run(t[0], t[1], &m->ports, &report);
        if (r < 0)
                return bs_bus_error_set_errno(error, r, "The checks could not run");

        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        r = sd_bus_message_new_method_return(msg, &reply);
        if (r >= 0)
                r = sd_bus_message_append(reply, "b", report.passed);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "a{sv}");
        for (size_t i = 0; r >= 0 && i < report.n; i++) {
                const bs_check_item *it = &report.items[i];
                r = sd_bus_message_append(reply, "a{sv}", 5, "id", "s", it->id, "family", "s", it->family, "passed",
                                          "b", it->passed, "summary", "s", it->summary, "detail", "s", it->detail);
        }
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

static int method_list_connections(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        int r = bs_polkit_verify(m->polkit, msg, NULL, error);
        if (r <= 0)
                return r < 0 ? r : 1;

        _cleanup_free_ bs_conn *conns = NULL;
        size_t n = 0;
        r = bs_connections_dump(&conns, &n);
        if (r < 0)
                return bs_bus_error_set_errno(error, r, "Cannot read the conntrack table");
        _cleanup_local_addrs_ bs_local_addrs local = {};
        r = bs_local_addrs_get(&local);
        if (r < 0)
                return bs_bus_error_set_errno(error, r, "Cannot read the local addresses");

        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        uint64_t now_ns = (uint64_t) ts.tv_sec * 1000000000ULL + (uint64_t) ts.tv_nsec;

        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        r = sd_bus_message_new_method_return(msg, &reply);
        if (r >= 0)
                r = sd_bus_message_open_container(reply, 'a', "a{sv}");
        for (size_t i = 0; r >= 0 && i < n; i++) {
                const bs_conn *c = &conns[i];
                int af = c->family == BS_FAMILY_IPV6 ? AF_INET6 : AF_INET;
                char src[INET6_ADDRSTRLEN] = "", dst[INET6_ADDRSTRLEN] = "", pbuf[8];
                (void) inet_ntop(af, c->orig.src, src, sizeof(src));
                (void) inet_ntop(af, c->orig.dst, dst, sizeof(dst));
                bool inbound = bs_local_addrs_contains(&local, c->family, c->orig.dst) &&
                               !bs_addr_is_loopback(c->family, c->orig.src);
                bool mgmt = inbound && bs_mgmt_ports_contains(&m->ports, c->l4proto, c->orig.dport);
                r = sd_bus_message_open_container(reply, 'a', "{sv}");
                if (r >= 0)
                        r = sd_bus_message_append(reply, "{sv}{sv}{sv}{sv}{sv}{sv}{sv}{sv}{sv}", "family", "s",
                                                  bs_family_to_string(c->family), "protocol", "s",
                                                  bs_proto_to_string(c->l4proto, pbuf), "source", "s", src,
                                                  "source-port", "q", c->orig.sport, "destination", "s", dst,
                                                  "destination-port", "q", c->orig.dport, "state", "s",
                                                  bs_tcp_state_to_string(c), "inbound", "b", inbound,
                                                  "management", "b", mgmt);
                if (r >= 0 && c->has_start && c->start_ns <= now_ns)
                        r = sd_bus_message_append(reply, "{sv}", "age-seconds", "t",
                                                  (uint64_t) ((now_ns - c->start_ns) / 1000000000ULL));
                if (r >= 0)
                        r = sd_bus_message_close_container(reply);
        }
        if (r >= 0)
                r = sd_bus_message_close_container(reply);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

static int method_apply_default_deny(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        bs_l4port allows[BS_MGMT_PORTS_MAX];
        size_t n_allows = 0;
        int r = sd_bus_message_enter_container(msg, 'a', "(sq)");
        if (r < 0)
                return r;
        const char *proto;
        uint16_t port;
        while ((r = sd_bus_message_read(msg, "(sq)", &proto, &port)) > 0) {
                if (n_allows >= BS_MGMT_PORTS_MAX)
                        return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "Too many allows (at most %d)",
                                                 BS_MGMT_PORTS_MAX);
                uint8_t p;
                if (bs_l4proto_from_string(proto, &p) < 0)
                        return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                                 "Invalid protocol \"%.*s\" (\"tcp\" or \"udp\")",
                                                 bs_utf8_prefix(proto, 16), proto);
                if (port == 0)
                        return sd_bus_error_set(error, SD_BUS_ERROR_INVALID_ARGS, "Invalid port 0");
                allows[n_allows++] = (bs_l4port){ .proto = p, .port = port };
        }
        if (r < 0)
                return r;
        r = sd_bus_message_exit_container(msg);
        if (r < 0)
                return r;
        TransactionOptions o;
        r = bus_read_apply_options(msg, &o, error);
        if (r < 0)
                return r;
        if (o.strict && o.timeout_sec == 0)
                return sd_bus_error_set(error, SD_BUS_ERROR_INVALID_ARGS,
                                        "Option \"strict\" needs a \"timeout\" above 0");
        /* Authorize before reading the tables: what the recipe would do
         * says something about them. */
        r = authorize_apply(m, msg, &o, 0, error);
        if (r <= 0)
                return r < 0 ? r : 1;

        const bs_table *t[2];
        r = read_tables_for(m, BS_FAMILY_MASK_BOTH, t, error);
        if (r < 0)
                return r;
        bs_change *changes = NULL;
        size_t n = 0;
        r = bs_recipe_default_deny(t[0], t[1], allows, n_allows, &changes, &n);
        if (r < 0)
                return bs_bus_error_set_errno(error, r, "The default-deny recipe failed");
        if (n == 0) {
                free(changes);
                return sd_bus_reply_method_return(msg, "o", "/");
        }
        _cleanup_changeset_ bs_changeset set = {};
        r = bs_changeset_from_changes(changes, n, &set);
        free(changes);
        if (r < 0)
                return r;
        return apply_changeset(m, msg, &set, &o, error);
}

/* ---------------------------------------------------------------- properties */

static int property_get_version(sd_bus *bus, const char *path, const char *interface, const char *property,
                                sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        return sd_bus_message_append(reply, "s", PACKAGE_VERSION);
}

static int property_get_backends(sd_bus *bus, const char *path, const char *interface, const char *property,
                                 sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        return sd_bus_message_append(reply, "as", 1, m->backend->name);
}

/* Policies, RulesSaved and Nftables*: what the manager computed last (see
 * Manager.policies); a property read costs no kernel read. */
static int property_get_policies(sd_bus *bus, const char *path, const char *interface, const char *property,
                                 sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        const ManagerPolicies *p = &m->policies;
        int r = sd_bus_message_open_container(reply, 'a', "{sa{ss}}");
        for (int f = 0; r >= 0 && f < 2; f++) {
                if (!p->present[f])
                        continue;
                r = sd_bus_message_open_container(reply, 'e', "sa{ss}");
                if (r >= 0)
                        r = sd_bus_message_append(reply, "s",
                                                  bs_family_to_string(f == 0 ? BS_FAMILY_IPV4 : BS_FAMILY_IPV6));
                if (r >= 0)
                        r = sd_bus_message_open_container(reply, 'a', "{ss}");
                for (size_t i = 0; r >= 0 && i < p->n[f]; i++)
                        r = sd_bus_message_append(reply, "{ss}", p->chains[f][i].chain,
                                                  bs_policy_to_string(p->chains[f][i].policy));
                if (r >= 0)
                        r = sd_bus_message_close_container(reply);
                if (r >= 0)
                        r = sd_bus_message_close_container(reply);
        }
        if (r < 0)
                return r;
        return sd_bus_message_close_container(reply);
}

static int property_get_ipv6(sd_bus *bus, const char *path, const char *interface, const char *property,
                             sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        return sd_bus_message_append(reply, "b", m->ipv6_active);
}

static int property_get_boot_restore(sd_bus *bus, const char *path, const char *interface, const char *property,
                                     sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        return sd_bus_message_append(reply, "s", m->boot_restore ? m->boot_restore : "");
}

static int property_get_pending(sd_bus *bus, const char *path, const char *interface, const char *property,
                                sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        return sd_bus_message_append(reply, "o", m->pending ? m->pending->path : "/");
}

static int property_get_rules_saved(sd_bus *bus, const char *path, const char *interface, const char *property,
                                    sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        return sd_bus_message_append(reply, "b", m->rules_saved);
}

static int property_get_nft(sd_bus *bus, const char *path, const char *interface, const char *property,
                            sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Manager *m = userdata;
        if (streq(property, "NftablesFiltersInput"))
                return sd_bus_message_append(reply, "b", m->nft_filters_input);
        return sd_bus_message_append(reply, "s", m->nft_description ? m->nft_description : "");
}

static int property_get_management_ports(sd_bus *bus, const char *path, const char *interface,
                                         const char *property, sd_bus_message *reply, void *userdata,
                                         sd_bus_error *error) {
        Manager *m = userdata;
        int r = sd_bus_message_open_container(reply, 'a', "(sq)");
        for (size_t i = 0; r >= 0 && i < m->ports.n; i++)
                r = sd_bus_message_append(reply, "(sq)", m->ports.ports[i].proto == IPPROTO_UDP ? "udp" : "tcp",
                                          m->ports.ports[i].port);
        if (r < 0)
                return r;
        return sd_bus_message_close_container(reply);
}

const sd_bus_vtable manager_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Version", "s", property_get_version, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("Backends", "as", property_get_backends, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("IPv6Active", "b", property_get_ipv6, 0,
                        SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Policies", "a{sa{ss}}", property_get_policies, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("PendingTransaction", "o", property_get_pending, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("RulesSaved", "b", property_get_rules_saved, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("NftablesFiltersInput", "b", property_get_nft, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("NftablesDescription", "s", property_get_nft, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("ManagementPorts", "a(sq)", property_get_management_ports, 0,
                        SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("BootRestore", "s", property_get_boot_restore, 0, SD_BUS_VTABLE_PROPERTY_CONST),

        SD_BUS_METHOD_WITH_NAMES("ListRules", "ss", SD_BUS_PARAM(family) SD_BUS_PARAM(chain), "aa{sv}aa{sv}",
                                 SD_BUS_PARAM(rules) SD_BUS_PARAM(chains), method_list_rules,
                                 SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("ListChains", "s", SD_BUS_PARAM(family), "aa{sv}", SD_BUS_PARAM(chains),
                                 method_list_chains, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("GetStatus", "", , "a{sv}aa{sv}", SD_BUS_PARAM(properties) SD_BUS_PARAM(chains),
                                 method_get_status, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("GetRulesText", "ssb", SD_BUS_PARAM(family) SD_BUS_PARAM(chain)
                                 SD_BUS_PARAM(counters), "s", SD_BUS_PARAM(text), method_get_rules_text,
                                 SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("Check", "s", SD_BUS_PARAM(family), "baa{sv}",
                                 SD_BUS_PARAM(passed) SD_BUS_PARAM(items), method_check, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("ListConnections", "", , "aa{sv}", SD_BUS_PARAM(connections),
                                 method_list_connections, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("ZeroCounters", "ss", SD_BUS_PARAM(family) SD_BUS_PARAM(chain), "", ,
                                 method_zero_counters, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("Preview", "asa{sv}", SD_BUS_PARAM(changes) SD_BUS_PARAM(options),
                                 "a{ss}asaa{sv}", SD_BUS_PARAM(result) SD_BUS_PARAM(commands)
                                 SD_BUS_PARAM(lockout), method_preview, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("Apply", "asa{sv}", SD_BUS_PARAM(changes) SD_BUS_PARAM(options), "o",
                                 SD_BUS_PARAM(transaction), method_apply, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("PreviewChanges", "aa{sv}a{sv}", SD_BUS_PARAM(changes) SD_BUS_PARAM(options),
                                 "a{ss}asaa{sv}", SD_BUS_PARAM(result) SD_BUS_PARAM(commands)
                                 SD_BUS_PARAM(lockout), method_preview_changes, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("ApplyChanges", "aa{sv}a{sv}", SD_BUS_PARAM(changes) SD_BUS_PARAM(options), "o",
                                 SD_BUS_PARAM(transaction), method_apply_changes, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("ApplyDefaultDeny", "a(sq)a{sv}", SD_BUS_PARAM(allows) SD_BUS_PARAM(options), "o",
                                 SD_BUS_PARAM(transaction), method_apply_default_deny, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD("Save", "", "", method_save, SD_BUS_VTABLE_UNPRIVILEGED),

        SD_BUS_SIGNAL_WITH_NAMES("TransactionApplied", "o", SD_BUS_PARAM(transaction), 0),
        SD_BUS_SIGNAL_WITH_NAMES("TransactionConfirmed", "o", SD_BUS_PARAM(transaction), 0),
        SD_BUS_SIGNAL_WITH_NAMES("TransactionRolledBack", "os", SD_BUS_PARAM(transaction) SD_BUS_PARAM(reason), 0),
        SD_BUS_VTABLE_END,
};
