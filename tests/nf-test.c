/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the table-access tests (test-nf-*.c) share: the oracle CLIs, change
 * lists, reads checked against a fresh read, and the set-up of the private
 * network namespace. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/socket.h>

#include "nf-test.h"

char lock_path[PATH_MAX];

family_case v4, v6;

/* Runs a shell command (in our namespace, with our lock file), asserts it
 * succeeded, returns its stdout. */
char *sh(const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        g_autofree char *cmd = g_strdup_vprintf(fmt, ap);
        va_end(ap);
        const char *argv[] = { "/bin/sh", "-ec", cmd, NULL };
        char *out = NULL, *err = NULL;
        int status;
        g_autoptr(GError) error = NULL;
        gboolean ok = g_spawn_sync(NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err,
                                   &status, &error);
        g_assert_no_error(error);
        g_assert_true(ok);
        if (!g_spawn_check_wait_status(status, NULL))
                g_error("command failed: %s\nstderr: %s", cmd, err);
        g_free(err);
        return out;
}

/* iptables-legacy-save of one table, with counters, without the comment
 * lines (they carry the time). */
char *save(const family_case *f, const char *table) {
        return sh("%s -c -t %s | grep -v '^#'", f->save, table);
}

void reset_tables(void) {
        if (!legacy()) {
                /* every nf_tables table of the namespace gone: iptables-nft
                 * shows the built-in chains as they start */
                sh_ok("nft flush ruleset");
                return;
        }
        const family_case *fs[] = { &v4, &v6 };
        for (size_t i = 0; i < G_N_ELEMENTS(fs); i++) {
                const char *c = fs[i]->cli;
                sh_ok("%1$s -F; %1$s -X; %1$s -Z; %1$s -P INPUT ACCEPT; %1$s -P FORWARD ACCEPT; "
                      "%1$s -P OUTPUT ACCEPT; %1$s -t mangle -F; %1$s -t mangle -X; %1$s -t mangle -Z",
                      c);
        }
}

/* Send n UDP datagrams of `payload` bytes to the loopback address, port
 * `port`, with a socket bound there to receive them (so the kernel answers
 * no ICMP). IPv4: 28 + payload bytes each; IPv6: 48 + payload. */
void send_udp(bs_family f, uint16_t port, unsigned n, size_t payload) {
        int domain = f == BS_FAMILY_IPV6 ? AF_INET6 : AF_INET;
        struct sockaddr_storage ss = {};
        socklen_t sl;
        if (f == BS_FAMILY_IPV6) {
                struct sockaddr_in6 *a = (struct sockaddr_in6 *) &ss;
                a->sin6_family = AF_INET6;
                a->sin6_port = htons(port);
                a->sin6_addr = in6addr_loopback;
                sl = sizeof(*a);
        } else {
                struct sockaddr_in *a = (struct sockaddr_in *) &ss;
                a->sin_family = AF_INET;
                a->sin_port = htons(port);
                a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
                sl = sizeof(*a);
        }
        int rx = socket(domain, SOCK_DGRAM, 0), tx = socket(domain, SOCK_DGRAM, 0);
        g_assert_cmpint(rx, >=, 0);
        g_assert_cmpint(tx, >=, 0);
        g_assert_cmpint(bind(rx, (struct sockaddr *) &ss, sl), ==, 0);
        char buf[256] = {};
        g_assert_cmpuint(payload, <=, sizeof(buf));
        for (unsigned i = 0; i < n; i++)
                g_assert_cmpint(sendto(tx, buf, payload, 0, (struct sockaddr *) &ss, sl), ==, (ssize_t) payload);
        close(tx);
        close(rx);
}

void port_rule(bs_rule *r, bs_family f, uint8_t proto, uint16_t port, bs_target_kind target,
                      const char *chain) {
        bs_rule_init(r, f);
        r->proto = proto;
        bs_match *m = bs_rule_add_match(r, proto == IPPROTO_TCP ? BS_MATCH_TCP : BS_MATCH_UDP);
        g_assert_nonnull(m);
        if (proto == IPPROTO_TCP) {
                m->tcp.sport = (bs_port_range){ 0, 65535 };
                m->tcp.dport = (bs_port_range){ port, port };
        } else {
                m->udp.sport = (bs_port_range){ 0, 65535 };
                m->udp.dport = (bs_port_range){ port, port };
        }
        r->target.kind = target;
        if (chain)
                g_strlcpy(r->target.chain, chain, sizeof(r->target.chain));
}

