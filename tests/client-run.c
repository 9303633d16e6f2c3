/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "client-run.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib-unix.h>
#include <pty.h>
#include <signal.h>
#include <stdarg.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char **make_env(const char *bus_address, const char *const *env) {
        char **e = g_get_environ();
        e = g_environ_setenv(e, "DBUS_SYSTEM_BUS_ADDRESS", bus_address, TRUE);
        e = g_environ_unsetenv(e, "SSH_CONNECTION");
        e = g_environ_setenv(e, "LC_ALL", "C.UTF-8", TRUE);
        for (size_t i = 0; env && env[i]; i++) {
                const char *eq = strchr(env[i], '=');
                g_assert_nonnull(eq);
                g_autofree char *name = g_strndup(env[i], (gsize) (eq - env[i]));
                e = g_environ_setenv(e, name, eq + 1, TRUE);
        }
        return e;
}

static char **make_argv(const char *const *args) {
        const char *exe = g_getenv("BACKSTOPCTL");
        g_assert_nonnull(exe);
        GPtrArray *a = g_ptr_array_new();
        g_ptr_array_add(a, g_strdup(exe));
        for (size_t i = 0; args[i]; i++)
                g_ptr_array_add(a, g_strdup(args[i]));
        g_ptr_array_add(a, NULL);
        return (char **) g_ptr_array_free(a, FALSE);
}

static gboolean on_readable(gint fd, GIOCondition cond, gpointer user_data) {
        ClientRun *r = user_data;
        gboolean is_err = fd == r->err_fd;
        char buf[4096];
        ssize_t n = read(fd, buf, sizeof(buf));
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
                return G_SOURCE_CONTINUE;
        if (n <= 0) {
                /* EOF, or EIO on a pty master once the child is gone */
                if (is_err) {
                        r->err_eof = TRUE;
                        r->err_src = 0;
                } else {
                        r->out_eof = TRUE;
                        r->out_src = 0;
                }
                return G_SOURCE_REMOVE;
        }
        g_string_append_len(is_err ? r->err : r->out, buf, n);
        if (g_getenv("BACKSTOP_TEST_DEBUG")) {
                g_autofree char *s = g_strescape(g_strndup(buf, (gsize) n), NULL);
                g_printerr("[client %d %s] %s\n", (int) r->pid, is_err ? "err" : "out", s);
        }
        return G_SOURCE_CONTINUE;
}

static void on_child(GPid pid, gint status, gpointer user_data) {
        ClientRun *r = user_data;
        r->exited = TRUE;
        r->status = status;
        r->child_src = 0;
}

static ClientRun *run_new(void) {
        ClientRun *r = g_new0(ClientRun, 1);
        r->fd = r->err_fd = r->in_fd = -1;
        r->out = g_string_new(NULL);
        r->err = g_string_new(NULL);
        return r;
}

ClientRun *client_run_pty(const char *bus_address, const char *const *args, const char *const *env) {
        g_auto(GStrv) envp = make_env(bus_address, env);
        g_auto(GStrv) argv = make_argv(args);
        ClientRun *r = run_new();
        struct winsize ws = { .ws_row = 24, .ws_col = 200 };

        r->err_eof = TRUE;
        r->pid = forkpty(&r->fd, NULL, NULL, &ws);
        g_assert_cmpint(r->pid, >=, 0);
        if (r->pid == 0) {
                execve(argv[0], argv, envp);
                _exit(127);
        }
        g_unix_set_fd_nonblocking(r->fd, TRUE, NULL);
        r->out_src = g_unix_fd_add(r->fd, G_IO_IN | G_IO_HUP | G_IO_ERR, on_readable, r);
        r->child_src = g_child_watch_add(r->pid, on_child, r);
        return r;
}

ClientRun *client_run_pipes(const char *bus_address, const char *const *args, const char *const *env) {
        g_auto(GStrv) envp = make_env(bus_address, env);
        g_auto(GStrv) argv = make_argv(args);
        g_autoptr(GError) error = NULL;
        ClientRun *r = run_new();
        GPid pid;

        g_assert_true(g_spawn_async_with_pipes(NULL, argv, envp, G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL, &pid,
                                               &r->in_fd, &r->fd, &r->err_fd, &error));
        g_assert_no_error(error);
        r->pid = pid;
        g_unix_set_fd_nonblocking(r->fd, TRUE, NULL);
        g_unix_set_fd_nonblocking(r->err_fd, TRUE, NULL);
        r->out_src = g_unix_fd_add(r->fd, G_IO_IN | G_IO_HUP | G_IO_ERR, on_readable, r);
        r->err_src = g_unix_fd_add(r->err_fd, G_IO_IN | G_IO_HUP | G_IO_ERR, on_readable, r);
        r->child_src = g_child_watch_add(r->pid, on_child, r);
        return r;
}

