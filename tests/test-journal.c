/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests of the transaction journal (daemon/journal.c): the format
 * round-trips, and anything truncated, flipped or inconsistent is refused
 * (never half-read); the files are written atomically. */
#include <glib.h>
#include <glib/gstdio.h>

#include "journal.h"

static bs_table *sample_table(bs_family f, unsigned n_rules, bool drop) {
        bs_table *t = bs_table_new(f, "filter");
        g_assert_nonnull(t);
        g_assert_cmpint(bs_table_add_chain(t, "INPUT", true, drop ? BS_POLICY_DROP : BS_POLICY_ACCEPT, NULL), ==, 0);
        g_assert_cmpint(bs_table_add_chain(t, "FORWARD", true, BS_POLICY_ACCEPT, NULL), ==, 0);
        g_assert_cmpint(bs_table_add_chain(t, "OUTPUT", true, BS_POLICY_ACCEPT, NULL), ==, 0);
        bs_chain *svc;
        g_assert_cmpint(bs_table_add_chain(t, "svc", false, BS_POLICY_NONE, &svc), ==, 0);
        for (unsigned i = 0; i < n_rules; i++) {
                bs_rule r;
                bs_rule_init(&r, f);
                r.proto = 6;
                bs_match *m = bs_rule_add_match(&r, BS_MATCH_TCP);
                m->tcp.sport = (bs_port_range){ 0, 65535 };
                m->tcp.dport = (bs_port_range){ (uint16_t) (1000 + i), (uint16_t) (1000 + i) };
                r.target.kind = BS_TARGET_ACCEPT;
                r.packets = i * 10;
                r.bytes = i * 1000;
                bs_chain *input = bs_table_find_chain(t, "INPUT");
                g_assert_cmpint(bs_chain_insert_rule(input, input->n_rules, &r), ==, 0);
        }
        return t;
}

/* What the sample's IPv4 change on svc adds. */
static void append_comment_rule(bs_table *t) {
        bs_rule r;
        bs_rule_init(&r, t->family);
        bs_match *m = bs_rule_add_match(&r, BS_MATCH_COMMENT);
        g_assert_nonnull(m);
        g_strlcpy(m->comment, "it's a b", sizeof(m->comment));
        r.target.kind = BS_TARGET_ACCEPT;
        bs_chain *svc = bs_table_find_chain(t, "svc");
        g_assert_cmpint(bs_chain_insert_rule(svc, svc->n_rules, &r), ==, 0);
}

/* A journal whose changes turn its tables before into its tables after,
 * as transaction_apply writes them. */
static bs_journal *sample_journal(void) {
        bs_journal *j = bs_journal_new();
        g_assert_nonnull(j);
        j->id = 42;
        j->owner_uid = 1000;
        j->strict = false;
        j->save = true;
        j->deadline_boottime_usec = 123456789;
        j->deadline_realtime_usec = 1790000000000000ULL;
        g_assert_cmpint(bs_journal_add_change(j, "iptables -A INPUT -p tcp -m tcp --dport 1003 -j ACCEPT"), ==, 0);
        g_assert_cmpint(bs_journal_add_change(j, "ip6tables -P INPUT DROP"), ==, 0);
        g_assert_cmpint(bs_journal_add_change(j, "iptables -A svc -m comment --comment 'it'\\''s a b' -j ACCEPT"), ==, 0);
        free(j->connections);
        j->connections = g_strdup("tcp 192.0.2.2 51234 192.0.2.1 22\n");
        j->before[0] = sample_table(BS_FAMILY_IPV4, 3, false);
        j->after[0] = sample_table(BS_FAMILY_IPV4, 4, false);
        append_comment_rule(j->after[0]);
        j->before[1] = sample_table(BS_FAMILY_IPV6, 0, false);
        j->after[1] = sample_table(BS_FAMILY_IPV6, 0, true);
        return j;
}

