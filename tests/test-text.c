/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests of the text layer's rules: the canonical forms observed from
 * iptables-legacy (tests/text-canonical.txt), the model values the parser
 * produces, parse errors. Word splitting and changes are in
 * test-text-changes, tables, iptables-save and service names in
 * test-text-save. */
#include <arpa/inet.h> /* before the kernel headers, for struct in_addr */
#include <linux/netfilter/xt_conntrack.h>

#include "text-test-util.h"

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

int main(int argc, char **argv) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_func("/text/canonical", test_canonical);
        g_test_add_func("/text/model/tcp-defaults", test_model_tcp_defaults);
        g_test_add_func("/text/model/limit-log-reject", test_model_limit_log_reject);
        g_test_add_func("/text/model/conntrack", test_model_conntrack);
        g_test_add_func("/text/model/misc", test_model_misc);
        g_test_add_func("/text/errors", test_errors);
        return g_test_run();
}
