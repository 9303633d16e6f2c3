/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The transaction journal: everything needed to undo a pending transaction
 * after the daemon crashed or was restarted. One file, "journal", in the
 * runtime directory, written atomically. Versioned text format:
 *
 *   backstop-journal 2
 *   id 7
 *   owner-uid 1000
 *   strict 0
 *   save 1
 *   deadline-boottime-usec 123456789     (CLOCK_BOOTTIME)
 *   deadline-realtime-usec 1790000000000000
 *   change 42                            (byte count, then the bytes and \n;
 *   iptables -I INPUT 1 -s 10.0.0.0/8 -j ACCEPT    once per change)
 *   connections 0                        (pre-apply connection set, strict mode)
 *
 *   table before ipv4 512                (iptables-save text with counters)
 *   ...
 *   end 0123456789abcdef                 (FNV-1a 64 of everything before "end")
 *
 * The table right after the transaction is not written: it is the table
 * before with the changes applied (each "iptables ..." change to IPv4, each
 * "ip6tables ..." one to IPv6, in order), which the parser recomputes, so
 * writing the journal costs one table's text, not two. (Version 1, still
 * read, wrote it as "table after FAMILY N" after each "table before".)
 *
 * Parsing validates every line, every number, every table (through the text
 * layer), every change (through the parser and the model) and the
 * checksum; anything unexpected is -EBADMSG with a message. No logging
 * here. */

#include <stdbool.h>
#include <stdint.h>

#include "rule.h"
#include "text.h"

#define BS_JOURNAL_VERSION 3
#define BS_JOURNAL_FILE "journal"
#define BS_JOURNAL_MAX (256u * 1024 * 1024)
/* A change set has at most 10,000 lines (BS_CHANGESET_MAX), each one
 * change per family: up to twice as many commands. */
#define BS_JOURNAL_CHANGES_MAX 20000

typedef struct bs_journal {
        uint32_t id;
        uint32_t owner_uid;
        bool strict, save;
        uint64_t deadline_boottime_usec;  /* 0 = no deadline */
        uint64_t deadline_realtime_usec;
        char **changes;  /* the iptables commands, for the Changes property */
        size_t n_changes, cap_changes;
        /* what changes[] point into (a string each, or one for a whole
         * set): freed with the journal, not one by one */
        char **blocks;
        size_t n_blocks, cap_blocks;
        char *connections;                /* opaque text, "" when not used */
        bs_table *before[2], *after[2];   /* [0] IPv4, [1] IPv6; NULL: family not managed */
} bs_journal;

/* The checksum of a journal's end line, over the n bytes before it:
 * FNV-1a 64 a byte at a time (versions 1 and 2), or, from version 3, a
 * 64-bit little-endian word at a time and the last bytes one by one (a
 * tenth of the time: 1.5 ms for a 10,000-change journal was a millisecond
 * and a half of each Apply). Both change when any one word does (each
 * step is a bijection of the state), which is what a torn or corrupt file
 * needs; neither is meant against an attacker (the file is root's). */
uint64_t bs_journal_checksum(unsigned version, const char *p, size_t n);
/* The checksum version a journal's text declares (its first line). */
unsigned bs_journal_text_version(const char *text, size_t len);

bs_journal *bs_journal_new(void);
void bs_journal_free(bs_journal *j);
static inline void bs_journal_freep(bs_journal **j) {
        if (*j)
                bs_journal_free(*j);
}
#define _cleanup_journal_ _cleanup_(bs_journal_freep)
/* Copies s. */
int bs_journal_add_change(bs_journal *j, const char *s);
/* Copies n changes at once, into one allocation. */
int bs_journal_add_changes(bs_journal *j, char *const *changes, size_t n);

/* -EINVAL when a family has a table before but none after, or a table of
 * the wrong family. changes must be what turned before into after (the
 * parser recomputes after from them; it is not written). */
int bs_journal_format(const bs_journal *j, bs_buf *out);
/* err receives a sentence naming the bad line (may be NULL). */
int bs_journal_parse(const char *text, size_t len, bs_journal **ret, char *err, size_t err_size);

/* dir/journal, atomically. */
int bs_journal_write(const char *dir, const bs_journal *j);
/* -ENOENT when there is none, -EBADMSG when it is corrupt (err says why). */
int bs_journal_load(const char *dir, bs_journal **ret, char *err, size_t err_size);
/* Removes dir/journal (0 if there was none). */
int bs_journal_remove(const char *dir);
/* dir/journal-ended holds the id of the last transaction whose journal
 * could not be removed when it ended (confirmed or rolled back): a journal
 * with that id is over, whatever it says. Written atomically. */
#define BS_JOURNAL_ENDED_FILE "journal-ended"
int bs_journal_mark_ended(const char *dir, uint32_t id);
/* -ENOENT when there is no such record (or it does not parse). */
int bs_journal_ended_id(const char *dir, uint32_t *ret);
/* Renames dir/journal to dir/journal.corrupt-<realtime seconds>; the new
 * name in *ret_path (may be NULL). */
int bs_journal_set_aside(const char *dir, char **ret_path);

/* Transaction ids: dir/last-id holds the last one handed out. */
int bs_journal_next_id(const char *dir, uint32_t *ret);
