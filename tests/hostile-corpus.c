/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The corpus of bad calls test-hostile sends (see hostile-corpus.h). */
#include <stdbool.h>

#include "hostile-corpus.h"

struct BadCall {
        char *path, *iface, *method;
        GVariant *params;  /* NULL: no arguments */
        const char *err_root;
        const char *err_user;  /* the unprivileged caller's error */
        char *mention;         /* the message names this (NULL: not checked) */
};

static void bad_call_free(BadCall *c) {
        g_free(c->path);
        g_free(c->iface);
        g_free(c->method);
        if (c->params)
                g_variant_unref(c->params);
        g_free(c->mention);
        g_free(c);
}


static void add(Corpus *k, const char *path, const char *iface, const char *method, GVariant *params,
                const char *err_root, const char *err_user, const char *mention) {
        BadCall *c = g_new0(BadCall, 1);
        c->path = g_strdup(path);
        c->iface = g_strdup(iface);
        c->method = g_strdup(method);
        c->params = params ? g_variant_ref_sink(params) : NULL;
        c->err_root = err_root;
        c->err_user = err_user ? err_user : err_root;
        c->mention = g_strdup(mention);
        g_ptr_array_add(k->calls, c);
}

/* Validation errors come before polkit: the same for everyone. */
static void add_invalid(Corpus *k, const char *method, GVariant *params, const char *mention) {
        add(k, PATH, IFACE, method, params, E_INVALID, NULL, mention);
}

/* Changes that do not parse: parsed only once polkit allowed the call
 * (the cheap bounds on counts, bytes and options come before it), so the
 * unprivileged caller is denied first. */
static void add_unparsable(Corpus *k, const char *method, GVariant *params, const char *mention) {
        add(k, PATH, IFACE, method, params, E_INVALID, E_DENIED, mention);
}

/* A change that does not parse, through Apply and Preview. */
static void add_bad_change(Corpus *k, const char *change, const char *mention) {
        add_unparsable(k, "Apply", apply_params(change, NULL), mention);
        add_unparsable(k, "Preview", apply_params(change, NULL), mention);
}

/* Values of every type but the option's own. */
static GVariant *value_of_type(int i) {
        switch (i) {
        case 0: return g_variant_new_string("60");
        case 1: return g_variant_new_int32(60);
        case 2: return g_variant_new_boolean(TRUE);
        case 3: return g_variant_new_uint32(60);
        case 4: return g_variant_new_int64(60);
        case 5: return g_variant_new_uint64(60);
        case 6: return g_variant_new_double(60.0);
        case 7: return g_variant_new_byte(60);
        case 8: return g_variant_new_int16(60);
        case 9: return g_variant_new_uint16(60);
        case 10: return g_variant_new_object_path("/x");
        case 11: return g_variant_new_signature("u");
        case 12: return g_variant_new_parsed("['60']");
        case 13: return g_variant_new_parsed("@a{sv} {'timeout': <uint32 60>}");
        case 14: return g_variant_new_variant(g_variant_new_uint32(60));
        case 15: return g_variant_new_parsed("(uint32 60, uint32 60)");
        case 16: return g_variant_new_parsed("b'60'");
        default: return NULL;
        }
}

static const struct {
        const char *key, *type;
} option_types[] = {
        { "timeout", "u" }, { "strict", "b" }, { "force", "b" }, { "save", "b" }, { "ssh-connection", "s" },
};

static void gen_wrong_signatures(Corpus *k) {
        static const char *const tuples[] = {
                "()", "('ipv4',)", "(1,)", "(uint32 1,)", "(true,)", "('a', 'b')", "('a', 'b', 'c')",
                "('ipv4', '', 1)", "(['a'],)", "(['a'], {'timeout': <1>})", "(@a{sv} {}, ['a'])",
                "(['a'], @a{ss} {})", "(['a'], @a{sv} {}, 1)", "([('tcp', 22)], @a{sv} {})",
                "([('tcp', uint16 22, 1)], @a{sv} {})", "(int32 5,)", "(uint64 5,)", "(<uint32 5>,)",
                "(@a{sv} {}, @a{sv} {})", "('ipv4', '', 'false')", "(objectpath '/',)", "(b'ipv4', b'')",
        };
        static const struct {
                const char *path_kind, *method, *sig;
        } methods[] = {
                { "m", "ListRules", "(ss)" },   { "m", "GetRulesText", "(ssb)" },
                { "m", "ZeroCounters", "(ss)" }, { "m", "Check", "(s)" },
                { "m", "ListConnections", "()" }, { "m", "Preview", "(asa{sv})" },
                { "m", "Apply", "(asa{sv})" },  { "m", "ApplyDefaultDeny", "(a(sq)a{sv})" },
                { "m", "PreviewDefaultDeny", "(a(sq)a{sv})" },
                { "m", "Save", "()" },          { "t", "Confirm", "(a{sv})" },
                { "t", "Rollback", "()" },      { "t", "Extend", "(u)" },
                { "t", "ExtendWithOptions", "(ua{sv})" },
        };
        for (size_t i = 0; i < G_N_ELEMENTS(methods); i++)
                for (size_t j = 0; j < G_N_ELEMENTS(tuples); j++) {
                        GVariant *p = g_variant_ref_sink(g_variant_new_parsed(tuples[j]));
                        if (g_str_equal(g_variant_get_type_string(p), methods[i].sig)) {
                                g_variant_unref(p);
                                continue;
                        }
                        bool tx = methods[i].path_kind[0] == 't';
                        add(k, tx ? k->ended_confirmed : PATH, tx ? TX_IFACE : IFACE, methods[i].method, p,
                            E_INVALID, NULL, NULL);
                        g_variant_unref(p);
                }
}