static char *format(const bs_journal *j, size_t *len) {
        _cleanup_buf_ bs_buf b = {};
        g_assert_cmpint(bs_journal_format(j, &b), ==, 0);
        *len = b.len;
        return g_strndup(b.data, b.len);
}

static void test_round_trip(void) {
        _cleanup_journal_ bs_journal *j = sample_journal();
        size_t len;
        g_autofree char *text = format(j, &len);
        g_assert_true(g_str_has_prefix(text, "backstop-journal 4\nid 42\n"));
        /* the table after is not written: the parser recomputes it */
        g_assert_null(strstr(text, "table after"));

        _cleanup_journal_ bs_journal *k = NULL;
        char err[256];
        g_assert_cmpint(bs_journal_parse(text, len, &k, err, sizeof(err)), ==, 0);
        g_assert_cmpuint(k->id, ==, 42);
        g_assert_cmpuint(k->owner_uid, ==, 1000);
        g_assert_false(k->strict);
        g_assert_true(k->save);
        g_assert_cmpuint(k->deadline_boottime_usec, ==, 123456789);
        g_assert_cmpuint(k->deadline_realtime_usec, ==, 1790000000000000ULL);
        g_assert_cmpuint(k->n_changes, ==, 3);
        g_assert_cmpstr(k->changes[2], ==, j->changes[2]);
        g_assert_cmpstr(k->connections, ==, j->connections);
        for (int f = 0; f < 2; f++) {
                g_assert_true(bs_table_equal(k->before[f], j->before[f]));
                g_assert_true(bs_table_equal(k->after[f], j->after[f]));
        }
        /* the table after is recomputed: a table that differs from the
         * table before plus the changes is no round trip */
        g_assert_false(bs_table_equal(k->after[0], k->before[0]));
        g_assert_false(bs_table_equal(k->after[1], k->before[1]));
        /* counters are kept: a restore puts them back */
        g_assert_cmpuint(k->before[0]->chains[0].rules[2].packets, ==, 20);
        g_assert_cmpuint(k->before[0]->chains[0].rules[2].bytes, ==, 2000);

        /* formatting the parsed journal gives the same bytes */
        size_t len2;
        g_autofree char *text2 = format(k, &len2);
        g_assert_cmpmem(text, len, text2, len2);
}

/* Journals written by version 1 (the table after written out) are still
 * read, after tables and all. */
static void test_version1(void) {
        _cleanup_table_ bs_table *before = sample_table(BS_FAMILY_IPV4, 1, false);
        _cleanup_table_ bs_table *after = sample_table(BS_FAMILY_IPV4, 2, true);
        _cleanup_buf_ bs_buf b = {}, a = {};
        g_assert_cmpint(bs_render_save(before, true, &b), ==, 0);
        g_assert_cmpint(bs_render_save(after, true, &a), ==, 0);
        g_autofree char *body = g_strdup_printf(
                "backstop-journal 1\nid 3\nowner-uid 0\nstrict 0\nsave 0\n"
                "deadline-boottime-usec 5\ndeadline-realtime-usec 6\n"
                "change 8\nanything\nconnections 0\n\n"
                "table before ipv4 %zu\n%s\ntable after ipv4 %zu\n%s\n",
                b.len, b.data, a.len, a.data);
        uint64_t h = 0xcbf29ce484222325ULL;
        for (const char *p = body; *p; p++) {
                h ^= (uint8_t) *p;
                h *= 0x100000001b3ULL;
        }
        g_autofree char *text = g_strdup_printf("%send %016" G_GINT64_MODIFIER "x\n", body, (guint64) h);
        _cleanup_journal_ bs_journal *k = NULL;
        char err[256] = "";
        int r = bs_journal_parse(text, strlen(text), &k, err, sizeof(err));
        if (r < 0)
                g_error("%s", err);
        g_assert_true(bs_table_equal(k->before[0], before));
        g_assert_true(bs_table_equal(k->after[0], after));
        g_assert_null(k->before[1]);
}

