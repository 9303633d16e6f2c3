/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Unit tests of the codec: encode -> decode round trips for every match and
 * target kind in both families, the kernel's form of standard targets, what
 * encode refuses, what decode refuses (truncated and corrupted entries, all
 * of them run under ASan), and opaque payloads kept byte for byte. */
#include <glib.h>

#include <arpa/inet.h>

#include "codec.h"

/* Offsets of target_offset / next_offset in struct ipt_entry and struct
 * ip6t_entry (the kernel ABI; the test cannot include both headers). */
#define TOFF4 88
#define TOFF6 140
#define ENTRY4 112
#define ENTRY6 168
#define EXT_HDR 32 /* struct xt_entry_match / xt_entry_target */

static size_t toff_pos(bs_family f) {
        return f == BS_FAMILY_IPV6 ? TOFF6 : TOFF4;
}

static uint16_t get16(const uint8_t *p) {
        uint16_t v;
        memcpy(&v, p, 2);
        return v;
}

static void put16(uint8_t *p, uint16_t v) {
        memcpy(p, &v, 2);
}

static uint16_t target_offset_of(bs_family f, const uint8_t *e) {
        return get16(e + toff_pos(f));
}

/* ------------------------------------------------------------ rule builders */

static void set_addr(bs_addr *a, bs_family f, const char *text, unsigned prefix) {
        memset(a, 0, sizeof(*a));
        g_assert_cmpint(inet_pton(f == BS_FAMILY_IPV6 ? AF_INET6 : AF_INET, text, a->addr), ==, 1);
        bs_addr_set_prefix(a, f, prefix);
}

static bs_match *add(bs_rule *r, bs_match_kind kind) {
        bs_match *m = bs_rule_add_match(r, kind);
        g_assert_nonnull(m);
        return m;
}

static void add_opaque_match(bs_rule *r, const char *name, uint8_t rev, size_t size, uint8_t seed) {
        bs_match *m = add(r, BS_MATCH_OPAQUE);
        g_assert_cmpuint(strlen(name), <=, BS_EXT_NAME_MAX);
        strcpy(m->opaque.name, name);
        m->opaque.revision = rev;
        m->opaque.size = size;
        m->opaque.data = size ? g_malloc(size) : NULL;
        for (size_t i = 0; i < size; i++)
                m->opaque.data[i] = (uint8_t) (seed + i * 7);
}

