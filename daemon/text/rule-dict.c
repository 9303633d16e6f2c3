/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "rule-dict.h"

#include <arpa/inet.h>
#include <assert.h>
#include <inttypes.h>
#include <linux/netfilter/xt_conntrack.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdarg.h>

#include "changeset.h"
#include "text-internal.h"
#include "text.h"
#include "utf8.h"

/* ------------------------------------------------------------ the list */

static int kv_list_grow(bs_kv_list *l, bs_kv **ret) {
        if (l->n >= BS_KV_MAX)
                return -E2BIG;
        bs_kv *n = realloc(l->items, (l->n + 1) * sizeof(bs_kv));
        if (!n)
                return -ENOMEM;
        l->items = n;
        *ret = &l->items[l->n++];
        return 0;
}

int bs_kv_list_add(bs_kv_list *l, const bs_kv *kv, bs_kv **ret) {
        bs_kv *e;
        int r = kv_list_grow(l, &e);
        if (r < 0)
                return r;
        *e = *kv;
        if (ret)
                *ret = e;
        return 0;
}

int bs_kv_list_add_dict(bs_kv_list *l, const char *key, bs_kv_list **ret) {
        bs_kv_list *d = calloc(1, sizeof(*d));
        if (!d)
                return -ENOMEM;
        bs_kv *e;
        int r = kv_list_grow(l, &e);
        if (r < 0) {
                free(d);
                return r;
        }
        *e = (bs_kv){ .key = key, .type = BS_KV_DICT, .dict = d };
        *ret = d;
        return 0;
}

void bs_kv_list_done(bs_kv_list *l) {
        for (size_t i = 0; i < l->n; i++)
                if (l->items[i].type == BS_KV_DICT && l->items[i].dict) {
                        bs_kv_list_done(l->items[i].dict);
                        free(l->items[i].dict);
                }
        free(l->items);
        l->items = NULL;
        l->n = 0;
}

/* ------------------------------------------------------------ messages */

static const char *type_signature(const bs_kv *kv) {
        switch (kv->type) {
        case BS_KV_STRING:
                return "s";
        case BS_KV_UINT32:
                return "u";
        case BS_KV_BOOL:
                return "b";
        case BS_KV_DICT:
                return "a{sv}";
        default:
                return kv->signature ? kv->signature : "?";
        }
}

/* `key "dports" = "70000"`: the key and its value, for messages */
static void describe(const bs_kv *kv, char *buf, size_t size) {
        switch (kv->type) {
        case BS_KV_STRING:
                snprintf(buf, size, "key \"%.*s\" = \"%.*s\"", bs_utf8_prefix(kv->key, 40), kv->key,
                         bs_utf8_prefix(kv->str, 100), kv->str);
                break;
        case BS_KV_UINT32:
                snprintf(buf, size, "key \"%.*s\" = %" PRIu32, bs_utf8_prefix(kv->key, 40), kv->key, kv->u32);
                break;
        case BS_KV_BOOL:
                snprintf(buf, size, "key \"%.*s\" = %s", bs_utf8_prefix(kv->key, 40), kv->key,
                         kv->b ? "true" : "false");
                break;
        default:
                snprintf(buf, size, "key \"%.*s\"", bs_utf8_prefix(kv->key, 40), kv->key);
                break;
        }
}

static int key_error(char *err, size_t size, const bs_kv *kv, const char *fmt, ...) _printf_(4, 5);
static int key_error(char *err, size_t size, const bs_kv *kv, const char *fmt, ...) {
        if (err && size) {
                char what[192], msg[512];
                describe(kv, what, sizeof(what));
                va_list ap;
                va_start(ap, fmt);
                vsnprintf(msg, sizeof(msg), fmt, ap);
                va_end(ap);
                bs_utf8_trim(what);
                bs_utf8_trim(msg);
                snprintf(err, size, "%s: %s", what, msg);
                bs_utf8_trim(err);
        }
        return -EINVAL;
}

/* ------------------------------------------------------------ the keys */

