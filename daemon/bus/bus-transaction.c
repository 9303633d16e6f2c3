/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The transaction objects on the bus: /org/backstop/Firewall1/Transaction/N,
 * the pending one and the last ended ones. Handlers in the order validate ->
 * reply early if nothing changes -> polkit -> change -> emit -> reply. */
#include <assert.h>
#include <inttypes.h>
#include <time.h>

#include "bus-errors.h"
#include "bus-names.h"
#include "bus-transaction.h"
#include "bus-util.h"
#include "log.h"

void transaction_bus_path(uint32_t id, char *path, size_t size) {
        snprintf(path, size, "%s/%" PRIu32, BS_TRANSACTION_PREFIX, id);
}

void transaction_send_changed(Transaction *t, char **props) {
        assert(t);
        if (t->manager->bus)
                (void) sd_bus_emit_properties_changed_strv(t->manager->bus, t->path, BS_TRANSACTION_INTERFACE,
                                                           props);
}

void transaction_send_applied(Transaction *t) {
        assert(t);
        if (t->manager->bus)
                (void) sd_bus_emit_signal(t->manager->bus, BS_OBJECT_PATH, BS_INTERFACE, "TransactionApplied", "o",
                                          t->path);
}

void transaction_send_ended(Transaction *t) {
        assert(t);
        sd_bus *bus = t->manager->bus;
        if (!bus)
                return;
        if (t->state == TRANSACTION_CONFIRMED)
                (void) sd_bus_emit_signal(bus, BS_OBJECT_PATH, BS_INTERFACE, "TransactionConfirmed", "o", t->path);
        else
                (void) sd_bus_emit_signal(bus, BS_OBJECT_PATH, BS_INTERFACE, "TransactionRolledBack", "os", t->path,
                                          t->rollback_reason);
}

int transaction_object_find(sd_bus *bus, const char *path, const char *interface, void *userdata,
                            void **found, sd_bus_error *error) {
        Manager *m = userdata;
        assert(path);
        assert(m);
        size_t n = strlen(BS_TRANSACTION_PREFIX);
        if (strncmp(path, BS_TRANSACTION_PREFIX, n) != 0 || path[n] != '/')
                return 0;
        const char *id = path + n + 1;
        if (!*id || strspn(id, "0123456789") != strlen(id) || strlen(id) > 10 || (id[0] == '0'))
                return 0;
        unsigned long long v = strtoull(id, NULL, 10);
        if (v > UINT32_MAX)
                return 0;
        Transaction *t = manager_find_transaction(m, (uint32_t) v);
        if (!t)
                return 0;
        *found = t;
        return 1;
}

int transaction_node_enumerator(sd_bus *bus, const char *path, void *userdata, char ***nodes,
                                sd_bus_error *error) {
        Manager *m = userdata;
        assert(m);
        char **v = calloc(BS_ENDED_MAX + 2, sizeof(char *));
        if (!v)
                return -ENOMEM;
        size_t n = 0;
        if (m->pending && !(v[n++] = strdup(m->pending->path)))
                goto oom;
        for (size_t i = 0; i < m->n_ended; i++)
                if (!(v[n++] = strdup(m->ended[i]->path)))
                        goto oom;
        *nodes = v;
        return 1;
oom:
        strv_free_n(v, n);
        return -ENOMEM;
}

static int not_pending(sd_bus_error *error, const Transaction *t) {
        return sd_bus_error_setf(error, BS_ERROR_NOT_PENDING, "Transaction %" PRIu32 " is %s", t->id,
                                 transaction_state_to_string(t->state));
}

/* What Confirm and ExtendWithOptions share once the transaction is known
 * pending: a strict one needs "ssh-connection" (a cheap check, before
 * polkit), then polkit, then the caller's pid, which a strict transaction's
 * proof needs (0 for the others). Same contract as bs_polkit_verify(). */
static int authorize_strict(sd_bus_message *msg, const Transaction *t, const char *ssh, pid_t *ret_caller,
                            sd_bus_error *error) {
        *ret_caller = 0;
        if (t->strict && !ssh[0])
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                         "Transaction %" PRIu32 " is strict: option \"ssh-connection\" is required",
                                         t->id);
        int r = bs_polkit_verify(t->manager->polkit, msg, NULL, error);
        if (r <= 0)
                return r;
        if (t->strict) {
                r = bus_caller_pid(msg, ret_caller, error);
                if (r < 0)
                        return r;
        }
        return 1;
}

