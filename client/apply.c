/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* apply and default-deny: start a transaction, show what changed, then
 * either return at once (--no-wait) or wait for its end (wait.c). */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ctl.h"
#include "parse.h"
#include "util.h"

static void format_clock(uint64_t realtime_usec, char *buf, size_t size) {
        time_t t = (time_t) (realtime_usec / 1000000);
        struct tm tm;
        if (realtime_usec == 0 || !localtime_r(&t, &tm) || strftime(buf, size, "%H:%M:%S", &tm) == 0)
                snprintf(buf, size, "?");
}

/* After Apply/ApplyDefaultDeny returned path. */
static int follow_transaction(Ctl *c, const char *path) {
        Dict d = {};
        char **changes = NULL;
        uint32_t id = 0;
        int r;

        if (transaction_id_from_path(path, &id) < 0) {
                fprintf(stderr, "backstopd returned an unexpected transaction path '%s'.\n", path);
                return EXIT_FAILED;
        }
        r = ctl_get_transaction_properties(c, path, &d);
        if (r != 0)
                return r;
        /* ours to read (we own the transaction); without them (another
         * owner, no polkit) the rest is still worth showing */
        (void) ctl_get_transaction_changes(c, path, &changes);

        const char *state = dict_str(&d, "State", "pending");
        bool strict = strcmp(dict_str(&d, "ConfirmationMode", "any"), "strict") == 0;
        uint64_t deadline = dict_uint(&d, "Deadline", 0), left = dict_uint(&d, "TimeLeftUSec", 0);
        char clock[32], leftbuf[64];
        format_clock(deadline, clock, sizeof(clock));
        format_seconds((left + 999999) / 1000000, leftbuf, sizeof(leftbuf));

        /* What changed, before anything else (on stderr with --json). */
        FILE *ui = ctl_ui(c);
        if (!c->quiet) {
                fprintf(ui, "Applied transaction %u (%s):\n", id, path);
                for (size_t i = 0; changes && changes[i]; i++)
                        fprintf(ui, "  %s\n", changes[i]);
                if (strcmp(state, "pending") == 0)
                        fprintf(ui, "It is rolled back at %s (in %s) unless confirmed%s.\n", clock, leftbuf,
                                strict ? " from a new login" : "");
                fflush(ui);
        }

        _cleanup_free_ char *final_state = NULL, *reason = NULL;
        int code = EXIT_OK;
        if (strcmp(state, "pending") != 0 || c->no_wait) {
                final_state = strdup(state);
                reason = strdup(dict_str(&d, "RollbackReason", ""));
                if (!final_state || !reason) {
                        code = log_local_error(-ENOMEM, "report");
                        goto out;
                }
                if (strcmp(state, "pending") == 0) {
                        if (!c->json && !c->quiet)
                                printf("Not waiting: confirm with 'backstopctl confirm %u' (or roll back with "
                                       "'backstopctl rollback %u').\n", id, id);
                        else if (!c->json)
                                printf("%s\n", path);
                } else if (strcmp(state, "confirmed") == 0) {
                        if (!c->json && !c->quiet)
                                printf("Transaction %u is confirmed already (no confirmation needed).\n", id);
                } else {
                        code = EXIT_ROLLED_BACK;
                        if (!c->json)
                                fprintf(stderr, "Transaction %u was rolled back (%s).\n", id, reason);
                }
        } else {
                code = wait_for_transaction(c, path, id, strict, &final_state, &reason);
                if (!final_state || !reason) {
                        code = log_local_error(-ENOMEM, "report");
                        goto out;
                }
                if (!c->json && code == EXIT_OK && !c->quiet)
                        printf("Transaction %u confirmed: the changes stay%s.\n", id,
                               c->save ? " and are saved" : "");
                else if (code == EXIT_ROLLED_BACK)
                        fprintf(c->json ? stderr : stdout,
                                "Transaction %u was rolled back (%s): the previous rules are back.\n", id,
                                *reason ? reason : "unknown reason");
        }

        if (c->json) {
                JsonWriter w;
                ctl_json_init(c, &w);
                json_begin_object(&w);
                json_kv_string(&w, "transaction", path);
                json_kv_uint(&w, "id", id);
                json_kv_string(&w, "state", final_state);
                if (strcmp(final_state, "rolled-back") == 0)
                        json_kv_string(&w, "reason", reason);
                json_kv_bool(&w, "strict", strict);
                if (strcmp(final_state, "pending") == 0) {
                        json_kv_uint(&w, "deadline_usec", deadline);
                        json_kv_uint(&w, "time_left_usec", left);
                }
                json_key(&w, "changes");
                json_begin_array(&w);
                for (size_t i = 0; changes && changes[i]; i++)
                        json_string(&w, changes[i]);
                json_end_array(&w);
                json_end_object(&w);
                r = json_finish(&w);
                if (r < 0 && code == EXIT_OK)
                        code = log_local_error(r, "write JSON");
        }
out:
        dict_clear(&d);
        strv_free(changes);
        return code;
}

