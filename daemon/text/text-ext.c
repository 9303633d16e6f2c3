/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Extensions the model does not know: printed and parsed by the provider
 * the daemon installs (text.h), or in the raw form of our own. */
#include "text-internal.h"

#include <linux/netfilter/x_tables.h>

static const bs_ext_provider *provider;
static void *provider_data;

void bs_text_set_ext_provider(const bs_ext_provider *p, void *userdata) {
        provider = p;
        provider_data = userdata;
}

/* ------------------------------------------------------------ render */

static int add_item(text_ext_texts *x, size_t *cap, const bs_rule *r, bool target, const bs_opaque *o) {
        if (x->n == *cap) {
                size_t ncap = *cap ? *cap * 2 : 16;
                bs_ext_render_item *p = reallocarray(x->items, ncap, sizeof(*p));
                if (!p)
                        return -ENOMEM;
                x->items = p;
                *cap = ncap;
        }
        x->items[x->n++] = (bs_ext_render_item){ .family = r->family, .target = target, .proto = r->proto,
                                                 .proto_invert = r->proto_invert, .opaque = o };
        return 0;
}

static int collect_rule(text_ext_texts *x, size_t *cap, const bs_rule *r) {
        for (size_t i = 0; i < r->n_matches; i++)
                if (r->matches[i].kind == BS_MATCH_OPAQUE) {
                        int k = add_item(x, cap, r, false, &r->matches[i].opaque);
                        if (k < 0)
                                return k;
                }
        if (r->target.kind == BS_TARGET_OPAQUE)
                return add_item(x, cap, r, true, &r->target.opaque);
        return 0;
}

int bs_text_ext_items(const bs_table *t, bs_ext_render_item **ret, size_t *n) {
        text_ext_texts x = {};
        size_t cap = 0;
        for (size_t i = 0; i < t->n_chains; i++)
                for (size_t j = 0; j < t->chains[i].n_rules; j++) {
                        int k = collect_rule(&x, &cap, &t->chains[i].rules[j]);
                        if (k < 0) {
                                free(x.items);
                                return k;
                        }
                }
        *ret = x.items;
        *n = x.n;
        return 0;
}

static int finish_prepare(text_ext_texts *x) {
        if (x->n > 0 && provider->render(provider_data, x->items, x->n) == -ENOMEM) {
                text_ext_texts_done(x);
                return -ENOMEM;
        }
        return 0;
}

int text_ext_prepare_table(const bs_table *t, const bs_chain *only, text_ext_texts *x) {
        size_t cap = 0;
        *x = (text_ext_texts){};
        if (!provider)
                return 0;
        for (size_t i = 0; i < t->n_chains; i++) {
                const bs_chain *c = &t->chains[i];
                if (only && c != only)
                        continue;
                for (size_t j = 0; j < c->n_rules; j++) {
                        int k = collect_rule(x, &cap, &c->rules[j]);
                        if (k < 0) {
                                text_ext_texts_done(x);
                                return k;
                        }
                }
        }
        return finish_prepare(x);
}

int text_ext_prepare_rule(const bs_rule *r, text_ext_texts *x) {
        size_t cap = 0;
        *x = (text_ext_texts){};
        if (!provider)
                return 0;
        int k = collect_rule(x, &cap, r);
        if (k < 0) {
                text_ext_texts_done(x);
                return k;
        }
        return finish_prepare(x);
}

void text_ext_texts_done(text_ext_texts *x) {
        for (size_t i = 0; i < x->n; i++)
                free(x->items[i].text);
        free(x->items);
        *x = (text_ext_texts){};
}

static int render_raw(bs_buf *b, bool target, const bs_opaque *o) {
        static const char hex[] = "0123456789abcdef";
        int r = text_buf_add_str(b, target ? " -j " : " -m ");
        if (r >= 0)
                r = text_buf_add_str(b, o->name);
        if (r >= 0)
                r = text_buf_add_str(b, " " BS_RAW_OPTION " ");
        if (r >= 0)
                r = text_buf_add_u(b, o->revision);
        if (r >= 0)
                r = text_buf_add(b, ":", 1);
        if (r >= 0)
                r = bs_buf_reserve(b, o->size * 2);
        for (size_t i = 0; r >= 0 && i < o->size; i++) {
                char pair[2] = { hex[o->data[i] >> 4], hex[o->data[i] & 15] };
                r = text_buf_add(b, pair, 2);
        }
        return r;
}

int text_render_opaque(bs_buf *b, text_ext_texts *x, const bs_rule *r, bool target, const bs_opaque *o) {
        /* the items are in the order of the table; what is printed is that
         * order with rules left out (one chain, a few rules) */
        for (size_t i = x ? x->next : 0; x && i < x->n; i++)
                if (x->items[i].opaque == o) {
                        x->next = i + 1;
                        if (x->items[i].text && (x->items[i].exact || !x->exact_only))
                                return text_buf_add_str(b, x->items[i].text);
                        break;
                }
        return render_raw(b, target, o);
}

