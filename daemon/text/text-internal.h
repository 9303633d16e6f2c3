/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Internals of the text layer, shared by text-*.c only. The canonical forms
 * and the parse rules follow iptables 1.8.9 (legacy), checked by experiment
 * (tests/text-canonical.txt, re-verified live by test-text-kernel). */

#include <netinet/in.h> /* before any linux/ header, for libc-compat */
#include <stdarg.h>

#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/xt_LOG.h>
#include <linux/netfilter/xt_addrtype.h>
#include <linux/netfilter/xt_conntrack.h>
#include <linux/netfilter/xt_iprange.h>
#include <linux/netfilter/xt_tcpudp.h>
#include <linux/netfilter_ipv4/ipt_REJECT.h>
#include <linux/netfilter_ipv6/ip6t_REJECT.h>

#include "text.h"

/* ------------------------------------------------------------ errors */

/* Fill err (may be NULL) and return -EINVAL. word may be NULL. */
int text_fail(bs_parse_error *err, int word_index, const char *word, const char *fmt, ...)
        _printf_(4, 5);
int text_failv(bs_parse_error *err, int word_index, const char *word, const char *fmt, va_list ap)
        _printf_(4, 0);

/* ------------------------------------------------------------ numbers */

/* xtables_strtoul semantics: optional leading blanks, no sign, the whole
 * string must be the number, base 0 accepts 0x.. and 0.. (octal). */
bool text_strtoul(const char *s, int base, uintmax_t min, uintmax_t max, uintmax_t *ret);
/* Plain decimal digits only (what getaddrinfo takes as a numeric port). */
bool text_decimal(const char *s, uintmax_t max, uintmax_t *ret);

/* ------------------------------------------------------------ appending */

/* Appends without the printf machinery (rendering 10,000 rules spent most
 * of its time in vsnprintf). text_buf_add_slow grows the buffer first. */
int text_buf_add_slow(bs_buf *b, const char *s, size_t n);
/* Inline, as rendering appends many short pieces: when the room is there
 * (nearly always) an append is a copy, for a literal a few moves. A buffer
 * with data always has cap > len (room for the NUL); an empty one has
 * cap == 0 and takes the slow path. */
static inline int text_buf_add(bs_buf *b, const char *s, size_t n) {
        if (n < b->cap - b->len) {
                memcpy(b->data + b->len, s, n);
                b->len += n;
                b->data[b->len] = '\0';
                return 0;
        }
        return text_buf_add_slow(b, s, n);
}
static inline int text_buf_add_str(bs_buf *b, const char *s) {
        return text_buf_add(b, s, strlen(s));
}
/* v in decimal, as "%ju" prints it; buf gets the digits and a NUL, the
 * length is returned. */
#define TEXT_U_MAX 21
size_t text_format_u(uintmax_t v, char buf[static TEXT_U_MAX]);
int text_buf_add_u(bs_buf *b, uintmax_t v);

/* ------------------------------------------------------------ quoting */

typedef enum text_style {
        TEXT_STYLE_IPTABLES, /* as iptables -S prints: "..." with \" \\ \' */
        TEXT_STYLE_SHELL,    /* a command line a POSIX shell reads back the same */
} text_style;

/* Append one word preceded by a space. free_text marks strings iptables
 * quotes (comments, log prefixes); in shell style every word is checked. */
int text_put_word(bs_buf *b, text_style style, bool free_text, const char *word);

/* ------------------------------------------------------------ names */

typedef struct text_icmp_name {
        const char *name;
        uint8_t type, code_min, code_max;
} text_icmp_name;
const text_icmp_name *text_icmp_names(bs_family f, size_t *n);

typedef struct text_reject_name {
        const char *name, *alias;
        uint32_t with;
} text_reject_name;
const text_reject_name *text_reject_names(bs_family f, size_t *n);
const char *text_reject_to_string(bs_family f, uint32_t with);

int text_log_level_from_string(const char *s); /* 0..7 or -1 */

typedef struct text_flag_name {
        const char *name;
        uint32_t bit;
} text_flag_name;
extern const text_flag_name text_tcp_flags[];       /* FIN..URG, then ALL, NONE */
extern const size_t text_tcp_flags_n;
extern const text_flag_name text_ct_states[];       /* in print order */
extern const size_t text_ct_states_n;
extern const text_flag_name text_ct_statuses[];     /* in print order */
extern const size_t text_ct_statuses_n;
extern const char *const text_addrtypes[];          /* bit i = 1 << i */
extern const size_t text_addrtypes_n;

