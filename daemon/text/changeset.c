/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "changeset.h"
#include "utf8.h"

#include <stdarg.h>

#include "text.h"

void bs_changeset_done(bs_changeset *s) {
        for (size_t i = 0; i < s->n_changes; i++)
                bs_change_done(&s->changes[i]);
        free(s->changes);
        free(s->commands);
        free(s->command_text);
        memset(s, 0, sizeof(*s));
}

/* A change set being built. The commands' text goes into one buffer (one
 * allocation for all of them, not one each); commands[] points into it
 * once it has stopped moving (builder_finish). */
typedef struct builder {
        bs_changeset set;
        size_t cap;      /* of set.changes and offsets */
        bs_buf text;
        size_t *offsets; /* of each command in text */
} builder;

/* Room for n changes and text_size bytes of commands up front: a large
 * set then never copies what it has built so far (with 10,000 changes,
 * the copies of growing took a tenth of the time). */
static int builder_reserve(builder *b, size_t n, size_t text_size) {
        if (n > b->cap) {
                bs_change *c = reallocarray(b->set.changes, n, sizeof(bs_change));
                if (!c)
                        return -ENOMEM;
                b->set.changes = c;
                size_t *o = reallocarray(b->offsets, n, sizeof(size_t));
                if (!o)
                        return -ENOMEM;
                b->offsets = o;
                b->cap = n;
        }
        return bs_buf_reserve(&b->text, text_size);
}

static void builder_done(builder *b) {
        bs_changeset_done(&b->set);
        bs_buf_done(&b->text);
        free(b->offsets);
}

static int add(builder *b, bs_change *c, bs_family f) {
        bs_changeset *s = &b->set;
        size_t off = b->text.len;
        int r = bs_render_change(c, f, &b->text);
        if (r < 0)
                return r;
        /* each command ends in a NUL inside text */
        r = bs_buf_append(&b->text, " ");
        if (r < 0)
                return r;
        b->text.data[b->text.len - 1] = '\0';
        /* beyond what was reserved, the arrays double: one realloc per
         * element made a large set copy its changes over and over */
        if (s->n_changes == b->cap) {
                r = builder_reserve(b, b->cap ? b->cap * 2 : 1, 0);
                if (r < 0)
                        return r;
        }
        b->offsets[s->n_changes] = off;
        c->families = bs_family_mask(f);
        /* parsed in its place already (see bs_changeset_parse), or moved
         * there: c owns nothing any more */
        if (c != &s->changes[s->n_changes]) {
                s->changes[s->n_changes] = *c;
                c->rule.matches = NULL;
                c->rule.n_matches = 0;
                c->rule.target.kind = BS_TARGET_NONE;
        }
        s->n_changes++;
        return 0;
}

/* Hand the set over, its commands pointing into their text. */
static int builder_finish(builder *b, bs_changeset *ret) {
        bs_changeset *s = &b->set;
        if (s->n_changes > 0) {
                s->commands = calloc(s->n_changes, sizeof(char *));
                if (!s->commands)
                        return -ENOMEM;
                s->command_text = TAKE_PTR(b->text.data);
                b->text.len = b->text.cap = 0;
                for (size_t i = 0; i < s->n_changes; i++)
                        s->commands[i] = s->command_text + b->offsets[i];
                s->n_commands = s->n_changes;
        }
        *ret = *s;
        memset(s, 0, sizeof(*s));
        return 0;
}

/* Whether a rule parsed as IPv4 has a source or destination other than
 * "any": then the same line parsed as IPv6 fails (most lines of a large
 * set are such; parsing them for IPv6 took a sixth of the time).
 *
 * Why: both parses take the same words the same way until one of them
 * fails (the parse is per word, and what the family changes, -4/-6, -f,
 * icmp, addresses, reject types, either fails in one family or reads the
 * same words), so the IPv6 parse fails before the -s/-d word or reads it.
 * It reads it as IPv6 text_parse_host_mask: the IPv4 mask that was not 0
 * is a prefix length that is not 0 in IPv6 either, or a dotted mask that
 * is no IPv6 mask; and an address IPv4 reads has no ':', which every
 * IPv6 address has. tests/test-changeset.c checks it against parsing
 * each family on its own. */