/* ------------------------------------------------------------ the raw form */

static int hexval(char c) {
        if (c >= '0' && c <= '9')
                return c - '0';
        if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
                return c - 'A' + 10;
        return -1;
}

static int parse_raw(text_parse_state *s, const char *name, int name_word, bs_opaque *ret) {
        int word = (int) s->i + 1;
        if (s->i + 1 >= s->n)
                return FAIL(s, word - 1, BS_RAW_OPTION, BS_RAW_OPTION " needs REVISION:HEX");
        const char *arg = s->words[s->i + 1];
        s->i += 2;
        if (strlen(name) > BS_EXT_NAME_MAX || !name[0])
                return FAIL(s, name_word, name, "extension name \"%s\" is too long", name);
        const char *colon = strchr(arg, ':');
        char num[4];
        size_t nlen = colon ? (size_t) (colon - arg) : 0;
        uintmax_t rev;
        if (!colon || nlen == 0 || nlen >= sizeof(num))
                return FAIL(s, word, arg, BS_RAW_OPTION " \"%s\" is not REVISION:HEX", arg);
        memcpy(num, arg, nlen);
        num[nlen] = '\0';
        if (!text_decimal(num, 255, &rev))
                return FAIL(s, word, arg, BS_RAW_OPTION " \"%s\": bad revision", arg);
        const char *hex = colon + 1;
        size_t hlen = strlen(hex);
        if (hlen % 2 || hlen / 2 > BS_OPAQUE_MAX || hlen / 2 != XT_ALIGN(hlen / 2))
                return FAIL(s, word, arg, BS_RAW_OPTION ": the payload must be whole, aligned bytes");
        _cleanup_free_ uint8_t *data = NULL;
        if (hlen) {
                data = malloc(hlen / 2);
                if (!data)
                        return -ENOMEM;
        }
        for (size_t i = 0; i < hlen / 2; i++) {
                int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
                if (hi < 0 || lo < 0)
                        return FAIL(s, word, arg, BS_RAW_OPTION ": \"%c%c\" is not hexadecimal", hex[2 * i],
                                    hex[2 * i + 1]);
                data[i] = (uint8_t) (hi << 4 | lo);
        }
        *ret = (bs_opaque){ .revision = (uint8_t) rev, .size = hlen / 2 };
        strcpy(ret->name, name);
        ret->data = TAKE_PTR(data);
        return 0;
}

/* ------------------------------------------------------------ the provider's extensions */

struct text_foreign {
        text_ext ext;
        char name[BS_EXT_NAME_MAX + 1];
        text_opt *opts;
        char *names;             /* the options' names, one block */
        int *words;              /* indices into them, in order */
        size_t n_words, cap_words;
};

static int foreign_push(text_parse_state *s, text_foreign *f, int word) {
        if (f->n_words >= BS_WORDS_MAX)
                return FAIL(s, word, s->words[word], "too many words for %s", f->name);
        if (f->n_words == f->cap_words) {
                size_t ncap = f->cap_words ? f->cap_words * 2 : 8;
                int *p = reallocarray(f->words, ncap, sizeof(int));
                if (!p)
                        return -ENOMEM;
                f->words = p;
                f->cap_words = ncap;
        }
        f->words[f->n_words++] = word;
        return 0;
}

/* The option word, its argument word, and the plain words after them
 * (options like --match-set NAME FLAGS take more than one). */
static int foreign_option(text_parse_state *s, text_ext_inst *x, const text_opt *o, const char *arg, int word,
                          bool invert) {
        text_foreign *f = x->foreign;
        int k;
        if (invert && s->opt_word > 0 && streq(s->words[s->opt_word - 1], "!") &&
            (k = foreign_push(s, f, s->opt_word - 1)) < 0)
                return k;
        if ((k = foreign_push(s, f, s->opt_word)) < 0)
                return k;
        if (arg && word != s->opt_word && (k = foreign_push(s, f, word)) < 0)
                return k;
        while (s->i < s->n && s->words[s->i][0] != '-' && !streq(s->words[s->i], "!"))
                if ((k = foreign_push(s, f, (int) s->i++)) < 0)
                        return k;
        return 0;
}

