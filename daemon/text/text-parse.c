/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The iptables command line parsed into the model, the way iptables 1.8.9
 * does it: options in order, "!" before the option it inverts, long
 * options by unique prefix (getopt_long), an extension's options known
 * once it is loaded (the newest extension first), the protocol's match
 * loaded implicitly on the first option nobody knows. */
#include "text-internal.h"

#include <ctype.h>
#include <inttypes.h>
#include <pthread.h>

typedef struct main_opt {
        const char *name;
        char val;
        bool has_arg;
} main_opt;

/* iptables' own long options, all of them, so that abbreviations are
 * ambiguous exactly where they are for iptables. */
static const main_opt main_opts[] = {
        { "append", 'A', true },        { "delete", 'D', true },       { "check", 'C', true },
        { "insert", 'I', true },        { "replace", 'R', true },      { "list", 'L', false },
        { "list-rules", 'S', false },   { "flush", 'F', true },        { "zero", 'Z', false },
        { "new-chain", 'N', true },     { "delete-chain", 'X', true }, { "rename-chain", 'E', true },
        { "policy", 'P', true },        { "source", 's', true },       { "destination", 'd', true },
        { "src", 's', true },           { "dst", 'd', true },          { "protocol", 'p', true },
        { "in-interface", 'i', true },  { "jump", 'j', true },         { "table", 't', true },
        { "match", 'm', true },         { "numeric", 'n', false },     { "out-interface", 'o', true },
        { "verbose", 'v', false },      { "wait", 'w', false },        { "wait-interval", 'W', false },
        { "exact", 'x', false },        { "fragments", 'f', false },   { "version", 'V', false },
        { "help", 'h', false },         { "line-numbers", '0', false }, { "modprobe", 'M', true },
        { "set-counters", 'c', true },  { "goto", 'g', true },         { "ipv4", '4', false },
        { "ipv6", '6', false },
};

/* main_opts by first letter: bit i of main_by_first[c] is set when
 * main_opts[i] starts with c. Every long option word is looked up here
 * first, and scanning all the names for the few that can match was a
 * third of the parse loop's own time. Built once, from main_opts itself. */
_Static_assert(ELEMENTSOF(main_opts) <= 64, "main_opts must fit a 64-bit set");
static uint64_t main_by_first[128];
static pthread_once_t main_by_first_once = PTHREAD_ONCE_INIT;

static void main_by_first_init(void) {
        for (size_t i = 0; i < ELEMENTSOF(main_opts); i++)
                main_by_first[(unsigned char) main_opts[i].name[0] & 127] |= UINT64_C(1) << i;
}

/* The main options a long name of len bytes may be a prefix of, as a set
 * of main_opts indices. */
static uint64_t main_candidates(const char *name, size_t len) {
        if (len == 0)
                return ELEMENTSOF(main_opts) == 64 ? UINT64_MAX : (UINT64_C(1) << ELEMENTSOF(main_opts)) - 1;
        unsigned char c = (unsigned char) name[0];
        if (c >= 128)
                return 0;
        pthread_once(&main_by_first_once, main_by_first_init);
        return main_by_first[c];
}

#define B TEXT_HEADER_BIT
#define SHORT_WITH_ARG                                                                                  \
        (B('A') | B('D') | B('C') | B('I') | B('R') | B('F') | B('N') | B('X') | B('E') | B('P') | B('s') | \
         B('d') | B('p') | B('i') | B('j') | B('t') | B('m') | B('o') | B('M') | B('c') | B('g'))
static const uint64_t short_with_arg = SHORT_WITH_ARG;
static const uint64_t short_known = SHORT_WITH_ARG | B('L') | B('S') | B('Z') | B('n') | B('v') | B('w') |
        B('W') | B('x') | B('f') | B('V') | B('h') | B('4') | B('6');
#undef SHORT_WITH_ARG
/* the options that may be given once, that "!" may not be the argument
 * of, and that may be inverted */
static const uint64_t once_opts = B('s') | B('d') | B('i') | B('o') | B('p') | B('f') | B('c');
static const uint64_t bang_arg_opts = B('s') | B('d') | B('i') | B('o') | B('p') | B('j') | B('g') | B('m');
static const uint64_t invertible_opts = B('s') | B('d') | B('i') | B('o') | B('p') | B('f');
#undef B