static void gen_wrong_variant_types(Corpus *k) {
        for (size_t o = 0; o < G_N_ELEMENTS(option_types); o++)
                for (int t = 0;; t++) {
                        GVariant *v = value_of_type(t);
                        if (!v)
                                break;
                        g_variant_ref_sink(v);
                        if (g_str_equal(g_variant_get_type_string(v), option_types[o].type)) {
                                g_variant_unref(v);
                                continue;
                        }
                        const char *key = option_types[o].key;
                        const char *change = "-A INPUT -s 192.0.2.77/32 -j DROP";
                        add_invalid(k, "Apply", apply_params(change, one_opt(key, v)), key);
                        add_invalid(k, "Preview", apply_params(change, one_opt(key, v)), key);
                        add_invalid(k, "ApplyDefaultDeny", deny_params(one_opt(key, v)), key);
                        if (g_str_equal(key, "ssh-connection")) {
                                add(k, k->ended_confirmed, TX_IFACE, "Confirm",
                                    g_variant_new_tuple((GVariant *[]){ one_opt(key, v) }, 1), E_INVALID, NULL, key);
                                add(k, k->ended_confirmed, TX_IFACE, "ExtendWithOptions",
                                    g_variant_new("(u@a{sv})", 60, one_opt(key, v)), E_INVALID, NULL, key);
                        }
                        g_variant_unref(v);
                }
}

static void gen_unknown_keys(Corpus *k) {
        GPtrArray *keys = g_ptr_array_new_with_free_func(g_free);
        static const char *const fixed[] = { "Timeout", "TIMEOUT", "timeout ", " timeout", "time-out", "x",
                                             "strict\n", "forced", "saved", "ssh_connection", "sshconnection",
                                             "deadline", "owner", "family", "chain", "tímeout", "\t" };
        for (size_t i = 0; i < G_N_ELEMENTS(fixed); i++)
                g_ptr_array_add(keys, g_strdup(fixed[i]));
        for (int i = 0; i < 20; i++)
                g_ptr_array_add(keys, g_strdup_printf("key-%d-%08x", i, (unsigned) g_str_hash(fixed[i % 10])));
        for (size_t i = 0; i < G_N_ELEMENTS(option_types); i++)
                g_ptr_array_add(keys, g_strdup_printf("%s2", option_types[i].key));
        for (guint i = 0; i < keys->len; i++) {
                const char *key = keys->pdata[i];
                const char *change = "-A INPUT -s 192.0.2.78/32 -j DROP";
                add_invalid(k, "Apply", apply_params(change, one_opt(key, g_variant_new_boolean(TRUE))), key);
                add_invalid(k, "Preview", apply_params(change, one_opt(key, g_variant_new_boolean(TRUE))), key);
                add_invalid(k, "ApplyDefaultDeny", deny_params(one_opt(key, g_variant_new_uint32(5))), key);
                add(k, k->ended_confirmed, TX_IFACE, "Confirm",
                    g_variant_new_tuple((GVariant *[]){ one_opt(key, g_variant_new_string("x")) }, 1), E_INVALID,
                    NULL, key);
        }
        g_ptr_array_unref(keys);
}

/* A string of n bytes: s repeated, the last one cut (ASCII only). */
static char *fill(const char *s, size_t n) {
        GString *g = g_string_sized_new(n + 1);
        while (g->len < n)
                g_string_append(g, s);
        g_string_truncate(g, n);
        return g_string_free(g, FALSE);
}

static GVariant *append_with(const char *key, GVariant *value);