typedef enum key_id {
        /* change */
        K_OPERATION,
        K_FAMILY,
        K_CHAIN,
        K_POSITION,
        K_POLICY,
        K_RULE,
        /* rule */
        K_SOURCE,
        K_DESTINATION,
        K_IN_INTERFACE,
        K_OUT_INTERFACE,
        K_PROTOCOL,
        K_SPORTS,
        K_DPORTS,
        K_CTSTATE,
        K_ICMP_TYPE,
        K_COMMENT,
        K_LIMIT,
        K_LIMIT_BURST,
        K_TARGET,
        K_GOTO,
        K_REJECT_WITH,
        K_LOG_PREFIX,
        K_LOG_LEVEL,
        _K_MAX,
} key_id;

typedef struct key_def {
        const char *name;
        bs_kv_type type;
        bool rule; /* inside "rule" */
} key_def;

static const key_def keys[_K_MAX] = {
        [K_OPERATION] = { "operation", BS_KV_STRING, false },
        [K_FAMILY] = { "family", BS_KV_STRING, false },
        [K_CHAIN] = { "chain", BS_KV_STRING, false },
        [K_POSITION] = { "position", BS_KV_UINT32, false },
        [K_POLICY] = { "policy", BS_KV_STRING, false },
        [K_RULE] = { "rule", BS_KV_DICT, false },
        [K_SOURCE] = { "source", BS_KV_STRING, true },
        [K_DESTINATION] = { "destination", BS_KV_STRING, true },
        [K_IN_INTERFACE] = { "in-interface", BS_KV_STRING, true },
        [K_OUT_INTERFACE] = { "out-interface", BS_KV_STRING, true },
        [K_PROTOCOL] = { "protocol", BS_KV_STRING, true },
        [K_SPORTS] = { "sports", BS_KV_STRING, true },
        [K_DPORTS] = { "dports", BS_KV_STRING, true },
        [K_CTSTATE] = { "ctstate", BS_KV_STRING, true },
        [K_ICMP_TYPE] = { "icmp-type", BS_KV_STRING, true },
        [K_COMMENT] = { "comment", BS_KV_STRING, true },
        [K_LIMIT] = { "limit", BS_KV_STRING, true },
        [K_LIMIT_BURST] = { "limit-burst", BS_KV_UINT32, true },
        [K_TARGET] = { "target", BS_KV_STRING, true },
        [K_GOTO] = { "goto", BS_KV_BOOL, true },
        [K_REJECT_WITH] = { "reject-with", BS_KV_STRING, true },
        [K_LOG_PREFIX] = { "log-prefix", BS_KV_STRING, true },
        [K_LOG_LEVEL] = { "log-level", BS_KV_STRING, true },
};

static const struct {
        const char *name;
        bs_change_kind kind;
        char command;
} operations[] = {
        { "append", BS_CHANGE_APPEND, 'A' },        { "insert", BS_CHANGE_INSERT, 'I' },
        { "replace", BS_CHANGE_REPLACE, 'R' },      { "delete", BS_CHANGE_DELETE, 'D' },
        { "delete-number", BS_CHANGE_DELETE_NUM, 'D' }, { "policy", BS_CHANGE_POLICY, 'P' },
        { "new-chain", BS_CHANGE_NEW_CHAIN, 'N' },  { "delete-chain", BS_CHANGE_DELETE_CHAIN, 'X' },
        { "flush", BS_CHANGE_FLUSH, 'F' },
};

/* The entries of a change (and its rule) by key, each checked for a known
 * name, its type and uniqueness. */
typedef struct change_keys {
        const bs_kv *k[_K_MAX];
} change_keys;

