/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Helpers of the method handlers: the options dictionaries and caller
 * identity. */

#include <sys/types.h>
#include <systemd/sd-bus.h>

#include "transaction.h"

/* Reads an a{sv} of Apply/Preview/ApplyDefaultDeny options into *o
 * (defaults first). Unknown keys, wrong types, out-of-range values:
 * InvalidArgs naming them. */
/* Walks the a{sv} at the read position: fn is called for each entry with
 * its key and its variant's signature, positioned at the variant, which
 * it reads (a negative return stops the walk and is returned). */
typedef int (*bus_sv_entry_fn)(sd_bus_message *msg, const char *key, const char *contents, void *userdata,
                               sd_bus_error *error);
int bus_read_sv_entries(sd_bus_message *msg, bus_sv_entry_fn fn, void *userdata, sd_bus_error *error);

int bus_read_apply_options(sd_bus_message *msg, TransactionOptions *o, sd_bus_error *error);
/* Reads Confirm's (and ExtendWithOptions') a{sv}: only "ssh-connection" s. */
int bus_read_confirm_options(sd_bus_message *msg, char *ssh_connection, size_t size, sd_bus_error *error);
/* The caller's pid, as the bus has it from the caller's connection. Only
 * after polkit allowed the caller: it may cost a call to the bus. */
int bus_caller_pid(sd_bus_message *msg, pid_t *ret, sd_bus_error *error);
/* "CLIENT_IP CLIENT_PORT SERVER_IP SERVER_PORT" */
bool ssh_connection_valid(const char *s);
/* An "as" argument of changes: the strings are msg's (valid while it is),
 * the array the caller's to free. At most max strings, each at most
 * BS_CHANGE_TEXT_MAX bytes, BS_CHANGESET_TEXT_MAX in all (InvalidArgs
 * naming the limit beyond, found without reading further); *ret_bytes
 * (may be NULL) gets their total length. */
int bus_read_strv(sd_bus_message *msg, size_t max, const char ***ret, size_t *ret_n, size_t *ret_bytes,
                  sd_bus_error *error);
void strv_free_n(char **v, size_t n);
/* Append an "as" of v[0..n) to m. */
int bus_message_append_strv_n(sd_bus_message *m, char *const *v, size_t n);
