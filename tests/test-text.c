/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests of the text layer: the canonical forms observed from
 * iptables-legacy (tests/text-canonical.txt), the model values the parser
 * produces, parse errors, word splitting, changes, tables, iptables-save. */
#include <arpa/inet.h>
#include <glib.h>
#include <linux/netfilter/xt_conntrack.h>

#include "text-internal.h"
#include "text.h"
#include <netdb.h>

/* ------------------------------------------------------------ helpers */

static int parse_rule_line(bs_family f, const char *rule, bs_rule *ret, bs_parse_error *err) {
        g_autofree char *line = g_strdup_printf("-A FORWARD %s", rule);
        bs_change c;
        int r = bs_parse_change(f, line, &c, err);
        if (r < 0)
                return r;
        *ret = c.rule; /* take the rule; the change owns nothing else */
        return 0;
}

static char *render(const bs_rule *r) {
        bs_buf b = {};
        g_assert_cmpint(bs_render_rule(r, &b), ==, 0);
        char *s = g_strdup(b.data);
        bs_buf_done(&b);
        return s;
}

static void parse_ok(bs_family f, const char *rule, bs_rule *ret) {
        bs_parse_error err = {};
        int r = parse_rule_line(f, rule, ret, &err);
        if (r < 0)
                g_error("\"%s\" did not parse: %s (word \"%s\")", rule, err.message, err.word);
}

/* ------------------------------------------------------------ canonical data */

/* iptables' own -S output is lossy in two places: an IPv4 conntrack address
 * given without a mask gets all 16 mask bytes set, one given as /32 only
 * four, and both print the same; "-i +" is stored as "+" and prints as
 * nothing. Equal rules up to that. */
static bool equal_but_lossy(const bs_rule *a, const bs_rule *b) {
        if (bs_rule_equal(a, b))
                return true;
        if (a->n_matches != b->n_matches)
                return false;
        bs_rule x, y;
        g_assert_cmpint(bs_rule_copy(&x, a), ==, 0);
        g_assert_cmpint(bs_rule_copy(&y, b), ==, 0);
        char *ifaces[] = { x.in_iface, x.out_iface, y.in_iface, y.out_iface };
        for (size_t k = 0; k < G_N_ELEMENTS(ifaces); k++)
                if (streq(ifaces[k], "+"))
                        ifaces[k][0] = '\0';
        for (size_t i = 0; i < x.n_matches; i++)
                if (x.family == BS_FAMILY_IPV4 && x.matches[i].kind == BS_MATCH_CONNTRACK &&
                    y.matches[i].kind == BS_MATCH_CONNTRACK) {
                        bs_addr *ax[] = { &x.matches[i].conntrack.origsrc, &x.matches[i].conntrack.origdst,
                                          &x.matches[i].conntrack.replsrc, &x.matches[i].conntrack.repldst,
                                          &y.matches[i].conntrack.origsrc, &y.matches[i].conntrack.origdst,
                                          &y.matches[i].conntrack.replsrc, &y.matches[i].conntrack.repldst };
                        for (size_t k = 0; k < G_N_ELEMENTS(ax); k++)
                                memset(ax[k]->mask + 4, 0, 12);
                }
        bool eq = bs_rule_equal(&x, &y);
        bs_rule_done(&x);
        bs_rule_done(&y);
        return eq;
}

static void test_canonical(void) {
        g_autofree char *path = g_test_build_filename(G_TEST_DIST, "text-canonical.txt", NULL);
        g_autofree char *data = NULL;
        g_assert_true(g_file_get_contents(path, &data, NULL, NULL));
        g_auto(GStrv) lines = g_strsplit(data, "\n", -1);
        unsigned n4 = 0, n6 = 0;

        for (char **l = lines; *l; l++) {
                if (!**l || **l == '#')
                        continue;
                g_auto(GStrv) col = g_strsplit(*l, "\t", 3);
                g_assert_cmpuint(g_strv_length(col), ==, 3);
                bs_family f = streq(col[0], "6") ? BS_FAMILY_IPV6 : BS_FAMILY_IPV4;
                bs_rule a, b;

                parse_ok(f, col[1], &a);
                g_autofree char *out = render(&a);
                if (!streq(out, col[2]))
                        g_error("%s: \"%s\" rendered \"%s\", iptables printed \"%s\"", col[0], col[1], out, col[2]);

                /* the canonical text reads back as the same rule and is a fixpoint */
                parse_ok(f, col[2], &b);
                if (!equal_but_lossy(&a, &b))
                        g_error("%s: \"%s\" and its canonical form \"%s\" are different rules", col[0], col[1],
                                col[2]);
                g_autofree char *again = render(&b);
                g_assert_cmpstr(again, ==, col[2]);
                bs_rule_done(&a);
                bs_rule_done(&b);
                if (f == BS_FAMILY_IPV6)
                        n6++;
                else
                        n4++;
        }
        g_test_message("%u IPv4 and %u IPv6 canonical pairs", n4, n6);
        g_assert_cmpuint(n4 + n6, >=, 120);
        g_assert_cmpuint(n6, >=, 40);
}

/* ------------------------------------------------------------ model values */

static void test_model_tcp_defaults(void) {
        bs_rule r;
        parse_ok(BS_FAMILY_IPV4, "-p tcp --dport 22 -j ACCEPT", &r);
        g_assert_cmpuint(r.proto, ==, 6);
        g_assert_cmpuint(r.n_matches, ==, 1);
        g_assert_cmpint(r.matches[0].kind, ==, BS_MATCH_TCP);
        g_assert_cmpuint(r.matches[0].tcp.sport.lo, ==, 0);
        g_assert_cmpuint(r.matches[0].tcp.sport.hi, ==, 65535);
        g_assert_cmpuint(r.matches[0].tcp.dport.lo, ==, 22);
        g_assert_cmpuint(r.matches[0].tcp.dport.hi, ==, 22);
        g_assert_cmpuint(r.matches[0].tcp.flg_mask, ==, 0);
        g_assert_cmpint(r.target.kind, ==, BS_TARGET_ACCEPT);
        bs_rule_done(&r);

        parse_ok(BS_FAMILY_IPV4, "-p tcp --syn", &r);
        g_assert_cmpuint(r.matches[0].tcp.flg_mask, ==, 0x17);
        g_assert_cmpuint(r.matches[0].tcp.flg_cmp, ==, 0x02);
        g_assert_cmpuint(r.matches[0].tcp.dport.hi, ==, 65535);
        bs_rule_done(&r);

        /* -p udp alone loads no match; an unknown option loads it */
        parse_ok(BS_FAMILY_IPV4, "-p udp", &r);
        g_assert_cmpuint(r.n_matches, ==, 0);
        bs_rule_done(&r);
        parse_ok(BS_FAMILY_IPV4, "-p udp --sport 53", &r);
        g_assert_cmpint(r.matches[0].kind, ==, BS_MATCH_UDP);
        g_assert_cmpuint(r.matches[0].udp.dport.lo, ==, 0);
        g_assert_cmpuint(r.matches[0].udp.dport.hi, ==, 65535);
        bs_rule_done(&r);
}

