/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The backend choice (daemon/backend-choice.c) and the configuration file
 * (daemon/daemon-config.c), without root: fake alternatives links in a temp
 * dir (their targets files of their own), a fake /proc/net, and fake
 * backends whose read returns tables built here. The same choice against
 * the kernel's own rulesets is test-backend-kernel. */
#include <glib.h>
#include <glib/gstdio.h>
#include <sys/stat.h>

#include "backend-choice.h"
#include "daemon-config.h"

static char *tmpdir;

/* ----------------------------------------------------------- fake backends */

typedef struct fake_ruleset {
        int error;           /* what read returns, 0: the table below */
        size_t input_rules;  /* rules in INPUT */
        bs_policy input_policy;
        unsigned reads;
} fake_ruleset;

static fake_ruleset fake_legacy[2], fake_nft[2];

static int fake_read(fake_ruleset *set, bs_family family, const char *table, bs_table **ret) {
        fake_ruleset *fs = &set[family == BS_FAMILY_IPV6];
        fs->reads++;
        g_assert_cmpstr(table, ==, "filter");
        if (fs->error)
                return fs->error;
        bs_table *t = bs_table_new(family, "filter");
        g_assert_nonnull(t);
        bs_chain *input = NULL;
        g_assert_cmpint(bs_table_add_chain(t, "INPUT", true, fs->input_policy ? fs->input_policy : BS_POLICY_ACCEPT,
                                           &input), ==, 0);
        for (size_t i = 0; i < fs->input_rules; i++) {
                bs_rule r;
                bs_rule_init(&r, family);
                g_assert_cmpint(bs_chain_insert_rule(input, input->n_rules, &r), ==, 0);
        }
        g_assert_cmpint(bs_table_add_chain(t, "FORWARD", true, BS_POLICY_ACCEPT, NULL), ==, 0);
        g_assert_cmpint(bs_table_add_chain(t, "OUTPUT", true, BS_POLICY_ACCEPT, NULL), ==, 0);
        *ret = t;
        return 0;
}

static int fake_legacy_read(bs_family family, const char *table, const bs_nf_options *o, bs_table **ret) {
        return fake_read(fake_legacy, family, table, ret);
}

static int fake_nft_read(bs_family family, const char *table, const bs_nf_options *o, bs_table **ret) {
        return fake_read(fake_nft, family, table, ret);
}

static const bs_backend fake_legacy_backend = { .name = "fake-legacy", .read = fake_legacy_read };
static const bs_backend fake_nft_backend = { .name = "fake-nft", .read = fake_nft_read };

/* ------------------------------------------------------------------ files */

static char *path_in(const char *rel) {
        return g_build_filename(tmpdir, rel, NULL);
}

static void write_file(const char *rel, const char *content) {
        g_autofree char *p = path_in(rel);
        g_autofree char *dir = g_path_get_dirname(p);
        g_assert_cmpint(g_mkdir_with_parents(dir, 0755), ==, 0);
        g_autoptr(GError) error = NULL;
        g_assert_true(g_file_set_contents(p, content, -1, &error));
}

static void make_link(const char *rel, const char *target) {
        g_autofree char *p = path_in(rel);
        g_autofree char *dir = g_path_get_dirname(p);
        g_assert_cmpint(g_mkdir_with_parents(dir, 0755), ==, 0);
        (void) unlink(p);
        g_assert_cmpint(symlink(target, p), ==, 0);
}

/* A link to an absolute path in the temp dir */
static void make_link_in(const char *rel, const char *target_rel) {
        g_autofree char *target = path_in(target_rel);
        make_link(rel, target);
}

/* A fresh temp dir with the programs the links may point at; the fake
 * /proc/net lists both legacy filter tables. */
static void setup(void) {
        tmpdir = g_dir_make_tmp("backstop-choice-XXXXXX", NULL);
        g_assert_nonnull(tmpdir);
        write_file("bin/xtables-nft-multi", "");
        write_file("bin/xtables-legacy-multi", "");
        write_file("bin/iptables", ""); /* a program, not a link: says nothing */
        make_link("bin/iptables-nft", "xtables-nft-multi");
        make_link("bin/iptables-legacy", "xtables-legacy-multi");
        write_file("proc/ip_tables_names", "nat\nfilter\n");
        write_file("proc/ip6_tables_names", "filter\n");
        memset(fake_legacy, 0, sizeof(fake_legacy));
        memset(fake_nft, 0, sizeof(fake_nft));
}

