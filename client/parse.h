/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Parsing of backstopctl's arguments, and small formatting helpers. No bus,
 * no output: returns 0 or -errno, so that the unit tests can check every
 * case. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TRANSACTION_PATH_PREFIX "/org/backstop/Firewall1/Transaction/"

/* A transaction given as its id ("3") or its object path
 * ("/org/backstop/Firewall1/Transaction/3"). *ret_path is allocated. */
int parse_transaction(const char *s, char **ret_path, uint32_t *ret_id);

/* The id at the end of a transaction's object path. */
int transaction_id_from_path(const char *path, uint32_t *ret_id);

/* "--from ADDR[/PREFIX]": an IPv4 or IPv6 address (no host names) in the
 * form iptables -S prints it: the network address and the prefix length
 * ("192.0.2.7" -> "192.0.2.7/32", "192.0.2.7/24" -> "192.0.2.0/24").
 * *ret_family is 4 or 6. */
int parse_source(const char *s, int *ret_family, char *buf, size_t size);

/* A rule number or position: 1..UINT32_MAX, decimal. */
int parse_rule_number(const char *s, uint32_t *ret);

/* A number of seconds in [min, max]: "90", "90s", "5m", "2h". */
int parse_seconds(const char *s, uint32_t min, uint32_t max, uint32_t *ret);

/* Whether a command-line argument is an iptables CHANGE rather than one of
 * backstopctl's options: it starts with '-' and holds a blank
 * ("-A INPUT -j ACCEPT"). Changes without blanks ("-F") go after "--". */
bool arg_is_change(const char *arg);

/* "1 h 2 min 5 s" style, compact: "1h 2m 5s", "42s", "0s". */
void format_seconds(uint64_t seconds, char *buf, size_t size);

/* The rules of CHAIN in GetRulesText's (iptables -S) text: the part of each
 * "-A CHAIN ..." line after "-A CHAIN ", in order (rule 1 first).
 * *ret is NULL-terminated, freed with strv_free(); the strings are copies. */
int rules_of_chain(const char *text, const char *chain, char ***ret, size_t *ret_n);
