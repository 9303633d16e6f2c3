/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Fuzz target: the daemon reading the libxtables helper's replies
 * (daemon/xtables/xt-reply.h), the helper being the less trusted side.
 *
 * Input: one byte choosing the reply (0 RENDERED, 1 DESCRIBED, 2 PARSED),
 * one byte the number of items asked to be rendered (0-31, bit 5: every
 * other one a target), then the reply's body. Whatever is read must keep
 * its limits; a failed read sets nothing. */
#include <stdlib.h>
#include <string.h>

#include "xt-reply.h"
#include "fuzz-check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        if (size < 2 || size > BS_XT_MSG_MAX)
                return 0;
        bs_xt_reader r = { .buf = data + 2, .len = size - 2 };
        switch (data[0] % 3) {
        case 0: {
                size_t k = data[1] & 31;
                bs_opaque o = { .name = "x" };
                bs_ext_render_item items[32] = {};
                for (size_t i = 0; i < k; i++)
                        items[i] = (bs_ext_render_item){ .target = (data[1] & 32) && i % 2, .opaque = &o };
                size_t handled = SIZE_MAX;
                int ret = bs_xt_read_rendered(&r, items, k, &handled);
                for (size_t i = 0; i < k; i++) {
                        if (ret < 0)
                                CHECK(!items[i].text);
                        if (items[i].text) {
                                CHECK(i < handled);
                                CHECK(strlen(items[i].text) <= BS_XT_TEXT_MAX);
                                CHECK(strncmp(items[i].text, items[i].target ? " -j " : " -m ", 4) == 0);
                                CHECK(!strchr(items[i].text, '\n'));
                        }
                        free(items[i].text);
                }
                if (ret == 0)
                        CHECK(handled <= k);
                break;
        }
        case 1: {
                bs_ext_option *opts = NULL;
                size_t n = SIZE_MAX;
                if (bs_xt_read_described(&r, &opts, &n) == 0) {
                        CHECK(n <= BS_XT_OPTS_MAX);
                        for (size_t i = 0; i < n; i++) {
                                CHECK(opts[i].name[0] && strlen(opts[i].name) < sizeof(opts[i].name));
                                CHECK(opts[i].has_arg <= 2);
                        }
                        free(opts);
                } else
                        CHECK(!opts && n == SIZE_MAX);
                break;
        }
        default: {
                bs_opaque o = { .size = 12345 };
                if (bs_xt_read_parsed(&r, &o) == 0) {
                        CHECK(o.name[0] && strlen(o.name) <= BS_EXT_NAME_MAX);
                        CHECK(o.size <= BS_OPAQUE_MAX && o.size % 8 == 0);
                        CHECK(!o.size == !o.data);
                        free(o.data);
                } else
                        CHECK(o.size == 12345);
                break;
        }
        }
        return 0;
}
