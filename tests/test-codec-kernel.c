/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The codec against the real kernel, with iptables-legacy / ip6tables-legacy
 * as the oracle, in a private network namespace (exit 77 when not root).
 *
 * For every rule line below: the CLI writes it; libiptc reads the raw
 * entry; the codec decodes it (typed, or opaque where the line says so) and
 * re-encodes it, and the bytes must be the kernel's (up to the target; the
 * target too when it is not a standard one). Then the re-encoded entry is
 * appended with libiptc and must read back as the very same entry, which
 * `iptables-legacy -S` prints exactly as it printed the CLI's rule.
 *
 * The other direction: rules built by hand as model values, appended with
 * libiptc, must be listed by `iptables-legacy -S` as the expected line. */
#include <glib.h>

#include <arpa/inet.h>
#include <sched.h>
#include <sys/wait.h>

#include "codec-kernel.h"
#include "codec.h"

void kernel_entries_free(kernel_entry *e, size_t n) {
        for (size_t i = 0; i < n; i++)
                free(e[i].bytes);
        free(e);
}

/* -------------------------------------------------------------- the oracle */

static const char *cli(bs_family f) {
        return f == BS_FAMILY_IPV6 ? "ip6tables-legacy" : "iptables-legacy";
}

/* Runs `iptables-legacy -t TABLE ARGS...` (args: one shell-quoted string);
 * returns its stdout, fails the test on a non-zero exit. */
static char *run_cli(bs_family f, const char *table, const char *args) {
        g_autofree char *line = g_strdup_printf("%s -w -t %s %s", cli(f), table, args);
        g_auto(GStrv) argv = NULL;
        g_autoptr(GError) error = NULL;
        g_autofree char *err = NULL;
        char *out = NULL;
        int status;

        g_assert_true(g_shell_parse_argv(line, NULL, &argv, &error));
        g_assert_no_error(error);
        g_assert_true(g_spawn_sync(NULL, argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &err, &status, &error));
        g_assert_no_error(error);
        if (!g_spawn_check_wait_status(status, NULL))
                g_error("`%s` failed: %s", line, err);
        return out;
}

/* The "-A CHAIN ..." lines of `-S CHAIN`, joined by newlines. */
static char *rules_text(bs_family f, const char *table, const char *chain) {
        g_autofree char *args = g_strdup_printf("-S %s", chain);
        g_autofree char *out = run_cli(f, table, args);
        g_auto(GStrv) lines = g_strsplit(out, "\n", -1);
        GString *s = g_string_new(NULL);
        for (char **l = lines; *l; l++)
                if (g_str_has_prefix(*l, "-A "))
                        g_string_append_printf(s, "%s%s", s->len ? "\n" : "", *l);
        return g_string_free(s, FALSE);
}

static void flush(bs_family f, const char *table, const char *chain) {
        g_autofree char *args = g_strdup_printf("-F %s", chain);
        g_free(run_cli(f, table, args));
}

static const kernel_layout *layout(bs_family f) {
        return f == BS_FAMILY_IPV6 ? &kernel6_layout : &kernel4_layout;
}

static void read_rules(bs_family f, const char *table, const char *chain, kernel_entry **ret, size_t *ret_n) {
        int r = f == BS_FAMILY_IPV6 ? kernel6_read(table, chain, ret, ret_n) : kernel4_read(table, chain, ret, ret_n);
        g_assert_cmpint(r, ==, 0);
}

static void append_entry(bs_family f, const char *table, const char *chain, const void *entry) {
        int r = f == BS_FAMILY_IPV6 ? kernel6_append(table, chain, entry) : kernel4_append(table, chain, entry);
        g_assert_cmpint(r, ==, 0);
}

static uint16_t target_offset_of(bs_family f, const uint8_t *e) {
        uint16_t v;
        memcpy(&v, e + layout(f)->target_offset, sizeof(v));
        return v;
}

/* The kernel copies back only strlen + 1 bytes of each match and target
 * name; the rest of the 29 bytes is whatever libiptc's malloc held (seen:
 * "OUTPUT" after "tcp"). The codec ignores those bytes and writes zeros;
 * clear them in the kernel's copy before comparing bytes. */
static void clear_name_tails(bs_family f, uint8_t *e) {
        uint16_t toff = target_offset_of(f, e), size;

        for (size_t off = layout(f)->entry_size; off <= toff; off += size) {
                char *name = (char *) e + off + 2;
                size_t n = strnlen(name, 29);
                g_assert_cmpuint(n, <, 29);
                memset(name + n, 0, 29 - n);
                memcpy(&size, e + off, sizeof(size));
                g_assert_cmpuint(size, >=, 32);
        }
}

/* ------------------------------------------------------------ model checks */

static const bs_match *find_match(const bs_rule *r, bs_match_kind kind) {
        for (size_t i = 0; i < r->n_matches; i++)
                if (r->matches[i].kind == kind)
                        return &r->matches[i];
        g_error("no match of kind %d", kind);
}

static void check_tcp22(const bs_rule *r) {
        g_assert_cmpuint(r->proto, ==, 6);
        const bs_match *m = find_match(r, BS_MATCH_TCP);
        g_assert_cmpuint(m->tcp.dport.lo, ==, 22);
        g_assert_cmpuint(m->tcp.dport.hi, ==, 22);
        g_assert_cmpuint(m->tcp.sport.lo, ==, 0);
        g_assert_cmpuint(m->tcp.sport.hi, ==, 65535);
        g_assert_false(m->tcp.dport_invert);
        g_assert_cmpint(r->target.kind, ==, BS_TARGET_ACCEPT);
}

