/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Change dictionaries written as text, for the unit tests and the fuzz
 * target of rule-dict.h. One entry per line, "T:KEY=VALUE":
 *
 *     s:operation=insert        a string
 *     u:position=1              a uint32 (decimal; anything else is 0)
 *     b:rule.goto=1             a boolean ("1" true, anything else false)
 *     o:rule.dports=ai          another type, named by its signature
 *     d:rule                    an (empty) dictionary
 *
 * "rule.KEY" puts KEY into the change's "rule" dictionary, made on first
 * use. A line "%" starts the next change. Lines that fit none of these are
 * ignored. The text is split in place: the lists borrow from it. */

#include <stdlib.h>

#include "rule-dict.h"

static inline bs_kv_list *spec_rule_dict(bs_kv_list *l) {
        for (size_t i = 0; i < l->n; i++)
                if (l->items[i].type == BS_KV_DICT && streq(l->items[i].key, "rule"))
                        return l->items[i].dict;
        bs_kv_list *d = NULL;
        if (bs_kv_list_add_dict(l, "rule", &d) < 0)
                return NULL;
        return d;
}

static inline void spec_line(bs_kv_list *l, char *line) {
        if (strlen(line) < 3 || line[1] != ':')
                return;
        char type = line[0];
        char *key = line + 2;
        char *eq = strchr(key, '=');
        const char *value = "";
        if (eq) {
                *eq = '\0';
                value = eq + 1;
        }
        if (strncmp(key, "rule.", 5) == 0) {
                l = spec_rule_dict(l);
                if (!l)
                        return;
                key += 5;
        }
        bs_kv kv = { .key = key };
        switch (type) {
        case 's':
                kv.type = BS_KV_STRING;
                kv.str = value;
                break;
        case 'u':
                kv.type = BS_KV_UINT32;
                kv.u32 = (uint32_t) strtoul(value, NULL, 10);
                break;
        case 'b':
                kv.type = BS_KV_BOOL;
                kv.b = streq(value, "1");
                break;
        case 'o':
                kv.type = BS_KV_OTHER;
                kv.signature = value;
                break;
        case 'd': {
                bs_kv_list *d;
                (void) bs_kv_list_add_dict(l, key, &d);
                return;
        }
        default:
                return;
        }
        (void) bs_kv_list_add(l, &kv, NULL);
}

/* Returns the number of changes in *ret (at least 1 unless text is empty
 * or out of memory), free with spec_free(). */
static inline size_t spec_parse(char *text, bs_kv_list **ret) {
        size_t n = 0;
        bs_kv_list *v = NULL;
        char *save = NULL;
        for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                if (n == 0 || streq(line, "%")) {
                        bs_kv_list *nv = realloc(v, (n + 1) * sizeof(*v));
                        if (!nv)
                                break;
                        v = nv;
                        v[n++] = (bs_kv_list){};
                        if (streq(line, "%"))
                                continue;
                }
                spec_line(&v[n - 1], line);
        }
        *ret = v;
        return n;
}

static inline void spec_free(bs_kv_list *v, size_t n) {
        for (size_t i = 0; i < n; i++)
                bs_kv_list_done(&v[i]);
        free(v);
}
