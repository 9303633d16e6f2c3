/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The structured change form (rule-dict.h): every key with good values
 * gives the very change the text form gives (same kind, chain, position,
 * policy, families and an equal rule, and the same rendered command), for
 * both families; bad values, types and keys are refused naming the key and
 * the value; the change-set rules (families, limits) are those of Apply. */
#include <glib.h>

#include "changeset.h"
#include "rule-dict-spec.h"
#include "text.h"

/* One change as spec text; parse it for one family. */
static int dict_parse(const char *spec, bs_family f, bs_change *ret, char *err, size_t size) {
        g_autofree char *text = g_strdup(spec);
        bs_kv_list *v = NULL;
        size_t n = spec_parse(text, &v);
        g_assert_cmpuint(n, ==, 1);
        int r = bs_change_dict_parse(&v[0], f, ret, err, size);
        spec_free(v, n);
        return r;
}

static void assert_same_change(const bs_change *a, const bs_change *b, bs_family f, const char *what) {
        if (a->kind != b->kind || !streq(a->chain, b->chain) || !streq(a->table, b->table) ||
            a->position != b->position || a->policy != b->policy || a->families != b->families ||
            !bs_rule_equal(&a->rule, &b->rule))
                g_error("%s (%s): structured and text changes differ", what, bs_family_to_string(f));
        _cleanup_buf_ bs_buf ca = {}, cb = {};
        g_assert_cmpint(bs_render_change(a, f, &ca), >=, 0);
        g_assert_cmpint(bs_render_change(b, f, &cb), >=, 0);
        g_assert_cmpstr(ca.data, ==, cb.data);
}

typedef struct Pair {
        const char *spec; /* lines of the spec */
        const char *text; /* the same change as Apply takes it */
} Pair;

/* Every key, each operation; "family" absent unless given, so both
 * families are tried and must agree with the text form on validity too. */
