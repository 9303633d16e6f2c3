/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Tables of names, as iptables 1.8.9 knows them: ICMP types, reject
 * types, log levels, TCP flags, conntrack states and statuses, address
 * types; protocol names come from the system database, as iptables takes
 * them, service names from one table of /etc/services. */
#include "text-internal.h"

#include <fcntl.h>
#include <netdb.h>
#include <pthread.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

static const text_icmp_name icmp_names[] = {
        { "any", 0xFF, 0, 0xFF },
        { "echo-reply", 0, 0, 0xFF },
        { "pong", 0, 0, 0xFF },
        { "destination-unreachable", 3, 0, 0xFF },
        { "network-unreachable", 3, 0, 0 },
        { "host-unreachable", 3, 1, 1 },
        { "protocol-unreachable", 3, 2, 2 },
        { "port-unreachable", 3, 3, 3 },
        { "fragmentation-needed", 3, 4, 4 },
        { "source-route-failed", 3, 5, 5 },
        { "network-unknown", 3, 6, 6 },
        { "host-unknown", 3, 7, 7 },
        { "network-prohibited", 3, 9, 9 },
        { "host-prohibited", 3, 10, 10 },
        { "TOS-network-unreachable", 3, 11, 11 },
        { "TOS-host-unreachable", 3, 12, 12 },
        { "communication-prohibited", 3, 13, 13 },
        { "host-precedence-violation", 3, 14, 14 },
        { "precedence-cutoff", 3, 15, 15 },
        { "source-quench", 4, 0, 0xFF },
        { "redirect", 5, 0, 0xFF },
        { "network-redirect", 5, 0, 0 },
        { "host-redirect", 5, 1, 1 },
        { "TOS-network-redirect", 5, 2, 2 },
        { "TOS-host-redirect", 5, 3, 3 },
        { "echo-request", 8, 0, 0xFF },
        { "ping", 8, 0, 0xFF },
        { "router-advertisement", 9, 0, 0xFF },
        { "router-solicitation", 10, 0, 0xFF },
        { "time-exceeded", 11, 0, 0xFF },
        { "ttl-exceeded", 11, 0, 0xFF },
        { "ttl-zero-during-transit", 11, 0, 0 },
        { "ttl-zero-during-reassembly", 11, 1, 1 },
        { "parameter-problem", 12, 0, 0xFF },
        { "ip-header-bad", 12, 0, 0 },
        { "required-option-missing", 12, 1, 1 },
        { "timestamp-request", 13, 0, 0xFF },
        { "timestamp-reply", 14, 0, 0xFF },
        { "address-mask-request", 17, 0, 0xFF },
        { "address-mask-reply", 18, 0, 0xFF },
};

static const text_icmp_name icmp6_names[] = {
        { "destination-unreachable", 1, 0, 0xFF },
        { "no-route", 1, 0, 0 },
        { "communication-prohibited", 1, 1, 1 },
        { "beyond-scope", 1, 2, 2 },
        { "address-unreachable", 1, 3, 3 },
        { "port-unreachable", 1, 4, 4 },
        { "failed-policy", 1, 5, 5 },
        { "reject-route", 1, 6, 6 },
        { "packet-too-big", 2, 0, 0xFF },
        { "time-exceeded", 3, 0, 0xFF },
        { "ttl-exceeded", 3, 0, 0xFF },
        { "ttl-zero-during-transit", 3, 0, 0 },
        { "ttl-zero-during-reassembly", 3, 1, 1 },
        { "parameter-problem", 4, 0, 0xFF },
        { "bad-header", 4, 0, 0 },
        { "unknown-header-type", 4, 1, 1 },
        { "unknown-option", 4, 2, 2 },
        { "echo-request", 128, 0, 0xFF },
        { "ping", 128, 0, 0xFF },
        { "echo-reply", 129, 0, 0xFF },
        { "pong", 129, 0, 0xFF },
        { "router-solicitation", 133, 0, 0xFF },
        { "router-advertisement", 134, 0, 0xFF },
        { "neighbour-solicitation", 135, 0, 0xFF },
        { "neighbor-solicitation", 135, 0, 0xFF },
        { "neighbour-advertisement", 136, 0, 0xFF },
        { "neighbor-advertisement", 136, 0, 0xFF },
        { "redirect", 137, 0, 0xFF },
};

