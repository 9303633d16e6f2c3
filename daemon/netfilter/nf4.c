/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Table access for IPv4: the shared body (nf-*.inc.c) on the iptc_* API. */

/* libiptc's headers must come before any <linux/...> header. */
#include <libiptc/libiptc.h>

#define NF_FAMILY BS_FAMILY_IPV4
#define NF_OPS_NAME bs_nf4_ops
#define TC_HANDLE struct xtc_handle
#define TC_ENTRY struct ipt_entry
#define TC_INIT iptc_init
#define TC_FREE iptc_free
#define TC_FIRST_CHAIN iptc_first_chain
#define TC_NEXT_CHAIN iptc_next_chain
#define TC_FIRST_RULE iptc_first_rule
#define TC_NEXT_RULE iptc_next_rule
#define TC_GET_TARGET iptc_get_target
#define TC_BUILTIN iptc_builtin
#define TC_IS_CHAIN iptc_is_chain
#define TC_GET_POLICY iptc_get_policy
#define TC_SET_POLICY iptc_set_policy
#define TC_INSERT_ENTRY iptc_insert_entry
#define TC_REPLACE_ENTRY iptc_replace_entry
#define TC_APPEND_ENTRY iptc_append_entry
#define TC_DELETE_NUM_ENTRY iptc_delete_num_entry
#define TC_FLUSH_ENTRIES iptc_flush_entries
#define TC_ZERO_ENTRIES iptc_zero_entries
#define TC_CREATE_CHAIN iptc_create_chain
#define TC_DELETE_CHAIN iptc_delete_chain
#define TC_COMMIT iptc_commit
#define TC_GETINFO struct ipt_getinfo
#define TC_GET_ENTRIES struct ipt_get_entries
#define TC_AF AF_INET
#define TC_SOL IPPROTO_IP
#define TC_SO_GET_INFO IPT_SO_GET_INFO
#define TC_SO_GET_ENTRIES IPT_SO_GET_ENTRIES
#define TC_REPLACE struct ipt_replace
#define TC_SO_SET_REPLACE IPT_SO_SET_REPLACE
#define TC_SO_SET_ADD_COUNTERS IPT_SO_SET_ADD_COUNTERS

#include "nf-read.inc.c"
#include "nf-raw-read.inc.c"
#include "nf-raw-write.inc.c"
#include "nf-write.inc.c"
