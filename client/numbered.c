/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Rules by number: rules --numbered, delete and move.
 *
 * Numbers are counted per chain as "iptables -L --line-numbers" counts them
 * (rule 1 is the first -A line of the chain in -S). A number is only what the
 * rules were when they were read: another program may change the chain
 * before the daemon applies ours. So the change never names the rule by its
 * number: delete sends "-D CHAIN <the rule as shown>", which the daemon
 * refuses (NotFound, nothing changed) when that rule is gone, and which
 * deletes the first rule equal to it in every match and target. We refuse
 * a rule that has an identical copy before it in its chain, whose "-D" would
 * delete that copy instead. move is that "-D" and an insert of the same
 * rule, in one transaction. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "parse.h"
#include "util.h"

#define NF_ERROR_NOT_FOUND "org.backstop.Firewall1.Error.NotFound"

/* --- rules --numbered --------------------------------------------------------- */

/* The chain an -S line is about ("-A INPUT ...", "-P INPUT DROP", "-N svc"). */
static size_t line_chain(const char *line, size_t len, const char **ret) {
        if (len < 4 || line[0] != '-' || line[2] != ' ')
                return 0;
        const char *start = line + 3, *end = memchr(start, ' ', len - 3);
        *ret = start;
        return end ? (size_t) (end - start) : len - 3;
}

typedef struct ChainCount {
        const char *name;
        size_t len;
        size_t n;
} ChainCount;

/* Numbers the -A lines of text per chain; calls emit for each line with
 * its number (0 for lines that are not rules). */
static int number_lines(const char *text, int (*emit)(void *ud, const char *line, size_t len, const char *chain,
                                                      size_t chain_len, size_t number),
                        void *ud) {
        _cleanup_free_ ChainCount *counts = NULL;
        size_t n_counts = 0, cap = 0;
        int r = 0;

        for (const char *line = text; *line && r == 0;) {
                const char *end = strchr(line, '\n');
                size_t len = end ? (size_t) (end - line) : strlen(line);
                const char *chain = NULL;
                size_t chain_len = line_chain(line, len, &chain), number = 0;
                if (chain_len > 0 && strncmp(line, "-A ", 3) == 0) {
                        size_t i = 0;
                        while (i < n_counts && !(counts[i].len == chain_len &&
                                                 strncmp(counts[i].name, chain, chain_len) == 0))
                                i++;
                        if (i == n_counts) {
                                if (n_counts == cap) {
                                        size_t ncap = cap ? cap * 2 : 16;
                                        ChainCount *nc = reallocarray(counts, ncap, sizeof(*nc));
                                        if (!nc)
                                                return -ENOMEM;
                                        counts = nc;
                                        cap = ncap;
                                }
                                counts[n_counts++] = (ChainCount){ chain, chain_len, 0 };
                        }
                        number = ++counts[i].n;
                }
                r = emit(ud, line, len, chain, chain_len, number);
                line = end ? end + 1 : line + len;
        }
        return r;
}

static int emit_text(void *ud, const char *line, size_t len, const char *chain, size_t chain_len, size_t number) {
        (void) ud, (void) chain, (void) chain_len;
        if (number > 0)
                printf("%5zu  %.*s\n", number, (int) len, line);
        else
                printf("%5s  %.*s\n", "", (int) len, line);
        return 0;
}

static int emit_json(void *ud, const char *line, size_t len, const char *chain, size_t chain_len, size_t number) {
        JsonWriter *w = ud;
        if (number == 0)
                return 0;
        _cleanup_free_ char *c = strndup(chain, chain_len), *l = strndup(line, len);
        if (!c || !l)
                return -ENOMEM;
        json_begin_object(w);
        json_kv_string(w, "chain", c);
        json_kv_uint(w, "number", number);
        json_kv_string(w, "rule", l);
        json_end_object(w);
        return 0;
}

int verb_rules_numbered(Ctl *c) {
        _cleanup_free_ char *text = NULL;
        const char *family = ctl_family(c, "ipv4");
        int r;

        r = ctl_get_rules_text(c, family, c->n_args > 0 ? c->args[0] : "", c->verbose, &text, NULL);
        if (r != 0)
                return r;
        if (!c->json) {
                ctl_pager(c);
                r = number_lines(text, emit_text, NULL);
                return r < 0 ? log_local_error(r, "number the rules") : 0;
        }
        JsonWriter w;
        ctl_json_init(c, &w);
        json_begin_object(&w);
        json_kv_string(&w, "family", family);
        json_kv_string(&w, "chain", c->n_args > 0 ? c->args[0] : "");
        json_key(&w, "rules");
        json_begin_array(&w);
        r = number_lines(text, emit_json, &w);
        if (r < 0)
                return log_local_error(r, "number the rules");
        json_end_array(&w);
        json_end_object(&w);
        return ctl_finish_json(&w);
}

