/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* backstopd: the firewall daemon on the system bus, or, with --restore, the
 * boot-time loader of the saved rules. */
#include <getopt.h>
#include <signal.h>
#include <systemd/sd-daemon.h>

#include "backend-choice.h"
#include "config.h"
#include "daemon-config.h"
#include "log.h"
#include "manager.h"
#include "persist.h"
#include "restore.h"
#include "xt-client.h"

#define DEFAULT_RUNTIME_DIR "/run/backstop"
#define DEFAULT_STATE_DIR "/var/lib/backstop"

static char *arg_runtime_dir;
static char *arg_state_dir;
static bool arg_restore;
static bs_mgmt_ports arg_ports;  /* n == 0: the default, 22/tcp */
static int arg_backend = -1;     /* a bs_backend_mode; -1: the file's, else auto */
static char *arg_config;         /* NULL: $BACKSTOP_CONFIG, else the default */

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
               "  --backend=auto|legacy|nft\n"
               "                       the ruleset to manage: iptables-legacy's or iptables-nft's\n"
               "                       (default: Backend= of the configuration file, else auto:\n"
               "                       the one the host's own iptables shows)\n"
               "  --config=PATH        configuration file (default $BACKSTOP_CONFIG or %s;\n"
               "                       the command line overrides it)\n"
               "  --debug              log debug messages\n"
               "  -h --help            this text\n"
               "  --version            the version\n\n"
               "Environment: BACKSTOP_RUNTIME_DIR, BACKSTOP_STATE_DIR, BACKSTOP_CONFIG (override the\n"
               "defaults), XTABLES_LOCKFILE (the xtables lock, default /run/xtables.lock),\n"
               "BACKSTOP_IPTABLES_LINKS (where auto looks for the host's iptables, default\n"
               "%s).\n",
               DEFAULT_RUNTIME_DIR, DEFAULT_STATE_DIR, BS_CONFIG_FILE_DEFAULT, BS_IPTABLES_LINKS_DEFAULT);
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
        enum {
                ARG_RESTORE = 0x100,
                ARG_RUNTIME_DIR,
                ARG_STATE_DIR,
                ARG_DEBUG,
                ARG_VERSION,
                ARG_MGMT_PORT,
                ARG_BACKEND,
                ARG_CONFIG,
        };
        static const struct option options[] = {
                { "help", no_argument, NULL, 'h' },
                { "version", no_argument, NULL, ARG_VERSION },
                { "restore", no_argument, NULL, ARG_RESTORE },
                { "runtime-dir", required_argument, NULL, ARG_RUNTIME_DIR },
                { "state-dir", required_argument, NULL, ARG_STATE_DIR },
                { "debug", no_argument, NULL, ARG_DEBUG },
                { "management-port", required_argument, NULL, ARG_MGMT_PORT },
                { "backend", required_argument, NULL, ARG_BACKEND },
                { "config", required_argument, NULL, ARG_CONFIG },
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
                case ARG_BACKEND:
                        arg_backend = bs_backend_mode_from_string(optarg);
                        if (arg_backend < 0) {
                                log_error("--backend: \"%s\" is not auto, legacy or nft.", optarg);
                                return -EINVAL;
                        }
                        break;
                case ARG_CONFIG:
                        free(arg_config);
                        arg_config = strdup(optarg);
                        if (!arg_config)
                                return log_oom();
                        break;
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

/* The backend: --backend, else the configuration file's Backend=, else
 * auto (backend-choice.h); computed once, logged with its reason. A broken
 * configuration file stops the daemon (it would manage a ruleset nobody
 * chose); --restore instead logs it and follows auto: rules loaded into
 * either ruleset filter every packet, while none loaded leaves the host
 * open. */
static int choose_backend(bool tolerate_config_errors, bs_backend_choice *ret) {
        const char *env = getenv("BACKSTOP_CONFIG");
        const char *path = arg_config ? arg_config : env && *env ? env : BS_CONFIG_FILE_DEFAULT;
        bool explicit = arg_config || (env && *env);
        bs_daemon_config cfg;
        char err[512];
        int r = bs_daemon_config_load(path, explicit, &cfg, err, sizeof(err));
        if (r < 0) {
                if (!tolerate_config_errors) {
                        log_error("Bad configuration file: %s", err);
                        return r;
                }
                log_error("Bad configuration file: %s. Ignoring it: the rules go where auto finds them.", err);
                cfg = (bs_daemon_config) { .backend = -1 };
        }
        bs_backend_probe probe;
        bs_backend_probe_default(&probe);
        bs_nf_options nf = BS_NF_OPTIONS_DEFAULT;
        probe.nf = &nf;
        r = bs_backend_choose(arg_backend, cfg.backend, cfg.backend >= 0 ? path : NULL, &probe, ret);
        if (r < 0)
                return log_error_errno(r, "Cannot choose the backend: %m");
        log_info("Backend %s (%s).", ret->backend->name, ret->reason);
        return 0;
}

/* --restore: both saved files, or the fail-closed rules (restore.h), into
 * the ruleset the daemon will manage. */
static int run_restore(void) {
        bs_backend_choice choice;
        int r = choose_backend(true, &choice);
        if (r < 0)
                return r;
        bs_mgmt_ports ports = arg_ports;
        if (ports.n == 0)
                bs_mgmt_ports_default(&ports);
        return bs_boot_restore(choice.backend, arg_state_dir, arg_runtime_dir, &ports);
}

static int on_sigterm(sd_event_source *s, const struct signalfd_siginfo *si, void *userdata) {
        Manager *m = userdata;
        log_info("Received %s, stopping.", si->ssi_signo == SIGINT ? "SIGINT" : "SIGTERM");
        (void) sd_notify(false, "STOPPING=1");
        manager_stop(m);
        return sd_event_exit(sd_event_source_get_event(s), 0);
}

/* The xtables helper's client, set up by main() before run() */
static bs_xt_client *xt_client;

static int run(int argc, char *argv[]) {
        int r = parse_argv(argc, argv);
        if (r <= 0)
                return r;
        if (arg_restore)
                return run_restore();
        bs_backend_choice choice;
        r = choose_backend(false, &choice);
        if (r < 0)
                return r;

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
        m->backend = choice.backend;
        m->xt = xt_client;
        m->backend_reason = strdup(choice.reason);
        if (!m->backend_reason) {
                manager_free(m);
                return log_oom();
        }
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
        log_info("backstopd %s running (backend %s, runtime dir %s, state dir %s, IPv6 %s).", PACKAGE_VERSION,
                 m->backend->name, m->runtime_dir, m->state_dir, m->ipv6_active ? "active" : "not active");
        (void) sd_notify(false, "READY=1\nSTATUS=Running.");

        r = sd_event_loop(m->event);
        if (r < 0)
                log_error_errno(r, "Event loop failed: %m");
        manager_free(m);
        return r;
}

/* The libxtables helper for the extensions the model does not know: the
 * text layer prints and parses them through it (xt-client.h). Without it,
 * they are still shown whole, in the raw form. BACKSTOP_XTABLES_TIMEOUT_MS
 * shortens a request's bound (tests). */
static bs_xt_client *xtables_start(void) {
        bs_xt_client *c = NULL;
        int r = bs_xt_client_new(NULL, &c);
        if (r < 0) {
                log_warning_errno(r, "Cannot set up the xtables helper, extensions shown raw: %m");
                return NULL;
        }
        const char *ms = getenv("BACKSTOP_XTABLES_TIMEOUT_MS");
        if (ms && *ms) {
                char *end;
                unsigned long v = strtoul(ms, &end, 10);
                if (*end == '\0' && v > 0 && v <= 600000)
                        bs_xt_client_set_timeout(c, v * 1000ULL);
        }
        bs_text_set_ext_provider(&bs_xt_client_provider, c);
        return c;
}

int main(int argc, char *argv[]) {
        xt_client = xtables_start();
        int r = run(argc, argv);
        bs_text_set_ext_provider(NULL, NULL);
        bs_xt_client_free(xt_client);
        free(arg_runtime_dir);
        free(arg_state_dir);
        free(arg_config);
        return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
