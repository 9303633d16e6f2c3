/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "services.h"

/* Services that need more than one port or protocol, or that
 * /etc/services lacks. Small on purpose: everything else comes from the
 * file, which the admin can extend. */
static const struct {
        const char *name;
        const char *description;
        ServicePort ports[SERVICE_PORTS_MAX];
        size_t n_ports;
} catalogue[] = {
        { "dns", "DNS server (udp and tcp)", { { "udp", 53 }, { "tcp", 53 } }, 2 },
        { "web", "HTTP and HTTPS, with HTTP/3", { { "tcp", 80 }, { "tcp", 443 }, { "udp", 443 } }, 3 },
        { "http3", "HTTP/3 (QUIC) alone", { { "udp", 443 } }, 1 },
        { "dhcp", "DHCP server (IPv4)", { { "udp", 67 } }, 1 },
        { "dhcpv6", "DHCPv6 server", { { "udp", 547 } }, 1 },
        { "samba", "SMB file sharing with NetBIOS", { { "tcp", 445 }, { "tcp", 139 }, { "udp", 137 }, { "udp", 138 } }, 4 },
        { "wireguard", "WireGuard's usual port", { { "udp", 51820 } }, 1 },
};

#define SERVICES_FILE_MAX (4u << 20)

const char *service_protocol(const char *name) {
        static const char *const protocols[] = { "tcp", "udp", "sctp", "dccp", "udplite" };
        for (size_t i = 0; name && i < sizeof(protocols) / sizeof(protocols[0]); i++)
                if (strcasecmp(name, protocols[i]) == 0)
                        return protocols[i];
        return NULL;
}

/* A port in 1..65535, decimal digits only. */
static int parse_port(const char *s, size_t n, uint16_t *ret) {
        unsigned v = 0;
        if (n == 0 || n > 5)
                return -EINVAL;
        for (size_t i = 0; i < n; i++) {
                if (s[i] < '0' || s[i] > '9')
                        return -EINVAL;
                v = v * 10 + (unsigned) (s[i] - '0');
        }
        if (v == 0 || v > 65535)
                return -ERANGE;
        *ret = (uint16_t) v;
        return 0;
}

static int add_port(Service *s, const char *protocol, uint16_t port) {
        for (size_t i = 0; i < s->n_ports; i++)
                if (s->ports[i].port == port && strcmp(s->ports[i].protocol, protocol) == 0)
                        return 0;
        if (s->n_ports >= SERVICE_PORTS_MAX)
                return 0;  /* more is not a service for a firewall verb */
        s->ports[s->n_ports++] = (ServicePort){ protocol, port };
        return 0;
}

static char *read_file(const char *path) {
        FILE *f = fopen(path, "re");
        if (!f)
                return NULL;
        char *buf = malloc(SERVICES_FILE_MAX + 1);
        size_t n = buf ? fread(buf, 1, SERVICES_FILE_MAX, f) : 0;
        bool bad = ferror(f);
        fclose(f);
        if (!buf || bad) {
                free(buf);
                errno = buf ? EIO : ENOMEM;
                return NULL;
        }
        buf[n] = '\0';
        return buf;
}

/* Calls fn for every entry of the file ("name port/proto alias...", '#'
 * starts a comment; malformed lines and protocols that take no ports are
 * skipped) with the name, the aliases (NULL-terminated) and the port. */
typedef int (*entry_fn)(void *userdata, const char *name, char **aliases, ServicePort p);

static int for_each_entry(const char *path, entry_fn fn, void *userdata) {
        char *text = read_file(path);
        if (!text)
                return -errno;
        int r = 0;
        for (char *line = text, *next; line && r == 0; line = next) {
                next = strchr(line, '\n');
                if (next)
                        *next++ = '\0';
                char *hash = strchr(line, '#');
                if (hash)
                        *hash = '\0';
                char *save = NULL, *words[34];
                size_t n = 0;
                for (char *w = strtok_r(line, " \t\r", &save); w && n < 33; w = strtok_r(NULL, " \t\r", &save))
                        words[n++] = w;
                words[n] = NULL;
                if (n < 2 || strlen(words[0]) >= SERVICE_NAME_MAX)
                        continue;
                char *slash = strchr(words[1], '/');
                ServicePort p;
                if (!slash || parse_port(words[1], (size_t) (slash - words[1]), &p.port) < 0)
                        continue;
                p.protocol = service_protocol(slash + 1);
                if (!p.protocol)
                        continue;
                r = fn(userdata, words[0], words + 2, p);
        }
        free(text);
        return r;
}

typedef struct Lookup {
        const char *name;
        Service *service;
} Lookup;

static int lookup_entry(void *userdata, const char *name, char **aliases, ServicePort p) {
        Lookup *l = userdata;
        bool match = strcasecmp(name, l->name) == 0;
        for (size_t i = 0; !match && aliases[i]; i++)
                match = strcasecmp(aliases[i], l->name) == 0;
        if (match)
                add_port(l->service, p.protocol, p.port);
        return 0;
}

