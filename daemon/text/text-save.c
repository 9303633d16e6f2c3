/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* iptables-save format: render one table, parse it back (any number of
 * tables; command lines are applied to the table being built, as
 * iptables-restore does). */
#include "text-internal.h"

#include <ctype.h>
#include <inttypes.h>

/* "[packets:bytes] " without printf: the journal writes it for every rule
 * of the table it keeps. */
static int put_counters(bs_buf *out, uint64_t packets, uint64_t bytes) {
        int r = text_buf_add(out, "[", 1);
        if (r >= 0)
                r = text_buf_add_u(out, packets);
        if (r >= 0)
                r = text_buf_add(out, ":", 1);
        if (r >= 0)
                r = text_buf_add_u(out, bytes);
        return r < 0 ? r : text_buf_add(out, "] ", 2);
}

static int render_save(const bs_table *t, bool counters, text_ext_texts *ext, bs_buf *out) {
        int r = bs_buf_printf(out, "*%s\n", t->name);
        for (size_t i = 0; r >= 0 && i < t->n_chains; i++) {
                const bs_chain *c = &t->chains[i];
                if (c->builtin)
                        r = bs_buf_printf(out, ":%s %s [%" PRIu64 ":%" PRIu64 "]\n", c->name,
                                          bs_policy_to_string(c->policy), c->policy_packets, c->policy_bytes);
                else
                        r = bs_buf_printf(out, ":%s - [0:0]\n", c->name);
        }
        for (size_t i = 0; r >= 0 && i < t->n_chains; i++) {
                const bs_chain *c = &t->chains[i];
                for (size_t j = 0; r >= 0 && j < c->n_rules; j++) {
                        const bs_rule *rule = &c->rules[j];
                        if (counters)
                                r = put_counters(out, rule->packets, rule->bytes);
                        if (r >= 0)
                                r = text_buf_add(out, "-A ", 3);
                        if (r >= 0)
                                r = text_buf_add_str(out, c->name);
                        if (r >= 0)
                                r = text_render_rule(rule, false, TEXT_STYLE_IPTABLES, ext, out);
                        if (r >= 0)
                                r = bs_buf_append(out, "\n");
                }
        }
        if (r >= 0)
                r = bs_buf_append(out, "COMMIT\n");
        return r;
}

int bs_render_save(const bs_table *t, bool counters, bs_buf *out) {
        text_ext_texts ext;
        int r = text_ext_prepare_table(t, NULL, &ext);
        if (r < 0)
                return r;
        ext.exact_only = true;
        r = render_save(t, counters, &ext, out);
        text_ext_texts_done(&ext);
        return r;
}

int bs_render_save_raw(const bs_table *t, bool counters, bs_buf *out) {
        return render_save(t, counters, NULL, out);
}

/* "[packets:bytes]" at *p; advances *p past it. */
static bool parse_counter_pair(const char **p, uint64_t *pk, uint64_t *by) {
        const char *s = *p;
        if (*s != '[')
                return false;
        const char *colon = strchr(s, ':'), *close = strchr(s, ']');
        if (!colon || !close || colon > close)
                return false;
        char a[24], b[24];
        size_t la = (size_t) (colon - s - 1), lb = (size_t) (close - colon - 1);
        if (la == 0 || lb == 0 || la >= sizeof(a) || lb >= sizeof(b))
                return false;
        memcpy(a, s + 1, la);
        a[la] = '\0';
        memcpy(b, colon + 1, lb);
        b[lb] = '\0';
        uintmax_t x, y;
        if (!text_decimal(a, UINT64_MAX, &x) || !text_decimal(b, UINT64_MAX, &y))
                return false;
        *pk = x;
        *by = y;
        *p = close + 1;
        return true;
}

typedef struct save_parser {
        bs_family family;
        const char *want;
        bs_table *cur;      /* table being built (NULL outside *table ... COMMIT) */
        bs_table *result;
        unsigned lineno;
        bs_parse_error *err;
} save_parser;

static int line_fail(save_parser *p, const char *line, const char *fmt, ...) _printf_(3, 4);
static int line_fail(save_parser *p, const char *line, const char *fmt, ...) {
        char msg[200];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        text_fail(p->err, -1, line, "line %u: %s", p->lineno, msg);
        return -EBADMSG;
}

static int chain_line(save_parser *p, const char *line) {
        char name[64], policy[16];
        const char *rest = line + 1;
        size_t nl = strcspn(rest, " \t");
        if (nl == 0 || nl >= sizeof(name))
                return line_fail(p, line, "bad chain name");
        memcpy(name, rest, nl);
        name[nl] = '\0';
        rest += nl;
        while (*rest == ' ' || *rest == '\t')
                rest++;
        size_t pl = strcspn(rest, " \t");
        if (pl == 0 || pl >= sizeof(policy))
                return line_fail(p, line, "chain %s has no policy", name);
        memcpy(policy, rest, pl);
        policy[pl] = '\0';
        rest += pl;
        while (*rest == ' ' || *rest == '\t')
                rest++;
        uint64_t pk = 0, by = 0;
        if (*rest && !parse_counter_pair(&rest, &pk, &by))
                return line_fail(p, line, "bad counters \"%s\"", rest);
        while (isspace((unsigned char) *rest))
                rest++;
        if (*rest)
                return line_fail(p, line, "unexpected \"%s\"", rest);

        bool builtin = bs_builtin_chain(p->cur->name, name);
        bs_policy pol;
        if (streq(policy, "-"))
                pol = BS_POLICY_NONE;
        else if (streq(policy, "ACCEPT"))
                pol = BS_POLICY_ACCEPT;
        else if (streq(policy, "DROP"))
                pol = BS_POLICY_DROP;
        else
                return line_fail(p, line, "bad policy \"%s\"", policy);
        if (builtin && pol == BS_POLICY_NONE)
                return line_fail(p, line, "built-in chain %s needs a policy", name);
        if (!builtin && pol != BS_POLICY_NONE)
                return line_fail(p, line, "%s is not a built-in chain of %s and cannot have a policy", name,
                                 p->cur->name);
        bs_chain *c;
        int r = bs_table_add_chain(p->cur, name, builtin, pol, &c);
        if (r == -EEXIST)
                return line_fail(p, line, "chain %s is defined twice", name);
        if (r == -EINVAL)
                return line_fail(p, line, "invalid chain name \"%s\"", name);
        if (r < 0)
                return r;
        if (builtin) {
                c->policy_packets = pk;
                c->policy_bytes = by;
        }
        return 0;
}