static void teardown(void) {
        g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", tmpdir);
        g_assert_cmpint(system(cmd), ==, 0);
        g_clear_pointer(&tmpdir, g_free);
}

/* The probe: links (relative to tmpdir, ':'-separated) tried in order */
static void probe_for(bs_backend_probe *p, const char *links) {
        static char links_buf[4096], proc_buf[PATH_MAX];
        links_buf[0] = '\0';
        g_auto(GStrv) parts = g_strsplit(links, ":", -1);
        for (size_t i = 0; parts[i]; i++)
                g_snprintf(links_buf + strlen(links_buf), sizeof(links_buf) - strlen(links_buf), "%s%s/%s",
                           i ? ":" : "", tmpdir, parts[i]);
        g_snprintf(proc_buf, sizeof(proc_buf), "%s/proc", tmpdir);
        *p = (bs_backend_probe) {
                .iptables_links = links_buf,
                .proc_net = proc_buf,
                .legacy = &fake_legacy_backend,
                .nft = &fake_nft_backend,
        };
}

static void choose_auto(const char *links, bs_backend_choice *c) {
        bs_backend_probe p;
        probe_for(&p, links);
        g_assert_cmpint(bs_backend_choose_auto(&p, c), ==, 0);
        g_test_message("%s: %s", c->backend->name, c->reason);
}

/* "auto: T/a -> T/b" with T the temp dir */
static char *expect(const char *fmt_with_T) {
        g_auto(GStrv) parts = g_strsplit(fmt_with_T, "T/", -1);
        g_autofree char *with = g_strdup_printf("%s/", tmpdir);
        return g_strjoinv(with, parts);
}

/* ------------------------------------------------------------- (a) links */

static void test_link_nft(void) {
        setup();
        make_link_in("etc/alternatives/iptables", "bin/iptables-nft");
        bs_backend_choice c;
        choose_auto("etc/alternatives/iptables:usr/sbin/iptables", &c);
        g_assert_true(c.backend == &fake_nft_backend);
        g_autofree char *want = expect("auto: T/etc/alternatives/iptables -> T/bin/iptables-nft");
        g_assert_cmpstr(c.reason, ==, want);
        /* no ruleset was read: the link said it */
        g_assert_cmpuint(fake_legacy[0].reads + fake_nft[0].reads, ==, 0);
        teardown();
}

static void test_link_legacy_two_hops(void) {
        setup();
        /* /etc/alternatives missing: /usr/sbin/iptables -> alternatives
         * link elsewhere -> iptables-legacy (relative) */
        make_link("alt/iptables", "../bin/iptables-legacy");
        make_link_in("usr/sbin/iptables", "alt/iptables");
        bs_backend_choice c;
        choose_auto("etc/alternatives/iptables:usr/sbin/iptables", &c);
        g_assert_true(c.backend == &fake_legacy_backend);
        g_autofree char *want = expect("auto: T/usr/sbin/iptables -> T/alt/iptables -> T/alt/../bin/iptables-legacy");
        g_assert_cmpstr(c.reason, ==, want);
        teardown();
}

static void test_link_multi_binary(void) {
        setup();
        /* a link straight to the multi-call binary */
        make_link_in("etc/alternatives/iptables", "bin/xtables-legacy-multi");
        bs_backend_choice c;
        choose_auto("etc/alternatives/iptables", &c);
        g_assert_true(c.backend == &fake_legacy_backend);
        teardown();
}

static void test_link_dangling_then_rules(void) {
        setup();
        /* names nft, but points nowhere: counts for nothing; the legacy
         * ruleset holds rules, nf_tables none: legacy */
        make_link_in("etc/alternatives/iptables", "gone/iptables-nft");
        fake_legacy[0].input_rules = 3;
        bs_backend_choice c;
        choose_auto("etc/alternatives/iptables:usr/sbin/iptables", &c);
        g_assert_true(c.backend == &fake_legacy_backend);
        g_assert_true(g_str_has_prefix(c.reason, "auto: only the legacy filter tables hold rules"));
        g_assert_nonnull(strstr(c.reason, "gone/iptables-nft: dangling"));
        teardown();
}

