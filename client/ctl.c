/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "pager.h"
#include "parse.h"
#include "polkit-agent.h"
#include "remote.h"

/* A password prompt may take a while; without one, sd-bus's default. */
#define INTERACTIVE_CALL_TIMEOUT_USEC (5ULL * 60 * 1000000)

/* -H: the system bus of the remote host, through "ssh -xT HOST
 * systemd-stdio-bridge" (sd-bus's remote transport, as hostnamectl -H).
 * The transport starts ssh and fails only at the first message: a ping of
 * the bus turns an unreachable host into one clear error here. */
static int remote_bus(Ctl *c) {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        int r = sd_bus_open_system_remote(&c->bus, c->host);
        if (r >= 0)
                r = sd_bus_call_method(c->bus, "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                       "org.freedesktop.DBus.Peer", "Ping", &error, NULL, NULL);
        if (r < 0) {
                fprintf(stderr, "Could not connect to the system bus of %s over SSH (ssh, then "
                        "systemd-stdio-bridge there): %s\n", c->host,
                        sd_bus_error_is_set(&error) ? error.message : strerror(-r));
                sd_bus_error_free(&error);
                c->bus = sd_bus_flush_close_unref(c->bus);
                return EXIT_UNREACHABLE;
        }
        /* strict confirmation needs the connection's name (remote.h); without
         * it the daemon rejects a strict confirmation and says why */
        (void) remote_ssh_connection(&c->remote_ssh_connection);
        /* no password prompt: the polkit agent could not answer for the remote host */
        r = sd_bus_set_allow_interactive_authorization(c->bus, false);
        if (r < 0)
                return log_local_error(r, "set up the bus connection");
        return 0;
}

int ctl_bus(Ctl *c) {
        int r;

        if (c->bus)
                return 0;
        if (c->host)
                return remote_bus(c);
        r = sd_bus_open_system(&c->bus);
        if (r < 0) {
                char *line = NULL;
                int code = map_connect_error(r, &line);
                if (code < 0)
                        return log_local_error(code, "connect to the system bus");
                fprintf(stderr, "%s\n", line);
                free(line);
                return code;
        }
        /* Every call may ask polkit; it may ask the user only if we allow it. */
        r = sd_bus_set_allow_interactive_authorization(c->bus, c->ask_password);
        if (r < 0)
                return log_local_error(r, "set up the bus connection");
        return 0;
}

const char *ctl_ssh_connection(const Ctl *c) {
        /* with -H, our own session's SSH_CONNECTION says nothing about the remote host */
        const char *ssh = c->host ? c->remote_ssh_connection : getenv("SSH_CONNECTION");
        return ssh && *ssh ? ssh : NULL;
}

void ctl_polkit_agent(Ctl *c) {
        /* a local agent cannot answer the remote host's polkit */
        if (c->agent_pid <= 0 && c->ask_password && !c->host)
                c->agent_pid = polkit_agent_open();
}

uint64_t ctl_call_timeout(const Ctl *c) {
        return c->ask_password ? INTERACTIVE_CALL_TIMEOUT_USEC : 0;
}

const char *ctl_family(const Ctl *c, const char *dflt) {
        return c->family == 4 ? "ipv4" : c->family == 6 ? "ipv6" : dflt;
}

FILE *ctl_ui(const Ctl *c) {
        return c->json ? stderr : stdout;
}

int ctl_new_call(Ctl *c, sd_bus_message **ret, const char *path, const char *iface, const char *member) {
        int r = ctl_bus(c);
        if (r != 0)
                return r;
        r = sd_bus_message_new_method_call(c->bus, ret, BACKSTOP_SERVICE, path, iface, member);
        if (r < 0)
                return log_local_error(r, "create a bus message");
        return 0;
}

static int append_variant_entry(sd_bus_message *m, const char *key, char type, const void *value) {
        char sig[2] = { type, 0 };
        int r = sd_bus_message_open_container(m, SD_BUS_TYPE_DICT_ENTRY, "sv");
        if (r < 0)
                return r;
        r = sd_bus_message_append_basic(m, 's', key);
        if (r < 0)
                return r;
        r = sd_bus_message_open_container(m, SD_BUS_TYPE_VARIANT, sig);
        if (r < 0)
                return r;
        r = sd_bus_message_append_basic(m, type, value);
        if (r < 0)
                return r;
        r = sd_bus_message_close_container(m);
        if (r < 0)
                return r;
        return sd_bus_message_close_container(m);
}

int ctl_append_apply_options(Ctl *c, sd_bus_message *m) {
        const char *ssh = ctl_ssh_connection(c);
        int t = 1, r;

        r = sd_bus_message_open_container(m, SD_BUS_TYPE_ARRAY, "{sv}");
        if (r >= 0 && c->timeout_set)
                r = append_variant_entry(m, "timeout", 'u', &c->timeout);
        if (r >= 0 && c->strict)
                r = append_variant_entry(m, "strict", 'b', &t);
        if (r >= 0 && c->force)
                r = append_variant_entry(m, "force", 'b', &t);
        if (r >= 0 && c->save)
                r = append_variant_entry(m, "save", 'b', &t);
        if (r >= 0 && ssh)
                r = append_variant_entry(m, "ssh-connection", 's', ssh);
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        if (r < 0)
                return log_local_error(r, "build the request");
        return 0;
}

static int get_all(Ctl *c, const char *path, const char *iface, Dict *d, BusAction action) {
        sd_bus_message *m = NULL, *reply = NULL;
        int r;

        r = ctl_new_call(c, &m, path, "org.freedesktop.DBus.Properties", "GetAll");
        if (r != 0)
                return r;
        r = sd_bus_message_append(m, "s", iface);
        if (r < 0) {
                sd_bus_message_unref(m);
                return log_local_error(r, "build the request");
        }
        r = bus_call_checked(c->bus, m, action, 0, &reply);
        sd_bus_message_unref(m);
        if (r != 0)
                return r;
        r = bus_read_dict(reply, d);
        sd_bus_message_unref(reply);
        if (r < 0)
                return log_local_error(r, "parse backstopd's properties");
        return 0;
}

int ctl_get_manager_properties(Ctl *c, Dict *d) {
        return get_all(c, BACKSTOP_PATH, BACKSTOP_MANAGER_IFACE, d, ACTION_READ_STATE);
}

int ctl_get_transaction_properties(Ctl *c, const char *path, Dict *d) {
        return get_all(c, path, BACKSTOP_TRANSACTION_IFACE, d, ACTION_READ_STATE);
}

int ctl_get_transaction_changes(Ctl *c, const char *path, char ***ret) {
        _cleanup_msg_ sd_bus_message *m = NULL, *reply = NULL;
        sd_bus_error error = SD_BUS_ERROR_NULL;
        *ret = NULL;
        int r = ctl_new_call(c, &m, path, BACKSTOP_TRANSACTION_IFACE, "GetChanges");
        if (r != 0)
                return -EIO;
        /* a listing is not worth a password prompt */
        r = sd_bus_message_set_allow_interactive_authorization(m, false);
        if (r >= 0)
                r = sd_bus_call(c->bus, m, 0, &error, &reply);
        sd_bus_error_free(&error);
        if (r >= 0)
                r = sd_bus_message_read_strv(reply, ret);
        return r < 0 ? r : 0;
}

int ctl_resolve_transaction(Ctl *c, size_t index, char **ret_path) {
        int r;

        if (index < c->n_args) {
                if (parse_transaction(c->args[index], ret_path, NULL) < 0) {
                        fprintf(stderr, "%s: invalid transaction '%s': expected an id such as 3 or a path "
                                "such as " TRANSACTION_PATH_PREFIX "3\n",
                                program_invocation_short_name, c->args[index]);
                        return EXIT_USAGE;
                }
                return 0;
        }

        sd_bus_error error = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        const char *pending = NULL;
        char *path = NULL;
        r = ctl_bus(c);
        if (r != 0)
                return r;
        /* PendingTransaction is an object path ("o"), not a string. */
        r = sd_bus_get_property(c->bus, BACKSTOP_SERVICE, BACKSTOP_PATH, BACKSTOP_MANAGER_IFACE,
                                "PendingTransaction", &error, &reply, "o");
        if (r < 0) {
                r = bus_report_error(&error, r, ACTION_READ_STATE);
                sd_bus_error_free(&error);
                return r;
        }
        sd_bus_error_free(&error);
        r = sd_bus_message_read(reply, "o", &pending);
        if (r >= 0 && strcmp(pending, "/") != 0) {
                path = strdup(pending);
                if (!path)
                        r = -ENOMEM;
        }
        sd_bus_message_unref(reply);
        if (r < 0)
                return log_local_error(r, "read the pending transaction");
        if (!path) {
                fprintf(stderr, "No transaction is pending.\n");
                return EXIT_FAILED;
        }
        *ret_path = path;
        return 0;
}

void ctl_pager(Ctl *c) {
        if (!c->no_pager && !c->json && c->pager_pid <= 0)
                c->pager_pid = pager_open();
}

void ctl_json_init(const Ctl *c, JsonWriter *w) {
        json_init_pretty(w, stdout, c->json_pretty);
}

int ctl_finish_json(JsonWriter *w) {
        int r = json_finish(w);
        if (r < 0)
                return log_local_error(r, "write JSON");
        return 0;
}

int ctl_parse_error(int r) {
        return log_local_error(r, "parse backstopd's reply");
}

int ctl_get_rules_text(Ctl *c, const char *family, const char *chain, bool counters, char **ret,
                       sd_bus_error *ret_error) {
        _cleanup_msg_ sd_bus_message *m = NULL, *reply = NULL;
        const char *text;
        int r;

        r = ctl_new_call(c, &m, BACKSTOP_PATH, BACKSTOP_MANAGER_IFACE, "GetRulesText");
        if (r != 0)
                return r;
        r = sd_bus_message_append(m, "ssb", family, chain, (int) counters);
        if (r < 0)
                return log_local_error(r, "build the request");
        if (ret_error) {
                /* the caller reports the error itself */
                r = sd_bus_call(c->bus, m, ctl_call_timeout(c), ret_error, &reply);
                if (r < 0)
                        return EXIT_FAILED;
        } else {
                r = bus_call_checked(c->bus, m, ACTION_READ_RULES, ctl_call_timeout(c), &reply);
                if (r != 0)
                        return r;
        }
        r = sd_bus_message_read(reply, "s", &text);
        if (r < 0)
                return ctl_parse_error(r);
        *ret = strdup(text);
        return *ret ? 0 : log_local_error(-ENOMEM, "read the rules");
}

int ctl_ipv6_active(Ctl *c, bool *ret) {
        _cleanup_dict_ Dict d = {};
        int r = ctl_get_manager_properties(c, &d);
        if (r != 0)
                return r;
        *ret = dict_bool(&d, "IPv6Active", false);
        return 0;
}

int ctl_families(Ctl *c, int only, int ret[2], size_t *ret_n) {
        size_t n = 0;
        int r = ctl_bus(c);
        if (r != 0)
                return r;
        if (c->family != 0 || only != 0)
                ret[n++] = c->family != 0 ? c->family : only;
        else {
                bool v6 = false;
                r = ctl_ipv6_active(c, &v6);
                if (r != 0)
                        return r;
                ret[n++] = 4;
                if (v6)
                        ret[n++] = 6;
        }
        *ret_n = n;
        return 0;
}
