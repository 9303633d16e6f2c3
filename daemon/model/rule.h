/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The typed rule model: one value per iptables rule, a chain, a table, and a
 * change to a table. Pure data plus helpers: no logging, no I/O, errors as
 * -errno. The codec (codec.h) turns these into kernel entry bytes and back,
 * the text layer (text.h) into `iptables -S` lines and back.
 *
 * Every field mirrors what the kernel stores, so that decode(encode(r)) == r
 * and encode(decode(bytes)) == bytes for everything the model knows. Matches
 * and targets the model does not know are kept as opaque bytes. */

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

/* Limits on every size a user controls. */
#define BS_CHAIN_NAME_MAX 28   /* iptables: XT_EXTENSION_MAXNAMELEN - 1 */
#define BS_TABLE_NAME_MAX 31
#define BS_EXT_NAME_MAX 28     /* match / target names */
#define BS_COMMENT_MAX 255     /* XT_MAX_COMMENT_LEN - 1 */
#define BS_LOG_PREFIX_MAX 29   /* 30 bytes with NUL */
#define BS_MULTIPORT_MAX 15    /* XT_MULTI_PORTS */
#define BS_MATCHES_MAX 16      /* matches in one rule */
#define BS_OPAQUE_MAX 65536    /* bytes of one opaque match/target payload */
#define BS_RULES_MAX 200000    /* rules in one table we are willing to hold */
#define BS_CHAINS_MAX 10000

typedef enum bs_family {
        BS_FAMILY_IPV4 = 4,
        BS_FAMILY_IPV6 = 6,
} bs_family;

/* Bit mask of families, for changes that apply to one or both. */
#define BS_FAMILY_MASK_IPV4 (1u << 0)
#define BS_FAMILY_MASK_IPV6 (1u << 1)
#define BS_FAMILY_MASK_BOTH (BS_FAMILY_MASK_IPV4 | BS_FAMILY_MASK_IPV6)
static inline unsigned bs_family_mask(bs_family f) {
        return f == BS_FAMILY_IPV6 ? BS_FAMILY_MASK_IPV6 : BS_FAMILY_MASK_IPV4;
}

/* An address (4 or 16 bytes in network order) with its mask. For IPv4 only
 * the first 4 bytes are used. The kernel stores the address already masked. */
typedef struct bs_addr {
        uint8_t addr[16];
        uint8_t mask[16];
} bs_addr;

/* An inclusive port range; lo == hi for a single port. "Any" is 0:65535. */
typedef struct bs_port_range {
        uint16_t lo, hi;
} bs_port_range;

/* ---------------------------------------------------------------- matches */

typedef enum bs_match_kind {
        BS_MATCH_TCP,
        BS_MATCH_UDP,
        BS_MATCH_ICMP,       /* IPv4 only */
        BS_MATCH_ICMP6,      /* IPv6 only */
        BS_MATCH_CONNTRACK,  /* revision 3; also `-m state` (STATE_ALIAS flag) */
        BS_MATCH_MULTIPORT,  /* revision 1 */
        BS_MATCH_COMMENT,
        BS_MATCH_LIMIT,
        BS_MATCH_ADDRTYPE,   /* revision 1 */
        BS_MATCH_MAC,
        BS_MATCH_IPRANGE,    /* revision 1 */
        BS_MATCH_OPAQUE,     /* anything else, kept as bytes */
        _BS_MATCH_KIND_MAX,
} bs_match_kind;

typedef struct bs_match_tcp {
        bs_port_range sport, dport;  /* 0:65535 when not given */
        bool sport_invert, dport_invert;
        uint8_t flg_mask, flg_cmp;   /* --tcp-flags MASK CMP; --syn is FIN,SYN,RST,ACK SYN */
        bool flags_invert;
        uint8_t option;              /* --tcp-option N, 0 when not given */
        bool option_invert;
} bs_match_tcp;

typedef struct bs_match_udp {
        bs_port_range sport, dport;
        bool sport_invert, dport_invert;
} bs_match_udp;

/* icmp and icmp6: type 255 (icmp) / any-type means "any"; codes min..max. */
typedef struct bs_match_icmp {
        uint8_t type;
        uint8_t code_min, code_max;
        bool invert;
} bs_match_icmp;

/* Mirrors struct xt_conntrack_mtinfo3 field for field: addresses in network
 * order, everything else in host order. Ports too: revision 3 keeps them in
 * host order (iptables 1.8.9 writes --ctorigdstport 22 as 22), unlike
 * revisions 1 and 2, whose ports were __be16. */
