/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* What test-text, test-text-changes and test-text-save share: rules and
 * changes through the parser and the renderer. */

#include <glib.h>

#include "text-internal.h"
#include "text.h"

/* Parses "-A FORWARD rule" and takes its rule. */
int parse_rule_line(bs_family f, const char *rule, bs_rule *ret, bs_parse_error *err);
/* The same, which must parse. */
void parse_ok(bs_family f, const char *rule, bs_rule *ret);
/* The rule as the renderer prints it (caller frees). */
char *render(const bs_rule *r);
/* A change line, which must parse. */
void change_ok(bs_family f, const char *line, bs_change *c);