int ctl_nothing_to_do(Ctl *c, const char *why) {
        if (c->json) {
                JsonWriter w;
                ctl_json_init(c, &w);
                json_begin_object(&w);
                json_key(&w, "transaction");
                json_null(&w);
                json_kv_string(&w, "state", "unchanged");
                json_end_object(&w);
                int r = json_finish(&w);
                return r < 0 ? log_local_error(r, "write JSON") : EXIT_OK;
        }
        if (!c->quiet)
                printf("Nothing to change: %s.\n", why);
        return EXIT_OK;
}

static int start(Ctl *c, sd_bus_message *m) {
        _cleanup_msg_ sd_bus_message *reply = NULL;
        const char *path;
        int r;

        r = bus_call_checked(c->bus, m, ACTION_APPLY, ctl_call_timeout(c), &reply);
        if (r != 0)
                return r;
        r = sd_bus_message_read(reply, "o", &path);
        if (r < 0)
                return log_local_error(r, "parse backstopd's reply");
        if (strcmp(path, "/") == 0)
                return ctl_nothing_to_do(c, "the default-deny rules and policy are in place already");
        return follow_transaction(c, path);
}

int ctl_apply_changes(Ctl *c, char *const *changes, size_t n) {
        _cleanup_msg_ sd_bus_message *m = NULL;
        int r;

        if (!c->no_wait) {
                r = wait_prepare(c);
                if (r != 0)
                        return r;
        }
        r = ctl_new_call(c, &m, BACKSTOP_PATH, BACKSTOP_MANAGER_IFACE, "Apply");
        if (r != 0)
                return r;
        r = sd_bus_message_open_container(m, 'a', "s");
        for (size_t i = 0; r >= 0 && i < n; i++)
                r = sd_bus_message_append_basic(m, 's', changes[i]);
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        if (r < 0)
                return log_local_error(r, "build the request");
        r = ctl_append_apply_options(c, m);
        if (r != 0)
                return r;
        return start(c, m);
}

int verb_apply(Ctl *c) {
        return ctl_apply_changes(c, c->changes, c->n_changes);
}

int verb_default_deny(Ctl *c) {
        _cleanup_msg_ sd_bus_message *m = NULL;
        ServicePort allows[MAX_ALLOWS];
        size_t n = 0;
        int r;

        /* Each --allow SERVICE may stand for several ports; ssh when none. */
        for (size_t i = 0; i < (c->n_allows > 0 ? c->n_allows : 1); i++) {
                Service s;
                r = ctl_resolve_service(c->n_allows > 0 ? c->allows[i] : "22/tcp", &s);
                if (r != 0)
                        return r;
                if (service_ports_add(allows, &n, MAX_ALLOWS, &s) < 0) {
                        fprintf(stderr, "%s: too many ports to allow (at most %d)\n", program_invocation_short_name,
                                MAX_ALLOWS);
                        return EXIT_USAGE;
                }
        }

        if (!c->no_wait && !c->dry_run) {
                r = wait_prepare(c);
                if (r != 0)
                        return r;
        }
        /* --dry-run: the same arguments, to the method that only shows */
        r = ctl_new_call(c, &m, BACKSTOP_PATH, BACKSTOP_MANAGER_IFACE,
                         c->dry_run ? "PreviewDefaultDeny" : "ApplyDefaultDeny");
        if (r != 0)
                return r;
        r = sd_bus_message_open_container(m, 'a', "(sq)");
        for (size_t i = 0; r >= 0 && i < n; i++)
                r = sd_bus_message_append(m, "(sq)", allows[i].protocol, allows[i].port);
        if (r >= 0)
                r = sd_bus_message_close_container(m);
        if (r < 0)
                return log_local_error(r, "build the request");
        r = ctl_append_apply_options(c, m);
        if (r != 0)
                return r;
        return c->dry_run ? ctl_show_preview(c, m) : start(c, m);
}
