/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "bus-util.h"

#include <arpa/inet.h>

#include "changeset.h"
#include "utf8.h"

static bool ip_valid(const char *s) {
        unsigned char buf[16];
        return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

static bool port_valid(const char *s) {
        if (!*s || strlen(s) > 5 || strspn(s, "0123456789") != strlen(s))
                return false;
        long v = strtol(s, NULL, 10);
        return v >= 1 && v <= 65535;
}

bool ssh_connection_valid(const char *s) {
        char a[64], b[16], c[64], d[16], extra[2];
        if (strlen(s) > 127)
                return false;
        if (sscanf(s, "%63s %15s %63s %15s %1s", a, b, c, d, extra) != 4)
                return false;
        return ip_valid(a) && port_valid(b) && ip_valid(c) && port_valid(d);
}

/* The "ssh-connection" option's value, checked, into buf. */
static int read_ssh_connection(sd_bus_message *msg, char *buf, size_t size, sd_bus_error *error) {
        const char *s;
        int r = sd_bus_message_read(msg, "v", "s", &s);
        if (r < 0)
                return r;
        if (!ssh_connection_valid(s))
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                         "Option \"ssh-connection\" \"%.*s\" is not "
                                         "\"CLIENT_IP CLIENT_PORT SERVER_IP SERVER_PORT\"",
                                         bs_utf8_prefix(s, 64), s);
        snprintf(buf, size, "%s", s);
        return 0;
}

int bus_read_sv_entries(sd_bus_message *msg, bus_sv_entry_fn fn, void *userdata, sd_bus_error *error) {
        int r = sd_bus_message_enter_container(msg, 'a', "{sv}");
        if (r < 0)
                return r;
        while ((r = sd_bus_message_enter_container(msg, 'e', "sv")) > 0) {
                const char *key, *contents;
                r = sd_bus_message_read_basic(msg, 's', &key);
                if (r >= 0)
                        r = sd_bus_message_peek_type(msg, NULL, &contents);
                if (r >= 0)
                        r = fn(msg, key, contents, userdata, error);
                if (r >= 0)
                        r = sd_bus_message_exit_container(msg);
                if (r < 0)
                        return r;
        }
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(msg);
}

#define OPTIONS_MAX 16

typedef struct ApplyOptionsRead {
        TransactionOptions *o;
        unsigned n;
} ApplyOptionsRead;

static int read_apply_option(sd_bus_message *msg, const char *key, const char *contents, void *userdata,
                             sd_bus_error *error) {
        ApplyOptionsRead *a = userdata;
        TransactionOptions *o = a->o;
        int r;
        if (++a->n > OPTIONS_MAX)
                return sd_bus_error_set(error, SD_BUS_ERROR_INVALID_ARGS, "Too many options");
        const char *want = streq(key, "timeout")                                              ? "u"
                           : streq(key, "strict") || streq(key, "force") || streq(key, "save") ? "b"
                           : streq(key, "ssh-connection")                                      ? "s"
                                                                                               : NULL;
        if (!want)
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "Unknown option \"%.*s\"",
                                         bs_utf8_prefix(key, 64), key);
        if (!streq(contents, want))
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                         "Option \"%s\" must be of type \"%s\", not \"%.16s\"", key, want, contents);
        if (streq(key, "timeout")) {
                uint32_t v;
                r = sd_bus_message_read(msg, "v", "u", &v);
                if (r < 0)
                        return r;
                if (v > BS_TIMEOUT_MAX_SEC)
                        return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                                 "Option \"timeout\" %u out of range 0..%d", v, BS_TIMEOUT_MAX_SEC);
                o->timeout_sec = v;
        } else if (streq(key, "ssh-connection")) {
                r = read_ssh_connection(msg, o->ssh_connection, sizeof(o->ssh_connection), error);
                if (r < 0)
                        return r;
        } else {
                int b;
                r = sd_bus_message_read(msg, "v", "b", &b);
                if (r < 0)
                        return r;
                if (streq(key, "strict"))
                        o->strict = b;
                else if (streq(key, "force"))
                        o->force = b;
                else
                        o->save = b;
        }
        return 0;
}