static void test_ipv4_only(void) {
        _cleanup_journal_ bs_journal *j = sample_journal();
        bs_table_free(j->before[1]);
        bs_table_free(j->after[1]);
        j->before[1] = j->after[1] = NULL;
        size_t len;
        g_autofree char *text = format(j, &len);
        _cleanup_journal_ bs_journal *k = NULL;
        g_assert_cmpint(bs_journal_parse(text, len, &k, NULL, 0), ==, 0);
        g_assert_null(k->before[1]);
        g_assert_nonnull(k->before[0]);
}

static void test_every_truncation_refused(void) {
        _cleanup_journal_ bs_journal *j = sample_journal();
        size_t len;
        g_autofree char *text = format(j, &len);
        for (size_t n = 0; n < len; n++) {
                bs_journal *k = NULL;
                char err[256] = "";
                g_autofree char *copy = g_strndup(text, n);
                int r = bs_journal_parse(copy, n, &k, err, sizeof(err));
                if (r != -EBADMSG)
                        g_error("truncated to %zu of %zu bytes: %d", n, len, r);
                g_assert_null(k);
                g_assert_cmpstr(err, !=, "");
        }
}

static void test_every_flip_refused(void) {
        _cleanup_journal_ bs_journal *j = sample_journal();
        size_t len;
        g_autofree char *text = format(j, &len);
        for (size_t i = 0; i < len; i++) {
                bs_journal *k = NULL;
                g_autofree char *copy = g_memdup2(text, len + 1);
                copy[i] ^= 0x04;
                int r = bs_journal_parse(copy, len, &k, NULL, 0);
                if (r != -EBADMSG)
                        g_error("byte %zu flipped: %d", i, r);
        }
}

/* A journal text with a correct checksum, to reach the checks after it. */
/* The end line's checksum, written again here: FNV-1a 64 a byte at a time
 * (versions 1 and 2), or a little-endian 64-bit word at a time and then
 * the bytes left (version 3). */
static uint64_t checksum_of(unsigned version, const char *p, size_t n) {
        uint64_t h = 0xcbf29ce484222325ULL;
        size_t i = 0;
        for (; version >= 3 && n - i >= 8; i += 8) {
                uint64_t w = 0;
                for (int b = 7; b >= 0; b--)
                        w = w << 8 | (uint8_t) p[i + (size_t) b];
                h ^= w;
                h *= 0x100000001b3ULL;
        }
        for (; i < n; i++) {
                h ^= (uint8_t) p[i];
                h *= 0x100000001b3ULL;
        }
        return h;
}

static char *with_checksum_of(unsigned version, const char *body) {
        return g_strdup_printf("%send %016" G_GINT64_MODIFIER "x\n", body,
                               (guint64) checksum_of(version, body, strlen(body)));
}

/* The body with the end line of the version it declares. */
static char *with_checksum(const char *body) {
        bool wordwise = g_str_has_prefix(body, "backstop-journal 3\n") || g_str_has_prefix(body, "backstop-journal 4\n");
        return with_checksum_of(wordwise ? 3 : 2, body);
}

static char *with_change(const char *head, const char *change, const char *tail) {
        return g_strdup_printf("%schange %zu\n%s\n%s", head, strlen(change), change, tail);
}

/* Version 2 (its checksum a byte at a time) is still read; version 3's
 * checksum is its own: the same text under the other one is refused. */
