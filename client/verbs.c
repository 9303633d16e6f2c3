/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The verbs that ask or tell backstopd something once: status, rules, check,
 * connections, preview, confirm, rollback, extend, zero, save. */

#include <errno.h>
#include <langinfo.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"
#include "parse.h"
#include "util.h"

#define _cleanup_msg_ _cleanup_(sd_bus_message_unrefp)
#define _cleanup_dict_ _cleanup_(dict_clearp)

static bool fancy_symbols(void) {
        const char *cs = nl_langinfo(CODESET);
        return isatty(STDOUT_FILENO) && cs && strcmp(cs, "UTF-8") == 0;
}

static int finish_json(JsonWriter *w) {
        int r = json_finish(w);
        if (r < 0)
                return log_local_error(r, "write JSON");
        return 0;
}

static int parse_error(int r) {
        return log_local_error(r, "parse backstopd's reply");
}

/* --- status ------------------------------------------------------------- */

typedef struct ChainCount {
        char family[8];
        char chain[32];
        uint64_t rules;
} ChainCount;

/* Rule counts per chain from ListChains, without asking for a password:
 * status must never prompt. Returns 0, or 1 when not authorized (the caller
 * says so), or an exit code > 1 after printing. */
static int status_rule_counts(Ctl *c, Dict **ret_chains, size_t *ret_n, sd_bus_message **ret_reply) {
        _cleanup_msg_ sd_bus_message *m = NULL, *reply = NULL;
        sd_bus_error error = SD_BUS_ERROR_NULL;
        int r;

        r = ctl_new_call(c, &m, BACKSTOP_PATH, BACKSTOP_MANAGER_IFACE, "ListChains");
        if (r != 0)
                return r;
        r = sd_bus_message_append(m, "s", "");
        if (r < 0)
                return log_local_error(r, "build the request");
        r = sd_bus_message_set_allow_interactive_authorization(m, false);
        if (r < 0)
                return log_local_error(r, "build the request");
        r = sd_bus_call(c->bus, m, 0, &error, &reply);
        if (r < 0) {
                bool denied = sd_bus_error_has_names(&error, SD_BUS_ERROR_ACCESS_DENIED,
                                                     SD_BUS_ERROR_INTERACTIVE_AUTHORIZATION_REQUIRED);
                if (denied) {
                        sd_bus_error_free(&error);
                        return -EACCES;
                }
                r = bus_report_error(&error, r, ACTION_READ_RULES);
                sd_bus_error_free(&error);
                return r;
        }
        if (c->json) {
                *ret_reply = TAKE_PTR(reply);
                return 0;
        }
        r = bus_read_dict_array(reply, ret_chains, ret_n);
        if (r < 0)
                return parse_error(r);
        return 0;
}

static int print_policies(Ctl *c) {
        _cleanup_msg_ sd_bus_message *reply = NULL;
        sd_bus_error error = SD_BUS_ERROR_NULL;
        int r;

        r = sd_bus_get_property(c->bus, BACKSTOP_SERVICE, BACKSTOP_PATH, BACKSTOP_MANAGER_IFACE, "Policies",
                                &error, &reply, "a{sa{ss}}");
        if (r < 0) {
                r = bus_report_error(&error, r, ACTION_READ_STATE);
                sd_bus_error_free(&error);
                return r;
        }
        r = sd_bus_message_enter_container(reply, 'a', "{sa{ss}}");
        if (r < 0)
                return parse_error(r);
        while ((r = sd_bus_message_enter_container(reply, 'e', "sa{ss}")) > 0) {
                const char *family, *chain, *policy;
                r = sd_bus_message_read(reply, "s", &family);
                if (r < 0)
                        return parse_error(r);
                printf("%16s: ", strcmp(family, "ipv6") == 0 ? "IPv6 policies" : "IPv4 policies");
                r = sd_bus_message_enter_container(reply, 'a', "{ss}");
                if (r < 0)
                        return parse_error(r);
                bool first = true;
                while ((r = sd_bus_message_read(reply, "{ss}", &chain, &policy)) > 0) {
                        printf("%s%s %s", first ? "" : ", ", chain, policy);
                        first = false;
                }
                if (r < 0)
                        return parse_error(r);
                printf("\n");
                r = sd_bus_message_exit_container(reply);
                if (r >= 0)
                        r = sd_bus_message_exit_container(reply);
                if (r < 0)
                        return parse_error(r);
        }
        if (r < 0)
                return parse_error(r);
        return 0;
}

