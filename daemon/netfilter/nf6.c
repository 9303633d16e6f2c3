/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Table access for IPv6: the shared body (nf-*.inc.c) on the ip6tc_* API. */

/* libiptc's headers must come before any <linux/...> header. */
#include <libiptc/libip6tc.h>

#define NF_FAMILY BS_FAMILY_IPV6
#define NF_OPS_NAME bs_nf6_ops
#define TC_HANDLE struct xtc_handle
#define TC_ENTRY struct ip6t_entry
#define TC_INIT ip6tc_init
#define TC_FREE ip6tc_free
#define TC_FIRST_CHAIN ip6tc_first_chain
#define TC_NEXT_CHAIN ip6tc_next_chain
#define TC_FIRST_RULE ip6tc_first_rule
#define TC_NEXT_RULE ip6tc_next_rule
#define TC_GET_TARGET ip6tc_get_target
#define TC_BUILTIN ip6tc_builtin
#define TC_IS_CHAIN ip6tc_is_chain
#define TC_GET_POLICY ip6tc_get_policy
#define TC_SET_POLICY ip6tc_set_policy
#define TC_INSERT_ENTRY ip6tc_insert_entry
#define TC_REPLACE_ENTRY ip6tc_replace_entry
#define TC_APPEND_ENTRY ip6tc_append_entry
#define TC_DELETE_NUM_ENTRY ip6tc_delete_num_entry
#define TC_FLUSH_ENTRIES ip6tc_flush_entries
#define TC_ZERO_ENTRIES ip6tc_zero_entries
#define TC_CREATE_CHAIN ip6tc_create_chain
#define TC_DELETE_CHAIN ip6tc_delete_chain
#define TC_COMMIT ip6tc_commit
#define TC_GETINFO struct ip6t_getinfo
#define TC_GET_ENTRIES struct ip6t_get_entries
#define TC_AF AF_INET6
#define TC_SOL IPPROTO_IPV6
#define TC_SO_GET_INFO IP6T_SO_GET_INFO
#define TC_SO_GET_ENTRIES IP6T_SO_GET_ENTRIES
#define TC_REPLACE struct ip6t_replace
#define TC_SO_SET_REPLACE IP6T_SO_SET_REPLACE
#define TC_SO_SET_ADD_COUNTERS IP6T_SO_SET_ADD_COUNTERS

#include "nf-read.inc.c"
#include "nf-raw-read.inc.c"
#include "nf-raw-write.inc.c"
#include "nf-write.inc.c"