static void test_version2(void) {
        _cleanup_journal_ bs_journal *j = sample_journal();
        size_t len;
        g_autofree char *text = format(j, &len);
        g_assert_true(g_str_has_prefix(text, "backstop-journal 4\n"));
        /* the body without its end line */
        g_autofree char *body = g_strndup(text, len - 21);
        g_autofree char *v2 = g_strconcat("backstop-journal 2", body + strlen("backstop-journal 4"), NULL);
        g_autofree char *v2_text = with_checksum(v2);
        _cleanup_journal_ bs_journal *k = NULL;
        char err[256] = "";
        int r = bs_journal_parse(v2_text, strlen(v2_text), &k, err, sizeof(err));
        if (r < 0)
                g_error("%s", err);
        g_assert_true(bs_table_equal(k->before[0], j->before[0]));
        g_assert_true(bs_table_equal(k->after[1], j->after[1]));
        g_assert_cmpuint(k->n_changes, ==, j->n_changes);
        /* version 3 (no base yet, the same checksum) is read too */
        g_autofree char *v3 = g_strconcat("backstop-journal 3", body + strlen("backstop-journal 4"), NULL);
        g_autofree char *v3_text = with_checksum(v3);
        _cleanup_journal_ bs_journal *k3 = NULL;
        g_assert_cmpint(bs_journal_parse(v3_text, strlen(v3_text), &k3, NULL, 0), ==, 0);
        g_assert_true(bs_table_equal(k3->after[0], j->after[0]));
        /* formatted again: the current version, the same bytes as the original */
        size_t len2;
        g_autofree char *again = format(k, &len2);
        g_assert_cmpmem(again, len2, text, len);

        /* the daemon's checksums are the ones written again here */
        for (unsigned v = 2; v <= 3; v++)
                g_assert_cmpuint(bs_journal_checksum(v, body, strlen(body)), ==, checksum_of(v, body, strlen(body)));
        g_assert_cmpuint(checksum_of(3, body, strlen(body)), !=, checksum_of(2, body, strlen(body)));
        /* version 3 under the byte-wise checksum, and the other way round */
        bs_journal *none = NULL;
        g_autofree char *v3_bytewise = with_checksum_of(2, body);
        g_assert_cmpint(bs_journal_parse(v3_bytewise, strlen(v3_bytewise), &none, NULL, 0), ==, -EBADMSG);
        g_autofree char *v2_wordwise = with_checksum_of(3, v2);
        g_assert_cmpint(bs_journal_parse(v2_wordwise, strlen(v2_wordwise), &none, NULL, 0), ==, -EBADMSG);
        g_assert_null(none);
}