static int foreign_final(text_parse_state *s, text_ext_inst *x) {
        text_foreign *f = x->foreign;
        bool target = x->match == SIZE_MAX;
        _cleanup_free_ char **words = calloc(f->n_words + 1, sizeof(char *));
        if (!words)
                return -ENOMEM;
        for (size_t i = 0; i < f->n_words; i++)
                words[i] = s->words[f->words[i]];
        bs_opaque o = {};
        char msg[256] = "";
        int r = provider->parse(provider_data, s->family, target, f->name, s->rule->proto, s->rule->proto_invert,
                                words, f->n_words, &o, msg, sizeof(msg));
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return FAIL(s, x->word, s->words[x->word], "%s", msg[0] ? msg : "the extension refused its options");
        if (target) {
                s->rule->target.kind = BS_TARGET_OPAQUE;
                s->rule->target.opaque = o;
        } else
                text_inst_match(s, x)->opaque = o;
        return 0;
}

static int foreign_new(text_parse_state *s, bool target, const char *name, int word, text_foreign **ret) {
        const bs_ext_option *opts;
        size_t n;
        char msg[256] = "";
        int r = provider->describe(provider_data, s->family, target, name, &opts, &n, msg, sizeof(msg));
        if (r == -ENOMEM)
                return r;
        if (r < 0)
                return FAIL(s, word, name, "%s \"%s\" is not available: %s", target ? "target" : "match", name,
                            msg[0] ? msg : strerror(-r));
        text_foreign *f = calloc(1, sizeof(*f));
        if (!f)
                return -ENOMEM;
        f->opts = calloc(n + 1, sizeof(text_opt));
        char *names = calloc(n + 1, sizeof(opts[0].name));
        if (!f->opts || !names) {
                free(f->opts);
                free(names);
                free(f);
                return -ENOMEM;
        }
        for (size_t i = 0; i < n; i++) {
                char *nm = names + i * sizeof(opts[0].name);
                snprintf(nm, sizeof(opts[0].name), "%s", opts[i].name);
                f->opts[i] = (text_opt){ .name = nm, .has_arg = opts[i].has_arg == 1, .invert = true,
                                         .optional_arg = opts[i].has_arg == 2 };
        }
        f->names = names;
        snprintf(f->name, sizeof(f->name), "%s", name);
        f->ext = (text_ext){ .name = f->name, .target = target, .kind = BS_MATCH_OPAQUE, .opts = f->opts,
                             .option = foreign_option, .final = foreign_final };
        *ret = f;
        return 0;
}

static void foreign_free(text_foreign *f) {
        if (!f)
                return;
        free(f->names);
        free(f->opts);
        free(f->words);
        free(f);
}

const char *text_proto_extension(bs_family f, uint16_t proto) {
        /* iptables' load_proto: the match named after the protocol, where
         * the host has one */
        switch (proto) {
        case IPPROTO_SCTP:
                return "sctp";
        case IPPROTO_DCCP:
                return "dccp";
        case IPPROTO_ESP:
                return "esp";
        case IPPROTO_AH:
                return "ah";
        case IPPROTO_COMP:
                return "ipcomp";
        case IPPROTO_MH:
                return f == BS_FAMILY_IPV6 ? "mh" : NULL;
        default:
                return NULL;
        }
}

int text_load_foreign(text_parse_state *s, bool target, const char *name, int word) {
        bool raw = s->i < s->n && streq(s->words[s->i], BS_RAW_OPTION);
        if (raw) {
                bs_opaque o;
                if (!target) {
                        if (s->rule->n_matches >= BS_MATCHES_MAX)
                                return FAIL(s, word, name, "too many matches in one rule (at most %d)",
                                            BS_MATCHES_MAX);
                }
                int r = parse_raw(s, name, word, &o);
                if (r < 0)
                        return r;
                if (target) {
                        s->rule->target.kind = BS_TARGET_OPAQUE;
                        s->rule->target.opaque = o;
                        return 0;
                }
                bs_match *m = bs_rule_add_match(s->rule, BS_MATCH_OPAQUE);
                if (!m) {
                        free(o.data);
                        return -ENOMEM;
                }
                m->opaque = o;
                return 0;
        }
        if (!provider)
                return FAIL(s, word, name, "%s \"%s\" is not supported", target ? "target" : "match", name);
        if (s->n_inst >= ELEMENTSOF(s->inst))
                return FAIL(s, word, name, "too many extensions in one rule");
        text_foreign *f = NULL;
        int r = foreign_new(s, target, name, word, &f);
        if (r < 0)
                return r;
        if (target) {
                text_ext_inst *x = &s->inst[s->n_inst++];
                *x = (text_ext_inst){ .ext = &f->ext, .foreign = f, .match = SIZE_MAX, .word = word };
                return 0;
        }
        r = text_load_match(s, &f->ext, word);
        if (r < 0) {
                foreign_free(f);
                return r;
        }
        s->inst[s->n_inst - 1].foreign = f;
        return 0;
}

void text_parse_state_done(text_parse_state *s) {
        for (size_t i = 0; i < s->n_inst; i++) {
                foreign_free(s->inst[i].foreign);
                s->inst[i].foreign = NULL;
        }
}