static uint64_t header_bit(char c) {
        return TEXT_HEADER_BIT(c);
}

const char *text_take_word(text_parse_state *s, int *word_index) {
        if (s->i >= s->n)
                return NULL;
        *word_index = (int) s->i;
        return s->words[s->i++];
}

/* ------------------------------------------------------------ names */

/* Characters that survive a round trip through our own line format.
 * Graphic ASCII is graphic in every locale (POSIX): isgraph() is asked
 * only about the other bytes, not once per character of every name. */
static bool plain_name(const char *name) {
        for (const char *p = name; *p; p++) {
                unsigned char u = (unsigned char) *p;
                if (u == '"' || u == '\'' || u == '\\')
                        return false;
                if ((u <= ' ' || u >= 0x7f) && !isgraph(u))
                        return false;
        }
        return true;
}

/* snprintf(dst, size, "%s", src) without the printf machinery: a name is
 * copied, cut to fit. */
static void copy_name(char *dst, size_t size, const char *src) {
        size_t len = strnlen(src, size - 1);
        memcpy(dst, src, len);
        dst[len] = '\0';
}

static int check_chain_name(text_parse_state *s, const char *name, int word) {
        if (!*name)
                return FAIL(s, word, name, "empty chain name");
        if (strlen(name) > BS_CHAIN_NAME_MAX)
                return FAIL(s, word, name, "chain name \"%s\" is too long (at most %d characters)", name,
                            BS_CHAIN_NAME_MAX);
        if (name[0] == '-' || name[0] == '!')
                return FAIL(s, word, name, "chain name \"%s\" may not start with '%c'", name, name[0]);
        if (!plain_name(name))
                return FAIL(s, word, name, "chain name \"%s\" contains a blank, a quote or a backslash", name);
        return 0;
}

static bool builtin_any_table(const char *name) {
        static const char *const names[] = { "INPUT", "FORWARD", "OUTPUT", "PREROUTING", "POSTROUTING" };
        for (size_t i = 0; i < ELEMENTSOF(names); i++)
                if (streq(name, names[i]))
                        return true;
        return false;
}

/* ------------------------------------------------------------ header */

static int parse_iface(text_parse_state *s, const char *arg, int word, bool invert, char out[IFNAMSIZ],
                       bool *out_invert, char letter) {
        size_t len = strlen(arg);
        if (len == 0)
                return FAIL(s, word, arg, "empty interface name for -%c", letter);
        if (len >= IFNAMSIZ)
                return FAIL(s, word, arg, "interface name \"%s\" is too long (at most %d characters)", arg,
                            IFNAMSIZ - 1);
        if (!plain_name(arg))
                return FAIL(s, word, arg, "interface name \"%s\" contains a blank, a quote or a backslash", arg);
        memset(out, 0, IFNAMSIZ);
        /* "+" is every interface: iptables stores the name "+" with an empty
         * mask (and prints nothing); its negation would never match */
        if (streq(arg, "+") && invert)
                return FAIL(s, word, arg, "\"! -%c +\" would never match", letter);
        memcpy(out, arg, len);
        *out_invert = invert;
        return 0;
}

static int parse_counters(text_parse_state *s, const char *arg, int word) {
        _cleanup_free_ char *p = strdup(arg);
        if (!p)
                return -ENOMEM;
        const char *bytes = NULL;
        int bword = word;
        char *comma = strchr(p, ',');
        if (comma) {
                *comma = '\0';
                bytes = comma + 1;
        } else if (s->i < s->n && s->words[s->i][0] != '-' && s->words[s->i][0] != '!') {
                bword = (int) s->i;
                bytes = s->words[s->i++];
        }
        if (!bytes)
                return FAIL(s, word, arg, "-c needs a packet and a byte counter");
        uintmax_t pk, by;
        if (!text_decimal(p, UINT64_MAX, &pk))
                return FAIL(s, word, arg, "packet counter \"%s\" is not a number", p);
        if (!text_decimal(bytes, UINT64_MAX, &by))
                return FAIL(s, bword, bytes, "byte counter \"%s\" is not a number", bytes);
        s->rule->packets = pk;
        s->rule->bytes = by;
        return 0;
}

