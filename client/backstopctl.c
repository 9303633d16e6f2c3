/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* backstopctl: the client of backstopd. It talks only to the daemon's D-Bus
 * API (org.backstop.Firewall1 on the system bus) and never touches netfilter
 * itself. Modelled on systemd's hostnamectl/timedatectl: a verb table,
 * getopt_long, --json, --no-ask-password and a polkit tty agent. */

#include <errno.h>
#include <getopt.h>
#include <locale.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "ctl.h"
#include "errors.h"
#include "pager.h"
#include "parse.h"
#include "polkit-agent.h"
#include "util.h"

#define MAX_CHANGES 10000

typedef struct Verb {
        const char *name;
        size_t min_args, max_args;  /* positional arguments after the verb */
        bool takes_changes;
        bool needs_auth;            /* may need polkit: start the tty agent */
        int (*run)(Ctl *c);
        const char *synopsis;       /* after "backstopctl [OPTIONS...] " */
        const char *help;           /* what it does, and its own options */
} Verb;

#define CONFIRM_OPTIONS                                                                          \
        "  --timeout SEC   Seconds until automatic rollback (also 5m, 1h; default 60)\n"            \
        "  --strict        Confirmation must come from a NEW SSH login\n"                          \
        "  --force         Apply even if the lockout check finds a risk\n"                         \
        "  --no-wait       Print the transaction and return at once\n"                             \
        "  --save          Save the rules once the transaction is confirmed\n"

static const Verb verbs[] = {
        { "status", 0, 0, false, false, verb_status, "status",
          "Backend, policies, rule counts, pending transaction, whether the running rules\n"
          "are saved, and the other rulesets that filter INPUT. Never asks for a password.\n" },
        { "rules", 0, 1, false, true, verb_rules, "rules [-4|-6] [-v] [--numbered] [CHAIN]",
          "Print the rules as iptables -S does (default IPv4).\n\n"
          "  -v --verbose    With packet and byte counters\n"
          "  --numbered      With each rule's number in its chain\n" },
        { "check", 0, 0, false, true, verb_check, "check [-4|-6] [-q] [-v]",
          "Run the reference checks; exit 0 only if all pass.\n\n"
          "  -q --quiet      Only the failing items\n"
          "  -v --verbose    Details of the passing items too\n" },
        { "connections", 0, 0, false, true, verb_connections, "connections [-a]",
          "Tracked connections: inbound ones, all with -a.\n\n"
          "  -a --all        Outbound and forwarded ones too\n" },
        { "preview", 0, 0, true, true, verb_preview, "preview CHANGE...",
          "The resulting rules, the lockout analysis and the iptables commands of the\n"
          "changes, without applying them (exit 4 when apply would refuse them).\n" },
        { "apply", 0, 0, true, true, verb_apply, "apply [OPTIONS...] CHANGE...",
          "Apply the changes behind the confirm timer.\n\n" CONFIRM_OPTIONS },
        { "default-deny", 0, 0, false, true, verb_default_deny, "default-deny [OPTIONS...] [--allow SERVICE]...",
          "Stateful rule, loopback, the --allow services (default ssh), ICMPv6 NDP, then\n"
          "INPUT policy DROP, behind the confirm timer.\n\n"
          "  --allow SERVICE Keep SERVICE open (repeatable)\n"
          "  --dry-run       Show what it would add and the lockout analysis; change nothing\n"
          CONFIRM_OPTIONS },
        { "confirm", 0, 1, false, true, verb_confirm, "confirm [TX]",
          "Keep a pending transaction (default: the pending one).\n" },
        { "rollback", 0, 1, false, true, verb_rollback, "rollback [TX]",
          "Undo a pending transaction now (default: the pending one).\n" },
        { "extend", 1, 2, false, true, verb_extend, "extend [TX] SECONDS",
          "Move a pending transaction's deadline to now + SECONDS (also 5m, 1h).\n" },
        { "zero", 0, 1, false, true, verb_zero, "zero [-4|-6] [CHAIN]",
          "Zero the packet and byte counters.\n" },
        { "save", 0, 0, false, true, verb_save, "save",
          "Save the running rules for the next boot.\n" },
        { "monitor", 0, 0, false, false, verb_monitor, "monitor",
          "Print transactions and changes as they happen (--json: one object a line).\n" },
        { "allow", 1, MAX_SERVICES, false, true, verb_allow, "allow [OPTIONS...] [--from ADDR] SERVICE...",
          "Accept SERVICE in INPUT, behind the confirm timer.\n\n"
          "  --from ADDR[/PREFIX]  Only from this source\n" CONFIRM_OPTIONS },
        { "deny", 1, MAX_SERVICES, false, true, verb_deny, "deny [OPTIONS...] [--from ADDR] SERVICE...",
          "Drop SERVICE in INPUT, behind the confirm timer.\n\n"
          "  --from ADDR[/PREFIX]  Only from this source\n" CONFIRM_OPTIONS },
        { "reject", 1, MAX_SERVICES, false, true, verb_reject, "reject [OPTIONS...] [--from ADDR] SERVICE...",
          "Reject SERVICE in INPUT, behind the confirm timer.\n\n"
          "  --from ADDR[/PREFIX]  Only from this source\n" CONFIRM_OPTIONS },
        { "services", 0, MAX_SERVICES, false, false, verb_services, "services [SERVICE...]",
          "The service names (built-in and /etc/services) and their ports.\n" },
        { "delete", 2, 2, false, true, verb_delete, "delete [-4|-6] [OPTIONS...] CHAIN N",
          "Delete rule N of CHAIN (as 'rules --numbered' shows), behind the timer.\n\n" CONFIRM_OPTIONS },
        { "move", 3, 3, false, true, verb_move, "move [-4|-6] [OPTIONS...] CHAIN N TO",
          "Move rule N of CHAIN to position TO, behind the confirm timer.\n\n" CONFIRM_OPTIONS },
        { "diff", 0, 0, false, true, verb_diff, "diff [-4|-6]",
          "A unified diff of the saved rules against the running ones: what save would\n"
          "change (exit 0: equal, 1: they differ).\n" },
};