static void gen_huge(Corpus *k) {
        static const size_t sizes[] = { 8193, 9000, 65536, 1 << 20 };
        for (size_t i = 0; i < G_N_ELEMENTS(sizes); i++) {
                g_autofree char *comment = fill("x", sizes[i]);
                g_autofree char *change = g_strdup_printf("-A INPUT -m comment --comment %s -j ACCEPT", comment);
                add_invalid(k, "Apply", apply_params(change, NULL), "8192");
                add_invalid(k, "Preview", apply_params(change, NULL), "8192");
                g_autofree char *big = fill("a", sizes[i]);
                add_invalid(k, "ListRules", g_variant_new("(ss)", big, ""), "Invalid family");
                add_invalid(k, "ListRules", g_variant_new("(ss)", "ipv4", big), "Invalid chain name");
                add_invalid(k, "GetRulesText", g_variant_new("(ssb)", "ipv4", big, FALSE), "Invalid chain name");
                add_invalid(k, "ZeroCounters", g_variant_new("(ss)", big, ""), "Invalid family");
                add_invalid(k, "Check", g_variant_new("(s)", big), "Invalid family");
                add_invalid(k, "Apply", apply_params("-A INPUT -j ACCEPT", one_opt(big, g_variant_new_boolean(TRUE))),
                            "Unknown option");
                add_invalid(k, "Apply",
                            apply_params("-A INPUT -j ACCEPT", one_opt("ssh-connection", g_variant_new_string(big))),
                            "ssh-connection");
        }
        /* more changes than allowed */
        static const size_t counts[] = { 10001, 20000 };
        for (size_t i = 0; i < G_N_ELEMENTS(counts); i++) {
                GVariantBuilder b;
                g_variant_builder_init(&b, G_VARIANT_TYPE("as"));
                for (size_t j = 0; j < counts[i]; j++)
                        g_variant_builder_add(&b, "s", "-A INPUT -s 192.0.2.1/32 -j ACCEPT");
                GVariant *arr = g_variant_ref_sink(g_variant_builder_end(&b));
                add_invalid(k, "Apply", g_variant_new("(@as@a{sv})", arr, empty_opts()), "Too many changes");
                add_invalid(k, "Preview", g_variant_new("(@as@a{sv})", arr, empty_opts()), "Too many changes");
                g_variant_unref(arr);
        }
        /* more bytes in all than one call may carry, each change within its
         * own bound */
        g_autofree char *comment = fill("x", 8000);
        g_autofree char *long_change = g_strdup_printf("-A INPUT -m comment --comment %s -j ACCEPT", comment);
        GVariantBuilder lb, db;
        g_variant_builder_init(&lb, G_VARIANT_TYPE("as"));
        g_variant_builder_init(&db, G_VARIANT_TYPE("aa{sv}"));
        for (size_t j = 0; j <= CHANGES_BYTES_MAX / 8000; j++) {
                g_variant_builder_add(&lb, "s", long_change);
                g_variant_builder_add_value(&db, append_with("comment", g_variant_new_string(comment)));
        }
        GVariant *lines = g_variant_ref_sink(g_variant_builder_end(&lb));
        g_autofree char *limit = g_strdup_printf("%u", CHANGES_BYTES_MAX);
        add_invalid(k, "Apply", g_variant_new("(@as@a{sv})", lines, empty_opts()), limit);
        add_invalid(k, "Preview", g_variant_new("(@as@a{sv})", lines, empty_opts()), limit);
        g_variant_unref(lines);
        add_invalid(k, "ApplyChanges", g_variant_new("(@aa{sv}@a{sv})", g_variant_builder_end(&db), empty_opts()),
                    limit);
        /* more options and allows than allowed */
        GVariantBuilder ob;
        g_variant_builder_init(&ob, G_VARIANT_TYPE("a{sv}"));
        for (int j = 0; j < 40; j++)
                g_variant_builder_add(&ob, "{sv}", "force", g_variant_new_boolean(TRUE));
        GVariant *many_opts = g_variant_ref_sink(g_variant_builder_end(&ob));
        add_invalid(k, "Apply", apply_params("-A INPUT -j ACCEPT", many_opts), "Too many options");
        add_invalid(k, "ApplyDefaultDeny", deny_params(many_opts), "Too many options");
        g_variant_unref(many_opts);
        g_variant_builder_init(&ob, G_VARIANT_TYPE("a{sv}"));
        for (int j = 0; j < 40; j++)
                g_variant_builder_add(&ob, "{sv}", "ssh-connection", g_variant_new_string("10.0.0.1 5 10.0.0.2 22"));
        add(k, k->ended_confirmed, TX_IFACE, "Confirm", g_variant_new("(@a{sv})", g_variant_builder_end(&ob)),
            E_INVALID, NULL, "Too many options");
        GVariantBuilder ab;
        g_variant_builder_init(&ab, G_VARIANT_TYPE("a(sq)"));
        for (int j = 0; j < 5000; j++)
                g_variant_builder_add(&ab, "(sq)", "tcp", (guint16) (j + 1));
        add_invalid(k, "ApplyDefaultDeny", g_variant_new("(@a(sq)@a{sv})", g_variant_builder_end(&ab), empty_opts()),
                    "Too many allows");
        /* out of range numbers */
        static const guint32 timeouts[] = { 86401, 100000, G_MAXUINT32 };
        for (size_t i = 0; i < G_N_ELEMENTS(timeouts); i++) {
                g_autofree char *num = g_strdup_printf("%u", timeouts[i]);
                add_invalid(k, "Apply",
                            apply_params("-A INPUT -j ACCEPT", one_opt("timeout", g_variant_new_uint32(timeouts[i]))),
                            num);
                add_invalid(k, "ApplyDefaultDeny", deny_params(one_opt("timeout", g_variant_new_uint32(timeouts[i]))),
                            num);
        }
        static const guint32 seconds[] = { 0, 86401, G_MAXUINT32 };
        for (size_t i = 0; i < G_N_ELEMENTS(seconds); i++) {
                g_autofree char *num = g_strdup_printf("%u", seconds[i]);
                add(k, k->ended_confirmed, TX_IFACE, "Extend", g_variant_new("(u)", seconds[i]), E_INVALID, NULL, num);
        }
        /* a cut in the middle of a UTF-8 sequence where messages truncate
         * names: the error text must still be valid UTF-8 to be sent */
        static const int cuts[] = { 15, 31, 39, 63 };
        for (size_t i = 0; i < G_N_ELEMENTS(cuts); i++) {
                g_autofree char *cut = fill("a", cuts[i]);
                g_autofree char *s = g_strdup_printf("%sé€é€", cut);
                /* the shortest limit is 16 bytes: that much must be named */
                g_autofree char *prefix = fill("a", 15);
                add_invalid(k, "ListRules", g_variant_new("(ss)", s, ""), prefix);
                add_invalid(k, "ListRules", g_variant_new("(ss)", "", s), prefix);
                add_invalid(k, "Apply", apply_params("-A INPUT -j ACCEPT", one_opt(s, g_variant_new_boolean(TRUE))),
                            prefix);
                add_invalid(k, "Apply",
                            apply_params("-A INPUT -j ACCEPT", one_opt("ssh-connection", g_variant_new_string(s))),
                            prefix);
                add_invalid(k, "ApplyDefaultDeny",
                            g_variant_new_parsed("([(%s, uint16 22)], @a{sv} {})", s), prefix);
                g_autofree char *change = g_strdup_printf("-A INPUT -s %s -j ACCEPT", s);
                add_bad_change(k, change, prefix);
        }
}

