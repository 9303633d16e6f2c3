/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The verbs that read: rules, check, connections, preview. */

#include <errno.h>
#include <langinfo.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl.h"
#include "parse.h"
#include "util.h"

static bool fancy_symbols(void) {
        const char *cs = nl_langinfo(CODESET);
        return isatty(STDOUT_FILENO) && cs && strcmp(cs, "UTF-8") == 0;
}

/* --- rules ------------------------------------------------------------- */

int verb_rules(Ctl *c) {
        _cleanup_free_ char *text = NULL;
        const char *family = ctl_family(c, "ipv4");
        const char *chain = c->n_args > 0 ? c->args[0] : "";
        int r;

        if (c->numbered)
                return verb_rules_numbered(c);
        r = ctl_get_rules_text(c, family, chain, c->verbose, &text, NULL);
        if (r != 0)
                return r;

        if (!c->json) {
                /* Exactly the daemon's bytes: identical to iptables-legacy -S. */
                ctl_pager(c);
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
        ctl_json_init(c, &w);
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
                return ctl_parse_error(r);
        json_end_object(&w);
        return ctl_finish_json(&w);
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
                return ctl_parse_error(r);

        if (c->json) {
                JsonWriter w;
                ctl_json_init(c, &w);
                json_begin_object(&w);
                json_kv_bool(&w, "passed", passed);
                json_key(&w, "items");
                r = bus_json_value(&w, reply);
                if (r < 0)
                        return ctl_parse_error(r);
                json_end_object(&w);
                r = ctl_finish_json(&w);
                return r != 0 ? r : passed ? EXIT_OK : EXIT_FAILED;
        }

        r = bus_read_dict_array(reply, &items, &n);
        if (r < 0)
                return ctl_parse_error(r);
        ctl_pager(c);
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
        if (!c->quiet && !c->no_legend) {
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
                return ctl_parse_error(r);

        if (c->json) {
                /* Filtered like the text output, so read the reply again. */
                JsonWriter w;
                r = sd_bus_message_rewind(reply, true);
                if (r >= 0)
                        r = sd_bus_message_enter_container(reply, 'a', "a{sv}");
                if (r < 0) {
                        dict_array_free(conns, n);
                        return ctl_parse_error(r);
                }
                ctl_json_init(c, &w);
                json_begin_object(&w);
                json_kv_bool(&w, "all", c->all);
                json_key(&w, "connections");
                json_begin_array(&w);
                for (size_t i = 0; i < n; i++) {
                        bool shown = c->all || dict_bool(&conns[i], "inbound", false);
                        r = shown ? bus_json_value(&w, reply) : sd_bus_message_skip(reply, "a{sv}");
                        if (r < 0) {
                                dict_array_free(conns, n);
                                return ctl_parse_error(r);
                        }
                }
                json_end_array(&w);
                json_end_object(&w);
                dict_array_free(conns, n);
                return ctl_finish_json(&w);
        }

        ctl_pager(c);
        size_t shown = 0;
        for (size_t i = 0; i < n; i++) {
                Dict *d = &conns[i];
                bool inbound = dict_bool(d, "inbound", false);
                if (!c->all && !inbound)
                        continue;
                if (shown++ == 0 && !c->no_legend)
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
        if (shown == 0 && !c->quiet && !c->no_legend)
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
        _cleanup_msg_ sd_bus_message *m = NULL;
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
        return ctl_show_preview(c, m);
}

int ctl_show_preview(Ctl *c, sd_bus_message *m) {
        _cleanup_msg_ sd_bus_message *reply = NULL;
        Dict *lockout = NULL;
        size_t n_lockout = 0;
        int r = bus_call_checked(c->bus, m, ACTION_READ_RULES, ctl_call_timeout(c), &reply);
        if (r != 0)
                return r;

        if (c->json) {
                JsonWriter w;
                ctl_json_init(c, &w);
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
                        return ctl_parse_error(r);
                json_end_object(&w);
                r = ctl_finish_json(&w);
                if (r != 0)
                        return r;
                /* The lockout count decides the exit code: read it again. */
                r = sd_bus_message_rewind(reply, true);
                if (r >= 0)
                        r = sd_bus_message_skip(reply, "a{ss}as");
                if (r >= 0)
                        r = bus_read_dict_array(reply, &lockout, &n_lockout);
                if (r < 0)
                        return ctl_parse_error(r);
                dict_array_free(lockout, n_lockout);
                return n_lockout > 0 ? EXIT_LOCKOUT : EXIT_OK;
        }

        ctl_pager(c);
        const char *family, *text;
        r = sd_bus_message_enter_container(reply, 'a', "{ss}");
        if (r < 0)
                return ctl_parse_error(r);
        while ((r = sd_bus_message_read(reply, "{ss}", &family, &text)) > 0)
                printf("Resulting %s rules:\n%s%s", strcmp(family, "ipv6") == 0 ? "IPv6" : "IPv4", text,
                       *text && text[strlen(text) - 1] != '\n' ? "\n" : "");
        if (r >= 0)
                r = sd_bus_message_exit_container(reply);
        if (r < 0)
                return ctl_parse_error(r);

        r = sd_bus_message_enter_container(reply, 'a', "s");
        if (r < 0)
                return ctl_parse_error(r);
        printf("Equivalent commands:\n");
        const char *cmd;
        while ((r = sd_bus_message_read(reply, "s", &cmd)) > 0)
                printf("  %s\n", cmd);
        if (r >= 0)
                r = sd_bus_message_exit_container(reply);
        if (r >= 0)
                r = bus_read_dict_array(reply, &lockout, &n_lockout);
        if (r < 0)
                return ctl_parse_error(r);

        /* an entry stands for "count" findings (more than one only when the
         * daemon leaves the connections out: the caller may not read them) */
        uint64_t n_cut = 0;
        bool hidden = false;
        for (size_t i = 0; i < n_lockout; i++) {
                n_cut += dict_uint(&lockout[i], "count", 1);
                hidden = hidden || !*dict_str(&lockout[i], "connection", "");
        }
        if (n_lockout == 0)
                printf("Lockout analysis: no connection and no management access would be cut off.\n");
        else {
                printf("Lockout analysis: %llu connection%s or probe%s would be cut off:\n",
                       (unsigned long long) n_cut, n_cut == 1 ? "" : "s", n_cut == 1 ? "" : "s");
                for (size_t i = 0; i < n_lockout; i++) {
                        Dict *d = &lockout[i];
                        uint64_t pos = dict_uint(d, "position", 0), count = dict_uint(d, "count", 1);
                        char where[96], what[160];
                        if (pos == 0)
                                snprintf(where, sizeof(where), "%s policy", dict_str(d, "chain", "?"));
                        else
                                snprintf(where, sizeof(where), "%s rule %llu", dict_str(d, "chain", "?"),
                                         (unsigned long long) pos);
                        if (*dict_str(d, "connection", ""))
                                snprintf(what, sizeof(what), "%s", dict_str(d, "connection", ""));
                        else
                                snprintf(what, sizeof(what), "(%llu, not shown)", (unsigned long long) count);
                        printf("  %s %s %s: %s by %s%s%s\n", dict_str(d, "family", ""), dict_str(d, "kind", ""),
                               what, dict_str(d, "verdict", "?"), where, *dict_str(d, "rule", "") ? ": " : "",
                               dict_str(d, "rule", ""));
                }
                if (hidden)
                        printf("The connections are shown to those allowed to list connections.\n");
                printf("Apply would refuse this change unless given --force.\n");
        }
        dict_array_free(lockout, n_lockout);
        return n_lockout > 0 ? EXIT_LOCKOUT : EXIT_OK;
}
