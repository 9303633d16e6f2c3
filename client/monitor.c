/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* monitor: print backstopd's transaction signals and property changes as
 * they happen, until Ctrl-C. Text: one line per event with the local time.
 * --json: one object per line. */

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include <systemd/sd-event.h>

#include "ctl.h"
#include "parse.h"
#include "util.h"

static uint64_t now_realtime(void) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        return (uint64_t) ts.tv_sec * 1000000ULL + (uint64_t) ts.tv_nsec / 1000;
}

static void prefix_time(void) {
        char buf[32];
        time_t t = time(NULL);
        struct tm tm;
        if (localtime_r(&t, &tm) && strftime(buf, sizeof(buf), "%H:%M:%S", &tm) > 0)
                printf("%s ", buf);
}

static void begin_event(const Ctl *c, JsonWriter *w, const char *event) {
        ctl_json_init(c, w);
        json_begin_object(w);
        json_kv_uint(w, "time_usec", now_realtime());
        json_kv_string(w, "event", event);
}

static void end_event(JsonWriter *w) {
        json_end_object(w);
        (void) json_finish(w);
}

static uint32_t id_of(const char *path) {
        uint32_t id = 0;
        (void) transaction_id_from_path(path, &id);
        return id;
}

static int on_signal(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Ctl *c = userdata;
        const char *member = sd_bus_message_get_member(m), *path = NULL, *reason = NULL;
        JsonWriter w;

        if (!member)
                return 0;
        if (strcmp(member, "TransactionRolledBack") == 0) {
                if (sd_bus_message_read(m, "os", &path, &reason) < 0)
                        return 0;
        } else if (strcmp(member, "TransactionApplied") == 0 || strcmp(member, "TransactionConfirmed") == 0) {
                if (sd_bus_message_read(m, "o", &path) < 0)
                        return 0;
        } else
                return 0;

        if (c->json) {
                const char *event = strcmp(member, "TransactionApplied") == 0     ? "transaction-applied"
                                    : strcmp(member, "TransactionConfirmed") == 0 ? "transaction-confirmed"
                                                                                  : "transaction-rolled-back";
                begin_event(c, &w, event);
                json_kv_string(&w, "transaction", path);
                json_kv_uint(&w, "id", id_of(path));
                if (reason)
                        json_kv_string(&w, "reason", reason);
                end_event(&w);
                return 0;
        }
        prefix_time();
        if (reason)
                printf("Transaction %u rolled back (%s)\n", id_of(path), reason);
        else if (strcmp(member, "TransactionApplied") == 0) {
                char **changes = NULL;
                printf("Transaction %u applied\n", id_of(path));
                if (ctl_get_transaction_changes(c, path, &changes) >= 0)
                        for (size_t i = 0; changes && changes[i]; i++)
                                printf("         %s\n", changes[i]);
                strv_free(changes);
        } else
                printf("Transaction %u confirmed\n", id_of(path));
        fflush(stdout);
        return 0;
}

/* A property value in one line: strings bare, anything else as compact JSON. */
static void print_value(sd_bus_message *m) {
        const char *contents;
        char type;

        if (sd_bus_message_peek_type(m, &type, &contents) > 0 && type == 'v' &&
            (strcmp(contents, "s") == 0 || strcmp(contents, "o") == 0)) {
                const char *s;
                if (sd_bus_message_read(m, "v", contents, &s) >= 0) {
                        printf("%s", s);
                        return;
                }
        }
        JsonWriter w;
        json_init(&w, stdout);
        if (bus_json_value(&w, m) < 0)
                printf("?");
}

static int on_properties_changed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Ctl *c = userdata;
        const char *iface, *path = sd_bus_message_get_path(m);
        JsonWriter w;
        int r;

        if (sd_bus_message_read(m, "s", &iface) < 0)
                return 0;
        if (c->json) {
                begin_event(c, &w, "properties-changed");
                json_kv_string(&w, "path", path);
                json_kv_string(&w, "interface", iface);
                json_key(&w, "changed");
                r = bus_json_value(&w, m);
                if (r >= 0) {
                        json_key(&w, "invalidated");
                        r = bus_json_value(&w, m);
                }
                if (r < 0) {
                        /* A malformed signal: still end the line with valid JSON. */
                        json_null(&w);
                }
                end_event(&w);
                return 0;
        }

        const char *what = strcmp(iface, BACKSTOP_TRANSACTION_IFACE) == 0 ? "Transaction" : "Manager";
        char label[48];
        if (strcmp(what, "Transaction") == 0)
                snprintf(label, sizeof(label), "Transaction %u", id_of(path));
        else
                snprintf(label, sizeof(label), "Manager");

        if (sd_bus_message_enter_container(m, 'a', "{sv}") < 0)
                return 0;
        while (sd_bus_message_enter_container(m, 'e', "sv") > 0) {
                const char *name;
                if (sd_bus_message_read(m, "s", &name) < 0)
                        break;
                prefix_time();
                printf("%s: %s = ", label, name);
                print_value(m);
                printf("\n");
                if (sd_bus_message_exit_container(m) < 0)
                        break;
        }
        (void) sd_bus_message_exit_container(m);
        char **invalidated = NULL;
        if (sd_bus_message_read_strv(m, &invalidated) >= 0)
                for (size_t i = 0; invalidated && invalidated[i]; i++) {
                        prefix_time();
                        printf("%s: %s changed\n", label, invalidated[i]);
                        free(invalidated[i]);
                }
        free(invalidated);
        fflush(stdout);
        return 0;
}