static void gen_bad_values(Corpus *k) {
        static const char *const cidrs[] = {
                "300.1.1.1", "10.0.0.0/33", "10.0.0.0/-1", "10.0.0.0/", "/24", "1.2.3.4.5", "256.256.256.256",
                "::/129", "2001:db8::/200", "2001:db8:::1", "10.0.0.0/8/8", "1.2.3.4/99999999999", "1..2.3",
                "2001:db8::g", "10.0.0.1%", "[::1]", "1.2.3.4/a", "::ffff:1.2.3.4.5", "1.2.3.-4", "10.0.0.0/8x",
        };
        for (size_t i = 0; i < G_N_ELEMENTS(cidrs); i++)
                for (int d = 0; d < 2; d++) {
                        g_autofree char *change = g_strdup_printf("-A INPUT %s %s -j ACCEPT", d ? "-d" : "-s", cidrs[i]);
                        add_bad_change(k, change, cidrs[i]);
                        g_autofree char *neg = g_strdup_printf("-I INPUT 1 ! %s %s -j DROP", d ? "-d" : "-s", cidrs[i]);
                        add_bad_change(k, neg, cidrs[i]);
                }
        static const char *const ports[] = { "70000", "65536", "-1", "abc", "1:2:3", "99999999999999999999", "22,",
                                             ",22", "1-2", "0x1g", "22:x", "1::2", "22 23" };
        static const char *const protos[] = { "tcp", "udp" };
        for (size_t i = 0; i < G_N_ELEMENTS(ports); i++)
                for (size_t p = 0; p < G_N_ELEMENTS(protos); p++)
                        for (int d = 0; d < 2; d++) {
                                g_autofree char *change = g_strdup_printf("-A INPUT -p %s %s %s -j ACCEPT", protos[p],
                                                                          d ? "--dport" : "--sport", ports[i]);
                                /* "22 23": the second word is what is wrong */
                                const char *bad = g_str_equal(ports[i], "22 23") ? "23" : ports[i];
                                add_bad_change(k, change, bad);
                        }
        for (int len = 16; len <= 40; len += 3)
                for (int o = 0; o < 2; o++) {
                        g_autofree char *name = fill("eth", (size_t) len);
                        g_autofree char *change = g_strdup_printf("-A INPUT %s %s -j ACCEPT", o ? "-o" : "-i", name);
                        add_bad_change(k, change, name);
                }
        static const char *const chains[] = { "-bad", "--x", "!x", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "a b",
                                              "0123456789012345678901234567890123", "ACCEPT", "DROP", "RETURN",
                                              "x\ty", "" };
        for (size_t i = 0; i < G_N_ELEMENTS(chains); i++) {
                const char *c = chains[i];
                bool read_ok = g_str_equal(c, "");  /* "" means all chains for reads */
                if (!read_ok && !g_str_equal(c, "ACCEPT") && !g_str_equal(c, "DROP") && !g_str_equal(c, "RETURN")) {
                        add_invalid(k, "ListRules", g_variant_new("(ss)", "", c), c);
                        add_invalid(k, "GetRulesText", g_variant_new("(ssb)", "ipv4", c, TRUE), c);
                        add_invalid(k, "ZeroCounters", g_variant_new("(ss)", "ipv6", c), c);
                }
                if (!*c || strchr(c, ' ') || strchr(c, '\t'))
                        continue;  /* split into words by the parser: other errors */
                g_autofree char *n = g_strdup_printf("-N %s", c);
                add_bad_change(k, n, c);
        }
        static const char *const families[] = { "ipv5", "IPV4", "ipv4 ", "4", "inet", "all", "both", "ip" };
        for (size_t i = 0; i < G_N_ELEMENTS(families); i++) {
                const char *f = families[i];
                add_invalid(k, "ListRules", g_variant_new("(ss)", f, ""), f);
                add_invalid(k, "GetRulesText", g_variant_new("(ssb)", f, "", FALSE), f);
                add_invalid(k, "ZeroCounters", g_variant_new("(ss)", f, "INPUT"), f);
                add_invalid(k, "Check", g_variant_new("(s)", f), f);
        }
        add_invalid(k, "GetRulesText", g_variant_new("(ssb)", "", "", FALSE), "\"\"");
        static const char *const l4[] = { "sctp", "icmp", "TCP", "", "tcp ", "6" };
        for (size_t i = 0; i < G_N_ELEMENTS(l4); i++)
                add_invalid(k, "ApplyDefaultDeny", g_variant_new_parsed("([(%s, uint16 22)], @a{sv} {})", l4[i]),
                            l4[i]);
        add_invalid(k, "ApplyDefaultDeny", g_variant_new_parsed("([('tcp', uint16 0)], @a{sv} {})"), "port 0");
        static const char *const ssh[] = { "10.0.0.1 22", "10.0.0.1 5 10.0.0.2", "a b c d", "10.0.0.1 0 10.0.0.2 22",
                                           "10.0.0.1 70000 10.0.0.2 22", "10.0.0.1 1 10.0.0.2 22 x", "" };
        for (size_t i = 0; i < G_N_ELEMENTS(ssh); i++) {
                add_invalid(k, "Apply",
                            apply_params("-A INPUT -j ACCEPT", one_opt("ssh-connection", g_variant_new_string(ssh[i]))),
                            "ssh-connection");
                add(k, k->ended_confirmed, TX_IFACE, "Confirm",
                    g_variant_new_tuple((GVariant *[]){ one_opt("ssh-connection", g_variant_new_string(ssh[i])) }, 1),
                    E_INVALID, NULL, "ssh-connection");
        }
        add_invalid(k, "Apply",
                    apply_params("-A INPUT -j ACCEPT",
                                 g_variant_new_parsed("{'strict': <true>, 'timeout': <uint32 0>}")),
                    "strict");
}