/* A match the kernel has no module for: a commit with it is refused. */
void add_unknown_match(bs_rule *r) {
        bs_match *m = bs_rule_add_match(r, BS_MATCH_OPAQUE);
        g_assert_nonnull(m);
        g_strlcpy(m->opaque.name, "bsnomatch", sizeof(m->opaque.name));
        m->opaque.size = 16;
        m->opaque.data = g_malloc0(16);
}

bs_change *add(changes *cs, bs_change_kind kind, unsigned families, const char *chain, uint32_t position) {
        g_assert_cmpuint(cs->n, <, G_N_ELEMENTS(cs->items));
        bs_change *c = &cs->items[cs->n++];
        bs_change_init(c, kind, families);
        g_strlcpy(c->chain, chain, sizeof(c->chain));
        c->position = position;
        return c;
}

/* A rule change (APPEND, INSERT, REPLACE, DELETE) with a port rule. */
bs_change *add_rule(changes *cs, bs_change_kind kind, bs_family f, const char *chain, uint32_t position,
                           uint8_t proto, uint16_t port, bs_target_kind target, const char *to) {
        bs_change *c = add(cs, kind, bs_family_mask(f), chain, position);
        port_rule(&c->rule, f, proto, port, target, to);
        return c;
}

/* An IPv6 append with a match the kernel has no module for: refused at
 * the commit, after IPv4 is committed. */
void add_refused_ipv6(changes *cs, uint16_t port) {
        bs_change *c = add_rule(cs, BS_CHANGE_APPEND, BS_FAMILY_IPV6, "INPUT", 0, IPPROTO_TCP, port, BS_TARGET_ACCEPT,
                                NULL);
        add_unknown_match(&c->rule);
}

void changes_clear(changes *cs) {
        for (size_t i = 0; i < cs->n; i++)
                bs_change_done(&cs->items[i]);
        cs->n = 0;
}

bs_table *read_table(bs_family f, const char *table) {
        bs_table *t = NULL;
        g_assert_cmpint(B->read(f, table, NULL, &t), ==, 0);
        g_assert_nonnull(t);
        return t;
}

const bs_rule *rule_at(const bs_table *t, const char *chain, size_t i) {
        const bs_chain *c = bs_table_find_chain(t, chain);
        g_assert_nonnull(c);
        g_assert_cmpuint(i, <, c->n_rules);
        return &c->rules[i];
}

/* A cached read must always equal a fresh read of the kernel: after each
 * outside change (made by iptables-legacy, the oracle) and after packets
 * moved the counters, whether the cache kept its table or decoded anew. */
const bs_table *read_cached_checked_with(const family_case *f, bs_nf_read_cache *cache,
                                               const bs_nf_options *o) {
        const bs_table *t = NULL;
        g_assert_cmpint(B->read_cached(f->family, "filter", o, cache, &t), ==, 0);
        g_assert_nonnull(t);
        _cleanup_table_ bs_table *fresh = read_table(f->family, "filter");
        g_assert_true(bs_table_equal(t, fresh));
        /* bs_table_equal leaves counters aside */
        for (size_t i = 0; i < fresh->n_chains; i++) {
                const bs_chain *a = &t->chains[i], *b = &fresh->chains[i];
                g_assert_cmpuint(a->policy_packets, ==, b->policy_packets);
                g_assert_cmpuint(a->policy_bytes, ==, b->policy_bytes);
                for (size_t k = 0; k < b->n_rules; k++) {
                        g_assert_cmpuint(a->rules[k].packets, ==, b->rules[k].packets);
                        g_assert_cmpuint(a->rules[k].bytes, ==, b->rules[k].bytes);
                }
        }
        return t;
}

const bs_table *read_cached_checked(const family_case *f, bs_nf_read_cache *cache) {
        return read_cached_checked_with(f, cache, NULL);
}

void assert_S(const family_case *f, const char *expect) {
        g_autofree char *got = sh("%s -S", f->cli);
        g_assert_cmpstr(got, ==, expect);
}