static void test_link_says_nothing(void) {
        setup();
        /* a plain program named iptables, and a link to something else:
         * nothing there; no rules anywhere: nft, the default */
        make_link("etc/alternatives/iptables", "/bin/true");
        bs_backend_choice c;
        choose_auto("etc/alternatives/iptables:bin/iptables", &c);
        g_assert_true(c.backend == &fake_nft_backend);
        g_assert_true(g_str_has_prefix(c.reason, "auto: neither ruleset holds rules; nft, the default"));
        g_assert_nonnull(strstr(c.reason, "says neither legacy nor nft"));
        g_assert_cmpuint(fake_legacy[0].reads, ==, 1);
        g_assert_cmpuint(fake_nft[1].reads, ==, 1);
        teardown();
}

/* --------------------------------------------------------------- (b) rules */

static void test_rules_nft_only(void) {
        setup();
        fake_nft[1].input_policy = BS_POLICY_DROP;  /* a policy is a rule too */
        bs_backend_choice c;
        choose_auto("missing", &c);
        g_assert_true(c.backend == &fake_nft_backend);
        g_assert_true(g_str_has_prefix(c.reason, "auto: only the nf_tables filter tables hold rules"));
        g_assert_nonnull(strstr(c.reason, "no iptables link found"));
        teardown();
}

static void test_rules_legacy_policy(void) {
        setup();
        fake_legacy[1].input_policy = BS_POLICY_DROP;
        bs_backend_choice c;
        choose_auto("missing", &c);
        g_assert_true(c.backend == &fake_legacy_backend);
        teardown();
}

static void test_rules_both(void) {
        setup();
        fake_legacy[0].input_rules = 1;
        fake_nft[0].input_rules = 1;
        bs_backend_choice c;
        choose_auto("missing", &c);
        g_assert_true(c.backend == &fake_nft_backend);
        g_assert_true(g_str_has_prefix(c.reason, "auto: both rulesets hold rules; nft, the default"));
        teardown();
}

static void test_rules_legacy_unlisted(void) {
        setup();
        /* the kernel lists no legacy filter table: it is not read (reading
         * it would create it), whatever the backend would answer */
        write_file("proc/ip_tables_names", "nat\n");
        g_autofree char *p6 = path_in("proc/ip6_tables_names");
        g_assert_cmpint(unlink(p6), ==, 0);
        fake_legacy[0].input_rules = 5;
        fake_legacy[1].input_rules = 5;
        bs_backend_choice c;
        choose_auto("missing", &c);
        g_assert_true(c.backend == &fake_nft_backend);
        g_assert_cmpuint(fake_legacy[0].reads + fake_legacy[1].reads, ==, 0);
        teardown();
}

static void test_rules_errors_tolerated(void) {
        setup();
        /* the nft reader cannot read here, legacy is not in this kernel:
         * still a choice, and the reason says the read failed */
        fake_nft[0].error = fake_nft[1].error = -EOPNOTSUPP;
        fake_legacy[0].error = fake_legacy[1].error = -EPROTONOSUPPORT;
        bs_backend_choice c;
        choose_auto("missing", &c);
        g_assert_true(c.backend == &fake_nft_backend);
        g_assert_nonnull(strstr(c.reason, "legacy holds none, nf_tables not readable: Operation not supported)"));
        g_assert_null(strstr(c.reason, "legacy not readable"));
        teardown();
}

/* ------------------------------------------------------------- precedence */

