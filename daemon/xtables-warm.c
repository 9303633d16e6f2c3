/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The extensions' texts printed ahead (manager.h): at start and when the
 * rules changed, each family's cached table hands the extensions whose
 * texts are not kept yet to the xtables helper, whose
 * answers are read from the event loop as they come, at idle priority.
 * The helper works in its own process meanwhile; the daemon never waits
 * for it here, and a helper past its deadline is stopped. */
#include "manager.h"

#include <stdlib.h>
#include <sys/epoll.h>

#include "log.h"

void manager_warm_xtables_stop(Manager *m) {
        m->xt_warm_io = sd_event_source_disable_unref(m->xt_warm_io);
        m->xt_warm_timer = sd_event_source_disable_unref(m->xt_warm_timer);
}

static int on_warm_io(sd_event_source *s, int fd, uint32_t revents, void *userdata);
static int on_warm_timer(sd_event_source *s, uint64_t usec, void *userdata);

/* Watches the warm-up just started: its socket, and its deadline. */
static int watch(Manager *m) {
        int r = sd_event_add_io(m->event, &m->xt_warm_io, bs_xt_client_warm_fd(m->xt), EPOLLIN, on_warm_io, m);
        if (r >= 0)
                r = sd_event_add_time(m->event, &m->xt_warm_timer, CLOCK_MONOTONIC,
                                      bs_xt_client_warm_deadline(m->xt), 0, on_warm_timer, m);
        if (r >= 0)
                r = sd_event_source_set_priority(m->xt_warm_io, SD_EVENT_PRIORITY_IDLE);
        if (r < 0) {
                bs_xt_client_warm_cancel(m->xt);
                manager_warm_xtables_stop(m);
        }
        return r;
}

/* The next family whose table has extensions: 1 started, 0 none left. */
static int warm_next(Manager *m) {
        while (m->xt_warm_family < 2) {
                int f = m->xt_warm_family++;
                const bs_table *t = m->read_cache[f].table;
                if (!t || (f == 1 && !m->ipv6_active))
                        continue;
                _cleanup_free_ bs_ext_render_item *items = NULL;
                size_t n = 0;
                int r = bs_text_ext_items(t, &items, &n);
                if (r >= 0 && n > 0)
                        r = bs_xt_client_warm(m->xt, items, n);
                if (r > 0) {
                        log_debug("Printing the texts of %zu extensions of the IPv%d rules ahead.", n,
                                  f == 0 ? 4 : 6);
                        r = watch(m);
                        if (r >= 0)
                                return 1;
                }
                if (r < 0)
                        log_debug_errno(r, "Cannot print the extensions' texts ahead, the first read will: %m");
        }
        return 0;
}

static void warm_progress(Manager *m) {
        int r = bs_xt_client_warm_continue(m->xt);
        if (r > 0) {
                /* a next request went out: its own deadline */
                (void) sd_event_source_set_time(m->xt_warm_timer, bs_xt_client_warm_deadline(m->xt));
                return;
        }
        manager_warm_xtables_stop(m);
        if (r < 0)
                log_debug_errno(r, "Printing the extensions' texts ahead failed, the first read will: %m");
        else
                log_debug("The extensions' texts of IPv%d were printed ahead.", m->xt_warm_family == 1 ? 4 : 6);
        (void) warm_next(m);
}

static int on_warm_io(sd_event_source *s, int fd, uint32_t revents, void *userdata) {
        warm_progress(userdata);
        return 0;
}

static int on_warm_timer(sd_event_source *s, uint64_t usec, void *userdata) {
        warm_progress(userdata);
        return 0;
}

void manager_warm_xtables(Manager *m) {
        if (!m->xt || m->xt_warm_io)
                return;
        m->xt_warm_family = 0;
        (void) warm_next(m);
}
