/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The string buffer, word splitting and quoting, parse errors, numbers. */
#include "text-internal.h"

#include <assert.h>
#include <ctype.h>
#include <inttypes.h>

/* ------------------------------------------------------------ bs_buf */

void bs_buf_done(bs_buf *b) {
        free(b->data);
        b->data = NULL;
        b->len = b->cap = 0;
}

static int buf_reserve(bs_buf *b, size_t extra) {
        if (extra > SIZE_MAX - b->len - 1)
                return -ENOMEM;
        size_t need = b->len + extra + 1;
        if (need <= b->cap)
                return 0;
        size_t cap = b->cap ? b->cap : 64;
        while (cap < need) {
                if (cap > SIZE_MAX / 2)
                        return -ENOMEM;
                cap *= 2;
        }
        char *n = realloc(b->data, cap);
        if (!n)
                return -ENOMEM;
        if (!b->data)
                n[0] = '\0';
        b->data = n;
        b->cap = cap;
        return 0;
}

static int buf_append_n(bs_buf *b, const char *s, size_t n) {
        int r = buf_reserve(b, n);
        if (r < 0)
                return r;
        memcpy(b->data + b->len, s, n);
        b->len += n;
        b->data[b->len] = '\0';
        return 0;
}

int bs_buf_append(bs_buf *b, const char *s) {
        return buf_append_n(b, s, strlen(s));
}

int bs_buf_reserve(bs_buf *b, size_t extra) {
        return buf_reserve(b, extra);
}

int text_buf_add_slow(bs_buf *b, const char *s, size_t n) {
        return buf_append_n(b, s, n);
}

size_t text_format_u(uintmax_t v, char buf[static TEXT_U_MAX]) {
        char tmp[TEXT_U_MAX];
        size_t n = 0;
        do {
                tmp[n++] = (char) ('0' + v % 10);
                v /= 10;
        } while (v > 0);
        for (size_t i = 0; i < n; i++)
                buf[i] = tmp[n - 1 - i];
        buf[n] = '\0';
        return n;
}

int text_buf_add_u(bs_buf *b, uintmax_t v) {
        /* straight into the buffer when there is room for any number */
        if (TEXT_U_MAX < b->cap - b->len) {
                b->len += text_format_u(v, b->data + b->len);
                return 0;
        }
        char buf[TEXT_U_MAX];
        return text_buf_add(b, buf, text_format_u(v, buf));
}

int bs_buf_printf(bs_buf *b, const char *fmt, ...) {
        /* Straight into the room left when it fits (nearly always, once
         * the buffer has grown): one formatting pass instead of two. */
        if (!b->data) {
                int r = buf_reserve(b, 0);
                if (r < 0)
                        return r;
        }
        size_t room = b->cap - b->len;  /* including the NUL's byte */
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(b->data + b->len, room, fmt, ap);
        va_end(ap);
        if (n < 0) {
                b->data[b->len] = '\0';
                return -EINVAL;
        }
        if ((size_t) n >= room) {
                int r = buf_reserve(b, (size_t) n);
                if (r < 0) {
                        b->data[b->len] = '\0';
                        return r;
                }
                va_start(ap, fmt);
                vsnprintf(b->data + b->len, (size_t) n + 1, fmt, ap);
                va_end(ap);
        }
        b->len += (size_t) n;
        return 0;
}

/* ------------------------------------------------------------ errors */

static void copy_trunc(char *dst, size_t size, const char *src) {
        size_t n = strlen(src);
        if (n >= size) {
                /* keep it a readable string: cut and mark the cut */
                memcpy(dst, src, size - 4);
                memcpy(dst + size - 4, "...", 4);
        } else
                memcpy(dst, src, n + 1);
}

int text_failv(bs_parse_error *err, int word_index, const char *word, const char *fmt, va_list ap) {
        if (!err)
                return -EINVAL;
        err->word_index = word_index;
        copy_trunc(err->word, sizeof(err->word), word ? word : "");
        char msg[1024];
        vsnprintf(msg, sizeof(msg), fmt, ap);
        copy_trunc(err->message, sizeof(err->message), msg);
        return -EINVAL;
}

int text_fail(bs_parse_error *err, int word_index, const char *word, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        int r = text_failv(err, word_index, word, fmt, ap);
        va_end(ap);
        return r;
}

/* ------------------------------------------------------------ numbers */

