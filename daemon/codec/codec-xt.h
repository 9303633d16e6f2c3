/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Internals of the codec, shared by codec.c (the family-independent
 * driver), codec-xt.c (the xt payloads every family shares) and codec4.c /
 * codec6.c (the entry header and the family's own extensions).
 *
 * codec4.c and codec6.c include <libiptc/libiptc.h> or <libiptc/libip6tc.h>
 * before this header; everything here only needs <linux/netfilter/x_tables.h>,
 * which both of them pull in too. */

#include <linux/netfilter/x_tables.h>

#include "codec.h"

/* Sizes of the generic parts of an entry, as the kernel lays them out. */
#define BS_XT_MATCH_HDR XT_ALIGN(sizeof(struct xt_entry_match))
#define BS_XT_TARGET_HDR XT_ALIGN(sizeof(struct xt_entry_target))
#define BS_XT_STANDARD_SIZE XT_ALIGN(sizeof(struct xt_standard_target))
/* next_offset, target_offset and match_size are __u16. */
#define BS_XT_ENTRY_MAX 0xffffu

/* Largest known payload (xt_comment_info). Decoding copies a payload into a
 * buffer of this size, so known extensions never read unaligned memory. */
#define BS_XT_INFO_MAX 256

/* A match extension the codec knows: the kernel's name and revision, the
 * size of its info struct (before XT_ALIGN), and the two directions.
 *
 * encode() writes into a zeroed buffer of XT_ALIGN(size) bytes and returns
 * -EINVAL for a value the kernel would refuse. decode() fills m (kind
 * already set, the rest zeroed) from an 8-aligned copy of the payload; it
 * need not check anything: the driver re-encodes the result and keeps the
 * payload as opaque bytes unless the two are byte-identical. */
typedef struct bs_xt_match_ops {
        bs_match_kind kind;
        const char *name;
        uint8_t revision;
        size_t size;
        int (*encode)(const bs_match *m, bs_family family, void *info);
        void (*decode)(const void *info, bs_family family, bs_match *m);
} bs_xt_match_ops;

typedef struct bs_xt_target_ops {
        bs_target_kind kind;
        const char *name;
        uint8_t revision;
        size_t size;
        int (*encode)(const bs_target *t, bs_family family, void *info);
        void (*decode)(const void *info, bs_family family, bs_target *t);
} bs_xt_target_ops;

/* The extensions every family shares (codec-xt.c), NULL-terminated. */
extern const bs_xt_match_ops *const bs_xt_matches[];
extern const bs_xt_target_ops *const bs_xt_targets[];

/* Payloads that the families' own extensions lay out alike: struct
 * ipt_icmp and struct ip6t_icmp are this, with the same invert bit
 * (codec4.c and codec6.c assert it); ipt_reject_info and ip6t_reject_info
 * are one 32-bit "with", whose values each family checks itself. */
typedef struct bs_xt_icmp_info {
        uint8_t type;
        uint8_t code[2]; /* min, max */
        uint8_t invflags;
} bs_xt_icmp_info;
#define BS_XT_ICMP_INV 0x01
int bs_xt_icmp_encode(const bs_match *m, bs_family family, void *info);
void bs_xt_icmp_decode(const void *info, bs_family family, bs_match *m);
void bs_xt_reject_decode(const void *info, bs_family family, bs_target *t);

/* What differs between IPv4 and IPv6: the entry header and a few
 * extensions (icmp / icmp6, REJECT). */
typedef struct bs_codec_family {
        bs_family family;
        size_t entry_size;  /* sizeof(struct ipt_entry) / sizeof(struct ip6t_entry) */
        /* where the entry keeps what every family has, written and read by
         * the driver: offsetof() of target_offset, next_offset (__u16) and
         * counters (struct xt_counters) */
        size_t target_offset_at, next_offset_at, counters_at;
        const bs_xt_match_ops *const *matches;   /* NULL-terminated */
        const bs_xt_target_ops *const *targets;  /* NULL-terminated */

        /* Write the address header into a zeroed entry: addresses,
         * interfaces, protocol, flags (goto included); offsets and counters
         * are the driver's. -EINVAL for a header value this family cannot hold. */
        int (*encode_header)(const bs_rule *r, bool is_goto, void *entry);
        /* Read the address header from entry_size bytes (any alignment) into
         * r (already initialised for the family). -EBADMSG for a header the
         * model cannot represent exactly. */
        int (*decode_header)(const void *entry, bs_rule *r, bool *ret_goto);
} bs_codec_family;

extern const bs_codec_family bs_codec_ipv4;
extern const bs_codec_family bs_codec_ipv6;

/* Interface names the way iptables stores them: the name with its '+' kept,
 * the mask 0xff over the prefix for "eth+", over the name and its NUL
 * otherwise, all zero for "" and "+". */
int bs_codec_iface_encode(const char *iface, char name[IFNAMSIZ], unsigned char mask[IFNAMSIZ]);
/* -EBADMSG unless name is NUL-terminated and mask is exactly what
 * bs_codec_iface_encode() would write for it. Bytes after the NUL are
 * ignored (the mask keeps the kernel from looking at them). */
int bs_codec_iface_decode(const char name[IFNAMSIZ], const unsigned char mask[IFNAMSIZ], char ret[IFNAMSIZ]);