static int index_keys(const bs_kv_list *d, bool rule, change_keys *ck, char *err, size_t size) {
        for (size_t i = 0; i < d->n; i++) {
                const bs_kv *kv = &d->items[i];
                key_id id = _K_MAX;
                for (key_id k = 0; k < _K_MAX; k++)
                        if (keys[k].rule == rule && kv->key && streq(kv->key, keys[k].name)) {
                                id = k;
                                break;
                        }
                if (id == _K_MAX)
                        return bs_seterr(err, size, -EINVAL, "unknown %skey \"%.*s\"", rule ? "rule " : "",
                                      kv->key ? bs_utf8_prefix(kv->key, 40) : 0, kv->key ? kv->key : "");
                if (kv->type != keys[id].type)
                        return bs_seterr(err, size, -EINVAL, "key \"%s\" has type \"%.20s\", expected \"%s\"",
                                      kv->key, type_signature(kv), type_signature(&(bs_kv){ .type = keys[id].type }));
                if (ck->k[id])
                        return bs_seterr(err, size, -EINVAL, "key \"%s\" is given twice", kv->key);
                ck->k[id] = kv;
        }
        return 0;
}

/* ------------------------------------------------------------ the words */

#define WORDS_MAX 64

typedef struct words {
        char *w[WORDS_MAX];
        const bs_kv *origin[WORDS_MAX]; /* the entry each word came from, NULL for none */
        size_t n;
} words;

static void words_done(words *w) {
        for (size_t i = 0; i < w->n; i++)
                free(w->w[i]);
        w->n = 0;
}

static int push(words *w, const char *word, const bs_kv *origin) {
        assert(w->n < WORDS_MAX); /* bounded by the keys: at most ~50 words */
        w->w[w->n] = strdup(word);
        if (!w->w[w->n])
                return -ENOMEM;
        w->origin[w->n++] = origin;
        return 0;
}

/* "!value" -> "!" before the option, then the option and "value" */
static int push_option(words *w, const char *option, const bs_kv *kv, bool invertible) {
        const char *v = kv->str;
        int r;
        if (invertible && v[0] == '!') {
                if ((r = push(w, "!", kv)) < 0)
                        return r;
                v++;
        }
        if ((r = push(w, option, kv)) < 0)
                return r;
        return push(w, v, kv);
}

static int push_match(words *w, const char *match, const char *option, const bs_kv *kv, bool invertible) {
        int r;
        if ((r = push(w, "-m", kv)) < 0 || (r = push(w, match, kv)) < 0)
                return r;
        return push_option(w, option, kv, invertible);
}

static int push_number(words *w, uint32_t v, const bs_kv *kv) {
        char buf[16];
        snprintf(buf, sizeof(buf), "%" PRIu32, v);
        return push(w, buf, kv);
}

/* A port list ("22,80,8000:8080", "!22,80") is a multiport match; a port or
 * a range ("22", "1024:65535") goes to the protocol's own match, loaded
 * implicitly by the parser as iptables does. */
static int push_ports(words *w, const bs_kv *kv, bool source, bool list) {
        if (list)
                return push_match(w, "multiport", source ? "--sports" : "--dports", kv, true);
        return push_option(w, source ? "--sport" : "--dport", kv, true);
}

/* The rule's words, in a fixed order: the header, the protocol's ports,
 * multiport, icmp type, conntrack state, limit, comment, then the target
 * and its options. A rule is the same rule only with its matches in the
 * same order, so "delete" finds rules written in this order (as every
 * rule added through this API is). */