/* --- delete / move ------------------------------------------------------------- */

typedef struct FamilyChain {
        int family;        /* 4 or 6 */
        bool missing;      /* no such chain in this family */
        char **rules;      /* after "-A CHAIN " */
        size_t n;
} FamilyChain;

static const char *family_name(int f) {
        return f == 6 ? "IPv6" : "IPv4";
}

/* Reads CHAIN in the families the command acts on: -4/-6, else both (IPv4
 * alone on a host without IPv6). Returns 0 or an exit code. */
static int read_chain(Ctl *c, const char *chain, FamilyChain fams[2], size_t *ret_nf) {
        int families[2];
        size_t nf = 0;
        int r = ctl_families(c, 0, families, &nf);
        if (r != 0)
                return r;
        for (size_t f = 0; f < nf; f++)
                fams[f].family = families[f];
        *ret_nf = nf;
        for (size_t f = 0; f < nf; f++) {
                _cleanup_free_ char *text = NULL;
                sd_bus_error error = SD_BUS_ERROR_NULL;
                r = ctl_get_rules_text(c, fams[f].family == 6 ? "ipv6" : "ipv4", chain, false, &text, &error);
                if (r != 0 && sd_bus_error_has_name(&error, NF_ERROR_NOT_FOUND)) {
                        fams[f].missing = true;
                        r = 0;
                } else if (r != 0 && sd_bus_error_is_set(&error))
                        r = bus_report_error(&error, -EIO, ACTION_READ_RULES);
                sd_bus_error_free(&error);
                if (r != 0)
                        return r;
                if (!fams[f].missing && rules_of_chain(text, chain, &fams[f].rules, &fams[f].n) < 0)
                        return log_local_error(-ENOMEM, "read the rules");
        }
        return 0;
}

static void free_chains(FamilyChain fams[2], size_t nf) {
        for (size_t f = 0; f < nf; f++)
                strv_free(fams[f].rules);
}

/* Checks that rule `number` of chain is one rule, the same in every family
 * read, and the first of its kind in its chain; *ret_spec is that rule (after
 * "-A CHAIN "). Returns 0 or prints why not and returns the exit code. */
static int pick_rule(const char *chain, FamilyChain fams[2], size_t nf, uint32_t number, const char **ret_spec) {
        size_t missing = 0, short_of = 0;
        for (size_t f = 0; f < nf; f++) {
                missing += fams[f].missing;
                short_of += !fams[f].missing && fams[f].n < number;
        }
        if (missing == nf) {
                fprintf(stderr, "No chain '%s'%s.\n", chain, nf == 1 ? (fams[0].family == 6 ? " in IPv6" : " in IPv4") : "");
                return EXIT_NOT_FOUND;
        }
        if (missing > 0) {
                int have = fams[0].missing ? fams[1].family : fams[0].family;
                fprintf(stderr, "Chain '%s' exists in %s only: name the family with -%d.\n", chain,
                        family_name(have), have);
                return EXIT_AMBIGUOUS;
        }
        if (short_of == nf) {
                for (size_t f = 0; f < nf; f++)
                        fprintf(stderr, "%s: chain '%s' has %zu rule%s, there is no rule %u.\n",
                                family_name(fams[f].family), chain, fams[f].n, fams[f].n == 1 ? "" : "s", number);
                return EXIT_NOT_FOUND;
        }
        if (short_of > 0) {
                int have = fams[0].n >= number ? fams[0].family : fams[1].family;
                int lack = fams[0].n >= number ? fams[1].family : fams[0].family;
                fprintf(stderr, "Rule %u of '%s' exists in %s only (%s's has %zu): name the family with -%d.\n",
                        number, chain, family_name(have), family_name(lack),
                        fams[0].n >= number ? fams[1].n : fams[0].n, have);
                return EXIT_AMBIGUOUS;
        }
        const char *spec = fams[0].rules[number - 1];
        if (nf == 2 && strcmp(spec, fams[1].rules[number - 1]) != 0) {
                fprintf(stderr, "Rule %u of '%s' is not the same rule in IPv4 (-A %s %s) and IPv6 (-A %s %s): "
                        "name the family with -4 or -6.\n", number, chain, chain, spec, chain,
                        fams[1].rules[number - 1]);
                return EXIT_AMBIGUOUS;
        }
        for (size_t f = 0; f < nf; f++)
                for (size_t i = 0; i + 1 < number; i++)
                        if (strcmp(fams[f].rules[i], spec) == 0) {
                                fprintf(stderr, "Rule %u of '%s' is a copy of rule %zu (%s): the daemon deletes rules "
                                        "by what they are, and would delete rule %zu. Delete or move rule %zu.\n",
                                        number, chain, i + 1, family_name(fams[f].family), i + 1, i + 1);
                                return EXIT_AMBIGUOUS;
                        }
        *ret_spec = spec;
        return 0;
}

