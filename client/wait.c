/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The confirm flow of apply and default-deny: after the change is live we
 * wait until the transaction ends, whoever ends it.
 *
 *  - A countdown: one line updated in place (\r) on a terminal, a plain line
 *    every few seconds otherwise.
 *  - "yes" typed on stdin (a terminal or a pipe) confirms; in strict mode it
 *    is not offered, since the confirmation must come from a NEW login.
 *  - Confirm/Rollback from another session is seen through the manager's
 *    signals and the transaction's PropertiesChanged.
 *  - Ctrl-C asks "Roll back now? [y/N]": y rolls back, n, Enter or end of
 *    input keeps waiting; Ctrl-C at that question (or any Ctrl-C when there
 *    is no input to answer from), SIGTERM or SIGHUP leave the transaction to
 *    backstopd's timer and exit 1.
 *  - If we die, nothing changes: the rollback lives in the daemon. */

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-event.h>

#include "ctl.h"
#include "parse.h"
#include "util.h"

#define PLAIN_LINE_INTERVAL_USEC (5ULL * 1000000)
#define TICK_USEC (1000000ULL)
/* How long past the deadline we wait for a vanished backstopd to return. */
#define AWAY_GRACE_USEC (30ULL * 1000000)

typedef enum Phase {
        PHASE_WAITING,
        PHASE_ASKING,       /* "Roll back now? [y/N]" */
} Phase;

typedef struct WaitState {
        Ctl *c;
        sd_event *event;
        char *path;
        uint32_t id;
        bool strict;
        Phase phase;

        uint64_t deadline_mono;     /* CLOCK_MONOTONIC, from TimeLeftUSec */
        uint64_t last_plain_line;
        bool ended;
        int exit_code;
        char *state;
        char *reason;

        bool stdin_open;
        bool stdin_tty;
        bool raw;                   /* terminal in non-canonical, no-echo mode */
        struct termios saved;
        char input[128];
        size_t input_len;
        bool input_overflow;

        bool daemon_away;           /* backstopd left the bus; its journal keeps the deadline */
        bool rolling_back;          /* State "rolling-back": backstopd retries the rollback */

        FILE *ui;
        bool ui_tty;
        bool line_dirty;            /* a countdown line is on screen */
} WaitState;

/* The matches are added before Apply, when the path is not known yet. */
static WaitState wait_state;
static sd_bus_slot *slots[4];

static uint64_t now_mono(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000ULL + (uint64_t) ts.tv_nsec / 1000;
}

static void terminal_restore(WaitState *w) {
        if (w->raw) {
                tcsetattr(STDIN_FILENO, TCSANOW, &w->saved);
                w->raw = false;
        }
}

static void terminal_raw(WaitState *w) {
        struct termios t;
        /* Only when the countdown line can show what is typed. */
        if (!w->stdin_tty || !w->ui_tty || w->raw || !w->stdin_open)
                return;
        if (tcgetattr(STDIN_FILENO, &w->saved) < 0)
                return;
        t = w->saved;
        /* We echo the typed text ourselves inside the countdown line. Signals
         * stay on, so that Ctrl-C arrives as SIGINT. */
        t.c_lflag &= ~(tcflag_t) (ICANON | ECHO);
        t.c_cc[VMIN] = 1;
        t.c_cc[VTIME] = 0;
        if (tcsetattr(STDIN_FILENO, TCSANOW, &t) == 0)
                w->raw = true;
}

static void clear_line(WaitState *w) {
        if (w->ui_tty && w->line_dirty) {
                fputs("\r\033[K", w->ui);
                w->line_dirty = false;
        }
}

static uint64_t seconds_left(WaitState *w) {
        uint64_t now = now_mono();
        return w->deadline_mono > now ? (w->deadline_mono - now + 999999) / 1000000 : 0;
}

