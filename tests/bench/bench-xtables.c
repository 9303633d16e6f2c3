/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Reading and printing a 10,000-rule filter table of which 10 % use
 * extensions the model does not know (recent, hashlimit, string, connmark,
 * MARK, ...), printed through the libxtables helper, against
 * `iptables-legacy -S` on the same table. Prints both times and the ratio.
 * Root; runs in a network namespace of its own with a private xtables lock.
 *   bench-xtables [PATH-OF-backstop-xtables] */
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "backend.h"
#include "text.h"
#include "xt-client.h"

#define N_RULES 10000

static double now_ms(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double) ts.tv_sec * 1e3 + (double) ts.tv_nsec / 1e6;
}

/* one of the long-tail rules, numbered by i */
static void put_long_tail(FILE *f, int i) {
        switch ((i / 10) % 5) {
        case 0:
                fprintf(f, "-m recent --update --seconds 60 --hitcount 4 --name ssh%d --mask 255.255.255.255 "
                           "--rsource -j DROP", i);
                break;
        case 1:
                fprintf(f, "-p tcp -m tcp --dport %d -m hashlimit --hashlimit-upto 10/sec --hashlimit-burst 5 "
                           "--hashlimit-mode srcip --hashlimit-name h%d -j ACCEPT", 1 + i % 60000, i);
                break;
        case 2:
                fprintf(f, "-m string --string foo%d --algo bm --to 100 -j DROP", i);
                break;
        case 3:
                fprintf(f, "-m connmark --mark 0x%x/0xffff -j ACCEPT", i);
                break;
        default:
                fprintf(f, "-m length --length 100:%d -j MARK --set-xmark 0x1/0xffffffff", 100 + i);
                break;
        }
}

static int run(const char *cmd) {
        int r = system(cmd);
        return WIFEXITED(r) ? WEXITSTATUS(r) : -1;
}

int main(int argc, char **argv) {
        if (geteuid() != 0 || unshare(CLONE_NEWNET) < 0) {
                fprintf(stderr, "bench-xtables: needs root (a network namespace of its own)\n");
                return 77;
        }
        char lock[] = "/tmp/bench-xtables-lock-XXXXXX";
        int lfd = mkstemp(lock);
        if (lfd < 0)
                return 1;
        close(lfd);
        setenv("XTABLES_LOCKFILE", lock, 1);
        char file[] = "/tmp/bench-xtables-XXXXXX";
        int fd = mkstemp(file);
        FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
        if (!f)
                return 1;
        fprintf(f, "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n");
        for (int i = 0; i < N_RULES; i++) {
                fprintf(f, "-A INPUT ");
                if (i % 10 == 0)
                        put_long_tail(f, i);
                else
                        fprintf(f, "-s 10.%d.%d.0/24 -p tcp -m tcp --dport %d -j ACCEPT", (i >> 8) & 255, i & 255,
                                1 + i % 60000);
                fprintf(f, "\n");
        }
        fprintf(f, "COMMIT\n");
        fclose(f);
        char cmd[512];
        snprintf(cmd, sizeof(cmd), "iptables-legacy-restore < %s", file);
        if (run(cmd) != 0) {
                fprintf(stderr, "bench-xtables: iptables-legacy-restore failed\n");
                return 1;
        }
        unlink(file);

        /* the best of five runs of each: the machine is shared */
        double t0, ipt_ms = 0;
        for (int round = 0; round < 5; round++) {
                t0 = now_ms();
                if (run("iptables-legacy -S > /dev/null") != 0)
                        return 1;
                double ms = now_ms() - t0;
                if (round == 0 || ms < ipt_ms)
                        ipt_ms = ms;
        }

        bs_xt_client *c = NULL;
        if (bs_xt_client_new(argc > 1 ? argv[1] : NULL, &c) < 0)
                return 1;
        bs_text_set_ext_provider(&bs_xt_client_provider, c);
        double best = 0, first = 0;
        for (int round = 0; round < 5; round++) {
                /* the first round includes the helper's start */
                t0 = now_ms();
                bs_table *t = NULL;
                bs_nf_options o = BS_NF_OPTIONS_DEFAULT;
                int r = bs_backend_iptables_legacy.read(BS_FAMILY_IPV4, "filter", &o, &t);
                double read_ms = now_ms() - t0;
                bs_buf out = {};
                if (r >= 0)
                        r = bs_render_table(t, NULL, false, &out);
                double ms = now_ms() - t0;
                if (r < 0 || !strstr(out.data, "--hashlimit-name h10 ")) {
                        fprintf(stderr, "bench-xtables: read/render failed (%d)\n", r);
                        return 1;
                }
                printf("backstop read + render (round %d%s): %.1f ms (read %.1f)\n", round + 1,
                       round == 0 ? ", helper started, every extension printed by it"
                                  : ", the texts kept from round 1",
                       ms, read_ms);
                if (round == 0)
                        first = ms;
                else if (round == 1 || ms < best)
                        best = ms;
                bs_buf_done(&out);
                bs_table_free(t);
        }
        /* the same render without the helper (extensions raw): what the
         * helper's part costs */
        {
                bs_table *t = NULL;
                bs_nf_options o = BS_NF_OPTIONS_DEFAULT;
                if (bs_backend_iptables_legacy.read(BS_FAMILY_IPV4, "filter", &o, &t) < 0)
                        return 1;
                double raw_best = 0;
                bs_text_set_ext_provider(NULL, NULL);
                for (int round = 0; round < 5; round++) {
                        bs_buf out = {};
                        t0 = now_ms();
                        if (bs_render_table(t, NULL, false, &out) < 0)
                                return 1;
                        double ms = now_ms() - t0;
                        if (round == 0 || ms < raw_best)
                                raw_best = ms;
                        bs_buf_done(&out);
                }
                bs_text_set_ext_provider(&bs_xt_client_provider, c);
                printf("render alone, extensions raw (no helper): %.1f ms\n", raw_best);
                bs_table_free(t);
        }
        printf("iptables-legacy -S (best of 5, through a shell): %.1f ms\n", ipt_ms);
        printf("ratio backstop/iptables (best round): %.2f; first round, nothing kept: %.2f\n", best / ipt_ms,
               first / ipt_ms);
        bs_text_set_ext_provider(NULL, NULL);
        bs_xt_client_free(c);
        unlink(lock);
        return 0;
}