static void print_rule_counts(Dict *chains, size_t n, const char *family, const char *label) {
        uint64_t total = 0;
        bool any = false;
        for (size_t i = 0; i < n; i++)
                if (strcmp(dict_str(&chains[i], "family", ""), family) == 0) {
                        total += dict_uint(&chains[i], "rules", 0);
                        any = true;
                }
        if (!any)
                return;
        printf("%16s: %llu (", label, (unsigned long long) total);
        bool first = true;
        for (size_t i = 0; i < n; i++)
                if (strcmp(dict_str(&chains[i], "family", ""), family) == 0) {
                        printf("%s%s %llu", first ? "" : ", ", dict_str(&chains[i], "chain", "?"),
                               (unsigned long long) dict_uint(&chains[i], "rules", 0));
                        first = false;
                }
        printf(")\n");
}

static int status_json(Ctl *c, sd_bus_message *manager_reply, sd_bus_message *rules_reply, bool rules_denied,
                       const char *tx_path) {
        JsonWriter w;
        int r;

        json_init(&w, stdout);
        json_begin_object(&w);
        json_key(&w, "manager");
        r = bus_json_value(&w, manager_reply);
        if (r < 0)
                return parse_error(r);
        json_key(&w, "chains");
        if (rules_reply) {
                r = bus_json_value(&w, rules_reply);
                if (r < 0)
                        return parse_error(r);
        } else
                json_null(&w);
        json_kv_bool(&w, "rules_readable", !rules_denied);
        json_key(&w, "transaction");
        if (tx_path) {
                _cleanup_msg_ sd_bus_message *reply = NULL;
                sd_bus_error error = SD_BUS_ERROR_NULL;
                r = sd_bus_call_method(c->bus, BACKSTOP_SERVICE, tx_path, "org.freedesktop.DBus.Properties",
                                       "GetAll", &error, &reply, "s", BACKSTOP_TRANSACTION_IFACE);
                if (r < 0) {
                        /* It ended between the two calls. */
                        sd_bus_error_free(&error);
                        json_null(&w);
                } else {
                        r = bus_json_value(&w, reply);
                        if (r < 0)
                                return parse_error(r);
                }
        } else
                json_null(&w);
        json_end_object(&w);
        return finish_json(&w);
}

