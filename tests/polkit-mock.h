/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A mock polkit for the tests that ask backstopd for authorization
 * (test-bus-polkit, test-client-polkit): a libglib-testing GtDBusQueue
 * that owns org.freedesktop.PolicyKit1 and exports its Authority with
 * CheckAuthorization; the test pops each call and answers it. */

#include <libglib-testing/dbus-queue.h>

static const char bs_polkit_authority_xml[] =
        "<node>"
        "  <interface name='org.freedesktop.PolicyKit1.Authority'>"
        "    <method name='CheckAuthorization'>"
        "      <arg type='(sa{sv})' name='subject' direction='in'/>"
        "      <arg type='s' name='action_id' direction='in'/>"
        "      <arg type='a{ss}' name='details' direction='in'/>"
        "      <arg type='u' name='flags' direction='in'/>"
        "      <arg type='s' name='cancellation_id' direction='in'/>"
        "      <arg type='(bba{ss})' name='result' direction='out'/>"
        "    </method>"
        "  </interface>"
        "</node>";

/* On the connected queue q: own the polkit name and export the Authority
 * object (asserts). Returns the name's id for gt_dbus_queue_unown_name(). */
static inline guint bs_polkit_mock_export(GtDBusQueue *q) {
        g_autoptr(GError) error = NULL;
        guint id = gt_dbus_queue_own_name(q, "org.freedesktop.PolicyKit1");
        g_autoptr(GDBusNodeInfo) node = g_dbus_node_info_new_for_xml(bs_polkit_authority_xml, &error);
        g_assert_no_error(error);
        gt_dbus_queue_export_object(q, "/org/freedesktop/PolicyKit1/Authority", node->interfaces[0], &error);
        g_assert_no_error(error);
        return id;
}