static void draw(WaitState *w, bool force_plain) {
        char left[64];
        uint64_t secs = seconds_left(w);

        if (w->ended)
                return;
        format_seconds(secs, left, sizeof(left));
        if (w->ui_tty) {
                fputs("\r\033[K", w->ui);
                if (w->daemon_away)
                        fprintf(w->ui, "Transaction %u: %s left; backstopd is away, waiting for it.", w->id, left);
                else if (w->rolling_back)
                        fprintf(w->ui, "Transaction %u: the rollback could not finish yet; backstopd retries it.",
                                w->id);
                else if (secs == 0)
                        fprintf(w->ui, "Transaction %u: deadline reached, waiting for backstopd to roll back.",
                                w->id);
                else if (w->phase == PHASE_ASKING)
                        fprintf(w->ui, "Transaction %u: %s left. Roll back now? [y/N] %.*s", w->id, left,
                                (int) w->input_len, w->input);
                else if (w->strict)
                        fprintf(w->ui, "Transaction %u: rolls back in %s unless confirmed from a new login.",
                                w->id, left);
                else if (w->stdin_open)
                        fprintf(w->ui, "Transaction %u: rolls back in %s. Type yes to confirm: %.*s", w->id,
                                left, (int) w->input_len, w->input);
                else
                        fprintf(w->ui, "Transaction %u: rolls back in %s unless confirmed.", w->id, left);
                w->line_dirty = true;
        } else {
                uint64_t now = now_mono();
                if (!force_plain && now - w->last_plain_line < PLAIN_LINE_INTERVAL_USEC)
                        return;
                w->last_plain_line = now;
                if (w->rolling_back)
                        fprintf(w->ui, "Transaction %u: the rollback could not finish yet; backstopd retries it.\n",
                                w->id);
                else if (secs == 0)
                        fprintf(w->ui, "Transaction %u: deadline reached, waiting for backstopd to roll back.\n",
                                w->id);
                else
                        fprintf(w->ui, "Transaction %u: rolls back in %s unless confirmed.\n", w->id, left);
        }
        fflush(w->ui);
}

_printf_(2, 3) static void say(WaitState *w, const char *fmt, ...) {
        va_list ap;
        clear_line(w);
        va_start(ap, fmt);
        vfprintf(w->ui, fmt, ap);
        va_end(ap);
        fputc('\n', w->ui);
        fflush(w->ui);
}

static void end_wait(WaitState *w, const char *state, const char *reason, int code) {
        if (w->ended)
                return;
        w->ended = true;
        w->exit_code = code;
        free(w->state);
        free(w->reason);
        w->state = strdup(state);
        w->reason = strdup(reason ? reason : "");
        sd_event_exit(w->event, code);
}

static void ended_with_state(WaitState *w, const char *state, const char *reason) {
        if (strcmp(state, "confirmed") == 0)
                end_wait(w, state, "", EXIT_OK);
        else if (strcmp(state, "rolled-back") == 0)
                end_wait(w, state, reason, EXIT_ROLLED_BACK);
}

/* Reads State, RollbackReason and TimeLeftUSec of our transaction. */
static int refresh(WaitState *w) {
        sd_bus_message *reply = NULL;
        sd_bus_error error = SD_BUS_ERROR_NULL;
        Dict d = {};
        int r;

        r = sd_bus_call_method(w->c->bus, BACKSTOP_SERVICE, w->path, "org.freedesktop.DBus.Properties", "GetAll",
                               &error, &reply, "s", BACKSTOP_TRANSACTION_IFACE);
        sd_bus_error_free(&error);
        if (r < 0)
                return r;
        r = bus_read_dict(reply, &d);
        sd_bus_message_unref(reply);
        if (r >= 0) {
                const char *state = dict_str(&d, "State", "pending");
                w->rolling_back = strcmp(state, "rolling-back") == 0;
                if (strcmp(state, "pending") == 0)
                        w->deadline_mono = now_mono() + dict_uint(&d, "TimeLeftUSec", 0);
                else if (w->rolling_back)
                        w->deadline_mono = 0;  /* not over: wait for rolled-back */
                else
                        ended_with_state(w, state, dict_str(&d, "RollbackReason", ""));
        }
        dict_clear(&d);
        return r;
}

static bool our_path(WaitState *w, const char *path) {
        return w->path && path && strcmp(w->path, path) == 0;
}

