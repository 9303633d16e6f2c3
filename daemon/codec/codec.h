/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The codec: a bs_rule to the exact entry bytes iptables-legacy would write
 * (struct ipt_entry / ip6t_entry with its matches and target), and back.
 * Pure code: no libiptc handle, no logging, errors as -errno.
 *
 * Standard targets are encoded the way the iptables CLI hands them to
 * libiptc: an xt_standard_target whose name is "ACCEPT", "DROP", "RETURN",
 * "QUEUE" or the chain name to jump to (libiptc maps names to verdicts and
 * offsets on commit); goto sets IPT_F_GOTO / IP6T_F_GOTO in the header. A
 * rule with no target gets a standard target with an empty name (fall
 * through), as iptables does.
 *
 * Decoding needs the target label libiptc resolves for an entry
 * (iptc_get_target / ip6tc_get_target): "ACCEPT", "DROP", "RETURN", "QUEUE",
 * a chain name, "" for fall-through, or the extension name. */

#include "rule.h"

/* Encode r into a newly allocated entry; *ret_size is its target_offset-
 * inclusive total size (next_offset). -EINVAL for a rule the kernel would
 * refuse (wrong family for a match, bad sizes), -ENOMEM. */
int bs_codec_encode(const bs_rule *r, void **ret_entry, size_t *ret_size);
/* The same, written into buf: *ret_size is the entry's size, and when it
 * is more than avail nothing is written and -ENOBUFS returned (buf may be
 * NULL to only size it). buf must be aligned for the entry. */
int bs_codec_encode_to(const bs_rule *r, void *buf, size_t avail, size_t *ret_size);

/* Decode an entry of the given family. size is the entry's next_offset as
 * found in the table; every offset inside is checked against it, so
 * arbitrary bytes never read out of bounds (-EBADMSG). target_label may be
 * NULL, in which case a standard target is decoded from its verdict alone
 * (jumps then fail with -EBADMSG). Fills *ret (initialised by the codec;
 * counters are taken from the entry).
 *
 * Also decodes what bs_codec_encode writes (the name-as-label form of
 * standard targets): pass NULL as target_label for those; a standard-sized
 * target with a zero verdict named like a chain is then a jump.
 *
 * Policy (details in codec.c): a header the model cannot represent exactly
 * is -EBADMSG (nfcache, comefrom and bytes after a name's NUL are ignored);
 * a known match/target whose payload does not re-encode to the very same
 * bytes (unknown bits, non-zero padding, other size or revision) is kept
 * opaque, so encode(decode(bytes)) gives the bytes back. One exception:
 * IPv6 IP6T_F_PROTO with protocol 0 (`ip6tables -p all`) reads as "any
 * protocol" and encodes without the flag. More than BS_MATCHES_MAX matches
 * is -E2BIG, an unknown family -EINVAL. On error *ret is left empty. */
int bs_codec_decode(bs_family family, const void *entry, size_t size, const char *target_label,
                    bs_rule *ret);

/* One match or target payload on its own, as the kernel's xt extension
 * takes it: what iptables-nft carries in a `match` / `target` expression
 * (NFTA_MATCH_INFO / NFTA_TARGET_INFO), which are the very bytes that
 * follow struct xt_entry_match / xt_entry_target in an entry. */
typedef struct bs_codec_payload {
        const char *name;    /* the extension's name (points into the rule for opaque ones) */
        uint8_t revision;
        const void *data;    /* size bytes: buf, or an opaque payload's own bytes */
        size_t size;         /* XT_ALIGNed, as iptables sends it */
        _Alignas(8) uint8_t buf[256];
} bs_codec_payload;

/* The payload of m (of a rule of this family). -EINVAL as bs_codec_encode. */
int bs_codec_match_payload(bs_family family, const bs_match *m, bs_codec_payload *ret);
/* The payload of an extension target (REJECT, LOG, opaque); -EINVAL for
 * the standard ones (none, verdicts, jumps), which have none. */
int bs_codec_target_payload(bs_family family, const bs_target *t, bs_codec_payload *ret);
/* A payload back into the model, with bs_codec_decode's policy (known and
 * re-encoding to the same bytes, else opaque). ret is overwritten; on
 * error it owns nothing. -EBADMSG for a name that cannot be one. */
int bs_codec_match_from_payload(bs_family family, const char *name, uint8_t revision, const void *data,
                                size_t size, bs_match *ret);
int bs_codec_target_from_payload(bs_family family, const char *name, uint8_t revision, const void *data,
                                 size_t size, bs_target *ret);
