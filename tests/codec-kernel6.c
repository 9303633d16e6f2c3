/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* IPv6 half of the raw libiptc helpers (see codec-kernel.h): the body is
 * codec-kernel.inc.c. */
#include <libiptc/libip6tc.h>

#define FN(name) kernel6_##name
#define KERNEL_ENTRY struct ip6t_entry
#define KERNEL_INIT ip6tc_init
#define KERNEL_FIRST_RULE ip6tc_first_rule
#define KERNEL_NEXT_RULE ip6tc_next_rule
#define KERNEL_GET_TARGET ip6tc_get_target
#define KERNEL_FREE ip6tc_free
#define KERNEL_APPEND_ENTRY ip6tc_append_entry
#define KERNEL_COMMIT ip6tc_commit

#include "codec-kernel.inc.c"
