/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "nft-rule.h"

int bs_nft_rule_decode(bs_family family, const struct nftnl_rule *r, bs_rule *ret) {
        (void) family, (void) r, (void) ret;
        return -EOPNOTSUPP;
}