/* One rule per interesting shape; n selects it. Returns false past the end. */
static bool sample_rule(bs_family f, unsigned n, bs_rule *r) {
        bool v6 = f == BS_FAMILY_IPV6;
        bs_match *m;

        bs_rule_init(r, f);
        r->packets = 1000 + n;
        r->bytes = 99999 + n;
        switch (n) {
        case 0: /* no match, no target */
                break;
        case 1: /* header fields: addresses, interfaces with and without '+', inversions */
                set_addr(&r->src, f, v6 ? "2001:db8::1" : "10.1.2.3", v6 ? 64 : 8);
                set_addr(&r->dst, f, v6 ? "fe80::1" : "192.168.1.1", v6 ? 128 : 32);
                r->src_invert = true;
                strcpy(r->in_iface, "eth0");
                strcpy(r->out_iface, "wlan+");
                r->out_invert = true;
                r->target.kind = BS_TARGET_ACCEPT;
                break;
        case 2:
                strcpy(r->in_iface, "+");
                r->in_invert = true;
                strcpy(r->out_iface, "abcdefghijklmno"); /* 15 characters, the maximum */
                r->proto = 17;
                r->proto_invert = true;
                r->dst_invert = true;
                r->target.kind = BS_TARGET_DROP;
                break;
        case 3:
                r->proto = 6;
                m = add(r, BS_MATCH_TCP);
                m->tcp = (bs_match_tcp){ .sport = { 1000, 2000 }, .dport = { 22, 22 }, .dport_invert = true,
                                         .flg_mask = 0x17, .flg_cmp = 0x02, .flags_invert = true,
                                         .option = 3, .option_invert = true, .sport_invert = true };
                r->target.kind = BS_TARGET_RETURN;
                break;
        case 4:
                r->proto = 17;
                m = add(r, BS_MATCH_UDP);
                m->udp = (bs_match_udp){ .sport = { 0, 65535 }, .dport = { 53, 53 }, .sport_invert = true };
                r->target.kind = BS_TARGET_QUEUE;
                break;
        case 5:
                r->proto = v6 ? 58 : 1;
                m = add(r, v6 ? BS_MATCH_ICMP6 : BS_MATCH_ICMP);
                m->icmp = (bs_match_icmp){ .type = v6 ? 135 : 8, .code_min = 0, .code_max = 255, .invert = true };
                r->target.kind = BS_TARGET_JUMP;
                strcpy(r->target.chain, "svc-chain");
                break;
        case 6: /* -m conntrack --ctstate RELATED,ESTABLISHED, then -m state with the alias flag */
                m = add(r, BS_MATCH_CONNTRACK);
                m->conntrack.match_flags = 0x0001;
                m->conntrack.state_mask = 0x0006;
                m = add(r, BS_MATCH_CONNTRACK);
                m->conntrack.match_flags = 0x2001;
                m->conntrack.state_mask = 0x0008;
                m->conntrack.invert_flags = 0x0001;
                r->target.kind = BS_TARGET_GOTO;
                strcpy(r->target.chain, "x");
                break;
        case 7: /* every conntrack field */
                m = add(r, BS_MATCH_CONNTRACK);
                set_addr(&m->conntrack.origsrc, f, v6 ? "2001:db8::5" : "10.0.0.5", v6 ? 120 : 24);
                set_addr(&m->conntrack.repldst, f, v6 ? "::1" : "127.0.0.1", v6 ? 128 : 32);
                m->conntrack.match_flags = 0x1fff;
                m->conntrack.invert_flags = 0x0104;
                m->conntrack.status_mask = 0x0008;
                m->conntrack.l4proto = 6;
                m->conntrack.origsrc_port = 1024;
                m->conntrack.origsrc_port_high = 2048;
                m->conntrack.repldst_port = 80;
                m->conntrack.repldst_port_high = 80;
                m->conntrack.expires_min = 10;
                m->conntrack.expires_max = 3600;
                r->target.kind = BS_TARGET_REJECT;
                r->target.reject.with = v6 ? 1 : 3; /* adm-prohibited / port-unreachable */
                break;
        case 8:
                r->proto = 6;
                m = add(r, BS_MATCH_MULTIPORT);
                m->multiport = (bs_match_multiport){ .dir = BS_MULTIPORT_DESTINATION, .count = 4,
                                                     .ports = { 22, 80, 90, 443 }, .pflags = { 0, 1, 0, 0 } };
                m = add(r, BS_MATCH_MULTIPORT);
                m->multiport.dir = BS_MULTIPORT_EITHER;
                m->multiport.count = BS_MULTIPORT_MAX;
                for (unsigned i = 0; i < BS_MULTIPORT_MAX; i++)
                        m->multiport.ports[i] = (uint16_t) (1000 + i);
                m->multiport.invert = true;
                r->target.kind = BS_TARGET_LOG;
                r->target.log = (bs_target_log){ .level = 7, .flags = 0x2f, .prefix = "abc: " };
                break;
        case 9:
                m = add(r, BS_MATCH_COMMENT);
                strcpy(m->comment, "a comment");
                m = add(r, BS_MATCH_COMMENT);
                memset(m->comment, 'z', BS_COMMENT_MAX); /* the longest one */
                m = add(r, BS_MATCH_LIMIT);
                m->limit = (bs_match_limit){ .avg = 200000, .burst = 5 };
                r->target.kind = BS_TARGET_LOG;
                r->target.log.level = 4;
                memset(r->target.log.prefix, 'p', BS_LOG_PREFIX_MAX);
                break;
        case 10:
                m = add(r, BS_MATCH_ADDRTYPE);
                m->addrtype = (bs_match_addrtype){ .source = 0x0004, .dest = 0x0020, .flags = 0x0001 | 0x0008 };
                m = add(r, BS_MATCH_MAC);
                m->mac = (bs_match_mac){ .addr = { 0, 0x11, 0x22, 0x33, 0x44, 0x55 }, .invert = true };
                r->target.kind = BS_TARGET_REJECT;
                r->target.reject.with = 6; /* host-prohibited in IPv4, tcp-reset in IPv6 */
                r->proto = 6;
                break;
        case 11:
                m = add(r, BS_MATCH_IPRANGE);
                g_assert_cmpint(inet_pton(v6 ? AF_INET6 : AF_INET, v6 ? "2001:db8::1" : "10.0.0.1",
                                          m->iprange.src_min), ==, 1);
                g_assert_cmpint(inet_pton(v6 ? AF_INET6 : AF_INET, v6 ? "2001:db8::9" : "10.0.0.9",
                                          m->iprange.src_max), ==, 1);
                m->iprange.flags = 0x01 | 0x10;
                r->target.kind = BS_TARGET_ACCEPT;
                break;
        case 12: /* opaque matches and target */
                add_opaque_match(r, "recent", 1, 40, 3);
                add_opaque_match(r, "conntrack", 1, 160, 9); /* a revision we do not decode */
                add_opaque_match(r, "empty", 0, 0, 0);
                r->target.kind = BS_TARGET_OPAQUE;
                strcpy(r->target.opaque.name, "MARK");
                r->target.opaque.revision = 2;
                r->target.opaque.size = 8;
                r->target.opaque.data = g_memdup2("\1\0\0\0\xff\xff\xff\xff", 8);
                break;
        case 13: /* the most matches a rule may hold */
                for (unsigned i = 0; i < BS_MATCHES_MAX; i++)
                        snprintf(add(r, BS_MATCH_COMMENT)->comment, BS_COMMENT_MAX, "c%u", i);
                r->target.kind = BS_TARGET_JUMP;
                strcpy(r->target.chain, "a-chain-name-of-28-character");
                break;
        case 14: /* an unmasked address and a non-contiguous mask are kept as they are */
                set_addr(&r->src, f, v6 ? "::1" : "1.2.3.4", v6 ? 128 : 32);
                r->src.mask[0] = 0x0f;
                r->target.kind = BS_TARGET_DROP;
                break;
        case 15:
                if (v6)
                        return false;
                r->frag = BS_FRAG_YES;
                r->target.kind = BS_TARGET_GOTO;
                strcpy(r->target.chain, "frags");
                break;
        case 16:
                r->frag = BS_FRAG_NO;
                r->target.kind = BS_TARGET_ACCEPT;
                break;
        default:
                return false;
        }
        return true;
}