/* "help" is a verb of its own: help [VERB] */
static const Verb help_verb = { "help", 0, 1, false, false, NULL, "help [COMMAND]",
                                "Show the help, or COMMAND's.\n" };

static const Verb *find_verb(const char *name) {
        for (size_t i = 0; i < ELEMENTSOF(verbs); i++)
                if (strcmp(verbs[i].name, name) == 0)
                        return &verbs[i];
        return strcmp(name, "help") == 0 ? &help_verb : NULL;
}

static void verb_help(const Verb *v) {
        printf("%s [OPTIONS...] %s\n\n%s\n"
               "Global options: -h --help, --json[=short|pretty|off], --no-pager, --no-legend,\n"
               "--no-ask-password, -q --quiet, -H --host=[USER@]HOST. See '%s --help' and\n"
               "backstopctl(1).\n",
               program_invocation_short_name, v->synopsis, v->help, program_invocation_short_name);
}

static void help(void) {
        printf("%s [OPTIONS...] COMMAND ...\n"
               "\n"
               "Query and change the firewall through backstopd. Restrictive changes run\n"
               "behind a commit-confirm timer: unless confirmed in time, backstopd rolls\n"
               "them back by itself, even if this client, the SSH session or the daemon dies.\n"
               "\n"
               "Commands:\n"
               "  status                    Backend, policies, rule counts, pending transaction,\n"
               "                            whether the running rules are saved, nftables\n"
               "  rules [-4|-6] [CHAIN]     Print the rules as iptables -S does (-v: counters;\n"
               "                            --numbered: with each rule's number in its chain)\n"
               "  check [-4|-6]             Run the reference checks; exit 0 only if all pass\n"
               "  connections [--all]       Tracked connections (inbound ones unless --all)\n"
               "  preview CHANGE...         Resulting rules, lockout analysis, iptables commands\n"
               "  apply CHANGE...           Apply changes behind the confirm timer\n"
               "  default-deny              Stateful rule, loopback, --allow services, ICMPv6 NDP,\n"
               "                            then INPUT policy DROP, behind the confirm timer\n"
               "  allow SERVICE...          Accept SERVICE in INPUT (e.g. ssh, dns, 8080/tcp),\n"
               "                            behind the confirm timer; --from ADDR[/PREFIX]\n"
               "  deny SERVICE...           The same with DROP\n"
               "  reject SERVICE...         The same with REJECT\n"
               "  services [SERVICE...]     The service names and their ports\n"
               "  delete [-4|-6] CHAIN N    Delete rule N of CHAIN (as 'rules --numbered' shows),\n"
               "                            behind the confirm timer\n"
               "  move [-4|-6] CHAIN N TO   Move rule N of CHAIN to position TO, behind the timer\n"
               "  confirm [TX]              Keep a pending transaction\n"
               "  rollback [TX]             Undo a pending transaction now\n"
               "  extend [TX] SECONDS       Move a pending transaction's deadline to now+SECONDS\n"
               "  zero [-4|-6] [CHAIN]      Zero counters\n"
               "  save                      Save the running rules for the next boot\n"
               "  diff [-4|-6]              What save would change: a unified diff of the saved\n"
               "                            rules against the running ones (exit 1: they differ)\n"
               "  monitor                   Print transactions and changes as they happen\n"
               "  help [COMMAND]            This help, or COMMAND's (also COMMAND --help)\n"
               "\n"
               "Options:\n"
               "  -h --help                 Show this help (after a COMMAND: its help)\n"
               "     --version              Show the version\n"
               "     --json[=MODE]          Print JSON (one document; monitor: one object a line):\n"
               "                            short (the default), pretty (indented) or off\n"
               "     --no-pager             Do not pipe long output into a pager\n"
               "     --no-legend            Tables without their header and closing line\n"
               "     --no-ask-password      Do not ask for a password (polkit)\n"
               "  -H --host=[USER@]HOST     Operate on the backstopd of a remote host, over SSH\n"
               "  -q --quiet                Print only errors and requested data\n"
               "  -4 / -6                   IPv4 / IPv6 only (rules: default IPv4)\n"
               "  -v --verbose              rules: with packet and byte counters\n"
               "     --numbered             rules: number the rules of each chain\n"
               "  -a --all                  connections: outbound and forwarded ones too\n"
               "     --timeout SEC          Seconds until automatic rollback (also 5m, 1h;\n"
               "                            default 60; 0 = no confirmation, needs extra rights)\n"
               "     --strict               Confirmation must come from a NEW SSH login\n"
               "     --force                Apply even if the lockout check finds a risk\n"
               "     --no-wait              Print the transaction and return at once\n"
               "     --save                 Save the rules once the transaction is confirmed\n"
               "     --allow SERVICE        default-deny: keep SERVICE open (repeatable;\n"
               "                            default ssh, 22/tcp, when none is given)\n"
               "     --dry-run              default-deny: show what it would add and what\n"
               "                            the lockout analysis finds; change nothing\n"
               "     --from ADDR[/PREFIX]   allow/deny/reject: only from this source\n"
               "\n"
               "SERVICE is a name from /etc/services or the built-in list ('backstopctl\n"
               "services'), NAME/PROTO, PORT/PROTO, or a bare PORT, which means PORT/tcp.\n"
               "\n"
               "Each CHANGE is one argument in iptables syntax without the program name,\n"
               "e.g. '-I INPUT 1 -p tcp --dport 443 -j ACCEPT'. A change without blanks\n"
               "(e.g. -F) goes after \"--\". TX is a transaction id or object path; the\n"
               "default is the pending transaction.\n"
               "\n"
               "While a change (apply, default-deny, allow, deny, reject, delete, move)\n"
               "waits: type yes to confirm (not with --strict, where 'backstopctl confirm'\n"
               "must run in a new SSH session). Ctrl-C asks whether to roll back now (y:\n"
               "roll back; n or Enter: keep waiting); a second Ctrl-C exits and leaves the\n"
               "transaction to backstopd's timer.\n"
               "\n"
               "Exit status: 0 success, 1 failure (check: an item failed), 2 usage error or\n"
               "invalid change, 3 the transaction was rolled back, 4 refused for lockout risk,\n"
               "5 not authorized, 6 backstopd unreachable, 7 busy (another transaction is\n"
               "pending, or the xtables lock is held), 8 strict confirmation rejected,\n"
               "9 no such service, chain or rule number, 10 rule N is not the same rule in\n"
               "both families (name one with -4 or -6), or is a copy of an earlier rule.\n"
               "diff exits 0 when the saved rules equal the running ones, 1 when not, and on\n"
               "an error with the codes above, a failure as 2.\n"
               "\n"
               "See the backstopctl(1) man page for details.\n",
               program_invocation_short_name);
}