int text_load_match(text_parse_state *s, const text_ext *e, int word) {
        if (s->rule->n_matches >= BS_MATCHES_MAX || s->n_inst >= ELEMENTSOF(s->inst))
                return FAIL(s, word, s->words[word], "too many matches in one rule (at most %d)",
                            BS_MATCHES_MAX);
        if (!bs_rule_add_match(s->rule, e->kind))
                return -ENOMEM;
        text_ext_inst *x = &s->inst[s->n_inst++];
        *x = (text_ext_inst){ .ext = e, .match = s->rule->n_matches - 1, .word = word };
        if (e->init)
                e->init(s, x);
        return 0;
}

static int parse_target(text_parse_state *s, const char *name, int word, bool is_goto) {
        bs_target *t = &s->rule->target;
        static const struct {
                const char *name;
                bs_target_kind kind;
        } standard[] = {
                { "ACCEPT", BS_TARGET_ACCEPT },
                { "DROP", BS_TARGET_DROP },
                { "RETURN", BS_TARGET_RETURN },
                { "QUEUE", BS_TARGET_QUEUE },
        };
        bool raw = s->i < s->n && streq(s->words[s->i], BS_RAW_OPTION);
        if (raw && !is_goto)
                return text_load_foreign(s, true, name, word);
        for (size_t i = 0; i < ELEMENTSOF(standard); i++)
                if (name[0] == standard[i].name[0] && streq(name, standard[i].name)) {
                        if (is_goto)
                                return FAIL(s, word, name, "-g needs a user-defined chain, not %s", name);
                        t->kind = standard[i].kind;
                        return 0;
                }
        const text_ext *e = text_find_target(name);
        if (e) {
                if (is_goto)
                        return FAIL(s, word, name, "-g needs a user-defined chain, not %s", name);
                if (s->n_inst >= ELEMENTSOF(s->inst))
                        return FAIL(s, word, name, "too many extensions in one rule");
                text_ext_inst *x = &s->inst[s->n_inst++];
                *x = (text_ext_inst){ .ext = e, .match = SIZE_MAX, .word = word };
                if (e->init)
                        e->init(s, x);
                return 0;
        }
        if (text_known_target_extension(name)) {
                if (is_goto)
                        return FAIL(s, word, name, "-g needs a user-defined chain, not %s", name);
                return text_load_foreign(s, true, name, word);
        }
        int r = check_chain_name(s, name, word);
        if (r < 0)
                return r;
        if (builtin_any_table(name))
                return FAIL(s, word, name, "cannot jump to the built-in chain %s", name);
        t->kind = is_goto ? BS_TARGET_GOTO : BS_TARGET_JUMP;
        copy_name(t->chain, sizeof(t->chain), name);
        return 0;
}

/* ------------------------------------------------------------ commands */

static int parse_rule_number(text_parse_state *s, const char *w, int word, uint32_t *ret) {
        uintmax_t v;
        if (!text_strtoul(w, 10, 1, INT32_MAX, &v))
                return FAIL(s, word, w, "invalid rule number \"%s\"", w);
        *ret = (uint32_t) v;
        return 0;
}

static bool next_is_arg(text_parse_state *s) {
        return s->i < s->n && s->words[s->i][0] != '-' && s->words[s->i][0] != '!';
}

