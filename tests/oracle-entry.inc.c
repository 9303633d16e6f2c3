/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The body oracle-entry4.c and oracle-entry6.c each include, after they
 * define ENTRY, IPFIELD, IP_FIELDS, the libiptc calls and FN(). */

#include <errno.h>
#include <linux/netfilter/x_tables.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "oracle-entry.h"

int FN(oracle_kernel_entry)(const char *table, const char *chain, unsigned index, void **ret_entry,
                            size_t *ret_size, char **ret_label) {
        xt_chainlabel label = {};
        if (strlen(chain) >= sizeof(label))
                return -EINVAL;
        strcpy(label, chain);

        struct xtc_handle *h = HANDLE_INIT(table);
        if (!h)
                return errno > 0 ? -errno : -EIO;
        const ENTRY *e = FIRST(label, h);
        for (unsigned i = 0; e && i < index; i++)
                e = NEXT(e, h);
        if (!e) {
                FREE(h);
                return -ENOENT;
        }
        void *copy = g_memdup2(e, e->next_offset);
        char *target = g_strdup(GET_TARGET(e, h));
        *ret_size = e->next_offset;
        FREE(h);
        *ret_entry = copy;
        *ret_label = target;
        return 0;
}

static void hex_bytes(GString *out, const uint8_t *p, size_t n) {
        for (size_t i = 0; i < n; i++)
                g_string_append_printf(out, "%02x", p[i]);
}

/* Report the first differing byte of two blobs, with a little context. */
static void diff_bytes(GString *out, const char *what, const uint8_t *k, size_t kn, const uint8_t *e,
                       size_t en) {
        size_t n = MIN(kn, en), first = 0;
        while (first < n && k[first] == e[first])
                first++;
        if (first == n && kn == en)
                return;
        size_t from = first & ~(size_t) 7, to_k = MIN(kn, from + 16), to_e = MIN(en, from + 16);
        g_string_append_printf(out, "      %s: sizes kernel %zu / encoded %zu, first difference at byte %zu\n"
                               "        kernel  [%zu..]: ", what, kn, en, first, from);
        hex_bytes(out, k + from, to_k > from ? to_k - from : 0);
        g_string_append_printf(out, "\n        encoded [%zu..]: ", from);
        hex_bytes(out, e + from, to_e > from ? to_e - from : 0);
        g_string_append(out, "\n");
}

typedef struct ip_field {
        const char *name;
        size_t offset, size;
} ip_field;

static const ip_field FN(ip_fields)[] = { IP_FIELDS };

/* Walks the matches of one entry; false on a bad offset. */
static bool FN(next_match)(const uint8_t *e, size_t size, size_t *off, const struct xt_entry_match **ret) {
        const ENTRY *entry = (const ENTRY *) e;
        if (*off >= entry->target_offset)
                return false;
        if (*off + sizeof(struct xt_entry_match) > size)
                return false;
        const struct xt_entry_match *m = (const void *) (e + *off);
        if (m->u.match_size < sizeof(*m) || *off + m->u.match_size > entry->target_offset)
                return false;
        *ret = m;
        *off += m->u.match_size;
        return true;
}