static int rule_words(const change_keys *ck, bs_family family, words *w) {
        static const struct {
                key_id id;
                const char *option;
        } header[] = {
                { K_SOURCE, "-s" },       { K_DESTINATION, "-d" }, { K_IN_INTERFACE, "-i" },
                { K_OUT_INTERFACE, "-o" }, { K_PROTOCOL, "-p" },
        };
        const bs_kv *const *k = ck->k;
        int r;
        for (size_t i = 0; i < ELEMENTSOF(header); i++)
                if (k[header[i].id] && (r = push_option(w, header[i].option, k[header[i].id], true)) < 0)
                        return r;

        bool slist = k[K_SPORTS] && strchr(k[K_SPORTS]->str, ',');
        bool dlist = k[K_DPORTS] && strchr(k[K_DPORTS]->str, ',');
        if (k[K_SPORTS] && !slist && (r = push_ports(w, k[K_SPORTS], true, false)) < 0)
                return r;
        if (k[K_DPORTS] && !dlist && (r = push_ports(w, k[K_DPORTS], false, false)) < 0)
                return r;
        if (slist && (r = push_ports(w, k[K_SPORTS], true, true)) < 0)
                return r;
        if (dlist && (r = push_ports(w, k[K_DPORTS], false, true)) < 0)
                return r;
        if (k[K_ICMP_TYPE] && (r = push_option(w, family == BS_FAMILY_IPV6 ? "--icmpv6-type" : "--icmp-type",
                                               k[K_ICMP_TYPE], true)) < 0)
                return r;
        if (k[K_CTSTATE] && (r = push_match(w, "conntrack", "--ctstate", k[K_CTSTATE], true)) < 0)
                return r;
        if (k[K_LIMIT] || k[K_LIMIT_BURST]) {
                const bs_kv *first = k[K_LIMIT] ? k[K_LIMIT] : k[K_LIMIT_BURST];
                if ((r = push(w, "-m", first)) < 0 || (r = push(w, "limit", first)) < 0)
                        return r;
                if (k[K_LIMIT] && (r = push_option(w, "--limit", k[K_LIMIT], false)) < 0)
                        return r;
                if (k[K_LIMIT_BURST] && ((r = push(w, "--limit-burst", k[K_LIMIT_BURST])) < 0 ||
                                         (r = push_number(w, k[K_LIMIT_BURST]->u32, k[K_LIMIT_BURST])) < 0))
                        return r;
        }
        if (k[K_COMMENT] && (r = push_match(w, "comment", "--comment", k[K_COMMENT], false)) < 0)
                return r;

        /* "" is no target, as ListRules reports a rule without one */
        if (k[K_TARGET] && k[K_TARGET]->str[0]) {
                bool is_goto = k[K_GOTO] && k[K_GOTO]->b;
                if ((r = push_option(w, is_goto ? "-g" : "-j", k[K_TARGET], false)) < 0)
                        return r;
        }
        if (k[K_REJECT_WITH] && (r = push_option(w, "--reject-with", k[K_REJECT_WITH], false)) < 0)
                return r;
        if (k[K_LOG_PREFIX] && (r = push_option(w, "--log-prefix", k[K_LOG_PREFIX], false)) < 0)
                return r;
        if (k[K_LOG_LEVEL] && (r = push_option(w, "--log-level", k[K_LOG_LEVEL], false)) < 0)
                return r;
        return 0;
}

static bool target_is(const change_keys *ck, const char *name) {
        return ck->k[K_TARGET] && streq(ck->k[K_TARGET]->str, name);
}

/* What the words alone would report less clearly: keys that need another
 * key, keys that the operation does not take. */
static int check_combinations(const change_keys *ck, bs_change_kind kind, const char *op, char *err, size_t size) {
        const bs_kv *const *k = ck->k;
        bool with_rule = kind == BS_CHANGE_APPEND || kind == BS_CHANGE_INSERT || kind == BS_CHANGE_REPLACE ||
                         kind == BS_CHANGE_DELETE;
        bool with_position = kind == BS_CHANGE_INSERT || kind == BS_CHANGE_REPLACE || kind == BS_CHANGE_DELETE_NUM;
        if (!k[K_CHAIN])
                return bs_seterr(err, size, -EINVAL, "key \"chain\" is missing");
        if (k[K_RULE] && !with_rule)
                return key_error(err, size, k[K_RULE], "operation \"%s\" takes no rule", op);
        if (!k[K_RULE] && with_rule)
                return bs_seterr(err, size, -EINVAL, "operation \"%s\" needs the key \"rule\"", op);
        if (k[K_POSITION] && !with_position)
                return key_error(err, size, k[K_POSITION], "operation \"%s\" takes no position", op);
        if (!k[K_POSITION] && with_position && kind != BS_CHANGE_INSERT)
                return bs_seterr(err, size, -EINVAL, "operation \"%s\" needs the key \"position\"", op);
        if (k[K_POLICY] && kind != BS_CHANGE_POLICY)
                return key_error(err, size, k[K_POLICY], "operation \"%s\" takes no policy", op);
        if (!k[K_POLICY] && kind == BS_CHANGE_POLICY)
                return bs_seterr(err, size, -EINVAL, "operation \"policy\" needs the key \"policy\"");

        if (k[K_SPORTS] && !k[K_PROTOCOL])
                return key_error(err, size, k[K_SPORTS], "needs \"protocol\" (e.g. \"tcp\" or \"udp\")");
        if (k[K_DPORTS] && !k[K_PROTOCOL])
                return key_error(err, size, k[K_DPORTS], "needs \"protocol\" (e.g. \"tcp\" or \"udp\")");
        if (k[K_ICMP_TYPE] && !k[K_PROTOCOL])
                return key_error(err, size, k[K_ICMP_TYPE], "needs \"protocol\" \"icmp\" or \"ipv6-icmp\"");
        if (k[K_GOTO] && k[K_GOTO]->b && !(k[K_TARGET] && k[K_TARGET]->str[0]))
                return key_error(err, size, k[K_GOTO], "needs \"target\" (a user-defined chain)");
        if (k[K_REJECT_WITH] && !target_is(ck, "REJECT"))
                return key_error(err, size, k[K_REJECT_WITH], "needs \"target\" \"REJECT\"");
        if (k[K_LOG_PREFIX] && !target_is(ck, "LOG"))
                return key_error(err, size, k[K_LOG_PREFIX], "needs \"target\" \"LOG\"");
        if (k[K_LOG_LEVEL] && !target_is(ck, "LOG"))
                return key_error(err, size, k[K_LOG_LEVEL], "needs \"target\" \"LOG\"");
        return 0;
}