static void check_header4(const bs_rule *r) {
        /* -s 10.1.2.3/8 -d 192.168.1.1 -i eth0 -j DROP */
        g_assert_cmpmem(r->src.addr, 4, "\x0a\0\0\0", 4);
        g_assert_cmpint(bs_addr_prefix_len(&r->src, BS_FAMILY_IPV4), ==, 8);
        g_assert_cmpmem(r->dst.addr, 4, "\xc0\xa8\x01\x01", 4);
        g_assert_cmpint(bs_addr_prefix_len(&r->dst, BS_FAMILY_IPV4), ==, 32);
        g_assert_cmpstr(r->in_iface, ==, "eth0");
        g_assert_cmpstr(r->out_iface, ==, "");
        g_assert_false(r->src_invert);
        g_assert_cmpint(r->target.kind, ==, BS_TARGET_DROP);
}

static void check_header6(const bs_rule *r) {
        /* -s 2001:db8::1/64 -d fe80::1 -i eth0 -j DROP */
        uint8_t want[16];
        g_assert_cmpint(inet_pton(AF_INET6, "2001:db8::", want), ==, 1);
        g_assert_cmpmem(r->src.addr, 16, want, 16);
        g_assert_cmpint(bs_addr_prefix_len(&r->src, BS_FAMILY_IPV6), ==, 64);
        g_assert_cmpint(bs_addr_prefix_len(&r->dst, BS_FAMILY_IPV6), ==, 128);
        g_assert_cmpstr(r->in_iface, ==, "eth0");
        g_assert_cmpint(r->target.kind, ==, BS_TARGET_DROP);
}

static void check_forward_inverted(const bs_rule *r) {
        /* ! -s ... ! -d ... -i wlan+ ! -o br-lan -j REJECT */
        g_assert_true(r->src_invert);
        g_assert_true(r->dst_invert);
        g_assert_cmpstr(r->in_iface, ==, "wlan+");
        g_assert_false(r->in_invert);
        g_assert_cmpstr(r->out_iface, ==, "br-lan");
        g_assert_true(r->out_invert);
        g_assert_cmpint(r->target.kind, ==, BS_TARGET_REJECT);
}

static void check_goto_frag(const bs_rule *r) {
        /* ! -i + -f -g svc */
        g_assert_cmpstr(r->in_iface, ==, "+");
        g_assert_true(r->in_invert);
        g_assert_cmpint(r->frag, ==, BS_FRAG_YES);
        g_assert_cmpint(r->target.kind, ==, BS_TARGET_GOTO);
        g_assert_cmpstr(r->target.chain, ==, "svc");
}

static void check_not_frag(const bs_rule *r) {
        g_assert_cmpint(r->frag, ==, BS_FRAG_NO);
        g_assert_cmpuint(r->proto, ==, 17);
        g_assert_cmpint(r->target.kind, ==, BS_TARGET_RETURN);
}

static void check_not_tcp_queue(const bs_rule *r) {
        g_assert_cmpuint(r->proto, ==, 6);
        g_assert_true(r->proto_invert);
        g_assert_cmpint(r->target.kind, ==, BS_TARGET_QUEUE);
}

static void check_ctstate(const bs_rule *r) {
        const bs_match *m = find_match(r, BS_MATCH_CONNTRACK);
        g_assert_cmpuint(m->conntrack.match_flags, ==, 0x0001);           /* XT_CONNTRACK_STATE */
        g_assert_cmpuint(m->conntrack.state_mask, ==, (1u << 1) | (1u << 2)); /* ESTABLISHED, RELATED */
        g_assert_cmpint(r->target.kind, ==, BS_TARGET_ACCEPT);
}

static void check_state_alias(const bs_rule *r) {
        /* -m state --state NEW,INVALID: the conntrack match with STATE_ALIAS */
        const bs_match *m = find_match(r, BS_MATCH_CONNTRACK);
        g_assert_cmpuint(m->conntrack.match_flags, ==, 0x2001);
        g_assert_cmpuint(m->conntrack.state_mask, ==, (1u << 3) | 1u);
        g_assert_cmpint(r->target.kind, ==, BS_TARGET_JUMP);
        g_assert_cmpstr(r->target.chain, ==, "svc");
}

static void check_ct_full(const bs_rule *r) {
        const bs_match *m = find_match(r, BS_MATCH_CONNTRACK);
        g_assert_cmpuint(m->conntrack.l4proto, ==, 6);
        g_assert_cmpuint(m->conntrack.origdst_port, ==, 22); /* host order in revision 3 */
        g_assert_cmpuint(m->conntrack.expires_min, ==, 10);
        g_assert_cmpuint(m->conntrack.expires_max, ==, 100);
        g_assert_cmpmem(m->conntrack.origsrc.addr, 4, "\x0a\0\0\0", 4);
        g_assert_cmpint(bs_addr_prefix_len(&m->conntrack.origsrc, BS_FAMILY_IPV4), ==, 8);
        g_assert_cmpuint(m->conntrack.invert_flags & 0x0001, ==, 0x0001);
}