static void test_choose_precedence(void) {
        setup();
        make_link_in("etc/alternatives/iptables", "bin/iptables-nft");
        bs_backend_probe p;
        probe_for(&p, "etc/alternatives/iptables");
        bs_backend_choice c;

        /* the command line beats the file */
        g_assert_cmpint(bs_backend_choose(BS_BACKEND_LEGACY, BS_BACKEND_NFT, "/etc/backstop/backstopd.conf", &p, &c),
                        ==, 0);
        g_assert_true(c.backend == &fake_legacy_backend);
        g_assert_cmpstr(c.reason, ==, "--backend=legacy");

        /* the file beats auto */
        g_assert_cmpint(bs_backend_choose(-1, BS_BACKEND_LEGACY, "/etc/backstop/backstopd.conf", &p, &c), ==, 0);
        g_assert_true(c.backend == &fake_legacy_backend);
        g_assert_cmpstr(c.reason, ==, "configured in /etc/backstop/backstopd.conf (Backend=legacy)");

        /* auto, from either, or from nothing */
        g_autofree char *want = expect("auto: T/etc/alternatives/iptables -> T/bin/iptables-nft");
        g_assert_cmpint(bs_backend_choose(-1, BS_BACKEND_AUTO, "/etc/backstop/backstopd.conf", &p, &c), ==, 0);
        g_assert_cmpstr(c.reason, ==, want);
        g_assert_cmpint(bs_backend_choose(BS_BACKEND_AUTO, BS_BACKEND_LEGACY, "/x.conf", &p, &c), ==, 0);
        g_assert_true(c.backend == &fake_nft_backend);
        g_assert_cmpstr(c.reason, ==, want);
        g_assert_cmpint(bs_backend_choose(-1, -1, NULL, &p, &c), ==, 0);
        g_assert_cmpstr(c.reason, ==, want);

        g_assert_cmpint(bs_backend_choose(7, -1, NULL, &p, &c), ==, -EINVAL);
        teardown();
}

static void test_mode_strings(void) {
        g_assert_cmpint(bs_backend_mode_from_string("auto"), ==, BS_BACKEND_AUTO);
        g_assert_cmpint(bs_backend_mode_from_string("legacy"), ==, BS_BACKEND_LEGACY);
        g_assert_cmpint(bs_backend_mode_from_string("iptables-nft"), ==, BS_BACKEND_NFT);
        g_assert_cmpint(bs_backend_mode_from_string("Legacy"), ==, -EINVAL);
        g_assert_cmpint(bs_backend_mode_from_string(""), ==, -EINVAL);
        g_assert_cmpint(bs_backend_mode_from_string(NULL), ==, -EINVAL);
}

/* ------------------------------------------------------- the config file */

static int load(const char *content, bool must_exist, bs_daemon_config *cfg, char *err, size_t size) {
        if (content)
                write_file("backstopd.conf", content);
        g_autofree char *p = path_in("backstopd.conf");
        return bs_daemon_config_load(p, must_exist, cfg, err, size);
}

static void test_config_good(void) {
        setup();
        bs_daemon_config cfg;
        char err[512];
        g_assert_cmpint(load("# Backstop\n\n; another comment\n  Backend = legacy  # for docker\nBackend=nft\n",
                             true, &cfg, err, sizeof(err)), ==, 0);
        g_assert_cmpint(cfg.backend, ==, BS_BACKEND_NFT); /* the last one counts */
        g_assert_cmpuint(cfg.backend_line, ==, 5);
        g_assert_cmpint(load("# nothing set\n", true, &cfg, err, sizeof(err)), ==, 0);
        g_assert_cmpint(cfg.backend, ==, -1);
        g_assert_cmpint(load("Backend=auto", true, &cfg, err, sizeof(err)), ==, 0); /* no final newline */
        g_assert_cmpint(cfg.backend, ==, BS_BACKEND_AUTO);
        teardown();
}

static void assert_refused(const char *content, const char *want_fmt_T) {
        bs_daemon_config cfg = { .backend = 42 };
        char err[512];
        g_assert_cmpint(load(content, false, &cfg, err, sizeof(err)), ==, -EINVAL);
        g_autofree char *want = expect(want_fmt_T);
        g_test_message("%s", err);
        g_assert_cmpstr(err, ==, want);
        g_assert_cmpint(cfg.backend, ==, -1);
}

static void test_config_bad(void) {
        setup();
        assert_refused("# ok\nBackend=iptables\n", "T/backstopd.conf:2: Backend=\"iptables\" is not auto, legacy or nft");
        assert_refused("Backend=\n", "T/backstopd.conf:1: Backend=\"\" is not auto, legacy or nft");
        assert_refused("\n\nBackned=nft\n", "T/backstopd.conf:3: unknown key \"Backned\" (the keys: Backend)");
        assert_refused("Backend=nft\nnft\n", "T/backstopd.conf:2: \"nft\" is not KEY=VALUE");
        assert_refused("[Daemon]\nBackend=nft\n", "T/backstopd.conf:1: \"[Daemon]\" is not KEY=VALUE");
        teardown();
}