static int on_name_owner_changed(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        Ctl *c = userdata;
        const char *name, *old_owner, *new_owner;
        JsonWriter w;

        if (sd_bus_message_read(m, "sss", &name, &old_owner, &new_owner) < 0 || strcmp(name, BACKSTOP_SERVICE) != 0)
                return 0;
        const char *event = *new_owner ? "daemon-started" : "daemon-stopped";
        if (c->json) {
                begin_event(c, &w, event);
                end_event(&w);
        } else {
                prefix_time();
                printf("backstopd %s\n", *new_owner ? "is on the bus" : "left the bus");
                fflush(stdout);
        }
        return 0;
}

static int on_exit_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        sd_event_exit(sd_event_source_get_event(s), EXIT_OK);
        return 0;
}

static int on_disconnected(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        fprintf(stderr, "Could not connect to backstopd: the connection to the system bus was lost\n");
        sd_event_exit(sd_bus_get_event(sd_bus_message_get_bus(m)), EXIT_UNREACHABLE);
        return 0;
}

int verb_monitor(Ctl *c) {
        sd_event *e = NULL;
        sd_bus_slot *slots[4] = {};
        sd_event_source *sigs[3] = {};
        sigset_t mask;
        int r;

        r = ctl_bus(c);
        if (r != 0)
                return r;

        sigemptyset(&mask);
        sigaddset(&mask, SIGINT);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGHUP);
        sigprocmask(SIG_BLOCK, &mask, NULL);

        r = sd_event_default(&e);
        if (r >= 0)
                r = sd_bus_attach_event(c->bus, e, SD_EVENT_PRIORITY_NORMAL);
        if (r >= 0)
                r = sd_event_add_signal(e, &sigs[0], SIGINT, on_exit_signal, NULL);
        if (r >= 0)
                r = sd_event_add_signal(e, &sigs[1], SIGTERM, on_exit_signal, NULL);
        if (r >= 0)
                r = sd_event_add_signal(e, &sigs[2], SIGHUP, on_exit_signal, NULL);
        if (r >= 0)
                r = sd_bus_match_signal(c->bus, &slots[0], BACKSTOP_SERVICE, BACKSTOP_PATH, BACKSTOP_MANAGER_IFACE,
                                        NULL, on_signal, c);
        if (r >= 0)
                r = sd_bus_add_match(c->bus, &slots[1],
                                     "type='signal',sender='" BACKSTOP_SERVICE "',"
                                     "interface='org.freedesktop.DBus.Properties',member='PropertiesChanged',"
                                     "path_namespace='" BACKSTOP_PATH "'",
                                     on_properties_changed, c);
        if (r >= 0)
                r = sd_bus_match_signal(c->bus, &slots[2], "org.freedesktop.DBus", "/org/freedesktop/DBus",
                                        "org.freedesktop.DBus", "NameOwnerChanged", on_name_owner_changed, c);
        if (r >= 0)
                r = sd_bus_match_signal(c->bus, &slots[3], NULL, "/org/freedesktop/DBus/Local",
                                        "org.freedesktop.DBus.Local", "Disconnected", on_disconnected, c);
        if (r < 0) {
                r = log_local_error(r, "subscribe to backstopd's signals");
                goto finish;
        }
        if (!c->quiet && !c->json) {
                fprintf(stderr, "Monitoring backstopd; Ctrl-C to stop.\n");
        }
        r = sd_event_loop(e);
        if (r < 0)
                r = log_local_error(r, "monitor");

finish:
        for (size_t i = 0; i < ELEMENTSOF(slots); i++)
                sd_bus_slot_unref(slots[i]);
        for (size_t i = 0; i < ELEMENTSOF(sigs); i++)
                sd_event_source_unref(sigs[i]);
        if (e) {
                sd_bus_detach_event(c->bus);
                sd_event_unref(e);
        }
        return r;
}