/* ---------------------------------------------------------------- helpers */

static void encode_ok(const bs_rule *r, uint8_t **ret, size_t *ret_size) {
        void *e = NULL;
        size_t size = 0;
        g_assert_cmpint(bs_codec_encode(r, &e, &size), ==, 0);
        g_assert_nonnull(e);
        g_assert_cmpuint(size % 8, ==, 0);
        *ret = e;
        *ret_size = size;
}

static void assert_roundtrip(const bs_rule *r) {
        _cleanup_free_ uint8_t *e = NULL, *e2 = NULL;
        size_t size, size2;
        bs_rule d;

        encode_ok(r, &e, &size);
        g_assert_cmpint(bs_codec_decode(r->family, e, size, NULL, &d), ==, 0);
        g_assert_true(bs_rule_equal(r, &d));
        g_assert_cmpuint(d.packets, ==, r->packets);
        g_assert_cmpuint(d.bytes, ==, r->bytes);
        encode_ok(&d, &e2, &size2);
        g_assert_cmpmem(e, size, e2, size2);
        bs_rule_done(&d);
}

/* ------------------------------------------------------------------ tests */

static void test_roundtrip(gconstpointer data) {
        bs_family f = GPOINTER_TO_INT(data);
        unsigned n;
        bs_rule r;

        for (n = 0; sample_rule(f, n, &r); n++) {
                g_test_message("sample %u", n);
                assert_roundtrip(&r);
                bs_rule_done(&r);
        }
        bs_rule_done(&r);
        g_assert_cmpuint(n, >=, 15);
}

/* The layout the kernel expects, checked on one rule by hand. */
static void test_layout(void) {
        _cleanup_free_ uint8_t *e = NULL;
        size_t size;
        bs_rule r;

        bs_rule_init(&r, BS_FAMILY_IPV4);
        r.proto = 6;
        strcpy(r.in_iface, "eth+");
        bs_match *m = add(&r, BS_MATCH_TCP);
        m->tcp = (bs_match_tcp){ .sport = { 0, 65535 }, .dport = { 22, 22 } };
        r.target.kind = BS_TARGET_ACCEPT;
        encode_ok(&r, &e, &size);

        /* header 112 + tcp (32 + XT_ALIGN(12) = 48) + standard target 40 */
        g_assert_cmpuint(size, ==, 112 + 48 + 40);
        g_assert_cmpuint(get16(e + TOFF4), ==, 160);
        g_assert_cmpuint(get16(e + TOFF4 + 2), ==, 200);
        g_assert_cmpmem(e + 16, 5, "eth+\0", 5);               /* the '+' stays */
        g_assert_cmpmem(e + 48, 4, "\xff\xff\xff\0", 4);       /* mask over "eth" only */
        g_assert_cmpuint(get16(e + 80), ==, 6);
        g_assert_cmpuint(get16(e + 112), ==, 48);              /* match_size */
        g_assert_cmpstr((const char *) e + 114, ==, "tcp");
        g_assert_cmpuint(get16(e + 160), ==, 40);              /* target_size */
        g_assert_cmpstr((const char *) e + 162, ==, "ACCEPT"); /* libiptc maps it */
        bs_rule_done(&r);

        /* IPv6: IP6T_F_PROTO with -p; 15-character interface: mask over its NUL */
        bs_rule_init(&r, BS_FAMILY_IPV6);
        r.proto = 58;
        strcpy(r.out_iface, "abcdefghijklmno");
        _cleanup_free_ uint8_t *e6 = NULL;
        encode_ok(&r, &e6, &size);
        g_assert_cmpuint(size, ==, 168 + 40);
        g_assert_cmpuint(get16(e6 + 128), ==, 58);
        g_assert_cmpuint(e6[131], ==, 0x01);
        for (unsigned i = 0; i < 16; i++)
                g_assert_cmpuint(e6[112 + i], ==, 0xff);
        g_assert_cmpuint(e6[168 + 2], ==, '\0'); /* fall-through: empty standard target */
        bs_rule_done(&r);
}

/* A kernel entry dumped from `iptables-legacy -A INPUT -m conntrack --ctstate
 * RELATED,ESTABLISHED -j ACCEPT` (libiptc's copy, counters zero). */
static const char kernel_ct_accept[] =
        "0000000000000000000000000000000000000000000000000000000000000000"
        "0000000000000000000000000000000000000000000000000000000000000000"
        "0000000000000000000000000000000000000000000000003801600102000000"
        "00000000000000000000000000000000c800636f6e6e747261636b0000000000"
        "0000000000000000000000000000000300000000000000000000000000000000"
        "0000000000000000000000000000000000000000000000000000000000000000"
        "0000000000000000000000000000000000000000000000000000000000000000"
        "0000000000000000000000000000000000000000000000000000000000000000"
        "0000000000000000000000000000000000000000000000000000000000000000"
        "0000010000000600000000000000000000000000000000002800000000000000"
        "000000000000000000000000000000000000000000000000feffffff00000000";