bool FN(oracle_entry_diff)(const void *kernel, size_t ksize, const void *encoded, size_t esize, GString *out) {
        const uint8_t *k = kernel, *x = encoded;
        const ENTRY *ke = kernel, *xe = encoded;
        size_t before = out->len;

        if (ksize < sizeof(ENTRY) || esize < sizeof(ENTRY)) {
                g_string_append_printf(out, "      entry too short: kernel %zu, encoded %zu\n", ksize, esize);
                return false;
        }
        for (size_t i = 0; i < G_N_ELEMENTS(FN(ip_fields)); i++) {
                const ip_field *f = &FN(ip_fields)[i];
                size_t o = offsetof(ENTRY, IPFIELD) + f->offset;
                if (memcmp(k + o, x + o, f->size) == 0)
                        continue;
                g_string_append_printf(out, "      header field %s: kernel ", f->name);
                hex_bytes(out, k + o, f->size);
                g_string_append(out, " / encoded ");
                hex_bytes(out, x + o, f->size);
                g_string_append(out, "\n");
        }
        if (ke->target_offset != xe->target_offset || ke->next_offset != xe->next_offset)
                g_string_append_printf(out, "      target_offset/next_offset: kernel %u/%u, encoded %u/%u\n",
                                       ke->target_offset, ke->next_offset, xe->target_offset, xe->next_offset);
        if (ke->next_offset != ksize || xe->next_offset != esize)
                g_string_append_printf(out, "      next_offset vs size: kernel %u/%zu, encoded %u/%zu\n",
                                       ke->next_offset, ksize, xe->next_offset, esize);

        size_t ko = sizeof(ENTRY), xo = sizeof(ENTRY);
        for (unsigned i = 0;; i++) {
                const struct xt_entry_match *km = NULL, *xm = NULL;
                bool kh = ke->target_offset <= ksize && FN(next_match)(k, ksize, &ko, &km);
                bool xh = xe->target_offset <= esize && FN(next_match)(x, esize, &xo, &xm);
                if (!kh && !xh)
                        break;
                if (!kh || !xh) {
                        g_string_append_printf(out, "      match #%u only in the %s entry ('%.*s')\n", i,
                                               kh ? "kernel" : "encoded", XT_EXTENSION_MAXNAMELEN,
                                               kh ? km->u.user.name : xm->u.user.name);
                        break;
                }
                if (strncmp(km->u.user.name, xm->u.user.name, XT_EXTENSION_MAXNAMELEN) != 0 ||
                    km->u.user.revision != xm->u.user.revision) {
                        g_string_append_printf(out, "      match #%u: kernel '%.*s' rev %u, encoded '%.*s' rev %u\n", i,
                                               XT_EXTENSION_MAXNAMELEN, km->u.user.name, km->u.user.revision,
                                               XT_EXTENSION_MAXNAMELEN, xm->u.user.name, xm->u.user.revision);
                        continue;
                }
                g_autofree char *what = g_strdup_printf("match #%u '%.*s' data", i, XT_EXTENSION_MAXNAMELEN,
                                                        km->u.user.name);
                diff_bytes(out, what, km->data, km->u.match_size - sizeof(*km), xm->data,
                           xm->u.match_size - sizeof(*xm));
        }

        if (ke->target_offset + sizeof(struct xt_entry_target) <= ksize &&
            xe->target_offset + sizeof(struct xt_entry_target) <= esize) {
                const struct xt_entry_target *kt = (const void *) (k + ke->target_offset);
                const struct xt_entry_target *xt = (const void *) (x + xe->target_offset);
                if (kt->u.target_size != xt->u.target_size)
                        g_string_append_printf(out, "      target_size: kernel %u, encoded %u\n",
                                               kt->u.target_size, xt->u.target_size);
                /* A standard target's verdict is libiptc's business (the
                 * codec hands it a name); compare only extension targets. */
                if (kt->u.user.name[0] != '\0') {
                        if (strncmp(kt->u.user.name, xt->u.user.name, XT_EXTENSION_MAXNAMELEN) != 0 ||
                            kt->u.user.revision != xt->u.user.revision)
                                g_string_append_printf(out, "      target: kernel '%.*s' rev %u, encoded '%.*s' rev %u\n",
                                                       XT_EXTENSION_MAXNAMELEN, kt->u.user.name,
                                                       kt->u.user.revision, XT_EXTENSION_MAXNAMELEN,
                                                       xt->u.user.name, xt->u.user.revision);
                        else if (kt->u.target_size <= ksize - ke->target_offset &&
                                 xt->u.target_size <= esize - xe->target_offset &&
                                 kt->u.target_size >= sizeof(*kt) && xt->u.target_size >= sizeof(*xt))
                                diff_bytes(out, "target data", kt->data, kt->u.target_size - sizeof(*kt),
                                           xt->data, xt->u.target_size - sizeof(*xt));
                }
        }
        return out->len == before;
}