static int command_line(save_parser *p, const char *line) {
        const char *rest = line;
        uint64_t pk = 0, by = 0;
        bool counters = false;
        if (*rest == '[') {
                if (!parse_counter_pair(&rest, &pk, &by))
                        return line_fail(p, line, "bad counters");
                counters = true;
        }
        bs_change c;
        bs_parse_error inner = {};
        int r = bs_parse_change(p->family, rest, &c, &inner);
        if (r == -EAFNOSUPPORT)
                return 0; /* a line for the other family, as iptables-restore skips it */
        if (r < 0) {
                if (r == -ENOMEM)
                        return r;
                text_fail(p->err, -1, inner.word, "line %u: %s", p->lineno, inner.message);
                return -EBADMSG;
        }
        if (!streq(c.table, "filter") && !streq(c.table, p->cur->name)) {
                bs_change_done(&c);
                return line_fail(p, line, "-t is not allowed inside a table block");
        }
        snprintf(c.table, sizeof(c.table), "%s", p->cur->name);
        if (counters) {
                c.rule.packets = pk;
                c.rule.bytes = by;
        }
        r = bs_table_apply_change(p->cur, &c);
        bs_change_done(&c);
        switch (r) {
        case 0:
                return 0;
        case -ENOMEM:
                return r;
        case -ENOENT:
                return line_fail(p, line, "no such chain or rule");
        case -EEXIST:
                return line_fail(p, line, "chain exists already");
        case -ERANGE:
                return line_fail(p, line, "rule number out of range");
        default:
                return line_fail(p, line, "cannot apply: %s", strerror(-r));
        }
}

static int table_line(save_parser *p, const char *line) {
        const char *name = line + 1;
        static const char *const tables[] = { "filter", "nat", "mangle", "raw", "security" };
        bool known = false;
        for (size_t i = 0; i < ELEMENTSOF(tables); i++)
                known = known || streq(name, tables[i]);
        if (!known)
                return line_fail(p, line, "unknown table \"%s\"", name);
        if (p->result && streq(name, p->want))
                return line_fail(p, line, "table %s appears twice", name);
        p->cur = bs_table_new(p->family, name);
        return p->cur ? 0 : -ENOMEM;
}

int bs_parse_save(bs_family family, const char *text, const char *table, bs_table **ret, bs_parse_error *err) {
        save_parser p = { .family = family, .want = table ? table : "filter", .err = err };
        int r = 0;
        const char *s = text;
        char *line = NULL;

        while (*s) {
                size_t len = strcspn(s, "\n");
                p.lineno++;
                free(line);
                line = strndup(s, len);
                if (!line) {
                        r = -ENOMEM;
                        break;
                }
                s += len;
                if (*s == '\n')
                        s++;
                /* trailing blanks (and a CR) are not part of the content */
                size_t l = strlen(line);
                while (l > 0 && isspace((unsigned char) line[l - 1]))
                        line[--l] = '\0';
                const char *t = line;
                while (isspace((unsigned char) *t))
                        t++;
                if (l > BS_LINE_MAX) {
                        r = line_fail(&p, "", "line too long");
                        break;
                }
                if (*t == '\0' || *t == '#')
                        continue;
                if (*t == '*') {
                        if (p.cur) {
                                r = line_fail(&p, t, "table %s has no COMMIT", p.cur->name);
                                break;
                        }
                        r = table_line(&p, t);
                } else if (!p.cur)
                        r = line_fail(&p, t, "outside of a table (missing \"*filter\"?)");
                else if (streq(t, "COMMIT")) {
                        if (streq(p.cur->name, p.want) && !p.result)
                                p.result = p.cur;
                        else
                                bs_table_free(p.cur);
                        p.cur = NULL;
                } else if (*t == ':')
                        r = chain_line(&p, t);
                else
                        r = command_line(&p, t);
                if (r < 0)
                        break;
        }
        free(line);
        if (r >= 0 && p.cur) {
                p.lineno++;
                r = line_fail(&p, "", "table %s has no COMMIT", p.cur->name);
        }
        if (p.cur)
                bs_table_free(p.cur);
        if (r >= 0 && !p.result) {
                text_fail(err, -1, p.want, "no table %s in the input", p.want);
                r = -ENOENT;
        }
        if (r < 0) {
                if (p.result)
                        bs_table_free(p.result);
                return r;
        }
        *ret = p.result;
        return 0;
}
