/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The helper protocol's field writer and reader (xt-proto.h). */
#include "xt-proto.h"

#include <errno.h>
#include <string.h>

static void wput(bs_xt_writer *w, const void *p, size_t n) {
        if (w->overflow || n > BS_XT_MSG_MAX - w->len) {
                w->overflow = true;
                return;
        }
        if (n > 0)
                memcpy(w->buf + w->len, p, n);
        w->len += n;
}

void bs_xt_wbegin(bs_xt_writer *w, uint8_t *buf, bs_xt_type type, uint32_t id, uint32_t family) {
        bs_xt_hdr h = { .magic = BS_XT_MAGIC, .version = BS_XT_VERSION, .type = (uint16_t) type, .id = id,
                        .family = family };
        *w = (bs_xt_writer){ .buf = buf };
        wput(w, &h, sizeof(h));
}

void bs_xt_wu8(bs_xt_writer *w, uint8_t v) {
        wput(w, &v, 1);
}

void bs_xt_wu16(bs_xt_writer *w, uint16_t v) {
        wput(w, &v, 2);
}

void bs_xt_wu32(bs_xt_writer *w, uint32_t v) {
        wput(w, &v, 4);
}

void bs_xt_wbytes(bs_xt_writer *w, const void *p, size_t n) {
        if (n > UINT32_MAX) {
                w->overflow = true;
                return;
        }
        bs_xt_wu32(w, (uint32_t) n);
        wput(w, p, n);
}

void bs_xt_wstr(bs_xt_writer *w, const char *s) {
        bs_xt_wbytes(w, s, strlen(s));
}

int bs_xt_wend(const bs_xt_writer *w, size_t *ret_len) {
        if (w->overflow)
                return -EMSGSIZE;
        *ret_len = w->len;
        return 0;
}

void bs_xt_wpatch_u32(bs_xt_writer *w, size_t at, uint32_t v) {
        if (!w->overflow && at + 4 <= w->len)
                memcpy(w->buf + at, &v, 4);
}

int bs_xt_rbegin(bs_xt_reader *r, const void *buf, size_t len, bs_xt_hdr *ret_hdr) {
        *r = (bs_xt_reader){ .buf = buf, .len = len };
        if (len < sizeof(bs_xt_hdr) || len > BS_XT_MSG_MAX) {
                r->bad = true;
                return -EBADMSG;
        }
        memcpy(ret_hdr, buf, sizeof(*ret_hdr));
        r->pos = sizeof(*ret_hdr);
        if (ret_hdr->magic != BS_XT_MAGIC || ret_hdr->version != BS_XT_VERSION || ret_hdr->type < BS_XT_RENDER ||
            ret_hdr->type > BS_XT_IPSET_ANSWER || (ret_hdr->family != 4 && ret_hdr->family != 6)) {
                r->bad = true;
                return -EBADMSG;
        }
        return 0;
}

static bool rget(bs_xt_reader *r, void *p, size_t n) {
        if (r->bad || n > r->len - r->pos) {
                r->bad = true;
                memset(p, 0, n);
                return false;
        }
        memcpy(p, r->buf + r->pos, n);
        r->pos += n;
        return true;
}

uint8_t bs_xt_ru8(bs_xt_reader *r) {
        uint8_t v;
        rget(r, &v, 1);
        return v;
}

uint16_t bs_xt_ru16(bs_xt_reader *r) {
        uint16_t v;
        rget(r, &v, 2);
        return v;
}

uint32_t bs_xt_ru32(bs_xt_reader *r) {
        uint32_t v;
        rget(r, &v, 4);
        return v;
}

size_t bs_xt_rbytes(bs_xt_reader *r, size_t max, const uint8_t **ret) {
        *ret = NULL;
        uint32_t n = bs_xt_ru32(r);
        if (r->bad)
                return 0;
        if (n > max || n > r->len - r->pos) {
                r->bad = true;
                return 0;
        }
        if (n > 0)
                *ret = r->buf + r->pos;
        r->pos += n;
        return n;
}

void bs_xt_rstr(bs_xt_reader *r, size_t max, char *out) {
        const uint8_t *p;
        size_t n = bs_xt_rbytes(r, max, &p);
        out[0] = '\0';
        if (r->bad)
                return;
        if (n > 0 && memchr(p, '\0', n)) {
                r->bad = true;
                return;
        }
        if (n > 0)
                memcpy(out, p, n);
        out[n] = '\0';
}

int bs_xt_rend(const bs_xt_reader *r) {
        return r->bad || r->pos != r->len ? -EBADMSG : 0;
}
