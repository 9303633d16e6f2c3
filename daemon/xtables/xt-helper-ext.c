/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* backstop-xtables' requests: an extension's payload printed by its save()
 * the way iptables-legacy -S prints it (iptables.c print_match_save and the
 * target part of print_rule4), its options listed, and its options parsed
 * into a payload the way do_parse (xshared.c) does: getopt_long over the
 * extension's options, "!" inverting the next one, x6_parse or parse for
 * each, then the final check. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xtables.h>

#include "xt-helper.h"

/* xtables.h keeps this for its own (XTABLES_INTERNAL): the width of each
 * extension's range of getopt values after the merge. */
#define OPTION_OFFSET_SCALE 256

#define MATCH_HDR XT_ALIGN(sizeof(struct xt_entry_match))
#define TARGET_HDR XT_ALIGN(sizeof(struct xt_entry_target))

/* The rule's entry around an extension, with what extensions look at:
 * the protocol and its inversion. */
typedef union entry {
        struct ipt_entry e4;
        struct ip6t_entry e6;
} entry;

static void entry_init(entry *e, uint16_t proto, bool proto_invert) {
        memset(e, 0, sizeof(*e));
        if (xth_family() == 6) {
                e->e6.ipv6.proto = proto;
                if (proto)
                        e->e6.ipv6.flags |= IP6T_F_PROTO;
                if (proto_invert)
                        e->e6.ipv6.invflags |= IP6T_INV_PROTO;
        } else {
                e->e4.ip.proto = proto;
                if (proto_invert)
                        e->e4.ip.invflags |= IPT_INV_PROTO;
        }
}

static const void *entry_ip(const entry *e) {
        return xth_family() == 6 ? (const void *) &e->e6.ipv6 : (const void *) &e->e4.ip;
}

static void send_reply(bs_xt_writer *w) {
        size_t len;
        if (bs_xt_wend(w, &len) < 0)
                xtables_error(OTHER_PROBLEM, "reply too large");
        if (xth_send(w->buf, len) < 0)
                _exit(1);
        xth_reply_sent();
}

/* ------------------------------------------------------------ render */

/* " -m NAME OPTIONS" as iptables -S prints it into *text (malloc'ed), or
 * false where iptables would print something no one can read back: no
 * library for the name, a revision it does not know. */
static bool render_one(bool is_target, uint8_t revision, const entry *e, const char *name, const uint8_t *payload,
                       size_t size, char **text, size_t *text_len) {
        static _Alignas(8) uint8_t blob[MATCH_HDR + TARGET_HDR + BS_XT_PAYLOAD_MAX];
        size_t hdr = is_target ? TARGET_HDR : MATCH_HDR;
        if (hdr + size > 0xFFFF)
                return false;
        memset(blob, 0, hdr);
        if (size > 0)
                memcpy(blob + hdr, payload, size);
        *text = NULL;
        FILE *mem = open_memstream(text, text_len);
        if (!mem)
                return false;
        FILE *old = stdout;
        bool ok = false;
        stdout = mem;
        if (is_target) {
                struct xt_entry_target *t = (struct xt_entry_target *) blob;
                t->u.target_size = (uint16_t) (hdr + size);
                snprintf(t->u.user.name, sizeof(t->u.user.name), "%s", name);
                t->u.user.revision = revision;
                struct xtables_target *base = xtables_find_target(name, XTF_TRY_LOAD);
                struct xtables_target *tg = base ? xtables_find_target_revision(name, XTF_TRY_LOAD, base, revision)
                                                 : NULL;
                if (tg) {
                        printf(" -j %s", tg->alias ? tg->alias(t) : name);
                        if (tg->save)
                                tg->save(entry_ip(e), t);
                        ok = tg->save || size == 0;
                }
        } else {
                struct xt_entry_match *m = (struct xt_entry_match *) blob;
                m->u.match_size = (uint16_t) (hdr + size);
                snprintf(m->u.user.name, sizeof(m->u.user.name), "%s", name);
                m->u.user.revision = revision;
                struct xtables_match *base = xtables_find_match(name, XTF_TRY_LOAD, NULL);
                struct xtables_match *mt = base ? xtables_find_match_revision(name, XTF_TRY_LOAD, base, revision)
                                                : NULL;
                if (mt) {
                        printf(" -m %s", mt->alias ? mt->alias(m) : name);
                        if (mt->save)
                                mt->save(entry_ip(e), m);
                        ok = true;
                }
        }
        fflush(mem);
        stdout = old;
        fclose(mem);
        if (!ok) {
                free(*text);
                *text = NULL;
        }
        return ok;
}

void xth_render(bs_xt_reader *r, const bs_xt_hdr *h, uint8_t *buf) {
        uint32_t n = bs_xt_ru32(r);
        if (n > BS_XT_ITEMS_MAX)
                xtables_error(PARAMETER_PROBLEM, "too many items");
        bs_xt_writer w;
        bs_xt_wbegin(&w, buf, BS_XT_RENDERED, h->id, h->family);
        bs_xt_wu32(&w, n);
        bool full = false;
        for (uint32_t i = 0; i < n; i++) {
                char name[BS_XT_NAME_MAX + 1];
                const uint8_t *payload;
                uint8_t is_target = bs_xt_ru8(r), revision = bs_xt_ru8(r);
                uint16_t proto = bs_xt_ru16(r);
                uint8_t proto_invert = bs_xt_ru8(r);
                bs_xt_rstr(r, BS_XT_NAME_MAX, name);
                size_t size = bs_xt_rbytes(r, BS_XT_PAYLOAD_MAX, &payload);
                if (r->bad || !name[0])
                        xtables_error(PARAMETER_PROBLEM, "bad render request");
                char *text = NULL;
                size_t text_len = 0;
                uint8_t status = 0;
                if (!full) {
                        entry e;
                        entry_init(&e, proto, proto_invert);
                        if (render_one(is_target, revision, &e, name, payload, size, &text, &text_len) &&
                            text_len <= BS_XT_TEXT_MAX)
                                status = 1;
                        /* what is left must fit: this item, then 5 bytes for each one after it */
                        size_t need = 5 + (status == 1 ? text_len : 0) + (size_t) (n - i - 1) * 5;
                        if (w.len + need > BS_XT_MSG_MAX)
                                full = true;
                }
                if (full)
                        status = 2; /* no room: ask again */
                bs_xt_wu8(&w, status);
                bs_xt_wstr(&w, status == 1 ? text : "");
                free(text);
        }
        if (bs_xt_rend(r) < 0)
                xtables_error(PARAMETER_PROBLEM, "bad render request");
        send_reply(&w);
}

