/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The bus side of the structured change form: an aa{sv} read into the
 * plain key/value lists that rule-dict.h converts. */

#include <systemd/sd-bus.h>

#include "rule-dict.h"

/* Reads aa{sv}: at most max dictionaries of at most BS_KV_MAX entries (a
 * value of type a{sv} is read one level deep, for "rule"; any other basic
 * type is kept as BS_KV_OTHER with its signature, for the converter to
 * refuse by name; other containers are refused here), each at most
 * BS_CHANGE_TEXT_MAX bytes of keys and strings, BS_CHANGESET_TEXT_MAX in
 * all (*ret_bytes, may be NULL). Strings are borrowed from msg, which must
 * outlive the lists. InvalidArgs for too many dictionaries, entries or
 * bytes. Free with bs_kv_lists_free(). */
int bus_read_change_dicts(sd_bus_message *msg, size_t max, bs_kv_list **ret, size_t *ret_n, size_t *ret_bytes,
                          sd_bus_error *error);
void bs_kv_lists_free(bs_kv_list *v, size_t n);