void client_run_wait_for(ClientRun *r, const char *needle) {
        for (;;) {
                const char *hit = r->out->len > r->mark ? strstr(r->out->str + r->mark, needle) : NULL;
                if (hit) {
                        r->mark = (size_t) (hit - r->out->str) + strlen(needle);
                        return;
                }
                if (r->exited && r->out_eof)
                        g_error("client exited (status %d) before printing \"%s\"; output:\n%s\nstderr:\n%s",
                                r->status, needle, r->out->str, r->err->str);
                g_main_context_iteration(NULL, TRUE);
        }
}

void client_run_write(ClientRun *r, const char *s) {
        int fd = r->in_fd >= 0 ? r->in_fd : r->fd;
        size_t len = strlen(s);
        while (len > 0) {
                ssize_t n = write(fd, s, len);
                if (n < 0 && errno == EINTR)
                        continue;
                g_assert_cmpint(n, >, 0);
                s += n;
                len -= (size_t) n;
        }
}

void client_run_close_stdin(ClientRun *r) {
        if (r->in_fd >= 0) {
                close(r->in_fd);
                r->in_fd = -1;
        }
}

int client_run_wait(ClientRun *r) {
        while (!r->exited || !r->out_eof || !r->err_eof)
                g_main_context_iteration(NULL, TRUE);
        return r->status;
}

int client_run_finish(ClientRun *r) {
        client_run_wait(r);
        if (!WIFEXITED(r->status))
                g_error("client did not exit normally (status %d); output:\n%s\nstderr:\n%s", r->status,
                        r->out->str, r->err->str);
        return WEXITSTATUS(r->status);
}

void client_run_free(ClientRun *r) {
        if (!r->exited) {
                kill(r->pid, SIGKILL);
                while (!r->exited)
                        g_main_context_iteration(NULL, TRUE);
        }
        if (r->out_src)
                g_source_remove(r->out_src);
        if (r->err_src)
                g_source_remove(r->err_src);
        if (r->fd >= 0)
                close(r->fd);
        if (r->err_fd >= 0)
                close(r->err_fd);
        if (r->in_fd >= 0)
                close(r->in_fd);
        g_spawn_close_pid(r->pid);
        g_string_free(r->out, TRUE);
        g_string_free(r->err, TRUE);
        g_free(r);
}

int client_run_simple(const char *bus_address, const char *const *args, const char *const *env, char **ret_out,
                      char **ret_err) {
        ClientRun *r = client_run_pipes(bus_address, args, env);
        client_run_close_stdin(r);
        int status = client_run_finish(r);
        if (ret_out)
                *ret_out = g_strdup(r->out->str);
        if (ret_err)
                *ret_err = g_strdup(r->err->str);
        client_run_free(r);
        return status;
}

int client_run_valist(const char *bus_address, char **ret_out, char **ret_err, const char *first, va_list ap) {
        g_autoptr(GPtrArray) args = g_ptr_array_new();
        for (const char *a = first; a; a = va_arg(ap, const char *))
                g_ptr_array_add(args, (gpointer) a);
        g_ptr_array_add(args, NULL);
        return client_run_simple(bus_address, (const char *const *) args->pdata, NULL, ret_out, ret_err);
}

int client_run_va(const char *bus_address, char **ret_out, char **ret_err, const char *first, ...) {
        va_list ap;
        va_start(ap, first);
        int r = client_run_valist(bus_address, ret_out, ret_err, first, ap);
        va_end(ap);
        return r;
}

/* Parses text as one JSON document with a real parser; returns what the
 * python expression (on the parsed value d) prints. */
char *json_eval(const char *text, const char *expr) {
        g_autoptr(GError) error = NULL;
        g_autofree char *code = g_strdup_printf("import json,sys\nd=json.loads(sys.stdin.read())\n"
                                                "sys.stdout.write(str(%s))",
                                                expr);
        g_autoptr(GSubprocess) p = g_subprocess_new(G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                                            G_SUBPROCESS_FLAGS_STDERR_PIPE,
                                                    &error, "python3", "-c", code, NULL);
        g_assert_no_error(error);
        char *out = NULL, *err = NULL;
        g_assert_true(g_subprocess_communicate_utf8(p, text, NULL, &out, &err, &error));
        g_assert_no_error(error);
        if (!g_subprocess_get_if_exited(p) || g_subprocess_get_exit_status(p) != 0)
                g_error("not valid JSON (or %s failed): %s\n---\n%s", expr, err, text);
        g_free(err);
        return out;
}