static int on_manager_signal(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        WaitState *w = &wait_state;
        const char *path = NULL, *reason = NULL;

        if (!w->path)
                return 0;
        if (sd_bus_message_is_signal(m, BACKSTOP_MANAGER_IFACE, "TransactionConfirmed")) {
                if (sd_bus_message_read(m, "o", &path) >= 0 && our_path(w, path))
                        end_wait(w, "confirmed", "", EXIT_OK);
        } else if (sd_bus_message_is_signal(m, BACKSTOP_MANAGER_IFACE, "TransactionRolledBack")) {
                if (sd_bus_message_read(m, "os", &path, &reason) >= 0 && our_path(w, path))
                        end_wait(w, "rolled-back", reason, EXIT_ROLLED_BACK);
        }
        return 0;
}

static int on_properties_changed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        WaitState *w = &wait_state;
        const char *iface;
        Dict d = {};
        char **invalidated = NULL;

        if (!w->path || !our_path(w, sd_bus_message_get_path(m)))
                return 0;
        if (sd_bus_message_read(m, "s", &iface) < 0 || strcmp(iface, BACKSTOP_TRANSACTION_IFACE) != 0)
                return 0;
        if (bus_read_dict(m, &d) >= 0 && sd_bus_message_read_strv(m, &invalidated) >= 0) {
                const char *state = dict_str(&d, "State", NULL);
                bool again = dict_get(&d, "Deadline") != NULL;
                for (size_t i = 0; invalidated && invalidated[i]; i++)
                        if (strcmp(invalidated[i], "State") == 0 || strcmp(invalidated[i], "Deadline") == 0)
                                again = true;
                if (state && strcmp(state, "pending") != 0 && strcmp(state, "rolling-back") != 0 &&
                    dict_get(&d, "RollbackReason"))
                        ended_with_state(w, state, dict_str(&d, "RollbackReason", ""));
                else if (state || again) {
                        /* Extended (Deadline changed), or ended without the reason at hand. */
                        if (refresh(w) < 0 && state)
                                ended_with_state(w, state, "");
                        if (!w->ended)
                                draw(w, true);
                }
        }
        for (size_t i = 0; invalidated && invalidated[i]; i++)
                free(invalidated[i]);
        free(invalidated);
        dict_clear(&d);
        return 0;
}

static void daemon_left(WaitState *w) {
        if (w->ended || w->daemon_away)
                return;
        w->daemon_away = true;
        say(w, "%s", "backstopd left the bus. Its journal keeps the deadline: if it comes back in time it "
            "resumes the transaction, otherwise it rolls it back when it starts. Waiting for it...");
}

static void daemon_back(WaitState *w) {
        if (w->ended || !w->daemon_away)
                return;
        w->daemon_away = false;
        say(w, "%s", "backstopd is back.");
        int r = refresh(w);
        if (r < 0 && !w->ended) {
                say(w, "Transaction %u is unknown to the restarted backstopd; see 'backstopctl status'.", w->id);
                end_wait(w, "unknown", "", EXIT_FAILED);
        }
}

static int on_name_owner_changed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        const char *name, *old_owner, *new_owner;
        if (sd_bus_message_read(m, "sss", &name, &old_owner, &new_owner) < 0 ||
            strcmp(name, BACKSTOP_SERVICE) != 0 || !wait_state.path)
                return 0;
        if (*new_owner)
                daemon_back(&wait_state);
        else
                daemon_left(&wait_state);
        return 0;
}

static int on_disconnected(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        WaitState *w = &wait_state;
        /* The bus itself is gone: nothing more can reach us. */
        if (w->path && !w->ended) {
                say(w, "%s", "Lost the connection to the system bus. backstopd keeps the transaction's deadline: "
                    "unless confirmed, the change is rolled back.");
                end_wait(w, "unknown", "", EXIT_UNREACHABLE);
        }
        if (w->event)
                sd_event_exit(w->event, EXIT_UNREACHABLE);
        return 0;
}

