/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "persist.h"

#include <string.h>
#include <sys/stat.h>

#include "fileio.h"

const char *bs_persist_file(bs_family f) {
        return f == BS_FAMILY_IPV6 ? BS_RULES_V6 : BS_RULES_V4;
}

int bs_persist_save(const char *state_dir, const bs_table *const tables[2]) {
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
        /* Both temporary files written and synced before either is renamed
         * into place: a full disk or an I/O error leaves both old files.
         * The one window left is the second rename failing after the first
         * succeeded (rename in one directory fails only on a broken
         * filesystem): then rules.v4 is new and rules.v6 old, and the
         * error says so to the caller. */
        char tmp[2][4096] = {};
        for (int i = 0; i < 2 && r >= 0; i++)
                if (tables[i])
                        r = bs_write_file_temp(state_dir, bs_persist_file(tables[i]->family), texts[i]->data,
                                               texts[i]->len, 0600, tmp[i], sizeof(tmp[i]));
        for (int i = 0; i < 2 && r >= 0; i++)
                if (tables[i]) {
                        r = bs_rename_into(state_dir, bs_persist_file(tables[i]->family), tmp[i]);
                        tmp[i][0] = r >= 0 ? 0 : tmp[i][0];
                }
        for (int i = 0; i < 2; i++)
                if (tables[i] && tmp[i][0])
                        (void) unlink(tmp[i]);  /* not renamed: gone (ENOENT if never made) */
        if (r < 0)
                return r;
        /* No IPv6 table given: the host has none, and a rules.v6 left from
         * before would be restored at boot next to the new rules.v4. */
        if (!tables[1] && tables[0]) {
                _cleanup_free_ char *v6 = NULL;
                if (asprintf(&v6, "%s/%s", state_dir, BS_RULES_V6) < 0)
                        return -ENOMEM;
                if (unlink(v6) < 0 && errno != ENOENT)
                        return -errno;
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

void bs_persist_cache_done(bs_persist_cache *c) {
        bs_table_free(c->table);
        *c = (bs_persist_cache) {};
}

static bool same_file(const bs_persist_cache *c, const struct stat *st) {
        return c->valid && c->st.st_dev == st->st_dev && c->st.st_ino == st->st_ino &&
               c->st.st_size == st->st_size && c->st.st_mtim.tv_sec == st->st_mtim.tv_sec &&
               c->st.st_mtim.tv_nsec == st->st_mtim.tv_nsec && c->st.st_ctim.tv_sec == st->st_ctim.tv_sec &&
               c->st.st_ctim.tv_nsec == st->st_ctim.tv_nsec;
}

/* The saved table of family f, parsed at most once per version of its
 * file: a file replaced (a new inode: we write atomically) or modified in
 * place (mtime, ctime, size) is parsed again. *ret NULL: no file, or one
 * that does not parse. */
static int load_cached(const char *state_dir, bs_family f, bs_persist_cache *c, const bs_table **ret) {
        _cleanup_free_ char *path = NULL;
        if (asprintf(&path, "%s/%s", state_dir, bs_persist_file(f)) < 0)
                return -ENOMEM;
        struct stat st;
        if (stat(path, &st) < 0) {
                if (errno != ENOENT)
                        return -errno;
                bs_persist_cache_done(c);
                *ret = NULL;
                return 0;
        }
        if (same_file(c, &st) && c->family == f) {
                *ret = c->table;
                return 0;
        }
        bs_table *t = NULL;
        bs_parse_error err;
        int r = bs_persist_load(state_dir, f, &t, &err);
        if (r < 0 && r != -ENOENT && r != -EBADMSG)
                return r;
        bs_persist_cache_done(c);
        *c = (bs_persist_cache) { .valid = true, .family = f, .st = st, .table = t };
        *ret = t;
        return 0;
}

int bs_persist_equal(const char *state_dir, const bs_table *const tables[2], bs_persist_cache cache[2],
                     bool *ret) {
        if (tables[0] && !tables[1]) {
                /* a rules.v6 without IPv6 here: boot would restore it, Save
                 * removes it; until then not saved */
                _cleanup_free_ char *v6 = NULL;
                if (asprintf(&v6, "%s/%s", state_dir, BS_RULES_V6) < 0)
                        return -ENOMEM;
                if (access(v6, F_OK) == 0) {
                        *ret = false;
                        return 0;
                }
        }
        for (int i = 0; i < 2; i++) {
                if (!tables[i])
                        continue;
                bs_persist_cache scratch = {};
                bs_persist_cache *c = cache ? &cache[i] : &scratch;
                const bs_table *saved = NULL;
                int r = load_cached(state_dir, tables[i]->family, c, &saved);
                bool equal = r >= 0 && saved && bs_table_equal(saved, tables[i]);
                bs_persist_cache_done(&scratch);
                if (r < 0)
                        return r;
                if (!equal) {
                        *ret = false;
                        return 0;
                }
        }
        *ret = true;
        return 0;
}

int bs_persist_render_plain(const bs_table *t, bs_buf *out) {
        _cleanup_buf_ bs_buf text = {};
        int r = bs_render_save(t, false, &text);
        for (const char *line = text.data; r >= 0 && line && *line;) {
                const char *end = strchr(line, '\n');
                size_t len = end ? (size_t) (end - line) + 1 : strlen(line);
                const char *counters = line[0] == ':' ? memchr(line, '[', len) : NULL;
                if (counters)
                        r = bs_buf_printf(out, "%.*s[0:0]\n", (int) (counters - line), line);
                else
                        r = bs_buf_printf(out, "%.*s", (int) len, line);
                line += len;
        }
        return r < 0 ? r : 0;
}

int bs_persist_saved_text(const char *state_dir, bs_family f, bs_persist_cache *cache, bs_buf *out) {
        bs_persist_cache scratch = {};
        bs_persist_cache *c = cache ? cache : &scratch;
        const bs_table *saved = NULL;
        int r = load_cached(state_dir, f, c, &saved);
        if (r >= 0 && !saved)
                /* load_cached keeps a file that does not parse as a valid entry without a table */
                r = c->valid ? -EBADMSG : -ENOENT;
        if (r >= 0)
                r = bs_persist_render_plain(saved, out);
        bs_persist_cache_done(&scratch);
        return r;
}