enum {
        ARG_VERSION = 0x100,
        ARG_JSON,
        ARG_NO_PAGER,
        ARG_NO_LEGEND,
        ARG_NO_ASK_PASSWORD,
        ARG_TIMEOUT,
        ARG_STRICT,
        ARG_FORCE,
        ARG_NO_WAIT,
        ARG_SAVE,
        ARG_ALLOW,
        ARG_FROM,
        ARG_NUMBERED,
        ARG_DRY_RUN,
};

static const struct option options[] = {
        { "help",            no_argument,       NULL, 'h' },
        { "version",         no_argument,       NULL, ARG_VERSION },
        { "json",            optional_argument, NULL, ARG_JSON },
        { "no-pager",        no_argument,       NULL, ARG_NO_PAGER },
        { "no-legend",       no_argument,       NULL, ARG_NO_LEGEND },
        { "host",            required_argument, NULL, 'H' },
        { "no-ask-password", no_argument,       NULL, ARG_NO_ASK_PASSWORD },
        { "quiet",           no_argument,       NULL, 'q' },
        { "verbose",         no_argument,       NULL, 'v' },
        { "all",             no_argument,       NULL, 'a' },
        { "timeout",         required_argument, NULL, ARG_TIMEOUT },
        { "strict",          no_argument,       NULL, ARG_STRICT },
        { "force",           no_argument,       NULL, ARG_FORCE },
        { "no-wait",         no_argument,       NULL, ARG_NO_WAIT },
        { "save",            no_argument,       NULL, ARG_SAVE },
        { "allow",           required_argument, NULL, ARG_ALLOW },
        { "from",            required_argument, NULL, ARG_FROM },
        { "numbered",        no_argument,       NULL, ARG_NUMBERED },
        { "line-numbers",    no_argument,       NULL, ARG_NUMBERED },
        { "dry-run",         no_argument,       NULL, ARG_DRY_RUN },
        {}
};

