/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Hostile and malformed input over D-Bus: a generated corpus of bad calls
 * (wrong signatures, wrong variant types and unknown keys in a{sv}, huge
 * strings and arrays, bad addresses, ports, interfaces and chain names, rule
 * text that does not parse, transactions that do not exist or are over,
 * made-up objects, interfaces, methods and properties), sent as root and
 * again by an unprivileged client (uid 65534, a re-exec of this program;
 * no polkit on the bus, so every call that passes validation is denied).
 *
 * Each call must fail with the error the API names. Afterwards the daemon is
 * alive, answers a normal call, its RSS grew by less than RSS_BOUND_KB, and
 * iptables-legacy-save / ip6tables-legacy-save print what they printed
 * before, byte for byte (their "# Generated ... on DATE" comments aside). */
#include <gio/gunixinputstream.h>
#include <glib/gstdio.h>
#include <stdbool.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bus-fixture.h"
#include "worst-changes.h"

#define BUS_NAME "org.backstop.Firewall1"
#define PATH "/org/backstop/Firewall1"
#define IFACE "org.backstop.Firewall1"
#define TX_IFACE "org.backstop.Firewall1.Transaction"
#define TX_PREFIX "/org/backstop/Firewall1/Transaction/"

#define E_INVALID "org.freedesktop.DBus.Error.InvalidArgs"
#define E_DENIED "org.freedesktop.DBus.Error.AccessDenied"
#define E_UNKNOWN_OBJECT "org.freedesktop.DBus.Error.UnknownObject"
#define E_UNKNOWN_METHOD "org.freedesktop.DBus.Error.UnknownMethod"
#define E_UNKNOWN_PROPERTY "org.freedesktop.DBus.Error.UnknownProperty"
#define E_READ_ONLY "org.freedesktop.DBus.Error.PropertyReadOnly"
#define E_NOT_PENDING "org.backstop.Firewall1.Error.NotPending"
#define E_NOT_FOUND "org.backstop.Firewall1.Error.NotFound"
#define E_CONFLICT "org.backstop.Firewall1.Error.Conflict"
#define E_BUSY "org.backstop.Firewall1.Error.Busy"

#define UNPRIVILEGED_UID 65534
/* a second unprivileged user: one the bus daemon can look up */
#define OTHER_USER "daemon"

/* The daemon's limits on one call's changes (BS_CHANGESET_TEXT_MAX,
 * BS_CHANGESET_MAX in daemon/changeset.h) */
#define CHANGES_BYTES_MAX (2u << 20)
#define CHANGES_MAX 10000

/* Why this bound: the daemon keeps nothing of a refused call, but the
 * largest messages of the corpus (a 1 MiB change, 20000 changes, 1 MiB
 * family and chain strings) pass through sd-bus' read buffer and glibc's
 * heap, whose dynamic mmap threshold lets freed blocks of up to 32 MiB stay
 * in the heap. A leak of one small allocation per call (2000+ calls, each
 * copying its strings) or of one message buffer per large call shows above
 * 8 MiB; heap retention of the few large buffers stays below it. Under
 * AddressSanitizer the quarantine keeps freed memory on purpose, so the
 * figure is printed but not judged there; LeakSanitizer judges at the
 * daemon's exit instead (the fixture fails on any sanitizer report). */
#define RSS_BOUND_KB (8 * 1024)

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif
#ifndef UNDER_ASAN
#define UNDER_ASAN 0
#endif

typedef struct BadCall {
        char *path, *iface, *method;
        GVariant *params;  /* NULL: no arguments */
        const char *err_root;
        const char *err_user;  /* the unprivileged caller's error */
        char *mention;         /* the message names this (NULL: not checked) */
} BadCall;

static void bad_call_free(BadCall *c) {
        g_free(c->path);
        g_free(c->iface);
        g_free(c->method);
        if (c->params)
                g_variant_unref(c->params);
        g_free(c->mention);
        g_free(c);
}

typedef struct Corpus {
        GPtrArray *calls;
        char *ended_confirmed, *ended_rolled_back;  /* transaction paths */
} Corpus;

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

static GVariant *empty_opts(void) {
        return g_variant_new_array(G_VARIANT_TYPE("{sv}"), NULL, 0);
}

static GVariant *one_opt(const char *key, GVariant *value) {
        GVariant *e = g_variant_new_dict_entry(g_variant_new_string(key), g_variant_new_variant(value));
        return g_variant_new_array(G_VARIANT_TYPE("{sv}"), &e, 1);
}

static GVariant *changes1(const char *change) {
        return g_variant_new_strv(&change, 1);
}

static GVariant *apply_params(const char *change, GVariant *opts) {
        GVariant *v[] = { changes1(change), opts ? opts : empty_opts() };
        return g_variant_new_tuple(v, 2);
}

