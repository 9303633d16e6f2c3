/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests of backstopctl's pure parts: the JSON writer (escaping,
 * nesting), argument parsing (transaction ids, --allow, seconds, changes)
 * and the D-Bus error mapping. */

#include <errno.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "errors.h"
#include "json.h"
#include "parse.h"
#include "remote.h"
#include "services.h"
#include "textdiff.h"

/* Runs fn on a writer over a memory stream and returns what it wrote. */
static char *capture(void (*fn)(JsonWriter *w, const void *arg), const void *arg, int *ret_finish) {
        char *buf = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&buf, &size);
        g_assert_nonnull(f);
        JsonWriter w;
        json_init(&w, f);
        fn(&w, arg);
        *ret_finish = json_finish(&w);
        fclose(f);
        return buf;
}

static void write_one_string(JsonWriter *w, const void *arg) {
        json_string(w, arg);
}

static void assert_string_json(const char *in, const char *expected) {
        int fin;
        char *out = capture(write_one_string, in, &fin);
        g_assert_cmpint(fin, ==, 0);
        g_autofree char *want = g_strconcat(expected, "\n", NULL);
        g_assert_cmpstr(out, ==, want);
        free(out);
}

static void test_json_escaping(void) {
        assert_string_json("plain", "\"plain\"");
        assert_string_json("", "\"\"");
        assert_string_json("a\"b\\c", "\"a\\\"b\\\\c\"");
        assert_string_json("tab\there\nnl\rcr", "\"tab\\there\\nnl\\rcr\"");
        assert_string_json("\b\f", "\"\\b\\f\"");
        assert_string_json("\x01\x1f\x7f", "\"\\u0001\\u001f\\u007f\"");
        /* '/' needs no escaping; valid UTF-8 passes through unchanged */
        assert_string_json("a/b", "\"a/b\"");
        assert_string_json("caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x94\xa5", "\"caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x94\xa5\"");
        /* invalid UTF-8 becomes U+FFFD, one per bad byte */
        assert_string_json("a\xff" "b", "\"a\\ufffdb\"");
        assert_string_json("\xc3", "\"\\ufffd\"");                  /* truncated */
        assert_string_json("\xc0\xaf", "\"\\ufffd\\ufffd\"");       /* overlong '/' */
        assert_string_json("\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\""); /* surrogate */
        assert_string_json("\xf4\x90\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\""); /* > U+10FFFF */
}

static void test_json_null_string(void) {
        int fin;
        char *out = capture(write_one_string, NULL, &fin);
        g_assert_cmpint(fin, ==, 0);
        g_assert_cmpstr(out, ==, "null\n");
        free(out);
}

static void write_nested(JsonWriter *w, const void *arg) {
        json_begin_object(w);
        json_kv_string(w, "name", "x\"y");
        json_kv_uint(w, "big", UINT64_MAX);
        json_kv_int(w, "neg", -5);
        json_kv_bool(w, "t", true);
        json_key(w, "empty");
        json_begin_array(w);
        json_end_array(w);
        json_key(w, "list");
        json_begin_array(w);
        json_uint(w, 1);
        json_begin_object(w);
        json_end_object(w);
        json_null(w);
        json_double(w, 0.5);
        json_end_array(w);
        json_key(w, "key\nwith newline");
        json_bool(w, false);
        json_end_object(w);
}

static void test_json_nesting(void) {
        int fin;
        char *out = capture(write_nested, NULL, &fin);
        g_assert_cmpint(fin, ==, 0);
        g_assert_cmpstr(out, ==,
                        "{\"name\":\"x\\\"y\",\"big\":18446744073709551615,\"neg\":-5,\"t\":true,\"empty\":[],"
                        "\"list\":[1,{},null,0.5],\"key\\nwith newline\":false}\n");
        free(out);
}

/* --json=pretty: a value a line, two spaces a level, "key": value, empty
 * containers on one line; the same document as the short form. */
