/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The costliest change text the daemon's limits let through in one call
 * (BS_CHANGESET_TEXT_MAX bytes, BS_CHANGESET_MAX changes): rules of 16
 * multiport matches of 15 service names each, the most names a rule can
 * hold, each name a lookup in the services table. Shared by the parser's
 * unit test (which times it) and the bus tests (which send it). */

#include <glib.h>

static const char *const worst_services[] = { "echo", "qotd", "ftp",  "ssh",  "smtp", "time", "http", "pop3",
                                             "auth", "nntp", "snmp", "bgp",  "smux", "qmtp", "ldap" };

/* A NULL-terminated array of changes, at most max_bytes of text in all
 * and at most max_changes of them; free with g_strfreev. */
static inline char **worst_changes(size_t max_bytes, size_t max_changes) {
        GString *line = g_string_new("-A INPUT -p tcp");
        for (int m = 0; m < 16; m++) {
                g_string_append_printf(line, " -m multiport --%s ", m % 2 ? "sports" : "dports");
                for (size_t i = 0; i < G_N_ELEMENTS(worst_services); i++)
                        g_string_append_printf(line, "%s%s", i ? "," : "",
                                               worst_services[(i + (size_t) m) % G_N_ELEMENTS(worst_services)]);
        }
        g_string_append(line, " -j ACCEPT");
        GPtrArray *v = g_ptr_array_new();
        size_t bytes = 0;
        while (v->len < max_changes && bytes + line->len <= max_bytes) {
                g_ptr_array_add(v, g_strdup(line->str));
                bytes += line->len;
        }
        g_ptr_array_add(v, NULL);
        g_string_free(line, TRUE);
        return (char **) g_ptr_array_free(v, FALSE);
}