int verb_status(Ctl *c) {
        _cleanup_msg_ sd_bus_message *m = NULL, *reply = NULL, *rules_reply = NULL;
        _cleanup_dict_ Dict d = {};
        Dict *chains = NULL;
        size_t n_chains = 0;
        bool rules_denied = false;
        int r;

        r = ctl_new_call(c, &m, BACKSTOP_PATH, "org.freedesktop.DBus.Properties", "GetAll");
        if (r != 0)
                return r;
        r = sd_bus_message_append(m, "s", BACKSTOP_MANAGER_IFACE);
        if (r < 0)
                return log_local_error(r, "build the request");
        r = bus_call_checked(c->bus, m, ACTION_READ_STATE, 0, &reply);
        if (r != 0)
                return r;
        r = bus_read_dict(reply, &d);
        if (r < 0)
                return parse_error(r);
        r = sd_bus_message_rewind(reply, true);
        if (r < 0)
                return parse_error(r);

        r = status_rule_counts(c, &chains, &n_chains, &rules_reply);
        if (r == -EACCES)
                rules_denied = true;
        else if (r != 0)
                return r;

        const char *tx = dict_str(&d, "PendingTransaction", "/");
        const char *tx_path = strcmp(tx, "/") == 0 ? NULL : tx;

        if (c->json) {
                r = status_json(c, reply, rules_reply, rules_denied, tx_path);
                dict_array_free(chains, n_chains);
                return r;
        }

        char **backends = NULL;
        sd_bus_error error = SD_BUS_ERROR_NULL;
        r = sd_bus_get_property_strv(c->bus, BACKSTOP_SERVICE, BACKSTOP_PATH, BACKSTOP_MANAGER_IFACE, "Backends",
                                     &error, &backends);
        sd_bus_error_free(&error);
        printf("%16s: ", "Backend");
        for (size_t i = 0; r >= 0 && backends && backends[i]; i++)
                printf("%s%s", i ? ", " : "", backends[i]);
        printf(" (backstopd %s)\n", dict_str(&d, "Version", "?"));
        for (size_t i = 0; backends && backends[i]; i++)
                free(backends[i]);
        free(backends);

        printf("%16s: %s\n", "IPv6", dict_bool(&d, "IPv6Active", false) ? "active" : "not active");
        r = print_policies(c);
        if (r != 0) {
                dict_array_free(chains, n_chains);
                return r;
        }
        if (rules_denied)
                printf("%16s: (not authorized to read them; try 'backstopctl rules')\n", "Rules");
        else {
                print_rule_counts(chains, n_chains, "ipv4", "IPv4 rules");
                print_rule_counts(chains, n_chains, "ipv6", "IPv6 rules");
        }
        dict_array_free(chains, n_chains);

        if (!tx_path)
                printf("%16s: none pending\n", "Transaction");
        else {
                _cleanup_dict_ Dict t = {};
                uint32_t id = 0;
                char left[64];
                (void) transaction_id_from_path(tx_path, &id);
                r = ctl_get_transaction_properties(c, tx_path, &t);
                if (r != 0)
                        printf("%16s: %u (ended just now)\n", "Transaction", id);
                else {
                        format_seconds(dict_uint(&t, "TimeLeftUSec", 0) / 1000000, left, sizeof(left));
                        printf("%16s: %u pending, %s left before rollback (%s confirmation)\n", "Transaction",
                               id, left, dict_str(&t, "ConfirmationMode", "any"));
                }
        }
        printf("%16s: %s\n", "Saved", dict_bool(&d, "RulesSaved", false) ? "yes, the running rules are saved"
                                                                       : "no, the running rules differ from the saved ones");
        if (dict_bool(&d, "NftablesFiltersInput", false))
                printf("%16s: ALSO FILTERS INPUT (both rule sets apply to every packet): %s\n", "nftables",
                       dict_str(&d, "NftablesDescription", ""));
        else
                printf("%16s: %s\n", "nftables", "does not filter INPUT");
        return 0;
}

/* --- rules ------------------------------------------------------------- */

int verb_rules(Ctl *c) {
        _cleanup_msg_ sd_bus_message *m = NULL, *reply = NULL;
        const char *family = ctl_family(c, "ipv4");
        const char *chain = c->n_args > 0 ? c->args[0] : "";
        const char *text;
        int r;

        r = ctl_new_call(c, &m, BACKSTOP_PATH, BACKSTOP_MANAGER_IFACE, "GetRulesText");
        if (r != 0)
                return r;
        r = sd_bus_message_append(m, "ssb", family, chain, (int) c->verbose);
        if (r < 0)
                return log_local_error(r, "build the request");
        r = bus_call_checked(c->bus, m, ACTION_READ_RULES, ctl_call_timeout(c), &reply);
        if (r != 0)
                return r;
        r = sd_bus_message_read(reply, "s", &text);
        if (r < 0)
                return parse_error(r);

        if (!c->json) {
                /* Exactly the daemon's bytes: identical to iptables-legacy -S. */
                fputs(text, stdout);
                return 0;
        }

        _cleanup_msg_ sd_bus_message *m2 = NULL, *reply2 = NULL;
        r = sd_bus_message_new_method_call(c->bus, &m2, BACKSTOP_SERVICE, BACKSTOP_PATH, BACKSTOP_MANAGER_IFACE,
                                           "ListRules");
        if (r >= 0)
                r = sd_bus_message_append(m2, "ss", family, chain);
        if (r < 0)
                return log_local_error(r, "build the request");
        r = bus_call_checked(c->bus, m2, ACTION_READ_RULES, ctl_call_timeout(c), &reply2);
        if (r != 0)
                return r;

        JsonWriter w;
        json_init(&w, stdout);
        json_begin_object(&w);
        json_kv_string(&w, "family", family);
        json_kv_string(&w, "chain", chain);
        json_kv_string(&w, "text", text);
        json_key(&w, "rules");
        r = bus_json_value(&w, reply2);
        if (r >= 0) {
                json_key(&w, "chains");
                r = bus_json_value(&w, reply2);
        }
        if (r < 0)
                return parse_error(r);
        json_end_object(&w);
        return finish_json(&w);
}

/* --- check ------------------------------------------------------------- */