static void test_json_pretty(void) {
        char *buf = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&buf, &size);
        g_assert_nonnull(f);
        JsonWriter w;
        json_init_pretty(&w, f, true);
        write_nested(&w, NULL);
        g_assert_cmpint(json_finish(&w), ==, 0);
        fclose(f);
        g_assert_cmpstr(buf, ==,
                        "{\n"
                        "  \"name\": \"x\\\"y\",\n"
                        "  \"big\": 18446744073709551615,\n"
                        "  \"neg\": -5,\n"
                        "  \"t\": true,\n"
                        "  \"empty\": [],\n"
                        "  \"list\": [\n"
                        "    1,\n"
                        "    {},\n"
                        "    null,\n"
                        "    0.5\n"
                        "  ],\n"
                        "  \"key\\nwith newline\": false\n"
                        "}\n");
        free(buf);
}

/* Lines of /proc/net/tcp and tcp6 (as the kernel prints them on this
 * little-endian machine), for -H's SSH connection. */
static void test_remote_tcp_line(void) {
        char buf[160];
        unsigned long inode = 0;
        const char *v4 = "   3: 0200000A:D2F2 0100000A:0016 01 00000000:00000000 02:000A6F2D 00000000     0        0 "
                         "4242 2 0000000000000000 20 4 30 10 -1";
        g_assert_cmpint(remote_parse_tcp_line(v4, false, &inode, buf, sizeof(buf)), ==, 1);
        g_assert_cmpuint(inode, ==, 4242);
        g_assert_cmpstr(buf, ==, "10.0.0.2 54002 10.0.0.1 22");
        /* listening: not a connection */
        const char *listen = "   0: 00000000:0016 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 "
                             "17 1 0000000000000000 100 0 0 10 0";
        g_assert_cmpint(remote_parse_tcp_line(listen, false, &inode, buf, sizeof(buf)), ==, 0);
        g_assert_cmpuint(inode, ==, 17);
        /* 2001:db8:b5::2 port 40000 to 2001:db8:b5::1 port 22 */
        const char *v6 = "   1: B80D01200000B50000000000200000:9C40 B80D01200000B50000000000100000:0016 01 "
                         "00000000:00000000 00:00000000 00000000     0        0 99 1 0000000000000000 20 4 30 10 -1";
        g_assert_cmpint(remote_parse_tcp_line(v6, true, &inode, buf, sizeof(buf)), ==, -EINVAL); /* 31 digits */
        const char *v6ok = "   1: B80D01200000B5000000000002000000:9C40 B80D01200000B5000000000001000000:0016 01 "
                           "00000000:00000000 00:00000000 00000000     0        0 99 1 0000000000000000 20 4 30 10 -1";
        g_assert_cmpint(remote_parse_tcp_line(v6ok, true, &inode, buf, sizeof(buf)), ==, 1);
        g_assert_cmpstr(buf, ==, "2001:db8:b5::2 40000 2001:db8:b5::1 22");
        /* an IPv4-mapped address, as sshd shows it: IPv4 */
        const char *mapped = "   2: 0000000000000000FFFF00000200000A:9C41 0000000000000000FFFF00000100000A:0016 01 "
                             "00000000:00000000 00:00000000 00000000     0        0 98 1 0000000000000000 20 4 30 10 -1";
        g_assert_cmpint(remote_parse_tcp_line(mapped, true, &inode, buf, sizeof(buf)), ==, 1);
        g_assert_cmpstr(buf, ==, "10.0.0.2 40001 10.0.0.1 22");
        g_assert_cmpint(remote_parse_tcp_line("  sl  local_address rem_address   st", false, &inode, buf, sizeof(buf)),
                        ==, -EINVAL);
}

static void write_unbalanced(JsonWriter *w, const void *arg) {
        json_begin_object(w);
        json_key(w, "a");
}

static void write_too_many_ends(JsonWriter *w, const void *arg) {
        json_begin_array(w);
        json_end_array(w);
        json_end_array(w);
}

static void write_too_deep(JsonWriter *w, const void *arg) {
        for (int i = 0; i < JSON_MAX_DEPTH + 5; i++)
                json_begin_array(w);
        for (int i = 0; i < JSON_MAX_DEPTH + 5; i++)
                json_end_array(w);
}

static void test_json_errors(void) {
        int fin;
        free(capture(write_unbalanced, NULL, &fin));
        g_assert_cmpint(fin, ==, -EINVAL);
        free(capture(write_too_many_ends, NULL, &fin));
        g_assert_cmpint(fin, ==, -EINVAL);
        free(capture(write_too_deep, NULL, &fin));
        g_assert_cmpint(fin, ==, -EINVAL);
}