static uint8_t *unhex(const char *hex, size_t *ret_size) {
        size_t n = strlen(hex) / 2;
        uint8_t *b = g_malloc(n);
        for (size_t i = 0; i < n; i++) {
                unsigned v;
                g_assert_cmpint(sscanf(hex + 2 * i, "%2x", &v), ==, 1);
                b[i] = (uint8_t) v;
        }
        *ret_size = n;
        return b;
}

static void test_kernel_entry(void) {
        size_t size;
        _cleanup_free_ uint8_t *k = unhex(kernel_ct_accept, &size);
        _cleanup_free_ uint8_t *e = NULL;
        size_t esize;
        bs_rule r;

        g_assert_cmpuint(size, ==, 352);
        g_assert_cmpint(bs_codec_decode(BS_FAMILY_IPV4, k, size, "ACCEPT", &r), ==, 0);
        g_assert_cmpuint(r.n_matches, ==, 1);
        g_assert_cmpint(r.matches[0].kind, ==, BS_MATCH_CONNTRACK);
        g_assert_cmpuint(r.matches[0].conntrack.match_flags, ==, 0x0001);
        g_assert_cmpuint(r.matches[0].conntrack.state_mask, ==, 0x0006);
        g_assert_cmpint(r.target.kind, ==, BS_TARGET_ACCEPT);
        /* without the label, the verdict -2 is ACCEPT too */
        bs_rule d;
        g_assert_cmpint(bs_codec_decode(BS_FAMILY_IPV4, k, size, NULL, &d), ==, 0);
        g_assert_true(bs_rule_equal(&r, &d));
        bs_rule_done(&d);

        /* re-encoded, everything up to the target is the kernel's but
         * comefrom, where the kernel keeps its hook mask (0x2: INPUT) */
        encode_ok(&r, &e, &esize);
        g_assert_cmpuint(k[92], ==, 0x02);
        k[92] = 0;
        g_assert_cmpuint(esize, ==, size);
        g_assert_cmpmem(e, 312, k, 312);
        bs_rule_done(&r);
}

/* Standard targets as the kernel stores them: empty name, a verdict that
 * only libiptc's label can name for jumps and fall-through. */
static void test_kernel_form_targets(void) {
        static const struct {
                const char *label;
                int verdict;
                bool is_goto;
                bs_target_kind want;
                int ret_without_label;
        } cases[] = {
                { "", 312, false, BS_TARGET_NONE, -EBADMSG },
                { "ACCEPT", -2, false, BS_TARGET_ACCEPT, 0 },
                { "DROP", -1, false, BS_TARGET_DROP, 0 },
                { "QUEUE", -4, false, BS_TARGET_QUEUE, 0 },
                { "RETURN", -5, false, BS_TARGET_RETURN, 0 },
                { "svc", 1024, false, BS_TARGET_JUMP, -EBADMSG },
                { "svc", 1024, true, BS_TARGET_GOTO, -EBADMSG },
        };

        for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
                for (bs_family f = BS_FAMILY_IPV4; f <= BS_FAMILY_IPV6; f += 2) {
                        bs_rule r;
                        _cleanup_free_ uint8_t *e = NULL;
                        size_t size;
                        bs_rule_init(&r, f);
                        r.target.kind = BS_TARGET_DROP;
                        encode_ok(&r, &e, &size);
                        uint16_t toff = target_offset_of(f, e);
                        memset(e + toff + 2, 0, 29); /* empty name */
                        memcpy(e + toff + EXT_HDR, &cases[i].verdict, sizeof(int));
                        if (cases[i].is_goto)
                                e[f == BS_FAMILY_IPV6 ? 131 : 82] |= f == BS_FAMILY_IPV6 ? 0x04 : 0x02;

                        bs_rule d;
                        g_assert_cmpint(bs_codec_decode(f, e, size, cases[i].label, &d), ==, 0);
                        g_assert_cmpint(d.target.kind, ==, cases[i].want);
                        if (cases[i].want == BS_TARGET_JUMP || cases[i].want == BS_TARGET_GOTO)
                                g_assert_cmpstr(d.target.chain, ==, cases[i].label);
                        bs_rule_done(&d);
                        g_assert_cmpint(bs_codec_decode(f, e, size, NULL, &d), ==, cases[i].ret_without_label);
                        bs_rule_done(&d);
                        /* labels that cannot be: a goto to ACCEPT, a too long chain */
                        if (cases[i].is_goto) {
                                g_assert_cmpint(bs_codec_decode(f, e, size, "ACCEPT", &d), ==, -EBADMSG);
                                g_assert_cmpint(bs_codec_decode(f, e, size, "", &d), ==, -EBADMSG);
                        }
                        g_assert_cmpint(bs_codec_decode(f, e, size, "a-chain-name-that-is-too-long-x", &d), ==,
                                        -EBADMSG);
                        g_assert_cmpint(d.n_matches, ==, 0);
                        bs_rule_done(&r);
                }
        }
}