static void check_tcp_flags(const bs_rule *r) {
        /* ! --sport 1000:2000 ! --dport 5 --tcp-option 3 ! --tcp-flags SYN,ACK ACK */
        const bs_match *m = find_match(r, BS_MATCH_TCP);
        g_assert_cmpuint(m->tcp.sport.lo, ==, 1000);
        g_assert_cmpuint(m->tcp.sport.hi, ==, 2000);
        g_assert_true(m->tcp.sport_invert);
        g_assert_cmpuint(m->tcp.dport.lo, ==, 5);
        g_assert_true(m->tcp.dport_invert);
        g_assert_cmpuint(m->tcp.option, ==, 3);
        g_assert_false(m->tcp.option_invert);
        g_assert_cmpuint(m->tcp.flg_mask, ==, 0x12);
        g_assert_cmpuint(m->tcp.flg_cmp, ==, 0x10);
        g_assert_true(m->tcp.flags_invert);
}

static void check_syn(const bs_rule *r) {
        const bs_match *m = find_match(r, BS_MATCH_TCP);
        g_assert_cmpuint(m->tcp.flg_mask, ==, 0x17);
        g_assert_cmpuint(m->tcp.flg_cmp, ==, 0x02);
        g_assert_false(m->tcp.flags_invert);
}

static void check_udp(const bs_rule *r) {
        const bs_match *m = find_match(r, BS_MATCH_UDP);
        g_assert_cmpuint(m->udp.sport.lo, ==, 53);
        g_assert_cmpuint(m->udp.sport.hi, ==, 53);
        g_assert_cmpuint(m->udp.dport.lo, ==, 1024);
        g_assert_cmpuint(m->udp.dport.hi, ==, 65535);
        g_assert_true(m->udp.dport_invert);
        g_assert_false(m->udp.sport_invert);
}

static void check_icmp_echo(const bs_rule *r) {
        const bs_match *m = find_match(r, r->family == BS_FAMILY_IPV6 ? BS_MATCH_ICMP6 : BS_MATCH_ICMP);
        g_assert_cmpuint(m->icmp.type, ==, r->family == BS_FAMILY_IPV6 ? 128 : 8);
        g_assert_cmpuint(m->icmp.code_min, ==, 0);
        g_assert_cmpuint(m->icmp.code_max, ==, 255);
        g_assert_false(m->icmp.invert);
}

static void check_icmp_code(const bs_rule *r) {
        /* ! --icmp-type 3/4 (IPv4) or ! --icmpv6-type 1/3 */
        const bs_match *m = find_match(r, r->family == BS_FAMILY_IPV6 ? BS_MATCH_ICMP6 : BS_MATCH_ICMP);
        g_assert_cmpuint(m->icmp.type, ==, r->family == BS_FAMILY_IPV6 ? 1 : 3);
        g_assert_cmpuint(m->icmp.code_min, ==, r->family == BS_FAMILY_IPV6 ? 3 : 4);
        g_assert_cmpuint(m->icmp.code_max, ==, m->icmp.code_min);
        g_assert_true(m->icmp.invert);
}

static void check_multiport(const bs_rule *r) {
        /* --dports 22,80:90,443 */
        const bs_match *m = find_match(r, BS_MATCH_MULTIPORT);
        g_assert_cmpint(m->multiport.dir, ==, BS_MULTIPORT_DESTINATION);
        g_assert_cmpuint(m->multiport.count, ==, 4);
        const uint16_t ports[] = { 22, 80, 90, 443 };
        const uint8_t pflags[] = { 0, 1, 0, 0 };
        for (unsigned i = 0; i < 4; i++) {
                g_assert_cmpuint(m->multiport.ports[i], ==, ports[i]);
                g_assert_cmpuint(m->multiport.pflags[i], ==, pflags[i]);
        }
        g_assert_false(m->multiport.invert);
}

static void check_comment(const bs_rule *r) {
        g_assert_cmpstr(find_match(r, BS_MATCH_COMMENT)->comment, ==, "allow ssh");
}

static void check_limit_log(const bs_rule *r) {
        /* --limit 3/min --limit-burst 10 -j LOG --log-prefix "in: " --log-level 6 */
        const bs_match *m = find_match(r, BS_MATCH_LIMIT);
        g_assert_cmpuint(m->limit.avg, ==, 10000 * 60 / 3);
        g_assert_cmpuint(m->limit.burst, ==, 10);
        g_assert_cmpint(r->target.kind, ==, BS_TARGET_LOG);
        g_assert_cmpuint(r->target.log.level, ==, 6);
        g_assert_cmpstr(r->target.log.prefix, ==, "in: ");
}

static void check_log_flags(const bs_rule *r) {
        g_assert_cmpint(r->target.kind, ==, BS_TARGET_LOG);
        g_assert_cmpuint(r->target.log.level, ==, 4);
        g_assert_cmpuint(r->target.log.flags, ==, 0x2f);
}

static void check_addrtype(const bs_rule *r) {
        /* ! --src-type BROADCAST,MULTICAST --limit-iface-in */
        const bs_match *m = find_match(r, BS_MATCH_ADDRTYPE);
        g_assert_cmpuint(m->addrtype.source, ==, (1u << 3) | (1u << 5));
        g_assert_cmpuint(m->addrtype.dest, ==, 0);
        g_assert_cmpuint(m->addrtype.flags, ==, 0x1 | 0x4);
}

static void check_mac(const bs_rule *r) {
        const bs_match *m = find_match(r, BS_MATCH_MAC);
        g_assert_cmpmem(m->mac.addr, 6, "\xaa\xbb\xcc\xdd\xee\xff", 6);
        g_assert_true(m->mac.invert);
}

