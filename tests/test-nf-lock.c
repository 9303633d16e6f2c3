/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Table access against the real kernel: the xtables lock, and the
 * detection of an nftables ruleset that filters INPUT. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <netinet/in.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "nf-test.h"

/* ---------------------------------------------------------------- lock */

static void test_lock_basics(void) {
        g_assert_cmpstr(bs_xtlock_path(), ==, lock_path);
        bs_xtlock a = BS_XTLOCK_INIT, b = BS_XTLOCK_INIT;
        g_assert_cmpint(bs_xtlock_acquire(&a, 0), ==, 0);
        g_assert_cmpint(bs_xtlock_acquire(&a, 0), ==, -EBUSY);
        /* a second open file description conflicts, as another process would */
        g_assert_cmpint(bs_xtlock_acquire(&b, 50), ==, -EWOULDBLOCK);
        bs_xtlock_release(&a);
        g_assert_cmpint(bs_xtlock_acquire(&b, 0), ==, 0);
        bs_xtlock_release(&b);
        bs_xtlock_release(&b); /* harmless */
}

/* A child holds the lock as iptables-legacy would (flock on the same
 * file). It tells us through `to_parent` once it holds it ('L') and right
 * before it lets go ('R'); it lets go after hold_ms, or when `from_parent`
 * reaches EOF if hold_ms is 0. */
static pid_t lock_holder(int up[2], int down[2], unsigned hold_ms) {
        pid_t pid = fork();
        g_assert_cmpint(pid, >=, 0);
        if (pid > 0)
                return pid;
        int to_parent = up[1], from_parent = down[0];
        close(up[0]);
        close(down[1]);
        int fd = open(lock_path, O_RDONLY | O_CREAT | O_CLOEXEC, 0600);
        if (fd < 0 || flock(fd, LOCK_EX) < 0 || write(to_parent, "L", 1) != 1)
                _exit(1);
        if (hold_ms > 0)
                g_usleep(hold_ms * 1000);
        else {
                char ch;
                while (read(from_parent, &ch, 1) > 0)
                        ;
        }
        if (write(to_parent, "R", 1) != 1)
                _exit(1);
        close(fd);
        _exit(0);
}

static void test_lock_wait(void) {
        reset_tables();
        changes cs = {};
        add_rule(&cs, BS_CHANGE_APPEND, BS_FAMILY_IPV4, "INPUT", 0, IPPROTO_TCP, 22, BS_TARGET_ACCEPT, NULL);

        /* held for a while: the commit waits, then succeeds */
        int up[2], down[2];
        g_assert_cmpint(pipe(up), ==, 0);
        g_assert_cmpint(pipe(down), ==, 0);
        pid_t pid = lock_holder(up, down, 300);
        char ch;
        g_assert_cmpint(read(up[0], &ch, 1), ==, 1);
        g_assert_cmpint(ch, ==, 'L');
        bs_nf_options o = BS_NF_OPTIONS_DEFAULT;
        o.lock_timeout_ms = 60000;
        g_assert_cmpint(bs_nf_apply(BS_FAMILY_IPV4, "filter", cs.items, cs.n, &o, NULL), ==, 0);
        /* we got the lock only after the child said it lets go */
        g_assert_cmpint(fcntl(up[0], F_SETFL, O_NONBLOCK), ==, 0);
        g_assert_cmpint(read(up[0], &ch, 1), ==, 1);
        g_assert_cmpint(ch, ==, 'R');
        int status;
        g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
        g_assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        assert_S(&v4, "-P INPUT ACCEPT\n-P FORWARD ACCEPT\n-P OUTPUT ACCEPT\n"
                      "-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT\n");
        for (int i = 0; i < 2; i++) {
                close(up[i]);
                close(down[i]);
        }

        /* held past the bound: -EWOULDBLOCK, nothing committed */
        g_assert_cmpint(pipe(up), ==, 0);
        g_assert_cmpint(pipe(down), ==, 0);
        pid = lock_holder(up, down, 0);
        close(down[0]);
        g_assert_cmpint(read(up[0], &ch, 1), ==, 1);
        o.lock_timeout_ms = 200;
        g_assert_cmpint(bs_nf_apply(BS_FAMILY_IPV4, "filter", cs.items, cs.n, &o, NULL), ==, -EWOULDBLOCK);
        bs_table *t = NULL;
        g_assert_cmpint(bs_nf_read(BS_FAMILY_IPV4, "filter", &o, &t), ==, -EWOULDBLOCK);
        g_assert_cmpint(bs_nf_apply_both("filter", cs.items, cs.n, BS_FAMILY_MASK_BOTH, &o, NULL, NULL, NULL, NULL), ==, -EWOULDBLOCK);
        close(down[1]); /* let the child go */
        g_assert_cmpint(waitpid(pid, &status, 0), ==, pid);
        g_assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        close(up[0]);
        close(up[1]);
        changes_clear(&cs);
        assert_S(&v4, "-P INPUT ACCEPT\n-P FORWARD ACCEPT\n-P OUTPUT ACCEPT\n"
                      "-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT\n");
}

/* ------------------------------------------------------------ nftables */

/* Runs in a subprocess, which main() put in a namespace of its own: the
 * iptables-nft chain it creates goes away with it. */
static void test_nftables(gconstpointer data) {
        const family_case *f = data;
        if (!g_test_subprocess()) {
                g_test_trap_subprocess(NULL, 60 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_INHERIT_STDERR);
                g_test_trap_assert_passed();
                return;
        }
        bool found = true;
        char *description = (char *) "unset";
        g_assert_cmpint(bs_nf_nftables_filters_input(false, &found, &description), ==, 0);
        g_assert_false(found);
        g_assert_null(description);

        /* legacy tables do not count */
        sh_ok("%s -A INPUT -j ACCEPT", f->cli);
        g_assert_cmpint(bs_nf_nftables_filters_input(false, &found, NULL), ==, 0);
        g_assert_false(found);

        sh_ok("%s -A INPUT -j ACCEPT", f->family == BS_FAMILY_IPV6 ? "ip6tables-nft" : "iptables-nft");
        g_assert_cmpint(bs_nf_nftables_filters_input(false, &found, &description), ==, 0);
        g_assert_true(found);
        g_assert_nonnull(description);
        g_test_message("found: %s", description);
        g_assert_nonnull(strstr(description, f->family == BS_FAMILY_IPV6 ? "ip6 filter INPUT" : "ip filter INPUT"));
        free(description);

        /* with the nft backend, iptables-nft's own table is the managed
         * ruleset, not another one; an inet table of nft's still is */
        found = true;
        description = (char *) "unset";
        g_assert_cmpint(bs_nf_nftables_filters_input(true, &found, &description), ==, 0);
        g_assert_false(found);
        g_assert_null(description);
        sh_ok("nft add table inet t && nft add chain inet t in '{ type filter hook input priority 0; }'");
        g_assert_cmpint(bs_nf_nftables_filters_input(true, &found, &description), ==, 0);
        g_assert_true(found);
        g_test_message("found: %s", description);
        g_assert_nonnull(strstr(description, "inet t in"));
        g_assert_null(strstr(description, "filter INPUT"));
        free(description);
}

int main(int argc, char **argv) {
        int r = nf_test_init(&argc, &argv);
        if (r != 0)
                return r;
        nf_test_add_both("nftables", test_nftables);
        g_test_add_func("/nf/lock/basics", test_lock_basics);
        g_test_add_func("/nf/lock/wait", test_lock_wait);
        return nf_test_run();
}