typedef struct bs_match_conntrack {
        bs_addr origsrc, origdst, replsrc, repldst;
        uint16_t match_flags, invert_flags;  /* XT_CONNTRACK_* */
        uint16_t state_mask, status_mask;    /* XT_CONNTRACK_STATE_BIT(), IPS_* */
        uint16_t l4proto;
        uint16_t origsrc_port, origsrc_port_high;  /* host order (see above) */
        uint16_t origdst_port, origdst_port_high;
        uint16_t replsrc_port, replsrc_port_high;
        uint16_t repldst_port, repldst_port_high;
        uint32_t expires_min, expires_max;
} bs_match_conntrack;

typedef enum bs_multiport_dir {
        BS_MULTIPORT_SOURCE = 0,      /* --sports, XT_MULTIPORT_SOURCE */
        BS_MULTIPORT_DESTINATION = 1, /* --dports */
        BS_MULTIPORT_EITHER = 2,      /* --ports */
} bs_multiport_dir;

typedef struct bs_match_multiport {
        bs_multiport_dir dir;
        uint8_t count;                        /* entries used in ports[] */
        uint16_t ports[BS_MULTIPORT_MAX];
        uint8_t pflags[BS_MULTIPORT_MAX];     /* 1: ports[i]..ports[i+1] is a range */
        bool invert;
} bs_match_multiport;

typedef struct bs_match_limit {
        uint32_t avg;    /* XT_LIMIT_SCALE units per packet, as the kernel stores it */
        uint32_t burst;
} bs_match_limit;

typedef struct bs_match_addrtype {
        uint16_t source, dest;  /* XT_ADDRTYPE_* bit masks, 0 = not given */
        uint32_t flags;         /* XT_ADDRTYPE_INVERT_SOURCE/_DEST, LIMIT_IFACE_IN/OUT */
} bs_match_addrtype;

typedef struct bs_match_mac {
        uint8_t addr[6];
        bool invert;
} bs_match_mac;

typedef struct bs_match_iprange {
        uint8_t src_min[16], src_max[16], dst_min[16], dst_max[16];
        uint8_t flags;  /* IPRANGE_SRC, IPRANGE_DST, IPRANGE_SRC_INV, IPRANGE_DST_INV */
} bs_match_iprange;

/* An extension the model does not know: its name, revision and payload (the
 * bytes after struct xt_entry_match, exactly as the kernel returned them). */
typedef struct bs_opaque {
        char name[BS_EXT_NAME_MAX + 1];
        uint8_t revision;
        uint8_t *data;
        size_t size;
} bs_opaque;

typedef struct bs_match {
        bs_match_kind kind;
        union {
                bs_match_tcp tcp;
                bs_match_udp udp;
                bs_match_icmp icmp;  /* BS_MATCH_ICMP and BS_MATCH_ICMP6 */
                bs_match_conntrack conntrack;
                bs_match_multiport multiport;
                char comment[BS_COMMENT_MAX + 1];
                bs_match_limit limit;
                bs_match_addrtype addrtype;
                bs_match_mac mac;
                bs_match_iprange iprange;
                bs_opaque opaque;
        };
} bs_match;

/* ---------------------------------------------------------------- targets */

typedef enum bs_target_kind {
        BS_TARGET_NONE,     /* no -j: the rule only counts */
        BS_TARGET_ACCEPT,
        BS_TARGET_DROP,
        BS_TARGET_RETURN,
        BS_TARGET_QUEUE,
        BS_TARGET_JUMP,     /* -j CHAIN */
        BS_TARGET_GOTO,     /* -g CHAIN */
        BS_TARGET_REJECT,
        BS_TARGET_LOG,
        BS_TARGET_OPAQUE,
        _BS_TARGET_KIND_MAX,
} bs_target_kind;

/* --reject-with; the values are the kernel's enum for each family
 * (ipt_reject_with / ip6t_reject_with). */
typedef struct bs_target_reject {
        uint32_t with;
} bs_target_reject;

typedef struct bs_target_log {
        uint8_t level;   /* syslog level, default 4 (warning) */
        uint8_t flags;   /* XT_LOG_TCPSEQ, _TCPOPT, _IPOPT, _UID, _MACDECODE */
        char prefix[BS_LOG_PREFIX_MAX + 1];
} bs_target_log;

typedef struct bs_target {
        bs_target_kind kind;
        union {
                char chain[BS_CHAIN_NAME_MAX + 1];  /* JUMP, GOTO */
                bs_target_reject reject;
                bs_target_log log;
                bs_opaque opaque;
        };
} bs_target;

/* ------------------------------------------------------------------ rules */

