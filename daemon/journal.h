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
 * Or, from version 4, instead of the "table before" lines:
 *
 *   base journal-base-17 0123456789abcdef   (file in the same directory, its checksum)
 *   replay 42                            (byte count, then a command and \n;
 *   iptables -A INPUT -j ACCEPT          once per command since the base)
 *
 * The base file is "backstop-journal-base 1", its "table before FAMILY N"
 * blobs and an end line, checksummed as a journal.
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

#define BS_JOURNAL_VERSION 4
#define BS_JOURNAL_FILE "journal"
#define BS_JOURNAL_MAX (256u * 1024 * 1024)
/* A change set has at most 10,000 lines (BS_CHANGESET_MAX), each one
 * change per family: up to twice as many commands. */
#define BS_JOURNAL_CHANGES_MAX 20000

/* The tables before a transaction, written once for a run of transactions
 * that follow one another on tables nobody else changed: a base file
 * (journal-base-N in the runtime directory) holds the tables as they were
 * at the first, and each journal names it and lists the commands applied
 * since ("replay"), so that an insert into a 10,000-rule table writes a
 * few hundred bytes, not the table. Refcounted: the manager holds the
 * current one, each journal the one it names; replay only grows (a new
 * base starts a new list), and a journal reads its first n_replay. */
typedef struct bs_journal_base {
        unsigned n_ref;
        char name[48];      /* "journal-base-N" */
        uint64_t checksum;  /* of the file, as its end line says */
        char **replay;      /* "iptables ..." / "ip6tables ..." commands, in order */
        size_t n_replay, cap_replay, replay_bytes;
} bs_journal_base;

/* A run's replay list ends (and the next journal writes a new base) past
 * these: a journal's parse replays them all. */
#define BS_JOURNAL_REPLAY_MAX 4096
#define BS_JOURNAL_REPLAY_BYTES_MAX (1024u * 1024)

bs_journal_base *bs_journal_base_ref(bs_journal_base *b);
void bs_journal_base_unref(bs_journal_base *b);
static inline void bs_journal_base_unrefp(bs_journal_base **b) {
        if (*b)
                bs_journal_base_unref(*b);
}
#define _cleanup_journal_base_ _cleanup_(bs_journal_base_unrefp)
/* Writes tables (NULL: family not managed) to a new base file in dir, and
 * removes every other base file there: called only when no journal is
 * pending. */
int bs_journal_base_write(const char *dir, const bs_table *const tables[2], bs_journal_base **ret);
/* Copies the commands onto the base's replay list. */
int bs_journal_base_append(bs_journal_base *b, char *const *commands, size_t n);
/* Whether a valid base file name: "journal-base-" and digits. */
bool bs_journal_base_name_valid(const char *name);

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
        /* When set, the tables before are written as this base and its
         * first n_replay commands (before[] must be what they give). A
         * parsed journal that names a base has it here, with the name,
         * checksum and replay read, and no tables until bs_journal_load
         * reads the base file. */
        bs_journal_base *base;
        size_t n_replay;
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
/* Each table (NULL: none) as a "table before FAMILY N" blob. */
int bs_journal_format_tables(const bs_table *const tables[2], bs_buf *out);
/* err receives a sentence naming the bad line (may be NULL). A journal
 * that names a base comes back with j->base set and no tables (see
 * bs_journal; bs_journal_load reads the base). */
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
