/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <glib/gstdio.h>
#include <sched.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "nft-sock.h"
#include "oracle-util.h"

const family_ctx family_v4 = {
        .family = BS_FAMILY_IPV4,
        .name = "ipv4",
        .ipt = "iptables-legacy",
        .save = "iptables-legacy-save",
        .rules = "rules-v4.txt",
        .bad = "bad-v4.txt",
        .backend = &bs_backend_iptables_legacy,
};

const family_ctx family_v6 = {
        .family = BS_FAMILY_IPV6,
        .name = "ipv6",
        .ipt = "ip6tables-legacy",
        .save = "ip6tables-legacy-save",
        .rules = "rules-v6.txt",
        .bad = "bad-v6.txt",
        .backend = &bs_backend_iptables_legacy,
};

const family_ctx family_nft_v4 = {
        .family = BS_FAMILY_IPV4,
        .name = "ipv4 (nft)",
        .ipt = "iptables-nft",
        .save = "iptables-nft-save",
        .rules = "rules-v4.txt",
        .bad = "bad-v4.txt",
        .backend = &bs_backend_iptables_nft,
        .nft = true,
};

const family_ctx family_nft_v6 = {
        .family = BS_FAMILY_IPV6,
        .name = "ipv6 (nft)",
        .ipt = "ip6tables-nft",
        .save = "ip6tables-nft-save",
        .rules = "rules-v6.txt",
        .bad = "bad-v6.txt",
        .backend = &bs_backend_iptables_nft,
        .nft = true,
};

const bs_nf_options nf_options = BS_NF_OPTIONS_DEFAULT;

void corpus_free(corpus *c) {
        if (!c)
                return;
        for (guint i = 0; i < c->lines->len; i++) {
                corpus_line *l = &g_array_index(c->lines, corpus_line, i);
                g_free(l->chain);
                g_free(l->rule);
        }
        g_array_unref(c->lines);
        g_ptr_array_unref(c->chains);
        g_free(c->path);
        g_free(c);
}

corpus *corpus_load(const char *file) {
        g_autoptr(GError) error = NULL;
        g_autofree char *text = NULL;
        corpus *c = g_new0(corpus, 1);
        c->path = g_test_build_filename(G_TEST_DIST, "oracle", file, NULL);
        c->chains = g_ptr_array_new_with_free_func(g_free);
        c->lines = g_array_new(FALSE, TRUE, sizeof(corpus_line));

        g_file_get_contents(c->path, &text, NULL, &error);
        g_assert_no_error(error);

        const char *only = g_getenv("BS_ORACLE_ONLY");
        g_auto(GStrv) raw = g_strsplit(text, "\n", -1);
        for (unsigned i = 0; raw[i]; i++) {
                const char *l = raw[i];
                if (g_str_has_prefix(l, "#chains:")) {
                        g_auto(GStrv) names = g_strsplit_set(l + strlen("#chains:"), " \t", -1);
                        for (unsigned j = 0; names[j]; j++)
                                if (names[j][0])
                                        g_ptr_array_add(c->chains, g_strdup(names[j]));
                        continue;
                }
                if (l[0] == '\0' || l[0] == '#')
                        continue;
                const char *tab = strchr(l, '\t');
                if (!tab)
                        g_error("%s:%u: no TAB after the chain name", c->path, i + 1);
                if (only && !strstr(l, only))
                        continue;
                corpus_line cl = {
                        .lineno = i + 1,
                        .chain = g_strndup(l, tab - l),
                        .rule = g_strdup(tab + 1),
                };
                g_array_append_val(c->lines, cl);
        }
        return c;
}