static const Pair pairs[] = {
        { "s:operation=append\ns:chain=INPUT\nd:rule", "-A INPUT" },
        { "s:operation=append\ns:chain=INPUT\ns:rule.target=ACCEPT", "-A INPUT -j ACCEPT" },
        { "s:operation=append\ns:chain=INPUT\ns:rule.target=", "-A INPUT" },
        { "s:operation=insert\ns:chain=INPUT\ns:rule.ctstate=ESTABLISHED,RELATED\ns:rule.target=ACCEPT",
          "-I INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT" },
        { "s:operation=insert\ns:chain=INPUT\nu:position=3\ns:rule.ctstate=RELATED,ESTABLISHED\ns:rule.target=ACCEPT",
          "-I INPUT 3 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT" },
        { "s:operation=append\ns:chain=INPUT\ns:rule.ctstate=!NEW,INVALID\ns:rule.target=DROP",
          "-A INPUT -m conntrack ! --ctstate NEW,INVALID -j DROP" },
        { "s:operation=append\ns:chain=INPUT\ns:rule.source=192.0.2.0/24\ns:rule.target=ACCEPT",
          "-A INPUT -s 192.0.2.0/24 -j ACCEPT" },
        { "s:operation=append\ns:chain=INPUT\ns:rule.source=!192.0.2.7\ns:rule.destination=198.51.100.0/255.255.255.0",
          "-A INPUT ! -s 192.0.2.7 -d 198.51.100.0/255.255.255.0" },
        { "s:operation=append\ns:chain=INPUT\ns:rule.source=2001:db8::/32\ns:rule.destination=!2001:db8::1\n"
          "s:rule.target=DROP",
          "-A INPUT -s 2001:db8::/32 ! -d 2001:db8::1 -j DROP" },
        { "s:operation=append\ns:chain=INPUT\ns:rule.in-interface=lo\ns:rule.target=ACCEPT",
          "-A INPUT -i lo -j ACCEPT" },
        { "s:operation=append\ns:chain=FORWARD\ns:rule.in-interface=!eth+\ns:rule.out-interface=wg0",
          "-A FORWARD ! -i eth+ -o wg0" },
        { "s:operation=append\ns:chain=INPUT\ns:rule.protocol=tcp\ns:rule.dports=22\ns:rule.target=ACCEPT",
          "-A INPUT -p tcp --dport 22 -j ACCEPT" },
        { "s:operation=append\ns:chain=INPUT\ns:rule.protocol=tcp\ns:rule.dports=22\ns:rule.target=ACCEPT",
          "-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT" },
        { "s:operation=append\ns:chain=INPUT\ns:rule.protocol=udp\ns:rule.sports=1024:65535\ns:rule.dports=!53",
          "-A INPUT -p udp --sport 1024:65535 ! --dport 53" },
        { "s:operation=append\ns:chain=INPUT\ns:rule.protocol=!udp\ns:rule.target=DROP", "-A INPUT ! -p udp -j DROP" },
        { "s:operation=append\ns:chain=INPUT\ns:rule.protocol=6\ns:rule.dports=80", "-A INPUT -p 6 --dport 80" },
        { "s:operation=append\ns:chain=INPUT\ns:rule.protocol=tcp\ns:rule.dports=22,80,8000:8080\ns:rule.target=ACCEPT",
          "-A INPUT -p tcp -m multiport --dports 22,80,8000:8080 -j ACCEPT" },
        { "s:operation=append\ns:chain=INPUT\ns:rule.protocol=tcp\ns:rule.sports=!1,2\ns:rule.dports=3,4",
          "-A INPUT -p tcp -m multiport ! --sports 1,2 -m multiport --dports 3,4" },
        { "s:operation=append\ns:chain=INPUT\ns:rule.protocol=tcp\ns:rule.sports=1,2\ns:rule.dports=22",
          "-A INPUT -p tcp --dport 22 -m multiport --sports 1,2" },
        { "s:operation=append\ns:chain=INPUT\ns:rule.protocol=icmp\ns:rule.icmp-type=echo-request\n"
          "s:rule.target=ACCEPT",
          "-A INPUT -p icmp --icmp-type echo-request -j ACCEPT" },
        { "s:operation=append\ns:chain=INPUT\ns:rule.protocol=ipv6-icmp\ns:rule.icmp-type=135\ns:rule.target=ACCEPT",
          "-A INPUT -p ipv6-icmp --icmpv6-type 135 -j ACCEPT" },
        { "s:operation=append\ns:chain=INPUT\ns:rule.protocol=icmp\ns:rule.icmp-type=!8",
          "-A INPUT -p icmp ! --icmp-type 8" },
        { "s:operation=append\ns:chain=INPUT\ns:rule.comment=ssh from the office\ns:rule.target=ACCEPT",
          "-A INPUT -m comment --comment \"ssh from the office\" -j ACCEPT" },
        /* a value is one word: nothing in it becomes an option */
        { "s:operation=append\ns:chain=INPUT\ns:rule.comment=x -j DROP", "-A INPUT -m comment --comment 'x -j DROP'" },
        { "s:operation=append\ns:chain=INPUT\ns:rule.comment=!x", "-A INPUT -m comment --comment '!x'" },
        { "s:operation=append\ns:chain=INPUT\ns:rule.limit=5/min\nu:rule.limit-burst=10\ns:rule.target=ACCEPT",
          "-A INPUT -m limit --limit 5/min --limit-burst 10 -j ACCEPT" },
        { "s:operation=append\ns:chain=INPUT\nu:rule.limit-burst=3", "-A INPUT -m limit --limit-burst 3" },
        { "s:operation=append\ns:chain=INPUT\ns:rule.protocol=tcp\ns:rule.target=REJECT\ns:rule.reject-with=tcp-reset",
          "-A INPUT -p tcp -j REJECT --reject-with tcp-reset" },
        { "s:operation=append\ns:chain=INPUT\ns:rule.target=REJECT", "-A INPUT -j REJECT" },
        { "s:operation=append\ns:chain=INPUT\ns:rule.target=LOG\ns:rule.log-prefix=dropped: \ns:rule.log-level=info",
          "-A INPUT -j LOG --log-prefix 'dropped: ' --log-level info" },
        { "s:operation=append\ns:chain=INPUT\ns:rule.target=svc", "-A INPUT -j svc" },
        { "s:operation=append\ns:chain=INPUT\ns:rule.target=svc\nb:rule.goto=1", "-A INPUT -g svc" },
        { "s:operation=append\ns:chain=INPUT\ns:rule.target=svc\nb:rule.goto=0", "-A INPUT -j svc" },
        { "s:operation=append\ns:chain=svc\ns:rule.target=RETURN", "-A svc -j RETURN" },
        { "s:operation=replace\ns:chain=INPUT\nu:position=2\ns:rule.source=10.0.0.1\ns:rule.target=DROP",
          "-R INPUT 2 -s 10.0.0.1 -j DROP" },
        { "s:operation=delete\ns:chain=INPUT\ns:rule.protocol=tcp\ns:rule.dports=22\ns:rule.target=ACCEPT",
          "-D INPUT -p tcp --dport 22 -j ACCEPT" },
        { "s:operation=delete-number\ns:chain=INPUT\nu:position=4", "-D INPUT 4" },
        { "s:operation=policy\ns:chain=INPUT\ns:policy=DROP", "-P INPUT DROP" },
        { "s:operation=policy\ns:chain=FORWARD\ns:policy=ACCEPT", "-P FORWARD ACCEPT" },
        { "s:operation=new-chain\ns:chain=web", "-N web" },
        { "s:operation=delete-chain\ns:chain=web", "-X web" },
        { "s:operation=flush\ns:chain=INPUT", "-F INPUT" },
        { "s:operation=append\ns:chain=INPUT\ns:family=ipv4\ns:rule.target=ACCEPT", "-4 -A INPUT -j ACCEPT" },
        { "s:operation=append\ns:chain=INPUT\ns:family=ipv6\ns:rule.target=ACCEPT", "-6 -A INPUT -j ACCEPT" },
        { "s:operation=append\ns:chain=INPUT\ns:family=\ns:rule.target=ACCEPT", "-A INPUT -j ACCEPT" },
        /* every header and match key at once */
        { "s:operation=insert\ns:chain=INPUT\nu:position=1\ns:rule.source=10.0.0.0/8\ns:rule.destination=10.1.2.3\n"
          "s:rule.in-interface=eth0\ns:rule.protocol=tcp\ns:rule.sports=!1:1023\ns:rule.dports=22,2222\n"
          "s:rule.ctstate=NEW\ns:rule.limit=10/s\nu:rule.limit-burst=20\ns:rule.comment=admin\ns:rule.target=LOG\n"
          "s:rule.log-prefix=ssh \ns:rule.log-level=7",
          "-I INPUT 1 -s 10.0.0.0/8 -d 10.1.2.3 -i eth0 -p tcp ! --sport 1:1023 -m multiport --dports 22,2222 "
          "-m conntrack --ctstate NEW -m limit --limit 10/s --limit-burst 20 -m comment --comment admin "
          "-j LOG --log-prefix 'ssh ' --log-level 7" },
};