static int parse_command(text_parse_state *s, char c, const char *arg, int word, int arg_word) {
        bs_change *ch = s->change;
        if (!ch)
                return FAIL(s, word, s->words[word], "\"%s\" is a command, not a rule option", s->words[word]);
        if (s->command_seen)
                return FAIL(s, word, s->words[word], "only one command per line");
        s->command_seen = true;
        int r = check_chain_name(s, arg, arg_word);
        if (r < 0)
                return r;
        copy_name(ch->chain, sizeof(ch->chain), arg);
        switch (c) {
        case 'A':
                ch->kind = BS_CHANGE_APPEND;
                return 0;
        case 'I':
                ch->kind = BS_CHANGE_INSERT;
                ch->position = 1;
                if (next_is_arg(s)) {
                        s->i++;
                        return parse_rule_number(s, s->words[s->i - 1], (int) s->i - 1, &ch->position);
                }
                return 0;
        case 'R':
                ch->kind = BS_CHANGE_REPLACE;
                if (s->i >= s->n)
                        return FAIL(s, word, s->words[word], "-R needs a rule number");
                s->i++;
                return parse_rule_number(s, s->words[s->i - 1], (int) s->i - 1, &ch->position);
        case 'D':
                ch->kind = BS_CHANGE_DELETE;
                if (next_is_arg(s)) {
                        ch->kind = BS_CHANGE_DELETE_NUM;
                        s->i++;
                        return parse_rule_number(s, s->words[s->i - 1], (int) s->i - 1, &ch->position);
                }
                return 0;
        case 'P': {
                ch->kind = BS_CHANGE_POLICY;
                if (s->i >= s->n)
                        return FAIL(s, word, s->words[word], "-P needs a policy (ACCEPT or DROP)");
                const char *p = s->words[s->i++];
                if (streq(p, "ACCEPT"))
                        ch->policy = BS_POLICY_ACCEPT;
                else if (streq(p, "DROP"))
                        ch->policy = BS_POLICY_DROP;
                else
                        return FAIL(s, s->i - 1, p, "bad policy \"%s\" (ACCEPT or DROP)", p);
                return 0;
        }
        case 'N':
                ch->kind = BS_CHANGE_NEW_CHAIN;
                if (!bs_chain_name_valid(arg) || builtin_any_table(arg) || text_find_target(arg) ||
                    text_known_target_extension(arg))
                        return FAIL(s, arg_word, arg, "\"%s\" cannot be the name of a new chain", arg);
                return 0;
        case 'X':
                ch->kind = BS_CHANGE_DELETE_CHAIN;
                return 0;
        case 'F':
                ch->kind = BS_CHANGE_FLUSH;
                return 0;
        default:
                return -EINVAL;
        }
}

static int parse_table(text_parse_state *s, const char *arg, int word) {
        static const char *const tables[] = { "filter", "nat", "mangle", "raw", "security" };
        if (!s->change)
                return FAIL(s, word, s->words[word], "-t is not a rule option");
        for (size_t i = 0; i < ELEMENTSOF(tables); i++)
                if (streq(arg, tables[i])) {
                        copy_name(s->change->table, sizeof(s->change->table), arg);
                        return 0;
                }
        return FAIL(s, word, arg, "unknown table \"%s\"", arg);
}

/* ------------------------------------------------------------ the loop */