/* The parser's error, named by the key and value the offending word came
 * from. Errors about the whole rule (word_index -1) name the option word
 * (e.g. "-o"), found among the words. */
static int parse_error(const words *w, const change_keys *ck, const bs_parse_error *pe, int r, char *err,
                       size_t size) {
        const bs_kv *origin = NULL;
        if (pe->word_index >= 0 && (size_t) pe->word_index < w->n)
                origin = w->origin[pe->word_index];
        else
                for (size_t i = 0; i < w->n && pe->word[0]; i++)
                        if (streq(w->w[i], pe->word)) {
                                origin = w->origin[i];
                                break;
                        }
        const char *msg = pe->message[0] ? pe->message : "invalid";
        bool port_key = origin && (origin == ck->k[K_SPORTS] || origin == ck->k[K_DPORTS] ||
                                   origin == ck->k[K_ICMP_TYPE]);
        if (port_key && ck->k[K_PROTOCOL] && strncmp(msg, "unknown option", 14) == 0) {
                /* the option exists, only not for this protocol */
                key_error(err, size, origin, "does not go with \"protocol\" \"%.*s\"",
                          bs_utf8_prefix(ck->k[K_PROTOCOL]->str, 40), ck->k[K_PROTOCOL]->str);
                return r;
        }
        if (origin) {
                key_error(err, size, origin, "%s", msg);
                return r;
        }
        return bs_seterr(err, size, r, "%s", msg);
}

