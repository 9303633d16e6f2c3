/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* allow, deny, reject: services by name as INPUT rules, through Apply (the
 * same transaction, timer, pre-flight and polkit action as "apply"); and
 * services, the names they take.
 *
 * The names are resolved here, in the client, not in the daemon: the daemon's
 * API stays iptables syntax (what every other caller, the panels included,
 * sends and what GetChanges and the journal show), the daemon parses and
 * checks the resulting changes exactly as it parses any other, and the client
 * runs on the daemon's own host (the system bus), so /etc/services is the
 * same file either way. */

#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"
#include "parse.h"
#include "util.h"

int ctl_resolve_service(const char *spec, Service *ret) {
        int r = service_resolve(spec, SERVICES_FILE, ret);
        switch (r) {
        case 0:
                return 0;
        case -ENOENT:
                fprintf(stderr, "Unknown service '%s': not a port, not in " SERVICES_FILE ", not built in "
                        "(see 'backstopctl services').\n", spec);
                return EXIT_NOT_FOUND;
        case -ENODATA:
                fprintf(stderr, "Service '%s': no such protocol for this service (see 'backstopctl services').\n",
                        spec);
                return EXIT_NOT_FOUND;
        case -EPROTONOSUPPORT:
                fprintf(stderr, "%s: invalid service '%s': the protocol must be tcp, udp, sctp, dccp or udplite\n",
                        program_invocation_short_name, spec);
                return EXIT_USAGE;
        case -ERANGE:
                fprintf(stderr, "%s: invalid service '%s': ports are 1-65535\n", program_invocation_short_name,
                        spec);
                return EXIT_USAGE;
        case -EINVAL:
                fprintf(stderr, "%s: invalid service '%s': expected NAME, NAME/PROTO, PORT or PORT/PROTO, "
                        "e.g. ssh, dns, 8080/tcp\n", program_invocation_short_name, spec);
                return EXIT_USAGE;
        default:
                return log_local_error(r, "read " SERVICES_FILE);
        }
}

/* --- allow / deny / reject -------------------------------------------------- */

/* A rule that ends INPUT for everything: "-j DROP", "-j REJECT [--reject-with X]".
 * New rules go before it, else they would never be reached. */
static bool is_catch_all(const char *spec) {
        return strcmp(spec, "-j DROP") == 0 || strcmp(spec, "-j REJECT") == 0 ||
               strncmp(spec, "-j REJECT --reject-with ", 24) == 0;
}

typedef struct FamilyRules {
        int family;            /* 4 or 6 */
        char **rules;          /* INPUT's rules as -S prints them, after "-A INPUT " */
        size_t n;
        size_t insert_at;      /* position of the first catch-all rule, 0: none (append) */
} FamilyRules;

/* What -S shows of REJECT without --reject-with in family f (the
 * kernel's default): "" for the other targets. */
static const char *reject_suffix(const char *target, int f) {
        if (strcmp(target, "REJECT") != 0)
                return "";
        return f == 6 ? " --reject-with icmp6-port-unreachable" : " --reject-with icmp-port-unreachable";
}

/* The rule as iptables -S prints it after "-A INPUT ", but for suffix. */
static char *rule_spec(const char *source, const ServicePort *p, const char *target, const char *suffix) {
        char *s = NULL;
        if (asprintf(&s, "%s%s%s-p %s -m %s --dport %u -j %s%s", source ? "-s " : "", source ? source : "",
                     source ? " " : "", p->protocol, p->protocol, p->port, target, suffix) < 0)
                return NULL;
        return s;
}

static bool has_rule(const FamilyRules *fr, const char *spec) {
        for (size_t i = 0; i < fr->n; i++)
                if (strcmp(fr->rules[i], spec) == 0)
                        return true;
        return false;
}

static int push(char ***v, size_t *n, size_t *cap, char *s) {
        if (!s)
                return -ENOMEM;
        if (*n + 1 >= *cap) {
                size_t ncap = *cap ? *cap * 2 : 16;
                char **nv = reallocarray(*v, ncap, sizeof(char *));
                if (!nv) {
                        free(s);
                        return -ENOMEM;
                }
                *v = nv;
                *cap = ncap;
        }
        (*v)[(*n)++] = s;
        (*v)[*n] = NULL;
        return 0;
}

/* The change for one family: "-I INPUT N spec" before a catch-all, else "-A INPUT spec". */
static char *change_for(FamilyRules *fr, const char *spec) {
        char *s = NULL;
        int r = fr->insert_at > 0 ? asprintf(&s, "-I INPUT %zu %s", fr->insert_at++, spec)
                                  : asprintf(&s, "-A INPUT %s", spec);
        return r < 0 ? NULL : s;
}

