/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Benchmark of backstopd through D-Bus against the iptables CLI of the same
 * backend on the same machine (not a test: it prints figures, nothing
 * passes or fails). Run it through tests/bench/run.sh, which gives it what
 * it insists on:
 *
 *   bench-bus [--backend=legacy|nft] BACKSTOPD BACKSTOPCTL [RUNS]
 *
 * backstopd runs with that --backend (default legacy), and the peer is
 * that backend's CLI: iptables-legacy, -restore, -save, or iptables-nft,
 * iptables-nft-restore, iptables-nft-save.
 *
 * - root, in a network namespace that is not PID 1's (never the host's
 *   firewall), with XTABLES_LOCKFILE set (never the host's lock);
 * - DBUS_SYSTEM_BUS_ADDRESS pointing at a private bus.
 *
 * It starts backstopd itself (with private runtime and state directories)
 * and talks to it with sd-bus directly, so the latencies are the daemon's
 * and the bus's, not a CLI's. Each figure is the median and min-max of RUNS
 * runs (default 7), printed as a markdown table with the ratio against the
 * peer measured in the same run. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <systemd/sd-bus.h>
#include <time.h>
#include <unistd.h>

#include "bench-daemon.h"

extern char **environ;

#define BS_NAME "org.backstop.Firewall1"
#define BS_PATH "/org/backstop/Firewall1"
#define BS_IFACE "org.backstop.Firewall1"
#define BS_TX_IFACE "org.backstop.Firewall1.Transaction"
#define MAX_RUNS 101
#define BIG 10000

static const char *arg_backstopd, *arg_backstopctl;

/* The backend backstopd manages and its own CLI, the peer */
typedef struct Peer {
        const char *backend;   /* backstopd --backend= */
        const char *iptables;  /* under /usr/sbin, "-restore" and "-save" appended for those */
        const char *ip6tables;
        /* the targets that differ between backends */
        const char *insert_big_target, *rollback_target, *status_target;
} Peer;

static const Peer peers[] = {
        { "legacy", "iptables-legacy", "ip6tables-legacy", "", "≥ 2×", "≤ 10 ms" },
        { "nft", "iptables-nft", "ip6tables-nft", "≤ 1 ms, faster than the CLI", "≥ 5×",
          "≤ 5 ms (generation unchanged)" },
};
static const Peer *P = &peers[0];

/* The peer's programs, set once P is known */
static char cli_iptables[64], cli_restore[64], cli_save[64], cli_restore6[64];

/* P->iptables and suffix, for a row's label: one of a few rotating
 * buffers (a row() call uses at most two). */
static const char *cli_name(const char *suffix) {
        static char bufs[4][96];
        static unsigned next;
        char *b = bufs[next++ % (sizeof(bufs) / sizeof(bufs[0]))];
        snprintf(b, sizeof(bufs[0]), "%s%s", P->iptables, suffix);
        return b;
}
static unsigned arg_runs = 7;
static char tmpdir[] = "/tmp/bench-bus-XXXXXX";
/* The runtime directory (the journal) on tmpfs, as /run/backstop is on
 * every systemd machine: the journal's fsyncs cost what they cost there. */
static char shm_run_dir[] = "/dev/shm/bench-bus-run-XXXXXX";
static char path_empty[256], path_big[256], path_small[256], path_log[300], path_saved[256], path_cli_err[256];

/* ---- small helpers ---- */

static uint64_t realtime_usec(void) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        return (uint64_t) ts.tv_sec * 1000000ULL + (uint64_t) ts.tv_nsec / 1000ULL;
}

void die(const char *what, int r) {
        fprintf(stderr, "bench-bus: %s: %s\n", what, strerror(r < 0 ? -r : r));
        stop_daemon();
        fprintf(stderr, "bench-bus: backstopd's log: %s\n", path_log);
        exit(1);
}

static void die_bus(const char *what, const sd_bus_error *e, int r) {
        fprintf(stderr, "bench-bus: %s: %s\n", what, e && e->message ? e->message : strerror(-r));
        stop_daemon();
        fprintf(stderr, "bench-bus: backstopd's log: %s\n", path_log);
        exit(1);
}

/* Run argv (stdin from `in`, stdout to `out`, NULL: /dev/null); returns
 * the wall time; dies unless it exits 0. Its stderr is shown only then
 * (iptables-nft warns on every call that legacy tables exist, as they do
 * once the legacy backend was measured in the namespace). */
