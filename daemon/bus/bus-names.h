/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Where the daemon is on the bus: its name, the manager object, and the
 * transaction objects below it (dbus/org.backstop.Firewall1.xml). */

#define BS_BUS_NAME "org.backstop.Firewall1"
#define BS_OBJECT_PATH "/org/backstop/Firewall1"
#define BS_INTERFACE "org.backstop.Firewall1"
#define BS_TRANSACTION_PREFIX "/org/backstop/Firewall1/Transaction"
#define BS_TRANSACTION_INTERFACE "org.backstop.Firewall1.Transaction"
