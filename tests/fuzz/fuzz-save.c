/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Fuzz target: the saved-rules file that `backstopd --restore` reads at
 * boot (persist.h, through bs_parse_save), in iptables-save format.
 *
 * Input: one control byte (bit 0: the family, 0 IPv4, 1 IPv6), then the
 * file. Whatever parses must render in iptables-save form (with counters),
 * and that text must parse to an equal table that renders to the same
 * bytes. */
#include <stdio.h>
#include <stdlib.h>

#include "text.h"
#include "fuzz-check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        if (size < 1 || size > 1024 * 1024)
                return 0;
        bs_family family = (data[0] & 1) ? BS_FAMILY_IPV6 : BS_FAMILY_IPV4;
        char *text = strndup((const char *) data + 1, size - 1);  /* the file as a string, as read */
        CHECK(text);

        bs_table *t = NULL;
        bs_parse_error err;
        int r = bs_parse_save(family, text, "filter", &t, &err);
        free(text);
        if (r < 0) {
                CHECK(!t);
                return 0;
        }
        CHECK(t && t->family == family);

        bs_buf a = {}, b = {};
        CHECK(bs_render_save(t, true, &a) == 0);
        bs_table *t2 = NULL;
        r = bs_parse_save(family, a.data ? a.data : "", "filter", &t2, &err);
        if (r < 0) {
                fprintf(stderr, "rendered table does not parse: %s (%s)\n%s", err.message, err.word,
                        a.data ? a.data : "");
                abort();
        }
        CHECK(bs_table_equal(t, t2));
        CHECK(bs_render_save(t2, true, &b) == 0);
        CHECK(a.len == b.len && (a.len == 0 || memcmp(a.data, b.data, a.len) == 0));

        bs_buf_done(&a);
        bs_buf_done(&b);
        bs_table_free(t);
        bs_table_free(t2);
        return 0;
}