int bs_change_dict_parse(const bs_kv_list *d, bs_family family, bs_change *ret, char *err, size_t err_size) {
        change_keys ck = {};
        int r = index_keys(d, false, &ck, err, err_size);
        if (r < 0)
                return r;
        if (ck.k[K_RULE] && (r = index_keys(ck.k[K_RULE]->dict, true, &ck, err, err_size)) < 0)
                return r;

        const bs_kv *op = ck.k[K_OPERATION];
        if (!op)
                return bs_seterr(err, err_size, -EINVAL, "key \"operation\" is missing");
        size_t o = 0;
        while (o < ELEMENTSOF(operations) && !streq(operations[o].name, op->str))
                o++;
        if (o == ELEMENTSOF(operations))
                return key_error(err, err_size, op,
                                 "unknown operation (append, insert, replace, delete, delete-number, policy, "
                                 "new-chain, delete-chain or flush)");
        bs_change_kind kind = operations[o].kind;
        if ((r = check_combinations(&ck, kind, op->str, err, err_size)) < 0)
                return r;

        const bs_kv *fam = ck.k[K_FAMILY];
        if (fam && !streq(fam->str, "") && !streq(fam->str, "ipv4") && !streq(fam->str, "ipv6"))
                return key_error(err, err_size, fam, "\"ipv4\", \"ipv6\" or \"\" (both)");
        if (fam && !streq(fam->str, "") && !streq(fam->str, family == BS_FAMILY_IPV6 ? "ipv6" : "ipv4")) {
                key_error(err, err_size, fam, "not for %s", bs_family_to_string(family));
                return -EAFNOSUPPORT;
        }

        words w = {};
        char command[3] = { '-', operations[o].command, '\0' };
        if ((r = push(&w, command, op)) < 0 || (r = push(&w, ck.k[K_CHAIN]->str, ck.k[K_CHAIN])) < 0)
                goto out;
        if (ck.k[K_POSITION] && (r = push_number(&w, ck.k[K_POSITION]->u32, ck.k[K_POSITION])) < 0)
                goto out;
        if (ck.k[K_POLICY] && (r = push(&w, ck.k[K_POLICY]->str, ck.k[K_POLICY])) < 0)
                goto out;
        if (ck.k[K_RULE] && (r = rule_words(&ck, family, &w)) < 0)
                goto out;

        bs_parse_error pe = { .word_index = -1 };
        r = bs_parse_change_words(family, w.w, w.n, ret, &pe);
        if (r == -EINVAL || r == -EAFNOSUPPORT || r == -E2BIG)
                r = parse_error(&w, &ck, &pe, r == -E2BIG ? -EINVAL : r, err, err_size);
out:
        words_done(&w);
        return r;
}

/* ------------------------------------------------------------ change sets */

static size_t dict_bytes(const bs_kv_list *d) {
        size_t n = 0;
        for (size_t i = 0; i < d->n; i++) {
                const bs_kv *kv = &d->items[i];
                n += (kv->key ? strlen(kv->key) : 0) + 4;
                if (kv->type == BS_KV_STRING)
                        n += strlen(kv->str);
                else if (kv->type == BS_KV_DICT)
                        n += dict_bytes(kv->dict);
        }
        return n;
}

static int append_change(bs_change **v, size_t *n, bs_change *c) {
        bs_change *nv = realloc(*v, (*n + 1) * sizeof(bs_change));
        if (!nv)
                return -ENOMEM;
        *v = nv;
        nv[(*n)++] = *c;
        memset(c, 0, sizeof(*c));
        return 0;
}

static void free_changes(bs_change *v, size_t n) {
        for (size_t i = 0; i < n; i++)
                bs_change_done(&v[i]);
        free(v);
}

int bs_change_dicts_parse(const bs_kv_list *dicts, size_t n, bool ipv6, bs_change **ret, size_t *ret_n, char *err,
                          size_t err_size) {
        if (n > BS_CHANGESET_MAX)
                return bs_seterr(err, err_size, -E2BIG, "too many changes (%zu, at most %d)", n, BS_CHANGESET_MAX);
        if (n == 0)
                return bs_seterr(err, err_size, -EINVAL, "no changes given");

        bs_change *v = NULL;
        size_t nv = 0;
        int r = 0;
        for (size_t i = 0; i < n; i++) {
                if (dict_bytes(&dicts[i]) > BS_CHANGE_TEXT_MAX) {
                        r = bs_seterr(err, err_size, -EINVAL, "change %zu is larger than %d bytes", i + 1,
                                   BS_CHANGE_TEXT_MAX);
                        break;
                }
                bs_change c4, c6;
                char e4[512] = "", e6[512] = "";
                int r4 = bs_change_dict_parse(&dicts[i], BS_FAMILY_IPV4, &c4, e4, sizeof(e4));
                int r6 = bs_change_dict_parse(&dicts[i], BS_FAMILY_IPV6, &c6, e6, sizeof(e6));
                if (r4 == -ENOMEM || r6 == -ENOMEM) {
                        if (r4 >= 0)
                                bs_change_done(&c4);
                        if (r6 >= 0)
                                bs_change_done(&c6);
                        r = -ENOMEM;
                        break;
                }
                if (r4 < 0 && r6 < 0) {
                        /* name the error of the family the change seemed meant for */
                        r = bs_seterr(err, err_size, -EINVAL, "change %zu: %s", i + 1, r4 == -EAFNOSUPPORT ? e6 : e4);
                        break;
                }
                if (r6 >= 0 && r4 < 0 && !ipv6) {
                        bs_change_done(&c6);
                        r = bs_seterr(err, err_size, -EAFNOSUPPORT,
                                   "change %zu is for IPv6, which this host does not have", i + 1);
                        break;
                }
                if (r4 >= 0 && (r = append_change(&v, &nv, &c4)) < 0)
                        bs_change_done(&c4);
                if (r6 >= 0) {
                        if (r >= 0 && ipv6)
                                r = append_change(&v, &nv, &c6);
                        if (r < 0 || !ipv6)
                                bs_change_done(&c6);
                }
                if (r < 0)
                        break;
        }
        if (r < 0) {
                free_changes(v, nv);
                return r;
        }
        *ret = v;
        *ret_n = nv;
        return 0;
}