static void check_iprange4(const bs_rule *r) {
        /* --src-range 10.0.0.1-10.0.0.9 ! --dst-range 192.168.0.1-192.168.0.3 */
        const bs_match *m = find_match(r, BS_MATCH_IPRANGE);
        g_assert_cmpmem(m->iprange.src_min, 4, "\x0a\0\0\x01", 4);
        g_assert_cmpmem(m->iprange.src_max, 4, "\x0a\0\0\x09", 4);
        g_assert_cmpmem(m->iprange.dst_max, 4, "\xc0\xa8\0\x03", 4);
        g_assert_cmpuint(m->iprange.flags, ==, 0x01 | 0x02 | 0x20);
}

static void check_reject_tcp_reset(const bs_rule *r) {
        g_assert_cmpint(r->target.kind, ==, BS_TARGET_REJECT);
        g_assert_cmpuint(r->target.reject.with, ==, r->family == BS_FAMILY_IPV6 ? 6 : 7);
}

static void check_no_target(const bs_rule *r) {
        g_assert_cmpuint(r->proto, ==, 47);
        g_assert_cmpint(r->target.kind, ==, BS_TARGET_NONE);
}

static void check_mark(const bs_rule *r) {
        g_assert_cmpint(r->target.kind, ==, BS_TARGET_OPAQUE);
        g_assert_cmpstr(r->target.opaque.name, ==, "MARK");
        g_assert_cmpuint(r->target.opaque.revision, ==, 2);
}

/* ------------------------------------------------------------ rule lines */

typedef struct kline {
        bs_family family;
        const char *table, *chain, *args;
        bool opaque;  /* expects at least one opaque match/target, else none */
        void (*check)(const bs_rule *r);
} kline;

#define V4 BS_FAMILY_IPV4
#define V6 BS_FAMILY_IPV6