static GVariant *deny_params(GVariant *opts) {
        return g_variant_new_parsed("([('tcp', uint16 22)], %@a{sv})", opts);
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

static Corpus *corpus_new(const char *ended_confirmed, const char *ended_rolled_back) {
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

static void corpus_free(Corpus *k) {
        g_ptr_array_unref(k->calls);
        g_free(k->ended_confirmed);
        g_free(k->ended_rolled_back);
        g_free(k);
}

/* Send every call; count the failures (each printed). */
static guint run_corpus(GDBusConnection *c, Corpus *k, gboolean privileged) {
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

/* ---------------------------------------------------------------- the test */

static BsBusFixture *F;
static GDBusConnection *C;
static const char *Self;

static char *ruleset(void) {
        GString *s = g_string_new(NULL);
        const char *progs[] = { "iptables-legacy-save", "ip6tables-legacy-save" };
        for (size_t i = 0; i < G_N_ELEMENTS(progs); i++) {
                const char *argv[] = { progs[i], NULL };
                g_autofree char *out = bs_test_run(argv);
                g_auto(GStrv) lines = g_strsplit(out, "\n", -1);
                for (char **l = lines; *l; l++)
                        if ((*l)[0] != '#')
                                g_string_append_printf(s, "%s\n", *l);
        }
        return g_string_free(s, FALSE);
}

static long daemon_rss_kb(void) {
        const char *pid = g_subprocess_get_identifier(F->daemon);
        g_assert_nonnull(pid);
        g_autofree char *path = g_strdup_printf("/proc/%s/status", pid);
        g_autofree char *status = NULL;
        g_assert_true(g_file_get_contents(path, &status, NULL, NULL));
        const char *v = strstr(status, "VmRSS:");
        g_assert_nonnull(v);
        return strtol(v + 6, NULL, 10);
}

/* The daemon's user + system CPU time so far. */
static double daemon_cpu_ms(void) {
        g_autofree char *path = g_strdup_printf("/proc/%s/stat", g_subprocess_get_identifier(F->daemon));
        g_autofree char *stat = NULL;
        g_assert_true(g_file_get_contents(path, &stat, NULL, NULL));
        const char *p = strrchr(stat, ')');
        g_assert_nonnull(p);
        unsigned long utime = 0, stime = 0;
        /* after ") ": state and 10 fields, then utime and stime */
        g_assert_cmpint(sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &utime, &stime), ==, 2);
        return (double) (utime + stime) * 1000.0 / (double) sysconf(_SC_CLK_TCK);
}

static char *apply_tx(const char *change, guint32 timeout) {
        const char *changes[] = { change, NULL };
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) r = g_dbus_connection_call_sync(
                C, BUS_NAME, PATH, IFACE, "Apply",
                g_variant_new_parsed("(%^as, {'timeout': <%u>, 'force': <true>})", changes, timeout), G_VARIANT_TYPE("(o)"),
                G_DBUS_CALL_FLAGS_NONE, 30000, NULL, &error);
        g_assert_no_error(error);
        char *path;
        g_variant_get(r, "(o)", &path);
        return path;
}

static void tx_method(const char *path, const char *method, GVariant *params) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) r = g_dbus_connection_call_sync(C, BUS_NAME, path, TX_IFACE, method, params, NULL,
                                                            G_DBUS_CALL_FLAGS_NONE, 30000, NULL, &error);
        g_assert_no_error(error);
}

static char *tx_state(GDBusConnection *c, const char *path) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) r = g_dbus_connection_call_sync(c, BUS_NAME, path, "org.freedesktop.DBus.Properties",
                                                            "Get", g_variant_new("(ss)", TX_IFACE, "State"),
                                                            G_VARIANT_TYPE("(v)"), G_DBUS_CALL_FLAGS_NONE, 30000, NULL,
                                                            &error);
        g_assert_no_error(error);
        g_autoptr(GVariant) v = NULL;
        g_variant_get(r, "(v)", &v);
        return g_variant_dup_string(v, NULL);
}

/* A normal call that must work. */
static void assert_alive(void) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) r = g_dbus_connection_call_sync(C, BUS_NAME, PATH, IFACE, "GetRulesText",
                                                            g_variant_new("(ssb)", "ipv4", "", FALSE),
                                                            G_VARIANT_TYPE("(s)"), G_DBUS_CALL_FLAGS_NONE, 30000, NULL,
                                                            &error);
        g_assert_no_error(error);
        const char *text;
        g_variant_get(r, "(&s)", &text);
        g_assert_nonnull(strstr(text, "-P INPUT ACCEPT"));
        g_assert_nonnull(g_subprocess_get_identifier(F->daemon));  /* not exited */
}

static char *Confirmed, *RolledBack;

/* Run this program again as uid 65534 with the given mode; returns its
 * exit status. */
static int run_unprivileged(const char *mode, const char *arg) {
        g_autoptr(GError) error = NULL;
        const char *argv[] = { Self, "--unprivileged", mode, F->bus_address, Confirmed, RolledBack, arg, NULL };
        int status = 0;
        g_autofree char *out = NULL;
        if (!g_spawn_sync(NULL, (char **) argv, NULL, G_SPAWN_CHILD_INHERITS_STDIN, NULL, NULL, &out, NULL, &status,
                          &error))
                g_error("cannot run %s: %s", Self, error->message);
        g_print("%s", out);
        return status;
}

