/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The saved ruleset: save, load, and whether the running tables equal the
 * saved ones, with the cache that spares RulesSaved a parse per call; the
 * cache must notice every way the file can change. Pure: a temp dir. */
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include "persist.h"

static bs_table *parse(bs_family f, const char *text) {
        bs_table *t = NULL;
        bs_parse_error err;
        g_assert_cmpint(bs_parse_save(f, text, "filter", &t, &err), ==, 0);
        return t;
}

#define V4_A "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n" \
             "-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT\nCOMMIT\n"
/* the same length as V4_A: an in-place edit that keeps the size */
#define V4_B "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n" \
             "-A INPUT -p tcp -m tcp --dport 23 -j ACCEPT\nCOMMIT\n"
#define V6_A "*filter\n:INPUT DROP [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n"

static bool equal(const char *dir, const bs_table *const t[2], bs_persist_cache *cache) {
        bool eq = false;
        g_assert_cmpint(bs_persist_equal(dir, t, cache, &eq), ==, 0);
        return eq;
}

/* Rewrite the file in place (same inode), then make sure its mtime moved
 * even on a file system with coarse timestamps. */
static void rewrite_in_place(const char *dir, const char *name, const char *text) {
        /* (the caller decides whether the size changes) */
        g_autofree char *path = g_build_filename(dir, name, NULL);
        struct stat before;
        g_assert_cmpint(stat(path, &before), ==, 0);
        FILE *f = fopen(path, "w");  /* truncates, keeps the inode */
        g_assert_nonnull(f);
        g_assert_cmpint(fputs(text, f), >=, 0);
        g_assert_cmpint(fclose(f), ==, 0);
        struct timespec ts[2] = { { 0, UTIME_OMIT }, before.st_mtim };
        ts[1].tv_sec += 10;
        g_assert_cmpint(utimensat(AT_FDCWD, path, ts, 0), ==, 0);
        struct stat after;
        g_assert_cmpint(stat(path, &after), ==, 0);
        g_assert_cmpuint(after.st_ino, ==, before.st_ino);
}

static void test_equal_cached(void) {
        g_autofree char *dir = g_dir_make_tmp("test-persist-XXXXXX", NULL);
        g_assert_nonnull(dir);
        _cleanup_table_ bs_table *a4 = parse(BS_FAMILY_IPV4, V4_A);
        _cleanup_table_ bs_table *b4 = parse(BS_FAMILY_IPV4, V4_B);
        _cleanup_table_ bs_table *a6 = parse(BS_FAMILY_IPV6, V6_A);
        const bs_table *run_a[2] = { a4, a6 }, *run_b[2] = { b4, a6 };
        bs_persist_cache cache[2] = {};

        /* nothing saved yet */
        g_assert_false(equal(dir, run_a, cache));
        g_assert_false(equal(dir, run_a, NULL));

        g_assert_cmpint(bs_persist_save(dir, run_a), ==, 0);
        g_assert_true(equal(dir, run_a, cache));
        g_assert_true(equal(dir, run_a, cache));  /* from the cache */
        g_assert_false(equal(dir, run_b, cache));  /* the running table differs */
        g_assert_true(cache[0].valid && cache[0].table);

        /* saved again (a new file, renamed over the old one) */
        g_assert_cmpint(bs_persist_save(dir, run_b), ==, 0);
        g_assert_true(equal(dir, run_b, cache));
        g_assert_false(equal(dir, run_a, cache));

        /* edited in place: same size, same inode, one byte changed */
        g_autofree char *saved_b = NULL;
        g_autofree char *v4_path = g_build_filename(dir, BS_RULES_V4, NULL);
        g_assert_true(g_file_get_contents(v4_path, &saved_b, NULL, NULL));
        char *port = strstr(saved_b, "--dport 23");
        g_assert_nonnull(port);
        port[strlen("--dport 2")] = '2';
        rewrite_in_place(dir, BS_RULES_V4, saved_b);
        g_assert_true(equal(dir, run_a, cache));
        g_assert_false(equal(dir, run_b, cache));

        /* broken by hand: not saved, and no error */
        rewrite_in_place(dir, BS_RULES_V4, "*filter\n-A NOSUCHCHAIN -j ACCEPT\nCOMMIT\n");
        g_assert_false(equal(dir, run_a, cache));
        g_assert_false(equal(dir, run_b, cache));

        /* removed */
        g_autofree char *v4 = g_build_filename(dir, BS_RULES_V4, NULL);
        g_autofree char *v6 = g_build_filename(dir, BS_RULES_V6, NULL);
        g_assert_cmpint(g_unlink(v4), ==, 0);
        g_assert_false(equal(dir, run_a, cache));
        g_assert_false(cache[0].valid);

        /* only IPv4 running (IPv6 not active): the IPv6 file is not asked */
        const bs_table *only4[2] = { a4, NULL };
        g_assert_cmpint(bs_persist_save(dir, only4), ==, 0);
        g_assert_true(equal(dir, only4, cache));

        for (int i = 0; i < 2; i++)
                bs_persist_cache_done(&cache[i]);
        g_unlink(v4);
        g_unlink(v6);
        g_rmdir(dir);
}