static void test_model_limit_log_reject(void) {
        bs_rule r;
        parse_ok(BS_FAMILY_IPV4, "-m limit", &r);
        g_assert_cmpuint(r.matches[0].limit.avg, ==, 12000000); /* 3/hour in 1/10000 s */
        g_assert_cmpuint(r.matches[0].limit.burst, ==, 5);
        bs_rule_done(&r);
        parse_ok(BS_FAMILY_IPV4, "-m limit --limit 5/sec --limit-burst 9", &r);
        g_assert_cmpuint(r.matches[0].limit.avg, ==, 2000);
        g_assert_cmpuint(r.matches[0].limit.burst, ==, 9);
        bs_rule_done(&r);

        parse_ok(BS_FAMILY_IPV4, "-j LOG", &r);
        g_assert_cmpint(r.target.kind, ==, BS_TARGET_LOG);
        g_assert_cmpuint(r.target.log.level, ==, 4);
        g_assert_cmpuint(r.target.log.flags, ==, 0);
        g_assert_cmpstr(r.target.log.prefix, ==, "");
        bs_rule_done(&r);
        parse_ok(BS_FAMILY_IPV4, "-j LOG --log-level debug --log-uid --log-macdecode --log-prefix X", &r);
        g_assert_cmpuint(r.target.log.level, ==, 7);
        g_assert_cmpuint(r.target.log.flags, ==, 0x08 | 0x20);
        g_assert_cmpstr(r.target.log.prefix, ==, "X");
        bs_rule_done(&r);

        parse_ok(BS_FAMILY_IPV4, "-j REJECT", &r);
        g_assert_cmpuint(r.target.reject.with, ==, 3); /* IPT_ICMP_PORT_UNREACHABLE */
        bs_rule_done(&r);
        parse_ok(BS_FAMILY_IPV6, "-j REJECT", &r);
        g_assert_cmpuint(r.target.reject.with, ==, 4); /* IP6T_ICMP6_PORT_UNREACH */
        bs_rule_done(&r);
        parse_ok(BS_FAMILY_IPV6, "-p tcp -j REJECT --reject-with tcp-reset", &r);
        g_assert_cmpuint(r.target.reject.with, ==, 6);
        bs_rule_done(&r);
}

static void test_model_conntrack(void) {
        bs_rule r;
        parse_ok(BS_FAMILY_IPV4, "-m state --state NEW", &r);
        g_assert_cmpint(r.matches[0].kind, ==, BS_MATCH_CONNTRACK);
        g_assert_cmpuint(r.matches[0].conntrack.match_flags, ==, XT_CONNTRACK_STATE | XT_CONNTRACK_STATE_ALIAS);
        g_assert_cmpuint(r.matches[0].conntrack.state_mask, ==, 0x08);
        bs_rule_done(&r);

        parse_ok(BS_FAMILY_IPV4, "-m conntrack ! --ctstate RELATED,ESTABLISHED", &r);
        g_assert_cmpuint(r.matches[0].conntrack.match_flags, ==, XT_CONNTRACK_STATE);
        g_assert_cmpuint(r.matches[0].conntrack.invert_flags, ==, XT_CONNTRACK_STATE);
        g_assert_cmpuint(r.matches[0].conntrack.state_mask, ==, 0x06);
        bs_rule_done(&r);

        /* without a mask iptables sets all 16 mask bytes; with one, only the
         * prefix; addresses stay unmasked; ports in host order (revision 3) */
        parse_ok(BS_FAMILY_IPV4,
                 "-m conntrack --ctorigsrc 1.2.3.4 --ctorigdst 10.1.2.3/8 --ctreplsrc 1.2.3.4/255.0.255.0 "
                 "--ctorigsrcport 22:80 --ctexpire 5",
                 &r);
        const bs_match_conntrack *c = &r.matches[0].conntrack;
        static const uint8_t ones[16] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                          0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
        static const uint8_t slash8[16] = { 0xff };
        static const uint8_t a1234[16] = { 1, 2, 3, 4 }, a10123[16] = { 10, 1, 2, 3 };
        g_assert_cmpmem(c->origsrc.mask, 16, ones, 16);
        g_assert_cmpmem(c->origsrc.addr, 16, a1234, 16);
        g_assert_cmpmem(c->origdst.mask, 16, slash8, 16);
        g_assert_cmpmem(c->origdst.addr, 16, a10123, 16);
        g_assert_cmpmem(c->replsrc.mask, 16, ones, 16); /* not a prefix: a full mask */
        g_assert_cmpuint(c->origsrc_port, ==, 22);
        g_assert_cmpuint(c->origsrc_port_high, ==, 80);
        g_assert_cmpuint(c->expires_min, ==, 5);
        g_assert_cmpuint(c->expires_max, ==, 5);
        g_assert_cmpuint(c->match_flags, ==,
                         XT_CONNTRACK_ORIGSRC | XT_CONNTRACK_ORIGDST | XT_CONNTRACK_REPLSRC |
                                 XT_CONNTRACK_ORIGSRC_PORT | XT_CONNTRACK_EXPIRES);
        bs_rule_done(&r);

        /* the lossy case: same text, different kernel bytes (as iptables) */
        bs_rule a, b;
        parse_ok(BS_FAMILY_IPV4, "-m conntrack --ctorigsrc 1.2.3.4/32", &a);
        parse_ok(BS_FAMILY_IPV4, "-m conntrack --ctorigsrc 1.2.3.4", &b);
        g_assert_false(bs_rule_equal(&a, &b));
        g_assert_true(equal_but_lossy(&a, &b));
        g_autofree char *ra = render(&a), *rb = render(&b);
        g_assert_cmpstr(ra, ==, "-m conntrack --ctorigsrc 1.2.3.4");
        g_assert_cmpstr(ra, ==, rb);
        bs_rule_done(&a);
        bs_rule_done(&b);

        parse_ok(BS_FAMILY_IPV4, "-m conntrack --ctdir REPLY", &r);
        g_assert_cmpuint(r.matches[0].conntrack.match_flags, ==, XT_CONNTRACK_DIRECTION);
        g_assert_cmpuint(r.matches[0].conntrack.invert_flags, ==, XT_CONNTRACK_DIRECTION);
        bs_rule_done(&r);
}

