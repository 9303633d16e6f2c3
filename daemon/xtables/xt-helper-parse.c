/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* backstop-xtables' PARSE request, and the check of every printed text:
 * an extension's options parsed into a payload the way do_parse
 * (iptables/xshared.c) does: getopt_long over the extension's options, "!"
 * inverting the next one, x6_parse or parse for each, then the final
 * check; the extension found, named and initialized as command_match and
 * command_jump do. */
#include <errno.h>
#include <getopt.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"
#include "xt-helper.h"

/* xtables.h keeps this for its own (XTABLES_INTERNAL): the width of each
 * extension's range of getopt values after the merge. */
#define OPTION_OFFSET_SCALE 256

static void parse_words(int argc, char **argv, struct option *opts, unsigned int offset, bool is_target,
                        void *ext, xth_entry *e) {
        bool invert = false;
        int c;
        optind = 0; /* glibc: start afresh */
        opterr = 0;
        while ((c = getopt_long(argc, argv, "-:", opts, NULL)) != -1) {
                switch (c) {
                case 1:
                        if (optarg[0] == '!' && optarg[1] == '\0') {
                                if (invert)
                                        xtables_error(PARAMETER_PROBLEM, "multiple consecutive ! not allowed");
                                invert = true;
                                optarg[0] = '\0';
                                continue;
                        }
                        xtables_error(PARAMETER_PROBLEM, "Bad argument `%s'", optarg);
                case ':':
                        xtables_error(PARAMETER_PROBLEM, "option \"%s\" requires an argument", argv[optind - 1]);
                case '?':
                        if (optopt) {
                                char s[3] = { '-', (char) optopt, '\0' };
                                xtables_error(PARAMETER_PROBLEM, "unknown option \"%s\"", s);
                        }
                        xtables_error(PARAMETER_PROBLEM, "unknown option \"%s\"", argv[optind - 1]);
                default:
                        if ((unsigned) c < offset || (unsigned) c >= offset + OPTION_OFFSET_SCALE)
                                xtables_error(PARAMETER_PROBLEM, "Unknown arg \"%s\"", argv[optind - 1]);
                        if (is_target)
                                xtables_option_tpcall((unsigned) c, argv, invert, ext, e);
                        else
                                xtables_option_mpcall((unsigned) c, argv, invert, ext, e);
                        break;
                }
                invert = false;
        }
        if (invert)
                xtables_error(PARAMETER_PROBLEM, "nothing appropriate following !");
}

/* What one parse built: the name and revision the kernel gets, and the
 * payload padded to XT_ALIGN (malloc'ed). */
typedef struct parsed {
        char name[XT_EXTENSION_MAXNAMELEN];
        uint8_t revision;
        uint8_t *data;
        size_t size;
} parsed;

static void keep(parsed *ret, const char *name, uint8_t revision, const uint8_t *data, size_t size) {
        size_t aligned = XT_ALIGN(size);
        snprintf(ret->name, sizeof(ret->name), "%s", name);
        ret->revision = revision;
        ret->data = xtables_calloc(1, aligned ? aligned : 1);
        if (size)
                memcpy(ret->data, data, size);
        ret->size = aligned;
}

/* argv[1..argc): the extension's option words; the final check when
 * final is set. Leaves through exit_err on anything iptables refuses. */
static void parse_ext(bool is_target, const char *name, xth_entry *e, int argc, char **argv, bool final,
                      parsed *ret) {
        if (is_target) {
                struct xtables_target *t = xtables_find_target(name, XTF_LOAD_MUST_SUCCEED);
                size_t size = TARGET_HDR + t->size;
                free(t->t); /* ours, from a parse that did not finish */
                t->t = xtables_calloc(1, size);
                t->t->u.target_size = (uint16_t) size;
                snprintf(t->t->u.user.name, sizeof(t->t->u.user.name), "%s", t->real_name ? t->real_name : name);
                t->t->u.user.revision = t->revision;
                t->tflags = 0;
                if (t->udata_size) {
                        free(t->udata);
                        t->udata = xtables_calloc(1, t->udata_size);
                }
                if (t->init)
                        t->init(t->t);
                struct option *opts = xth_merged_options(t->x6_options, t->extra_opts, &t->option_offset);
                parse_words(argc, argv, opts ? opts : xt_params->orig_opts, t->option_offset, true, t, e);
                free(opts);
                if (final)
                        xtables_option_tfcall(t);
                keep(ret, t->t->u.user.name, t->t->u.user.revision, t->t->data, t->t->u.target_size - TARGET_HDR);
                free(t->t);
                t->t = NULL;
        } else {
                struct xtables_match *m = xtables_find_match(name, XTF_LOAD_MUST_SUCCEED, NULL);
                size_t size = MATCH_HDR + m->size;
                free(m->m);
                m->m = xtables_calloc(1, size);
                m->m->u.match_size = (uint16_t) size;
                snprintf(m->m->u.user.name, sizeof(m->m->u.user.name), "%s", m->real_name ? m->real_name : name);
                m->m->u.user.revision = m->revision;
                m->mflags = 0;
                if (m->udata_size) {
                        free(m->udata);
                        m->udata = xtables_calloc(1, m->udata_size);
                }
                if (m->init)
                        m->init(m->m);
                struct option *opts = xth_merged_options(m->x6_options, m->extra_opts, &m->option_offset);
                parse_words(argc, argv, opts ? opts : xt_params->orig_opts, m->option_offset, false, m, e);
                free(opts);
                if (final)
                        xtables_option_mfcall(m);
                keep(ret, m->m->u.user.name, m->m->u.user.revision, m->m->data, m->m->u.match_size - MATCH_HDR);
                free(m->m);
                m->m = NULL;
        }
}