static void test_parse_transaction(void) {
        char *path = NULL;
        uint32_t id = 0;

        g_assert_cmpint(parse_transaction("3", &path, &id), ==, 0);
        g_assert_cmpstr(path, ==, "/org/backstop/Firewall1/Transaction/3");
        g_assert_cmpuint(id, ==, 3);
        free(path);

        g_assert_cmpint(parse_transaction("/org/backstop/Firewall1/Transaction/42", &path, &id), ==, 0);
        g_assert_cmpstr(path, ==, "/org/backstop/Firewall1/Transaction/42");
        g_assert_cmpuint(id, ==, 42);
        free(path);

        g_assert_cmpint(parse_transaction("4294967295", NULL, &id), ==, 0);
        g_assert_cmpuint(id, ==, 4294967295u);

        static const char *const bad[] = {
                "", "-1", "+3", " 3", "3 ", "3x", "0x10", "4294967296", "99999999999999999999999",
                "/org/backstop/Firewall1/Transaction/", "/org/backstop/Firewall1/Transaction/x",
                "/org/backstop/Firewall1/Transaction/03", "/org/backstop/Firewall1/Transaction/3/4",
                "/org/backstop/Firewall1", "/org/other/Transaction/3", "/",
        };
        for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
                path = NULL;
                g_assert_cmpint(parse_transaction(bad[i], &path, &id), ==, -EINVAL);
                g_assert_null(path);
        }
        g_assert_cmpint(parse_transaction(NULL, NULL, NULL), ==, -EINVAL);
}

/* A services file of the test's own: aliases, comments, protocols that
 * take no ports, malformed lines, a name in the built-in catalogue. */
static char *write_services(void) {
        static const char text[] =
                "# comment\n"
                "ssh\t\t22/tcp\t\t\t# SSH\n"
                "domain\t53/tcp\n"
                "domain\t53/udp\n"
                "http\t\t80/tcp\t\twww www-http\t# alias\n"
                "odd\t\t7/ddp\n"
                "broken\t\tx/tcp\n"
                "noport\n"
                "dns\t\t5353/tcp\n"
                "sctpsvc\t\t9899/sctp\n"
                "dup\t\t1/tcp\n"
                "dup\t\t1/tcp\n";
        g_autoptr(GError) error = NULL;
        char *path = NULL;
        int fd = g_file_open_tmp("services-XXXXXX", &path, &error);
        g_assert_no_error(error);
        close(fd);
        g_assert_true(g_file_set_contents(path, text, -1, &error));
        return path;
}

static char *ports_of(const Service *s) {
        GString *g = g_string_new(NULL);
        for (size_t i = 0; i < s->n_ports; i++)
                g_string_append_printf(g, "%s%u/%s", i ? " " : "", s->ports[i].port, s->ports[i].protocol);
        return g_string_free(g, FALSE);
}