const text_icmp_name *text_icmp_names(bs_family f, size_t *n) {
        if (f == BS_FAMILY_IPV6) {
                *n = ELEMENTSOF(icmp6_names);
                return icmp6_names;
        }
        *n = ELEMENTSOF(icmp_names);
        return icmp_names;
}

/* Matched by prefix, first hit wins, so the order is iptables' order. */
static const text_reject_name reject4_names[] = {
        { "icmp-net-unreachable", "net-unreach", IPT_ICMP_NET_UNREACHABLE },
        { "icmp-host-unreachable", "host-unreach", IPT_ICMP_HOST_UNREACHABLE },
        { "icmp-proto-unreachable", "proto-unreach", IPT_ICMP_PROT_UNREACHABLE },
        { "icmp-port-unreachable", "port-unreach", IPT_ICMP_PORT_UNREACHABLE },
        { "icmp-net-prohibited", "net-prohib", IPT_ICMP_NET_PROHIBITED },
        { "icmp-host-prohibited", "host-prohib", IPT_ICMP_HOST_PROHIBITED },
        { "tcp-reset", "tcp-rst", IPT_TCP_RESET },
        { "icmp-admin-prohibited", "admin-prohib", IPT_ICMP_ADMIN_PROHIBITED },
};

static const text_reject_name reject6_names[] = {
        { "icmp6-no-route", "no-route", IP6T_ICMP6_NO_ROUTE },
        { "icmp6-adm-prohibited", "adm-prohibited", IP6T_ICMP6_ADM_PROHIBITED },
        { "icmp6-addr-unreachable", "addr-unreach", IP6T_ICMP6_ADDR_UNREACH },
        { "icmp6-port-unreachable", "port-unreach", IP6T_ICMP6_PORT_UNREACH },
        { "tcp-reset", "tcp-reset", IP6T_TCP_RESET },
        { "icmp6-policy-fail", "policy-fail", IP6T_ICMP6_POLICY_FAIL },
        { "icmp6-reject-route", "reject-route", IP6T_ICMP6_REJECT_ROUTE },
};

const text_reject_name *text_reject_names(bs_family f, size_t *n) {
        if (f == BS_FAMILY_IPV6) {
                *n = ELEMENTSOF(reject6_names);
                return reject6_names;
        }
        *n = ELEMENTSOF(reject4_names);
        return reject4_names;
}

const char *text_reject_to_string(bs_family f, uint32_t with) {
        size_t n;
        const text_reject_name *t = text_reject_names(f, &n);
        for (size_t i = 0; i < n; i++)
                if (t[i].with == with)
                        return t[i].name;
        return NULL;
}

int text_log_level_from_string(const char *s) {
        static const struct {
                const char *name;
                int level;
        } names[] = {
                { "alert", LOG_ALERT },   { "crit", LOG_CRIT },     { "debug", LOG_DEBUG },
                { "emerg", LOG_EMERG },   { "error", LOG_ERR },     { "info", LOG_INFO },
                { "notice", LOG_NOTICE }, { "panic", LOG_EMERG },   { "warning", LOG_WARNING },
        };
        uintmax_t v;
        if (text_strtoul(s, 0, 0, 7, &v))
                return (int) v;
        for (size_t i = 0; i < ELEMENTSOF(names); i++)
                if (streq(names[i].name, s))
                        return names[i].level;
        return -1;
}

const text_flag_name text_tcp_flags[] = {
        { "FIN", 0x01 }, { "SYN", 0x02 }, { "RST", 0x04 }, { "PSH", 0x08 },
        { "ACK", 0x10 }, { "URG", 0x20 }, { "ALL", 0x3F }, { "NONE", 0 },
};
const size_t text_tcp_flags_n = ELEMENTSOF(text_tcp_flags);

