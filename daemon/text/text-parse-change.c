/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A whole change line parsed into a bs_change: the -4 / -6 that decide the
 * family before anything else is read, then the options (text-parse.c),
 * then what a change needs besides a valid rule (a command; no rule
 * options with a command that takes no rule; -i / -o where the chain has
 * such an interface). */
#include "text-internal.h"

/* -o makes no sense where there is no output interface yet, -i where
 * there is no input interface any more. */
static int check_chain_ifaces(text_parse_state *s) {
        const bs_change *c = s->change;
        const bs_rule *r = &c->rule;
        if (r->out_iface[0] && (streq(c->chain, "INPUT") || streq(c->chain, "PREROUTING")))
                return FAIL(s, -1, "-o", "-o cannot be used in %s", c->chain);
        if (r->in_iface[0] && (streq(c->chain, "OUTPUT") || streq(c->chain, "POSTROUTING")))
                return FAIL(s, -1, "-i", "-i cannot be used in %s", c->chain);
        return 0;
}

static int parse_change_words(bs_family family, const char *line, char *const *words, size_t n, bs_change *ret,
                              bs_parse_error *err);

int bs_parse_change(bs_family family, const char *line, bs_change *ret, bs_parse_error *err) {
        char **words = NULL;
        size_t n = 0;
        int r = bs_split_words(line, &words, &n, err);
        if (r < 0)
                return r;
        r = parse_change_words(family, line, words, n, ret, err);
        bs_words_free(words, n);
        return r;
}

int bs_parse_change_split(bs_family family, const char *line, char *const *words, size_t n, bs_change *ret,
                          bs_parse_error *err) {
        return parse_change_words(family, line, words, n, ret, err);
}

static int parse_change_in(bs_family family, const char *line, char *const *words, size_t n, bs_change *c,
                           bs_parse_error *err);

int bs_parse_change_split_in(bs_family family, const char *line, char *const *words, size_t n, bs_change *c,
                             bs_parse_error *err) {
        return parse_change_in(family, line, words, n, c, err);
}

int bs_parse_change_words(bs_family family, char *const *words, size_t n, bs_change *ret, bs_parse_error *err) {
        return parse_change_words(family, n > 0 ? words[0] : "", words, n, ret, err);
}

/* '4' for -4 / --ipv4, '6' for -6 / --ipv6, 't' for -t / --table, else 0 */
static char header_word(const char *w) {
        if (w[0] != '-')
                return 0;
        if (w[1] != '-')
                return (w[1] == '4' || w[1] == '6' || w[1] == 't') && w[2] == '\0' ? w[1] : 0;
        if (streq(w + 2, "ipv4"))
                return '4';
        if (streq(w + 2, "ipv6"))
                return '6';
        if (streq(w + 2, "table"))
                return 't';
        return 0;
}

/* line: what messages about the whole change name as the word */
/* The change is built in *c, which holds an empty change after a failure. */
static int parse_change_in(bs_family family, const char *line, char *const *words, size_t n, bs_change *c,
                           bs_parse_error *err) {
        int r;
        bs_change_init(c, BS_CHANGE_APPEND, bs_family_mask(family));
        c->rule.family = family;
        text_parse_state s;
        text_parse_state_init(&s, family, &c->rule, c, words, n, err);

        /* a leading -4 / -6 decides before anything is parsed in the
         * other family's syntax */
        for (size_t i = 0; i < n; i++) {
                char h = header_word(words[i]);
                bool v4 = h == '4', v6 = h == '6';
                if ((v4 && family != BS_FAMILY_IPV4) || (v6 && family != BS_FAMILY_IPV6)) {
                        FAIL(&s, i, words[i], "this line is for %s only", v4 ? "IPv4" : "IPv6");
                        r = -EAFNOSUPPORT;
                        goto out;
                }
                if (h == 't')
                        i++;
                else if (!v4 && !v6)
                        break;
        }

        r = text_parse_loop(&s);
        if (r < 0)
                goto out;
        if (!s.command_seen) {
                r = FAIL(&s, -1, line, "no command (-A, -I, -R, -D, -P, -N, -X or -F) given");
                goto out;
        }
        bool with_rule = c->kind == BS_CHANGE_APPEND || c->kind == BS_CHANGE_INSERT ||
                         c->kind == BS_CHANGE_REPLACE || c->kind == BS_CHANGE_DELETE;
        if (!with_rule) {
                /* only -t, -4, -6 and -w may come with a command that takes no rule */
                uint64_t allowed = TEXT_HEADER_BIT('t') | TEXT_HEADER_BIT('4') | TEXT_HEADER_BIT('6');
                if ((s.seen & ~allowed) || s.n_inst > 0 || c->rule.target.kind != BS_TARGET_NONE ||
                    c->rule.n_matches > 0) {
                        r = FAIL(&s, -1, line, "rule options cannot be used with this command");
                        goto out;
                }
        } else {
                r = text_check_rule(&s);
                if (r < 0)
                        goto out;
                r = check_chain_ifaces(&s);
                if (r < 0)
                        goto out;
        }
        text_parse_state_done(&s);
        return 0;
out:
        text_parse_state_done(&s);
        bs_change_done(c);
        return r;
}

/* *ret is written only when the parse succeeds */
static int parse_change_words(bs_family family, const char *line, char *const *words, size_t n, bs_change *ret,
                              bs_parse_error *err) {
        bs_change change;
        int r = parse_change_in(family, line, words, n, &change, err);
        if (r >= 0)
                *ret = change;
        return r;
}