/* ------------------------------------------------------------ the reverse */

static int format_addr(const bs_addr *a, bool invert, bs_family f, char *buf, size_t size) {
        char ip[INET6_ADDRSTRLEN];
        if (!inet_ntop(f == BS_FAMILY_IPV6 ? AF_INET6 : AF_INET, a->addr, ip, sizeof(ip)))
                return -errno;
        int len = bs_addr_prefix_len(a, f);
        if (len >= 0)
                snprintf(buf, size, "%s%s/%d", invert ? "!" : "", ip, len);
        else {
                char mask[INET6_ADDRSTRLEN];
                if (!inet_ntop(f == BS_FAMILY_IPV6 ? AF_INET6 : AF_INET, a->mask, mask, sizeof(mask)))
                        return -errno;
                snprintf(buf, size, "%s%s/%s", invert ? "!" : "", ip, mask);
        }
        return 0;
}

static void format_range(const bs_port_range *p, bool invert, char *buf, size_t size) {
        if (p->lo == p->hi)
                snprintf(buf, size, "%s%u", invert ? "!" : "", p->lo);
        else
                snprintf(buf, size, "%s%u:%u", invert ? "!" : "", p->lo, p->hi);
}

static bool range_any(const bs_port_range *p) {
        return p->lo == 0 && p->hi == 65535;
}

/* The protocols the "protocol" key names; any other is its number. */
static const char *proto_name(uint16_t p) {
        switch (p) {
        case IPPROTO_TCP:
                return "tcp";
        case IPPROTO_UDP:
                return "udp";
        case IPPROTO_ICMP:
                return "icmp";
        case IPPROTO_ICMPV6:
                return "ipv6-icmp";
        case IPPROTO_SCTP:
                return "sctp";
        default:
                return NULL;
        }
}

static void format_multiport(const bs_match_multiport *mp, char *buf, size_t size) {
        size_t o = (size_t) snprintf(buf, size, "%s", mp->invert ? "!" : "");
        for (unsigned p = 0; p < mp->count && p < BS_MULTIPORT_MAX && o < size; p++) {
                bool range = mp->pflags[p] && p + 1 < mp->count;
                o += (size_t) snprintf(buf + o, size - o, "%s%u", p ? "," : "", mp->ports[p]);
                if (range && o < size) {
                        o += (size_t) snprintf(buf + o, size - o, ":%u", mp->ports[p + 1]);
                        p++;
                }
        }
}

static void format_ctstate(const bs_match_conntrack *ct, char *buf, size_t size) {
        size_t o = (size_t) snprintf(buf, size, "%s", ct->invert_flags & XT_CONNTRACK_STATE ? "!" : "");
        bool first = true;
        for (size_t s = 0; s < text_ct_states_n && o < size; s++)
                if (ct->state_mask & text_ct_states[s].bit) {
                        o += (size_t) snprintf(buf + o, size - o, "%s%s", first ? "" : ",", text_ct_states[s].name);
                        first = false;
                }
}

