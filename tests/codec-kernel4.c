/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* IPv4 half of the raw libiptc helpers (see codec-kernel.h): the body is
 * codec-kernel.inc.c. */
#include <libiptc/libiptc.h>

#define FN(name) kernel4_##name
#define KERNEL_ENTRY struct ipt_entry
#define KERNEL_INIT iptc_init
#define KERNEL_FIRST_RULE iptc_first_rule
#define KERNEL_NEXT_RULE iptc_next_rule
#define KERNEL_GET_TARGET iptc_get_target
#define KERNEL_FREE iptc_free
#define KERNEL_APPEND_ENTRY iptc_append_entry
#define KERNEL_COMMIT iptc_commit

#include "codec-kernel.inc.c"
