/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Fuzz target: the messages of the libxtables helper's protocol
 * (daemon/xtables/xt-proto.h), read field by field the way the daemon and
 * the helper read them. Whatever reads whole must write back to the same
 * bytes; nothing may be read out of bounds or past a field's limit.
 *
 * Input: a message as it arrives on the socket. */
#include <stdlib.h>
#include <string.h>

#include "xt-proto.h"
#include "fuzz-check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t out[BS_XT_MSG_MAX];

/* One field, read and written again: kind 'b' u8, 'w' u16, 'l' u32, 's'
 * string of at most max, 'y' bytes of at most max. */
static void field(bs_xt_reader *r, bs_xt_writer *w, char kind, size_t max) {
        static char s[BS_XT_PAYLOAD_MAX + 1];
        const uint8_t *p;
        size_t n;
        switch (kind) {
        case 'b':
                bs_xt_wu8(w, bs_xt_ru8(r));
                break;
        case 'w':
                bs_xt_wu16(w, bs_xt_ru16(r));
                break;
        case 'l':
                bs_xt_wu32(w, bs_xt_ru32(r));
                break;
        case 's':
                bs_xt_rstr(r, max, s);
                CHECK(strlen(s) <= max);
                bs_xt_wstr(w, s);
                break;
        default:
                n = bs_xt_rbytes(r, max, &p);
                CHECK(n <= max);
                CHECK(!p || (p >= r->buf && p + n <= r->buf + r->len));
                bs_xt_wbytes(w, p, n);
                break;
        }
}

static void items(bs_xt_reader *r, bs_xt_writer *w, const char *kinds, const size_t *max, uint32_t limit) {
        uint32_t n = bs_xt_ru32(r);
        bs_xt_wu32(w, n);
        if (n > limit)
                r->bad = true;
        for (uint32_t i = 0; i < n && !r->bad; i++)
                for (size_t k = 0; kinds[k]; k++)
                        field(r, w, kinds[k], max[k]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        bs_xt_reader r;
        bs_xt_hdr h;
        if (bs_xt_rbegin(&r, data, size, &h) < 0)
                return 0;
        bs_xt_writer w;
        bs_xt_wbegin(&w, out, h.type, h.id, h.family);
        static const size_t render_max[] = { 0, 0, 0, 0, BS_XT_NAME_MAX, BS_XT_PAYLOAD_MAX };
        static const size_t rendered_max[] = { 0, BS_XT_TEXT_MAX };
        static const size_t opt_max[] = { 63, 0 };
        static const size_t word_max[] = { BS_XT_WORD_MAX };
        switch (h.type) {
        case BS_XT_RENDER:
                items(&r, &w, "bbwbsy", render_max, BS_XT_ITEMS_MAX);
                break;
        case BS_XT_RENDERED:
                items(&r, &w, "bs", rendered_max, BS_XT_ITEMS_MAX);
                break;
        case BS_XT_DESCRIBE:
                field(&r, &w, 'b', 0);
                field(&r, &w, 's', BS_XT_NAME_MAX);
                break;
        case BS_XT_DESCRIBED:
                items(&r, &w, "sb", opt_max, BS_XT_OPTS_MAX);
                break;
        case BS_XT_PARSE:
                field(&r, &w, 'b', 0);
                field(&r, &w, 'w', 0);
                field(&r, &w, 'b', 0);
                field(&r, &w, 's', BS_XT_NAME_MAX);
                items(&r, &w, "s", word_max, BS_XT_WORDS_MAX);
                break;
        case BS_XT_PARSED:
                field(&r, &w, 's', BS_XT_NAME_MAX);
                field(&r, &w, 'b', 0);
                field(&r, &w, 'y', BS_XT_PAYLOAD_MAX);
                break;
        case BS_XT_ERROR:
                field(&r, &w, 's', BS_XT_MESSAGE_MAX);
                break;
        case BS_XT_REVISION:
                field(&r, &w, 'b', 0);
                field(&r, &w, 'b', 0);
                field(&r, &w, 's', BS_XT_NAME_MAX);
                break;
        case BS_XT_IPSET:
                field(&r, &w, 'y', BS_XT_IPSET_MAX);
                break;
        case BS_XT_IPSET_ANSWER:
                field(&r, &w, 'l', 0);
                field(&r, &w, 'y', BS_XT_IPSET_MAX);
                break;
        default:
                field(&r, &w, 'b', 0);
                break;
        }
        CHECK(r.pos <= r.len);
        size_t len;
        if (bs_xt_rend(&r) < 0)
                return 0;
        /* read whole: the same bytes written again */
        CHECK(bs_xt_wend(&w, &len) == 0);
        CHECK(len == size && memcmp(out, data, size) == 0);
        return 0;
}