int run_argv(char *const *argv, char **ret_out, char **ret_err) {
        g_autoptr(GError) error = NULL;
        g_autofree char *out = NULL, *err = NULL;
        int status = 0;

        if (!g_spawn_sync(NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &err, &status,
                          &error)) {
                if (ret_err)
                        *ret_err = g_strdup(error->message);
                if (ret_out)
                        *ret_out = g_strdup("");
                return -1;
        }
        if (ret_out)
                *ret_out = g_steal_pointer(&out);
        if (ret_err)
                *ret_err = g_steal_pointer(&err);
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

int run_ipt(const family_ctx *f, char **ret_out, char **ret_err, char *const *extra, size_t n_extra, ...) {
        g_autoptr(GPtrArray) argv = g_ptr_array_new();
        g_ptr_array_add(argv, (char *) f->ipt);
        va_list ap;
        va_start(ap, n_extra);
        for (const char *a; (a = va_arg(ap, const char *));)
                g_ptr_array_add(argv, (char *) a);
        va_end(ap);
        for (size_t i = 0; i < n_extra; i++)
                g_ptr_array_add(argv, extra[i]);
        g_ptr_array_add(argv, NULL);
        return run_argv((char *const *) argv->pdata, ret_out, ret_err);
}

void ipt_ok(const family_ctx *f, ...) {
        g_autoptr(GPtrArray) argv = g_ptr_array_new();
        g_ptr_array_add(argv, (char *) f->ipt);
        va_list ap;
        va_start(ap, f);
        for (const char *a; (a = va_arg(ap, const char *));)
                g_ptr_array_add(argv, (char *) a);
        va_end(ap);
        g_ptr_array_add(argv, NULL);
        g_autofree char *err = NULL;
        int r = run_argv((char *const *) argv->pdata, NULL, &err);
        if (r != 0) {
                g_autofree char *cmd = g_strjoinv(" ", (char **) argv->pdata);
                g_error("%s failed (%d): %s", cmd, r, err);
        }
}

char *ipt_list_full(const family_ctx *f, const char *chain, bool verbose) {
        g_autofree char *out = NULL, *err = NULL;
        char *extra[] = { (char *) "-v", (char *) "-S", (char *) chain };
        size_t skip = verbose ? 0 : 1, n = chain ? 3 : 2;
        int r = run_ipt(f, &out, &err, extra + skip, n - skip, NULL);
        if (r != 0)
                g_error("%s %s-S %s failed (%d): %s", f->ipt, verbose ? "-v " : "", chain ?: "", r, err);
        return g_steal_pointer(&out);
}

char *ipt_list(const family_ctx *f, const char *chain) {
        return ipt_list_full(f, chain, false);
}

char *ipt_save_full(const family_ctx *f, const char *table, bool counters, char **ret_raw) {
        const char *argv[] = { f->save, "-t", table, counters ? "-c" : NULL, NULL };
        g_autofree char *out = NULL, *err = NULL;
        int r = run_argv((char *const *) argv, &out, &err);
        if (r != 0)
                g_error("%s -t %s failed (%d): %s", f->save, table, r, err);
        if (ret_raw)
                *ret_raw = g_strdup(out);
        g_auto(GStrv) lines = g_strsplit(out, "\n", -1);
        GString *s = g_string_new(NULL);
        for (unsigned i = 0; lines[i]; i++)
                if (lines[i][0] && lines[i][0] != '#')
                        g_string_append_printf(s, "%s\n", lines[i]);
        return g_string_free(s, FALSE);
}

char *ipt_save(const family_ctx *f, const char *table) {
        return ipt_save_full(f, table, false, NULL);
}

void reset_table(const family_ctx *f, const char *table) {
        ipt_ok(f, "-t", table, "-F", NULL);
        ipt_ok(f, "-t", table, "-X", NULL);
        if (streq(table, "filter")) {
                ipt_ok(f, "-P", "INPUT", "ACCEPT", NULL);
                ipt_ok(f, "-P", "FORWARD", "ACCEPT", NULL);
                ipt_ok(f, "-P", "OUTPUT", "ACCEPT", NULL);
        }
}

void append_line_diff(GString *s, const char *a_name, const char *a, const char *b_name, const char *b) {
        g_auto(GStrv) al = g_strsplit(a ?: "", "\n", -1);
        g_auto(GStrv) bl = g_strsplit(b ?: "", "\n", -1);
        unsigned na = g_strv_length(al), nb = g_strv_length(bl);
        for (unsigned i = 0; i < MAX(na, nb); i++) {
                const char *x = i < na ? al[i] : "(none)", *y = i < nb ? bl[i] : "(none)";
                if (streq(x, y))
                        continue;
                g_string_append_printf(s, "      line %u: %s: %s\n", i + 1, a_name, x);
                g_string_append_printf(s, "      line %u: %s: %s\n", i + 1, b_name, y);
        }
}

char *render_rule(const bs_rule *r) {
        _cleanup_buf_ bs_buf b = {};
        int k = bs_render_rule(r, &b);
        if (k < 0)
                return g_strdup_printf("(bs_render_rule: %s)", g_strerror(-k));
        return g_strndup(b.data ?: "", b.len);
}

static const char *match_kind_name(bs_match_kind k) {
        static const char *const names[] = {
                [BS_MATCH_TCP] = "tcp",           [BS_MATCH_UDP] = "udp",
                [BS_MATCH_ICMP] = "icmp",         [BS_MATCH_ICMP6] = "icmp6",
                [BS_MATCH_CONNTRACK] = "conntrack", [BS_MATCH_MULTIPORT] = "multiport",
                [BS_MATCH_COMMENT] = "comment",   [BS_MATCH_LIMIT] = "limit",
                [BS_MATCH_ADDRTYPE] = "addrtype", [BS_MATCH_MAC] = "mac",
                [BS_MATCH_IPRANGE] = "iprange",   [BS_MATCH_OPAQUE] = "opaque",
        };
        return (unsigned) k < G_N_ELEMENTS(names) && names[k] ? names[k] : "?";
}

void append_model_diff(GString *s, const char *a_name, const bs_rule *a, const char *b_name, const bs_rule *b) {
        g_string_append_printf(s, "    model differences (%s vs %s):", a_name, b_name);
        if (memcmp(&a->src, &b->src, sizeof(a->src)) || a->src_invert != b->src_invert)
                g_string_append(s, " src");
        if (memcmp(&a->dst, &b->dst, sizeof(a->dst)) || a->dst_invert != b->dst_invert)
                g_string_append(s, " dst");
        if (strncmp(a->in_iface, b->in_iface, IFNAMSIZ) || a->in_invert != b->in_invert)
                g_string_append_printf(s, " in_iface('%.*s'%s/'%.*s'%s)", IFNAMSIZ, a->in_iface,
                                       a->in_invert ? "!" : "", IFNAMSIZ, b->in_iface, b->in_invert ? "!" : "");
        if (strncmp(a->out_iface, b->out_iface, IFNAMSIZ) || a->out_invert != b->out_invert)
                g_string_append(s, " out_iface");
        if (a->proto != b->proto || a->proto_invert != b->proto_invert)
                g_string_append_printf(s, " proto(%u/%u)", a->proto, b->proto);
        if (a->frag != b->frag)
                g_string_append_printf(s, " frag(%u/%u)", a->frag, b->frag);
        if (a->n_matches != b->n_matches)
                g_string_append_printf(s, " n_matches(%zu/%zu)", a->n_matches, b->n_matches);
        for (size_t i = 0; i < MIN(a->n_matches, b->n_matches); i++)
                if (!bs_match_equal(&a->matches[i], &b->matches[i]))
                        g_string_append_printf(s, " match#%zu(%s/%s)", i, match_kind_name(a->matches[i].kind),
                                               match_kind_name(b->matches[i].kind));
        if (!bs_target_equal(&a->target, &b->target))
                g_string_append_printf(s, " target(kind %d/%d)", a->target.kind, b->target.kind);
        g_string_append(s, "\n");
}

void append_table_diff(GString *s, const char *a_name, const bs_table *a, const char *b_name, const bs_table *b) {
        if (a->n_chains != b->n_chains) {
                g_string_append_printf(s, "      chains: %zu in %s, %zu in %s\n", a->n_chains, a_name, b->n_chains,
                                       b_name);
                return;
        }
        for (size_t i = 0; i < a->n_chains; i++) {
                const bs_chain *x = &a->chains[i], *y = &b->chains[i];
                if (!streq(x->name, y->name) || x->policy != y->policy || x->builtin != y->builtin ||
                    x->n_rules != y->n_rules) {
                        g_string_append_printf(s, "      chain #%zu: %s '%s' policy %d, %zu rules; %s '%s' policy %d, "
                                               "%zu rules\n", i, a_name, x->name, x->policy, x->n_rules, b_name,
                                               y->name, y->policy, y->n_rules);
                        return;
                }
                for (size_t j = 0; j < x->n_rules; j++)
                        if (!bs_rule_equal(&x->rules[j], &y->rules[j])) {
                                g_autofree char *rx = render_rule(&x->rules[j]), *ry = render_rule(&y->rules[j]);
                                g_string_append_printf(s, "      chain %s rule %zu:\n        %s: %s\n        %s: %s\n",
                                                       x->name, j + 1, a_name, rx, b_name, ry);
                                append_model_diff(s, a_name, &x->rules[j], b_name, &y->rules[j]);
                                return;
                        }
        }
}

/* ------------------------------------------------------------------- set-up */

static char *Lock;

static bool have_program(const char *name) {
        g_autofree char *p = g_find_program_in_path(name);
        return p != NULL;
}

int oracle_init(int *argc, char ***argv) {
        const family_ctx *const legacy[] = { &family_v4, &family_v6 };
        return oracle_init_for(argc, argv, legacy, G_N_ELEMENTS(legacy));
}

int oracle_init_for(int *argc, char ***argv, const family_ctx *const *families, size_t n) {
        bool nft = false;

        g_test_init(argc, argv, NULL);

        if (geteuid() != 0) {
                g_printerr("oracle test needs root (network namespace, netfilter); skipping\n");
                return 77;
        }
        for (size_t i = 0; i < n; i++) {
                if (!have_program(families[i]->ipt) || !have_program(families[i]->save)) {
                        g_printerr("%s or %s not found; skipping\n", families[i]->ipt, families[i]->save);
                        return 77;
                }
                nft = nft || families[i]->nft;
        }

        /* Our own network namespace: nothing below may reach the host's
         * firewall. Check we really left the old one before going on. */
        struct stat before, after;
        if (stat("/proc/self/ns/net", &before) < 0) {
                g_printerr("cannot stat /proc/self/ns/net: %m; skipping\n");
                return 77;
        }
        if (unshare(CLONE_NEWNET) < 0) {
                g_printerr("unshare(CLONE_NEWNET): %m; skipping\n");
                return 77;
        }
        if (stat("/proc/self/ns/net", &after) < 0 || (after.st_ino == before.st_ino && after.st_dev == before.st_dev)) {
                g_printerr("still in the old network namespace after unshare; refusing to run\n");
                return 1;
        }

        /* And our own xtables lock, for us and every iptables we run. */
        Lock = g_build_filename(g_get_tmp_dir(), "backstop-oracle-lock-XXXXXX", NULL);
        int fd = g_mkstemp(Lock);
        if (fd < 0) {
                g_printerr("mkstemp(%s): %m\n", Lock);
                return 1;
        }
        close(fd);
        g_setenv("XTABLES_LOCKFILE", Lock, TRUE);

        if (nft) {
                _cleanup_nft_sock_ bs_nft_sock s = {};
                uint32_t genid;
                int k = bs_nft_sock_open(&s);
                if (k >= 0)
                        k = bs_nft_genid(&s, &genid);
                if (k < 0) {
                        g_printerr("no nf_tables here (%s); skipping\n", g_strerror(-k));
                        return 77;
                }
        }
        return 0;
}

int oracle_run(void) {
        int r = g_test_run();
        g_unlink(Lock);
        g_free(Lock);
        return r;
}
