/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The texts printed ahead (xt-client.h: bs_xt_client_warm): one render
 * request in flight at a time, sent and read without waiting, the answers
 * kept in the client's text cache as a read's would be. */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "xt-client-internal.h"
#include "xt-reply.h"

void xtc_warm_drop(bs_xt_client *c) {
        warming *w = &c->warm;
        for (size_t i = 0; i < w->n; i++)
                free(w->opaques[i].data);
        free(w->opaques);
        free(w->items);
        *w = (warming){};
}

/* The warm-up's next request, sent without waiting: 1 sent, 0 every item
 * handled, < 0 failed. */
static int warm_send(bs_xt_client *c) {
        warming *w = &c->warm;
        while (w->next < w->n) {
                size_t k, len;
                int r = xtc_build_render(c, w->items + w->next, w->n - w->next, &len, &k);
                if (r < 0)
                        return r;
                if (k == 0) {
                        w->next++; /* cannot be sent at all: stays unrendered */
                        continue;
                }
                helper *h = xtc_helper_of(c, w->family);
                if (h->pid == 0 && (r = xtc_helper_start(c, w->family)) < 0)
                        return r;
                if (send(h->fd, c->buf, len, MSG_NOSIGNAL | MSG_DONTWAIT) != (ssize_t) len) {
                        xtc_helper_stop(h);
                        return -ECONNRESET;
                }
                memcpy(&w->id, c->buf + offsetof(bs_xt_hdr, id), sizeof(w->id));
                w->sent = k;
                w->deadline = xtc_now_usec() + c->timeout_usec;
                return 1;
        }
        return 0;
}

int bs_xt_client_warm(bs_xt_client *c, const bs_ext_render_item *items, size_t n) {
        if (c->warm.active)
                return -EBUSY;
        if (c->paused_until && xtc_now_usec() < c->paused_until)
                return -EAGAIN;
        warming *w = &c->warm;
        w->items = calloc(n ? n : 1, sizeof(*w->items));
        w->opaques = calloc(n ? n : 1, sizeof(*w->opaques));
        if (!w->items || !w->opaques) {
                xtc_warm_drop(c);
                return -ENOMEM;
        }
        for (size_t i = 0; i < n; i++) {
                bs_ext_render_item it = items[i];
                if (it.family != items[0].family || !bs_xt_text_cache_keeps(&it))
                        continue;
                int k = bs_xt_text_cache_lookup(c->texts, &it);
                if (k < 0) {
                        xtc_warm_drop(c);
                        return k;
                }
                if (k > 0) {
                        free(it.text);
                        continue;
                }
                bs_opaque *o = &w->opaques[w->n];
                *o = *it.opaque;
                o->data = NULL;
                if (o->size && !(o->data = malloc(o->size))) {
                        xtc_warm_drop(c);
                        return -ENOMEM;
                }
                if (o->size)
                        memcpy(o->data, it.opaque->data, o->size);
                w->items[w->n] = (bs_ext_render_item){ .family = it.family, .target = it.target, .proto = it.proto,
                                                       .proto_invert = it.proto_invert, .opaque = o };
                w->n++;
        }
        if (w->n == 0) {
                xtc_warm_drop(c);
                return 0;
        }
        w->family = items[0].family;
        w->active = true;
        int r = warm_send(c);
        if (r <= 0)
                xtc_warm_drop(c);
        return r;
}

int bs_xt_client_warm_continue(bs_xt_client *c) {
        warming *w = &c->warm;
        if (!w->active)
                return 0;
        for (;;) {
                if (xtc_now_usec() >= w->deadline) {
                        xtc_helper_stop(xtc_helper_of(c, w->family));
                        xtc_warm_drop(c);
                        return -ETIME;
                }
                bs_xt_reader rd;
                int r = xtc_take_message(c, w->family, w->id, BS_XT_RENDERED, &rd);
                if (r == 0)
                        return 1;
                if (r == 2)
                        continue;
                size_t handled = 0;
                if (r == 1)
                        r = bs_xt_read_rendered(&rd, w->items + w->next, w->sent, &handled);
                if (r < 0) {
                        if (r != -ENOMEM)
                                xtc_helper_stop(xtc_helper_of(c, w->family));
                        xtc_warm_drop(c);
                        return r;
                }
                for (size_t i = 0; i < handled; i++) {
                        bs_ext_render_item *it = &w->items[w->next + i];
                        r = bs_xt_text_cache_add(c->texts, it);
                        free(TAKE_PTR(it->text));
                        if (r < 0) {
                                for (size_t j = i + 1; j < handled; j++)
                                        free(TAKE_PTR(w->items[w->next + j].text));
                                xtc_warm_drop(c);
                                return r;
                        }
                }
                w->next += handled ? handled : 1;
                w->sent = 0;
                r = warm_send(c);
                if (r <= 0) {
                        xtc_warm_drop(c);
                        return r;
                }
        }
}

int bs_xt_client_warm_fd(const bs_xt_client *c) {
        return c->warm.active ? c->helpers[c->warm.family == BS_FAMILY_IPV6 ? 1 : 0].fd : -1;
}

uint64_t bs_xt_client_warm_deadline(const bs_xt_client *c) {
        return c->warm.active ? c->warm.deadline : 0;
}

void bs_xt_client_warm_cancel(bs_xt_client *c) {
        if (c->warm.active)
                xtc_helper_stop(xtc_helper_of(c, c->warm.family));
        xtc_warm_drop(c);
}

/* Before a request of a read: the warm-up's answers are waited for
 * (as long as a request is), so that the read finds the texts instead of
 * asking for them again; requests never overlap on a helper's socket. */
void xtc_warm_finish(bs_xt_client *c) {
        while (c->warm.active) {
                uint64_t now = xtc_now_usec(), deadline = c->warm.deadline;
                int fd = bs_xt_client_warm_fd(c);
                if (bs_xt_client_warm_continue(c) <= 0)
                        return;
                struct pollfd p = { .fd = fd, .events = POLLIN };
                uint64_t ms = deadline > now ? (deadline - now + 999) / 1000 : 0;
                (void) poll(&p, 1, ms > INT32_MAX ? INT32_MAX : (int) ms);
        }
}