static void test_same_as_text(void) {
        for (size_t i = 0; i < G_N_ELEMENTS(pairs); i++) {
                size_t ok = 0;
                for (bs_family f = BS_FAMILY_IPV4; f <= BS_FAMILY_IPV6; f += 2) {
                        bs_change a, b;
                        char err[512] = "";
                        bs_parse_error pe = {};
                        int rd = dict_parse(pairs[i].spec, f, &a, err, sizeof(err));
                        int rt = bs_parse_change(f, pairs[i].text, &b, &pe);
                        if ((rd < 0) != (rt < 0))
                                g_error("\"%s\" (%s): structured %d (%s), text %d (%s)", pairs[i].text,
                                        bs_family_to_string(f), rd, err, rt, pe.message);
                        if (rd < 0) {
                                g_assert_cmpint(rd, ==, rt); /* -EINVAL or -EAFNOSUPPORT alike */
                                continue;
                        }
                        assert_same_change(&a, &b, f, pairs[i].text);
                        bs_change_done(&a);
                        bs_change_done(&b);
                        ok++;
                }
                g_assert_cmpuint(ok, >, 0); /* each pair is valid for some family */
        }
}

/* The reverse (bs_rule_fields_foreach, what ListRules shows): for each
 * rule whose keys are all ones the reverse writes, the fields it gives,
 * with the target, read back as a structured change, are the rule again. */
typedef struct Fields {
        bs_kv_list *rule;
        GPtrArray *strings; /* the values, kept for the borrowed pointers */
} Fields;

static int collect_field(const char *key, const char *value, void *userdata) {
        Fields *fl = userdata;
        char *v = g_strdup(value);
        g_ptr_array_add(fl->strings, v);
        bs_kv kv = { .key = key, .type = BS_KV_STRING, .str = v };
        return bs_kv_list_add(fl->rule, &kv, NULL);
}

static bool reverse_covers(const char *spec) {
        static const char *const keys[] = { "source", "destination", "in-interface", "out-interface", "protocol",
                                            "dports", "sports", "ctstate", "comment", "target" };
        for (const char *p = strstr(spec, "rule."); p; p = strstr(p + 1, "rule.")) {
                size_t len = strcspn(p + 5, "=\n");
                bool known = false;
                for (size_t k = 0; k < G_N_ELEMENTS(keys); k++)
                        known = known || (strlen(keys[k]) == len && strncmp(keys[k], p + 5, len) == 0);
                if (!known)
                        return false;
        }
        return true;
}