static void test_inconsistent_refused(void) {
        _cleanup_journal_ bs_journal *j = sample_journal();
        size_t len;
        g_autofree char *good = format(j, &len);
        /* the body without its end line */
        g_autofree char *body = g_strndup(good, len - 21);
        const char head[] = "backstop-journal 2\nid 1\nowner-uid 0\nstrict 0\nsave 0\n"
                            "deadline-boottime-usec 5\ndeadline-realtime-usec 6\n";
        const char head1[] = "backstop-journal 1\nid 1\nowner-uid 0\nstrict 0\nsave 0\n"
                             "deadline-boottime-usec 5\ndeadline-realtime-usec 6\n";
        g_autofree char *tail = g_strdup(strstr(body, "connections "));
        g_autofree char *table_v4 = g_strndup(strstr(body, "table before ipv4"),
                                              (size_t) (strstr(body, "table before ipv6") -
                                                        strstr(body, "table before ipv4")));
        g_autofree char *after_v4 = g_strdup(table_v4);
        memcpy(strstr(after_v4, "before"), "after ", 6);
        /* the changes, then the tables: a change the parser refuses, or
         * one that does not apply to the table before */
        g_autofree char *bad_change = with_change(head, "iptables -A INPUT --bogus", tail);
        g_autofree char *no_chain = with_change(head, "iptables -A nochain -j DROP", tail);
        g_autofree char *not_ipt = with_change(head, "nft add rule x y z", tail);
        struct {
                const char *what;
                char *text;
        } cases[] = {
                { "version 5", g_strconcat("backstop-journal 5", body + strlen("backstop-journal 4"), NULL) },
                { "version 0", g_strconcat("backstop-journal 0", body + strlen("backstop-journal 4"), NULL) },
                { "bad change", g_strdup(bad_change) },
                { "change to a missing chain", g_strdup(no_chain) },
                { "not an iptables command", g_strdup(not_ipt) },
                { "table after in version 2", g_strconcat(head, "connections 0\n\n", table_v4, after_v4, NULL) },
                { "v1 before without after", g_strconcat(head1, "connections 0\n\n", table_v4, NULL) },
                { "strict 2", g_strconcat("backstop-journal 1\nid 1\nowner-uid 0\nstrict 2\nsave 0\n"
                                          "deadline-boottime-usec 5\ndeadline-realtime-usec 6\n",
                                          tail, NULL) },
                { "leading zero", g_strconcat("backstop-journal 1\nid 01\nowner-uid 0\nstrict 0\nsave 0\n"
                                              "deadline-boottime-usec 5\ndeadline-realtime-usec 6\n",
                                              tail, NULL) },
                { "uid overflow", g_strconcat("backstop-journal 1\nid 1\nowner-uid 4294967296\nstrict 0\nsave 0\n"
                                              "deadline-boottime-usec 5\ndeadline-realtime-usec 6\n",
                                              tail, NULL) },
                { "no connections", g_strconcat(head, "change 1\nx\n", NULL) },
                { "no tables", g_strconcat(head, "connections 0\n\n", NULL) },
                { "unknown line", g_strconcat(head, "connections 0\n\nfrobnicate 1\n", NULL) },
                { "bad table", g_strconcat(head, "connections 0\n\ntable before ipv4 8\n*filter\nX\n", NULL) },
                { "blob longer than file", g_strconcat(head, "change 9999\nabc\n", NULL) },
                { "blob without newline", g_strconcat(head, "change 2\nabc\n", NULL) },
        };
        for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
                g_autofree char *text = with_checksum(cases[i].text);
                bs_journal *k = NULL;
                char err[256] = "";
                int r = bs_journal_parse(text, strlen(text), &k, err, sizeof(err));
                if (r != -EBADMSG)
                        g_error("%s: accepted (%d)", cases[i].what, r);
                g_assert_cmpstr(err, !=, "");
                g_free(cases[i].text);
        }
        /* and the good one with a recomputed checksum is accepted */
        g_autofree char *again = with_checksum(body);
        bs_journal *k = NULL;
        g_assert_cmpint(bs_journal_parse(again, strlen(again), &k, NULL, 0), ==, 0);
        bs_journal_free(k);
}

static void test_files(void) {
        g_autofree char *dir = g_dir_make_tmp("backstop-journal-XXXXXX", NULL);
        g_assert_nonnull(dir);
        bs_journal *k = NULL;
        g_assert_cmpint(bs_journal_load(dir, &k, NULL, 0), ==, -ENOENT);

        _cleanup_journal_ bs_journal *j = sample_journal();
        g_assert_cmpint(bs_journal_write(dir, j), ==, 0);
        g_assert_cmpint(bs_journal_load(dir, &k, NULL, 0), ==, 0);
        g_assert_true(bs_table_equal(k->after[0], j->after[0]));
        bs_journal_free(k);
        k = NULL;

        /* only the journal is there: no temporary files left behind */
        g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
        guint n = 0;
        while (g_dir_read_name(d))
                n++;
        g_assert_cmpuint(n, ==, 1);

        /* corrupt: refused, set aside under a new name */
        g_autofree char *path = g_build_filename(dir, "journal", NULL);
        g_assert_true(g_file_set_contents(path, "backstop-journal 1\nid", -1, NULL));
        char err[256];
        g_assert_cmpint(bs_journal_load(dir, &k, err, sizeof(err)), ==, -EBADMSG);
        g_autofree char *aside = NULL;
        g_assert_cmpint(bs_journal_set_aside(dir, &aside), ==, 0);
        g_assert_true(g_str_has_prefix(aside, path));
        g_assert_nonnull(strstr(aside, ".corrupt-"));
        g_assert_true(g_file_test(aside, G_FILE_TEST_EXISTS));
        g_assert_cmpint(bs_journal_load(dir, &k, NULL, 0), ==, -ENOENT);
        g_assert_cmpint(bs_journal_remove(dir), ==, 0);

        uint32_t id1, id2;
        g_assert_cmpint(bs_journal_next_id(dir, &id1), ==, 0);
        g_assert_cmpint(bs_journal_next_id(dir, &id2), ==, 0);
        g_assert_cmpuint(id1, ==, 1);
        g_assert_cmpuint(id2, ==, 2);

        g_unlink(aside);
        g_autofree char *last = g_build_filename(dir, "last-id", NULL);
        g_unlink(last);
        g_rmdir(dir);
}

