/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* backstopd: the firewall daemon on the system bus, or, with --restore, the
 * boot-time loader of the saved rules. */
#include <getopt.h>
#include <signal.h>
#include <systemd/sd-daemon.h>

#include "config.h"
#include "log.h"
#include "manager.h"
#include "persist.h"
#include "restore.h"

#define DEFAULT_RUNTIME_DIR "/run/backstop"
#define DEFAULT_STATE_DIR "/var/lib/backstop"

static char *arg_runtime_dir;
static char *arg_state_dir;
static bool arg_restore;
static bs_mgmt_ports arg_ports;  /* n == 0: the default, 22/tcp */

static void help(void) {
        printf("Usage: backstopd [OPTIONS]\n\n"
               "Firewall daemon with commit-confirm transactions (org.backstop.Firewall1).\n\n"
               "  --restore            load the saved rules into the kernel and exit (both files\n"
               "                       or, when one is corrupt or refused, fail-closed rules)\n"
               "  --runtime-dir=DIR    journal directory, where --restore records its outcome\n"
               "                       (default $RUNTIME_DIRECTORY or %s)\n"
               "  --state-dir=DIR      saved rules directory (default $STATE_DIRECTORY or %s)\n"
               "  --management-port=PORT[/tcp|/udp]\n"
               "                       a port the lockout pre-flight protects (repeatable;\n"
               "                       default 22/tcp; the caller's SSH port always counts)\n"
               "  --debug              log debug messages\n"
               "  -h --help            this text\n"
               "  --version            the version\n\n"
               "Environment: BACKSTOP_RUNTIME_DIR, BACKSTOP_STATE_DIR (override the defaults),\n"
               "XTABLES_LOCKFILE (the xtables lock, default /run/xtables.lock).\n",
               DEFAULT_RUNTIME_DIR, DEFAULT_STATE_DIR);
}

/* systemd passes "dir1:dir2" when a unit lists several; we use the first */
static char *first_dir(const char *env) {
        const char *v = getenv(env);
        if (!v || !*v)
                return NULL;
        return strndup(v, strcspn(v, ":"));
}

static int pick_dir(char **arg, const char *test_env, const char *systemd_env, const char *fallback) {
        if (*arg)
                return 0;
        *arg = first_dir(test_env);
        if (!*arg)
                *arg = first_dir(systemd_env);
        if (!*arg)
                *arg = strdup(fallback);
        return *arg ? 0 : -ENOMEM;
}

static int parse_argv(int argc, char *argv[]) {
        enum { ARG_RESTORE = 0x100, ARG_RUNTIME_DIR, ARG_STATE_DIR, ARG_DEBUG, ARG_VERSION, ARG_MGMT_PORT };
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, ARG_VERSION },
                { "restore", no_argument, NULL, ARG_RESTORE },
                { "runtime-dir", required_argument, NULL, ARG_RUNTIME_DIR },
                { "state-dir", required_argument, NULL, ARG_STATE_DIR },
                { "debug", no_argument, NULL, ARG_DEBUG },
                { "management-port", required_argument, NULL, ARG_MGMT_PORT },
                {},
        };
        int c;
        while ((c = getopt_long(argc, argv, "h", options, NULL)) >= 0)
                switch (c) {
                case 'h':
                        help();
                        return 0;
                case ARG_VERSION:
                        printf("backstopd %s\n", PACKAGE_VERSION);
                        return 0;
                case ARG_RESTORE:
                        arg_restore = true;
                        break;
                case ARG_RUNTIME_DIR:
                case ARG_STATE_DIR: {
                        if (optarg[0] != '/') {
                                log_error("%s needs an absolute path, not \"%s\".",
                                          c == ARG_RUNTIME_DIR ? "--runtime-dir" : "--state-dir", optarg);
                                return -EINVAL;
                        }
                        char **dst = c == ARG_RUNTIME_DIR ? &arg_runtime_dir : &arg_state_dir;
                        free(*dst);
                        *dst = strdup(optarg);
                        if (!*dst)
                                return log_oom();
                        break;
                }
                case ARG_DEBUG:
                        log_set_max_level(LOG_DEBUG);
                        break;
                case ARG_MGMT_PORT: {
                        uint8_t proto;
                        uint16_t port;
                        if (bs_mgmt_port_parse(optarg, &proto, &port) < 0) {
                                log_error("--management-port: \"%s\" is not PORT, PORT/tcp or PORT/udp (1-65535).",
                                          optarg);
                                return -EINVAL;
                        }
                        if (bs_mgmt_ports_add(&arg_ports, proto, port) < 0) {
                                log_error("--management-port: too many ports (at most %d).", BS_MGMT_PORTS_MAX);
                                return -E2BIG;
                        }
                        break;
                }
                default:
                        return -EINVAL;
                }
        if (optind < argc) {
                log_error("Unexpected argument \"%s\".", argv[optind]);
                return -EINVAL;
        }
        if (pick_dir(&arg_runtime_dir, "BACKSTOP_RUNTIME_DIR", "RUNTIME_DIRECTORY", DEFAULT_RUNTIME_DIR) < 0 ||
            pick_dir(&arg_state_dir, "BACKSTOP_STATE_DIR", "STATE_DIRECTORY", DEFAULT_STATE_DIR) < 0)
                return log_oom();
        return 1;
}

