/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests of backstopctl's pure parts: the JSON writer (escaping,
 * nesting), argument parsing (transaction ids, --allow, seconds, changes)
 * and the D-Bus error mapping. */

#include <errno.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "errors.h"
#include "json.h"
#include "parse.h"

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

static void test_parse_allow(void) {
        const char *proto = NULL;
        uint16_t port = 0;

        g_assert_cmpint(parse_allow("22/tcp", &proto, &port), ==, 0);
        g_assert_cmpstr(proto, ==, "tcp");
        g_assert_cmpuint(port, ==, 22);
        g_assert_cmpint(parse_allow("53/UDP", &proto, &port), ==, 0);
        g_assert_cmpstr(proto, ==, "udp");
        g_assert_cmpuint(port, ==, 53);
        g_assert_cmpint(parse_allow("65535/sctp", &proto, &port), ==, 0);
        g_assert_cmpuint(port, ==, 65535);
        g_assert_cmpint(parse_allow("1/dccp", &proto, &port), ==, 0);
        g_assert_cmpint(parse_allow("9/udplite", &proto, &port), ==, 0);

        g_assert_cmpint(parse_allow("0/tcp", &proto, &port), ==, -ERANGE);
        g_assert_cmpint(parse_allow("65536/tcp", &proto, &port), ==, -ERANGE);
        g_assert_cmpint(parse_allow("-1/tcp", &proto, &port), ==, -ERANGE);
        g_assert_cmpint(parse_allow("/tcp", &proto, &port), ==, -ERANGE);
        g_assert_cmpint(parse_allow("ssh/tcp", &proto, &port), ==, -ERANGE);
        g_assert_cmpint(parse_allow("22", &proto, &port), ==, -EINVAL);
        g_assert_cmpint(parse_allow("22/", &proto, &port), ==, -EPROTONOSUPPORT);
        g_assert_cmpint(parse_allow("22/icmp", &proto, &port), ==, -EPROTONOSUPPORT);
        g_assert_cmpint(parse_allow("22/tcp/x", &proto, &port), ==, -EPROTONOSUPPORT);
        g_assert_cmpint(parse_allow("tcp/22", &proto, &port), ==, -ERANGE);
        g_assert_cmpint(parse_allow(NULL, &proto, &port), ==, -EINVAL);
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

int main(int argc, char **argv) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/client/json/escaping", test_json_escaping);
        g_test_add_func("/client/json/null-string", test_json_null_string);
        g_test_add_func("/client/json/nesting", test_json_nesting);
        g_test_add_func("/client/json/errors", test_json_errors);
        g_test_add_func("/client/parse/transaction", test_parse_transaction);
        g_test_add_func("/client/parse/allow", test_parse_allow);
        g_test_add_func("/client/parse/seconds", test_parse_seconds);
        g_test_add_func("/client/parse/change", test_arg_is_change);
        g_test_add_func("/client/errors/mapping", test_error_mapping);
        g_test_add_func("/client/format/seconds", test_format_seconds);
        return g_test_run();
}