int rewrite_add(const bs_table *current, void *userdata, bs_table **ret) {
        rewrite_state *st = userdata;
        st->calls++;
        st->last_input_rules = bs_table_find_chain(current, "INPUT")->n_rules;
        if (st->fail)
                return st->fail;
        if (st->add_port == 0) {
                *ret = NULL;
                return 0;
        }
        bs_table *t = NULL;
        g_assert_cmpint(bs_table_copy(&t, current), ==, 0);
        bs_rule r;
        port_rule(&r, current->family, IPPROTO_TCP, st->add_port, BS_TARGET_ACCEPT, NULL);
        if (st->bad_match && current->family == BS_FAMILY_IPV6) {
                add_unknown_match(&r);
        }
        bs_chain *input = bs_table_find_chain(t, "INPUT");
        g_assert_cmpint(bs_chain_insert_rule(input, input->n_rules, &r), ==, 0);
        *ret = t;
        return 0;
}

/* Both families' filter tables are still as saved (counters included). */
void assert_saved_still(const char *saved4, const char *saved6) {
        g_autofree char *now4 = save(&v4, "filter");
        g_autofree char *now6 = save(&v6, "filter");
        g_assert_cmpstr(now4, ==, saved4);
        g_assert_cmpstr(now6, ==, saved6);
}

static void count_commit(void *userdata) {
        (*(unsigned *) userdata)++;
}

/* Options that count the commits into *commits. */
bs_nf_options counting_commits(unsigned *commits) {
        bs_nf_options o = BS_NF_OPTIONS_DEFAULT;
        o.before_commit = count_commit;
        o.userdata = commits;
        return o;
}

int apply_one(bs_family f, const bs_change *items, size_t n, const bs_nf_options *o, bs_table **result) {
        if (legacy())
                return bs_nf_apply(f, "filter", items, n, o, result);
        bs_change *mine = g_new0(bs_change, n + 1);
        size_t k = 0;
        for (size_t i = 0; i < n; i++) {
                if (!(items[i].families & bs_family_mask(f)))
                        continue;
                g_assert_cmpint(bs_change_copy(&mine[k], &items[i]), ==, 0);
                mine[k++].families = bs_family_mask(f);
        }
        bs_nf_transition t = {};
        int r = B->apply_both("filter", mine, k, bs_family_mask(f), o, NULL, NULL, NULL, &t);
        for (size_t i = 0; i < k; i++)
                bs_change_done(&mine[i]);
        g_free(mine);
        if (r >= 0 && result)
                *result = TAKE_PTR(t.after[f == BS_FAMILY_IPV6 ? 1 : 0]);
        bs_nf_transition_done(&t);
        return r;
}

int nf_test_init(int *argc, char ***argv) {
        g_test_init(argc, argv, NULL);
        if (geteuid() != 0) {
                g_printerr("not root: skipping\n");
                return 77;
        }
        if (unshare(CLONE_NEWNET) < 0) {
                g_printerr("unshare(CLONE_NEWNET): %s: skipping\n", g_strerror(errno));
                return 77;
        }
        g_snprintf(lock_path, sizeof(lock_path), "%s/backstop-test-nf-XXXXXX", g_get_tmp_dir());
        int fd = g_mkstemp(lock_path);
        g_assert_cmpint(fd, >=, 0);
        close(fd);
        g_setenv("XTABLES_LOCKFILE", lock_path, TRUE);
        sh_ok("ip link set lo up");
        v4 = (family_case) { BS_FAMILY_IPV4, bs_test_iptables(BS_FAMILY_IPV4), bs_test_iptables_save(BS_FAMILY_IPV4) };
        v6 = (family_case) { BS_FAMILY_IPV6, bs_test_iptables(BS_FAMILY_IPV6), bs_test_iptables_save(BS_FAMILY_IPV6) };
        g_test_message("backend: %s", B->name);
        return 0;
}

void nf_test_add_both(const char *path, GTestDataFunc fn) {
        const family_case *fs[] = { &v4, &v6 };
        for (size_t i = 0; i < G_N_ELEMENTS(fs); i++) {
                g_autofree char *p = g_strdup_printf("/nf/%s/%s", fs[i]->family == BS_FAMILY_IPV6 ? "ipv6" : "ipv4",
                                                     path);
                g_test_add_data_func(p, fs[i], fn);
        }
}

int nf_test_run(void) {
        int r = g_test_run();
        g_unlink(lock_path);
        return r;
}
