/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* status: the daemon's state at a glance, never asking for a password. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"
#include "parse.h"
#include "util.h"

/* --- status ------------------------------------------------------------- */

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
                /* status never fails for the counts: it says why they are missing. */
                if (!denied && !c->json)
                        fprintf(stderr, "Could not read the rule counts: %s\n",
                                sd_bus_error_is_set(&error) ? error.message : strerror(-r));
                sd_bus_error_free(&error);
                return denied ? -EACCES : -EIO;
        }
        if (c->json) {
                *ret_reply = TAKE_PTR(reply);
                return 0;
        }
        r = bus_read_dict_array(reply, ret_chains, ret_n);
        if (r < 0)
                return ctl_parse_error(r);
        return 0;
}

/* Moves the read position of an a{sv} reply (rewound) into the value of
 * property `name`, whose contents must be `contents`. 1 when found, 0 when
 * the reply lacks it, or a negative errno. */
static int enter_property(sd_bus_message *reply, const char *name, const char *contents) {
        int r = sd_bus_message_enter_container(reply, 'a', "{sv}");
        if (r < 0)
                return r;
        for (;;) {
                const char *key;
                r = sd_bus_message_enter_container(reply, 'e', "sv");
                if (r <= 0)
                        return r;
                r = sd_bus_message_read(reply, "s", &key);
                if (r < 0)
                        return r;
                if (streq(key, name))
                        return sd_bus_message_enter_container(reply, 'v', contents);
                r = sd_bus_message_skip(reply, "v");
                if (r >= 0)
                        r = sd_bus_message_exit_container(reply);
                if (r < 0)
                        return r;
        }
}

/* The policies from the properties (a{sv}, rewound): asking for the
 * property again would make the daemon read the tables once more. */
static int print_policies(sd_bus_message *reply) {
        int r = enter_property(reply, "Policies", "a{sa{ss}}");
        if (r <= 0)
                return r < 0 ? ctl_parse_error(r) : 0;  /* no Policies: nothing to print */
        r = sd_bus_message_enter_container(reply, 'a', "{sa{ss}}");
        if (r < 0)
                return ctl_parse_error(r);
        while ((r = sd_bus_message_enter_container(reply, 'e', "sa{ss}")) > 0) {
                const char *family, *chain, *policy;
                r = sd_bus_message_read(reply, "s", &family);
                if (r < 0)
                        return ctl_parse_error(r);
                printf("%16s: ", strcmp(family, "ipv6") == 0 ? "IPv6 policies" : "IPv4 policies");
                r = sd_bus_message_enter_container(reply, 'a', "{ss}");
                if (r < 0)
                        return ctl_parse_error(r);
                bool first = true;
                while ((r = sd_bus_message_read(reply, "{ss}", &chain, &policy)) > 0) {
                        printf("%s%s %s", first ? "" : ", ", chain, policy);
                        first = false;
                }
                if (r < 0)
                        return ctl_parse_error(r);
                printf("\n");
                r = sd_bus_message_exit_container(reply);
                if (r >= 0)
                        r = sd_bus_message_exit_container(reply);
                if (r < 0)
                        return ctl_parse_error(r);
        }
        if (r < 0)
                return ctl_parse_error(r);
        return 0;
}

/* The "Backend" line: Backends from the properties (a{sv}, rewound), and
 * why the daemon chose it (BackendReason; a daemon without it gets the
 * version on the same line, as before). The first backend's name goes to
 * ret_name. */
static int print_backends(sd_bus_message *reply, const char *version, const char *reason, char *ret_name,
                          size_t name_size) {
        ret_name[0] = '\0';
        int r = enter_property(reply, "Backends", "as");
        if (r > 0)
                r = sd_bus_message_enter_container(reply, 'a', "s");
        if (r < 0)
                return ctl_parse_error(r);
        printf("%16s: ", "Backend");
        if (r > 0) {
                const char *b;
                bool first = true;
                while ((r = sd_bus_message_read(reply, "s", &b)) > 0) {
                        printf("%s%s", first ? "" : ", ", b);
                        if (first)
                                snprintf(ret_name, name_size, "%s", b);
                        first = false;
                }
                if (r < 0)
                        return ctl_parse_error(r);
        }
        if (reason && *reason)
                printf(" (%s)\n%16s: backstopd %s\n", reason, "Daemon", version);
        else
                printf(" (backstopd %s)\n", version);
        return 0;
}