int verb_check(Ctl *c) {
        _cleanup_msg_ sd_bus_message *m = NULL, *reply = NULL;
        Dict *items = NULL;
        size_t n = 0;
        int passed, r;

        r = ctl_new_call(c, &m, BACKSTOP_PATH, BACKSTOP_MANAGER_IFACE, "Check");
        if (r != 0)
                return r;
        r = sd_bus_message_append(m, "s", ctl_family(c, ""));
        if (r < 0)
                return log_local_error(r, "build the request");
        r = bus_call_checked(c->bus, m, ACTION_READ_RULES, ctl_call_timeout(c), &reply);
        if (r != 0)
                return r;
        r = sd_bus_message_read(reply, "b", &passed);
        if (r < 0)
                return parse_error(r);

        if (c->json) {
                JsonWriter w;
                json_init(&w, stdout);
                json_begin_object(&w);
                json_kv_bool(&w, "passed", passed);
                json_key(&w, "items");
                r = bus_json_value(&w, reply);
                if (r < 0)
                        return parse_error(r);
                json_end_object(&w);
                r = finish_json(&w);
                return r != 0 ? r : passed ? EXIT_OK : EXIT_FAILED;
        }

        r = bus_read_dict_array(reply, &items, &n);
        if (r < 0)
                return parse_error(r);
        bool fancy = fancy_symbols();
        size_t failed = 0;
        for (size_t i = 0; i < n; i++) {
                bool ok = dict_bool(&items[i], "passed", false);
                const char *detail = dict_str(&items[i], "detail", "");
                if (!ok)
                        failed++;
                if (c->quiet && ok)
                        continue;
                printf("%s %-4s %-24s %s\n", fancy ? (ok ? "✓" : "✗") : (ok ? "PASS" : "FAIL"),
                       dict_str(&items[i], "family", ""), dict_str(&items[i], "id", "?"),
                       dict_str(&items[i], "summary", ""));
                if (*detail && (!ok || c->verbose))
                        printf("%s%s\n", fancy ? "  " : "     ", detail);
        }
        dict_array_free(items, n);
        /* Trust the daemon's verdict, but never report success with a failed item. */
        if (failed > 0)
                passed = false;
        if (!c->quiet) {
                if (passed)
                        printf("All %zu checks passed.\n", n);
                else
                        printf("%zu of %zu checks failed.\n", failed ? failed : n, n);
        }
        return passed ? EXIT_OK : EXIT_FAILED;
}

/* --- connections --------------------------------------------------------- */

static void format_endpoint(const char *family, const char *addr, uint64_t port, char *buf, size_t size) {
        if (strcmp(family, "ipv6") == 0)
                snprintf(buf, size, "[%s]:%llu", addr, (unsigned long long) port);
        else
                snprintf(buf, size, "%s:%llu", addr, (unsigned long long) port);
}