static void setup_ended(void) {
        /* two ended transactions: NotPending targets */
        Confirmed = apply_tx("-A INPUT -s 192.0.2.250/32 -j ACCEPT", 600);
        tx_method(Confirmed, "Confirm", g_variant_new_parsed("(@a{sv} {},)"));
        RolledBack = apply_tx("-A INPUT -s 192.0.2.251/32 -j ACCEPT", 600);
        tx_method(RolledBack, "Rollback", NULL);
}

static void test_root(void) {
        g_autofree char *before = ruleset();
        Corpus *corpus = corpus_new(Confirmed, RolledBack);
        long rss0 = daemon_rss_kb();
        gint64 t0 = g_get_monotonic_time();
        guint failures = run_corpus(C, corpus, TRUE);
        gint64 t1 = g_get_monotonic_time();
        long rss1 = daemon_rss_kb();
        g_print("# root: %u bad calls in %.1f s, %u failed; daemon RSS %ld kB -> %ld kB (%+ld kB, bound %d kB%s)\n",
                corpus->calls->len, (t1 - t0) / 1e6, failures, rss0, rss1, rss1 - rss0, RSS_BOUND_KB,
                UNDER_ASAN ? ", not judged under ASan" : "");
        g_assert_cmpuint(corpus->calls->len, >=, 1000);
        g_assert_cmpuint(failures, ==, 0);
        assert_alive();
        if (!UNDER_ASAN)
                g_assert_cmpint(rss1 - rss0, <, RSS_BOUND_KB);
        g_autofree char *after = ruleset();
        g_assert_cmpstr(after, ==, before);
        corpus_free(corpus);
}

static void test_unprivileged(void) {
        g_autofree char *before = ruleset();
        long rss0 = daemon_rss_kb();
        int status = run_unprivileged("corpus", "");
        long rss1 = daemon_rss_kb();
        g_print("# unprivileged: daemon RSS %ld kB -> %ld kB (%+ld kB)\n", rss0, rss1, rss1 - rss0);
        g_assert_true(g_spawn_check_wait_status(status, NULL));
        assert_alive();
        if (!UNDER_ASAN)
                g_assert_cmpint(rss1 - rss0, <, RSS_BOUND_KB);
        g_autofree char *after = ruleset();
        g_assert_cmpstr(after, ==, before);
}

/* A pending transaction of root's: the unprivileged caller can neither
 * confirm, roll back, extend it nor apply, save or zero meanwhile. */
static void test_unprivileged_pending(void) {
        g_autofree char *tx = apply_tx("-A INPUT -s 192.0.2.252/32 -j DROP", 600);
        g_autofree char *before = ruleset();
        int status = run_unprivileged("pending", tx);
        g_assert_true(g_spawn_check_wait_status(status, NULL));
        g_autofree char *state = tx_state(C, tx), *after = ruleset();
        g_assert_cmpstr(state, ==, "pending");
        g_assert_cmpstr(after, ==, before);
        tx_method(tx, "Rollback", NULL);
        assert_alive();
}

/* A rollback is on time while an unprivileged caller keeps the daemon as
 * busy as it can: a transaction with a 2 s timer, and meanwhile uid 65534
 * sends the largest Apply and Preview the limits allow (a service name in
 * every port), back to back, from before the deadline to after it. How
 * late the rollback ran is what the daemon logs, and when its signal came
 * against the transaction's Deadline; both printed, the log's figure
 * judged with a generous bound (the machine is shared). Then a root
 * Preview of the same size (root skips polkit: the most one authorized
 * call parses and evaluates), timed and printed. */
static volatile gint64 RolledBackAt; /* g_get_real_time() when the signal came, 0 before */

static GDBusMessage *note_rolled_back(GDBusConnection *c, GDBusMessage *msg, gboolean incoming, gpointer data) {
        if (incoming && g_dbus_message_get_message_type(msg) == G_DBUS_MESSAGE_TYPE_SIGNAL &&
            g_strcmp0(g_dbus_message_get_member(msg), "TransactionRolledBack") == 0)
                RolledBackAt = g_get_real_time();
        return msg;
}

static void ignore_signal(GDBusConnection *c, const char *sender, const char *path, const char *iface,
                          const char *signal, GVariant *params, gpointer data) {
}

static double logged_lateness_ms(guint32 id) {
        g_autofree char *log = NULL;
        g_assert_true(g_file_get_contents(F->daemon_log, &log, NULL, NULL));
        g_autofree char *needle = g_strdup_printf("Transaction %u rolled back (timeout), ", id);
        const char *p = g_strrstr(log, needle);
        return p ? g_ascii_strtod(p + strlen(needle), NULL) : -1;
}