static int main_option(text_parse_state *s, char c, const char *arg, int word, int arg_word, bool invert) {
        bs_rule *r = s->rule;
        const char *opt = s->words[word];
        uint64_t bit = header_bit(c);
        int k;

        if (once_opts & bit) {
                if (s->seen & bit)
                        return FAIL(s, word, opt, "multiple -%c options are not allowed", c);
                s->seen |= bit;
        }
        if (arg && streq(arg, "!") && (bang_arg_opts & bit))
                return FAIL(s, arg_word, arg, "\"!\" goes before the option it inverts: \"! -%c VALUE\"", c);
        if (invert && !(invertible_opts & bit)) {
                if (c == 'm')
                        return FAIL(s, word, opt, "unexpected ! before -m");
                return FAIL(s, word, opt, "cannot have ! before -%c", c);
        }
        switch (c) {
        case 's':
        case 'd':
                k = text_parse_host_mask(s->family, arg, c == 's' ? &r->src : &r->dst, s->err, arg_word);
                if (k < 0)
                        return k;
                if (c == 's')
                        r->src_invert = invert;
                else
                        r->dst_invert = invert;
                return 0;
        case 'i':
                return parse_iface(s, arg, arg_word, invert, r->in_iface, &r->in_invert, c);
        case 'o':
                return parse_iface(s, arg, arg_word, invert, r->out_iface, &r->out_invert, c);
        case 'p': {
                char lower[64];
                size_t len = strlen(arg);
                if (len >= sizeof(lower))
                        return FAIL(s, arg_word, arg, "unknown protocol \"%s\"", arg);
                /* tolower() only where it may change something: the
                 * lower case letters, digits and punctuation of ASCII
                 * are no upper case letter in any locale */
                for (size_t i = 0; i <= len; i++) {
                        unsigned char u = (unsigned char) arg[i];
                        lower[i] = (u >= 'A' && u <= 'Z') || u >= 0x80 ? (char) tolower(u) : (char) u;
                }
                if (text_proto_from_string(lower, &r->proto) < 0)
                        return FAIL(s, arg_word, arg, "unknown protocol \"%s\"", arg);
                if (r->proto == 0 && invert)
                        return FAIL(s, arg_word, arg, "\"! -p %s\" would never match", arg);
                r->proto_invert = invert;
                return 0;
        }
        case 'f':
                if (s->family == BS_FAMILY_IPV6)
                        return FAIL(s, word, opt, "-f is not supported for IPv6 (use -m frag)");
                r->frag = invert ? BS_FRAG_NO : BS_FRAG_YES;
                return 0;
        case 'c':
                return parse_counters(s, arg, arg_word);
        case 'j':
        case 'g':
                if (s->seen & header_bit('j'))
                        return FAIL(s, word, opt, "multiple -j/-g options are not allowed");
                s->seen |= header_bit('j');
                return parse_target(s, arg, arg_word, c == 'g');
        case 'm': {
                const text_ext *e = text_find_match(s->family, arg);
                /* the raw form of any match, the model's own names too (a
                 * tcp match with bytes the model does not take) */
                if (!e || (s->i < s->n && streq(s->words[s->i], BS_RAW_OPTION)))
                        return text_load_foreign(s, false, arg, arg_word);
                return text_load_match(s, e, arg_word);
        }
        case 't':
                if (s->seen & bit)
                        return FAIL(s, word, opt, "multiple -t options are not allowed");
                s->seen |= bit;
                return parse_table(s, arg, arg_word);
        case '4':
        case '6': {
                if (!s->change)
                        return FAIL(s, word, opt, "%s is not a rule option", opt);
                bs_family f = c == '4' ? BS_FAMILY_IPV4 : BS_FAMILY_IPV6;
                if (f != s->family) {
                        FAIL(s, word, opt, "this line is for %s only", bs_family_to_string(f));
                        return -EAFNOSUPPORT;
                }
                s->change->families = bs_family_mask(f);
                return 0;
        }
        case 'w':
                /* the xtables lock is the daemon's business: -w [seconds] is accepted and ignored */
                if (s->i < s->n && isdigit((unsigned char) s->words[s->i][0]))
                        s->i++;
                return 0;
        case 'A':
        case 'I':
        case 'R':
        case 'D':
        case 'P':
        case 'N':
        case 'X':
        case 'F':
                return parse_command(s, c, arg, word, arg_word);
        default:
                return FAIL(s, word, opt, "option \"%s\" is not supported here", opt);
        }
}

typedef struct opt_ref {
        const main_opt *main;
        text_ext_inst *x;
        const text_opt *o;
} opt_ref;

static bool same_ref(const opt_ref *a, const opt_ref *b) {
        if (a->main || b->main)
                return a->main && b->main && a->main->val == b->main->val;
        return a->x == b->x && a->o->id == b->o->id;
}

/* getopt_long: an exact name wins, else a unique prefix (several prefixes
 * naming the same option are fine). The newest extension comes first. */
