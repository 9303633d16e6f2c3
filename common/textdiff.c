/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "textdiff.h"

typedef struct Line {
        const char *s;
        size_t len;
} Line;

typedef struct Op {
        char kind;      /* ' ', '-' or '+' */
        size_t a, b;    /* the line's index in a (' ', '-') and in b (' ', '+') */
} Op;

static int split_lines(const char *text, Line **ret, size_t *ret_n) {
        size_t n = 0;
        for (const char *p = text; *p; n++) {
                const char *e = strchr(p, '\n');
                p = e ? e + 1 : p + strlen(p);
        }
        Line *v = calloc(n + 1, sizeof(Line));
        if (!v)
                return -ENOMEM;
        size_t i = 0;
        for (const char *p = text; *p; i++) {
                const char *e = strchr(p, '\n');
                v[i] = (Line){ p, e ? (size_t) (e - p) : strlen(p) };
                p = e ? e + 1 : p + strlen(p);
        }
        *ret = v;
        *ret_n = n;
        return 0;
}

static bool same(const Line *x, const Line *y) {
        return x->len == y->len && memcmp(x->s, y->s, x->len) == 0;
}

/* The edit script: the common first and last lines, and between them the
 * longest common subsequence (dynamic programming, within
 * TEXT_DIFF_CELLS_MAX), else all removed then all added. */
static int edit_script(const Line *a, size_t na, const Line *b, size_t nb, Op *ops, size_t *ret_n) {
        size_t pre = 0, suf = 0, n = 0;
        while (pre < na && pre < nb && same(&a[pre], &b[pre]))
                pre++;
        while (suf < na - pre && suf < nb - pre && same(&a[na - 1 - suf], &b[nb - 1 - suf]))
                suf++;
        for (size_t i = 0; i < pre; i++)
                ops[n++] = (Op){ ' ', i, i };
        size_t ma = na - pre - suf, mb = nb - pre - suf;
        const Line *xa = a + pre, *xb = b + pre;
        if (ma > 0 && mb > 0 && (ma + 1) <= TEXT_DIFF_CELLS_MAX / (mb + 1)) {
                /* len[i][j]: the LCS of xa[i..] and xb[j..] */
                size_t w = mb + 1;
                uint32_t *len = calloc((ma + 1) * w, sizeof(uint32_t));
                if (!len)
                        return -ENOMEM;
                for (size_t i = ma; i-- > 0;)
                        for (size_t j = mb; j-- > 0;)
                                len[i * w + j] = same(&xa[i], &xb[j]) ? len[(i + 1) * w + j + 1] + 1
                                                 : len[(i + 1) * w + j] >= len[i * w + j + 1] ? len[(i + 1) * w + j]
                                                                                              : len[i * w + j + 1];
                size_t i = 0, j = 0;
                while (i < ma || j < mb) {
                        if (i < ma && j < mb && same(&xa[i], &xb[j])) {
                                ops[n++] = (Op){ ' ', pre + i, pre + j };
                                i++, j++;
                        } else if (j == mb || (i < ma && len[(i + 1) * w + j] >= len[i * w + j + 1])) {
                                ops[n++] = (Op){ '-', pre + i, pre + j };
                                i++;
                        } else {
                                ops[n++] = (Op){ '+', pre + i, pre + j };
                                j++;
                        }
                }
                free(len);
        } else {
                for (size_t i = 0; i < ma; i++)
                        ops[n++] = (Op){ '-', pre + i, pre };
                for (size_t j = 0; j < mb; j++)
                        ops[n++] = (Op){ '+', pre + ma, pre + j };
        }
        for (size_t i = 0; i < suf; i++)
                ops[n++] = (Op){ ' ', na - suf + i, nb - suf + i };
        *ret_n = n;
        return 0;
}

static void print_hunk(FILE *out, const Op *ops, size_t from, size_t to, const Line *a, const Line *b) {
        size_t a_start = ops[from].a, b_start = ops[from].b, a_len = 0, b_len = 0;
        for (size_t k = from; k < to; k++) {
                a_len += ops[k].kind != '+';
                b_len += ops[k].kind != '-';
        }
        fprintf(out, "@@ -%zu,%zu +%zu,%zu @@\n", a_len ? a_start + 1 : a_start, a_len, b_len ? b_start + 1 : b_start,
                b_len);
        for (size_t k = from; k < to; k++) {
                const Line *l = ops[k].kind == '+' ? &b[ops[k].b] : &a[ops[k].a];
                fprintf(out, "%c%.*s\n", ops[k].kind, (int) l->len, l->s);
        }
}

int text_diff(const char *a, const char *b, const char *label_a, const char *label_b, unsigned context, FILE *out,
              size_t *ret_removed, size_t *ret_added) {
        Line *la = NULL, *lb = NULL;
        Op *ops = NULL;
        size_t na = 0, nb = 0, n = 0, removed = 0, added = 0;
        int r = split_lines(a, &la, &na);
        if (r >= 0)
                r = split_lines(b, &lb, &nb);
        if (r >= 0 && !(ops = calloc(na + nb + 1, sizeof(Op))))
                r = -ENOMEM;
        if (r >= 0)
                r = edit_script(la, na, lb, nb, ops, &n);
        if (r < 0)
                goto out;
        for (size_t k = 0; k < n; k++) {
                removed += ops[k].kind == '-';
                added += ops[k].kind == '+';
        }
        if (out && removed + added > 0) {
                fprintf(out, "--- %s\n+++ %s\n", label_a, label_b);
                /* A hunk: the changes that lie within 2 * context lines of
                 * each other, with context lines around them. */
                size_t k = 0;
                while (k < n) {
                        while (k < n && ops[k].kind == ' ')
                                k++;
                        if (k == n)
                                break;
                        size_t from = k > context ? k - context : 0, last = k;
                        for (size_t j = k; j < n && j <= last + 2 * (size_t) context + 1; j++)
                                if (ops[j].kind != ' ')
                                        last = j;
                        size_t to = last + 1 + context < n ? last + 1 + context : n;
                        print_hunk(out, ops, from, to, la, lb);
                        k = last + 1;
                }
                if (ferror(out))
                        r = -EIO;
        }
        if (ret_removed)
                *ret_removed = removed;
        if (ret_added)
                *ret_added = added;
out:
        free(la);
        free(lb);
        free(ops);
        return r < 0 ? r : 0;
}