static void test_rollback_on_time(void) {
        guint sub = g_dbus_connection_signal_subscribe(C, BUS_NAME, IFACE, "TransactionRolledBack", PATH, NULL,
                                                       G_DBUS_SIGNAL_FLAGS_NONE, ignore_signal, NULL, NULL);
        guint filter = g_dbus_connection_add_filter(C, note_rolled_back, NULL, NULL);
        RolledBackAt = 0;
        g_autofree char *tx = apply_tx("-A INPUT -s 192.0.2.253/32 -j DROP", 2);
        guint32 id = (guint32) strtoul(tx + strlen(TX_PREFIX), NULL, 10);
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) r = g_dbus_connection_call_sync(C, BUS_NAME, tx, "org.freedesktop.DBus.Properties", "Get",
                                                            g_variant_new("(ss)", TX_IFACE, "Deadline"),
                                                            G_VARIANT_TYPE("(v)"), G_DBUS_CALL_FLAGS_NONE, 30000,
                                                            NULL, &error);
        g_assert_no_error(error);
        g_autoptr(GVariant) v = NULL;
        g_variant_get(r, "(v)", &v);
        guint64 deadline = g_variant_get_uint64(v);

        /* from now (the deadline is 2 s away) until 2 s after it */
        int status = run_unprivileged("flood", "4");
        g_assert_true(g_spawn_check_wait_status(status, NULL));
        for (int i = 0; i < 600 && logged_lateness_ms(id) < 0; i++)
                g_usleep(100000);
        double late_ms = logged_lateness_ms(id);
        gint64 at = RolledBackAt;
        g_print("# rollback due while uid %u sent the largest calls: %.1f ms after its deadline (daemon log), "
                "its signal %.1f ms after it\n",
                UNPRIVILEGED_UID, late_ms, at ? (double) (at - (gint64) deadline) / 1e3 : -1.0);
        g_dbus_connection_remove_filter(C, filter);
        g_dbus_connection_signal_unsubscribe(C, sub);
        g_autofree char *state = tx_state(C, tx);
        g_assert_cmpstr(state, ==, "rolled-back");
        g_assert_cmpint(at, >, 0);
        g_assert_cmpfloat(late_ms, >=, 0);
        /* Not judged under AddressSanitizer: its realloc copies the block
         * each time, even to the same size, and sd-bus reallocates its read
         * buffer for every part of a message that arrives: a message of 30
         * MiB costs the daemon seconds there, tens of ms without. */
        if (UNDER_ASAN)
                g_print("# (the lateness is not judged under ASan)\n");
        else {
                g_assert_cmpfloat((double) (at - (gint64) deadline) / 1e3, <, 1000);
                g_assert_cmpfloat(late_ms, <, 1000);
        }

        /* the largest Preview of an authorized caller */
        g_auto(GStrv) lines = worst_changes(CHANGES_BYTES_MAX, CHANGES_MAX);
        gint64 t0 = g_get_monotonic_time();
        g_autoptr(GVariant) pr = g_dbus_connection_call_sync(
                C, BUS_NAME, PATH, IFACE, "Preview", g_variant_new("(^as@a{sv})", lines, empty_opts()), NULL,
                G_DBUS_CALL_FLAGS_NONE, 120000, NULL, &error);
        g_assert_no_error(error);
        g_print("# root Preview of the largest call (%u changes, service names everywhere): %.1f ms\n",
                g_strv_length(lines), (g_get_monotonic_time() - t0) / 1e3);

        /* what one change of 30 MiB costs the daemon before it can see its
         * length: libsystemd checks the string's UTF-8 as it is read */
        g_autofree char *huge_change = g_strnfill(30u << 20, 'x');
        GVariant *huge = g_variant_ref_sink(apply_params(huge_change, NULL));
        double cpu0 = daemon_cpu_ms();
        for (int i = 0; i < 5; i++) {
                g_autoptr(GError) e = NULL;
                g_autoptr(GVariant) hr = g_dbus_connection_call_sync(C, BUS_NAME, PATH, IFACE, "Preview", huge, NULL,
                                                                     G_DBUS_CALL_FLAGS_NONE, 120000, NULL, &e);
                g_assert_nonnull(e);
        }
        g_print("# a change of 30 MiB (refused for its size): %.1f ms of the daemon's CPU each\n",
                (daemon_cpu_ms() - cpu0) / 5);
        g_variant_unref(huge);
        assert_alive();
}

/* Calls waiting for polkit are bounded per uid: a mock polkit (this
 * program again, as user polkitd, the one the bus lets own polkit's name)
 * that never answers; uid 65534 sends 8 Apply calls of 2 MiB that allow
 * interactive authorization (polkit may then take 5 minutes); the first 4
 * wait for polkit, the others are refused with LimitsExceeded at once.
 * Another uid's call (user daemon's) still gets its check started. The daemon's RSS is
 * printed before and after, and bounded. Closing the mock answers the
 * waiting checks. */
#define PINNED_RSS_BOUND_KB (24 * 1024)

