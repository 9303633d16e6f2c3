/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Rules as text, exactly as iptables-legacy / ip6tables-legacy print them
 * with -S (and iptables-save), and the same syntax parsed back. Pure code:
 * no logging, errors as -errno plus a message naming the bad word. */

#include "rule.h"

/* A growing string buffer. */
typedef struct bs_buf {
        char *data;
        size_t len, cap;
} bs_buf;
void bs_buf_done(bs_buf *b);
int bs_buf_append(bs_buf *b, const char *s);
int bs_buf_printf(bs_buf *b, const char *fmt, ...) _printf_(2, 3);
/* Room for extra more bytes (and the NUL) without growing: for a buffer
 * whose final size is about known. */
int bs_buf_reserve(bs_buf *b, size_t extra);
#define _cleanup_buf_ _cleanup_(bs_buf_done)

/* What went wrong in a parse: index of the offending word in the split
 * line (0-based, -1 when not about one word), the word itself, and a
 * sentence a user can act on, e.g. `"--dport": port "70000" out of range`. */
typedef struct bs_parse_error {
        int word_index;
        char word[128];
        char message[256];
} bs_parse_error;

/* Extensions the model does not know (opaque matches and targets) go
 * through a provider the daemon installs (its libxtables helper,
 * daemon/xtables/). Without one, or where it fails, an opaque extension is
 * printed whole in a form of our own that iptables-restore refuses and this
 * parser reads back exactly:
 *     -m NAME --backstop-raw REVISION:HEX    (-j NAME ... for a target)
 * never as a shorter rule that would mean something else. */
#define BS_RAW_OPTION "--backstop-raw"

typedef struct bs_ext_render_item {
        bs_family family;
        bool target;
        uint16_t proto;        /* the rule's -p, which some extensions print by */
        bool proto_invert;
        const bs_opaque *opaque;
        char *text;  /* out (malloc): " -m NAME OPTIONS" as iptables -S prints it; NULL: not rendered */
        /* out: the text reads back to these very bytes; else to the same
         * but for bytes at the extension's initial values (recent's mask
         * union), which a display may show and a saved file may not */
        bool exact;
} bs_ext_render_item;

typedef struct bs_ext_option {
        char name[64];    /* long option without the dashes */
        uint8_t has_arg;  /* getopt: 0 none, 1 required, 2 optional (only as --opt=ARG) */
} bs_ext_option;

typedef struct bs_ext_provider {
        /* Fill items[i].text where it can; items it cannot render keep NULL.
         * A negative return (no provider process, ...) leaves them all NULL. */
        int (*render)(void *userdata, bs_ext_render_item *items, size_t n);
        /* The options of an extension (kept by the provider, valid until
         * the next call); -ENOENT with msg when there is no such extension. */
        int (*describe)(void *userdata, bs_family f, bool target, const char *name, const bs_ext_option **ret,
                        size_t *ret_n, char *msg, size_t msg_size);
        /* The extension's option words (as given, "!" included) parsed into
         * a payload; -EINVAL with the extension's own message. */
        int (*parse)(void *userdata, bs_family f, bool target, const char *name, uint16_t proto, bool proto_invert,
                     char *const *words, size_t n, bs_opaque *ret, char *msg, size_t msg_size);
} bs_ext_provider;
/* Installs the provider for every later render and parse (NULL: none). */
void bs_text_set_ext_provider(const bs_ext_provider *p, void *userdata);
/* The extensions of t's rules, every chain, as the render asks the
 * provider for them (texts not filled): *ret (malloc; NULL when none)
 * points into t. */
int bs_text_ext_items(const bs_table *t, bs_ext_render_item **ret, size_t *n);

/* The rule part of an -A line after "-A CHAIN", as -S prints it, e.g.
 * "-s 10.0.0.0/8 -p tcp -m tcp --dport 22 -j ACCEPT" (no leading space). */
int bs_render_rule(const bs_rule *r, bs_buf *out);
/* Many rules of one table printed one at a time (ListRules): the opaque
 * extensions of the table (of one chain when chain is set) go to the
 * provider in one call first, then each bs_rule_texts_render prints a rule
 * as bs_render_rule does. Rules are taken in the table's order (any of
 * them may be left out); one printed out of order shows raw. */