/* "-D CHAIN N" style arguments: CHAIN then numbers. */
static int parse_numbers(Ctl *c, uint32_t *numbers, size_t n) {
        for (size_t i = 0; i < n; i++)
                if (parse_rule_number(c->args[1 + i], &numbers[i]) < 0) {
                        fprintf(stderr, "%s: invalid rule number '%s': expected 1, 2, ... as 'rules --numbered' "
                                "shows them\n", program_invocation_short_name, c->args[1 + i]);
                        return EXIT_USAGE;
                }
        return 0;
}

static int change(char **ret, size_t nf, int family, const char *fmt_rest) {
        /* one family named explicitly; both: the daemon applies it to each */
        char *s = NULL;
        if (asprintf(&s, "%s%s", nf == 1 ? (family == 6 ? "-6 " : "-4 ") : "", fmt_rest) < 0)
                return -ENOMEM;
        *ret = s;
        return 0;
}

int verb_delete(Ctl *c) {
        FamilyChain fams[2] = {};
        size_t nf = 0;
        uint32_t number;
        const char *chain = c->args[0], *spec = NULL;
        _cleanup_free_ char *rest = NULL, *d = NULL;
        int r;

        r = parse_numbers(c, &number, 1);
        if (r != 0)
                return r;
        r = read_chain(c, chain, fams, &nf);
        if (r == 0)
                r = pick_rule(chain, fams, nf, number, &spec);
        if (r == 0 && (asprintf(&rest, "-D %s %s", chain, spec) < 0 || change(&d, nf, fams[0].family, rest) < 0))
                r = log_local_error(-ENOMEM, "build the change");
        if (r == 0)
                r = ctl_apply_changes(c, &d, 1);
        free_chains(fams, nf);
        return r;
}

int verb_move(Ctl *c) {
        FamilyChain fams[2] = {};
        size_t nf = 0;
        uint32_t numbers[2];
        const char *chain = c->args[0], *spec = NULL;
        _cleanup_free_ char *del = NULL, *ins = NULL, *d = NULL, *i = NULL;
        int r;

        r = parse_numbers(c, numbers, 2);
        if (r != 0)
                return r;
        uint32_t from = numbers[0], to = numbers[1];
        r = read_chain(c, chain, fams, &nf);
        if (r == 0)
                r = pick_rule(chain, fams, nf, from, &spec);
        if (r != 0)
                goto out;
        for (size_t f = 0; f < nf; f++)
                if (to > fams[f].n) {
                        fprintf(stderr, "%s: chain '%s' has %zu rule%s, there is no position %u.\n",
                                family_name(fams[f].family), chain, fams[f].n, fams[f].n == 1 ? "" : "s", to);
                        r = EXIT_NOT_FOUND;
                        goto out;
                }
        if (from == to) {
                r = ctl_nothing_to_do(c, "the rule is at that position already");
                goto out;
        }
        /* Deleted first, the rule then goes in at TO of the chain without
         * it: it ends as rule TO. The last position is an append. */
        bool last = nf == 1 ? to == fams[0].n : to == fams[0].n && to == fams[1].n;
        int k = last ? asprintf(&ins, "-A %s %s", chain, spec) : asprintf(&ins, "-I %s %u %s", chain, to, spec);
        if (k < 0 || asprintf(&del, "-D %s %s", chain, spec) < 0 || change(&d, nf, fams[0].family, del) < 0 ||
            change(&i, nf, fams[0].family, ins) < 0) {
                r = log_local_error(-ENOMEM, "build the changes");
                goto out;
        }
        char *changes[] = { d, i };
        r = ctl_apply_changes(c, changes, 2);
out:
        free_chains(fams, nf);
        return r;
}