static void test_encode_refuses(void) {
        _cleanup_free_ void *e = NULL;
        size_t size;
        bs_rule r;
        bs_match *m;

#define REFUSED(rule) g_assert_cmpint(bs_codec_encode((rule), &e, &size), ==, -EINVAL)

        bs_rule_init(&r, BS_FAMILY_IPV6);
        add(&r, BS_MATCH_ICMP); /* icmp in IPv6 */
        REFUSED(&r);
        bs_rule_done(&r);

        bs_rule_init(&r, BS_FAMILY_IPV4);
        add(&r, BS_MATCH_ICMP6); /* icmp6 in IPv4 */
        REFUSED(&r);
        bs_rule_done(&r);

        bs_rule_init(&r, BS_FAMILY_IPV6);
        r.frag = BS_FRAG_YES; /* no fragment flag in IPv6 */
        REFUSED(&r);
        r.frag = BS_FRAG_ANY;
        r.target.kind = BS_TARGET_REJECT;
        r.target.reject.with = 5; /* echo-reply: the kernel refuses it */
        REFUSED(&r);
        r.target.reject.with = 99;
        REFUSED(&r);
        bs_rule_done(&r);

        bs_rule_init(&r, BS_FAMILY_IPV4);
        r.target.kind = BS_TARGET_REJECT;
        r.target.reject.with = 4; /* echo-reply in IPv4 */
        REFUSED(&r);
        r.target.kind = BS_TARGET_LOG;
        r.target.log.level = 8;
        REFUSED(&r);
        r.target.log.level = 4;
        r.target.log.flags = 0x10; /* XT_LOG_NFLOG */
        REFUSED(&r);
        r.target.log.flags = 0;
        memset(r.target.log.prefix, 'x', sizeof(r.target.log.prefix)); /* no NUL */
        REFUSED(&r);
        r.target.kind = BS_TARGET_JUMP;
        memset(r.target.chain, 'c', sizeof(r.target.chain)); /* no NUL */
        REFUSED(&r);
        strcpy(r.target.chain, "ACCEPT"); /* not a chain */
        REFUSED(&r);
        strcpy(r.target.chain, "REJECT"); /* would read back as the extension */
        REFUSED(&r);
        strcpy(r.target.chain, "-x");
        REFUSED(&r);
        r.target.kind = 77;
        REFUSED(&r);
        r.target.kind = BS_TARGET_ACCEPT;
        r.frag = 3;
        REFUSED(&r);
        r.frag = BS_FRAG_ANY;
        r.src.addr[5] = 1; /* IPv4 holds 4 bytes only */
        REFUSED(&r);
        r.src.addr[5] = 0;
        memset(r.in_iface, 'i', sizeof(r.in_iface)); /* 16 characters */
        REFUSED(&r);
        memset(r.in_iface, 0, sizeof(r.in_iface));
        g_assert_cmpint(bs_codec_encode(&r, &e, &size), ==, 0);
        g_clear_pointer(&e, free);
        r.family = 5;
        REFUSED(&r);
        r.family = BS_FAMILY_IPV4;

        /* per-match values the kernel would refuse */
        m = add(&r, BS_MATCH_LIMIT); /* burst 0 */
        REFUSED(&r);
        m->limit.burst = 5;
        m = add(&r, BS_MATCH_MULTIPORT);
        m->multiport.count = 16;
        REFUSED(&r);
        m->multiport.count = 1;
        m->multiport.dir = 3;
        REFUSED(&r);
        m->multiport.dir = BS_MULTIPORT_SOURCE;
        m->multiport.pflags[0] = 2;
        REFUSED(&r);
        m->multiport.pflags[0] = 0;
        m = add(&r, BS_MATCH_ADDRTYPE);
        m->addrtype.flags = 0x4 | 0x8; /* both interface limits */
        REFUSED(&r);
        m->addrtype.flags = 0x10;
        REFUSED(&r);
        m->addrtype.flags = 0;
        m = add(&r, BS_MATCH_IPRANGE);
        m->iprange.dst_max[4] = 1;
        REFUSED(&r);
        m->iprange.dst_max[4] = 0;
        g_assert_cmpint(bs_codec_encode(&r, &e, &size), ==, 0);
        g_clear_pointer(&e, free);

        /* opaque: name empty or too long, unaligned or missing payload */
        m = add(&r, BS_MATCH_OPAQUE);
        REFUSED(&r);
        memset(m->opaque.name, 'n', BS_EXT_NAME_MAX + 1);
        REFUSED(&r);
        strcpy(m->opaque.name, "string");
        m->opaque.size = 12;
        m->opaque.data = g_malloc0(12);
        REFUSED(&r);
        m->opaque.size = 8;
        g_assert_cmpint(bs_codec_encode(&r, &e, &size), ==, 0);
        g_clear_pointer(&e, free);
        free(m->opaque.data);
        m->opaque.data = NULL;
        REFUSED(&r);
        m->opaque.size = 0;
        g_assert_cmpint(bs_codec_encode(&r, &e, &size), ==, 0);
        g_clear_pointer(&e, free);
        /* a payload that does not fit next_offset's 16 bits */
        m->opaque.size = 65528;
        m->opaque.data = g_malloc0(m->opaque.size);
        REFUSED(&r);
        bs_rule_done(&r);

        bs_rule_init(&r, BS_FAMILY_IPV4);
        r.target.kind = BS_TARGET_OPAQUE;
        strcpy(r.target.opaque.name, "DROP"); /* libiptc would map it */
        REFUSED(&r);
        bs_rule_done(&r);
#undef REFUSED
}

