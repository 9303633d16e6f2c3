/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* backstopctl's exit codes (documented in --help and backstopctl(1)), and the
 * mapping from the daemon's D-Bus errors to one clear line and an exit code. */

enum {
        EXIT_OK = 0,
        EXIT_FAILED = 1,            /* any other failure; "check" found a failing item */
        EXIT_USAGE = 2,             /* bad command line, or a change the daemon called invalid */
        EXIT_ROLLED_BACK = 3,       /* the transaction we waited for was rolled back */
        EXIT_LOCKOUT = 4,           /* refused: the change would cut management access */
        EXIT_NOT_AUTHORIZED = 5,    /* polkit said no, or wanted a password we could not ask for */
        EXIT_UNREACHABLE = 6,       /* no system bus, or backstopd not running / gone */
        EXIT_BUSY = 7,              /* another transaction is pending */
        EXIT_REJECTED = 8,          /* strict confirmation rejected: not a new management login */
        EXIT_NOT_FOUND = 9,         /* no such service, chain or rule number */
        EXIT_AMBIGUOUS = 10,        /* rule N is not the same rule in both families (name one),
                                     * or is a copy of an earlier rule of its chain */
};

/* What the caller tried, for "Not authorized to <what>". */
typedef enum BusAction {
        ACTION_READ_STATE,
        ACTION_READ_RULES,
        ACTION_READ_CONNECTIONS,
        ACTION_APPLY,
        ACTION_SAVE,
        ACTION_ZERO,
        ACTION_TRANSACTION,
} BusAction;

const char *bus_action_phrase(BusAction action);

/* Turns a D-Bus error (name and message, message may be NULL or empty) into
 * an exit code and an allocated line without a trailing newline. Returns the
 * exit code, or -ENOMEM (then *ret_line is untouched). */
int map_bus_error(const char *name, const char *message, BusAction action, char **ret_line);

/* The same for a negative errno from connecting to the bus. */
int map_connect_error(int error, char **ret_line);