void xth_parse(bs_xt_reader *r, const bs_xt_hdr *h, uint8_t *buf) {
        char name[BS_XT_NAME_MAX + 1];
        uint8_t is_target = bs_xt_ru8(r);
        uint16_t proto = bs_xt_ru16(r);
        uint8_t proto_invert = bs_xt_ru8(r);
        bs_xt_rstr(r, BS_XT_NAME_MAX, name);
        uint32_t n = bs_xt_ru32(r);
        if (r->bad || !name[0] || n > BS_XT_WORDS_MAX)
                xtables_error(PARAMETER_PROBLEM, "bad parse request");
        /* argv as getopt wants it: writable words after a program name */
        char **argv = xtables_calloc(n + 2, sizeof(char *));
        argv[0] = xtables_strdup("iptables");
        for (uint32_t i = 0; i < n; i++) {
                argv[i + 1] = xtables_calloc(1, BS_XT_WORD_MAX + 1);
                bs_xt_rstr(r, BS_XT_WORD_MAX, argv[i + 1]);
        }
        if (bs_xt_rend(r) < 0)
                xtables_error(PARAMETER_PROBLEM, "bad parse request");
        xth_entry e;
        xth_entry_init(&e, proto, proto_invert);
        parsed p;
        parse_ext(is_target, name, &e, (int) n + 1, argv, true, &p);

        bs_xt_writer w;
        bs_xt_wbegin(&w, buf, BS_XT_PARSED, h->id, h->family);
        bs_xt_wstr(&w, p.name);
        bs_xt_wu8(&w, p.revision);
        bs_xt_wbytes(&w, p.data, p.size);
        size_t len;
        if (bs_xt_wend(&w, &len) < 0)
                xtables_error(PARAMETER_PROBLEM, "extension data too large");
        if (xth_send(buf, len) < 0)
                _exit(1);
        xth_reply_sent();
        free(p.data);
        for (uint32_t i = 0; i <= n; i++)
                free(argv[i]);
        free(argv);
}

/* ------------------------------------------------------------ verify */

/* The text read back must give the kernel's bytes, but for bytes the
 * original holds at the extension's initial value (what init() sets
 * before any option): a text that prints such a default in its own words
 * may read back to other bytes of the same meaning (recent's 16-byte mask
 * union, all ones, printed as --mask 255.255.255.255, reads back as four
 * bytes of ones and twelve of zeros). Anything the rule set itself must
 * come back as it is. */
static xth_match same_bytes(const parsed *back, const parsed *init, const char *name, uint8_t revision,
                            const uint8_t *payload, size_t size) {
        if (strcmp(back->name, name) != 0 || back->revision != revision || back->size != size)
                return XTH_DIFFERENT;
        xth_match m = XTH_EXACT;
        for (size_t i = 0; i < size; i++)
                if (back->data[i] != payload[i]) {
                        if (i >= init->size || init->data[i] != payload[i])
                                return XTH_DIFFERENT;
                        m = XTH_EQUIVALENT;
                }
        return m;
}

/* The initial bytes of each extension by its printed name (init() sees no
 * option and no entry): one parse less per extension printed. */
typedef struct init_cache {
        bool is_target;
        char name[XT_EXTENSION_MAXNAMELEN];
        parsed init;
} init_cache;
static init_cache inits[256];
static size_t n_inits;

static const parsed *initial_bytes(bool is_target, const char *name, char **argv) {
        for (size_t i = 0; i < n_inits; i++)
                if (inits[i].is_target == is_target && strcmp(inits[i].name, name) == 0)
                        return &inits[i].init;
        if (n_inits == ELEMENTSOF(inits) || strlen(name) >= sizeof(inits[0].name))
                return NULL;
        xth_entry none;
        xth_entry_init(&none, 0, false);
        init_cache *c = &inits[n_inits];
        parse_ext(is_target, name, &none, 1, argv, false, &c->init);
        c->is_target = is_target;
        strcpy(c->name, name);
        n_inits++;
        return &c->init;
}

xth_match xth_verify(bool is_target, const xth_entry *e, const char *text, const char *name, uint8_t revision,
                     const uint8_t *payload, size_t size) {
        /* split as the daemon splits what it parses */
        char **words = NULL;
        size_t n = 0;
        bs_parse_error err;
        if (bs_split_words(text, &words, &n, &err) < 0)
                return XTH_DIFFERENT;
        if (n < 2 || strcmp(words[0], is_target ? "-j" : "-m") != 0) {
                bs_words_free(words, n);
                return XTH_DIFFERENT;
        }
        /* argv: a program name, then the options after "-m NAME" */
        char **argv = xtables_calloc(n, sizeof(char *));
        argv[0] = xtables_strdup("iptables");
        for (size_t i = 2; i < n; i++)
                argv[i - 1] = xtables_strdup(words[i]);
        xth_entry copy = *e;
        parsed back = {};
        static jmp_buf refused;
        volatile xth_match same = XTH_DIFFERENT;
        /* whatever libxtables refuses comes back here instead of ending
         * the process; the extension's state is set afresh by the next
         * parse (parse_ext) */
        if (setjmp(refused) == 0) {
                xth_verify_begin(&refused);
                parse_ext(is_target, words[1], &copy, (int) n - 1, argv, true, &back);
                const parsed *init = initial_bytes(is_target, words[1], argv);
                same = init ? same_bytes(&back, init, name, revision, payload, size) : XTH_DIFFERENT;
        }
        xth_verify_end();
        free(back.data);
        for (size_t i = 0; i < n - 1; i++)
                free(argv[i]);
        free(argv);
        bs_words_free(words, n);
        return same;
}