const text_flag_name text_ct_states[] = {
        { "INVALID", XT_CONNTRACK_STATE_INVALID },
        { "NEW", XT_CONNTRACK_STATE_BIT(IP_CT_NEW) },
        { "RELATED", XT_CONNTRACK_STATE_BIT(IP_CT_RELATED) },
        { "ESTABLISHED", XT_CONNTRACK_STATE_BIT(IP_CT_ESTABLISHED) },
        { "UNTRACKED", XT_CONNTRACK_STATE_UNTRACKED },
        { "SNAT", XT_CONNTRACK_STATE_SNAT },
        { "DNAT", XT_CONNTRACK_STATE_DNAT },
};
const size_t text_ct_states_n = ELEMENTSOF(text_ct_states);

const text_flag_name text_ct_statuses[] = {
        { "EXPECTED", IPS_EXPECTED },
        { "SEEN_REPLY", IPS_SEEN_REPLY },
        { "ASSURED", IPS_ASSURED },
        { "CONFIRMED", IPS_CONFIRMED },
};
const size_t text_ct_statuses_n = ELEMENTSOF(text_ct_statuses);

const char *const text_addrtypes[] = {
        "UNSPEC", "UNICAST", "LOCAL", "BROADCAST", "ANYCAST", "MULTICAST",
        "BLACKHOLE", "UNREACHABLE", "PROHIBIT", "THROW", "NAT", "XRESOLVE",
};
const size_t text_addrtypes_n = ELEMENTSOF(text_addrtypes);

/* ------------------------------------------------------------ protocols */

/* iptables' own names, tried after the protocols database. */
static const struct {
        const char *name;
        uint16_t num;
} chain_protos[] = {
        { "tcp", IPPROTO_TCP },         { "sctp", IPPROTO_SCTP }, { "udp", IPPROTO_UDP },
        { "udplite", IPPROTO_UDPLITE }, { "icmp", IPPROTO_ICMP }, { "icmpv6", IPPROTO_ICMPV6 },
        { "esp", IPPROTO_ESP },         { "ah", IPPROTO_AH },     { "mh", IPPROTO_MH },
};

int text_proto_from_string(const char *s, uint16_t *ret) {
        /* The last names found, per thread: getprotobyname_r opens and scans
         * /etc/protocols each time (a fifth of parsing 10,000 changes).
         * Asked first, as most lines name their protocol: a name gets
         * here only after it was neither a number nor "all", so asking
         * before those changes no answer. */
        static __thread struct {
                char name[16];
                uint16_t num;
        } found[8];
        static __thread unsigned next_found;
        for (size_t i = 0; i < ELEMENTSOF(found); i++)
                if (found[i].name[0] == s[0] && found[i].name[0] && streq(found[i].name, s)) {
                        *ret = found[i].num;
                        return 0;
                }
        uintmax_t v;
        if (text_strtoul(s, 0, 0, UINT8_MAX, &v)) {
                *ret = (uint16_t) v;
                return 0;
        }
        if (streq(s, "all")) {
                *ret = 0;
                return 0;
        }
        struct protoent pe, *res = NULL;
        char buf[1024];
        if (getprotobyname_r(s, &pe, buf, sizeof(buf), &res) == 0 && res) {
                *ret = (uint16_t) res->p_proto;
                if (strlen(s) < sizeof(found[0].name)) {
                        unsigned k = next_found++ % ELEMENTSOF(found);
                        strcpy(found[k].name, s);
                        found[k].num = *ret;
                }
                return 0;
        }
        for (size_t i = 0; i < ELEMENTSOF(chain_protos); i++)
                if (streq(s, chain_protos[i].name)) {
                        *ret = chain_protos[i].num;
                        return 0;
                }
        return -ENOENT;
}

/* What getprotobynumber_r answers, then our table: looked up once per
 * protocol number and thread, since every lookup opens and scans
 * /etc/protocols (it was most of the time of rendering a 10,000-rule table). */
typedef struct proto_name_cache {
        bool looked_up;
        char name[32];  /* "" when nothing knows the number */
} proto_name_cache;

static const char *proto_lookup(uint16_t proto, char *buf, size_t size) {
        struct protoent pe, *res = NULL;
        char tmp[1024];
        if (getprotobynumber_r(proto, &pe, tmp, sizeof(tmp), &res) == 0 && res) {
                snprintf(buf, size, "%s", res->p_name);
                return buf;
        }
        for (size_t i = 0; i < ELEMENTSOF(chain_protos); i++)
                if (chain_protos[i].num == proto) {
                        snprintf(buf, size, "%s", chain_protos[i].name);
                        return buf;
                }
        return NULL;
}

