/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "persist.h"

#include "fileio.h"

const char *bs_persist_file(bs_family f) {
        return f == BS_FAMILY_IPV6 ? BS_RULES_V6 : BS_RULES_V4;
}

int bs_persist_save(const char *state_dir, bs_table *const tables[2]) {
        int r = bs_mkdir_parents(state_dir, 0755);
        if (r < 0)
                return r;
        /* render both first so that nothing is written when one fails */
        _cleanup_buf_ bs_buf text4 = {}, text6 = {};
        bs_buf *texts[2] = { &text4, &text6 };
        for (int i = 0; i < 2; i++) {
                if (!tables[i])
                        continue;
                r = bs_buf_append(texts[i], "# Written by backstopd; restored at boot by backstopd --restore\n");
                if (r >= 0)
                        r = bs_render_save(tables[i], false, texts[i]);
                if (r < 0)
                        return r;
        }
        for (int i = 0; i < 2; i++) {
                if (!tables[i])
                        continue;
                r = bs_write_file_atomic(state_dir, bs_persist_file(tables[i]->family), texts[i]->data,
                                         texts[i]->len, 0600);
                if (r < 0)
                        return r;
        }
        return 0;
}

int bs_persist_load(const char *state_dir, bs_family f, bs_table **ret, bs_parse_error *err) {
        _cleanup_free_ char *text = NULL;
        int r = bs_read_file(state_dir, bs_persist_file(f), BS_RULES_FILE_MAX, &text, NULL);
        if (r < 0)
                return r;
        r = bs_parse_save(f, text, "filter", ret, err);
        return r == -ENOMEM ? r : r < 0 ? -EBADMSG : 0;
}

int bs_persist_equal(const char *state_dir, bs_table *const tables[2], bool *ret) {
        for (int i = 0; i < 2; i++) {
                if (!tables[i])
                        continue;
                _cleanup_table_ bs_table *saved = NULL;
                bs_parse_error err;
                int r = bs_persist_load(state_dir, tables[i]->family, &saved, &err);
                if (r == -ENOENT || r == -EBADMSG) {
                        *ret = false;
                        return 0;
                }
                if (r < 0)
                        return r;
                if (!bs_table_equal(saved, tables[i])) {
                        *ret = false;
                        return 0;
                }
        }
        *ret = true;
        return 0;
}