/* The ports of the first match that names them, per direction. */
static int port_fields(const bs_rule *r, bs_rule_field_fn fn, void *userdata) {
        bool have_d = false, have_s = false;
        char buf[128];
        int k;
        for (size_t i = 0; i < r->n_matches; i++) {
                const bs_match *mt = &r->matches[i];
                const bs_port_range *sp = NULL, *dp = NULL;
                bool si = false, di = false;
                if (mt->kind == BS_MATCH_TCP) {
                        sp = &mt->tcp.sport, dp = &mt->tcp.dport;
                        si = mt->tcp.sport_invert, di = mt->tcp.dport_invert;
                } else if (mt->kind == BS_MATCH_UDP) {
                        sp = &mt->udp.sport, dp = &mt->udp.dport;
                        si = mt->udp.sport_invert, di = mt->udp.dport_invert;
                }
                if (dp && !range_any(dp) && !have_d) {
                        format_range(dp, di, buf, sizeof(buf));
                        if ((k = fn("dports", buf, userdata)) < 0)
                                return k;
                        have_d = true;
                }
                if (sp && !range_any(sp) && !have_s) {
                        format_range(sp, si, buf, sizeof(buf));
                        if ((k = fn("sports", buf, userdata)) < 0)
                                return k;
                        have_s = true;
                }
                if (mt->kind == BS_MATCH_MULTIPORT) {
                        const bs_match_multiport *mp = &mt->multiport;
                        format_multiport(mp, buf, sizeof(buf));
                        if ((mp->dir == BS_MULTIPORT_DESTINATION || mp->dir == BS_MULTIPORT_EITHER) && !have_d) {
                                if ((k = fn("dports", buf, userdata)) < 0)
                                        return k;
                                have_d = true;
                        }
                        if ((mp->dir == BS_MULTIPORT_SOURCE || mp->dir == BS_MULTIPORT_EITHER) && !have_s) {
                                if ((k = fn("sports", buf, userdata)) < 0)
                                        return k;
                                have_s = true;
                        }
                }
                if (mt->kind == BS_MATCH_CONNTRACK && (mt->conntrack.match_flags & XT_CONNTRACK_STATE)) {
                        format_ctstate(&mt->conntrack, buf, sizeof(buf));
                        if ((k = fn("ctstate", buf, userdata)) < 0)
                                return k;
                }
                if (mt->kind == BS_MATCH_COMMENT && (k = fn("comment", mt->comment, userdata)) < 0)
                        return k;
        }
        return 0;
}

int bs_rule_fields_foreach(const bs_rule *r, bs_rule_field_fn fn, void *userdata) {
        char buf[128];
        int k;
        if (!bs_addr_is_any(&r->src) || r->src_invert) {
                if ((k = format_addr(&r->src, r->src_invert, r->family, buf, sizeof(buf))) < 0 ||
                    (k = fn("source", buf, userdata)) < 0)
                        return k;
        }
        if (!bs_addr_is_any(&r->dst) || r->dst_invert) {
                if ((k = format_addr(&r->dst, r->dst_invert, r->family, buf, sizeof(buf))) < 0 ||
                    (k = fn("destination", buf, userdata)) < 0)
                        return k;
        }
        if (r->in_iface[0]) {
                snprintf(buf, sizeof(buf), "%s%.*s", r->in_invert ? "!" : "", IFNAMSIZ, r->in_iface);
                if ((k = fn("in-interface", buf, userdata)) < 0)
                        return k;
        }
        if (r->out_iface[0]) {
                snprintf(buf, sizeof(buf), "%s%.*s", r->out_invert ? "!" : "", IFNAMSIZ, r->out_iface);
                if ((k = fn("out-interface", buf, userdata)) < 0)
                        return k;
        }
        if (r->proto) {
                const char *p = proto_name(r->proto);
                if (p)
                        snprintf(buf, sizeof(buf), "%s%s", r->proto_invert ? "!" : "", p);
                else
                        snprintf(buf, sizeof(buf), "%s%u", r->proto_invert ? "!" : "", r->proto);
                if ((k = fn("protocol", buf, userdata)) < 0)
                        return k;
        }
        return port_fields(r, fn, userdata);
}