const char *text_proto_to_name(uint16_t proto, char *buf, size_t size) {
        static __thread proto_name_cache cache[256];
        if (proto == 0)
                return NULL;
        if (proto >= ELEMENTSOF(cache))
                return proto_lookup(proto, buf, size);
        proto_name_cache *c = &cache[proto];
        if (!c->looked_up) {
                char name[256];
                if (!proto_lookup(proto, name, sizeof(name)))
                        name[0] = '\0';
                else if (strlen(name) >= sizeof(c->name))
                        return proto_lookup(proto, buf, size);  /* too long to keep: never cached */
                snprintf(c->name, sizeof(c->name), "%s", name);
                c->looked_up = true;
        }
        if (!c->name[0])
                return NULL;
        if (size > 0) {
                size_t len = strnlen(c->name, size - 1);
                memcpy(buf, c->name, len);
                buf[len] = '\0';
        }
        return buf;
}

/* The services database as one table, read from /etc/services, in place
 * of getservbyname_r: that opens and scans the whole file for every name
 * (39 us each here), and a change may name hundreds of services. Every
 * distribution's nsswitch.conf answers "services" from the files (Debian's
 * "db files" finds no db), so names that are not in the file are unknown,
 * as a lookup that scans the file and finds nothing would say; no NSS
 * fallback, which would put the per-name scan back for exactly the names
 * that cost most. Entries sorted by name, then by line: the first entry of
 * a name (with the protocol asked for) is what getservbyname_r answers.
 * Read again when the file changes (checked at most once a second); one
 * table for all threads, behind a mutex. */
typedef struct service_entry {
        const char *name;  /* the service's name or one of its aliases */
        const char *proto;
        uint32_t line;
        uint16_t port;
} service_entry;

static struct {
        pthread_mutex_t lock;
        const char *path;
        bool loaded;
        struct stat st;         /* of the file read; st_ino 0: none */
        uint64_t checked_usec;  /* when the file was last stat'ed */
        service_entry *entries;
        size_t n;
        char *text;             /* the file's contents, cut into names */
} services = { .lock = PTHREAD_MUTEX_INITIALIZER, .path = "/etc/services" };

#define SERVICES_FILE_MAX (4u << 20)
#define SERVICES_CHECK_USEC 1000000ULL

static int service_entry_cmp(const void *a, const void *b) {
        const service_entry *x = a, *y = b;
        int c = strcmp(x->name, y->name);
        return c != 0 ? c : x->line < y->line ? -1 : x->line > y->line;
}

static bool is_blank(char c) {
        return c == ' ' || c == '\t';
}

/* The next blank-separated word of *p (cut in place), or NULL. */
static char *next_word(char **p) {
        char *s = *p;
        while (is_blank(*s))
                s++;
        if (!*s)
                return NULL;
        char *e = s;
        while (*e && !is_blank(*e))
                e++;
        if (*e)
                *e++ = '\0';
        *p = e;
        return s;
}

/* nss_files' parser: "name port/proto alias...", '#' to the end of a line
 * is a comment, a malformed line is skipped. */
static int services_parse(char *text, service_entry **ret, size_t *ret_n) {
        service_entry *v = NULL;
        size_t n = 0, cap = 0;
        uint32_t line_no = 0;
        for (char *line = text, *next; line; line = next) {
                next = strchr(line, '\n');
                if (next)
                        *next++ = '\0';
                line_no++;
                char *hash = strchr(line, '#');
                if (hash)
                        *hash = '\0';
                char *p = line, *name = next_word(&p), *port_proto = next_word(&p);
                if (!name || !port_proto)
                        continue;
                char *slash = strchr(port_proto, '/'), *end;
                if (!slash || slash == port_proto)
                        continue;
                unsigned long port = strtoul(port_proto, &end, 10);
                if (end != slash)
                        continue;
                while (*slash == '/')
                        slash++;
                if (!*slash)
                        continue;
                for (char *alias = name; alias; alias = next_word(&p)) {
                        if (bs_grow((void **) &v, &cap, n + 1, sizeof(*v)) < 0) {
                                free(v);
                                return -ENOMEM;
                        }
                        v[n++] = (service_entry){ .name = alias, .proto = slash, .line = line_no,
                                                  .port = (uint16_t) port };
                }
        }
        if (n > 0)
                qsort(v, n, sizeof(*v), service_entry_cmp);
        *ret = v;
        *ret_n = n;
        return 0;
}

