/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The structured form of a change (ApplyChanges / PreviewChanges, see
 * dbus/org.backstop.Firewall1.xml): a dictionary such as
 *
 *     { "operation": "insert", "chain": "INPUT", "position": 1,
 *       "rule": { "protocol": "tcp", "dports": "22", "target": "ACCEPT" } }
 *
 * is turned into the words an iptables command line would have
 * ("-I" "INPUT" "1" "-p" "tcp" "--dport" "22" "-j" "ACCEPT", one value per
 * word, so nothing in a value can become an option) and parsed by the text
 * parser. Both forms therefore share one validation and give identical
 * rules; errors are reported in terms of the dictionary key and value.
 *
 * Pure code, no D-Bus types: the bus layer fills a bs_kv_list from an a{sv}
 * (bus-rule-dict.c); tests and the fuzz target fill it by hand. No logging,
 * -errno plus a message. */

#include "rule.h"

typedef enum bs_kv_type {
        BS_KV_STRING, /* "s" */
        BS_KV_UINT32, /* "u" */
        BS_KV_BOOL,   /* "b" */
        BS_KV_DICT,   /* "a{sv}" */
        BS_KV_OTHER,  /* any other type: refused, named by its signature */
} bs_kv_type;

#define BS_KV_MAX 32 /* entries in one dictionary */

typedef struct bs_kv_list bs_kv_list;

/* Strings are borrowed (from the D-Bus message, or the test); only the
 * arrays and nested lists are owned. */
typedef struct bs_kv {
        const char *key;
        bs_kv_type type;
        union {
                const char *str;
                uint32_t u32;
                bool b;
                bs_kv_list *dict;
                const char *signature; /* BS_KV_OTHER */
        };
} bs_kv;

struct bs_kv_list {
        bs_kv *items;
        size_t n;
};

/* Appends a copy of *kv (a BS_KV_DICT's list becomes owned by l); returns
 * the new entry. -E2BIG past BS_KV_MAX entries, -ENOMEM. */
int bs_kv_list_add(bs_kv_list *l, const bs_kv *kv, bs_kv **ret);
/* An empty nested dictionary under key, owned by l. */
int bs_kv_list_add_dict(bs_kv_list *l, const char *key, bs_kv_list **ret);
void bs_kv_list_done(bs_kv_list *l);
#define _cleanup_kv_list_ _cleanup_(bs_kv_list_done)

/* One change dictionary for one family. -EINVAL: the dictionary is bad
 * (err names the key and value); -EAFNOSUPPORT: the change is not for this
 * family ("family" says another one, or a value is of the other family's
 * syntax: err says why); -ENOMEM. err may be NULL. */
int bs_change_dict_parse(const bs_kv_list *d, bs_family family, bs_change *ret, char *err, size_t err_size);

/* A list of change dictionaries, with the family rules of Apply: each change
 * for every family it is valid for ("family" absent or ""), or for the one
 * named. On success *ret holds one bs_change per family and change, in order
 * (IPv4 before IPv6), each with exactly one family in its mask; free each
 * with bs_change_done() and the array with free(). Errors as
 * bs_changeset_parse(): -EINVAL (bad change, none given, too large), -E2BIG
 * (more than BS_CHANGESET_MAX), -EAFNOSUPPORT (IPv6 only while ipv6 is
 * false), -ENOMEM; err names the change by its 1-based number. */
int bs_change_dicts_parse(const bs_kv_list *dicts, size_t n, bool ipv6, bs_change **ret, size_t *ret_n, char *err,
                          size_t err_size);

/* The reverse, for ListRules: the keys of a rule's structured form that
 * rule has ("source", "destination", "in-interface", "out-interface",
 * "protocol", "dports", "sports", "ctstate", "comment"), each value as the
 * "rule" dictionary takes it ("!192.0.2.0/24", "22", "1000:2000",
 * "80,443", "RELATED,ESTABLISHED"), handed to fn in that order; a
 * negative return of fn stops the walk and is returned. The target is the
 * caller's (bs_target_name). */
typedef int (*bs_rule_field_fn)(const char *key, const char *value, void *userdata);
int bs_rule_fields_foreach(const bs_rule *r, bs_rule_field_fn fn, void *userdata);