int bus_read_apply_options(sd_bus_message *msg, TransactionOptions *o, sd_bus_error *error) {
        *o = (TransactionOptions){ .timeout_sec = BS_TIMEOUT_DEFAULT_SEC };
        ApplyOptionsRead a = { .o = o };
        return bus_read_sv_entries(msg, read_apply_option, &a, error);
}

int bus_caller_pid(sd_bus_message *msg, pid_t *ret, sd_bus_error *error) {
        _cleanup_(sd_bus_creds_unrefp) sd_bus_creds *creds = NULL;
        int r = sd_bus_query_sender_creds(msg, SD_BUS_CREDS_PID, &creds);
        if (r >= 0)
                r = sd_bus_creds_get_pid(creds, ret);
        if (r < 0)
                return sd_bus_error_setf(error, SD_BUS_ERROR_FAILED, "Cannot tell the caller's process: %s",
                                         strerror(-r));
        return 0;
}

typedef struct ConfirmOptionsRead {
        char *ssh_connection;
        size_t size;
        unsigned n;
} ConfirmOptionsRead;

static int read_confirm_option(sd_bus_message *msg, const char *key, const char *contents, void *userdata,
                               sd_bus_error *error) {
        ConfirmOptionsRead *c = userdata;
        if (++c->n > OPTIONS_MAX)
                return sd_bus_error_set(error, SD_BUS_ERROR_INVALID_ARGS, "Too many options");
        if (!streq(key, "ssh-connection"))
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "Unknown option \"%.*s\"",
                                         bs_utf8_prefix(key, 64), key);
        if (!streq(contents, "s"))
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                         "Option \"ssh-connection\" must be of type \"s\", not \"%.16s\"", contents);
        return read_ssh_connection(msg, c->ssh_connection, c->size, error);
}

int bus_read_confirm_options(sd_bus_message *msg, char *ssh_connection, size_t size, sd_bus_error *error) {
        ssh_connection[0] = 0;
        ConfirmOptionsRead c = { .ssh_connection = ssh_connection, .size = size };
        return bus_read_sv_entries(msg, read_confirm_option, &c, error);
}

void strv_free_n(char **v, size_t n) {
        if (!v)
                return;
        for (size_t i = 0; i < n; i++)
                free(v[i]);
        free(v);
}

int bus_read_strv(sd_bus_message *msg, size_t max, const char ***ret, size_t *ret_n, size_t *ret_bytes,
                  sd_bus_error *error) {
        int r = sd_bus_message_enter_container(msg, 'a', "s");
        if (r < 0)
                return r;
        _cleanup_free_ const char **v = NULL;
        size_t n = 0, cap = 0, bytes = 0;
        const char *s;
        while ((r = sd_bus_message_read_basic(msg, 's', &s)) > 0) {
                if (n >= max)
                        return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                                 "Too many changes (at most %zu)", max);
                size_t len = strlen(s);
                if (len > BS_CHANGE_TEXT_MAX)
                        return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                                 "Change %zu is %zu bytes long (at most %d)", n + 1, len,
                                                 BS_CHANGE_TEXT_MAX);
                bytes += len;
                if (bytes > BS_CHANGESET_TEXT_MAX)
                        return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                                 "The changes take more than %u bytes (at most %u in one call)",
                                                 BS_CHANGESET_TEXT_MAX, BS_CHANGESET_TEXT_MAX);
                if (bs_grow((void **) &v, &cap, n + 1, sizeof(char *)) < 0)
                        return -ENOMEM;
                v[n++] = s;
        }
        if (r >= 0)
                r = sd_bus_message_exit_container(msg);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(v);
        *ret_n = n;
        if (ret_bytes)
                *ret_bytes = bytes;
        return 0;
}

int bus_message_append_strv_n(sd_bus_message *m, char *const *v, size_t n) {
        int r = sd_bus_message_open_container(m, 'a', "s");
        for (size_t i = 0; r >= 0 && i < n; i++)
                r = sd_bus_message_append(m, "s", v[i]);
        if (r < 0)
                return r;
        return sd_bus_message_close_container(m);
}
