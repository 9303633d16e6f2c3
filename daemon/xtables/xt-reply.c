/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The helper's replies read by the daemon (xt-reply.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <linux/netfilter/x_tables.h>

#include "xt-reply.h"

/* What a helper may print for one extension: its part of one -S line. */
static bool text_plausible(const char *text, bool target) {
        if (strncmp(text, target ? " -j " : " -m ", 4) != 0 || !text[4])
                return false;
        for (const char *p = text; *p; p++)
                if ((unsigned char) *p < 0x20 || *p == 0x7f)
                        return false;
        return true;
}

int bs_xt_read_rendered(bs_xt_reader *r, bs_ext_render_item *items, size_t k, size_t *handled) {
        static char text[BS_XT_TEXT_MAX + 1];
        if (bs_xt_ru32(r) != k || k > BS_XT_ITEMS_MAX)
                return -EBADMSG;
        char **texts = calloc(k ? k : 1, sizeof(char *));
        bool *exact = calloc(k ? k : 1, sizeof(bool));
        if (!texts || !exact) {
                free(texts);
                free(exact);
                return -ENOMEM;
        }
        size_t done = k;
        int ret = 0;
        for (size_t i = 0; i < k; i++) {
                uint8_t status = bs_xt_ru8(r);
                bs_xt_rstr(r, BS_XT_TEXT_MAX, text);
                if (r->bad || status > 3) {
                        ret = -EBADMSG;
                        break;
                }
                if (status == 2 && done == k)
                        done = i; /* no room in the reply: ask again from here */
                if ((status == 1 || status == 3) && i < done && text_plausible(text, items[i].target)) {
                        texts[i] = strdup(text);
                        if (!texts[i]) {
                                ret = -ENOMEM;
                                break;
                        }
                        exact[i] = status == 1;
                }
        }
        if (ret == 0 && bs_xt_rend(r) < 0)
                ret = -EBADMSG;
        for (size_t i = 0; i < k; i++) {
                if (ret == 0 && i < done) {
                        items[i].text = texts[i];
                        items[i].exact = exact[i];
                } else
                        free(texts[i]);
        }
        free(texts);
        free(exact);
        if (ret == 0)
                *handled = done;
        return ret;
}

int bs_xt_read_described(bs_xt_reader *r, bs_ext_option **ret, size_t *ret_n) {
        uint32_t n = bs_xt_ru32(r);
        if (r->bad || n > BS_XT_OPTS_MAX)
                return -EBADMSG;
        bs_ext_option *opts = calloc(n + 1, sizeof(*opts));
        if (!opts)
                return -ENOMEM;
        for (uint32_t i = 0; i < n; i++) {
                bs_xt_rstr(r, sizeof(opts[i].name) - 1, opts[i].name);
                opts[i].has_arg = bs_xt_ru8(r);
                if (opts[i].has_arg > 2 || !opts[i].name[0] || strchr(opts[i].name, '='))
                        r->bad = true;
        }
        if (bs_xt_rend(r) < 0) {
                free(opts);
                return -EBADMSG;
        }
        *ret = opts;
        *ret_n = n;
        return 0;
}

int bs_xt_read_parsed(bs_xt_reader *r, bs_opaque *ret) {
        bs_opaque o = {};
        const uint8_t *data;
        bs_xt_rstr(r, BS_EXT_NAME_MAX, o.name);
        o.revision = bs_xt_ru8(r);
        o.size = bs_xt_rbytes(r, BS_OPAQUE_MAX, &data);
        if (bs_xt_rend(r) < 0 || !o.name[0] || XT_ALIGN(o.size) != o.size)
                return -EBADMSG;
        if (o.size) {
                o.data = malloc(o.size);
                if (!o.data)
                        return -ENOMEM;
                memcpy(o.data, data, o.size);
        }
        *ret = o;
        return 0;
}