/* ------------------------------------------------------------ options */

/* The extension's options as getopt_long sees them, after iptables'
 * merge (x6 options transformed, or the old extra_opts). */
static struct option *merged_options(const struct xt_option_entry *x6, const struct option *extra,
                                     unsigned int *offset) {
        struct option *o = x6 ? xtables_options_xfrm(xt_params->orig_opts, NULL, x6, offset)
                              : xtables_merge_options(xt_params->orig_opts, NULL, extra, offset);
        if (!o && (x6 || extra))
                xtables_error(OTHER_PROBLEM, "can't alloc memory!");
        return o;
}

void xth_describe(bs_xt_reader *r, const bs_xt_hdr *h, uint8_t *buf) {
        char name[BS_XT_NAME_MAX + 1];
        uint8_t is_target = bs_xt_ru8(r);
        bs_xt_rstr(r, BS_XT_NAME_MAX, name);
        if (bs_xt_rend(r) < 0 || !name[0])
                xtables_error(PARAMETER_PROBLEM, "bad describe request");
        struct option *opts;
        if (is_target) {
                struct xtables_target *t = xtables_find_target(name, XTF_TRY_LOAD);
                if (!t)
                        xtables_error(PARAMETER_PROBLEM, "Couldn't load target `%s'", name);
                opts = merged_options(t->x6_options, t->extra_opts, &t->option_offset);
        } else {
                struct xtables_match *m = xtables_find_match(name, XTF_TRY_LOAD, NULL);
                if (!m)
                        xtables_error(PARAMETER_PROBLEM, "Couldn't load match `%s'", name);
                opts = merged_options(m->x6_options, m->extra_opts, &m->option_offset);
        }
        bs_xt_writer w;
        bs_xt_wbegin(&w, buf, BS_XT_DESCRIBED, h->id, h->family);
        uint32_t n = 0;
        for (; opts && opts[n].name && n < BS_XT_OPTS_MAX; n++)
                ;
        bs_xt_wu32(&w, n);
        for (uint32_t i = 0; i < n; i++) {
                char cut[BS_XT_NAME_MAX * 2 + 1];
                snprintf(cut, sizeof(cut), "%s", opts[i].name);
                bs_xt_wstr(&w, cut);
                bs_xt_wu8(&w, (uint8_t) opts[i].has_arg);
        }
        free(opts);
        send_reply(&w);
}

/* ------------------------------------------------------------ parse */

static void parse_words(int argc, char **argv, struct option *opts, unsigned int offset, bool is_target,
                        void *ext, entry *e) {
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

static void reply_parsed(const bs_xt_hdr *h, uint8_t *buf, const char *name, uint8_t revision, const uint8_t *data,
                         size_t size) {
        static uint8_t padded[BS_XT_PAYLOAD_MAX];
        size_t aligned = XT_ALIGN(size);
        if (aligned > sizeof(padded))
                xtables_error(PARAMETER_PROBLEM, "extension data too large");
        memset(padded, 0, aligned);
        if (size)
                memcpy(padded, data, size);
        bs_xt_writer w;
        bs_xt_wbegin(&w, buf, BS_XT_PARSED, h->id, h->family);
        bs_xt_wstr(&w, name);
        bs_xt_wu8(&w, revision);
        bs_xt_wbytes(&w, padded, aligned);
        send_reply(&w);
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
        entry e;
        entry_init(&e, proto, proto_invert);
        if (is_target) {
                struct xtables_target *t = xtables_find_target(name, XTF_LOAD_MUST_SUCCEED);
                size_t size = TARGET_HDR + t->size;
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
                struct option *opts = merged_options(t->x6_options, t->extra_opts, &t->option_offset);
                parse_words((int) n + 1, argv, opts ? opts : xt_params->orig_opts, t->option_offset, true, t, &e);
                xtables_option_tfcall(t);
                reply_parsed(h, buf, t->t->u.user.name, t->t->u.user.revision, t->t->data,
                             t->t->u.target_size - TARGET_HDR);
                free(opts);
                free(t->t);
                t->t = NULL;
        } else {
                struct xtables_match *m = xtables_find_match(name, XTF_LOAD_MUST_SUCCEED, NULL);
                size_t size = MATCH_HDR + m->size;
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
                struct option *opts = merged_options(m->x6_options, m->extra_opts, &m->option_offset);
                parse_words((int) n + 1, argv, opts ? opts : xt_params->orig_opts, m->option_offset, false, m, &e);
                xtables_option_mfcall(m);
                reply_parsed(h, buf, m->m->u.user.name, m->m->u.user.revision, m->m->data,
                             m->m->u.match_size - MATCH_HDR);
                free(opts);
                free(m->m);
                m->m = NULL;
        }
        for (uint32_t i = 0; i <= n; i++)
                free(argv[i]);
        free(argv);
}