static uint64_t monotonic_usec(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (uint64_t) ts.tv_sec * 1000000ULL + (uint64_t) ts.tv_nsec / 1000ULL;
}

static bool same_stat(const struct stat *a, const struct stat *b) {
        return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
               a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

/* Under the lock: the table up to date with the file. A file that cannot
 * be read leaves an empty table (every name unknown), and is tried again
 * at the next check. */
static void services_refresh(void) {
        uint64_t now = monotonic_usec();
        if (services.loaded && now - services.checked_usec < SERVICES_CHECK_USEC)
                return;
        services.checked_usec = now;
        struct stat st = {};
        int fd = open(services.path, O_RDONLY | O_CLOEXEC);
        if (fd >= 0 && (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size > SERVICES_FILE_MAX))
                st = (struct stat){};
        if (services.loaded && same_stat(&st, &services.st)) {
                if (fd >= 0)
                        close(fd);
                return;
        }
        free(services.entries);
        free(services.text);
        services.entries = NULL;
        services.text = NULL;
        services.n = 0;
        services.loaded = true;
        services.st = (struct stat){};
        if (fd < 0 || st.st_ino == 0) {
                if (fd >= 0)
                        close(fd);
                return;
        }
        char *text = malloc((size_t) st.st_size + 1);
        ssize_t len = text ? read(fd, text, (size_t) st.st_size) : -1;
        close(fd);
        if (len != st.st_size) {
                free(text);
                services.loaded = false;  /* changed while read, or no memory: again next time */
                return;
        }
        text[len] = '\0';
        if (services_parse(text, &services.entries, &services.n) < 0) {
                free(text);
                services.loaded = false;
                return;
        }
        services.text = text;
        services.st = st;
}

void text_services_use_file(const char *path) {
        pthread_mutex_lock(&services.lock);
        services.path = path;
        services.loaded = false;
        services.checked_usec = 0;
        pthread_mutex_unlock(&services.lock);
}

int text_service_port(const char *name, const char *proto) {
        int port = -1;
        pthread_mutex_lock(&services.lock);
        services_refresh();
        /* the first entry of the name, then the first of those with proto */
        size_t lo = 0, hi = services.n;
        while (lo < hi) {
                size_t mid = lo + (hi - lo) / 2;
                if (strcmp(services.entries[mid].name, name) < 0)
                        lo = mid + 1;
                else
                        hi = mid;
        }
        for (size_t i = lo; i < services.n && streq(services.entries[i].name, name); i++)
                if (!proto || streq(services.entries[i].proto, proto)) {
                        port = services.entries[i].port;
                        break;
                }
        pthread_mutex_unlock(&services.lock);
        return port;
}

/* ------------------------------------------------------------ extensions */

bool text_known_target_extension(const char *name) {
        static const char *const names[] = {
                "AUDIT",    "CHECKSUM", "CLASSIFY",  "CLUSTERIP", "CONNMARK", "CONNSECMARK",
                "CT",       "DNAT",     "DNPT",      "DSCP",      "ECN",      "HL",
                "HMARK",    "IDLETIMER", "LED",      "MARK",      "MASQUERADE", "NETMAP",
                "NFLOG",    "NFQUEUE",  "NOTRACK",   "RATEEST",   "REDIRECT", "SECMARK",
                "SET",      "SNAT",     "SNPT",      "SYNPROXY",  "TCPMSS",   "TCPOPTSTRIP",
                "TEE",      "TOS",      "TPROXY",    "TRACE",     "TTL",      "ULOG",
        };
        for (size_t i = 0; i < ELEMENTSOF(names); i++)
                if (streq(names[i], name))
                        return true;
        return false;
}