static int lookup_long(text_parse_state *s, const char *name, size_t len, opt_ref *ret, bool *ambiguous) {
        opt_ref first = {}, ref;
        bool found = false;
        *ambiguous = false;
        for (int pass = 0; pass < 2; pass++) {
                for (uint64_t cand = main_candidates(name, len); cand; cand &= cand - 1) {
                        size_t i = (size_t) __builtin_ctzll(cand);
                        const char *n = main_opts[i].name;
                        /* the second letter first: most names left differ there */
                        if ((len > 1 && n[1] != name[1]) || strncmp(n, name, len) != 0 ||
                            (pass == 0 && n[len] != '\0'))
                                continue;
                        ref = (opt_ref){ .main = &main_opts[i] };
                        if (pass == 0) {
                                *ret = ref;
                                return 0;
                        }
                        if (!found)
                                first = ref, found = true;
                        else if (!same_ref(&first, &ref))
                                *ambiguous = true;
                }
                for (size_t k = s->n_inst; k-- > 0;) {
                        text_ext_inst *x = &s->inst[k];
                        for (const text_opt *o = x->ext->opts; o && o->name; o++) {
                                if ((len > 0 && o->name[0] != name[0]) ||
                                    (len > 1 && o->name[1] != name[1]) || strncmp(o->name, name, len) != 0 ||
                                    (pass == 0 && o->name[len] != '\0'))
                                        continue;
                                ref = (opt_ref){ .x = x, .o = o };
                                if (pass == 0) {
                                        *ret = ref;
                                        return 0;
                                }
                                if (!found)
                                        first = ref, found = true;
                                else if (!same_ref(&first, &ref))
                                        *ambiguous = true;
                        }
                }
        }
        if (!found || *ambiguous)
                return -ENOENT;
        *ret = first;
        return 0;
}

static int ext_option(text_parse_state *s, text_ext_inst *x, const text_opt *o, const char *arg, int word,
                      int arg_word, bool invert) {
        if (x->foreign) {
                /* the provider checks repeats and inversions itself */
                s->opt_word = word;
                return x->ext->option(s, x, o, arg, o->has_arg || arg ? arg_word : word, invert);
        }
        if (x->seen & (1u << o->id))
                return FAIL(s, word, s->words[word], "%s: option \"--%s\" can only be used once", x->ext->name,
                            o->name);
        if (invert && !o->invert)
                return FAIL(s, word, s->words[word], "%s: option \"--%s\" cannot be inverted", x->ext->name,
                            o->name);
        s->opt_word = word;
        int r = x->ext->option(s, x, o, arg, o->has_arg ? arg_word : word, invert);
        if (r < 0)
                return r;
        x->seen |= 1u << o->id;
        return 0;
}

int text_parse_loop(text_parse_state *s) {
        bool invert = false;
        int invert_word = -1;

        while (s->i < s->n) {
                int word = (int) s->i;
                const char *w = s->words[s->i];

                if (streq(w, "!")) {
                        if (invert)
                                return FAIL(s, word, w, "multiple consecutive ! are not allowed");
                        invert = true;
                        invert_word = word;
                        s->i++;
                        continue;
                }
                if (w[0] != '-' || streq(w, "-") || streq(w, "--"))
                        return FAIL(s, word, w, "unexpected argument \"%s\"", w);

                s->i++;
                const char *arg = NULL;
                int arg_word = -1;
                if (w[1] != '-') {
                        /* a short option: one letter */
                        char c = w[1];
                        if (w[2] != '\0' || !(short_known & header_bit(c)))
                                return FAIL(s, word, w, "unknown option \"%s\"", w);
                        if (short_with_arg & header_bit(c)) {
                                if (s->i >= s->n)
                                        return FAIL(s, word, w, "option \"%s\" requires an argument", w);
                                arg_word = (int) s->i;
                                arg = s->words[s->i++];
                        }
                        int r = main_option(s, c, arg, word, arg_word, invert);
                        if (r < 0)
                                return r;
                        invert = false;
                        continue;
                }

                const char *name = w + 2;
                const char *eq = strchr(name, '=');
                size_t len = eq ? (size_t) (eq - name) : strlen(name);
                opt_ref ref;
                bool ambiguous;
                if (lookup_long(s, name, len, &ref, &ambiguous) < 0) {
                        if (ambiguous)
                                return FAIL(s, word, w, "option \"%s\" is ambiguous", w);
                        /* iptables loads the protocol's match the first time an
                         * option is unknown, then tries again */
                        if (s->rule->proto && !s->proto_used) {
                                const text_ext *e = text_proto_match(s->family, s->rule->proto);
                                s->proto_used = true;
                                if (e) {
                                        int r = text_load_match(s, e, word);
                                        if (r < 0)
                                                return r;
                                        s->i = (size_t) word;
                                        continue;
                                }
                                /* a protocol with a match of its own among
                                 * the host's extensions (-p sctp --dport 80) */
                                const char *pname = text_proto_extension(s->family, s->rule->proto);
                                if (pname) {
                                        s->i = (size_t) word;
                                        int r = text_load_foreign(s, false, pname, word);
                                        if (r >= 0)
                                                continue;
                                        if (r == -ENOMEM)
                                                return r;
                                        s->i = (size_t) word + 1;
                                }
                        }
                        return FAIL(s, word, w, "unknown option \"%.*s\"", (int) (len + 2), w);
                }
                bool has_arg = ref.main ? ref.main->has_arg : ref.o->has_arg;
                if (eq && !has_arg && !(ref.o && ref.o->optional_arg))
                        return FAIL(s, word, w, "option \"--%.*s\" takes no argument", (int) len, name);
                if (has_arg || eq) {
                        if (eq) {
                                arg = eq + 1;
                                arg_word = word;
                        } else {
                                if (s->i >= s->n)
                                        return FAIL(s, word, w, "option \"%s\" requires an argument", w);
                                arg_word = (int) s->i;
                                arg = s->words[s->i++];
                        }
                }
                int r = ref.main ? main_option(s, ref.main->val, arg, word, arg_word, invert)
                                 : ext_option(s, ref.x, ref.o, arg, word, arg_word, invert);
                if (r < 0)
                        return r;
                invert = false;
        }
        if (invert)
                return FAIL(s, invert_word, "!", "nothing appropriate follows !");
        return 0;
}