static gboolean read_line_within(int fd, char *buf, size_t size, int timeout_ms) {
        size_t n = 0;
        while (n + 1 < size) {
                struct pollfd p = { .fd = fd, .events = POLLIN };
                if (poll(&p, 1, timeout_ms) <= 0)
                        return FALSE;
                if (read(fd, buf + n, 1) != 1)
                        return FALSE;
                if (buf[n] == '\n')
                        break;
                n++;
        }
        buf[n] = '\0';
        return TRUE;
}

static void test_polkit_pinned(void) {
        g_autoptr(GError) error = NULL;
        const char *argv[] = { Self, "--mock-polkit", F->bus_address, NULL };
        g_autoptr(GSubprocess) mock = g_subprocess_newv(argv, G_SUBPROCESS_FLAGS_STDIN_PIPE |
                                                                    G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error);
        g_assert_no_error(error);
        int out = g_unix_input_stream_get_fd(G_UNIX_INPUT_STREAM(g_subprocess_get_stdout_pipe(mock)));
        char line[256];
        g_assert_true(read_line_within(out, line, sizeof(line), 30000));
        g_assert_cmpstr(line, ==, "ready");

        long rss0 = daemon_rss_kb();
        int status = run_unprivileged("pin", "");
        long rss1 = daemon_rss_kb();
        g_assert_true(g_spawn_check_wait_status(status, NULL));
        for (int i = 0; i < 4; i++) {
                g_assert_true(read_line_within(out, line, sizeof(line), 30000));
                g_assert_true(g_str_has_prefix(line, "check org.backstop.firewall1.apply "));
        }
        g_autofree char *first = g_strdup(line + strlen("check org.backstop.firewall1.apply "));
        /* another uid: its check starts */
        status = run_unprivileged("other", "");
        g_assert_true(g_spawn_check_wait_status(status, NULL));
        g_assert_true(read_line_within(out, line, sizeof(line), 30000));
        g_assert_true(g_str_has_prefix(line, "check org.backstop.firewall1.apply "));
        g_assert_cmpstr(line + strlen("check org.backstop.firewall1.apply "), !=, first);
        g_print("# 8 calls of 2 MiB waiting for a polkit that does not answer: 4 kept, daemon RSS %ld kB -> %ld kB "
                "(%+ld kB, bound %d kB%s)\n",
                rss0, rss1, rss1 - rss0, PINNED_RSS_BOUND_KB, UNDER_ASAN ? ", not judged under ASan" : "");
        if (!UNDER_ASAN)
                g_assert_cmpint(rss1 - rss0, <, PINNED_RSS_BOUND_KB);

        /* the mock answers what waits, with an error, and goes */
        g_assert_true(g_output_stream_close(g_subprocess_get_stdin_pipe(mock), NULL, &error));
        g_assert_no_error(error);
        g_assert_true(g_subprocess_wait_check(mock, NULL, &error));
        g_assert_no_error(error);
        assert_alive();
}

/* The mock polkit: owns polkit's name as user polkitd, prints "check
 * ACTION SUBJECT" for each CheckAuthorization and answers none until its
 * stdin closes; then answers them all with an error. */
static GPtrArray *MockCalls;
static GMutex MockLock;

static GDBusMessage *mock_filter(GDBusConnection *c, GDBusMessage *msg, gboolean incoming, gpointer data) {
        if (!incoming || g_dbus_message_get_message_type(msg) != G_DBUS_MESSAGE_TYPE_METHOD_CALL ||
            g_strcmp0(g_dbus_message_get_member(msg), "CheckAuthorization") != 0)
                return msg;
        GVariant *body = g_dbus_message_get_body(msg);
        const char *action = "?", *name = "?";
        g_autoptr(GVariant) subject = NULL, details = NULL;
        if (body && g_variant_is_of_type(body, G_VARIANT_TYPE("((sa{sv})sa{ss}us)"))) {
                g_variant_get(body, "(@(sa{sv})&s@a{ss}u&s)", &subject, &action, &details, NULL, NULL);
                g_autoptr(GVariant) sd = g_variant_get_child_value(subject, 1);
                g_variant_lookup(sd, "name", "&s", &name);
        }
        printf("check %s %s\n", action, name);
        fflush(stdout);
        g_mutex_lock(&MockLock);
        g_ptr_array_add(MockCalls, msg);  /* kept unanswered */
        g_mutex_unlock(&MockLock);
        return NULL;
}