static bool ipv4_address_given(const bs_rule *r) {
        return !bs_addr_is_any(&r->src) || !bs_addr_is_any(&r->dst);
}

int bs_changeset_parse(char *const *lines, size_t n, bool ipv6, bs_changeset *ret, char *err, size_t err_size) {
        _cleanup_(builder_done) builder b = {};
        if (n > BS_CHANGESET_MAX)
                return bs_seterr(err, err_size, -E2BIG, "too many changes (%zu, at most %d)", n, BS_CHANGESET_MAX);
        if (n == 0)
                return bs_seterr(err, err_size, -EINVAL, "no changes given");
        /* one change per line, its command about as long as the line plus
         * "ip6tables": what most sets are */
        size_t text_size = 0;
        for (size_t i = 0; i < n; i++)
                text_size += strnlen(lines[i], BS_CHANGE_TEXT_MAX + 1) + 16;
        /* n + 1: room for two changes before each line (see below) */
        int k = builder_reserve(&b, n + 1, text_size);
        if (k < 0)
                return k;
        /* one buffer for the words of every line */
        _cleanup_(bs_words_buf_done) bs_words_buf words = {};

        for (size_t i = 0; i < n; i++) {
                const char *line = lines[i];
                if (strlen(line) > BS_CHANGE_TEXT_MAX)
                        return bs_seterr(err, err_size, -EINVAL, "change %zu is longer than %d bytes", i + 1,
                                      BS_CHANGE_TEXT_MAX);
                /* The IPv4 change is parsed straight into its place in
                 * the set, which saves a copy of it per line (a tenth of
                 * the time add() took); the first thing a line needs is
                 * room there for both families' changes. */
                if (b.cap - b.set.n_changes < 2) {
                        k = builder_reserve(&b, b.cap * 2, 0);
                        if (k < 0)
                                return k;
                }
                bs_change *c4 = &b.set.changes[b.set.n_changes], c6;
                /* Only the messages are read here, and only once a
                 * parse failed: no need to clear all of both errors
                 * (nearly 800 bytes) for every line. */
                bs_parse_error e4, e6;
                e4.message[0] = e6.message[0] = '\0';
                int r4, r6;
                /* split once, parse for each family */
                r4 = r6 = bs_split_words_buf(line, &words, &e4);
                if (r4 >= 0) {
                        char *const *w = words.words;
                        size_t n_words = words.n;
                        r4 = bs_parse_change_split_in(BS_FAMILY_IPV4, line, w, n_words, c4, &e4);
                        if (r4 >= 0 && ipv4_address_given(&c4->rule))
                                /* IPv6 fails on the address: no need to ask */
                                r6 = -EINVAL;
                        else
                                /* The IPv6 parse's message is reported only
                                 * for a line that is for IPv6 alone (see
                                 * below): for any other line it is not
                                 * formatted at all. */
                                r6 = bs_parse_change_split(BS_FAMILY_IPV6, line, w, n_words, &c6,
                                                           r4 == -EAFNOSUPPORT ? &e6 : NULL);
                } else
                        e6 = e4;
                if (r4 == -ENOMEM || r6 == -ENOMEM) {
                        if (r4 >= 0)
                                bs_change_done(c4);
                        if (r6 >= 0)
                                bs_change_done(&c6);
                        return -ENOMEM;
                }
                if (r4 < 0 && r6 < 0) {
                        /* name the error of the family the change seemed meant for */
                        const bs_parse_error *e = r4 == -EAFNOSUPPORT ? &e6 : &e4;
                        return bs_seterr(err, err_size, -EINVAL, "change %zu \"%.*s\": %s", i + 1,
                                      bs_utf8_prefix(line, 200), line,
                                      e->message[0] ? e->message : "invalid");
                }
                const char *table = r4 >= 0 ? c4->table : c6.table;
                if (!streq(table, "filter")) {
                        if (r4 >= 0)
                                bs_change_done(c4);
                        if (r6 >= 0)
                                bs_change_done(&c6);
                        return bs_seterr(err, err_size, -EINVAL,
                                      "change %zu \"%.*s\": only the filter table is managed", i + 1,
                                      bs_utf8_prefix(line, 200), line);
                }
                if (r6 >= 0 && r4 < 0 && !ipv6) {
                        bs_change_done(&c6);
                        return bs_seterr(err, err_size, -EAFNOSUPPORT,
                                      "change %zu \"%.*s\" is for IPv6, which this host does not have", i + 1,
                                      bs_utf8_prefix(line, 200), line);
                }
                int r = 0;
                if (r4 >= 0)
                        r = add(&b, c4, BS_FAMILY_IPV4);
                if (r4 >= 0 && r < 0)
                        bs_change_done(c4);
                if (r6 >= 0) {
                        if (r >= 0 && ipv6)
                                r = add(&b, &c6, BS_FAMILY_IPV6);
                        if (r < 0 || !ipv6)
                                bs_change_done(&c6);
                }
                if (r < 0)
                        return r;
        }
        return builder_finish(&b, ret);
}