enum {
        BS_FRAG_ANY = 0,
        BS_FRAG_YES = 1,  /* -f */
        BS_FRAG_NO = 2,   /* ! -f */
};

typedef struct bs_rule {
        bs_family family;

        bs_addr src, dst;
        bool src_invert, dst_invert;

        char in_iface[IFNAMSIZ], out_iface[IFNAMSIZ];  /* "" = any, "eth+" wildcard */
        bool in_invert, out_invert;

        uint16_t proto;      /* 0 = any */
        bool proto_invert;
        uint8_t frag;        /* BS_FRAG_*, IPv4 only */

        bs_match *matches;   /* in kernel order */
        size_t n_matches;

        bs_target target;

        uint64_t packets, bytes;
        /* Where the rule sits in the kernel's table it was read from, for
         * the table access (nf-raw-write.inc.c) alone: a stamp of one staging
         * in the high 32 bits, the entry's index + 1 in the low ones; 0
         * or any other stamp: none. Copies keep it; no comparison or text
         * form looks at it. A stamped rule is written as the kernel's bytes
         * it was read from: code that changes a rule's fields in place must
         * set origin to 0 (nothing does today: changes replace rules). */
        uint64_t origin;
} bs_rule;

typedef enum bs_policy {
        BS_POLICY_NONE = 0,  /* user-defined chain */
        BS_POLICY_ACCEPT,
        BS_POLICY_DROP,
} bs_policy;

typedef struct bs_chain {
        char name[BS_CHAIN_NAME_MAX + 4];  /* built-in names can be up to 31 */
        bool builtin;
        bs_policy policy;
        uint64_t policy_packets, policy_bytes;
        bs_rule *rules;
        size_t n_rules, cap_rules;  /* cap_rules: room from rules[0] on */
        /* Free slots before rules[0] in its allocation (which begins at
         * rules - head_rules): inserting near the front moves the rules
         * before the position down into them, so that n inserts at position
         * 1 cost O(n), not O(n^2). Anything freeing or replacing `rules`
         * frees rules - head_rules and sets it to 0. */
        size_t head_rules;
} bs_chain;

/* One table of one family, in the order iptables-legacy lists it: built-in
 * chains in hook order, then user chains sorted by name (libiptc's order). */
typedef struct bs_table {
        bs_family family;
        char name[BS_TABLE_NAME_MAX + 1];
        bs_chain *chains;
        size_t n_chains, cap_chains;
        unsigned n_refs;  /* bs_table_ref; 1 from bs_table_new */
} bs_table;

/* ---------------------------------------------------------------- changes */

typedef enum bs_change_kind {
        BS_CHANGE_APPEND,        /* -A CHAIN RULE */
        BS_CHANGE_INSERT,        /* -I CHAIN [N] RULE (position 1-based, default 1) */
        BS_CHANGE_REPLACE,       /* -R CHAIN N RULE */
        BS_CHANGE_DELETE,        /* -D CHAIN RULE (first rule equal to it) */
        BS_CHANGE_DELETE_NUM,    /* -D CHAIN N */
        BS_CHANGE_POLICY,        /* -P CHAIN ACCEPT|DROP */
        BS_CHANGE_NEW_CHAIN,     /* -N CHAIN */
        BS_CHANGE_DELETE_CHAIN,  /* -X CHAIN (must be empty and unreferenced) */
        BS_CHANGE_FLUSH,         /* -F CHAIN */
        _BS_CHANGE_KIND_MAX,
} bs_change_kind;

typedef struct bs_change {
        bs_change_kind kind;
        unsigned families;  /* BS_FAMILY_MASK_*: which families this change is for */
        char table[BS_TABLE_NAME_MAX + 1];  /* "filter" unless -t was given */
        char chain[BS_CHAIN_NAME_MAX + 4];
        uint32_t position;  /* INSERT, REPLACE, DELETE_NUM: 1-based */
        bs_policy policy;   /* POLICY */
        bs_rule rule;       /* APPEND, INSERT, REPLACE, DELETE */
} bs_change;

/* ---------------------------------------------------------------- helpers */

void bs_rule_init(bs_rule *r, bs_family family);  /* any address, no matches, no target */
void bs_rule_done(bs_rule *r);                    /* frees what r owns; r stays valid-empty */
int bs_rule_copy(bs_rule *dst, const bs_rule *src); /* deep copy, -ENOMEM */
/* Equal as rules: every field but the counters, with the interface "+"
 * (every interface) equal to none, which it matches alike and which every
 * text form prints alike. This is what `-D RULE` and `iptables -C`
 * compare. */