static int mock_polkit_main(const char *address) {
        struct passwd *pw = getpwnam("polkitd");
        if (!pw || setgroups(0, NULL) < 0 || setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) < 0 ||
            setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) < 0) {
                perror("cannot become polkitd");
                return 1;
        }
        g_autoptr(GError) error = NULL;
        g_autoptr(GDBusConnection) c = g_dbus_connection_new_for_address_sync(
                address, G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT | G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                NULL, NULL, &error);
        if (!c) {
                g_printerr("mock polkit cannot connect: %s\n", error->message);
                return 1;
        }
        MockCalls = g_ptr_array_new_with_free_func(g_object_unref);
        g_dbus_connection_add_filter(c, mock_filter, NULL, NULL);
        g_autoptr(GVariant) owned = g_dbus_connection_call_sync(
                c, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus", "RequestName",
                g_variant_new("(su)", "org.freedesktop.PolicyKit1", 4u), G_VARIANT_TYPE("(u)"),
                G_DBUS_CALL_FLAGS_NONE, 30000, NULL, &error);
        guint32 result = 0;
        if (owned)
                g_variant_get(owned, "(u)", &result);
        if (result != 1) {
                g_printerr("mock polkit cannot own its name: %s\n", error ? error->message : "not primary owner");
                return 1;
        }
        printf("ready\n");
        fflush(stdout);
        char b;
        while (read(STDIN_FILENO, &b, 1) > 0)
                ;
        g_mutex_lock(&MockLock);
        for (guint i = 0; i < MockCalls->len; i++) {
                g_autoptr(GDBusMessage) e = g_dbus_message_new_method_error(
                        MockCalls->pdata[i], "org.freedesktop.PolicyKit1.Error.Failed", "mock polkit goes");
                (void) g_dbus_connection_send_message(c, e, G_DBUS_SEND_MESSAGE_FLAGS_NONE, NULL, NULL);
        }
        g_mutex_unlock(&MockLock);
        (void) g_dbus_connection_flush_sync(c, NULL, NULL);
        g_ptr_array_unref(MockCalls);
        return 0;
}

/* ---------------------------------------------------------------- the unprivileged side */

static guint expect(GDBusConnection *c, const char *path, const char *iface, const char *method, GVariant *params,
                    const char *want) {
        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) r = g_dbus_connection_call_sync(c, BUS_NAME, path, iface, method, params, NULL,
                                                            G_DBUS_CALL_FLAGS_NONE, 30000, NULL, &error);
        g_autofree char *name = error ? g_dbus_error_get_remote_error(error) : NULL;
        if (want && name && g_str_equal(name, want))
                return 0;
        if (!want && !error)
                return 0;
        g_printerr("FAIL (uid %u) %s.%s on %s: %s, wanted %s\n", (unsigned) geteuid(), iface, method, path,
                   error ? error->message : "success", want ? want : "success");
        return 1;
}

/* n Apply calls of 2 MiB at once, allowing interactive authorization
 * (no polkit answers them here): the first 4 must wait, any beyond must be
 * refused with LimitsExceeded. Returns the failures. */
typedef struct Pending {
        GVariant *reply;
        GError *error;
        gboolean done;
} Pending;

static void pending_done(GObject *source, GAsyncResult *res, gpointer data) {
        Pending *p = data;
        p->reply = g_dbus_connection_call_finish(G_DBUS_CONNECTION(source), res, &p->error);
        p->done = TRUE;
}

static guint send_waiting(GDBusConnection *c, guint n) {
        /* cheap to parse: the bound is on what waits, not on parsing */
        GVariantBuilder b;
        g_variant_builder_init(&b, G_VARIANT_TYPE("as"));
        g_autofree char *comment = g_strnfill(200, 'p');
        g_autofree char *change = g_strdup_printf("-A INPUT -m comment --comment %s -j ACCEPT", comment);
        for (size_t size = 0; size + strlen(change) <= CHANGES_BYTES_MAX; size += strlen(change))
                g_variant_builder_add(&b, "s", change);
        GVariant *params = g_variant_ref_sink(g_variant_new("(@as@a{sv})", g_variant_builder_end(&b), empty_opts()));
        g_autofree Pending *p = g_new0(Pending, n);
        for (guint i = 0; i < n; i++)
                g_dbus_connection_call(c, BUS_NAME, PATH, IFACE, "Apply", params, NULL,
                                       G_DBUS_CALL_FLAGS_ALLOW_INTERACTIVE_AUTHORIZATION, 600000, NULL, pending_done,
                                       &p[i]);
        guint refused = n > 4 ? n - 4 : 0, failures = 0, got = 0;
        gint64 end = g_get_monotonic_time() + 60 * G_USEC_PER_SEC, quiet_until = 0;
        /* all refusals, then a second more for anything else */
        while (g_get_monotonic_time() < (quiet_until ? quiet_until : end)) {
                g_main_context_iteration(NULL, FALSE);
                got = 0;
                for (guint i = 0; i < n; i++)
                        got += p[i].done;
                if (got >= refused && !quiet_until)
                        quiet_until = g_get_monotonic_time() + G_USEC_PER_SEC;
                g_usleep(1000);
        }
        for (guint i = 0; i < n; i++) {
                g_autofree char *name = p[i].error ? g_dbus_error_get_remote_error(p[i].error) : NULL;
                bool want_refused = i >= 4;
                if (want_refused && !(p[i].done && g_strcmp0(name, "org.freedesktop.DBus.Error.LimitsExceeded") == 0)) {
                        g_printerr("FAIL (uid %u) waiting call %u: %s, wanted LimitsExceeded\n", (unsigned) geteuid(),
                                   i + 1, p[i].done ? (p[i].error ? p[i].error->message : "success") : "no answer");
                        failures++;
                } else if (!want_refused && p[i].done) {
                        g_printerr("FAIL (uid %u) call %u answered (%s) while polkit has not\n", (unsigned) geteuid(),
                                   i + 1, p[i].error ? p[i].error->message : "success");
                        failures++;
                } else if (want_refused)
                        g_print("# uid %u, call %u: %s\n", (unsigned) geteuid(), i + 1, p[i].error->message);
                g_clear_error(&p[i].error);
                g_clear_pointer(&p[i].reply, g_variant_unref);
        }
        g_variant_unref(params);
        return failures;
}