static double run(char *const argv[], const char *in, const char *out) {
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addopen(&fa, 0, in ? in : "/dev/null", O_RDONLY, 0);
        posix_spawn_file_actions_addopen(&fa, 1, out ? out : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (path_cli_err[0])
                posix_spawn_file_actions_addopen(&fa, 2, path_cli_err, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        double t0 = now_s();
        pid_t pid;
        int r = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
        posix_spawn_file_actions_destroy(&fa);
        if (r != 0)
                die(argv[0], r);
        int status;
        if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
                fprintf(stderr, "bench-bus: %s failed\n", argv[0]);
                FILE *err = path_cli_err[0] ? fopen(path_cli_err, "re") : NULL;
                for (int c; err && (c = fgetc(err)) != EOF;)
                        fputc(c, stderr);
                if (err)
                        fclose(err);
                stop_daemon();
                exit(1);
        }
        return now_s() - t0;
}

static double restore4(const char *file) {
        char *argv[] = { cli_restore, NULL };
        return run(argv, file, NULL);
}

static void restore6_empty(void) {
        char *argv[] = { cli_restore6, NULL };
        run(argv, path_empty, NULL);
}

static void write_file(const char *path, const char *s) {
        FILE *f = fopen(path, "we");
        if (!f || fputs(s, f) < 0 || fclose(f) != 0)
                die(path, errno);
}

/* Rule i as a change (after "-A INPUT "/"-I INPUT 1 "): distinct sources,
 * tcp and udp, a comment on every third, ACCEPT and DROP. */
/* A TCP listener on 127.0.0.1:2222 and one session it accepted: fds[0]
 * the listener, fds[1] the client, fds[2] the accepted end. */
static void open_session(int fds[3]) {
        struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(2222),
                                 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        int one = 1;
        fds[0] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        fds[1] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fds[0] < 0 || fds[1] < 0 || setsockopt(fds[0], SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
            bind(fds[0], (struct sockaddr *) &a, sizeof(a)) < 0 || listen(fds[0], 1) < 0 ||
            connect(fds[1], (struct sockaddr *) &a, sizeof(a)) < 0)
                die("session socket", errno);
        fds[2] = accept4(fds[0], NULL, NULL, SOCK_CLOEXEC);
        if (fds[2] < 0)
                die("accept", errno);
}

static void rule_text(unsigned i, char *buf, size_t size) {
        bool tcp = i % 3 != 1;
        char comment[48] = "";
        if (i % 3 == 2)
                snprintf(comment, sizeof(comment), " -m comment --comment \"rule %u\"", i);
        snprintf(buf, size, "-s 10.%u.%u.%u/32 -p %s -m %s --dport %u%s -j %s", (i >> 16) & 255, (i >> 8) & 255,
                 i & 255, tcp ? "tcp" : "udp", tcp ? "tcp" : "udp", 1024 + i % 60000, comment,
                 i % 2 ? "DROP" : "ACCEPT");
}

static char **make_changes_with(const char *verb, unsigned n, unsigned offset) {
        char **v = calloc(n + 1, sizeof(char *));
        if (!v)
                die("calloc", ENOMEM);
        for (unsigned i = 0; i < n; i++) {
                char rule[160];
                rule_text(offset + i, rule, sizeof(rule));
                if (asprintf(&v[i], "%s %s", verb, rule) < 0)
                        die("asprintf", ENOMEM);
        }
        return v;
}

static char **make_changes(unsigned n, unsigned offset) {
        return make_changes_with("-A INPUT", n, offset);
}

static void free_strv(char **v) {
        for (size_t i = 0; v && v[i]; i++)
                free(v[i]);
        free(v);
}

/* argv of "IPTABLES PREFIX RULE-i" (split on spaces, so without
 * the comment, whose text has a space) in cmd */
static void cli_argv(char *cmd, size_t size, const char *prefix, unsigned i, char *argv[32]) {
        char rule[160];
        rule_text(i, rule, sizeof(rule));
        char *c = strstr(rule, " -m comment");
        if (c) {
                char *j = strstr(c, " -j ");
                memmove(c, j, strlen(j) + 1);
        }
        snprintf(cmd, size, "%s %s %s", cli_iptables, prefix, rule);
        unsigned n = 0;
        for (char *tok = strtok(cmd, " "); tok && n < 31; tok = strtok(NULL, " "))
                argv[n++] = tok;
        argv[n] = NULL;
}

/* iptables-save text of an empty table plus the n rules */
static void write_rules_file(const char *path, unsigned n) {
        FILE *f = fopen(path, "we");
        if (!f)
                die(path, errno);
        fputs("*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n", f);
        for (unsigned i = 0; i < n; i++) {
                char rule[160];
                rule_text(i, rule, sizeof(rule));
                fprintf(f, "-A INPUT %s\n", rule);
        }
        fputs("COMMIT\n", f);
        if (fclose(f) != 0)
                die(path, errno);
}

/* ---- statistics and the table ---- */

typedef struct Series {
        double v[MAX_RUNS];
        unsigned n;
} Series;

static int cmp_double(const void *a, const void *b) {
        double x = *(const double *) a, y = *(const double *) b;
        return (x > y) - (x < y);
}

static void add(Series *s, double x) {
        if (s->n < MAX_RUNS)
                s->v[s->n++] = x;
}

static double median(Series *s) {
        if (s->n == 0)
                return 0;
        qsort(s->v, s->n, sizeof(double), cmp_double);
        return s->n % 2 ? s->v[s->n / 2] : (s->v[s->n / 2 - 1] + s->v[s->n / 2]) / 2;
}

typedef enum Unit { UNIT_MS, UNIT_MB, UNIT_PER_S } Unit;

static void fmt(Series *s, Unit u, double scale, char *buf, size_t size) {
        if (s->n == 0) {
                snprintf(buf, size, "—");
                return;
        }
        double m = median(s) * scale, lo = s->v[0] * scale, hi = s->v[s->n - 1] * scale;
        const char *unit = u == UNIT_MS ? "ms" : u == UNIT_MB ? "MB" : "calls/s";
        int prec = u == UNIT_PER_S ? 0 : (m < 10 ? 2 : 1);
        snprintf(buf, size, "%.*f %s (%.*f–%.*f)", prec, m, unit, prec, lo, prec, hi);
}

/* One row: ours, the peer's (may be NULL), the target as text. Ratio is
 * peer/ours for times (how many times faster we are). */
static void row(const char *what, Series *ours, Unit u, double scale, const char *peer_name, Series *peer,
                const char *target) {
        char a[96], b[96] = "", ratio[32] = "";
        fmt(ours, u, scale, a, sizeof(a));
        if (peer) {
                fmt(peer, u, scale, b, sizeof(b));
                double mo = median(ours), mp = median(peer);
                if (mo > 0 && mp > 0)
                        snprintf(ratio, sizeof(ratio), "%.2f×", u == UNIT_PER_S ? mo / mp : mp / mo);
        }
        printf("| %s | %s | %s%s%s | %s | %s |\n", what, a, peer_name ? peer_name : "", peer_name ? ": " : "", b,
               ratio, target ? target : "");
        fflush(stdout);
}

/* ---- the daemon ---- */

/* Spawn backstopd; returns once its name is owned. *t_name: seconds from
 * spawn to the NameOwnerChanged signal; *t_first: to the reply of a first
 * call (the Version property). */
static void start_backstopd(sd_bus *bus, double *t_name, double *t_first) {
        char backend[32];
        snprintf(backend, sizeof(backend), "--backend=%s", P->backend);
        char *argv[] = { (char *) arg_backstopd, backend, NULL };
        double t0;
        *t_name = start_daemon(bus, BS_NAME, argv, path_log, "backstopd", 10, &t0);
        sd_bus_error e = SD_BUS_ERROR_NULL;
        char *version = NULL;
        int r = sd_bus_get_property_string(bus, BS_NAME, BS_PATH, BS_IFACE, "Version", &e, &version);
        if (r < 0)
                die_bus("Version", &e, r);
        *t_first = now_s() - t0;
        free(version);
}

/* ---- calls ---- */

static void list_rules(sd_bus *bus, const char *family, const char *chain) {
        sd_bus_error e = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        int r = sd_bus_call_method(bus, BS_NAME, BS_PATH, BS_IFACE, "ListRules", &e, &reply, "ss", family, chain);
        if (r < 0)
                die_bus("ListRules", &e, r);
        sd_bus_message_unref(reply);
}

static void read_call(sd_bus *bus, unsigned i) {
        sd_bus_error e = SD_BUS_ERROR_NULL;
        sd_bus_message *reply = NULL;
        int r;
        switch (i % 3) {
        case 0:
                list_rules(bus, "", "");
                return;
        case 1:
                r = sd_bus_call_method(bus, BS_NAME, BS_PATH, BS_IFACE, "GetRulesText", &e, &reply, "ssb", "ipv4",
                                       "", false);
                break;
        default:
                r = sd_bus_call_method(bus, BS_NAME, BS_PATH, "org.freedesktop.DBus.Properties", "GetAll", &e,
                                       &reply, "s", BS_IFACE);
                break;
        }
        if (r < 0)
                die_bus("read call", &e, r);
        sd_bus_message_unref(reply);
}

/* Apply(changes, {"timeout": u}); returns the transaction path (malloc'd) */
static char *apply(sd_bus *bus, char **changes, uint32_t timeout) {
        sd_bus_message *m = NULL, *reply = NULL;
        sd_bus_error e = SD_BUS_ERROR_NULL;
        int r = sd_bus_message_new_method_call(bus, &m, BS_NAME, BS_PATH, BS_IFACE, "Apply");
        if (r >= 0)
                r = sd_bus_message_append_strv(m, changes);
        if (r >= 0)
                r = sd_bus_message_append(m, "a{sv}", 1, "timeout", "u", timeout);
        if (r < 0)
                die("build Apply", r);
        r = sd_bus_call(bus, m, 0, &e, &reply);
        if (r < 0)
                die_bus("Apply", &e, r);
        const char *path;
        r = sd_bus_message_read(reply, "o", &path);
        if (r < 0)
                die("Apply reply", r);
        char *ret = strdup(path);
        if (!ret)
                die("strdup", ENOMEM);
        sd_bus_message_unref(m);
        sd_bus_message_unref(reply);
        return ret;
}

/* The same Apply call, with options the daemon refuses as soon as it has
 * read the arguments (strict needs a timeout): what the bus costs, from
 * this process through dbus-daemon into backstopd and back. Seconds. */
static double refused_apply(sd_bus *bus, char **changes) {
        sd_bus_message *m = NULL;
        sd_bus_error e = SD_BUS_ERROR_NULL;
        int r = sd_bus_message_new_method_call(bus, &m, BS_NAME, BS_PATH, BS_IFACE, "Apply");
        if (r >= 0)
                r = sd_bus_message_append_strv(m, changes);
        if (r >= 0)
                r = sd_bus_message_append(m, "a{sv}", 2, "timeout", "u", 0, "strict", "b", 1);
        if (r < 0)
                die("build Apply", r);
        double t0 = now_s();
        r = sd_bus_call(bus, m, 0, &e, NULL);
        double t = now_s() - t0;
        if (r >= 0 || !sd_bus_error_has_name(&e, SD_BUS_ERROR_INVALID_ARGS))
                die_bus("refused Apply", &e, r >= 0 ? -EPROTO : r);
        sd_bus_error_free(&e);
        sd_bus_message_unref(m);
        return t;
}

static void tx_call(sd_bus *bus, const char *path, const char *method) {
        sd_bus_error e = SD_BUS_ERROR_NULL;
        int r;
        if (strcmp(method, "Confirm") == 0)
                r = sd_bus_call_method(bus, BS_NAME, path, BS_TX_IFACE, "Confirm", &e, NULL, "a{sv}", 0);
        else
                r = sd_bus_call_method(bus, BS_NAME, path, BS_TX_IFACE, method, &e, NULL, "");
        if (r < 0)
                die_bus(method, &e, r);
}

static int on_rolled_back(sd_bus_message *m, void *userdata, sd_bus_error *e) {
        const char *path, *reason;
        uint64_t *at = userdata;
        if (sd_bus_message_read(m, "os", &path, &reason) >= 0 && strcmp(reason, "timeout") == 0)
                *at = realtime_usec();
        return 0;
}

/* ---- read throughput with concurrent clients ---- */

static double throughput(unsigned clients, double seconds) {
        int start[2], done[2];
        if (pipe2(start, O_CLOEXEC) < 0 || pipe2(done, O_CLOEXEC) < 0)
                die("pipe", errno);
        pid_t pids[64];
        for (unsigned c = 0; c < clients; c++) {
                pids[c] = fork();
                if (pids[c] < 0)
                        die("fork", errno);
                if (pids[c] == 0) {
                        sd_bus *bus = NULL;
                        if (sd_bus_open_system(&bus) < 0)
                                _exit(1);
                        list_rules(bus, "ipv4", "INPUT"); /* connected and warm */
                        char go;
                        close(start[1]);
                        if (read(start[0], &go, 1) < 0)
                                _exit(1);
                        uint64_t n = 0;
                        double t0 = now_s();
                        while (now_s() - t0 < seconds) {
                                list_rules(bus, "ipv4", "INPUT");
                                n++;
                        }
                        double rate = (double) n / (now_s() - t0);
                        if (write(done[1], &rate, sizeof(rate)) != sizeof(rate))
                                _exit(1);
                        sd_bus_flush_close_unref(bus);
                        _exit(0);
                }
        }
        close(start[0]);
        close(done[1]);
        usleep(300000); /* let every client connect */
        close(start[1]);
        double total = 0, rate;
        while (read(done[0], &rate, sizeof(rate)) == sizeof(rate))
                total += rate;
        close(done[0]);
        for (unsigned c = 0; c < clients; c++) {
                int status;
                if (waitpid(pids[c], &status, 0) != pids[c] || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
                        die("a client failed", EIO);
        }
        return total;
}

/* BENCH_BUS_ONLY="insert apply …" runs only the sections named (start,
 * insert, insert-b2b (its back-to-back row alone), apply, inserts,
 * rollback, list, calls); unset, all of them. */
static bool section(const char *name) {
        const char *only = getenv("BENCH_BUS_ONLY");
        if (!only || !*only)
                return true;
        size_t len = strlen(name);
        for (const char *p = only; (p = strstr(p, name)); p += len)
                if ((p == only || p[-1] == ' ' || p[-1] == ',') && (p[len] == 0 || p[len] == ' ' || p[len] == ','))
                        return true;
        return false;
}

int main(int argc, char **argv) {
        if (argc > 1 && strncmp(argv[1], "--backend=", 10) == 0) {
                P = NULL;
                for (size_t i = 0; i < sizeof(peers) / sizeof(peers[0]); i++)
                        if (strcmp(argv[1] + 10, peers[i].backend) == 0)
                                P = &peers[i];
                argc--;
                argv++;
        }
        if (!P || argc < 3 || argc > 4) {
                fprintf(stderr, "usage: bench-bus [--backend=legacy|nft] BACKSTOPD BACKSTOPCTL [RUNS]  "
                                "(use tests/bench/run.sh)\n");
                return 2;
        }
        snprintf(cli_iptables, sizeof(cli_iptables), "/usr/sbin/%s", P->iptables);
        snprintf(cli_restore, sizeof(cli_restore), "/usr/sbin/%s-restore", P->iptables);
        snprintf(cli_save, sizeof(cli_save), "/usr/sbin/%s-save", P->iptables);
        snprintf(cli_restore6, sizeof(cli_restore6), "/usr/sbin/%s-restore", P->ip6tables);
        arg_backstopd = argv[1];
        arg_backstopctl = argv[2];
        if (argc > 3)
                arg_runs = (unsigned) strtoul(argv[3], NULL, 10);
        if (arg_runs < 1 || arg_runs > 51) {
                fprintf(stderr, "bench-bus: RUNS must be 1..51\n");
                return 2;
        }
        if (geteuid() != 0 || !getenv("XTABLES_LOCKFILE") || !getenv("DBUS_SYSTEM_BUS_ADDRESS") ||
            !in_private_netns()) {
                fprintf(stderr, "bench-bus: needs root, a private network namespace, XTABLES_LOCKFILE and "
                                "DBUS_SYSTEM_BUS_ADDRESS (run tests/bench/run.sh)\n");
                return 77;
        }
        if (!mkdtemp(tmpdir))
                die("mkdtemp", errno);
        char run_dir[300], state_dir[300];
        if (mkdtemp(shm_run_dir))
                snprintf(run_dir, sizeof(run_dir), "%s/run", shm_run_dir);
        else {
                shm_run_dir[0] = '\0';
                snprintf(run_dir, sizeof(run_dir), "%s/run", tmpdir);
        }
        snprintf(state_dir, sizeof(state_dir), "%s/state", tmpdir);
        snprintf(path_log, sizeof(path_log), "%s/backstopd.log", tmpdir);
        snprintf(path_empty, sizeof(path_empty), "%s/empty.rules", tmpdir);
        snprintf(path_big, sizeof(path_big), "%s/big.rules", tmpdir);
        snprintf(path_small, sizeof(path_small), "%s/small.rules", tmpdir);
        snprintf(path_saved, sizeof(path_saved), "%s/saved.rules", tmpdir);
        snprintf(path_cli_err, sizeof(path_cli_err), "%s/cli.stderr", tmpdir);
        if (mkdir(run_dir, 0700) < 0 || mkdir(state_dir, 0700) < 0)
                die("mkdir", errno);
        setenv("BACKSTOP_RUNTIME_DIR", run_dir, 1);
        setenv("BACKSTOP_STATE_DIR", state_dir, 1);
        write_file(path_empty, "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n");
        write_rules_file(path_big, BIG);
        write_rules_file(path_small, 10);
        restore4(path_empty);
        restore6_empty();

        sd_bus *bus = NULL;
        int r = sd_bus_open_system(&bus);
        if (r < 0)
                die("sd_bus_open_system", r);

        unsigned runs = arg_runs;
        printf("| Measure (%u runs: median (min–max)) | backstopd --backend=%s | peer (%s) | ratio | target |\n",
               runs, P->backend, P->iptables);
        printf("|---|---|---|---|---|\n");
        fflush(stdout);

        /* cold start, memory at start and after 10,000 calls */
        Series s_name = {}, s_first = {}, s_rss0 = {}, s_pss0 = {}, s_rss1 = {}, s_pss1 = {};
        if (!section("start")) {
                double tn, tf;
                start_backstopd(bus, &tn, &tf);
        }
        for (unsigned k = 0; section("start") && k < runs; k++) {
                double tn, tf, rss, pss;
                start_backstopd(bus, &tn, &tf);
                add(&s_name, tn);
                add(&s_first, tf);
                usleep(200000);
                daemon_memory(&rss, &pss);
                add(&s_rss0, rss);
                add(&s_pss0, pss);
                if (k < 3) {
                        for (unsigned i = 0; i < 10000; i++)
                                read_call(bus, i);
                        daemon_memory(&rss, &pss);
                        add(&s_rss1, rss);
                        add(&s_pss1, pss);
                }
                if (k + 1 < runs)
                        stop_daemon();
        }
        if (section("start")) {
                row("cold start: spawn → bus name owned", &s_name, UNIT_MS, 1e3, NULL, NULL, "");
                row("cold start: spawn → first call answered", &s_first, UNIT_MS, 1e3, NULL, NULL, "≤ 10 ms");
                row("idle RSS after start", &s_rss0, UNIT_MB, 1.0 / (1024 * 1024), NULL, NULL, "≤ 3.5 MB");
                row("idle PSS after start", &s_pss0, UNIT_MB, 1.0 / (1024 * 1024), NULL, NULL, "≤ 3.5 MB");
                row("RSS after 10,000 read calls (3 runs)", &s_rss1, UNIT_MB, 1.0 / (1024 * 1024), NULL, NULL, "≤ 3.5 MB");
                row("PSS after 10,000 read calls (3 runs)", &s_pss1, UNIT_MB, 1.0 / (1024 * 1024), NULL, NULL, "≤ 3.5 MB");
        }

        /* one small change with confirm, empty and 10,000-rule table; an
         * ACCEPT rule (the pre-flight knows it cannot cut anything and
         * reads no connections) and a DROP rule (the pre-flight reads the
         * connections and evaluates them). On the empty table, the DROP
         * rule once more with a TCP listener and one session accepted by
         * it in the namespace, as on a host running sshd with an admin
         * logged in: the pre-flight then also walks the kernel's hash of
         * established sockets. On the 10,000-rule table, the peer's insert
         * comes between ours, so each of ours finds the table changed by
         * another program (as with docker or fail2ban at work); and once
         * more with ACCEPT, ours back to back and then the peer's back to
         * back: the table is as the daemon left it. */
        for (int big = 0; big < 2; big++)
                for (int variant = 0; variant < 3; variant++) {
                        bool drop = big ? variant == 1 : variant > 0;
                        bool session = !big && variant == 2, back_to_back = big && variant == 2;
                        if (!section("insert") && !(back_to_back && section("insert-b2b")))
                                continue;
                        int sess_fds[3] = { -1, -1, -1 };
                        if (session)
                                open_session(sess_fds);
                        restore4(big ? path_big : path_empty);
                        Series s_apply = {}, s_total = {}, s_cli = {};
                        unsigned base = back_to_back ? 2000 : 1000 * (unsigned) session;
                        for (unsigned k = 0; k < 2 * runs; k++) {
                                /* the peer's turn: after each of ours, or
                                 * all after ours */
                                bool peer = back_to_back ? k >= runs : k % 2 == 1;
                                unsigned i = back_to_back ? k % runs : k / 2;
                                if (peer) {
                                        char cmd[300], *argv_cli[32];
                                        cli_argv(cmd, sizeof(cmd), "-I INPUT 1", 60000 + base + 2 * i + (unsigned) drop,
                                                 argv_cli);
                                        add(&s_cli, run(argv_cli, NULL, NULL));
                                        continue;
                                }
                                /* rule_text: an odd index gives DROP, an even one ACCEPT */
                                char rule[160], *change = NULL;
                                rule_text(50000 + base + 2 * i + (unsigned) drop, rule, sizeof(rule));
                                if (asprintf(&change, "-I INPUT 1 %s", rule) < 0)
                                        die("asprintf", ENOMEM);
                                char *changes[] = { change, NULL };
                                double t0 = now_s();
                                char *tx = apply(bus, changes, 60);
                                double t1 = now_s();
                                tx_call(bus, tx, "Confirm");
                                double t2 = now_s();
                                add(&s_apply, t1 - t0);
                                add(&s_total, t2 - t0);
                                free(tx);
                                free(change);
                        }
                        const char *how = session ? ", a listener and a session"
                                          : back_to_back ? ", back to back"
                                          : big          ? ", each after the CLI's"
                                                         : "";
                        char what[128];
                        snprintf(what, sizeof(what), "insert %s at 1 + Confirm, %s%s", drop ? "DROP" : "ACCEPT",
                                 big ? "10,000-rule table" : "empty table", how);
                        row(what, &s_total, UNIT_MS, 1e3,
                            cli_name(back_to_back ? " -I (no confirm), back to back" : " -I (no confirm)"),
                            &s_cli, big ? P->insert_big_target : "≤ 1 ms");
                        snprintf(what, sizeof(what), "… of which Apply (%s, %s%s)", drop ? "DROP" : "ACCEPT",
                                 big ? "10,000 rules" : "empty", how);
                        row(what, &s_apply, UNIT_MS, 1e3, NULL, NULL, "");
                        for (int i = 0; i < 3; i++)
                                if (sess_fds[i] >= 0)
                                        close(sess_fds[i]);
                }

        /* a 10,000-rule change set, and 1,000 */
        for (int which = 0; section("apply") && which < 2; which++) {
                unsigned n = which == 0 ? BIG : 1000;
                char **changes = make_changes(n, 0);
                Series s_ours = {}, s_ours0 = {}, s_peer = {}, s_bus = {};
                char path_n[300];
                snprintf(path_n, sizeof(path_n), "%s/n.rules", tmpdir);
                write_rules_file(path_n, n);
                for (unsigned k = 0; k < runs; k++) {
                        restore4(path_empty);
                        double t0 = now_s();
                        char *tx = apply(bus, changes, 60);
                        add(&s_ours, now_s() - t0);
                        tx_call(bus, tx, "Confirm");
                        free(tx);
                        restore4(path_empty);
                        t0 = now_s();
                        tx = apply(bus, changes, 0);
                        add(&s_ours0, now_s() - t0);
                        free(tx);
                        restore4(path_empty);
                        if (which == 0) {
                                add(&s_bus, refused_apply(bus, changes));
                                add(&s_peer, restore4(path_n));
                        }
                        else if (k < 3) {
                                /* 1,000 CLI runs: 3 runs are enough */
                                double t = 0;
                                for (unsigned i = 0; i < n; i++) {
                                        char cmd[300], *argv_cli[32];
                                        cli_argv(cmd, sizeof(cmd), "-A INPUT", i, argv_cli);
                                        t += run(argv_cli, NULL, NULL);
                                }
                                add(&s_peer, t);
                        }
                }
                if (which == 0) {
                        row("Apply 10,000 rules (timeout 60 s)", &s_ours, UNIT_MS, 1e3, cli_name("-restore"),
                            &s_peer, "≥ 3×");
                        row("Apply 10,000 rules (timeout 0, no journal)", &s_ours0, UNIT_MS, 1e3,
                            cli_name("-restore"), &s_peer, "");
                        row("… the bus alone: the same call, refused once its arguments are read", &s_bus, UNIT_MS,
                            1e3, NULL, NULL, "");
                } else {
                        char peer_name[96];
                        snprintf(peer_name, sizeof(peer_name), "1,000 × %s -A (3 runs)", P->iptables);
                        row("Apply 1,000 rules (timeout 60 s)", &s_ours, UNIT_MS, 1e3, peer_name, &s_peer, "");
                }
                free_strv(changes);
        }

        /* the same 10,000 rules as inserts at position 1 (in reverse, so
         * that the table is the same): the rule model's insert path */
        if (section("inserts")) {
                char **changes = make_changes_with("-I INPUT 1", BIG, 0);
                for (unsigned i = 0; i < BIG / 2; i++) {
                        char *x = changes[i];
                        changes[i] = changes[BIG - 1 - i];
                        changes[BIG - 1 - i] = x;
                }
                Series s_ours = {}, s_peer = {};
                for (unsigned k = 0; k < runs; k++) {
                        restore4(path_empty);
                        double t0 = now_s();
                        char *tx = apply(bus, changes, 60);
                        add(&s_ours, now_s() - t0);
                        tx_call(bus, tx, "Confirm");
                        free(tx);
                        restore4(path_empty);
                        add(&s_peer, restore4(path_big));
                }
                row("Apply 10,000 inserts at position 1 (timeout 60 s)", &s_ours, UNIT_MS, 1e3,
                    cli_name("-restore"), &s_peer, "");
                free_strv(changes);
        }

        /* rollback of a 10,000-rule transaction */
        if (section("rollback")) {
                char **changes = make_changes(BIG, 0);
                Series s_ours = {}, s_peer = {}, s_late = {};
                char *save_argv[] = { cli_save, (char *) "-t", (char *) "filter", NULL };
                for (unsigned k = 0; k < runs; k++) {
                        restore4(path_empty);
                        run(save_argv, NULL, path_saved);
                        char *tx = apply(bus, changes, 600);
                        double t0 = now_s();
                        tx_call(bus, tx, "Rollback");
                        add(&s_ours, now_s() - t0);
                        free(tx);
                        restore4(path_big);
                        add(&s_peer, restore4(path_saved));
                }
                row("Rollback of a 10,000-rule transaction", &s_ours, UNIT_MS, 1e3,
                    cli_name("-restore of the saved table"), &s_peer, P->rollback_target);

                /* lateness: deadline (Deadline property, CLOCK_REALTIME) to the signal */
                uint64_t arrived = 0;
                sd_bus_slot *slot = NULL;
                r = sd_bus_match_signal(bus, &slot, BS_NAME, BS_PATH, BS_IFACE, "TransactionRolledBack",
                                        on_rolled_back, &arrived);
                if (r < 0)
                        die("match", r);
                unsigned late_runs = runs < 5 ? runs : 5;
                for (unsigned k = 0; k < late_runs; k++) {
                        restore4(path_empty);
                        arrived = 0;
                        char *tx = apply(bus, changes, 1);
                        uint64_t deadline = 0;
                        sd_bus_error e = SD_BUS_ERROR_NULL;
                        r = sd_bus_get_property_trivial(bus, BS_NAME, tx, BS_TX_IFACE, "Deadline", &e, 't',
                                                        &deadline);
                        if (r < 0)
                                die_bus("Deadline", &e, r);
                        double t0 = now_s();
                        while (!arrived) {
                                r = sd_bus_process(bus, NULL);
                                if (r < 0)
                                        die("bus", r);
                                if (r > 0)
                                        continue;
                                if (now_s() - t0 > 30)
                                        die("no TransactionRolledBack", ETIMEDOUT);
                                (void) sd_bus_wait(bus, 100000);
                        }
                        add(&s_late, ((double) arrived - (double) deadline) / 1e6);
                        free(tx);
                }
                sd_bus_slot_unref(slot);
                row("rollback signal after the deadline (10,000 rules)", &s_late, UNIT_MS, 1e3, NULL, NULL,
                    "≤ 50 ms");
                free_strv(changes);
        }

        /* listing 10,000 rules; status */
        if (section("list")) {
                restore4(path_big);
                Series s_ours = {}, s_peer = {}, s_status = {};
                char *ctl_rules[] = { (char *) arg_backstopctl, (char *) "rules", NULL };
                char *ctl_status[] = { (char *) arg_backstopctl, (char *) "status", NULL };
                char *cli_list[] = { cli_iptables, (char *) "-S", NULL };
                for (unsigned k = 0; k < runs; k++) {
                        add(&s_ours, run(ctl_rules, NULL, NULL));
                        add(&s_peer, run(cli_list, NULL, NULL));
                        add(&s_status, run(ctl_status, NULL, NULL));
                }
                row("backstopctl rules, 10,000 rules", &s_ours, UNIT_MS, 1e3, cli_name(" -S"), &s_peer,
                    "not slower (≥ 1×)");
                row("backstopctl status, 10,000 rules", &s_status, UNIT_MS, 1e3, NULL, NULL, P->status_target);
                restore4(path_empty);
                Series s_status0 = {};
                for (unsigned k = 0; k < runs; k++)
                        add(&s_status0, run(ctl_status, NULL, NULL));
                row("backstopctl status, empty table", &s_status0, UNIT_MS, 1e3, NULL, NULL, P->status_target);
        }

        /* read calls per second (ListRules of a 10-rule INPUT) */
        restore4(path_small);
        static const unsigned clients[] = { 1, 10, 50 };
        for (size_t i = 0; section("calls") && i < 3; i++) {
                Series s = {};
                unsigned tp_runs = runs < 3 ? runs : 3;
                for (unsigned k = 0; k < tp_runs; k++)
                        add(&s, throughput(clients[i], 1.0));
                char what[96];
                snprintf(what, sizeof(what), "ListRules (10 rules), %u client%s (%u runs)", clients[i],
                         clients[i] > 1 ? "s" : "", tp_runs);
                row(what, &s, UNIT_PER_S, 1, NULL, NULL, "");
        }

        stop_daemon();
        sd_bus_flush_close_unref(bus);
        char *rm[] = { (char *) "/bin/rm", (char *) "-rf", tmpdir, shm_run_dir[0] ? shm_run_dir : NULL, NULL };
        run(rm, NULL, NULL);
        return 0;
}