/* The rulesets beside the managed one that filter INPUT too: nftables
 * chains other than the backend's own, and the legacy ruleset when the
 * daemon manages nft. */
static void print_other_rulesets(const Dict *d, const char *backend) {
        bool nft_backend = streq(backend, "iptables-nft");
        if (dict_bool(d, "NftablesFiltersInput", false))
                printf("%16s: ALSO FILTERS INPUT (both rule sets apply to every packet): %s\n", "nftables",
                       dict_str(d, "NftablesDescription", ""));
        else
                printf("%16s: %s\n", "nftables",
                       nft_backend ? "no chains but Backstop's own filter INPUT" : "does not filter INPUT");
        if (dict_bool(d, "LegacyFiltersInput", false))
                printf("%16s: ALSO FILTERS INPUT (both rule sets apply to every packet): %s\n", "iptables-legacy",
                       dict_str(d, "LegacyDescription", ""));
        else if (nft_backend)
                printf("%16s: %s\n", "iptables-legacy", "does not filter INPUT");
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

/* unsaved: the lines GetSavedRulesText's diff counts, -1 when not known */
static int status_json(Ctl *c, sd_bus_message *manager_reply, sd_bus_message *rules_reply,
                       const char *tx_path, int64_t unsaved) {
        JsonWriter w;
        int r;

        ctl_json_init(c, &w);
        json_begin_object(&w);
        json_key(&w, "manager");
        r = bus_json_value(&w, manager_reply);
        if (r < 0)
                return ctl_parse_error(r);
        json_key(&w, "chains");
        if (rules_reply) {
                r = bus_json_value(&w, rules_reply);
                if (r < 0)
                        return ctl_parse_error(r);
        } else
                json_null(&w);
        json_kv_bool(&w, "rules_readable", rules_reply != NULL);
        json_key(&w, "unsaved_lines");
        if (unsaved >= 0)
                json_uint(&w, (uint64_t) unsaved);
        else
                json_null(&w);
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
                                return ctl_parse_error(r);
                }
        } else
                json_null(&w);
        json_end_object(&w);
        return ctl_finish_json(&w);
}

/* GetStatus: the properties and the chains from one reading of the kernel's
 * tables, without asking for a password (status must never prompt). 0 with
 * the reply; -EACCES when not authorized to read the rules; -EIO when the
 * call failed otherwise (e.g. a daemon without GetStatus): the caller then
 * asks GetAll and ListChains, which report their errors as they always did;
 * or an exit code > 0 after printing. */
static int status_get(Ctl *c, sd_bus_message **ret) {
        _cleanup_msg_ sd_bus_message *m = NULL;
        sd_bus_error error = SD_BUS_ERROR_NULL;
        int r = ctl_new_call(c, &m, BACKSTOP_PATH, BACKSTOP_MANAGER_IFACE, "GetStatus");
        if (r != 0)
                return r;
        r = sd_bus_message_set_allow_interactive_authorization(m, false);
        if (r < 0)
                return log_local_error(r, "build the request");
        r = sd_bus_call(c->bus, m, 0, &error, ret);
        if (r >= 0)
                return 0;
        bool denied = sd_bus_error_has_names(&error, SD_BUS_ERROR_ACCESS_DENIED,
                                             SD_BUS_ERROR_INTERACTIVE_AUTHORIZATION_REQUIRED);
        sd_bus_error_free(&error);
        return denied ? -EACCES : -EIO;
}

/* Without GetStatus: the properties from GetAll, and (unless already
 * denied) the rule counts from ListChains. Returns as status_rule_counts. */
static int status_get_separately(Ctl *c, bool counts, sd_bus_message **ret_reply, Dict **ret_chains,
                                 size_t *ret_n, sd_bus_message **ret_rules_reply) {
        _cleanup_msg_ sd_bus_message *m = NULL;
        int r = ctl_new_call(c, &m, BACKSTOP_PATH, "org.freedesktop.DBus.Properties", "GetAll");
        if (r != 0)
                return r;
        r = sd_bus_message_append(m, "s", BACKSTOP_MANAGER_IFACE);
        if (r < 0)
                return log_local_error(r, "build the request");
        r = bus_call_checked(c->bus, m, ACTION_READ_STATE, 0, ret_reply);
        if (r != 0)
                return r;
        return counts ? status_rule_counts(c, ret_chains, ret_n, ret_rules_reply) : -EACCES;
}

