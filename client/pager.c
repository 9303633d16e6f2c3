/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "pager.h"

#define DEFAULT_LESS "FRXMK"

/* Whether a program name without a slash is in $PATH (with a slash: that
 * file) and executable. */
static bool executable_in_path(const char *name) {
        if (strchr(name, '/'))
                return access(name, X_OK) == 0;
        const char *path = getenv("PATH");
        if (!path || !*path)
                path = "/usr/local/bin:/usr/bin:/bin";
        for (const char *p = path; *p;) {
                const char *end = strchrnul(p, ':');
                char buf[4096];
                if (end > p && snprintf(buf, sizeof(buf), "%.*s/%s", (int) (end - p), p, name) < (int) sizeof(buf) &&
                    access(buf, X_OK) == 0)
                        return true;
                p = *end ? end + 1 : end;
        }
        return false;
}

/* The pager's command line, or NULL for none. */
static const char *pager_command(void) {
        const char *pager = getenv("SYSTEMD_PAGER");
        if (!pager)
                pager = getenv("PAGER");
        if (pager) {
                pager += strspn(pager, " \t");
                return *pager && strcmp(pager, "cat") != 0 ? pager : NULL;
        }
        return executable_in_path("less") ? "less" : NULL;
}

/* Whether fds a and b are the same terminal. */
static bool same_file(int a, int b) {
        struct stat sa, sb;
        return fstat(a, &sa) == 0 && fstat(b, &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

pid_t pager_open(void) {
        if (!isatty(STDOUT_FILENO))
                return 0;
        const char *cmd = pager_command();
        if (!cmd)
                return 0;

        int fds[2];
        if (pipe2(fds, O_CLOEXEC) < 0)
                return 0;
        fflush(stdout);
        fflush(stderr);
        pid_t pid = fork();
        if (pid < 0) {
                close(fds[0]);
                close(fds[1]);
                return 0;
        }
        if (pid == 0) {
                /* the pager reads our output; Ctrl-C is its to handle (LESS's K) */
                if (dup2(fds[0], STDIN_FILENO) < 0)
                        _exit(EXIT_FAILURE);
                const char *less = getenv("SYSTEMD_LESS");
                if (setenv("LESS", less ? less : DEFAULT_LESS, 1) < 0)
                        _exit(EXIT_FAILURE);
                signal(SIGPIPE, SIG_DFL);
                execl("/bin/sh", "sh", "-c", cmd, (char *) NULL);
                _exit(127);
        }
        close(fds[0]);
        bool err_too = same_file(STDOUT_FILENO, STDERR_FILENO);
        if (dup2(fds[1], STDOUT_FILENO) < 0 || (err_too && dup2(fds[1], STDERR_FILENO) < 0)) {
                close(fds[1]);
                /* the pager sees the end of its input at once and exits */
                waitpid(pid, NULL, 0);
                return 0;
        }
        close(fds[1]);
        return pid;
}

void pager_close(pid_t pid) {
        if (pid <= 0)
                return;
        fflush(stdout);
        fflush(stderr);
        /* the end of the pager's input: our copies of the pipe */
        int null = open("/dev/null", O_WRONLY | O_CLOEXEC);
        if (null >= 0) {
                dup2(null, STDOUT_FILENO);
                dup2(null, STDERR_FILENO);
                close(null);
        } else {
                close(STDOUT_FILENO);
                close(STDERR_FILENO);
        }
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
                ;
}