int wait_prepare(Ctl *c) {
        int r = ctl_bus(c);
        if (r != 0)
                return r;
        /* Synchronous AddMatch calls: the matches are in place before Apply, so
         * that a transaction that ends at once is not missed. */
        r = sd_bus_match_signal(c->bus, &slots[0], BACKSTOP_SERVICE, BACKSTOP_PATH, BACKSTOP_MANAGER_IFACE, NULL,
                                on_manager_signal, NULL);
        if (r >= 0)
                r = sd_bus_add_match(c->bus, &slots[1],
                                     "type='signal',sender='" BACKSTOP_SERVICE "',"
                                     "interface='org.freedesktop.DBus.Properties',member='PropertiesChanged',"
                                     "path_namespace='" BACKSTOP_PATH "'",
                                     on_properties_changed, NULL);
        if (r >= 0)
                r = sd_bus_match_signal(c->bus, &slots[2], "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                        "org.freedesktop.DBus", "NameOwnerChanged", on_name_owner_changed, NULL);
        if (r >= 0)
                r = sd_bus_match_signal(c->bus, &slots[3], NULL, "/org/freedesktop/DBus/Local",
                                        "org.freedesktop.DBus.Local", "Disconnected", on_disconnected, NULL);
        if (r < 0) {
                char *line = NULL;
                int code = map_connect_error(r, &line);
                if (code > 0) {
                        fprintf(stderr, "%s\n", line);
                        free(line);
                        return code;
                }
                return log_local_error(r, "subscribe to backstopd's signals");
        }
        return 0;
}

static void wait_release(void) {
        for (size_t i = 0; i < ELEMENTSOF(slots); i++)
                slots[i] = sd_bus_slot_unref(slots[i]);
}

/* A call that may ask for a password through the agent on our terminal:
 * give the terminal back meanwhile. */
static int call_tx(WaitState *w, const char *member, BusAction action) {
        sd_bus_message *m = NULL;
        const char *ssh = ctl_ssh_connection(w->c);
        int r;

        clear_line(w);
        fflush(w->ui);
        terminal_restore(w);
        r = sd_bus_message_new_method_call(w->c->bus, &m, BACKSTOP_SERVICE, w->path, BACKSTOP_TRANSACTION_IFACE,
                                           member);
        if (r >= 0 && strcmp(member, "Confirm") == 0) {
                if (ssh && *ssh)
                        r = sd_bus_message_append(m, "a{sv}", 1, "ssh-connection", "s", ssh);
                else
                        r = sd_bus_message_append(m, "a{sv}", 0);
        }
        if (r < 0)
                r = log_local_error(r, "build the request");
        else
                r = bus_call_checked(w->c->bus, m, action, ctl_call_timeout(w->c), NULL);
        sd_bus_message_unref(m);
        terminal_raw(w);
        return r;
}

static void leave_to_timer(WaitState *w) {
        char buf[512];
        snprintf(buf, sizeof(buf),
                 "Leaving transaction %u to backstopd: it is rolled back when its deadline passes "
                 "unless confirmed (backstopctl confirm %u).",
                 w->id, w->id);
        say(w, "%s", buf);
        end_wait(w, "pending", "", EXIT_FAILED);
}

static void handle_line(WaitState *w, const char *line) {
        /* Trim blanks on both ends. */
        while (*line == ' ' || *line == '\t')
                line++;
        size_t n = strlen(line);
        while (n > 0 && (line[n - 1] == ' ' || line[n - 1] == '\t' || line[n - 1] == '\r'))
                n--;

        if (w->phase == PHASE_ASKING) {
                if ((n == 1 && (line[0] == 'y' || line[0] == 'Y')) || (n == 3 && strncasecmp(line, "yes", 3) == 0)) {
                        w->phase = PHASE_WAITING;
                        int r = call_tx(w, "Rollback", ACTION_TRANSACTION);
                        if (r == 0)
                                end_wait(w, "rolled-back", "request", EXIT_ROLLED_BACK);
                        else
                                (void) refresh(w);
                } else if (n == 0 || (n == 1 && (line[0] == 'n' || line[0] == 'N')) ||
                           (n == 2 && strncasecmp(line, "no", 2) == 0)) {
                        w->phase = PHASE_WAITING;
                        say(w, "%s", "Not rolled back; still waiting for confirmation.");
                } else
                        say(w, "%s", "Please answer y or n.");
                return;
        }

        if (n == 3 && strncasecmp(line, "yes", 3) == 0) {
                if (w->strict) {
                        char buf[256];
                        snprintf(buf, sizeof(buf),
                                 "Strict mode: confirm from a NEW SSH login to this host: backstopctl confirm %u",
                                 w->id);
                        say(w, "%s", buf);
                        return;
                }
                int r = call_tx(w, "Confirm", ACTION_TRANSACTION);
                if (r == 0)
                        end_wait(w, "confirmed", "", EXIT_OK);
                else
                        (void) refresh(w);
        } else if (n > 0)
                say(w, "%s", w->strict ? "Strict mode: typing here does not confirm; use a new SSH login."
                                       : "Type yes (and Enter) to confirm.");
}

static void stdin_eof(WaitState *w, sd_event_source *s) {
        w->stdin_open = false;
        terminal_restore(w);
        sd_event_source_set_enabled(s, SD_EVENT_OFF);
        if (w->phase == PHASE_ASKING) {
                w->phase = PHASE_WAITING;
                say(w, "%s", "No answer: not rolled back; still waiting.");
        }
}

static int on_stdin(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        WaitState *w = userdata;
        char buf[256];

        ssize_t n = read(fd, buf, sizeof(buf));
        if (n < 0) {
                if (errno == EAGAIN || errno == EINTR)
                        return 0;
                stdin_eof(w, s);
                return 0;
        }
        if (n == 0) {
                stdin_eof(w, s);
                return 0;
        }
        for (ssize_t i = 0; i < n && !w->ended; i++) {
                char ch = buf[i];
                if (ch == '\n' || ch == '\r') {
                        w->input[w->input_len] = '\0';
                        bool overflow = w->input_overflow;
                        w->input_len = 0;
                        w->input_overflow = false;
                        if (w->ui_tty && w->stdin_tty)
                                clear_line(w);
                        handle_line(w, overflow ? "?" : w->input);
                } else if (w->raw && (ch == 0x7f || ch == '\b')) {
                        if (w->input_len > 0)
                                w->input_len--;
                } else if (w->raw && ch == 0x04) {
                        if (w->input_len == 0) {
                                stdin_eof(w, s);
                                break;
                        }
                } else if (w->raw && ch == 0x15) {
                        w->input_len = 0;   /* Ctrl-U */
                } else if ((unsigned char) ch >= 0x20) {
                        if (w->input_len + 1 < sizeof(w->input))
                                w->input[w->input_len++] = ch;
                        else
                                w->input_overflow = true;
                }
        }
        if (!w->ended) {
                /* Typed text is echoed inside the countdown line. */
                if (w->ui_tty)
                        draw(w, false);
        }
        return 0;
}

static int on_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        WaitState *w = userdata;

        if (si->ssi_signo != SIGINT) {
                leave_to_timer(w);
                return 0;
        }
        if (w->phase == PHASE_ASKING || !w->stdin_open) {
                leave_to_timer(w);
                return 0;
        }
        w->phase = PHASE_ASKING;
        w->input_len = 0;
        if (w->ui_tty)
                draw(w, true);
        else {
                char buf[128];
                snprintf(buf, sizeof(buf), "Roll back transaction %u now? [y/N] (Ctrl-C again: leave it to the timer)",
                         w->id);
                say(w, "%s", buf);
        }
        return 0;
}

