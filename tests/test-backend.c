/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <stdlib.h>
#include <string.h>

#include "test-backend.h"

bool bs_test_backend_is_nft(void) {
        const char *b = getenv("BACKSTOP_TEST_BACKEND");
        return b && strcmp(b, "nft") == 0;
}

const char *bs_test_backend_name(void) {
        return bs_test_backend_is_nft() ? "nft" : "legacy";
}

const char *bs_test_iptables(bs_family f) {
        bool v6 = f == BS_FAMILY_IPV6;
        return bs_test_backend_is_nft() ? (v6 ? "ip6tables-nft" : "iptables-nft")
                                        : (v6 ? "ip6tables-legacy" : "iptables-legacy");
}

const char *bs_test_iptables_save(bs_family f) {
        bool v6 = f == BS_FAMILY_IPV6;
        return bs_test_backend_is_nft() ? (v6 ? "ip6tables-nft-save" : "iptables-nft-save")
                                        : (v6 ? "ip6tables-legacy-save" : "iptables-legacy-save");
}

const char *bs_test_iptables_restore(bs_family f) {
        bool v6 = f == BS_FAMILY_IPV6;
        return bs_test_backend_is_nft() ? (v6 ? "ip6tables-nft-restore" : "iptables-nft-restore")
                                        : (v6 ? "ip6tables-legacy-restore" : "iptables-legacy-restore");
}