_printf_(1, 2) static int usage_error(const char *fmt, ...) {
        va_list ap;
        fprintf(stderr, "%s: ", program_invocation_short_name);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fprintf(stderr, "\nTry '%s --help' for more information.\n", program_invocation_short_name);
        return EXIT_USAGE;
}

/* Returns -1 to continue, or an exit code; *ret_help: -h/--help was given
 * (the help printed depends on the command, if any). */
static int parse_argv(Ctl *c, int argc, char **argv, char ***ret_positional, char ***ret_markers,
                      size_t *ret_nmarkers, bool *ret_help) {
        /* Changes such as "-A INPUT -j ACCEPT" start with '-': hide them from
         * getopt behind marker strings (which getopt sees as positional and
         * keeps in order), then map the markers back. */
        char **av = calloc((size_t) argc + 1, sizeof(char *));
        char **markers = calloc((size_t) argc + 1, sizeof(char *));
        size_t nmarkers = 0;
        if (!av || !markers) {
                free(av);
                free(markers);
                return log_local_error(-ENOMEM, "parse the command line");
        }
        *ret_positional = av;
        *ret_markers = markers;
        for (int i = 0; i < argc; i++) {
                if (i > 0 && arg_is_change(argv[i])) {
                        markers[nmarkers] = strdup("\001");
                        if (!markers[nmarkers])
                                return log_local_error(-ENOMEM, "parse the command line");
                        av[i] = markers[nmarkers++];
                } else
                        av[i] = argv[i];
        }
        *ret_nmarkers = nmarkers;

        opterr = 0;
        optind = 0;
        int opt, r;
        while ((opt = getopt_long(argc, av, ":hqva46H:", options, NULL)) >= 0) {
                switch (opt) {
                case 'h':
                        *ret_help = true;
                        break;
                case ARG_VERSION:
                        printf("backstopctl %s\n", PACKAGE_VERSION);
                        return EXIT_OK;
                case ARG_JSON:
                        if (!optarg || streq(optarg, "short"))
                                c->json = true, c->json_pretty = false;
                        else if (streq(optarg, "pretty"))
                                c->json = c->json_pretty = true;
                        else if (streq(optarg, "off"))
                                c->json = c->json_pretty = false;
                        else
                                return usage_error("invalid --json '%s': expected short, pretty or off", optarg);
                        break;
                case ARG_NO_PAGER:
                        c->no_pager = true;
                        break;
                case ARG_NO_LEGEND:
                        c->no_legend = true;
                        break;
                case 'H':
                        if (!*optarg || optarg[0] == '-')
                                return usage_error("invalid --host '%s': expected [USER@]HOST", optarg);
                        c->host = optarg;
                        /* no prompt: a local polkit agent cannot answer the remote host */
                        c->ask_password = false;
                        break;
                case ARG_NO_ASK_PASSWORD:
                        c->ask_password = false;
                        break;
                case 'q':
                        c->quiet = true;
                        break;
                case 'v':
                        c->verbose = true;
                        break;
                case 'a':
                        c->all = true;
                        break;
                case '4':
                case '6':
                        if (c->family != 0 && c->family != opt - '0')
                                return usage_error("%s", "-4 and -6 exclude each other");
                        c->family = opt - '0';
                        break;
                case ARG_TIMEOUT:
                        r = parse_seconds(optarg, 0, 86400, &c->timeout);
                        if (r < 0)
                                return usage_error("invalid --timeout '%s': seconds from 0 to 86400 "
                                                   "(suffixes s, m, h)", optarg);
                        c->timeout_set = true;
                        break;
                case ARG_STRICT:
                        c->strict = true;
                        break;
                case ARG_FORCE:
                        c->force = true;
                        break;
                case ARG_NO_WAIT:
                        c->no_wait = true;
                        break;
                case ARG_DRY_RUN:
                        c->dry_run = true;
                        break;
                case ARG_SAVE:
                        c->save = true;
                        break;
                case ARG_ALLOW:
                        /* a service name is resolved by default-deny itself */
                        if (c->n_allows >= MAX_ALLOWS)
                                return usage_error("%s", "too many --allow options");
                        c->allows[c->n_allows++] = optarg;
                        break;
                case ARG_FROM:
                        c->from = optarg;
                        break;
                case ARG_NUMBERED:
                        c->numbered = true;
                        break;
                case ':':
                        return usage_error("option '%s' needs an argument", av[optind - 1]);
                case '?':
                default:
                        if (optopt && optopt < 0x100) {
                                /* iptables commands: the change was not quoted into one argument */
                                if (strchr("ADIRPNXFZELS", optopt))
                                        return usage_error("unknown option '-%c': each CHANGE must be one quoted "
                                                           "argument, e.g. '-P INPUT DROP'", optopt);
                                return usage_error("unknown option '-%c'", optopt);
                        }
                        return usage_error("unknown option '%s'", av[optind - 1]);
                }
        }
        return -1;
}

