/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus-util.h"

typedef union BasicValue {
        uint8_t y;
        int16_t n;
        uint16_t q;
        int32_t i;
        uint32_t u;
        int64_t x;
        uint64_t t;
        double d;
        int b;
        int h;
        const char *s;
} BasicValue;

static bool is_basic(char type) {
        return type && strchr("ybnqiuxtdhsog", type) != NULL;
}

void strv_free(char **v) {
        for (size_t i = 0; v && v[i]; i++)
                free(v[i]);
        free(v);
}

void dict_clear(Dict *d) {
        for (size_t i = 0; i < d->n; i++) {
                free(d->entries[i].key);
                free(d->entries[i].s);
                strv_free(d->entries[i].strv);
        }
        free(d->entries);
        memset(d, 0, sizeof(*d));
}

const DictEntry *dict_get(const Dict *d, const char *key) {
        for (size_t i = 0; i < d->n; i++)
                if (strcmp(d->entries[i].key, key) == 0)
                        return &d->entries[i];
        return NULL;
}

const char *dict_str(const Dict *d, const char *key, const char *fallback) {
        const DictEntry *e = dict_get(d, key);
        return e && e->s ? e->s : fallback;
}

uint64_t dict_uint(const Dict *d, const char *key, uint64_t fallback) {
        const DictEntry *e = dict_get(d, key);
        if (!e)
                return fallback;
        if (strchr("yqut", e->type))
                return e->u;
        if (strchr("nix", e->type) && e->i >= 0)
                return (uint64_t) e->i;
        return fallback;
}

char *const *dict_strv(const Dict *d, const char *key) {
        const DictEntry *e = dict_get(d, key);
        return e ? e->strv : NULL;
}

bool dict_bool(const Dict *d, const char *key, bool fallback) {
        const DictEntry *e = dict_get(d, key);
        return e && e->type == 'b' ? e->b : fallback;
}

static int store_basic(DictEntry *e, char type, const BasicValue *v) {
        e->type = type;
        switch (type) {
        case 'y': e->u = v->y; break;
        case 'q': e->u = v->q; break;
        case 'u': e->u = v->u; break;
        case 't': e->u = v->t; break;
        case 'h': e->u = (uint64_t) v->h; break;
        case 'n': e->i = v->n; break;
        case 'i': e->i = v->i; break;
        case 'x': e->i = v->x; break;
        case 'd': e->d = v->d; break;
        case 'b': e->b = v->b; break;
        case 's': case 'o': case 'g':
                e->s = strdup(v->s);
                if (!e->s)
                        return -ENOMEM;
                break;
        default:
                return -EINVAL;
        }
        return 0;
}

int bus_read_dict(sd_bus_message *m, Dict *d) {
        int r;

        r = sd_bus_message_enter_container(m, SD_BUS_TYPE_ARRAY, "{sv}");
        if (r < 0)
                return r;
        for (;;) {
                const char *key, *contents;
                char type;

                r = sd_bus_message_enter_container(m, SD_BUS_TYPE_DICT_ENTRY, "sv");
                if (r < 0)
                        return r;
                if (r == 0)
                        break;
                r = sd_bus_message_read_basic(m, 's', &key);
                if (r < 0)
                        return r;
                r = sd_bus_message_peek_type(m, NULL, &contents);
                if (r < 0)
                        return r;
                r = sd_bus_message_enter_container(m, SD_BUS_TYPE_VARIANT, contents);
                if (r < 0)
                        return r;
                /* Grow by hand: Dict is small and we want no shared helpers here. */
                if (d->n == d->capacity) {
                        size_t cap = d->capacity ? d->capacity * 2 : 16;
                        if (cap > 65536)
                                return -E2BIG;
                        DictEntry *n = realloc(d->entries, cap * sizeof(*n));
                        if (!n)
                                return -ENOMEM;
                        d->entries = n;
                        d->capacity = cap;
                }
                DictEntry *e = &d->entries[d->n];
                memset(e, 0, sizeof(*e));
                e->key = strdup(key);
                if (!e->key)
                        return -ENOMEM;
                d->n++;
                r = sd_bus_message_peek_type(m, &type, NULL);
                if (r < 0)
                        return r;
                if (is_basic(type)) {
                        BasicValue v;
                        r = sd_bus_message_read_basic(m, type, &v);
                        if (r < 0)
                                return r;
                        r = store_basic(e, type, &v);
                        if (r < 0)
                                return r;
                } else if (strcmp(contents, "as") == 0) {
                        e->type = type;
                        r = sd_bus_message_read_strv(m, &e->strv);
                        if (r < 0)
                                return r;
                } else {
                        e->type = type;
                        r = sd_bus_message_skip(m, contents);
                        if (r < 0)
                                return r;
                }
                r = sd_bus_message_exit_container(m); /* variant */
                if (r < 0)
                        return r;
                r = sd_bus_message_exit_container(m); /* dict entry */
                if (r < 0)
                        return r;
        }
        return sd_bus_message_exit_container(m);
}