static void test_model_misc(void) {
        bs_rule r;
        parse_ok(BS_FAMILY_IPV4, "-s 10.1.2.3/8 ! -d 192.168.1.1 -i eth+ -c 5 100", &r);
        static const uint8_t a10[4] = { 10, 0, 0, 0 }, m8[4] = { 0xff, 0, 0, 0 };
        g_assert_cmpmem(r.src.addr, 4, a10, 4);
        g_assert_cmpmem(r.src.mask, 4, m8, 4);
        g_assert_false(r.src_invert);
        g_assert_true(r.dst_invert);
        g_assert_cmpint(bs_addr_prefix_len(&r.dst, BS_FAMILY_IPV4), ==, 32);
        g_assert_cmpstr(r.in_iface, ==, "eth+");
        g_assert_cmpuint(r.packets, ==, 5);
        g_assert_cmpuint(r.bytes, ==, 100);
        bs_rule_done(&r);

        parse_ok(BS_FAMILY_IPV4, "-i +", &r);
        g_assert_cmpstr(r.in_iface, ==, "+"); /* what the kernel keeps */
        g_autofree char *plus = render(&r);
        g_assert_cmpstr(plus, ==, ""); /* and what iptables prints */
        bs_rule_done(&r);

        parse_ok(BS_FAMILY_IPV4, "-p icmp --icmp-type any", &r);
        g_assert_cmpuint(r.matches[0].icmp.type, ==, 255);
        g_assert_cmpuint(r.matches[0].icmp.code_min, ==, 0);
        g_assert_cmpuint(r.matches[0].icmp.code_max, ==, 255);
        bs_rule_done(&r);
        parse_ok(BS_FAMILY_IPV6, "-p icmpv6 --icmpv6-type port-unreachable", &r);
        g_assert_cmpint(r.matches[0].kind, ==, BS_MATCH_ICMP6);
        g_assert_cmpuint(r.matches[0].icmp.type, ==, 1);
        g_assert_cmpuint(r.matches[0].icmp.code_min, ==, 4);
        g_assert_cmpuint(r.matches[0].icmp.code_max, ==, 4);
        bs_rule_done(&r);

        parse_ok(BS_FAMILY_IPV4, "-p tcp -m multiport ! --dports 22,80:90", &r);
        const bs_match_multiport *mp = &r.matches[0].multiport;
        g_assert_cmpint(mp->dir, ==, BS_MULTIPORT_DESTINATION);
        g_assert_cmpuint(mp->count, ==, 3);
        g_assert_cmpuint(mp->ports[0], ==, 22);
        g_assert_cmpuint(mp->ports[1], ==, 80);
        g_assert_cmpuint(mp->ports[2], ==, 90);
        g_assert_cmpuint(mp->pflags[0], ==, 0);
        g_assert_cmpuint(mp->pflags[1], ==, 1);
        g_assert_true(mp->invert);
        bs_rule_done(&r);

        parse_ok(BS_FAMILY_IPV4, "-m addrtype --src-type LOCAL ! --dst-type UNICAST --limit-iface-in", &r);
        g_assert_cmpuint(r.matches[0].addrtype.source, ==, 4);
        g_assert_cmpuint(r.matches[0].addrtype.dest, ==, 2);
        g_assert_cmpuint(r.matches[0].addrtype.flags, ==, 2 | 4);
        bs_rule_done(&r);

        parse_ok(BS_FAMILY_IPV4, "-m iprange ! --src-range 1.2.3.4-1.2.3.9 -m mac --mac-source aa:BB:0:1:2:3", &r);
        static const uint8_t lo[4] = { 1, 2, 3, 4 }, hi[4] = { 1, 2, 3, 9 };
        static const uint8_t mac[6] = { 0xaa, 0xbb, 0, 1, 2, 3 };
        g_assert_cmpmem(r.matches[0].iprange.src_min, 4, lo, 4);
        g_assert_cmpmem(r.matches[0].iprange.src_max, 4, hi, 4);
        g_assert_cmpuint(r.matches[0].iprange.flags, ==, 0x01 | 0x10);
        g_assert_cmpmem(r.matches[1].mac.addr, 6, mac, 6);
        bs_rule_done(&r);

        parse_ok(BS_FAMILY_IPV4, "-g target-chain", &r);
        g_assert_cmpint(r.target.kind, ==, BS_TARGET_GOTO);
        g_assert_cmpstr(r.target.chain, ==, "target-chain");
        bs_rule_done(&r);

        /* bs_parse_rule on words directly */
        char *words[] = { "-p", "tcp", "--dport", "443", "-j", "DROP" };
        bs_parse_error err = {};
        g_assert_cmpint(bs_parse_rule(BS_FAMILY_IPV6, words, G_N_ELEMENTS(words), &r, &err), ==, 0);
        g_assert_cmpint(r.family, ==, BS_FAMILY_IPV6);
        g_autofree char *s = render(&r);
        g_assert_cmpstr(s, ==, "-p tcp -m tcp --dport 443 -j DROP");
        bs_rule_done(&r);
        char *bad[] = { "-A", "INPUT" };
        g_assert_cmpint(bs_parse_rule(BS_FAMILY_IPV4, bad, 2, &r, &err), <, 0);
        g_assert_cmpstr(err.word, ==, "-A");
}

/* ------------------------------------------------------------ errors */

typedef struct bad_line {
        bs_family family;
        const char *rule;
        const char *word; /* the word the error must name */
} bad_line;

static const bad_line bad_lines[] = {
        { 4, "-p tcp --dport 70000", "70000" },
        { 4, "-p udp --dport 70000", "70000" },
        { 4, "-p tcp --dport 30:20", "30:20" },
        { 4, "-p tcp --dport nosuchservice", "nosuchservice" },
        { 4, "-p tcp --dprot 22", "--dprot" },
        { 4, "-s 1.2.3.999", "1.2.3.999" },
        { 4, "-s example.com", "example.com" },
        { 4, "-s 1.2.3.4/33", "1.2.3.4/33" },
        { 4, "-s 1.2.3.4,5.6.7.8", "1.2.3.4,5.6.7.8" },
        { 6, "-s 2001:db8::g", "2001:db8::g" },
        { 6, "-d ::1/129", "::1/129" },
        { 6, "-s 1.2.3.4", "1.2.3.4" },
        { 4, "-i abcdefghijklmnop", "abcdefghijklmnop" },
        { 4, "-i \"\"", "" },
        { 4, "! -o +", "+" },
        { 4, "-p nosuchproto", "nosuchproto" },
        { 4, "! -p all", "all" },
        { 6, "-f", "-f" },
        { 4, "-m tcp --dport 22", "tcp" },
        { 4, "-p udp -m tcp", "tcp" },
        { 4, "-m nosuchmatch", "nosuchmatch" },
        { 4, "-m recent --set", "recent" },
        { 4, "-j MARK --set-mark 1", "MARK" },
        { 4, "-j INPUT", "INPUT" },
        { 4, "-g ACCEPT", "ACCEPT" },
        { 4, "-j ACCEPT -j DROP", "-j" },
        { 4, "-s 1.2.3.4 -s 5.6.7.8", "-s" },
        { 4, "! ! -s 1.2.3.4", "!" },
        { 4, "-p tcp ! --dport 22 !", "!" },
        { 4, "! -j ACCEPT", "-j" },
        { 4, "-s ! 1.2.3.4", "!" },
        { 4, "-p tcp --tcp-flags SYN", "SYN" },
        { 4, "-p tcp --tcp-flags SYN,BOGUS SYN", "SYN,BOGUS" },
        { 4, "-p tcp --tcp-option 0", "0" },
        { 4, "-p tcp --syn --tcp-flags SYN SYN", "--tcp-flags" },
        { 4, "-p icmp --icmp-type bogus", "bogus" },
        { 4, "-p icmp --icmp-type echo-re", "echo-re" },
        { 4, "-p icmp --icmp-type 3/300", "3/300" },
        { 4, "-p icmp -m icmp", "icmp" },
        { 6, "-p icmpv6 --icmpv6-type any", "any" },
        { 6, "-p icmp --icmp-type 8", "--icmp-type" },
        { 4, "-m conntrack", "conntrack" },
        { 4, "-m conntrack --ctstate BOGUS", "BOGUS" },
        { 4, "-m conntrack --ctstate NEW,", "NEW," },
        { 4, "-m conntrack ! --ctdir REPLY", "--ctdir" },
        { 4, "-m conntrack --ctdir SIDEWAYS", "SIDEWAYS" },
        { 4, "-m conntrack --ctorigsrc host.example", "host.example" },
        { 4, "-m conntrack --ctorigsrcport 5:0", "5:0" },
        { 4, "-p udp ! --dport 0:65535", "0:65535" },
        { 4, "-m state --state SNAT", "SNAT" },
        { 4, "-m state", "state" },
        { 4, "-m multiport --dports 22", "multiport" },
        { 4, "-p tcp -m multiport --dports 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16",
          "1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16" },
        { 4, "-p tcp -m multiport --dports 22:22", "22:22" },
        { 4, "-p tcp -m multiport --dports 1 --sports 2", "--sports" },
        { 4, "-m comment ! --comment x", "--comment" },
        { 4, "-m comment --comment x --comment y", "--comment" },
        { 4, "-m limit --limit 20000/sec", "20000/sec" },
        { 4, "-m limit --limit 5/week", "5/week" },
        { 4, "-m limit --limit-burst 0", "0" },
        { 4, "-m limit ! --limit 5/sec", "--limit" },
        { 4, "-m addrtype --src-type BOGUS", "BOGUS" },
        { 4, "-m addrtype", "addrtype" },
        { 6, "-m addrtype --src-type BROADCAST", "BROADCAST" },
        { 4, "-m mac --mac-source 00:11:22:33:44", "00:11:22:33:44" },
        { 4, "-m iprange --src-range ::1-::2", "::1-::2" },
        { 4, "-j LOG --log-level 8", "8" },
        { 4, "-j LOG --log-prefix 123456789012345678901234567890", "123456789012345678901234567890" },
        { 4, "-j LOG --log-prefix \"\"", "" },
        { 4, "-j LOG ! --log-uid", "--log-uid" },
        { 4, "-j REJECT --reject-with bogus", "bogus" },
        { 6, "-j REJECT --reject-with icmp-port-unreachable", "icmp-port-unreachable" },
        { 4, "-j REJECT --reject-with tcp-reset", "REJECT" },
        { 4, "-c 1 -j ACCEPT", "1" },
        { 4, "-c x y", "x" },
        { 4, "stray", "stray" },
        { 4, "-x", "-x" },
        { 4, "-p tcp -m tcp --sour 1.2.3.4", "--sour" },
        { 4, "-p tcp -m tcp --d 5", "--d" },
        { 4, "-p tcp --dport", "--dport" },
};

