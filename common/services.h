/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Services by name for allow/deny/reject and default-deny --allow: a
 * service is a name from /etc/services (every protocol the file lists for
 * it), a name of the small built-in catalogue (services that need more
 * than one port or protocol, or that /etc/services lacks), or a port.
 * No bus, no output: returns 0 or -errno, so that the unit tests check
 * every case against a file of their own. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SERVICES_FILE "/etc/services"
#define SERVICE_PORTS_MAX 8
#define SERVICE_NAME_MAX 64

typedef struct ServicePort {
        const char *protocol;  /* static: "tcp", "udp", "sctp", "dccp" or "udplite" */
        uint16_t port;
} ServicePort;

typedef struct Service {
        char name[SERVICE_NAME_MAX];
        const char *source;    /* "built-in" or the services file's path */
        const char *description;  /* built-in ones only, else "" */
        ServicePort ports[SERVICE_PORTS_MAX];
        size_t n_ports;
} Service;

/* SPEC is NAME, NAME/PROTO, PORT or PORT/PROTO (a bare PORT means tcp).
 * Errors: -ENOENT no service of that name; -ENODATA the service has no
 * port of the protocol asked for; -EPROTONOSUPPORT an unknown protocol;
 * -ERANGE a port out of 1..65535; -EINVAL anything else malformed. The
 * built-in catalogue comes before the file, where a name is in both. */
int service_resolve(const char *spec, const char *services_path, Service *ret);

/* Every service: the built-in catalogue, then the file's names in the
 * file's order (aliases not repeated). *ret freed with free(). */
int service_list(const char *services_path, Service **ret, size_t *ret_n);

/* Appends the ports of s that v[0..*n) lacks; -E2BIG when more than max
 * would be needed (then *n is as before). */
int service_ports_add(ServicePort *v, size_t *n, size_t max, const Service *s);

/* The static lower-case name of a protocol services may use, or NULL. */
const char *service_protocol(const char *name);