bool bs_rule_equal(const bs_rule *a, const bs_rule *b) _pure_;
/* Append a match; returns a pointer to it (zeroed, kind set) or NULL on
 * -ENOMEM / too many matches. */
bs_match *bs_rule_add_match(bs_rule *r, bs_match_kind kind);

void bs_match_done(bs_match *m);
int bs_match_copy(bs_match *dst, const bs_match *src);
bool bs_match_equal(const bs_match *a, const bs_match *b) _pure_;
void bs_target_done(bs_target *t);
int bs_target_copy(bs_target *dst, const bs_target *src);
bool bs_target_equal(const bs_target *a, const bs_target *b) _pure_;

/* Address helpers. prefix_len -1 means "not a prefix" (non-contiguous mask). */
int bs_addr_prefix_len(const bs_addr *a, bs_family family) _pure_;
void bs_addr_set_prefix(bs_addr *a, bs_family family, unsigned prefix_len);
bool bs_addr_is_any(const bs_addr *a) _pure_;

bs_table *bs_table_new(bs_family family, const char *name);
void bs_table_free(bs_table *t);  /* drops a reference (see bs_table_ref) */
static inline void bs_table_freep(bs_table **t) {
        if (*t)
                bs_table_free(*t);
}
#define _cleanup_table_ _cleanup_(bs_table_freep)
/* Another reference to t (returned): the table is freed when the last
 * holder calls bs_table_free. A shared table is read-only but for its
 * counters (the read cache refreshes them): whoever wants to change its
 * rules copies it first. */
bs_table *bs_table_ref(bs_table *t);
int bs_table_copy(bs_table **ret, const bs_table *src);
/* A chain's name, kind, policy and counters, without rules (d gets none). */
void bs_chain_copy_header(bs_chain *d, const bs_chain *s);
/* Copies of s's rules into d, which has none (on error d holds those
 * copied so far: free it with the table). */
int bs_chain_copy_rules(bs_chain *d, const bs_chain *s);
bs_chain *bs_table_find_chain(const bs_table *t, const char *name) _pure_;
/* Whether a rule of t jumps or goes to the chain called name. */
bool bs_table_chain_referenced(const bs_table *t, const char *name) _pure_;
/* Frees c's rules and takes c (one of t's chains) out of t. */
void bs_table_remove_chain(bs_table *t, bs_chain *c);
/* Adds a chain in libiptc order (built-ins first in the order added, user
 * chains sorted). -EEXIST, -EINVAL (bad name), -E2BIG, -ENOMEM. */
int bs_table_add_chain(bs_table *t, const char *name, bool builtin, bs_policy policy, bs_chain **ret);
/* Takes ownership of *r (left empty) and puts it at 0-based index pos
 * (pos == n_rules appends). */
int bs_chain_insert_rule(bs_chain *c, size_t pos, bs_rule *r);
/* Room, in one allocation per chain, for the rules the changes for these
 * families (a mask) append to each chain t has: 10,000 appends grew the
 * chain's array 11 times, clearing what each growth added. */
int bs_table_reserve_appends(bs_table *t, const bs_change *changes, size_t n, unsigned families);
/* Room for n more rules at the end of c, in one exact allocation (a
 * chain decoded whose size is known). -E2BIG past BS_RULES_MAX. */
int bs_chain_reserve(bs_chain *c, size_t n);
void bs_chain_remove_rule(bs_chain *c, size_t pos);
size_t bs_table_count_rules(const bs_table *t) _pure_;
/* Equal as rulesets: chains, policies, rules; counters ignored. */
bool bs_table_equal(const bs_table *a, const bs_table *b) _pure_;

/* Apply one change to an in-memory table (the same semantics iptables has:
 * -ENOENT no such chain / rule, -EEXIST chain exists, -ENOTEMPTY chain not
 * empty, -EBUSY chain referenced, -ERANGE position out of range, -EINVAL
 * policy on a user chain). Changes whose families mask excludes t's family
 * are a no-op returning 0. On error t is unchanged. */
int bs_table_apply_change(bs_table *t, const bs_change *c);

void bs_change_init(bs_change *c, bs_change_kind kind, unsigned families);
void bs_change_done(bs_change *c);
int bs_change_copy(bs_change *dst, const bs_change *src);

bool bs_chain_name_valid(const char *name) _pure_;
bool bs_builtin_chain(const char *table, const char *chain) _pure_;
const char *bs_policy_to_string(bs_policy p) _pure_;
/* What -j names: "ACCEPT", "DROP", a chain, an extension's name; NULL for
 * a rule without target. */
const char *bs_target_name(const bs_target *t) _pure_;
const char *bs_family_to_string(bs_family f) _pure_;