static void corrupt_and_decode(bs_family f, uint8_t *e, size_t size) {
        bs_rule d;
        int k = bs_codec_decode(f, e, size, NULL, &d);
        if (k < 0) {
                g_assert_cmpuint(d.n_matches, ==, 0);
                return;
        }
        /* whatever decodes must encode and decode to the same model */
        _cleanup_free_ uint8_t *e2 = NULL;
        size_t size2;
        bs_rule d2;
        encode_ok(&d, &e2, &size2);
        g_assert_cmpint(bs_codec_decode(f, e2, size2, NULL, &d2), ==, 0);
        g_assert_true(bs_rule_equal(&d, &d2));
        bs_rule_done(&d);
        bs_rule_done(&d2);
}

static void test_decode_refuses(gconstpointer data) {
        bs_family f = GPOINTER_TO_INT(data);
        size_t hdr = f == BS_FAMILY_IPV6 ? ENTRY6 : ENTRY4;
        bs_rule r, d;

        for (unsigned n = 0; sample_rule(f, n, &r); n++) {
                _cleanup_free_ uint8_t *e = NULL;
                size_t size;
                encode_ok(&r, &e, &size);
                uint16_t toff = target_offset_of(f, e);

                /* truncated at every length: too short for next_offset */
                for (size_t len = 0; len < size; len++) {
                        _cleanup_free_ uint8_t *t = g_memdup2(e, len ? len : 1);
                        g_assert_cmpint(bs_codec_decode(f, len ? t : NULL, len, NULL, &d), ==, -EBADMSG);
                }
                /* ... and with next_offset rewritten to the shorter size */
                for (size_t len = hdr; len < size; len++) {
                        _cleanup_free_ uint8_t *t = g_memdup2(e, len);
                        put16(t + toff_pos(f) + 2, (uint16_t) len);
                        g_assert_cmpint(bs_codec_decode(f, t, len, NULL, &d), <, 0);
                }

                /* bad offsets and sizes */
                const struct {
                        size_t pos;
                        uint16_t value;
                } bad[] = {
                        { toff_pos(f), (uint16_t) (toff + 1) },         /* unaligned target_offset */
                        { toff_pos(f), (uint16_t) (hdr - 8) },          /* inside the header */
                        { toff_pos(f), (uint16_t) (size - 24) },        /* no room for the target */
                        { toff_pos(f), 0xfff8 },                        /* past the end */
                        { toff_pos(f) + 2, (uint16_t) (size + 8) },     /* next_offset != size */
                        { toff, (uint16_t) (size - toff + 8) },         /* target_size too big */
                        { toff, (uint16_t) (size - toff - 8) },         /* target_size too small */
                        { hdr, 0 },                                     /* match_size 0 (or target) */
                        { hdr, 8 },                                     /* smaller than its header */
                        { hdr, 36 },                                    /* unaligned */
                        { hdr, 0xfff8 },                                /* past target_offset */
                };
                for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
                        _cleanup_free_ uint8_t *t = g_memdup2(e, size);
                        put16(t + bad[i].pos, bad[i].value);
                        g_assert_cmpint(bs_codec_decode(f, t, size, NULL, &d), ==, -EBADMSG);
                }

                /* names without their NUL: first match (or the target) and the target */
                _cleanup_free_ uint8_t *t = g_memdup2(e, size);
                memset(t + hdr + 2, 'A', 29);
                g_assert_cmpint(bs_codec_decode(f, t, size, NULL, &d), ==, -EBADMSG);
                memcpy(t, e, size);
                memset(t + toff + 2, 'A', 29);
                g_assert_cmpint(bs_codec_decode(f, t, size, NULL, &d), ==, -EBADMSG);

                /* interface masks iptables would not write */
                memcpy(t, e, size);
                t[f == BS_FAMILY_IPV6 ? 96 + 15 : 48 + 15] = 0xff;
                if (r.in_iface[0] == '\0' || strlen(r.in_iface) < 14)
                        g_assert_cmpint(bs_codec_decode(f, t, size, NULL, &d), ==, -EBADMSG);
                /* an interface name without NUL */
                memcpy(t, e, size);
                memset(t + (f == BS_FAMILY_IPV6 ? 64 : 16), 'i', 16);
                g_assert_cmpint(bs_codec_decode(f, t, size, NULL, &d), ==, -EBADMSG);
                /* unknown header flags, and IPv6's tos */
                memcpy(t, e, size);
                t[f == BS_FAMILY_IPV6 ? 131 : 82] |= 0x80;
                g_assert_cmpint(bs_codec_decode(f, t, size, NULL, &d), ==, -EBADMSG);
                memcpy(t, e, size);
                t[f == BS_FAMILY_IPV6 ? 132 : 83] |= 0x80;
                g_assert_cmpint(bs_codec_decode(f, t, size, NULL, &d), ==, -EBADMSG);
                if (f == BS_FAMILY_IPV6) {
                        memcpy(t, e, size);
                        t[130] = 1;
                        g_assert_cmpint(bs_codec_decode(f, t, size, NULL, &d), ==, -EBADMSG);
                        memcpy(t, e, size);
                        t[131] |= 0x02; /* IP6T_F_TOS */
                        g_assert_cmpint(bs_codec_decode(f, t, size, NULL, &d), ==, -EBADMSG);
                } else {
                        memcpy(t, e, size);
                        t[83] |= 0x04; /* IPT_INV_TOS */
                        g_assert_cmpint(bs_codec_decode(f, t, size, NULL, &d), ==, -EBADMSG);
                }

                /* every byte flipped in turn: an error or a model that round-trips */
                for (size_t i = 0; i < size; i++)
                        for (unsigned v = 0; v < 3; v++) {
                                memcpy(t, e, size);
                                t[i] = v == 0 ? 0x00 : v == 1 ? 0xff : (uint8_t) (t[i] ^ 0x01);
                                corrupt_and_decode(f, t, size);
                        }
                bs_rule_done(&r);
        }
        bs_rule_done(&r);
}