int verb_connections(Ctl *c) {
        _cleanup_msg_ sd_bus_message *m = NULL, *reply = NULL;
        Dict *conns = NULL;
        size_t n = 0;
        int r;

        r = ctl_new_call(c, &m, BACKSTOP_PATH, BACKSTOP_MANAGER_IFACE, "ListConnections");
        if (r != 0)
                return r;
        r = bus_call_checked(c->bus, m, ACTION_READ_CONNECTIONS, ctl_call_timeout(c), &reply);
        if (r != 0)
                return r;
        r = bus_read_dict_array(reply, &conns, &n);
        if (r < 0)
                return parse_error(r);

        if (c->json) {
                /* Filtered like the text output, so read the reply again. */
                JsonWriter w;
                r = sd_bus_message_rewind(reply, true);
                if (r >= 0)
                        r = sd_bus_message_enter_container(reply, 'a', "a{sv}");
                if (r < 0) {
                        dict_array_free(conns, n);
                        return parse_error(r);
                }
                json_init(&w, stdout);
                json_begin_object(&w);
                json_kv_bool(&w, "all", c->all);
                json_key(&w, "connections");
                json_begin_array(&w);
                for (size_t i = 0; i < n; i++) {
                        bool shown = c->all || dict_bool(&conns[i], "inbound", false);
                        r = shown ? bus_json_value(&w, reply) : sd_bus_message_skip(reply, "a{sv}");
                        if (r < 0) {
                                dict_array_free(conns, n);
                                return parse_error(r);
                        }
                }
                json_end_array(&w);
                json_end_object(&w);
                dict_array_free(conns, n);
                return finish_json(&w);
        }

        size_t shown = 0;
        for (size_t i = 0; i < n; i++) {
                Dict *d = &conns[i];
                bool inbound = dict_bool(d, "inbound", false);
                if (!c->all && !inbound)
                        continue;
                if (shown++ == 0)
                        printf("%-5s %-6s %-44s    %-44s %-12s %s\n", "FAM", "PROTO", "FROM", "TO", "STATE",
                               "NOTE");
                const char *family = dict_str(d, "family", "");
                char src[80], dst[80], note[64] = "";
                format_endpoint(family, dict_str(d, "source", "?"), dict_uint(d, "source-port", 0), src,
                                sizeof(src));
                format_endpoint(family, dict_str(d, "destination", "?"), dict_uint(d, "destination-port", 0),
                                dst, sizeof(dst));
                const char *state = dict_str(d, "state", "");
                size_t len = 0;
                if (dict_bool(d, "management", false))
                        len += (size_t) snprintf(note + len, sizeof(note) - len, "management");
                if (c->all)
                        len += (size_t) snprintf(note + len, sizeof(note) - len, "%s%s", len ? ", " : "",
                                                 inbound ? "inbound" : "outbound");
                if (dict_get(d, "age-seconds")) {
                        char age[32];
                        format_seconds(dict_uint(d, "age-seconds", 0), age, sizeof(age));
                        snprintf(note + len, sizeof(note) - len, "%sage %s", len ? ", " : "", age);
                }
                printf("%-5s %-6s %-44s -> %-44s %-12s %s\n", strcmp(family, "ipv6") == 0 ? "IPv6" : "IPv4",
                       dict_str(d, "protocol", "?"), src, dst, *state ? state : "-", note);
        }
        if (shown == 0 && !c->quiet)
                printf("No %sconnections.\n", c->all ? "" : "inbound ");
        dict_array_free(conns, n);
        return 0;
}

/* --- preview ----------------------------------------------------------- */

static int append_changes(Ctl *c, sd_bus_message *m) {
        int r = sd_bus_message_open_container(m, 'a', "s");
        for (size_t i = 0; r >= 0 && i < c->n_changes; i++)
                r = sd_bus_message_append_basic(m, 's', c->changes[i]);
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        if (r < 0)
                return log_local_error(r, "build the request");
        return 0;
}

