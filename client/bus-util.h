/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* sd-bus helpers for backstopctl: reading the daemon's a{sv} dictionaries,
 * turning any D-Bus value into JSON, and method calls whose errors become
 * one clear line on stderr and an exit code (errors.h). */

#include <stdbool.h>
#include <stdint.h>
#include <systemd/sd-bus.h>

#include "errors.h"
#include "json.h"

#define BACKSTOP_SERVICE "org.backstop.Firewall1"
#define BACKSTOP_PATH "/org/backstop/Firewall1"
#define BACKSTOP_MANAGER_IFACE "org.backstop.Firewall1"
#define BACKSTOP_TRANSACTION_IFACE "org.backstop.Firewall1.Transaction"

/* One value of an a{sv}, kept when it is a basic type or an array of
 * strings; other containers are kept as "present" only (type is their
 * signature's first character). */
typedef struct DictEntry {
        char *key;
        char type;
        char *s;      /* s, o, g */
        char **strv;  /* as */
        uint64_t u;   /* y, q, u, t, and h */
        int64_t i;    /* n, i, x */
        bool b;
        double d;
} DictEntry;

typedef struct Dict {
        DictEntry *entries;
        size_t n, capacity;
} Dict;

/* Frees a NULL-terminated array of strings and the strings. */
void strv_free(char **v);

/* Reads an a{sv} at the message's read position into d (appending). */
int bus_read_dict(sd_bus_message *m, Dict *d);
void dict_clear(Dict *d);
static inline void dict_clearp(Dict *d) {
        dict_clear(d);
}
const DictEntry *dict_get(const Dict *d, const char *key);
const char *dict_str(const Dict *d, const char *key, const char *fallback);
uint64_t dict_uint(const Dict *d, const char *key, uint64_t fallback);
bool dict_bool(const Dict *d, const char *key, bool fallback);
/* An "as" value (owned by d), or NULL. */
char *const *dict_strv(const Dict *d, const char *key);

/* Reads one complete value (of any type) at the read position and writes it
 * as JSON: dictionaries become objects (keys stringified), arrays and
 * structs arrays, variants their content. */
int bus_json_value(JsonWriter *w, sd_bus_message *m);
/* Reads an a{sv} and writes it as one object. */
static inline int bus_json_dict(JsonWriter *w, sd_bus_message *m) {
        return bus_json_value(w, m);
}

/* Reads an aa{sv} into an array of Dicts. */
int bus_read_dict_array(sd_bus_message *m, Dict **ret, size_t *ret_n);
void dict_array_free(Dict *a, size_t n);

/* Calls m and returns 0 with the reply, or prints the mapped error line and
 * returns its exit code (> 0). timeout_usec 0 means sd-bus's default. */
int bus_call_checked(sd_bus *bus, sd_bus_message *m, BusAction action, uint64_t timeout_usec,
                     sd_bus_message **ret_reply);

/* Prints the mapped line for error (or for -r when error is unset) and
 * returns the exit code. */
int bus_report_error(sd_bus_error *error, int r, BusAction action);

/* Prints "Failed to <what>: <strerror>" for a local error and returns EXIT_FAILED. */
int log_local_error(int r, const char *what);