static void test_errors(void) {
        for (size_t i = 0; i < G_N_ELEMENTS(bad_lines); i++) {
                const bad_line *b = &bad_lines[i];
                bs_rule r;
                bs_parse_error err = { .word_index = -2 };
                int k = parse_rule_line(b->family, b->rule, &r, &err);
                if (k >= 0)
                        g_error("\"%s\" parsed but should not", b->rule);
                g_assert_cmpint(k, ==, -EINVAL);
                if (!streq(err.word, b->word))
                        g_error("\"%s\": error names \"%s\", expected \"%s\" (%s)", b->rule, err.word, b->word,
                                err.message);
                g_assert_cmpuint(strlen(err.message), >, 10);
                g_assert_cmpint(err.word_index, >=, 2); /* after "-A FORWARD" */
        }
        g_assert_cmpuint(G_N_ELEMENTS(bad_lines), >=, 40);

        /* a long word is cut in the error, not overflowed */
        char *line = g_strdup_printf("-A INPUT -s %0300d", 1);
        bs_change c;
        bs_parse_error err;
        g_assert_cmpint(bs_parse_change(BS_FAMILY_IPV4, line, &c, &err), ==, -EINVAL);
        g_assert_cmpuint(strlen(err.word), ==, sizeof(err.word) - 1);
        g_free(line);

        /* the -o / -i checks of the built-in chains */
        g_assert_cmpint(bs_parse_change(BS_FAMILY_IPV4, "-A INPUT -o eth0", &c, &err), ==, -EINVAL);
        g_assert_cmpstr(err.word, ==, "-o");
        g_assert_cmpint(bs_parse_change(BS_FAMILY_IPV4, "-A OUTPUT -i eth0", &c, &err), ==, -EINVAL);
        g_assert_cmpint(bs_parse_change(BS_FAMILY_IPV4, "-P INPUT REJECT", &c, &err), ==, -EINVAL);
        g_assert_cmpstr(err.word, ==, "REJECT");
        g_assert_cmpint(bs_parse_change(BS_FAMILY_IPV4, "-R INPUT x -j DROP", &c, &err), ==, -EINVAL);
        g_assert_cmpstr(err.word, ==, "x");
        g_assert_cmpint(bs_parse_change(BS_FAMILY_IPV4, "-I INPUT 0 -j DROP", &c, &err), ==, -EINVAL);
        g_assert_cmpstr(err.word, ==, "0");
        g_assert_cmpint(bs_parse_change(BS_FAMILY_IPV4, "-N ACCEPT", &c, &err), ==, -EINVAL);
        g_assert_cmpint(bs_parse_change(BS_FAMILY_IPV4, "-F INPUT -j DROP", &c, &err), ==, -EINVAL);
        g_assert_cmpint(bs_parse_change(BS_FAMILY_IPV4, "-s 1.2.3.4 -j DROP", &c, &err), ==, -EINVAL);
        g_assert_cmpint(bs_parse_change(BS_FAMILY_IPV4, "-A INPUT -j DROP -I INPUT", &c, &err), ==, -EINVAL);
        g_assert_cmpint(bs_parse_change(BS_FAMILY_IPV4, "-t nosuch -A INPUT", &c, &err), ==, -EINVAL);
        g_assert_cmpstr(err.word, ==, "nosuch");
        g_assert_cmpint(bs_parse_change(BS_FAMILY_IPV4, "-A this-chain-name-is-far-too-long-x", &c, &err), ==,
                        -EINVAL);
        g_assert_cmpint(bs_parse_change(BS_FAMILY_IPV4, "-A INPUT -m comment --comment 'oops", &c, &err), ==,
                        -EINVAL);
}

/* ------------------------------------------------------------ words */

static void check_split(const char *line, const char *const *expect) {
        char **w;
        size_t n;
        bs_parse_error err;
        g_assert_cmpint(bs_split_words(line, &w, &n, &err), ==, 0);
        g_assert_cmpuint(n, ==, g_strv_length((char **) expect));
        for (size_t i = 0; i < n; i++)
                g_assert_cmpstr(w[i], ==, expect[i]);
        bs_words_free(w, n);
}

/* Odd lines for the splitters and the parser: quotes of both kinds,
 * backslashes, blanks other than the space, bytes outside ASCII, "!",
 * ranges, IPv6, prefixes of long options (main and extension ones,
 * ambiguous ones), abbreviations, unknown options, bad quotes. */
static const char *const odd_lines[] = {
        "",
        "   ",
        "-A INPUT -s 10.0.0.1/32 -p tcp -m tcp --dport 22 -j ACCEPT",
        "-A INPUT ! -s 10.0.0.0/8 -p tcp -m tcp ! --dport 1000:2000 -j DROP",
        "-A INPUT -s 10.1/255.255.0.0 -d 0x0a.010.1.2 -j ACCEPT",
        "-A INPUT -s 2001:db8::1/64 -p ipv6-icmp -m icmp6 --icmpv6-type 128 -j ACCEPT",
        "-6 -A INPUT -s fe80::1%eth0 -j DROP",
        "-A INPUT -m comment --comment \"a \\\"quoted\\\" comment with \\\\ and 'single'\" -j ACCEPT",
        "-A INPUT -m comment --comment 'single \"double\" quoted' -j ACCEPT",
        "-A INPUT -m comment --comment x\\ y\\'z -j ACCEPT",
        "-A\tINPUT\n-p\vudp\f--dport\r53 -j ACCEPT",
        "-A INPUT -i \xc3\xa9th0 -j ACCEPT",
        "-A INPUT -m comment --comment \xe2\x80\x94\xc2\xa0x -j ACCEPT",
        "--append INPUT --source 1.2.3.4 --proto tcp --match tcp --dp 80 --jump ACCEPT",
        "--app INPUT --src 1.2.3.4 --dst 5.6.7.8 --in-int lo --out eth0 -j DROP",
        "-A INPUT -p tcp --sour 1.2.3.4",
        "-A INPUT -p tcp --d 22 -j ACCEPT",
        "-A INPUT --de INPUT",
        "-A INPUT -p tcp --syn --dport=22 -j ACCEPT",
        "-A INPUT --=x",
        "-A INPUT -p tcp --tcp-flags SYN,ACK SYN -m multiport --dports 1,2:3 -j REJECT --reject-with tcp-reset",
        "-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED --ctorigsrc 1.2.3.4/16 -j ACCEPT",
        "-I INPUT 3 -p UDP --sport 1: -m limit --limit 3/min -j LOG --log-prefix \"x y\"",
        "-A INPUT -p 6 -m tcp --dport ssh -j ACCEPT",
        "-A INPUT -p all -j ACCEPT",
        "-A INPUT -p nosuch -j ACCEPT",
        "-A INPUT --nosuch-option 1 -j ACCEPT",
        "-A INPUT -m nosuch -j ACCEPT",
        "-A INPUT -j NOSUCH-CHAIN-NAME-THAT-IS-TOO-LONG-X",
        "-A INPUT ! ! -s 1.2.3.4 -j ACCEPT",
        "-A INPUT -s 1.2.3.4,5.6.7.8 -j ACCEPT",
        "-A INPUT -s 1.2.3.256 -j ACCEPT",
        "-A INPUT -s example.com -j ACCEPT",
        "-A INPUT -m comment --comment \"unterminated",
        "-A INPUT -m comment --comment 'unterminated",
        "-A INPUT -m comment --comment ends\\",
        "-P INPUT DROP",
        "-N my-chain",
        "-t nat -A PREROUTING -j ACCEPT",
        "'' \"\" x\"\"y",
};

