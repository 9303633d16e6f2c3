/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* backstop-xtables' requests RENDER and DESCRIBE: an extension's payload
 * printed by its save() the way iptables-legacy -S prints it (iptables.c
 * print_match_save and the target part of print_rule4), and its options
 * listed. A printed text is shown only when it parses back to the same
 * bytes (xth_verify). */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xtables.h>

#include "xt-helper.h"


void xth_entry_init(xth_entry *e, uint16_t proto, bool proto_invert) {
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

static const void *entry_ip(const xth_entry *e) {
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
static bool render_one(bool is_target, uint8_t revision, const xth_entry *e, const char *name, const uint8_t *payload,
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
                        xth_entry e;
                        xth_entry_init(&e, proto, proto_invert);
                        /* shown only when it means these very bytes (1), or
                         * the same but for initial values (3) */
                        if (render_one(is_target, revision, &e, name, payload, size, &text, &text_len) &&
                            text_len <= BS_XT_TEXT_MAX) {
                                xth_match v = xth_verify(is_target, &e, text, name, revision, payload, size);
                                status = v == XTH_EXACT ? 1 : v == XTH_EQUIVALENT ? 3 : 0;
                        }
                        /* what is left must fit: this item, then 5 bytes for each one after it */
                        size_t need = 5 + (status ? text_len : 0) + (size_t) (n - i - 1) * 5;
                        if (w.len + need > BS_XT_MSG_MAX)
                                full = true;
                }
                if (full)
                        status = 2; /* no room: ask again */
                bs_xt_wu8(&w, status);
                bs_xt_wstr(&w, status == 1 || status == 3 ? text : "");
                free(text);
        }
        if (bs_xt_rend(r) < 0)
                xtables_error(PARAMETER_PROBLEM, "bad render request");
        send_reply(&w);
}

/* ------------------------------------------------------------ options */

/* The extension's options as getopt_long sees them, after iptables'
 * merge (x6 options transformed, or the old extra_opts). */
struct option *xth_merged_options(const struct xt_option_entry *x6, const struct option *extra,
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
                opts = xth_merged_options(t->x6_options, t->extra_opts, &t->option_offset);
        } else {
                struct xtables_match *m = xtables_find_match(name, XTF_TRY_LOAD, NULL);
                if (!m)
                        xtables_error(PARAMETER_PROBLEM, "Couldn't load match `%s'", name);
                opts = xth_merged_options(m->x6_options, m->extra_opts, &m->option_offset);
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
