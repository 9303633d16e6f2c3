/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <sys/types.h>

/* Starts "pkttyagent --notify-fd N --fallback" as systemd's tools do (without
 * --fallback outside a logind session, where polkitd would never ask a
 * fallback agent), when stdin is a terminal and we are not root, and waits
 * until the agent has
 * registered (it closes the notify fd). Returns its PID, or 0 when no agent
 * was started (not needed, or it could not be started: polkit then answers
 * without asking, which the caller reports). */
pid_t polkit_agent_open(void);

/* Stops the agent by its PID and reaps it. */
void polkit_agent_close(pid_t pid);