/* Rule text that does not parse: valid rules, each broken in one place. */
static void gen_unparsable(Corpus *k) {
        static const char *const bases[] = {
                "-A INPUT -s 192.0.2.0/24 -j ACCEPT",
                "-I INPUT 1 -p tcp --dport 22 -j ACCEPT",
                "-A INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT",
                "-A INPUT -i lo -j ACCEPT",
                "-A FORWARD -p udp --sport 53 -j DROP",
                "-6 -A INPUT -p ipv6-icmp --icmpv6-type 135 -j ACCEPT",
                "-A INPUT -p icmp --icmp-type 8 -j ACCEPT",
                "-A OUTPUT -d 198.51.100.1/32 -j REJECT",
                "-A INPUT -m comment --comment hi -j LOG",
                "-A INPUT -m limit --limit 5/min -j ACCEPT",
        };
        static const struct {
                const char *suffix;  /* appended, breaks the rule */
                const char *mention;
        } tails[] = {
                { " --bogus", "--bogus" },
                { " -m nosuchmatch", "nosuchmatch" },
                { " --ctstate BOGUS", "BOGUS" },
                { " -s", "-s" },
                { " -j", "-j" },
                { " --dport", "--dport" },
                { " -m", "-m" },
                { " !", "!" },
                { " extra-word", "extra-word" },
                { " -z", "-z" },
                { " -m limit --limit 0/s", "0/s" },
                { " -m limit --limit 5/fortnight", "5/fortnight" },
                { " --icmp-type nosuch", "--icmp-type" },
                { " -m conntrack --ctstate NEW,FOO", "FOO" },
                { " -m comment --comment", "--comment" },
        };
        for (size_t b = 0; b < G_N_ELEMENTS(bases); b++)
                for (size_t t = 0; t < G_N_ELEMENTS(tails); t++) {
                        g_autofree char *change = g_strdup_printf("%s%s", bases[b], tails[t].suffix);
                        add_bad_change(k, change, tails[t].mention);
                }
        static const char *const whole[] = {
                "", " ", "-A", "-A INPUT -s", "-Q INPUT", "INPUT", "-A INPUT ACCEPT", "-P INPUT MAYBE",
                "-P INPUT", "-D", "-D INPUT x", "-I INPUT -1 -j ACCEPT", "-I INPUT 0 -j ACCEPT",
                "-t nat -A PREROUTING -j ACCEPT", "-t raw -A OUTPUT -j ACCEPT", "-A INPUT -j ACCEPT -j DROP",
                "-A INPUT -s 192.0.2.1 -s 192.0.2.2 -j ACCEPT", "-4 -6 -A INPUT -j ACCEPT",
                "-6 -A INPUT -s 10.0.0.1 -j ACCEPT", "-A INPUT --dport 22 -j ACCEPT",
                "-A INPUT -p nosuchproto -j ACCEPT", "-F", "-Z", "-L", "-S", "-E a b",
                "-A INPUT -j ACCEPT; -F", "-A INPUT -j ACCEPT\n-F", "-A INPUT -m comment --comment 'unclosed -j ACCEPT",
                "iptables -A INPUT -j ACCEPT", "--append", "-A INPUT -p tcp -m multiport --dports 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16 -j ACCEPT",
        };
        for (size_t i = 0; i < G_N_ELEMENTS(whole); i++)
                add_bad_change(k, whole[i], NULL);
        /* one bad change among good ones: the call fails as a whole */
        const char *mixed[] = { "-A INPUT -s 192.0.2.5/32 -j ACCEPT", "-P INPUT DROP", "-A INPUT --bogus", NULL };
        add_unparsable(k, "Apply", g_variant_new("(^as@a{sv})", mixed, empty_opts()), "--bogus");
}

/* Well-formed changes the table refuses: after polkit, so the
 * unprivileged caller is denied first. */
static void gen_table_errors(Corpus *k) {
        static const struct {
                const char *change, *error;
        } errors[] = {
                { "-D INPUT 5", E_NOT_FOUND },
                { "-A nosuch -j ACCEPT", E_NOT_FOUND },
                { "-D INPUT -s 192.0.2.200/32 -j ACCEPT", E_NOT_FOUND },
                { "-X nosuch", E_NOT_FOUND },
                { "-A INPUT -j nosuch", E_NOT_FOUND },
                { "-I INPUT 99 -j ACCEPT", E_NOT_FOUND },
                { "-R INPUT 99 -j ACCEPT", E_NOT_FOUND },
                { "-F nosuch", E_NOT_FOUND },
                { "-P nosuch DROP", E_NOT_FOUND },
                { "-X INPUT", E_INVALID },  /* a built-in chain */
                { "-X OUTPUT", E_INVALID },
                { "-N hostile-a", NULL },  /* followed by itself below */
        };
        for (size_t i = 0; i < G_N_ELEMENTS(errors); i++) {
                if (!errors[i].error)
                        continue;
                const char *changes[] = { "-A INPUT -s 192.0.2.50/32 -j DROP", errors[i].change, NULL };
                for (int timeout = 0; timeout < 2; timeout++) {
                        GVariant *opts = one_opt("timeout", g_variant_new_uint32(timeout ? 30 : 600));
                        add(k, PATH, IFACE, "Apply", g_variant_new("(^as@a{sv})", changes, opts), errors[i].error,
                            E_DENIED, errors[i].change);
                }
                add(k, PATH, IFACE, "Preview", g_variant_new("(^as@a{sv})", changes, empty_opts()), errors[i].error,
                    E_DENIED, errors[i].change);
        }
        const char *dup[] = { "-N hostile-a", "-N hostile-a", NULL };
        add(k, PATH, IFACE, "Apply", g_variant_new("(^as@a{sv})", dup, empty_opts()), E_CONFLICT, E_DENIED, NULL);
        const char *nonempty[] = { "-N hostile-b", "-A hostile-b -j ACCEPT", "-X hostile-b", NULL };
        add(k, PATH, IFACE, "Apply", g_variant_new("(^as@a{sv})", nonempty, empty_opts()), E_CONFLICT, E_DENIED,
            NULL);
        const char *referenced[] = { "-N hostile-c", "-A INPUT -j hostile-c", "-X hostile-c", NULL };
        add(k, PATH, IFACE, "Apply", g_variant_new("(^as@a{sv})", referenced, empty_opts()), E_CONFLICT, E_DENIED,
            NULL);
        add(k, PATH, IFACE, "ListRules", g_variant_new("(ss)", "ipv4", "nosuch"), E_NOT_FOUND, E_DENIED, "nosuch");
}