/* --restore: both saved files, or the fail-closed rules (restore.h). */
static int run_restore(void) {
        bs_mgmt_ports ports = arg_ports;
        if (ports.n == 0)
                bs_mgmt_ports_default(&ports);
        return bs_boot_restore(&bs_backend_iptables_legacy, arg_state_dir, arg_runtime_dir, &ports);
}

static int on_sigterm(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        Manager *m = userdata;
        log_info("Received %s, stopping.", si->ssi_signo == SIGINT ? "SIGINT" : "SIGTERM");
        (void) sd_notify(false, "STOPPING=1");
        manager_stop(m);
        return sd_event_exit(sd_event_source_get_event(s), 0);
}

static int run(int argc, char *argv[]) {
        int r = parse_argv(argc, argv);
        if (r <= 0)
                return r;
        if (arg_restore)
                return run_restore();

        sigset_t mask;
        sigemptyset(&mask);
        sigaddset(&mask, SIGTERM);
        sigaddset(&mask, SIGINT);
        if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
                return log_error_errno(errno, "Cannot block signals: %m");

        Manager *m = NULL;
        r = manager_new(&m);
        if (r < 0)
                return log_error_errno(r, "Cannot set up the event loop: %m");
        m->runtime_dir = TAKE_PTR(arg_runtime_dir);
        m->state_dir = TAKE_PTR(arg_state_dir);
        if (arg_ports.n > 0)
                m->ports = arg_ports;
        /* Test seam, documented in polkit.h: only ever makes us stricter. */
        const char *ask_root = getenv("BACKSTOP_POLKIT_ASK_ROOT");
        m->polkit_ask_root = ask_root && streq(ask_root, "1");

        if ((r = sd_event_add_signal(m->event, NULL, SIGTERM, on_sigterm, m)) < 0 ||
            (r = sd_event_add_signal(m->event, NULL, SIGINT, on_sigterm, m)) < 0) {
                manager_free(m);
                return log_error_errno(r, "Cannot watch signals: %m");
        }
        /* pings the service manager at half of WATCHDOG_USEC, if set */
        r = sd_event_set_watchdog(m->event, true);
        if (r < 0)
                log_warning_errno(r, "Cannot enable the watchdog: %m");

        r = manager_start(m);
        if (r < 0) {
                manager_stop(m);
                manager_free(m);
                return r;
        }
        log_info("backstopd %s running (runtime dir %s, state dir %s, IPv6 %s).", PACKAGE_VERSION,
                 m->runtime_dir, m->state_dir, m->ipv6_active ? "active" : "not active");
        (void) sd_notify(false, "READY=1\nSTATUS=Running.");

        r = sd_event_loop(m->event);
        if (r < 0)
                log_error_errno(r, "Event loop failed: %m");
        manager_free(m);
        return r;
}

int main(int argc, char *argv[]) {
        int r = run(argc, argv);
        free(arg_runtime_dir);
        free(arg_state_dir);
        return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