static void test_service_resolve(void) {
        g_autofree char *path = write_services();
        struct {
                const char *spec;
                int r;
                const char *ports;
                const char *source;
        } cases[] = {
                { "ssh", 0, "22/tcp", NULL },
                { "SSH/TCP", 0, "22/tcp", NULL },
                { "domain", 0, "53/tcp 53/udp", NULL },
                { "domain/udp", 0, "53/udp", NULL },
                { "www", 0, "80/tcp", NULL },             /* an alias */
                { "www-http/tcp", 0, "80/tcp", NULL },
                { "dns", 0, "53/udp 53/tcp", "built-in" }, /* the catalogue before the file */
                { "web", 0, "80/tcp 443/tcp 443/udp", "built-in" },
                { "web/udp", 0, "443/udp", "built-in" },
                { "sctpsvc", 0, "9899/sctp", NULL },
                { "dup", 0, "1/tcp", NULL },              /* no port twice */
                { "22", 0, "22/tcp", "port" },            /* a bare port is tcp */
                { "22/udp", 0, "22/udp", "port" },
                { "65535/dccp", 0, "65535/dccp", "port" },
                { "nosuch", -ENOENT, NULL, NULL },
                { "odd", -ENOENT, NULL, NULL },           /* ddp takes no ports here */
                { "broken", -ENOENT, NULL, NULL },
                { "noport", -ENOENT, NULL, NULL },
                { "ssh/udp", -ENODATA, NULL, NULL },
                { "ssh/icmp", -EPROTONOSUPPORT, NULL, NULL },
                { "22/", -EPROTONOSUPPORT, NULL, NULL },
                { "22/tcp/x", -EPROTONOSUPPORT, NULL, NULL },
                { "0", -ERANGE, NULL, NULL },
                { "65536/tcp", -ERANGE, NULL, NULL },
                { "", -EINVAL, NULL, NULL },
                { "/tcp", -EINVAL, NULL, NULL },
                { "22x", -EINVAL, NULL, NULL },
                { "-1", -EINVAL, NULL, NULL },
        };
        for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
                Service s;
                int r = service_resolve(cases[i].spec, path, &s);
                if (r != cases[i].r)
                        g_error("'%s': %d, want %d", cases[i].spec, r, cases[i].r);
                if (r < 0)
                        continue;
                g_autofree char *ports = ports_of(&s);
                g_assert_cmpstr(ports, ==, cases[i].ports);
                g_assert_cmpstr(s.source, ==, cases[i].source ? cases[i].source : path);
        }
        Service s;
        g_assert_cmpint(service_resolve(NULL, path, &s), ==, -EINVAL);
        /* without the file: ports and the catalogue still work */
        g_assert_cmpint(service_resolve("ssh", "/nonexistent/services", &s), ==, -ENOENT);
        g_assert_cmpint(service_resolve("dns", "/nonexistent/services", &s), ==, 0);

        /* merging services' ports: none twice, a bound */
        ServicePort merged[3];
        size_t n_ports = 0;
        Service dns, domain, web;
        g_assert_cmpint(service_resolve("dns", path, &dns), ==, 0);
        g_assert_cmpint(service_resolve("domain", path, &domain), ==, 0);
        g_assert_cmpint(service_resolve("web", path, &web), ==, 0);
        g_assert_cmpint(service_ports_add(merged, &n_ports, 3, &dns), ==, 0);
        g_assert_cmpint(service_ports_add(merged, &n_ports, 3, &domain), ==, 0);
        g_assert_cmpuint(n_ports, ==, 2);
        g_assert_cmpint(service_ports_add(merged, &n_ports, 3, &web), ==, -E2BIG);
        g_assert_cmpuint(n_ports, ==, 2);

        Service *list = NULL;
        size_t n = 0;
        g_assert_cmpint(service_list(path, &list, &n), ==, 0);
        GString *names = g_string_new(NULL);
        for (size_t i = 0; i < n; i++) {
                g_autofree char *ports = ports_of(&list[i]);
                g_string_append_printf(names, "%s=%s;", list[i].name, ports);
        }
        g_assert_cmpstr(names->str, ==,
                        "dns=53/udp 53/tcp;web=80/tcp 443/tcp 443/udp;http3=443/udp;dhcp=67/udp;dhcpv6=547/udp;"
                        "samba=445/tcp 139/tcp 137/udp 138/udp;wireguard=51820/udp;ssh=22/tcp;"
                        "domain=53/tcp 53/udp;http=80/tcp;sctpsvc=9899/sctp;dup=1/tcp;");
        g_string_free(names, TRUE);
        free(list);
        unlink(path);
}

static void test_parse_source(void) {
        struct {
                const char *s;
                int r, family;
                const char *canonical;
        } cases[] = {
                { "192.0.2.7", 0, 4, "192.0.2.7/32" },
                { "192.0.2.7/24", 0, 4, "192.0.2.0/24" },
                { "10.255.255.255/9", 0, 4, "10.128.0.0/9" },
                { "0.0.0.0/0", 0, 4, "0.0.0.0/0" },
                { "2001:db8::1", 0, 6, "2001:db8::1/128" },
                { "2001:db8:ffff::1/33", 0, 6, "2001:db8:8000::/33" },
                { "192.0.2.7/33", -ERANGE, 0, NULL },
                { "192.0.2.7/", -ERANGE, 0, NULL },
                { "2001:db8::/129", -ERANGE, 0, NULL },
                { "host.example", -EINVAL, 0, NULL },
                { "192.0.2", -EINVAL, 0, NULL },
                { "", -EINVAL, 0, NULL },
                { "/24", -EINVAL, 0, NULL },
        };
        for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
                char buf[64];
                int family = 0;
                int r = parse_source(cases[i].s, &family, buf, sizeof(buf));
                if (r != cases[i].r)
                        g_error("'%s': %d, want %d", cases[i].s, r, cases[i].r);
                if (r == 0) {
                        g_assert_cmpint(family, ==, cases[i].family);
                        g_assert_cmpstr(buf, ==, cases[i].canonical);
                }
        }
}

