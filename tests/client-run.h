/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Running backstopctl from the client's tests: in a pseudo-terminal (the
 * confirm flow as a person sees it) or with pipes, while the test's main
 * context keeps serving whatever daemon (fake or real) is on the bus. */

#include <glib.h>
#include <stdarg.h>
#include <sys/types.h>

typedef struct ClientRun {
        pid_t pid;
        int fd;              /* pty master, or the stdout pipe */
        int err_fd;          /* stderr pipe (pipe mode), else -1 */
        int in_fd;           /* stdin pipe (pipe mode), else -1 */
        GString *out;
        GString *err;
        gboolean exited;
        int status;          /* wait status */
        guint out_src, err_src, child_src;
        gboolean out_eof, err_eof;
        size_t mark;         /* client_run_wait_for searches from here */
} ClientRun;

/* argv without the program; env: extra "NAME=VALUE" entries (NULL-terminated,
 * may be NULL). DBUS_SYSTEM_BUS_ADDRESS is set to bus_address. */
ClientRun *client_run_pty(const char *bus_address, const char *const *args, const char *const *env);
ClientRun *client_run_pipes(const char *bus_address, const char *const *args, const char *const *env);

/* Iterates the main context until needle appears in the output after the
 * mark, then moves the mark past it. */
void client_run_wait_for(ClientRun *r, const char *needle);
void client_run_write(ClientRun *r, const char *s);
void client_run_close_stdin(ClientRun *r);
/* Waits for exit and the end of output; returns the wait status. */
int client_run_wait(ClientRun *r);
/* Waits for exit and the end of output; returns the exit status (asserts a
 * normal exit). */
int client_run_finish(ClientRun *r);
void client_run_free(ClientRun *r);

/* Runs a client with pipes to completion; returns its exit status. */
int client_run_simple(const char *bus_address, const char *const *args, const char *const *env, char **ret_out,
                      char **ret_err);

/* The same with the arguments as a NULL-terminated list (first, then ap). */
int client_run_va(const char *bus_address, char **ret_out, char **ret_err, const char *first, ...)
        G_GNUC_NULL_TERMINATED;
int client_run_valist(const char *bus_address, char **ret_out, char **ret_err, const char *first, va_list ap);

/* Parses text as one JSON document with a real parser (python3's json
 * module; asserts it is valid); returns what the python expression (on the
 * parsed value d) prints. */
char *json_eval(const char *text, const char *expr);