static const kline lines[] = {
        { V4, "filter", "INPUT", "-p tcp --dport 22 -j ACCEPT", false, check_tcp22 },
        { V4, "filter", "INPUT", "-s 10.1.2.3/8 -d 192.168.1.1 -i eth0 -j DROP", false, check_header4 },
        { V4, "filter", "FORWARD", "! -s 10.0.0.0/255.0.255.0 ! -d 1.2.3.4/32 -i wlan+ ! -o br-lan -j REJECT", false,
          check_forward_inverted },
        { V4, "filter", "INPUT", "! -i + -f -g svc", false, check_goto_frag },
        { V4, "filter", "INPUT", "! -f -p udp -j RETURN", false, check_not_frag },
        { V4, "filter", "INPUT", "! -p tcp -j QUEUE", false, check_not_tcp_queue },
        { V4, "filter", "INPUT", "-p 47", false, check_no_target },
        { V4, "filter", "INPUT", "-i lo -j ACCEPT", false, NULL },
        { V4, "filter", "INPUT", "-i abcdefghijklmno -j DROP", false, NULL },
        { V4, "filter", "FORWARD", "-i eth0 -o eth1 -j ACCEPT", false, NULL },
        { V4, "filter", "OUTPUT", "! -o ppp+ -d 224.0.0.0/4 -j DROP", false, NULL },
        { V4, "filter", "INPUT", "-m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT", false, check_ctstate },
        { V4, "filter", "INPUT", "-m state --state NEW,INVALID -j svc", false, check_state_alias },
        { V4, "filter", "INPUT",
          "-m conntrack ! --ctstate NEW --ctproto tcp --ctorigsrc 10.0.0.0/8 --ctorigdstport 22 "
          "--ctstatus ASSURED --ctexpire 10:100 --ctdir ORIGINAL",
          false, check_ct_full },
        { V4, "filter", "INPUT",
          "-m conntrack --ctreplsrc 1.2.3.4 --ctrepldst 5.6.7.0/24 --ctorigsrcport 1000:2000 "
          "--ctreplsrcport 53 --ctrepldstport 80:90 --ctorigdst 9.9.9.9 ! --ctstatus EXPECTED",
          false, NULL },
        { V4, "filter", "INPUT", "-p tcp --syn -j DROP", false, check_syn },
        { V4, "filter", "INPUT", "-p tcp ! --sport 1000:2000 ! --dport 5 --tcp-option 3 ! --tcp-flags SYN,ACK ACK",
          false, check_tcp_flags },
        { V4, "filter", "INPUT", "-p tcp ! --tcp-option 8 --tcp-flags ALL NONE", false, NULL },
        { V4, "filter", "INPUT", "-p udp --sport 53 ! --dport 1024:65535 -j ACCEPT", false, check_udp },
        { V4, "filter", "INPUT", "-p icmp --icmp-type echo-request -j ACCEPT", false, check_icmp_echo },
        { V4, "filter", "INPUT", "-p icmp ! --icmp-type 3/4", false, check_icmp_code },
        { V4, "filter", "INPUT", "-p icmp --icmp-type any -j ACCEPT", false, NULL },
        { V4, "filter", "INPUT", "-p tcp -m multiport --dports 22,80:90,443 -j ACCEPT", false, check_multiport },
        { V4, "filter", "INPUT", "-p udp -m multiport ! --sports 53,123", false, NULL },
        { V4, "filter", "INPUT", "-p tcp -m multiport --ports 1:2,3:4,5,6,7,8,9,10,11,12,13", false, NULL },
        { V4, "filter", "INPUT", "-p tcp --dport 22 -m comment --comment \"allow ssh\" -j ACCEPT", false,
          check_comment },
        { V4, "filter", "INPUT", "-m limit --limit 3/min --limit-burst 10 -j LOG --log-prefix \"in: \" --log-level 6",
          false, check_limit_log },
        { V4, "filter", "INPUT", "-m limit", false, NULL },
        { V4, "filter", "INPUT", "-j LOG --log-tcp-sequence --log-tcp-options --log-ip-options --log-uid --log-macdecode",
          false, check_log_flags },
        { V4, "filter", "INPUT", "-m addrtype --dst-type LOCAL -j ACCEPT", false, NULL },
        { V4, "filter", "INPUT", "-m addrtype ! --src-type BROADCAST,MULTICAST --limit-iface-in", false,
          check_addrtype },
        { V4, "filter", "OUTPUT", "-o eth1 -m addrtype --dst-type UNICAST --limit-iface-out", false, NULL },
        { V4, "filter", "INPUT", "-m mac --mac-source 00:11:22:33:44:55 -j ACCEPT", false, NULL },
        { V4, "filter", "INPUT", "-m mac ! --mac-source aa:bb:cc:dd:ee:ff", false, check_mac },
        { V4, "filter", "INPUT", "-m iprange --src-range 10.0.0.1-10.0.0.9 ! --dst-range 192.168.0.1-192.168.0.3",
          false, check_iprange4 },
        { V4, "filter", "INPUT", "-j REJECT --reject-with icmp-net-unreachable", false, NULL },
        { V4, "filter", "INPUT", "-j REJECT --reject-with icmp-host-unreachable", false, NULL },
        { V4, "filter", "INPUT", "-j REJECT --reject-with icmp-port-unreachable", false, NULL },
        { V4, "filter", "INPUT", "-j REJECT --reject-with icmp-proto-unreachable", false, NULL },
        { V4, "filter", "INPUT", "-j REJECT --reject-with icmp-net-prohibited", false, NULL },
        { V4, "filter", "INPUT", "-j REJECT --reject-with icmp-host-prohibited", false, NULL },
        { V4, "filter", "INPUT", "-j REJECT --reject-with icmp-admin-prohibited", false, NULL },
        { V4, "filter", "INPUT", "-p tcp -j REJECT --reject-with tcp-reset", false, check_reject_tcp_reset },
        { V4, "filter", "INPUT",
          "-p tcp -m conntrack --ctstate NEW -m tcp --dport 22 -m comment --comment x -m limit --limit 10/sec "
          "-j ACCEPT",
          false, NULL },
        { V4, "filter", "INPUT", "-m recent --name x --set", true, NULL },
        { V4, "filter", "INPUT", "-m string --algo bm --string foo -j DROP", true, NULL },
        { V4, "filter", "INPUT", "-m hashlimit --hashlimit-upto 5/sec --hashlimit-name h", true, NULL },
        { V4, "filter", "INPUT", "-m conntrack --ctstate NEW -m recent --name x --update --seconds 60 -j DROP", true,
          NULL },
        { V4, "mangle", "PREROUTING", "-j MARK --set-mark 1", true, check_mark },
        { V4, "mangle", "PREROUTING", "-p tcp --dport 80 -j MARK --set-xmark 0x10/0xff", true, NULL },

        { V6, "filter", "INPUT", "-p tcp --dport 22 -j ACCEPT", false, check_tcp22 },
        { V6, "filter", "INPUT", "-s 2001:db8::1/64 -d fe80::1 -i eth0 -j DROP", false, check_header6 },
        { V6, "filter", "FORWARD", "! -s 2001:db8::/32 ! -d ::1 -i wlan+ ! -o br-lan -j REJECT", false,
          check_forward_inverted },
        { V6, "filter", "INPUT", "! -i + -g svc", false, NULL },
        { V6, "filter", "INPUT", "-p udp -j RETURN", false, NULL },
        { V6, "filter", "INPUT", "! -p tcp -j QUEUE", false, check_not_tcp_queue },
        { V6, "filter", "INPUT", "-p 47", false, check_no_target },
        { V6, "filter", "INPUT", "-i lo -j ACCEPT", false, NULL },
        { V6, "filter", "FORWARD", "-i eth0 -o eth1 -j ACCEPT", false, NULL },
        { V6, "filter", "INPUT", "-p ipv6-icmp --icmpv6-type 135 -j ACCEPT", false, NULL },
        { V6, "filter", "INPUT", "-p ipv6-icmp ! --icmpv6-type 1/3", false, check_icmp_code },
        { V6, "filter", "INPUT", "-p icmpv6 --icmpv6-type echo-request -j ACCEPT", false, check_icmp_echo },
        { V6, "filter", "INPUT", "-m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT", false, check_ctstate },
        { V6, "filter", "INPUT", "-m state --state NEW,INVALID -j svc", false, check_state_alias },
        { V6, "filter", "INPUT",
          "-m conntrack --ctorigsrc 2001:db8::/48 --ctrepldst ::1 --ctstatus SEEN_REPLY,CONFIRMED --ctexpire 5 "
          "! --ctproto udp",
          false, NULL },
        { V6, "filter", "INPUT", "-p tcp --syn -j DROP", false, check_syn },
        { V6, "filter", "INPUT", "-p tcp ! --sport 1000:2000 ! --dport 5 --tcp-option 3 ! --tcp-flags SYN,ACK ACK",
          false, check_tcp_flags },
        { V6, "filter", "INPUT", "-p udp --sport 53 ! --dport 1024:65535", false, check_udp },
        { V6, "filter", "INPUT", "-p tcp -m multiport --dports 22,80:90,443 -j ACCEPT", false, check_multiport },
        { V6, "filter", "INPUT", "-p udp -m multiport ! --sports 53,123", false, NULL },
        { V6, "filter", "INPUT", "-m comment --comment \"allow ssh\"", false, check_comment },
        { V6, "filter", "INPUT", "-m limit --limit 1/hour --limit-burst 1 -j LOG --log-prefix \"v6: \" --log-level 1",
          false, NULL },
        { V6, "filter", "INPUT", "-j LOG --log-uid", false, NULL },
        { V6, "filter", "INPUT", "-m addrtype --dst-type LOCAL", false, NULL },
        { V6, "filter", "INPUT", "-m mac ! --mac-source aa:bb:cc:dd:ee:ff", false, check_mac },
        { V6, "filter", "INPUT", "-m iprange --src-range 2001:db8::1-2001:db8::9 -j ACCEPT", false, NULL },
        { V6, "filter", "INPUT", "-j REJECT --reject-with icmp6-no-route", false, NULL },
        { V6, "filter", "INPUT", "-j REJECT --reject-with icmp6-adm-prohibited", false, NULL },
        { V6, "filter", "INPUT", "-j REJECT --reject-with icmp6-addr-unreachable", false, NULL },
        { V6, "filter", "INPUT", "-j REJECT --reject-with icmp6-port-unreachable", false, NULL },
        { V6, "filter", "INPUT", "-p tcp -j REJECT --reject-with tcp-reset", false, check_reject_tcp_reset },
        { V6, "filter", "INPUT", "-j REJECT --reject-with icmp6-policy-fail", false, NULL },
        { V6, "filter", "INPUT", "-j REJECT --reject-with icmp6-reject-route", false, NULL },
        { V6, "filter", "INPUT", "-m recent --name x --set", true, NULL },
        { V6, "filter", "INPUT", "-m string --algo bm --string foo -j DROP", true, NULL },
        { V6, "mangle", "PREROUTING", "-j MARK --set-mark 1", true, check_mark },
};