static void test_rules_of_chain(void) {
        static const char text[] = "-P INPUT DROP\n-N INPUT2\n-A INPUT -i lo -j ACCEPT\n-A INPUT2 -j DROP\n"
                                   "-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT\n-A INPUT";
        char **v = NULL;
        size_t n = 0;
        g_assert_cmpint(rules_of_chain(text, "INPUT", &v, &n), ==, 0);
        g_assert_cmpuint(n, ==, 2);
        g_assert_cmpstr(v[0], ==, "-i lo -j ACCEPT");
        g_assert_cmpstr(v[1], ==, "-p tcp -m tcp --dport 22 -j ACCEPT");
        g_assert_null(v[2]);
        g_strfreev(v);
        g_assert_cmpint(rules_of_chain(text, "INPUT2", &v, &n), ==, 0);
        g_assert_cmpuint(n, ==, 1);
        g_assert_cmpstr(v[0], ==, "-j DROP");
        g_strfreev(v);
        g_assert_cmpint(rules_of_chain("-P INPUT ACCEPT\n", "INPUT", &v, &n), ==, 0);
        g_assert_cmpuint(n, ==, 0);
        g_assert_null(v[0]);
        g_strfreev(v);

        uint32_t num = 0;
        g_assert_cmpint(parse_rule_number("3", &num), ==, 0);
        g_assert_cmpuint(num, ==, 3);
        g_assert_cmpint(parse_rule_number("0", &num), ==, -EINVAL);
        g_assert_cmpint(parse_rule_number("-1", &num), ==, -EINVAL);
        g_assert_cmpint(parse_rule_number("4294967296", &num), ==, -EINVAL);
}

static void test_parse_seconds(void) {
        uint32_t v = 0;

        g_assert_cmpint(parse_seconds("90", 1, 86400, &v), ==, 0);
        g_assert_cmpuint(v, ==, 90);
        g_assert_cmpint(parse_seconds("90s", 1, 86400, &v), ==, 0);
        g_assert_cmpuint(v, ==, 90);
        g_assert_cmpint(parse_seconds("5m", 1, 86400, &v), ==, 0);
        g_assert_cmpuint(v, ==, 300);
        g_assert_cmpint(parse_seconds("24h", 1, 86400, &v), ==, 0);
        g_assert_cmpuint(v, ==, 86400);
        g_assert_cmpint(parse_seconds("0", 0, 86400, &v), ==, 0);
        g_assert_cmpuint(v, ==, 0);

        g_assert_cmpint(parse_seconds("0", 1, 86400, &v), ==, -ERANGE);
        g_assert_cmpint(parse_seconds("86401", 1, 86400, &v), ==, -ERANGE);
        g_assert_cmpint(parse_seconds("25h", 1, 86400, &v), ==, -ERANGE);
        g_assert_cmpint(parse_seconds("4294967295h", 1, 86400, &v), ==, -ERANGE);
        g_assert_cmpint(parse_seconds("", 0, 86400, &v), ==, -EINVAL);
        g_assert_cmpint(parse_seconds("s", 0, 86400, &v), ==, -EINVAL);
        g_assert_cmpint(parse_seconds("-5", 0, 86400, &v), ==, -EINVAL);
        g_assert_cmpint(parse_seconds("5 m", 0, 86400, &v), ==, -EINVAL);
        g_assert_cmpint(parse_seconds("1.5", 0, 86400, &v), ==, -EINVAL);
        g_assert_cmpint(parse_seconds("5d", 0, 86400, &v), ==, -EINVAL);
}

