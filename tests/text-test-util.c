/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "text-test-util.h"

int parse_rule_line(bs_family f, const char *rule, bs_rule *ret, bs_parse_error *err) {
        g_autofree char *line = g_strdup_printf("-A FORWARD %s", rule);
        bs_change c;
        int r = bs_parse_change(f, line, &c, err);
        if (r < 0)
                return r;
        *ret = c.rule; /* take the rule; the change owns nothing else */
        return 0;
}

char *render(const bs_rule *r) {
        bs_buf b = {};
        g_assert_cmpint(bs_render_rule(r, &b), ==, 0);
        char *s = g_strdup(b.data);
        bs_buf_done(&b);
        return s;
}

void parse_ok(bs_family f, const char *rule, bs_rule *ret) {
        bs_parse_error err = {};
        int r = parse_rule_line(f, rule, ret, &err);
        if (r < 0)
                g_error("\"%s\" did not parse: %s (word \"%s\")", rule, err.message, err.word);
}

void change_ok(bs_family f, const char *line, bs_change *c) {
        bs_parse_error err = {};
        int r = bs_parse_change(f, line, c, &err);
        if (r < 0)
                g_error("\"%s\": %s (word \"%s\")", line, err.message, err.word);
}