/* xtables_parse_protocol: a number 0-255 (base 0), "all", a name from the
 * protocols database, or one of iptables' own names (icmpv6, mh, ...).
 * Returns 0 and sets *ret, or -ENOENT. */
int text_proto_from_string(const char *s, uint16_t *ret);
/* The name iptables prints for a protocol number, or NULL (print the
 * number). buf receives the name. */
const char *text_proto_to_name(uint16_t proto, char *buf, size_t size);

/* A service name looked up in /etc/services as getservbyname_r would
 * (its first entry with the name or alias, of protocol proto; NULL = any),
 * from a table read once and again when the file changes. Returns the port
 * or -1. */
int text_service_port(const char *name, const char *proto);
/* Where the table is read from (tests); the next lookup reads it. */
void text_services_use_file(const char *path);

/* Names of iptables extensions this layer does not model, for messages. */
bool text_known_target_extension(const char *name) _pure_;

/* ------------------------------------------------------------ addresses */

unsigned text_addr_len(bs_family f) _pure_;
/* xtables_numeric_to_ipaddr: 1-4 dotted parts, each 0-255 in base 0,
 * missing trailing parts are 0 ("10" is 10.0.0.0). */
bool text_ipv4_numeric(const char *s, uint8_t out[4]);
/* Numeric address of the family, iptables -s style (v4: above, v6: inet_pton). */
bool text_addr_numeric(bs_family f, const char *s, uint8_t out[16]);
/* Address then mask, for -s/-d. Stores the address masked. */
int text_parse_host_mask(bs_family f, const char *arg, bs_addr *ret, bs_parse_error *err, int word_index);
/* Address[/mask] for conntrack's --ctorigsrc & co (getaddrinfo rules for
 * the address, unmasked; no mask = all ones over 16 bytes). */
int text_parse_ct_addr(bs_family f, const char *arg, bs_addr *ret, bs_parse_error *err, int word_index);

/* "1.2.3.4" / "2001:db8::1" into buf (at least INET6_ADDRSTRLEN). */
const char *text_format_addr(bs_family f, const uint8_t *addr, char *buf, size_t size);
/* addr/prefix as -s prints it: always with "/N" or "/MASK". */
int text_put_host_mask(bs_buf *b, bs_family f, const bs_addr *a);
/* addr[/N] as conntrack prints it: no suffix for a full mask. */
int text_put_ct_addr(bs_buf *b, bs_family f, const bs_addr *a);

/* ------------------------------------------------------------ rendering */

/* The provider's texts for the opaque extensions of what is rendered, in
 * the order the rendering meets them (text-ext.c). */
typedef struct text_ext_texts {
        bs_ext_render_item *items;
        size_t n, next;
        bool exact_only; /* a saved file: only texts that read back to the very bytes */
} text_ext_texts;
/* Every opaque extension of t (of one chain when only is set), rendered by
 * the provider in one call. Without a provider x stays empty. */
int text_ext_prepare_table(const bs_table *t, const bs_chain *only, text_ext_texts *x);
int text_ext_prepare_rule(const bs_rule *r, text_ext_texts *x);
void text_ext_texts_done(text_ext_texts *x);
/* The next opaque extension: the provider's text when x has it (x may be
 * NULL), else the raw form. */
int text_render_opaque(bs_buf *b, text_ext_texts *x, const bs_rule *r, bool target, const bs_opaque *o);
/* ext: the prepared texts, NULL for the raw form. */
int text_render_rule(const bs_rule *r, bool counters, text_style style, text_ext_texts *ext, bs_buf *out);

/* ------------------------------------------------------------ parsing */

typedef struct text_parse_state text_parse_state;
typedef struct text_ext_inst text_ext_inst;

typedef struct text_opt {
        const char *name; /* long name without the dashes */
        uint8_t id;
        bool has_arg;
        bool invert; /* may follow "!" */
        bool optional_arg; /* an argument only as --opt=ARG (extensions of the provider) */
} text_opt;

/* An extension the model knows (text-parse-ports.c, text-parse-match.c,
 * text-parse-target.c): its options parsed into the values iptables 1.8.9
 * hands to the kernel (defaults included). Where iptables accepts something
 * that can never match and that its own -S output then misrepresents (an
 * inverted full port range, conntrack port "5:0", "255/3" for icmp,
 * "! -i +"), we refuse it with a message instead. */
typedef struct text_ext {
        const char *name;
        bool target;
        bs_match_kind kind; /* matches */
        const text_opt *opts;
        void (*init)(text_parse_state *s, text_ext_inst *x);
        /* arg is NULL for options without argument; word is the index of arg
         * (or of the option when it has none). */
        int (*option)(text_parse_state *s, text_ext_inst *x, const text_opt *o, const char *arg, int word,
                      bool invert);
        int (*final)(text_parse_state *s, text_ext_inst *x);
} text_ext;