static int service_rules(Ctl *c, const char *target) {
        FamilyRules fams[2] = {};
        size_t nf = 0;
        ServicePort ports[MAX_SERVICES * SERVICE_PORTS_MAX];
        size_t n_ports = 0;
        char source[INET6_ADDRSTRLEN + 8], **changes = NULL;
        size_t n_changes = 0, cap = 0;
        int from_family = 0, r;

        for (size_t i = 0; i < c->n_args; i++) {
                Service s;
                r = ctl_resolve_service(c->args[i], &s);
                if (r != 0)
                        return r;
                /* (MAX_SERVICES arguments of SERVICE_PORTS_MAX ports each fit) */
                (void) service_ports_add(ports, &n_ports, sizeof(ports) / sizeof(ports[0]), &s);
        }
        if (c->from) {
                if (parse_source(c->from, &from_family, source, sizeof(source)) < 0) {
                        fprintf(stderr, "%s: invalid --from '%s': expected an IPv4 or IPv6 address with an "
                                "optional /PREFIX, e.g. 192.0.2.0/24\n", program_invocation_short_name, c->from);
                        return EXIT_USAGE;
                }
                if (c->family != 0 && c->family != from_family) {
                        fprintf(stderr, "%s: --from '%s' is an IPv%d address, but -%d was given\n",
                                program_invocation_short_name, c->from, from_family, c->family);
                        return EXIT_USAGE;
                }
        }

        int families[2];
        r = ctl_families(c, from_family, families, &nf);
        if (r != 0)
                return r;
        for (size_t f = 0; f < nf; f++)
                fams[f].family = families[f];
        for (size_t f = 0; f < nf; f++) {
                _cleanup_free_ char *text = NULL;
                r = ctl_get_rules_text(c, fams[f].family == 6 ? "ipv6" : "ipv4", "INPUT", false, &text, NULL);
                if (r == 0 && rules_of_chain(text, "INPUT", &fams[f].rules, &fams[f].n) < 0)
                        r = log_local_error(-ENOMEM, "read the rules");
                if (r != 0)
                        goto out;
                for (size_t i = 0; i < fams[f].n && fams[f].insert_at == 0; i++)
                        if (is_catch_all(fams[f].rules[i]))
                                fams[f].insert_at = i + 1;
        }

        /* One change for both families where they need the same one (the
         * daemon applies it to each), else one change per family. */
        for (size_t i = 0; i < n_ports; i++) {
                char *per[2] = {};
                for (size_t f = 0; f < nf; f++) {
                        const char *src = c->from ? source : NULL;
                        _cleanup_free_ char *shown = rule_spec(src, &ports[i], target,
                                                               reject_suffix(target, fams[f].family));
                        _cleanup_free_ char *plain = rule_spec(src, &ports[i], target, "");
                        if (!shown || !plain) {
                                r = log_local_error(-ENOMEM, "build the changes");
                                goto out_per;
                        }
                        if (has_rule(&fams[f], shown))
                                continue;
                        per[f] = change_for(&fams[f], plain);
                        if (!per[f]) {
                                r = log_local_error(-ENOMEM, "build the changes");
                                goto out_per;
                        }
                }
                if (nf == 2 && per[0] && per[1] && strcmp(per[0], per[1]) == 0) {
                        r = push(&changes, &n_changes, &cap, per[0]);
                        per[0] = NULL;
                } else
                        for (size_t f = 0; f < nf && r == 0; f++)
                                if (per[f]) {
                                        char *s = NULL;
                                        r = asprintf(&s, "-%d %s", fams[f].family, per[f]) < 0 ? -ENOMEM : 0;
                                        if (r == 0)
                                                r = push(&changes, &n_changes, &cap, s);
                                }
                if (r < 0)
                        r = log_local_error(r, "build the changes");
        out_per:
                free(per[0]);
                free(per[1]);
                if (r != 0)
                        goto out;
        }

        if (n_changes == 0)
                r = ctl_nothing_to_do(c, "INPUT has these rules already");
        else
                r = ctl_apply_changes(c, changes, n_changes);
out:
        for (size_t f = 0; f < nf; f++)
                strv_free(fams[f].rules);
        strv_free(changes);
        return r;
}

int verb_allow(Ctl *c) {
        return service_rules(c, "ACCEPT");
}

int verb_deny(Ctl *c) {
        return service_rules(c, "DROP");
}

int verb_reject(Ctl *c) {
        return service_rules(c, "REJECT");
}

/* --- services ----------------------------------------------------------------- */

static void ports_text(const Service *s, char *buf, size_t size) {
        size_t off = 0;
        buf[0] = '\0';
        for (size_t i = 0; i < s->n_ports && off < size; i++)
                off += (size_t) snprintf(buf + off, size - off, "%s%u/%s", i ? " " : "", s->ports[i].port,
                                         s->ports[i].protocol);
}

int verb_services(Ctl *c) {
        _cleanup_free_ Service *list = NULL;
        size_t n = 0;
        int r;

        if (c->n_args > 0) {
                list = calloc(c->n_args, sizeof(Service));
                if (!list)
                        return log_local_error(-ENOMEM, "list services");
                for (; n < c->n_args; n++) {
                        r = ctl_resolve_service(c->args[n], &list[n]);
                        if (r != 0)
                                return r;
                }
        } else {
                r = service_list(SERVICES_FILE, &list, &n);
                if (r < 0)
                        return log_local_error(r, "read " SERVICES_FILE);
        }

        if (c->json) {
                JsonWriter w;
                ctl_json_init(c, &w);
                json_begin_object(&w);
                json_key(&w, "services");
                json_begin_array(&w);
                for (size_t i = 0; i < n; i++) {
                        json_begin_object(&w);
                        json_kv_string(&w, "name", list[i].name);
                        json_key(&w, "ports");
                        json_begin_array(&w);
                        for (size_t k = 0; k < list[i].n_ports; k++) {
                                json_begin_object(&w);
                                json_kv_uint(&w, "port", list[i].ports[k].port);
                                json_kv_string(&w, "protocol", list[i].ports[k].protocol);
                                json_end_object(&w);
                        }
                        json_end_array(&w);
                        json_kv_string(&w, "source", list[i].source);
                        json_kv_string(&w, "description", list[i].description);
                        json_end_object(&w);
                }
                json_end_array(&w);
                json_end_object(&w);
                return ctl_finish_json(&w);
        }
        ctl_pager(c);
        for (size_t i = 0; i < n; i++) {
                char ports[SERVICE_PORTS_MAX * 16];
                ports_text(&list[i], ports, sizeof(ports));
                printf("%-16s %-28s %s%s%s\n", list[i].name, ports, list[i].source,
                       *list[i].description ? ": " : "", list[i].description);
        }
        return 0;
}
