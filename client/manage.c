/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The verbs that act once: confirm, rollback, extend, zero, save. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"
#include "parse.h"
#include "util.h"

/* --- confirm / rollback / extend ------------------------------------------ */

/* "Transaction N <done>", or for extend (with_left) the new time left. */
static int print_tx_result(Ctl *c, const char *path, const char *state, const char *done, uint64_t left_usec,
                           bool with_left) {
        uint32_t id = 0;
        (void) transaction_id_from_path(path, &id);
        if (c->json) {
                JsonWriter w;
                ctl_json_init(c, &w);
                json_begin_object(&w);
                json_kv_string(&w, "transaction", path);
                json_kv_uint(&w, "id", id);
                json_kv_string(&w, "state", state);
                if (with_left)
                        json_kv_uint(&w, "time_left_usec", left_usec);
                json_end_object(&w);
                return ctl_finish_json(&w);
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

/* A call of METHOD on the transaction the command names (or the pending one). */
static int new_tx_call(Ctl *c, const char *method, char **ret_path, sd_bus_message **ret_msg) {
        int r = ctl_resolve_transaction(c, 0, ret_path);
        if (r != 0)
                return r;
        return ctl_new_call(c, ret_msg, *ret_path, BACKSTOP_TRANSACTION_IFACE, method);
}

int verb_confirm(Ctl *c) {
        _cleanup_msg_ sd_bus_message *m = NULL;
        _cleanup_free_ char *path = NULL;
        int r;

        r = new_tx_call(c, "Confirm", &path, &m);
        if (r != 0)
                return r;
        /* after the bus is open: with -H, the connection is the bus's */
        const char *ssh = ctl_ssh_connection(c);
        if (ssh)
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

        r = new_tx_call(c, "Rollback", &path, &m);
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
        /* A strict transaction is extended only through a new management
         * connection, as it is confirmed: name ours. */
        bool strict = false;
        if (ctl_get_transaction_properties(c, path, &t) == 0)
                strict = strcmp(dict_str(&t, "ConfirmationMode", "any"), "strict") == 0;
        const char *ssh = ctl_ssh_connection(c);
        r = ctl_new_call(c, &m, path, BACKSTOP_TRANSACTION_IFACE, strict ? "ExtendWithOptions" : "Extend");
        if (r != 0)
                return r;
        r = sd_bus_message_append(m, "u", secs);
        if (r >= 0 && strict && ssh && *ssh)
                r = sd_bus_message_append(m, "a{sv}", 1, "ssh-connection", "s", ssh);
        else if (r >= 0 && strict)
                r = sd_bus_message_append(m, "a{sv}", 0);
        if (r < 0)
                return log_local_error(r, "build the request");
        r = bus_call_checked(c->bus, m, ACTION_TRANSACTION, ctl_call_timeout(c), NULL);
        if (r != 0)
                return r;
        uint64_t left = (uint64_t) secs * 1000000;
        dict_clear(&t);
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
                ctl_json_init(c, &w);
                json_begin_object(&w);
                json_kv_bool(&w, "zeroed", true);
                json_kv_string(&w, "family", *family ? family : "both");
                json_kv_string(&w, "chain", chain);
                json_end_object(&w);
                return ctl_finish_json(&w);
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
                ctl_json_init(c, &w);
                json_begin_object(&w);
                json_kv_bool(&w, "saved", true);
                json_end_object(&w);
                return ctl_finish_json(&w);
        }
        if (!c->quiet)
                printf("Rules saved: boot restores them.\n");
        return 0;
}