typedef struct text_foreign text_foreign;
struct text_ext_inst {
        const text_ext *ext;
        text_foreign *foreign; /* an extension of the provider (text-ext.c), else NULL */
        size_t match; /* index in rule->matches; SIZE_MAX for the target */
        unsigned seen; /* option ids used, BIT(id) each */
        int word;      /* the -m / -j word, for messages */
};

/* Initialized field by field (text_parse_state_init below): a field added
 * here must be added there. */
struct text_parse_state {
        bs_family family;
        bs_rule *rule;
        bs_parse_error *err;
        char *const *words;
        size_t n, i;
        uint64_t seen;   /* main options used, TEXT_HEADER_BIT(letter) each */
        bool proto_used; /* the protocol's match was loaded implicitly */
        text_ext_inst inst[BS_MATCHES_MAX + 1];
        size_t n_inst;
        bs_change *change; /* NULL when parsing only a rule */
        bool command_seen;
        int opt_word; /* the option word being handled, for messages */
};

/* Every field but inst[], of which only the first n_inst are ever read:
 * zeroing it all (an initializer does) was as much work per line as
 * parsing an address. */
static inline void text_parse_state_init(text_parse_state *s, bs_family family, bs_rule *rule, bs_change *change,
                                         char *const *words, size_t n, bs_parse_error *err) {
        s->family = family;
        s->rule = rule;
        s->err = err;
        s->words = words;
        s->n = n;
        s->i = 0;
        s->seen = 0;
        s->proto_used = false;
        s->n_inst = 0;
        s->change = change;
        s->command_seen = false;
        s->opt_word = 0;
}

static inline bs_match *text_inst_match(text_parse_state *s, text_ext_inst *x) {
        return &s->rule->matches[x->match];
}

/* The parser's messages: text_fail with the state's error. */
#define FAIL(s, idx, word, ...) text_fail((s)->err, (int) (idx), (word), __VA_ARGS__)
#define BIT(id) (1u << (id))

/* One bit per option letter (0 for anything else), so that a set of
 * letters is a constant mask: a test per option instead of a strchr. */
#define TEXT_HEADER_INDEX(c)                                                   \
        ((c) >= 'a' && (c) <= 'z'   ? (c) - 'a'                                \
         : (c) >= 'A' && (c) <= 'Z' ? 26 + (c) - 'A'                           \
         : (c) >= '0' && (c) <= '9' ? 52 + (c) - '0'                           \
                                    : 64)
#define TEXT_HEADER_BIT(c) (TEXT_HEADER_INDEX(c) < 64 ? 1ull << (TEXT_HEADER_INDEX(c) & 63) : 0)

/* text-ext.c: "-m NAME" / "-j NAME" of an extension the model does not
 * know: the raw form read back, else the provider's options loaded (its
 * words collected, parsed by the provider in the final check). */
int text_load_foreign(text_parse_state *s, bool target, const char *name, int word);
/* Frees what the parse of s allocated for foreign extensions. */
void text_parse_state_done(text_parse_state *s);
/* The host extension iptables loads for a protocol besides the model's
 * own (sctp, dccp, esp, ah, mh, ...), NULL if none. */
const char *text_proto_extension(bs_family f, uint16_t proto) _pure_;
/* text-parse.c: a match instance for e, at word. */
int text_load_match(text_parse_state *s, const text_ext *e, int word);

/* text-parse.c: every option of s->words, in order. */
int text_parse_loop(text_parse_state *s);
/* After the loop: each extension's final check, then what the kernel
 * checks when the rule is added. */
int text_check_rule(text_parse_state *s);
/* The next word for an option that takes two (--tcp-flags), or NULL. */
const char *text_take_word(text_parse_state *s, int *word_index);

/* text-parse-ports.c: a port or a port range, tcp style when proto is set
 * (the rules are there); the port matches themselves. */
int text_parse_port_range(text_parse_state *s, const char *arg, const char *proto, int word, bs_port_range *ret);
extern const text_ext text_tcp_ext, text_udp_ext, text_multiport_ext;

/* Extension lookup by -m / -j name for the family, NULL if unknown. */
const text_ext *text_find_match(bs_family f, const char *name) _pure_;
const text_ext *text_find_target(const char *name) _pure_;
/* The match loaded implicitly for a protocol number (tcp, udp, icmp, icmp6). */
const text_ext *text_proto_match(bs_family f, uint16_t proto) _pure_;
