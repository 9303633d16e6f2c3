/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"

#define DBUS_ERR "org.freedesktop.DBus.Error."
#define BS_ERR "org.backstop.Firewall1.Error."

const char *bus_action_phrase(BusAction action) {
        switch (action) {
        case ACTION_READ_STATE:       return "read the firewall state";
        case ACTION_READ_RULES:       return "read the firewall rules";
        case ACTION_READ_CONNECTIONS: return "list connections";
        case ACTION_APPLY:            return "apply firewall changes";
        case ACTION_SAVE:             return "save the firewall rules";
        case ACTION_ZERO:             return "zero the firewall counters";
        case ACTION_TRANSACTION:      return "confirm, roll back or extend transactions";
        }
        return "do this";
}

__attribute__((format(printf, 3, 4)))
static int line(char **ret, int code, const char *fmt, ...) {
        va_list ap;
        char *s;
        va_start(ap, fmt);
        int r = vasprintf(&s, fmt, ap);
        va_end(ap);
        if (r < 0)
                return -ENOMEM;
        *ret = s;
        return code;
}

int map_bus_error(const char *name, const char *message, BusAction action, char **ret_line) {
        const char *what = bus_action_phrase(action);
        bool has_msg = message && *message;
        const char *msg = has_msg ? message : "no details given";

        if (!name)
                name = "";

        if (strcmp(name, DBUS_ERR "AccessDenied") == 0)
                return line(ret_line, EXIT_NOT_AUTHORIZED, "Not authorized to %s%s", what, "");
        if (strcmp(name, DBUS_ERR "InteractiveAuthorizationRequired") == 0)
                return line(ret_line, EXIT_NOT_AUTHORIZED,
                            "Not authorized to %s: authentication is required%s", what,
                            " (run without --no-ask-password, from a terminal, or as root)");
        if (strcmp(name, BS_ERR "Busy") == 0)
                return line(ret_line, EXIT_BUSY, "Another transaction is pending (%s)%s", msg,
                            "; confirm or roll it back first");
        if (strcmp(name, BS_ERR "LockoutRisk") == 0)
                return line(ret_line, EXIT_LOCKOUT, "Refused: %s%s", msg,
                            " (use --force to apply anyway)");
        if (strcmp(name, BS_ERR "NotPending") == 0)
                return line(ret_line, EXIT_FAILED, "Transaction is not pending: %s%s", msg, "");
        if (strcmp(name, BS_ERR "ConfirmationRejected") == 0)
                return line(ret_line, EXIT_REJECTED, "Confirmation rejected: %s%s", msg,
                            " (confirm from a new SSH login; the timer keeps running)");
        if (strcmp(name, BS_ERR "NotFound") == 0)
                return line(ret_line, EXIT_FAILED, "Not found: %s%s", msg, "");
        if (strcmp(name, BS_ERR "Conflict") == 0)
                return line(ret_line, EXIT_FAILED, "Conflict: %s%s", msg, "");
        if (strcmp(name, BS_ERR "LockTimeout") == 0)
                return line(ret_line, EXIT_BUSY,
                            "Another program holds the xtables lock: %s%s", msg, "");
        if (strcmp(name, BS_ERR "Unsupported") == 0)
                return line(ret_line, EXIT_FAILED, "Not supported: %s%s", msg, "");
        if (strcmp(name, BS_ERR "Failed") == 0)
                return line(ret_line, EXIT_FAILED, "The kernel refused the change, nothing changed: %s%s",
                            msg, "");
        if (strcmp(name, DBUS_ERR "InvalidArgs") == 0)
                return line(ret_line, EXIT_USAGE, "Invalid argument: %s%s", msg, "");
        if (strcmp(name, DBUS_ERR "UnknownObject") == 0 ||
            strcmp(name, DBUS_ERR "UnknownMethod") == 0 ||
            strcmp(name, DBUS_ERR "UnknownInterface") == 0)
                return line(ret_line, EXIT_FAILED, "No such object or method at backstopd: %s%s", msg, "");
        if (strcmp(name, DBUS_ERR "ServiceUnknown") == 0 ||
            strcmp(name, DBUS_ERR "NameHasNoOwner") == 0 ||
            strcmp(name, DBUS_ERR "NoServer") == 0 ||
            strcmp(name, DBUS_ERR "NoReply") == 0 ||
            strcmp(name, DBUS_ERR "Timeout") == 0 ||
            strcmp(name, DBUS_ERR "Disconnected") == 0 ||
            strcmp(name, DBUS_ERR "SpawnFailed") == 0 ||
            strncmp(name, DBUS_ERR "Spawn.", strlen(DBUS_ERR "Spawn.")) == 0)
                return line(ret_line, EXIT_UNREACHABLE, "Could not connect to backstopd: %s%s", msg, "");
        /* The bus activates backstopd through the unit's alias, which exists
         * only while backstopd.service is enabled (dbus/org.backstop.Firewall1.service.in);
         * systemd's answer names the alias. */
        if (strcmp(name, "org.freedesktop.systemd1.NoSuchUnit") == 0 ||
            strcmp(name, "org.freedesktop.systemd1.UnitMasked") == 0)
                return line(ret_line, EXIT_UNREACHABLE, "Could not connect to backstopd: %s%s", msg,
                            " (is backstopd.service enabled? systemctl enable --now backstopd)");
        if (strncmp(name, "System.Error.", strlen("System.Error.")) == 0)
                /* sd-bus's own errors for local failures (ECONNRESET, ETIMEDOUT...) */
                return line(ret_line,
                            strstr(name, "ECONN") || strstr(name, "ETIMEDOUT") || strstr(name, "ENOTCONN") ||
                                            strstr(name, "ENOENT")
                                    ? EXIT_UNREACHABLE
                                    : EXIT_FAILED,
                            "Failed to talk to backstopd: %s%s", msg, "");
        return line(ret_line, EXIT_FAILED, "Failed: %s: %s", *name ? name : "unknown error", msg);
}

int map_connect_error(int error, char **ret_line) {
        char *s;
        if (asprintf(&s, "Could not connect to backstopd: cannot reach the system bus: %s",
                     strerror(error < 0 ? -error : error)) < 0)
                return -ENOMEM;
        *ret_line = s;
        return EXIT_UNREACHABLE;
}
