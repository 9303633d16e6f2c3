/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The saved ruleset: STATE_DIR/rules.v4 and rules.v6 in iptables-save
 * format (iptables-legacy-restore reads them too), written atomically.
 * No logging, -errno. */

#include <sys/stat.h>

#include "nf.h"
#include "text.h"

#define BS_RULES_V4 "rules.v4"
#define BS_RULES_V6 "rules.v6"
#define BS_RULES_FILE_MAX (128u * 1024 * 1024)

const char *bs_persist_file(bs_family f);

/* Writes the file of each table given, both or neither (but for a
 * rename failing between the two). tables[1] NULL means the host has no
 * IPv6: a rules.v6 there is removed. */
int bs_persist_save(const char *state_dir, const bs_table *const tables[2]);
/* -ENOENT when there is no saved file for the family, -EBADMSG (err
 * filled) when it does not parse. */
int bs_persist_load(const char *state_dir, bs_family f, bs_table **ret, bs_parse_error *err);
/* What a saved file parsed to, kept while the file stays the same (by
 * device, inode, size, mtime and ctime). */
typedef struct bs_persist_cache {
        bool valid;
        bs_family family;
        struct stat st;
        bs_table *table;  /* NULL: the file did not parse */
} bs_persist_cache;
void bs_persist_cache_done(bs_persist_cache *c);

/* Whether the given running tables equal the saved ones (a family with a
 * NULL table is not compared, but a rules.v6 next to an IPv4 table alone
 * makes it false: Save would remove it). No saved file, or one that does
 * not parse: false. cache (optional, indexed like tables) keeps the parsed files
 * between calls, so that asking again costs a stat, not a parse. */
int bs_persist_equal(const char *state_dir, const bs_table *const tables[2], bs_persist_cache cache[2],
                     bool *ret);

/* The form the saved and the running rules are compared in: iptables-save
 * text without counters, the policies' counters as [0:0] (a difference in
 * counters is no difference in rules). */
int bs_persist_render_plain(const bs_table *t, bs_buf *out);
/* The saved table of family f in that form (cache as for bs_persist_equal,
 * optional). -ENOENT: no saved file; -EBADMSG: it does not parse. */
int bs_persist_saved_text(const char *state_dir, bs_family f, bs_persist_cache *cache, bs_buf *out);