int service_resolve(const char *spec, const char *services_path, Service *ret) {
        Service s = { .source = "", .description = "" };

        if (!spec || !*spec)
                return -EINVAL;
        const char *slash = strchr(spec, '/');
        size_t name_len = slash ? (size_t) (slash - spec) : strlen(spec);
        const char *protocol = NULL;
        if (slash) {
                protocol = service_protocol(slash + 1);
                if (!protocol)
                        return -EPROTONOSUPPORT;
        }
        if (name_len == 0 || name_len >= SERVICE_NAME_MAX)
                return -EINVAL;
        memcpy(s.name, spec, name_len);
        s.name[name_len] = '\0';

        uint16_t port;
        int r = parse_port(s.name, name_len, &port);
        if (r == -ERANGE)
                return r;
        if (r == 0) {
                /* A bare port means tcp, as it does for iptables --dport. */
                s.source = "port";
                add_port(&s, protocol ? protocol : "tcp", port);
                *ret = s;
                return 0;
        }
        /* names start with a letter; "22x" or "-1" is a mistyped port */
        if (!isalpha((unsigned char) s.name[0]))
                return -EINVAL;

        for (size_t i = 0; i < sizeof(catalogue) / sizeof(catalogue[0]) && s.n_ports == 0; i++)
                if (strcasecmp(catalogue[i].name, s.name) == 0) {
                        s.source = "built-in";
                        s.description = catalogue[i].description;
                        for (size_t k = 0; k < catalogue[i].n_ports; k++)
                                add_port(&s, catalogue[i].ports[k].protocol, catalogue[i].ports[k].port);
                }
        if (s.n_ports == 0) {
                Lookup l = { s.name, &s };
                r = for_each_entry(services_path, lookup_entry, &l);
                if (r < 0 && r != -ENOENT)
                        return r;
                s.source = services_path;
        }
        if (s.n_ports == 0)
                return -ENOENT;
        if (protocol) {
                size_t kept = 0;
                for (size_t i = 0; i < s.n_ports; i++)
                        if (strcmp(s.ports[i].protocol, protocol) == 0)
                                s.ports[kept++] = s.ports[i];
                s.n_ports = kept;
                if (kept == 0)
                        return -ENODATA;
        }
        *ret = s;
        return 0;
}

typedef struct Listing {
        const char *path;
        Service *v;
        size_t n, cap;
} Listing;

static int list_entry(void *userdata, const char *name, char **aliases, ServicePort p) {
        Listing *l = userdata;
        (void) aliases;
        for (size_t i = 0; i < l->n; i++)
                if (strcmp(l->v[i].name, name) == 0) {
                        /* a built-in entry of the same name wins */
                        if (strcmp(l->v[i].source, "built-in") != 0)
                                add_port(&l->v[i], p.protocol, p.port);
                        return 0;
                }
        if (l->n == l->cap) {
                size_t cap = l->cap ? l->cap * 2 : 64;
                Service *v = reallocarray(l->v, cap, sizeof(*v));
                if (!v)
                        return -ENOMEM;
                l->v = v;
                l->cap = cap;
        }
        Service *s = &l->v[l->n++];
        *s = (Service){ .source = l->path, .description = "" };
        snprintf(s->name, sizeof(s->name), "%s", name);
        add_port(s, p.protocol, p.port);
        return 0;
}

int service_list(const char *services_path, Service **ret, size_t *ret_n) {
        Listing l = { .path = services_path };
        int r = 0;

        for (size_t i = 0; i < sizeof(catalogue) / sizeof(catalogue[0]) && r == 0; i++) {
                ServicePort first = catalogue[i].ports[0];
                r = list_entry(&l, catalogue[i].name, (char *[]){ NULL }, first);
                if (r == 0) {
                        Service *s = &l.v[l.n - 1];
                        s->source = "built-in";
                        s->description = catalogue[i].description;
                        for (size_t k = 1; k < catalogue[i].n_ports; k++)
                                add_port(s, catalogue[i].ports[k].protocol, catalogue[i].ports[k].port);
                }
        }
        if (r == 0) {
                r = for_each_entry(services_path, list_entry, &l);
                if (r == -ENOENT)
                        r = 0;
        }
        if (r < 0) {
                free(l.v);
                return r;
        }
        *ret = l.v;
        *ret_n = l.n;
        return 0;
}

int service_ports_add(ServicePort *v, size_t *n, size_t max, const Service *s) {
        size_t k = *n;
        for (size_t i = 0; i < s->n_ports; i++) {
                bool dup = false;
                for (size_t j = 0; j < k && !dup; j++)
                        dup = v[j].port == s->ports[i].port && strcmp(v[j].protocol, s->ports[i].protocol) == 0;
                if (dup)
                        continue;
                if (k >= max)
                        return -E2BIG;
                v[k++] = s->ports[i];
        }
        *n = k;
        return 0;
}
