/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Helpers shared by the bus tests that judge backstopd with the iptables
 * of the backend under test (test-backend.h: iptables-legacy or
 * iptables-nft). Call bs_test_enter_private_netns() (bus-fixture.h) before
 * any of the ipt helpers: they run that iptables in the test's own network
 * namespace, under its private XTABLES_LOCKFILE. */

#include "bus-fixture.h"

#define BUS_NAME "org.backstop.Firewall1"
#define PATH "/org/backstop/Firewall1"
#define IFACE "org.backstop.Firewall1"
#define TX_IFACE "org.backstop.Firewall1.Transaction"

/* A method call to backstopd on c (reply_type NULL: any reply). */
GVariant *bs_test_call(GDBusConnection *c, int timeout_ms, const char *path, const char *iface, const char *method,
                       GVariant *params, const char *reply_type, GError **error);
/* Property iface.name of object path (asserts the Get succeeds). */
GVariant *bs_test_get_property(GDBusConnection *c, int timeout_ms, const char *path, const char *iface,
                               const char *name);
/* The same, for a string or object path property (caller frees). */
char *bs_test_get_string(GDBusConnection *c, int timeout_ms, const char *path, const char *iface, const char *name);

/* The oracle's programs for family 4 or 6: iptables-legacy /
 * ip6tables-legacy or iptables-nft / ip6tables-nft, and their -save and
 * -restore. */
const char *bs_test_ipt_prog(int family);
const char *bs_test_ipt_save_prog(int family);
const char *bs_test_ipt_restore_prog(int family);

/* The oracle's iptables for family 4 or 6 with -w and args split at
 * spaces; asserts it exits 0. */
void bs_test_ipt(int family, const char *args);
/* Its "-w -S" output (caller frees). */
char *bs_test_ipt_S(int family);
/* Both families: flush, delete the user chains, all policies ACCEPT. */
void bs_test_reset_tables(void);