static void test_too_many_matches(void) {
        bs_rule r;
        _cleanup_free_ uint8_t *e = NULL;
        size_t size;

        /* Build 16 matches, then splice in a 17th by hand. */
        bs_rule_init(&r, BS_FAMILY_IPV4);
        for (unsigned i = 0; i < BS_MATCHES_MAX; i++)
                add_opaque_match(&r, "m", 0, 8, (uint8_t) i);
        encode_ok(&r, &e, &size);
        bs_rule_done(&r);

        size_t big = size + 40;
        _cleanup_free_ uint8_t *t = g_malloc0(big);
        memcpy(t, e, ENTRY4);
        memcpy(t + ENTRY4, e + ENTRY4, 40);
        memcpy(t + ENTRY4 + 40, e + ENTRY4, size - ENTRY4);
        put16(t + TOFF4, (uint16_t) (get16(e + TOFF4) + 40));
        put16(t + TOFF4 + 2, (uint16_t) big);
        bs_rule d;
        g_assert_cmpint(bs_codec_decode(BS_FAMILY_IPV4, t, big, NULL, &d), ==, -E2BIG);
        g_assert_cmpuint(d.n_matches, ==, 0);
        g_assert_cmpint(bs_codec_decode(BS_FAMILY_IPV4, e, size, NULL, &d), ==, 0);
        g_assert_cmpuint(d.n_matches, ==, BS_MATCHES_MAX);
        bs_rule_done(&d);

        /* a gap smaller than a match header between the last match and the
         * target (found by fuzz-decode: it once decoded as an empty rule) */
        bs_rule_init(&r, BS_FAMILY_IPV4);
        add_opaque_match(&r, "m", 0, 8, 1);
        g_clear_pointer(&e, free);
        encode_ok(&r, &e, &size);
        bs_rule_done(&r);
        put16(e + ENTRY4, 32);
        g_assert_cmpint(bs_codec_decode(BS_FAMILY_IPV4, e, size, NULL, &d), ==, -EBADMSG);
        g_assert_cmpuint(d.n_matches, ==, 0);
        put16(e + ENTRY4, 40);
        g_assert_cmpint(bs_codec_decode(BS_FAMILY_IPV4, e, size, NULL, &d), ==, 0);
        bs_rule_done(&d);

        /* an unknown family */
        g_assert_cmpint(bs_codec_decode(0, e, size, NULL, &d), ==, -EINVAL);
}

/* Known extensions whose bytes the model cannot hold exactly stay opaque, and
 * every opaque payload comes back byte for byte. */
static void test_opaque(void) {
        bs_rule r, d;
        _cleanup_free_ uint8_t *e = NULL, *e2 = NULL;
        size_t size, size2;

        bs_rule_init(&r, BS_FAMILY_IPV4);
        r.proto = 17;
        bs_match *m = add(&r, BS_MATCH_UDP);
        m->udp = (bs_match_udp){ .sport = { 0, 65535 }, .dport = { 53, 53 } };
        m = add(&r, BS_MATCH_MAC);
        m->mac.invert = true;
        m = add(&r, BS_MATCH_COMMENT);
        strcpy(m->comment, "x");
        r.target.kind = BS_TARGET_LOG;
        encode_ok(&r, &e, &size);
        bs_rule_done(&r);

        /* udp padding byte, mac invert 2, a byte after the comment's NUL, LOG's last prefix byte */
        const size_t udp = ENTRY4 + EXT_HDR, mac = udp + 16 + EXT_HDR, comment = mac + 16 + EXT_HDR;
        uint16_t toff = get16(e + TOFF4);
        e[udp + 9] = 0x42;
        e[mac + 8] = 2;
        e[comment + 100] = 'y';
        e[toff + EXT_HDR + 31] = 'z';
        g_assert_cmpint(bs_codec_decode(BS_FAMILY_IPV4, e, size, NULL, &d), ==, 0);
        g_assert_cmpuint(d.n_matches, ==, 3);
        for (unsigned i = 0; i < 3; i++)
                g_assert_cmpint(d.matches[i].kind, ==, BS_MATCH_OPAQUE);
        g_assert_cmpstr(d.matches[0].opaque.name, ==, "udp");
        g_assert_cmpuint(d.matches[0].opaque.size, ==, 16);
        g_assert_cmpstr(d.matches[1].opaque.name, ==, "mac");
        g_assert_cmpstr(d.matches[2].opaque.name, ==, "comment");
        g_assert_cmpuint(d.matches[2].opaque.size, ==, 256);
        g_assert_cmpint(d.target.kind, ==, BS_TARGET_OPAQUE);
        g_assert_cmpstr(d.target.opaque.name, ==, "LOG");
        encode_ok(&d, &e2, &size2);
        g_assert_cmpmem(e, size, e2, size2);
        bs_rule_done(&d);

        /* unknown revision of a known name; a known name in the other family */
        g_clear_pointer(&e, free);
        g_clear_pointer(&e2, free);
        bs_rule_init(&r, BS_FAMILY_IPV6);
        add_opaque_match(&r, "conntrack", 2, 160, 1);
        add_opaque_match(&r, "icmp", 0, 8, 1);
        add_opaque_match(&r, "tcp", 0, 24, 1); /* wrong size for tcp */
        r.target.kind = BS_TARGET_OPAQUE;
        strcpy(r.target.opaque.name, "REJECT");
        r.target.opaque.revision = 1;
        r.target.opaque.size = 8;
        r.target.opaque.data = g_malloc0(8);
        encode_ok(&r, &e, &size);
        g_assert_cmpint(bs_codec_decode(BS_FAMILY_IPV6, e, size, "REJECT", &d), ==, 0);
        g_assert_true(bs_rule_equal(&r, &d));
        encode_ok(&d, &e2, &size2);
        g_assert_cmpmem(e, size, e2, size2);
        bs_rule_done(&d);
        bs_rule_done(&r);

        /* a REJECT value the kernel refuses stays opaque */
        g_clear_pointer(&e, free);
        bs_rule_init(&r, BS_FAMILY_IPV4);
        r.target.kind = BS_TARGET_REJECT;
        encode_ok(&r, &e, &size);
        e[ENTRY4 + EXT_HDR] = 4; /* echo-reply */
        g_assert_cmpint(bs_codec_decode(BS_FAMILY_IPV4, e, size, "REJECT", &d), ==, 0);
        g_assert_cmpint(d.target.kind, ==, BS_TARGET_OPAQUE);
        bs_rule_done(&d);
        bs_rule_done(&r);
}