static void test_reverse(void) {
        size_t checked = 0;
        for (size_t i = 0; i < G_N_ELEMENTS(pairs); i++) {
                if (!reverse_covers(pairs[i].spec))
                        continue;
                for (bs_family f = BS_FAMILY_IPV4; f <= BS_FAMILY_IPV6; f += 2) {
                        bs_change text;
                        bs_parse_error pe = {};
                        if (bs_parse_change(f, pairs[i].text, &text, &pe) < 0)
                                continue;
                        if (text.kind != BS_CHANGE_APPEND && text.kind != BS_CHANGE_INSERT) {
                                bs_change_done(&text);
                                continue;
                        }
                        bs_kv_list top = {};
                        bs_kv op = { .key = "operation", .type = BS_KV_STRING, .str = "append" };
                        bs_kv chain = { .key = "chain", .type = BS_KV_STRING, .str = text.chain };
                        g_assert_cmpint(bs_kv_list_add(&top, &op, NULL), ==, 0);
                        g_assert_cmpint(bs_kv_list_add(&top, &chain, NULL), ==, 0);
                        Fields fl = { .strings = g_ptr_array_new_with_free_func(g_free) };
                        g_assert_cmpint(bs_kv_list_add_dict(&top, "rule", &fl.rule), ==, 0);
                        g_assert_cmpint(bs_rule_fields_foreach(&text.rule, collect_field, &fl), ==, 0);
                        const char *target = bs_target_name(&text.rule.target);
                        if (target) {
                                bs_kv t = { .key = "target", .type = BS_KV_STRING, .str = target };
                                g_assert_cmpint(bs_kv_list_add(fl.rule, &t, NULL), ==, 0);
                        }
                        bs_change back;
                        char err[512] = "";
                        int r = bs_change_dict_parse(&top, f, &back, err, sizeof(err));
                        if (r < 0)
                                g_error("\"%s\" (%s): its fields do not read back: %s", pairs[i].text,
                                        bs_family_to_string(f), err);
                        if (!bs_rule_equal(&back.rule, &text.rule))
                                g_error("\"%s\" (%s): its fields read back as another rule", pairs[i].text,
                                        bs_family_to_string(f));
                        bs_change_done(&back);
                        bs_kv_list_done(&top);
                        g_ptr_array_free(fl.strings, TRUE);
                        bs_change_done(&text);
                        checked++;
                }
        }
        g_assert_cmpuint(checked, >=, 20);
}

typedef struct Bad {
        const char *spec;
        const char *mentions[3];
} Bad;