static void gen_transactions(Corpus *k) {
        static const char *const ids[] = { "0", "999999", "4294967295", "4294967296", "99999999999", "01", "abc",
                                           "1a", "1_", "1/2", "_1" };
        for (size_t i = 0; i < G_N_ELEMENTS(ids); i++) {
                g_autofree char *p = g_strdup_printf(TX_PREFIX "%s", ids[i]);
                add(k, p, TX_IFACE, "Confirm", g_variant_new_parsed("(@a{sv} {},)"), E_UNKNOWN_OBJECT, NULL, NULL);
                add(k, p, TX_IFACE, "Rollback", NULL, E_UNKNOWN_OBJECT, NULL, NULL);
                add(k, p, TX_IFACE, "Extend", g_variant_new("(u)", 30), E_UNKNOWN_OBJECT, NULL, NULL);
                add(k, p, "org.freedesktop.DBus.Properties", "Get", g_variant_new("(ss)", TX_IFACE, "State"),
                    E_UNKNOWN_OBJECT, NULL, NULL);
        }
        const char *ended[] = { k->ended_confirmed, k->ended_rolled_back };
        for (int rep = 0; rep < 5; rep++)
                for (size_t i = 0; i < G_N_ELEMENTS(ended); i++) {
                        add(k, ended[i], TX_IFACE, "Confirm", g_variant_new_parsed("(@a{sv} {},)"), E_NOT_PENDING,
                            NULL, NULL);
                        add(k, ended[i], TX_IFACE, "Rollback", NULL, E_NOT_PENDING, NULL, NULL);
                        add(k, ended[i], TX_IFACE, "Extend", g_variant_new("(u)", 30), E_NOT_PENDING, NULL, NULL);
                }
}

static void gen_made_up(Corpus *k) {
        static const char *const paths[] = { "/", "/org", "/org/backstop", "/org/backstop/Firewall2",
                                             "/org/backstop/Firewall1/x", "/org/backstop/Firewall1/Transactions/1",
                                             "/org/backstop/Firewall1/Transaction/1/x", "/a/b/c/d/e/f/g" };
        for (size_t i = 0; i < G_N_ELEMENTS(paths); i++) {
                add(k, paths[i], IFACE, "ListRules", g_variant_new("(ss)", "", ""), E_UNKNOWN_OBJECT, NULL, NULL);
                add(k, paths[i], IFACE, "Save", NULL, E_UNKNOWN_OBJECT, NULL, NULL);
                add(k, paths[i], TX_IFACE, "Rollback", NULL, E_UNKNOWN_OBJECT, NULL, NULL);
        }
        /* interfaces the bus policy does not let through to us at all */
        static const char *const ifaces[] = { "org.backstop.Firewall2", "org.backstop.Firewall1.Admin",
                                              "org.example.Evil", "org.freedesktop.systemd1.Manager",
                                              "org.backstop.firewall1" };
        for (size_t i = 0; i < G_N_ELEMENTS(ifaces); i++) {
                add(k, PATH, ifaces[i], "Apply", apply_params("-P INPUT DROP", NULL), E_DENIED, NULL, NULL);
                add(k, PATH, ifaces[i], "Save", NULL, E_DENIED, NULL, NULL);
        }
        static const char *const methods[] = { "apply", "APPLY", "Apply2", "Commit", "Restore", "Flush", "Exec",
                                               "SetPolicy", "Delete", "Reload" };
        for (size_t i = 0; i < G_N_ELEMENTS(methods); i++) {
                add(k, PATH, IFACE, methods[i], NULL, E_UNKNOWN_METHOD, NULL, NULL);
                add(k, k->ended_confirmed, TX_IFACE, methods[i], NULL, E_UNKNOWN_METHOD, NULL, NULL);
        }
        static const char *const props[] = { "version", "Nope", "Deadline", "" };
        for (size_t i = 0; i < G_N_ELEMENTS(props); i++)
                add(k, PATH, "org.freedesktop.DBus.Properties", "Get", g_variant_new("(ss)", IFACE, props[i]),
                    E_UNKNOWN_PROPERTY, NULL, NULL);
        static const char *const rw[] = { "Version", "PendingTransaction", "IPv6Active", "RulesSaved" };
        for (size_t i = 0; i < G_N_ELEMENTS(rw); i++)
                add(k, PATH, "org.freedesktop.DBus.Properties", "Set",
                    g_variant_new("(ssv)", IFACE, rw[i], g_variant_new_string("/")), E_READ_ONLY, NULL, NULL);
        add(k, k->ended_confirmed, "org.freedesktop.DBus.Properties", "Set",
            g_variant_new("(ssv)", TX_IFACE, "State", g_variant_new_string("pending")), E_READ_ONLY, NULL, NULL);
}

/* ApplyChanges / PreviewChanges: the structured form of the changes. */
static GVariant *dict_params(GVariant *change_dict) {
        GVariant *arr = g_variant_new_array(G_VARIANT_TYPE("a{sv}"), &change_dict, 1);
        return g_variant_new("(@aa{sv}@a{sv})", arr, empty_opts());
}

/* {"operation": "append", "chain": "INPUT", "rule": {key: value}} */
static GVariant *append_with(const char *key, GVariant *value) {
        GVariant *rule = one_opt(key, value);
        return g_variant_new_parsed("{'operation': <'append'>, 'chain': <'INPUT'>, 'rule': <%@a{sv}>}", rule);
}