static int method_confirm(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Transaction *t = userdata;
        assert(msg);
        assert(t);
        char ssh[128];
        int r = bus_read_confirm_options(msg, ssh, sizeof(ssh), error);
        if (r < 0)
                return r;
        if (t->state != TRANSACTION_PENDING)
                return not_pending(error, t);
        pid_t caller;
        r = authorize_strict(msg, t, ssh, &caller, error);
        if (r <= 0)
                return r < 0 ? r : 1;
        char err[1024];
        r = transaction_confirm(t, ssh, caller, err, sizeof(err));
        if (r == -ESRCH)
                return not_pending(error, t);
        if (r == -EINVAL)
                return sd_bus_error_set(error, SD_BUS_ERROR_INVALID_ARGS, err);
        if (r == -EPERM)
                return sd_bus_error_set(error, BS_ERROR_CONFIRMATION_REJECTED, err);
        if (r < 0)
                return sd_bus_error_set(error, BS_ERROR_FAILED, err);
        return sd_bus_reply_method_return(msg, NULL);
}

static int method_rollback(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Transaction *t = userdata;
        assert(msg);
        assert(t);
        Manager *m = t->manager;
        if (t->state != TRANSACTION_PENDING && t->state != TRANSACTION_ROLLING_BACK)
                return not_pending(error, t);

        int r = bs_polkit_verify(m->polkit, msg, NULL, error);
        if (r <= 0)
                return r < 0 ? r : 1;

        char err[512];
        r = transaction_rollback(t, "request", err, sizeof(err));
        if (r == -ESRCH)
                return not_pending(error, t);
        if (r < 0) {
                log_error("Rollback of transaction %" PRIu32 " on request failed: %s", t->id, err);
                return sd_bus_error_setf(error, bs_bus_error_name(r), "%s", err);
        }
        return sd_bus_reply_method_return(msg, NULL);
}

/* Extend(u) and ExtendWithOptions(u, a{sv}); with_options: the latter. A
 * strict transaction is extended only with the proof Confirm asks for. */
static int extend(sd_bus_message *msg, Transaction *t, bool with_options, sd_bus_error *error) {
        assert(msg);
        assert(t);
        uint32_t seconds;
        int r = sd_bus_message_read(msg, "u", &seconds);
        if (r < 0)
                return r;
        char ssh[128] = "";
        if (with_options) {
                r = bus_read_confirm_options(msg, ssh, sizeof(ssh), error);
                if (r < 0)
                        return r;
        }
        if (seconds < 1 || seconds > BS_TIMEOUT_MAX_SEC)
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "seconds %" PRIu32 " out of range 1..%d",
                                         seconds, BS_TIMEOUT_MAX_SEC);
        if (t->state != TRANSACTION_PENDING)
                return not_pending(error, t);
        if (t->strict && !with_options)
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                         "Transaction %" PRIu32 " is strict: extend it with ExtendWithOptions and "
                                         "option \"ssh-connection\", a new management connection you are on",
                                         t->id);
        pid_t caller;
        r = authorize_strict(msg, t, ssh, &caller, error);
        if (r <= 0)
                return r < 0 ? r : 1;
        char err[1024];
        r = transaction_extend(t, seconds, ssh, caller, err, sizeof(err));
        if (r == -ESRCH)
                return not_pending(error, t);
        if (r == -EINVAL && t->strict)
                return sd_bus_error_set(error, SD_BUS_ERROR_INVALID_ARGS, err);
        if (r == -EPERM)
                return sd_bus_error_set(error, BS_ERROR_CONFIRMATION_REJECTED, err);
        if (r < 0)
                return sd_bus_error_setf(error, bs_bus_error_name(r), "%s", err);
        return sd_bus_reply_method_return(msg, NULL);
}

/* The changes in iptables syntax. What a transaction does says what the
 * rules are: its owner (who made them) may read them, anyone else needs
 * read-rules, as for ListRules (a property would be anyone's to read). */
