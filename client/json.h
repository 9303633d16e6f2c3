/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* A small streaming JSON writer: enough for backstopctl's --json output.
 * Commas and nesting are tracked here, so callers only say what comes next.
 * Strings are escaped per RFC 8259; bytes that are not valid UTF-8 become
 * U+FFFD so that the output is always valid JSON. */

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define JSON_MAX_DEPTH 64

typedef struct JsonWriter {
        FILE *f;
        unsigned depth;
        bool first[JSON_MAX_DEPTH + 1];  /* no element written yet at this level */
        bool after_key;                  /* a key was written; the value comes next */
        bool error;                      /* too deep or an unbalanced end */
        bool pretty;                     /* one value a line, indented by two spaces a level */
} JsonWriter;

void json_init(JsonWriter *w, FILE *f);
/* The same, indented ("--json=pretty") when pretty. */
void json_init_pretty(JsonWriter *w, FILE *f, bool pretty);

void json_begin_object(JsonWriter *w);
void json_end_object(JsonWriter *w);
void json_begin_array(JsonWriter *w);
void json_end_array(JsonWriter *w);

/* Inside an object: the key of the next value. */
void json_key(JsonWriter *w, const char *key);

void json_string(JsonWriter *w, const char *s);   /* NULL writes null */
void json_string_len(JsonWriter *w, const char *s, size_t n);
void json_int(JsonWriter *w, int64_t v);
void json_uint(JsonWriter *w, uint64_t v);
void json_double(JsonWriter *w, double v);
void json_bool(JsonWriter *w, bool v);
void json_null(JsonWriter *w);

/* Shorthands for "key": value inside an object. */
void json_kv_string(JsonWriter *w, const char *key, const char *s);
void json_kv_uint(JsonWriter *w, const char *key, uint64_t v);
void json_kv_int(JsonWriter *w, const char *key, int64_t v);
void json_kv_bool(JsonWriter *w, const char *key, bool v);

/* Ends the document with a newline. Returns 0, or -EINVAL if the nesting was
 * wrong, or -EIO if writing failed. */
int json_finish(JsonWriter *w);

/* Writes s as a quoted JSON string to f (no writer state). */
void json_write_escaped(FILE *f, const char *s, size_t n);
