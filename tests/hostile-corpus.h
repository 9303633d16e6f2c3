/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A generated corpus of bad calls to backstopd: wrong signatures, wrong
 * variant types and unknown keys in a{sv}, huge strings and arrays, bad
 * addresses, ports, interfaces and chain names, rule text that does not
 * parse, transactions that do not exist or are over, made-up objects,
 * interfaces, methods and properties, bad structured changes. Each call
 * names the error root gets and the one an unprivileged caller gets. */

#include "hostile-util.h"

typedef struct BadCall BadCall;

typedef struct Corpus {
        GPtrArray *calls;  /* BadCall */
        char *ended_confirmed, *ended_rolled_back;  /* transaction paths */
} Corpus;

/* The corpus; the two paths are of transactions already confirmed and
 * rolled back (NotPending targets). */
Corpus *corpus_new(const char *ended_confirmed, const char *ended_rolled_back);
void corpus_free(Corpus *k);
/* Send every call on c; count the failures (each printed). */
guint run_corpus(GDBusConnection *c, Corpus *k, gboolean privileged);
