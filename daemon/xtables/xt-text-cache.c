/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The helper's texts kept by the bytes they print (xt-text-cache.h): an
 * open-addressing table of entries, each with its own copy of the key. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "xt-text-cache.h"

typedef struct entry {
        uint64_t hash; /* 0: empty slot */
        bs_family family;
        bool target, proto_invert, exact;
        uint16_t proto;
        uint8_t revision;
        char name[BS_EXT_NAME_MAX + 1];
        uint8_t *payload;
        size_t size;
        char *text; /* NULL: not printable */
} entry;

struct bs_xt_text_cache {
        entry *slots;
        size_t n_slots, used, max_entries;
};

int bs_xt_text_cache_new(size_t max_entries, bs_xt_text_cache **ret) {
        bs_xt_text_cache *c = calloc(1, sizeof(*c));
        if (!c)
                return -ENOMEM;
        c->max_entries = max_entries;
        c->n_slots = 16;
        while (c->n_slots < 2 * max_entries)
                c->n_slots *= 2;
        c->slots = calloc(c->n_slots, sizeof(entry));
        if (!c->slots) {
                free(c);
                return -ENOMEM;
        }
        *ret = c;
        return 0;
}

static void clear(bs_xt_text_cache *c) {
        for (size_t i = 0; i < c->n_slots; i++) {
                free(c->slots[i].payload);
                free(c->slots[i].text);
        }
        memset(c->slots, 0, c->n_slots * sizeof(entry));
        c->used = 0;
}

void bs_xt_text_cache_free(bs_xt_text_cache *c) {
        if (!c)
                return;
        clear(c);
        free(c->slots);
        free(c);
}

bool bs_xt_text_cache_keeps(const bs_ext_render_item *it) {
        return strcmp(it->opaque->name, "set") != 0 && strcmp(it->opaque->name, "SET") != 0;
}

/* FNV-1a over the key; never 0 */
static uint64_t hash_of(const bs_ext_render_item *it) {
        uint64_t h = 0xcbf29ce484222325ULL;
        uint8_t head[6] = { (uint8_t) it->family, it->target, it->proto_invert, (uint8_t) it->proto,
                            (uint8_t) (it->proto >> 8), it->opaque->revision };
        for (size_t i = 0; i < sizeof(head); i++)
                h = (h ^ head[i]) * 0x100000001b3ULL;
        for (const char *p = it->opaque->name; *p; p++)
                h = (h ^ (uint8_t) *p) * 0x100000001b3ULL;
        for (size_t i = 0; i < it->opaque->size; i++)
                h = (h ^ it->opaque->data[i]) * 0x100000001b3ULL;
        return h ? h : 1;
}

static bool same_key(const entry *e, uint64_t h, const bs_ext_render_item *it) {
        const bs_opaque *o = it->opaque;
        return e->hash == h && e->family == it->family && e->target == it->target && e->proto == it->proto &&
               e->proto_invert == it->proto_invert && e->revision == o->revision && e->size == o->size &&
               strcmp(e->name, o->name) == 0 && (o->size == 0 || memcmp(e->payload, o->data, o->size) == 0);
}

/* The slot holding the key, or the empty slot where it would go. */
static entry *find(const bs_xt_text_cache *c, uint64_t h, const bs_ext_render_item *it) {
        for (size_t i = h & (c->n_slots - 1);; i = (i + 1) & (c->n_slots - 1)) {
                entry *e = &c->slots[i];
                if (e->hash == 0 || same_key(e, h, it))
                        return e;
        }
}

int bs_xt_text_cache_lookup(const bs_xt_text_cache *c, bs_ext_render_item *it) {
        uint64_t h = hash_of(it);
        const entry *e = find(c, h, it);
        if (e->hash == 0)
                return 0;
        it->text = NULL;
        if (e->text) {
                it->text = strdup(e->text);
                if (!it->text)
                        return -ENOMEM;
        }
        it->exact = e->exact;
        return 1;
}

int bs_xt_text_cache_add(bs_xt_text_cache *c, const bs_ext_render_item *it) {
        if (!bs_xt_text_cache_keeps(it) || strlen(it->opaque->name) > BS_EXT_NAME_MAX)
                return 0;
        if (c->used >= c->max_entries)
                clear(c);
        uint64_t h = hash_of(it);
        entry *e = find(c, h, it);
        if (e->hash != 0)
                return 0; /* known already */
        entry n = { .hash = h, .family = it->family, .target = it->target, .proto_invert = it->proto_invert,
                    .exact = it->exact, .proto = it->proto, .revision = it->opaque->revision,
                    .size = it->opaque->size };
        strcpy(n.name, it->opaque->name);
        if (n.size) {
                n.payload = malloc(n.size);
                if (!n.payload)
                        return -ENOMEM;
                memcpy(n.payload, it->opaque->data, n.size);
        }
        if (it->text) {
                n.text = strdup(it->text);
                if (!n.text) {
                        free(n.payload);
                        return -ENOMEM;
                }
        }
        *e = n;
        c->used++;
        return 0;
}