/* A change the converter refuses (after polkit); with cheap, one refused
 * while the call is read (a value that is a container, a change over
 * 8192 bytes, too many keys: before polkit). */
static void add_dict(Corpus *k, GVariant *change_dict, const char *mention, bool cheap) {
        g_variant_ref_sink(change_dict);
        void (*add_one)(Corpus *, const char *, GVariant *, const char *) = cheap ? add_invalid : add_unparsable;
        add_one(k, "ApplyChanges", dict_params(change_dict), mention);
        add_one(k, "PreviewChanges", dict_params(change_dict), mention);
        g_variant_unref(change_dict);
}

static void add_bad_dict(Corpus *k, GVariant *change_dict, const char *mention) {
        add_dict(k, change_dict, mention, false);
}

static bool is_container(const char *gvariant_text) {
        return strchr("[@(", gvariant_text[0]) != NULL;
}

static void gen_structured(Corpus *k) {
        static const struct {
                const char *key, *value;  /* a value of the wrong type, as GVariant text */
        } wrong_types[] = {
                { "operation", "uint32 1" }, { "operation", "true" }, { "chain", "uint32 1" }, { "chain", "['INPUT']" },
                { "family", "4" },           { "position", "'1'" },   { "position", "int32 1" }, { "policy", "false" },
                { "rule", "'-j ACCEPT'" },   { "rule", "@a{ss} {}" },
        };
        for (size_t i = 0; i < G_N_ELEMENTS(wrong_types); i++) {
                g_autofree char *text = g_strdup_printf(
                        "{'operation': <'append'>, 'chain': <'INPUT'>, 'rule': <@a{sv} {}>, '%s': <%s>}",
                        wrong_types[i].key, wrong_types[i].value);
                add_dict(k, g_variant_new_parsed(text), wrong_types[i].key, is_container(wrong_types[i].value));
        }
        static const struct {
                const char *key, *value;
        } rule_types[] = {
                { "source", "uint32 1" }, { "dports", "uint32 22" }, { "target", "true" }, { "goto", "'yes'" },
                { "limit-burst", "'10'" }, { "comment", "['a']" },   { "protocol", "6" },  { "ctstate", "@as []" },
        };
        for (size_t i = 0; i < G_N_ELEMENTS(rule_types); i++)
                add_dict(k, append_with(rule_types[i].key, g_variant_new_parsed(rule_types[i].value)),
                         rule_types[i].key, is_container(rule_types[i].value));
        static const struct {
                const char *key, *value, *mention;
        } bad_values[] = {
                { "source", "300.1.1.1", "300.1.1.1" },   { "destination", "10.0.0.0/33", "10.0.0.0/33" },
                { "source", "-s", "-s" },                 { "source", "1.2.3.4 -j ACCEPT", "1.2.3.4 -j ACCEPT" },
                { "in-interface", "eth0eth0eth0eth0x", "eth0eth0eth0eth0x" },
                { "protocol", "nosuchproto", "nosuchproto" }, { "ctstate", "BOGUS", "BOGUS" },
                { "limit", "5/fortnight", "5/fortnight" }, { "target", "--bogus", "--bogus" },
                { "reject-with", "tcp-reset", "reject-with" }, { "icmp-type", "echo-request", "icmp-type" },
                { "dports", "22", "dports" },              { "log-level", "9", "log-level" },
                { "nosuch", "x", "nosuch" },               { "", "x", "\"\"" },
        };
        for (size_t i = 0; i < G_N_ELEMENTS(bad_values); i++)
                add_bad_dict(k, append_with(bad_values[i].key, g_variant_new_string(bad_values[i].value)),
                             bad_values[i].mention);
        static const char *const ports[] = { "70000", "-1", "abc", "1:2:3", "22,", "1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16" };
        for (size_t i = 0; i < G_N_ELEMENTS(ports); i++) {
                GVariant *rule = g_variant_new_parsed("{'protocol': <'tcp'>, 'dports': <%s>, 'target': <'ACCEPT'>}",
                                                      ports[i]);
                add_bad_dict(k,
                             g_variant_new_parsed("{'operation': <'append'>, 'chain': <'INPUT'>, 'rule': <%@a{sv}>}",
                                                  rule),
                             "dports");
        }
        static const char *const ops[] = { "explode", "APPEND", "", "-A", "new_chain" };
        for (size_t i = 0; i < G_N_ELEMENTS(ops); i++)
                add_bad_dict(k, g_variant_new_parsed("{'operation': <%s>, 'chain': <'INPUT'>}", ops[i]), "operation");
        add_bad_dict(k, g_variant_new_parsed("{'chain': <'INPUT'>, 'rule': <@a{sv} {}>}"), "operation");
        add_bad_dict(k, g_variant_new_parsed("{'operation': <'append'>, 'rule': <@a{sv} {}>}"), "chain");
        add_bad_dict(k, g_variant_new_parsed("{'operation': <'append'>, 'chain': <'INPUT'>}"), "rule");
        add_bad_dict(k, g_variant_new_parsed("{'operation': <'policy'>, 'chain': <'INPUT'>, 'policy': <'MAYBE'>}"),
                     "MAYBE");
        add_bad_dict(k, g_variant_new_parsed("{'operation': <'replace'>, 'chain': <'INPUT'>, 'rule': <@a{sv} {}>}"),
                     "position");
        add_bad_dict(k, g_variant_new_parsed("{'operation': <'flush'>, 'chain': <'INPUT'>, 'position': <uint32 1>}"),
                     "position");
        add_bad_dict(k, g_variant_new_parsed("{'operation': <'new-chain'>, 'chain': <'-bad'>}"), "-bad");
        add_bad_dict(k, g_variant_new_parsed("{'operation': <'append'>, 'chain': <'INPUT'>, 'family': <'ipv5'>, "
                                             "'rule': <@a{sv} {}>}"),
                     "ipv5");
        /* sizes: a long comment, a change over 8192 bytes, more than 32 keys */
        g_autofree char *c300 = fill("c", 300), *c9000 = fill("c", 9000);
        add_bad_dict(k, append_with("comment", g_variant_new_string(c300)), "comment");
        add_dict(k, append_with("comment", g_variant_new_string(c9000)), "8192", true);
        GVariantBuilder b;
        g_variant_builder_init(&b, G_VARIANT_TYPE("a{sv}"));
        for (int i = 0; i < 40; i++) {
                g_autofree char *key = g_strdup_printf("key%d", i);
                g_variant_builder_add(&b, "{sv}", key, g_variant_new_string("x"));
        }
        add_dict(k, g_variant_builder_end(&b), "32", true);
        /* more changes than allowed */
        GVariantBuilder many;
        g_variant_builder_init(&many, G_VARIANT_TYPE("aa{sv}"));
        for (int i = 0; i < 10001; i++)
                g_variant_builder_add_value(&many, g_variant_new_parsed("{'operation': <'flush'>, 'chain': <'INPUT'>}"));
        add_invalid(k, "ApplyChanges", g_variant_new("(@aa{sv}@a{sv})", g_variant_builder_end(&many), empty_opts()),
                    "10000");
        /* names and values cut at a limit in the middle of a character */
        static const int cuts[] = { 19, 39, 99 };
        for (size_t i = 0; i < G_N_ELEMENTS(cuts); i++) {
                g_autofree char *cut = fill("a", cuts[i]);
                g_autofree char *s = g_strdup_printf("%sé€é€", cut);
                g_autofree char *prefix = fill("a", 15);
                add_bad_dict(k, append_with(s, g_variant_new_string("x")), prefix);
                add_bad_dict(k, append_with("source", g_variant_new_string(s)), prefix);
                add_bad_dict(k, append_with("in-interface", g_variant_new_string(s)), prefix);
                add_bad_dict(k, append_with("target", g_variant_new_string(s)), prefix);
                add_bad_dict(k, g_variant_new_parsed("{'operation': <%s>, 'chain': <'INPUT'>}", s), prefix);
                add_bad_dict(k, g_variant_new_parsed("{%s: <'x'>, 'operation': <'flush'>, 'chain': <'INPUT'>}", s),
                             prefix);
        }
        /* wrong option types, as for Apply */
        GVariant *flush = g_variant_new_parsed("[{'operation': <'flush'>, 'chain': <'INPUT'>}]");
        g_variant_ref_sink(flush);
        for (size_t o = 0; o < G_N_ELEMENTS(option_types); o++) {
                GVariant *v = g_variant_ref_sink(g_variant_new_int64(5));
                add_invalid(k, "ApplyChanges",
                            g_variant_new("(@aa{sv}@a{sv})", flush, one_opt(option_types[o].key, v)),
                            option_types[o].key);
                g_variant_unref(v);
        }
        g_variant_unref(flush);
}