int verb_preview(Ctl *c) {
        _cleanup_msg_ sd_bus_message *m = NULL, *reply = NULL;
        Dict *lockout = NULL;
        size_t n_lockout = 0;
        int r;

        r = ctl_new_call(c, &m, BACKSTOP_PATH, BACKSTOP_MANAGER_IFACE, "Preview");
        if (r != 0)
                return r;
        r = append_changes(c, m);
        if (r != 0)
                return r;
        r = ctl_append_apply_options(c, m);
        if (r != 0)
                return r;
        r = bus_call_checked(c->bus, m, ACTION_READ_RULES, ctl_call_timeout(c), &reply);
        if (r != 0)
                return r;

        if (c->json) {
                JsonWriter w;
                json_init(&w, stdout);
                json_begin_object(&w);
                json_key(&w, "result");
                r = bus_json_value(&w, reply);
                if (r >= 0) {
                        json_key(&w, "commands");
                        r = bus_json_value(&w, reply);
                }
                if (r >= 0) {
                        json_key(&w, "lockout");
                        r = bus_json_value(&w, reply);
                }
                if (r < 0)
                        return parse_error(r);
                json_end_object(&w);
                r = finish_json(&w);
                if (r != 0)
                        return r;
                /* The lockout count decides the exit code: read it again. */
                r = sd_bus_message_rewind(reply, true);
                if (r >= 0)
                        r = sd_bus_message_skip(reply, "a{ss}as");
                if (r >= 0)
                        r = bus_read_dict_array(reply, &lockout, &n_lockout);
                if (r < 0)
                        return parse_error(r);
                dict_array_free(lockout, n_lockout);
                return n_lockout > 0 ? EXIT_LOCKOUT : EXIT_OK;
        }

        const char *family, *text;
        r = sd_bus_message_enter_container(reply, 'a', "{ss}");
        if (r < 0)
                return parse_error(r);
        while ((r = sd_bus_message_read(reply, "{ss}", &family, &text)) > 0)
                printf("Resulting %s rules:\n%s%s", strcmp(family, "ipv6") == 0 ? "IPv6" : "IPv4", text,
                       *text && text[strlen(text) - 1] != '\n' ? "\n" : "");
        if (r >= 0)
                r = sd_bus_message_exit_container(reply);
        if (r < 0)
                return parse_error(r);

        r = sd_bus_message_enter_container(reply, 'a', "s");
        if (r < 0)
                return parse_error(r);
        printf("Equivalent commands:\n");
        const char *cmd;
        while ((r = sd_bus_message_read(reply, "s", &cmd)) > 0)
                printf("  %s\n", cmd);
        if (r >= 0)
                r = sd_bus_message_exit_container(reply);
        if (r >= 0)
                r = bus_read_dict_array(reply, &lockout, &n_lockout);
        if (r < 0)
                return parse_error(r);

        if (n_lockout == 0)
                printf("Lockout analysis: no connection and no management access would be cut off.\n");
        else {
                printf("Lockout analysis: %zu connection%s or probe%s would be cut off:\n", n_lockout,
                       n_lockout == 1 ? "" : "s", n_lockout == 1 ? "" : "s");
                for (size_t i = 0; i < n_lockout; i++) {
                        Dict *d = &lockout[i];
                        uint64_t pos = dict_uint(d, "position", 0);
                        char where[96];
                        if (pos == 0)
                                snprintf(where, sizeof(where), "%s policy", dict_str(d, "chain", "?"));
                        else
                                snprintf(where, sizeof(where), "%s rule %llu", dict_str(d, "chain", "?"),
                                         (unsigned long long) pos);
                        printf("  %s %s %s: %s by %s%s%s\n", dict_str(d, "family", ""), dict_str(d, "kind", ""),
                               dict_str(d, "connection", ""), dict_str(d, "verdict", "?"), where,
                               *dict_str(d, "rule", "") ? ": " : "", dict_str(d, "rule", ""));
                }
                printf("Apply would refuse this change unless given --force.\n");
        }
        dict_array_free(lockout, n_lockout);
        return n_lockout > 0 ? EXIT_LOCKOUT : EXIT_OK;
}

/* --- confirm / rollback / extend ------------------------------------------ */

/* "Transaction N <done>", or for extend (with_left) the new time left. */
static int print_tx_result(Ctl *c, const char *path, const char *state, const char *done, uint64_t left_usec,
                           bool with_left) {
        uint32_t id = 0;
        (void) transaction_id_from_path(path, &id);
        if (c->json) {
                JsonWriter w;
                json_init(&w, stdout);
                json_begin_object(&w);
                json_kv_string(&w, "transaction", path);
                json_kv_uint(&w, "id", id);
                json_kv_string(&w, "state", state);
                if (with_left)
                        json_kv_uint(&w, "time_left_usec", left_usec);
                json_end_object(&w);
                return finish_json(&w);
        }
        if (!c->quiet) {
                char left[64];
                format_seconds((left_usec + 999999) / 1000000, left, sizeof(left));
                if (with_left)
                        printf("Transaction %u now rolls back in %s unless confirmed.\n", id, left);
                else
                        printf("Transaction %u %s\n", id, done);
        }
        return 0;
}

int verb_confirm(Ctl *c) {
        _cleanup_msg_ sd_bus_message *m = NULL;
        _cleanup_free_ char *path = NULL;
        const char *ssh = getenv("SSH_CONNECTION");
        int r;

        r = ctl_resolve_transaction(c, 0, &path);
        if (r != 0)
                return r;
        r = ctl_new_call(c, &m, path, BACKSTOP_TRANSACTION_IFACE, "Confirm");
        if (r != 0)
                return r;
        if (ssh && *ssh)
                r = sd_bus_message_append(m, "a{sv}", 1, "ssh-connection", "s", ssh);
        else
                r = sd_bus_message_append(m, "a{sv}", 0);
        if (r < 0)
                return log_local_error(r, "build the request");
        r = bus_call_checked(c->bus, m, ACTION_TRANSACTION, ctl_call_timeout(c), NULL);
        if (r != 0)
                return r;
        return print_tx_result(c, path, "confirmed", "confirmed: its changes stay.", 0, false);
}