void dict_array_free(Dict *a, size_t n) {
        for (size_t i = 0; i < n; i++)
                dict_clear(&a[i]);
        free(a);
}

int bus_read_dict_array(sd_bus_message *m, Dict **ret, size_t *ret_n) {
        Dict *a = NULL;
        size_t n = 0, cap = 0;
        int r;

        r = sd_bus_message_enter_container(m, SD_BUS_TYPE_ARRAY, "a{sv}");
        if (r < 0)
                return r;
        for (;;) {
                r = sd_bus_message_at_end(m, false);
                if (r < 0)
                        goto fail;
                if (r > 0)
                        break;
                if (n == cap) {
                        size_t ncap = cap ? cap * 2 : 16;
                        if (ncap > 1000000) {
                                r = -E2BIG;
                                goto fail;
                        }
                        Dict *na = realloc(a, ncap * sizeof(*na));
                        if (!na) {
                                r = -ENOMEM;
                                goto fail;
                        }
                        a = na;
                        cap = ncap;
                }
                memset(&a[n], 0, sizeof(a[n]));
                n++;
                r = bus_read_dict(m, &a[n - 1]);
                if (r < 0)
                        goto fail;
        }
        r = sd_bus_message_exit_container(m);
        if (r < 0)
                goto fail;
        *ret = a;
        *ret_n = n;
        return 0;
fail:
        dict_array_free(a, n);
        return r;
}

static void json_basic(JsonWriter *w, char type, const BasicValue *v) {
        switch (type) {
        case 'y': json_uint(w, v->y); break;
        case 'q': json_uint(w, v->q); break;
        case 'u': json_uint(w, v->u); break;
        case 't': json_uint(w, v->t); break;
        case 'h': json_int(w, v->h); break;
        case 'n': json_int(w, v->n); break;
        case 'i': json_int(w, v->i); break;
        case 'x': json_int(w, v->x); break;
        case 'd': json_double(w, v->d); break;
        case 'b': json_bool(w, v->b); break;
        default: json_string(w, v->s); break;
        }
}

static void basic_to_key(char type, const BasicValue *v, char *buf, size_t size) {
        switch (type) {
        case 'y': snprintf(buf, size, "%u", v->y); break;
        case 'q': snprintf(buf, size, "%u", v->q); break;
        case 'u': snprintf(buf, size, "%" PRIu32, v->u); break;
        case 't': snprintf(buf, size, "%" PRIu64, v->t); break;
        case 'n': snprintf(buf, size, "%d", v->n); break;
        case 'i': case 'h': snprintf(buf, size, "%" PRIi32, v->i); break;
        case 'x': snprintf(buf, size, "%" PRIi64, v->x); break;
        case 'd': snprintf(buf, size, "%g", v->d); break;
        case 'b': snprintf(buf, size, "%s", v->b ? "true" : "false"); break;
        default: buf[0] = '\0'; break;
        }
}

