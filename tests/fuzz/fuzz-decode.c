/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target for the codec's decoder.
 *
 * Input: one control byte, then the entry bytes. Bit 0 of the control byte
 * picks the family (0 IPv4, 1 IPv6); bits 1-2 the target label the decoder
 * is given, as libiptc would resolve it: NULL, "", "ACCEPT" or the chain
 * "svc".
 *
 * Whatever decodes must encode, and the encoding must decode to an equal
 * model (counters included) and encode to the same bytes again. */
#include <stdio.h>

#include "codec.h"
#include "fuzz-check.h"

static const char *const labels[] = { NULL, "", "ACCEPT", "svc" };

/* The label for an entry bs_codec_encode wrote: the extension's name for
 * extension targets; NULL for standard ones, which carry their label as
 * their name there. */
static const char *relabel(const bs_rule *r) {
        switch (r->target.kind) {
        case BS_TARGET_OPAQUE:
                return r->target.opaque.name;
        case BS_TARGET_REJECT:
                return "REJECT";
        case BS_TARGET_LOG:
                return "LOG";
        default:
                return NULL;
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        if (size < 1)
                return 0;
        bs_family family = (data[0] & 1) ? BS_FAMILY_IPV6 : BS_FAMILY_IPV4;
        const char *label = labels[(data[0] >> 1) & 3];
        bs_rule a, b;

        /* data + 1 is deliberately unaligned: the decoder must not care. */
        if (bs_codec_decode(family, data + 1, size - 1, label, &a) < 0) {
                CHECK(a.n_matches == 0 && !a.matches);
                return 0;
        }

        void *e = NULL, *e2 = NULL;
        size_t esize = 0, esize2 = 0;
        CHECK(bs_codec_encode(&a, &e, &esize) == 0);
        CHECK(esize == size - 1);
        CHECK(bs_codec_decode(family, e, esize, relabel(&a), &b) == 0);
        CHECK(bs_rule_equal(&a, &b));
        CHECK(a.packets == b.packets && a.bytes == b.bytes);
        CHECK(bs_codec_encode(&b, &e2, &esize2) == 0);
        CHECK(esize == esize2 && memcmp(e, e2, esize) == 0);

        free(e);
        free(e2);
        bs_rule_done(&a);
        bs_rule_done(&b);
        return 0;
}