static const Bad bads[] = {
        /* change keys */
        { "s:chain=INPUT", { "\"operation\"", "missing" } },
        { "s:operation=prepend\ns:chain=INPUT", { "\"operation\"", "\"prepend\"" } },
        { "u:operation=1\ns:chain=INPUT", { "\"operation\"", "\"u\"", "\"s\"" } },
        { "s:operation=flush", { "\"chain\"", "missing" } },
        { "s:operation=flush\ns:chain=", { "\"chain\"", "empty chain name" } },
        { "s:operation=flush\ns:chain=a b", { "\"chain\"", "\"a b\"" } },
        { "s:operation=flush\ns:chain=-j", { "\"chain\"", "\"-j\"" } },
        { "s:operation=flush\ns:chain=INPUT\ns:family=ipv5", { "\"family\"", "\"ipv5\"" } },
        { "s:operation=flush\ns:chain=INPUT\ns:bogus=1", { "unknown key", "\"bogus\"" } },
        { "s:operation=flush\ns:chain=INPUT\ns:chain=OUTPUT", { "\"chain\"", "twice" } },
        { "s:operation=flush\ns:chain=INPUT\no:position=i", { "\"position\"", "\"i\"", "\"u\"" } },
        { "s:operation=flush\ns:chain=INPUT\nu:position=1", { "\"position\"", "flush" } },
        { "s:operation=insert\ns:chain=INPUT\nu:position=0\nd:rule", { "\"position\"", "0" } },
        { "s:operation=replace\ns:chain=INPUT\nu:position=4294967295\nd:rule", { "\"position\"", "4294967295" } },
        { "s:operation=replace\ns:chain=INPUT\nd:rule", { "\"position\"", "needs" } },
        { "s:operation=delete-number\ns:chain=INPUT", { "\"position\"", "needs" } },
        { "s:operation=append\ns:chain=INPUT", { "\"rule\"", "needs" } },
        { "s:operation=flush\ns:chain=INPUT\nd:rule", { "\"rule\"", "flush" } },
        { "s:operation=append\ns:chain=INPUT\ns:rule=-j ACCEPT", { "\"rule\"", "\"s\"", "a{sv}" } },
        { "s:operation=policy\ns:chain=INPUT", { "\"policy\"", "needs" } },
        { "s:operation=policy\ns:chain=INPUT\ns:policy=REJECT", { "\"policy\"", "\"REJECT\"" } },
        { "s:operation=policy\ns:chain=svc\ns:policy=DROP\nd:rule", { "\"rule\"", "policy" } },
        { "s:operation=append\ns:chain=INPUT\ns:policy=DROP\nd:rule", { "\"policy\"", "append" } },
        { "s:operation=new-chain\ns:chain=INPUT", { "\"chain\"", "\"INPUT\"" } },
        /* rule keys */
        { "s:operation=append\ns:chain=INPUT\ns:rule.bogus=x", { "unknown rule key", "\"bogus\"" } },
        { "s:operation=append\ns:chain=INPUT\ns:rule.packets=1", { "unknown rule key", "\"packets\"" } },
        { "s:operation=append\ns:chain=INPUT\ns:rule.source=300.1.1.1", { "\"source\"", "\"300.1.1.1\"" } },
        { "s:operation=append\ns:chain=INPUT\ns:rule.source=10.0.0.0/33", { "\"source\"", "10.0.0.0/33" } },
        { "s:operation=append\ns:chain=INPUT\ns:rule.source=!!10.0.0.1", { "\"source\"", "!!10.0.0.1" } },
        { "s:operation=append\ns:chain=INPUT\ns:rule.source=", { "\"source\"", "\"\"" } },
        { "s:operation=append\ns:chain=INPUT\ns:rule.destination=-j", { "\"destination\"", "\"-j\"" } },
        { "s:operation=append\ns:chain=INPUT\no:rule.source=as", { "\"source\"", "\"as\"" } },
        { "s:operation=append\ns:chain=INPUT\ns:rule.in-interface=averyveryverylongname0",
          { "\"in-interface\"", "averyveryverylongname0" } },
        { "s:operation=append\ns:chain=INPUT\ns:rule.in-interface=a b", { "\"in-interface\"", "\"a b\"" } },
        { "s:operation=append\ns:chain=INPUT\ns:rule.out-interface=eth0", { "\"out-interface\"", "INPUT" } },
        { "s:operation=append\ns:chain=INPUT\ns:rule.protocol=nosuchproto", { "\"protocol\"", "nosuchproto" } },
        { "s:operation=append\ns:chain=INPUT\ns:rule.dports=22", { "\"dports\"", "\"protocol\"" } },
        { "s:operation=append\ns:chain=INPUT\ns:rule.sports=22", { "\"sports\"", "\"protocol\"" } },
        { "s:operation=append\ns:chain=INPUT\ns:rule.protocol=tcp\ns:rule.dports=70000", { "\"dports\"", "70000" } },
        { "s:operation=append\ns:chain=INPUT\ns:rule.protocol=tcp\ns:rule.dports=22 -j DROP",
          { "\"dports\"", "22 -j DROP" } },
        { "s:operation=append\ns:chain=INPUT\ns:rule.protocol=tcp\ns:rule.dports=1,2,70000",
          { "\"dports\"", "70000" } },
        { "s:operation=append\ns:chain=INPUT\ns:rule.protocol=tcp\n"
          "s:rule.dports=1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16",
          { "\"dports\"", "1,2,3" } },
        { "s:operation=append\ns:chain=INPUT\ns:rule.protocol=icmp\ns:rule.sports=1",
          { "\"sports\"", "\"1\"", "\"icmp\"" } },
        { "s:operation=append\ns:chain=INPUT\ns:rule.icmp-type=8", { "\"icmp-type\"", "\"protocol\"" } },
        { "s:operation=append\ns:chain=INPUT\ns:rule.protocol=tcp\ns:rule.icmp-type=8",
          { "\"icmp-type\"", "\"8\"", "\"tcp\"" } },
        { "s:operation=append\ns:chain=INPUT\ns:rule.protocol=icmp\ns:rule.icmp-type=nosuch",
          { "\"icmp-type\"", "nosuch" } },
        { "s:operation=append\ns:chain=INPUT\ns:rule.ctstate=BOGUS", { "\"ctstate\"", "BOGUS" } },
        { "s:operation=append\ns:chain=INPUT\ns:rule.limit=fast", { "\"limit\"", "fast" } },
        { "s:operation=append\ns:chain=INPUT\ns:rule.limit=!5/s", { "\"limit\"", "!5/s" } },
        { "s:operation=append\ns:chain=INPUT\nu:rule.limit-burst=0", { "\"limit-burst\"", "0" } },
        { "s:operation=append\ns:chain=INPUT\ns:rule.limit-burst=5", { "\"limit-burst\"", "\"s\"", "\"u\"" } },
        { "s:operation=append\ns:chain=INPUT\ns:rule.target=FOO BAR", { "\"target\"", "FOO BAR" } },
        { "s:operation=append\ns:chain=INPUT\ns:rule.target=!ACCEPT", { "\"target\"", "!ACCEPT" } },
        { "s:operation=append\ns:chain=INPUT\ns:rule.target=INPUT", { "\"target\"", "INPUT" } },
        { "s:operation=append\ns:chain=INPUT\ns:rule.target=SNAT", { "\"target\"", "SNAT" } },
        { "s:operation=append\ns:chain=INPUT\ns:rule.target=ACCEPT\nb:rule.goto=1", { "\"target\"", "ACCEPT" } },
        { "s:operation=append\ns:chain=INPUT\nb:rule.goto=1", { "\"goto\"", "\"target\"" } },
        { "s:operation=append\ns:chain=INPUT\ns:rule.goto=yes\ns:rule.target=svc", { "\"goto\"", "\"b\"" } },
        { "s:operation=append\ns:chain=INPUT\ns:rule.reject-with=tcp-reset", { "\"reject-with\"", "REJECT" } },
        { "s:operation=append\ns:chain=INPUT\ns:rule.target=REJECT\ns:rule.reject-with=bogus",
          { "\"reject-with\"", "bogus" } },
        { "s:operation=append\ns:chain=INPUT\ns:rule.target=REJECT\ns:rule.reject-with=tcp-reset",
          { "tcp-reset", "-p tcp" } },
        { "s:operation=append\ns:chain=INPUT\ns:rule.target=DROP\ns:rule.log-prefix=x", { "\"log-prefix\"", "LOG" } },
        { "s:operation=append\ns:chain=INPUT\ns:rule.target=LOG\ns:rule.log-level=loud", { "\"log-level\"", "loud" } },
        { "s:operation=append\ns:chain=INPUT\ns:rule.target=LOG\ns:rule.log-prefix=0123456789012345678901234567890",
          { "\"log-prefix\"", "0123456789" } },
        { "s:operation=append\ns:chain=INPUT\ns:rule.comment="
          "0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789"
          "0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789"
          "0123456789012345678901234567890123456789012345678901234567890123456789",
          { "\"comment\"", "0123456789" } },
        /* valid for no family */
        { "s:operation=append\ns:chain=INPUT\ns:rule.source=10.0.0.1\ns:rule.destination=2001:db8::1",
          { "\"destination\"", "2001:db8::1" } },
        { "s:operation=append\ns:chain=INPUT\ns:family=ipv6\ns:rule.source=10.0.0.1", { "\"source\"", "10.0.0.1" } },
};