static void test_config_missing(void) {
        setup();
        bs_daemon_config cfg = { .backend = 42 };
        char err[512];
        /* the default path may be missing */
        g_assert_cmpint(load(NULL, false, &cfg, err, sizeof(err)), ==, 0);
        g_assert_cmpint(cfg.backend, ==, -1);
        /* a file asked for by name must exist */
        g_assert_cmpint(load(NULL, true, &cfg, err, sizeof(err)), ==, -ENOENT);
        g_autofree char *want = expect("T/backstopd.conf: No such file or directory");
        g_assert_cmpstr(err, ==, want);
        /* too large */
        g_autofree char *big = g_strnfill(BS_CONFIG_FILE_MAX + 1, '#');
        g_assert_cmpint(load(big, false, &cfg, err, sizeof(err)), ==, -EFBIG);
        g_assert_nonnull(strstr(err, "larger than 64 KiB"));
        teardown();
}

/* ------------------------------------------- the legacy ruleset's report */

static void test_legacy_filters_input(void) {
        setup();
        bs_backend_probe p;
        probe_for(&p, "missing");
        bool found = true;
        char *desc = (char *) "unset";
        g_assert_cmpint(bs_legacy_filters_input(&p, &found, &desc), ==, 0);
        g_assert_false(found);
        g_assert_null(desc);

        fake_legacy[0].input_rules = 2;
        fake_legacy[1].input_policy = BS_POLICY_DROP;
        g_assert_cmpint(bs_legacy_filters_input(&p, &found, &desc), ==, 0);
        g_assert_true(found);
        g_assert_cmpstr(desc, ==, "ipv4 filter INPUT: 2 rules, policy ACCEPT; ipv6 filter INPUT: 0 rules, policy DROP");
        free(desc);

        /* unlisted: not read */
        write_file("proc/ip_tables_names", "");
        write_file("proc/ip6_tables_names", "raw\n");
        unsigned reads = fake_legacy[0].reads + fake_legacy[1].reads;
        g_assert_cmpint(bs_legacy_filters_input(&p, &found, NULL), ==, 0);
        g_assert_false(found);
        g_assert_cmpuint(fake_legacy[0].reads + fake_legacy[1].reads, ==, reads);

        /* an error that says nothing about the table is the caller's */
        write_file("proc/ip_tables_names", "filter\n");
        fake_legacy[0].error = -EWOULDBLOCK;
        g_assert_cmpint(bs_legacy_filters_input(&p, &found, NULL), ==, -EWOULDBLOCK);
        teardown();
}

int main(int argc, char **argv) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/backend-choice/mode-strings", test_mode_strings);
        g_test_add_func("/backend-choice/link/nft", test_link_nft);
        g_test_add_func("/backend-choice/link/legacy-two-hops", test_link_legacy_two_hops);
        g_test_add_func("/backend-choice/link/multi-binary", test_link_multi_binary);
        g_test_add_func("/backend-choice/link/dangling-then-rules", test_link_dangling_then_rules);
        g_test_add_func("/backend-choice/link/says-nothing", test_link_says_nothing);
        g_test_add_func("/backend-choice/rules/nft-only", test_rules_nft_only);
        g_test_add_func("/backend-choice/rules/legacy-policy", test_rules_legacy_policy);
        g_test_add_func("/backend-choice/rules/both", test_rules_both);
        g_test_add_func("/backend-choice/rules/legacy-unlisted", test_rules_legacy_unlisted);
        g_test_add_func("/backend-choice/rules/errors-tolerated", test_rules_errors_tolerated);
        g_test_add_func("/backend-choice/precedence", test_choose_precedence);
        g_test_add_func("/backend-choice/config/good", test_config_good);
        g_test_add_func("/backend-choice/config/bad", test_config_bad);
        g_test_add_func("/backend-choice/config/missing", test_config_missing);
        g_test_add_func("/backend-choice/legacy-filters-input", test_legacy_filters_input);
        return g_test_run();
}