typedef struct bs_rule_texts bs_rule_texts;
int bs_rule_texts_new(const bs_table *t, const char *chain, bs_rule_texts **ret);
int bs_rule_texts_render(bs_rule_texts *x, const bs_rule *r, bs_buf *out);
void bs_rule_texts_free(bs_rule_texts *x);
/* "-A CHAIN <rule>", with "-c PKTS BYTES" when counters is true placed
 * where iptables -S -v prints it: after the matches, before the target. */
int bs_render_rule_line(const bs_rule *r, const char *chain, bool counters, bs_buf *out);
/* A whole table, or one chain of it (chain != NULL), exactly as `-S [CHAIN]`
 * prints it: -P lines, -N lines, then -A lines; each line ends in '\n'.
 * -ENOENT if the chain does not exist. */
int bs_render_table(const bs_table *t, const char *chain, bool counters, bs_buf *out);
/* iptables-save format for one table: "*filter", ":CHAIN POLICY [p:b]",
 * -A lines (with "[p:b] " counters when counters is true), "COMMIT". What
 * is saved must read back to the same bytes: an extension whose text
 * reads back to bytes of the same meaning only is saved raw. */
int bs_render_save(const bs_table *t, bool counters, bs_buf *out);
/* The same with every opaque extension in the raw form: exact, and read
 * back without any provider (what the journal keeps). */
int bs_render_save_raw(const bs_table *t, bool counters, bs_buf *out);
/* The iptables command that performs a change (opaque extensions in the
 * raw form: the journal reads these back), e.g.
 * "iptables -I INPUT 1 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT"
 * ("ip6tables ..." for IPv6; "-t TABLE" added when not filter). */
int bs_render_change(const bs_change *c, bs_family family, bs_buf *out);

/* Split a line into words the way a shell would for iptables arguments:
 * whitespace separates, "double" and 'single' quotes group, backslash
 * escapes. -EINVAL with err filled on an unterminated quote. At most
 * BS_WORDS_MAX words and BS_LINE_MAX bytes (-E2BIG). */
#define BS_WORDS_MAX 256
#define BS_LINE_MAX 8192
int bs_split_words(const char *line, char ***ret_words, size_t *ret_n, bs_parse_error *err);
void bs_words_free(char **words, size_t n);
/* bs_split_words into storage kept from line to line (grown when a line
 * needs more): splitting many lines then takes one allocation, not one
 * each. words point into the storage until the next split or
 * bs_words_buf_done. */
typedef struct bs_words_buf {
        char **words;
        size_t n;
        void *mem;
        size_t size;
} bs_words_buf;
int bs_split_words_buf(const char *line, bs_words_buf *w, bs_parse_error *err);
void bs_words_buf_done(bs_words_buf *w);

/* Parse the rule options (everything after "-A CHAIN") for one family. */
int bs_parse_rule(bs_family family, char *const *words, size_t n, bs_rule *ret, bs_parse_error *err);
/* Parse a change line: [-4|-6] [-t TABLE] -A|-I|-R|-D|-P|-N|-X|-F CHAIN ...
 * for one family. A leading -4/-6 sets ret->families to that family only
 * and makes parsing for the other family fail with -EAFNOSUPPORT; without
 * it ret->families is the family asked for. */
int bs_parse_change(bs_family family, const char *line, bs_change *ret, bs_parse_error *err);
/* The same for a line already split into words (one argument per word, no
 * quoting): what the structured API (rule-dict.h) builds. err->word_index
 * indexes words. */
int bs_parse_change_words(bs_family family, char *const *words, size_t n, bs_change *ret, bs_parse_error *err);
/* bs_parse_change on a line split by the caller (bs_split_words): what
 * parsing one line for both families needs, splitting it once. */
int bs_parse_change_split(bs_family family, const char *line, char *const *words, size_t n, bs_change *ret,
                          bs_parse_error *err);
/* bs_parse_change_split building the change in *c itself, which holds an
 * empty change (nothing to free) after a failure: for a caller that parses
 * straight into where the change is to be kept, without a copy. */
int bs_parse_change_split_in(bs_family family, const char *line, char *const *words, size_t n, bs_change *c,
                             bs_parse_error *err);

/* Parse iptables-save output for one family (one or more tables; only the
 * table named `table` is returned, "filter" when NULL). Counters in
 * [p:b] form are kept. -EBADMSG with err naming the line on bad input. */
int bs_parse_save(bs_family family, const char *text, const char *table, bs_table **ret,
                  bs_parse_error *err);