/* With BACKSTOP_DUMP_CORPUS=DIR set, each kernel entry is also written to
 * DIR as a seed for tests/fuzz/fuzz-decode (its control byte: family in bit
 * 0, label in bits 1-2 as fuzz-decode reads them). */
static void dump_seed(const kline *l, const kernel_entry *k) {
        const char *dir = g_getenv("BACKSTOP_DUMP_CORPUS");
        if (!dir)
                return;
        unsigned mode = streq(k->label, "") ? 1 : streq(k->label, "svc") ? 3 : 0;
        uint8_t control = (uint8_t) ((l->family == V6 ? 1 : 0) | mode << 1);
        g_autofree char *sum = g_compute_checksum_for_data(G_CHECKSUM_SHA1, k->bytes, k->size);
        g_autofree char *path = g_strdup_printf("%s/%s-%s-%.12s", dir, l->family == V6 ? "v6" : "v4", l->chain, sum);
        g_autoptr(GByteArray) b = g_byte_array_new();
        g_byte_array_append(b, &control, 1);
        g_byte_array_append(b, k->bytes, (guint) k->size);
        g_assert_true(g_file_set_contents(path, (const char *) b->data, b->len, NULL));
}

static bool has_opaque(const bs_rule *r) {
        for (size_t i = 0; i < r->n_matches; i++)
                if (r->matches[i].kind == BS_MATCH_OPAQUE)
                        return true;
        return r->target.kind == BS_TARGET_OPAQUE;
}

static void test_line(gconstpointer data) {
        const kline *l = data;
        bs_family f = l->family;
        const kernel_layout *lay = layout(f);
        g_autofree char *args = g_strdup_printf("-A %s %s", l->chain, l->args);
        kernel_entry *k = NULL, *k2 = NULL;
        size_t n = 0, n2 = 0;
        bs_rule r;

        flush(f, l->table, l->chain);
        g_free(run_cli(f, l->table, args));
        g_autofree char *cli_text = rules_text(f, l->table, l->chain);
        g_test_message("%s: %s", cli(f), cli_text);

        read_rules(f, l->table, l->chain, &k, &n);
        g_assert_cmpuint(n, ==, 1);
        dump_seed(l, &k[0]);
        g_assert_cmpint(bs_codec_decode(f, k[0].bytes, k[0].size, k[0].label, &r), ==, 0);
        g_assert_cmpint(has_opaque(&r), ==, l->opaque);
        if (l->check)
                l->check(&r);

        /* Re-encoded: the kernel's bytes but comefrom (its hook mask) up to
         * the target, and the target too unless it is a standard one, which
         * the kernel stores as a verdict and we as the label libiptc maps. */
        _cleanup_free_ uint8_t *e = NULL;
        size_t size;
        g_assert_cmpint(bs_codec_encode(&r, (void **) &e, &size), ==, 0);
        g_assert_cmpuint(size, ==, k[0].size);
        uint16_t toff = target_offset_of(f, k[0].bytes);
        g_assert_cmpuint(target_offset_of(f, e), ==, toff);
        memset(k[0].bytes + lay->comefrom, 0, sizeof(uint32_t));
        clear_name_tails(f, k[0].bytes);
        bool standard = k[0].bytes[toff + 2] == '\0';
        g_assert_cmpmem(e, standard ? toff : size, k[0].bytes, standard ? toff : size);

        /* Appended by libiptc: the same entry, the same -S line. */
        flush(f, l->table, l->chain);
        append_entry(f, l->table, l->chain, e);
        read_rules(f, l->table, l->chain, &k2, &n2);
        g_assert_cmpuint(n2, ==, 1);
        g_assert_cmpstr(k2[0].label, ==, k[0].label);
        memset(k2[0].bytes + lay->comefrom, 0, sizeof(uint32_t));
        clear_name_tails(f, k2[0].bytes);
        g_assert_cmpmem(k2[0].bytes, k2[0].size, k[0].bytes, k[0].size);
        g_autofree char *lib_text = rules_text(f, l->table, l->chain);
        g_assert_cmpstr(lib_text, ==, cli_text);

        flush(f, l->table, l->chain);
        bs_rule_done(&r);
        kernel_entries_free(k, n);
        kernel_entries_free(k2, n2);
}

