/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Table access through libiptc against the real kernel, with
 * iptables-legacy / ip6tables-legacy as the oracle. The process runs in its
 * own network namespace (unshare(CLONE_NEWNET) in main) with
 * XTABLES_LOCKFILE pointing at a private file; exits 77 when it cannot. */
#include <libiptc/libiptc.h> /* before any <linux/...> header, for the retry test */

#include <arpa/inet.h>
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "nf.h"

static char lock_path[PATH_MAX];

typedef struct family_case {
        bs_family family;
        const char *cli;   /* iptables-legacy / ip6tables-legacy */
        const char *save;  /* ...-save */
} family_case;

static const family_case v4 = { BS_FAMILY_IPV4, "iptables-legacy", "iptables-legacy-save" };
static const family_case v6 = { BS_FAMILY_IPV6, "ip6tables-legacy", "ip6tables-legacy-save" };

/* ------------------------------------------------------------- helpers */

/* Runs a shell command (in our namespace, with our lock file), asserts it
 * succeeded, returns its stdout. */
static char *sh(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
static char *sh(const char *fmt, ...) {
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
#define sh_ok(...) g_free(sh(__VA_ARGS__))

/* iptables-legacy-save of one table, with counters, without the comment
 * lines (they carry the time). */
static char *save(const family_case *f, const char *table) {
        return sh("%s -c -t %s | grep -v '^#'", f->save, table);
}

static void reset_tables(void) {
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
static void send_udp(bs_family f, uint16_t port, unsigned n, size_t payload) {
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

static void port_rule(bs_rule *r, bs_family f, uint8_t proto, uint16_t port, bs_target_kind target,
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
static void add_unknown_match(bs_rule *r) {
        bs_match *m = bs_rule_add_match(r, BS_MATCH_OPAQUE);
        g_assert_nonnull(m);
        g_strlcpy(m->opaque.name, "bsnomatch", sizeof(m->opaque.name));
        m->opaque.size = 16;
        m->opaque.data = g_malloc0(16);
}

/* A growing list of changes. */
typedef struct changes {
        bs_change items[64];
        size_t n;
} changes;

static bs_change *add(changes *cs, bs_change_kind kind, unsigned families, const char *chain, uint32_t position) {
        g_assert_cmpuint(cs->n, <, G_N_ELEMENTS(cs->items));
        bs_change *c = &cs->items[cs->n++];
        bs_change_init(c, kind, families);
        g_strlcpy(c->chain, chain, sizeof(c->chain));
        c->position = position;
        return c;
}

/* A rule change (APPEND, INSERT, REPLACE, DELETE) with a port rule. */
static bs_change *add_rule(changes *cs, bs_change_kind kind, bs_family f, const char *chain, uint32_t position,
                           uint8_t proto, uint16_t port, bs_target_kind target, const char *to) {
        bs_change *c = add(cs, kind, bs_family_mask(f), chain, position);
        port_rule(&c->rule, f, proto, port, target, to);
        return c;
}

/* An IPv6 append with a match the kernel has no module for: refused at
 * the commit, after IPv4 is committed. */
static void add_refused_ipv6(changes *cs, uint16_t port) {
        bs_change *c = add_rule(cs, BS_CHANGE_APPEND, BS_FAMILY_IPV6, "INPUT", 0, IPPROTO_TCP, port, BS_TARGET_ACCEPT,
                                NULL);
        add_unknown_match(&c->rule);
}

static void changes_clear(changes *cs) {
        for (size_t i = 0; i < cs->n; i++)
                bs_change_done(&cs->items[i]);
        cs->n = 0;
}

static bs_table *read_table(bs_family f, const char *table) {
        bs_table *t = NULL;
        g_assert_cmpint(bs_nf_read(f, table, NULL, &t), ==, 0);
        g_assert_nonnull(t);
        return t;
}

static const bs_rule *rule_at(const bs_table *t, const char *chain, size_t i) {
        const bs_chain *c = bs_table_find_chain(t, chain);
        g_assert_nonnull(c);
        g_assert_cmpuint(i, <, c->n_rules);
        return &c->rules[i];
}

/* --------------------------------------------------------------- read */

static void test_read_legacy(gconstpointer data) {
        const family_case *f = data;
        const char *c = f->cli;
        reset_tables();
        sh_ok("%1$s -P FORWARD DROP; %1$s -N mychain; %1$s -N other; "
              "%1$s -A INPUT -p udp --dport 5555 -j mychain; %1$s -A INPUT -i lo -j ACCEPT; "
              "%1$s -A mychain -p udp -j RETURN; %1$s -A FORWARD -p tcp --dport 22 -g other; "
              "%1$s -A other -j DROP; %1$s -Z",
              c);
        send_udp(f->family, 5555, 3, 10);
        unsigned per_packet = (f->family == BS_FAMILY_IPV6 ? 48 : 28) + 10;

        g_autofree char *text = save(f, "filter");
        g_autofree char *expect = g_strdup_printf("[3:%u] -A INPUT -p udp -m udp --dport 5555 -j mychain", 3 * per_packet);
        g_assert_nonnull(strstr(text, expect));

        _cleanup_table_ bs_table *t = read_table(f->family, "filter");
        g_assert_cmpint(t->family, ==, f->family);
        g_assert_cmpstr(t->name, ==, "filter");
        g_assert_cmpuint(t->n_chains, ==, 5);
        const char *names[] = { "INPUT", "FORWARD", "OUTPUT", "mychain", "other" };
        for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
                g_assert_cmpstr(t->chains[i].name, ==, names[i]);
                g_assert_cmpint(t->chains[i].builtin, ==, i < 3);
        }
        g_assert_cmpint(t->chains[0].policy, ==, BS_POLICY_ACCEPT);
        g_assert_cmpint(t->chains[1].policy, ==, BS_POLICY_DROP);
        g_assert_cmpint(t->chains[3].policy, ==, BS_POLICY_NONE);
        /* the datagrams left through OUTPUT, which has no rule: its policy counted them */
        g_assert_cmpuint(t->chains[2].policy_packets, ==, 3);
        g_assert_cmpuint(t->chains[2].policy_bytes, ==, 3 * per_packet);

        const bs_rule *r = rule_at(t, "INPUT", 0);
        g_assert_cmpint(r->family, ==, f->family);
        g_assert_cmpuint(r->proto, ==, IPPROTO_UDP);
        g_assert_cmpuint(r->n_matches, ==, 1);
        g_assert_cmpint(r->matches[0].kind, ==, BS_MATCH_UDP);
        g_assert_cmpuint(r->matches[0].udp.dport.lo, ==, 5555);
        g_assert_cmpint(r->target.kind, ==, BS_TARGET_JUMP);
        g_assert_cmpstr(r->target.chain, ==, "mychain");
        g_assert_cmpuint(r->packets, ==, 3);
        g_assert_cmpuint(r->bytes, ==, 3 * per_packet);

        r = rule_at(t, "INPUT", 1);
        g_assert_cmpstr(r->in_iface, ==, "lo");
        g_assert_cmpint(r->target.kind, ==, BS_TARGET_ACCEPT);
        g_assert_cmpuint(r->packets, ==, 3);

        r = rule_at(t, "mychain", 0);
        g_assert_cmpint(r->target.kind, ==, BS_TARGET_RETURN);
        g_assert_cmpuint(r->packets, ==, 3);

        r = rule_at(t, "FORWARD", 0);
        g_assert_cmpint(r->target.kind, ==, BS_TARGET_GOTO);
        g_assert_cmpstr(r->target.chain, ==, "other");
        g_assert_cmpuint(r->packets, ==, 0);

        /* an unknown table / a bad name */
        bs_table *none = NULL;
        g_assert_cmpint(bs_nf_read(f->family, "nosuchtable", NULL, &none), ==, -EPROTONOSUPPORT);
        g_assert_cmpint(bs_nf_read(f->family, "", NULL, &none), ==, -EINVAL);
        g_assert_null(none);
}

/* A cached read must always equal a fresh read of the kernel: after each
 * outside change (made by iptables-legacy, the oracle) and after packets
 * moved the counters, whether the cache kept its table or decoded anew. */
static const bs_table *read_cached_checked_with(const family_case *f, bs_nf_read_cache *cache,
                                               const bs_nf_options *o) {
        const bs_table *t = NULL;
        g_assert_cmpint(bs_nf_read_cached(f->family, "filter", o, cache, &t), ==, 0);
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

static const bs_table *read_cached_checked(const family_case *f, bs_nf_read_cache *cache) {
        return read_cached_checked_with(f, cache, NULL);
}

static void test_read_cached(gconstpointer data) {
        const family_case *f = data;
        const char *c = f->cli;
        reset_tables();
        sh_ok("%1$s -N mychain; %1$s -A INPUT -p udp --dport 5555 -j mychain; %1$s -A mychain -j ACCEPT; "
              "%1$s -A INPUT -p tcp --dport 22 -j ACCEPT",
              c);
        _cleanup_(bs_nf_read_cache_done) bs_nf_read_cache cache = {};

        const bs_table *first = read_cached_checked(f, &cache);
        g_assert_cmpuint(cache.fast_hits, ==, 0);
        g_assert_true(cache.raw_decoded); /* from the entries, without libiptc */
        /* Nothing changed: the very same table, not decoded again, and
         * told from the kernel's entries without libiptc. */
        g_assert_true(read_cached_checked(f, &cache) == first);
        g_assert_cmpuint(cache.fast_hits, ==, 1);

        /* Only counters moved (rules and OUTPUT's policy): same table, new counters. */
        send_udp(f->family, 5555, 2, 10);
        const bs_table *t = read_cached_checked(f, &cache);
        g_assert_true(t == first);
        g_assert_cmpuint(cache.fast_hits, ==, 2);
        g_assert_cmpuint(rule_at(t, "INPUT", 0)->packets, ==, 2);
        g_assert_cmpuint(rule_at(t, "mychain", 0)->packets, ==, 2);
        g_assert_cmpuint(bs_table_find_chain(t, "OUTPUT")->policy_packets, ==, 2);

        /* Outside changes the cache must not hide, each the same size as
         * what it replaces where it can be: a target, a port, a policy, a
         * jump's chain renamed, a rule moved to another chain. Each changed
         * table is decoded from the entries read (the read compares them
         * with a fresh read through libiptc); and once more all through
         * libiptc (libiptc_only), which stays the fallback. */
        const char *outside[] = {
                "IPT -R INPUT 2 -p tcp --dport 22 -j DROP",
                "IPT -R INPUT 2 -p tcp --dport 23 -j DROP",
                "IPT -P INPUT DROP",
                "IPT -E mychain yours",
                "IPT -D INPUT 2; IPT -A yours -p tcp --dport 23 -j DROP",
                "IPT -F yours",
                "IPT -Z",
        };
        for (int via_libiptc = 0; via_libiptc < 2; via_libiptc++) {
                bs_nf_options o = BS_NF_OPTIONS_DEFAULT;
                o.libiptc_only = via_libiptc;
                if (via_libiptc)
                        sh_ok("%1$s -E yours mychain; %1$s -A INPUT -p tcp --dport 22 -j ACCEPT; %1$s -P INPUT ACCEPT",
                              c);
                for (size_t i = 0; i < G_N_ELEMENTS(outside); i++) {
                        g_auto(GStrv) parts = g_strsplit(outside[i], "IPT", -1);
                        g_autofree char *cmd = g_strjoinv(c, parts);
                        g_autofree char *before = sh("%s -S", c);
                        sh_ok("%s", cmd);
                        read_cached_checked_with(f, &cache, &o);
                        g_autofree char *after = sh("%s -S", c);
                        if (i < G_N_ELEMENTS(outside) - 1) {
                                g_assert_cmpstr(before, !=, after);
                                g_assert_cmpint(cache.raw_decoded, ==, !via_libiptc);
                                g_assert_cmpuint(cache.fast_hits, ==, 0);
                        }
                }
        }

        /* Many rules with matches and targets: the kernel leaves the bytes
         * after an extension's name as the reader's buffer held them, which
         * must not make an unchanged table look changed. */
        reset_tables();
        g_autofree char *file = g_build_filename(g_get_tmp_dir(), "test-nf-many-XXXXXX", NULL);
        int fd = g_mkstemp(file);
        g_assert_cmpint(fd, >=, 0);
        GString *rules = g_string_new("*filter\n");
        for (int i = 0; i < 2000; i++)
                g_string_append_printf(rules, "-A INPUT -p %s --dport %d -m comment --comment n%d -j %s\n",
                                       i % 2 ? "tcp" : "udp", i + 1, i, i % 3 ? "ACCEPT" : "DROP");
        g_string_append(rules, "COMMIT\n");
        g_assert_true(g_file_set_contents(file, rules->str, -1, NULL));
        g_string_free(rules, TRUE);
        close(fd);
        sh_ok("%s-restore < %s", c, file);
        g_unlink(file);
        const bs_table *many = read_cached_checked(f, &cache);
        uint64_t generation = cache.generation;
        for (int i = 0; i < 3; i++) {
                g_assert_true(read_cached_checked(f, &cache) == many);
                g_assert_cmpuint(cache.generation, ==, generation);
                g_assert_cmpuint(cache.fast_hits, ==, (unsigned) i + 1);
        }

        /* The other family through the same cache: dropped and read anew. */
        const family_case *other = f->family == BS_FAMILY_IPV4 ? &v6 : &v4;
        t = read_cached_checked(other, &cache);
        g_assert_cmpint(t->family, ==, other->family);
}

/* The fast path of a cached read splits the kernel's entries into chains
 * the way libiptc does: user chains created out of name order, jumps and
 * gotos among them, a rule without a target (it falls through), RETURN,
 * QUEUE, a DROP policy. Each read of the unchanged table is a fast hit
 * equal to a fresh read; each outside change, even one that only points a
 * jump at another chain of the same name length, is seen. */
static void test_read_cached_layout(gconstpointer data) {
        const family_case *f = data;
        const char *c = f->cli;
        reset_tables();
        sh_ok("%1$s -N zeta; %1$s -N alpha; %1$s -N mid; %1$s -N beta; "
              "%1$s -A INPUT -p tcp --dport 1 -j zeta; %1$s -A INPUT -p tcp --dport 2 -g alpha; "
              "%1$s -A INPUT -p tcp; %1$s -A zeta -j mid; %1$s -A mid -p udp -j RETURN; "
              "%1$s -A alpha -p udp --dport 9 -j QUEUE; %1$s -A beta -j DROP; %1$s -P FORWARD DROP",
              c);
        _cleanup_(bs_nf_read_cache_done) bs_nf_read_cache cache = {};
        const bs_table *t = read_cached_checked(f, &cache);
        for (unsigned i = 1; i <= 3; i++) {
                g_assert_true(read_cached_checked(f, &cache) == t);
                g_assert_cmpuint(cache.fast_hits, ==, i);
        }

        const char *outside[] = {
                "IPT -R INPUT 1 -p tcp --dport 1 -j beta", /* the jump's chain only */
                "IPT -R INPUT 2 -p tcp --dport 2 -j alpha", /* a goto becomes a jump */
                "IPT -R INPUT 3 -p udp",
                "IPT -P FORWARD ACCEPT",
                "IPT -A mid -j zeta",
        };
        for (size_t i = 0; i < G_N_ELEMENTS(outside); i++) {
                g_auto(GStrv) parts = g_strsplit(outside[i], "IPT", -1);
                g_autofree char *cmd = g_strjoinv(c, parts);
                uint64_t generation = cache.generation;
                sh_ok("%s", cmd);
                t = read_cached_checked(f, &cache);
                g_assert_cmpuint(cache.generation, !=, generation);
                g_assert_cmpuint(cache.fast_hits, ==, 0);
                g_assert_true(read_cached_checked(f, &cache) == t);
                g_assert_cmpuint(cache.fast_hits, ==, 1);
        }
}

/* --------------------------------------------------------------- apply */

static void assert_S(const family_case *f, const char *expect) {
        g_autofree char *got = sh("%s -S", f->cli);
        g_assert_cmpstr(got, ==, expect);
}

static void assert_result_is_kernel(bs_family family, const bs_table *result) {
        _cleanup_table_ bs_table *now = read_table(family, "filter");
        g_assert_true(bs_table_equal(result, now));
}

static void test_apply_each_kind(gconstpointer data) {
        const family_case *f = data;
        bs_family fam = f->family;
        reset_tables();
        changes cs = {};

        add(&cs, BS_CHANGE_NEW_CHAIN, BS_FAMILY_MASK_BOTH, "web", 0);
        add_rule(&cs, BS_CHANGE_APPEND, fam, "INPUT", 0, IPPROTO_TCP, 22, BS_TARGET_ACCEPT, NULL);
        add_rule(&cs, BS_CHANGE_APPEND, fam, "INPUT", 0, IPPROTO_TCP, 80, BS_TARGET_JUMP, "web");
        add_rule(&cs, BS_CHANGE_INSERT, fam, "INPUT", 1, IPPROTO_UDP, 53, BS_TARGET_ACCEPT, NULL);
        add_rule(&cs, BS_CHANGE_APPEND, fam, "web", 0, IPPROTO_TCP, 80, BS_TARGET_ACCEPT, NULL);
        add_rule(&cs, BS_CHANGE_REPLACE, fam, "INPUT", 2, IPPROTO_TCP, 2222, BS_TARGET_DROP, NULL);
        add_rule(&cs, BS_CHANGE_INSERT, fam, "INPUT", 3, IPPROTO_TCP, 443, BS_TARGET_GOTO, "web");
        add(&cs, BS_CHANGE_POLICY, BS_FAMILY_MASK_BOTH, "INPUT", 0)->policy = BS_POLICY_DROP;
        _cleanup_table_ bs_table *result = NULL;
        g_assert_cmpint(bs_nf_apply(fam, "filter", cs.items, cs.n, NULL, &result), ==, 0);
        changes_clear(&cs);
        assert_S(f, "-P INPUT DROP\n"
                    "-P FORWARD ACCEPT\n"
                    "-P OUTPUT ACCEPT\n"
                    "-N web\n"
                    "-A INPUT -p udp -m udp --dport 53 -j ACCEPT\n"
                    "-A INPUT -p tcp -m tcp --dport 2222 -j DROP\n"
                    "-A INPUT -p tcp -m tcp --dport 443 -g web\n"
                    "-A INPUT -p tcp -m tcp --dport 80 -j web\n"
                    "-A web -p tcp -m tcp --dport 80 -j ACCEPT\n");
        assert_result_is_kernel(fam, result);
        bs_table_free(TAKE_PTR(result));

        add_rule(&cs, BS_CHANGE_DELETE, fam, "INPUT", 0, IPPROTO_UDP, 53, BS_TARGET_ACCEPT, NULL);
        add(&cs, BS_CHANGE_DELETE_NUM, BS_FAMILY_MASK_BOTH, "INPUT", 2);
        add(&cs, BS_CHANGE_FLUSH, BS_FAMILY_MASK_BOTH, "web", 0);
        add_rule(&cs, BS_CHANGE_DELETE, fam, "INPUT", 0, IPPROTO_TCP, 80, BS_TARGET_JUMP, "web");
        add(&cs, BS_CHANGE_DELETE_CHAIN, BS_FAMILY_MASK_BOTH, "web", 0);
        add(&cs, BS_CHANGE_NEW_CHAIN, BS_FAMILY_MASK_BOTH, "zz", 0);
        add_rule(&cs, BS_CHANGE_APPEND, fam, "FORWARD", 0, IPPROTO_UDP, 53, BS_TARGET_DROP, NULL);
        add(&cs, BS_CHANGE_POLICY, BS_FAMILY_MASK_BOTH, "INPUT", 0)->policy = BS_POLICY_ACCEPT;
        add(&cs, BS_CHANGE_POLICY, BS_FAMILY_MASK_BOTH, "OUTPUT", 0)->policy = BS_POLICY_DROP;
        g_assert_cmpint(bs_nf_apply(fam, "filter", cs.items, cs.n, NULL, &result), ==, 0);
        changes_clear(&cs);
        assert_S(f, "-P INPUT ACCEPT\n"
                    "-P FORWARD ACCEPT\n"
                    "-P OUTPUT DROP\n"
                    "-N zz\n"
                    "-A INPUT -p tcp -m tcp --dport 2222 -j DROP\n"
                    "-A FORWARD -p udp -m udp --dport 53 -j DROP\n");
        assert_result_is_kernel(fam, result);

        /* the other family's table was not touched */
        const family_case *other = fam == BS_FAMILY_IPV4 ? &v6 : &v4;
        assert_S(other, "-P INPUT ACCEPT\n-P FORWARD ACCEPT\n-P OUTPUT ACCEPT\n");
}

/* -D RULE deletes the first rule equal as a model value: of two rules
 * that differ only in a later match, the right one goes. */
static void test_apply_delete_by_value(gconstpointer data) {
        const family_case *f = data;
        reset_tables();
        sh_ok("%1$s -A INPUT -p tcp --dport 22 -m comment --comment one -j ACCEPT; "
              "%1$s -A INPUT -p tcp --dport 22 -j ACCEPT; %1$s -A INPUT -p tcp --dport 22 -j ACCEPT",
              f->cli);
        changes cs = {};
        add_rule(&cs, BS_CHANGE_DELETE, f->family, "INPUT", 0, IPPROTO_TCP, 22, BS_TARGET_ACCEPT, NULL);
        g_assert_cmpint(bs_nf_apply(f->family, "filter", cs.items, cs.n, NULL, NULL), ==, 0);
        changes_clear(&cs);
        assert_S(f, "-P INPUT ACCEPT\n-P FORWARD ACCEPT\n-P OUTPUT ACCEPT\n"
                    "-A INPUT -p tcp -m tcp --dport 22 -m comment --comment one -j ACCEPT\n"
                    "-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT\n");
}

static void test_apply_keeps_counters(gconstpointer data) {
        const family_case *f = data;
        reset_tables();
        sh_ok("%1$s -A INPUT -p udp --dport 5555 -j ACCEPT; %1$s -A INPUT -p tcp --dport 22 -j ACCEPT; "
              "%1$s -A OUTPUT -p udp --dport 5556 -j ACCEPT; %1$s -Z",
              f->cli);
        send_udp(f->family, 5555, 4, 20);
        unsigned bytes = 4 * ((f->family == BS_FAMILY_IPV6 ? 48 : 28) + 20);
        _cleanup_table_ bs_table *before = read_table(f->family, "filter");
        g_assert_cmpuint(rule_at(before, "INPUT", 0)->packets, ==, 4);

        changes cs = {};
        add_rule(&cs, BS_CHANGE_INSERT, f->family, "INPUT", 1, IPPROTO_TCP, 80, BS_TARGET_ACCEPT, NULL);
        add_rule(&cs, BS_CHANGE_DELETE, f->family, "INPUT", 0, IPPROTO_TCP, 22, BS_TARGET_ACCEPT, NULL);
        add_rule(&cs, BS_CHANGE_APPEND, f->family, "INPUT", 0, IPPROTO_TCP, 443, BS_TARGET_ACCEPT, NULL);
        g_assert_cmpint(bs_nf_apply(f->family, "filter", cs.items, cs.n, NULL, NULL), ==, 0);
        changes_clear(&cs);

        g_autofree char *text = save(f, "filter");
        g_autofree char *moved = g_strdup_printf("[4:%u] -A INPUT -p udp -m udp --dport 5555 -j ACCEPT", bytes);
        g_assert_nonnull(strstr(text, moved));
        /* OUTPUT's rule is for 5556: the datagrams went by its policy, whose
         * counters a legacy commit would have reset; ours keeps them */
        g_autofree char *policy = g_strdup_printf(":OUTPUT ACCEPT [4:%u]", bytes);
        g_assert_nonnull(strstr(text, policy));
        g_assert_nonnull(strstr(text, "[0:0] -A INPUT -p tcp -m tcp --dport 80 -j ACCEPT"));
        g_assert_null(strstr(text, "--dport 22"));
}

/* Each bad change, after a good one in the same batch: the error that
 * bs_table_apply_change gives, and nothing committed. */
static void test_apply_errors(gconstpointer data) {
        const family_case *f = data;
        bs_family fam = f->family;
        reset_tables();
        sh_ok("%1$s -N used; %1$s -N empty; %1$s -N full; %1$s -A INPUT -j used; %1$s -A full -j ACCEPT; "
              "%1$s -A INPUT -p udp --dport 5555 -j ACCEPT; %1$s -Z",
              f->cli);
        send_udp(fam, 5555, 2, 0);
        g_autofree char *before = save(f, "filter");
        g_assert_nonnull(strstr(before, "[2:"));

        static const struct {
                bs_change_kind kind;
                const char *chain;
                uint32_t position;
                int expect;
        } cases[] = {
                { BS_CHANGE_APPEND, "nosuch", 0, -ENOENT },
                { BS_CHANGE_DELETE, "INPUT", 0, -ENOENT },    /* no such rule */
                { BS_CHANGE_INSERT, "INPUT", 5, -ERANGE },    /* 2 rules + the good one: 4 is the end */
                { BS_CHANGE_REPLACE, "INPUT", 4, -ERANGE },
                { BS_CHANGE_DELETE_NUM, "INPUT", 0, -ERANGE },
                { BS_CHANGE_DELETE_NUM, "INPUT", 4, -ERANGE },
                { BS_CHANGE_NEW_CHAIN, "empty", 0, -EEXIST },
                { BS_CHANGE_DELETE_CHAIN, "full", 0, -ENOTEMPTY },
                { BS_CHANGE_DELETE_CHAIN, "used", 0, -EBUSY },
                { BS_CHANGE_DELETE_CHAIN, "INPUT", 0, -EPERM },
                { BS_CHANGE_POLICY, "empty", 0, -EINVAL },
                { BS_CHANGE_FLUSH, "nosuch", 0, -ENOENT },
        };
        for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
                changes cs = {};
                add_rule(&cs, BS_CHANGE_APPEND, fam, "INPUT", 0, IPPROTO_TCP, 9999, BS_TARGET_ACCEPT, NULL);
                bs_change *c = add(&cs, cases[i].kind, bs_family_mask(fam), cases[i].chain, cases[i].position);
                port_rule(&c->rule, fam, IPPROTO_TCP, 1, BS_TARGET_ACCEPT, NULL);
                c->policy = BS_POLICY_DROP;
                g_test_message("case %zu", i);
                g_assert_cmpint(bs_nf_apply(fam, "filter", cs.items, cs.n, NULL, NULL), ==, cases[i].expect);
                changes_clear(&cs);
                g_autofree char *after = save(f, "filter");
                g_assert_cmpstr(after, ==, before);
        }

        /* a jump to a chain that does not exist */
        changes cs = {};
        add_rule(&cs, BS_CHANGE_APPEND, fam, "INPUT", 0, IPPROTO_TCP, 1, BS_TARGET_JUMP, "nosuch");
        g_assert_cmpint(bs_nf_apply(fam, "filter", cs.items, cs.n, NULL, NULL), ==, -ENOENT);
        changes_clear(&cs);

        /* a rule of the other family */
        bs_family wrong = fam == BS_FAMILY_IPV4 ? BS_FAMILY_IPV6 : BS_FAMILY_IPV4;
        add_rule(&cs, BS_CHANGE_APPEND, wrong, "INPUT", 0, IPPROTO_TCP, 1, BS_TARGET_ACCEPT, NULL)->families =
                BS_FAMILY_MASK_BOTH;
        g_assert_cmpint(bs_nf_apply(fam, "filter", cs.items, cs.n, NULL, NULL), ==, -EAFNOSUPPORT);
        changes_clear(&cs);

        /* refused by the kernel only: a jump loop, and a match it has no module for */
        add(&cs, BS_CHANGE_NEW_CHAIN, BS_FAMILY_MASK_BOTH, "loop1", 0);
        add(&cs, BS_CHANGE_NEW_CHAIN, BS_FAMILY_MASK_BOTH, "loop2", 0);
        add_rule(&cs, BS_CHANGE_APPEND, fam, "loop1", 0, IPPROTO_TCP, 1, BS_TARGET_JUMP, "loop2");
        add_rule(&cs, BS_CHANGE_APPEND, fam, "loop2", 0, IPPROTO_TCP, 1, BS_TARGET_JUMP, "loop1");
        add_rule(&cs, BS_CHANGE_APPEND, fam, "INPUT", 0, IPPROTO_TCP, 1, BS_TARGET_JUMP, "loop1");
        g_assert_cmpint(bs_nf_apply(fam, "filter", cs.items, cs.n, NULL, NULL), ==, -ELOOP);
        changes_clear(&cs);

        bs_change *c = add_rule(&cs, BS_CHANGE_APPEND, fam, "INPUT", 0, IPPROTO_TCP, 1, BS_TARGET_ACCEPT, NULL);
        add_unknown_match(&c->rule);
        g_assert_cmpint(bs_nf_apply(fam, "filter", cs.items, cs.n, NULL, NULL), ==, -EOPNOTSUPP);
        changes_clear(&cs);

        g_autofree char *after = save(f, "filter");
        g_assert_cmpstr(after, ==, before);
}

typedef struct retry_state {
        unsigned calls;
        unsigned change_times;  /* change the table on the first N calls */
        char other_lock[PATH_MAX];
        const family_case *f;
} retry_state;

/* Someone else adds a rule between our init and our commit: through the
 * CLI (with its own lock file, or it would wait for ours). */
static void change_behind_our_back(void *userdata) {
        retry_state *s = userdata;
        s->calls++;
        if (s->calls > s->change_times)
                return;
        sh_ok("XTABLES_LOCKFILE=%s %s -A INPUT -p tcp --dport %u -j ACCEPT", s->other_lock, s->f->cli,
              1000 + s->calls);
}

static void test_apply_retry(gconstpointer data) {
        const family_case *f = data;
        reset_tables();
        retry_state s = { .change_times = 1, .f = f };
        g_snprintf(s.other_lock, sizeof(s.other_lock), "%s.other", lock_path);
        bs_nf_options o = BS_NF_OPTIONS_DEFAULT;
        o.before_commit = change_behind_our_back;
        o.userdata = &s;

        changes cs = {};
        add_rule(&cs, BS_CHANGE_INSERT, f->family, "INPUT", 1, IPPROTO_TCP, 22, BS_TARGET_ACCEPT, NULL);
        g_assert_cmpint(bs_nf_apply(f->family, "filter", cs.items, cs.n, &o, NULL), ==, 0);
        /* first commit refused (EAGAIN), second one on the re-read table */
        g_assert_cmpuint(s.calls, ==, 2);
        assert_S(f, "-P INPUT ACCEPT\n-P FORWARD ACCEPT\n-P OUTPUT ACCEPT\n"
                    "-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT\n"
                    "-A INPUT -p tcp -m tcp --dport 1001 -j ACCEPT\n");

        /* past the retries: -EAGAIN, and only their changes are in */
        reset_tables();
        s = (retry_state){ .change_times = 100, .f = f };
        g_snprintf(s.other_lock, sizeof(s.other_lock), "%s.other", lock_path);
        o.max_retries = 2;
        g_assert_cmpint(bs_nf_apply(f->family, "filter", cs.items, cs.n, &o, NULL), ==, -EAGAIN);
        g_assert_cmpuint(s.calls, ==, 3);
        assert_S(f, "-P INPUT ACCEPT\n-P FORWARD ACCEPT\n-P OUTPUT ACCEPT\n"
                    "-A INPUT -p tcp -m tcp --dport 1001 -j ACCEPT\n"
                    "-A INPUT -p tcp -m tcp --dport 1002 -j ACCEPT\n"
                    "-A INPUT -p tcp -m tcp --dport 1003 -j ACCEPT\n");
        changes_clear(&cs);
        g_unlink(s.other_lock);
}

/* An apply through the read cache leaves the committed table in it, keyed
 * as the kernel will show it: the next read is a hit (same table, same
 * generation) that equals a fresh read, also with jumps whose offsets the
 * commit moved. And a cache the kernel no longer matches is not used. */
static void test_apply_cached(gconstpointer data) {
        const family_case *f = data;
        const char *c = f->cli;
        int slot = f->family == BS_FAMILY_IPV4 ? 0 : 1;
        reset_tables();
        sh_ok("%1$s -N mychain; %1$s -A mychain -p udp --dport 53 -j ACCEPT; %1$s -A INPUT -p tcp --dport 22 "
              "-j mychain; %1$s -A INPUT -p tcp --dport 23 -j DROP",
              c);
        bs_nf_read_cache caches[2] = {};
        bs_nf_read_cache *cache = &caches[slot];
        read_cached_checked(f, cache);
        uint64_t generation = cache->generation;

        changes cs = {};
        add_rule(&cs, BS_CHANGE_INSERT, f->family, "INPUT", 1, IPPROTO_TCP, 80, BS_TARGET_ACCEPT, NULL);
        add_rule(&cs, BS_CHANGE_INSERT, f->family, "INPUT", 1, IPPROTO_UDP, 5353, BS_TARGET_JUMP, "mychain");
        add_rule(&cs, BS_CHANGE_APPEND, f->family, "mychain", 0, IPPROTO_UDP, 67, BS_TARGET_DROP, NULL);
        g_assert_cmpint(bs_nf_apply_both("filter", cs.items, cs.n, BS_FAMILY_MASK_BOTH, NULL, caches, NULL, NULL, NULL), ==, 0);
        changes_clear(&cs);
        g_assert_nonnull(cache->table);
        /* the other family, without changes, was read through its cache */
        g_assert_nonnull(caches[1 - slot].table);
        g_assert_cmpuint(cache->generation, !=, generation);
        g_assert_true(cache->raw_committed); /* the cached table was the kernel's */
        const bs_table *seeded = cache->table;
        generation = cache->generation;
        /* a hit: the same table and generation, equal to a fresh read,
         * told without libiptc (the key of the committed handle is the
         * key of the kernel's entries) */
        g_assert_true(read_cached_checked(f, cache) == seeded);
        g_assert_cmpuint(cache->generation, ==, generation);
        g_assert_cmpuint(cache->fast_hits, ==, 1);
        assert_S(f, "-P INPUT ACCEPT\n-P FORWARD ACCEPT\n-P OUTPUT ACCEPT\n-N mychain\n"
                    "-A INPUT -p udp -m udp --dport 5353 -j mychain\n"
                    "-A INPUT -p tcp -m tcp --dport 80 -j ACCEPT\n"
                    "-A INPUT -p tcp -m tcp --dport 22 -j mychain\n"
                    "-A INPUT -p tcp -m tcp --dport 23 -j DROP\n"
                    "-A mychain -p udp -m udp --dport 53 -j ACCEPT\n"
                    "-A mychain -p udp -m udp --dport 67 -j DROP\n");

        /* Changed outside (same size): the cached table is not used for
         * the next apply, whose result keeps the outside change. The
         * changed table is decoded from the entries the apply read, and
         * committed without libiptc as well. */
        sh_ok("%s -R INPUT 4 -p tcp --dport 24 -j DROP", c);
        add_rule(&cs, BS_CHANGE_DELETE_NUM, f->family, "INPUT", 2, 0, 0, BS_TARGET_ACCEPT, NULL);
        g_assert_cmpint(bs_nf_apply_both("filter", cs.items, cs.n, BS_FAMILY_MASK_BOTH, NULL, caches, NULL, NULL, NULL), ==, 0);
        changes_clear(&cs);
        g_assert_cmpuint(cache->generation, !=, generation);
        g_assert_true(cache->raw_committed);
        read_cached_checked(f, cache);
        assert_S(f, "-P INPUT ACCEPT\n-P FORWARD ACCEPT\n-P OUTPUT ACCEPT\n-N mychain\n"
                    "-A INPUT -p udp -m udp --dport 5353 -j mychain\n"
                    "-A INPUT -p tcp -m tcp --dport 22 -j mychain\n"
                    "-A INPUT -p tcp -m tcp --dport 24 -j DROP\n"
                    "-A mychain -p udp -m udp --dport 53 -j ACCEPT\n"
                    "-A mychain -p udp -m udp --dport 67 -j DROP\n");
        bs_nf_read_cache_done(&caches[0]);
        bs_nf_read_cache_done(&caches[1]);
}

/* bs_nf_apply_both's prepare step for the tests: records what it was
 * shown, and fails when asked to. */
typedef struct prepare_state {
        unsigned calls;
        int fail;
        size_t before4, after4;  /* INPUT's rules */
        bool saw_ipv6;
} prepare_state;

static int prepare_record(const bs_nf_transition *t, void *userdata) {
        prepare_state *ps = userdata;
        ps->calls++;
        g_assert_nonnull(t->before[0]);
        g_assert_nonnull(t->after[0]);
        ps->before4 = bs_table_find_chain(t->before[0], "INPUT")->n_rules;
        ps->after4 = bs_table_find_chain(t->after[0], "INPUT")->n_rules;
        ps->saw_ipv6 = t->before[1] && t->after[1];
        return ps->fail;
}

/* The steps of one apply: the tables shown to prepare before the commit,
 * an abort from prepare commits nothing, the tables handed back, the
 * index of a refused change, a change for a family not asked for. */
static void test_apply_both_prepare(void) {
        reset_tables();
        sh_ok("iptables-legacy -A INPUT -p tcp --dport 22 -j ACCEPT");
        changes cs = {};
        add_rule(&cs, BS_CHANGE_APPEND, BS_FAMILY_IPV4, "INPUT", 0, IPPROTO_TCP, 80, BS_TARGET_ACCEPT, NULL);
        add_rule(&cs, BS_CHANGE_APPEND, BS_FAMILY_IPV6, "INPUT", 0, IPPROTO_TCP, 80, BS_TARGET_ACCEPT, NULL);

        prepare_state ps = { .fail = -EHOSTUNREACH };
        bs_nf_transition t = {};
        g_assert_cmpint(bs_nf_apply_both("filter", cs.items, cs.n, BS_FAMILY_MASK_BOTH, NULL, NULL, prepare_record,
                                         &ps, &t),
                        ==, -EHOSTUNREACH);
        g_assert_cmpuint(ps.calls, ==, 1);
        g_assert_cmpuint(ps.before4, ==, 1);
        g_assert_cmpuint(ps.after4, ==, 2);
        g_assert_true(ps.saw_ipv6);
        g_assert_null(t.before[0]);
        g_assert_cmpuint(t.failed, ==, SIZE_MAX); /* no change was refused */
        assert_S(&v4, "-P INPUT ACCEPT\n-P FORWARD ACCEPT\n-P OUTPUT ACCEPT\n"
                      "-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT\n");
        assert_S(&v6, "-P INPUT ACCEPT\n-P FORWARD ACCEPT\n-P OUTPUT ACCEPT\n");

        ps = (prepare_state) {};
        g_assert_cmpint(bs_nf_apply_both("filter", cs.items, cs.n, BS_FAMILY_MASK_BOTH, NULL, NULL, prepare_record,
                                         &ps, &t),
                        ==, 0);
        g_assert_cmpuint(ps.calls, ==, 1);
        g_assert_cmpuint(bs_table_find_chain(t.before[0], "INPUT")->n_rules, ==, 1);
        g_assert_cmpuint(bs_table_find_chain(t.after[0], "INPUT")->n_rules, ==, 2);
        g_assert_cmpuint(bs_table_find_chain(t.after[1], "INPUT")->n_rules, ==, 1);
        assert_result_is_kernel(BS_FAMILY_IPV4, t.after[0]);
        assert_result_is_kernel(BS_FAMILY_IPV6, t.after[1]);
        bs_nf_transition_done(&t);
        changes_clear(&cs);

        /* a refused change: its index, prepare never called */
        add_rule(&cs, BS_CHANGE_APPEND, BS_FAMILY_IPV4, "INPUT", 0, IPPROTO_TCP, 81, BS_TARGET_ACCEPT, NULL);
        add_rule(&cs, BS_CHANGE_DELETE_NUM, BS_FAMILY_IPV4, "INPUT", 9, 0, 0, BS_TARGET_ACCEPT, NULL);
        ps = (prepare_state) {};
        t = (bs_nf_transition) { .failed = SIZE_MAX };
        g_assert_cmpint(bs_nf_apply_both("filter", cs.items, cs.n, BS_FAMILY_MASK_BOTH, NULL, NULL, prepare_record,
                                         &ps, &t),
                        ==, -ERANGE);
        g_assert_cmpuint(t.failed, ==, 1);
        g_assert_cmpuint(ps.calls, ==, 0);

        /* IPv6 not asked for: its change is refused, IPv6 not read */
        changes_clear(&cs);
        add_rule(&cs, BS_CHANGE_APPEND, BS_FAMILY_IPV6, "INPUT", 0, IPPROTO_TCP, 82, BS_TARGET_ACCEPT, NULL);
        g_assert_cmpint(bs_nf_apply_both("filter", cs.items, cs.n, BS_FAMILY_MASK_IPV4, NULL, NULL, NULL, NULL, NULL),
                        ==, -EINVAL);
        changes_clear(&cs);
        add_rule(&cs, BS_CHANGE_APPEND, BS_FAMILY_IPV4, "INPUT", 0, IPPROTO_TCP, 83, BS_TARGET_ACCEPT, NULL);
        ps = (prepare_state) {};
        g_assert_cmpint(bs_nf_apply_both("filter", cs.items, cs.n, BS_FAMILY_MASK_IPV4, NULL, NULL, prepare_record,
                                         &ps, NULL),
                        ==, 0);
        g_assert_false(ps.saw_ipv6);

        /* The IPv4 table changes between the read and the commit: all
         * done again on the new tables, prepare included. */
        reset_tables();
        retry_state rs = { .change_times = 1, .f = &v4 };
        g_snprintf(rs.other_lock, sizeof(rs.other_lock), "%s.other", lock_path);
        bs_nf_options o = BS_NF_OPTIONS_DEFAULT;
        o.before_commit = change_behind_our_back;
        o.userdata = &rs;
        ps = (prepare_state) {};
        g_assert_cmpint(bs_nf_apply_both("filter", cs.items, cs.n, BS_FAMILY_MASK_BOTH, &o, NULL, prepare_record,
                                         &ps, NULL),
                        ==, 0);
        g_assert_cmpuint(ps.calls, ==, 2);
        g_assert_cmpuint(ps.before4, ==, 1); /* the other program's rule */
        assert_S(&v4, "-P INPUT ACCEPT\n-P FORWARD ACCEPT\n-P OUTPUT ACCEPT\n"
                      "-A INPUT -p tcp -m tcp --dport 1001 -j ACCEPT\n"
                      "-A INPUT -p tcp -m tcp --dport 83 -j ACCEPT\n");
        g_unlink(rs.other_lock);
        changes_clear(&cs);
}

/* bs_nf_rewrite_both's compute step for the tests: the current table plus
 * one rule at the end of INPUT (for IPv6 with a match the kernel does not
 * have when bad_match), or nothing (add_port 0), or an error. */
typedef struct rewrite_state {
        bs_family family;
        uint16_t add_port;
        int fail;
        bool bad_match;
        unsigned calls;
        size_t last_input_rules;
} rewrite_state;

static int rewrite_add(const bs_table *current, void *userdata, bs_table **ret) {
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

static void test_rewrite(gconstpointer data) {
        const family_case *f = data;
        reset_tables();
        sh_ok("%s -A INPUT -p tcp --dport 22 -j ACCEPT", f->cli);
        bs_nf_read_cache caches[2] = {};
        bs_nf_read_cache *cache_ = &caches[f->family == BS_FAMILY_IPV4 ? 0 : 1];
#define cache (*cache_)
        unsigned mask = bs_family_mask(f->family);

        rewrite_state st = { .family = f->family, .add_port = 80 };
        g_assert_cmpint(bs_nf_rewrite_both("filter", mask, NULL, caches, rewrite_add, &st, NULL), ==, 0);
        g_assert_cmpuint(st.calls, ==, 1);
        g_assert_cmpuint(st.last_input_rules, ==, 1);
        const char *two = "-P INPUT ACCEPT\n-P FORWARD ACCEPT\n-P OUTPUT ACCEPT\n"
                          "-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT\n"
                          "-A INPUT -p tcp -m tcp --dport 80 -j ACCEPT\n";
        assert_S(f, two);
        /* the cache holds what was committed, keyed as the kernel shows it */
        const bs_table *kept = cache.table;
        g_assert_true(read_cached_checked(f, &cache) == kept);

        /* nothing to do, and an error of the computation: nothing changes */
        st = (rewrite_state){ .family = f->family };
        g_assert_cmpint(bs_nf_rewrite_both("filter", mask, NULL, caches, rewrite_add, &st, NULL), ==, 0);
        g_assert_cmpuint(st.last_input_rules, ==, 2);
        st = (rewrite_state){ .family = f->family, .add_port = 81, .fail = -ENOENT };
        g_assert_cmpint(bs_nf_rewrite_both("filter", mask, NULL, caches, rewrite_add, &st, NULL), ==, -ENOENT);
        assert_S(f, two);

        /* The table changes between the read and the commit: computed
         * again from the new table, which keeps the other program's rule. */
        retry_state rs = { .change_times = 1, .f = f };
        g_snprintf(rs.other_lock, sizeof(rs.other_lock), "%s.other", lock_path);
        bs_nf_options o = BS_NF_OPTIONS_DEFAULT;
        o.before_commit = change_behind_our_back;
        o.userdata = &rs;
        st = (rewrite_state){ .family = f->family, .add_port = 443 };
        g_assert_cmpint(bs_nf_rewrite_both("filter", mask, &o, caches, rewrite_add, &st, NULL), ==, 0);
        g_assert_cmpuint(rs.calls, ==, 2);
        g_assert_cmpuint(st.calls, ==, 2);
        g_assert_cmpuint(st.last_input_rules, ==, 3);
        assert_S(f, "-P INPUT ACCEPT\n-P FORWARD ACCEPT\n-P OUTPUT ACCEPT\n"
                    "-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT\n"
                    "-A INPUT -p tcp -m tcp --dport 80 -j ACCEPT\n"
                    "-A INPUT -p tcp -m tcp --dport 1001 -j ACCEPT\n"
                    "-A INPUT -p tcp -m tcp --dport 443 -j ACCEPT\n");
        read_cached_checked(f, &cache);
        g_unlink(rs.other_lock);
#undef cache
        /* the other family was not read */
        g_assert_null(caches[f->family == BS_FAMILY_IPV4 ? 1 : 0].table);
        bs_nf_read_cache_done(&caches[0]);
        bs_nf_read_cache_done(&caches[1]);
}

/* Both families' filter tables are still as saved (counters included). */
static void assert_saved_still(const char *saved4, const char *saved6) {
        g_autofree char *now4 = save(&v4, "filter");
        g_autofree char *now6 = save(&v6, "filter");
        g_assert_cmpstr(now4, ==, saved4);
        g_assert_cmpstr(now6, ==, saved6);
}

static void count_commit(void *userdata) {
        (*(unsigned *) userdata)++;
}

/* Options that count the commits into *commits. */
static bs_nf_options counting_commits(unsigned *commits) {
        bs_nf_options o = BS_NF_OPTIONS_DEFAULT;
        o.before_commit = count_commit;
        o.userdata = commits;
        return o;
}

/* The IPv6 commit is refused and IPv4, committed first, cannot be put back
 * (another program changes it at that moment, no retries): reported, the
 * tables handed over, and nothing applied twice. */
typedef struct stuck_state {
        unsigned commits;
        char other_lock[PATH_MAX];
} stuck_state;

static void third_commit_changes_ipv4(void *userdata) {
        stuck_state *ss = userdata;
        if (++ss->commits == 3)
                sh_ok("XTABLES_LOCKFILE=%s iptables-legacy -A INPUT -p tcp --dport 1999 -j ACCEPT", ss->other_lock);
}

static void test_apply_both_ipv4_stuck(void) {
        reset_tables();
        changes cs = {};
        add_rule(&cs, BS_CHANGE_APPEND, BS_FAMILY_IPV4, "INPUT", 0, IPPROTO_TCP, 22, BS_TARGET_ACCEPT, NULL);
        add_refused_ipv6(&cs, 22);

        stuck_state ss = {};
        g_snprintf(ss.other_lock, sizeof(ss.other_lock), "%s.other", lock_path);
        bs_nf_options o = BS_NF_OPTIONS_DEFAULT;
        o.max_retries = 0;
        o.before_commit = third_commit_changes_ipv4;
        o.userdata = &ss;
        prepare_state ps = {};
        _cleanup_transition_ bs_nf_transition t = {};
        g_assert_cmpint(bs_nf_apply_both("filter", cs.items, cs.n, BS_FAMILY_MASK_BOTH, &o, NULL, prepare_record,
                                         &ps, &t),
                        ==, -EOPNOTSUPP);
        changes_clear(&cs);
        g_assert_true(t.ipv4_only);
        g_assert_cmpuint(ss.commits, ==, 3); /* IPv4, IPv6 refused, the put-back refused: no retry */
        g_assert_cmpuint(ps.calls, ==, 1);
        g_assert_nonnull(t.before[0]);
        g_assert_cmpuint(bs_table_find_chain(t.after[0], "INPUT")->n_rules, ==, 1);
        assert_S(&v4, "-P INPUT ACCEPT\n-P FORWARD ACCEPT\n-P OUTPUT ACCEPT\n"
                      "-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT\n"
                      "-A INPUT -p tcp -m tcp --dport 1999 -j ACCEPT\n");
        assert_S(&v6, "-P INPUT ACCEPT\n-P FORWARD ACCEPT\n-P OUTPUT ACCEPT\n");
        g_unlink(ss.other_lock);
}

/* Both families as one unit: both rewritten, or, when the IPv6 commit is
 * refused, IPv4 put back as it was. */
static void test_rewrite_both(void) {
        reset_tables();
        sh_ok("iptables-legacy -A INPUT -p udp --dport 5555 -j ACCEPT; iptables-legacy -Z");
        bs_nf_read_cache caches[2] = {};

        rewrite_state st = { .add_port = 80 };
        g_assert_cmpint(bs_nf_rewrite_both("filter", BS_FAMILY_MASK_BOTH, NULL, caches, rewrite_add, &st, NULL), ==, 0);
        g_assert_cmpuint(st.calls, ==, 2);
        assert_S(&v4, "-P INPUT ACCEPT\n-P FORWARD ACCEPT\n-P OUTPUT ACCEPT\n"
                      "-A INPUT -p udp -m udp --dport 5555 -j ACCEPT\n"
                      "-A INPUT -p tcp -m tcp --dport 80 -j ACCEPT\n");
        assert_S(&v6, "-P INPUT ACCEPT\n-P FORWARD ACCEPT\n-P OUTPUT ACCEPT\n"
                      "-A INPUT -p tcp -m tcp --dport 80 -j ACCEPT\n");
        read_cached_checked(&v4, &caches[0]);
        read_cached_checked(&v6, &caches[1]);

        /* the kernel refuses the IPv6 rule: IPv4 goes first, is
         * committed, then put back when IPv6 is refused */
        sh_ok("iptables-legacy -D INPUT 2; ip6tables-legacy -D INPUT 1");
        send_udp(BS_FAMILY_IPV4, 5555, 5, 1);
        g_autofree char *before4 = save(&v4, "filter");
        g_autofree char *before6 = save(&v6, "filter");
        g_assert_nonnull(strstr(before4, "[5:145] -A INPUT -p udp -m udp --dport 5555 -j ACCEPT"));
        unsigned commits = 0;
        bs_nf_options o = counting_commits(&commits);
        st = (rewrite_state) { .add_port = 81, .bad_match = true };
        int r = bs_nf_rewrite_both("filter", BS_FAMILY_MASK_BOTH, &o, caches, rewrite_add, &st, NULL);
        g_assert_cmpint(r, ==, -EOPNOTSUPP);
        g_assert_cmpuint(commits, ==, 3); /* IPv4, IPv6 refused, IPv4 put back */
        assert_saved_still(before4, before6);
        bs_nf_read_cache_done(&caches[0]);
        bs_nf_read_cache_done(&caches[1]);
}

/* The retry also covers a change made with libiptc itself, and applies to
 * restore and zero. */
static void append_with_libiptc(void *userdata) {
        unsigned *calls = userdata;
        if ((*calls)++ > 0)
                return;
        struct xtc_handle *h = iptc_init("filter");
        g_assert_nonnull(h);
        struct {
                struct ipt_entry e;
                struct xt_standard_target t;
        } entry = {};
        entry.e.target_offset = sizeof(entry.e);
        entry.e.next_offset = sizeof(entry);
        entry.t.target.u.target_size = XT_ALIGN(sizeof(entry.t));
        g_strlcpy(entry.t.target.u.user.name, "DROP", sizeof(entry.t.target.u.user.name));
        static const xt_chainlabel output = "OUTPUT";
        g_assert_true(iptc_append_entry(output, &entry.e, h));
        g_assert_true(iptc_commit(h));
        iptc_free(h);
}

static void test_retry_libiptc(void) {
        reset_tables();
        _cleanup_table_ bs_table *empty = read_table(BS_FAMILY_IPV4, "filter");
        sh_ok("iptables-legacy -A INPUT -j ACCEPT");

        unsigned calls = 0;
        bs_nf_options o = BS_NF_OPTIONS_DEFAULT;
        o.before_commit = append_with_libiptc;
        o.userdata = &calls;
        g_assert_cmpint(bs_nf_restore(empty, &o), ==, 0);
        g_assert_cmpuint(calls, ==, 2);
        /* the restore was redone on the table with their rule: the snapshot wins */
        assert_S(&v4, "-P INPUT ACCEPT\n-P FORWARD ACCEPT\n-P OUTPUT ACCEPT\n");

        sh_ok("iptables-legacy -A INPUT -j ACCEPT");
        calls = 0;
        g_assert_cmpint(bs_nf_zero(BS_FAMILY_IPV4, "filter", NULL, &o), ==, 0);
        g_assert_cmpuint(calls, ==, 2);
        assert_S(&v4, "-P INPUT ACCEPT\n-P FORWARD ACCEPT\n-P OUTPUT ACCEPT\n-A INPUT -j ACCEPT\n-A OUTPUT -j DROP\n");
}

/* ----------------------------------------------------------- apply both */

/* ------------------------------------------------- commit without libiptc */

/* Before each commit: datagrams to an untouched rule, counted by the old
 * table between the read and the replace. */
typedef struct hook_sends {
        unsigned calls;
        bs_family families[2];
        size_t n_families;
} hook_sends;

static void send_before_commit(void *userdata) {
        hook_sends *hs = userdata;
        hs->calls++;
        for (size_t i = 0; i < hs->n_families; i++)
                send_udp(hs->families[i], 7001, 4, 10);
}

#define RAW_SETUP                                                                                         \
        "%1$s -P FORWARD DROP; %1$s -N zeta; %1$s -N alpha; "                                              \
        "%1$s -A INPUT -p udp --dport 7001 -j ACCEPT; %1$s -A INPUT -p udp --dport 7002 -j alpha; "        \
        "%1$s -A INPUT -p tcp --dport 25 -g zeta; %1$s -A INPUT -p tcp --dport 26; "                       \
        "%1$s -A INPUT -m comment --comment 'kept as is' -j LOG --log-prefix 'bs: '; "                     \
        "%1$s -A alpha -p udp -j RETURN; %1$s -A zeta -p tcp --dport 27 -j REJECT; "                       \
        "%1$s -A zeta -p tcp --dport 28 -j DROP; "                                                         \
        "%1$s -A OUTPUT -p tcp -m multiport --dports 1,2,3:5 -j ACCEPT; %1$s -Z"

/* An apply on the cached table is committed without libiptc: the table
 * the iptables CLI makes of the same changes, byte for byte (the cache's
 * key, built from what we handed the kernel, matches the entries libiptc
 * wrote); untouched rules keep their counters up to the very replace, new
 * ones start at 0; a refusal of the kernel leaves the table as it was. */
static void test_raw_commit(gconstpointer data) {
        const family_case *f = data;
        const char *c = f->cli;
        unsigned per_packet = (f->family == BS_FAMILY_IPV6 ? 48 : 28) + 10;
        int slot = f->family == BS_FAMILY_IPV4 ? 0 : 1;
        reset_tables();
        sh_ok(RAW_SETUP, c);
        send_udp(f->family, 7001, 2, 10);
        send_udp(f->family, 7002, 3, 10);
        bs_nf_read_cache caches[2] = {};
        bs_nf_read_cache *cache = &caches[slot];
        read_cached_checked(f, cache);

        changes cs = {};
        add_rule(&cs, BS_CHANGE_INSERT, f->family, "INPUT", 1, IPPROTO_TCP, 80, BS_TARGET_ACCEPT, NULL);
        add_rule(&cs, BS_CHANGE_APPEND, f->family, "alpha", 0, IPPROTO_UDP, 53, BS_TARGET_DROP, NULL);
        add(&cs, BS_CHANGE_DELETE_NUM, bs_family_mask(f->family), "zeta", 2);
        add(&cs, BS_CHANGE_NEW_CHAIN, bs_family_mask(f->family), "mid", 0);
        add_rule(&cs, BS_CHANGE_APPEND, f->family, "INPUT", 0, IPPROTO_UDP, 7003, BS_TARGET_JUMP, "mid");
        add_rule(&cs, BS_CHANGE_APPEND, f->family, "mid", 0, IPPROTO_TCP, 443, BS_TARGET_ACCEPT, NULL);
        add(&cs, BS_CHANGE_POLICY, bs_family_mask(f->family), "FORWARD", 0)->policy = BS_POLICY_ACCEPT;
        hook_sends hs = { .families = { f->family }, .n_families = 1 };
        bs_nf_options o = BS_NF_OPTIONS_DEFAULT;
        o.before_commit = send_before_commit;
        o.userdata = &hs;
        g_assert_cmpint(bs_nf_apply_both("filter", cs.items, cs.n, BS_FAMILY_MASK_BOTH, &o, caches, NULL, NULL, NULL),
                        ==, 0);
        changes_clear(&cs);
        g_assert_cmpuint(hs.calls, ==, 1);
        g_assert_true(cache->raw_committed);

        /* counters: the 4 datagrams of the hook came after the read */
        g_autofree char *counted = save(f, "filter");
        g_autofree char *kept = g_strdup_printf("[6:%u] -A INPUT -p udp -m udp --dport 7001 -j ACCEPT", 6 * per_packet);
        g_autofree char *jumped = g_strdup_printf("[3:%u] -A INPUT -p udp -m udp --dport 7002 -j alpha", 3 * per_packet);
        g_assert_nonnull(strstr(counted, kept));
        g_assert_nonnull(strstr(counted, jumped));
        g_assert_nonnull(strstr(counted, "[0:0] -A INPUT -p tcp -m tcp --dport 80 -j ACCEPT"));
        g_assert_nonnull(strstr(counted, "[0:0] -A mid -p tcp -m tcp --dport 443 -j ACCEPT"));
        /* the next read is told from the entries, and equals a fresh one */
        const bs_table *ours = read_cached_checked(f, cache);
        g_assert_cmpuint(cache->fast_hits, ==, 1);
        uint64_t generation = cache->generation;

        /* the oracle: the same changes through the iptables CLI */
        g_autofree char *ours_S = sh("%s -S", c);
        reset_tables();
        sh_ok(RAW_SETUP, c);
        sh_ok("%1$s -I INPUT 1 -p tcp --dport 80 -j ACCEPT; %1$s -A alpha -p udp --dport 53 -j DROP; "
              "%1$s -D zeta 2; %1$s -N mid; %1$s -A INPUT -p udp --dport 7003 -j mid; "
              "%1$s -A mid -p tcp --dport 443 -j ACCEPT; %1$s -P FORWARD ACCEPT",
              c);
        g_autofree char *theirs_S = sh("%s -S", c);
        g_assert_cmpstr(ours_S, ==, theirs_S);
        /* byte for byte, jump and fall-through offsets included: the kept
         * table still answers, under the same generation */
        g_assert_true(read_cached_checked(f, cache) == ours);
        g_assert_cmpuint(cache->generation, ==, generation);
        g_assert_cmpuint(cache->fast_hits, ==, 2);

        /* the kernel refuses a rule (no such match): nothing changes */
        g_autofree char *before = save(f, "filter");
        bs_change *bad = add_rule(&cs, BS_CHANGE_APPEND, f->family, "INPUT", 0, IPPROTO_TCP, 81, BS_TARGET_ACCEPT, NULL);
        add_unknown_match(&bad->rule);
        g_assert_cmpint(bs_nf_apply_both("filter", cs.items, cs.n, BS_FAMILY_MASK_BOTH, NULL, caches, NULL, NULL, NULL),
                        ==, -EOPNOTSUPP);
        changes_clear(&cs);
        g_assert_cmpuint(cache->fast_hits, ==, 3); /* staged on the cached table */
        g_autofree char *after = save(f, "filter");
        g_assert_cmpstr(after, ==, before);
        bs_nf_read_cache_done(&caches[0]);
        bs_nf_read_cache_done(&caches[1]);
}

/* Both families staged on their cached tables: IPv4 is committed without
 * libiptc, the kernel refuses IPv6's rule, and IPv4 is put back as it was,
 * counters included. */
static void test_raw_ipv6_refused(void) {
        reset_tables();
        sh_ok("iptables-legacy -A INPUT -p udp --dport 5555 -j ACCEPT; "
              "ip6tables-legacy -A INPUT -p udp --dport 5555 -j ACCEPT");
        send_udp(BS_FAMILY_IPV4, 5555, 3, 10);
        bs_nf_read_cache caches[2] = {};
        read_cached_checked(&v4, &caches[0]);
        read_cached_checked(&v6, &caches[1]);
        uint64_t hits6 = caches[1].fast_hits;
        g_autofree char *before4 = save(&v4, "filter");
        g_autofree char *before6 = save(&v6, "filter");
        g_assert_nonnull(strstr(before4, "[3:114] -A INPUT -p udp -m udp --dport 5555 -j ACCEPT"));

        changes cs = {};
        add_rule(&cs, BS_CHANGE_APPEND, BS_FAMILY_IPV4, "INPUT", 0, IPPROTO_TCP, 80, BS_TARGET_ACCEPT, NULL);
        add_refused_ipv6(&cs, 80);
        unsigned commits = 0;
        bs_nf_options o = counting_commits(&commits);
        g_assert_cmpint(bs_nf_apply_both("filter", cs.items, cs.n, BS_FAMILY_MASK_BOTH, &o, caches, NULL, NULL, NULL),
                        ==, -EOPNOTSUPP);
        changes_clear(&cs);
        g_assert_cmpuint(commits, ==, 3); /* IPv4, IPv6 refused, IPv4 put back */
        g_assert_cmpuint(caches[1].fast_hits, ==, hits6 + 1); /* IPv6 staged without libiptc too */
        g_assert_null(caches[0].table); /* IPv4's entry dropped: the table was rewritten */
        assert_saved_still(before4, before6);
        bs_nf_read_cache_done(&caches[0]);
        bs_nf_read_cache_done(&caches[1]);
}

/* libiptc_only: the same steps through libiptc, with the cache as warm,
 * to the same table. */
static void test_libiptc_only(gconstpointer data) {
        const family_case *f = data;
        bs_nf_read_cache caches[2] = {};
        bs_nf_read_cache *cache = &caches[f->family == BS_FAMILY_IPV4 ? 0 : 1];
        char *results[2] = {};
        for (int w = 0; w < 2; w++) {
                reset_tables();
                sh_ok(RAW_SETUP, f->cli);
                read_cached_checked(f, cache);
                changes cs = {};
                add_rule(&cs, BS_CHANGE_INSERT, f->family, "INPUT", 1, IPPROTO_TCP, 80, BS_TARGET_GOTO, "zeta");
                add(&cs, BS_CHANGE_DELETE_NUM, bs_family_mask(f->family), "alpha", 1);
                bs_nf_options o = BS_NF_OPTIONS_DEFAULT;
                o.libiptc_only = w == 1;
                g_assert_cmpint(bs_nf_apply_both("filter", cs.items, cs.n, BS_FAMILY_MASK_BOTH, &o, caches, NULL, NULL,
                                                 NULL),
                                ==, 0);
                changes_clear(&cs);
                g_assert_cmpint(cache->raw_committed, ==, w == 0);
                results[w] = sh("%s -S", f->cli);
                rewrite_state st = { .add_port = 81 };
                g_assert_cmpint(bs_nf_rewrite_both("filter", bs_family_mask(f->family), &o, caches, rewrite_add, &st,
                                                   NULL),
                                ==, 0);
                g_assert_cmpint(cache->raw_committed, ==, w == 0);
                read_cached_checked(f, cache);
        }
        g_assert_cmpstr(results[0], ==, results[1]);
        g_assert_nonnull(strstr(results[0], "-A INPUT -p tcp -m tcp --dport 80 -g zeta\n"));
        g_free(results[0]);
        g_free(results[1]);
        bs_nf_read_cache_done(&caches[0]);
        bs_nf_read_cache_done(&caches[1]);
}

/* A table whose user chains are not in name order: iptables before 1.4
 * could leave one (the chain created last went last), and only a program
 * other than libiptc writes one now. libiptc sorts the chains as it parses
 * them; the raw reader must list them in the same order, so that its key
 * is the one a libiptc handle gives (a read through libiptc, then a raw
 * one, is a fast hit), and decode the same table. The test writes such a
 * table itself: the kernel's entries with the two user chains' blocks
 * swapped and every offset into them moved along. */
static uint32_t swapped_offset(uint32_t v, uint32_t a, uint32_t b, uint32_t c) {
        if (v >= a && v < b)
                return v + (c - b);
        if (v >= b && v < c)
                return v - (b - a);
        return v;
}

/* The offsets of the ERROR heads of alpha and beta and of the table's end. */
static void user_chain_heads(const uint8_t *base, uint32_t size, uint32_t *alpha, uint32_t *beta, uint32_t *end) {
        *alpha = *beta = *end = UINT32_MAX;
        for (uint32_t off = 0; off < size;) {
                const struct ipt_entry *e = (const struct ipt_entry *) (base + off);
                const struct xt_entry_target *t = (const struct xt_entry_target *) (base + off + e->target_offset);
                if (streq(t->u.user.name, XT_ERROR_TARGET)) {
                        const char *name = (const char *) t->data;
                        *(streq(name, "alpha") ? alpha : streq(name, "beta") ? beta : end) = off;
                }
                off += e->next_offset;
        }
}

static void test_raw_unsorted_chains(void) {
        reset_tables();
        sh_ok("%1$s -N alpha; %1$s -N beta; %1$s -A INPUT -p tcp --dport 1 -j alpha; "
              "%1$s -A INPUT -p tcp --dport 2 -g beta; %1$s -A alpha -p udp -j beta; %1$s -A alpha -p tcp; "
              "%1$s -A alpha -j RETURN; %1$s -A beta -p tcp --dport 3 -j ACCEPT",
              v4.cli);
        g_autofree char *listed = sh("%s -S", v4.cli);

        int fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
        g_assert_cmpint(fd, >=, 0);
        struct ipt_getinfo info = { .name = "filter" };
        socklen_t len = sizeof(info);
        g_assert_cmpint(getsockopt(fd, IPPROTO_IP, IPT_SO_GET_INFO, &info, &len), ==, 0);
        struct ipt_get_entries *get = g_malloc0(sizeof(*get) + info.size);
        strcpy(get->name, "filter");
        get->size = info.size;
        len = (socklen_t) (sizeof(*get) + info.size);
        g_assert_cmpint(getsockopt(fd, IPPROTO_IP, IPT_SO_GET_ENTRIES, get, &len), ==, 0);
        const uint8_t *base = (const uint8_t *) get->entrytable;
        uint32_t a, b, c;
        user_chain_heads(base, info.size, &a, &b, &c);
        g_assert_true(a < b && b < c && c < info.size); /* as libiptc wrote it */

        size_t rlen = sizeof(struct ipt_replace) + info.size;
        struct ipt_replace *rep = g_malloc0(rlen);
        strcpy(rep->name, "filter");
        rep->valid_hooks = info.valid_hooks;
        rep->num_entries = info.num_entries;
        rep->size = info.size;
        memcpy(rep->hook_entry, info.hook_entry, sizeof(info.hook_entry));
        memcpy(rep->underflow, info.underflow, sizeof(info.underflow));
        rep->num_counters = info.num_entries;
        struct xt_counters *old = g_new0(struct xt_counters, info.num_entries);
        rep->counters = old;
        uint8_t *out = (uint8_t *) rep->entries;
        memcpy(out, base, a);
        memcpy(out + a, base + b, c - b);
        memcpy(out + a + (c - b), base + a, b - a);
        memcpy(out + c, base + c, info.size - c);
        for (uint32_t off = 0; off < info.size;) {
                struct ipt_entry *e = (struct ipt_entry *) (out + off);
                struct xt_entry_target *t = (struct xt_entry_target *) (out + off + e->target_offset);
                if (streq(t->u.user.name, XT_STANDARD_TARGET) && ((struct xt_standard_target *) t)->verdict >= 0) {
                        int *v = &((struct xt_standard_target *) t)->verdict;
                        *v = (int) swapped_offset((uint32_t) *v, a, b, c);
                }
                off += e->next_offset;
        }
        g_assert_cmpint(setsockopt(fd, IPPROTO_IP, IPT_SO_SET_REPLACE, rep, (socklen_t) rlen), ==, 0);
        g_free(old);
        g_free(rep);

        /* the kernel now has beta first; libiptc still lists the same */
        len = (socklen_t) (sizeof(*get) + info.size);
        g_assert_cmpint(getsockopt(fd, IPPROTO_IP, IPT_SO_GET_ENTRIES, get, &len), ==, 0);
        uint32_t a2, b2, c2;
        user_chain_heads((const uint8_t *) get->entrytable, info.size, &a2, &b2, &c2);
        g_assert_true(b2 < a2 && a2 < c2);
        g_free(get);
        close(fd);
        g_autofree char *relisted = sh("%s -S", v4.cli);
        g_assert_cmpstr(relisted, ==, listed);

        bs_nf_read_cache caches[2] = {};
        bs_nf_options o = BS_NF_OPTIONS_DEFAULT;
        o.libiptc_only = true;
        read_cached_checked_with(&v4, &caches[0], &o); /* keyed from libiptc's handle */
        g_assert_false(caches[0].raw_decoded);
        read_cached_checked(&v4, &caches[0]);
        g_assert_cmpuint(caches[0].fast_hits, ==, 1); /* the raw reader's order is libiptc's */
        bs_nf_read_cache fresh = {};
        read_cached_checked(&v4, &fresh); /* decoded raw: libiptc's table (checked), its key */
        g_assert_true(fresh.raw_decoded);
        g_assert_cmpmem(fresh.key, fresh.key_len, caches[0].key, caches[0].key_len);
        bs_nf_read_cache_done(&fresh);

        /* A change committed without libiptc lays the chains out in order
         * again, as libiptc writes them: save | restore keeps every byte. */
        changes cs = {};
        add_rule(&cs, BS_CHANGE_APPEND, BS_FAMILY_IPV4, "alpha", 0, IPPROTO_TCP, 4, BS_TARGET_JUMP, "beta");
        g_assert_cmpint(bs_nf_apply_both("filter", cs.items, cs.n, BS_FAMILY_MASK_IPV4, NULL, caches, NULL, NULL, NULL),
                        ==, 0);
        changes_clear(&cs);
        g_assert_true(caches[0].raw_committed);
        uint64_t generation = caches[0].generation;
        sh_ok("%s -t filter | %s-restore", v4.save, v4.cli);
        read_cached_checked(&v4, &caches[0]);
        g_assert_cmpuint(caches[0].generation, ==, generation);
        g_autofree char *after = sh("%s -S alpha", v4.cli);
        g_assert_cmpstr(after, ==, "-N alpha\n-A alpha -p udp -j beta\n-A alpha -p tcp\n-A alpha -j RETURN\n"
                                   "-A alpha -p tcp -m tcp --dport 4 -j beta\n");
        bs_nf_read_cache_done(&caches[0]);
        bs_nf_read_cache_done(&caches[1]);
}

/* A rewrite (the rollback's step) on the cached tables is committed
 * without libiptc too, each rule it keeps with its counters up to the
 * replace. */
static void test_raw_rewrite(void) {
        reset_tables();
        const family_case *fs[] = { &v4, &v6 };
        bs_nf_read_cache caches[2] = {};
        for (int i = 0; i < 2; i++) {
                sh_ok("%1$s -A INPUT -p udp --dport 7001 -j ACCEPT; %1$s -A INPUT -p tcp --dport 22 -j ACCEPT; %1$s -Z",
                      fs[i]->cli);
                send_udp(fs[i]->family, 7001, 2, 10);
                read_cached_checked(fs[i], &caches[i]);
        }
        hook_sends hs = { .families = { BS_FAMILY_IPV4, BS_FAMILY_IPV6 }, .n_families = 2 };
        bs_nf_options o = BS_NF_OPTIONS_DEFAULT;
        o.before_commit = send_before_commit;
        o.userdata = &hs;
        rewrite_state st = { .add_port = 80 };
        g_assert_cmpint(bs_nf_rewrite_both("filter", BS_FAMILY_MASK_BOTH, &o, caches, rewrite_add, &st, NULL), ==, 0);
        g_assert_cmpuint(hs.calls, ==, 2);
        for (int i = 0; i < 2; i++) {
                g_assert_true(caches[i].raw_committed);
                /* 2 before the read, 4 before each of the two commits */
                unsigned per_packet = (fs[i]->family == BS_FAMILY_IPV6 ? 48 : 28) + 10;
                g_autofree char *counted = save(fs[i], "filter");
                g_autofree char *kept = g_strdup_printf("[10:%u] -A INPUT -p udp -m udp --dport 7001 -j ACCEPT",
                                                        10 * per_packet);
                g_assert_nonnull(strstr(counted, kept));
                g_assert_nonnull(strstr(counted, "[0:0] -A INPUT -p tcp -m tcp --dport 22 -j ACCEPT\n"
                                                 "[0:0] -A INPUT -p tcp -m tcp --dport 80 -j ACCEPT\n"));
                read_cached_checked(fs[i], &caches[i]);
                g_assert_cmpuint(caches[i].fast_hits, ==, 1);
        }
        bs_nf_read_cache_done(&caches[0]);
        bs_nf_read_cache_done(&caches[1]);
}

/* Random change sets on the cached table, each committed without libiptc,
 * each result compared byte for byte with what libiptc writes for the same
 * table: iptables-legacy-save piped into iptables-legacy-restore rewrites
 * it through libiptc, and the cache, keyed from our blob, must still hit.
 * A refused set (a loop, a chain in use, a position out of range) leaves
 * the table as it was. BACKSTOP_SEED replays a run. */
static const char *const random_user_chains[] = { "a1", "b2", "m", "zz", "chain_x" };

/* The user chains a change set has made or kept so far. */
typedef struct chain_names {
        const char *names[G_N_ELEMENTS(random_user_chains)];
        size_t n;
} chain_names;

static void chain_names_drop(chain_names *cn, size_t i) {
        cn->names[i] = cn->names[--cn->n];
}

static void random_rule(GRand *rnd, bs_change *c, bs_family f, const chain_names *cn) {
        static const bs_target_kind targets[] = { BS_TARGET_NONE, BS_TARGET_ACCEPT, BS_TARGET_DROP,
                                                  BS_TARGET_RETURN, BS_TARGET_QUEUE, BS_TARGET_JUMP,
                                                  BS_TARGET_GOTO };
        bs_target_kind target = targets[g_rand_int_range(rnd, 0, G_N_ELEMENTS(targets))];
        const char *to = NULL;
        if (target == BS_TARGET_JUMP || target == BS_TARGET_GOTO) {
                if (cn->n == 0)
                        target = BS_TARGET_ACCEPT;
                else
                        to = cn->names[g_rand_int_range(rnd, 0, (gint32) cn->n)];
        }
        port_rule(&c->rule, f, g_rand_boolean(rnd) ? IPPROTO_TCP : IPPROTO_UDP,
                  (uint16_t) g_rand_int_range(rnd, 1, 65536), target, to);
        if (g_rand_int_range(rnd, 0, 4) == 0) {
                bs_match *m = bs_rule_add_match(&c->rule, BS_MATCH_COMMENT);
                g_assert_nonnull(m);
                g_snprintf(m->comment, sizeof(m->comment), "note %u", g_rand_int_range(rnd, 0, 100000));
        }
}

/* A built-in chain, or one of the user chains there are. */
static const char *random_chain(GRand *rnd, const chain_names *cn) {
        static const char *const builtins[] = { "INPUT", "FORWARD", "OUTPUT" };
        if (cn->n > 0 && g_rand_boolean(rnd))
                return cn->names[g_rand_int_range(rnd, 0, (gint32) cn->n)];
        return builtins[g_rand_int_range(rnd, 0, G_N_ELEMENTS(builtins))];
}

static void test_raw_commit_random(gconstpointer data) {
        const family_case *f = data;
        const char *s = g_getenv("BACKSTOP_SEED");
        guint32 seed = s ? (guint32) g_ascii_strtoull(s, NULL, 10) : (guint32) g_random_int();
        g_test_message("seed %u (replay with BACKSTOP_SEED=%u)", seed, seed);
        g_autoptr(GRand) rnd = g_rand_new_with_seed(seed);
        unsigned mask = bs_family_mask(f->family);
        reset_tables();
        bs_nf_read_cache caches[2] = {};
        bs_nf_read_cache *cache = &caches[f->family == BS_FAMILY_IPV4 ? 0 : 1];
        unsigned committed = 0, refused = 0;
        for (unsigned round = 0; round < 80; round++) {
                const bs_table *now = read_cached_checked(f, cache);
                chain_names cn = {};
                for (size_t i = 0; i < now->n_chains; i++)
                        if (!now->chains[i].builtin)
                                cn.names[cn.n++] = now->chains[i].name;
                g_autofree char *before = save(f, "filter");
                changes cs = {};
                unsigned n = (unsigned) g_rand_int_range(rnd, 1, 9);
                for (unsigned i = 0; i < n; i++) {
                        switch (g_rand_int_range(rnd, 0, 12)) {
                        case 0:
                        case 1: {
                                const char *name = random_user_chains[g_rand_int_range(rnd, 0, G_N_ELEMENTS(random_user_chains))];
                                bool there = false;
                                for (size_t k = 0; k < cn.n; k++)
                                        there |= streq(cn.names[k], name);
                                add(&cs, BS_CHANGE_NEW_CHAIN, mask, name, 0);
                                if (!there)
                                        cn.names[cn.n++] = name;
                                break;
                        }
                        case 2:
                                if (cn.n > 0) {
                                        size_t k = (size_t) g_rand_int_range(rnd, 0, (gint32) cn.n);
                                        add(&cs, g_rand_boolean(rnd) ? BS_CHANGE_DELETE_CHAIN : BS_CHANGE_FLUSH, mask,
                                            cn.names[k], 0);
                                        if (cs.items[cs.n - 1].kind == BS_CHANGE_DELETE_CHAIN)
                                                chain_names_drop(&cn, k);
                                }
                                break;
                        case 3:
                                add(&cs, BS_CHANGE_DELETE_NUM, mask, random_chain(rnd, &cn), 1);
                                break;
                        case 4:
                                add(&cs, BS_CHANGE_POLICY, mask, random_chain(rnd, &(chain_names) {}), 0)->policy =
                                        g_rand_boolean(rnd) ? BS_POLICY_DROP : BS_POLICY_ACCEPT;
                                break;
                        case 5:
                        case 6:
                                random_rule(rnd, add(&cs, BS_CHANGE_INSERT, mask, random_chain(rnd, &cn), 1), f->family,
                                            &cn);
                                break;
                        default:
                                random_rule(rnd, add(&cs, BS_CHANGE_APPEND, mask, random_chain(rnd, &cn), 0), f->family,
                                            &cn);
                                break;
                        }
                }
                if (cs.n == 0)
                        continue;
                uint64_t hits_before = cache->fast_hits;
                int r = bs_nf_apply_both("filter", cs.items, cs.n, BS_FAMILY_MASK_BOTH, NULL, caches, NULL, NULL, NULL);
                changes_clear(&cs);
                if (r < 0) {
                        /* staged on the cached table, without libiptc */
                        g_assert_cmpuint(cache->fast_hits, ==, hits_before + 1);
                        refused++;
                        g_autofree char *after = save(f, "filter");
                        g_assert_cmpstr(after, ==, before);
                        continue;
                }
                committed++;
                g_assert_true(cache->raw_committed);
                uint64_t generation = cache->generation;
                sh_ok("%1$s -t filter | %2$s-restore", f->save, f->cli);
                read_cached_checked(f, cache);
                g_assert_cmpuint(cache->generation, ==, generation); /* the same bytes */
                /* decoded afresh from those entries: the table libiptc
                 * reads (checked), under the key of our blob */
                bs_nf_read_cache fresh = {};
                read_cached_checked(f, &fresh);
                g_assert_true(fresh.raw_decoded);
                g_assert_cmpmem(fresh.key, fresh.key_len, cache->key, cache->key_len);
                bs_nf_read_cache_done(&fresh);
        }
        g_test_message("%u sets committed, %u refused", committed, refused);
        /* about 40 % of the sets are committed (22-32 of 60 in 12 runs) */
        g_assert_cmpuint(committed, >=, 15);
        bs_nf_read_cache_done(&caches[0]);
        bs_nf_read_cache_done(&caches[1]);
}

static void test_apply_both(void) {
        reset_tables();
        changes cs = {};
        add(&cs, BS_CHANGE_NEW_CHAIN, BS_FAMILY_MASK_BOTH, "svc", 0);
        add_rule(&cs, BS_CHANGE_APPEND, BS_FAMILY_IPV4, "INPUT", 0, IPPROTO_TCP, 22, BS_TARGET_JUMP, "svc");
        add_rule(&cs, BS_CHANGE_APPEND, BS_FAMILY_IPV6, "INPUT", 0, IPPROTO_TCP, 22, BS_TARGET_JUMP, "svc");
        add(&cs, BS_CHANGE_POLICY, BS_FAMILY_MASK_BOTH, "FORWARD", 0)->policy = BS_POLICY_DROP;
        g_assert_cmpint(bs_nf_apply_both("filter", cs.items, cs.n, BS_FAMILY_MASK_BOTH, NULL, NULL, NULL, NULL, NULL), ==, 0);
        changes_clear(&cs);
        const char *expect = "-P INPUT ACCEPT\n-P FORWARD DROP\n-P OUTPUT ACCEPT\n-N svc\n"
                             "-A INPUT -p tcp -m tcp --dport 22 -j svc\n";
        assert_S(&v4, expect);
        assert_S(&v6, expect);
}

/* The IPv6 commit is refused by the kernel (a match it has no module
 * for): IPv4, already committed, goes back to what it was, counters
 * included. */
static void test_apply_both_rollback(void) {
        reset_tables();
        sh_ok("iptables-legacy -A INPUT -p udp --dport 5555 -j ACCEPT; iptables-legacy -Z");
        send_udp(BS_FAMILY_IPV4, 5555, 5, 1);
        g_autofree char *before4 = save(&v4, "filter");
        g_autofree char *before6 = save(&v6, "filter");

        changes cs = {};
        add(&cs, BS_CHANGE_POLICY, BS_FAMILY_MASK_BOTH, "INPUT", 0)->policy = BS_POLICY_DROP;
        add_rule(&cs, BS_CHANGE_INSERT, BS_FAMILY_IPV4, "INPUT", 1, IPPROTO_TCP, 22, BS_TARGET_ACCEPT, NULL);
        add_refused_ipv6(&cs, 22);

        unsigned commits = 0;
        bs_nf_options o = counting_commits(&commits);
        g_assert_cmpint(bs_nf_apply_both("filter", cs.items, cs.n, BS_FAMILY_MASK_BOTH, &o, NULL, NULL, NULL, NULL), ==, -EOPNOTSUPP);
        changes_clear(&cs);
        /* IPv4 committed, IPv6 refused, IPv4 restored */
        g_assert_cmpuint(commits, ==, 3);

        assert_saved_still(before4, before6); /* counters included: */
        g_assert_nonnull(strstr(before4, "[5:145] -A INPUT -p udp -m udp --dport 5555 -j ACCEPT"));
}

/* ------------------------------------------------------------- restore */

static void test_restore(gconstpointer data) {
        const family_case *f = data;
        const char *c = f->cli;
        reset_tables();
        sh_ok("%1$s -P INPUT DROP; %1$s -P FORWARD DROP; %1$s -N alpha; %1$s -N beta; "
              "%1$s -A INPUT -j alpha; %1$s -A INPUT -m recent --name seen --set; "
              "%1$s -A INPUT -p tcp -m string --algo bm --string hello -j DROP; "
              "%1$s -A INPUT -i lo -j ACCEPT; "
              "%1$s -A alpha -p udp --dport 5555 -j beta; %1$s -A beta -j RETURN; "
              "%1$s -t mangle -N tagged; %1$s -t mangle -A PREROUTING -j MARK --set-mark 0x1; "
              "%1$s -t mangle -A tagged -j RETURN; %1$s -Z; %1$s -t mangle -Z",
              c);
        send_udp(f->family, 5555, 3, 7);

        _cleanup_table_ bs_table *snap = read_table(f->family, "filter");
        _cleanup_table_ bs_table *snap_mangle = read_table(f->family, "mangle");
        g_autofree char *text = save(f, "filter");
        g_autofree char *text_mangle = save(f, "mangle");
        g_assert_nonnull(strstr(text, "-m recent"));
        g_assert_nonnull(strstr(text, "-m string"));
        g_assert_nonnull(strstr(text_mangle, "-j MARK"));

        /* change everything */
        sh_ok("%1$s -F; %1$s -X; %1$s -P INPUT ACCEPT; %1$s -N gamma; %1$s -N alpha; %1$s -A gamma -j DROP; "
              "%1$s -A INPUT -j gamma; %1$s -A OUTPUT -p tcp --dport 1 -j ACCEPT; "
              "%1$s -t mangle -F; %1$s -t mangle -X; %1$s -t mangle -A POSTROUTING -j MARK --set-mark 2",
              c);
        send_udp(f->family, 5555, 2, 1);
        g_autofree char *changed = save(f, "filter");
        g_assert_cmpstr(changed, !=, text);

        g_assert_cmpint(bs_nf_restore(snap, NULL), ==, 0);
        g_assert_cmpint(bs_nf_restore(snap_mangle, NULL), ==, 0);

        /* exactly the snapshot: rules, chains, policies and every counter */
        g_autofree char *now = save(f, "filter");
        g_autofree char *now_mangle = save(f, "mangle");
        g_assert_cmpstr(now, ==, text);
        g_assert_cmpstr(now_mangle, ==, text_mangle);
        _cleanup_table_ bs_table *again = read_table(f->family, "filter");
        _cleanup_table_ bs_table *again_mangle = read_table(f->family, "mangle");
        g_assert_true(bs_table_equal(again, snap));
        g_assert_true(bs_table_equal(again_mangle, snap_mangle));

        /* the restored rules work: the recent and string matches still match */
        send_udp(f->family, 5555, 1, 1);
        _cleanup_table_ bs_table *after = read_table(f->family, "filter");
        g_assert_cmpstr(rule_at(after, "INPUT", 1)->matches[0].opaque.name, ==, "recent");
        g_assert_cmpuint(rule_at(after, "INPUT", 1)->packets, ==, rule_at(snap, "INPUT", 1)->packets + 1);

        /* a snapshot of the other family, or with other built-ins: refused */
        g_autofree char *mangle_now = save(f, "mangle");
        bs_table *wrong = NULL;
        g_assert_cmpint(bs_table_copy(&wrong, snap), ==, 0);
        wrong->family = f->family == BS_FAMILY_IPV4 ? BS_FAMILY_IPV6 : BS_FAMILY_IPV4;
        g_assert_cmpint(bs_nf_restore(wrong, NULL), ==, -EAFNOSUPPORT);
        bs_table_free(wrong);
        g_assert_cmpint(bs_table_copy(&wrong, snap), ==, 0);
        g_strlcpy(wrong->name, "mangle", sizeof(wrong->name)); /* filter's built-ins on mangle */
        g_assert_cmpint(bs_nf_restore(wrong, NULL), ==, -EINVAL);
        bs_table_free(wrong);
        g_autofree char *unchanged = save(f, "mangle");
        g_assert_cmpstr(unchanged, ==, mangle_now);
}

/* ---------------------------------------------------------------- zero */

static void test_zero(gconstpointer data) {
        const family_case *f = data;
        reset_tables();
        sh_ok("%1$s -A INPUT -p udp --dport 5555 -j ACCEPT; %1$s -A OUTPUT -p udp --dport 5555 -j ACCEPT; "
              "%1$s -Z", f->cli);
        send_udp(f->family, 5555, 2, 0);
        send_udp(f->family, 5556, 3, 0);
        g_assert_cmpint(bs_nf_zero(f->family, "filter", "INPUT", NULL), ==, 0);
        _cleanup_table_ bs_table *t = read_table(f->family, "filter");
        g_assert_cmpuint(rule_at(t, "INPUT", 0)->packets, ==, 0);
        g_assert_cmpuint(t->chains[0].policy_packets, ==, 0);
        g_assert_cmpuint(rule_at(t, "OUTPUT", 0)->packets, ==, 2);
        g_assert_cmpuint(t->chains[2].policy_packets, ==, 3);

        g_assert_cmpint(bs_nf_zero(f->family, "filter", "nosuch", NULL), ==, -ENOENT);
        g_assert_cmpint(bs_nf_zero(f->family, "filter", NULL, NULL), ==, 0);
        g_autofree char *text = save(f, "filter");
        g_assert_null(strstr(text, "[2:"));
        g_assert_null(strstr(text, "[3:"));
        g_assert_nonnull(strstr(text, ":OUTPUT ACCEPT [0:0]"));
}

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
        g_assert_cmpint(bs_nf_nftables_filters_input(&found, &description), ==, 0);
        g_assert_false(found);
        g_assert_null(description);

        /* legacy tables do not count */
        sh_ok("%s -A INPUT -j ACCEPT", f->cli);
        g_assert_cmpint(bs_nf_nftables_filters_input(&found, NULL), ==, 0);
        g_assert_false(found);

        sh_ok("%s -A INPUT -j ACCEPT", f->family == BS_FAMILY_IPV6 ? "ip6tables-nft" : "iptables-nft");
        g_assert_cmpint(bs_nf_nftables_filters_input(&found, &description), ==, 0);
        g_assert_true(found);
        g_assert_nonnull(description);
        g_test_message("found: %s", description);
        g_assert_nonnull(strstr(description, f->family == BS_FAMILY_IPV6 ? "ip6 filter INPUT" : "ip filter INPUT"));
        free(description);
}

int main(int argc, char **argv) {
        g_test_init(&argc, &argv, NULL);

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
        g_free(sh("ip link set lo up"));

        const family_case *fs[] = { &v4, &v6 };
        for (size_t i = 0; i < G_N_ELEMENTS(fs); i++) {
                const char *n = fs[i]->family == BS_FAMILY_IPV6 ? "ipv6" : "ipv4";
#define ADD(path, fn)                                                                   \
        do {                                                                            \
                g_autofree char *p = g_strdup_printf("/nf/%s/" path, n);                \
                g_test_add_data_func(p, fs[i], fn);                                     \
        } while (0)
                ADD("read-legacy", test_read_legacy);
                ADD("read-cached", test_read_cached);
                ADD("read-cached-layout", test_read_cached_layout);
                ADD("apply-each-kind", test_apply_each_kind);
                ADD("apply-delete-by-value", test_apply_delete_by_value);
                ADD("apply-keeps-counters", test_apply_keeps_counters);
                ADD("apply-errors", test_apply_errors);
                ADD("apply-retry", test_apply_retry);
                ADD("apply-cached", test_apply_cached);
                ADD("raw-commit", test_raw_commit);
                ADD("raw-commit-random", test_raw_commit_random);
                ADD("libiptc-only", test_libiptc_only);
                ADD("rewrite", test_rewrite);
                ADD("restore", test_restore);
                ADD("zero", test_zero);
                ADD("nftables", test_nftables);
#undef ADD
        }
        g_test_add_func("/nf/retry-libiptc", test_retry_libiptc);
        g_test_add_func("/nf/apply-both", test_apply_both);
        g_test_add_func("/nf/apply-both-rollback", test_apply_both_rollback);
        g_test_add_func("/nf/apply-both-prepare", test_apply_both_prepare);
        g_test_add_func("/nf/rewrite-both", test_rewrite_both);
        g_test_add_func("/nf/raw-rewrite", test_raw_rewrite);
        g_test_add_func("/nf/raw-unsorted-chains", test_raw_unsorted_chains);
        g_test_add_func("/nf/raw-ipv6-refused", test_raw_ipv6_refused);
        g_test_add_func("/nf/apply-both-ipv4-stuck", test_apply_both_ipv4_stuck);
        g_test_add_func("/nf/lock/basics", test_lock_basics);
        g_test_add_func("/nf/lock/wait", test_lock_wait);

        int r = g_test_run();
        g_unlink(lock_path);
        return r;
}