static void assert_same_error(const bs_parse_error *a, const bs_parse_error *b) {
        g_assert_cmpint(a->word_index, ==, b->word_index);
        g_assert_cmpstr(a->word, ==, b->word);
        g_assert_cmpstr(a->message, ==, b->message);
}

/* bs_split_words_buf, with one buffer for lines of every length in
 * turn, splits as bs_split_words does, and parsing its words gives the
 * change (model, command, error) that bs_parse_change gives. */
static void test_split_buf(void) {
        bs_words_buf wb = {};
        GString *many = g_string_new(NULL);
        for (int i = 0; i < BS_WORDS_MAX + 1; i++)
                g_string_append(many, i % 2 ? "x " : "\"y z\" ");
        for (int pass = 0; pass < 2; pass++)
                for (size_t k = 0; k <= G_N_ELEMENTS(odd_lines); k++) {
                        /* forwards, then backwards: growing and shrinking */
                        size_t idx = pass == 0 ? k : G_N_ELEMENTS(odd_lines) - k;
                        const char *line = idx < G_N_ELEMENTS(odd_lines) ? odd_lines[idx] : many->str;
                        char **w = NULL;
                        size_t n = 0;
                        bs_parse_error e1 = { .word_index = 99 }, e2 = { .word_index = 99 };
                        int r1 = bs_split_words(line, &w, &n, &e1);
                        int r2 = bs_split_words_buf(line, &wb, &e2);
                        g_assert_cmpint(r1, ==, r2);
                        if (r1 < 0) {
                                assert_same_error(&e1, &e2);
                                continue;
                        }
                        g_assert_cmpuint(n, ==, wb.n);
                        for (size_t i = 0; i < n; i++)
                                g_assert_cmpstr(w[i], ==, wb.words[i]);
                        bs_words_free(w, n);

                        for (bs_family f = BS_FAMILY_IPV4; f <= BS_FAMILY_IPV6; f += 2) {
                                bs_change c1, c2;
                                e1 = e2 = (bs_parse_error){ .word_index = 99 };
                                r1 = bs_parse_change(f, line, &c1, &e1);
                                r2 = bs_parse_change_split(f, line, wb.words, wb.n, &c2, &e2);
                                g_assert_cmpint(r1, ==, r2);
                                if (r1 < 0) {
                                        assert_same_error(&e1, &e2);
                                        continue;
                                }
                                g_assert_true(bs_rule_equal(&c1.rule, &c2.rule));
                                _cleanup_buf_ bs_buf t1 = {}, t2 = {};
                                g_assert_cmpint(bs_render_change(&c1, f, &t1), ==, 0);
                                g_assert_cmpint(bs_render_change(&c2, f, &t2), ==, 0);
                                g_assert_cmpstr(t1.data, ==, t2.data);
                                bs_change_done(&c1);
                                bs_change_done(&c2);
                        }
                }
        g_string_free(many, TRUE);
        bs_words_buf_done(&wb);
        g_assert_null(wb.mem);
}

static void test_split(void) {
        check_split("", (const char *[]){ NULL });
        check_split("  \t ", (const char *[]){ NULL });
        check_split("-A INPUT  -j\tACCEPT\n", (const char *[]){ "-A", "INPUT", "-j", "ACCEPT", NULL });
        check_split("--comment \"a b\" x", (const char *[]){ "--comment", "a b", "x", NULL });
        check_split("'a \"b' \"c 'd\"", (const char *[]){ "a \"b", "c 'd", NULL });
        check_split("\"a\\\"b\\\\c\\'d\"", (const char *[]){ "a\"b\\c'd", NULL });
        check_split("a\\ b c\\\\", (const char *[]){ "a b", "c\\", NULL });
        check_split("x\"\"y '' \"\"", (const char *[]){ "xy", "", "", NULL });
        check_split("a'b'\"c\"d", (const char *[]){ "abcd", NULL });

        char **w;
        size_t n;
        bs_parse_error err;
        g_assert_cmpint(bs_split_words("a \"b c", &w, &n, &err), ==, -EINVAL);
        g_assert_cmpint(err.word_index, ==, 1);
        g_assert_cmpstr(err.word, ==, "\"b c");
        g_assert_cmpint(bs_split_words("a 'b", &w, &n, &err), ==, -EINVAL);
        g_assert_cmpint(bs_split_words("a b\\", &w, &n, &err), ==, -EINVAL);

        GString *many = g_string_new(NULL);
        for (int i = 0; i < BS_WORDS_MAX + 1; i++)
                g_string_append(many, "x ");
        g_assert_cmpint(bs_split_words(many->str, &w, &n, &err), ==, -E2BIG);
        g_string_truncate(many, 0);
        for (int i = 0; i < BS_WORDS_MAX; i++)
                g_string_append(many, "x ");
        g_assert_cmpint(bs_split_words(many->str, &w, &n, &err), ==, 0);
        g_assert_cmpuint(n, ==, BS_WORDS_MAX);
        bs_words_free(w, n);
        g_string_free(many, TRUE);

        char *big = g_malloc(BS_LINE_MAX + 2);
        memset(big, 'a', BS_LINE_MAX + 1);
        big[BS_LINE_MAX + 1] = '\0';
        g_assert_cmpint(bs_split_words(big, &w, &n, &err), ==, -E2BIG);
        g_free(big);
}

/* ------------------------------------------------------------ changes */

static void change_ok(bs_family f, const char *line, bs_change *c) {
        bs_parse_error err = {};
        int r = bs_parse_change(f, line, c, &err);
        if (r < 0)
                g_error("\"%s\": %s (word \"%s\")", line, err.message, err.word);
}

/* bs_render_change gives a command a shell reads back: parse it again
 * (without the program name) and compare. */
static void check_render_change(const bs_change *c, bs_family f, const char *expect) {
        bs_buf b = {};
        g_assert_cmpint(bs_render_change(c, f, &b), ==, 0);
        g_assert_cmpstr(b.data, ==, expect);
        bs_change back;
        change_ok(f, strchr(b.data, ' ') + 1, &back);
        g_assert_cmpint(back.kind, ==, c->kind);
        g_assert_cmpstr(back.chain, ==, c->chain);
        g_assert_cmpstr(back.table, ==, c->table);
        g_assert_cmpuint(back.position, ==, c->kind == BS_CHANGE_INSERT && !c->position ? 1 : c->position);
        g_assert_cmpint(back.policy, ==, c->policy);
        g_assert_true(bs_rule_equal(&back.rule, &c->rule));
        bs_change_done(&back);
        bs_buf_done(&b);
}