static int unprivileged_main(char **argv) {
        const char *mode = argv[2], *address = argv[3];
        uid_t uid = UNPRIVILEGED_UID;
        if (g_str_equal(mode, "other")) {
                struct passwd *pw = getpwnam(OTHER_USER);
                if (!pw || pw->pw_uid == 0) {
                        g_printerr("no user %s\n", OTHER_USER);
                        return 1;
                }
                uid = pw->pw_uid;
        }
        if (setgroups(0, NULL) < 0 || setresgid(uid, uid, uid) < 0 || setresuid(uid, uid, uid) < 0) {
                perror("cannot drop privileges");
                return 1;
        }
        g_autoptr(GError) error = NULL;
        g_autoptr(GDBusConnection) c = g_dbus_connection_new_for_address_sync(
                address, G_DBUS_CONNECTION_FLAGS_AUTHENTICATION_CLIENT | G_DBUS_CONNECTION_FLAGS_MESSAGE_BUS_CONNECTION,
                NULL, NULL, &error);
        if (!c) {
                g_printerr("cannot connect as uid %u: %s\n", (unsigned) uid, error->message);
                return 1;
        }
        guint failures = 0;
        if (g_str_equal(mode, "corpus")) {
                Corpus *k = corpus_new(argv[4], argv[5]);
                gint64 t0 = g_get_monotonic_time();
                failures = run_corpus(c, k, FALSE);
                g_print("# unprivileged (uid %u): %u bad calls in %.1f s, %u failed\n", UNPRIVILEGED_UID, k->calls->len,
                        (g_get_monotonic_time() - t0) / 1e6, failures);
                if (k->calls->len < 1000)
                        failures++;
                corpus_free(k);
                /* and the well-formed privileged calls: denied */
                failures += expect(c, PATH, IFACE, "Apply", apply_params("-P INPUT DROP", NULL), E_DENIED);
                failures += expect(c, PATH, IFACE, "Apply",
                                   apply_params("-A INPUT -j ACCEPT", one_opt("timeout", g_variant_new_uint32(0))),
                                   E_DENIED);
                failures += expect(c, PATH, IFACE, "ApplyDefaultDeny", deny_params(empty_opts()), E_DENIED);
                failures += expect(c, PATH, IFACE, "Save", NULL, E_DENIED);
                failures += expect(c, PATH, IFACE, "ZeroCounters", g_variant_new("(ss)", "", ""), E_DENIED);
                failures += expect(c, PATH, IFACE, "ListRules", g_variant_new("(ss)", "", ""), E_DENIED);
                failures += expect(c, PATH, IFACE, "GetRulesText", g_variant_new("(ssb)", "ipv4", "", TRUE), E_DENIED);
                failures += expect(c, PATH, IFACE, "Check", g_variant_new("(s)", ""), E_DENIED);
                failures += expect(c, PATH, IFACE, "ListConnections", NULL, E_DENIED);
                failures += expect(c, PATH, IFACE, "Preview", apply_params("-P INPUT DROP", NULL), E_DENIED);
                /* properties are for everyone */
                failures += expect(c, PATH, "org.freedesktop.DBus.Properties", "GetAll", g_variant_new("(s)", IFACE),
                                   NULL);
        } else if (g_str_equal(mode, "pin") || g_str_equal(mode, "other")) {
                failures += send_waiting(c, g_str_equal(mode, "pin") ? 8 : 1);
        } else if (g_str_equal(mode, "flood")) {
                /* the largest Apply (Busy: a transaction is pending) and
                 * Preview (denied: no polkit here), and a Preview of one
                 * change of 30 MiB (refused for its size: close to the
                 * largest message the bus passes), for argv[6] seconds */
                g_auto(GStrv) lines = worst_changes(CHANGES_BYTES_MAX, CHANGES_MAX);
                GVariant *params = g_variant_ref_sink(g_variant_new("(^as@a{sv})", lines, empty_opts()));
                g_autofree char *huge_change = g_strnfill(30u << 20, 'x');
                GVariant *huge = g_variant_ref_sink(apply_params(huge_change, NULL));
                gint64 t0 = g_get_monotonic_time(), end = t0 + (gint64) (g_ascii_strtod(argv[6], NULL) * 1e6);
                guint calls = 0;
                gint64 longest = 0;
                while (g_get_monotonic_time() < end) {
                        gint64 c0 = g_get_monotonic_time();
                        if (calls % 2 == 0) {
                                /* Busy until the rollback, denied after it */
                                g_autoptr(GError) e = NULL;
                                g_autoptr(GVariant) r = g_dbus_connection_call_sync(
                                        c, BUS_NAME, PATH, IFACE, "Apply", params, NULL, G_DBUS_CALL_FLAGS_NONE,
                                        120000, NULL, &e);
                                g_autofree char *name = e ? g_dbus_error_get_remote_error(e) : NULL;
                                if (!name || (!g_str_equal(name, E_BUSY) && !g_str_equal(name, E_DENIED))) {
                                        g_printerr("FAIL (uid %u) Apply: %s\n", UNPRIVILEGED_UID,
                                                   e ? e->message : "success");
                                        failures++;
                                }
                        } else if (calls % 4 == 1)
                                failures += expect(c, PATH, IFACE, "Preview", params, E_DENIED);
                        else
                                failures += expect(c, PATH, IFACE, "Preview", huge, E_INVALID);
                        longest = MAX(longest, g_get_monotonic_time() - c0);
                        calls++;
                }
                g_print("# uid %u: %u calls of %u changes in %.1f s, the longest answered in %.1f ms\n",
                        UNPRIVILEGED_UID, calls, g_strv_length(lines), (g_get_monotonic_time() - t0) / 1e6,
                        longest / 1e3);
                g_variant_unref(params);
                g_variant_unref(huge);
        } else {
                const char *tx = argv[6];
                for (int rep = 0; rep < 3; rep++) {
                        failures += expect(c, tx, TX_IFACE, "Confirm", g_variant_new_parsed("(@a{sv} {},)"), E_DENIED);
                        failures += expect(c, tx, TX_IFACE, "Rollback", NULL, E_DENIED);
                        failures += expect(c, tx, TX_IFACE, "Extend", g_variant_new("(u)", 1), E_DENIED);
                        /* root's changes are not the unprivileged caller's to read */
                        failures += expect(c, tx, TX_IFACE, "GetChanges", NULL, E_DENIED);
                        failures += expect(c, PATH, IFACE, "Save", NULL, E_BUSY);
                        failures += expect(c, PATH, IFACE, "Apply", apply_params("-P INPUT DROP", NULL), E_BUSY);
                }
                /* its properties are anyone's; what it changes is not among them */
                g_autoptr(GVariant) all = g_dbus_connection_call_sync(
                        c, BUS_NAME, tx, "org.freedesktop.DBus.Properties", "GetAll", g_variant_new("(s)", TX_IFACE),
                        G_VARIANT_TYPE("(a{sv})"), G_DBUS_CALL_FLAGS_NONE, 30000, NULL, NULL);
                g_autoptr(GVariant) props = all ? g_variant_get_child_value(all, 0) : NULL;
                g_autoptr(GVariant) changes = props ? g_variant_lookup_value(props, "Changes", NULL) : NULL;
                if (!props || changes) {
                        g_printerr("FAIL: GetAll of %s as uid %u: %s\n", tx, UNPRIVILEGED_UID,
                                   props ? "shows the changes" : "failed");
                        failures++;
                }
                g_autofree char *state = tx_state(c, tx);
                if (!g_str_equal(state, "pending")) {
                        g_printerr("FAIL: transaction %s is %s after the unprivileged calls\n", tx, state);
                        failures++;
                }
        }
        return failures == 0 ? 0 : 1;
}

