/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The rule evaluator: what the filter table does with one packet.
 *
 * Given a filter table and a description of a packet, walk the chain of the
 * packet's hook the way the kernel does (jumps, gotos, RETURN, policies) and
 * report the verdict and the rule that decided it. Every match the model
 * knows is judged exactly as the kernel module judges it. What the
 * description does not say, or what cannot be known in advance (limit,
 * opaque matches, an unknown interface, ...), is never guessed:
 *
 *   The first rule whose outcome depends on something undecidable makes the
 *   whole result BS_VERDICT_UNCERTAIN, naming that rule and why.
 *
 * "Depends" is taken literally: a rule with an undecidable match is skipped
 * when another of its matches certainly fails, or when its target cannot
 * change the outcome (no target, LOG, and a few known non-terminal
 * extensions such as NFLOG or MARK), so that the common
 * `-m limit -j LOG` does not make every answer uncertain.
 *
 * Pure code: no I/O, no logging, errors as -errno. */

#include "rule.h"

typedef enum bs_hook {
        BS_HOOK_INPUT,
        BS_HOOK_FORWARD,
        BS_HOOK_OUTPUT,
} bs_hook;

/* Conntrack state of the packet, as -m conntrack --ctstate sees it. */
typedef enum bs_ctstate {
        BS_CTSTATE_NEW,
        BS_CTSTATE_ESTABLISHED,
        BS_CTSTATE_RELATED,
        BS_CTSTATE_INVALID,
        BS_CTSTATE_UNTRACKED,
} bs_ctstate;

/* Direction of the packet in its connection (--ctdir). NEW packets are
 * always in the original direction. */
typedef enum bs_ctdir {
        BS_CTDIR_UNKNOWN = 0,
        BS_CTDIR_ORIGINAL,
        BS_CTDIR_REPLY,
} bs_ctdir;

/* What is known about an interface of the packet. */
typedef enum bs_iface_knowledge {
        BS_IFACE_UNKNOWN = 0,  /* could be any interface */
        BS_IFACE_NOT_LOOPBACK, /* some interface, but certainly not "lo" */
        BS_IFACE_KNOWN,        /* exactly the name given ("" = no interface) */
} bs_iface_knowledge;

/* Source MAC knowledge: the mac match only ever matches on Ethernet-type
 * devices (never on lo, never in OUTPUT). */
typedef enum bs_mac_knowledge {
        BS_MAC_UNKNOWN = 0,
        BS_MAC_NONE,  /* the packet has no Ethernet source address */
        BS_MAC_KNOWN,
} bs_mac_knowledge;

#define BS_TCP_FIN 0x01
#define BS_TCP_SYN 0x02
#define BS_TCP_RST 0x04
#define BS_TCP_PSH 0x08
#define BS_TCP_ACK 0x10
#define BS_TCP_URG 0x20

/* A packet as the filter table would see it. Zero-initialise, then fill in
 * what is known; the zero value of every "knowledge" field means unknown.
 * For BS_HOOK_INPUT the output interface is known to be none, for
 * BS_HOOK_OUTPUT the input interface; the evaluator applies that itself. */
typedef struct bs_packet {
        bs_family family;
        bs_hook hook;

        bs_iface_knowledge in_known, out_known;
        char in_iface[IFNAMSIZ], out_iface[IFNAMSIZ];

        uint8_t src[16], dst[16];  /* network order; IPv4 uses the first 4 bytes */
        uint8_t proto;             /* IPPROTO_* of the transport header */

        uint16_t sport, dport;     /* host order (TCP, UDP, UDPlite, SCTP, DCCP) */
        uint8_t tcp_flags;         /* BS_TCP_* */
        /* TCP options present in the packet; when not known, a
         * --tcp-option match is undecidable. */
        bool tcp_options_known;
        uint8_t tcp_options[40];
        size_t n_tcp_options;

        uint8_t icmp_type, icmp_code;  /* ICMP / ICMPv6 */

        bs_ctstate ctstate;
        bs_ctdir ctdir;
        /* Whether the connection is NATed (ctstate SNAT/DNAT), when known. */
        bool nat_known, snat, dnat;

        /* Address types as XT_ADDRTYPE_* bits, 0 = unknown. IPv4: the one
         * route type of the address (LOCAL, UNICAST, BROADCAST, ...). IPv6:
         * every bit that holds for the address, e.g. UNICAST|LOCAL for one of
         * ours (ip6t addrtype ANDs the classes and looks up the route type). */
        uint16_t src_type, dst_type;

        bs_mac_knowledge mac_known;
        uint8_t mac[6];
} bs_packet;

typedef enum bs_verdict {
        BS_VERDICT_ACCEPT,
        BS_VERDICT_DROP,
        BS_VERDICT_REJECT,
        BS_VERDICT_UNCERTAIN,
} bs_verdict;

typedef struct bs_eval_result {
        bs_verdict verdict;
        /* The deciding chain and 1-based position in it; position 0 means the
         * policy of that (built-in) chain. For UNCERTAIN, the rule whose
         * outcome could not be decided. */
        char chain[BS_CHAIN_NAME_MAX + 4];
        uint32_t position;
        const bs_rule *rule;  /* points into the table; NULL for a policy */
        /* For UNCERTAIN: why, e.g. "the limit match cannot be judged". */
        char reason[160];
} bs_eval_result;

/* Called for every rule whose matches all matched, in traversal order
 * (this is exactly the set of rules whose counters the kernel increments). */
typedef void (*bs_eval_trace_fn)(const char *chain, uint32_t position, const bs_rule *rule, void *userdata);

/* Chains nested deeper than this are refused (-ELOOP); the kernel refuses
 * loops when a table is loaded, an in-memory table might have one. */
#define BS_EVAL_MAX_DEPTH 64
#define BS_EVAL_MAX_STEPS 4000000 /* rules visited; only a goto loop gets there */

/* Evaluate p against table t (normally "filter"; its family must equal
 * p->family). -EINVAL (bad description, family mismatch, built-in chain
 * without policy), -ENOENT (the hook's chain or a jump target missing),
 * -ELOOP (nesting deeper than BS_EVAL_MAX_DEPTH, or a goto loop). trace may be NULL. */
int bs_eval(const bs_table *t, const bs_packet *p, bs_eval_result *ret, bs_eval_trace_fn trace,
            void *userdata);

const char *bs_verdict_to_string(bs_verdict v) _pure_;
const char *bs_hook_to_chain(bs_hook h) _pure_;
const char *bs_ctstate_to_string(bs_ctstate s) _pure_;