static void test_changes(void) {
        bs_change c;
        bs_parse_error err;

        change_ok(BS_FAMILY_IPV4, "-A INPUT -p tcp --dport 22 -j ACCEPT", &c);
        g_assert_cmpint(c.kind, ==, BS_CHANGE_APPEND);
        g_assert_cmpuint(c.families, ==, BS_FAMILY_MASK_IPV4);
        g_assert_cmpstr(c.table, ==, "filter");
        g_assert_cmpstr(c.chain, ==, "INPUT");
        check_render_change(&c, BS_FAMILY_IPV4, "iptables -A INPUT -p tcp -m tcp --dport 22 -j ACCEPT");
        bs_change_done(&c);

        change_ok(BS_FAMILY_IPV4, "-I INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT", &c);
        g_assert_cmpint(c.kind, ==, BS_CHANGE_INSERT);
        g_assert_cmpuint(c.position, ==, 1);
        check_render_change(&c, BS_FAMILY_IPV4,
                            "iptables -I INPUT 1 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT");
        bs_change_done(&c);

        change_ok(BS_FAMILY_IPV6, "--insert INPUT 3 -p ipv6-icmp --icmpv6-type 135 -j ACCEPT", &c);
        g_assert_cmpint(c.kind, ==, BS_CHANGE_INSERT);
        g_assert_cmpuint(c.position, ==, 3);
        g_assert_cmpuint(c.families, ==, BS_FAMILY_MASK_IPV6);
        check_render_change(&c, BS_FAMILY_IPV6,
                            "ip6tables -I INPUT 3 -p ipv6-icmp -m icmp6 --icmpv6-type 135 -j ACCEPT");
        bs_change_done(&c);

        change_ok(BS_FAMILY_IPV4, "-t nat -R POSTROUTING 2 -o eth0 -j RETURN", &c);
        g_assert_cmpint(c.kind, ==, BS_CHANGE_REPLACE);
        g_assert_cmpstr(c.table, ==, "nat");
        g_assert_cmpuint(c.position, ==, 2);
        check_render_change(&c, BS_FAMILY_IPV4, "iptables -t nat -R POSTROUTING 2 -o eth0 -j RETURN");
        bs_change_done(&c);

        change_ok(BS_FAMILY_IPV4, "--delete INPUT -m comment --comment \"it's mine\" -j DROP", &c);
        g_assert_cmpint(c.kind, ==, BS_CHANGE_DELETE);
        check_render_change(&c, BS_FAMILY_IPV4, "iptables -D INPUT -m comment --comment 'it'\\''s mine' -j DROP");
        bs_change_done(&c);

        change_ok(BS_FAMILY_IPV4, "-D INPUT 4", &c);
        g_assert_cmpint(c.kind, ==, BS_CHANGE_DELETE_NUM);
        g_assert_cmpuint(c.position, ==, 4);
        check_render_change(&c, BS_FAMILY_IPV4, "iptables -D INPUT 4");
        bs_change_done(&c);

        change_ok(BS_FAMILY_IPV4, "-P INPUT DROP", &c);
        g_assert_cmpint(c.kind, ==, BS_CHANGE_POLICY);
        g_assert_cmpint(c.policy, ==, BS_POLICY_DROP);
        check_render_change(&c, BS_FAMILY_IPV4, "iptables -P INPUT DROP");
        bs_change_done(&c);

        change_ok(BS_FAMILY_IPV6, "-6 --new-chain allow-ssh", &c);
        g_assert_cmpint(c.kind, ==, BS_CHANGE_NEW_CHAIN);
        g_assert_cmpuint(c.families, ==, BS_FAMILY_MASK_IPV6);
        check_render_change(&c, BS_FAMILY_IPV6, "ip6tables -N allow-ssh");
        bs_change_done(&c);

        change_ok(BS_FAMILY_IPV4, "-4 -t raw -X mychain", &c);
        g_assert_cmpint(c.kind, ==, BS_CHANGE_DELETE_CHAIN);
        g_assert_cmpstr(c.table, ==, "raw");
        g_assert_cmpuint(c.families, ==, BS_FAMILY_MASK_IPV4);
        check_render_change(&c, BS_FAMILY_IPV4, "iptables -t raw -X mychain");
        bs_change_done(&c);

        change_ok(BS_FAMILY_IPV4, "-F FORWARD -w", &c);
        g_assert_cmpint(c.kind, ==, BS_CHANGE_FLUSH);
        check_render_change(&c, BS_FAMILY_IPV4, "iptables -F FORWARD");
        bs_change_done(&c);

        change_ok(BS_FAMILY_IPV4, "-t mangle -A PREROUTING -g 'odd$name'", &c);
        check_render_change(&c, BS_FAMILY_IPV4, "iptables -t mangle -A PREROUTING -g 'odd$name'");
        bs_change_done(&c);

        /* -4 / -6: the line is for one family only */
        g_assert_cmpint(bs_parse_change(BS_FAMILY_IPV6, "-4 -A INPUT -s 10.0.0.1 -j DROP", &c, &err), ==,
                        -EAFNOSUPPORT);
        g_assert_cmpstr(err.word, ==, "-4");
        g_assert_cmpint(bs_parse_change(BS_FAMILY_IPV4, "-t filter -6 -A INPUT -s ::1 -j DROP", &c, &err), ==,
                        -EAFNOSUPPORT);
        change_ok(BS_FAMILY_IPV6, "-t filter -6 -A INPUT -s ::1 -j DROP", &c);
        g_assert_cmpuint(c.families, ==, BS_FAMILY_MASK_IPV6);
        bs_change_done(&c);

        /* applying parsed changes to a table */
        bs_table *t = bs_table_new(BS_FAMILY_IPV4, "filter");
        g_assert_cmpint(bs_table_add_chain(t, "INPUT", true, BS_POLICY_ACCEPT, NULL), ==, 0);
        const char *lines[] = {
                "-A INPUT -p tcp --dport 22 -j ACCEPT",
                "-I INPUT -m state --state ESTABLISHED,RELATED -j ACCEPT",
                "-D INPUT -p tcp -m tcp --dport 22 -j ACCEPT",
        };
        for (size_t i = 0; i < G_N_ELEMENTS(lines); i++) {
                change_ok(BS_FAMILY_IPV4, lines[i], &c);
                g_assert_cmpint(bs_table_apply_change(t, &c), ==, 0);
                bs_change_done(&c);
        }
        bs_buf b = {};
        g_assert_cmpint(bs_render_table(t, "INPUT", false, &b), ==, 0);
        g_assert_cmpstr(b.data, ==, "-P INPUT ACCEPT\n-A INPUT -m state --state RELATED,ESTABLISHED -j ACCEPT\n");
        bs_buf_done(&b);
        bs_table_free(t);
}

/* ------------------------------------------------------------ tables, save */

static bs_table *sample_table(void) {
        bs_table *t = bs_table_new(BS_FAMILY_IPV4, "filter");
        g_assert_cmpint(bs_table_add_chain(t, "INPUT", true, BS_POLICY_ACCEPT, NULL), ==, 0);
        g_assert_cmpint(bs_table_add_chain(t, "FORWARD", true, BS_POLICY_DROP, NULL), ==, 0);
        g_assert_cmpint(bs_table_add_chain(t, "OUTPUT", true, BS_POLICY_ACCEPT, NULL), ==, 0);
        g_assert_cmpint(bs_table_add_chain(t, "foo", false, BS_POLICY_NONE, NULL), ==, 0);
        g_assert_cmpint(bs_table_add_chain(t, "Abc", false, BS_POLICY_NONE, NULL), ==, 0);
        const char *lines[] = {
                "-A INPUT -c 5 100 -j foo",
                "-A INPUT -s 1.2.3.4",
                "-A INPUT -m comment --comment \"a b\" -j LOG",
                "-A foo -g Abc",
                "-A foo -c 7 8 -p tcp --dport 22 -j RETURN",
        };
        for (size_t i = 0; i < G_N_ELEMENTS(lines); i++) {
                bs_change c;
                change_ok(BS_FAMILY_IPV4, lines[i], &c);
                g_assert_cmpint(bs_table_apply_change(t, &c), ==, 0);
                bs_change_done(&c);
        }
        bs_table_find_chain(t, "INPUT")->policy_packets = 11;
        bs_table_find_chain(t, "INPUT")->policy_bytes = 2222;
        return t;
}