static int method_get_changes(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        Transaction *t = userdata;
        assert(msg);
        assert(t);
        Manager *m = t->manager;
        uid_t uid = (uid_t) -1;
        int r = bs_polkit_sender_uid(m->polkit, msg, &uid);
        if (r < 0 || uid != t->owner) {
                r = bs_polkit_verify(m->polkit, msg, NULL, error);
                if (r <= 0)
                        return r < 0 ? r : 1;
        }
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL;
        r = sd_bus_message_new_method_return(msg, &reply);
        if (r >= 0)
                r = bus_message_append_strv_n(reply, t->changes, t->n_changes);
        if (r < 0)
                return r;
        return sd_bus_send(NULL, reply, NULL);
}

static int method_extend(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        assert(msg);
        assert(userdata);
        return extend(msg, userdata, false, error);
}

static int method_extend_with_options(sd_bus_message *msg, void *userdata, sd_bus_error *error) {
        assert(msg);
        assert(userdata);
        return extend(msg, userdata, true, error);
}

static int property_get_state(sd_bus *bus, const char *path, const char *interface, const char *property,
                              sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Transaction *t = userdata;
        assert(reply);
        assert(t);
        return sd_bus_message_append(reply, "s", transaction_state_to_string(t->state));
}

static int property_get_time_left(sd_bus *bus, const char *path, const char *interface, const char *property,
                                  sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Transaction *t = userdata;
        assert(reply);
        assert(t);
        uint64_t left = 0;
        if (t->state == TRANSACTION_PENDING && t->deadline_boottime) {
                struct timespec ts;
                clock_gettime(CLOCK_BOOTTIME, &ts);
                uint64_t now = (uint64_t) ts.tv_sec * 1000000ULL + (uint64_t) ts.tv_nsec / 1000ULL;
                left = t->deadline_boottime > now ? t->deadline_boottime - now : 0;
        }
        return sd_bus_message_append(reply, "t", left);
}

static int property_get_owner(sd_bus *bus, const char *path, const char *interface, const char *property,
                              sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Transaction *t = userdata;
        assert(reply);
        assert(t);
        return sd_bus_message_append(reply, "u", (uint32_t) t->owner);
}

static int property_get_change_count(sd_bus *bus, const char *path, const char *interface, const char *property,
                                     sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Transaction *t = userdata;
        assert(reply);
        assert(t);
        return sd_bus_message_append(reply, "u", (uint32_t) t->n_changes);
}

static int property_get_mode(sd_bus *bus, const char *path, const char *interface, const char *property,
                             sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Transaction *t = userdata;
        assert(reply);
        assert(t);
        return sd_bus_message_append(reply, "s", t->strict ? "strict" : "any");
}

static int property_get_reason(sd_bus *bus, const char *path, const char *interface, const char *property,
                               sd_bus_message *reply, void *userdata, sd_bus_error *error) {
        Transaction *t = userdata;
        assert(reply);
        assert(t);
        bool rolled = t->state == TRANSACTION_ROLLED_BACK || t->state == TRANSACTION_ROLLING_BACK;
        return sd_bus_message_append(reply, "s", rolled ? t->rollback_reason : "");
}

const sd_bus_vtable transaction_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("Id", "u", NULL, offsetof(Transaction, id), SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("State", "s", property_get_state, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("Deadline", "t", NULL, offsetof(Transaction, deadline_realtime),
                        SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_PROPERTY("TimeLeftUSec", "t", property_get_time_left, 0, 0),
        SD_BUS_PROPERTY("Owner", "u", property_get_owner, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("ChangeCount", "u", property_get_change_count, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("ConfirmationMode", "s", property_get_mode, 0, SD_BUS_VTABLE_PROPERTY_CONST),
        SD_BUS_PROPERTY("RollbackReason", "s", property_get_reason, 0, SD_BUS_VTABLE_PROPERTY_EMITS_CHANGE),
        SD_BUS_METHOD_WITH_NAMES("Confirm", "a{sv}", SD_BUS_PARAM(options), "", , method_confirm,
                                 SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD("Rollback", "", "", method_rollback, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("GetChanges", "", , "as", SD_BUS_PARAM(changes), method_get_changes,
                                 SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("Extend", "u", SD_BUS_PARAM(seconds), "", , method_extend,
                                 SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_METHOD_WITH_NAMES("ExtendWithOptions", "ua{sv}", SD_BUS_PARAM(seconds) SD_BUS_PARAM(options), "", ,
                                 method_extend_with_options, SD_BUS_VTABLE_UNPRIVILEGED),
        SD_BUS_VTABLE_END,
};
