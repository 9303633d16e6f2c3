/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "nft-rule.h"

int bs_nft_rule_encode(const bs_rule *rule, struct nftnl_rule *r) {
        (void) rule, (void) r;
        return -EOPNOTSUPP;
}