static void test_render_table(void) {
        bs_table *t = sample_table();
        bs_buf b = {};
        /* as iptables-legacy -S prints it (observed): -P, -N, then -A */
        g_assert_cmpint(bs_render_table(t, NULL, false, &b), ==, 0);
        g_assert_cmpstr(b.data, ==,
                        "-P INPUT ACCEPT\n"
                        "-P FORWARD DROP\n"
                        "-P OUTPUT ACCEPT\n"
                        "-N Abc\n"
                        "-N foo\n"
                        "-A INPUT -j foo\n"
                        "-A INPUT -s 1.2.3.4/32\n"
                        "-A INPUT -m comment --comment \"a b\" -j LOG\n"
                        "-A foo -g Abc\n"
                        "-A foo -p tcp -m tcp --dport 22 -j RETURN\n");
        bs_buf_done(&b);
        /* -S -v: counters after the matches, before the target */
        g_assert_cmpint(bs_render_table(t, NULL, true, &b), ==, 0);
        g_assert_cmpstr(b.data, ==,
                        "-P INPUT ACCEPT -c 11 2222\n"
                        "-P FORWARD DROP -c 0 0\n"
                        "-P OUTPUT ACCEPT -c 0 0\n"
                        "-N Abc\n"
                        "-N foo\n"
                        "-A INPUT -c 5 100 -j foo\n"
                        "-A INPUT -s 1.2.3.4/32 -c 0 0\n"
                        "-A INPUT -m comment --comment \"a b\" -c 0 0 -j LOG\n"
                        "-A foo -c 0 0 -g Abc\n"
                        "-A foo -p tcp -m tcp --dport 22 -c 7 8 -j RETURN\n");
        bs_buf_done(&b);
        g_assert_cmpint(bs_render_table(t, "foo", false, &b), ==, 0);
        g_assert_cmpstr(b.data, ==, "-N foo\n-A foo -g Abc\n-A foo -p tcp -m tcp --dport 22 -j RETURN\n");
        bs_buf_done(&b);
        g_assert_cmpint(bs_render_table(t, "nosuch", false, &b), ==, -ENOENT);
        bs_buf_done(&b);

        /* the -S -v form parses back with its counters */
        bs_change c;
        change_ok(BS_FAMILY_IPV4, "-A foo -p tcp -m tcp --dport 22 -c 7 8 -j RETURN", &c);
        g_assert_cmpuint(c.rule.packets, ==, 7);
        g_assert_cmpuint(c.rule.bytes, ==, 8);
        bs_change_done(&c);
        bs_table_free(t);
}

static void test_save(void) {
        bs_table *t = sample_table();
        bs_buf b = {};
        g_assert_cmpint(bs_render_save(t, true, &b), ==, 0);
        g_assert_cmpstr(b.data, ==,
                        "*filter\n"
                        ":INPUT ACCEPT [11:2222]\n"
                        ":FORWARD DROP [0:0]\n"
                        ":OUTPUT ACCEPT [0:0]\n"
                        ":Abc - [0:0]\n"
                        ":foo - [0:0]\n"
                        "[5:100] -A INPUT -j foo\n"
                        "[0:0] -A INPUT -s 1.2.3.4/32\n"
                        "[0:0] -A INPUT -m comment --comment \"a b\" -j LOG\n"
                        "[0:0] -A foo -g Abc\n"
                        "[7:8] -A foo -p tcp -m tcp --dport 22 -j RETURN\n"
                        "COMMIT\n");

        /* round trip, counters included */
        bs_table *back = NULL;
        bs_parse_error err;
        g_assert_cmpint(bs_parse_save(BS_FAMILY_IPV4, b.data, NULL, &back, &err), ==, 0);
        g_assert_true(bs_table_equal(t, back));
        g_assert_cmpuint(bs_table_find_chain(back, "INPUT")->policy_packets, ==, 11);
        g_assert_cmpuint(bs_table_find_chain(back, "INPUT")->policy_bytes, ==, 2222);
        g_assert_cmpuint(bs_table_find_chain(back, "INPUT")->rules[0].packets, ==, 5);
        g_assert_cmpuint(bs_table_find_chain(back, "foo")->rules[1].bytes, ==, 8);
        bs_table_free(back);
        bs_buf_done(&b);

        /* the largest counters, written without printf, read back whole */
        bs_chain *foo = bs_table_find_chain(t, "foo");
        foo->rules[0].packets = UINT64_MAX;
        foo->rules[0].bytes = 10000000000000000000ULL;
        g_assert_cmpint(bs_render_save(t, true, &b), ==, 0);
        g_assert_nonnull(strstr(b.data, "\n[18446744073709551615:10000000000000000000] -A foo -g Abc\n"));
        g_assert_cmpint(bs_parse_save(BS_FAMILY_IPV4, b.data, NULL, &back, &err), ==, 0);
        g_assert_cmpuint(bs_table_find_chain(back, "foo")->rules[0].packets, ==, UINT64_MAX);
        g_assert_cmpuint(bs_table_find_chain(back, "foo")->rules[0].bytes, ==, 10000000000000000000ULL);
        bs_table_free(back);
        bs_buf_done(&b);
        foo->rules[0].packets = foo->rules[0].bytes = 0;

        /* without counters the rules read back with zero counters */
        g_assert_cmpint(bs_render_save(t, false, &b), ==, 0);
        g_assert_cmpint(bs_parse_save(BS_FAMILY_IPV4, b.data, "filter", &back, &err), ==, 0);
        g_assert_true(bs_table_equal(t, back));
        g_assert_cmpuint(bs_table_find_chain(back, "INPUT")->rules[0].packets, ==, 0);
        bs_table_free(back);
        bs_buf_done(&b);
        bs_table_free(t);

        /* what iptables-legacy-save printed (observed), several tables, -4/-6 lines */
        const char *saved =
                "# Generated by iptables-save v1.8.9 on Fri Nov 27 17:01:59 2026\n"
                "*nat\n"
                ":PREROUTING ACCEPT [0:0]\n"
                ":INPUT ACCEPT [0:0]\n"
                ":OUTPUT ACCEPT [0:0]\n"
                ":POSTROUTING ACCEPT [3:180]\n"
                "-A POSTROUTING -o eth0 -j RETURN\n"
                "COMMIT\n"
                "*filter\n"
                ":INPUT DROP [1:2]\n"
                ":FORWARD ACCEPT [0:0]\n"
                ":OUTPUT ACCEPT [0:0]\n"
                "-A INPUT -i lo -j ACCEPT\n"
                "-6 -A INPUT -s ::1/128 -j ACCEPT\n"
                "-4 -A INPUT -s 127.0.0.1/32 -j ACCEPT\n"
                "[9:99] -A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n"
                "COMMIT\n"
                "# Completed on Fri Nov 27 17:01:59 2026\n";
        g_assert_cmpint(bs_parse_save(BS_FAMILY_IPV4, saved, NULL, &back, &err), ==, 0);
        g_assert_cmpstr(back->name, ==, "filter");
        bs_chain *in = bs_table_find_chain(back, "INPUT");
        g_assert_cmpint(in->policy, ==, BS_POLICY_DROP);
        g_assert_cmpuint(in->n_rules, ==, 3);
        g_assert_cmpuint(in->rules[2].packets, ==, 9);
        g_assert_cmpint(bs_render_table(back, "INPUT", false, &b), ==, 0);
        g_assert_cmpstr(b.data, ==,
                        "-P INPUT DROP\n-A INPUT -i lo -j ACCEPT\n-A INPUT -s 127.0.0.1/32 -j ACCEPT\n"
                        "-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n");
        bs_buf_done(&b);
        bs_table_free(back);
        g_assert_cmpint(bs_parse_save(BS_FAMILY_IPV4, saved, "nat", &back, &err), ==, 0);
        g_assert_cmpuint(bs_table_find_chain(back, "POSTROUTING")->policy_packets, ==, 3);
        g_assert_cmpuint(bs_table_find_chain(back, "POSTROUTING")->n_rules, ==, 1);
        bs_table_free(back);
        g_assert_cmpint(bs_parse_save(BS_FAMILY_IPV4, saved, "raw", &back, &err), ==, -ENOENT);
        g_assert_cmpint(bs_parse_save(BS_FAMILY_IPV6, saved, NULL, &back, &err), ==, 0);
        g_assert_cmpuint(bs_table_find_chain(back, "INPUT")->n_rules, ==, 3);
        bs_table_free(back);

        /* errors name the line */
        static const struct {
                const char *text;
                const char *where;
        } bad[] = {
                { "*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p tcp --dport 99999\nCOMMIT\n", "line 3:" },
                { "*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -j DROP\n", "line 4:" },
                { "-A INPUT -j DROP\n", "line 1:" },
                { "*filter\n:INPUT BOGUS [0:0]\nCOMMIT\n", "line 2:" },
                { "*filter\n:foo ACCEPT [0:0]\nCOMMIT\n", "line 2:" },
                { "*filter\n:INPUT ACCEPT [x:0]\nCOMMIT\n", "line 2:" },
                { "*bogus\nCOMMIT\n", "line 1:" },
                { "*filter\n:INPUT ACCEPT [0:0]\n-A nosuch -j DROP\nCOMMIT\n", "line 3:" },
                { "*filter\n:INPUT ACCEPT [0:0]\n[1:2 -A INPUT\nCOMMIT\n", "line 3:" },
                { "*filter\n:INPUT ACCEPT [0:0]\n:INPUT ACCEPT [0:0]\nCOMMIT\n", "line 3:" },
        };
        for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
                back = NULL;
                int r = bs_parse_save(BS_FAMILY_IPV4, bad[i].text, NULL, &back, &err);
                g_assert_cmpint(r, ==, -EBADMSG);
                g_assert_null(back);
                if (!g_str_has_prefix(err.message, bad[i].where))
                        g_error("case %zu: \"%s\" does not start with %s", i, err.message, bad[i].where);
        }
}