static int on_tick(sd_event_source *s, uint64_t usec, void *userdata) {
        WaitState *w = userdata;

        /* Past the deadline, ask instead of waiting for a signal we might have
         * missed (say, the daemon restarted and rolled back meanwhile). */
        if (w->daemon_away) {
                if (now_mono() > w->deadline_mono + AWAY_GRACE_USEC) {
                        say(w, "backstopd has not come back. Transaction %u is past its deadline: backstopd "
                            "rolls it back when it starts.", w->id);
                        end_wait(w, "unknown", "", EXIT_UNREACHABLE);
                        return 0;
                }
        } else if (seconds_left(w) == 0)
                (void) refresh(w);
        draw(w, false);
        sd_event_source_set_time(s, usec + TICK_USEC);
        sd_event_source_set_enabled(s, SD_EVENT_ON);
        return 0;
}

static bool stdin_readable_kind(void) {
        struct stat st;
        if (isatty(STDIN_FILENO))
                return true;
        if (fstat(STDIN_FILENO, &st) < 0)
                return false;
        return S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode);
}

int wait_for_transaction(Ctl *c, const char *path, uint32_t id, bool strict, char **ret_state, char **ret_reason) {
        WaitState *w = &wait_state;
        sd_event_source *sig_int = NULL, *sig_term = NULL, *sig_hup = NULL, *in = NULL, *tick = NULL;
        sigset_t mask, oldmask;
        int r;

        w->c = c;
        w->id = id;
        w->strict = strict;
        w->path = strdup(path);
        w->ui = ctl_ui(c);
        w->ui_tty = isatty(fileno(w->ui));
        w->stdin_tty = isatty(STDIN_FILENO);
        w->stdin_open = stdin_readable_kind();
        w->exit_code = EXIT_FAILED;
        if (!w->path)
                return log_local_error(-ENOMEM, "wait");

        sigemptyset(&mask);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGHUP);
        sigprocmask(SIG_BLOCK, &mask, &oldmask);

        r = sd_event_default(&w->event);
        if (r >= 0)
                r = sd_bus_attach_event(c->bus, w->event, SD_EVENT_PRIORITY_NORMAL);
        if (r >= 0)
                r = sd_event_add_signal(w->event, &sig_int, SIGINT, on_signal, w);
        if (r >= 0)
                r = sd_event_add_signal(w->event, &sig_term, SIGTERM, on_signal, w);
        if (r >= 0)
                r = sd_event_add_signal(w->event, &sig_hup, SIGHUP, on_signal, w);
        if (r >= 0 && w->stdin_open)
                r = sd_event_add_io(w->event, &in, STDIN_FILENO, EPOLLIN, on_stdin, w);
        if (r >= 0)
                r = sd_event_add_time_relative(w->event, &tick, CLOCK_MONOTONIC, TICK_USEC, 0, on_tick, w);
        if (r < 0) {
                r = log_local_error(r, "set up the wait loop");
                goto finish;
        }

        /* The state now: the transaction may have ended already. */
        r = refresh(w);
        if (r < 0) {
                sd_bus_error error = SD_BUS_ERROR_NULL;
                r = bus_report_error(&error, r, ACTION_READ_STATE);
                sd_bus_error_free(&error);
                goto finish;
        }
        if (!w->ended) {
                if (strict)
                        say(w, "Strict confirmation: the confirmation must come from a NEW login. Open a new SSH "
                            "session to this host and run there: backstopctl confirm %s",
                            strrchr(path, '/') + 1);
                else if (w->stdin_open)
                        say(w, "%s", "Type yes (and Enter) to confirm; Ctrl-C offers to roll back now.");
                else
                        say(w, "Confirm with: backstopctl confirm %s", strrchr(path, '/') + 1);
                terminal_raw(w);
                draw(w, true);
                r = sd_event_loop(w->event);
                if (r < 0) {
                        r = log_local_error(r, "wait for the transaction");
                        goto finish;
                }
        }
        r = w->exit_code;

finish:
        clear_line(w);
        terminal_restore(w);
        sd_event_source_unref(sig_int);
        sd_event_source_unref(sig_term);
        sd_event_source_unref(sig_hup);
        sd_event_source_unref(in);
        sd_event_source_unref(tick);
        wait_release();
        if (w->event) {
                sd_bus_detach_event(c->bus);
                w->event = sd_event_unref(w->event);
        }
        sigprocmask(SIG_SETMASK, &oldmask, NULL);
        *ret_state = w->state ? w->state : strdup(w->ended ? "unknown" : "pending");
        *ret_reason = w->reason ? w->reason : strdup("");
        w->state = w->reason = NULL;
        free(w->path);
        w->path = NULL;
        return r;
}