bool text_strtoul(const char *s, int base, uintmax_t min, uintmax_t max, uintmax_t *ret) {
        /* The common case, a short plain decimal number, without
         * strtoumax (a third of an address's parse time). Base 0 reads a
         * leading 0 as octal or hex: such numbers take the general path. */
        if ((base == 10 || base == 0) && s[0] >= '1' && s[0] <= '9') {
                uintmax_t v = 0;
                size_t i;
                for (i = 0; i < 18 && s[i] >= '0' && s[i] <= '9'; i++)
                        v = v * 10 + (uintmax_t) (s[i] - '0');
                if (s[i] == '\0') {
                        if (v < min || v > max)
                                return false;
                        if (ret)
                                *ret = v;
                        return true;
                }
        }
        const char *p = s;
        while (isspace((unsigned char) *p))
                p++;
        if (*p == '-' || *p == '+' || *p == '\0')
                return false;
        /* up to base 10, a number starts with a digit ("tcp" is no
         * number, and strtoumax need not say so) */
        if (base <= 10 && !(*p >= '0' && *p <= '9'))
                return false;
        char *end;
        errno = 0;
        uintmax_t v = strtoumax(p, &end, base);
        if (errno != 0 || end == p || *end != '\0' || v < min || v > max)
                return false;
        if (ret)
                *ret = v;
        return true;
}

bool text_decimal(const char *s, uintmax_t max, uintmax_t *ret) {
        if (!isdigit((unsigned char) s[0]))
                return false;
        uintmax_t v = 0;
        for (const char *p = s; *p; p++) {
                if (!isdigit((unsigned char) *p))
                        return false;
                v = v * 10 + (uintmax_t) (*p - '0');
                if (v > max)
                        return false;
        }
        if (ret)
                *ret = v;
        return true;
}

/* ------------------------------------------------------------ quoting */

/* isalnum() without a call for the letters and digits of the portable
 * character set, which every locale classes as alphanumeric; any other
 * character still asks isalnum(). */