int verb_status(Ctl *c) {
        _cleanup_msg_ sd_bus_message *reply = NULL, *rules_reply = NULL;
        _cleanup_dict_ Dict d = {};
        Dict *chains = NULL;
        size_t n_chains = 0;
        bool rules_denied = false, rules_missing = false;
        int r;

        r = status_get(c, &reply);
        if (r > 0)
                return r;
        if (r == 0) {
                r = bus_read_dict(reply, &d);
                /* JSON copies the chains from the reply itself, right after
                 * the properties: status_json reads reply as both. */
                if (r >= 0 && !c->json)
                        r = bus_read_dict_array(reply, &chains, &n_chains);
                if (r >= 0)
                        rules_reply = sd_bus_message_ref(reply);
        } else {
                r = status_get_separately(c, r != -EACCES, &reply, &chains, &n_chains, &rules_reply);
                if (r == -EACCES)
                        rules_denied = true;
                else if (r == -EIO)
                        rules_missing = true;
                else if (r != 0)
                        return r;
                r = bus_read_dict(reply, &d);
        }
        if (r >= 0)
                r = sd_bus_message_rewind(reply, true);
        if (r < 0) {
                dict_array_free(chains, n_chains);
                return ctl_parse_error(r);
        }

        const char *tx = dict_str(&d, "PendingTransaction", "/");
        const char *tx_path = strcmp(tx, "/") == 0 ? NULL : tx;

        /* how far the saved rules are from the running ones, when it can be
         * read without a prompt */
        size_t unsaved = 0;
        bool saved = dict_bool(&d, "RulesSaved", false);
        bool unsaved_known = !saved && !rules_denied && !rules_missing && ctl_count_unsaved(c, &unsaved) == 0;

        if (c->json) {
                r = status_json(c, reply, rules_reply, tx_path, saved ? 0 : unsaved_known ? (int64_t) unsaved : -1);
                dict_array_free(chains, n_chains);
                return r;
        }

        ctl_pager(c);
        char backend[64];
        r = print_backends(reply, dict_str(&d, "Version", "?"), dict_str(&d, "BackendReason", NULL), backend,
                           sizeof(backend));
        if (r == 0) {
                r = sd_bus_message_rewind(reply, true);
                if (r < 0)
                        r = ctl_parse_error(r);
                else
                        r = 0;
        }
        if (r != 0) {
                dict_array_free(chains, n_chains);
                return r;
        }
        const char *boot = dict_str(&d, "BootRestore", "");
        if (strncmp(boot, "fail-closed", 11) == 0)
                printf("%16s: FAILED CLOSED: %s\n%16s  the saved rules were not loaded; INPUT drops all but "
                       "loopback, replies and the management ports\n",
                       "Boot restore", boot + strspn(boot + 11, ": ") + 11, "");
        else if (*boot)
                printf("%16s: %s\n", "Boot restore", boot);
        printf("%16s: %s\n", "IPv6", dict_bool(&d, "IPv6Active", false) ? "active" : "not active");
        r = print_policies(reply);
        if (r != 0) {
                dict_array_free(chains, n_chains);
                return r;
        }
        if (rules_denied)
                printf("%16s: (not authorized to read them; try 'backstopctl rules')\n", "Rules");
        else if (rules_missing)
                printf("%16s: (could not be read)\n", "Rules");
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
                else if (strcmp(dict_str(&t, "State", "pending"), "rolling-back") == 0)
                        printf("%16s: %u ROLLING BACK (%s): the rollback could not finish yet, backstopd "
                               "retries it\n", "Transaction", id, dict_str(&t, "RollbackReason", ""));
                else {
                        format_seconds(dict_uint(&t, "TimeLeftUSec", 0) / 1000000, left, sizeof(left));
                        printf("%16s: %u pending, %s left before rollback (%s confirmation)\n", "Transaction",
                               id, left, dict_str(&t, "ConfirmationMode", "any"));
                }
        }
        if (saved)
                printf("%16s: %s\n", "Saved", "yes, the running rules are saved");
        else if (unsaved_known)
                printf("%16s: no, %zu line%s of rules and policies differ from the saved ones (see 'backstopctl "
                       "diff')\n", "Saved", unsaved, unsaved == 1 ? "" : "s");
        else
                printf("%16s: %s\n", "Saved", "no, the running rules differ from the saved ones");
        print_other_rulesets(&d, backend);
        return 0;
}
