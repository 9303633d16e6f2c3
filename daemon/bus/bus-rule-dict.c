/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "bus-rule-dict.h"

#include "bus-util.h"
#include "changeset.h"
#include "utf8.h"
#include "util.h"

void bs_kv_lists_free(bs_kv_list *v, size_t n) {
        for (size_t i = 0; i < n; i++)
                bs_kv_list_done(&v[i]);
        free(v);
}

static int too_many_keys(sd_bus_error *error, size_t index, unsigned depth) {
        return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "Change %zu has more than %d keys%s", index + 1,
                                 BS_KV_MAX, depth > 0 ? " in its rule" : "");
}

/* A variant of type s, u or b into kv; any other basic type is skipped
 * and kept as its signature. A container is refused here: skipping one
 * costs as much as reading it, and it is never a valid value. */
static int read_value(sd_bus_message *msg, const char *contents, bs_kv *kv, unsigned depth, size_t index,
                      sd_bus_error *error) {
        char type = contents[0] != '\0' && contents[1] == '\0' ? contents[0] : '\0';
        if (type == '\0')
                return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                         "Change %zu: %skey \"%.*s\" has type \"%.20s\" (%s)", index + 1,
                                         depth > 0 ? "rule " : "", bs_utf8_prefix(kv->key, 40), kv->key, contents,
                                         depth > 0 ? "a rule's values are s, u or b"
                                                   : "values are s, u, b or, for \"rule\", a{sv}");
        if (!strchr("sub", type)) {
                kv->type = BS_KV_OTHER;
                kv->signature = contents;
                return sd_bus_message_skip(msg, "v");
        }
        int r = sd_bus_message_enter_container(msg, 'v', contents);
        if (r < 0)
                return r;
        if (type == 's') {
                kv->type = BS_KV_STRING;
                r = sd_bus_message_read_basic(msg, 's', &kv->str);
        } else if (type == 'u') {
                kv->type = BS_KV_UINT32;
                r = sd_bus_message_read_basic(msg, 'u', &kv->u32);
        } else {
                int b = 0;
                kv->type = BS_KV_BOOL;
                r = sd_bus_message_read_basic(msg, 'b', &b);
                kv->b = b;
        }
        if (r < 0)
                return r;
        return sd_bus_message_exit_container(msg);
}

static int too_large(sd_bus_error *error, size_t index) {
        return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "Change %zu is larger than %d bytes", index + 1,
                                 BS_CHANGE_TEXT_MAX);
}

/* Reading one change's a{sv}: where its entries go, and what they count. */
typedef struct DictRead {
        bs_kv_list *list;
        unsigned depth;
        size_t index;  /* the change's */
        size_t *bytes;
} DictRead;

static int read_dict(sd_bus_message *msg, bs_kv_list *l, unsigned depth, size_t index, size_t *bytes,
                     sd_bus_error *error);

static int read_dict_entry(sd_bus_message *msg, const char *key, const char *contents, void *userdata,
                           sd_bus_error *error) {
        DictRead *d = userdata;
        int r;
        *d->bytes += strlen(key) + 4;
        if (*d->bytes > BS_CHANGE_TEXT_MAX)
                return too_large(error, d->index);
        if (d->depth == 0 && streq(contents, "a{sv}")) {
                bs_kv_list *sub;
                r = bs_kv_list_add_dict(d->list, key, &sub);
                if (r == -E2BIG)
                        return too_many_keys(error, d->index, d->depth);
                if (r >= 0)
                        r = sd_bus_message_enter_container(msg, 'v', contents);
                if (r >= 0)
                        r = read_dict(msg, sub, d->depth + 1, d->index, d->bytes, error);
                if (r >= 0)
                        r = sd_bus_message_exit_container(msg);
                return r;
        }
        bs_kv kv = { .key = key };
        r = read_value(msg, contents, &kv, d->depth, d->index, error);
        if (r >= 0 && kv.type == BS_KV_STRING) {
                *d->bytes += strlen(kv.str);
                if (*d->bytes > BS_CHANGE_TEXT_MAX)
                        return too_large(error, d->index);
        }
        if (r >= 0)
                r = bs_kv_list_add(d->list, &kv, NULL);
        if (r == -E2BIG)
                return too_many_keys(error, d->index, d->depth);
        return r;
}

/* One a{sv}; an a{sv} value is read only at depth 0 (the "rule"). *bytes
 * grows by the size of its keys and strings, counted as
 * bs_change_dicts_parse counts them. */
static int read_dict(sd_bus_message *msg, bs_kv_list *l, unsigned depth, size_t index, size_t *bytes,
                     sd_bus_error *error) {
        DictRead d = { .list = l, .depth = depth, .index = index, .bytes = bytes };
        return bus_read_sv_entries(msg, read_dict_entry, &d, error);
}

int bus_read_change_dicts(sd_bus_message *msg, size_t max, bs_kv_list **ret, size_t *ret_n, size_t *ret_bytes,
                          sd_bus_error *error) {
        int r = sd_bus_message_enter_container(msg, 'a', "a{sv}");
        if (r < 0)
                return r;
        bs_kv_list *v = NULL;
        size_t n = 0, cap = 0, total = 0;
        for (;;) {
                r = sd_bus_message_at_end(msg, false);
                if (r != 0)
                        break;
                if (n >= max) {
                        bs_kv_lists_free(v, n);
                        return sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS, "Too many changes (at most %zu)",
                                                 max);
                }
                if (bs_grow((void **) &v, &cap, n + 1, sizeof(bs_kv_list)) < 0) {
                        bs_kv_lists_free(v, n);
                        return -ENOMEM;
                }
                v[n++] = (bs_kv_list){};
                size_t bytes = 0;
                r = read_dict(msg, &v[n - 1], 0, n - 1, &bytes, error);
                total += bytes;
                if (r >= 0 && total > BS_CHANGESET_TEXT_MAX)
                        r = sd_bus_error_setf(error, SD_BUS_ERROR_INVALID_ARGS,
                                              "The changes take more than %u bytes (at most %u in one call)",
                                              BS_CHANGESET_TEXT_MAX, BS_CHANGESET_TEXT_MAX);
                if (r < 0) {
                        bs_kv_lists_free(v, n);
                        return r;
                }
        }
        if (r >= 0)
                r = sd_bus_message_exit_container(msg);
        if (r < 0) {
                bs_kv_lists_free(v, n);
                return r;
        }
        *ret = v;
        *ret_n = n;
        if (ret_bytes)
                *ret_bytes = total;
        return 0;
}