Corpus *corpus_new(const char *ended_confirmed, const char *ended_rolled_back) {
        Corpus *k = g_new0(Corpus, 1);
        k->calls = g_ptr_array_new_with_free_func((GDestroyNotify) bad_call_free);
        k->ended_confirmed = g_strdup(ended_confirmed);
        k->ended_rolled_back = g_strdup(ended_rolled_back);
        gen_wrong_signatures(k);
        gen_wrong_variant_types(k);
        gen_unknown_keys(k);
        gen_huge(k);
        gen_bad_values(k);
        gen_unparsable(k);
        gen_table_errors(k);
        gen_transactions(k);
        gen_made_up(k);
        gen_structured(k);
        return k;
}

void corpus_free(Corpus *k) {
        g_ptr_array_unref(k->calls);
        g_free(k->ended_confirmed);
        g_free(k->ended_rolled_back);
        g_free(k);
}

/* Send every call; count the failures (each printed). */
guint run_corpus(GDBusConnection *c, Corpus *k, gboolean privileged) {
        guint failures = 0;
        for (guint i = 0; i < k->calls->len; i++) {
                BadCall *b = k->calls->pdata[i];
                const char *want = privileged ? b->err_root : b->err_user;
                g_autoptr(GError) error = NULL;
                g_autoptr(GVariant) r = g_dbus_connection_call_sync(c, BUS_NAME, b->path, b->iface, b->method,
                                                                    b->params, NULL, G_DBUS_CALL_FLAGS_NONE, 30000,
                                                                    NULL, &error);
                g_autofree char *what = b->params ? g_variant_print(b->params, TRUE) : g_strdup("()");
                if (strlen(what) > 160)
                        strcpy(what + 150, "...");
                if (!error) {
                        g_printerr("FAIL %s %s.%s%s: succeeded, wanted %s\n", b->path, b->iface, b->method, what,
                                   want);
                        failures++;
                        continue;
                }
                g_autofree char *name = g_dbus_error_get_remote_error(error);
                if (!name || !g_str_equal(name, want)) {
                        g_printerr("FAIL %s %s.%s%s: %s (%s), wanted %s\n", b->path, b->iface, b->method, what,
                                   name ? name : "(local)", error->message, want);
                        failures++;
                        continue;
                }
                /* the message names the bad value when the caller got as far
                 * as validation */
                if (b->mention && g_str_equal(want, b->err_root) && !strstr(error->message, b->mention)) {
                        g_printerr("FAIL %s.%s%s: %s: \"%s\" does not name \"%.80s\"\n", b->iface, b->method, what,
                                   name, error->message, b->mention);
                        failures++;
                }
        }
        return failures;
}