static char *read_saved(const char *dir, const char *name) {
        g_autofree char *path = g_build_filename(dir, name, NULL);
        char *text = NULL;
        g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
        return text;
}

static guint count_entries(const char *dir) {
        g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
        guint n = 0;
        while (g_dir_read_name(d))
                n++;
        return n;
}

/* Save replaces both files or neither: the IPv6 file cannot be written
 * (a file size limit below its size makes its write fail with EFBIG, with
 * SIGXFSZ ignored): the IPv4 file must still be the old one, and no
 * temporary file is left. */
static void test_save_both_or_neither(void) {
        g_autofree char *dir = g_dir_make_tmp("test-persist-XXXXXX", NULL);
        _cleanup_table_ bs_table *a4 = parse(BS_FAMILY_IPV4, V4_A);
        _cleanup_table_ bs_table *b4 = parse(BS_FAMILY_IPV4, V4_B);
        _cleanup_table_ bs_table *a6 = parse(BS_FAMILY_IPV6, V6_A);
        const bs_table *run_a[2] = { a4, a6 };
        g_assert_cmpint(bs_persist_save(dir, run_a), ==, 0);
        g_autofree char *old4 = read_saved(dir, BS_RULES_V4), *old6 = read_saved(dir, BS_RULES_V6);

        /* an IPv6 table whose file is far bigger than the IPv4 one */
        GString *big = g_string_new("*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n");
        for (int i = 0; i < 200; i++)
                g_string_append_printf(big, "-A INPUT -s 2001:db8::%x/128 -j ACCEPT\n", i + 1);
        g_string_append(big, "COMMIT\n");
        _cleanup_table_ bs_table *big6 = parse(BS_FAMILY_IPV6, big->str);
        g_string_free(big, TRUE);
        const bs_table *run_b[2] = { b4, big6 };

        struct rlimit old_limit, limit;
        g_assert_cmpint(getrlimit(RLIMIT_FSIZE, &old_limit), ==, 0);
        limit = old_limit;
        limit.rlim_cur = 2048;  /* above the IPv4 file, below the IPv6 one */
        void (*old_handler)(int) = signal(SIGXFSZ, SIG_IGN);
        g_assert_cmpint(setrlimit(RLIMIT_FSIZE, &limit), ==, 0);
        int r = bs_persist_save(dir, run_b);
        g_assert_cmpint(setrlimit(RLIMIT_FSIZE, &old_limit), ==, 0);
        signal(SIGXFSZ, old_handler);
        g_assert_cmpint(r, ==, -EFBIG);

        g_autofree char *now4 = read_saved(dir, BS_RULES_V4), *now6 = read_saved(dir, BS_RULES_V6);
        g_assert_cmpstr(now4, ==, old4);
        g_assert_cmpstr(now6, ==, old6);
        g_assert_cmpuint(count_entries(dir), ==, 2);  /* no temporary file left */

        /* and without the limit both are replaced */
        g_assert_cmpint(bs_persist_save(dir, run_b), ==, 0);
        g_assert_true(equal(dir, run_b, NULL));

        g_autofree char *v4 = g_build_filename(dir, BS_RULES_V4, NULL);
        g_autofree char *v6 = g_build_filename(dir, BS_RULES_V6, NULL);
        g_unlink(v4);
        g_unlink(v6);
        g_rmdir(dir);
}

/* A host without IPv6 (no IPv6 table given): a rules.v6 left from before
 * makes the rules not saved (boot would restore it), and Save removes it. */