int verb_rollback(Ctl *c) {
        _cleanup_msg_ sd_bus_message *m = NULL;
        _cleanup_free_ char *path = NULL;
        int r;

        r = ctl_resolve_transaction(c, 0, &path);
        if (r != 0)
                return r;
        r = ctl_new_call(c, &m, path, BACKSTOP_TRANSACTION_IFACE, "Rollback");
        if (r != 0)
                return r;
        r = bus_call_checked(c->bus, m, ACTION_TRANSACTION, ctl_call_timeout(c), NULL);
        if (r != 0)
                return r;
        return print_tx_result(c, path, "rolled-back", "rolled back.", 0, false);
}

int verb_extend(Ctl *c) {
        _cleanup_msg_ sd_bus_message *m = NULL;
        _cleanup_free_ char *path = NULL;
        _cleanup_dict_ Dict t = {};
        const char *secs_arg = c->args[c->n_args - 1];
        uint32_t secs;
        int r;

        if (parse_seconds(secs_arg, 1, 86400, &secs) < 0) {
                fprintf(stderr, "%s: invalid number of seconds '%s': from 1 to 86400 (suffixes s, m, h)\n",
                        program_invocation_short_name, secs_arg);
                return EXIT_USAGE;
        }
        /* "extend TX SEC" or "extend SEC" */
        if (c->n_args == 2)
                r = ctl_resolve_transaction(c, 0, &path);
        else
                r = ctl_resolve_transaction(c, SIZE_MAX, &path);
        if (r != 0)
                return r;
        r = ctl_new_call(c, &m, path, BACKSTOP_TRANSACTION_IFACE, "Extend");
        if (r != 0)
                return r;
        r = sd_bus_message_append(m, "u", secs);
        if (r < 0)
                return log_local_error(r, "build the request");
        r = bus_call_checked(c->bus, m, ACTION_TRANSACTION, ctl_call_timeout(c), NULL);
        if (r != 0)
                return r;
        uint64_t left = (uint64_t) secs * 1000000;
        if (ctl_get_transaction_properties(c, path, &t) == 0)
                left = dict_uint(&t, "TimeLeftUSec", left);
        return print_tx_result(c, path, "pending",
                               NULL, left, true);
}

/* --- zero / save --------------------------------------------------------- */

int verb_zero(Ctl *c) {
        _cleanup_msg_ sd_bus_message *m = NULL;
        const char *family = ctl_family(c, "");
        const char *chain = c->n_args > 0 ? c->args[0] : "";
        int r;

        r = ctl_new_call(c, &m, BACKSTOP_PATH, BACKSTOP_MANAGER_IFACE, "ZeroCounters");
        if (r != 0)
                return r;
        r = sd_bus_message_append(m, "ss", family, chain);
        if (r < 0)
                return log_local_error(r, "build the request");
        r = bus_call_checked(c->bus, m, ACTION_ZERO, ctl_call_timeout(c), NULL);
        if (r != 0)
                return r;
        if (c->json) {
                JsonWriter w;
                json_init(&w, stdout);
                json_begin_object(&w);
                json_kv_bool(&w, "zeroed", true);
                json_kv_string(&w, "family", *family ? family : "both");
                json_kv_string(&w, "chain", chain);
                json_end_object(&w);
                return finish_json(&w);
        }
        if (!c->quiet)
                printf("Counters of %s%s (%s) zeroed.\n", *chain ? "chain " : "all chains", chain,
                       *family ? (strcmp(family, "ipv6") == 0 ? "IPv6" : "IPv4") : "IPv4 and IPv6");
        return 0;
}

int verb_save(Ctl *c) {
        _cleanup_msg_ sd_bus_message *m = NULL;
        int r;

        r = ctl_new_call(c, &m, BACKSTOP_PATH, BACKSTOP_MANAGER_IFACE, "Save");
        if (r != 0)
                return r;
        r = bus_call_checked(c->bus, m, ACTION_SAVE, ctl_call_timeout(c), NULL);
        if (r != 0)
                return r;
        if (c->json) {
                JsonWriter w;
                json_init(&w, stdout);
                json_begin_object(&w);
                json_kv_bool(&w, "saved", true);
                json_end_object(&w);
                return finish_json(&w);
        }
        if (!c->quiet)
                printf("Rules saved: boot restores them.\n");
        return 0;
}