static guint count_bases(const char *dir, char **ret_name) {
        g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
        guint n = 0;
        for (const char *e; (e = g_dir_read_name(d));)
                if (g_str_has_prefix(e, "journal-base-")) {
                        n++;
                        if (ret_name) {
                                g_free(*ret_name);
                                *ret_name = g_strdup(e);
                        }
                }
        return n;
}

/* A journal naming a base: its tables before are the base's with the
 * replay applied; it is small; a base that is missing, corrupt or not the
 * one named is refused; a new base replaces the others. */
static void test_base(void) {
        g_autofree char *dir = g_dir_make_tmp("backstop-journal-XXXXXX", NULL);
        g_assert_nonnull(dir);
        _cleanup_table_ bs_table *base4 = sample_table(BS_FAMILY_IPV4, 300, false);
        _cleanup_table_ bs_table *base6 = sample_table(BS_FAMILY_IPV6, 0, false);
        const bs_table *base_tables[2] = { base4, base6 };
        _cleanup_journal_base_ bs_journal_base *b = NULL;
        g_assert_cmpint(bs_journal_base_write(dir, base_tables, &b), ==, 0);
        g_assert_true(bs_journal_base_name_valid(b->name));
        char *replay[] = { (char *) "iptables -A INPUT -p tcp -m tcp --dport 1300 -j ACCEPT",
                           (char *) "ip6tables -P INPUT DROP" };
        g_assert_cmpint(bs_journal_base_append(b, replay, 2), ==, 0);

        /* the transaction after the replay, as transaction_apply sees it */
        _cleanup_journal_ bs_journal *j = bs_journal_new();
        j->id = 7;
        g_assert_cmpint(bs_journal_add_change(j, "iptables -A INPUT -p tcp -m tcp --dport 1301 -j ACCEPT"), ==, 0);
        j->before[0] = sample_table(BS_FAMILY_IPV4, 301, false);
        j->after[0] = sample_table(BS_FAMILY_IPV4, 302, false);
        j->before[1] = sample_table(BS_FAMILY_IPV6, 0, true);
        j->after[1] = bs_table_ref(j->before[1]);
        j->base = bs_journal_base_ref(b);
        j->n_replay = 2;
        /* a later command on the base is not this journal's */
        char *later[] = { (char *) "iptables -F INPUT" };
        g_assert_cmpint(bs_journal_base_append(b, later, 1), ==, 0);
        g_assert_cmpint(bs_journal_write(dir, j), ==, 0);

        g_autofree char *path = g_build_filename(dir, "journal", NULL);
        g_autofree char *text = NULL;
        gsize len;
        g_assert_true(g_file_get_contents(path, &text, &len, NULL));
        g_assert_null(strstr(text, "table before"));
        g_assert_nonnull(strstr(text, b->name));
        g_assert_null(strstr(text, "-F INPUT"));
        g_assert_cmpuint(len, <, 1024);

        bs_journal *k = NULL;
        char err[256] = "";
        int r = bs_journal_load(dir, &k, err, sizeof(err));
        if (r < 0)
                g_error("%s", err);
        g_assert_null(k->base);
        for (int f = 0; f < 2; f++) {
                g_assert_true(bs_table_equal(k->before[f], j->before[f]));
                g_assert_true(bs_table_equal(k->after[f], j->after[f]));
        }
        /* written again (a rollback that must wait): self-contained */
        g_assert_cmpint(bs_journal_write(dir, k), ==, 0);
        bs_journal_free(k);
        k = NULL;
        g_clear_pointer(&text, g_free);
        g_assert_true(g_file_get_contents(path, &text, &len, NULL));
        g_assert_nonnull(strstr(text, "table before ipv4"));
        g_assert_cmpint(bs_journal_write(dir, j), ==, 0);

        /* the base corrupt, then missing, then another one of that name */
        g_autofree char *base_path = g_build_filename(dir, b->name, NULL);
        g_autofree char *base_text = NULL;
        g_assert_true(g_file_get_contents(base_path, &base_text, &len, NULL));
        base_text[len / 2] ^= 1;
        g_assert_true(g_file_set_contents(base_path, base_text, (gssize) len, NULL));
        g_assert_cmpint(bs_journal_load(dir, &k, err, sizeof(err)), ==, -EBADMSG);
        g_assert_nonnull(strstr(err, "checksum"));
        g_assert_cmpint(g_unlink(base_path), ==, 0);
        g_assert_cmpint(bs_journal_load(dir, &k, err, sizeof(err)), ==, -EBADMSG);
        g_assert_nonnull(strstr(err, b->name));
        _cleanup_journal_base_ bs_journal_base *other = NULL;
        g_assert_cmpint(bs_journal_base_write(dir, base_tables, &other), ==, 0);
        g_autofree char *other_path = g_build_filename(dir, other->name, NULL);
        g_assert_cmpint(g_rename(other_path, base_path), ==, 0);
        g_assert_cmpint(bs_journal_load(dir, &k, err, sizeof(err)), ==, 0); /* same tables, same bytes */
        bs_journal_free(k);
        k = NULL;
        base_tables[0] = j->before[0];
        _cleanup_journal_base_ bs_journal_base *third = NULL;
        g_assert_cmpint(bs_journal_base_write(dir, base_tables, &third), ==, 0);
        g_autofree char *only = NULL;
        g_assert_cmpuint(count_bases(dir, &only), ==, 1);  /* the others are removed */
        g_assert_cmpstr(only, ==, third->name);
        g_assert_cmpint(bs_journal_load(dir, &k, err, sizeof(err)), ==, -EBADMSG);

        /* a base name that is a path is refused when parsed */
        g_autofree char *evil = g_strdup_printf("backstop-journal 4\nid 1\nowner-uid 0\nstrict 0\nsave 0\n"
                                                "deadline-boottime-usec 5\ndeadline-realtime-usec 6\n"
                                                "connections 0\n\nbase ../../etc/passwd %016x\n", 0);
        g_autofree char *evil_text = with_checksum(evil);
        g_assert_cmpint(bs_journal_parse(evil_text, strlen(evil_text), &k, err, sizeof(err)), ==, -EBADMSG);
        g_assert_null(k);

        g_autofree char *third_path = g_build_filename(dir, third->name, NULL);
        g_unlink(third_path);
        g_unlink(path);
        g_rmdir(dir);
}

int main(int argc, char **argv) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/journal/round-trip", test_round_trip);
        g_test_add_func("/journal/ipv4-only", test_ipv4_only);
        g_test_add_func("/journal/version1", test_version1);
        g_test_add_func("/journal/version2", test_version2);
        g_test_add_func("/journal/every-truncation-refused", test_every_truncation_refused);
        g_test_add_func("/journal/every-flip-refused", test_every_flip_refused);
        g_test_add_func("/journal/inconsistent-refused", test_inconsistent_refused);
        g_test_add_func("/journal/files", test_files);
        g_test_add_func("/journal/base", test_base);
        return g_test_run();
}
