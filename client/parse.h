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

/* "--allow PORT/PROTO": PORT 1..65535, PROTO tcp, udp, sctp, udplite or dccp
 * (any case). *ret_proto points to a static lower-case name. */
int parse_allow(const char *s, const char **ret_proto, uint16_t *ret_port);

/* A number of seconds in [min, max]: "90", "90s", "5m", "2h". */
int parse_seconds(const char *s, uint32_t min, uint32_t max, uint32_t *ret);

/* Whether a command-line argument is an iptables CHANGE rather than one of
 * backstopctl's options: it starts with '-' and holds a blank
 * ("-A INPUT -j ACCEPT"). Changes without blanks ("-F") go after "--". */
bool arg_is_change(const char *arg);

/* "1 h 2 min 5 s" style, compact: "1h 2m 5s", "42s", "0s". */
void format_seconds(uint64_t seconds, char *buf, size_t size);