static void test_arg_is_change(void) {
        g_assert_true(arg_is_change("-A INPUT -j ACCEPT"));
        g_assert_true(arg_is_change("-P INPUT DROP"));
        g_assert_true(arg_is_change("-4 -P INPUT DROP"));
        g_assert_true(arg_is_change("-N\tsvc"));
        g_assert_false(arg_is_change("-F"));        /* goes after "--" */
        g_assert_false(arg_is_change("--timeout"));
        g_assert_false(arg_is_change("--"));
        g_assert_false(arg_is_change("-4"));
        g_assert_false(arg_is_change("INPUT"));
        g_assert_false(arg_is_change("a b"));
        g_assert_false(arg_is_change(NULL));
}

static void assert_mapping(const char *name, const char *msg, BusAction action, int code, const char *line) {
        char *out = NULL;
        g_assert_cmpint(map_bus_error(name, msg, action, &out), ==, code);
        g_assert_cmpstr(out, ==, line);
        free(out);
}

static void test_error_mapping(void) {
        assert_mapping("org.freedesktop.DBus.Error.AccessDenied", "polkit: no", ACTION_APPLY, EXIT_NOT_AUTHORIZED,
                       "Not authorized to apply firewall changes");
        assert_mapping("org.freedesktop.DBus.Error.AccessDenied", NULL, ACTION_READ_CONNECTIONS,
                       EXIT_NOT_AUTHORIZED, "Not authorized to list connections");
        assert_mapping("org.backstop.Firewall1.Error.LockoutRisk",
                       "this change would cut off 2 connections: a; b", ACTION_APPLY, EXIT_LOCKOUT,
                       "Refused: this change would cut off 2 connections: a; b (use --force to apply anyway)");
        assert_mapping("org.backstop.Firewall1.Error.Busy", "transaction 3 is pending", ACTION_APPLY, EXIT_BUSY,
                       "Another transaction is pending (transaction 3 is pending); confirm or roll it back first");
        assert_mapping("org.freedesktop.DBus.Error.ServiceUnknown", "The name is not activatable", ACTION_APPLY,
                       EXIT_UNREACHABLE, "Could not connect to backstopd: The name is not activatable");
        assert_mapping("org.freedesktop.systemd1.NoSuchUnit", "Unit dbus-org.backstop.Firewall1.service not found.",
                       ACTION_APPLY, EXIT_UNREACHABLE,
                       "Could not connect to backstopd: Unit dbus-org.backstop.Firewall1.service not found. "
                       "(is backstopd.service enabled? systemctl enable --now backstopd)");
        assert_mapping("org.freedesktop.DBus.Error.InvalidArgs", "bad change '-X'", ACTION_APPLY, EXIT_USAGE,
                       "Invalid argument: bad change '-X'");
        assert_mapping("org.backstop.Firewall1.Error.ConfirmationRejected", "not new", ACTION_TRANSACTION,
                       EXIT_REJECTED,
                       "Confirmation rejected: not new (confirm from a new SSH login; the timer keeps running)");
        assert_mapping("com.example.Weird", "", ACTION_SAVE, EXIT_FAILED,
                       "Failed: com.example.Weird: no details given");

        char *out = NULL;
        g_assert_cmpint(map_connect_error(-ENOENT, &out), ==, EXIT_UNREACHABLE);
        g_assert_true(g_str_has_prefix(out, "Could not connect to backstopd: "));
        free(out);
}

static void test_format_seconds(void) {
        char buf[64];
        format_seconds(0, buf, sizeof(buf));
        g_assert_cmpstr(buf, ==, "0s");
        format_seconds(59, buf, sizeof(buf));
        g_assert_cmpstr(buf, ==, "59s");
        format_seconds(61, buf, sizeof(buf));
        g_assert_cmpstr(buf, ==, "1m 01s");
        format_seconds(3725, buf, sizeof(buf));
        g_assert_cmpstr(buf, ==, "1h 02m 05s");
}

static char *diff_text(const char *a, const char *b, unsigned context, size_t *removed, size_t *added) {
        char *buf = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&buf, &size);
        g_assert_nonnull(f);
        g_assert_cmpint(text_diff(a, b, "old", "new", context, f, removed, added), ==, 0);
        g_assert_cmpint(fclose(f), ==, 0);
        return buf;
}

