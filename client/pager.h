/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Long output through a pager, as systemd's tools do it: only when stdout is
 * a terminal; the pager is $SYSTEMD_PAGER, else $PAGER, else less (when
 * installed); "cat" or an empty value means none. The pager gets LESS set to
 * $SYSTEMD_LESS, else "FRXMK" (quit when the text fits the screen, raw
 * colours, no screen clearing, long prompt, quit on Ctrl-C). */

#include <stdbool.h>
#include <sys/types.h>

/* Starts the pager and points stdout (and stderr, when it is the same
 * terminal) at it. Returns its pid, or 0 when no pager is wanted or it
 * could not be started (the output then goes to the terminal as it is). */
pid_t pager_open(void);
/* Flushes and closes our end, then waits for the pager to exit. */
void pager_close(pid_t pid);