static void test_bad(void) {
        for (size_t i = 0; i < G_N_ELEMENTS(bads); i++) {
                g_autofree char *text = g_strdup(bads[i].spec);
                bs_kv_list *v = NULL;
                size_t n = spec_parse(text, &v);
                bs_change *changes = NULL;
                size_t nc = 0;
                char err[1024] = "";
                int r = bs_change_dicts_parse(v, n, true, &changes, &nc, err, sizeof(err));
                spec_free(v, n);
                g_test_message("%s", err);
                if (r != -EINVAL)
                        g_error("%s: %d, not -EINVAL (%s)", bads[i].spec, r, err);
                if (!g_str_has_prefix(err, "change 1: "))
                        g_error("%s: \"%s\" does not name the change", bads[i].spec, err);
                for (size_t k = 0; k < G_N_ELEMENTS(bads[i].mentions) && bads[i].mentions[k]; k++)
                        if (!strstr(err, bads[i].mentions[k]))
                                g_error("%s: \"%s\" does not mention %s", bads[i].spec, err, bads[i].mentions[k]);
        }
}

/* Families as Apply decides them; each change in the result has one. */
static void test_families(void) {
        static const struct {
                const char *spec;
                bool ipv6;
                int r;
                unsigned families[4]; /* masks in order, 0-terminated */
        } cases[] = {
                { "s:operation=policy\ns:chain=INPUT\ns:policy=DROP", true, 0, { 1, 2 } },
                { "s:operation=policy\ns:chain=INPUT\ns:policy=DROP", false, 0, { 1 } },
                { "s:operation=append\ns:chain=INPUT\ns:rule.source=192.0.2.1", true, 0, { 1 } },
                { "s:operation=append\ns:chain=INPUT\ns:rule.source=2001:db8::1", true, 0, { 2 } },
                { "s:operation=append\ns:chain=INPUT\ns:rule.source=2001:db8::1", false, -EAFNOSUPPORT, {} },
                { "s:operation=flush\ns:chain=INPUT\ns:family=ipv6", true, 0, { 2 } },
                { "s:operation=flush\ns:chain=INPUT\ns:family=ipv6", false, -EAFNOSUPPORT, {} },
                { "s:operation=flush\ns:chain=INPUT\ns:family=ipv4", false, 0, { 1 } },
                { "s:operation=append\ns:chain=INPUT\ns:rule.protocol=icmp\ns:rule.icmp-type=8", true, 0, { 1 } },
                { "s:operation=append\ns:chain=INPUT\ns:rule.protocol=ipv6-icmp\ns:rule.icmp-type=128", true, 0,
                  { 2 } },
                { "s:operation=new-chain\ns:chain=a\n%\ns:operation=append\ns:chain=a\ns:rule.source=10.0.0.1\n%\n"
                  "s:operation=flush\ns:chain=b\ns:family=ipv6",
                  true, 0, { 1, 2, 1, 2 } },
        };
        for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
                g_autofree char *text = g_strdup(cases[i].spec);
                bs_kv_list *v = NULL;
                size_t n = spec_parse(text, &v);
                bs_change *changes = NULL;
                size_t nc = 0;
                char err[512] = "";
                int r = bs_change_dicts_parse(v, n, cases[i].ipv6, &changes, &nc, err, sizeof(err));
                spec_free(v, n);
                if (r != cases[i].r)
                        g_error("%s: %d (%s), want %d", cases[i].spec, r, err, cases[i].r);
                if (r < 0)
                        continue;
                size_t want = 0;
                while (want < G_N_ELEMENTS(cases[i].families) && cases[i].families[want])
                        want++;
                g_assert_cmpuint(nc, ==, want);
                for (size_t k = 0; k < nc; k++) {
                        g_assert_cmpuint(changes[k].families, ==, cases[i].families[k]);
                        g_assert_cmpint(changes[k].rule.family, ==,
                                        cases[i].families[k] == 2 ? BS_FAMILY_IPV6 : BS_FAMILY_IPV4);
                        bs_change_done(&changes[k]);
                }
                free(changes);
        }
}