static void test_stale_rules_v6(void) {
        g_autofree char *dir = g_dir_make_tmp("test-persist-XXXXXX", NULL);
        _cleanup_table_ bs_table *a4 = parse(BS_FAMILY_IPV4, V4_A);
        _cleanup_table_ bs_table *a6 = parse(BS_FAMILY_IPV6, V6_A);
        const bs_table *both[2] = { a4, a6 }, *only4[2] = { a4, NULL };
        g_assert_cmpint(bs_persist_save(dir, both), ==, 0);
        g_autofree char *v4 = g_build_filename(dir, BS_RULES_V4, NULL);
        g_autofree char *v6 = g_build_filename(dir, BS_RULES_V6, NULL);
        g_assert_true(g_file_test(v6, G_FILE_TEST_EXISTS));
        g_assert_false(equal(dir, only4, NULL));
        g_assert_cmpint(bs_persist_save(dir, only4), ==, 0);
        g_assert_false(g_file_test(v6, G_FILE_TEST_EXISTS));
        g_assert_true(equal(dir, only4, NULL));
        g_unlink(v4);
        g_rmdir(dir);
}

/* The saved text as GetSavedRulesText gives it: no comment lines, no
 * counters (not even the policies'), re-read when the file changes;
 * -ENOENT without a file, -EBADMSG for one that does not parse. */
static void test_saved_text(void) {
        g_autofree char *dir = g_dir_make_tmp("test-persist-XXXXXX", NULL);
        g_assert_nonnull(dir);
        bs_persist_cache cache = {};
        _cleanup_buf_ bs_buf none = {};
        g_assert_cmpint(bs_persist_saved_text(dir, BS_FAMILY_IPV4, &cache, &none), ==, -ENOENT);

        _cleanup_table_ bs_table *a4 = parse(BS_FAMILY_IPV4,
                                             "*filter\n:INPUT DROP [12:3456]\n:FORWARD ACCEPT [0:0]\n"
                                             ":OUTPUT ACCEPT [7:8]\n:svc - [0:0]\n"
                                             "[5:300] -A INPUT -p tcp -m tcp --dport 22 -j ACCEPT\nCOMMIT\n");
        static const char plain[] = "*filter\n:INPUT DROP [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n"
                                    ":svc - [0:0]\n-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT\nCOMMIT\n";
        _cleanup_buf_ bs_buf running = {};
        g_assert_cmpint(bs_persist_render_plain(a4, &running), ==, 0);
        g_assert_cmpstr(running.data, ==, plain);

        const bs_table *t[2] = { a4, NULL };
        g_assert_cmpint(bs_persist_save(dir, t), ==, 0);
        _cleanup_buf_ bs_buf saved = {};
        g_assert_cmpint(bs_persist_saved_text(dir, BS_FAMILY_IPV4, &cache, &saved), ==, 0);
        g_assert_cmpstr(saved.data, ==, plain);
        /* without a cache too */
        _cleanup_buf_ bs_buf saved2 = {};
        g_assert_cmpint(bs_persist_saved_text(dir, BS_FAMILY_IPV4, NULL, &saved2), ==, 0);
        g_assert_cmpstr(saved2.data, ==, plain);

        rewrite_in_place(dir, BS_RULES_V4, V4_B);
        _cleanup_buf_ bs_buf changed = {};
        g_assert_cmpint(bs_persist_saved_text(dir, BS_FAMILY_IPV4, &cache, &changed), ==, 0);
        g_assert_nonnull(strstr(changed.data, "--dport 23"));

        rewrite_in_place(dir, BS_RULES_V4, "*filter\n-A INPUT -j NOSUCHTARGET --bogus\nCOMMIT\n");
        _cleanup_buf_ bs_buf bad = {};
        g_assert_cmpint(bs_persist_saved_text(dir, BS_FAMILY_IPV4, &cache, &bad), ==, -EBADMSG);
        bs_persist_cache_done(&cache);
        g_autofree char *v4 = g_build_filename(dir, BS_RULES_V4, NULL);
        g_assert_cmpint(unlink(v4), ==, 0);
        g_assert_cmpint(g_rmdir(dir), ==, 0);
}

int main(int argc, char **argv) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/persist/equal-cached", test_equal_cached);
        g_test_add_func("/persist/save-both-or-neither", test_save_both_or_neither);
        g_test_add_func("/persist/stale-rules-v6", test_stale_rules_v6);
        g_test_add_func("/persist/saved-text", test_saved_text);
        return g_test_run();
}