/* Extensions the model keeps as bytes print as iptables names them; they
 * cannot be parsed back. */
static void test_opaque(void) {
        bs_rule r;
        parse_ok(BS_FAMILY_IPV4, "-p tcp --dport 22", &r);
        bs_match *m = bs_rule_add_match(&r, BS_MATCH_OPAQUE);
        g_assert_nonnull(m);
        strcpy(m->opaque.name, "recent");
        m->opaque.size = 4;
        m->opaque.data = g_malloc0(4);
        r.target.kind = BS_TARGET_OPAQUE;
        strcpy(r.target.opaque.name, "MARK");
        g_autofree char *s = render(&r);
        g_assert_cmpstr(s, ==, "-p tcp -m tcp --dport 22 -m recent -j MARK");
        bs_rule_done(&r);

        bs_parse_error err;
        g_assert_cmpint(parse_rule_line(BS_FAMILY_IPV4, s, &r, &err), ==, -EINVAL);
        g_assert_cmpstr(err.word, ==, "recent");
}

/* ------------------------------------------------------------ services */

static int getserv_port(const char *name, const char *proto) {
        struct servent se, *res = NULL;
        char buf[4096];
        if (getservbyname_r(name, proto, &se, buf, sizeof(buf), &res) != 0 || !res)
                return -1;
        return ntohs((uint16_t) res->s_port);
}

/* Every name and alias of /etc/services, with every protocol the file
 * names and with none: the table answers what getservbyname_r does. */
static void test_services(void) {
        g_autofree char *text = NULL;
        if (!g_file_get_contents("/etc/services", &text, NULL, NULL)) {
                g_test_skip("no /etc/services");
                return;
        }
        const char *protos[] = { "tcp", "udp", "sctp", "ddp", "dccp", NULL };
        g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
        size_t names = 0;
        for (char **l = lines; *l; l++) {
                char *hash = strchr(*l, '#');
                if (hash)
                        *hash = '\0';
                g_auto(GStrv) words = g_strsplit_set(*l, " \t", -1);
                bool first = true;
                for (char **w = words; *w; w++) {
                        if (!**w)
                                continue;
                        if (first || !strchr(*w, '/')) {
                                for (size_t p = 0; p < G_N_ELEMENTS(protos); p++) {
                                        int want = getserv_port(*w, protos[p]);
                                        int got = text_service_port(*w, protos[p]);
                                        if (want != got)
                                                g_error("%s/%s: getservbyname_r %d, table %d", *w,
                                                        protos[p] ? protos[p] : "(any)", want, got);
                                }
                                names++;
                        }
                        first = false;
                }
        }
        g_test_message("%zu names compared", names);
        g_assert_cmpuint(names, >, 100);
        g_assert_cmpint(text_service_port("no-such-service-here", NULL), ==, -1);
        g_assert_cmpint(text_service_port("ssh", "no-such-proto"), ==, -1);
        g_assert_cmpint(text_service_port("", NULL), ==, -1);
}

/* A changed file is read again; a missing one knows no names. */
static void test_services_reload(void) {
        g_autofree char *dir = g_dir_make_tmp("bs-services-XXXXXX", NULL);
        g_assert_nonnull(dir);
        g_autofree char *path = g_build_filename(dir, "services", NULL);
        g_assert_true(g_file_set_contents(path, "alpha 1000/tcp a1 # comment\nalpha 1001/udp\n"
                                                "beta\t2000//sctp\n# gamma 3000/tcp\nbad x/tcp\n", -1, NULL));
        text_services_use_file(path);
        g_assert_cmpint(text_service_port("alpha", NULL), ==, 1000);
        g_assert_cmpint(text_service_port("a1", "tcp"), ==, 1000);
        g_assert_cmpint(text_service_port("alpha", "udp"), ==, 1001);
        g_assert_cmpint(text_service_port("beta", "sctp"), ==, 2000);
        g_assert_cmpint(text_service_port("gamma", NULL), ==, -1);
        g_assert_cmpint(text_service_port("bad", NULL), ==, -1);
        g_assert_cmpint(text_service_port("comment", NULL), ==, -1);
        /* a new file in its place (another inode, size): read again */
        g_autofree char *tmp = g_build_filename(dir, "services.new", NULL);
        g_assert_true(g_file_set_contents(tmp, "alpha 1500/tcp\n", -1, NULL));
        g_assert_cmpint(rename(tmp, path), ==, 0);
        text_services_use_file(path);
        g_assert_cmpint(text_service_port("alpha", NULL), ==, 1500);
        g_assert_cmpint(text_service_port("beta", NULL), ==, -1);
        g_assert_cmpint(unlink(path), ==, 0);
        text_services_use_file(path);
        g_assert_cmpint(text_service_port("alpha", NULL), ==, -1);
        g_assert_cmpint(rmdir(dir), ==, 0);
        text_services_use_file("/etc/services");
}

int main(int argc, char **argv) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/text/canonical", test_canonical);
        g_test_add_func("/text/model/tcp-defaults", test_model_tcp_defaults);
        g_test_add_func("/text/model/limit-log-reject", test_model_limit_log_reject);
        g_test_add_func("/text/model/conntrack", test_model_conntrack);
        g_test_add_func("/text/model/misc", test_model_misc);
        g_test_add_func("/text/errors", test_errors);
        g_test_add_func("/text/split", test_split);
        g_test_add_func("/text/split-buf", test_split_buf);
        g_test_add_func("/text/changes", test_changes);
        g_test_add_func("/text/render-table", test_render_table);
        g_test_add_func("/text/save", test_save);
        g_test_add_func("/text/opaque", test_opaque);
        g_test_add_func("/text/services", test_services);
        g_test_add_func("/text/services-reload", test_services_reload);
        return g_test_run();
}
