/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <systemd/sd-login.h>

#include "polkit-agent.h"

#ifndef PKTTYAGENT
#define PKTTYAGENT "/usr/bin/pkttyagent"
#endif

/* "--fallback" lets the desktop's agent of the session answer first. polkitd
 * uses a fallback agent only for a subject in a logind session: without one
 * (no logind, a container) it would never ask it, and every call needing a
 * password would be refused as if no agent ran. */
static bool in_login_session(void) {
        char *session = NULL;
        int r = sd_pid_get_session(0, &session);
        free(session);
        return r >= 0;
}

pid_t polkit_agent_open(void) {
        int pipefd[2];
        pid_t parent = getpid(), pid;
        bool fallback = in_login_session();

        if (geteuid() == 0 || !isatty(STDIN_FILENO))
                return 0;
        if (access(PKTTYAGENT, X_OK) < 0)
                return 0;
        if (pipe2(pipefd, O_CLOEXEC) < 0)
                return 0;

        pid = fork();
        if (pid < 0) {
                close(pipefd[0]);
                close(pipefd[1]);
                return 0;
        }
        if (pid == 0) {
                char fdbuf[16];

                /* Die with us, so that no agent outlives a killed client. */
                (void) prctl(PR_SET_PDEATHSIG, SIGTERM);
                if (getppid() != parent)
                        _exit(EXIT_FAILURE);
                close(pipefd[0]);
                /* The notify fd must survive exec; the agent talks to the terminal
                 * on stdin/stdout/stderr, which it inherits. */
                int fd = fcntl(pipefd[1], F_DUPFD, 3);
                if (fd < 0)
                        _exit(EXIT_FAILURE);
                snprintf(fdbuf, sizeof(fdbuf), "%d", fd);
                if (!isatty(STDOUT_FILENO)) {
                        int tty = open("/dev/tty", O_WRONLY | O_NOCTTY | O_CLOEXEC);
                        if (tty >= 0) {
                                dup2(tty, STDOUT_FILENO);
                                dup2(tty, STDERR_FILENO);
                        }
                }
                if (fallback)
                        execl(PKTTYAGENT, PKTTYAGENT, "--notify-fd", fdbuf, "--fallback", (char *) NULL);
                else
                        execl(PKTTYAGENT, PKTTYAGENT, "--notify-fd", fdbuf, (char *) NULL);
                _exit(EXIT_FAILURE);
        }

        close(pipefd[1]);
        /* Wait until the agent has registered: it closes its end of the pipe
         * then (or it exits, which closes it too). */
        for (;;) {
                struct pollfd p = { .fd = pipefd[0], .events = POLLIN };
                int r = poll(&p, 1, -1);
                if (r < 0 && errno == EINTR)
                        continue;
                break;
        }
        close(pipefd[0]);
        return pid;
}

void polkit_agent_close(pid_t pid) {
        if (pid <= 0)
                return;
        (void) kill(pid, SIGTERM);
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
                ;
}