static void test_limits(void) {
        bs_change *changes = NULL;
        size_t nc = 0;
        char err[512] = "";
        /* none */
        g_assert_cmpint(bs_change_dicts_parse(NULL, 0, true, &changes, &nc, err, sizeof(err)), ==, -EINVAL);
        g_assert_nonnull(strstr(err, "no changes"));
        /* too many */
        bs_kv_list *many = g_new0(bs_kv_list, BS_CHANGESET_MAX + 1);
        g_assert_cmpint(bs_change_dicts_parse(many, BS_CHANGESET_MAX + 1, true, &changes, &nc, err, sizeof(err)), ==,
                        -E2BIG);
        g_assert_nonnull(strstr(err, "10000"));
        g_free(many);
        /* too large: 9000 bytes of comment; the rule is refused before parsing */
        g_autofree char *big = g_strnfill(9000, 'x');
        g_autofree char *spec = g_strdup_printf("s:operation=append\ns:chain=INPUT\ns:rule.comment=%s", big);
        bs_kv_list *v = NULL;
        size_t n = spec_parse(spec, &v);
        g_assert_cmpint(bs_change_dicts_parse(v, n, true, &changes, &nc, err, sizeof(err)), ==, -EINVAL);
        g_assert_nonnull(strstr(err, "8192"));
        spec_free(v, n);
        /* too many keys in one dictionary */
        bs_kv_list l = {};
        bs_kv kv = { .key = "source", .type = BS_KV_STRING, .str = "10.0.0.1" };
        for (int i = 0; i < BS_KV_MAX; i++)
                g_assert_cmpint(bs_kv_list_add(&l, &kv, NULL), ==, 0);
        g_assert_cmpint(bs_kv_list_add(&l, &kv, NULL), ==, -E2BIG);
        bs_kv_list *d;
        g_assert_cmpint(bs_kv_list_add_dict(&l, "rule", &d), ==, -E2BIG);
        bs_kv_list_done(&l);
        /* the second of two bad changes is named as the second */
        g_autofree char *two = g_strdup("s:operation=flush\ns:chain=INPUT\n%\ns:operation=flush\ns:chain=x y");
        n = spec_parse(two, &v);
        g_assert_cmpint(bs_change_dicts_parse(v, n, true, &changes, &nc, err, sizeof(err)), ==, -EINVAL);
        g_assert_true(g_str_has_prefix(err, "change 2: "));
        spec_free(v, n);
}