/* `ip6tables -p all` writes IP6T_F_PROTO with proto 0; the model reads it as
 * any protocol, and it encodes without the flag (documented, lossy). */
static void test_ipv6_proto_all(void) {
        bs_rule r, d;
        _cleanup_free_ uint8_t *e = NULL, *e2 = NULL;
        size_t size, size2;

        bs_rule_init(&r, BS_FAMILY_IPV6);
        encode_ok(&r, &e, &size);
        e[131] |= 0x01;
        g_assert_cmpint(bs_codec_decode(BS_FAMILY_IPV6, e, size, "", &d), ==, 0);
        g_assert_true(bs_rule_equal(&r, &d));
        encode_ok(&d, &e2, &size2);
        g_assert_cmpuint(e2[131], ==, 0);
        bs_rule_done(&d);

        /* a protocol without the flag is refused: the kernel ignores it */
        e[131] = 0;
        put16(e + 128, 6);
        g_assert_cmpint(bs_codec_decode(BS_FAMILY_IPV6, e, size, "", &d), ==, -EBADMSG);
        bs_rule_done(&r);
}

/* Interface names: '+' kept in the name, mask over the prefix; the NUL
 * included otherwise; bytes after the NUL ignored. */
static void test_iface(void) {
        bs_rule r, d;
        _cleanup_free_ uint8_t *e = NULL;
        size_t size;

        bs_rule_init(&r, BS_FAMILY_IPV4);
        strcpy(r.in_iface, "br-");
        encode_ok(&r, &e, &size);
        g_assert_cmpmem(e + 48, 5, "\xff\xff\xff\xff\0", 5);
        e[16 + 10] = 'q'; /* after the NUL, outside the mask */
        g_assert_cmpint(bs_codec_decode(BS_FAMILY_IPV4, e, size, "", &d), ==, 0);
        g_assert_cmpstr(d.in_iface, ==, "br-");
        bs_rule_done(&d);
        e[48 + 3] = 0; /* mask without the NUL: means "br-+" to the kernel */
        g_assert_cmpint(bs_codec_decode(BS_FAMILY_IPV4, e, size, "", &d), ==, -EBADMSG);
        bs_rule_done(&r);
}

int main(int argc, char **argv) {
        g_test_init(&argc, &argv, NULL);
        g_test_add_data_func("/codec/roundtrip/ipv4", GINT_TO_POINTER(BS_FAMILY_IPV4), test_roundtrip);
        g_test_add_data_func("/codec/roundtrip/ipv6", GINT_TO_POINTER(BS_FAMILY_IPV6), test_roundtrip);
        g_test_add_func("/codec/layout", test_layout);
        g_test_add_func("/codec/kernel-entry", test_kernel_entry);
        g_test_add_func("/codec/kernel-form-targets", test_kernel_form_targets);
        g_test_add_func("/codec/encode-refuses", test_encode_refuses);
        g_test_add_data_func("/codec/decode-refuses/ipv4", GINT_TO_POINTER(BS_FAMILY_IPV4), test_decode_refuses);
        g_test_add_data_func("/codec/decode-refuses/ipv6", GINT_TO_POINTER(BS_FAMILY_IPV6), test_decode_refuses);
        g_test_add_func("/codec/too-many-matches", test_too_many_matches);
        g_test_add_func("/codec/opaque", test_opaque);
        g_test_add_func("/codec/ipv6-proto-all", test_ipv6_proto_all);
        g_test_add_func("/codec/iface", test_iface);
        return g_test_run();
}
