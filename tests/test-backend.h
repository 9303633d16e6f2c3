/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

/* The table-access backend a test runs against, one parameter for every
 * kernel, bus and end-to-end suite: BACKSTOP_TEST_BACKEND=legacy (the
 * default) or nft, which tests/meson.build sets for each entry's
 * `backends`. The oracle is that backend's own iptables: iptables-legacy
 * or iptables-nft. */

#include <stdbool.h>

#include "backend.h"

bool bs_test_backend_is_nft(void);
/* "legacy" or "nft", as backstopd --backend takes it */
const char *bs_test_backend_name(void);
/* (inline: the bus tests use the names above without linking the daemon's
 * library) */
static inline const bs_backend *bs_test_backend(void) {
        return bs_test_backend_is_nft() ? &bs_backend_iptables_nft : &bs_backend_iptables_legacy;
}
/* iptables-legacy / ip6tables-legacy, or the -nft ones; "-save" and
 * "-restore" variants */
const char *bs_test_iptables(bs_family f);
const char *bs_test_iptables_save(bs_family f);
const char *bs_test_iptables_restore(bs_family f);