/* The changes convert into a change set whose commands are the ones the
 * text form gives, and which applies to a table the same way. */
static void test_changeset(void) {
        static const char spec[] =
                "s:operation=new-chain\ns:chain=web\n%\n"
                "s:operation=append\ns:chain=web\ns:rule.protocol=tcp\ns:rule.dports=80,443\ns:rule.target=ACCEPT\n%\n"
                "s:operation=insert\ns:chain=INPUT\ns:rule.ctstate=ESTABLISHED,RELATED\ns:rule.target=ACCEPT\n%\n"
                "s:operation=append\ns:chain=INPUT\ns:rule.target=web\n%\n"
                "s:operation=append\ns:chain=INPUT\ns:rule.source=192.0.2.0/24\ns:rule.target=ACCEPT\n%\n"
                "s:operation=policy\ns:chain=INPUT\ns:policy=DROP";
        char *const lines[] = {
                "-N web",
                "-A web -p tcp -m multiport --dports 80,443 -j ACCEPT",
                "-I INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT",
                "-A INPUT -j web",
                "-A INPUT -s 192.0.2.0/24 -j ACCEPT",
                "-P INPUT DROP",
        };
        g_autofree char *text = g_strdup(spec);
        bs_kv_list *v = NULL;
        size_t n = spec_parse(text, &v);
        g_assert_cmpuint(n, ==, G_N_ELEMENTS(lines));
        bs_change *changes = NULL;
        size_t nc = 0;
        char err[512] = "";
        g_assert_cmpint(bs_change_dicts_parse(v, n, true, &changes, &nc, err, sizeof(err)), ==, 0);
        spec_free(v, n);
        bs_changeset a = {}, b = {};
        g_assert_cmpint(bs_changeset_from_changes(changes, nc, &a), ==, 0);
        free(changes);
        g_assert_cmpint(bs_changeset_parse(lines, G_N_ELEMENTS(lines), true, &b, err, sizeof(err)), ==, 0);
        g_assert_cmpuint(a.n_commands, ==, b.n_commands);
        g_assert_cmpuint(a.n_commands, ==, 11); /* all but the IPv4 address for both */
        for (size_t i = 0; i < a.n_commands; i++)
                g_assert_cmpstr(a.commands[i], ==, b.commands[i]);
        for (bs_family f = BS_FAMILY_IPV4; f <= BS_FAMILY_IPV6; f += 2) {
                bs_table *t = bs_table_new(f, "filter");
                g_assert_nonnull(t);
                g_assert_cmpint(bs_table_add_chain(t, "INPUT", true, BS_POLICY_ACCEPT, NULL), ==, 0);
                g_assert_cmpint(bs_table_add_chain(t, "FORWARD", true, BS_POLICY_ACCEPT, NULL), ==, 0);
                g_assert_cmpint(bs_table_add_chain(t, "OUTPUT", true, BS_POLICY_ACCEPT, NULL), ==, 0);
                bs_table *ta = NULL, *tb = NULL;
                g_assert_cmpint(bs_changeset_apply(&a, t, &ta, NULL), ==, 0);
                g_assert_cmpint(bs_changeset_apply(&b, t, &tb, NULL), ==, 0);
                g_assert_true(bs_table_equal(ta, tb));
                _cleanup_buf_ bs_buf sa = {}, sb = {};
                g_assert_cmpint(bs_render_table(ta, NULL, false, &sa), ==, 0);
                g_assert_cmpint(bs_render_table(tb, NULL, false, &sb), ==, 0);
                g_assert_cmpstr(sa.data, ==, sb.data);
                g_assert_nonnull(strstr(sa.data, "-P INPUT DROP\n"));
                bs_table_free(t);
                bs_table_free(ta);
                bs_table_free(tb);
        }
        bs_changeset_done(&a);
        bs_changeset_done(&b);
}

int main(int argc, char **argv) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/rule-dict/same-as-text", test_same_as_text);
        g_test_add_func("/rule-dict/reverse", test_reverse);
        g_test_add_func("/rule-dict/bad", test_bad);
        g_test_add_func("/rule-dict/families", test_families);
        g_test_add_func("/rule-dict/limits", test_limits);
        g_test_add_func("/rule-dict/changeset", test_changeset);
        return g_test_run();
}