static int json_container_items(JsonWriter *w, sd_bus_message *m) {
        int r;
        for (;;) {
                r = sd_bus_message_peek_type(m, NULL, NULL);
                if (r < 0)
                        return r;
                if (r == 0)
                        return 0;
                r = bus_json_value(w, m);
                if (r < 0)
                        return r;
        }
}

int bus_json_value(JsonWriter *w, sd_bus_message *m) {
        const char *contents;
        char type;
        int r;

        r = sd_bus_message_peek_type(m, &type, &contents);
        if (r < 0)
                return r;
        if (r == 0)
                return -ENXIO;

        if (is_basic(type)) {
                BasicValue v;
                r = sd_bus_message_read_basic(m, type, &v);
                if (r < 0)
                        return r;
                json_basic(w, type, &v);
                return 0;
        }

        if (type == SD_BUS_TYPE_ARRAY && contents[0] == SD_BUS_TYPE_DICT_ENTRY_BEGIN) {
                size_t len = strlen(contents);
                char inner[256];
                if (len < 4 || len - 2 >= sizeof(inner))
                        return -EINVAL;
                memcpy(inner, contents + 1, len - 2);
                inner[len - 2] = '\0';

                r = sd_bus_message_enter_container(m, SD_BUS_TYPE_ARRAY, contents);
                if (r < 0)
                        return r;
                json_begin_object(w);
                for (;;) {
                        BasicValue k;
                        r = sd_bus_message_enter_container(m, SD_BUS_TYPE_DICT_ENTRY, inner);
                        if (r < 0)
                                return r;
                        if (r == 0)
                                break;
                        r = sd_bus_message_read_basic(m, inner[0], &k);
                        if (r < 0)
                                return r;
                        if (strchr("sog", inner[0]))
                                json_key(w, k.s);
                        else {
                                char buf[64];
                                basic_to_key(inner[0], &k, buf, sizeof(buf));
                                json_key(w, buf);
                        }
                        r = bus_json_value(w, m);
                        if (r < 0)
                                return r;
                        r = sd_bus_message_exit_container(m);
                        if (r < 0)
                                return r;
                }
                json_end_object(w);
                return sd_bus_message_exit_container(m);
        }

        if (type == SD_BUS_TYPE_ARRAY || type == SD_BUS_TYPE_STRUCT || type == SD_BUS_TYPE_VARIANT) {
                r = sd_bus_message_enter_container(m, type, contents);
                if (r < 0)
                        return r;
                if (type != SD_BUS_TYPE_VARIANT)
                        json_begin_array(w);
                r = json_container_items(w, m);
                if (r < 0)
                        return r;
                if (type != SD_BUS_TYPE_VARIANT)
                        json_end_array(w);
                return sd_bus_message_exit_container(m);
        }
        return -EINVAL;
}

int log_local_error(int r, const char *what) {
        fprintf(stderr, "Failed to %s: %s\n", what, strerror(r < 0 ? -r : r));
        return EXIT_FAILED;
}

int bus_report_error(sd_bus_error *error, int r, BusAction action) {
        char *line = NULL;

        if (!sd_bus_error_is_set(error))
                sd_bus_error_set_errno(error, r);
        r = map_bus_error(error->name, error->message, action, &line);
        if (r < 0)
                return log_local_error(r, "describe the error");
        fprintf(stderr, "%s\n", line);
        free(line);
        return r;
}

int bus_call_checked(sd_bus *bus, sd_bus_message *m, BusAction action, uint64_t timeout_usec,
                     sd_bus_message **ret_reply) {
        sd_bus_error error = SD_BUS_ERROR_NULL;
        int r;

        r = sd_bus_call(bus, m, timeout_usec, &error, ret_reply);
        if (r >= 0) {
                sd_bus_error_free(&error);
                return 0;
        }
        r = bus_report_error(&error, r, action);
        sd_bus_error_free(&error);
        return r;
}