int main(int argc, char **argv) {
        if (argc >= 7 && g_str_equal(argv[1], "--unprivileged"))
                return unprivileged_main(argv);
        if (argc >= 3 && g_str_equal(argv[1], "--mock-polkit"))
                return mock_polkit_main(argv[2]);
        Self = argv[0];
        g_test_init(&argc, &argv, NULL);
        if (!bs_test_enter_private_netns()) {
                g_printerr("needs root and network namespaces: skipped\n");
                return 77;
        }
        F = bs_bus_fixture_new();
        /* the unprivileged client must reach the bus socket in the temp dir
         * (the daemon's runtime and state directories stay 0700) */
        g_assert_cmpint(g_chmod(F->tmpdir, 0755), ==, 0);
        /* and run this program */
        bs_bus_fixture_start_daemon(F, NULL, NULL, NULL);
        C = bs_bus_fixture_connect(F);
        setup_ended();

        g_test_add_func("/hostile/root", test_root);
        g_test_add_func("/hostile/unprivileged", test_unprivileged);
        g_test_add_func("/hostile/unprivileged-pending", test_unprivileged_pending);
        g_test_add_func("/hostile/rollback-on-time", test_rollback_on_time);
        g_test_add_func("/hostile/polkit-pinned", test_polkit_pinned);
        int r = g_test_run();

        g_object_unref(C);
        g_free(Confirmed);
        g_free(RolledBack);
        bs_bus_fixture_free(F);
        return r;
}