static bool match_keeps_no_shared_state(const bs_match *m) {
        switch (m->kind) {
        case BS_MATCH_TCP:
        case BS_MATCH_UDP:
        case BS_MATCH_ICMP:
        case BS_MATCH_ICMP6:
        case BS_MATCH_CONNTRACK:
        case BS_MATCH_MULTIPORT:
        case BS_MATCH_COMMENT:
        case BS_MATCH_LIMIT:  /* a bucket of its own rule's */
        case BS_MATCH_ADDRTYPE:
        case BS_MATCH_MAC:
        case BS_MATCH_IPRANGE:
                return true;
        default:
                return false;
        }
}

bool bs_changeset_only_widens(const bs_changeset *s) {
        for (size_t i = 0; i < s->n_changes; i++) {
                const bs_change *c = &s->changes[i];
                if (c->kind == BS_CHANGE_NEW_CHAIN)
                        continue;
                if ((c->kind != BS_CHANGE_APPEND && c->kind != BS_CHANGE_INSERT) ||
                    c->rule.target.kind != BS_TARGET_ACCEPT)
                        return false;
                for (size_t k = 0; k < c->rule.n_matches; k++)
                        if (!match_keeps_no_shared_state(&c->rule.matches[k]))
                                return false;
        }
        return true;
}

int bs_changeset_apply(const bs_changeset *s, const bs_table *before, bs_table **ret, size_t *ret_failed) {
        _cleanup_table_ bs_table *t = NULL;
        int r = bs_table_copy(&t, before);
        if (r < 0)
                return r;
        for (size_t i = 0; i < s->n_changes; i++) {
                r = bs_table_apply_change(t, &s->changes[i]);
                if (r < 0) {
                        if (ret_failed)
                                *ret_failed = i;
                        return r;
                }
        }
        *ret = TAKE_PTR(t);
        return 0;
}

int bs_changeset_from_changes(bs_change *changes, size_t n, bs_changeset *ret) {
        _cleanup_(builder_done) builder b = {};
        int r = builder_reserve(&b, n, 0);
        if (r < 0) {
                for (size_t i = 0; i < n; i++)
                        bs_change_done(&changes[i]);
                return r;
        }
        for (size_t i = 0; i < n; i++) {
                bs_family f = changes[i].families & BS_FAMILY_MASK_IPV6 ? BS_FAMILY_IPV6 : BS_FAMILY_IPV4;
                r = add(&b, &changes[i], f);
                if (r < 0) {
                        for (size_t k = i; k < n; k++)
                                bs_change_done(&changes[k]);
                        return r;
                }
        }
        return builder_finish(&b, ret);
}