/* ------------------------------------------------- model -> kernel -> text */

static void model_tcp22(bs_rule *r) {
        r->proto = 6;
        bs_match *m = bs_rule_add_match(r, BS_MATCH_TCP);
        m->tcp = (bs_match_tcp){ .sport = { 0, 65535 }, .dport = { 22, 22 } };
        r->target.kind = BS_TARGET_ACCEPT;
}

static void model_ctstate(bs_rule *r) {
        bs_match *m = bs_rule_add_match(r, BS_MATCH_CONNTRACK);
        m->conntrack.match_flags = 0x0001;
        m->conntrack.state_mask = (1u << 1) | (1u << 2);
        r->target.kind = BS_TARGET_ACCEPT;
}

static void model_state_new_jump(bs_rule *r) {
        bs_match *m = bs_rule_add_match(r, BS_MATCH_CONNTRACK);
        m->conntrack.match_flags = 0x2001;
        m->conntrack.state_mask = 1u << 3;
        r->target.kind = BS_TARGET_JUMP;
        strcpy(r->target.chain, "svc");
}

static void model_ndp(bs_rule *r) {
        r->proto = 58;
        bs_match *m = bs_rule_add_match(r, BS_MATCH_ICMP6);
        m->icmp = (bs_match_icmp){ .type = 135, .code_min = 0, .code_max = 255 };
        r->target.kind = BS_TARGET_ACCEPT;
}

static void model_lo(bs_rule *r) {
        strcpy(r->in_iface, "lo");
        r->target.kind = BS_TARGET_ACCEPT;
}

static void model_goto_frag(bs_rule *r) {
        r->src.addr[0] = 10;
        bs_addr_set_prefix(&r->src, BS_FAMILY_IPV4, 8);
        r->src_invert = true;
        r->frag = BS_FRAG_YES;
        r->target.kind = BS_TARGET_GOTO;
        strcpy(r->target.chain, "svc");
}

static void model_forward_reject6(bs_rule *r) {
        strcpy(r->in_iface, "eth+");
        strcpy(r->out_iface, "br0");
        r->out_invert = true;
        r->proto = 17;
        bs_match *m = bs_rule_add_match(r, BS_MATCH_UDP);
        m->udp = (bs_match_udp){ .sport = { 0, 65535 }, .dport = { 53, 53 } };
        r->target.kind = BS_TARGET_REJECT;
        r->target.reject.with = 4; /* IP6T_ICMP6_PORT_UNREACH */
}

static void model_comment_limit_log(bs_rule *r) {
        strcpy(bs_rule_add_match(r, BS_MATCH_COMMENT)->comment, "hello world");
        bs_match *m = bs_rule_add_match(r, BS_MATCH_LIMIT);
        m->limit = (bs_match_limit){ .avg = 10000 * 60 / 3, .burst = 5 };
        r->target.kind = BS_TARGET_LOG;
        r->target.log.level = 4;
        strcpy(r->target.log.prefix, "in: ");
}

static void model_multiport_return(bs_rule *r) {
        r->proto = 6;
        bs_match *m = bs_rule_add_match(r, BS_MATCH_MULTIPORT);
        m->multiport = (bs_match_multiport){ .dir = BS_MULTIPORT_DESTINATION, .count = 3, .ports = { 22, 80, 90 },
                                             .pflags = { 0, 1, 0 } };
        r->target.kind = BS_TARGET_RETURN;
}

static void model_addrtype_mac_iprange(bs_rule *r) {
        bs_match *m = bs_rule_add_match(r, BS_MATCH_ADDRTYPE);
        m->addrtype.dest = 1u << 2; /* LOCAL */
        m = bs_rule_add_match(r, BS_MATCH_MAC);
        memcpy(m->mac.addr, "\x00\x11\x22\x33\x44\x55", 6);
        m = bs_rule_add_match(r, BS_MATCH_IPRANGE);
        memcpy(m->iprange.src_min, "\x0a\0\0\x01", 4);
        memcpy(m->iprange.src_max, "\x0a\0\0\x09", 4);
        m->iprange.flags = 0x01;
}

static void model_not_udp_drop(bs_rule *r) {
        r->proto = 17;
        r->proto_invert = true;
        r->target.kind = BS_TARGET_DROP;
}

static void model_queue(bs_rule *r) {
        r->target.kind = BS_TARGET_QUEUE;
}

static void model_tcp_reset(bs_rule *r) {
        r->proto = 6;
        r->target.kind = BS_TARGET_REJECT;
        r->target.reject.with = 7; /* IPT_TCP_RESET */
}

typedef struct mline {
        bs_family family;
        const char *chain;
        void (*build)(bs_rule *r);
        const char *expect;
} mline;

