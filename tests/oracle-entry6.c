/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <libiptc/libip6tc.h>

#define ENTRY struct ip6t_entry
#define IPFIELD ipv6
#define HANDLE_INIT ip6tc_init
#define FIRST ip6tc_first_rule
#define NEXT ip6tc_next_rule
#define GET_TARGET ip6tc_get_target
#define FREE ip6tc_free
#define FN(x) x##6
#define F(name) { #name, offsetof(struct ip6t_ip6, name), sizeof(((struct ip6t_ip6 *) NULL)->name) }
#define IP_FIELDS                                                                                     \
        F(src), F(dst), F(smsk), F(dmsk), F(iniface), F(outiface), F(iniface_mask), F(outiface_mask), \
                F(proto), F(tos), F(flags), F(invflags)

#include "oracle-entry.inc.c"
