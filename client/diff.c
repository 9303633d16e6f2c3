/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* diff: what "save" would change on disk, as a unified diff per family of
 * the saved rules against the running ones (GetSavedRulesText: both in
 * iptables-save form without counters); and the count status shows
 * (CountUnsavedLines, which the daemon keeps). */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "textdiff.h"
#include "util.h"

typedef struct SavedRunning {
        char *saved, *running;
} SavedRunning;

static void saved_running_done(SavedRunning *s) {
        free(s->saved);
        free(s->running);
}

/* m called without a password prompt: an error comes back as -EIO, not
 * printed. */
static int call_quietly(Ctl *c, sd_bus_message *m, sd_bus_message **reply) {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        int r = sd_bus_message_set_allow_interactive_authorization(m, false);
        if (r >= 0)
                r = sd_bus_call(c->bus, m, 0, &error, reply);
        sd_bus_error_free(&error);
        return r < 0 ? -EIO : 0;
}

/* GetSavedRulesText(family): 0, or the printed error's exit code. */
static int get_saved_running(Ctl *c, const char *family, SavedRunning *ret) {
        _cleanup_msg_ sd_bus_message *m = NULL, *reply = NULL;
        const char *saved, *running;
        int r = ctl_new_call(c, &m, BACKSTOP_PATH, BACKSTOP_MANAGER_IFACE, "GetSavedRulesText");
        if (r != 0)
                return r;
        r = sd_bus_message_append(m, "s", family);
        if (r < 0)
                return log_local_error(r, "build the request");
        r = bus_call_checked(c->bus, m, ACTION_READ_RULES, ctl_call_timeout(c), &reply);
        if (r != 0)
                return r;
        r = sd_bus_message_read(reply, "ss", &saved, &running);
        if (r < 0)
                return ctl_parse_error(r);
        ret->saved = strdup(saved);
        ret->running = strdup(running);
        if (!ret->saved || !ret->running) {
                saved_running_done(ret);
                return log_local_error(-ENOMEM, "read the rules");
        }
        return 0;
}

/* The families diff and status compare: -4/-6, else IPv4 and IPv6. A host
 * without IPv6 still has its IPv6 compared: a saved rules.v6 there is a
 * difference (save removes it). */
static size_t families_of(const Ctl *c, const char *out[2]) {
        if (c->family == 4 || c->family == 6) {
                out[0] = c->family == 6 ? "ipv6" : "ipv4";
                return 1;
        }
        out[0] = "ipv4";
        out[1] = "ipv6";
        return 2;
}

int ctl_count_unsaved(Ctl *c, size_t *ret) {
        /* the daemon counts (and keeps the count while nothing changes):
         * no table crosses the bus for a status */
        _cleanup_msg_ sd_bus_message *m = NULL, *reply = NULL;
        int r = ctl_new_call(c, &m, BACKSTOP_PATH, BACKSTOP_MANAGER_IFACE, "CountUnsavedLines");
        if (r != 0)
                return -EIO;
        if ((r = call_quietly(c, m, &reply)) < 0)
                return r;
        uint32_t counts[2];
        r = sd_bus_message_read(reply, "uu", &counts[0], &counts[1]);
        if (r < 0)
                return r;
        const char *fams[2];
        size_t nf = families_of(c, fams), total = 0;
        for (size_t f = 0; f < nf; f++)
                total += counts[strcmp(fams[f], "ipv6") == 0 ? 1 : 0];
        *ret = total;
        return 0;
}

/* diff's exit codes: 0 equal, 1 different; on an error the usual codes,
 * but EXIT_FAILED, which would read as "different", becomes 2 (as diff(1)
 * says "trouble"). */
static int trouble(int code) {
        return code == EXIT_FAILED ? EXIT_USAGE : code;
}

int verb_diff(Ctl *c) {
        const char *fams[2];
        size_t nf = families_of(c, fams), differ = 0;
        SavedRunning sr[2] = {};
        size_t removed[2] = {}, added[2] = {};
        int r = ctl_bus(c);
        if (r != 0)
                return trouble(r);

        /* both families read before anything is printed */
        for (size_t f = 0; f < nf && r == 0; f++)
                r = get_saved_running(c, fams[f], &sr[f]);
        if (r == 0)
                ctl_pager(c);
        for (size_t f = 0; f < nf && r == 0; f++) {
                const char *file = strcmp(fams[f], "ipv6") == 0 ? "rules.v6" : "rules.v4";
                _cleanup_free_ char *la = NULL, *lb = NULL;
                if (asprintf(&la, "saved/%s%s", file, *sr[f].saved ? "" : " (none saved)") < 0 ||
                    asprintf(&lb, "running/%s%s", file, *sr[f].running ? "" : " (no IPv6 here)") < 0) {
                        r = log_local_error(-ENOMEM, "compare the rules");
                        break;
                }
                int k = text_diff(sr[f].saved, sr[f].running, la, lb, 3, c->json ? NULL : stdout, &removed[f],
                                  &added[f]);
                if (k < 0)
                        r = log_local_error(k, "compare the rules");
                differ += removed[f] + added[f] > 0;
        }
        if (r == 0 && c->json) {
                JsonWriter w;
                ctl_json_init(c, &w);
                json_begin_object(&w);
                json_kv_bool(&w, "equal", differ == 0);
                json_key(&w, "families");
                json_begin_array(&w);
                for (size_t f = 0; f < nf; f++) {
                        json_begin_object(&w);
                        json_kv_string(&w, "family", fams[f]);
                        json_kv_bool(&w, "equal", removed[f] + added[f] == 0);
                        json_kv_uint(&w, "removed", removed[f]);
                        json_kv_uint(&w, "added", added[f]);
                        json_kv_string(&w, "saved", sr[f].saved);
                        json_kv_string(&w, "running", sr[f].running);
                        json_end_object(&w);
                }
                json_end_array(&w);
                json_end_object(&w);
                r = ctl_finish_json(&w);
        }
        for (size_t f = 0; f < nf; f++)
                saved_running_done(&sr[f]);
        if (r != 0)
                return trouble(r);
        return differ > 0 ? EXIT_FAILED : EXIT_OK;
}
