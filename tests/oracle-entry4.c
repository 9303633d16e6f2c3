/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <libiptc/libiptc.h>

#define ENTRY struct ipt_entry
#define IPFIELD ip
#define HANDLE_INIT iptc_init
#define FIRST iptc_first_rule
#define NEXT iptc_next_rule
#define GET_TARGET iptc_get_target
#define FREE iptc_free
#define FN(x) x##4
#define F(name) { #name, offsetof(struct ipt_ip, name), sizeof(((struct ipt_ip *) NULL)->name) }
#define IP_FIELDS                                                                                     \
        F(src), F(dst), F(smsk), F(dmsk), F(iniface), F(outiface), F(iniface_mask), F(outiface_mask), \
                F(proto), F(flags), F(invflags)

#include "oracle-entry.inc.c"