static void test_text_diff(void) {
        size_t removed = 9, added = 9;
        g_autofree char *same = diff_text("a\nb\n", "a\nb\n", 3, &removed, &added);
        g_assert_cmpstr(same, ==, "");
        g_assert_cmpuint(removed + added, ==, 0);

        g_autofree char *from_empty = diff_text("", "x\ny\n", 3, &removed, &added);
        g_assert_cmpstr(from_empty, ==, "--- old\n+++ new\n@@ -0,0 +1,2 @@\n+x\n+y\n");
        g_autofree char *to_empty = diff_text("x\n", "", 3, &removed, &added);
        g_assert_cmpstr(to_empty, ==, "--- old\n+++ new\n@@ -1,1 +0,0 @@\n-x\n");

        /* two changes far apart: two hunks with 1 line of context */
        g_autofree char *two = diff_text("1\n2\n3\n4\n5\n6\n7\n8\n", "1\nTWO\n3\n4\n5\n6\n7\n8\nNINE\n", 1, &removed,
                                         &added);
        g_assert_cmpstr(two, ==, "--- old\n+++ new\n@@ -1,3 +1,3 @@\n 1\n-2\n+TWO\n 3\n@@ -8,1 +8,2 @@\n 8\n+NINE\n");
        g_assert_cmpuint(removed, ==, 1);
        g_assert_cmpuint(added, ==, 2);
        /* close together: one hunk */
        g_autofree char *one = diff_text("1\n2\n3\n4\n5\n", "1\nX\n3\nY\n5\n", 1, &removed, &added);
        g_assert_cmpstr(one, ==, "--- old\n+++ new\n@@ -1,5 +1,5 @@\n 1\n-2\n+X\n 3\n-4\n+Y\n 5\n");
        /* an insertion in the middle keeps the common lines */
        g_autofree char *ins = diff_text("a\nb\nc\n", "a\nb\nnew\nc\n", 3, &removed, &added);
        g_assert_cmpstr(ins, ==, "--- old\n+++ new\n@@ -1,3 +1,4 @@\n a\n b\n+new\n c\n");
        /* no trailing newline is still a line */
        g_autofree char *nonl = diff_text("a", "b", 0, &removed, &added);
        g_assert_cmpstr(nonl, ==, "--- old\n+++ new\n@@ -1,1 +1,1 @@\n-a\n+b\n");

        /* a middle too large to search: all removed, all added, still correct */
        GString *a = g_string_new("first\n"), *b = g_string_new("first\n");
        for (int i = 0; i < 2100; i++) {
                g_string_append_printf(a, "a%d\n", i);
                g_string_append_printf(b, "%s%d\n", i == 1000 ? "a" : "b", i);
        }
        g_string_append(a, "last\n");
        g_string_append(b, "last\n");
        g_assert_cmpint(text_diff(a->str, b->str, "old", "new", 3, NULL, &removed, &added), ==, 0);
        g_assert_cmpuint(removed, ==, 2100);
        g_assert_cmpuint(added, ==, 2100);
        g_string_free(a, TRUE);
        g_string_free(b, TRUE);
}

int main(int argc, char **argv) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/client/json/escaping", test_json_escaping);
        g_test_add_func("/client/json/null-string", test_json_null_string);
        g_test_add_func("/client/json/nesting", test_json_nesting);
        g_test_add_func("/client/json/pretty", test_json_pretty);
        g_test_add_func("/client/remote/tcp-line", test_remote_tcp_line);
        g_test_add_func("/client/json/errors", test_json_errors);
        g_test_add_func("/client/parse/transaction", test_parse_transaction);
        g_test_add_func("/client/services/resolve", test_service_resolve);
        g_test_add_func("/client/parse/source", test_parse_source);
        g_test_add_func("/client/parse/rules-of-chain", test_rules_of_chain);
        g_test_add_func("/client/text-diff", test_text_diff);
        g_test_add_func("/client/parse/seconds", test_parse_seconds);
        g_test_add_func("/client/parse/change", test_arg_is_change);
        g_test_add_func("/client/errors/mapping", test_error_mapping);
        g_test_add_func("/client/format/seconds", test_format_seconds);
        return g_test_run();
}