/* -h/--help (with or without a command) and "help [COMMAND]". */
static int show_help(Ctl *c, const Verb *verb, const char *arg) {
        if (verb == &help_verb && arg) {
                verb = find_verb(arg);
                if (!verb)
                        return usage_error("unknown command '%s'", arg);
        }
        ctl_pager(c);
        if (!verb || verb == &help_verb)
                help();
        else
                verb_help(verb);
        return EXIT_OK;
}

static bool is_marker(char **markers, size_t n, const char *p, size_t *idx) {
        for (size_t i = 0; i < n; i++)
                if (markers[i] == p) {
                        *idx = i;
                        return true;
                }
        return false;
}

/* The original argv index of each marker, in order (markers are assigned in
 * argv order). */
static const char *marker_original(int argc, char **argv, size_t idx) {
        size_t k = 0;
        for (int i = 1; i < argc; i++)
                if (arg_is_change(argv[i])) {
                        if (k == idx)
                                return argv[i];
                        k++;
                }
        return NULL;
}

static void free_strv(char **v, size_t n) {
        for (size_t i = 0; i < n; i++)
                free(v[i]);
        free(v);
}

int main(int argc, char **argv) {
        Ctl c = { .ask_password = true };
        char **av = NULL, **markers = NULL;
        size_t nmarkers = 0;
        bool want_help = false;
        int r;

        setlocale(LC_ALL, "");
        /* A closed pipe must not kill us silently mid-output. */
        signal(SIGPIPE, SIG_IGN);

        r = parse_argv(&c, argc, argv, &av, &markers, &nmarkers, &want_help);
        if (r >= 0)
                goto finish;

        /* Positional arguments: the verb, then its arguments. */
        const Verb *verb = &verbs[0];
        int first = optind;
        if (first < argc) {
                size_t idx;
                if (is_marker(markers, nmarkers, av[first], &idx)) {
                        r = usage_error("expected a command before '%s'", marker_original(argc, argv, idx));
                        goto finish;
                }
                verb = find_verb(av[first]);
                if (!verb) {
                        r = usage_error("unknown command '%s'", av[first]);
                        goto finish;
                }
                first++;
        } else if (want_help)
                verb = NULL;
        if (verb == &help_verb && argc - first > 1) {
                r = usage_error("%s", "too many arguments for 'help'");
                goto finish;
        }
        if (want_help || verb == &help_verb) {
                r = show_help(&c, verb, first < argc ? av[first] : NULL);
                goto finish;
        }
        c.verb = verb->name;

        c.args = calloc((size_t) argc + 1, sizeof(char *));
        c.changes = calloc((size_t) argc + 1, sizeof(char *));
        if (!c.args || !c.changes) {
                r = log_local_error(-ENOMEM, "parse the command line");
                goto finish;
        }
        for (int i = first; i < argc; i++) {
                size_t idx;
                bool marker = is_marker(markers, nmarkers, av[i], &idx);
                const char *orig = marker ? marker_original(argc, argv, idx) : av[i];
                if (verb->takes_changes)
                        c.changes[c.n_changes++] = (char *) orig;
                else if (marker) {
                        r = usage_error("unexpected argument '%s'", orig);
                        goto finish;
                } else
                        c.args[c.n_args++] = (char *) orig;
        }
        if (c.n_args < verb->min_args || c.n_args > verb->max_args) {
                r = usage_error(c.n_args < verb->min_args ? "too few arguments for '%s'"
                                                          : "too many arguments for '%s'",
                                verb->name);
                goto finish;
        }
        if (verb->takes_changes && c.n_changes == 0) {
                r = usage_error("'%s' needs at least one CHANGE, e.g. '-P INPUT DROP'", verb->name);
                goto finish;
        }
        if (c.n_changes > MAX_CHANGES) {
                r = usage_error("%s", "too many changes (at most 10000)");
                goto finish;
        }
        if (c.n_allows > 0 && strcmp(verb->name, "default-deny") != 0) {
                r = usage_error("%s", "--allow is only valid with default-deny");
                goto finish;
        }
        if (c.dry_run && verb->run != verb_default_deny) {
                r = usage_error("%s", "--dry-run is only valid with default-deny");
                goto finish;
        }
        if (c.numbered && verb->run != verb_rules) {
                r = usage_error("%s", "--numbered is only valid with rules");
                goto finish;
        }
        if (c.from && verb->run != verb_allow && verb->run != verb_deny && verb->run != verb_reject) {
                r = usage_error("%s", "--from is only valid with allow, deny and reject");
                goto finish;
        }

        if (verb->needs_auth && c.ask_password)
                ctl_polkit_agent(&c);
        r = verb->run(&c);

finish:
        if (c.agent_pid > 0)
                polkit_agent_close(c.agent_pid);
        if (c.bus)
                sd_bus_flush_close_unref(c.bus);
        free(c.args);
        free(c.changes);
        free(c.remote_ssh_connection);
        free(av);
        free_strv(markers, nmarkers);
        /* a pager quit before the end (EPIPE) is no failure */
        if (fflush(stdout) != 0 && r == 0 && !(c.pager_pid > 0 && errno == EPIPE))
                r = EXIT_FAILED;
        pager_close(c.pager_pid);
        return r;
}