static const mline models[] = {
        { V4, "INPUT", model_tcp22, "-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT" },
        { V6, "INPUT", model_tcp22, "-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT" },
        { V4, "INPUT", model_ctstate, "-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT" },
        { V6, "INPUT", model_state_new_jump, "-A INPUT -m state --state NEW -j svc" },
        { V6, "INPUT", model_ndp, "-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type 135 -j ACCEPT" },
        { V4, "INPUT", model_lo, "-A INPUT -i lo -j ACCEPT" },
        { V4, "INPUT", model_goto_frag, "-A INPUT ! -s 10.0.0.0/8 -f -g svc" },
        { V6, "FORWARD", model_forward_reject6,
          "-A FORWARD -i eth+ ! -o br0 -p udp -m udp --dport 53 -j REJECT --reject-with icmp6-port-unreachable" },
        { V4, "INPUT", model_comment_limit_log,
          "-A INPUT -m comment --comment \"hello world\" -m limit --limit 3/min -j LOG --log-prefix \"in: \"" },
        { V6, "INPUT", model_multiport_return, "-A INPUT -p tcp -m multiport --dports 22,80:90 -j RETURN" },
        { V4, "INPUT", model_addrtype_mac_iprange,
          "-A INPUT -m addrtype --dst-type LOCAL -m mac --mac-source 00:11:22:33:44:55 -m iprange --src-range "
          "10.0.0.1-10.0.0.9" },
        { V4, "OUTPUT", model_not_udp_drop, "-A OUTPUT ! -p udp -j DROP" },
        { V6, "OUTPUT", model_queue, "-A OUTPUT -j QUEUE" },
        { V4, "INPUT", model_tcp_reset, "-A INPUT -p tcp -j REJECT --reject-with tcp-reset" },
};

static void test_model(gconstpointer data) {
        const mline *l = data;
        _cleanup_free_ void *e = NULL;
        size_t size;
        bs_rule r;

        bs_rule_init(&r, l->family);
        l->build(&r);
        g_assert_cmpint(bs_codec_encode(&r, &e, &size), ==, 0);
        flush(l->family, "filter", l->chain);
        append_entry(l->family, "filter", l->chain, e);
        g_autofree char *text = rules_text(l->family, "filter", l->chain);
        g_assert_cmpstr(text, ==, l->expect);

        /* and libiptc's copy decodes to the model we built */
        kernel_entry *k = NULL;
        size_t n = 0;
        bs_rule d;
        read_rules(l->family, "filter", l->chain, &k, &n);
        g_assert_cmpuint(n, ==, 1);
        g_assert_cmpint(bs_codec_decode(l->family, k[0].bytes, k[0].size, k[0].label, &d), ==, 0);
        g_assert_true(bs_rule_equal(&r, &d));
        flush(l->family, "filter", l->chain);
        kernel_entries_free(k, n);
        bs_rule_done(&d);
        bs_rule_done(&r);
}

/* `ip6tables -p all` sets IP6T_F_PROTO with protocol 0: the model reads it
 * as any protocol, and -S prints the two the same. */
static void test_ipv6_proto_all(void) {
        kernel_entry *k = NULL;
        size_t n = 0;
        bs_rule r;

        flush(V6, "filter", "INPUT");
        g_free(run_cli(V6, "filter", "-A INPUT -p all -j ACCEPT"));
        g_autofree char *cli_text = rules_text(V6, "filter", "INPUT");
        read_rules(V6, "filter", "INPUT", &k, &n);
        g_assert_cmpuint(n, ==, 1);
        g_assert_cmpint(bs_codec_decode(V6, k[0].bytes, k[0].size, k[0].label, &r), ==, 0);
        g_assert_cmpuint(r.proto, ==, 0);

        _cleanup_free_ void *e = NULL;
        size_t size;
        g_assert_cmpint(bs_codec_encode(&r, &e, &size), ==, 0);
        flush(V6, "filter", "INPUT");
        append_entry(V6, "filter", "INPUT", e);
        g_autofree char *lib_text = rules_text(V6, "filter", "INPUT");
        g_assert_cmpstr(lib_text, ==, cli_text);
        flush(V6, "filter", "INPUT");
        kernel_entries_free(k, n);
        bs_rule_done(&r);
}

/* ------------------------------------------------------------------- main */

static char lockfile[] = "/tmp/backstop-test-codec-kernel.lock.XXXXXX";

static void remove_lockfile(void) {
        unlink(lockfile);
}

int main(int argc, char **argv) {
        g_test_init(&argc, &argv, NULL);

        if (geteuid() != 0) {
                printf("# not root: skipping\n");
                return 77;
        }
        if (unshare(CLONE_NEWNET) < 0) {
                printf("# unshare(CLONE_NEWNET): %s: skipping\n", g_strerror(errno));
                return 77;
        }
        /* iptables-legacy takes /run/xtables.lock, shared by every namespace. */
        int fd = mkstemp(lockfile);
        if (fd < 0) {
                printf("# mkstemp: %s\n", g_strerror(errno));
                return 1;
        }
        close(fd);
        atexit(remove_lockfile);
        g_setenv("XTABLES_LOCKFILE", lockfile, TRUE);

        g_free(run_cli(V4, "filter", "-N svc"));
        g_free(run_cli(V6, "filter", "-N svc"));

        unsigned n4 = 0, n6 = 0;
        for (size_t i = 0; i < G_N_ELEMENTS(lines); i++) {
                unsigned idx = lines[i].family == V6 ? n6++ : n4++;
                g_autofree char *path = g_strdup_printf("/codec-kernel/%s/%02u", lines[i].family == V6 ? "ipv6" : "ipv4",
                                                        idx);
                g_test_add_data_func(path, &lines[i], test_line);
        }
        for (size_t i = 0; i < G_N_ELEMENTS(models); i++) {
                g_autofree char *path = g_strdup_printf("/codec-kernel/model/%02zu", i);
                g_test_add_data_func(path, &models[i], test_model);
        }
        g_test_add_func("/codec-kernel/ipv6-proto-all", test_ipv6_proto_all);
        return g_test_run();
}
