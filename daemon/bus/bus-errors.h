/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The bus boundary: -errno from the core turned into the errors the API
 * (dbus/org.backstop.Firewall1.xml) names. Only method handlers use this. */

#include <systemd/sd-bus.h>

#define BS_ERROR_BUSY "org.backstop.Firewall1.Error.Busy"
#define BS_ERROR_LOCKOUT_RISK "org.backstop.Firewall1.Error.LockoutRisk"
#define BS_ERROR_NOT_PENDING "org.backstop.Firewall1.Error.NotPending"
#define BS_ERROR_CONFIRMATION_REJECTED "org.backstop.Firewall1.Error.ConfirmationRejected"
#define BS_ERROR_NOT_FOUND "org.backstop.Firewall1.Error.NotFound"
#define BS_ERROR_CONFLICT "org.backstop.Firewall1.Error.Conflict"
#define BS_ERROR_LOCK_TIMEOUT "org.backstop.Firewall1.Error.LockTimeout"
#define BS_ERROR_UNSUPPORTED "org.backstop.Firewall1.Error.Unsupported"
#define BS_ERROR_FAILED "org.backstop.Firewall1.Error.Failed"

/* A change the rule model refused (bs_table_apply_change's -errno, as
 * bs_changeset_apply and transaction_apply return it), as the API names
 * it: deleting a built-in chain (-EPERM) is a bad argument (-EINVAL,
 * InvalidArgs) and deleting a referenced chain (-EBUSY) a conflict
 * (-EMLINK, Conflict), not AccessDenied and Busy, which speak of the
 * caller and of another transaction. The rest unchanged. The error's name
 * and text are then those of the -errno returned. */
int bs_bus_change_errno(int error);
/* The error name for a -errno from the netfilter core. */
const char *bs_bus_error_name(int error);
/* Set *e to the mapped error with a message ("what: strerror"), return a
 * negative value suitable as a handler's return. */
int bs_bus_error_set_errno(sd_bus_error *e, int error, const char *format, ...) __attribute__((format(printf, 3, 4)));
