/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* Whether the kernel supports this revision of an extension, the way
 * libxtables asks it (getsockopt IPT_SO_GET_REVISION_*), or, in a kernel
 * without ip_tables, the way iptables-nft asks it (nf_tables' compat
 * layer). Revision 0 always counts as supported, as in libxtables (the
 * kernel's refusal of the rule then names what is missing). For the
 * helper, which asks the daemon. */

#include <stdbool.h>
#include <stdint.h>

#include "rule.h"

bool bs_xt_kernel_supports(bs_family f, bool target, uint8_t revision, const char *name);
/* The question to nf_tables' compat layer alone (iptables-nft's
 * nft_compatible_revision): 1 supported, 0 not, -errno when it could not
 * ask. */
int bs_xt_kernel_supports_nft(bs_family f, bool target, uint8_t revision, const char *name);

/* libxt_set's questions about ipset sets (getsockopt SO_IP_SET), for the
 * helper: buf holds the request (*len bytes) and receives the answer.
 * Only the questions libxt_set asks (the protocol version, a set's index
 * by name, with its family, and its name by index) are asked; -EPERM for
 * any other. -errno as the kernel answers. */
int bs_xt_kernel_ipset(void *buf, size_t *len);