static bool is_alnum(char c) {
        unsigned char u = (unsigned char) c;
        if ((u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9'))
                return true;
        return isalnum(u);
}

/* xtables_save_string: bare when made of [A-Za-z0-9_-] only. Returns
 * the length of a bare word, 0 for any other (an empty word is not bare). */
static size_t iptables_bare(const char *w) {
        const char *p;
        for (p = w; *p; p++)
                if (*p != '_' && *p != '-' && !is_alnum(*p))
                        return 0;
        return (size_t) (p - w);
}

/* The punctuation a shell reads as part of a plain word. */
static const bool shell_plain[256] = {
        ['_'] = true, ['-'] = true, ['+'] = true, ['='] = true, ['/'] = true, [':'] = true,
        ['.'] = true, [','] = true, ['@'] = true, ['%'] = true, ['^'] = true,
};

/* The length of a word a shell reads back as it is, 0 for any other. */
static size_t shell_bare(const char *w) {
        const char *p;
        for (p = w; *p; p++)
                if (!shell_plain[(unsigned char) *p] && !is_alnum(*p))
                        return 0;
        return (size_t) (p - w);
}

int text_put_word(bs_buf *b, text_style style, bool free_text, const char *word) {
        int r = text_buf_add(b, " ", 1);
        if (r < 0)
                return r;
        size_t bare;
        if (style == TEXT_STYLE_IPTABLES) {
                if (!free_text)
                        return text_buf_add_str(b, word);
                if ((bare = iptables_bare(word)) > 0)
                        return text_buf_add(b, word, bare);
                r = text_buf_add(b, "\"", 1);
                /* the runs between the characters to escape, whole */
                for (const char *p = word; r >= 0 && *p;) {
                        size_t run = strcspn(p, "\"\\'");
                        r = text_buf_add(b, p, run);
                        p += run;
                        if (r >= 0 && *p) {
                                char esc[2] = { '\\', *p++ };
                                r = text_buf_add(b, esc, 2);
                        }
                }
                return r < 0 ? r : text_buf_add(b, "\"", 1);
        }
        if ((bare = shell_bare(word)) > 0)
                return text_buf_add(b, word, bare);
        r = text_buf_add(b, "'", 1);
        for (const char *p = word; r >= 0 && *p;) {
                size_t run = strcspn(p, "'");
                r = text_buf_add(b, p, run);
                p += run;
                if (r >= 0 && *p) {
                        r = text_buf_add(b, "'\\''", 4);
                        p++;
                }
        }
        return r < 0 ? r : text_buf_add(b, "'", 1);
}

/* ------------------------------------------------------------ words */

/* isspace(), asked only outside graphic ASCII: no locale classes those
 * characters (most of a line) as space, and asking is a call each. The
 * space itself is a blank in every locale (POSIX), and the one that
 * separates nearly all words: no call for it either. */
static bool is_blank(char c) {
        unsigned char u = (unsigned char) c;
        if (u == ' ')
                return true;
        return (u < ' ' || u >= 0x7f) && isspace(u);
}

/* Where a run of plain characters may end: the quotes, the backslash,
 * NUL, and every byte outside graphic ASCII (is_blank decides those). */
static const bool split_stop[256] = {
        [0x00 ... 0x20] = true, ['"'] = true, ['\''] = true, ['\\'] = true, [0x7f ... 0xff] = true,
};

/* The words and their text are one allocation (see bs_split_words). */
void bs_words_free(char **words, size_t n) {
        (void) n;
        free(words);
}

/* A word takes at least one byte of the line and words are separated by a
 * blank, so there are at most len / 2 + 1 words, and their text with a
 * NUL each fits in len + 1 bytes (a word never grows: quotes and
 * backslashes only drop bytes). */
static size_t max_words(size_t len) {
        size_t m = len / 2 + 1;
        return m > BS_WORDS_MAX ? BS_WORDS_MAX : m;
}

static size_t split_size(size_t len) {
        return max_words(len) * sizeof(char *) + len + 1;
}

/* One word from p on (not a blank, not NUL) into text + *tl, with its
 * NUL; returns where the line goes on, or NULL with err filled. n is the
 * index of the word, for messages. */
static const char *split_word(const char *p, char *text, size_t *tl, size_t n, bs_parse_error *err) {
        size_t start = *tl, t = start;
        for (;;) {
                /* a run of plain characters, copied as it is scanned */
                while (!split_stop[(unsigned char) *p])
                        text[t++] = *p++;
                char c = *p;
                if (c == '\0' || is_blank(c))
                        break;
                if (c == '\\') {
                        if (p[1] == '\0') {
                                text[t] = '\0';
                                text_fail(err, (int) n, text + start, "the line ends with a backslash");
                                return NULL;
                        }
                        text[t++] = p[1];
                        p += 2;
                } else if (c == '\'') {
                        const char *q = strchr(p + 1, '\'');
                        if (!q) {
                                text_fail(err, (int) n, p, "unterminated single quote");
                                return NULL;
                        }
                        memcpy(text + t, p + 1, (size_t) (q - p - 1));
                        t += (size_t) (q - p - 1);
                        p = q + 1;
                } else if (c == '"') {
                        const char *qstart = p++;
                        for (;;) {
                                if (*p == '\0') {
                                        text_fail(err, (int) n, qstart, "unterminated double quote");
                                        return NULL;
                                }
                                if (*p == '"')
                                        break;
                                if (*p == '\\' && p[1] != '\0')
                                        p++;
                                text[t++] = *p++;
                        }
                        p++;
                } else
                        text[t++] = *p++; /* outside graphic ASCII, but no blank */
        }
        text[t++] = '\0';
        *tl = t;
        return p;
}

/* Shell-like splitting, with one difference kept from iptables-restore:
 * inside "double quotes" a backslash escapes any character, so the \'
 * that iptables prints in a quoted comment reads back as a quote.
 * mem has split_size(len) bytes: the word pointers first, then the
 * words' text. */
static int split_into(const char *line, size_t len, void *mem, char ***ret_words, size_t *ret_n,
                      bs_parse_error *err) {
        size_t cap = max_words(len);
        char **words = mem;
        char *text = (char *) (words + cap);
        size_t n = 0, tl = 0;
        const char *p = line;

        for (;;) {
                while (is_blank(*p))
                        p++;
                if (*p == '\0')
                        break;
                char *w = text + tl;
                p = split_word(p, text, &tl, n, err);
                if (!p)
                        return -EINVAL;
                /* counted once the word is whole, so that a bad quote in
                 * the word after the last allowed one is named as such */
                if (n >= BS_WORDS_MAX)
                        return text_fail(err, (int) n, NULL, "too many words (at most %d)", BS_WORDS_MAX), -E2BIG;
                assert(n < cap);
                words[n++] = w;
        }
        *ret_words = words;
        *ret_n = n;
        return 0;
}

static int check_line_len(const char *line, size_t *ret_len, bs_parse_error *err) {
        size_t len = strlen(line);
        if (len > BS_LINE_MAX)
                return text_fail(err, -1, NULL, "line too long (%zu bytes, at most %d)", len, BS_LINE_MAX),
                       -E2BIG;
        *ret_len = len;
        return 0;
}

/* One allocation per line: the word pointers, then the words' text. */
int bs_split_words(const char *line, char ***ret_words, size_t *ret_n, bs_parse_error *err) {
        size_t len;
        int r = check_line_len(line, &len, err);
        if (r < 0)
                return r;
        _cleanup_free_ void *mem = malloc(split_size(len));
        if (!mem)
                return -ENOMEM;
        char **words;
        size_t n;
        r = split_into(line, len, mem, &words, &n, err);
        if (r < 0)
                return r;
        *ret_n = n;
        /* no words: NULL (callers test the pointer, not n) */
        *ret_words = n > 0 ? TAKE_PTR(mem) : NULL;
        return 0;
}

int bs_split_words_buf(const char *line, bs_words_buf *w, bs_parse_error *err) {
        size_t len;
        int r = check_line_len(line, &len, err);
        if (r < 0)
                return r;
        size_t need = split_size(len);
        if (need > w->size) {
                void *mem = realloc(w->mem, need);
                if (!mem)
                        return -ENOMEM;
                w->mem = mem;
                w->size = need;
        }
        w->words = NULL;
        w->n = 0;
        return split_into(line, len, w->mem, &w->words, &w->n, err);
}

void bs_words_buf_done(bs_words_buf *w) {
        free(w->mem);
        *w = (bs_words_buf) {};
}
