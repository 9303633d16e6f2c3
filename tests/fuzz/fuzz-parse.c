/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Fuzz target: the input is one iptables command line, parsed for both
 * families. When it parses, its rule is rendered as -S prints it and that
 * text must parse again to the same rule (up to the two places where
 * iptables' own output is lossy) and render to the same text; the change
 * rendered as a shell command must parse back to the same change; the
 * change set of that one line holds what each family's parse gives. */
#include "changeset.h"
#include "text.h"

#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* iptables -S prints an IPv4 conntrack address with a 16-byte and with a
 * 4-byte full mask the same way, and prints nothing for "-i +". */
static void normalize_lossy(bs_rule *r) {
        if (streq(r->in_iface, "+"))
                r->in_iface[0] = '\0';
        if (streq(r->out_iface, "+"))
                r->out_iface[0] = '\0';
        if (r->family != BS_FAMILY_IPV4)
                return;
        for (size_t i = 0; i < r->n_matches; i++) {
                bs_match_conntrack *c = &r->matches[i].conntrack;
                if (r->matches[i].kind != BS_MATCH_CONNTRACK)
                        continue;
                memset(c->origsrc.mask + 4, 0, 12);
                memset(c->origdst.mask + 4, 0, 12);
                memset(c->replsrc.mask + 4, 0, 12);
                memset(c->repldst.mask + 4, 0, 12);
        }
}

static bool has_rule(const bs_change *c) {
        return c->kind == BS_CHANGE_APPEND || c->kind == BS_CHANGE_INSERT || c->kind == BS_CHANGE_REPLACE ||
               c->kind == BS_CHANGE_DELETE;
}

static void check(bs_family family, const char *line) {
        bs_change c;
        bs_parse_error err;
        if (bs_parse_change(family, line, &c, &err) < 0)
                return;

        if (has_rule(&c)) {
                bs_buf text = {}, text2 = {};
                if (bs_render_rule_line(&c.rule, c.chain, true, &text) < 0)
                        abort();
                bs_change again;
                if (bs_parse_change(family, text.data, &again, &err) < 0) {
                        fprintf(stderr, "rendered \"%s\" does not parse: %s (%s)\n", text.data, err.message,
                                err.word);
                        abort();
                }
                if (bs_render_rule_line(&again.rule, again.chain, true, &text2) < 0)
                        abort();
                if (!streq(text.data, text2.data)) {
                        fprintf(stderr, "not a fixpoint:\n%s\n%s\n", text.data, text2.data);
                        abort();
                }
                bs_rule a, b;
                if (bs_rule_copy(&a, &c.rule) < 0 || bs_rule_copy(&b, &again.rule) < 0)
                        abort();
                normalize_lossy(&a);
                normalize_lossy(&b);
                if (!bs_rule_equal(&a, &b) || a.packets != b.packets || a.bytes != b.bytes) {
                        fprintf(stderr, "\"%s\" and its rendering \"%s\" are different rules\n", line, text.data);
                        abort();
                }
                bs_rule_done(&a);
                bs_rule_done(&b);
                bs_change_done(&again);
                bs_buf_done(&text);
                bs_buf_done(&text2);
        }

        /* the command form: "iptables ..." without the program name */
        bs_buf cmd = {};
        if (bs_render_change(&c, family, &cmd) < 0)
                abort();
        bs_change back;
        if (bs_parse_change(family, strchr(cmd.data, ' ') + 1, &back, &err) < 0) {
                fprintf(stderr, "command \"%s\" does not parse: %s (%s)\n", cmd.data, err.message, err.word);
                abort();
        }
        if (back.kind != c.kind || !streq(back.chain, c.chain) || !streq(back.table, c.table))
                abort();
        if (has_rule(&c)) {
                normalize_lossy(&c.rule);
                normalize_lossy(&back.rule);
                if (!bs_rule_equal(&c.rule, &back.rule)) {
                        fprintf(stderr, "command \"%s\" is a different rule than \"%s\"\n", cmd.data, line);
                        abort();
                }
        }
        bs_change_done(&back);
        bs_buf_done(&cmd);
        bs_change_done(&c);
}

/* The change set (both families, as the API takes a line) answers as the
 * two parses on their own: bs_changeset_parse skips the IPv6 parse of a
 * line that has an IPv4 address, which must change nothing. */
static void check_changeset(const char *line) {
        bs_change c[2];
        bs_parse_error err;
        int r[2];
        size_t n = 0;
        for (int f = 0; f < 2; f++) {
                r[f] = bs_parse_change(f ? BS_FAMILY_IPV6 : BS_FAMILY_IPV4, line, &c[f], &err);
                n += r[f] >= 0;
        }
        bs_changeset s = {};
        char msg[512];
        char *lines[] = { (char *) line };
        int k = bs_changeset_parse(lines, 1, true, &s, msg, sizeof(msg));
        const char *table = r[0] >= 0 ? c[0].table : r[1] >= 0 ? c[1].table : NULL;
        if (n == 0 || !streq(table, "filter")) {
                if (k >= 0) {
                        fprintf(stderr, "\"%s\": the change set takes what no family's parse takes\n", line);
                        abort();
                }
        } else {
                if (k < 0 || s.n_changes != n) {
                        fprintf(stderr, "\"%s\": %zu change(s) for the set (%d %s), %zu for the families\n", line,
                                s.n_changes, k, k < 0 ? msg : "", n);
                        abort();
                }
                size_t at = 0;
                for (int f = 0; f < 2; f++)
                        if (r[f] >= 0) {
                                const bs_change *got = &s.changes[at++];
                                if (got->kind != c[f].kind || !streq(got->chain, c[f].chain) ||
                                    !bs_rule_equal(&got->rule, &c[f].rule)) {
                                        fprintf(stderr, "\"%s\": the set's change differs for %s\n", line,
                                                f ? "IPv6" : "IPv4");
                                        abort();
                                }
                        }
        }
        bs_changeset_done(&s);
        for (int f = 0; f < 2; f++)
                if (r[f] >= 0)
                        bs_change_done(&c[f]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        if (size > BS_LINE_MAX)
                return 0;
        char *line = malloc(size + 1);
        if (!line)
                return 0;
        memcpy(line, data, size);
        line[size] = '\0';
        check(BS_FAMILY_IPV4, line);
        check(BS_FAMILY_IPV6, line);
        check_changeset(line);
        free(line);
        return 0;
}
