/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "json.h"

void json_init(JsonWriter *w, FILE *f) {
        json_init_pretty(w, f, false);
}

void json_init_pretty(JsonWriter *w, FILE *f, bool pretty) {
        memset(w, 0, sizeof(*w));
        w->f = f;
        w->first[0] = true;
        w->pretty = pretty;
}

/* Pretty output: a new line, indented for nesting level depth. */
static void new_line(JsonWriter *w, unsigned depth) {
        fputc('\n', w->f);
        for (unsigned i = 0; i < depth; i++)
                fputs("  ", w->f);
}

/* Length of the valid UTF-8 sequence at s (n bytes available), or 0 if the
 * bytes there are not one (overlong forms, surrogates and values beyond
 * U+10FFFF are invalid too). */
static size_t utf8_sequence_length(const unsigned char *s, size_t n) {
        unsigned char c = s[0];
        size_t len;
        uint32_t cp;

        if (c < 0x80)
                return 1;
        if (c >= 0xc2 && c <= 0xdf) {
                len = 2;
                cp = c & 0x1f;
        } else if (c >= 0xe0 && c <= 0xef) {
                len = 3;
                cp = c & 0x0f;
        } else if (c >= 0xf0 && c <= 0xf4) {
                len = 4;
                cp = c & 0x07;
        } else
                return 0;
        if (n < len)
                return 0;
        for (size_t i = 1; i < len; i++) {
                if ((s[i] & 0xc0) != 0x80)
                        return 0;
                cp = (cp << 6) | (s[i] & 0x3f);
        }
        if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10ffff ||
            (cp >= 0xd800 && cp <= 0xdfff))
                return 0;
        return len;
}

void json_write_escaped(FILE *f, const char *str, size_t n) {
        const unsigned char *s = (const unsigned char *) str;

        fputc('"', f);
        for (size_t i = 0; i < n;) {
                unsigned char c = s[i];
                switch (c) {
                case '"':  fputs("\\\"", f); i++; continue;
                case '\\': fputs("\\\\", f); i++; continue;
                case '\b': fputs("\\b", f); i++; continue;
                case '\f': fputs("\\f", f); i++; continue;
                case '\n': fputs("\\n", f); i++; continue;
                case '\r': fputs("\\r", f); i++; continue;
                case '\t': fputs("\\t", f); i++; continue;
                default:
                        break;
                }
                if (c < 0x20 || c == 0x7f) {
                        fprintf(f, "\\u%04x", c);
                        i++;
                        continue;
                }
                size_t len = utf8_sequence_length(s + i, n - i);
                if (len == 0) {
                        fputs("\\ufffd", f);
                        i++;
                        continue;
                }
                fwrite(s + i, 1, len, f);
                i += len;
        }
        fputc('"', f);
}

/* Called before every value and every key: writes the separating comma. */
static void before_value(JsonWriter *w) {
        if (w->after_key) {
                w->after_key = false;
                return;
        }
        if (!w->first[w->depth])
                fputc(',', w->f);
        if (w->pretty && w->depth > 0)
                new_line(w, w->depth);
        w->first[w->depth] = false;
}

static void begin(JsonWriter *w, char c) {
        before_value(w);
        if (w->depth >= JSON_MAX_DEPTH) {
                w->error = true;
                fputs("null", w->f);
                return;
        }
        fputc(c, w->f);
        w->depth++;
        w->first[w->depth] = true;
}

static void end(JsonWriter *w, char c) {
        if (w->depth == 0 || w->after_key) {
                w->error = true;
                return;
        }
        /* an empty container stays on one line: {} or [] */
        if (w->pretty && !w->first[w->depth])
                new_line(w, w->depth - 1);
        w->depth--;
        fputc(c, w->f);
}

void json_begin_object(JsonWriter *w) {
        begin(w, '{');
}

void json_end_object(JsonWriter *w) {
        end(w, '}');
}

void json_begin_array(JsonWriter *w) {
        begin(w, '[');
}

void json_end_array(JsonWriter *w) {
        end(w, ']');
}

void json_key(JsonWriter *w, const char *key) {
        if (w->after_key)
                w->error = true;
        before_value(w);
        json_write_escaped(w->f, key, strlen(key));
        fputs(w->pretty ? ": " : ":", w->f);
        w->after_key = true;
}

void json_string_len(JsonWriter *w, const char *s, size_t n) {
        before_value(w);
        json_write_escaped(w->f, s, n);
}

void json_string(JsonWriter *w, const char *s) {
        if (!s) {
                json_null(w);
                return;
        }
        json_string_len(w, s, strlen(s));
}

void json_int(JsonWriter *w, int64_t v) {
        before_value(w);
        fprintf(w->f, "%" PRIi64, v);
}

void json_uint(JsonWriter *w, uint64_t v) {
        before_value(w);
        fprintf(w->f, "%" PRIu64, v);
}

void json_double(JsonWriter *w, double v) {
        before_value(w);
        /* JSON has no NaN or infinity. */
        if (!isfinite(v))
                fputs("null", w->f);
        else
                fprintf(w->f, "%.17g", v);
}

void json_bool(JsonWriter *w, bool v) {
        before_value(w);
        fputs(v ? "true" : "false", w->f);
}

void json_null(JsonWriter *w) {
        before_value(w);
        fputs("null", w->f);
}

void json_kv_string(JsonWriter *w, const char *key, const char *s) {
        json_key(w, key);
        json_string(w, s);
}

void json_kv_uint(JsonWriter *w, const char *key, uint64_t v) {
        json_key(w, key);
        json_uint(w, v);
}

void json_kv_int(JsonWriter *w, const char *key, int64_t v) {
        json_key(w, key);
        json_int(w, v);
}

void json_kv_bool(JsonWriter *w, const char *key, bool v) {
        json_key(w, key);
        json_bool(w, v);
}

int json_finish(JsonWriter *w) {
        if (w->depth != 0 || w->after_key)
                w->error = true;
        fputc('\n', w->f);
        if (fflush(w->f) != 0 || ferror(w->f))
                return -EIO;
        return w->error ? -EINVAL : 0;
}