/* What the kernel checks when the rule is added: a protocol match needs
 * its protocol, tcp-reset needs TCP. */
int text_check_rule(text_parse_state *s) {
        for (size_t k = 0; k < s->n_inst; k++) {
                text_ext_inst *x = &s->inst[k];
                if (x->ext->final) {
                        int r = x->ext->final(s, x);
                        if (r < 0)
                                return r;
                }
        }
        const bs_rule *r = s->rule;
        for (size_t k = 0; k < s->n_inst; k++) {
                text_ext_inst *x = &s->inst[k];
                if (x->match == SIZE_MAX)
                        continue;
                uint16_t need = 0;
                const char *pname = NULL;
                switch (x->ext->kind) {
                case BS_MATCH_TCP:
                        need = IPPROTO_TCP, pname = "tcp";
                        break;
                case BS_MATCH_UDP:
                        need = IPPROTO_UDP, pname = "udp";
                        break;
                case BS_MATCH_ICMP:
                        need = IPPROTO_ICMP, pname = "icmp";
                        break;
                case BS_MATCH_ICMP6:
                        need = IPPROTO_ICMPV6, pname = "icmpv6";
                        break;
                default:
                        break;
                }
                if (need && (r->proto != need || r->proto_invert))
                        return FAIL(s, x->word, s->words[x->word], "match \"%s\" needs \"-p %s\"", x->ext->name,
                                    pname);
        }
        if (r->target.kind == BS_TARGET_REJECT &&
            r->target.reject.with == (r->family == BS_FAMILY_IPV6 ? IP6T_TCP_RESET : IPT_TCP_RESET) &&
            (r->proto != IPPROTO_TCP || r->proto_invert)) {
                for (size_t k = 0; k < s->n_inst; k++)
                        if (s->inst[k].match == SIZE_MAX)
                                return FAIL(s, s->inst[k].word, "REJECT",
                                            "--reject-with tcp-reset needs \"-p tcp\"");
        }
        return 0;
}

int bs_parse_rule(bs_family family, char *const *words, size_t n, bs_rule *ret, bs_parse_error *err) {
        bs_rule rule;
        bs_rule_init(&rule, family);
        text_parse_state s;
        text_parse_state_init(&s, family, &rule, NULL, words, n, err);
        int r = text_parse_loop(&s);
        if (r >= 0)
                r = text_check_rule(&s);
        text_parse_state_done(&s);
        if (r < 0) {
                bs_rule_done(&rule);
                return r;
        }
        *ret = rule;
        return 0;
}
